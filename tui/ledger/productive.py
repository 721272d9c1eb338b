"""The ledger's Productive v2 dialect (`/api/v2`): JSON:API, bulk, approvals, timers.

Shapes follow the seed (`productive-time-entries-bulk.txt`) and the public reference:
bulk responses leave person/service/task out (`{"meta": {"included": false}}`), single
and list responses carry them, and errors point at the item (`/data/3/attributes/time`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.ledger.db import LedgerDB
from tui.ledger.entries import (
    ENTRY_ATTRIBUTES,
    ENTRY_RELATIONSHIPS,
    Entries,
    Problem,
    Rejected,
    _parse_timestamp,
    in_transaction,
    parse_id,
)
from tui.ledger.jsonapi import (
    NOT_INCLUDED,
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
    parse_include,
    parse_ints,
    parse_page,
    parse_sort,
    read_body,
    rejected_errors,
    relationship_id,
    rows_by_ids,
    to_one,
)
from tui.ledger.timesheets import TimesheetEndpoints

DEFAULT_MAX_BULK_ITEMS = 200

# Productive's status filter: 1 approved, 2 unapproved, 3 rejected, 5 submitted, 6 draft.
STATUS_CONDITIONS = {
    1: "approved = 1",
    2: "approved = 0",
    3: "rejected = 1",
    5: "submitted = 1 AND approved = 0 AND rejected = 0",
    6: "submitted = 0 AND approved = 0 AND rejected = 0",
}
_DATE_OPS = {None: "=", "eq": "=", "gt": ">", "gt_eq": ">=", "lt": "<", "lt_eq": "<="}

Included = tuple[
    set[str], Callable[[sqlite3.Connection, list[sqlite3.Row], list[str]], list[dict[str, Any]]]
]
"""What a lookup listing may include, and how it builds the `included` member."""
SERVICE_INCLUDES = {"deal", "deal.project"}
"""As on Productive: a service's deal (budget), and the deal's project."""


def _date_value(f: Filter) -> str:
    from datetime import date

    try:
        return date.fromisoformat(f.value).isoformat()
    except ValueError:
        raise JsonApiError(
            400,
            "Invalid filter",
            f"{f.parameter} takes a date as YYYY-MM-DD.",
            parameter=f.parameter,
        ) from None


def _timestamp_value(f: Filter) -> str:
    """A moment as the ledger stores it (UTC, milliseconds), so text comparison orders it
    right whatever offset the client wrote; a bare date is taken as before."""
    parsed = _parse_timestamp(f.value)
    if parsed is not None:
        return parsed
    try:
        return _date_value(f)
    except JsonApiError:
        raise JsonApiError(
            400,
            "Invalid filter",
            f"{f.parameter} takes an ISO 8601 time with offset or a date.",
            parameter=f.parameter,
        ) from None


class ProductiveDialect:
    def __init__(self, db: LedgerDB, *, max_bulk_items: int = DEFAULT_MAX_BULK_ITEMS) -> None:
        self.db = db
        self.max_bulk_items = max_bulk_items

    # -------------------------------------------------------------------- plumbing

    def authorize(self, request: Request) -> None:
        identity = self.db.identity
        token = request.headers.get("x-auth-token", "")
        if not token or not secrets.compare_digest(token.encode(), identity.token.encode()):
            raise JsonApiError(401, "Unauthorized", "Missing or invalid X-Auth-Token.")
        if request.headers.get("x-organization-id") != identity.organization_id:
            raise JsonApiError(403, "Forbidden", "X-Organization-Id does not match the token.")

    async def run(self, work: Callable[[Entries], Any], *, write: bool = False) -> Any:
        return await in_transaction(self.db, work, write=write)

    def routes(self) -> list[Route]:
        r = Route
        return [
            r("/time_entries", self.list_entries, methods=["GET"]),
            r("/time_entries", self.create_entries, methods=["POST"]),
            r("/time_entries", self.update_entries, methods=["PATCH"]),
            r("/time_entries", self.delete_entries, methods=["DELETE"]),
            r("/time_entries/approve", self.approve_entries, methods=["PATCH"]),
            r("/time_entries/unapprove", self.unapprove_entries, methods=["PATCH"]),
            r("/time_entries/{entry_id}", self.get_entry, methods=["GET"]),
            r("/time_entries/{entry_id}", self.update_entry, methods=["PATCH"]),
            r("/time_entries/{entry_id}", self.delete_entry, methods=["DELETE"]),
            r("/time_entries/{entry_id}/{action}", self.entry_action, methods=["PATCH"]),
            r("/timers", self.list_timers, methods=["GET"]),
            r("/timers", self.start_timer, methods=["POST"]),
            r("/timers/{timer_id}", self.get_timer, methods=["GET"]),
            r("/timers/{timer_id}/stop", self.stop_timer, methods=["PATCH"]),
            r("/people", self.list_people, methods=["GET"]),
            r("/people/{row_id}", self.get_person, methods=["GET"]),
            r("/services", self.list_services, methods=["GET"]),
            r("/services/{row_id}", self.get_service, methods=["GET"]),
            r("/deals", self.list_deals, methods=["GET"]),
            r("/deals/{row_id}", self.get_deal, methods=["GET"]),
            r("/projects", self.list_projects, methods=["GET"]),
            r("/projects/{row_id}", self.get_project, methods=["GET"]),
            r("/tasks", self.list_tasks, methods=["GET"]),
            r("/tasks/{row_id}", self.get_task, methods=["GET"]),
            r("/organization_memberships", self.list_memberships, methods=["GET"]),
            *TimesheetEndpoints(self.db, self.authorize, self.max_bulk_items).routes(),
        ]

    # ------------------------------------------------------------------ serializers

    def entry_resource(
        self,
        row: sqlite3.Row,
        *,
        bulk: bool = False,
        timesheets: Mapping[tuple[int, str], int] | None = None,
    ) -> dict[str, Any]:
        """The entry as the API shows it; `timesheets` (from `timesheet_ids`) saves a
        page of rows one lookup each."""
        attributes = {
            "date": row["date"],
            "created_at": row["created_at"],
            "time": row["time"],
            "billable_time": row["billable_time"],
            "recognized_time": 0,
            "note": row["note"],
            "track_method_id": row["track_method_id"],
            "started_at": row["started_at"],
            "timer_started_at": row["timer_started_at"],
            "timer_stopped_at": row["timer_stopped_at"],
            "approved": bool(row["approved"]),
            "approved_at": row["approved_at"],
            "updated_at": row["updated_at"],
            "calendar_event_id": None,
            "invoice_attribution_id": None,
            "invoiced": bool(row["invoiced"]),
            "overhead": False,
            "rejected": bool(row["rejected"]),
            "rejected_reason": row["rejected_reason"],
            "rejected_at": row["rejected_at"],
            "last_activity_at": row["last_activity_at"],
            "submitted": bool(row["submitted"]),
            "currency": "EUR",
        }
        organization = to_one("organizations", self.db.identity.organization_id)
        if bulk:
            # As in the seed: a bulk response leaves the related resources out.
            related = {
                name: NOT_INCLUDED
                for name in ("person", "service", "task", "approver", "creator", "timesheet")
            }
        else:
            related = {
                "person": to_one("people", row["person_id"]),
                "service": to_one("services", row["service_id"]),
                "task": to_one("tasks", row["task_id"]),
                "approver": to_one("people", row["approver_id"]),
                "creator": to_one("people", row["creator_id"]),
                "timesheet": to_one("timesheets", self._timesheet_id(row, timesheets)),
            }
        return {
            "id": str(row["id"]),
            "type": "time_entries",
            "attributes": attributes,
            "relationships": {"organization": organization, **related},
        }

    def _timesheet_id(
        self, row: sqlite3.Row, known: Mapping[tuple[int, str], int] | None = None
    ) -> int | None:
        """The timesheet that submits the entry's day: from `known` (`timesheet_ids`), or
        read on the request's own thread, inside its transaction."""
        if not row["submitted"]:
            return None
        if known is not None:
            return known.get((row["person_id"], row["date"]))
        found = (
            self.db.connection()
            .execute(
                "SELECT id FROM timesheets WHERE person_id = ? AND date = ?",
                (row["person_id"], row["date"]),
            )
            .fetchone()
        )
        return None if found is None else int(found[0])

    @staticmethod
    def timesheet_ids(
        conn: sqlite3.Connection, rows: list[sqlite3.Row]
    ) -> dict[tuple[int, str], int]:
        """The timesheets of the submitted rows' days, by (person id, date): one query."""
        submitted = [r for r in rows if r["submitted"]]
        if not submitted:
            return {}
        days = sorted({r["date"] for r in submitted})
        found = conn.execute(
            "SELECT person_id, date, id FROM timesheets WHERE date >= ? AND date <= ?",
            (days[0], days[-1]),
        )
        return {(person, day): sheet for person, day, sheet in found}

    @staticmethod
    def person_resource(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "type": "people",
            "attributes": {
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "email": row["email"],
                "title": row["title"],
                "status": row["status"],
            },
            "relationships": {},
        }

    @staticmethod
    def service_resource(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "type": "services",
            "attributes": {"name": row["name"]},
            "relationships": {
                "deal": to_one("deals", row["deal_id"]),
                "project": to_one("projects", row["project_id"]),
            },
        }

    @staticmethod
    def deal_resource(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "type": "deals",
            "attributes": {"name": row["name"]},
            "relationships": {"project": to_one("projects", row["project_id"])},
        }

    @staticmethod
    def project_resource(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "type": "projects",
            "attributes": {"name": row["name"]},
            "relationships": {},
        }

    def service_included(
        self, conn: sqlite3.Connection, rows: list[sqlite3.Row], names: list[str]
    ) -> list[dict[str, Any]]:
        """The `included` member for `include=deal` / `include=deal.project` on services:
        their deals, and (for `deal.project`) those deals' projects."""
        deal_ids = sorted({r["deal_id"] for r in rows if r["deal_id"] is not None})
        deals = rows_by_ids(conn, "deals", deal_ids)
        out = [self.deal_resource(d) for d in deals]
        if "deal.project" in names:
            project_ids = sorted({d["project_id"] for d in deals if d["project_id"] is not None})
            out.extend(self.project_resource(p) for p in rows_by_ids(conn, "projects", project_ids))
        return out

    @staticmethod
    def task_resource(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "type": "tasks",
            "attributes": {"title": row["title"], "closed": bool(row["closed"])},
            "relationships": {"service": to_one("services", row["service_id"])},
        }

    @staticmethod
    def timer_resource(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "type": "timers",
            "attributes": {
                "person_id": row["person_id"],
                "started_at": row["started_at"],
                "stopped_at": row["stopped_at"],
                "total_time": row["total_time"],
            },
            "relationships": {
                "time_entry": to_one("time_entries", row["time_entry_id"]),
                "person": to_one("people", row["person_id"]),
            },
        }

    def included(
        self, conn: sqlite3.Connection, rows: list[sqlite3.Row], names: list[str]
    ) -> list[dict[str, Any]]:
        """The `included` member for `include=person,service,task` on entry rows."""
        sources = {
            "person": ("people", "person_id", self.person_resource),
            "approver": ("people", "approver_id", self.person_resource),
            "creator": ("people", "creator_id", self.person_resource),
            "service": ("services", "service_id", self.service_resource),
            "task": ("tasks", "task_id", self.task_resource),
        }
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, int]] = set()
        for name in names:
            table, column, serialize = sources[name]
            ids = sorted(
                {r[column] for r in rows if r[column] is not None}
                - {i for t, i in seen if t == table}
            )
            seen.update((table, i) for i in ids)
            out.extend(serialize(row) for row in rows_by_ids(conn, table, ids))
        return out

    # ---------------------------------------------------------------- entry input

    def entry_values(self, item: dict[str, Any], index: int | None) -> dict[str, object]:
        """The field values a request resource sets; unknown members are refused so a
        client's typo ("minutes" for "time") is an error, not a silent no-op."""
        values: dict[str, object] = {}
        problems = []
        for name, value in (item.get("attributes") or {}).items():
            if name in ENTRY_ATTRIBUTES:
                values[name] = value
            else:
                problems.append(
                    Problem(name, f"{name} cannot be set on a time entry.", "Unknown attribute")
                )
        for name in item.get("relationships") or {}:
            if name not in ENTRY_RELATIONSHIPS:
                problems.append(
                    Problem(
                        name,
                        f"{name} cannot be set on a time entry.",
                        "Unknown relationship",
                        relationship=True,
                    )
                )
                continue
            _, values[name] = relationship_id(item, name)
        if problems:
            raise Rejected(problems)
        return values

    async def _items(
        self, request: Request, *, need_id: bool
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        body, _ = await read_body(request)
        return body, self._bulk_items(body, need_id=need_id)

    def _bulk_items(self, body: dict[str, Any], *, need_id: bool) -> list[dict[str, Any]]:
        return bulk_items(body, "time_entries", self.max_bulk_items, need_id=need_id)

    def _each(
        self,
        entries: Entries,
        items: list[dict[str, Any]],
        apply: Callable[[int, dict[str, Any]], int | None],
    ) -> list[int | None]:
        """Apply to every item; if any is refused, raise them all (the transaction then
        rolls back, so a failed bulk call changes nothing)."""
        errors: list[dict[str, Any]] = []
        results: list[int | None] = []
        for index, item in enumerate(items):
            try:
                results.append(apply(index, item))
            except Rejected as rejected:
                errors.extend(rejected_errors(rejected, index))
        if errors:
            raise BulkRejected(errors)
        return results

    def _entry_docs(
        self, entries: Entries, ids: list[int | None], *, bulk: bool
    ) -> list[dict[str, Any]]:
        rows = rows_by_ids(entries.conn, "time_entries", [i for i in ids if i is not None])
        return [self.entry_resource(row, bulk=bulk) for row in rows]

    # ---------------------------------------------------------------- entry routes

    @endpoint
    async def list_entries(self, request: Request) -> Response:
        allowed_ops: set[str | None] = {None}
        filters = parse_filters(
            request,
            {
                "person_id": allowed_ops,
                "service_id": allowed_ops,
                "task_id": allowed_ops,
                "project_id": allowed_ops,
                "approver_id": allowed_ops,
                "status": allowed_ops,
                "after": allowed_ops,
                "before": allowed_ops,
                "date": set(_DATE_OPS),
                "updated_at": set(_DATE_OPS),
            },
        )
        where, params = self._entry_conditions(filters)
        sort = parse_sort(
            request,
            {
                "date": "date",
                "updated_at": "updated_at",
                "created_at": "created_at",
                "id": "id",
                "time": "time",
            },
            "date",
        )
        include = parse_include(request, {"person", "service", "task", "approver", "creator"})
        page = parse_page(request)

        def work(entries: Entries) -> dict[str, Any]:
            ids, total = page_of_ids(entries.conn, "time_entries", where, params, sort, page)
            rows = rows_by_ids(entries.conn, "time_entries", ids)
            meta, links = pagination(request, page, total)
            sheets = self.timesheet_ids(entries.conn, rows)
            data = [self.entry_resource(r, timesheets=sheets) for r in rows]
            body = {"data": data, "meta": meta, "links": links}
            if include:
                body["included"] = self.included(entries.conn, rows, include)
            return body

        return document(await self.run(work))

    def _entry_conditions(self, filters: list[Filter]) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for f in filters:
            if f.name in ("person_id", "service_id", "task_id", "approver_id"):
                ids = parse_ints(f)
                where.append(f"{f.name} IN ({','.join('?' * len(ids))})")
                params.extend(ids)
            elif f.name == "project_id":
                ids = parse_ints(f)
                where.append(
                    "service_id IN (SELECT id FROM services WHERE project_id IN "
                    f"({','.join('?' * len(ids))}))"
                )
                params.extend(ids)
            elif f.name == "status":
                codes = parse_ints(f)
                if any(code not in STATUS_CONDITIONS for code in codes):
                    raise JsonApiError(
                        400,
                        "Invalid filter",
                        "filter[status] takes 1, 2, 3, 5 or 6.",
                        parameter=f.parameter,
                    )
                where.append("(" + " OR ".join(f"({STATUS_CONDITIONS[c]})" for c in codes) + ")")
            elif f.name == "after":
                where.append("date >= ?")
                params.append(_date_value(f))
            elif f.name == "before":
                where.append("date <= ?")
                params.append(_date_value(f))
            elif f.name == "date":
                where.append(f"date {_DATE_OPS[f.op]} ?")
                params.append(_date_value(f))
            elif f.name == "updated_at":
                where.append(f"updated_at {_DATE_OPS[f.op]} ?")
                params.append(_timestamp_value(f))
        return where, params

    @endpoint
    async def get_entry(self, request: Request) -> Response:
        include = parse_include(request, {"person", "service", "task", "approver", "creator"})

        def work(entries: Entries) -> dict[str, Any]:
            row = entries.require(request.path_params["entry_id"])
            body: dict[str, Any] = {"data": self.entry_resource(row)}
            if include:
                body["included"] = self.included(entries.conn, [row], include)
            return body

        return document(await self.run(work))

    @endpoint
    async def create_entries(self, request: Request) -> Response:
        body, _ = await read_body(request)
        if isinstance(body["data"], list):
            items = self._bulk_items(body, need_id=False)

            def bulk(entries: Entries) -> dict[str, Any]:
                ids = self._each(
                    entries, items, lambda i, item: entries.create(self.entry_values(item, i))
                )
                return {"data": self._entry_docs(entries, ids, bulk=True), "meta": {}}

            return document(await self.run(bulk, write=True), 201)
        item = expect_resource(body["data"], "time_entries", None, need_id=False)

        def single(entries: Entries) -> dict[str, Any]:
            new_id = entries.create(self.entry_values(item, None))
            row = entries.require(new_id)
            return {"data": self.entry_resource(row)}

        return document(await self.run(single, write=True), 201)

    @endpoint
    async def update_entries(self, request: Request) -> Response:
        _, items = await self._items(request, need_id=True)

        def work(entries: Entries) -> dict[str, Any]:
            ids = self._each(
                entries,
                items,
                lambda i, item: entries.update(item["id"], self.entry_values(item, i)),
            )
            return {"data": self._entry_docs(entries, ids, bulk=True), "meta": {}}

        return document(await self.run(work, write=True))

    @endpoint
    async def delete_entries(self, request: Request) -> Response:
        _, items = await self._items(request, need_id=True)

        def work(entries: Entries) -> None:
            self._each(entries, items, lambda i, item: entries.delete(item["id"]))

        await self.run(work, write=True)
        return document(None, 204)

    async def _approval(self, request: Request, approve: bool) -> Response:
        body, items = await self._items(request, need_id=True)
        for_all = body.get("for_all_approvers", False)
        if not isinstance(for_all, bool):
            raise JsonApiError(
                400,
                "Bad request",
                "for_all_approvers must be true or false.",
                pointer="/for_all_approvers",
            )

        def work(entries: Entries) -> dict[str, Any]:
            if approve:
                ids = self._each(
                    entries,
                    items,
                    lambda i, item: entries.approve(item["id"], for_all_approvers=for_all),
                )
            else:
                ids = self._each(entries, items, lambda i, item: entries.unapprove(item["id"]))
            return {"data": self._entry_docs(entries, ids, bulk=True), "meta": {}}

        return document(await self.run(work, write=True))

    @endpoint
    async def approve_entries(self, request: Request) -> Response:
        return await self._approval(request, approve=True)

    @endpoint
    async def unapprove_entries(self, request: Request) -> Response:
        return await self._approval(request, approve=False)

    @endpoint
    async def update_entry(self, request: Request) -> Response:
        body, _ = await read_body(request)
        item = expect_resource(body["data"], "time_entries", None, need_id=False)
        entry_id = request.path_params["entry_id"]
        if item.get("id") is not None and str(item["id"]) != entry_id:
            raise JsonApiError(
                409, "Conflict", "The id in the body does not match the URL.", pointer="/data/id"
            )

        def work(entries: Entries) -> dict[str, Any]:
            updated = entries.update(entry_id, self.entry_values(item, None))
            return {"data": self.entry_resource(entries.require(updated))}

        return document(await self.run(work, write=True))

    @endpoint
    async def delete_entry(self, request: Request) -> Response:
        await self.run(lambda entries: entries.delete(request.path_params["entry_id"]), write=True)
        return document(None, 204)

    @endpoint
    async def entry_action(self, request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("approve", "unapprove", "reject", "unreject"):
            raise JsonApiError(404, "Not found", f"Unknown time entry action {action!r}.")
        body: dict[str, Any] = {}
        if await request.body():
            body, _ = await read_body(request)
        data = body.get("data")
        data = data if isinstance(data, dict) else {}
        attributes = data.get("attributes")
        attributes = attributes if isinstance(attributes, dict) else {}
        # Reject's body shape is unconfirmed: accept the reason as an attribute or at the top.
        reason = attributes.get("rejected_reason", body.get("rejected_reason"))
        for_all = body.get("for_all_approvers", False) is True
        entry_id = request.path_params["entry_id"]

        def work(entries: Entries) -> dict[str, Any]:
            if action == "approve":
                done = entries.approve(entry_id, for_all_approvers=for_all)
            elif action == "unapprove":
                done = entries.unapprove(entry_id)
            elif action == "reject":
                done = entries.reject(entry_id, reason)
            else:
                done = entries.unreject(entry_id)
            return {"data": self.entry_resource(entries.require(done))}

        return document(await self.run(work, write=True))

    # ----------------------------------------------------------------------- timers

    @endpoint
    async def list_timers(self, request: Request) -> Response:
        filters = parse_filters(
            request, {"person_id": {None}, "time_entry_id": {None}, "stopped": {None}}
        )
        where: list[str] = []
        params: list[Any] = []
        for f in filters:
            if f.name == "stopped":
                if f.value not in ("true", "false"):
                    raise JsonApiError(
                        400,
                        "Invalid filter",
                        "filter[stopped] takes true or false.",
                        parameter=f.parameter,
                    )
                where.append(
                    "stopped_at IS NOT NULL" if f.value == "true" else "stopped_at IS NULL"
                )
                continue
            ids = parse_ints(f)
            where.append(f"{f.name} IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        sort = parse_sort(request, {"started_at": "started_at", "id": "id"}, "-started_at")
        include = parse_include(request, {"time_entry"})
        page = parse_page(request)

        def work(entries: Entries) -> dict[str, Any]:
            ids, total = page_of_ids(entries.conn, "timers", where, params, sort, page)
            rows = rows_by_ids(entries.conn, "timers", ids)
            meta, links = pagination(request, page, total)
            body = {"data": [self.timer_resource(r) for r in rows], "meta": meta, "links": links}
            if include:
                entry_ids = sorted({r["time_entry_id"] for r in rows})
                body["included"] = [
                    self.entry_resource(e)
                    for e in rows_by_ids(entries.conn, "time_entries", entry_ids)
                ]
            return body

        return document(await self.run(work))

    @endpoint
    async def get_timer(self, request: Request) -> Response:
        row = await self.run(lambda entries: entries.timer(request.path_params["timer_id"]))
        return document({"data": self.timer_resource(row)})

    @endpoint
    async def start_timer(self, request: Request) -> Response:
        body, _ = await read_body(request)
        item = expect_resource(body["data"], "timers", None, need_id=False)
        has_service, service_id = relationship_id(item, "service")
        has_entry, entry_id = relationship_id(item, "time_entry")
        if has_service == has_entry or (service_id is None and entry_id is None):
            raise Rejected(
                [
                    Problem(
                        "service",
                        "A timer needs either a service (new entry) or a time_entry (resume).",
                        "Missing relationship",
                    )
                ]
            )

        attributes = item.get("attributes") or {}
        started_at = attributes.get("started_at") if isinstance(attributes, dict) else None

        def work(entries: Entries) -> dict[str, Any]:
            if has_entry:
                timer_id = entries.start_timer(entry_id=entry_id, started_at=started_at)
            else:
                timer_id = entries.start_timer(service_id=service_id, started_at=started_at)
            return {"data": self.timer_resource(entries.timer(timer_id))}

        return document(await self.run(work, write=True), 201)

    @endpoint
    async def stop_timer(self, request: Request) -> Response:
        def work(entries: Entries) -> dict[str, Any]:
            timer_id = entries.stop_timer(request.path_params["timer_id"])
            return {"data": self.timer_resource(entries.timer(timer_id))}

        return document(await self.run(work, write=True))

    # ----------------------------------------------------------- people and services

    async def _list(
        self,
        request: Request,
        table: str,
        filters: dict[str, str],
        serialize: Callable[[sqlite3.Row], dict[str, Any]],
        included: Included | None = None,
    ) -> Response:
        """A paged list of a lookup table; `filters` maps a filter name to its SQL;
        `included` (allowed names, and what they include) answers `include=`, which is
        refused (400) for a table without it or an unknown name."""
        include = parse_include(request, included[0] if included else set())
        where: list[str] = []
        params: list[Any] = []
        for f in parse_filters(request, {name: {None} for name in filters}):
            sql = filters[f.name]
            if "LIKE" in sql:
                where.append(sql)
                params.extend([f"%{f.value}%"] * sql.count("?"))
            elif f.name == "trackable_by_person_id":
                parse_ints(f)  # every person may track every service in the ledger
            elif f.name == "email":
                where.append(sql)
                params.append(f.value)
            else:
                ids = parse_ints(f)
                where.append(sql.format(marks=",".join("?" * len(ids))))
                params.extend(ids)
        sort = parse_sort(request, {"id": "id"}, "id")
        page = parse_page(request)

        def work(entries: Entries) -> dict[str, Any]:
            ids, total = page_of_ids(entries.conn, table, where, params, sort, page)
            meta, links = pagination(request, page, total)
            rows = rows_by_ids(entries.conn, table, ids)
            body: dict[str, Any] = {
                "data": [serialize(r) for r in rows],
                "meta": meta,
                "links": links,
            }
            if include and included:
                body["included"] = included[1](entries.conn, rows, include)
            return body

        return document(await self.run(work))

    async def _get(
        self,
        request: Request,
        table: str,
        kind: str,
        serialize: Callable[[sqlite3.Row], dict[str, Any]],
        included: Included | None = None,
    ) -> Response:
        raw = request.path_params["row_id"]
        include = parse_include(request, included[0] if included else set())

        def work(entries: Entries) -> dict[str, Any]:
            row_id = parse_id(raw)
            rows = rows_by_ids(entries.conn, table, [row_id] if row_id is not None else [])
            if not rows:
                raise JsonApiError(404, "Not found", f"No {kind} with id {raw}.")
            body: dict[str, Any] = {"data": serialize(rows[0])}
            if include and included:
                body["included"] = included[1](entries.conn, rows, include)
            return body

        return document(await self.run(work))

    @endpoint
    async def list_people(self, request: Request) -> Response:
        return await self._list(
            request,
            "people",
            {
                "id": "id IN ({marks})",
                "status": "status IN ({marks})",
                "email": "email = ?",
                "query": "(first_name || ' ' || last_name LIKE ? OR email LIKE ?)",
            },
            self.person_resource,
        )

    @endpoint
    async def get_person(self, request: Request) -> Response:
        return await self._get(request, "people", "person", self.person_resource)

    @endpoint
    async def list_services(self, request: Request) -> Response:
        return await self._list(
            request,
            "services",
            {
                "id": "id IN ({marks})",
                "project_id": "project_id IN ({marks})",
                "deal_id": "deal_id IN ({marks})",
                "trackable_by_person_id": "",
                "query": "name LIKE ?",
            },
            self.service_resource,
            (SERVICE_INCLUDES, self.service_included),
        )

    @endpoint
    async def get_service(self, request: Request) -> Response:
        return await self._get(
            request,
            "services",
            "service",
            self.service_resource,
            (SERVICE_INCLUDES, self.service_included),
        )

    @endpoint
    async def list_deals(self, request: Request) -> Response:
        return await self._list(
            request,
            "deals",
            {
                "id": "id IN ({marks})",
                "project_id": "project_id IN ({marks})",
                "query": "name LIKE ?",
            },
            self.deal_resource,
        )

    @endpoint
    async def get_deal(self, request: Request) -> Response:
        return await self._get(request, "deals", "deal", self.deal_resource)

    @endpoint
    async def list_projects(self, request: Request) -> Response:
        return await self._list(
            request,
            "projects",
            {"id": "id IN ({marks})", "query": "name LIKE ?"},
            self.project_resource,
        )

    @endpoint
    async def get_project(self, request: Request) -> Response:
        return await self._get(request, "projects", "project", self.project_resource)

    @endpoint
    async def list_tasks(self, request: Request) -> Response:
        return await self._list(
            request,
            "tasks",
            {
                "id": "id IN ({marks})",
                "service_id": "service_id IN ({marks})",
                "status": "(closed + 1) IN ({marks})",  # 1 open, 2 closed
                "query": "title LIKE ?",
            },
            self.task_resource,
        )

    @endpoint
    async def get_task(self, request: Request) -> Response:
        return await self._get(request, "tasks", "task", self.task_resource)

    @endpoint
    async def list_memberships(self, request: Request) -> Response:
        include = parse_include(request, {"person"})
        identity = self.db.identity

        def work(entries: Entries) -> dict[str, Any]:
            body: dict[str, Any] = {
                "data": [
                    {
                        "id": str(identity.owner_person_id),
                        "type": "organization_memberships",
                        "attributes": {"role_id": 1},
                        "relationships": {
                            "person": to_one("people", identity.owner_person_id),
                            "organization": to_one("organizations", identity.organization_id),
                        },
                    }
                ],
                "meta": {
                    "current_page": 1,
                    "total_pages": 1,
                    "total_count": 1,
                    "page_size": 30,
                    "max_page_size": 200,
                },
            }
            if include:
                body["included"] = [
                    self.person_resource(r)
                    for r in rows_by_ids(entries.conn, "people", [identity.owner_person_id])
                ]
            return body

        return document(await self.run(work))
