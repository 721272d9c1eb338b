"""The `Backend` protocol every adapter implements, and the values it trades in.

A backend declares what it can do (`Capabilities`), so the UI hides or explains what is
missing instead of failing late. Every operation on many entries answers one `ItemResult`
per item, in request order: a partial failure is never reported as "it failed".
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from tui.models import Entry, EntryStatus, Person, Service, Task, Timer


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; screens and commands offer only these."""

    bulk: bool = False
    """Writes many entries per request (else one request per entry)."""
    approvals: bool = False
    """Approve and unapprove entries."""
    reject: bool = False
    """Reject an entry with a reason."""
    timers: bool = False
    """Start and stop timers."""
    submission: bool = False
    """Submit a person's days for approval (Productive's timesheets)."""


@dataclass(frozen=True)
class EntryQuery:
    """Which entries to list: a date range (inclusive), people and statuses."""

    start: date
    end: date
    person_ids: tuple[str, ...] = ()
    """Empty: everyone the token may see."""
    statuses: tuple[EntryStatus, ...] = ()
    """Empty: any status."""

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


# Fields of an entry a client may change, by their domain names.
EDITABLE_FIELDS = ("date", "minutes", "note", "person_id", "service_id", "task_id")


@dataclass(frozen=True)
class EntryChange:
    """New values for some fields of one entry. `base` is the entry as last read, so an
    adapter can fill in what a terse response leaves out."""

    id: str
    fields: Mapping[str, Any]
    base: Entry | None = None

    def __post_init__(self) -> None:
        unknown = set(self.fields) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}")


class Outcome(str, enum.Enum):
    ok = "ok"
    failed = "failed"
    unknown = "unknown"
    """Sent, but the answer was lost: re-read before retrying (never resend blindly)."""


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item of a many-entry operation."""

    index: int
    """Position of the item in the call's input."""
    outcome: Outcome
    entry: Entry | None = None
    """The entry as the server returned it (for ok), where there is one."""
    error: str | None = None
    """One sentence from the server (or about the network) for failed/unknown."""
    id: str | None = None
    """The entry id the item was about, where it had one."""
    missing: bool = False
    """Failed because the server has no such entry (a 404): proof that it is gone."""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.ok


@dataclass(frozen=True)
class EntryBatch:
    """Entries of one page with the people, services and tasks they name."""

    entries: list[Entry]
    people: dict[str, Person] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    total: int | None = None
    """How many entries the whole listing has, when the server says."""


@dataclass(frozen=True)
class StoppedTimer:
    """A timer the server stopped, and the entry it wrote its time to."""

    timer: Timer
    entry: Entry
    """The entry the timer wrote to, with the server's minutes."""


@dataclass(frozen=True)
class Timesheet:
    """One person's one submitted day."""

    id: str
    person_id: str
    date: date


@dataclass(frozen=True)
class DayResult:
    """What a submit or unsubmit did to one day."""

    date: date
    result: str
    """`submitted` | `unsubmitted` | `unchanged` (already so) | `failed`."""
    message: str | None = None


@runtime_checkable
class Submission(Protocol):
    """A backend whose `capabilities.submission` is true also has these."""

    async def timesheets(
        self, days: Sequence[date], *, person_id: str | None = None
    ) -> list[Timesheet]:
        """The timesheets of these days (of one person, or of everyone)."""
        ...

    async def submit_days(self, person_id: str, days: Sequence[date]) -> list[DayResult]: ...

    async def unsubmit_days(self, person_id: str, days: Sequence[date]) -> list[DayResult]: ...


@runtime_checkable
class Backend(Protocol):
    """What the store needs from a time-tracking service."""

    name: str
    capabilities: Capabilities

    async def current_person(self) -> Person: ...

    def iter_entries(self, query: EntryQuery) -> AsyncIterator[EntryBatch]:
        """Pages as they arrive (not necessarily in order), so a view can fill early."""
        ...

    async def list_entries(self, query: EntryQuery) -> EntryBatch: ...

    async def get_entries(self, ids: Sequence[str]) -> list[ItemResult]: ...

    async def people(self) -> list[Person]: ...

    async def services(self) -> list[Service]: ...

    async def tasks(self) -> list[Task]: ...

    async def create_entries(self, entries: Sequence[Entry]) -> list[ItemResult]: ...

    async def update_entries(self, changes: Sequence[EntryChange]) -> list[ItemResult]: ...

    async def delete_entries(self, ids: Sequence[str]) -> list[ItemResult]: ...

    async def approve_entries(
        self, ids: Sequence[str], *, for_all_approvers: bool = False
    ) -> list[ItemResult]:
        """`ok` results carry the entry: `entry.approved` False means other approvers
        are still pending (the seed's first example)."""
        ...

    async def unapprove_entries(self, ids: Sequence[str]) -> list[ItemResult]: ...

    async def reject_entry(self, entry_id: str, reason: str) -> Entry: ...

    async def unreject_entry(self, entry_id: str) -> Entry:
        """Take a rejection back (the entry is unapproved and no longer rejected)."""
        ...

    async def current_timer(self) -> Timer | None: ...

    async def timer(self, timer_id: str) -> Timer:
        """One timer by id (running or stopped), with its note and service when known."""
        ...

    async def start_timer(
        self,
        service_id: str,
        *,
        task_id: str | None = None,
        note: str = "",
        started_at: datetime | None = None,
    ) -> Timer:
        """`started_at`: the timer's clock began then (in the past); the returned timer's
        `started_at` is what the server holds (a server may ignore the one sent)."""
        ...

    async def stop_timer(self, timer_id: str | None = None) -> StoppedTimer: ...

    async def aclose(self) -> None: ...


def merge_batches(batches: Sequence[EntryBatch]) -> EntryBatch:
    """One batch of all entries (sorted by date, then id) and all lookups."""
    entries = [e for b in batches for e in b.entries]
    entries.sort(key=lambda e: (e.date, _id_key(e.id)))
    people: dict[str, Person] = {}
    services: dict[str, Service] = {}
    tasks: dict[str, Task] = {}
    for batch in batches:
        people.update(batch.people)
        services.update(batch.services)
        tasks.update(batch.tasks)
    return EntryBatch(entries, people, services, tasks, total=len(entries))


def _id_key(entry_id: str | None) -> tuple[int, str]:
    text = entry_id or ""
    return (int(text), "") if text.isdigit() else (0, text)
