"""The grid's cell editor: a one-line text the grid draws over its cell, and the
suggestion list under it for the service and task columns.

- The editor is plain state (`LineEdit`: text, caret, selection), drawn by the grid in its
  own row and fed the keys by the grid, which keeps the focus: opening, typing and closing
  change no focus and lay nothing out (a focus change re-applies the CSS, recomputes the
  bindings and redraws the grid; a shown, moved or hidden overlay lays the screen out).
- It opens with its whole value selected, so typing replaces it; arrows, home and end move
  within the text, with `Input`'s keys (shift selects, ctrl moves by words, ctrl+u/k/w
  delete, backspace/delete, ctrl+x/c/v through the app's clipboard); a paste inserts its
  first line.
- The suggestion list is an overlay (`overlay: screen`) placed by the grid under the cell.
  It shows the choices matching what is typed (name or context, prefix first, then words
  anywhere; letters in order when nothing else matches); up/down move in it, enter or tab
  picks the highlighted one (tab: the first when none is), a click picks one. Without a
  highlighted choice, enter resolves the typed text (`resolve`).

Choices are shown literally: `Content(label)`, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, get_character_cell_size
from textual.content import Content
from textual.widgets import OptionList
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
    start of either, else an id as it is, else the one label holding every typed word.
    Returns (id, None), or (None, why not)."""
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
    # What the list shows next (`matching`): every typed word in the label, so that
    # `dev acme` picks the one `Development (Acme › Webshop)` it suggests.
    words = text.split()
    within = [c for c in choices if all(word in _words(c.label) for word in words)]
    if len(within) == 1:
        return within[0].id, None
    if within:
        return None, _ambiguous(typed, kind, within)
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


_WORD_START = re.compile(r"(?<=\W)\w")
"""Where a word starts (as `Input` has it): ctrl+left/right stop there."""


class LineEdit:
    """The open editor's text, caret and selection: plain state, no widget. `changed` is
    told after each change (True: the text changed; False: only the caret or selection).
    The key names and what they do are `Input`'s."""

    def __init__(self, changed: Callable[[bool], None] | None = None) -> None:
        self._value = ""
        self.cursor = 0
        """The caret, as an index into `value` (0 to its length)."""
        self.anchor = 0
        """The selection's other end (equal to `cursor`: nothing selected)."""
        self.scroll = 0
        """The first cell shown, when the text is wider than the editor."""
        self._changed = changed

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, text: str) -> None:
        """Replace the text; the caret goes to its end."""
        self._value = text
        self.cursor = self.anchor = len(text)
        self._tell(True)

    @property
    def selection(self) -> tuple[int, int]:
        """(start, end) of the selected text, start <= end (equal: none)."""
        anchor, cursor = self.anchor, self.cursor
        return (anchor, cursor) if anchor <= cursor else (cursor, anchor)

    @property
    def selected_text(self) -> str:
        start, end = self.selection
        return self._value[start:end]

    def open_with(self, text: str) -> None:
        """Show `text`, all of it selected: typing replaces it (no change is told)."""
        self._value = text
        self.anchor, self.cursor, self.scroll = 0, len(text), 0

    def _tell(self, text_changed: bool) -> None:
        if self._changed is not None:
            self._changed(text_changed)

    def replace(self, text: str, start: int, end: int) -> None:
        """Put `text` in place of `value[start:end]`; the caret after it."""
        value = self._value
        start, end = sorted((max(0, start), min(len(value), end)))
        self._value = f"{value[:start]}{text}{value[end:]}"
        self.cursor = self.anchor = start + len(text)
        self._tell(self._value != value)

    def insert(self, text: str) -> None:
        """Type `text`: it replaces the selection, if any."""
        self.replace(text, *self.selection)

    def _move(self, target: int, *, select: bool = False, anchor: int | None = None) -> None:
        target = max(0, min(target, len(self._value)))
        if anchor is not None:
            self.anchor = anchor
        self.cursor = target
        if not select:
            self.anchor = target
        self._tell(False)

    def _word_left(self) -> int:
        hits = list(_WORD_START.finditer(self._value[: self.cursor]))
        return hits[-1].start() if hits else 0

    def _word_right(self) -> int:
        hit = _WORD_START.search(self._value[self.cursor :])
        return len(self._value) if hit is None else self.cursor + hit.start()

    def _delete(self, start: int, end: int) -> None:
        if self.anchor != self.cursor:
            self.replace("", *self.selection)
        else:
            self.replace("", start, end)

    def press(self, key: str) -> bool:
        """Do what `key` does in an `Input` (not enter, nor the clipboard keys); False if
        it does nothing here (printable characters are `insert`ed by the caller)."""
        cursor, end = self.cursor, len(self._value)
        start, stop = self.selection
        collapsed = self.anchor == self.cursor
        if key == "left":
            self._move(cursor - 1 if collapsed else start)
        elif key == "right":
            self._move(cursor + 1 if collapsed else stop)
        elif key == "shift+left":
            self._move(cursor - 1, select=True)
        elif key == "shift+right":
            self._move(cursor + 1, select=True)
        elif key in ("ctrl+left", "ctrl+shift+left"):
            self._move(self._word_left(), select=key == "ctrl+shift+left")
        elif key in ("ctrl+right", "ctrl+shift+right"):
            self._move(self._word_right(), select=key == "ctrl+shift+right")
        elif key in ("home", "ctrl+a"):
            self._move(0)
        elif key in ("end", "ctrl+e"):
            self._move(end)
        elif key == "shift+home":
            self._move(0, select=True, anchor=cursor)
        elif key == "shift+end":
            self._move(end, select=True, anchor=cursor)
        elif key == "ctrl+shift+a":
            self._move(end, select=True, anchor=0)
        elif key == "backspace":
            self._delete(cursor - 1, cursor)
        elif key in ("delete", "ctrl+d"):
            self._delete(cursor, cursor + 1)
        elif key == "ctrl+w":
            self._delete(self._word_left(), cursor)
        elif key in ("ctrl+u", "super+backspace"):
            self._delete(0, cursor)
        elif key == "ctrl+k":
            self._delete(cursor, end)
        elif key in ("ctrl+backspace", "alt+backspace"):
            hit = _WORD_START.search(self._value[cursor:])
            self._delete(cursor, end if hit is None else cursor + hit.end() - 1)
        else:
            return False
        return True

    def index_at(self, cell: int) -> int:
        """The index of the character at `cell` cells from the editor's left edge (its
        end when past the text)."""
        offset = cell + self.scroll
        position = 0
        for index, character in enumerate(self._value):
            width = get_character_cell_size(character)
            if position <= offset < position + width:
                return index
            position += width
        return max(0, min(offset, len(self._value)))

    def click(self, cell: int, *, select: bool = False) -> None:
        """Put the caret at `cell` (a drag with `select` extends the selection)."""
        self._move(self.index_at(cell), select=select)

    def keep_caret_in(self, width: int) -> int:
        """Scroll so the caret shows in `width` cells; returns the first cell shown."""
        caret = cell_len(self._value[: self.cursor])
        if caret < self.scroll:
            self.scroll = caret
        elif caret >= self.scroll + width:
            self.scroll = caret - width + 1
        self.scroll = max(0, min(self.scroll, max(0, cell_len(self._value) + 1 - width)))
        return self.scroll
