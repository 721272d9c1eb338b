"""The read cache: the last loaded range and the lookups, in the profile's state file.

The store shows the cache at once on start (marked as cached, with its age) and refreshes
behind it; with the service unreachable the app still opens on it. It lives in the same
SQLite file as the journal, in tables of its own. Like the journal, it holds no token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tui.api.base import EntryQuery
from tui.models import Person, Service, Task
from tui.store.private import connect_private
from tui.store.records import EntryRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entries (
    id      TEXT PRIMARY KEY,
    record  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cache_lookups (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS cache_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""

_RECORD_FIELDS = (
    "id",
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
"""The record's fields as the cache keeps them, after the date; a row an older version
wrote lacks the last ones, which then take their defaults."""


def _query_key(query: EntryQuery) -> str:
    return json.dumps(
        {
            "start": query.start.isoformat(),
            "end": query.end.isoformat(),
            "people": list(query.person_ids),
            "statuses": [s.value for s in query.statuses],
        }
    )


@dataclass(frozen=True)
class CachedRange:
    records: list[EntryRecord]
    fetched_at: datetime


@dataclass(frozen=True)
class CachedLookups:
    me: Person | None
    people: dict[str, Person]
    services: dict[str, Service]
    tasks: dict[str, Task]


class Cache:
    def __init__(self, path: Path) -> None:
        self.conn = connect_private(path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM cache_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ---------------------------------------------------------------- entries

    def save_range(
        self, query: EntryQuery, records: list[EntryRecord], fetched_at: datetime
    ) -> None:
        """Keep `records` as the cached copy of `query`'s range (replacing the last)."""
        rows = [
            (r.id, json.dumps([r.date.isoformat(), *(getattr(r, f) for f in _RECORD_FIELDS)]))
            for r in records
        ]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("DELETE FROM cache_entries")
            self.conn.executemany("INSERT INTO cache_entries (id, record) VALUES (?, ?)", rows)
            for key, value in (
                ("query", _query_key(query)),
                ("fetched_at", fetched_at.isoformat()),
            ):
                self.conn.execute(
                    "INSERT OR REPLACE INTO cache_meta (key, value) VALUES (?, ?)", (key, value)
                )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def load_range(self, query: EntryQuery) -> CachedRange | None:
        """The cached copy if it is of exactly this range, else None."""
        if self._meta("query") != _query_key(query):
            return None
        fetched = self._meta("fetched_at")
        records = []
        for (raw,) in self.conn.execute("SELECT record FROM cache_entries"):
            day, *values = json.loads(raw)
            fields: dict[str, Any] = dict(zip(_RECORD_FIELDS, values, strict=False))
            records.append(EntryRecord(date=date.fromisoformat(day), **fields))
        return CachedRange(records, datetime.fromisoformat(fetched) if fetched else datetime.min)

    # ---------------------------------------------------------------- lookups

    def save_lookups(
        self,
        me: Person | None,
        people: dict[str, Person],
        services: dict[str, Service],
        tasks: dict[str, Task],
    ) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("DELETE FROM cache_lookups")
            for kind, values in (("person", people), ("service", services), ("task", tasks)):
                self.conn.executemany(
                    "INSERT INTO cache_lookups (kind, id, value) VALUES (?, ?, ?)",
                    [(kind, key, value.model_dump_json()) for key, value in values.items()],
                )
            if me is not None:
                self.conn.execute(
                    "INSERT OR REPLACE INTO cache_meta (key, value) VALUES (?, ?)",
                    ("me", me.model_dump_json()),
                )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def load_lookups(self) -> CachedLookups | None:
        rows = self.conn.execute("SELECT kind, id, value FROM cache_lookups").fetchall()
        me_raw = self._meta("me")
        if not rows and me_raw is None:
            return None
        people: dict[str, Person] = {}
        services: dict[str, Service] = {}
        tasks: dict[str, Task] = {}
        for kind, key, value in rows:
            if kind == "person":
                people[key] = Person.model_validate_json(value)
            elif kind == "service":
                services[key] = Service.model_validate_json(value)
            else:
                tasks[key] = Task.model_validate_json(value)
        me = Person.model_validate_json(me_raw) if me_raw else None
        return CachedLookups(me, people, services, tasks)
