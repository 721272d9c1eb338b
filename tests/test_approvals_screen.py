"""The approvals screen, driven through the real app with the pilot over the demo ledger
(through the real adapter), with a frozen clock. Outcomes are checked with SQL on the
ledger: the screen must change the server, not just its rows."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.app_harness import SIZE, Harness, settle
from tests.conftest import FakeClock
from tests.faults import Fault
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.screens.dialogs import ConfirmDialog, ReasonDialog
from tui.store.journal import Journal
from tui.store.store import Store

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


def screen(app):
    from tui.screens.approvals import ApprovalsScreen

    assert isinstance(app.screen, ApprovalsScreen)
    return app.screen


def sql(harness: Harness, query: str, *params: object) -> list[tuple]:
    with harness.db.transaction() as conn:
        return [tuple(row) for row in conn.execute(query, params).fetchall()]


def week(app, weeks_back: int) -> tuple[str, str]:
    start = app.week_start - timedelta(days=7 * weeks_back)
    return start.isoformat(), (start + timedelta(days=6)).isoformat()


def awaiting_entry(harness: Harness, app, *, weeks_back: int) -> str:
    """The first entry of that week that is submitted and neither approved nor rejected."""
    start, end = week(app, weeks_back)
    return str(
        sql(
            harness,
            "SELECT id FROM time_entries WHERE submitted = 1 AND"
            " approved = 0 AND rejected = 0 AND date BETWEEN ? AND ?"
            " ORDER BY id LIMIT 1",
            start,
            end,
        )[0][0]
    )


def text_of(widget) -> str:
    return str(widget.render())


async def open_approvals(pilot, *, weeks_back: int = 0):
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    for _ in range(weeks_back):
        await pilot.press("left_square_bracket")
        await settle(pilot)
    return screen(pilot.app)


async def put_cursor(pilot, view, entry_id: str) -> None:
    view.table.move_cursor(row=view.table.get_row_index(entry_id), animate=False)
    await pilot.pause()


async def confirm(pilot) -> str:
    """Answer the confirm dialog with `y`; returns its question."""
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, ConfirmDialog)
    await pilot.press("y")
    await settle(pilot)
    return dialog.message


async def test_opens_on_this_week_with_everyones_awaiting_entries(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot)
        store = app.store
        assert view.week_start == app.week_start and view.table.has_focus
        start, end = week(app, 0)
        expected = {
            str(i)
            for (i,) in sql(
                harness,
                "SELECT id FROM time_entries WHERE approved = 0 AND date BETWEEN ? AND ?",
                start,
                end,
            )
        }
        assert set(view.shown) == expected
        assert len({store.records[i].person_id for i in view.shown}) >= 3
        # A header line per person with their total, then their entries.
        first = view.table.get_row_at(0)
        person = store.records[view.shown[0]].person_id
        minutes = sum(
            store.records[i].minutes for i in view.shown if store.records[i].person_id == person
        )
        assert first[2].plain == store.people[person].name
        assert first[3].plain == f"{minutes // 60}:{minutes % 60:02d}"
        # Last week: mostly submitted, still several people.
        await pilot.press("left_square_bracket")
        await settle(pilot)
        start, end = week(app, 1)
        assert view.week_start.isoformat() == start
        assert all(start <= store.records[i].date.isoformat() <= end for i in view.shown)
        assert len({store.records[i].person_id for i in view.shown}) >= 3
        assert not any(store.records[i].approved for i in view.shown)


def top_up_to(harness, person_id: int, start: str, count: int) -> None:
    """Add submitted entries (through the ledger's own rules) until the person has
    `count` awaiting approval that week."""
    from tui.ledger.entries import Entries

    (have,) = sql(
        harness,
        "SELECT count(*) FROM time_entries WHERE approved = 0 AND"
        " person_id = ? AND date BETWEEN ? AND date(?, '+6 days')",
        person_id,
        start,
        start,
    )[0]
    with harness.db.transaction(write=True) as conn:
        entries = Entries(conn, harness.db)
        # A submitted day takes no new entry: reopen it for them, then submit it again.
        sheets = conn.execute(
            "SELECT person_id, date, creator_id, created_at FROM timesheets"
            " WHERE person_id = ? AND date = ?",
            (person_id, start),
        ).fetchall()
        conn.execute("DELETE FROM timesheets WHERE person_id = ? AND date = ?", (person_id, start))
        for n in range(count - have):
            new_id = entries.create(
                {
                    "date": start,
                    "time": 15 + n % 4 * 15,
                    "person": person_id,
                    "service": 1,
                    "note": f"Extra item {n}",
                }
            )
            conn.execute("UPDATE time_entries SET submitted = 1 WHERE id = ?", (new_id,))
        conn.executemany(
            "INSERT INTO timesheets (person_id, date, creator_id, created_at) VALUES (?, ?, ?, ?)",
            [tuple(sheet) for sheet in sheets],
        )


async def test_approve_50_entries_of_one_person_for_one_week(harness) -> None:
    from datetime import timedelta

    from tui.store.values import week_range

    start = (week_range(harness.clock().date())[0] - timedelta(days=7)).isoformat()
    # Someone whose awaiting entries need one approver only, so all become approved.
    person_id = sql(
        harness,
        "SELECT person_id FROM time_entries WHERE approved = 0 AND date BETWEEN ?"
        " AND date(?, '+6 days') GROUP BY person_id HAVING max(approvers_needed) = 1"
        " ORDER BY count(*) DESC, person_id LIMIT 1",
        start,
        start,
    )[0][0]
    top_up_to(harness, person_id, start, 50)
    count = 50
    person_id = str(person_id)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot, weeks_back=1)
        assert week(app, 1)[0] == start
        # Filter by that person with the keys: p, move to them, space, back to the table.
        await pilot.press("p")
        people = view.people_list
        assert people.has_focus
        index = next(
            i
            for i in range(people.option_count)
            if people.get_option_at_index(i).value == person_id
        )
        people.highlighted = index
        await pilot.press("space")
        await pilot.press("tab")
        await pilot.pause()
        assert view.table.has_focus and people.selected == [person_id]
        assert {app.store.records[i].person_id for i in view.shown} == {person_id}
        await pilot.press("ctrl+a")
        ids = sorted(view.selected)
        assert len(ids) == count == len(view.shown) == 50
        minutes = sum(app.store.records[i].minutes for i in ids)
        hours = f"{minutes // 60}:{minutes % 60:02d}"
        assert f"{count} selected ({hours})" in text_of(view.query_one("#approvals-status"))
        await pilot.press("a")
        question = await confirm(pilot)
        assert question == f"Approve {count} entries ({hours}) of 1 person?"
        marks = ",".join("?" * len(ids))
        assert sql(
            harness,
            f"SELECT count(*) FROM time_entries WHERE approved = 1 AND id IN ({marks})",
            *ids,
        ) == [(count,)]
        assert all(view.results[i].result == "approved" for i in ids)
        assert {view.table.get_row(i)[1].plain for i in ids} == {"✓"}
        assert f"{count} approved" in text_of(view.query_one("#approvals-status"))
        assert not view.selected


async def test_entries_waiting_for_another_approver_need_f(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot, weeks_back=1)
        start, end = week(app, 1)
        owner = harness.db.identity.owner_person_id
        waiting = [
            str(i)
            for (i,) in sql(
                harness,
                "SELECT e.id FROM time_entries e JOIN time_entry_approvals a"
                " ON a.time_entry_id = e.id WHERE e.approvers_needed = 2 AND e.approved = 0"
                " AND a.person_id = ? AND e.date BETWEEN ? AND ? ORDER BY e.id",
                owner,
                start,
                end,
            )
        ]
        assert waiting
        for entry_id in waiting:
            await put_cursor(pilot, view, entry_id)
            row = view.table.cursor_row
            await pilot.press("space")
            assert view.table.cursor_row == row  # space does not move the cursor
        assert view.selected == set(waiting)
        await pilot.press("a")
        await confirm(pilot)
        assert {view.results[i].result for i in waiting} == {"pending"}
        assert "still pending other approvers" in text_of(view.query_one("#approvals-status"))
        marks = ",".join("?" * len(waiting))
        assert sql(
            harness, f"SELECT max(approved) FROM time_entries WHERE id IN ({marks})", *waiting
        ) == [(0,)]
        assert view.selected == set(waiting)  # what did not go through stays selected
        await pilot.press("f")
        assert view.for_all_approvers
        assert "for all approvers: on" in text_of(view.query_one("#approvals-filters"))
        await pilot.press("a")
        question = await confirm(pilot)
        assert question.endswith("for all approvers?")
        assert {view.results[i].result for i in waiting} == {"approved"}
        assert sql(
            harness, f"SELECT min(approved) FROM time_entries WHERE id IN ({marks})", *waiting
        ) == [(1,)]


async def test_reject_with_a_reason(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot, weeks_back=1)
        entry_id = awaiting_entry(harness, app, weeks_back=1)
        await put_cursor(pilot, view, entry_id)
        await pilot.press("r")  # nothing selected: the cursor row
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*"Wrong project")
        await pilot.press("enter")
        await settle(pilot)
        assert sql(
            harness, "SELECT rejected, rejected_reason FROM time_entries WHERE id = ?", entry_id
        ) == [(1, "Wrong project")]
        assert view.results[entry_id].result == "rejected"
        assert "rejected: Wrong project" in view.table.get_row(entry_id)[5].plain
        await put_cursor(pilot, view, entry_id)
        await pilot.press("U")  # asks first, as approve and reject do
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message.startswith("Unreject 1 entry")
        await pilot.press("y")
        await settle(pilot)
        assert sql(harness, "SELECT rejected FROM time_entries WHERE id = ?", entry_id) == [(0,)]


async def test_unreject_on_an_entry_that_is_not_rejected_says_so_and_sends_nothing(
    harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot, weeks_back=1)
        entry_id = awaiting_entry(harness, app, weeks_back=1)
        await put_cursor(pilot, view, entry_id)
        before = sql(harness, "SELECT id, rejected, updated_at FROM time_entries")
        await pilot.press("U")
        await settle(pilot)
        told = [n.message for n in app._notifications]
        assert "Nothing to unreject: the entry under the cursor is not rejected." in told
        assert sql(harness, "SELECT id, rejected, updated_at FROM time_entries") == before


async def test_an_empty_list_says_which_filters_left_nothing(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot)
        await pilot.press("right_square_bracket")  # next week: nothing logged yet
        await settle(pilot)
        assert view.shown == []
        status = text_of(view.query_one("#approvals-status"))
        monday = view.week_start
        assert status.startswith(
            f"No entries awaiting approval in the week of {monday:%d %b}: v changes the status"
        )
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert view.shown and not text_of(view.query_one("#approvals-status")).startswith("No ")


async def test_unapprove_approved_entries(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot, weeks_back=1)
        await pilot.press("v")  # awaiting → approved
        await pilot.pause()
        assert view.status_filter == "approved"
        assert view.shown and all(app.store.records[i].approved for i in view.shown)
        entry_id = next(i for i in view.shown if not app.store.records[i].invoiced)
        await put_cursor(pilot, view, entry_id)
        await pilot.press("space", "x")
        question = await confirm(pilot)
        assert question.startswith("Unapprove 1 entry (")
        assert sql(harness, "SELECT approved FROM time_entries WHERE id = ?", entry_id) == [(0,)]
        assert view.results[entry_id].result == "unapproved"


async def test_cancelled_confirm_changes_nothing_and_leaving_reloads_my_week(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot)
        before = sql(harness, "SELECT id, approved FROM time_entries ORDER BY id")
        await pilot.press("ctrl+a", "a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is view and view.results == {}
        assert sql(harness, "SELECT id, approved FROM time_entries ORDER BY id") == before
        await pilot.press("1")
        await settle(pilot)
        store = app.store
        assert {store.records[i].person_id for i in store.order} == {store.person_id}


async def test_a_backend_without_approvals_explains_itself(harness) -> None:
    backend = ProductiveAdapter.for_ledger(harness.db, transport=harness.transport)
    backend.capabilities = dataclasses.replace(backend.capabilities, approvals=False)
    app = TimesheetApp(Store(backend, Journal(harness.journal_path), clock=harness.clock))
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot)
        explanation = view.query_one("#approvals-unsupported")
        assert explanation.display and "has no approvals" in text_of(explanation)
        assert "cannot be approved here" in text_of(explanation)
        assert not view.table.display or not view.query_one("#approvals-body").display
        before = sql(harness, "SELECT id, approved, rejected FROM time_entries ORDER BY id")
        await pilot.press("ctrl+a", "space", "a", "x", "r", "left_square_bracket")
        await settle(pilot)
        assert app.screen is view  # no dialog opened
        assert sql(harness, "SELECT id, approved, rejected FROM time_entries ORDER BY id") == before


# ------------------------------------------------- a rejected entry, its details, the people

LONG_REASON = (
    "The client asked for this to be split into design hours and build hours;"
    " please book the build part on the Development service and redo it before Friday."
)
LONG_NOTE = "Checkout flow, first pass\nsecond line: [bold]not markup[/bold]\n\nthird line"


def reject_one(harness, *, note: str = LONG_NOTE, reason: str = LONG_REASON) -> str:
    """A submitted entry of this week, rejected with a long reason (as the ledger stores a
    rejection), with a multi-line note; its id."""
    from tui.store.values import week_range

    start = week_range(harness.clock().date())[0].isoformat()
    (entry_id,) = sql(
        harness,
        "SELECT id FROM time_entries WHERE submitted = 1 AND approved = 0 AND rejected = 0"
        " AND date BETWEEN ? AND date(?, '+6 days') ORDER BY date, id LIMIT 1",
        start,
        start,
    )[0]
    with harness.db.transaction(write=True) as conn:
        conn.execute(
            "UPDATE time_entries SET rejected = 1, rejected_reason = ?, note = ? WHERE id = ?",
            (reason, note, entry_id),
        )
    return str(entry_id)


def shown_line(table, row_key: str) -> str:
    """The row's line as the table draws it (the cursor brought to it first)."""
    index = table.get_row_index(row_key)
    return table.render_line(index - table.scroll_offset.y + table.header_height).text


def header_line(table) -> str:
    return table.render_line(0).text


def drawn(widget) -> str:
    """The widget's text as it is drawn, line by line."""
    from textual.geometry import Region

    width, height = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


@pytest.mark.parametrize("size", [(160, 45), (80, 24)], ids=["160x45", "80x24"])
async def test_a_rejected_entry_keeps_the_note_column_and_cuts_its_status_with_an_ellipsis(
    harness, size
) -> None:
    entry_id = reject_one(harness)
    app = harness.app()
    async with app.run_test(size=size) as pilot:
        view = await open_approvals(pilot)
        await put_cursor(pilot, view, entry_id)
        table = view.table
        status = table.columns["status"]
        assert not status.auto_width and status.width < len(LONG_REASON)
        line = shown_line(table, entry_id)
        assert "rejected: The" in line and "…" in line
        assert "Checkout flow" in line  # the note's start, in the Note column
        assert LONG_REASON not in line
        assert "Note" in header_line(table) and "Status" in header_line(table)
        # Nothing beyond the table's width: Note takes the rest, no sideways scrolling.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.max_scroll_x == 0


async def test_resizing_fits_the_columns_again(harness) -> None:
    entry_id = reject_one(harness)
    app = harness.app()
    async with app.run_test(size=(160, 45)) as pilot:
        view = await open_approvals(pilot)
        table = view.table
        wide = table.columns["note"].width
        await put_cursor(pilot, view, entry_id)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert table.columns["note"].width < wide
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert view.cursor_key() == entry_id  # the cursor stays on its row
        assert "Checkout flow" in shown_line(table, entry_id)
        assert "Note" in header_line(table)


async def test_enter_opens_the_entrys_details_with_the_full_note_and_reason(harness) -> None:
    from tui.screens.entry_detail import EntryDetail

    entry_id = reject_one(harness)
    app = harness.app()
    async with app.run_test(size=(160, 45)) as pilot:
        view = await open_approvals(pilot)
        await put_cursor(pilot, view, entry_id)
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, EntryDetail) and detail.entry_id == entry_id
        record = app.store.records[entry_id]
        assert text_of(detail.query_one("#detail-note")) == LONG_NOTE
        assert text_of(detail.query_one("#detail-reason")) == LONG_REASON
        fields = drawn(detail.query_one("#detail-fields"))
        person = app.store.people[record.person_id].name
        for word in (person, "rejected", f"{record.date:%a %d %b %Y}", "Updated"):
            assert word in fields
        for key in ("escape", "q", "enter"):  # each closes it; enter opens it again
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is view
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, EntryDetail)


