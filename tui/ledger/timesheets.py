"""The ledger's `/timesheets` (Productive dialect): submitting a person's day for approval.

A timesheet is one person's one day, unique per person and date. Creating one marks every
entry of that day `submitted` (so `filter[status]=5` finds them) and links them to it;
deleting one (unsubmitting) takes that back, refused once an entry of the day is approved.
Timesheets are only created and deleted, one or many at once (`ext=bulk`); a bulk call is
all or nothing, its errors pointing at the refused items (`/data/3/...`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.ledger.db import LedgerDB
from tui.ledger.entries import Entries, Problem, Rejected, in_transaction, parse_id
from tui.ledger.jsonapi import (
    BulkRejected,
    Filter,
    JsonApiError,
    bulk_items,
    document,
    endpoint,
    expect_resource,
    page_of_ids,
    pagination,
    parse_filters,
    parse_ints,
    parse_page,
    parse_sort,
    read_body,
    rejected_errors,
    relationship_id,
    rows_by_ids,
    to_one,
)


def _date_value(f: Filter) -> str:
    try:
        return date.fromisoformat(f.value).isoformat()
    except ValueError:
        raise JsonApiError(
            400,
            "Invalid filter",
            f"{f.parameter} takes a date as YYYY-MM-DD.",
            parameter=f.parameter,
        ) from None


# ------------------------------------------------------------------------ the rules


def submit_day(entries: Entries, person: object, day: object) -> int:
    """Create the timesheet of `person`'s `day`; its entries become submitted."""
    problems: list[Problem] = []
    person_id = parse_id(person)
    if person is None:
        problems.append(Problem("person", "person is required.", "Missing"))
    elif (
        person_id is None
        or not entries.conn.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone()
    ):
        problems.append(Problem("person", f"There is no person with id {person}.", "Not found"))
    iso = None
    if not isinstance(day, str):
        problems.append(Problem("date", "date must be a date as YYYY-MM-DD."))
    else:
        try:
            iso = date.fromisoformat(day).isoformat()
        except ValueError:
            problems.append(Problem("date", f"date {day!r} is not a real date (YYYY-MM-DD)."))
    if problems:
        raise Rejected(problems)
    if entries.timesheet_of(person_id, iso) is not None:
        raise Rejected(
            [
                Problem(
                    "date",
                    f"A timesheet for person {person_id} on {iso} already exists.",
                    "Already submitted",
                )
            ]
        )
    cursor = entries.conn.execute(
        "INSERT INTO timesheets (person_id, date, creator_id, created_at) VALUES (?, ?, ?, ?)",
        (person_id, iso, entries.identity.owner_person_id, entries.now),
    )
    entries.conn.execute(
        "UPDATE time_entries SET submitted = 1, updated_at = ? WHERE person_id = ? AND date = ?",
        (entries.now, person_id, iso),
    )
    return int(cursor.lastrowid or 0)


def require_timesheet(entries: Entries, timesheet_id: object) -> sqlite3.Row:
    parsed = parse_id(timesheet_id)
    row = (
        entries.conn.execute("SELECT * FROM timesheets WHERE id = ?", (parsed,)).fetchone()
        if parsed is not None
        else None
    )
    if row is None:
        raise Rejected(
            [Problem("id", f"No timesheet with id {timesheet_id}.", "Not found", 404)], status=404
        )
    result: sqlite3.Row = row
    return result


def unsubmit_day(entries: Entries, timesheet_id: object) -> None:
    """Delete a timesheet; refused once an entry of its day is approved."""
    row = require_timesheet(entries, timesheet_id)
    approved = entries.conn.execute(
        "SELECT count(*) FROM time_entries WHERE person_id = ? AND date = ? AND approved = 1",
        (row["person_id"], row["date"]),
    ).fetchone()[0]
    if approved:
        raise Rejected(
            [
                Problem(
                    "id",
                    f"{row['date']} has {approved} approved "
                    f"{'entry' if approved == 1 else 'entries'}; unapprove "
                    f"{'it' if approved == 1 else 'them'} before you unsubmit the day.",
                    "Day has approved entries",
                )
            ]
        )
    entries.conn.execute(
        "UPDATE time_entries SET submitted = 0, updated_at = ? WHERE person_id = ? AND date = ?",
        (entries.now, row["person_id"], row["date"]),
    )
    entries.conn.execute("DELETE FROM timesheets WHERE id = ?", (row["id"],))


# ------------------------------------------------------------------------ the routes


