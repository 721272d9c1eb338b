"""The ledger's SQLite database: schema, identity, and one transaction per request.

Starlette runs blocking work in a thread pool, so every thread gets its own connection
(SQLite connections must not be shared across threads unguarded). WAL mode lets readers
run while one writer holds the lock; `BEGIN IMMEDIATE` makes a write request take that
lock up front, so two bulk calls never interleave.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.private_modes import FILE_MODE, FOLDER_MODE

Clock = Callable[[], datetime]

SCHEMA_VERSION = 3
"""2: deals (a service belongs to a deal, a deal to a project), `services.deal_id`."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS people (
    id          INTEGER PRIMARY KEY,
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL DEFAULT '',
    email       TEXT,
    title       TEXT,
    status      INTEGER NOT NULL DEFAULT 1,      -- 1 active, 2 deactivated
    uuid        TEXT NOT NULL UNIQUE             -- the person as a Plannr account
);
CREATE TABLE IF NOT EXISTS projects (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deals (                -- a deal (budget) of a project
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    project_id  INTEGER REFERENCES projects(id)
);
CREATE TABLE IF NOT EXISTS services (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    project_id  INTEGER REFERENCES projects(id), -- the deal's project when it has a deal
    uuid        TEXT NOT NULL UNIQUE,            -- the service as a Plannr trackable
    deal_id     INTEGER REFERENCES deals(id),
    billable    INTEGER NOT NULL DEFAULT 1       -- its entries' billable_time is their time
);
CREATE TABLE IF NOT EXISTS tasks (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    service_id  INTEGER REFERENCES services(id),
    closed      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS time_entries (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid              TEXT NOT NULL UNIQUE,      -- the entry's Plannr id
    date              TEXT NOT NULL,
    time              INTEGER NOT NULL,
    billable_time     INTEGER NOT NULL DEFAULT 0,
    note              TEXT,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    service_id        INTEGER NOT NULL REFERENCES services(id),
    task_id           INTEGER REFERENCES tasks(id),
    creator_id        INTEGER REFERENCES people(id),
    approver_id       INTEGER REFERENCES people(id),
    approvers_needed  INTEGER NOT NULL DEFAULT 1,
    approved          INTEGER NOT NULL DEFAULT 0,
    approved_at       TEXT,
    rejected          INTEGER NOT NULL DEFAULT 0,
    rejected_reason   TEXT,
    rejected_at       TEXT,
    submitted         INTEGER NOT NULL DEFAULT 0,
    invoiced          INTEGER NOT NULL DEFAULT 0,
    track_method_id   INTEGER NOT NULL DEFAULT 1,
    started_at        TEXT,
    timer_started_at  TEXT,
    timer_stopped_at  TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    last_activity_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS time_entries_date ON time_entries (date, id);
CREATE INDEX IF NOT EXISTS time_entries_person_date ON time_entries (person_id, date, id);
CREATE INDEX IF NOT EXISTS time_entries_service_date ON time_entries (service_id, date, id);
CREATE INDEX IF NOT EXISTS time_entries_updated ON time_entries (updated_at, id);
CREATE TABLE IF NOT EXISTS time_entry_approvals (
    time_entry_id  INTEGER NOT NULL REFERENCES time_entries(id) ON DELETE CASCADE,
    person_id      INTEGER NOT NULL REFERENCES people(id),
    approved_at    TEXT NOT NULL,
    PRIMARY KEY (time_entry_id, person_id)
);
CREATE TABLE IF NOT EXISTS timers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      INTEGER NOT NULL REFERENCES people(id),
    time_entry_id  INTEGER NOT NULL REFERENCES time_entries(id) ON DELETE CASCADE,
    started_at     TEXT NOT NULL,
    stopped_at     TEXT,
    total_time     INTEGER
);
CREATE INDEX IF NOT EXISTS timers_person ON timers (person_id, started_at);
CREATE TABLE IF NOT EXISTS timesheets (            -- one person's one submitted day
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    date        TEXT NOT NULL,
    creator_id  INTEGER REFERENCES people(id),
    created_at  TEXT NOT NULL,
    UNIQUE (person_id, date)
);
CREATE INDEX IF NOT EXISTS timers_entry ON timers (time_entry_id);
"""

DEFAULT_SERVICES = {"General": True, "Meetings": False, "Admin": False}
"""A new ledger's services, and whether time on each is billable: a freelancer bills their
work, not their meetings and admin."""

# Plannr ids of people and services are derived, so they stay stable across rebuilds.
_UUID_NAMESPACE = uuid.UUID("1b7d2a52-6c1e-4f55-9a55-8f4c2d7e0b11")


def utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """The one timestamp format of the ledger: UTC, milliseconds, sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def fetch_row(
    conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()
) -> sqlite3.Row | None:
    """The first row of a query, typed (sqlite3 types `fetchone()` as Any)."""
    row: sqlite3.Row | None = conn.execute(sql, params).fetchone()
    return row


def derived_uuid(kind: str, organization_id: str, row_id: int) -> str:
    return str(uuid.uuid5(_UUID_NAMESPACE, f"{organization_id}:{kind}:{row_id}"))


@dataclass(frozen=True)
class Identity:
    """Who the ledger is: what a client must send to be let in, and who "me" is."""

    organization_id: str
    token: str
    owner_person_id: int
    account_uuid: str  # the owner as a Plannr account (X-PLANNR-ACCOUNT-UUID)

    def __repr__(self) -> str:  # the token must never reach a log line
        return (
            f"Identity(organization_id={self.organization_id!r}, token='***', "
            f"owner_person_id={self.owner_person_id}, account_uuid={self.account_uuid!r})"
        )


class LedgerConnection(sqlite3.Connection):
    """A connection that remembers, until the data changes, what a client paging through
    100k entries asks again with every page: the row count (5 ms each) and where each
    page it served ended (so the next page starts there instead of skipping every row
    before it: at 1M entries, a page in the middle skipped 500k rows, 70 ms)."""

    MAX_QUERIES = 64
    MAX_PAGE_ENDS = 10_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._counts: dict[tuple[str, tuple[Any, ...]], tuple[tuple[int, int], int]] = {}
        self._page_ends: dict[tuple[Any, ...], tuple[tuple[int, int], dict[int, tuple[Any, ...]]]]
        self._page_ends = {}

    def _unchanged_since(self) -> tuple[int, int]:
        """What moves with any write: by this connection (`total_changes`) or another one
        (`data_version`, which reading also starts the transaction's snapshot)."""
        version = self.execute("PRAGMA data_version").fetchone()[0]
        return (self.total_changes, int(version))

    def count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """`sql`'s one number (a `SELECT count(*)`), from the last time it was asked if
        nothing was written since."""
        token = self._unchanged_since()
        key = (sql, tuple(params))
        known = self._counts.get(key)
        if known is not None and known[0] == token:
            return known[1]
        total = int(self.execute(sql, params).fetchone()[0])
        if len(self._counts) >= self.MAX_QUERIES:
            self._counts.clear()
        self._counts[key] = (token, total)
        return total

    def page_ends(self, query: tuple[Any, ...]) -> dict[int, tuple[Any, ...]]:
        """The sort key of the last row of each page of `query` served since nothing was
        written, by page number; the caller adds the pages it serves."""
        token = self._unchanged_since()
        known = self._page_ends.get(query)
        if known is not None and known[0] == token and len(known[1]) < self.MAX_PAGE_ENDS:
            return known[1]
        if len(self._page_ends) >= self.MAX_QUERIES:
            self._page_ends.clear()
        ends: dict[int, tuple[Any, ...]] = {}
        self._page_ends[query] = (token, ends)
        return ends


LEDGER_TABLES = frozenset({"ledger_meta", "time_entries", "services", "people", "timers"})
"""Tables every version of the ledger has had some of."""


class LedgerError(ValueError):
    """The ledger file cannot be opened; `str()` is one sentence naming it. A ValueError,
    as a profile's other bad values are (the CLI says it and exits 2)."""


class LedgerDB:
    """Owns the database file; hands each thread its own connection."""

    def __init__(
        self, path: Path | str, *, clock: Clock = utc_now, make_folder: bool = True
    ) -> None:
        """`make_folder`: create missing folders on the way to `path` (the default place;
        a path a person wrote, in a folder that is not there, is more likely a typo)."""
        self.path = Path(path).expanduser()
        self.clock = clock
        self._local = threading.local()
        self._all: list[LedgerConnection] = []
        self._all_lock = threading.Lock()
        self._idle = threading.Condition(self._all_lock)
        """Notified when a transaction ends: `close` waits for the running ones."""
        self._running = 0
        try:
            self._create_private(make_folder)
            conn = self.connection()
            self._refuse_another_database(conn)
            conn.executescript(SCHEMA)
            _migrate(conn)
            self.identity = self._ensure_identity(conn)
        except (sqlite3.Error, OSError) as error:
            self.close()
            raise LedgerError(self._cannot_open(error)) from None

    def _create_private(self, make_folder: bool) -> None:
        folder = self.path.parent
        if not folder.is_dir():
            if not make_folder:
                raise LedgerError(
                    f"The ledger's folder {folder} does not exist; create it, or correct "
                    "the ledger's path."
                )
            folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        if self.path.is_dir():
            raise LedgerError(
                f"The ledger's path {self.path} is a folder; give a file in it, such as "
                f"{self.path / 'ledger.db'}."
            )
        if not self.path.exists():  # new: private before SQLite writes the token into it
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))

    def _refuse_another_database(self, conn: sqlite3.Connection) -> None:
        """An SQLite file with tables but none of a ledger's (of any version) is another
        program's, or a journal: the ledger's tables and token are not added to it."""
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if tables and not tables & LEDGER_TABLES:
            raise LedgerError(
                f"{self.path} is an SQLite database but not a timesheet ledger; "
                "give the ledger a file of its own."
            )

    def _cannot_open(self, error: sqlite3.Error | OSError) -> str:
        if isinstance(error, sqlite3.DatabaseError) and "not a database" in str(error):
            return f"{self.path} is not a timesheet ledger (it is not an SQLite database)."
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        return f"The ledger {self.path} cannot be opened: {reason}."

    # ---------------------------------------------------------------- connections

    def connection(self) -> LedgerConnection:
        conn: LedgerConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: transactions are explicit (see `transaction`).
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                factory=LedgerConnection,
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[LedgerConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._idle:
            self._running += 1
        try:
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def close(self, *, wait_seconds: float = 10.0) -> None:
        """Close every thread's connection, once the transactions running on other
        threads have ended (a request still in a worker thread when its server shuts
        down): closing a connection while another thread executes on it can crash the
        process, not just raise."""
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=wait_seconds)
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    def now(self) -> str:
        return timestamp(self.clock())

    # ------------------------------------------------------------------- identity

    def _ensure_identity(self, conn: sqlite3.Connection) -> Identity:
        with self.transaction(write=True):
            meta = dict(conn.execute("SELECT key, value FROM ledger_meta").fetchall())
            if not meta:
                meta = self._create_identity(conn)
        return Identity(
            organization_id=meta["organization_id"],
            token=meta["token"],
            owner_person_id=int(meta["owner_person_id"]),
            account_uuid=meta["account_uuid"],
        )

    def _create_identity(self, conn: sqlite3.Connection) -> dict[str, str]:
        organization_id = str(secrets.randbelow(90000) + 10000)
        try:
            first_name = getpass.getuser().title()
        except (KeyError, OSError):
            first_name = "Me"
        owner_id = insert_person(conn, organization_id, first_name=first_name, last_name="")
        for name, billable in DEFAULT_SERVICES.items():
            insert_service(conn, organization_id, name=name, billable=billable)
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "organization_id": organization_id,
            "token": secrets.token_urlsafe(24),
            "owner_person_id": str(owner_id),
            "account_uuid": derived_uuid("person", organization_id, owner_id),
            "created_at": self.now(),
        }
        conn.executemany("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", meta.items())
        return meta

    def set_owner(self, person_id: int) -> None:
        """Make another person "me" (the demo ledger's manager)."""
        account_uuid = derived_uuid("person", self.identity.organization_id, person_id)
        with self.transaction(write=True) as conn:
            conn.execute(
                "UPDATE ledger_meta SET value = ? WHERE key = 'owner_person_id'", (str(person_id),)
            )
            conn.execute(
                "UPDATE ledger_meta SET value = ? WHERE key = 'account_uuid'", (account_uuid,)
            )
        self.identity = Identity(
            organization_id=self.identity.organization_id,
            token=self.identity.token,
            owner_person_id=person_id,
            account_uuid=account_uuid,
        )


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a ledger made by an older version up to `SCHEMA_VERSION` (the tables it lacked
    are made by `SCHEMA` itself; columns are added here)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(services)")}
    if "deal_id" not in columns:
        conn.execute("ALTER TABLE services ADD COLUMN deal_id INTEGER REFERENCES deals(id)")
    if "billable" not in columns:
        conn.execute("ALTER TABLE services ADD COLUMN billable INTEGER NOT NULL DEFAULT 1")
    conn.execute(
        "UPDATE ledger_meta SET value = ? WHERE key = 'schema_version' AND value != ?",
        (str(SCHEMA_VERSION), str(SCHEMA_VERSION)),
    )


