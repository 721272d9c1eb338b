"""Submission in the app, through the pilot over the demo ledger: `W` on the timesheet, the
locked rows of a submitted day, and the approvals screen's people panel counts and its
"not submitted" filter. Outcomes are checked with SQL on the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tui.api.productive import ProductiveAdapter
from tui.screens.dialogs import ConfirmDialog
from tui.store.records import RowState
from tui.store.store import StagingError
from tui.store.workweek import WorkWeek

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


def sql(harness: Harness, query: str, *params: object) -> list[tuple]:
    with harness.db.transaction() as conn:
        return [tuple(row) for row in conn.execute(query, params).fetchall()]


def owner_days(harness: Harness, start: date) -> list[str]:
    """The owner's days of the week that have entries."""
    end = start + timedelta(days=6)
    return [
        r[0]
        for r in sql(
            harness,
            "SELECT DISTINCT date FROM time_entries WHERE person_id = ? AND date BETWEEN ? AND ?"
            " ORDER BY date",
            harness.db.identity.owner_person_id,
            start.isoformat(),
            end.isoformat(),
        )
    ]


def timesheets(harness: Harness, person_id: int | None = None) -> list[str]:
    who = harness.db.identity.owner_person_id if person_id is None else person_id
    return [r[0] for r in sql(harness, "SELECT date FROM timesheets WHERE person_id = ?", who)]


def working_days_submitted(harness: Harness, person_id: object, monday: date) -> int:
    """How many of the person's Monday-to-Friday days of that week have a timesheet."""
    friday = monday + timedelta(days=4)
    return sql(
        harness,
        "SELECT count(*) FROM timesheets WHERE person_id = ? AND date BETWEEN ? AND ?",
        int(str(person_id)),
        monday.isoformat(),
        friday.isoformat(),
    )[0][0]


async def submit_days(harness: Harness, person_id: int, days: list[date]) -> None:
    async with ProductiveAdapter.for_ledger(harness.db) as backend:
        results = await backend.submit_days(str(person_id), days)
    assert {r.result for r in results} == {"submitted"}


async def test_w_asks_with_the_short_days_then_submits_each_day(harness: Harness) -> None:
    app = harness.app(work_week=WorkWeek(workday_minutes=24 * 60))  # every day is short
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await app.store.stop_timer()  # else its day is left out (the test above)
        await settle(pilot)
        days = owner_days(harness, app.week_start)
        assert days
        before = timesheets(harness)  # the demo's submitted days of earlier weeks
        assert not set(days) & set(before)
        await pilot.press("W")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.title_text == "Submit the week?"
        assert dialog.message.startswith("Submit ")
        question, short = dialog.message.split("Short days (up to today):")
        for day in days:
            assert f"{date.fromisoformat(day):%a %d}" in question
        today = app.store.today()
        shown_short = [
            app.week_start + timedelta(days=n)
            for n in range(7)
            if f"{app.week_start + timedelta(days=n):%a %d}" in short
        ]
        assert shown_short == [d for d in WorkWeek().working_days(app.week_start, today)]
        assert timesheets(harness) == before  # nothing sent before the answer
        await pilot.press("y")
        await settle(pilot)
        assert sorted(set(timesheets(harness)) - set(before)) == days
        shown = [n.message for n in app._notifications]
        assert any(
            all(f"{date.fromisoformat(d):%a %d}  submitted" in m for d in days) for m in shown
        )


