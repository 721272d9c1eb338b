"""Timers in the app, through the pilot against the demo ledger with a frozen clock: `S`
stops at an earlier time (a forgotten timer asks on `s` too), the palette's "Discard
timer", a stop under a minute offering discard, and the running timer's live time in the
grid, its totals and the approvals screen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.app_harness import BACKENDS, SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tests.test_palette_help import run_command
from tui.ledger.entries import Entries
from tui.screens.dialogs import ConfirmDialog
from tui.screens.stop_at import StopAtDialog
from tui.store.values import format_minutes

pytestmark = pytest.mark.anyio


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock, request.param)


def ledger_minutes(harness: Harness, entry_id: str) -> int | None:
    key = "uuid" if harness.backend == "plannr" else "id"
    with harness.db.transaction() as conn:
        row = conn.execute(f"SELECT time FROM time_entries WHERE {key} = ?", (entry_id,)).fetchone()
    return row[0] if row else None


def result_text(app) -> str:
    return str(app.screen.query_one("#stop-at-result", Static).render())


async def start_new_timer(app, pilot) -> str:
    """`t`, the first service, `enter`: a timer on a new, empty entry."""
    await pilot.press("t")
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    timer = app.store.timer
    assert timer is not None and timer.running and timer.entry_id
    return timer.entry_id


async def test_capital_s_stops_at_the_time_typed_showing_the_minutes(harness, clock) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        timer = app.store.timer
        assert timer is not None and timer.entry_id
        before = ledger_minutes(harness, timer.entry_id) or 0
        clock.advance(minutes=40)
        elapsed = app.store.elapsed_seconds() // 60
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, StopAtDialog)
        await pilot.press(*"30m ago")
        await pilot.pause()
        expected = before + elapsed - 30
        assert f"the entry gets {format_minutes(expected)}" in result_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.store.timer is None
        assert ledger_minutes(harness, timer.entry_id) == expected
        # The toast gives the entry's total as a total, never as a clock time.
        told = [n.message for n in app._notifications if n.title == "Timer stopped"]
        assert told and told[-1].startswith(
            f"Its entry now holds {format_minutes(expected)} ({expected} min)."
        )


async def test_a_forgotten_timer_asks_on_s_and_refuses_a_time_before_its_start(
    harness, clock
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.advance(hours=14)
        assert app.store.timer_forgotten
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StopAtDialog)
        assert "was it left on?" in str(app.screen.query_one("#stop-at-message").render())
        await pilot.press(*"20h ago")
        await pilot.pause()
        assert "before the timer started" in result_text(app)
        await pilot.press("enter")  # refused: the dialog stays, nothing is stopped
        await settle(pilot)
        assert isinstance(app.screen, StopAtDialog) and app.store.timer is not None
        await pilot.press("escape")
        await settle(pilot)
        assert app.store.timer is not None and app.store.timer.running


async def test_discard_timer_from_the_palette_deletes_its_entry(harness, clock) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        entry_id = await start_new_timer(app, pilot)
        clock.advance(minutes=3)
        await run_command(pilot, "Discard timer")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert app.store.timer is None
        assert ledger_minutes(harness, entry_id) is None
        assert entry_id not in app.store.order


async def test_discard_of_a_resumed_entry_is_refused_in_one_sentence(harness, clock) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        entry_id = next(
            i for i in store.order if store.records[i].minutes and not store.records[i].locked
        )
        held = store.records[entry_id].minutes
        key = "uuid" if harness.backend == "plannr" else "id"
        with harness.db.transaction(write=True) as conn:
            (ledger_id,) = conn.execute(
                f"SELECT id FROM time_entries WHERE {key} = ?", (entry_id,)
            ).fetchone()
            Entries(conn, harness.db).start_timer(entry_id=ledger_id)  # resumed elsewhere
        timer = await store.refresh_timer()
        assert timer is not None and timer.entry_id == entry_id
        await run_command(pilot, "Discard timer")
        await pilot.press("y")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert any("from before this timer" in message for message in shown)
        assert app.store.timer is not None
        assert ledger_minutes(harness, timer.entry_id) == held


async def test_a_stop_under_a_minute_offers_discard_instead_of_rounding(harness, clock) -> None:
    app = harness.app(rounding_minutes=15)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        entry_id = await start_new_timer(app, pilot)
        clock.advance(seconds=4)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "ran under a minute" in app.screen.message
        assert app.store.staged_count == 0
        assert not any("Rounding" in n.message for n in app._notifications)
        await pilot.press("y")
        await settle(pilot)
        assert ledger_minutes(harness, entry_id) is None


async def test_the_running_row_and_the_totals_count_each_minute(harness, clock) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = grid(app)
        store = app.store
        timer = store.timer
        assert timer is not None and timer.entry_id in store.order
        index = store.index_of(timer.entry_id)
        assert index is not None
        view.move_to(timer.entry_id)
        await pilot.pause()
        record = store.records[timer.entry_id]
        shown = record.minutes + store.elapsed_seconds() // 60
        day = record.date
        days_before = view.day_totals
        assert format_minutes(shown) in view.render_line(index + 1 - view.scroll_offset.y).text

        redrawn: list[int] = []
        original = view.refresh_line
        view.refresh_line = lambda y: (redrawn.append(y), original(y))[1]  # type: ignore[method-assign]
        clock.advance(minutes=1)
        view.update_live()
        await pilot.pause()

        line = view.render_line(index + 1 - view.scroll_offset.y).text
        assert format_minutes(shown + 1) in line
        after = view.day_totals
        assert after[day] == days_before[day] + 1
        assert {d: m for d, m in after.items() if d != day} == {
            d: m for d, m in days_before.items() if d != day
        }
        assert redrawn == [index + 1]  # that row only (and the totals line)
        week = sum(after.values())
        assert f"Week {format_minutes(week)}" in view.render_line(view.size.height - 2).text
        # Stopped: the server's minutes, and the totals no longer count a live part.
        await pilot.press("s")
        await settle(pilot)
        assert store.timer is None
        assert sum(view.day_totals.values()) == sum(
            store.row(i).record.minutes for i in store.order
        )


async def approvals_with_the_timer(pilot):
    """The demo's running timer (on an entry), and the approvals screen opened over it."""
    app = pilot.app
    await settle(pilot)
    timer = app.store.timer
    assert timer is not None and timer.entry_id
    await app.run_action("show_approvals")
    await settle(pilot)
    return timer, app.screen


