"""The ledger's Plannr v1 dialect (`/api/v1`): plain JSON over the same tables as Productive.

Shapes follow the seed (`plannr-time-entry-stop.txt`) and `api-notes.md`:

- an entry is a bare object keyed by its `uuid` column; its note is `name` (first line) plus
  `description` (the rest); each service is a trackable of type `client`;
- `start_date` is the timer's or the entry's start (else the entry's day at 09:00 UTC);
  `end_date` is null while a timer runs on the entry, else the timer's stop, else
  start + time;
- errors are Laravel's: `{"message": ...}`, and for 422 also `{"errors": {field: [...]}}`.

Every rule (validation, the approval lock, timers) is `Entries`'; this module only
translates, and does each request's DB work in one transaction on a worker thread.
"""

from __future__ import annotations

import functools
import json
import math
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.ledger.db import LedgerDB, fetch_row, timestamp
from tui.ledger.entries import Entries, Rejected, in_transaction
from tui.ledger.jsonapi import Page, page_of_ids, rows_by_ids

INVALID = "The given data was invalid."
TRACKABLE_TYPE = "Client"  # how the seed spells it in responses
DEFAULT_PER_PAGE = 15
MAX_PER_PAGE = 500
# Laravel leaks this class name in the seed; clients see it there, so they see it here.
EXTERNAL_REFERENCES = "App\\Http\\Resources\\ExternalReferenceResource"
DAY_START = "T09:00:00.000+00:00"  # an entry with no start time starts at 09:00 UTC
# The SQL twin of `_start`, for sorting (all ledger timestamps are UTC text, sortable).
START_SQL = f"COALESCE(timer_started_at, started_at, date || '{DAY_START}')"

# Problems raised by `Entries` name its columns; a Plannr client knows these fields.
FIELD_NAMES = {
    "time": "total_time_in_minutes",
    "billable_time": "total_time_in_minutes",
    "date": "start_date",
    "started_at": "start_date",
    "service": "trackable_uuid",
    "note": "name",
    "id": "uuid",
    "person": "account",
}
BODY_FIELDS = (
    "name",
    "description",
    "start_date",
    "end_date",
    "total_time_in_minutes",
    "trackable_type",
    "trackable_uuid",
)

Handler = Callable[["PlannrDialect", Request], Awaitable[Response]]


class PlannrError(Exception):
    """An error answered Laravel-style: `{"message": ...}` plus `errors` for a 422."""

    def __init__(
        self, status: int, message: str, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def invalid(errors: dict[str, list[str]]) -> PlannrError:
    return PlannrError(422, INVALID, errors)


def answer(body: Any, status: int = 200) -> Response:
    if body is None:
        return Response(status_code=status)
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type="application/json",
    )


def _error_response(error: PlannrError) -> Response:
    body: dict[str, Any] = {"message": error.message}
    if error.errors is not None:
        body["errors"] = error.errors
    return answer(body, error.status)


def _rejected_response(rejected: Rejected) -> Response:
    if rejected.status != 422:  # e.g. 404 from `Entries.require`
        return answer({"message": str(rejected) or "Not found."}, rejected.status)
    errors: dict[str, list[str]] = {}
    for problem in rejected.problems:
        errors.setdefault(FIELD_NAMES.get(problem.field, problem.field), []).append(problem.detail)
    return answer({"message": INVALID, "errors": errors}, 422)


def endpoint(handler: Handler) -> Handler:
    """Authorize, then turn refusals into Laravel-style error bodies."""

    @functools.wraps(handler)
    async def wrapped(self: PlannrDialect, request: Request) -> Response:
        try:
            self.authorize(request)
            return await handler(self, request)
        except PlannrError as error:
            return _error_response(error)
        except Rejected as rejected:
            return _rejected_response(rejected)

    return wrapped


# ----------------------------------------------------------------------- wire values


def iso(moment: datetime) -> str:
    """The wire format of the seed: ISO 8601, seconds, with offset (UTC here)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _stored(value: str) -> datetime:
    return datetime.fromisoformat(value)


def split_note(note: str | None) -> tuple[str, str | None]:
    """note → (name, description): the first line, and the rest ("" → None)."""
    name, _, rest = (note or "").partition("\n")
    return name, rest or None


def join_note(name: str, description: str | None) -> str:
    return f"{name}\n{description}" if description else name


def split_name(name: str) -> tuple[str | None, str | None]:
    first, _, last = name.strip().partition(" ")
    return first or None, last.strip() or None


@dataclass
class Fields:
    """A request body's fields, type-checked; `present` holds the keys it carried."""

    present: set[str] = field(default_factory=set)
    name: str | None = None
    description: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    total: int | None = None
    trackable_uuid: str | None = None