async def test_w_leaves_out_the_day_a_timer_still_runs_on_and_submits_the_rest(
    harness: Harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        timer = app.store.timer
        assert timer is not None and timer.running  # the demo's timer, started today
        before = timesheets(harness)
        await pilot.press("W")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        day = timer.started_at.astimezone().date()
        assert f"A timer is running on {day:%a %d} (" in app.screen.message
        assert "that day is left out until the timer stops." in app.screen.message
        question = app.screen.message.splitlines()[0]
        assert f"{day:%a %d}" not in question
        await pilot.press("y")
        await settle(pilot)
        added = sorted(set(timesheets(harness)) - set(before))
        assert day.isoformat() not in added
        assert added == [d for d in owner_days(harness, app.week_start) if d != day.isoformat()]
        shown = [n.message for n in app._notifications]
        assert any("A timer is running on this day's entry; stop the timer" in m for m in shown)
        await app.store.stop_timer()
        await settle(pilot)
        await pilot.press("W")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "A timer is running" not in app.screen.message


async def test_w_warns_of_staged_changes_a_submitted_day_would_refuse(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        owner = str(harness.db.identity.owner_person_id)
        store = app.store
        entry_id = next(
            i
            for i in store.order
            if store.records[i].person_id == owner and not store.records[i].locked
        )
        store.stage_edit(entry_id, "note", "not saved yet")
        day = store.records[entry_id].date
        before = timesheets(harness)
        await pilot.press("W")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert f"Not saved yet: 1 staged change on {day:%a %d}." in app.screen.message
        await pilot.press("n")  # cancelled: nothing submitted, the change still staged
        await settle(pilot)
        assert timesheets(harness) == before
        assert store.row(entry_id).record.note == "not saved yet"


async def test_w_lists_the_days_already_submitted(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        first = date.fromisoformat(owner_days(harness, app.week_start)[0])
        await submit_days(harness, harness.db.identity.owner_person_id, [first])
        await pilot.press("W")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert f"Already submitted: {first:%a %d}." in app.screen.message


async def test_rows_of_a_submitted_day_are_locked_with_a_hint(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        draft = next(
            i
            for i in store.order
            if not store.records[i].submitted
            and not store.records[i].approved
            and not store.records[i].invoiced
        )
        day = store.records[draft].date
        await submit_days(harness, harness.db.identity.owner_person_id, [day])
        app.load_week()
        await settle(pilot)
        record = store.records[draft]
        assert record.submitted and record.locked
        view = grid(app)
        view.move_to(draft)
        await pilot.pause()
        assert store.row(draft).state is RowState.clean
        status_line = view.render_line(view.scrollable_content_region.height - 1).text
        assert "Submitted; unsubmit to edit." in status_line
        with pytest.raises(StagingError, match="submitted"):
            store.stage_edit(draft, "minutes", 15)
        # enter says so at once, and opens no editor to type into.
        await pilot.press("enter")
        await pilot.pause()
        assert view._editing is None
        told = [n.message for n in app._notifications if n.title == "Not editable"]
        assert told == [f"Entry {draft} is submitted; unsubmit its week to change it."]


async def test_people_panel_counts_submitted_working_days(harness: Harness) -> None:
    from tui.screens.approvals import HEADER_PREFIX, ApprovalsScreen

    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        monday = app.week_start
        me = harness.db.identity.owner_person_id
        await submit_days(harness, me, [monday, monday + timedelta(days=1)])
        await pilot.press("2")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, ApprovalsScreen)
        people = view.people_list
        prompts = {
            people.get_option_at_index(n).value: str(people.get_option_at_index(n).prompt)
            for n in range(people.option_count)
        }
        assert prompts[str(me)].startswith("2/5 ")
        others = {pid: p for pid, p in prompts.items() if pid != str(me)}
        assert others
        for pid, prompt in others.items():  # the demo's own whole days count too
            assert prompt.startswith(f"{working_days_submitted(harness, pid, monday)}/5 ")
        header = view.table.get_row(f"{HEADER_PREFIX}{me}")
        assert str(header[-1]) == "submitted 2/5"


async def test_not_submitted_filter_lists_the_people_to_chase(harness: Harness) -> None:
    from tui.screens.approvals import HEADER_PREFIX, NOT_SUBMITTED, ApprovalsScreen

    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        me = harness.db.identity.owner_person_id
        await submit_days(harness, me, [app.week_start])
        await pilot.press("2")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, ApprovalsScreen)
        while view.status_filter != NOT_SUBMITTED:
            await pilot.press("v")
        await settle(pilot)
        table = view.table
        headers = {
            key.value[len(HEADER_PREFIX) :]
            for key in table.rows
            if key.value and key.value.startswith(HEADER_PREFIX)
        }
        everyone = {str(r[0]) for r in sql(harness, "SELECT id FROM people")}
        chase = {p for p in everyone if not working_days_submitted(harness, p, app.week_start)}
        assert headers == chase - {str(me)}
        assert "status: not submitted" in str(view.query_one("#approvals-filters").render())


def submitted_sentence(day: date) -> str:
    return (
        f"{day:%a %d %b} is submitted; unsubmit the week (palette: Unsubmit) to add an entry to it."
    )


async def test_a_timer_on_a_submitted_day_is_refused_in_the_picker_in_one_sentence(
    harness: Harness,
) -> None:
    """`t` opens the picker whatever the day (keys typed after `t` are meant for it); a
    start on a day the store knows is submitted is refused there, beside the start time,
    with the `n` refusal's sentence, and nothing is sent."""
    from textual.widgets import Static

    from tui.screens.dialogs import ServicePicker

    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        await store.stop_timer()  # the day a timer runs on is not submitted (W leaves it out)
        today = store.today()
        await submit_days(harness, harness.db.identity.owner_person_id, [today])
        app.load_week()
        await settle(pilot)
        entries_before = sql(harness, "SELECT count(*) FROM time_entries")
        grid(app).move_to(next(i for i in store.order if store.records[i].date == today))
        await pilot.press("t")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ServicePicker)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is picker  # still open: the start time can be changed
        error = str(picker.query_one("#picker-since-error", Static).render())
        assert error == submitted_sentence(today)
        assert all(n.title != "Invalid entries" for n in app._notifications)
        assert store.timer is None or not store.timer.running
        assert sql(harness, "SELECT count(*) FROM time_entries") == entries_before


async def test_a_timer_the_server_refuses_names_the_service_not_its_id(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        await store.stop_timer()
        today = store.today()
        await submit_days(harness, harness.db.identity.owner_person_id, [today])
        await pilot.press("right_square_bracket")  # next week: the store holds none of today
        await settle(pilot)
        assert store.query is not None and not store.query.covers(today)
        await pilot.press("t")
        await pilot.pause()
        from tui.screens.dialogs import ServicePicker

        assert isinstance(app.screen, ServicePicker)
        service_id = app.screen.shown_ids[0]
        await pilot.press("enter")
        await settle(pilot)
        from tui.store.present import service_name

        title, message = [(n.title, n.message) for n in app._notifications][-1]
        assert title == "Timer not started"
        assert f"refused to start a timer on {service_name(store.services, service_id)}:" in (
            message
        )
        assert f"service {service_id}" not in message
        assert "is submitted" in message  # the server's reason, as it said it