async def test_a_long_note_scrolls_in_the_details(harness) -> None:
    from tui.screens.entry_detail import EntryDetail

    note = "\n".join(f"line {n} of a long note" for n in range(1, 81))
    entry_id = reject_one(harness, note=note)
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_approvals(pilot)
        await put_cursor(pilot, view, entry_id)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EntryDetail)
        scroll = app.screen.query_one("#detail-scroll")
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == 0
        assert "line 80 of a long note" in text_of(app.screen.query_one("#detail-note"))
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y


async def test_enter_on_a_persons_line_opens_their_week_summary(harness) -> None:
    from tui.screens.entry_detail import WeekSummary

    app = harness.app()
    async with app.run_test(size=(160, 45)) as pilot:
        view = await open_approvals(pilot)
        table = view.table
        table.move_cursor(row=0, animate=False)
        await pilot.pause()
        person = view.cursor_key().removeprefix("person:")
        await pilot.press("enter")
        await pilot.pause()
        summary = app.screen
        assert isinstance(summary, WeekSummary) and summary.person_id == person
        text = drawn(summary.query_one("#summary-fields"))
        start, end = week(app, 0)
        rows = sql(
            harness,
            "SELECT date, sum(time), count(*) FROM time_entries WHERE person_id = ?"
            " AND date BETWEEN ? AND ? GROUP BY date",
            person,
            start,
            end,
        )
        assert rows
        lines = [line.strip() for line in text.splitlines()]
        for day, minutes, _ in rows:
            from datetime import date as date_type

            label = f"{date_type.fromisoformat(day):%a} {int(day[-2:])}"
            line = next(line for line in lines if line.startswith(label))
            assert f"{minutes // 60}:{minutes % 60:02d}" in line
        total = sum(m for _, m, _ in rows)
        count = sum(n for _, _, n in rows)
        assert f"{total // 60}:{total % 60:02d} in {count} entries" in text
        assert "By status" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is view


