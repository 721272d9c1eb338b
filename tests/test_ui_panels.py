"""The timer panel, the dialogs and the save review, driven by the Textual pilot over a
real store on the demo ledger (through the Productive adapter, in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import Input, OptionList, Static

from tests.conftest import FROZEN_NOW, FakeClock
from tui.api.base import EntryChange, EntryQuery
from tui.api.ledger import LedgerBackend
from tui.api.productive import ProductiveAdapter
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.models import Service
from tui.screens.dialogs import ConfirmDialog, ReasonDialog, ServicePicker
from tui.screens.save_review import Phase, SaveReview
from tui.store.changes import StoreChange
from tui.store.store import Store
from tui.store.values import week_range
from tui.widgets.timer_panel import TimerPanel

pytestmark = pytest.mark.anyio

TODAY = FROZEN_NOW.date()
WEEK = week_range(TODAY)


class PanelApp(App[None]):
    """The app's store bridge (as in tui/app.py) and a timer panel, nothing else."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.store_changed: Signal[StoreChange] = Signal(self, "store-changed")
        store.subscribe(self.store_changed.publish)
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield TimerPanel(self.store, id="timer")

    def ask(self, screen: Screen[Any]) -> None:
        self.push_screen(screen, self.results.append)


@pytest.fixture
def db(tmp_path: Path, clock: FakeClock) -> LedgerDB:
    ledger = LedgerDB(tmp_path / "ledger.db", clock=clock)
    populate_demo(ledger, today=TODAY)
    return ledger


@pytest.fixture
async def store(db: LedgerDB, clock: FakeClock) -> AsyncIterator[Store]:
    store = Store(LedgerBackend.open(db), clock=clock)  # closes the ledger with the store
    await store.open()
    await store.load(EntryQuery(*WEEK, person_ids=(store.person_id,)))
    yield store
    await store.aclose()


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Content) else str(content)


def editable(store: Store, count: int) -> list[str]:
    ids = [
        i
        for i in store.order
        if not store.records[i].locked and store.records[i].minutes and store.records[i].note
    ]
    assert len(ids) >= count
    return ids[:count]


def server_note(db: LedgerDB, entry_id: str) -> str | None:
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT note FROM time_entries WHERE id = ?", (int(entry_id),)
        ).fetchone()
    return None if row is None else row[0]


# ------------------------------------------------------------------------ timer panel


async def test_timer_panel_shows_the_running_timer_and_ticks(
    store: Store, clock: FakeClock
) -> None:
    app = PanelApp(store)
    async with app.run_test() as pilot:
        panel = app.query_one(TimerPanel)
        assert panel.elapsed_text == "1:12:00"  # the demo timer started 1:12 before "now"
        assert "Project management" in panel.what_text
        assert "Preparing the quarterly planning & staffing overview" in panel.what_text
        assert panel.keys_text == "s stop · S stop at" and panel.border_title == "Timer"
        assert not panel.has_class("-forgotten") and not panel.has_class("-idle")
        assert panel.ticking
        clock.advance(seconds=1)
        panel.tick()
        await pilot.pause()
        assert panel.elapsed_text == "1:12:01"


async def test_timer_panel_names_the_service_when_its_entry_is_not_loaded(store: Store) -> None:
    # Another week on screen (the approvals screen can show any): the timer's own entry is
    # not among the loaded records, yet the panel still says what it runs on.
    earlier = week_range(TODAY.replace(day=1))
    await store.load(EntryQuery(*earlier, person_ids=(store.person_id,)))
    assert store.timer is not None and store.timer.entry_id not in store.records
    app = PanelApp(store)
    async with app.run_test():
        panel = app.query_one(TimerPanel)
        assert panel.what_text.startswith("Project management (Acme Corp › Webshop relaunch) · ")
        assert "Preparing the quarterly planning & staffing overview" in panel.what_text


