"""JSON:API plumbing for the ledger's Productive dialect: errors, bodies, query, pages."""

from __future__ import annotations

import functools
import json
import math
import re
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from tui.ledger.db import LedgerConnection
from tui.ledger.entries import Problem, Rejected

MEDIA_TYPE = "application/vnd.api+json"
BULK_EXTENSION = "bulk"
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 200

_FILTER_KEY = re.compile(r"^filter\[([a-z_]+)\](?:\[([a-z_]+)\])?$")


class JsonApiError(Exception):
    """An error answered as a JSON:API error document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        error: dict[str, Any] = {"status": str(status), "title": title, "detail": detail}
        if pointer is not None:
            error["source"] = {"pointer": pointer}
        elif parameter is not None:
            error["source"] = {"parameter": parameter}
        self.errors = [error]


def document(body: dict[str, Any] | None, status: int = 200) -> Response:
    if body is None:
        return Response(status_code=status)
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type=f"{MEDIA_TYPE}; charset=utf-8",
    )


def error_document(status: int, errors: list[dict[str, Any]]) -> Response:
    return document({"errors": errors}, status)


def problem_pointer(problem: Problem, index: int | None) -> str:
    base = "/data" if index is None else f"/data/{index}"
    if problem.field == "id":
        return f"{base}/id" if index is not None else "/data"
    if problem.relationship or problem.field in ("person", "service", "task", "time_entry"):
        return f"{base}/relationships/{problem.field}"
    return f"{base}/attributes/{problem.field}"


def rejected_errors(rejected: Rejected, index: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "status": str(p.status),
            "title": p.title,
            "detail": p.detail,
            "source": {"pointer": problem_pointer(p, index)},
        }
        for p in rejected.problems
    ]


# ------------------------------------------------------------------------- bodies


def _content_type(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    media, _, rest = raw.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            params[key.lower()] = value.strip().strip('"')
    return media.strip().lower(), params


async def read_body(request: Request) -> tuple[Any, bool]:
    """The request's `data` and whether the bulk extension was declared.

    A wrong media type answers 415 as the real API does; a bulk body (a list) without
    `ext=bulk` too, since a server must not guess an extension the client didn't ask for.
    """
    media, params = _content_type(request)
    if media != MEDIA_TYPE:
        raise JsonApiError(
            415,
            "Unsupported media type",
            f"Content-Type must be {MEDIA_TYPE} (got {media or 'none'}).",
        )
    unknown = set(params) - {"ext", "charset"}
    if unknown:
        raise JsonApiError(
            415,
            "Unsupported media type",
            f"Unsupported media type parameter {sorted(unknown)[0]!r}.",
        )
    bulk = params.get("ext") == BULK_EXTENSION
    if "ext" in params and not bulk:
        raise JsonApiError(
            415, "Unsupported media type", f"Unsupported extension {params['ext']!r}."
        )
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise JsonApiError(400, "Malformed JSON", "The request body is not valid JSON.") from None
    if not isinstance(body, dict) or "data" not in body:
        raise JsonApiError(
            400, "Bad request", "The request body must be an object with data.", pointer=""
        )
    if isinstance(body["data"], list) and not bulk:
        raise JsonApiError(
            415,
            "Unsupported media type",
            f"A list of resources needs Content-Type: {MEDIA_TYPE}; ext=bulk.",
        )
    return body, bulk


def bulk_items(
    body: dict[str, Any], kind: str, limit: int, *, need_id: bool
) -> list[dict[str, Any]]:
    """A bulk request's `data` list, each item checked as a `kind` resource: 400 when
    `data` is not a list, 413 over `limit` items."""
    data = body["data"]
    if not isinstance(data, list):
        raise JsonApiError(400, "Bad request", "A bulk request needs data: [...].", pointer="/data")
    if len(data) > limit:
        raise JsonApiError(
            413,
            "Payload too large",
            f"A bulk request takes at most {limit} items (got {len(data)}).",
            pointer="/data",
        )
    return [expect_resource(item, kind, i, need_id=need_id) for i, item in enumerate(data)]


def expect_resource(item: Any, kind: str, index: int | None, *, need_id: bool) -> dict[str, Any]:
    """Check one resource object of a request body; return it."""
    where = "/data" if index is None else f"/data/{index}"
    if not isinstance(item, dict):
        raise JsonApiError(
            400, "Bad request", "Each item must be a resource object.", pointer=where
        )
    if item.get("type") != kind:
        raise JsonApiError(
            409, "Conflict", f"Resource type must be {kind!r}.", pointer=f"{where}/type"
        )
    if need_id and item.get("id") is None:
        raise JsonApiError(400, "Bad request", "The resource needs an id.", pointer=f"{where}/id")
    for member in ("attributes", "relationships"):
        if member in item and not isinstance(item[member], dict):
            raise JsonApiError(
                400, "Bad request", f"{member} must be an object.", pointer=f"{where}/{member}"
            )
    return item


def relationship_id(item: dict[str, Any], name: str) -> tuple[bool, Any]:
    """(present, id) of a to-one relationship in a request resource."""
    relationships = item.get("relationships") or {}
    if name not in relationships:
        return False, None
    rel = relationships[name]
    data = rel.get("data") if isinstance(rel, dict) else None
    if data is None:
        return True, None
    if not isinstance(data, dict):
        return True, "invalid"
    return True, data.get("id")


# -------------------------------------------------------------------------- query


@dataclass(frozen=True)
class Filter:
    """One `filter[name][op]=value` of a request's query."""

    name: str
    op: str | None
    value: str
    parameter: str


