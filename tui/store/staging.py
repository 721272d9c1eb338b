"""Staged changes over the server's entries, and their undo/redo history.

Pure and in-memory: no I/O, no validation (the store does both). Every change is an
`Action`: for each id it touches, the staged state before and after. Undo puts the
befores back, redo the afters, so one undo reverts "delete 40 rows" as a whole, and the
journal only ever needs the current state of the ids an action touched.

The history is unlimited within a session, and kept in the journal too (one row per
action; `HistoryStep` says what a step does to it), so a restart can undo what the last run
staged: the journal keeps the last `tui.store.journal.HISTORY_LIMIT` actions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.store.records import same_moment_text


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

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Staged:
        return cls(
            kind=Kind(raw["kind"]),
            values=raw["values"],
            original=raw["original"],
            base_updated_at=same_moment_text(raw.get("base_updated_at")),
        )


@dataclass(frozen=True)
class Action:
    """One undoable step: the staged state of each row it touched, before and after."""

    label: str
    changes: Mapping[str, tuple[Staged | None, Staged | None]]
    """id → (before, after); None means clean (or, for a new row, absent)."""
    key: int = 0
    """Which action this is, in this history and in the journal's copy of it."""


@dataclass(frozen=True)
class HistoryStep:
    """What one staging step does to the history, for the journal to do the same.

    `push`: a new action on the undo stack (the redo stack emptied). `move`: the action of
    that key goes to the top of the other stack (`to_undo`: from redo to undo, else from
    undo to redo). `rewrite`: actions whose changes shrank after a save (None: nothing is
    left of it, dropped).
    """

    push: Action | None = None
    move: tuple[int, bool] | None = None
    rewrite: Mapping[int, Action | None] = field(default_factory=dict)


class Staging:
    """The overlay (id → Staged) with unlimited undo/redo within the session."""

    def __init__(self) -> None:
        self.staged: dict[str, Staged] = {}
        self._undo: list[Action] = []
        self._redo: list[Action] = []
        self._next_key = 1

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

    def plan(self, label: str, after: Mapping[str, Staged | None]) -> Action | None:
        """The action that would set the staged state of these ids (None: no change);
        nothing changes until it is `push`ed (the journal writes it first)."""
        changes = {}
        for entry_id, new in after.items():
            old = self.staged.get(entry_id)
            if old != new:
                changes[entry_id] = (old, new)
        if not changes:
            return None
        return Action(label, changes, self._next_key)

    def push(self, action: Action) -> Action:
        """Apply a planned action as one undoable step."""
        self._next_key = max(self._next_key, action.key + 1)
        self._set({i: new for i, (_, new) in action.changes.items()})
        self._undo.append(action)
        self._redo.clear()
        return action

    def apply(self, label: str, after: Mapping[str, Staged | None]) -> Action | None:
        """Set the staged state of some ids as one undoable action."""
        action = self.plan(label, after)
        return self.push(action) if action is not None else None

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

    def settled(self, entry_ids: Iterable[str]) -> dict[int, Action | None]:
        """What `settle(entry_ids)` will do to the history: key → the action without
        those ids (None: nothing left, dropped). Changes nothing."""
        done = set(entry_ids)
        rewrite: dict[int, Action | None] = {}
        if not done:
            return rewrite
        for stack in (self._undo, self._redo):
            for action in stack:
                if done.isdisjoint(action.changes):  # untouched: kept as is
                    continue
                changes = {i: c for i, c in action.changes.items() if i not in done}
                rewrite[action.key] = Action(action.label, changes, action.key) if changes else None
        return rewrite

    def settle(
        self, entry_ids: Iterable[str], rewrite: Mapping[int, Action | None] | None = None
    ) -> None:
        """The server confirmed these changes: unstage them and drop them from the
        history, since undo reverts staging, not what the server already holds
        (`rewrite`: `settled(entry_ids)`, when the caller has it already)."""
        done = set(entry_ids)
        if not done:
            return
        if rewrite is None:
            rewrite = self.settled(done)
        self._set(dict.fromkeys(done))
        if not rewrite:
            return
        for stack in (self._undo, self._redo):
            kept = (rewrite.get(a.key, a) for a in stack)
            stack[:] = [action for action in kept if action is not None]

    def restore(
        self,
        states: Iterable[tuple[str, Staged]],
        undo: Iterable[Action] = (),
        redo: Iterable[Action] = (),
    ) -> None:
        """Load the journal's states and history at start (stacks bottom first)."""
        self._set(dict(states))
        self._undo = list(undo)
        self._redo = list(redo)
        keys = [a.key for a in (*self._undo, *self._redo)]
        self._next_key = max([self._next_key - 1, *keys]) + 1

    @property
    def history(self) -> tuple[list[Action], list[Action]]:
        """The undo and redo stacks, bottom first (the top is the next to undo/redo)."""
        return list(self._undo), list(self._redo)
