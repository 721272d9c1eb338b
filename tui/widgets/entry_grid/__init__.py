"""The entry grid: the week's entries as a spreadsheet-like grid.

- `columns`: what each column shows and how wide (from the view's width alone).
- `totals`: the per-day totals, kept incrementally, and the totals line (no textual).
- `editor`: the cell editor (text, caret, selection: drawn by the grid) and its suggestion list.
- `source`: `GridSource`, exactly what the grid reads from the store.
- `grid`: the `EntryGrid` widget.
"""

from tui.widgets.entry_grid.columns import COLUMN_SPECS, MARKERS, Column, ColumnSpec, fit, note_text
from tui.widgets.entry_grid.grid import EntryGrid
from tui.widgets.entry_grid.source import GridSource

__all__ = [
    "COLUMN_SPECS",
    "MARKERS",
    "Column",
    "ColumnSpec",
    "EntryGrid",
    "GridSource",
    "fit",
    "note_text",
]
