"""The timesheet screen: the timer panel, the week's staged grid, and its keys."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.store.changes import StoreChange
from tui.store.store import StagingError
from tui.widgets.entry_grid import EntryGrid
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

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_entry", "New", id="new-entry", tooltip="Stage a new entry."),
        Binding(
            "d",
            "delete_entry",
            "Delete",
            id="delete-entry",
            tooltip="Stage deletion of the entry under the cursor.",
        ),
        Binding("u", "undo", "Undo", id="undo", tooltip="Undo the last staged change."),
        Binding("ctrl+y", "redo", "Redo", id="redo", tooltip="Redo what undo reverted."),
        Binding(
            "ctrl+s",
            "review_save",
            "Save",
            id="save",
            tooltip="Review the staged changes and save them in bulk.",
        ),
        Binding(
            "left_square_bracket",
            "previous_week",
            "Prev week",
            id="previous-week",
            tooltip="Show the previous week.",
        ),
        Binding(
            "right_square_bracket",
            "next_week",
            "Next week",
            id="next-week",
            tooltip="Show the next week.",
        ),
        Binding(
            "t",
            "start_timer",
            "Start timer",
            id="start-timer",
            tooltip="Start a timer on a service.",
        ),
    ]

    def compose(self) -> ComposeResult:
        store = self.app.store  # type: ignore[attr-defined]
        yield TimerPanel(store, id="timer")
        yield Static(id="week-bar")
        yield EntryGrid(store, id="grid")
        yield Footer()

    def on_mount(self) -> None:
        self.app.store_changed.subscribe(self, self.on_store_change)  # type: ignore[attr-defined]
        self.query_one(EntryGrid).focus()
        self.update_week_bar()

    @property
    def store(self):
        return self.app.store  # type: ignore[attr-defined]

    def on_store_change(self, change: StoreChange) -> None:
        self.query_one(EntryGrid).apply_change(change)
        if change.status or change.reset or change.ids:
            self.update_week_bar()

    def update_week_bar(self) -> None:
        store = self.store
        start = self.app.week_start  # type: ignore[attr-defined]
        status = store.status
        parts = [f"Week of {start:%a %d %b %Y}"]
        if status.loading:
            total = f"/{status.total}" if status.total else ""
            parts.append(f"loading {status.loaded}{total}…")
        if status.saving:
            parts.append(f"saving {status.save_done}/{status.save_total}…")
        if status.cached_at is not None:
            parts.append(f"cached {status.cached_at:%H:%M}")
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

        self.query_one("#week-bar", Static).update(Text("  ·  ".join(parts)))

    # ------------------------------------------------------------------ actions

    def _stage(self, work: object) -> None:
        try:
            work()  # type: ignore[operator]
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
        self._stage(lambda: self.store.undo() or self.notify("Nothing to undo."))

    def action_redo(self) -> None:
        self._stage(lambda: self.store.redo() or self.notify("Nothing to redo."))

    def action_review_save(self) -> None:
        if self.store.staged_count == 0:
            self.notify("Nothing is staged.")
            return
        from tui.screens.save_review import SaveReview

        self.app.push_screen(SaveReview(self.store))

    def action_previous_week(self) -> None:
        self.app.shift_week(-1)  # type: ignore[attr-defined]
        self.update_week_bar()

    def action_next_week(self) -> None:
        self.app.shift_week(1)  # type: ignore[attr-defined]
        self.update_week_bar()

    def action_start_timer(self) -> None:
        from tui.screens.dialogs import ServicePicker

        def picked(service_id: str | None) -> None:
            if service_id:
                self.app.start_timer(service_id)  # type: ignore[attr-defined]

        self.app.push_screen(ServicePicker(self.store), picked)

    @on(EntryGrid.CellEdited)
    def stage_cell(self, event: EntryGrid.CellEdited) -> None:
        grid = self.query_one(EntryGrid)
        try:
            self.store.stage_edit(event.entry_id, event.field, event.value)
        except StagingError as error:
            grid.show_edit_error(str(error))
            return
        grid.finish_edit()
