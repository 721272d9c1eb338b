"""The timesheet screen: the timer panel, the week's staged grid, and its keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from tui.actions import Scope, bindings
from tui.screens.base import TimesheetAppBase
from tui.store.changes import StoreChange
from tui.store.store import StagingError, Store
from tui.store.values import week_range
from tui.widgets.banner import ProblemBanner
from tui.widgets.entry_grid import EntryGrid
from tui.widgets.entry_grid.grid import STREAM_INTERVAL
from tui.widgets.key_bar import KeyBar
from tui.widgets.timer_panel import TimerPanel


class TimesheetScreen(Screen[None]):
    DEFAULT_CSS = """
    TimesheetScreen #week-bar {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    TimesheetScreen EntryGrid {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.timesheet)

    app = getters.app(TimesheetAppBase)

    def __init__(self) -> None:
        super().__init__()
        self._week_bar_due: Timer | None = None
        """Pending while a streamed page's count waits for the week bar (not per page)."""

    def compose(self) -> ComposeResult:
        store = self.app.store
        yield ProblemBanner(self.store, self.app.profile_facts)
        yield TimerPanel(store, id="timer")
        yield Static(id="week-bar")
        grid = EntryGrid(store, id="grid")
        grid.work_week, grid.today = store.settings.work_week, store.today
        yield grid
        yield KeyBar(self.store.capabilities, here="show-timesheet")

    def on_mount(self) -> None:
        self.app.store_changed.subscribe(self, self.on_store_change)
        grid = self.query_one(EntryGrid)
        # The grid read the store when it mounted, before this subscription: what changed
        # in between (the week's load may have run meanwhile) reached it through nothing.
        grid.catch_up()
        grid.focus()
        self.update_week_bar()
        self.call_after_refresh(self._start_painting_clock)

    def _start_painting_clock(self) -> None:
        """Start the screen's update timer now, under the app's first-frame batch: a
        Textual screen's first update comes a whole period (1/60 s) after its timer first
        runs, and every later one at once. Started here, that wait is spent while the
        week loads, so the frame with its rows is drawn as soon as painting begins
        (`TimesheetApp.show_first_frame`). Textual keeps the timer private: without it,
        the first frame just comes a period later."""
        timer = getattr(self, "_update_timer", None)
        if isinstance(timer, Timer):
            timer.resume()

    @property
    def store(self) -> Store:
        return self.app.store

    def on_store_change(self, change: StoreChange) -> None:
        self.query_one(EntryGrid).apply_change(change)
        if not (change.status or change.reset or change.ids):
            return
        if change.status and self.store.status.loading and not (change.reset or change.ids):
            # A page streamed in: the "loading n/total" count follows a few times a second.
            if self._week_bar_due is None:
                self._week_bar_due = self.set_timer(STREAM_INTERVAL, self.update_week_bar)
            return
        self.update_week_bar()

    def update_week_bar(self) -> None:
        due, self._week_bar_due = self._week_bar_due, None
        if due is not None:
            due.stop()
        store = self.store
        start = self.app.week_start
        status = store.status
        parts = [f"Week of {start:%a %d %b %Y}"]
        if status.loading:
            total = f"/{status.total}" if status.total else ""
            parts.append(f"loading {status.loaded}{total}…")
        if status.saving:
            parts.append(f"saving {status.save_done}/{status.save_total}…")
        if status.cached_at is not None:
            parts.append(f"cached {status.cached_at.astimezone():%H:%M}")  # local time
        if status.error:
            parts.append(status.error)
        counts = store.staging.counts()
        labels = {"create": "new", "update": "changed", "delete": "deleted"}
        staged = ", ".join(f"{n} {labels[kind.value]}" for kind, n in counts.items() if n)
        if staged:
            parts.append(f"staged: {staged}")
        if store.failures:
            parts.append(f"{len(store.failures)} failed")
        from rich.text import Text

        # One line high whatever it says: no layout needed.
        self.query_one("#week-bar", Static).update(Text("  ·  ".join(parts)), layout=False)

    # ------------------------------------------------------------------ actions

    def _stage(self, work: Callable[[], object]) -> None:
        try:
            work()
        except StagingError as error:
            self.notify(str(error), severity="error", title="Not staged")

    def action_new_entry(self) -> None:
        grid = self.query_one(EntryGrid)

        def create() -> None:
            new_id = self.store.stage_new(after=grid.cursor_id)
            grid.move_to(new_id)

        self._stage(create)

    def action_delete_entry(self) -> None:
        entry_id = self.query_one(EntryGrid).cursor_id
        if entry_id is not None:
            self._stage(lambda: self.store.stage_delete([entry_id]))

    def action_undo(self) -> None:
        def undo() -> None:
            label = self.store.undo()
            # Said either way: an undone step may be of rows not in view (another week).
            self.notify(f"Undone: {label}." if label else "Nothing to undo.", timeout=3)

        self._stage(undo)

    def action_redo(self) -> None:
        def redo() -> None:
            label = self.store.redo()
            self.notify(f"Redone: {label}." if label else "Nothing to redo.", timeout=3)

        self._stage(redo)

    def action_review_save(self) -> None:
        if self.store.staged_count == 0:
            self.notify("Nothing is staged.")
            return
        from tui.screens.save_review import SaveReview

        self.app.push_screen(SaveReview(self.store))

    def action_previous_week(self) -> None:
        self.app.shift_week(-1)
        self.update_week_bar()

    def action_next_week(self) -> None:
        self.app.shift_week(1)
        self.update_week_bar()

    def action_this_week(self) -> None:
        weeks = (week_range(self.store.today())[0] - self.app.week_start).days // 7
        if weeks:
            self.app.shift_week(weeks)
            self.update_week_bar()

    def action_start_timer(self) -> None:
        """`t`: pick a service and start a timer. The picker opens whatever the day (the
        keys typed after `t` are meant for it); it refuses a start on a day the store
        knows is submitted, where it can say so beside the start time."""
        from tui.screens.dialogs import ServicePicker

        picker = ServicePicker(self.store)

        def picked(service_id: str | None) -> None:
            if service_id:
                self.app.start_timer(service_id, started_at=picker.started_at)

        self.app.push_screen(picker, picked)

    def action_submit_week(self) -> None:
        """`W`: submit the week shown, after showing its short days."""
        self._submission(submitting=True)

    def action_unsubmit_week(self) -> None:
        self._submission(submitting=False)

    def _submission(self, *, submitting: bool) -> None:
        if not self.store.capabilities.submission:
            name = self.store.backend.name.title()
            self.notify(f"{name} has no submission of timesheets.", severity="warning")
            return
        from tui.screens.submit_week import ask

        ask(self.app, self.store, self.app.week_start, submitting=submitting)

    def action_show_details(self) -> None:
        """`i`: the cursor row's details (its full note, rejection reason, approval)."""
        entry_id = self.query_one(EntryGrid).cursor_id
        if entry_id is None:
            self.notify("No entry here: n adds one.")
            return
        from tui.screens.entry_detail import EntryDetail

        self.app.push_screen(EntryDetail(self.store, entry_id))

    @on(EntryGrid.CellEdited)
    def stage_cell(self, event: EntryGrid.CellEdited) -> None:
        grid = self.query_one(EntryGrid)
        try:
            self.store.stage_edit(event.entry_id, event.field, event.value)
        except StagingError as error:
            grid.show_edit_error(str(error))
            return
        grid.finish_edit()
