"""The week's entries as a spreadsheet-like grid, drawn with Textual's Line API.

Only the visible rows are drawn (`render_line` asks the source for one row at a time), so a
keypress costs the same with 100k rows as with 100. What is O(rows) is done once per load:
the per-day totals (`totals.DayTotals`) and the people seen (the person column shows when
there are several); after that a change touches only the rows it names. Column widths come
from the view's width alone (`columns.layout`), never from the rows. The grid never sorts:
the source owns the order, the grid follows it by entry id.

The cell editor is drawn the same way, over its cells in its row, and the grid keeps the
focus while it is open (it feeds the editor the keys): opening, typing and closing change no
focus and lay nothing out, so an edit costs about two scrolling keys (issue 18).

Text from the server is literal: cells are plain `Segment`s of `printable(...)` text, never
markup, so a note like ``[bold red]x[/] \\x1b[2J`` shows exactly as typed (with ``␛``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.binding import BindingType
from textual.geometry import Region, Size, Spacing
from textual.keys import format_key
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import OptionList

from tui.actions import Scope, bindings, default_key
from tui.store.changes import StoreChange
from tui.store.conflicts import conflict_message
from tui.store.present import person_name, service_name, task_title
from tui.store.records import EntryRecord, RowState
from tui.store.values import format_minutes, printable
from tui.store.workweek import WorkWeek
from tui.widgets.entry_grid.columns import (
    FOOTER_LINES,
    GAP,
    HEADER_LINES,
    MARKER_WIDTH,
    MARKERS,
    Column,
    fit,
    layout,
    note_text,
)
from tui.widgets.entry_grid.editor import (
    MAX_SUGGESTIONS,
    Choice,
    LineEdit,
    Suggestions,
    matching,
    resolve,
)
from tui.widgets.entry_grid.source import GridSource
from tui.widgets.entry_grid.totals import DayTotals, shown_part, totals_line
from tui.widgets.timer_panel import key_for

if TYPE_CHECKING:
    from tui.api.base import EntryQuery

NOT_EDITABLE = {
    "status": "it follows submission and approval",
    "person": "an entry stays with the person who logged it",
}
"""Why a column without a field opens no editor, said at enter."""
STREAM_INTERVAL = 0.2
"""Seconds between redraws of the scrollbar and totals while rows append below the view."""

LIVE_KEY = "\x00running-timer"
"""The running timer's minutes count in the totals under this key (no entry id is it)."""


class _Frame(NamedTuple):
    """Styles resolved once (not per line, nor per frame), until the styles change."""

    base: Style
    header: Style
    totals: Style
    status: Style
    status_error: Style
    cursor: Style
    cursor_row: Style
    states: dict[RowState, Style]
    editor: Style
    editor_selection: Style
    editor_cursor: Style


