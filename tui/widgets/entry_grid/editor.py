"""The grid's cell editor: a one-line input drawn over its cell, and the suggestion list
under it for the service and task columns.

- The editor opens with its whole value selected, so typing replaces it (arrows, home and
  end still move within the text).
- Both are overlays (`overlay: screen`) placed by the grid at the cell: nothing under them
  moves, and their opaque background covers exactly their region.
- The list shows the choices matching what is typed (name or context, prefix first, then
  words anywhere; letters in order when nothing else matches); up/down move in it, enter
  or tab picks the highlighted one (tab: the first when none is), a click picks one.
  Without a highlighted choice, enter resolves the typed text (`resolve`).

Choices are shown literally: `Content(label)`, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.input import Selection
from textual.widgets.option_list import Option

from tui.store.values import printable

MAX_SUGGESTIONS = 8
"""Lines of the suggestion list; more choices scroll."""


@dataclass(frozen=True)
class Choice:
    """One service or task the editor can stage."""

    id: str
    label: str
    """As the grid shows it (a service with its context: `Design (Acme › Website)`)."""
    name: str
    """The bare name (`Design`)."""
    first: bool = False
    """Listed before the others (a task of the row's service)."""


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _in_order(letters: str, text: str) -> bool:
    found = iter(text)
    return all(letter in found for letter in letters)


def matching(choices: Sequence[Choice], typed: str) -> list[Choice]:
    """The choices that match `typed`, best first: its start (of the name or the label),
    then every typed word somewhere in the label (name and context); only when nothing
    matches so, its letters in order. The row's own (`first`) ahead of the others at
    each step."""
    text = _words(typed)
    if not text:
        return sorted(choices, key=lambda choice: not choice.first)
    words = text.split()
    letters = text.replace(" ", "")
    ranked: list[tuple[int, bool, int, Choice]] = []
    for position, choice in enumerate(choices):
        label, name = _words(choice.label), _words(choice.name)
        if label.startswith(text) or name.startswith(text):
            rank = 0
        elif all(word in label for word in words):
            rank = 1
        elif _in_order(letters, label):
            rank = 2
        else:
            continue
        ranked.append((rank, not choice.first, position, choice))
    if any(item[0] < 2 for item in ranked):
        ranked = [item for item in ranked if item[0] < 2]  # letters in order: a last resort
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]


def resolve(typed: str, kind: str, choices: Sequence[Choice]) -> tuple[str | None, str | None]:
    """An id from typed text: the label or the name exactly (any case), else a unique
    start of either, else an id as it is. Returns (id, None), or (None, why not)."""
    text = _words(typed)
    if not text:
        return None, f"Type a {kind} name; an entry needs a {kind}."
    for pool in (
        [c for c in choices if _words(c.label) == text],
        [c for c in choices if _words(c.name) == text],
    ):
        if len(pool) == 1:
            return pool[0].id, None
        if pool:
            return None, _ambiguous(typed, kind, pool)
    starts = [
        c for c in choices if _words(c.label).startswith(text) or _words(c.name).startswith(text)
    ]
    if len(starts) == 1:
        return starts[0].id, None
    if any(c.id == typed.strip() for c in choices):
        return typed.strip(), None
    if starts:
        return None, _ambiguous(typed, kind, starts)
    shown = printable(typed.strip())
    return None, f"No {kind} is called {shown!r}; type the start of a {kind}'s name."


def _ambiguous(typed: str, kind: str, pool: Sequence[Choice]) -> str:
    labels = sorted(printable(c.label) for c in pool)
    listed = ", ".join(labels[:3]) + (", …" if len(labels) > 3 else "")
    return (
        f"{printable(typed.strip())!r} matches {len(pool)} {kind}s ({listed}); "
        "pick one from the list or type more of the name."
    )


class Suggestions(OptionList, can_focus=False):
    """The choices matching the editor's text; the editor keeps the focus and moves the
    highlight. Nothing is highlighted until the user moves into the list."""

    label_width = 0
    """Cells of the widest choice shown."""

    DEFAULT_CSS = """
    Suggestions {
        overlay: screen;
        position: absolute;
        width: auto;
        height: auto;
        max-height: 8;
        border: none;
        padding: 0;
        background: $panel;
        & > .option-list--option { padding: 0 1; }
    }
    """

    def show_choices(self, choices: Iterable[Choice]) -> int:
        """List these (the highlight cleared); returns how many."""
        choices = list(choices)
        options = [Option(Content(choice.label), id=choice.id) for choice in choices]
        self.label_width = max((cell_len(choice.label) for choice in choices), default=0)
        self.set_options(options)
        return len(options)

    def move_highlight(self, step: int) -> None:
        if self.option_count == 0:
            return
        if self.highlighted is None:
            self.highlighted = 0 if step > 0 else self.option_count - 1
        elif step > 0:
            self.action_cursor_down()
        else:
            self.action_cursor_up()

    def picked_id(self, *, or_first: bool) -> str | None:
        """The highlighted choice's id (or the first's, with `or_first`), if any."""
        option = self.highlighted_option
        if option is None and or_first and self.option_count:
            option = self.get_option_at_index(0)
        return option.id if option is not None else None


class CellEditor(Input):
    """The one-line editor; with `suggestions` shown, up/down move in them and tab picks."""

    DEFAULT_CSS = """
    CellEditor {
        overlay: screen;
        position: absolute;
        height: 1;
        border: none;
        padding: 0;
        background: $primary-muted;
        &:focus { background: $primary-muted; }
    }
    """

    PICK_KEYS: ClassVar[frozenset[str]] = frozenset({"tab"})
    """Keys that pick a suggestion (enter picks one only when it is highlighted)."""

    class Picked(Message):
        """A suggestion was picked by key: stage its id."""

        def __init__(self, editor: CellEditor, choice_id: str) -> None:
            super().__init__()
            self.editor = editor
            self.choice_id = choice_id

        @property
        def control(self) -> CellEditor:
            return self.editor

    def __init__(self, suggestions: Suggestions, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True, select_on_focus=True)
        self.suggestions = suggestions

    def open_with(self, text: str) -> None:
        """Show `text`, all of it selected: typing replaces it."""
        self.value = text
        self.selection = Selection(0, len(text))

    async def _on_key(self, event: events.Key) -> None:
        suggestions = self.suggestions
        if suggestions.display and event.key in ("up", "down"):
            event.stop()
            event.prevent_default()
            suggestions.move_highlight(1 if event.key == "down" else -1)
            return
        if suggestions.display and event.key in self.PICK_KEYS:
            event.stop()
            event.prevent_default()
            picked = suggestions.picked_id(or_first=True)
            if picked is not None:
                self.post_message(self.Picked(self, picked))
            return
        await super()._on_key(event)
