"""The key bar: the keys that work here, most important first, whole or not at all.

It replaces Textual's `Footer`, which shows every binding in the order found and cuts the
last one mid-word when the width runs out (`t Sta`). The bar reads the screen's active
bindings (so a `[keys]` remap shows the key that works now), leaves out what the backend
cannot do (`tui.actions.needs`: no `a`/`x`/`r` on Plannr), orders the rest by
`tui.actions.KEY_BAR` (by binding id, so a remapped key keeps its place) and lays out
whole `key label` items until the width is used.

It redraws (one line, no recompose) when the screen's bindings change (focus moved, a
`check_action` answer changed) and on resize.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from tui.actions import ACTIONS, Action, key_bar_rank, needs

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.api.base import Capabilities

GAP = "  "
"""Between two items."""


@dataclass(frozen=True)
class KeyItem:
    """One key shown in the key bar, and how much it matters when space is short."""

    key: str
    """The key as displayed (`^s`, `[`, `?`)."""
    label: str
    rank: int
    binding_id: str

    @property
    def width(self) -> int:
        return len(self.key) + 1 + len(self.label)


def fit(items: list[KeyItem], width: int) -> list[KeyItem]:
    """The leading items that fit in `width` whole, with the gaps between them."""
    shown: list[KeyItem] = []
    used = 0
    for item in items:
        wanted = item.width + (len(GAP) if shown else 0)
        if used + wanted > width:
            break
        shown.append(item)
        used += wanted
    return shown


class KeyBar(Widget):
    """The screen's working keys, by importance, never cut."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def __init__(
        self,
        capabilities: Capabilities,
        *,
        here: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`capabilities`: the backend's; `here`: the binding id that opens this screen
        (`show-timesheet`), left out since it does nothing here."""
        super().__init__(id=id, classes=classes)
        self.capabilities = capabilities
        self.here = here

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def _available(self, action: Action | None) -> bool:
        if action is None:
            return False
        return all(getattr(self.capabilities, name, False) for name in needs(action))

    def items(self) -> list[KeyItem]:
        """Every shown key that works here now, in the bar's order (one item per action)."""
        by_id: dict[str, list[Action]] = {}
        for one in ACTIONS:
            by_id.setdefault(one.id, []).append(one)
        seen: dict[str, KeyItem] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not (binding.show and active.enabled and binding.id):
                continue
            if binding.id in seen or binding.id == self.here:
                continue
            same = by_id.get(binding.id, [])
            action = next((a for a in same if a.action == binding.action), None)
            if not self._available(action):
                continue
            seen[binding.id] = KeyItem(
                self.app.get_key_display(binding),
                binding.description,
                key_bar_rank(binding.id),
                binding.id,
            )
        return sorted(seen.values(), key=lambda item: item.rank)

    def shown(self) -> list[KeyItem]:
        """The items the bar's width holds."""
        return fit(self.items(), self.content_region.width or self.size.width)

    @property
    def text(self) -> str:
        """The bar as plain text (for tests)."""
        return self.render().plain

    def render(self) -> Content:
        pieces: list[str | tuple[str, str]] = []
        for index, item in enumerate(self.shown()):
            if index:
                pieces.append(GAP)
            pieces.append((item.key, "bold $footer-key-foreground"))
            pieces.append(" " + item.label)
        return Content.assemble(*pieces)
