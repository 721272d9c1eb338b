"""The grid's columns: what each shows, and how wide, from the view's width alone.

Widths never depend on the loaded rows: every column has a target width and a minimum;
Note takes whatever the view leaves. When the view is narrower than the targets, Note
shrinks first (to its minimum), then the name columns in `SHRINK_ORDER` (each to its
minimum before the next gives), so the Status column stays in view at 80 columns. So a
week of short notes and a week of long ones lay out the same, and no pass over the rows is
needed to lay out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from tui.store.records import RowState
from tui.store.values import printable

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
MARKER_WIDTH = 1 + GAP
"""The row's state marker and the gap after it."""
HEADER_LINES = 1
FOOTER_LINES = 2
"""The totals line and the status line."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the grid: its heading, its widths and the field it edits."""

    key: str
    label: str
    target: int
    """Its width when the view has room (Note: 0, it takes what is left)."""
    minimum: int
    """Narrowest it gets in a narrow view."""
    field: str | None
    """The store field an edit of this column sets (None: not editable)."""
    align: str = "left"


COLUMN_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("date", "Date", 6, 6, "date"),
    ColumnSpec("person", "Person", 18, 8, None),
    ColumnSpec("service", "Service", 28, 10, "service_id"),
    ColumnSpec("task", "Task", 20, 8, "task_id"),
    ColumnSpec("note", "Note", 0, 12, "note"),
    ColumnSpec("time", "Time", 6, 6, "minutes", "right"),
    ColumnSpec("status", "Status", 9, 9, None),
)
SPECS = {spec.key: spec for spec in COLUMN_SPECS}
NOTE_COMFORT = 40
"""Note's width before spare room goes to the name columns."""
WIDE_TARGETS = {"service": 46, "task": 28, "person": 22}
"""How far the name columns grow in a wide view, once Note has `NOTE_COMFORT`."""
SHRINK_ORDER = ("task", "person", "service")
"""Which name column gives way first in a narrow view: Task (many entries have none),
then Person, and Service last (every entry has one, and it tells them apart)."""


@dataclass(frozen=True)
class Column:
    """A shown column: its spec, width and x (in cells, from the grid's left edge)."""

    spec: ColumnSpec
    x: int
    width: int

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def end(self) -> int:
        """The first cell after it (its gap)."""
        return self.x + self.width


def widths(view_width: int, *, person: bool) -> dict[str, int]:
    """Each shown column's width for a view `view_width` cells wide (the person column
    only with `person`). Room to spare goes to Note up to `NOTE_COMFORT`, then to the
    name columns up to `WIDE_TARGETS`, then to Note; short of room, Note gives first,
    then the name columns in `SHRINK_ORDER`."""
    specs = [spec for spec in COLUMN_SPECS if person or spec.key != "person"]
    sizes = {spec.key: spec.target or spec.minimum for spec in specs}
    room = view_width - MARKER_WIDTH - GAP * len(specs)
    spare = room - sum(sizes.values())
    if spare >= 0:
        # A wide view: Note first up to a comfortable width, then the name columns up to
        # their room for a long label (`Design (Bergmann & Söhne › Field service app)`),
        # then Note again. Still from the view's width alone, so weeks line up.
        for key, cap in (("note", NOTE_COMFORT), *WIDE_TARGETS.items()):
            if key in sizes:
                grow = min(spare, max(0, cap - sizes[key]))
                sizes[key] += grow
                spare -= grow
        sizes["note"] += spare
        return sizes
    short = -spare
    for key in SHRINK_ORDER:
        if key in sizes and short > 0:
            give = min(short, sizes[key] - SPECS[key].minimum)
            sizes[key] -= give
            short -= give
    return sizes  # still short: all at their minimum, the grid scrolls sideways


def layout(view_width: int, *, person: bool) -> tuple[Column, ...]:
    """The shown columns, left to right, laid out for `view_width`."""
    sizes = widths(view_width, person=person)
    columns = []
    x = MARKER_WIDTH
    for spec in COLUMN_SPECS:
        if spec.key in sizes:
            columns.append(Column(spec, x, sizes[spec.key]))
            x += sizes[spec.key] + GAP
    return tuple(columns)


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
