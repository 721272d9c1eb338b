"""The read cache: the last loaded range and the lookups, in the profile's state file.

The store shows the cache at once on start (marked as cached, with its age) and refreshes
behind it; with the service unreachable the app still opens on it. It lives in the same
SQLite file as the journal, in tables of its own. Like the journal, it holds no token.

Saving a range (one JSON text per record: 2.2 s for 100k entries) runs in a thread of its
own, on a connection of its own, so the app's event loop never waits for it; every other
call on the cache waits for a save still under way first, so a read always sees it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tui.api.base import EntryQuery
from tui.models import Person, Service, Task
from tui.store.private import connect_private
from tui.store.records import RECORD_FIELDS, EntryRecord

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

_RECORD_FIELDS = tuple(name for name in RECORD_FIELDS if name != "date")
"""The record's fields as the cache keeps them, after the date; a row an older version
wrote lacks the last ones, which then take their defaults."""


MAX_CACHED_ENTRIES = 50_000
"""The most entries a cached range keeps. A bigger range (a manager's years) took 15 s to
write at a million entries, its thread sharing the GIL with the app's loop, and would take
seconds to read back, on the loop, at the next start; it is loaded from the server."""


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
    """The cached copy of one loaded range, and when it was fetched."""

    records: list[EntryRecord]
    fetched_at: datetime


@dataclass(frozen=True)
class CachedLookups:
    """The cached people, services and tasks, and who the user is."""

    me: Person | None
    people: dict[str, Person]
    services: dict[str, Service]
    tasks: dict[str, Task]


def _open(path: Path) -> sqlite3.Connection:
    conn = connect_private(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class Cache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = _open(path)
        self.conn.executescript(SCHEMA)
        self._saving: threading.Thread | None = None
        """The save of a range under way, if any (see `save_range`)."""

    def close(self) -> None:
        self.wait()
        self.conn.close()

    def wait(self) -> None:
        """Return once no save of a range is under way."""
        saving, self._saving = self._saving, None
        if saving is not None:
            saving.join()

    def _meta(self, key: str) -> str | None:
        self.wait()
        row = self.conn.execute("SELECT value FROM cache_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ---------------------------------------------------------------- entries

    def save_range(
        self, query: EntryQuery, records: list[EntryRecord], fetched_at: datetime
    ) -> None:
        """Keep `records` as the cached copy of `query`'s range (replacing the last), in a
        thread: this returns at once (the records are frozen, the list is the caller's
        to give away). A save that fails leaves the last copy as it was: it is a cache.
        A range of more than `MAX_CACHED_ENTRIES` is not kept (and the last copy goes)."""
        self.wait()
        self._saving = threading.Thread(
            target=self._save_range,
            args=(_query_key(query), records, fetched_at.isoformat()),
            name="timesheet-cache-save",
        )
        self._saving.start()

    def _save_range(self, query_key: str, records: list[EntryRecord], fetched_at: str) -> None:
        try:
            conn = _open(self.path)
        except (OSError, sqlite3.Error):
            return
        try:
            # Made one at a time as SQLite takes them: a list of a million rows would be
            # a million tuples for the cycle collector to walk, on the app's GIL.
            rows = (
                (r.id, json.dumps([r.date.isoformat(), *(getattr(r, f) for f in _RECORD_FIELDS)]))
                for r in records
            )
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM cache_entries")
                if len(records) > MAX_CACHED_ENTRIES:
                    conn.execute("DELETE FROM cache_meta WHERE key IN ('query', 'fetched_at')")
                else:
                    insert = "INSERT INTO cache_entries (id, record) VALUES (?, ?)"
                    conn.executemany(insert, rows)
                    for key, value in (("query", query_key), ("fetched_at", fetched_at)):
                        conn.execute(
                            "INSERT OR REPLACE INTO cache_meta (key, value) VALUES (?, ?)",
                            (key, value),
                        )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error:
            pass
        finally:
            conn.close()

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
        self.wait()
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
        self.wait()
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