# The insert helpers are shared by the identity bootstrap, the demo data and the tests.


def insert_person(
    conn: sqlite3.Connection,
    organization_id: str,
    *,
    first_name: str,
    last_name: str = "",
    email: str | None = None,
    title: str | None = None,
    status: int = 1,
) -> int:
    cursor = conn.execute(
        "INSERT INTO people (first_name, last_name, email, title, status, uuid)"
        " VALUES (?, ?, ?, ?, ?, '')",
        (first_name, last_name, email, title, status),
    )
    person_id = int(cursor.lastrowid or 0)
    conn.execute(
        "UPDATE people SET uuid = ? WHERE id = ?",
        (derived_uuid("person", organization_id, person_id), person_id),
    )
    return person_id


def insert_project(conn: sqlite3.Connection, *, name: str) -> int:
    return int(conn.execute("INSERT INTO projects (name) VALUES (?)", (name,)).lastrowid or 0)


def insert_deal(conn: sqlite3.Connection, *, name: str, project_id: int | None) -> int:
    cursor = conn.execute("INSERT INTO deals (name, project_id) VALUES (?, ?)", (name, project_id))
    return int(cursor.lastrowid or 0)


def insert_service(
    conn: sqlite3.Connection,
    organization_id: str,
    *,
    name: str,
    project_id: int | None = None,
    deal_id: int | None = None,
    billable: bool = True,
) -> int:
    """A service; with a `deal_id` its project is the deal's (`project_id` is then ignored).
    Time on a `billable` service is billable: an entry's `billable_time` follows it."""
    if deal_id is not None:
        row = conn.execute("SELECT project_id FROM deals WHERE id = ?", (deal_id,)).fetchone()
        project_id = row[0] if row is not None else None
    cursor = conn.execute(
        "INSERT INTO services (name, project_id, deal_id, uuid, billable) VALUES (?, ?, ?, '', ?)",
        (name, project_id, deal_id, int(billable)),
    )
    service_id = int(cursor.lastrowid or 0)
    conn.execute(
        "UPDATE services SET uuid = ? WHERE id = ?",
        (derived_uuid("service", organization_id, service_id), service_id),
    )
    return service_id


def insert_task(
    conn: sqlite3.Connection, *, title: str, service_id: int | None, closed: bool = False
) -> int:
    cursor = conn.execute(
        "INSERT INTO tasks (title, service_id, closed) VALUES (?, ?, ?)",
        (title, service_id, int(closed)),
    )
    return int(cursor.lastrowid or 0)
