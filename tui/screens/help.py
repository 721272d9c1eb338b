"""The help screen (`?`): every key that works on the screen underneath, generated from the
bindings, never from a hand-written list. Our bindings are made from the action registry
(`tui.actions`), so a row's label and tooltip are the registry's.

The rows come from the screen's `active_bindings`, which is Textual's own resolution of the
binding chain (the focused widget, its ancestors, the screen, the app) after the user's
`[keys]` keymap is applied, so a remapped key shows as the key that works now. Grouped by where
the binding lives (the widget, this screen, everywhere), like Textual's key panel; bindings
marked `system` are left out, and keys bound to one action in one place share a row.
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

    rows = []
    for namespace, by_action in sorted(grouped.items(), key=lambda item: order(item[0])):
        group = _group_title(namespace)
        for action, same in by_action.items():
            # The app's own binding (it has an id) describes the row, before inherited ones.
            main = next((b for b in same if b.id), same[0])
            ordered = [main, *(b for b in same if b is not main)]
            keys = tuple(dict.fromkeys(app.get_key_display(b) for b in ordered))
            rows.append(
                HelpRow(
                    group,
                    keys,
                    main.description or action.replace("_", " "),
                    main.tooltip,
                    tuple(b.id for b in ordered if b.id),
                    action,
                )
            )
    return rows


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
    HelpScreen .help-hint {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.help)

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.rows = help_rows(screen)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Keys", style="bold"))
            with VerticalScroll():
                yield Static(self._table(), classes="help-table")
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
