"""Compact entry records: what the store keeps per entry (slots, interned strings).

A pydantic model per entry would cost several times more memory at 100k entries; the
store converts each `Entry` from an adapter into one of these and lets the model go.
"""

from __future__ import annotations

import enum
import itertools
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tui.models import Entry, EntryStatus

# Editable fields, by their domain names (the same as `tui.api.base.EDITABLE_FIELDS`).
FIELDS = ("date", "minutes", "note", "person_id", "service_id", "task_id")


def _intern(value: str | None) -> str | None:
    return sys.intern(value) if value is not None else None


_DAYS: dict[date, date] = {}
"""One `date` object per day for every record of it (a range has few days, many entries):
32 bytes an entry less."""


def _day(value: date) -> date:
    return _DAYS.setdefault(value, value)


_NUMBERS: dict[int, int] = {}
"""One int object per count of minutes: Python shares only those up to 256, and a third
of the entries run longer (4:17 and up), each with its time and its billable time."""


def _number(value: int) -> int:
    return value if value <= 256 else _NUMBERS.setdefault(value, value)


APPROVED, REJECTED, SUBMITTED, INVOICED = 1, 2, 4, 8
"""The record's state flags, packed in one small int."""
_FLAGS = 15
_TIMED = 16
"""In `EntryRecord.stamp`: the record has an `updated_at` (its microseconds above)."""
_STAMP_SHIFT = 5

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moment_micros(value: datetime | str | None) -> int | None:
    """A server timestamp as microseconds since the epoch (an offset-less one is UTC)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def moment_text(micros: int | None) -> str | None:
    """`moment_micros` back as ISO 8601 in UTC (`2026-11-30T09:00:00.250000+00:00`)."""
    if micros is None:
        return None
    return (_EPOCH + timedelta(microseconds=micros)).isoformat()


def same_moment_text(value: str | None) -> str | None:
    """Any ISO timestamp in the one form `EntryRecord.updated_at` has (a journal written
    before records kept microseconds holds the server's own offset)."""
    try:
        return moment_text(moment_micros(value))
    except ValueError:
        return value


Day = date
"""`datetime.date`, by a name the record's own `date` attribute does not hide."""

_LAYOUT = (
    "id",
    "date",
    "minutes",
    "note",
    "person_id",
    "service_id",
    "task_id",
    "stamp",
    "rejected_reason",
    "billable_minutes",
)
"""`EntryRecord`'s slots, in the order `_set` takes them."""
RECORD_FIELDS = (
    "id",
    "date",
    "minutes",
    "note",
    "person_id",
    "service_id",
    "task_id",
    "approved",
    "rejected",
    "submitted",
    "invoiced",
    "rejected_reason",
    "updated_at",
    "billable_minutes",
)
"""What `EntryRecord(...)` takes, by name."""
_EDITABLE = frozenset(FIELDS)


class EntryRecord:
    """One entry as the store keeps it: immutable, compared by value.

    About 112 bytes: `__slots__`, `updated_at` kept as an int of microseconds (an ISO
    string cost 81 bytes an entry) with the four state flags in its low bits (one slot
    less: 16 bytes of the heap a record), the ids and notes interned (`from_entry`),
    the dates shared."""

    __slots__ = _LAYOUT
    id: str
    date: Day
    minutes: int
    note: str
    person_id: str | None
    service_id: str | None
    task_id: str | None
    stamp: int
    """`updated_micros` above the bits `_TIMED` (it is not None) and the flags."""
    rejected_reason: str | None
    billable_minutes: int | None
    """The server's billable minutes (None: the backend has none). A staged edit of the
    time does not change it: reports count the server's copy only."""

    def __init__(
        self,
        id: str,
        date: Day,
        minutes: int,
        note: str,
        person_id: str | None,
        service_id: str | None,
        task_id: str | None,
        approved: bool = False,
        rejected: bool = False,
        submitted: bool = False,
        invoiced: bool = False,
        rejected_reason: str | None = None,
        updated_at: datetime | str | None = None,
        billable_minutes: int | None = None,
    ) -> None:
        flags = (
            (APPROVED if approved else 0)
            | (REJECTED if rejected else 0)
            | (SUBMITTED if submitted else 0)
            | (INVOICED if invoiced else 0)
        )
        micros = moment_micros(updated_at)
        stamp = flags if micros is None else micros << _STAMP_SHIFT | _TIMED | flags
        self._set(
            id,
            date,
            minutes,
            note,
            person_id,
            service_id,
            task_id,
            stamp,
            rejected_reason,
            billable_minutes,
        )

    def _set(self, *values: Any) -> None:
        for name, value in zip(_LAYOUT, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _LAYOUT)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"EntryRecord is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EntryRecord):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in (*FIELDS, "flags", "updated_at")
        )
        return f"EntryRecord(id={self.id!r}, {shown})"

    @property
    def flags(self) -> int:
        """The state flags (`APPROVED | REJECTED | SUBMITTED | INVOICED`)."""
        return self.stamp & _FLAGS

    @property
    def updated_micros(self) -> int | None:
        """When the server last changed it, in microseconds since the epoch (UTC)."""
        stamp = self.stamp
        return stamp >> _STAMP_SHIFT if stamp & _TIMED else None

    @property
    def approved(self) -> bool:
        return bool(self.flags & APPROVED)

    @property
    def rejected(self) -> bool:
        return bool(self.flags & REJECTED)

    @property
    def submitted(self) -> bool:
        return bool(self.flags & SUBMITTED)

    @property
    def invoiced(self) -> bool:
        return bool(self.flags & INVOICED)

    @property
    def updated_at(self) -> str | None:
        """When the server last changed it, ISO 8601 in UTC (what conflicts compare)."""
        return moment_text(self.updated_micros)

    @classmethod
    def from_entry(cls, entry: Entry, *, fallback: EntryRecord | None = None) -> EntryRecord:
        """A record of `entry`; relationships the server left out come from `fallback`."""

        def related(name: str) -> str | None:
            value = getattr(entry, name)
            if value is None and fallback is not None:
                value = getattr(fallback, name)
            return _intern(value)

        return cls(
            id=entry.id or "",
            date=_day(entry.date),
            minutes=_number(entry.minutes),
            # The same note ("Standup", "Code review") recurs across many entries: one
            # copy (an interned string goes when its last record does).
            note=sys.intern(entry.note),
            person_id=related("person_id"),
            service_id=related("service_id"),
            task_id=related("task_id"),
            approved=entry.approved,
            rejected=entry.rejected,
            submitted=entry.submitted,
            invoiced=entry.invoiced,
            rejected_reason=entry.rejected_reason,
            updated_at=entry.updated_at,
            billable_minutes=None
            if entry.billable_minutes is None
            else _number(entry.billable_minutes),
        )

    def to_entry(self) -> Entry:
        return Entry(
            id=self.id or None,
            date=self.date,
            minutes=self.minutes,
            note=self.note,
            person_id=self.person_id,
            service_id=self.service_id,
            task_id=self.task_id,
            approved=self.approved,
            rejected=self.rejected,
            submitted=self.submitted,
            invoiced=self.invoiced,
            rejected_reason=self.rejected_reason,
            billable_minutes=self.billable_minutes,
        )

    @property
    def status(self) -> EntryStatus:
        return EntryStatus.from_flags(
            approved=self.approved, rejected=self.rejected, submitted=self.submitted
        )

    @property
    def locked(self) -> bool:
        """Approved, invoiced, or on a submitted day (a rejected entry went back to its
        owner to fix: it stays editable)."""
        return self.approved or self.invoiced or (self.submitted and not self.rejected)

    @property
    def lock_reason(self) -> str:
        """Why `locked`, as a status line says it."""
        if self.invoiced:
            return "invoiced"
        if self.approved:
            return "approved"
        return "submitted" if self.locked else ""

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def with_values(self, values: dict[str, Any]) -> EntryRecord:
        """A copy with these editable fields (`FIELDS`) changed."""
        if not values.keys() <= _EDITABLE:
            raise TypeError(f"not editable: {sorted(values.keys() - _EDITABLE)}")
        return self.replaced(**values)

    def replaced(self, **changes: Any) -> EntryRecord:
        """A copy with these of the constructor's fields changed."""
        if not changes:
            return self
        fields = {name: getattr(self, name) for name in RECORD_FIELDS}
        fields.update(changes)
        return EntryRecord(**fields)

    def content_key(self) -> tuple[Any, ...]:
        """What identifies an entry's content, to find a create whose answer was lost."""
        return (self.date, self.minutes, self.note, self.person_id, self.service_id, self.task_id)


