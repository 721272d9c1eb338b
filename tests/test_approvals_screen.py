"""The approvals screen, driven through the real app with the pilot over the demo ledger
(through the real adapter), with a frozen clock. Outcomes are checked with SQL on the
ledger: the screen must change the server, not just its rows."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, settle
from tests.conftest import FakeClock
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
        start, end = week(app, 1)
        entry_id = str(
            sql(
                harness,
                "SELECT id FROM time_entries WHERE submitted = 1 AND"
                " approved = 0 AND rejected = 0 AND date BETWEEN ? AND ?"
                " ORDER BY id LIMIT 1",
                start,
                end,
            )[0][0]
        )
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
