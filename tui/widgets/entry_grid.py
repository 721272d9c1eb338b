"""The week's entries as a spreadsheet-like grid, drawn with Textual's Line API.

Only the visible rows are drawn (`render_line` asks the store for one row at a time), so a
keypress costs the same with 100k rows as with 100. What is O(rows) is done once per load:
column widths (capped) and the per-day totals; after that a change touches only the rows it
names. The grid never sorts: the store owns the order, the grid follows it by entry id.

Text from the server is literal: cells are plain `Segment`s of `printable(...)` text, never
markup, so a note like ``[bold red]x[/] \\x1b[2J`` shows exactly as typed (with ``␛``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from tui.actions import Scope, bindings
from tui.store.conflicts import conflict_message
from tui.store.present import person_name, service_name, task_title
from tui.store.records import EntryRecord, RowState
from tui.store.values import format_minutes, printable, week_start

MARKERS: Mapping[RowState, str] = {
    RowState.clean: " ",
    RowState.new: "+",
    RowState.changed: "~",
    RowState.deleted: "-",
    RowState.saving: "⟳",
    RowState.failed: "!",
    RowState.conflict: "≠",
    RowState.unconfirmed: "?",
}

NEWLINE = " ⏎ "
GAP = 1
"""Blank cells between columns."""
HEADER_LINES = 1
FOOTER_LINES = 2
"""The totals line and the status line."""
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    cap: int
    """Widest the column may grow."""
    minimum: int
    field: str | None
    """The store field an edit of this column sets (None: not editable)."""
    align: str = "left"


COLUMN_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("date", "Date", 6, 6, "date"),
    ColumnSpec("person", "Person", 20, 6, None),
    ColumnSpec("service", "Service", 24, 7, "service_id"),
    ColumnSpec("task", "Task", 24, 4, "task_id"),
    ColumnSpec("note", "Note", 40, 4, "note"),
    ColumnSpec("time", "Time", 6, 5, "minutes", "right"),
    ColumnSpec("status", "Status", 9, 9, None),
)
SPECS = {spec.key: spec for spec in COLUMN_SPECS}


@dataclass(frozen=True)
class Column:
    """A shown column: its spec, width and x (in cells, from the grid's left edge)."""

    spec: ColumnSpec
    x: int
    width: int

    @property
    def key(self) -> str:
        return self.spec.key


class _Frame(NamedTuple):
    """Styles resolved once per frame (not per line)."""

    base: Style
    header: Style
    totals: Style
    status: Style
    status_error: Style
    cursor: Style
    cursor_row: Style
    states: dict[RowState, Style]


def note_text(note: str) -> str:
    """A note on one line, every control character made visible."""
    if "\n" in note or "\r" in note:
        note = note.replace("\r\n", "\n").replace("\r", "\n").replace("\n", NEWLINE)
    return printable(note)


def fit(text: str, width: int, align: str = "left") -> str:
    """`text` in exactly `width` cells: truncated with an ellipsis, or padded."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    if length < width:
        pad = " " * (width - length)
        return pad + text if align == "right" else text + pad
    return text


class EntryGrid(ScrollView, can_focus=True):
    """The staged entries of the loaded range; `apply_change` keeps it in step with the
    store. Host screens handle `CellEdited` and answer with `show_edit_error` or
    `finish_edit`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-grid--header",
        "entry-grid--cursor",
        "entry-grid--cursor-row",
        "entry-grid--new",
        "entry-grid--changed",
        "entry-grid--deleted",
        "entry-grid--saving",
        "entry-grid--failed",
        "entry-grid--conflict",
        "entry-grid--unconfirmed",
        "entry-grid--totals",
        "entry-grid--status",
        "entry-grid--status-error",
    }

    DEFAULT_CSS = """
    EntryGrid {
        background: $surface;
        color: $foreground;
        & > .entry-grid--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .entry-grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .entry-grid--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .entry-grid--cursor-row {
            background: $block-hover-background;
        }
        & > .entry-grid--new { color: $success; }
        & > .entry-grid--changed { color: $warning; }
        & > .entry-grid--deleted { color: $text-muted; text-style: dim strike; }
        & > .entry-grid--saving { color: $text-muted; text-style: italic; }
        & > .entry-grid--failed { color: $error; }
        & > .entry-grid--conflict { color: $error; text-style: bold; }
        & > .entry-grid--unconfirmed { color: $warning; text-style: italic; }
        & > .entry-grid--totals {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .entry-grid--status { color: $text-muted; }
        & > .entry-grid--status-error { color: $error; text-style: bold; }
        & > #entry-grid-editor {
            dock: top;
            height: 1;
            border: none;
            padding: 0;
            background: $boost;
        }
        & > #entry-grid-error {
            dock: top;
            height: 1;
            width: auto;
            max-width: 100%;
            padding: 0 1;
            background: $error;
            color: $text;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.entry_grid)

    cursor_row: reactive[int] = reactive(0, repaint=False, init=False)
    """Index of the cursor's row in the store's order."""
    cursor_column: reactive[int] = reactive(0, repaint=False, init=False)
    """Index of the cursor's column among `columns` (the state marker is not one)."""

    class CellEdited(Message):
        """The user typed a value into a cell; the host stages it (or refuses)."""

        def __init__(self, grid: EntryGrid, entry_id: str, field: str, value: Any) -> None:
            super().__init__()
            self.grid = grid
            self.entry_id = entry_id
            self.field = field
            """One of `date`, `minutes`, `note`, `service_id`, `task_id`."""
            self.value = value
            """Typed text for date/minutes/note (the store parses it); an id (or None
            to clear a task) for service_id/task_id."""

        @property
        def control(self) -> EntryGrid:
            return self.grid

        def __repr__(self) -> str:
            return (
                f"CellEdited(entry_id={self.entry_id!r}, field={self.field!r}, "
                f"value={self.value!r})"
            )

    def __init__(
        self,
        store: Any,
        *,
        id: str | None = None,
        name: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, name=name, classes=classes)
        self.store = store
        self._cursor_id: str | None = None
        self._rows = 0
        self._widths: dict[str, int] = {spec.key: spec.minimum for spec in COLUMN_SPECS}
        self._columns: tuple[Column, ...] = ()
        self._total_width = 0
        # Distinct ids of the rows measured (None is added in the hot loop, dropped after).
        self._people: set[str | None] = set()
        self._services: set[str | None] = set()
        self._tasks: set[str | None] = set()
        self._day_minutes: dict[date, int] = {}
        self._counted: dict[str, tuple[date, int]] = {}
        """Each row's contribution to the totals (only rows that add minutes)."""
        self._totals_text: tuple[int, str] | None = None
        """(width, text) of the totals line, until the totals change."""
        self._wanted: str | None = None
        """An entry the cursor was on before its row went; the cursor returns to it
        when it comes back (e.g. reloading the week), unless the user moved."""
        self._fingerprint: tuple[int, int] = (-1, 0)
        """(count, sum of id hashes) of the rows measured: a reset that only reorders
        them need not measure again."""
        self._frame: _Frame | None = None
        self._editing: tuple[str, str, str, Any] | None = None
        """(entry id, field, prefilled text, the value that text stands for)."""
        self._build_columns()

    # ------------------------------------------------------------------ compose

    @property
    def is_container(self) -> bool:
        # The one-line editor and its error label are docked children.
        return True

    def compose(self) -> ComposeResult:
        editor = Input(id="entry-grid-editor", compact=True, select_on_focus=False)
        editor.display = False
        error = Static("", id="entry-grid-error", markup=False)
        error.display = False
        yield editor
        yield error

    def on_mount(self) -> None:
        self.reload()

    @property
    def _editor(self) -> Input:
        return self.query_one("#entry-grid-editor", Input)

    @property
    def _error(self) -> Static:
        return self.query_one("#entry-grid-error", Static)

    # ------------------------------------------------------------------- public

    @property
    def columns(self) -> tuple[Column, ...]:
        """The shown columns (the person column only when the rows have several people)."""
        return self._columns

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self._columns)

    @property
    def row_count(self) -> int:
        return self._rows

    @property
    def cursor_id(self) -> str | None:
        """The entry id under the cursor, or None when there are no rows."""
        return self._cursor_id if self.store.order else None

    @property
    def editing(self) -> tuple[str, str] | None:
        """(entry id, field) of the open editor, or None."""
        return self._editing[:2] if self._editing else None

    @property
    def day_totals(self) -> dict[date, int]:
        """Minutes per day of the rows not staged for deletion."""
        return dict(self._day_minutes)

    def move_to(self, entry_id: str) -> bool:
        """Put the cursor on `entry_id` (scrolling to it); False if it is not shown."""
        index = self.store.index_of(entry_id)
        if index is None:
            return False
        self._wanted = None
        self._cursor_id = entry_id
        if self.cursor_row == index:
            self._cursor_moved(index, index)
        else:
            self.cursor_row = index
        return True

    def move_to_column(self, key: str) -> bool:
        """Put the cursor on the column `key` (e.g. "note"); False if it is not shown."""
        keys = self.column_keys
        if key not in keys:
            return False
        self.cursor_column = keys.index(key)
        return True

    def reload(self) -> None:
        """Re-read everything: widths, totals, row count (O(rows), once)."""
        self._reload(force=True)

    def _reload(self, *, force: bool) -> None:
        order = self.store.order
        fingerprint = (len(order), sum(map(hash, order)))
        if not force and fingerprint == self._fingerprint:
            # The rows already measured, in a new order (the end of a streamed load):
            # widths and totals do not depend on the order.
            self._refind_cursor(fallback=0)
            self._place_editor()
            self.refresh()
            return
        self._fingerprint = fingerprint
        self._cancel_edit(refocus=False)
        self._rows = len(order)
        self._widths = {spec.key: spec.minimum for spec in COLUMN_SPECS}
        self._people, self._services, self._tasks = set(), set(), set()
        self._day_minutes, self._counted = {}, {}
        self._measure(order, full=True)
        self._build_columns()
        self._totals_text = None
        self._sync_size()
        self._refind_cursor(fallback=0)
        self.refresh()

    def apply_change(self, change: Any) -> None:
        """Follow one `StoreChange`: redraw only what it names."""
        if change.reset:
            self._reload(force=False)
            return
        order = self.store.order
        relayout = False
        count, total = self._fingerprint
        if change.removed:
            for entry_id in change.removed:
                self._uncount(entry_id)
            count, total = count - len(change.removed), total - sum(map(hash, change.removed))
            if self._editing and self._editing[0] in change.removed:
                self._cancel_edit()
        if change.added:
            relayout = self._measure(change.added)
            count, total = count + len(change.added), total + sum(map(hash, change.added))
        self._fingerprint = (count, total)
        if change.added or change.removed:
            self._rows = len(order)
            self._sync_size()
            if self._wanted is not None and self._wanted in change.added:
                self._cursor_id, self._wanted = self._wanted, None
            self._refind_cursor(fallback=self.cursor_row)
            self.refresh()
        if change.ids:
            index_of = self.store.index_of
            ids = [i for i in change.ids if index_of(i) is not None]
            fields = set(change.fields)
            touched = fields & {"note", "service_id", "task_id", "person_id"}
            if touched or not fields:
                relayout = self._measure(ids, totals=False) or relayout
            if fields & {"minutes", "date", "state"} or not fields:
                for entry_id in change.ids:
                    self._recount(entry_id)
            if not (change.added or change.removed):
                self._refresh_ids(change.ids)
            if self._cursor_id in change.ids:
                self._refresh_status()
        if change.lookups and not change.reset:
            relayout = self._remeasure_names() or relayout
            self.refresh()
        if relayout:
            self._build_columns()
            self._sync_size()
            self._place_editor()
            self.refresh()

    def show_edit_error(self, message: str) -> None:
        """Keep the editor open and show why its value was refused."""
        if self._editing is None:
            self.notify(message, severity="error", title="Not staged")
            return
        error = self._error
        error.update(Text(printable(message)))
        error.display = True
        self._place_editor()
        self._editor.focus()

    def finish_edit(self) -> None:
        """Close the editor (its value was staged) and focus the grid."""
        self._cancel_edit()

    # ------------------------------------------------------------- measuring

    def _rows_for(self, ids: Iterable[str]) -> Iterable[tuple[str, EntryRecord, bool]]:
        """(id, shown record, deleted) of each id; server rows without staged changes are
        read straight from the store's records (the common case at load)."""
        store = self.store
        records = getattr(store, "records", None)
        staging = getattr(store, "staging", None)
        staged = getattr(staging, "staged", None)
        row = store.row
        if records is None or staged is None:
            for entry_id in ids:
                shown = row(entry_id)
                yield entry_id, shown.record, shown.state is RowState.deleted
            return
        get_record = records.get
        for entry_id in ids:
            record = get_record(entry_id) if entry_id not in staged else None
            if record is None:
                shown = row(entry_id)
                yield entry_id, shown.record, shown.state is RowState.deleted
            else:
                yield entry_id, record, False

    def _measure(self, ids: Iterable[str], *, full: bool = False, totals: bool = True) -> bool:
        """Widen columns for these rows (and count them in the totals); True when a
        column got wider or the person column appeared."""
        widths = self._widths
        note_cap = SPECS["note"].cap
        note_width = widths["note"]
        people, services, tasks = self._people, self._services, self._tasks
        before = (len(people) > 1, len(services), len(tasks))
        counted, days = self._counted, self._day_minutes
        add_person, add_service, add_task = people.add, services.add, tasks.add
        uncount = self._uncount
        for entry_id, record, deleted in self._rows_for(ids):
            add_person(record.person_id)
            add_service(record.service_id)
            add_task(record.task_id)
            note = record.note
            if note_width < note_cap and len(note) * 3 > note_width:
                # Plain ASCII is one cell a character; anything else is measured as shown.
                width = (
                    len(note)
                    if note.isascii() and note.isprintable()
                    else cell_len(note_text(note))
                )
                if width > note_width:
                    note_width = min(width, note_cap)
            if totals:
                if not full:
                    uncount(entry_id)
                minutes = record.minutes
                if minutes and not deleted:
                    day = record.date
                    counted[entry_id] = (day, minutes)
                    days[day] = days.get(day, 0) + minutes
        if totals:
            self._totals_text = None
        for seen in (people, services, tasks):
            seen.discard(None)
        changed = note_width != widths["note"]
        widths["note"] = note_width
        if full or before != (len(people) > 1, len(services), len(tasks)):
            changed = self._remeasure_names() or changed
        return changed

    def _remeasure_names(self) -> bool:
        """Widths of the name columns from the distinct ids seen (a few hundred at most)."""
        changed = False
        for key, ids, name in (
            ("person", self._people, self._person_name),
            ("service", self._services, self._service_name),
            ("task", self._tasks, self._task_name),
        ):
            spec = SPECS[key]
            width = max((cell_len(name(i)) for i in ids), default=0)
            width = min(spec.cap, max(spec.minimum, width, self._widths[key]))
            if width != self._widths[key]:
                self._widths[key] = width
                changed = True
        shown = "person" in self.column_keys
        return changed or shown != (len(self._people) > 1)

    def _uncount(self, entry_id: str) -> None:
        old = self._counted.pop(entry_id, None)
        if old is not None:
            day, minutes = old
            left = self._day_minutes.get(day, 0) - minutes
            if left:
                self._day_minutes[day] = left
            else:
                self._day_minutes.pop(day, None)
            self._totals_text = None

    def _recount(self, entry_id: str) -> None:
        before = self._counted.get(entry_id)
        self._uncount(entry_id)
        if self.store.index_of(entry_id) is not None:
            row = self.store.row(entry_id)
            record = row.record
            if record.minutes and row.state is not RowState.deleted:
                self._counted[entry_id] = (record.date, record.minutes)
                days = self._day_minutes
                days[record.date] = days.get(record.date, 0) + record.minutes
        if self._counted.get(entry_id) != before:
            self._totals_text = None
            self._refresh_footer()

    def _build_columns(self) -> None:
        columns = []
        x = 1 + GAP  # the state marker
        for spec in COLUMN_SPECS:
            if spec.key == "person" and len(self._people) <= 1:
                continue
            width = self._widths[spec.key]
            columns.append(Column(spec, x, width))
            x += width + GAP
        old_keys = self.column_keys
        old_key = old_keys[self.cursor_column] if 0 <= self.cursor_column < len(old_keys) else None
        self._columns = tuple(columns)
        self._total_width = x
        if old_key is not None and old_key in self.column_keys:
            self.set_reactive(EntryGrid.cursor_column, self.column_keys.index(old_key))
        else:
            self.set_reactive(EntryGrid.cursor_column, min(self.cursor_column, len(columns) - 1))

    def _sync_size(self) -> None:
        self.virtual_size = Size(self._total_width, self._rows + HEADER_LINES + FOOTER_LINES)

    # ---------------------------------------------------------------- cursor

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self.store.order) - 1))

    def validate_cursor_column(self, value: int) -> int:
        return max(0, min(value, len(self._columns) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._cursor_moved(old, new)

    def watch_cursor_column(self, old: int, new: int) -> None:
        self.refresh_line(self.cursor_row + HEADER_LINES)
        self._scroll_cursor_into_view()

    def _cursor_moved(self, old: int, new: int) -> None:
        order = self.store.order
        self._cursor_id = order[new] if 0 <= new < len(order) else None
        self.refresh_line(old + HEADER_LINES)
        self.refresh_line(new + HEADER_LINES)
        self._refresh_status()
        self._scroll_cursor_into_view()

    def _refind_cursor(self, *, fallback: int) -> None:
        """After the order changed: the cursor follows its entry id (O(1) when it did not
        move; otherwise one lookup in the store's index)."""
        order = self.store.order
        row = self.cursor_row
        if (
            self._wanted is not None
            and self._wanted != self._cursor_id
            and self.store.index_of(self._wanted) is not None
        ):
            self._cursor_id, self._wanted = self._wanted, None
        if self._cursor_id is not None and 0 <= row < len(order) and order[row] == self._cursor_id:
            return
        index = self.store.index_of(self._cursor_id) if self._cursor_id is not None else None
        if index is None and self._wanted is None:
            # Its row went (a reload, a removal): go back to it if it comes again.
            self._wanted = self._cursor_id
        target = index if index is not None else max(0, min(fallback, len(order) - 1))
        if target == row:
            self._cursor_moved(row, row)
        else:
            self.cursor_row = target

    def _scroll_cursor_into_view(self) -> None:
        if not self._columns or not self.is_mounted:
            return
        column = self._columns[self.cursor_column]
        region = Region(column.x, self.cursor_row + HEADER_LINES, column.width, 1)
        self.scroll_to_region(
            region,
            spacing=Spacing(HEADER_LINES, 0, FOOTER_LINES, 0),
            animate=False,
            force=True,
            immediate=True,
        )

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER_LINES - FOOTER_LINES)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_edit":
            return self._editing is not None
        if action in {
            "cursor_up",
            "cursor_down",
            "cursor_left",
            "cursor_right",
            "first_row",
            "last_row",
            "page_up",
            "page_down",
            "edit_cell",
        }:
            return self._editing is None
        return True

    def action_cursor_up(self) -> None:
        self._wanted = None
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self._wanted = None
        self.cursor_row += 1

    def action_cursor_left(self) -> None:
        self.cursor_column -= 1

    def action_cursor_right(self) -> None:
        self.cursor_column += 1

    def action_first_row(self) -> None:
        self._wanted = None
        self.cursor_row = 0

    def action_last_row(self) -> None:
        self._wanted = None
        self.cursor_row = len(self.store.order) - 1

    def action_page_up(self) -> None:
        self._wanted = None
        self.cursor_row -= self._page

    def action_page_down(self) -> None:
        self._wanted = None
        self.cursor_row += self._page

    def on_click(self, event: events.Click) -> None:
        if self._editing is not None:
            self._editor.focus()
            return
        y = event.y
        height = self.scrollable_content_region.height
        if y < HEADER_LINES or y >= height - FOOTER_LINES:
            return
        index = y - HEADER_LINES + self.scroll_offset.y
        if index < len(self.store.order):
            self._wanted = None
            self.cursor_row = index
        x = event.x + self.scroll_offset.x
        for number, column in enumerate(self._columns):
            if column.x <= x < column.x + column.width + GAP:
                self.cursor_column = number
                break

    # ----------------------------------------------------------------- editing

    def action_edit_cell(self) -> None:
        entry_id = self._cursor_id
        if entry_id is None or not self._columns:
            return
        column = self._columns[self.cursor_column]
        field = column.spec.field
        if field is None:
            self.app.bell()
            return
        record = self.store.row(entry_id).record
        text, value = self._edit_text(field, record)
        self._editing = (entry_id, field, text, value)
        editor = self._editor
        editor.value = text
        editor.cursor_position = len(text)
        editor.display = True
        self._error.display = False
        self._place_editor()
        editor.focus()

    def action_cancel_edit(self) -> None:
        self._cancel_edit()

    def _cancel_edit(self, *, refocus: bool = True) -> None:
        if self._editing is None:
            return
        self._editing = None
        if not self.is_mounted:
            return
        self._editor.display = False
        self._error.display = False
        if refocus:
            self.focus()

    def _edit_text(self, field: str, record: EntryRecord) -> tuple[str, Any]:
        """What the editor starts with, and the value that text stands for."""
        if field == "date":
            return record.date.isoformat() if record.date != date.min else "", record.date
        if field == "minutes":
            return format_minutes(record.minutes), record.minutes
        if field == "note":
            return note_text(record.note), record.note
        if field == "service_id":
            return self._service_name(record.service_id), record.service_id
        return self._task_name(record.task_id), record.task_id

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._editing is None:
            return
        entry_id, field, prefilled, original = self._editing
        typed = event.value
        value: Any
        if typed == prefilled:
            # Unchanged: the value as it is (a note keeps its control characters).
            value = original if field in ("note", "service_id", "task_id") else typed
        elif field == "service_id":
            value, problem = self._resolve(typed, "service", self._service_choices())
            if problem:
                self.show_edit_error(problem)
                return
        elif field == "task_id":
            if not typed.strip():
                value = None
            else:
                row = self.store.row(entry_id)
                value, problem = self._resolve(
                    typed, "task", self._task_choices(row.record.service_id)
                )
                if problem:
                    self.show_edit_error(problem)
                    return
        else:
            value = typed
        self.post_message(self.CellEdited(self, entry_id, field, value))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._editing is not None and self._error.display:
            self._error.display = False

    def on_input_blurred(self, event: Input.Blurred) -> None:
        event.stop()

    def _service_choices(self) -> dict[str, str]:
        return {service_id: service.name for service_id, service in self.store.services.items()}

    def _task_choices(self, service_id: str | None) -> dict[str, str]:
        tasks = self.store.tasks
        mine = {
            i: t.title
            for i, t in tasks.items()
            if service_id is not None and getattr(t, "service_id", None) == service_id
        }
        return mine or {i: t.title for i, t in tasks.items()}

    @staticmethod
    def _resolve(typed: str, kind: str, choices: Mapping[str, str]) -> tuple[Any, str | None]:
        """An id from a typed name: exact (any case), else a unique prefix, else the id."""
        text = " ".join(typed.split()).casefold()
        if not text:
            return None, f"Type a {kind} name; an entry needs a {kind}."
        exact = [i for i, name in choices.items() if name.casefold() == text]
        if len(exact) == 1:
            return exact[0], None
        prefix = exact or [i for i, name in choices.items() if name.casefold().startswith(text)]
        if len(prefix) == 1:
            return prefix[0], None
        if typed.strip() in choices:
            return typed.strip(), None
        shown = printable(typed.strip())
        if not prefix:
            return None, f"No {kind} is called {shown!r}; type the start of a {kind}'s name."
        names = sorted(choices[i] for i in prefix)
        listed = ", ".join(printable(n) for n in names[:3]) + (", …" if len(names) > 3 else "")
        return None, (f"{shown!r} matches {len(prefix)} {kind}s ({listed}); type more of the name.")

    def _place_editor(self) -> None:
        """The editor exactly over the cursor's cell; the error label under it."""
        if self._editing is None or not self.is_mounted:
            return
        field = self._editing[1]
        column = next((c for c in self._columns if c.spec.field == field), None)
        index = self.store.index_of(self._editing[0])
        if column is None or index is None:
            return
        scroll_x, scroll_y = self.scroll_offset
        view_width = max(1, self.scrollable_content_region.width)
        width = min(max(column.width, 8), view_width)
        x = max(0, min(column.x - scroll_x, view_width - width))
        y = index + HEADER_LINES - scroll_y
        editor = self._editor
        editor.styles.width = width
        editor.styles.offset = (x, y)
        error = self._error
        if error.display:
            error.styles.offset = (x, y + 1)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        self._place_editor()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._place_editor()

    # -------------------------------------------------------------- rendering

    def _refresh_ids(self, ids: Iterable[str]) -> None:
        """Redraw the visible lines of these ids (no work for ids off screen)."""
        top = self.scroll_offset.y
        bottom = top + self.scrollable_content_region.height
        index_of = self.store.index_of
        for entry_id in ids:
            index = index_of(entry_id)
            if index is not None and top <= index < bottom:
                self.refresh_line(index + HEADER_LINES)

    def _refresh_footer(self) -> None:
        height = self.scrollable_content_region.height
        self.refresh(Region(0, max(0, height - FOOTER_LINES), self.size.width, FOOTER_LINES))

    def _refresh_status(self) -> None:
        height = self.scrollable_content_region.height
        self.refresh(Region(0, max(0, height - 1), self.size.width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._frame = None

    def _resolve_styles(self) -> _Frame:
        get = self.get_component_rich_style

        def overlay(name: str) -> Style:
            """A component's colour (blended, as a full style has it) and text style,
            without its background: for drawing over the row's background."""
            full = get(name)
            return get(name, partial=True) + Style.from_color(full.color)

        base = self.rich_style
        states = {RowState.clean: base}
        for state in RowState:
            if state is not RowState.clean:
                states[state] = base + overlay(f"entry-grid--{state.value}")
        cursor_row = get("entry-grid--cursor-row")
        return _Frame(
            base=base,
            header=base + get("entry-grid--header"),
            totals=base + get("entry-grid--totals"),
            status=base + overlay("entry-grid--status"),
            status_error=base + overlay("entry-grid--status-error"),
            cursor=base + get("entry-grid--cursor"),
            cursor_row=Style.from_color(bgcolor=cursor_row.bgcolor),
            states=states,
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = self._resolve_styles()  # once per frame, not per line
        order = self.store.order
        row = self.cursor_row
        if self._cursor_id is not None and not (
            0 <= row < len(order) and order[row] == self._cursor_id
        ):
            # The order moved under the cursor without a change naming it.
            index = self.store.index_of(self._cursor_id)
            if index is not None:
                self.set_reactive(EntryGrid.cursor_row, index)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        frame = self._frame or self._resolve_styles()
        width = self.size.width
        height = self.scrollable_content_region.height or self.size.height
        scroll_x, scroll_y = self.scroll_offset
        if y < HEADER_LINES:
            return self._header_strip(frame).crop_extend(scroll_x, scroll_x + width, frame.header)
        footer = height >= HEADER_LINES + FOOTER_LINES + 1
        if footer and y == height - 2:
            text = fit(self._totals(width), width)
            return Strip([Segment(text, frame.totals)], width)
        if footer and y == height - 1:
            message, is_error = self._status_message()
            return Strip(
                [Segment(fit(message, width), frame.status_error if is_error else frame.status)],
                width,
            )
        index = y - HEADER_LINES + scroll_y
        order = self.store.order
        if not 0 <= index < len(order):
            return Strip.blank(width, frame.base)
        strip = self._row_strip(order[index], index == self.cursor_row, frame)
        return strip.crop_extend(scroll_x, scroll_x + width, frame.base)

    def _header_strip(self, frame: _Frame) -> Strip:
        style = frame.header
        segments = [Segment(" " * (1 + GAP), style)]
        for column in self._columns:
            spec = column.spec
            segments.append(Segment(fit(spec.label, column.width, spec.align) + " " * GAP, style))
        return Strip(segments, self._total_width)

    def _row_strip(self, entry_id: str, is_cursor: bool, frame: _Frame) -> Strip:
        row = self.store.row(entry_id)
        record = row.record
        style = frame.states.get(row.state, frame.base)
        line_style = style + frame.cursor_row if is_cursor else style
        cursor_column = self.cursor_column if is_cursor else -1
        gap = " " * GAP
        segments = [Segment(MARKERS.get(row.state, " "), line_style), Segment(gap, line_style)]
        for number, column in enumerate(self._columns):
            spec = column.spec
            text = fit(self._cell(spec.key, record), column.width, spec.align)
            segments.append(Segment(text, frame.cursor if number == cursor_column else line_style))
            segments.append(Segment(gap, line_style))
        return Strip(segments, self._total_width)

    def _cell(self, key: str, record: EntryRecord) -> str:
        if key == "date":
            return f"{record.date:%a %d}" if record.date != date.min else ""
        if key == "person":
            return self._person_name(record.person_id)
        if key == "service":
            return self._service_name(record.service_id)
        if key == "task":
            return self._task_name(record.task_id)
        if key == "note":
            return note_text(record.note)
        if key == "time":
            return format_minutes(record.minutes)
        if key == "status":
            return record.status.value
        return ""

    def _person_name(self, person_id: str | None) -> str:
        return person_name(self.store.people, person_id)

    def _service_name(self, service_id: str | None) -> str:
        return service_name(self.store.services, service_id)

    def _task_name(self, task_id: str | None) -> str:
        return task_title(self.store.tasks, task_id)

    def _totals(self, width: int) -> str:
        """The range's total first (so a narrow grid never hides it), then per day; from
        the running per-day dict, rebuilt only after it changed."""
        cached = self._totals_text
        if cached is not None and cached[0] == width:
            return cached[1]
        days = self._day_minutes
        query = getattr(self.store, "query", None)
        if query is not None:  # a row moved to another week (staged) counts there, not here
            days = {day: m for day, m in days.items() if query.covers(day)}
        weeks = {week_start(day) for day in days}
        if query is not None and week_start(query.start) == week_start(query.end):
            weeks.add(week_start(query.start))
        total = format_minutes(sum(days.values()))
        if len(weeks) == 1:
            monday = next(iter(weeks))
            week = [date.fromordinal(monday.toordinal() + n) for n in range(7)]
            long = [f"{day:%a %d} {format_minutes(days.get(day, 0))}" for day in week]
            short = [f"{day:%a} {format_minutes(days.get(day, 0))}" for day in week]
            label = "Week"
        else:
            per_weekday = [0] * 7
            for day, minutes in days.items():
                per_weekday[day.weekday()] += minutes
            long = short = [
                f"{name} {format_minutes(m)}" for name, m in zip(WEEKDAYS, per_weekday, strict=True)
            ]
            label = "Total"
        text = f" {label} {total}   " + "  ".join(long)
        if cell_len(text) > width:
            text = f" {label} {total}   " + "  ".join(short)
        self._totals_text = (width, text)
        return text

    def _status_message(self) -> tuple[str, bool]:
        """The cursor row's problem, if it has one: (message, is an error)."""
        entry_id = self._cursor_id
        if entry_id is None or self.store.index_of(entry_id) is None:
            return "", False
        row = self.store.row(entry_id)
        if row.state is RowState.conflict:
            return " " + conflict_message(row, self._describe), True
        if row.state is RowState.failed:
            return f" Failed: {printable(row.error or 'the server refused it.')}", True
        if row.state is RowState.unconfirmed:
            return f" {row.error}", True
        if row.state is RowState.deleted:
            return " Staged for deletion (u undoes it).", False
        if row.record.rejected:
            reason = row.record.rejected_reason
            return f" Rejected{': ' + printable(reason) if reason else '.'}", True
        if row.record.locked:
            why = "Approved" if row.record.approved else "Invoiced"
            return f" {why}: locked.", False
        return "", False

    def _describe(self, field: str, value: Any) -> str:
        if field == "minutes":
            return format_minutes(value)
        if field == "date":
            return value.isoformat() if isinstance(value, date) else str(value)
        if field == "note":
            return repr(note_text(value))
        namer: Callable[[str | None], str] = {
            "service_id": self._service_name,
            "task_id": self._task_name,
            "person_id": self._person_name,
        }[field]
        return repr(namer(value))