async def test_timer_panel_warns_of_a_forgotten_timer(store: Store, clock: FakeClock) -> None:
    app = PanelApp(store)
    async with app.run_test() as pilot:
        panel = app.query_one(TimerPanel)
        clock.advance(hours=11)
        panel.tick()
        await pilot.pause()
        assert panel.elapsed_text == "running for 12:12:00 — probably forgotten?"
        assert panel.has_class("-forgotten")


async def test_timer_panel_says_when_none_runs_and_stops_ticking(store: Store) -> None:
    app = PanelApp(store)
    async with app.run_test() as pilot:
        panel = app.query_one(TimerPanel)
        await store.stop_timer()
        await pilot.pause()
        assert panel.what_text == "No timer running · t starts one"
        assert panel.elapsed_text == "" and panel.has_class("-idle")
        assert not panel.ticking


async def test_timer_panel_shows_server_text_literally(store: Store) -> None:
    timer = store.timer
    assert timer is not None
    store.timer = timer.model_copy(update={"note": "[bold red]loud[/] \x1b[2J\nsecond line"})
    app = PanelApp(store)
    async with app.run_test():
        text = app.query_one(TimerPanel).what_text
        assert "[bold red]loud[/] ␛[2J · second line" in text


# ---------------------------------------------------------------------------- dialogs


@pytest.mark.parametrize(
    ("key", "answer"), [("y", True), ("enter", True), ("n", False), ("escape", False)]
)
async def test_confirm_dialog_keys(store: Store, key: str, answer: bool) -> None:
    app = PanelApp(store)
    async with app.run_test() as pilot:
        app.ask(ConfirmDialog("Quit with [b]3[/b] staged changes?"))
        await pilot.pause()
        assert "[b]3[/b]" in plain(app.screen.query_one("#confirm-message", Static))
        await pilot.press(key)
        await pilot.pause()
        assert app.results == [answer] and not isinstance(app.screen, ConfirmDialog)


async def test_service_picker_filters_and_picks_on_enter(store: Store) -> None:
    store.services["99"] = Service(id="99", name="[b]Loud[/b] \x1b[31m")
    app = PanelApp(store)
    async with app.run_test() as pilot:
        app.ask(ServicePicker(store))
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ServicePicker)
        assert len(picker.shown_ids) == len(store.services)
        loud = picker.query_one(OptionList).get_option("99").prompt
        assert isinstance(loud, Content) and loud.plain == "[b]Loud[/b] ␛[31m"
        await pilot.press(*"projman")
        assert picker.query_one(Input).value == "projman"
        assert picker.shown_ids[0] == "7"  # Project management
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["7"]


async def test_service_picker_moves_with_arrows_and_cancels(store: Store) -> None:
    app = PanelApp(store)
    async with app.run_test() as pilot:
        app.ask(ServicePicker(store))
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ServicePicker)
        await pilot.press(*"dev")
        shown = picker.shown_ids
        assert len(shown) >= 3  # three services are called Development
        await pilot.press("down", "down", "up")
        assert picker.query_one(OptionList).highlighted == 1
        await pilot.press("x", "y", "z", "q", "q")
        assert picker.shown_ids == [] and picker.has_class("-empty")
        await pilot.press("enter")  # nothing to pick: stays open
        assert app.screen is picker
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_reason_dialog_needs_text(store: Store) -> None:
    app = PanelApp(store)
    async with app.run_test() as pilot:
        app.ask(ReasonDialog())
        await pilot.pause()
        dialog = app.screen
        await pilot.press("space", "enter")
        assert app.screen is dialog and "needed" in plain(dialog.query_one("#reason-error", Static))
        await pilot.press(*"no ticket", "enter")
        await pilot.pause()
        app.ask(ReasonDialog())
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
        assert app.results == ["no ticket", None]


# ------------------------------------------------------------------------ save review


async def open_review(app: PanelApp, pilot: Any) -> SaveReview:
    app.ask(SaveReview(app.store))
    await pilot.pause()
    assert isinstance(app.screen, SaveReview)
    return app.screen


