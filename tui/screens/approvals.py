"""The approvals screen: a week of everyone's entries, filtered, selected and approved.

It loads its own range (all people, its week) into the shared store; back on the
timesheet, the app loads the timesheet's range again. Rows are grouped by person (a header
line with their total), the selection and its hours are in the status line, and approve /
unapprove / reject run in app workers, so the app's one error handler reports what fails.
Server text is shown literally (`printable`, in `rich.text.Text`, never markup).

Column widths follow the table's width, not its rows: Status is a fixed share cut with `…`
(a long rejection reason never pushes Note off the screen), Note takes the rest. `enter` is
the table's own key (its `RowSelected`): the row's details (`tui.screens.entry_detail`), or
on a person's line their week. Below `NARROW` columns the people panel folds away and `p`
opens it over the table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events, getters, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable, SelectionList, Static
from textual.widgets.data_table import CellDoesNotExist
from textual.widgets.selection_list import Selection
from textual.worker import Worker

from tui.actions import Scope, bindings
from tui.api.base import EntryQuery
from tui.models import EntryStatus
from tui.screens.base import TimesheetAppBase
from tui.store.changes import ApprovalResult
from tui.store.present import (
    NO_VALUE,
    one_line,
    person_name,
    plural,
    service_name,
    timer_blocks_approval,
    timer_left_out,
)
from tui.store.values import format_minutes, printable, week_range
from tui.widgets.banner import ProblemBanner
from tui.widgets.key_bar import KeyBar
from tui.widgets.timer_panel import TimerPanel

if TYPE_CHECKING:
    from tui.store.changes import StoreChange
    from tui.store.records import EntryRecord
    from tui.store.store import Store
    from tui.store.submission import PersonWeek

# Status filters: label and the statuses shown (empty: any).
STATUS_FILTERS: dict[str, tuple[str, tuple[EntryStatus, ...]]] = {
    "awaiting": (
        "awaiting approval",
        (EntryStatus.draft, EntryStatus.submitted, EntryStatus.rejected),
    ),
    "approved": ("approved", (EntryStatus.approved,)),
    "rejected": ("rejected", (EntryStatus.rejected,)),
    "submitted": ("submitted", (EntryStatus.submitted,)),
    "not-submitted": ("not submitted", ()),
    "all": ("all", ()),
}
NOT_SUBMITTED = "not-submitted"
"""The filter that lists the people with no timesheet on the week's working days (all
their entries, and a line for those with none), so a manager can chase them."""
RESULT_MARKS = {
    "approved": ("✓", "green"),
    "pending": ("…", "yellow"),
    "failed": ("✗", "red"),
    "unapproved": ("↺", "cyan"),
    "rejected": ("⊘", "magenta"),
    "unrejected": ("↺", "cyan"),
}
HEADER_PREFIX = "person:"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", " "),
    ("result", " "),
    ("what", "Person / day"),
    ("time", "Time"),
    ("service", "Service"),
    ("status", "Status"),
    ("note", "Note"),
)
"""The table's columns: key and label, in order."""
CELL_PADDING = 1
"""The table's padding each side of a cell (DataTable's default)."""
NARROW = 100
"""Below this many columns the people panel folds away (`p` opens it over the table)."""