def _parse_moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())  # 3.11+ reads "Z" too
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_fields(body: dict[str, Any], *, creating: bool) -> Fields:
    """Check a create/update body's shapes; every problem is reported at once (422)."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    fields = Fields(present={k for k in body if k in BODY_FIELDS})
    for key in body:
        if key not in BODY_FIELDS:  # a typo must not be a silent no-op
            fail(key, f"The {key} field cannot be set on a time entry.")
    if creating:
        for required in ("name", "start_date", "trackable_type", "trackable_uuid"):
            if body.get(required) in (None, ""):
                fail(required, f"The {required.replace('_', ' ')} field is required.")

    if "name" in body and body["name"] not in (None, ""):
        if not isinstance(body["name"], str):
            fail("name", "The name field must be a string.")
        elif "\n" in body["name"]:
            fail("name", "The name field must be one line; put the rest in description.")
        else:
            fields.name = body["name"]
    elif "name" in body and not creating:
        fail("name", "The name field is required.")
    if "description" in body:
        value = body["description"]
        if value is not None and not isinstance(value, str):
            fail("description", "The description field must be a string.")
        else:
            fields.description = value or None
    for key in ("start_date", "end_date"):
        value = body.get(key)
        if value is None:
            if key == "start_date" and key in body and not creating:
                fail(key, "The start date field is required.")
            continue
        moment = _parse_moment(value)
        if moment is None:
            fail(
                key,
                f"The {key.replace('_', ' ')} field must be an ISO 8601 date and time "
                "with an offset (e.g. 2025-06-26T10:47:06+01:00).",
            )
        elif key == "start_date":
            fields.start = moment
        else:
            fields.end = moment
    if body.get("total_time_in_minutes") is not None:
        value = body["total_time_in_minutes"]
        if isinstance(value, bool) or not isinstance(value, int):
            fail("total_time_in_minutes", "The total time in minutes field must be an integer.")
        else:
            fields.total = value
    if body.get("trackable_type") is not None:
        value = body["trackable_type"]
        if not isinstance(value, str) or value.lower() != "client":
            fail(
                "trackable_type",
                "The selected trackable type is invalid (this ledger tracks clients only).",
            )
    if body.get("trackable_uuid") is not None:
        if not isinstance(body["trackable_uuid"], str):
            fail("trackable_uuid", "The trackable uuid field must be a string.")
        else:
            fields.trackable_uuid = body["trackable_uuid"]
    if fields.start and fields.end and fields.end < fields.start:
        fail("end_date", "The end date field must be a date after or equal to start date.")
    if errors:
        raise invalid(errors)
    return fields


_JSON_TYPES = ("application/json",)


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body is `{}`. A body of another media type
    answers 415, malformed JSON 400."""
    raw = await request.body()
    if not raw:
        return {}
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in _JSON_TYPES and not media.endswith("+json"):
        raise PlannrError(415, f"Content-Type must be application/json (got {media or 'none'}).")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PlannrError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise PlannrError(400, "The request body must be a JSON object.")
    return body


# --------------------------------------------------------------------------- dialect