async def test_the_help_says_enter_opens_the_details_not_select(harness) -> None:
    from tui.screens.help import help_rows

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot)
        rows = help_rows(view)
        enter = [row for row in rows if "enter" in row.keys or "⏎" in row.keys]
        assert [row.description for row in enter] == ["Details"]
        assert "Select" not in [row.description for row in rows if row.action == "select_cursor"]


async def test_the_first_space_in_the_people_panel_checks_the_first_person(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot)
        await pilot.press("p")
        people = view.people_list
        assert people.has_focus
        first = people.get_option_at_index(0).value
        await pilot.press("space")
        await settle(pilot)
        assert people.selected == [first]
        assert {app.store.records[i].person_id for i in view.shown} == {first}


@pytest.mark.parametrize("size", [(160, 45), (80, 24)], ids=["160x45", "80x24"])
async def test_checked_and_unchecked_people_differ_in_their_text(harness, size) -> None:
    app = harness.app()
    async with app.run_test(size=size) as pilot:
        view = await open_approvals(pilot)
        await pilot.press("p")
        await pilot.pause()
        people = view.people_list
        assert people.display and people.region.width > 0  # shown, also on a narrow screen
        people.select(people.get_option_at_index(0).value)
        await pilot.pause()

        def mark(y: int) -> str:
            name = str(people.get_option_at_index(y).prompt)
            return people.render_line(y).text.split(name[:3])[0]

        assert mark(0).strip() != mark(1).strip()
        assert "✓" in mark(0) and "✓" not in mark(1)


