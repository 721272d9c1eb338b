"""The ledger's rules for time entries and timers, shared by both HTTP dialects.

A dialect turns its wire format into plain field dicts and calls these operations inside
the request's transaction. Every rule the app must cope with on the real services lives
here: validation, the approval lock, approvals that need more than one approver, timers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from tui.ledger.db import Identity, LedgerConnection, LedgerDB, fetch_row, timestamp

MAX_MINUTES = 24 * 60
MAX_NOTE_LENGTH = 10_000

# Fields a client may set on an entry; relationships are named without `_id`.
ENTRY_ATTRIBUTES = ("date", "time", "billable_time", "note", "started_at")
ENTRY_RELATIONSHIPS = ("person", "service", "task")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of one item."""

    field: str  # an attribute ("time"), a relationship ("service") or "id"
    detail: str
    title: str = "Invalid value"
    status: int = 422
    relationship: bool = False  # `field` names a relationship the ledger doesn't know


@dataclass
class Rejected(Exception):
    """The request cannot be applied; `problems` say why, field by field."""

    problems: list[Problem] = field(default_factory=list)
    status: int = 422

    def __str__(self) -> str:
        return "; ".join(p.detail for p in self.problems)


def not_found(kind: str, ident: object) -> Rejected:
    return Rejected([Problem("id", f"No {kind} with id {ident}.", "Not found", 404)], status=404)


