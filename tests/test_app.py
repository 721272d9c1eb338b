"""The app's user stories, driven through the real app with Textual's pilot, against the
ledger (through the real adapter), with a frozen clock and the deterministic demo data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Static

from tests import app_child
from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tests.faults import Fault, InFlight
from tui.api.base import EntryQuery
from tui.api.http import RetryPolicy
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.store.cache import Cache
from tui.store.journal import Journal
from tui.store.records import RowState
from tui.store.store import Store
from tui.store.values import week_range

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


async def test_opens_on_this_week_with_the_grid_focused(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        assert store.order and app.focused is grid(app)
        assert all(app.week_start <= store.records[i].date for i in store.order)
        assert {store.records[i].person_id for i in store.order} == {store.person_id}


async def test_the_grid_shows_the_week_when_it_loaded_before_the_screen_mounted(
    harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine the week can load between the grid's mount (it reads the store)
    and the screen's (it subscribes to the store's changes for the grid): the grid must
    still count the rows, total the days and put its cursor on a row."""
    from tui.screens.entry_detail import EntryDetail
    from tui.screens.timesheet import TimesheetScreen

    async with harness.app().run_test(size=SIZE) as pilot:  # mounted in the usual order
        await settle(pilot)
        usual = grid(pilot.app)
        expected = (usual.row_count, usual.day_totals, usual.cursor_id)
    assert expected[0] > 0 and expected[2] is not None

    mount = TimesheetScreen.on_mount

    async def mount_after_the_load(screen: TimesheetScreen) -> None:
        await screen.app.workers.wait_for_complete()
        mount(screen)

    monkeypatch.setattr(TimesheetScreen, "on_mount", mount_after_the_load)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = grid(app)
        assert (shown.row_count, shown.day_totals, shown.cursor_id) == expected
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, EntryDetail) and app.screen.entry_id == expected[2]