async def test_save_review_lists_the_diff_and_saves_it(store: Store, db: LedgerDB) -> None:
    edited, deleted = editable(store, 2)
    old_note = store.records[edited].note
    store.stage_edit(edited, "note", "new [b]note[/b]")
    store.stage_delete([deleted])
    app = PanelApp(store)
    async with app.run_test() as pilot:
        review = await open_review(app, pilot)
        assert review.title_text == "Save 2 changes: 1 changed, 1 deleted"
        diff = review.diff_text.splitlines()
        assert f"    note: {old_note} → new [b]note[/b]" in diff
        assert f"- {review.row_text(store.records[deleted])}" in diff
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert review.phase is Phase.done and review.summary_text == "Saved 2."
        assert server_note(db, edited) == "new [b]note[/b]" and server_note(db, deleted) is None
        assert store.staged_count == 0
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_save_review_reports_failures_with_their_reason(store: Store) -> None:
    edited = editable(store, 1)[0]
    store.stage_edit(edited, "minutes", 75)
    service = next(iter(store.services))
    store.stage_new({"minutes": 30, "service_id": service, "note": "x" * 10_001})
    app = PanelApp(store)
    async with app.run_test() as pilot:
        review = await open_review(app, pilot)
        assert review.title_text == "Save 2 changes: 1 new, 1 changed"
        assert "+ " in review.diff_text and "minutes: " in review.diff_text
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = review.summary_text.splitlines()
        assert lines[0] == "Saved 1, failed 1:"
        assert lines[1].endswith(" — note is longer than 10000 characters.")
        assert store.staged_count == 1  # the failed row stays staged


async def test_escape_does_not_cancel_a_running_save(store: Store, db: LedgerDB) -> None:
    edited = editable(store, 1)[0]
    store.stage_edit(edited, "note", "saved anyway")
    release = asyncio.Event()
    real_save = store.save

    async def slow_save(progress: Any = None) -> Any:
        await release.wait()
        return await real_save(progress)

    store.save = slow_save  # type: ignore[method-assign]
    app = PanelApp(store)
    async with app.run_test() as pilot:
        review = await open_review(app, pilot)
        await pilot.press("y")
        await pilot.pause()
        assert review.phase is Phase.saving and review.has_class("-saving")
        await pilot.press("escape", "n")
        await pilot.pause()
        assert app.screen is review and app.results == []
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert review.summary_text == "Saved 1." and server_note(db, edited) == "saved anyway"


async def test_save_review_conflicts_keep_mine_or_theirs(
    store: Store, db: LedgerDB, clock: FakeClock
) -> None:
    first, second, third = editable(store, 3)
    for entry_id in (first, second, third):
        store.stage_edit(entry_id, "note", f"mine {entry_id}")
    clock.advance(seconds=5)
    async with ProductiveAdapter.for_ledger(db) as other:
        await other.update_entries(
            [EntryChange(i, {"note": f"theirs {i}"}) for i in (first, second, third)]
        )
    app = PanelApp(store)
    async with app.run_test() as pilot:
        review = await open_review(app, pilot)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert review.summary_text.startswith("Saved 0.\n3 conflicts")
        conflicts = review.query_one("#review-conflicts", OptionList)
        prompt = conflicts.get_option(first).prompt
        assert isinstance(prompt, Content)
        assert f"note: mine mine {first} · theirs theirs {first}" in prompt.plain
        assert "m keep mine" in review.keys_text
        await pilot.press("m")  # the conflict under the cursor: the first
        assert first not in store.conflicts and store.staging.get(first) is not None
        assert conflicts.highlighted == 1
        await pilot.press("T")  # all the others: theirs
        assert not store.conflicts and store.staged_count == 1
        assert store.row(second).record.note == f"theirs {second}"
        assert "kept mine" in conflicts.get_option(first).prompt.plain  # type: ignore[union-attr]
        assert review.keys_text == "esc close"
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
        assert server_note(db, first) == f"theirs {first}"  # mine is staged, not yet saved
