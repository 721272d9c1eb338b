"""The help screen (`?`): every key that works on the screen underneath, generated from the
bindings, never from a hand-written list. Our bindings are made from the action registry
(`tui.actions`), so a row's label and tooltip are the registry's.

The rows come from the screen's `active_bindings`, which is Textual's own resolution of the
binding chain (the focused widget, its ancestors, the screen, the app) after the user's
`[keys]` keymap is applied, so a remapped key shows as the key that works now. Grouped by where
the binding lives (the widget, this screen, everywhere), like Textual's key panel; bindings
marked `system` are left out, and keys bound to one action in one place share a row.
Textual's own keys (focus, copy, a table's cursor: bindings without an id, since each of
ours has one) come last, grouped apart under "Textual". Over the timesheet, a legend says
what the grid's row marks mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from tui.actions import Scope, bindings
from tui.store.records import RowState
from tui.widgets.entry_grid import MARKERS, EntryGrid

TEXTUAL_GROUP = "Textual"
"""The group of Textual's own keys (bindings without an id)."""

MARK_WORDS: dict[RowState, str] = {
    RowState.new: "new",
    RowState.changed: "changed",
    RowState.deleted: "deleted",
    RowState.failed: "failed",
    RowState.conflict: "conflict",
    RowState.saving: "saving",
    RowState.unconfirmed: "waiting for the server",
}
"""What each row mark of the grid means, in the legend's order."""


TEXTUAL_DESCRIPTIONS = {"command_palette": "Command palette"}
"""Textual's own bindings whose description does not say what they do."""


def marks_legend() -> str:
    """`+ new · ~ changed · ... · ? waiting for the server`: every mark the grid draws."""
    states = [*MARK_WORDS, *(s for s in MARKERS if s not in MARK_WORDS)]
    return " · ".join(
        f"{MARKERS[state]} {MARK_WORDS.get(state, state.value)}"
        for state in states
        if MARKERS.get(state, " ").strip()
    )


@dataclass(frozen=True)
class HelpRow:
    group: str
    """Where the keys work: a widget's name, "This screen" or "Everywhere"."""
    keys: tuple[str, ...]
    """The keys as displayed (after the user's keymap)."""
    description: str
    tooltip: str
    binding_ids: tuple[str, ...]
    """The ids of the bindings on this row (what `[keys]` remaps)."""
    action: str


def _group_title(node: DOMNode) -> str:
    if isinstance(node, App):
        return "Everywhere"
    if isinstance(node, Screen):
        return "This screen"
    if isinstance(node, Widget) and node.BINDING_GROUP_TITLE:
        return node.BINDING_GROUP_TITLE
    name = type(node).__name__
    return "".join(f" {c.lower()}" if c.isupper() and i else c for i, c in enumerate(name))


def help_rows(screen: Screen[Any]) -> list[HelpRow]:
    """The keys active on *screen*, grouped by where they are bound (innermost first)."""
    app = screen.app
    grouped: dict[DOMNode, dict[str, list[Binding]]] = {}
    for namespace, binding, _enabled, _tooltip in screen.active_bindings.values():
        if binding.system:
            continue
        grouped.setdefault(namespace, {}).setdefault(binding.action, []).append(binding)

    # This screen, then everywhere, then the focused widget's own keys (moving, editing).
    def order(node: DOMNode) -> int:
        return 0 if isinstance(node, Screen) else 1 if isinstance(node, App) else 2

    rows: list[HelpRow] = []
    theirs: list[HelpRow] = []
    for namespace, by_action in sorted(grouped.items(), key=lambda item: order(item[0])):
        group = _group_title(namespace)
        for action, same in by_action.items():
            ours = any(b.id for b in same)
            # The app's own binding (it has an id) describes the row, before inherited ones.
            main = next((b for b in same if b.id), same[0])
            ordered = [main, *(b for b in same if b is not main)]
            keys = tuple(dict.fromkeys(app.get_key_display(b) for b in ordered))
            description = (
                (TEXTUAL_DESCRIPTIONS.get(action) if not ours else None)
                or main.description
                or action.replace("_", " ")
            )
            (rows if ours else theirs).append(
                HelpRow(
                    group if ours else TEXTUAL_GROUP,
                    keys,
                    description,
                    main.tooltip,
                    tuple(b.id for b in ordered if b.id),
                    action,
                )
            )
    return rows + theirs


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath; `escape`, `q` or the help key close it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 90%;
        max-width: 110;
        height: auto;
        max-height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen VerticalScroll {
        height: auto;
        max-height: 1fr;
    }
    HelpScreen .help-table {
        width: 1fr;
    }
    HelpScreen #help-marks {
        margin-top: 1;
    }
    HelpScreen .help-hint {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.help)

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.rows = help_rows(screen)
        self.legend = marks_legend() if screen.query(EntryGrid) else ""
        """The row marks' legend (over a screen with the grid), else empty."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Keys", style="bold"))
            with VerticalScroll():
                yield Static(self._table(), classes="help-table")
                if self.legend:
                    yield Static(
                        Text.assemble(("Row marks  ", "bold"), self.legend), id="help-marks"
                    )
            yield Static(
                Text("escape / q close · ctrl+p finds any command by name"), classes="help-hint"
            )

    def _table(self) -> Table:
        """One table, so the columns line up across groups; a title row starts each group."""
        groups: dict[str, list[HelpRow]] = {}
        for row in self.rows:
            groups.setdefault(row.group, []).append(row)
        table = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False)
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(style="dim")
        for index, (group, rows) in enumerate(groups.items()):
            if index:
                table.add_row()
            table.add_row("", Text(group, style="bold underline"))
            for row in rows:
                table.add_row(Text(" ".join(row.keys)), Text(row.description), Text(row.tooltip))
        return table

    def action_close(self) -> None:
        self.dismiss()