def parse_filters(request: Request, allowed: dict[str, set[str | None]]) -> list[Filter]:
    """Filters of the query; an unknown one answers 400 as on the real API."""
    filters = []
    for key, value in request.query_params.multi_items():
        if not key.startswith("filter"):
            continue
        match = _FILTER_KEY.match(key)
        if (
            match is None
            or match.group(1) not in allowed
            or match.group(2) not in allowed[match.group(1)]
        ):
            raise JsonApiError(400, "Invalid filter", f"Unsupported filter {key}.", parameter=key)
        filters.append(Filter(match.group(1), match.group(2), value, key))
    return filters


def parse_ints(f: Filter) -> list[int]:
    values = [v.strip() for v in f.value.split(",") if v.strip()]
    if not values or not all(v.isascii() and v.isdigit() and len(v) < 19 for v in values):
        raise JsonApiError(
            400, "Invalid filter", f"{f.parameter} takes ids (e.g. 1,2).", parameter=f.parameter
        )
    return [int(v) for v in values]


def parse_include(request: Request, allowed: set[str]) -> list[str]:
    raw = request.query_params.get("include", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in allowed:
            raise JsonApiError(
                400, "Invalid include", f"Unsupported include {name!r}.", parameter="include"
            )
    return names


def parse_sort(request: Request, columns: dict[str, str], default: str) -> list[tuple[str, bool]]:
    """`sort=-date,id` → [(column, descending)], always ending with the id tiebreaker so
    that pages are stable."""
    raw = request.query_params.get("sort") or default
    keys: list[tuple[str, bool]] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("-")
        if name not in columns:
            raise JsonApiError(400, "Invalid sort", f"Unsupported sort {name!r}.", parameter="sort")
        keys.append((columns[name], descending))
    if not any(column == "id" for column, _ in keys):
        keys.append(("id", keys[-1][1] if keys else False))
    return keys


@dataclass(frozen=True)
class Page:
    """The page a request asks for: its number and size."""

    number: int
    size: int


def parse_page(request: Request) -> Page:
    def number(name: str, default: int) -> int:
        raw = request.query_params.get(f"page[{name}]")
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise JsonApiError(
                400,
                "Invalid page",
                f"page[{name}] must be a positive integer.",
                parameter=f"page[{name}]",
            )
        return int(raw)

    return Page(number("number", 1), min(number("size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE))


KEYSET_REACH = 20
"""How many pages past a known page end a page is still read from there (skipping at
most this many pages' rows) rather than by its offset."""


def page_of_ids(
    conn: LedgerConnection,
    table: str,
    where: Sequence[str],
    params: Sequence[Any],
    sort: list[tuple[str, bool]],
    page: Page,
) -> tuple[list[int], int]:
    """The ids on one page and the total count.

    OFFSET walks every skipped row. So a page that follows one served since the last
    write starts where that one ended (an ascending sort only: a descending one would
    meet its NULLs after the end); any other page past the middle is read from the other
    end with the order reversed: the last page of 100k rows costs what the first does.
    """
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = conn.count(f"SELECT count(*) FROM {table}{clause}", params)
    offset = (page.number - 1) * page.size
    if offset >= total:
        return [], total
    rows = min(page.size, total - offset)
    columns = ", ".join(column for column, _ in sort)
    ascending = not any(descending for _, descending in sort)
    ends = conn.page_ends((table, clause, tuple(params), columns, page.size)) if ascending else {}
    before = max((n for n in ends if page.number - KEYSET_REACH <= n < page.number), default=0)
    if before:
        # First in the WHERE clause: SQLite then starts its index range at the page end
        # (after the filters, it read the range from its start and tested every row).
        keyset = f"({columns}) > ({', '.join('?' * len(sort))})"
        found = conn.execute(
            f"SELECT id, {columns} FROM {table} WHERE {' AND '.join([keyset, *where])}"
            f" ORDER BY {', '.join(f'{c} ASC' for c, _ in sort)} LIMIT ? OFFSET ?",
            (*ends[before], *params, rows, (page.number - before - 1) * page.size),
        ).fetchall()
    else:
        reverse = offset > total // 2
        if reverse:
            offset = total - offset - rows
        order = ", ".join(
            f"{column} {'ASC' if descending == reverse else 'DESC'}" for column, descending in sort
        )
        found = conn.execute(
            f"SELECT id, {columns} FROM {table}{clause} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, rows, offset),
        ).fetchall()
        if reverse:
            found.reverse()
    if ascending and found and None not in tuple(found[-1])[1:]:
        ends[page.number] = tuple(found[-1])[1:]
    return [r[0] for r in found], total


def rows_by_ids(conn: sqlite3.Connection, table: str, ids: list[int]) -> list[sqlite3.Row]:
    if not ids:
        return []
    found: dict[int, sqlite3.Row] = {}
    for start in range(0, len(ids), 500):  # SQLite caps bound parameters
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk):
            found[row["id"]] = row
    return [found[i] for i in ids if i in found]


def pagination(request: Request, page: Page, total: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `meta` and `links` members of a list response."""
    total_pages = math.ceil(total / page.size) if total else 0
    meta = {
        "current_page": page.number,
        "total_pages": total_pages,
        "total_count": total,
        "page_size": page.size,
        "max_page_size": MAX_PAGE_SIZE,
    }

    def link(number: int) -> str:
        return str(request.url.include_query_params(**{"page[number]": number}))

    links = {"first": link(1), "last": link(max(total_pages, 1))}
    if page.number > 1:
        links["prev"] = link(min(page.number - 1, max(total_pages, 1)))
    if page.number < total_pages:
        links["next"] = link(page.number + 1)
    return meta, links


def to_one(kind: str, ident: Any) -> dict[str, Any]:
    return {"data": None if ident is None else {"type": kind, "id": str(ident)}}


NOT_INCLUDED: dict[str, Any] = {"meta": {"included": False}}


class BulkRejected(Exception):
    """Some items of a bulk call were refused; the whole call is rolled back."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


class Authorizing(Protocol):
    """An endpoint group: it checks a request's credentials (raising JsonApiError)."""

    def authorize(self, request: Request) -> None: ...


Group = TypeVar("Group", bound=Authorizing)


def endpoint(
    handler: Callable[[Group, Request], Awaitable[Response]],
) -> Callable[[Group, Request], Awaitable[Response]]:
    """Authorize, then turn the ledger's refusals into JSON:API error documents: one
    status for a bulk refusal whose errors agree, else 422."""

    @functools.wraps(handler)
    async def wrapped(self: Group, request: Request) -> Response:
        try:
            self.authorize(request)
            return await handler(self, request)
        except JsonApiError as error:
            return error_document(error.status, error.errors)
        except BulkRejected as error:
            statuses = {e["status"] for e in error.errors}
            status = int(statuses.pop()) if len(statuses) == 1 else 422
            return error_document(status, error.errors)
        except Rejected as error:
            return error_document(error.status, rejected_errors(error))

    return wrapped