def parse_id(value: object) -> int | None:
    """A client id: an int or a string of digits (the seed sends both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value) or None
    return None


def _parse_timestamp(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return timestamp(moment)


class Entries:
    """Entry and timer operations over one connection inside one transaction."""

    def __init__(self, conn: LedgerConnection, db: LedgerDB) -> None:
        self.conn = conn
        self.moment = db.clock()
        self.now = timestamp(self.moment)
        self.identity: Identity = db.identity

    # ---------------------------------------------------------------------- reads

    def get(self, entry_id: int) -> sqlite3.Row | None:
        return fetch_row(self.conn, "SELECT * FROM time_entries WHERE id = ?", (entry_id,))

    def require(self, entry_id: object) -> sqlite3.Row:
        parsed = parse_id(entry_id)
        row = self.get(parsed) if parsed is not None else None
        if row is None:
            raise not_found("time entry", entry_id)
        return row

    def by_uuid(self, entry_uuid: str) -> sqlite3.Row | None:
        return fetch_row(self.conn, "SELECT * FROM time_entries WHERE uuid = ?", (entry_uuid,))

    def _exists(self, table: str, row_id: int) -> bool:
        query = f"SELECT 1 FROM {table} WHERE id = ?"  # table names are ours, not input
        return self.conn.execute(query, (row_id,)).fetchone() is not None

    # ----------------------------------------------------------------- validation

    def validate(self, values: dict[str, object], *, creating: bool) -> dict[str, object]:
        """Check client values and return them as columns; raise `Rejected` listing all
        problems of the item at once, so a user fixes a row in one go."""
        problems: list[Problem] = []
        columns: dict[str, object] = {}
        if creating:
            for required in ("date", "time", "person", "service"):
                if values.get(required) is None:
                    problems.append(Problem(required, f"{required} is required.", "Missing"))
        for name, value in values.items():
            if value is None and (name in ("date", "time", "person", "service") and creating):
                continue
            problem = self._check(name, value, columns)
            if problem is not None:
                problems.append(problem)
        if problems:
            raise Rejected(problems)
        return columns

    def _check(self, name: str, value: object, columns: dict[str, object]) -> Problem | None:
        if name == "date":
            if not isinstance(value, str):
                return Problem("date", "date must be a date as YYYY-MM-DD.")
            try:
                columns["date"] = date.fromisoformat(value).isoformat()
            except ValueError:
                return Problem("date", f"date {value!r} is not a real date (YYYY-MM-DD).")
        elif name in ("time", "billable_time"):
            if isinstance(value, bool) or not isinstance(value, int):
                return Problem(name, f"{name} must be a whole number of minutes.")
            if not 0 <= value <= MAX_MINUTES:
                return Problem(name, f"{name} must be between 0 and {MAX_MINUTES} minutes.")
            columns[name] = value
        elif name == "note":
            if value is not None and not isinstance(value, str):
                return Problem("note", "note must be text.")
            if isinstance(value, str) and len(value) > MAX_NOTE_LENGTH:
                return Problem("note", f"note is longer than {MAX_NOTE_LENGTH} characters.")
            columns["note"] = value
        elif name == "started_at":
            parsed = _parse_timestamp(value) if value is not None else None
            if value is not None and parsed is None:
                return Problem("started_at", "started_at must be an ISO 8601 time with offset.")
            columns["started_at"] = parsed
        elif name in ("person", "service", "task"):
            if value is None:
                if name != "task":
                    return Problem(name, f"{name} cannot be removed from an entry.")
                columns["task_id"] = None
                return None
            row_id = parse_id(value)
            table = {"person": "people", "service": "services", "task": "tasks"}[name]
            if row_id is None or not self._exists(table, row_id):
                return Problem(name, f"There is no {name} with id {value}.", "Not found")
            columns[f"{name}_id"] = row_id
        else:
            return Problem(name, f"{name} cannot be set.", "Unknown field")
        return None

    @staticmethod
    def _refuse_locked(row: sqlite3.Row, action: str) -> None:
        # Invoiced first: unapproving cannot unlock an invoiced entry, so don't suggest it.
        if row["invoiced"]:
            raise Rejected(
                [
                    Problem(
                        "id",
                        f"Entry {row['id']} is invoiced and cannot be changed.",
                        "Entry is invoiced",
                    )
                ]
            )
        if row["approved"]:
            raise Rejected(
                [
                    Problem(
                        "id",
                        f"Entry {row['id']} is approved; unapprove it before you {action} it.",
                        "Entry is approved",
                    )
                ]
            )

    def timesheet_of(self, person_id: object, day: object) -> int | None:
        """The id of the timesheet that submits this person's day, if there is one."""
        row = fetch_row(
            self.conn,
            "SELECT id FROM timesheets WHERE person_id = ? AND date = ?",
            (person_id, day),
        )
        return None if row is None else int(row["id"])

    def _refuse_submitted(self, person_id: object, day: object, what: str) -> None:
        if self.timesheet_of(person_id, day) is not None:
            raise Rejected(
                [
                    Problem(
                        "date",
                        f"{day} is submitted; unsubmit it first to {what}.",
                        "Day is submitted",
                    )
                ]
            )

    # --------------------------------------------------------------------- writes

    def create(self, values: dict[str, object], *, running_since: str | None = None) -> int:
        columns = self.validate(values, creating=True)
        self._refuse_submitted(columns["person_id"], columns["date"], "add an entry to it")
        columns.setdefault("billable_time", self._billable(columns["service_id"], columns["time"]))
        columns.setdefault("note", None)
        columns.setdefault("started_at", running_since)
        columns.update(
            uuid=str(uuid.uuid4()),
            creator_id=self.identity.owner_person_id,
            created_at=self.now,
            updated_at=self.now,
            last_activity_at=self.now,
        )
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        cursor = self.conn.execute(
            f"INSERT INTO time_entries ({names}) VALUES ({marks})", tuple(columns.values())
        )
        return int(cursor.lastrowid or 0)

    def update(self, entry_id: object, values: dict[str, object]) -> int:
        row = self.require(entry_id)
        self._refuse_locked(row, "edit")
        # A rejected entry went back to its owner to fix: editable on a submitted day.
        if not row["rejected"]:
            self._refuse_submitted(row["person_id"], row["date"], f"edit entry {row['id']}")
        columns = self.validate(values, creating=False)
        person_id = columns.get("person_id", row["person_id"])
        day = columns.get("date", row["date"])
        if (person_id, day) != (row["person_id"], row["date"]):
            self._refuse_submitted(person_id, day, "move an entry to it")
        if ("time" in columns or "service_id" in columns) and "billable_time" not in columns:
            columns["billable_time"] = self._billable(
                columns.get("service_id", row["service_id"]), columns.get("time", row["time"])
            )
        if row["rejected"]:  # the fix is the answer to the rejection; the day stays submitted
            columns.update(rejected=0, rejected_reason=None, rejected_at=None)
        columns.update(updated_at=self.now, last_activity_at=self.now)
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.conn.execute(
            f"UPDATE time_entries SET {assignments} WHERE id = ?", (*columns.values(), row["id"])
        )
        return int(row["id"])

    def _billable(self, service_id: object, minutes: object) -> object:
        """An entry's billable time: its time on a billable service, else none."""
        row = self.conn.execute("SELECT billable FROM services WHERE id = ?", (service_id,))
        found = row.fetchone()
        return minutes if found is None or found[0] else 0

    def delete(self, entry_id: object) -> None:
        row = self.require(entry_id)
        self._refuse_locked(row, "delete")
        if not row["rejected"]:
            self._refuse_submitted(row["person_id"], row["date"], f"delete entry {row['id']}")
        self.conn.execute("DELETE FROM time_entries WHERE id = ?", (row["id"],))

    # ------------------------------------------------------------------ approvals

    def approve(self, entry_id: object, *, for_all_approvers: bool = False) -> int:
        """Record "me" as an approver; the entry is approved once every approver it
        needs has approved, or at once with `for_all_approvers` (the seed's two cases)."""
        row = self.require(entry_id)
        if row["approved"]:
            return int(row["id"])
        me = self.identity.owner_person_id
        self.conn.execute(
            "INSERT OR IGNORE INTO time_entry_approvals (time_entry_id, person_id, approved_at)"
            " VALUES (?, ?, ?)",
            (row["id"], me, self.now),
        )
        given = self.conn.execute(
            "SELECT count(*) FROM time_entry_approvals WHERE time_entry_id = ?", (row["id"],)
        ).fetchone()[0]
        done = for_all_approvers or given >= row["approvers_needed"]
        self.conn.execute(
            "UPDATE time_entries SET approved = ?, approved_at = ?, approver_id = ?,"
            " rejected = 0, rejected_reason = NULL, rejected_at = NULL,"
            " updated_at = ? WHERE id = ?",
            (int(done), self.now if done else None, me, self.now, row["id"]),
        )
        return int(row["id"])

    def unapprove(self, entry_id: object) -> int:
        row = self.require(entry_id)
        if row["invoiced"]:
            self._refuse_locked(row, "unapprove")
        self.conn.execute("DELETE FROM time_entry_approvals WHERE time_entry_id = ?", (row["id"],))
        self.conn.execute(
            "UPDATE time_entries SET approved = 0, approved_at = NULL, approver_id = NULL,"
            " updated_at = ? WHERE id = ?",
            (self.now, row["id"]),
        )
        return int(row["id"])

    def reject(self, entry_id: object, reason: str | None) -> int:
        row = self.require(entry_id)
        self._refuse_locked(row, "reject")
        if reason is not None and not isinstance(reason, str):
            raise Rejected([Problem("rejected_reason", "rejected_reason must be text.")])
        self.conn.execute(
            "UPDATE time_entries SET rejected = 1, rejected_reason = ?, rejected_at = ?,"
            " updated_at = ? WHERE id = ?",
            (reason, self.now, self.now, row["id"]),
        )
        return int(row["id"])

    def unreject(self, entry_id: object) -> int:
        row = self.require(entry_id)
        self.conn.execute(
            "UPDATE time_entries SET rejected = 0, rejected_reason = NULL, rejected_at = NULL,"
            " updated_at = ? WHERE id = ?",
            (self.now, row["id"]),
        )
        return int(row["id"])

    # --------------------------------------------------------------------- timers

    def running_timer(self, person_id: int) -> sqlite3.Row | None:
        return fetch_row(
            self.conn,
            "SELECT * FROM timers WHERE person_id = ? AND stopped_at IS NULL"
            " ORDER BY started_at DESC, id DESC LIMIT 1",
            (person_id,),
        )

    def start_timer(
        self,
        *,
        service_id: object = None,
        entry_id: object = None,
        note: str | None = None,
        started_at: object = None,
    ) -> int:
        """Start a timer on a new entry for `service_id`, or resume `entry_id`, running
        since now or since `started_at` (a timestamp with an offset, not in the future).
        A person has one running timer: starting another stops the first."""
        me = self.identity.owner_person_id
        since = self.now
        day = self.moment.astimezone().date()
        if started_at is not None:
            parsed = _parse_timestamp(started_at)
            if parsed is None:
                raise Rejected(
                    [Problem("started_at", "started_at must be a timestamp with an offset.")]
                )
            if datetime.fromisoformat(parsed) > self.moment:
                raise Rejected([Problem("started_at", "started_at must not be in the future.")])
            since = parsed
            day = datetime.fromisoformat(parsed).astimezone().date()
        if entry_id is not None:
            row = self.require(entry_id)
            self._refuse_locked(row, "time")
            if not row["rejected"]:
                self._refuse_submitted(row["person_id"], row["date"], "time an entry of it")
            target = int(row["id"])
        else:
            target = self.create(
                {
                    "date": day.isoformat(),
                    "time": 0,
                    "person": me,
                    "service": service_id,
                    "note": note,
                },
                running_since=since,
            )
        running = self.running_timer(me)
        if running is not None:
            self.stop_timer(running["id"])
        cursor = self.conn.execute(
            "INSERT INTO timers (person_id, time_entry_id, started_at) VALUES (?, ?, ?)",
            (me, target, since),
        )
        self.conn.execute(
            "UPDATE time_entries SET timer_started_at = ?, timer_stopped_at = NULL,"
            " track_method_id = 2, updated_at = ? WHERE id = ?",
            (since, self.now, target),
        )
        return int(cursor.lastrowid or 0)

    def timer(self, timer_id: object) -> sqlite3.Row:
        parsed = parse_id(timer_id)
        row = (
            fetch_row(self.conn, "SELECT * FROM timers WHERE id = ?", (parsed,))
            if parsed is not None
            else None
        )
        if row is None:
            raise not_found("timer", timer_id)
        return row

    def stop_timer(self, timer_id: object) -> int:
        """Stop a timer and add its whole minutes to its entry; stopping a stopped timer
        changes nothing, so a client may safely retry a stop whose answer it lost."""
        row = self.timer(timer_id)
        if row["stopped_at"] is not None:
            return int(row["id"])
        started = datetime.fromisoformat(row["started_at"])
        minutes = max(0, int((self.moment - started).total_seconds()) // 60)
        self.conn.execute(
            "UPDATE timers SET stopped_at = ?, total_time = ? WHERE id = ?",
            (self.now, minutes, row["id"]),
        )
        self.conn.execute(
            "UPDATE time_entries SET time = min(time + ?, ?), billable_time = min(time + ?, ?)"
            " * (SELECT billable FROM services WHERE services.id = time_entries.service_id),"
            " timer_stopped_at = ?, updated_at = ?, last_activity_at = ? WHERE id = ?",
            (
                minutes,
                MAX_MINUTES,
                minutes,
                MAX_MINUTES,
                self.now,
                self.now,
                self.now,
                row["time_entry_id"],
            ),
        )
        return int(row["id"])


T = TypeVar("T")


async def in_transaction(db: LedgerDB, work: Callable[[Entries], T], *, write: bool = False) -> T:
    """Run `work` in one transaction on a worker thread, never on the event loop (the
    in-process ledger shares its loop with the app). asyncio's own thread pool, not
    Starlette's: that one loads anyio's event-loop backend on the first request, a
    twentieth of the demo's start."""

    def call() -> T:
        with db.transaction(write=write) as conn:
            return work(Entries(conn, db))

    return await asyncio.to_thread(call)