def record_frames(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each frame the app sends to the terminal (Textual's `_display`, which sends
    nothing while updates are held): whether the store had rows then."""
    frames: list[bool] = []
    send = TimesheetApp._display

    def recorded(app: TimesheetApp, screen, renderable) -> None:
        if renderable is not None and not app._batch_count:
            frames.append(bool(app.store.order))
        send(app, screen, renderable)

    monkeypatch.setattr(TimesheetApp, "_display", recorded)
    return frames


async def test_the_first_frame_drawn_has_the_weeks_rows(
    harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No empty screen flashes before the rows: the first frame is the week. (The wait
    made long here, so that a busy machine's slow load cannot end it first.)"""
    monkeypatch.setattr("tui.app.FIRST_FRAME_WAIT_SECONDS", 60.0)
    frames = record_frames(monkeypatch)
    async with harness.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert frames and frames[0]


async def test_the_frame_with_the_rows_is_drawn_without_waiting_a_screen_update_period(
    harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Textual screen's update timer waits a whole period (1/60 s) the first time it
    runs. The timesheet's spends that wait while the week loads (each request held 20 ms
    here, so the load outlasts it): once the rows are in and painting begins, the frame
    with them is drawn on the next update, not a period later."""
    import asyncio

    import textual.timer

    monkeypatch.setattr("tui.app.FIRST_FRAME_WAIT_SECONDS", 60.0)
    frames = record_frames(monkeypatch)
    waits_once_painting: list[float] = []  # the update timer's waits, painting begun
    painting = TimesheetApp.show_first_frame
    timer_sleep = textual.timer.sleep
    apps: list[TimesheetApp] = []

    async def recorded_sleep(seconds: float) -> None:
        task = asyncio.current_task()
        updating = task is not None and task.get_name() == "screen_update"
        if updating and apps and apps[0].first_frame_shown and not frames:
            waits_once_painting.append(seconds)
        await timer_sleep(seconds)

    def begin_painting(app: TimesheetApp) -> None:
        apps.append(app)
        painting(app)

    monkeypatch.setattr(textual.timer, "sleep", recorded_sleep)
    monkeypatch.setattr(TimesheetApp, "show_first_frame", begin_painting)
    harness.transport.inner = InFlight(harness.transport.inner, hold=0.02)
    async with harness.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert frames and frames[0]  # the first frame drawn has the rows
    assert apps and not [s for s in waits_once_painting if s > 0.005]


async def test_a_server_slow_to_answer_gets_the_screen_drawn_loading_meanwhile(
    harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first frame waits for the rows only a moment: then the screen shows itself
    as it is, loading."""
    monkeypatch.setattr("tui.app.FIRST_FRAME_WAIT_SECONDS", 0.05)
    frames = record_frames(monkeypatch)
    harness.transport.inner = InFlight(harness.transport.inner, hold=30.0)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        assert app.first_frame_shown and not app.store.order
        assert frames and not frames[0]
        assert app.store.me is None  # still asking who the user is


async def test_the_collector_is_back_on_once_the_first_frame_is_drawn(harness) -> None:
    """`timesheet` starts with the collector off (tui.__main__); the app turns it back on
    (its start-up objects frozen) once the first frame is drawn."""
    import gc

    app = harness.app()
    gc.disable()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()


async def test_settle_waits_for_the_load_a_screen_starts_when_it_mounts(harness) -> None:
    """A test that shows a screen and settles at once must see the screen's week loaded:
    the screen starts its load only when it mounts, after settle began to wait."""
    from tui.screens.approvals import ApprovalsScreen

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        harness.transport.inner = InFlight(harness.transport.inner, hold=0.3)
        app.action_show_approvals()
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        assert not [worker.name for worker in app.workers if not worker.is_finished]
        assert app.store.query is not None and app.store.query.person_ids == ()


async def test_s_stops_the_timer_and_shows_its_minutes(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        timer = app.store.timer
        assert timer is not None and timer.running
        harness.clock.advance(minutes=28)
        await pilot.press("s")
        await settle(pilot)
        assert app.store.timer is None
        minutes = harness.entry(timer.entry_id)["time"]
        assert minutes >= 28
        shown = [n.message for n in app._notifications]
        assert any(f"({minutes} min)" in message for message in shown)


async def test_three_deletions_are_reviewed_and_saved_in_one_bulk_delete(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        editable = [i for i in store.order if not store.records[i].locked]
        ids = []
        for entry_id in editable[:3]:
            grid(app).move_to(entry_id)
            await pilot.press("d")
            ids.append(entry_id)
            assert grid(app).cursor_id == entry_id  # d does not move the cursor
        assert [store.row(i).state for i in ids] == [RowState.deleted] * 3
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        deletes = harness.transport.calls("DELETE", "/api/v2/time_entries")
        assert len(deletes) == 1 and deletes[0].items == 3
        assert all(harness.entry(i) == {} for i in ids)


async def test_undo_and_redo_keys(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        entry_id = next(i for i in store.order if not store.records[i].locked)
        grid(app).move_to(entry_id)
        await pilot.press("d")
        assert store.row(entry_id).state is RowState.deleted
        await pilot.press("u")
        assert store.row(entry_id).state is RowState.clean
        await pilot.press("ctrl+y")
        assert store.row(entry_id).state is RowState.deleted
        # Each says what it did (the step may be of rows out of view), or that it had none.
        await pilot.press("u", "u")
        said = [n.message for n in app._notifications]
        undone, redone = "Undone: delete 1 row.", "Redone: delete 1 row."
        # The second "Undone" took the first one's place (the same words do not stack).
        assert said[-3:] == [redone, undone, "Nothing to undo."], said


def server_entries(harness: Harness) -> list[tuple[object, ...]]:
    with harness.db.transaction() as conn:
        return [tuple(r) for r in conn.execute("SELECT * FROM time_entries ORDER BY id")]


@pytest.mark.subprocess
async def test_staged_changes_survive_a_killed_app(harness, tmp_path: Path) -> None:
    before = server_entries(harness)
    errors = tmp_path / "child-stderr.txt"
    with errors.open("w") as stderr:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.app_child",
                str(harness.db.path),
                str(harness.journal_path),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=REPO,
            text=True,
        )
    watchdog = threading.Timer(60, child.kill)  # never hang the suite on a stuck child
    watchdog.start()
    try:
        assert child.stdout is not None
        said = child.stdout.readline().split()
        assert said[:1] == ["staged"], errors.read_text()
        os.kill(child.pid, signal.SIGKILL)  # acknowledged, not saved, and no quit
        child.wait(timeout=30)
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    edited, deleted, new = said[1:]

    store = Store(
        ProductiveAdapter.for_ledger(harness.db), Journal(harness.journal_path), clock=harness.clock
    )
    await store.open()
    owner = str(harness.db.identity.owner_person_id)
    await store.load(EntryQuery(*week_range(harness.clock().date()), person_ids=(owner,)))
    try:
        assert set(store.staging.staged) == {edited, deleted, new}
        assert store.row(edited).state is RowState.changed
        assert store.row(edited).record.note == app_child.NOTE
        assert store.row(deleted).state is RowState.deleted
        assert store.row(new).state is RowState.new and new in store.order
    finally:
        await store.aclose()
    assert server_entries(harness) == before  # staged only: the ledger never saw them


async def test_staged_changes_come_back_when_the_app_is_reopened(harness) -> None:
    first = harness.app()
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = first.store
        entry_id = next(i for i in store.order if not store.records[i].locked)
        store.stage_edit(entry_id, "note", "kept across a crash")
        grid(first).move_to(entry_id)
        await pilot.press("d")
        # No save and no quit dialog: the app just goes away.
    second = harness.app()
    async with second.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = second.store.row(entry_id)
        assert row.state is RowState.deleted and row.record.note == "kept across a crash"
        assert harness.entry(entry_id)["note"] != "kept across a crash"


async def test_quit_with_staged_changes_asks_first(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entry_id = next(i for i in app.store.order if not app.store.records[i].locked)
        grid(app).move_to(entry_id)
        await pilot.press("d")
        await pilot.press("q")
        await pilot.pause()
        from tui.screens.dialogs import ConfirmDialog

        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message == (
            "1 staged change not saved. It is kept in the journal "
            "and comes back next time. Quit now?"
        )
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog) and app.is_running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_clean_quit_leaves_only_the_state_file_and_the_staged_change_comes_back(
    harness,
) -> None:
    state = harness.journal_path
    # As the app opens it (`open_store`): the journal and the cache in one file.
    store = Store(harness.adapter(), Journal(state), clock=harness.clock, cache=Cache(state))
    app = TimesheetApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entry_id = next(i for i in store.order if not store.records[i].locked)
        grid(app).move_to(entry_id)
        await pilot.press("d")
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")  # quit with the change staged
        await pilot.pause()
    assert app.return_code == 0
    assert sorted(p.name for p in state.parent.glob(state.name + "*")) == [state.name]

    again = harness.app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.store.row(entry_id).state is RowState.deleted


async def test_server_text_is_shown_literally(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entry_id = next(i for i in app.store.order if not app.store.records[i].locked)
        with harness.db.transaction(write=True) as conn:
            conn.execute(
                "UPDATE time_entries SET note = ? WHERE id = ?",
                ("[bold red]x[/] \x1b[2J", entry_id),
            )
        app.load_week()
        await settle(pilot)
        grid(app).move_to(entry_id)
        await pilot.pause()
        view = grid(app)
        # The header is line 0 of the grid; rows follow, scrolled.
        line = view.render_line(app.store.index_of(entry_id) + 1 - view.scroll_offset.y)
        assert "[bold red]x[/] ␛[2J" in line.text
        assert "\x1b" not in "".join(segment.text for segment in line)
        assert not any(
            segment.style and segment.style.bold for segment in line if segment.text.strip() == "x"
        )


async def edit_cell(pilot, entry_id: str, column: str, text: str) -> None:
    """Move to a cell, open the editor with enter, replace its text, confirm with enter."""
    view = grid(pilot.app)
    view.move_to(entry_id)
    assert view.move_to_column(column)
    await pilot.press("enter")
    await pilot.pause()
    assert view.editing is not None and view.has_focus  # the grid keeps the focus
    view.editor.value = ""
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


async def test_edit_undo_redo_save_reaches_the_server(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        entry_id = next(i for i in store.order if not store.records[i].locked)
        before = store.records[entry_id].note
        await edit_cell(pilot, entry_id, "note", "Pairing on the API")
        assert store.row(entry_id).record.note == "Pairing on the API"
        assert grid(app).editing is None and grid(app).has_focus
        await pilot.press("u")
        assert store.row(entry_id).record.note == before
        await pilot.press("ctrl+y")
        assert store.row(entry_id).state is RowState.changed
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert harness.entry(entry_id)["note"] == "Pairing on the API"
        assert store.staged_count == 0


async def test_a_bad_value_shows_the_error_and_loses_nothing(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        first, second = [i for i in store.order if not store.records[i].locked][:2]
        await edit_cell(pilot, first, "note", "staged before")
        await edit_cell(pilot, second, "time", "25:00")
        view = grid(app)
        assert view.editing is not None  # the editor stays open on the bad value
        status = view.render_line(view.scrollable_content_region.height - 1).text
        assert "under 24 hours" in status and "under 24 hours" in (view.edit_error or "")
        await pilot.press("escape")
        await pilot.pause()
        assert store.staged_count == 1 and store.row(first).record.note == "staged before"
        assert store.row(second).state is RowState.clean


async def test_offline_the_week_bar_says_when_its_copy_was_cached_in_local_time(
    tmp_path: Path, zoned_clock: FakeClock
) -> None:
    harness = Harness(tmp_path, zoned_clock)

    def app_with_a_cache() -> TimesheetApp:  # as tui.launch builds it: one state file
        backend = ProductiveAdapter.for_ledger(
            harness.db, transport=harness.transport, retry=RetryPolicy(attempts=1)
        )
        state = harness.journal_path
        return TimesheetApp(Store(backend, Journal(state), clock=harness.clock, cache=Cache(state)))

    async with app_with_a_cache().run_test(size=SIZE) as pilot:
        await settle(pilot)  # loads this week, and caches it at 14:30 local
    harness.clock.advance(hours=2)
    harness.transport.inject(Fault.fail_before_send(), times=1000)
    app = app_with_a_cache()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = str(app.screen.query_one("#week-bar", Static).content)
        assert "Offline" in bar and app.store.order
        assert "cached 14:30" in bar  # the local time, not UTC's (00:30 or 22:30)