def new_entry(values: Mapping[str, Any]) -> Entry:
    """The entry a create sends, from its staged (or journaled, or imported) values."""
    return Entry(
        date=values["date"],
        minutes=values["minutes"],
        note=values.get("note") or "",
        person_id=values.get("person_id"),
        service_id=values.get("service_id"),
        task_id=values.get("task_id"),
    )


NEEDED_FOR_CREATE = (("service_id", "service"), ("minutes", "time"), ("person_id", "person"))
"""What a new row must have before it can be sent, and what the user calls it."""


def missing_for_create(values: Mapping[str, Any]) -> tuple[str, ...]:
    """What a new row still lacks before it can be sent (`service`, `time`, `person`)."""
    return tuple(label for name, label in NEEDED_FOR_CREATE if not values.get(name))


def content_key_of(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a create of these values will read as on the server, to find its twins."""
    return EntryRecord.from_entry(new_entry(values)).content_key()


class RowState(str, enum.Enum):
    clean = "clean"
    new = "new"
    changed = "changed"
    deleted = "deleted"
    saving = "saving"
    failed = "failed"
    conflict = "conflict"
    """The server's copy changed since it was loaded; the user chooses which to keep."""
    unconfirmed = "unconfirmed"
    """Sent, but the answer was lost: waiting for a read to tell whether it landed."""


@dataclass(frozen=True)
class Row:
    """One row as the grid shows it: staged values over the server's, and its state."""

    record: EntryRecord
    state: RowState
    original: dict[str, Any]
    """Server values of the staged fields (for the diff: old → new)."""
    error: str | None = None
    server: EntryRecord | None = None
    """For a conflict: the server's current copy."""
    delete_staged: bool = False
    """A delete of it is staged, whichever state shows over it (`-`, or its save's:
    saving, waiting for a lost answer, refused, in conflict): it counts in no total."""

    @property
    def id(self) -> str:
        return self.record.id

    def changed(self, field: str) -> bool:
        return field in self.original


def add_to_day(days: dict[date, int], day: date, minutes: int) -> None:
    """Add `minutes` (fewer when negative) to `day` in `days`, which keeps no day at 0."""
    left = days.get(day, 0) + minutes
    if left:
        days[day] = left
    else:
        days.pop(day, None)


_VERSIONS = itertools.count(1)


class Records(dict[str, EntryRecord]):
    """The server's copies by id (a dict: reads are a dict's), keeping as they change:

    - `days`: their minutes per day (the grid's day totals start from these, so it
      keeps no per-row part of its own: 63 bytes an entry at 100k);
    - `placed`: the date a copy had when its row took its place in the store's order,
      for each copy whose date changed since (the order is by that date: the store
      finds a row's position by bisection, with no id → position index).

    Every write goes through `__setitem__`, `__delitem__`, `pop`, `update`,
    `setdefault`, `popitem` or `clear`; `version` goes up at each change of `days`, and
    no two `Records` share one (a view that swaps one for another sees the change)."""

    __slots__ = ("days", "placed", "version")

    def __init__(self, records: Iterable[EntryRecord] = ()) -> None:
        super().__init__()
        self.days: dict[date, int] = {}
        self.placed: dict[str, date] = {}
        self.version = next(_VERSIONS)
        for record in records:
            self[record.id] = record

    def _add(self, record: EntryRecord, sign: int) -> None:
        if record.minutes:
            add_to_day(self.days, record.date, sign * record.minutes)
            self.version = next(_VERSIONS)

    def __setitem__(self, entry_id: str, record: EntryRecord) -> None:
        old = dict.get(self, entry_id)
        dict.__setitem__(self, entry_id, record)
        if old is not None:
            if old is record:
                return
            self._add(old, -1)
            if old.date != record.date:
                placed = self.placed.setdefault(entry_id, old.date)
                if placed == record.date:
                    del self.placed[entry_id]
        self._add(record, 1)

    def __delitem__(self, entry_id: str) -> None:
        old = self[entry_id]
        dict.__delitem__(self, entry_id)
        self.placed.pop(entry_id, None)
        self._add(old, -1)

    def pop(self, entry_id: str, *default: Any) -> Any:
        if entry_id in self:
            old = self[entry_id]
            del self[entry_id]
            return old
        if default:
            return default[0]
        raise KeyError(entry_id)

    def popitem(self) -> tuple[str, EntryRecord]:
        entry_id = next(reversed(self.keys()))
        return entry_id, self.pop(entry_id)

    def setdefault(self, entry_id: str, record: EntryRecord) -> EntryRecord:
        if entry_id not in self:
            self[entry_id] = record
        return self[entry_id]

    def update(self, *others: Any, **named: EntryRecord) -> None:
        for other in (*others, named):
            pairs = other.items() if isinstance(other, Mapping) else other
            for entry_id, record in pairs:
                self[entry_id] = record

    def __ior__(self, other: Any) -> Records:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        dict.clear(self)
        self.days.clear()
        self.placed.clear()
        self.version = next(_VERSIONS)