def column_widths(width: int) -> dict[str, int]:
    """Each column's width (without its padding) in a table `width` cells wide: the marks,
    the day and the time fixed; Status a fixed share (a rejection's reason is cut with `…`,
    the details show it whole); Service a share; Note the rest. Widths follow the table's
    width only, never its rows, so they do not jump from week to week."""
    usable = width - 2 * CELL_PADDING * len(COLUMNS)
    what = 16 if usable >= 70 else 12  # a person's name; a day is 12 (`  Mon 16 Nov`)
    status = max(14, min(24, usable // 5))
    rest = usable - 1 - 1 - 6 - what - status
    service = max(8, min(30, rest * 2 // 5))
    note = max(8, rest - service)
    return {
        "mark": 1,
        "result": 1,
        "what": what,
        "time": 6,
        "service": service,
        "status": status,
        "note": note,
    }


def _cut(text: str, style: str = "", *, right: bool = False) -> Text:
    """One cell: on one line, cut with `…` at the column's width."""
    return Text(text, style, no_wrap=True, overflow="ellipsis", justify="right" if right else None)


class ApprovalsTable(DataTable[Text]):
    """The approvals screen's table. Its `enter` is DataTable's own (it posts `RowSelected`,
    which the screen answers with the row's details), described as that; each change of its
    width is announced, for the screen to fit the columns."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.approvals_table)

    class WidthChanged(Message):
        """The width the table's rows have, after a resize."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.WidthChanged(self.scrollable_content_region.width))


CHECKED = "✓"
UNCHECKED = " "
"""The people panel's marks for a checked and an unchecked person."""


class PeopleList(SelectionList[str]):
    """The people filter. A checked person reads `▐✓▌`, an unchecked one `▐ ▌`: told apart
    by the mark itself, not only by its colour (a monochrome terminal, the light theme)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        # SelectionList draws [left, inner, right, " ", *prompt]: swap the inner glyph.
        index = self.scroll_offset.y + y
        if len(segments) < 4 or not 0 <= index < self.option_count:
            return strip
        chosen = self.get_option_at_index(index).value in self.selected
        inner = segments[1]
        segments[1] = Segment(CHECKED if chosen else UNCHECKED, inner.style, inner.control)
        return Strip(segments, strip.cell_length)


class ApprovalsScreen(Screen[None]):
    DEFAULT_CSS = """
    ApprovalsScreen #approvals-filters {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    ApprovalsScreen #approvals-body {
        height: 1fr;
        layers: base above;
    }
    ApprovalsScreen #approvals-people {
        width: 28;
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
    }
    ApprovalsScreen #approvals-people:focus {
        border: round $primary;
        border-title-color: $text-primary;
    }
    ApprovalsScreen.-narrow #approvals-people {
        display: none;
        layer: above;
        position: absolute;
        width: 30;
        max-width: 60%;
        background: $surface;
    }
    ApprovalsScreen.-narrow.-people-open #approvals-people {
        display: block;
    }
    ApprovalsScreen #approvals-table {
        width: 1fr;
        height: 1fr;
        scrollbar-gutter: stable;
    }
    ApprovalsScreen #approvals-days {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    ApprovalsScreen #approvals-status {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $boost;
    }
    ApprovalsScreen #approvals-unsupported {
        height: 1fr;
        padding: 2 4;
        color: $text-warning;
        display: none;
    }
    ApprovalsScreen.-unsupported #approvals-unsupported {
        display: block;
    }
    ApprovalsScreen.-unsupported #approvals-body,
    ApprovalsScreen.-unsupported #approvals-filters,
    ApprovalsScreen.-unsupported #approvals-days,
    ApprovalsScreen.-unsupported #approvals-status {
        display: none;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.approvals)

    app = getters.app(TimesheetAppBase)

    def __init__(
        self, *, week_start: date | None = None, name: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(name=name, id=id)
        self._week_start = week_start
        self.status_filter = "awaiting"
        self.for_all_approvers = False
        self.selected: set[str] = set()
        self.results: dict[str, ApprovalResult] = {}
        self.summary: str = ""
        self.shown: list[str] = []
        """Entry ids in the table, in row order."""
        self._rebuild_pending = False
        self._people_shown: list[str] = []
        self._live: tuple[str, int] | None = None
        """(entry id, minutes run so far) of the running timer, as last drawn."""
        self.widths = column_widths(0)
        """The table's column widths, by column key (see `column_widths`)."""
        self.weeks: dict[str, PersonWeek] | None = None
        """Each person's submitted working days of the week (from `/timesheets`); None:
        not known (not read yet, or the backend has no submission)."""
        self._people_labels: list[str] = []

    # ------------------------------------------------------------------ building

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def supported(self) -> bool:
        return bool(self.store.capabilities.approvals)

    @property
    def week_start(self) -> date:
        if self._week_start is None:
            self._week_start = week_range(self.store.today())[0]
        return self._week_start

    @property
    def entry_query(self) -> EntryQuery:
        return EntryQuery(self.week_start, self.week_start + timedelta(days=6))

    def compose(self) -> ComposeResult:
        yield ProblemBanner(self.store, self.app.profile_facts)
        yield TimerPanel(self.store, id="timer")
        yield Static(id="approvals-filters", markup=False)
        with Horizontal(id="approvals-body"):
            people = PeopleList(id="approvals-people")
            people.border_title = "People"
            yield people
            yield ApprovalsTable(
                id="approvals-table",
                cursor_type="row",
                zebra_stripes=True,
                cell_padding=CELL_PADDING,
            )
        yield Static(id="approvals-days", markup=False)
        yield Static(id="approvals-status", markup=False)
        name = printable(self.store.backend.name.title())
        yield Static(
            Text(f"{name} has no approvals: its time entries cannot be approved here."),
            id="approvals-unsupported",
            markup=False,
        )
        yield KeyBar(self.store.capabilities, here="show-approvals")

    def on_mount(self) -> None:
        table = self.table
        self.add_columns()
        self.watch(self, "focused", self.focus_moved, init=False)
        self.set_class(not self.supported, "-unsupported")
        if not self.supported:  # hidden, so neither takes the focus (nor keys, such as space)
            self.people_list.disabled = table.disabled = True
        self.app.store_changed.subscribe(self, self.on_store_change)
        self.set_interval(1, self.update_live)
        self.refresh_people()
        self.update_filters()
        self.update_status()
        if self.supported:
            table.focus()
            self.load()

    @property
    def table(self) -> ApprovalsTable:
        return self.query_one("#approvals-table", ApprovalsTable)

    @property
    def people_list(self) -> PeopleList:
        return self.query_one("#approvals-people", PeopleList)

    # -------------------------------------------------------------------- layout

    def add_columns(self) -> None:
        table = self.table
        for key, label in COLUMNS:
            table.add_column(Text(label), key=key, width=self.widths[key])

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")
        self.update_status()  # the per-day line fits its width

    @on(ApprovalsTable.WidthChanged)
    def fit_columns(self, event: ApprovalsTable.WidthChanged) -> None:
        """Status keeps its width, Note takes what is left: the columns follow the table's
        width (a change of it redraws the rows with the new widths)."""
        widths = column_widths(event.width)
        if widths != self.widths:
            self.widths = widths
            self.rebuild(columns=True)

    def focus_moved(self, focused: object) -> None:
        # A narrow screen shows the people panel (over the table) while it has the focus.
        self.set_class(focused is self.people_list, "-people-open")

    # ------------------------------------------------------------------- loading

    def load(self) -> Worker[None] | None:
        """Everyone's entries of the week, in the app's exclusive "load" group (so the
        timesheet's load and ours never race), reported by the app's error handler."""
        if not self.supported:
            return None
        self.results.clear()
        self.selected.clear()
        self.summary = ""
        self.weeks = None
        self.rebuild()
        self.load_weeks()
        return self.app.run_worker(
            partial(self.store.load, self.entry_query),
            name="approvals-load",
            group="load",
            exclusive=True,
            exit_on_error=False,
        )

    def load_weeks(self) -> Worker[None] | None:
        """Who has submitted which working days of the week, for the people panel and the
        "not submitted" filter."""
        if not self.store.capabilities.submission:
            return None
        return self.run_worker(
            self._read_weeks(self.week_start),
            name="approvals-weeks",
            group="approvals-weeks",
            exclusive=True,
            exit_on_error=False,
        )

    async def _read_weeks(self, start: date) -> None:
        from tui.api.errors import ApiError
        from tui.store.submission import people_weeks

        if not self.store.people:
            await self.store.refresh_people()
        try:
            weeks = await people_weeks(
                self.store, list(self.store.people), start, start + timedelta(days=6)
            )
        except ApiError as error:  # no submission here: the panel shows names only
            self.summary = self.summary or str(error)
            return
        if start == self.week_start:
            self.weeks = weeks
            self.refresh_people()
            self.schedule_rebuild()  # the person lines' "submitted 2/5"

    @property
    def loaded(self) -> bool:
        """The store holds this screen's range (not the timesheet's)."""
        return self.store.query == self.entry_query

    # ------------------------------------------------------------------- drawing

    def on_store_change(self, change: StoreChange) -> None:
        if change.lookups:
            self.refresh_people()
        if change.reset or change.added or change.removed or change.lookups:
            self.schedule_rebuild()
        elif change.ids:
            self.redraw_rows(change.ids)
        if change.status:
            self.update_filters()

    def schedule_rebuild(self) -> None:
        """Pages stream in as many changes; rebuild once per burst."""
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_later(self.rebuild)

    def shown_ids(self) -> list[str]:
        """The entries the filters pick, grouped by person (by name), by date."""
        if not self.loaded:
            return []
        start, end = self.entry_query.start, self.entry_query.end
        people = self.people_list.selected
        if self.status_filter == NOT_SUBMITTED:
            chased = set(self.not_submitted())
            people = [p for p in people if p in chased] if people else sorted(chased)
            if not people:
                return []
        ids = self.store.select(
            person_ids=people,
            start=start,
            end=end,
            statuses=STATUS_FILTERS[self.status_filter][1],
        )
        records = self.store.records
        return sorted(
            ids,
            key=lambda i: (
                self.person_name(records[i].person_id).casefold(),
                records[i].person_id or "",
                records[i].date,
            ),
        )

    def person_name(self, person_id: str | None) -> str:
        return person_name(self.store.people, person_id) or NO_VALUE["person_id"]

    def not_submitted(self) -> list[str]:
        """The people (ids, by name) with no timesheet on the week's working days; none
        while that is not known."""
        if self.weeks is None:
            return []
        from tui.store.submission import not_submitted

        ids = not_submitted(list(self.weeks.values()))
        return sorted(ids, key=lambda p: (self.person_name(p).casefold(), p))

    def rebuild(self, *, columns: bool = False) -> None:
        """Draw the rows again (`columns`: the columns too, at `widths`); the cursor stays
        on its row."""
        self._rebuild_pending = False
        if not self.is_attached:
            return
        table = self.table
        cursor_key = self.cursor_key()
        if columns:
            table.clear(columns=True)
            self.add_columns()
        ids = self.shown_ids()
        self.shown = ids
        self.selected &= set(ids)
        per_person, _ = self.store.totals(ids, live=True)
        self._live = self.store.live_timer_minutes()
        counts: dict[str | None, int] = defaultdict(int)
        for entry_id in ids:
            counts[self.store.records[entry_id].person_id] += 1
        table.clear()
        person: object = object()
        for entry_id in ids:
            record = self.store.records[entry_id]
            if record.person_id != person:
                person = record.person_id
                table.add_row(
                    *self.header_cells(
                        record.person_id,
                        per_person.get(record.person_id or "", 0),
                        counts[record.person_id],
                    ),
                    key=f"{HEADER_PREFIX}{record.person_id or ''}",
                )
            table.add_row(*self.entry_cells(record), key=entry_id)
        if self.status_filter == NOT_SUBMITTED and self.loaded:
            chosen = set(self.people_list.selected)
            for person_id in self.not_submitted():
                if person_id in counts or (chosen and person_id not in chosen):
                    continue
                table.add_row(
                    *self.header_cells(person_id, 0, 0), key=f"{HEADER_PREFIX}{person_id}"
                )
        if cursor_key is not None and cursor_key in table.rows:
            table.move_cursor(row=table.get_row_index(cursor_key), animate=False)
        self.update_status()

    def header_cells(self, person_id: str | None, minutes: int, count: int) -> list[Text]:
        return [
            Text(""),
            Text(""),
            _cut(self.person_name(person_id), "bold"),
            _cut(format_minutes(minutes), "bold", right=True),
            Text(""),
            _cut(plural(count, "entry", "entries") if count else "no entries", "dim"),
            _cut(self.week_label(person_id), "dim"),
        ]

    def week_label(self, person_id: str | None) -> str:
        """`submitted 2/5`, `not submitted`, or nothing while that is not known."""
        week = self.weeks.get(person_id or "") if self.weeks is not None else None
        if week is None:
            return ""
        return week.label if week.submitted == 0 else f"submitted {week.label}"

    def entry_cells(self, record: EntryRecord) -> list[Text]:
        result = self.results.get(record.id)
        mark, style = RESULT_MARKS.get(result.result, ("", "")) if result else ("", "")
        status = record.status.value
        if record.rejected and record.rejected_reason:
            status = f"rejected: {one_line(record.rejected_reason)}"
        return [
            Text(
                "■" if record.id in self.selected else "·",
                style="bold" if record.id in self.selected else "dim",
            ),
            Text(mark, style=style),
            _cut(f"  {record.date:%a %d %b}"),
            _cut(format_minutes(self.store.live_minutes(record)), right=True),
            _cut(service_name(self.store.services, record.service_id)),
            _cut(status),
            _cut(one_line(record.note)),
        ]

    def redraw_rows(self, ids: Iterable[str]) -> None:
        table = self.table
        for entry_id in ids:
            record = self.store.records.get(entry_id)
            if record is None or entry_id not in table.rows:
                continue
            for (key, _), cell in zip(
                COLUMNS,
                self.entry_cells(record),
                strict=True,
            ):
                table.update_cell(entry_id, key, cell)
        self.update_status()

    def update_live(self) -> None:
        """Each second: when the running timer's minute changed, redraw its row, its
        person's total and the totals below (no other row)."""
        live = self.store.live_timer_minutes()
        if live == self._live:
            return
        ids = {entry[0] for entry in (self._live, live) if entry is not None}
        self._live = live
        table = self.table
        for entry_id in ids:
            record = self.store.records.get(entry_id)
            if record is None:
                continue
            who = record.person_id
            key = f"{HEADER_PREFIX}{who or ''}"
            if key not in table.rows:
                continue
            person = [i for i in self.shown if self.store.records[i].person_id == who]
            minutes = self.store.totals(person, live=True)[0].get(who or "", 0)
            table.update_cell(key, "time", _cut(format_minutes(minutes), "bold", right=True))
        self.redraw_rows(ids)

    def update_filters(self) -> None:
        if not self.is_attached:
            return
        end = self.week_start + timedelta(days=6)
        people = self.chosen_people_label() or "everyone"
        parts = [
            f"Week {self.week_start:%d %b} – {end:%d %b %Y}",
            f"status: {STATUS_FILTERS[self.status_filter][0]}",
            f"people: {people}",
            f"for all approvers: {'on' if self.for_all_approvers else 'off'}",
        ]
        status = self.store.status
        if status.loading or not self.loaded:
            parts.append("loading…")
        if status.error:
            parts.append(printable(status.error))
        self.query_one("#approvals-filters", Static).update(Text("  ·  ".join(parts)))

    def update_status(self) -> None:
        if not self.is_attached:
            return
        store = self.store
        shown_minutes = sum(store.totals(self.shown, live=True)[0].values())
        selected = [i for i in self.shown if i in self.selected]
        per_person, per_day = store.totals(selected if selected else self.shown, live=True)
        days = []
        for offset in range(7):
            day = self.week_start + timedelta(days=offset)
            days.append(f"{day:%a} {format_minutes(per_day.get(day, 0))}")
        selected_minutes = sum(per_person.values()) if selected else 0
        label = "selected" if selected else "shown"
        per_day_line = self.query_one("#approvals-days", Static)
        line = f"Per day ({label}): " + "  ".join(days)
        if len(line) > per_day_line.content_size.width:  # at 80 columns: all seven days
            line = ("Selected: " if selected else "Per day: ") + " ".join(days)
        per_day_line.update(Text(line))
        parts = [
            f"{plural(len(self.shown), 'entry', 'entries')} shown "
            f"({format_minutes(shown_minutes)})",
            f"{len(selected)} selected ({format_minutes(selected_minutes)})",
        ]
        if self.for_all_approvers:
            parts.append("for all approvers")
        line = "  ·  ".join(parts)
        if self.loaded and not self.shown and not store.status.loading:
            line = f"{self.nothing_shown()}\n{line}"
        if self.summary:
            line += "\n" + self.summary
        self.query_one("#approvals-status", Static).update(Text(line))

    def chosen_people_label(self) -> str | None:
        """The people picked, as the filters line names them; None when none (everyone)."""
        chosen = self.people_list.selected
        if not chosen:
            return None
        if len(chosen) == 1:
            return self.person_name(chosen[0])
        return plural(len(chosen), "person", "people")

    def nothing_shown(self) -> str:
        """What an empty list means: which filters left nothing, and how to widen them."""
        chosen = self.chosen_people_label()
        whose = f" of {chosen}" if chosen else ""
        label = STATUS_FILTERS[self.status_filter][0]
        which = "" if self.status_filter == "all" else f" {label}"
        return (
            f"No entries{which}{whose} in the week of {self.week_start:%d %b}: "
            "v changes the status shown, p the people, [ and ] the week."
        )

    def refresh_people(self) -> None:
        people = sorted(self.store.people.values(), key=lambda p: p.name.casefold())
        ids = [p.id for p in people]
        labels = [self.people_label(p.id, p.name) for p in people]
        if ids == self._people_shown and labels == self._people_labels:
            return
        widget = self.people_list
        chosen = set(widget.selected)
        highlighted = widget.highlighted
        was = widget.get_option_at_index(highlighted).value if highlighted is not None else None
        widget.clear_options()
        widget.add_options(
            [
                Selection(Text(label), p.id, p.id in chosen)
                for p, label in zip(people, labels, strict=True)
            ]
        )
        self._people_shown, self._people_labels = ids, labels
        # The highlight stays on its person, else starts on the first: `space` always
        # toggles someone (with no highlight, the first space did nothing).
        if ids:
            widget.highlighted = ids.index(was) if was in ids else 0

    def people_label(self, person_id: str, name: str) -> str:
        """A person's line in the panel: their week's submitted working days once known,
        first (a long name is cut at its end, never the count), then the name: `3/5 Ana
        Lima`, `0/5 Bo` (the person's line in the table says "not submitted")."""
        week = self.weeks.get(person_id) if self.weeks is not None else None
        text = one_line(name)
        return f"{week.count} {text}" if week is not None else text

    # ----------------------------------------------------------------- selection

    def cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None

    def _set_selected(self, ids: Iterable[str], selected: bool) -> None:
        ids = list(ids)
        if selected:
            self.selected.update(ids)
        else:
            self.selected.difference_update(ids)
        self.redraw_rows(ids)

    def person_rows(self, header_key: str) -> list[str]:
        person = header_key[len(HEADER_PREFIX) :] or None
        return [i for i in self.shown if self.store.records[i].person_id == person]

    def action_toggle_row(self) -> None:
        key = self.cursor_key()
        if key is None:
            return
        if key.startswith(HEADER_PREFIX):
            ids = self.person_rows(key)
            self._set_selected(ids, not all(i in self.selected for i in ids))
        else:
            self._set_selected([key], key not in self.selected)

    def action_select_all(self) -> None:
        everything = bool(self.shown) and all(i in self.selected for i in self.shown)
        self._set_selected(self.shown, not everything)

    def targets(self) -> list[str]:
        """The selection, else the cursor row (a person's line: their entries)."""
        if self.selected:
            return [i for i in self.shown if i in self.selected]
        key = self.cursor_key()
        if key is None:
            return []
        return self.person_rows(key) if key.startswith(HEADER_PREFIX) else [key]

    def describe(self, ids: Sequence[str]) -> str:
        per_person, _ = self.store.totals(ids)
        minutes = sum(per_person.values())
        return (
            f"{plural(len(ids), 'entry', 'entries')} ({format_minutes(minutes)}) "
            f"of {plural(len(per_person), 'person', 'people')}"
        )

    # ------------------------------------------------------------------- actions

    def _usable(self) -> bool:
        if not self.supported:
            self.notify(
                f"{printable(self.store.backend.name.title())} has no approvals.",
                severity="warning",
            )
            return False
        return True

    def action_toggle_for_all(self) -> None:
        self.for_all_approvers = not self.for_all_approvers
        self.update_filters()
        self.update_status()

    def action_cycle_status(self) -> None:
        names = list(STATUS_FILTERS)
        self.status_filter = names[(names.index(self.status_filter) + 1) % len(names)]
        self.update_filters()
        self.rebuild()

    def action_focus_people(self) -> None:
        """`p` opens the people panel, and closes it again (back to the table)."""
        if not self.supported:
            return
        if self.people_list.has_focus:
            self.action_close_people()
        else:
            self.people_list.focus()

    def action_close_people(self) -> None:
        """`escape` in the people panel: back to the table."""
        if self.people_list.has_focus:
            self.table.focus()

    @on(DataTable.RowSelected, "#approvals-table")
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        """`enter` on a row (the table's own key): an entry's details, or on a person's
        line, their week."""
        event.stop()
        if event.row_key.value is not None:
            self.show_details_of(event.row_key.value)

    def action_show_details(self) -> None:
        key = self.cursor_key()
        if key is not None:
            self.show_details_of(key)

    def show_details_of(self, key: str) -> None:
        from tui.screens.entry_detail import EntryDetail, WeekSummary

        if key.startswith(HEADER_PREFIX):
            self.app.push_screen(
                WeekSummary(
                    self.store,
                    key[len(HEADER_PREFIX) :] or None,
                    self.week_start,
                    shown=self.person_rows(key),
                    filter_name=STATUS_FILTERS[self.status_filter][0],
                )
            )
        elif key in self.store.records:
            self.app.push_screen(EntryDetail(self.store, key, result=self.results.get(key)))

    @on(SelectionList.SelectedChanged, "#approvals-people")
    def people_changed(self) -> None:
        self.update_filters()
        self.rebuild()

    def action_previous_week(self) -> None:
        self.shift_week(-1)

    def action_next_week(self) -> None:
        self.shift_week(1)

    def action_this_week(self) -> None:
        weeks = (week_range(self.store.today())[0] - self.week_start).days // 7
        if weeks:
            self.shift_week(weeks)

    def shift_week(self, weeks: int) -> None:
        if not self.supported:
            return
        self._week_start = self.week_start + timedelta(days=7 * weeks)
        self.update_filters()
        self.load()

    def action_approve(self) -> None:
        self._confirm_then("approve")

    def action_unapprove(self) -> None:
        self._confirm_then("unapprove")

    def _confirm_then(self, verb: str) -> None:
        if not self._usable():
            return
        ids = self.targets()
        if not ids:
            self.notify("Nothing to act on: select entries with space.")
            return
        from tui.screens.dialogs import ConfirmDialog

        running = self.store.live_timer_minutes()
        timed = running[0] if running is not None and verb == "approve" else None
        left_out = ""
        if timed in ids:  # the store refuses it: its time is the timer's until the stop
            ids = [i for i in ids if i != timed]
            left_out = f"\n{timer_left_out(timed)}"
            if not ids:
                self.notify(timer_blocks_approval(timed))
                return
        extra = " for all approvers" if verb == "approve" and self.for_all_approvers else ""
        for_all = self.for_all_approvers

        def answered(yes: bool | None) -> None:
            if yes:
                self._approval_worker(
                    partial(self._run_approval, verb, ids, for_all), f"approvals-{verb}"
                )

        self.app.push_screen(
            ConfirmDialog(
                f"{verb.title()} {self.describe(ids)}{extra}?{left_out}", title=verb.title()
            ),
            answered,
        )

    def _approval_worker(
        self, work: Callable[[], Coroutine[Any, Any, None]], name: str
    ) -> Worker[None]:
        """An app worker in the "approve" group (not exclusive: each one finishes), so the
        app's error handler reports what fails."""
        return self.app.run_worker(
            work, name=name, group="approve", exclusive=False, exit_on_error=False
        )

    async def _run_approval(self, verb: str, ids: list[str], for_all: bool) -> None:
        if verb == "approve":
            results = await self.store.approve(ids, for_all_approvers=for_all)
        else:
            results = await self.store.unapprove(ids)
        self.show_results(results)

    def action_reject(self) -> None:
        if not self._usable():
            return
        if not self.store.capabilities.reject:
            self.notify(
                f"{printable(self.store.backend.name.title())} has no rejections.",
                severity="warning",
            )
            return
        ids = self.targets()
        if not ids:
            self.notify("Nothing to act on: select entries with space.")
            return
        from tui.screens.dialogs import ReasonDialog

        def answered(reason: str | None) -> None:
            if reason:
                self._approval_worker(partial(self._run_rejects, ids, reason), "approvals-reject")

        self.app.push_screen(
            ReasonDialog(f"Why reject {self.describe(ids)}?", title="Reject"), answered
        )

    def action_unreject(self) -> None:
        """`U`: take back the rejection of the selected entries (the rejected ones)."""
        if not self._usable():
            return
        if not self.store.capabilities.reject:
            self.notify(
                f"{printable(self.store.backend.name.title())} has no rejections.",
                severity="warning",
            )
            return
        ids = [i for i in self.targets() if self.store.records[i].rejected]
        if not ids:
            # `U` acts on what the other actions act on: the selection, else the cursor's
            # entry or person; the sentence names which one held no rejection.
            key = self.cursor_key()
            if self.selected:
                why = "none of the selected entries is rejected"
            elif key is not None and key.startswith(HEADER_PREFIX):
                why = "none of this person's entries is rejected"
            else:
                why = "the entry under the cursor is not rejected"
            self.notify(f"Nothing to unreject: {why}.")
            return
        from tui.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self._approval_worker(partial(self._run_unrejects, ids), "approvals-unreject")

        # It asks, as approve, unapprove and reject do: it changes entries on the server.
        self.app.push_screen(
            ConfirmDialog(f"Unreject {self.describe(ids)}?", title="Unreject"), answered
        )

    async def _run_unrejects(self, ids: list[str]) -> None:
        await self._one_by_one(ids, self.store.unreject, "Unrejecting")

    async def _run_rejects(self, ids: list[str], reason: str) -> None:
        await self._one_by_one(ids, partial(self.store.reject, reason=reason), "Rejecting")

    async def _one_by_one(
        self, ids: list[str], send: Callable[[str], Awaitable[ApprovalResult]], doing: str
    ) -> None:
        """A rejection (or its undoing) is one request per entry, and hundreds take half a
        minute under Productive's rate limit: the status line counts them as they go, and
        each row shows its result as soon as it has one. A refused token ends the run
        (raised to the app's error handler) with what was done so far summed up."""
        results: list[ApprovalResult] = []
        try:
            for entry_id in ids:
                self.summary = f"{doing} {len(results) + 1} of {len(ids)}…"
                if self.is_attached:
                    self.update_status()
                result = await send(entry_id)
                results.append(result)
                self.results[result.id] = result
                if self.is_attached:
                    self.redraw_rows([result.id])
        finally:
            self.show_results(results, not_sent=len(ids) - len(results))

    def show_results(self, results: Sequence[ApprovalResult], *, not_sent: int = 0) -> None:
        """Mark each row by its result; the counts and the failures in the status line
        (and how many were `not_sent`: not done when a run ended early). What did not go through
        stays selected, to try again (e.g. with `f`)."""
        counts: dict[str, int] = defaultdict(int)
        for result in results:
            self.results[result.id] = result
            counts[result.result] += 1
        failed = [r for r in results if r.result == "failed"]
        labels = (
            ("approved", "approved"),
            ("pending", "still pending other approvers"),
            ("unapproved", "unapproved"),
            ("rejected", "rejected"),
            ("unrejected", "unrejected"),
            ("failed", "failed"),
        )
        summary = ", ".join(f"{counts[key]} {label}" for key, label in labels if counts[key])
        if not_sent:
            summary = ", ".join(part for part in (summary, f"{not_sent} not done") if part)
        if failed:
            reasons = "; ".join(
                f"#{printable(r.id)}: {one_line(r.message or 'no reason given')}"
                for r in failed[:5]
            )
            more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
            summary += f" — {reasons}{more}"
        self.summary = summary
        if not self.is_attached:
            return
        done = {r.id for r in results if r.result not in ("pending", "failed")}
        self.selected -= done
        self.redraw_rows([r.id for r in results])
        self.notify(
            summary or "Nothing was done.",
            severity="error" if failed else "information",
            title="Approvals",
            markup=False,
        )