class EntryGrid(ScrollView, can_focus=True):
    """The staged entries of the loaded range; `apply_change` keeps it in step with the
    source. Host screens handle `CellEdited` and answer with `show_edit_error` or
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
        "entry-grid--empty",
        "entry-grid--editor",
        "entry-grid--editor-selection",
        "entry-grid--editor-cursor",
    }

    DEFAULT_CSS = """
    EntryGrid {
        background: $surface;
        color: $foreground;
        scrollbar-gutter: stable;  /* a week that scrolls lays out as one that does not */
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
        & > .entry-grid--empty { color: $text-muted; }
        & > .entry-grid--editor {
            background: $primary-muted;
            background-tint: $foreground 5%;  /* as a focused Input */
            color: $foreground;
        }
        & > .entry-grid--editor-selection {
            background: $input-selection-background;
            color: $input-selection-foreground;
        }
        & > .entry-grid--editor-cursor {
            background: $input-cursor-background;
            color: $input-cursor-foreground;
            text-style: $input-cursor-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.entry_grid)

    cursor_row: reactive[int] = reactive(0, repaint=False, init=False)
    """Index of the cursor's row in the source's order."""
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
        store: GridSource,
        *,
        id: str | None = None,
        name: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, name=name, classes=classes)
        self.store = store
        self.work_week: WorkWeek | None = None
        """The day target for the totals line (`Wed 1:15/8:00`); None: no targets."""
        self.today: Callable[[], date] | None = None
        """Today, so only days up to it are marked short."""
        self._cursor_id: str | None = None
        self._rows = 0
        self._columns: tuple[Column, ...] = ()
        self._laid_out_for: tuple[int, bool] | None = None
        """(view width, person column) the columns were laid out for."""
        self._total_width = 0
        self._people: set[str | None] = set()
        """Distinct people of the rows seen (None is added in the hot loop, dropped after)."""
        self._totals = DayTotals(store.records)
        self._totals_text: tuple[object, str] | None = None
        """(what it was made from, text) of the totals line, until that changes."""
        self._totals_drawn: object = None
        """The totals' version the totals line was last made for."""
        self._wanted: str | None = None
        """An entry the cursor was on before its row went; the cursor returns to it
        when it comes back (e.g. reloading the week), unless the user moved."""
        self._fingerprint: tuple[int, int] = (-1, 0)
        """(count, sum of id hashes) of the rows measured: a reset that only reorders
        them need not measure again."""
        self._frame: _Frame | None = None
        self._editing: tuple[str, str, str, Any] | None = None
        """(entry id, field, prefilled text, the value that text stands for)."""
        self._choices: list[Choice] = []
        """What the open service or task editor can stage."""
        self._edit_error: str | None = None
        """Why the open editor's value was refused: shown on the status line."""
        self._line = LineEdit(self._editor_changed)
        """The open editor's text, caret and selection (drawn in its row by `render_line`)."""
        self._dragging = False
        """A mouse drag is selecting in the editor."""
        self._suggestion_list: Suggestions | None = None
        """Made and mounted (an overlay child) the first time an editor lists choices:
        the start's first frame has no editor open, and an option list costs it."""
        self._live: tuple[str, int] | None = None
        """(entry id, minutes run so far) of the running timer, as last drawn."""
        self._live_day: date | None = None
        """The day its minutes count on in the totals (None: not shown)."""
        self._growth: Timer | None = None
        """Pending while rows appended below the view wait for their scrollbar and totals
        redraw (at most every `STREAM_INTERVAL`, not per page)."""
        self._build_columns()

    # ------------------------------------------------------------------ compose

    @property
    def is_container(self) -> bool:
        # The suggestion list is an (overlay) child.
        return True

    def on_mount(self) -> None:
        self.reload()
        # Cheap: one subtraction a second, and a redraw (of one row and the totals) only
        # when the running timer's minute changes.
        self.set_interval(1, self.update_live)

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    @property
    def _shown_suggestions(self) -> Suggestions | None:
        """The suggestion list, if it is shown."""
        listed = self._suggestion_list
        return listed if listed is not None and listed.display else None

    def _mounted_suggestions(self) -> Suggestions:
        """The suggestion list, made and mounted the first time it is asked for."""
        if self._suggestion_list is None:
            self._suggestion_list = Suggestions(id="entry-grid-suggestions", compact=True)
            self._suggestion_list.display = False
            self.mount(self._suggestion_list)
        return self._suggestion_list

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
    def editor(self) -> LineEdit:
        """The open editor's text, caret and selection (setting its `value` is typing)."""
        return self._line

    @property
    def editor_region(self) -> Region | None:
        """Where the open editor is drawn on the screen; None when it is closed or its
        row is scrolled out of the view (it keeps its text until the row is back)."""
        box = self._editor_box()
        if box is None:
            return None
        x, width, index = box
        scroll_x, scroll_y = self.scroll_offset
        y = index + HEADER_LINES - scroll_y
        if not HEADER_LINES <= y < self.scrollable_content_region.height - FOOTER_LINES:
            return None
        region = self.content_region
        return Region(region.x + x - scroll_x, region.y + y, width, 1)

    @property
    def edit_error(self) -> str | None:
        """Why the open editor's value was refused (shown on the status line), or None."""
        return self._edit_error

    @property
    def day_totals(self) -> dict[date, int]:
        """Minutes per day of the rows not staged for deletion."""
        return dict(self._totals.days)

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
        """Re-read everything: totals, people, row count (O(rows), once)."""
        self._reload(force=True)

    def catch_up(self) -> None:
        """Re-read the rows only if they changed since the grid last read them (changes
        it was not told of): a large cached week is not measured twice at the start."""
        self._reload(force=False)

    def _reload(self, *, force: bool) -> None:
        order = self.store.order
        fingerprint = (len(order), sum(map(hash, order)))
        if not force and fingerprint == self._fingerprint:
            # The rows already measured, in a new order (the end of a streamed load):
            # totals and people do not depend on the order.
            self._totals.base = self.store.records
            self._end_growth()
            self._refind_cursor(fallback=0)
            self._place_suggestions()
            self.refresh()
            return
        self._fingerprint = fingerprint
        self._cancel_edit()
        self._rows = len(order)
        self._people = set()
        self._totals.clear(self.store.records)
        self._measure(order, totals=False)
        for entry_id in list(self.store.staging.staged):
            self._recount(entry_id)
        self._live = self._live_day = None
        self.update_live()
        self._build_columns()
        self._sync_size()
        self._refind_cursor(fallback=0)
        self.refresh()

    def apply_change(self, change: StoreChange) -> None:
        """Follow one `StoreChange`: redraw only what it names."""
        if change.reset:
            self._reload(force=False)
            # Rows that moved may count elsewhere now (a new row's date changed).
            if any([self._recount(entry_id) for entry_id in change.ids]):
                self._refresh_footer()
            return
        order = self.store.order
        self._totals.base = self.store.records
        relayout = False
        count, total = self._fingerprint
        if change.removed:
            for entry_id in change.removed:
                self._recount(entry_id)
            count, total = count - len(change.removed), total - sum(map(hash, change.removed))
            if self._editing and self._editing[0] in change.removed:
                self._cancel_edit()
        if change.added:
            relayout = self._measure(change.added)
            count, total = count + len(change.added), total + sum(map(hash, change.added))
        self._fingerprint = (count, total)
        if change.added and not change.removed and self._appended(change.added):
            self._grow(len(change.added))
        elif change.added or change.removed:
            self._rows = len(order)
            self._sync_size()
            if self._wanted is not None and self._wanted in change.added:
                self._cursor_id, self._wanted = self._wanted, None
            self._refind_cursor(fallback=self.cursor_row)
            self.refresh()
        if change.ids:
            fields = set(change.fields)
            if "person_id" in fields or not fields:
                ids = [i for i in change.ids if self._shows(i)]
                relayout = self._measure(ids, totals=False) or relayout
            recount = fields & {"minutes", "date", "state"} or not fields
            if recount and any([self._recount(entry_id) for entry_id in change.ids]):
                self._refresh_footer()
            if not (change.added or change.removed):
                self._refresh_ids(change.ids)
            if self._cursor_id in change.ids:
                self._refresh_status()
        if change.lookups or (change.status and not order):
            self.refresh()  # names in every row; or the empty grid's "Loading…"
        if relayout:
            self._build_columns()
            self._sync_size()
            self._place_suggestions()
            self.refresh()
        self.update_live()
        if self._growth is None and self._totals.version != self._totals_drawn:
            self._refresh_footer()  # the server copies' minutes changed (no row told)

    def update_live(self) -> None:
        """Follow the running timer: its row's time and the day and week totals count
        the minutes it has run; only that row and the totals line are redrawn, and only
        when its minute (or which entry runs, or its day) changed."""
        live = self.store.live_timer_minutes()
        old = self._live
        day = None
        if live is not None and self.store.index_of(live[0]) is not None:
            row = self.store.row(live[0])
            part = shown_part(row)
            day = None if part is None else part[0]
        if live == old and day == self._live_day:
            return
        self._live, self._live_day = live, day
        changed = self._totals.recount(
            LIVE_KEY, None if day is None or live is None else (day, live[1]), None
        )
        self._refresh_ids({entry[0] for entry in (old, live) if entry is not None})
        if changed:
            self._refresh_footer()

    def show_edit_error(self, message: str) -> None:
        """Keep the editor open and say on the status line why its value was refused."""
        if self._editing is None:
            self.notify(message, severity="error", title="Not staged")
            return
        self._edit_error = message
        self._refresh_status()

    def finish_edit(self) -> None:
        """Close the editor (its value was staged)."""
        self._cancel_edit()

    # ------------------------------------------------------------- measuring

    def _rows_for(self, ids: Iterable[str]) -> Iterable[tuple[str, EntryRecord, bool]]:
        """(id, shown record, deleted) of each id; server rows without staged changes are
        read straight from the source's records (the common case at load)."""
        store = self.store
        get_record = store.records.get
        staged = store.staging.staged
        row = store.row
        for entry_id in ids:
            record = get_record(entry_id) if entry_id not in staged else None
            if record is None:
                shown = row(entry_id)
                yield entry_id, shown.record, shown.state is RowState.deleted
            else:
                yield entry_id, record, False

    def _measure(self, ids: Iterable[str], *, totals: bool = True) -> bool:
        """Note these rows' people (and count again in the totals those not showing
        their server copy as it is: a server row costs no work there); True when the
        person column should appear or go."""
        people = self._people
        add_person = people.add
        store = self.store
        staged, records, counted = store.staging.staged, store.records, self._totals.counted
        for entry_id, record, _ in self._rows_for(ids):
            add_person(record.person_id)
            if totals and (entry_id in staged or counted(entry_id) or entry_id not in records):
                self._recount(entry_id)
        people.discard(None)
        return (len(people) > 1) != ("person" in self.column_keys)

    def _shows(self, entry_id: str) -> bool:
        """Whether the grid shows this row: a server row always (a saved new row dated
        in another week aside), else if it is in the order (a search, not a lookup)."""
        return entry_id in self.store.records or self.store.index_of(entry_id) is not None

    def _recount(self, entry_id: str) -> bool:
        """Count one row again as it is now; True when the totals changed."""
        store = self.store
        record = store.records.get(entry_id)
        server = None if record is None else (record.date, record.minutes)
        shown = shown_part(store.row(entry_id)) if self._shows(entry_id) else None
        return self._totals.recount(entry_id, shown, server)

    def _view_width(self) -> int:
        width = self.scrollable_content_region.width if self.is_mounted else 0
        return width or self.size.width or 120

    def _relayout(self) -> None:
        """Lay the columns out again if the view's width changed."""
        if self._laid_out_for != (self._view_width(), len(self._people) > 1):
            self._build_columns()
            self._sync_size()
            self._place_suggestions()
            self.refresh()

    def _build_columns(self) -> None:
        person = len(self._people) > 1
        view = self._view_width()
        self._laid_out_for = (view, person)
        columns = layout(view, person=person)
        old_keys = self.column_keys
        old_key = old_keys[self.cursor_column] if 0 <= self.cursor_column < len(old_keys) else None
        self._columns = columns
        self._total_width = columns[-1].end + GAP
        self._totals_text = None
        if old_key is not None and old_key in self.column_keys:
            self.set_reactive(EntryGrid.cursor_column, self.column_keys.index(old_key))
        else:
            self.set_reactive(EntryGrid.cursor_column, min(self.cursor_column, len(columns) - 1))

    def _sync_size(self) -> None:
        self._end_growth()
        self.virtual_size = Size(self._total_width, self._rows + HEADER_LINES + FOOTER_LINES)

    def _appended(self, added: tuple[str, ...]) -> bool:
        """Whether these rows follow the rows shown (a page streamed in), O(page). Later
        pages may be in the order already: a change reaches the grid after the store
        took it (signals are delivered on the next turn of the loop)."""
        order = self.store.order
        end = self._rows + len(added)
        return len(order) >= end and tuple(order[self._rows : end]) == added

    def _grow(self, count: int) -> None:
        """Rows appended at the end: draw the ones in view now; the scrollbar and totals
        follow a few times a second, and nothing is laid out again (a layout per page
        cost 39 ms at 20k rows)."""
        first = self._rows
        self._rows += count
        if self._wanted is not None or not first or self._cursor_id is None:
            # The cursor may go to a row of this page, or the grid was empty: at once.
            self._sync_size()
            self._refind_cursor(fallback=self.cursor_row)
            self.refresh()
            return
        if first < self.scroll_offset.y + self._page:
            self.refresh()  # the new rows show in the view
        if self._growth is None:
            self._growth = self.set_timer(STREAM_INTERVAL, self._end_growth)

    def _end_growth(self) -> None:
        """Catch the scrollbar and totals up with rows appended since the last time: the
        virtual height grows without a layout when the vertical scrollbar shows already
        (its visibility is what a layout would change)."""
        timer, self._growth = self._growth, None
        if timer is None:
            return
        timer.stop()
        size = Size(self._total_width, self._rows + HEADER_LINES + FOOTER_LINES)
        old = self.virtual_size
        if self.show_vertical_scrollbar and size.width == old.width and size.height > old.height:
            self.set_reactive(EntryGrid.virtual_size, size)
            self._scroll_update(size)  # Textual's own step after a size change: scrollbars
        else:
            self.virtual_size = size
        self._refresh_footer()

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
        self._end_growth()  # the cursor may go to rows the scrollbar does not know yet
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

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # While editing, printable keys type (as into a focused Input): the bindings on
        # them (the screen's n, d, u, ...) are off, and the key bar leaves them out.
        return self._editing is not None and character is not None and character.isprintable()

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
            return  # the editor's caret follows the mouse (`on_mouse_down`)
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
            # Said, not only rung: what is typed next would otherwise run as keys (`d`).
            self.app.bell()
            why = NOT_EDITABLE.get(column.key, "it is not one of the entry's values")
            self.notify(
                f"{column.spec.label} cannot be edited: {why}. "
                "Move left or right to a column to edit.",
                severity="warning",
                title="Not editable",
            )
            return
        if (refusal := self.store.edit_refusal(entry_id, field)) is not None:
            # Said before any typing, not after it: the value could never be staged.
            self.notify(refusal, severity="warning", title="Not editable")
            return
        record = self.store.row(entry_id).record
        text, value = self._edit_text(field, record)
        self._editing = (entry_id, field, text, value)
        self._edit_error = None
        self._choices = self._choices_for(field, record)
        self._line.open_with(text)
        self._suggest(text)
        self._place_suggestions()
        self._refresh_editor()
        self.refresh_bindings()  # the key bar: esc cancels now

    def action_cancel_edit(self) -> None:
        self._cancel_edit()

    def _cancel_edit(self) -> None:
        if self._editing is None:
            return
        self._refresh_editor()  # its row, drawn again without it
        self._editing = None
        self._choices = []
        self._release_drag()
        had_error, self._edit_error = self._edit_error is not None, None
        if not self.is_mounted:
            return
        shown = self._shown_suggestions
        if shown is not None:
            shown.display = False
        if had_error:
            self._refresh_status()
        self.refresh_bindings()

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

    def _choices_for(self, field: str, record: EntryRecord) -> list[Choice]:
        """The services (each with where it belongs), or the tasks (the row's service's
        first; the others with their service), the editor of `field` offers; none for
        the other fields."""
        store = self.store
        if field == "service_id":
            services = store.services
            return [
                Choice(service_id, service_name(services, service_id), service.name)
                for service_id, service in services.items()
            ]
        if field == "task_id":
            tasks, services = store.tasks, store.services
            mine = record.service_id
            choices = []
            for task_id, task in tasks.items():
                title = task_title(tasks, task_id)
                first = task.service_id is not None and task.service_id == mine
                if not first and task.service_id:
                    # Another service's task says whose it is.
                    title = f"{title} · {service_name(services, task.service_id)}"
                choices.append(Choice(task_id, title, task.title, first))
            return sorted(choices, key=lambda choice: not choice.first)
        return []

    def _suggest(self, typed: str) -> None:
        """Show the choices matching `typed` under the editor (all of them while the
        editor holds its first value)."""
        if not self._choices or self._editing is None:
            shown = self._shown_suggestions
            if shown is not None:
                shown.display = False
            return
        choices = self._choices if typed == self._editing[2] else matching(self._choices, typed)
        suggestions = self._mounted_suggestions()
        suggestions.display = suggestions.show_choices(choices) > 0

    def _staged_value(self, entry_id: str, field: str, typed: str) -> tuple[Any, str | None]:
        """The value typed text stands for: (value, None), or (None, why not)."""
        if field == "service_id":
            return resolve(typed, "service", self._choices)
        if field == "task_id":
            if not typed.strip():
                return None, None
            mine = [choice for choice in self._choices if choice.first]
            if mine:
                value, problem = resolve(typed, "task", mine)
                if problem is None:
                    return value, None
            return resolve(typed, "task", self._choices)
        return typed, None

    def _submit_edit(self) -> None:
        """Enter: the highlighted suggestion, else the typed value (refused: the editor
        stays open with the reason on the status line)."""
        if self._editing is None:
            return
        entry_id, field, prefilled, original = self._editing
        shown = self._shown_suggestions
        picked = shown.picked_id(or_first=False) if shown is not None else None
        if picked is not None:
            self._post_edit(entry_id, field, picked)
            return
        typed = self._line.value
        value: Any
        if typed == prefilled:
            # Unchanged: the value as it is (a note keeps its control characters).
            value = original if field in ("note", "service_id", "task_id") else typed
        else:
            value, problem = self._staged_value(entry_id, field, typed)
            if problem:
                self.show_edit_error(problem)
                return
        self._post_edit(entry_id, field, value)

    @on(OptionList.OptionSelected, "#entry-grid-suggestions")
    def _suggestion_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self._editing is not None and event.option.id is not None:
            self._post_edit(self._editing[0], self._editing[1], event.option.id)

    def _post_edit(self, entry_id: str, field: str, value: Any) -> None:
        self.post_message(self.CellEdited(self, entry_id, field, value))

    def _edit_key(self, key: str, character: str | None) -> bool:
        """A key while the editor is open: True if the editor used it. The others go on
        to the bindings, as they did past a focused Input (escape cancels the edit)."""
        suggestions = self._shown_suggestions
        if suggestions is not None and key in ("up", "down"):
            suggestions.move_highlight(1 if key == "down" else -1)
            return True
        if suggestions is not None and key == "tab":
            picked = suggestions.picked_id(or_first=True)
            if picked is not None and self._editing is not None:
                self._post_edit(self._editing[0], self._editing[1], picked)
            return True
        if key == "enter":
            self._submit_edit()
            return True
        line = self._line
        if key in ("ctrl+c", "super+c", "ctrl+x"):
            if not line.selected_text:
                return key == "ctrl+x"  # copying nothing: the app's ctrl+c (as in an Input)
            self.app.copy_to_clipboard(line.selected_text)
            if key == "ctrl+x":
                line.insert("")
            return True
        if key == "ctrl+v":
            self._paste(self.app.clipboard)
            return True
        if line.press(key):
            return True
        if character is not None:
            line.insert(character)
            return True
        return False

    async def _on_key(self, event: events.Key) -> None:
        # Before the bindings: while editing, printable keys type and the editing keys
        # edit, as in a focused Input (the grid keeps the focus).
        if self._editing is None:
            return
        if self._edit_key(event.key, event.character if event.is_printable else None):
            event.stop()
            event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        """A (bracketed) paste into the open editor, on one line: its lines joined by
        spaces (an Input keeps only the first, which drops text without a word)."""
        if self._editing is None:
            return
        event.stop()
        self._paste(event.text)

    def _paste(self, text: str) -> None:
        if not text:
            return
        lines = _pasted_lines(text)
        self._line.insert(" ".join(lines))
        if len(lines) > 1:
            self.notify(
                f"Pasted {len(lines)} lines as one: the editor holds one line, so their "
                "line breaks became spaces.",
                title="Pasted",
            )

    def _editor_cell(self, x: int, y: int) -> int | None:
        """The cell of the editor under the grid's (x, y), counted from its left edge;
        None when (x, y) is not on it."""
        box = self._editor_box()
        if box is None:
            return None
        left, width, index = box
        scroll_x, scroll_y = self.scroll_offset
        cell = x + scroll_x - left
        return cell if y == index + HEADER_LINES - scroll_y and 0 <= cell < width else None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        cell = self._editor_cell(event.x, event.y)
        if cell is None:
            return
        event.stop()
        self._line.click(cell)
        self._dragging = True
        self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        box = self._editor_box() if self._dragging else None
        if box is not None:
            self._line.click(event.x + self.scroll_offset.x - box[0], select=True)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self._release_drag()

    def _release_drag(self) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()

    def _editor_changed(self, text_changed: bool) -> None:
        """The editor's text (True) or only its caret or selection changed."""
        if self._editing is None:
            return
        if text_changed:
            if self._edit_error is not None:
                self._edit_error = None
                self._refresh_status()
            self._suggest(self._line.value)
            self._place_suggestions()
        self._refresh_editor()

    def _refresh_editor(self) -> None:
        """Redraw the open editor's row (one line)."""
        if self._editing is None or not self.is_mounted:
            return
        index = self.store.index_of(self._editing[0])
        if index is not None:
            self.refresh_line(index + HEADER_LINES)

    def _editor_box(self) -> tuple[int, int, int] | None:
        """(x in the row's virtual line, width, row index) of the open editor: over the
        cursor's cell, as wide as its value (and one more for the caret), at least the
        column, ending where a column ends so no cell shows cut, at most the view, kept
        in the view when scrolled sideways. None when closed."""
        if self._editing is None:
            return None
        field = self._editing[1]
        column = next((c for c in self._columns if c.spec.field == field), None)
        index = self.store.index_of(self._editing[0])
        if column is None or index is None:
            return None
        scroll_x = self.scroll_offset.x
        view_width = max(1, self.scrollable_content_region.width)
        wanted = max(column.width, cell_len(self._line.value) + 1)
        end = next((c.end for c in self._columns if c.end >= column.x + wanted), column.x + wanted)
        width = min(end - column.x, view_width)
        x = max(0, min(column.x - scroll_x, view_width - width))
        return x + scroll_x, width, index

    def _place_suggestions(self) -> None:
        """The suggestions under the editor (over it near the bottom), at least as wide
        as it; hidden (keeping their state) while its row is scrolled out of the view."""
        suggestions = self._shown_suggestions
        if suggestions is None or not self.is_mounted:
            return
        box = self._editor_box()
        if box is None:
            return
        left, width, index = box
        scroll_x, scroll_y = self.scroll_offset
        view = self.scrollable_content_region
        view_width = max(1, view.width)
        x = left - scroll_x
        y = index + HEADER_LINES - scroll_y
        body_end = view.height - FOOTER_LINES
        # An overlay is not clipped to the grid: scrolled off the rows, it hides.
        shown = "visible" if HEADER_LINES <= y < body_end else "hidden"
        if suggestions.styles.visibility != shown:
            suggestions.styles.visibility = shown
        list_end = x + scroll_x + max(width, suggestions.label_width + 2)
        list_end = next((c.end for c in self._columns if c.end >= list_end), list_end)
        list_width = min(list_end - x - scroll_x, view_width)
        list_x = max(0, min(x, view_width - list_width))
        below = body_end - (y + 1)
        above = y - HEADER_LINES
        lines = min(suggestions.option_count, MAX_SUGGESTIONS)
        if below >= min(lines, 3) or below >= above:
            height, list_y = max(1, min(lines, below)), y + 1
        else:
            height = max(1, min(lines, above))
            list_y = y - height
        # Offsets are in the grid's virtual space: overlay children scroll with the rows.
        suggestions.styles.width = list_width
        suggestions.styles.height = height
        suggestions.styles.offset = (list_x + scroll_x, list_y + scroll_y)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        self._place_suggestions()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._place_suggestions()

    # -------------------------------------------------------------- rendering

    def _refresh_ids(self, ids: Iterable[str]) -> None:
        """Redraw the visible lines of these ids (no work for ids off screen; more ids
        than lines: the lines are looked at, not the ids)."""
        top = self.scroll_offset.y
        bottom = top + self.scrollable_content_region.height
        wanted = ids if isinstance(ids, set | frozenset) else set(ids)
        if len(wanted) > bottom - top:
            order = self.store.order
            for line in range(top, min(bottom, len(order))):
                if order[line] in wanted:
                    self.refresh_line(line + HEADER_LINES)
            return
        index_of = self.store.index_of
        for entry_id in wanted:
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
        editor = base + get("entry-grid--editor")
        return _Frame(
            base=base,
            header=base + get("entry-grid--header"),
            totals=base + get("entry-grid--totals"),
            status=base + overlay("entry-grid--status"),
            status_error=base + overlay("entry-grid--status-error"),
            cursor=base + get("entry-grid--cursor"),
            cursor_row=Style.from_color(bgcolor=cursor_row.bgcolor),
            states=states,
            editor=editor,
            editor_selection=editor + get("entry-grid--editor-selection"),
            editor_cursor=editor + get("entry-grid--editor-cursor"),
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._frame is None:
            # Until the styles change (`notify_style_update`: focus, theme, classes), not
            # per frame: resolving them took half of a frame's CPU.
            self._frame = self._resolve_styles()
        if self._laid_out_for is not None and self._laid_out_for[0] != self._view_width():
            self._relayout()  # a scrollbar came or went: the view's width changed
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
            text = fit(self._totals_line(width), width)
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
            if not order and index == 0:
                text = fit(self._empty_message(), width)
                style = frame.base + self.get_component_rich_style("entry-grid--empty")
                return Strip([Segment(text, style)], width)
            return Strip.blank(width, frame.base)
        entry_id = order[index]
        strip = self._row_strip(entry_id, index == self.cursor_row, frame)
        if self._editing is not None and self._editing[0] == entry_id:
            strip = self._with_editor(strip, frame)
        return strip.crop_extend(scroll_x, scroll_x + width, frame.base)

    def _with_editor(self, strip: Strip, frame: _Frame) -> Strip:
        """The row's line with the open editor drawn over its cells."""
        box = self._editor_box()
        if box is None:
            return strip
        x, width, _ = box
        before = strip.crop_extend(0, x, frame.base)
        after = strip.crop(x + width, max(x + width, strip.cell_length))
        return Strip.join([before, self._editor_strip(width, frame), after])

    def _editor_strip(self, width: int, frame: _Frame) -> Strip:
        """The editor's `width` cells: its text (scrolled to the caret), the selection
        and the caret (both only while the grid has the focus, as an Input's)."""
        line = self._line
        scroll = line.keep_caret_in(width)
        text = line.value + " "  # the caret's cell at the end
        if self.has_focus:
            start, end = line.selection
            caret = line.cursor
        else:
            start = end = caret = -1
        cuts = sorted(cut for cut in {0, len(text), start, end, caret, caret + 1} if cut >= 0)
        segments = []
        for left, right in pairwise(cuts):
            if left == caret:
                style = frame.editor_cursor
            elif start <= left < end:
                style = frame.editor_selection
            else:
                style = frame.editor
            segments.append(Segment(printable(text[left:right]), style))
        return Strip(segments).crop_extend(scroll, scroll + width, frame.editor)

    def _empty_message(self) -> str:
        """What an empty grid says: still loading, or no entries and what to do next
        (with the keys as the keymap has them)."""
        status = self.store.status
        if status.loading:
            return " Loading…"
        if status.problem is not None and status.cached_at is None:
            # Not "no entries": the week was never read (the banner says why).
            retry = format_key(key_for(self.app, "retry", default_key("retry")))
            return f" Not loaded: the server could not be read for this week · {retry} retries"
        new = format_key(key_for(self.app, "new-entry", default_key("new-entry")))
        later = format_key(key_for(self.app, "next-week", default_key("next-week")))
        return f" No entries · {new} adds one · {later} next week"

    def _header_strip(self, frame: _Frame) -> Strip:
        style = frame.header
        segments = [Segment(" " * MARKER_WIDTH, style)]
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
            return date_cell(record.date, self.store.query)
        if key == "person":
            return self._person_name(record.person_id)
        if key == "service":
            return self._service_name(record.service_id)
        if key == "task":
            return self._task_name(record.task_id)
        if key == "note":
            return note_text(record.note)
        if key == "time":
            live = self._live
            if live is not None and live[0] == record.id:
                return format_minutes(record.minutes + live[1])
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

    def _totals_line(self, width: int) -> str:
        """The totals line, made again only when the totals, the range or the width
        changed (not per frame)."""
        today = self.today() if self.today is not None else None
        self._totals_drawn = self._totals.version
        key = (width, self._totals_drawn, self.store.query, self.work_week, today)
        cached = self._totals_text
        if cached is not None and cached[0] == key:
            return cached[1]
        text = totals_line(self._totals.days, self.store.query, width, self.work_week, today)
        self._totals_text = (key, text)
        return text

    def _status_message(self) -> tuple[str, bool]:
        """The open editor's refusal, else the cursor row's problem: (message, is an error)."""
        if self._edit_error is not None:
            return f" {printable(self._edit_error)}", True
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
            why = row.record.lock_reason
            if why == "submitted":
                return " Submitted; unsubmit to edit.", False
            return f" {why.title()}: locked.", False
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


def date_cell(day: date, shown: EntryQuery | None) -> str:
    """`Mon 16` for a day of the range shown; a day outside it (a date typed into another
    week, before the save moves the row) reads `01 Jan`, or `Jan 99` in another year (the
    cell is six wide), so it never passes for a day of this week."""
    if day == date.min:
        return ""
    if shown is None or shown.covers(day):
        return f"{day:%a %d}"
    return f"{day:%d %b}" if day.year in (shown.start.year, shown.end.year) else f"{day:%b %y}"


def _pasted_lines(text: str) -> list[str]:
    """The lines of pasted text with something on them, tabs as spaces."""
    return [line.replace("\t", " ").strip() for line in text.splitlines() if line.strip()]
