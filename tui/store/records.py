"""Compact entry records: what the store keeps per entry (slots, interned strings).

A pydantic model per entry would cost several times more memory at 100k entries; the
store converts each `Entry` from an adapter into one of these and lets the model go.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
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


@dataclass(slots=True, frozen=True)
class EntryRecord:
    id: str
    date: date
    minutes: int
    note: str
    person_id: str | None
    service_id: str | None
    task_id: str | None
    approved: bool = False
    rejected: bool = False
    submitted: bool = False
    invoiced: bool = False
    rejected_reason: str | None = None
    updated_at: str | None = None
    billable_minutes: int | None = None
    """The server's billable minutes (None: the backend has none). A staged edit of the
    time does not change it: reports count the server's copy only."""

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
            minutes=entry.minutes,
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
            updated_at=entry.updated_at.isoformat() if entry.updated_at else None,
            billable_minutes=entry.billable_minutes,
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
        return replace(self, **values) if values else self

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

    @property
    def id(self) -> str:
        return self.record.id

    def changed(self, field: str) -> bool:
        return field in self.original
