"""Horizontal bars drawn with block characters, each with its label and its number.

Textual's own widgets rather than textual-plotext: plotext draws axes and ticks rather than
a number on every bar, takes only its background and text colours from the Textual theme
(its bar colours are its own, set through a global table it mutates), and its charts do not
fit three to an 80x24 screen. Here a bar is one line, `label  ██████░░░  6:15/8:00`, its
colours the theme's (component classes over `$primary`, `$warning`, ...), its text literal
(`rich.text.Text`, never markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui.store.present import one_line

FULL = "█"
"""A bar's time."""
MISSING = "░"
"""What a bar lacks of its target."""
PARTS = " ▏▎▍▌▋▊▉"
"""Eighths of a cell, for the end of a bar."""


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its minutes, its number as shown, and an optional target."""

    label: str
    minutes: int
    value: str
    """The number it carries (`6:15`, `6:15/8:00`, `12:30 · 31%`)."""
    target: int = 0
    """Minutes it should reach (a day's target); 0: none."""

    @property
    def short(self) -> bool:
        return self.minutes < self.target


def bar_cells(minutes: int, scale: float, width: int) -> tuple[str, int]:
    """The block characters of `minutes` at `scale` cells a minute, at most `width`, and how
    many whole cells they fill (a partly filled last cell counts as one)."""
    eighths = min(width * 8, round(minutes * scale * 8))
    if minutes > 0 and eighths == 0:
        eighths = 1  # a little time still shows
    whole, part = divmod(eighths, 8)
    text = FULL * whole + (PARTS[part] if part else "")
    return text, len(text)


class BarChart(Widget):
    """A list of labelled bars, scaled to the largest (or the largest target)."""

    DEFAULT_CSS = """
    BarChart {
        height: auto;
        padding: 0 1;
    }
    BarChart > .bar-chart--bar {
        color: $primary;
    }
    BarChart > .bar-chart--short {
        color: $warning;
    }
    BarChart > .bar-chart--missing {
        color: $panel-lighten-2;
    }
    BarChart > .bar-chart--label {
        color: $foreground;
    }
    BarChart > .bar-chart--value {
        color: $text;
        text-style: bold;
    }
    BarChart > .bar-chart--empty {
        color: $text-muted;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "bar-chart--bar",
        "bar-chart--short",
        "bar-chart--missing",
        "bar-chart--label",
        "bar-chart--value",
        "bar-chart--empty",
    }

    def __init__(
        self, *, empty: str = "Nothing logged.", id: str | None = None, classes: str | None = None
    ) -> None:
        """`empty`: what it says when it has no bars."""
        super().__init__(id=id, classes=classes)
        self.bars: list[Bar] = []
        self.empty_text = empty
        self._bar_styles: dict[str, Style] | None = None

    def show_bars(self, bars: Sequence[Bar]) -> None:
        """Draw these bars (in this order); the layout is redone only when their number
        changes (the chart's height), so streaming pages only repaint it."""
        if bars == self.bars:
            return
        layout = len(bars) != len(self.bars)
        self.bars = list(bars)
        self.refresh(layout=layout)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._bar_styles = None  # a theme change: the colours again

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self.bars))

    def render(self) -> Text:
        if not self.bars:
            return Text(self.empty_text, self.get_component_rich_style("bar-chart--empty"))
        width = self.content_region.width or self.size.width
        label_width = min(max(len(one_line(b.label)) for b in self.bars), max(12, width // 2))
        value_width = max(len(b.value) for b in self.bars)
        bar_width = max(1, width - label_width - value_width - 4)
        largest = max(max(b.minutes, b.target) for b in self.bars)
        scale = bar_width / largest if largest else 0.0
        styles = self._bar_styles
        if styles is None:
            styles = self._bar_styles = {
                name: self.get_component_rich_style(f"bar-chart--{name}")
                for name in ("bar", "short", "missing", "label", "value")
            }
        out = Text(no_wrap=True, overflow="ellipsis")
        for number, bar in enumerate(self.bars):
            if number:
                out.append("\n")
            out.append(one_line(bar.label, label_width).ljust(label_width), styles["label"])
            out.append("  ")
            cells, used = bar_cells(bar.minutes, scale, bar_width)
            out.append(cells, styles["short" if bar.short else "bar"])
            if bar.target > bar.minutes:
                target_cells = min(bar_width, round(bar.target * scale))
                missing = max(0, target_cells - used)
                out.append(MISSING * missing, styles["missing"])
                used += missing
            out.append(" " * (bar_width - used + 2))
            out.append(bar.value.rjust(value_width), styles["value"])
        return out