class TimesheetEndpoints:
    """`/timesheets` of the Productive dialect (mounted by `ProductiveDialect.routes`)."""

    def __init__(
        self, db: LedgerDB, authorize: Callable[[Request], None], max_bulk_items: int
    ) -> None:
        self.db = db
        self.authorize = authorize
        self.max_bulk_items = max_bulk_items

    def routes(self) -> list[Route]:
        return [
            Route("/timesheets", self.list_timesheets, methods=["GET"]),
            Route("/timesheets", self.create_timesheets, methods=["POST"]),
            Route("/timesheets", self.delete_timesheets, methods=["DELETE"]),
            Route("/timesheets/{timesheet_id}", self.get_timesheet, methods=["GET"]),
            Route("/timesheets/{timesheet_id}", self.delete_timesheet, methods=["DELETE"]),
        ]

    def resource(self, row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "type": "timesheets",
            "attributes": {"date": row["date"], "created_at": row["created_at"]},
            "relationships": {
                "organization": to_one("organizations", self.db.identity.organization_id),
                "person": to_one("people", row["person_id"]),
                "creator": to_one("people", row["creator_id"]),
            },
        }

    async def run(self, work: Callable[[Entries], Any], *, write: bool = False) -> Any:
        return await in_transaction(self.db, work, write=write)

    def _items(self, body: dict[str, Any], *, need_id: bool) -> list[dict[str, Any]]:
        return bulk_items(body, "timesheets", self.max_bulk_items, need_id=need_id)

    @staticmethod
    def _each(items: list[dict[str, Any]], apply: Callable[[dict[str, Any]], Any]) -> list[Any]:
        """All or nothing: any refusal raises every item's problems (the call rolls back)."""
        errors: list[dict[str, Any]] = []
        out = []
        for index, item in enumerate(items):
            try:
                out.append(apply(item))
            except Rejected as rejected:
                errors.extend(rejected_errors(rejected, index))
        if errors:
            raise BulkRejected(errors)
        return out

    @staticmethod
    def _submit(entries: Entries, item: dict[str, Any]) -> int:
        attributes = item.get("attributes") or {}
        _, person = relationship_id(item, "person")
        return submit_day(entries, person, attributes.get("date"))

    @endpoint
    async def list_timesheets(self, request: Request) -> Response:
        ops: set[str | None] = {None}
        filters = parse_filters(
            request,
            {"person_id": ops, "creator_id": ops, "date": ops, "after": ops, "before": ops},
        )
        where: list[str] = []
        params: list[Any] = []
        for f in filters:
            if f.name in ("person_id", "creator_id"):
                ids = parse_ints(f)
                where.append(f"{f.name} IN ({','.join('?' * len(ids))})")
                params.extend(ids)
            else:
                where.append(f"date {({'date': '=', 'after': '>=', 'before': '<='})[f.name]} ?")
                params.append(_date_value(f))
        sort = parse_sort(request, {"date": "date", "id": "id"}, "date")
        page = parse_page(request)

        def work(entries: Entries) -> dict[str, Any]:
            ids, total = page_of_ids(entries.conn, "timesheets", where, params, sort, page)
            rows = rows_by_ids(entries.conn, "timesheets", ids)
            meta, links = pagination(request, page, total)
            return {"data": [self.resource(r) for r in rows], "meta": meta, "links": links}

        return document(await self.run(work))

    @endpoint
    async def get_timesheet(self, request: Request) -> Response:
        def work(entries: Entries) -> dict[str, Any]:
            return {
                "data": self.resource(
                    require_timesheet(entries, request.path_params["timesheet_id"])
                )
            }

        return document(await self.run(work))

    @endpoint
    async def create_timesheets(self, request: Request) -> Response:
        body, _ = await read_body(request)
        if isinstance(body["data"], list):
            items = self._items(body, need_id=False)

            def bulk(entries: Entries) -> dict[str, Any]:
                ids = self._each(items, lambda item: self._submit(entries, item))
                rows = rows_by_ids(entries.conn, "timesheets", ids)
                return {"data": [self.resource(r) for r in rows], "meta": {}}

            return document(await self.run(bulk, write=True), 201)
        item = expect_resource(body["data"], "timesheets", None, need_id=False)

        def single(entries: Entries) -> dict[str, Any]:
            new_id = self._submit(entries, item)
            return {"data": self.resource(require_timesheet(entries, new_id))}

        return document(await self.run(single, write=True), 201)

    @endpoint
    async def delete_timesheets(self, request: Request) -> Response:
        body, _ = await read_body(request)
        items = self._items(body, need_id=True)

        def work(entries: Entries) -> None:
            self._each(items, lambda item: unsubmit_day(entries, item["id"]))

        await self.run(work, write=True)
        return document(None, 204)

    @endpoint
    async def delete_timesheet(self, request: Request) -> Response:
        timesheet_id = request.path_params["timesheet_id"]
        await self.run(lambda entries: unsubmit_day(entries, timesheet_id), write=True)
        return document(None, 204)