class PlannrDialect:
    def __init__(self, db: LedgerDB) -> None:
        self.db = db

    # -------------------------------------------------------------------- plumbing

    def authorize(self, request: Request) -> None:
        identity = self.db.identity
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if (
            scheme.lower() != "bearer"
            or not token
            or not secrets.compare_digest(token.encode(), identity.token.encode())
        ):
            raise PlannrError(401, "Unauthenticated.")
        account = request.headers.get("x-plannr-account-uuid", "")
        if not secrets.compare_digest(account.encode(), identity.account_uuid.encode()):
            raise PlannrError(
                403,
                "This action is unauthorized: X-PLANNR-ACCOUNT-UUID does "
                "not match the token's account.",
            )

    async def run(self, work: Callable[[Entries], Any], *, write: bool = False) -> Any:
        return await in_transaction(self.db, work, write=write)

    def routes(self) -> list[Route]:
        r = Route
        return [
            r("/time-entry", self.create_entry, methods=["POST"]),
            r("/time-entry/{uuid}", self.get_entry, methods=["GET"]),
            r("/time-entry/{uuid}", self.update_entry, methods=["PUT"]),
            r("/time-entry/{uuid}", self.delete_entry, methods=["DELETE"]),
            r("/time-entry/{uuid}/stop", self.stop_entry, methods=["POST"]),
            r("/time-entry/{trackable_type}/{trackable_uuid}", self.list_entries, methods=["GET"]),
            r("/account/{uuid}", self.get_account, methods=["GET"]),
        ]

    # ----------------------------------------------------------------- serializers

    @staticmethod
    def _start(row: sqlite3.Row) -> datetime:
        started = row["timer_started_at"] or row["started_at"]
        return _stored(started) if started else _stored(row["date"] + DAY_START)

    def _end(self, row: sqlite3.Row, running: bool) -> datetime | None:
        if running:
            return None
        if row["timer_stopped_at"]:
            return _stored(row["timer_stopped_at"])
        return self._start(row) + timedelta(minutes=row["time"])

    @staticmethod
    def _running_ids(conn: sqlite3.Connection, ids: list[int]) -> set[int]:
        running: set[int] = set()
        for at in range(0, len(ids), 500):
            chunk = ids[at : at + 500]
            running.update(
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT time_entry_id FROM timers WHERE stopped_at IS NULL"
                    f" AND time_entry_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return running

    @staticmethod
    def _ledger_created_at(conn: sqlite3.Connection) -> str | None:
        """People and services keep no timestamps: they date from the ledger's creation."""
        row = conn.execute("SELECT value FROM ledger_meta WHERE key = 'created_at'").fetchone()
        return iso(_stored(row[0])) if row else None

    @staticmethod
    def account_object(person: sqlite3.Row, created: str | None) -> dict[str, Any]:
        name = " ".join(p for p in (person["first_name"], person["last_name"]) if p)
        return {
            "name": name,
            "role": "client",
            "type": "client",
            "uuid": person["uuid"],
            "email": person["email"],
            "last_name": person["last_name"] or None,
            "photo_url": None,
            "created_at": created,
            "first_name": person["first_name"] or None,
            "updated_at": created,
            "external_references": EXTERNAL_REFERENCES,
        }

    @staticmethod
    def trackable_object(
        service: sqlite3.Row, created: str | None, name: str | None = None
    ) -> dict[str, Any]:
        """A service as a client trackable; `name` is its name as `trackable_names` gives
        it (the service's own name by default)."""
        first, last = split_name(service["name"])
        return {
            "name": name or service["name"],
            "role": "client",
            "type": "client",
            "uuid": service["uuid"],
            "email": None,
            "last_name": last,
            "photo_url": None,
            "created_at": created,
            "first_name": first,
            "updated_at": created,
            "external_references": EXTERNAL_REFERENCES,
        }

    def entry_objects(self, entries: Entries, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        """Entries as the seed shows them (its key order too), people and services read
        once per batch."""
        conn = entries.conn
        created = self._ledger_created_at(conn)
        people = {
            p["id"]: p for p in rows_by_ids(conn, "people", sorted({r["person_id"] for r in rows}))
        }
        services = {
            s["id"]: s
            for s in rows_by_ids(conn, "services", sorted({r["service_id"] for r in rows}))
        }
        names = trackable_names(conn, list(services))
        running = self._running_ids(conn, [r["id"] for r in rows])
        out = []
        for row in rows:
            start = self._start(row)
            end = self._end(row, row["id"] in running)
            elapsed = int(((end or entries.moment) - start).total_seconds())
            name, description = split_note(row["note"])
            out.append(
                {
                    "name": name,
                    "uuid": row["uuid"],
                    "account": self.account_object(people[row["person_id"]], created),
                    "end_date": iso(end) if end else None,
                    "is_active": end is None,
                    "trackable": self.trackable_object(
                        services[row["service_id"]], created, names.get(row["service_id"])
                    ),
                    "created_at": iso(_stored(row["created_at"])),
                    "start_date": iso(start),
                    "updated_at": iso(_stored(row["updated_at"])),
                    "description": description,
                    "trackable_type": TRACKABLE_TYPE,
                    "total_time_in_minutes": row["time"],
                    "computed_time_elapsed_in_seconds": max(0, elapsed),
                }
            )
        return out

    def entry_object(self, entries: Entries, row: sqlite3.Row) -> dict[str, Any]:
        return self.entry_objects(entries, [row])[0]

    # ------------------------------------------------------------------- lookups

    @staticmethod
    def _require(entries: Entries, entry_uuid: str) -> sqlite3.Row:
        row = entries.by_uuid(entry_uuid)
        if row is None:
            raise PlannrError(404, f"No time entry with uuid {entry_uuid}.")
        return row

    @staticmethod
    def _service_id(entries: Entries, trackable_uuid: str) -> int:
        row = entries.conn.execute(
            "SELECT id FROM services WHERE uuid = ?", (trackable_uuid,)
        ).fetchone()
        if row is None:
            raise invalid(
                {
                    "trackable_uuid": [
                        f"The selected trackable uuid is invalid: no client {trackable_uuid}."
                    ]
                }
            )
        return int(row["id"])

    @staticmethod
    def _running_timer(entries: Entries, entry_id: int) -> sqlite3.Row | None:
        return fetch_row(
            entries.conn,
            "SELECT * FROM timers WHERE time_entry_id = ? AND stopped_at IS NULL"
            " ORDER BY started_at DESC, id DESC LIMIT 1",
            (entry_id,),
        )

    # --------------------------------------------------------------------- routes

    @endpoint
    async def get_entry(self, request: Request) -> Response:
        def work(entries: Entries) -> dict[str, Any]:
            return self.entry_object(entries, self._require(entries, request.path_params["uuid"]))

        return answer(await self.run(work))

    @endpoint
    async def get_account(self, request: Request) -> Response:
        """An account by uuid: a person, or a service as the client it is as a trackable
        (so a client's name can be read before any time is logged on it)."""
        account_uuid = request.path_params["uuid"]

        def work(entries: Entries) -> dict[str, Any]:
            conn = entries.conn
            created = self._ledger_created_at(conn)
            person = fetch_row(conn, "SELECT * FROM people WHERE uuid = ?", (account_uuid,))
            if person is not None:
                return self.account_object(person, created)
            service = fetch_row(conn, "SELECT * FROM services WHERE uuid = ?", (account_uuid,))
            if service is None:
                raise PlannrError(404, f"No account with uuid {account_uuid}.")
            name = trackable_names(conn, [service["id"]]).get(service["id"])
            return self.trackable_object(service, created, name)

        return answer(await self.run(work))

    @endpoint
    async def create_entry(self, request: Request) -> Response:
        fields = parse_fields(await read_json(request), creating=True)
        start = fields.start
        assert start is not None and fields.name is not None and fields.trackable_uuid

        def work(entries: Entries) -> dict[str, Any]:
            service_id = self._service_id(entries, fields.trackable_uuid or "")
            if fields.end is not None:
                minutes = fields.total
                if minutes is None:
                    minutes = int((fields.end - start).total_seconds()) // 60
            else:
                # A running entry may carry time already; its timer adds to it on stop.
                minutes = fields.total or 0
            entry_id = entries.create(
                {
                    "date": start.date().isoformat(),  # the day as the client's offset sees it
                    "time": minutes,
                    "person": entries.identity.owner_person_id,
                    "service": service_id,
                    "note": join_note(fields.name or "", fields.description),
                    "started_at": start.isoformat(),
                }
            )
            if fields.end is None:
                # `start_timer` stops the owner's other timer and starts this one now;
                # the timer then runs from the start the client gave.
                timer_id = entries.start_timer(entry_id=entry_id)
                since = timestamp(start)
                entries.conn.execute(
                    "UPDATE timers SET started_at = ? WHERE id = ?", (since, timer_id)
                )
                entries.conn.execute(
                    "UPDATE time_entries SET timer_started_at = ? WHERE id = ?", (since, entry_id)
                )
            return self.entry_object(entries, entries.require(entry_id))

        return answer(await self.run(work, write=True), 201)

    @endpoint
    async def update_entry(self, request: Request) -> Response:
        fields = parse_fields(await read_json(request), creating=False)
        entry_uuid = request.path_params["uuid"]

        def work(entries: Entries) -> dict[str, Any]:
            row = self._require(entries, entry_uuid)
            values, timer_columns = self._update_values(entries, row, fields)
            entry_id = entries.update(row["id"], values)  # refuses approved entries
            # The timer columns `Entries` does not set, kept in step with the new times.
            for column, value in timer_columns.items():
                if column == "timer_row":
                    entries.conn.execute("UPDATE timers SET started_at = ? WHERE id = ?", value)
                else:
                    entries.conn.execute(
                        f"UPDATE time_entries SET {column} = ? WHERE id = ?", (value, entry_id)
                    )
            return self.entry_object(entries, entries.require(entry_id))

        return answer(await self.run(work, write=True))

    def _update_values(
        self, entries: Entries, row: sqlite3.Row, fields: Fields
    ) -> tuple[dict[str, object], dict[str, Any]]:
        """The `Entries.update` values for a PUT, and the timer columns to keep in step.

        Moving the start keeps the duration (the end moves too) unless an end or a total is
        given; an end without a total sets the time to the whole minutes between them. A
        running entry has no end: it is stopped with `/stop`, not by a PUT.
        """
        values: dict[str, object] = {}
        timer: dict[str, Any] = {}
        present = fields.present
        if present & {"name", "description"}:
            name, description = split_note(row["note"])
            if "name" in present:
                name = fields.name or ""
            if "description" in present:
                description = fields.description
            values["note"] = join_note(name, description)
        if fields.trackable_uuid is not None:
            values["service"] = self._service_id(entries, fields.trackable_uuid)
        if fields.total is not None:
            values["time"] = fields.total

        running = self._running_timer(entries, row["id"])
        old_start = self._start(row)
        old_end = self._end(row, running is not None)
        start = fields.start or old_start
        if running is not None:
            if fields.end is not None:
                raise invalid(
                    {"end_date": ["The time entry is running: stop it to set its end date."]}
                )
        elif "end_date" in present and fields.end is None:
            raise invalid({"end_date": ["The end date of a stopped time entry is required."]})
        if fields.start is not None:
            values["started_at"] = start.isoformat()
            values["date"] = start.date().isoformat()
            if row["timer_started_at"]:
                timer["timer_started_at"] = timestamp(start)
            if running is not None:
                timer["timer_row"] = (timestamp(start), running["id"])
        if running is None and old_end is not None and (fields.start or fields.end):
            end = fields.end or start + (old_end - old_start)
            if end < start:
                raise invalid(
                    {"start_date": ["The start date must be a date before or equal to end date."]}
                )
            if fields.end is not None and fields.total is None:
                values["time"] = int((end - start).total_seconds()) // 60
            if row["timer_stopped_at"]:
                timer["timer_stopped_at"] = timestamp(end)
        return values, timer

    @endpoint
    async def delete_entry(self, request: Request) -> Response:
        def work(entries: Entries) -> None:
            entries.delete(self._require(entries, request.path_params["uuid"])["id"])

        await self.run(work, write=True)
        return answer(None, 204)

    @endpoint
    async def stop_entry(self, request: Request) -> Response:
        await read_json(request)  # no body is needed, but a bad one is still refused

        def work(entries: Entries) -> dict[str, Any]:
            row = self._require(entries, request.path_params["uuid"])
            timer = self._running_timer(entries, row["id"])
            if timer is None:
                raise invalid({"uuid": ["This time entry has no running timer to stop."]})
            entries.stop_timer(timer["id"])
            body = self.entry_object(entries, entries.require(row["id"]))
            # The seed's stopped entry still says "is_active": true, so the stop answer does
            # too: a client must judge "stopped" by `end_date`, as on the real service.
            body["is_active"] = True
            return body

        return answer(await self.run(work, write=True))

    @endpoint
    async def list_entries(self, request: Request) -> Response:
        trackable_type = request.path_params["trackable_type"]
        trackable_uuid = request.path_params["trackable_uuid"]
        query = request.query_params
        sort = query.get("sort") or "-start_date"
        if sort not in ("start_date", "-start_date"):
            raise PlannrError(
                400,
                f"Requested sort(s) `{sort}` is not allowed. "
                "Allowed sort(s) are `start_date, -start_date`.",
            )
        for key in query:
            if key.startswith("filter") and key != "filter[between]":
                raise PlannrError(
                    400,
                    f"Requested filter(s) `{key}` are not allowed. "
                    "Allowed filter(s) are `between`.",
                )
        where = ["service_id = ?"]
        params: list[Any] = []
        if "filter[between]" in query:
            where.extend(["date >= ?", "date <= ?"])
            params.extend(_between(query["filter[between]"]))
        per_page = _per_page(query.get("per_page"))
        page_number = _page_number(query.get("page"))
        page = Page(page_number, per_page)

        def work(entries: Entries) -> dict[str, Any]:
            service = None
            if trackable_type.lower() == "client":
                service = entries.conn.execute(
                    "SELECT id FROM services WHERE uuid = ?", (trackable_uuid,)
                ).fetchone()
            if service is None:
                raise PlannrError(404, f"No {trackable_type} with uuid {trackable_uuid}.")
            # The id breaks ties (many entries share a start): without it, pages read
            # from the far end (see `page_of_ids`) overlap the near ones and skip entries.
            descending = sort.startswith("-")
            ids, total = page_of_ids(
                entries.conn,
                "time_entries",
                where,
                [service["id"], *params],
                [(START_SQL, descending), ("id", descending)],
                page,
            )
            data = self.entry_objects(entries, rows_by_ids(entries.conn, "time_entries", ids))
            return {"data": data, **_laravel_pages(request, page, total, len(data))}

        return answer(await self.run(work))


# ------------------------------------------------------------------------ trackables


def trackable_names(conn: sqlite3.Connection, service_ids: list[int]) -> dict[int, str]:
    """Each service's name as a trackable: its name with where it belongs,
    `Design (Acme › Website)` (project › deal, either alone), so that two services of one
    name read apart in a Plannr client too; the bare name when it belongs nowhere."""
    names: dict[int, str] = {}
    for at in range(0, len(service_ids), 500):
        chunk = service_ids[at : at + 500]
        for row in conn.execute(
            "SELECT s.id, s.name, p.name AS project, d.name AS deal FROM services s"
            " LEFT JOIN deals d ON d.id = s.deal_id"
            " LEFT JOIN projects p ON p.id = COALESCE(d.project_id, s.project_id)"
            f" WHERE s.id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            context = " › ".join(part for part in (row["project"], row["deal"]) if part)
            names[row["id"]] = f"{row['name']} ({context})" if context else row["name"]
    return names


def trackables(db: LedgerDB) -> list[tuple[str, str]]:
    """Every service as a Plannr trackable: (`client:<uuid>`, its name), in id order; what
    a Plannr profile lists as its `trackables`."""
    with db.transaction() as conn:
        rows = conn.execute("SELECT id, uuid FROM services ORDER BY id").fetchall()
        names = trackable_names(conn, [row["id"] for row in rows])
    return [(f"client:{row['uuid']}", names[row["id"]]) for row in rows]


# ----------------------------------------------------------------------- list helpers


def _between(raw: str) -> tuple[str, str]:
    parts = [p.strip() for p in raw.split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        first, last = (date.fromisoformat(p) for p in parts)
    except ValueError:
        raise invalid(
            {
                "filter.between": [
                    "The filter.between field must be two dates as YYYY-MM-DD,YYYY-MM-DD."
                ]
            }
        ) from None
    if last < first:
        raise invalid(
            {
                "filter.between": [
                    "The filter.between field's second date must not be before its first."
                ]
            }
        )
    return first.isoformat(), last.isoformat()


def _per_page(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PER_PAGE
    try:
        value = int(raw)
    except ValueError:
        raise invalid({"per_page": ["The per page field must be an integer."]}) from None
    return min(max(value, 1), MAX_PER_PAGE)


def _page_number(raw: str | None) -> int:
    """As Laravel does: a page that is not a positive integer is page 1."""
    try:
        value = int(raw or "1")
    except ValueError:
        return 1
    return max(value, 1)


def _laravel_pages(request: Request, page: Page, total: int, count: int) -> dict[str, Any]:
    last_page = max(math.ceil(total / page.size), 1)
    offset = (page.number - 1) * page.size

    def link(number: int) -> str:
        return str(request.url.include_query_params(page=number))

    return {
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": link(page.number - 1) if page.number > 1 else None,
            "next": link(page.number + 1) if page.number < last_page else None,
        },
        "meta": {
            "current_page": page.number,
            "from": offset + 1 if count else None,
            "last_page": last_page,
            "per_page": page.size,
            "to": offset + count if count else None,
            "total": total,
            "path": str(request.url.replace(query="")),
        },
    }
