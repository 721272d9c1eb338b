"""Staged changes over the server's entries, and their undo/redo history.

Pure and in-memory: no I/O, no validation (the store does both). Every change is an
`Action`: for each id it touches, the staged state before and after. Undo puts the
befores back, redo the afters, so one undo reverts "delete 40 rows" as a whole, and the
journal only ever needs the current state of the ids an action touched.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Kind(str, enum.Enum):
    create = "create"
    update = "update"
    delete = "delete"


@dataclass(frozen=True)
class Staged:
    """The staged state of one entry.

    create: `values` are all its fields. update: `values` the new values of changed
    fields, `original` the server's. delete: the same as update (edits staged before the
    delete are kept, so undoing the delete brings them back).
    """

    kind: Kind
    values: Mapping[str, Any]
    original: Mapping[str, Any] = field(default_factory=dict)
    base_updated_at: str | None = None
    """The server's `updated_at` when the change was staged, to detect conflicts."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "values": dict(self.values),
            "original": dict(self.original),
            "base_updated_at": self.base_updated_at,
        }


@dataclass(frozen=True)
class Action:
    label: str
    changes: Mapping[str, tuple[Staged | None, Staged | None]]
    """id → (before, after); None means clean (or, for a new row, absent)."""


class Staging:
    """The overlay (id → Staged) with unlimited undo/redo within the session."""

    def __init__(self) -> None:
        self.staged: dict[str, Staged] = {}
        self._undo: list[Action] = []
        self._redo: list[Action] = []

    def __len__(self) -> int:
        return len(self.staged)

    def get(self, entry_id: str) -> Staged | None:
        return self.staged.get(entry_id)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def peek(self, *, undo: bool) -> Action | None:
        """The action the next undo (or redo) would revert (or repeat)."""
        stack = self._undo if undo else self._redo
        return stack[-1] if stack else None

    def counts(self) -> dict[Kind, int]:
        counts = {kind: 0 for kind in Kind}
        for staged in self.staged.values():
            counts[staged.kind] += 1
        return counts

    # ------------------------------------------------------------------ actions

    def apply(self, label: str, after: Mapping[str, Staged | None]) -> Action | None:
        """Set the staged state of some ids as one undoable action."""
        changes = {}
        for entry_id, new in after.items():
            old = self.staged.get(entry_id)
            if old != new:
                changes[entry_id] = (old, new)
        if not changes:
            return None
        action = Action(label, changes)
        self._set({i: new for i, (_, new) in changes.items()})
        self._undo.append(action)
        self._redo.clear()
        return action

    def undo(self) -> Action | None:
        if not self._undo:
            return None
        action = self._undo.pop()
        self._set({i: old for i, (old, _) in action.changes.items()})
        self._redo.append(action)
        return action

    def redo(self) -> Action | None:
        if not self._redo:
            return None
        action = self._redo.pop()
        self._set({i: new for i, (_, new) in action.changes.items()})
        self._undo.append(action)
        return action

    def _set(self, states: Mapping[str, Staged | None]) -> None:
        for entry_id, state in states.items():
            if state is None:
                self.staged.pop(entry_id, None)
            else:
                self.staged[entry_id] = state

    # -------------------------------------------------------------- after saving

    def settle(self, entry_ids: Iterable[str]) -> None:
        """The server confirmed these changes: unstage them and drop them from the
        history, since undo reverts staging, not what the server already holds."""
        done = set(entry_ids)
        if not done:
            return
        self._set(dict.fromkeys(done))
        for stack in (self._undo, self._redo):
            kept = []
            for action in stack:
                if done.isdisjoint(action.changes):  # untouched: kept as is, not copied
                    kept.append(action)
                    continue
                changes = {i: c for i, c in action.changes.items() if i not in done}
                if changes:
                    kept.append(Action(action.label, changes))
            stack[:] = kept

    def restore(self, states: Iterable[tuple[str, Staged]]) -> None:
        """Load the journal's states at start; they are not undoable (no history)."""
        self._set(dict(states))