async def test_the_approvals_screen_shows_the_live_time(clock, tmp_path: Path) -> None:
    harness = Harness(tmp_path, clock)  # Productive: the dialect with approvals
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        timer, screen = await approvals_with_the_timer(pilot)
        table = screen.table
        assert timer.entry_id in table.rows
        record = app.store.records[timer.entry_id]

        def cell() -> str:
            return str(table.get_cell(timer.entry_id, "time")).strip()

        shown = record.minutes + app.store.elapsed_seconds() // 60
        assert cell() == format_minutes(shown)
        clock.advance(minutes=1)
        screen.update_live()
        await pilot.pause()
        assert cell() == format_minutes(shown + 1)
        days = str(screen.query_one("#approvals-days", Static).render())
        assert f"{record.date:%a}" in days
        assert not isinstance(app.focused, Input)


async def test_approving_a_selection_leaves_out_the_running_timers_entry(
    clock, tmp_path: Path
) -> None:
    from tui.screens.dialogs import ConfirmDialog

    harness = Harness(tmp_path, clock)  # Productive: the dialect with approvals
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        timer, screen = await approvals_with_the_timer(pilot)
        screen.action_select_all()
        await pilot.pause()
        others = [i for i in screen.shown if i != timer.entry_id]
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.message.startswith(f"Approve {screen.describe(others)}")
        assert f"Entry {timer.entry_id} is left out: a timer is running on it" in dialog.message
        await pilot.press("y")
        await settle(pilot)
        with harness.db.transaction() as conn:
            approved = conn.execute(
                "SELECT approved FROM time_entries WHERE id = ?", (timer.entry_id,)
            ).fetchone()[0]
        assert approved == 0
        assert app.store.records[others[0]].approved
        result = await app.store.approve([timer.entry_id])  # the store refuses it too
        assert result[0].result == "failed"
        assert result[0].message == (
            f"A timer is running on entry {timer.entry_id}; stop it, then approve it."
        )