async def test_home_and_end_go_to_the_first_and_last_row(harness) -> None:
    app = harness.app()
    async with app.run_test(size=(160, 45)) as pilot:
        view = await open_approvals(pilot)
        table = view.table
        assert table.row_count > 2
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0


async def test_p_and_escape_close_the_people_panel_again(harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_approvals(pilot)
        view.table.focus()
        await pilot.press("p")
        await pilot.pause()
        assert view.people_list.has_focus
        await pilot.press("p")
        await pilot.pause()
        assert view.table.has_focus
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert view.table.has_focus and not view.has_class("-people-open")


def awaiting(harness: Harness, app, count: int) -> list[str]:
    """Last week's first `count` entries that are submitted, not approved nor rejected."""
    start, end = week(app, 1)
    query = (
        "SELECT id FROM time_entries WHERE submitted = 1 AND approved = 0 AND"
        " rejected = 0 AND date BETWEEN ? AND ? ORDER BY id LIMIT ?"
    )
    ids = [str(i) for (i,) in sql(harness, query, start, end, count)]
    assert len(ids) == count, ids  # the demo has them: a test of fewer would prove less
    return ids


async def reject_selected(pilot, view, ids: list[str], reason: str) -> None:
    """Select `ids` with space, press r, give the reason, and wait for the rejects."""
    for entry_id in ids:
        await put_cursor(pilot, view, entry_id)
        await pilot.press("space")
    await pilot.press("r")
    await pilot.pause()
    await pilot.press(*reason, "enter")
    await settle(pilot)


class StatusAtEachReject(httpx.AsyncBaseTransport):
    """Passes requests on; at each reject sent, keeps what the status line of the screen
    on top said then."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.app: TimesheetApp | None = None
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/reject") and self.app is not None:
            self.seen.append(text_of(self.app.screen.query_one("#approvals-status")))
        return await self.inner.handle_async_request(request)


async def test_rejecting_several_counts_them_as_it_goes(harness) -> None:
    watching = StatusAtEachReject(harness.transport)
    harness.transport = watching  # type: ignore[assignment]
    app = harness.app()
    watching.app = app
    async with app.run_test(size=SIZE) as pilot:
        view = await open_approvals(pilot, weeks_back=1)
        ids = awaiting(harness, app, 3)
        await reject_selected(pilot, view, ids, "Wrong week")
        assert [line.splitlines()[-1] for line in watching.seen] == [
            "Rejecting 1 of 3…",
            "Rejecting 2 of 3…",
            "Rejecting 3 of 3…",
        ]
        assert "3 rejected" in text_of(view.query_one("#approvals-status"))


async def test_a_token_refused_midway_through_rejecting_keeps_the_count_of_what_was_done(
    harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        view = await open_approvals(pilot, weeks_back=1)
        ids = awaiting(harness, app, 3)
        harness.transport.inject(
            Fault.status_code(401), match=lambda r: r.url.path.endswith(f"/{ids[1]}/reject")
        )
        await reject_selected(pilot, view, ids, "Wrong week")
        status = text_of(view.query_one("#approvals-status"))
        assert "1 rejected, 2 not done" in status and "Rejecting" not in status, status
        rejected = sql(
            harness, "SELECT id FROM time_entries WHERE rejected = 1 AND id IN (?, ?, ?)", *ids
        )
        assert rejected == [(int(ids[0]),)]
