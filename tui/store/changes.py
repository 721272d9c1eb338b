"""What the store tells its listeners and answers its callers: plain values, no behaviour.

They live apart from the store so that the save planner and the views can use them
without importing the store itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.models import Timer
from tui.store.records import EntryRecord
from tui.store.staging import Kind


@dataclass(frozen=True)
class StoreChange:
    """What changed, so a view can redraw only that."""

    ids: frozenset[str] = frozenset()
    """Rows whose values or state changed."""
    fields: frozenset[str] = frozenset()
    """Which fields of those rows changed ("state" for the row state)."""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reset: bool = False
    """The whole list changed (a load): redraw everything."""
    timer: bool = False
    status: bool = False
    """Loading, saving, sync error, counts."""
    lookups: bool = False


Listener = Callable[[StoreChange], None]


@dataclass(frozen=True)
class DiffItem:
    """One staged change as the save review shows it."""

    id: str
    kind: Kind
    record: EntryRecord
    """The row with staged values."""
    changes: dict[str, tuple[Any, Any]]
    """field → (old, new); for a new row old is None; for a delete, empty."""
    missing: tuple[str, ...] = ()
    """For a new row that cannot be sent yet, what it lacks (`service`, `time`, ...)."""


@dataclass(frozen=True)
class ApprovalResult:
    """What the server did with one entry of a bulk approve, unapprove or reject."""

    id: str
    result: str  # "approved" | "pending" | "unapproved" | "rejected" | "failed"
    message: str | None = None


@dataclass(frozen=True)
class StopResult:
    """A stopped timer: its entry as the server keeps it, and what rounding would make it."""

    timer: Timer
    entry: EntryRecord
    minutes: int
    """The entry's minutes on the server after the stop (the Plannr seed's stop gives 28);
    for a stop at an earlier time, what it held before plus the span to that time."""
    rounded_minutes: int | None
    """What rounding would make it; staged as an edit, never applied silently."""
    short: bool = False
    """It ran under a minute and its entry holds nothing else: offer to discard it
    (`Store.discard_timer`), not to round it."""


class ProblemKind(enum.Enum):
    auth = "auth"
    """The server refused the token (401)."""
    offline = "offline"
    """The server could not be reached (or answered 5xx)."""


@dataclass(frozen=True)
class Problem:
    """Why the store cannot read from or write to the server: it stays (a banner says so,
    saving waits) until a later load succeeds."""

    kind: ProblemKind
    message: str
    """The adapter's one sentence."""
    status: int | None = None
    """The HTTP status, when there was one."""

    @property
    def waiting(self) -> str:
        """Why a save cannot start yet, in one sentence."""
        if self.kind is ProblemKind.auth:
            return (
                "Cannot save yet: the server refused the token. "
                "The staged changes are kept; fix the token, then save."
            )
        return (
            "Cannot save yet: the server cannot be reached. "
            "The staged changes are kept; save once it is back."
        )


@dataclass
class SyncStatus:
    """What the store is doing with the server: loading, saving, and the last problem."""

    loading: bool = False
    loaded: int = 0
    total: int | None = None
    saving: bool = False
    save_done: int = 0
    save_total: int = 0
    error: str | None = None
    cached_at: datetime | None = None
    """When the shown entries came from the cache, when they were fetched."""
    problem: Problem | None = None
    """Signed out or offline since the last load that failed; None after one succeeds."""


@dataclass
class SaveReport:
    """The outcome of one save, row by row: saved, failed, in conflict or not yet known."""

    saved: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    created_ids: dict[str, str] = field(default_factory=dict)
    """temporary id → the server's id."""
    writes: int = 0
    """Write requests sent."""
    incomplete: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """New rows not sent because they lack something (id → what: `service`, `time`):
    kept staged, and in `failed` too, with the sentence the row shows."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Sent, but the server's answer was lost and no read has settled it yet: kept staged,
    marked "waiting for the server to confirm", never resent until a read proves it
    absent. id → why."""

    def absorb(self, later: SaveReport) -> None:
        """Add a later save of the same changes: its outcomes replace earlier ones."""
        self.saved += later.saved
        self.writes += later.writes
        self.created_ids.update(later.created_ids)
        self.incomplete.update(later.incomplete)
        settled = set(later.created_ids) | set(later.failed) | set(later.conflicts)
        self.unknown = {i: m for i, m in self.unknown.items() if i not in settled}
        self.unknown.update(later.unknown)
        self.failed = {i: m for i, m in self.failed.items() if i not in later.unknown}
        self.failed.update(later.failed)
        self.conflicts += [i for i in later.conflicts if i not in self.conflicts]