async def test_the_start_picker_takes_an_optional_start_time(harness, clock) -> None:
    from tui.screens.dialogs import ServicePicker

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ServicePicker)
        await pilot.press("tab", *"25h ago", "enter")
        await pilot.pause()
        error = str(picker.query_one("#picker-since-error", Static).render())
        assert "longer than a day" in error and app.screen is picker
        since = picker.query_one("#picker-since", Input)
        since.value = "20m ago"
        await pilot.press("enter")
        await settle(pilot)
        timer = app.store.timer
        assert timer is not None and timer.started_at == clock.now - timedelta(minutes=20)
        clock.advance(minutes=10)
        await pilot.press("s")
        await settle(pilot)
        assert timer.entry_id and ledger_minutes(harness, timer.entry_id) == 30


async def test_the_save_review_says_deleting_the_running_entry_drops_its_timer(
    harness, clock
) -> None:
    from tui.screens.save_review import SaveReview

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timer = app.store.timer
        assert timer is not None and timer.entry_id
        other = next(i for i in app.store.order if i != timer.entry_id)
        app.store.stage_delete([timer.entry_id, other])
        await pilot.press("ctrl+s")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, SaveReview)
        minutes = format_minutes(app.store.elapsed_seconds() // 60)
        warning = f"its timer is running: deleting the entry drops the timer and its {minutes}"
        assert review.diff_text.count(warning) == 1  # under the running entry's line only


async def test_the_running_rows_time_says_to_stop_the_timer_first(harness, clock) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        timer = app.store.timer
        assert timer is not None and timer.entry_id
        view = grid(app)
        view.move_to(timer.entry_id)
        view.cursor_column = next(
            n for n, column in enumerate(view._columns) if column.spec.field == "minutes"
        )
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert view._editing is None  # no editor to type 2h into, to show 2h plus the timer
        told = [n.message for n in app._notifications if n.title == "Not editable"]
        assert told and told[-1].startswith(f"A timer is running on entry {timer.entry_id};")
        view.cursor_column = next(
            n for n, column in enumerate(view._columns) if column.spec.field == "note"
        )
        await pilot.press("enter")
        await pilot.pause()
        assert view._editing is not None  # its note is the user's to change


async def test_keys_typed_ahead_of_the_start_picker_land_where_a_user_meant_them(
    harness, clock
) -> None:
    """`t`, a service's name, `tab`, a start time and `enter`, typed faster than the picker
    shows (handed to the app as a terminal's driver hands them, none waited for): the name
    filters, `tab` moves to the start time, the time is the one typed, and none of the
    letters ran the grid's commands (`s` stops the timer)."""
    from textual import events

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.store.timer
        assert before is not None
        keys = ["t", *"support", "tab", *"20m", "space", *"ago", "enter"]
        for key in keys:
            character = {"tab": "\t", "space": " ", "enter": "\r"}.get(key, key)
            event = events.Key(key, character)
            event.set_sender(app)
            app._driver.send_message(event)
        await settle(pilot)
        timer = app.store.timer
        assert timer is not None and timer.id != before.id
        assert timer.started_at == clock.now - timedelta(minutes=20)
        assert "Support" in app.store.services[timer.service_id].name
