"""The Productive adapter (api/v2, JSON:API): the one code path of the demo, the tests and
real use, since the local ledger speaks the same dialect (`ProductiveAdapter.for_ledger`).

What it promises beyond the `Backend` protocol:
- listings read page 1, then every other page concurrently (bounded, within the rate limit);
- writes go in bulk requests of `bulk_chunk_size` items (the first alone, then up to
  `bulk_concurrency` at once, results in order); a 413 halves the chunk, a 422 fails
  the items its errors point at and resends the others once, a lost answer to a POST marks
  its items `unknown` (never resent: the store re-reads);
- bulk answers leave person/service/task out, so the relationships sent are kept.
"""

# No `from __future__ import annotations`: pydantic evaluates a model's string annotations
# when the class is made, and this module's page models are made at every start.

import asyncio
import contextlib
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from tui.api.base import (
    Capabilities,
    DayResult,
    EntryBatch,
    EntryChange,
    EntryQuery,
    ItemResult,
    Outcome,
    StoppedTimer,
    Timesheet,
    merge_batches,
)
from tui.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    InvalidEntriesError,
    ItemProblem,
    NotFoundError,
    OutcomeUnknownError,
    PayloadTooLargeError,
    RequestRejectedError,
    UnsupportedError,
)
from tui.api.http import (
    DEFAULT_TIMEOUT,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    Sleep,
    request_timeout_of,
)
from tui.models import (
    Document,
    Entry,
    EntryStatus,
    ErrorDocument,
    Person,
    Resource,
    Service,
    Task,
    TimeEntryResource,
    Timer,
    TimerResource,
    person_from_resource,
    service_from_resource,
    task_from_resource,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from tui.ledger.db import LedgerDB

log = logging.getLogger("tui.api.productive")

SERVICE = "Productive"
LEDGER_SERVICE = "The local ledger"
"""How errors name the server when the adapter talks to the built-in ledger
(`for_ledger`): a user on the local ledger has no Productive account to look at."""
JSONAPI = "application/vnd.api+json"
BULK = "application/vnd.api+json; ext=bulk"
SINGLE_HEADERS = {"Content-Type": JSONAPI}
BULK_HEADERS = {"Accept": BULK, "Content-Type": BULK}
PAGE_SIZE = 200
PAGES_AHEAD = 4
"""How many times `page_concurrency` pages a listing may fetch past the next page it has
yet to hand on (in order), while that one is late."""
RATE_LIMITS = [(100, 10.0), (4000, 1800.0)]
SERVICE_INCLUDES: tuple[str | None, ...] = ("deal.project", "deal", None)
"""What the services listing asks to include, best first: which the API accepts is
unconfirmed (api-notes), so each refusal falls back to the next."""

# Productive's filter[status]: 1 approved, 2 unapproved, 3 rejected, 5 submitted, 6 draft.
STATUS_CODES = {
    frozenset({EntryStatus.approved}): 1,
    frozenset({EntryStatus.draft, EntryStatus.submitted, EntryStatus.rejected}): 2,
    frozenset({EntryStatus.rejected}): 3,
    frozenset({EntryStatus.submitted}): 5,
    frozenset({EntryStatus.draft}): 6,
}
# Domain field -> (relationship, resource type).
RELATIONSHIPS = {
    "person_id": ("person", "people"),
    "service_id": ("service", "services"),
    "task_id": ("task", "tasks"),
}

NO_SUBMISSION = (
    "This Productive organization does not use submission (timesheets are a plan "
    "feature): entries are approved without being submitted."
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
L = TypeVar("L", "_EntryPage", "_ResourceList")


# Documents narrowed to what each call must answer, so a missing member is named plainly.
# A list of a subclass cannot narrow `Resource | list[Resource] | None` (lists are
# invariant), hence the ignores on the lists of entries and timers.
class _EntryList(Document):
    data: list[TimeEntryResource]  # type: ignore[assignment]


class _EntryOne(Document):
    data: TimeEntryResource


class _EntryPage(Document):
    """A listing page: its entries validated straight into `Entry` (see `Entry`)."""

    data: list[Entry]  # type: ignore[assignment]


class _EntryRead(Document):
    """One entry read by id, validated straight into `Entry` (see `Entry`)."""

    data: Entry  # type: ignore[assignment]


class _ResourceList(Document):
    data: list[Resource]


class _ResourceOne(Document):
    data: Resource


class _TimerList(Document):
    data: list[TimerResource]  # type: ignore[assignment]


class _TimerOne(Document):
    data: TimerResource


def parse_problems(body: Any) -> list[ItemProblem]:
    """A JSON:API error document as item problems (the `problem_parser` of the client):
    `/data/3/attributes/time` names item 3 and field `time`."""
    try:
        document = ErrorDocument.model_validate(body)
    except ValidationError:
        return []
    problems = []
    for error in document.errors:
        message = error.detail or error.title or "The server refused this item."
        pointer = error.source.pointer if error.source else None
        name = pointer.rstrip("/").rsplit("/", 1)[-1] if pointer else None
        problems.append(
            ItemProblem(
                error.item_index,
                message,
                name if name and not name.isdigit() and name != "data" else None,
            )
        )
    return problems


def _unreadable(error: ValidationError, what: str, service: str) -> BadResponseError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the document"
    reason = str(first["msg"]).rstrip(".").lower()
    return BadResponseError(
        f"{service} answered {what} with a document this app cannot read ({where}: {reason})."
    )


def _moment(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _relationship(kind: str, ident: str | None) -> dict[str, Any]:
    return {"data": None if ident is None else {"type": kind, "id": str(ident)}}


def _wire_date(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _merged(
    resource: TimeEntryResource, sent: Mapping[str, str | None], base: Entry | None
) -> Entry:
    """The server's attributes; each relationship from the answer when it carries one,
    else as sent, else as it was (`base`). A bulk answer never blanks what was sent."""
    entry = resource.to_entry()
    update: dict[str, Any] = {}
    for name, (relationship, _) in RELATIONSHIPS.items():
        answered = resource.relationship(relationship)
        if answered is not None and answered.included and "data" in answered.model_fields_set:
            continue
        if name in sent:
            update[name] = sent[name]
        elif base is not None:
            update[name] = getattr(base, name)
    return entry.model_copy(update=update) if update else entry


@dataclass
class _Item:
    """One item of a bulk call: where it came from and what went out."""

    index: int
    resource: dict[str, Any]
    id: str | None = None
    sent: dict[str, str | None] = field(default_factory=dict)
    base: Entry | None = None


Collect = Callable[[list[_Item], httpx.Response], list[ItemResult]]


class ProductiveAdapter:
    """`Backend` for Productive's api/v2 (and the local ledger, which speaks it)."""

    name = "productive"
    capabilities = Capabilities(
        bulk=True, approvals=True, reject=True, timers=True, submission=True
    )

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        organization_id: str,
        person_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        bulk_chunk_size: int = 100,
        rate_limited: bool = True,
        page_concurrency: int = 4,
        bulk_concurrency: int = 4,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
        today: Callable[[], date] = date.today,
        request_timeout: float = DEFAULT_TIMEOUT.read or 30.0,
        service: str = SERVICE,
    ) -> None:
        # Four pages in flight: measured on 2 cores with 50 ms latency, 10,000 entries load
        # within 1.21-1.43x of the ideal schedule at 4, 1.5-2.1x at 6 (parsing is CPU-bound,
        # and the rate limit caps long loads anyway); see benchmarks/adapters.py.
        # Four bulk chunks in flight: approving 5,000 entries in chunks of 200 at 50 ms
        # took 2.3 s one chunk after another (benchmarks, network section).
        if bulk_chunk_size < 1 or page_concurrency < 1 or bulk_concurrency < 1:
            raise ValueError(
                "bulk_chunk_size, page_concurrency and bulk_concurrency must be at least 1"
            )
        self.service = service
        """The server's name as a sentence starts with it, in every error."""
        self.bulk_chunk_size = bulk_chunk_size
        self.page_concurrency = page_concurrency
        self.bulk_concurrency = bulk_concurrency
        self.today = today
        self._person_id = str(person_id) if person_id not in (None, "") else None
        self._me: Person | None = None
        self._max_bulk = bulk_chunk_size
        self._service_include = 0
        """Index in `SERVICE_INCLUDES` of the services include the server accepted."""
        self._service_context: dict[str, Service] = {}
        """Services whose deal or project the services listing named, by id."""
        """Learned from 413s: later chunks are cut to this size up front."""
        # The limiter waits real time: an injected test sleep would make it spin.
        self.rate_limiter = RateLimiter(RATE_LIMITS) if rate_limited else None
        self.http = HttpClient(
            base_url,
            service=service,
            headers={
                "X-Auth-Token": token,
                "X-Organization-Id": str(organization_id),
                "Accept": JSONAPI,
            },
            secrets=[token],
            transport=transport,
            retry=retry,
            rate_limiter=self.rate_limiter,
            problem_parser=parse_problems,
            sleep=sleep,
            timeout=request_timeout_of(request_timeout),
        )

    @classmethod
    def for_ledger(cls, ledger: "LedgerDB | Starlette", **kwargs: Any) -> Self:
        """An adapter over the local ledger in-process (no port, no rate limit), with the
        ledger's own identity. `ledger` is a `LedgerDB` or an app from `create_app`;
        `transport=` may wrap the app (tests count requests that way)."""
        from tui.ledger.app import create_app  # lazily: the ledger is optional at run time
        from tui.ledger.db import LedgerDB

        if isinstance(ledger, LedgerDB):
            db = ledger
            app: Any = None
        else:
            app, db = ledger, ledger.state.ledger
        if "transport" not in kwargs:
            kwargs["transport"] = httpx.ASGITransport(app=app or create_app(db))
        kwargs.setdefault("rate_limited", False)
        kwargs.setdefault("service", LEDGER_SERVICE)
        identity = db.identity
        return cls(
            base_url="http://ledger/api/v2",
            token=identity.token,
            organization_id=identity.organization_id,
            person_id=str(identity.owner_person_id),
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"ProductiveAdapter({self.http!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def requests_sent(self) -> int:
        return self.http.requests_sent

    # ------------------------------------------------------------------ parsing

    def _parse(self, model: type[M], body: Any, what: str) -> M:
        """Validate a decoded answer; a wrong one is one sentence, never a pydantic dump."""
        if body is None:
            raise BadResponseError(f"{self.service} answered {what} with an empty body.")
        try:
            return model.model_validate(body)
        except ValidationError as error:
            raise _unreadable(error, what, self.service) from None

    def _read(self, model: type[M], response: httpx.Response, what: str) -> M:
        """Validate an answer straight from its bytes (`HttpClient.validate`), with the
        same sentences as `_parse`."""
        if not response.content:
            raise BadResponseError(f"{self.service} answered {what} with an empty body.")
        try:
            return self.http.validate(response, model)
        except ValidationError as error:
            raise _unreadable(error, what, self.service) from None

    async def _get(
        self,
        model: type[M],
        path: str,
        params: dict[str, Any] | None = None,
        *,
        about: str | None = None,
    ) -> M:
        response = await self.http.request("GET", path, params=params, about=about)
        return self._read(model, response, f"GET {path}")

    async def _send_one(
        self,
        model: type[M],
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        idempotent: bool = False,
        about: str | None = None,
    ) -> M:
        # The content type even without a body (a stop): the API refuses a wrong one with
        # 415, and a strict server may count a missing one as wrong.
        response = await self.http.request(
            method, path, json_body=body, headers=SINGLE_HEADERS, idempotent=idempotent, about=about
        )
        return self._read(model, response, f"{method} {path}")

    # -------------------------------------------------------------------- pages

    async def _pages(
        self, path: str, params: dict[str, Any], model: type[L]
    ) -> AsyncGenerator[tuple[int, L]]:
        """(page number, page read as `model`) of every page: page 1, then the rest
        concurrently as they arrive. Without a usable `total_pages`, pages are read one by
        one until one comes back short."""

        async def page(number: int) -> tuple[int, L]:
            query = {**params, "page[number]": number, "page[size]": PAGE_SIZE}
            response = await self.http.request("GET", path, params=query)
            return number, self._read(model, response, f"GET {path}")

        first = await page(1)
        yield first
        meta = first[1].meta
        total_pages = _as_int(meta.get("total_pages"))
        if total_pages is None:
            size = _as_int(meta.get("page_size")) or PAGE_SIZE
            number, count = 1, len(first[1].data)
            while count >= size:
                number += 1
                self.http.check_page_count(number, path)
                current = await page(number)
                yield current
                count = len(current[1].data)
            return
        if total_pages <= 1:
            return
        self.http.check_page_count(total_pages, path)
        # A few workers take page numbers in turn and hand each body over through a small
        # queue: at most `page_concurrency` requests are in flight and only a handful of
        # bodies wait in memory, however many pages there are (100k entries peaked at
        # +468 MB when every finished page was held until the last one arrived). Pages
        # are handed on in their order (a row never shows above one the server sorts
        # before it), so a worker starts no page more than `PAGES_AHEAD` past the next one
        # due: that bounds the pages held while an earlier one is late.
        numbers = iter(range(2, total_pages + 1))
        queue: asyncio.Queue[tuple[int, L] | Exception] = asyncio.Queue(
            maxsize=self.page_concurrency
        )
        due = 2  # the next page to hand on
        moved = asyncio.Condition()
        ahead = PAGES_AHEAD * self.page_concurrency

        async def in_reach(number: int) -> None:
            async with moved:
                await moved.wait_for(lambda: number < due + ahead)

        async def worker() -> None:
            try:
                for number in numbers:
                    await in_reach(number)
                    await queue.put(await page(number))
            except Exception as error:  # handed to the reader, which raises it
                await queue.put(error)

        workers = [
            asyncio.ensure_future(worker())
            for _ in range(min(self.page_concurrency, total_pages - 1))
        ]
        arrived: dict[int, L] = {}
        try:
            for _ in range(total_pages - 1):
                item = await queue.get()
                if isinstance(item, Exception):
                    raise item
                arrived[item[0]] = item[1]
                while due in arrived:
                    number, due = due, due + 1
                    async with moved:
                        moved.notify_all()
                    yield number, arrived.pop(number)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _all(self, path: str, params: dict[str, Any] | None = None) -> list[Resource]:
        return (await self._all_included(path, params))[0]

    async def _all_included(
        self, path: str, params: dict[str, Any] | None = None
    ) -> tuple[list[Resource], list[Resource]]:
        """Every page's `data`, in order, and every page's `included`."""
        pages: dict[int, _ResourceList] = {}
        async for number, page in self._pages(path, params or {}, _ResourceList):
            pages[number] = page
        ordered = [pages[n] for n in sorted(pages)]
        return [r for page in ordered for r in page.data], [
            r for page in ordered for r in page.included
        ]

    # ------------------------------------------------------------------- people

    async def current_person(self) -> Person:
        if self._me is not None:
            return self._me
        if self._person_id is not None:
            self._me = await self._person(self._person_id)
            return self._me
        document = await self._get(
            _ResourceList, "/organization_memberships", {"include": "person"}
        )
        person_id = next(
            (m.related_id("person") for m in document.data if m.related_id("person")), None
        )
        if person_id is None:
            raise BadResponseError(
                f"{self.service} names no person for this token; set person_id in the profile."
            )
        included = next(
            (r for r in document.included if r.type == "people" and r.id == person_id), None
        )
        self._me = (
            person_from_resource(included)
            if included is not None
            else await self._person(person_id)
        )
        self._person_id = person_id
        return self._me

    async def _person(self, person_id: str) -> Person:
        document = await self._get(_ResourceOne, f"/people/{person_id}")
        return person_from_resource(document.data)

    async def _me_id(self) -> str:
        return self._person_id or (await self.current_person()).id

    async def people(self) -> list[Person]:
        return [person_from_resource(r) for r in await self._all("/people")]

    async def services(self) -> list[Service]:
        """The services the person may track, each with its deal and project where the
        server includes them. `include=deal.project` first; a server that refuses it (400,
        422, ...) is asked for `include=deal`, then for no include (names only): the
        listing never fails over it, and the first that worked is kept for the session."""
        params = {"filter[trackable_by_person_id]": await self._me_id()}
        while True:
            include = SERVICE_INCLUDES[self._service_include]
            query = {**params, "include": include} if include else params
            try:
                resources, included = await self._all_included("/services", query)
            except (RequestRejectedError, InvalidEntriesError) as error:
                if include is None:
                    raise
                log.info("services with include=%s refused (%s); asking for less", include, error)
                self._service_include += 1
                continue
            break
        index = {(r.type, r.id): r for r in included}
        services = [service_from_resource(r, index) for r in resources]
        self._service_context = {
            s.id: s for s in services if s.deal_name is not None or s.project_name is not None
        }
        return services

    async def tasks(self) -> list[Task]:
        return [task_from_resource(r) for r in await self._all("/tasks")]

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _query_params(query: EntryQuery) -> dict[str, Any]:
        params: dict[str, Any] = {
            "filter[after]": query.start.isoformat(),
            "filter[before]": query.end.isoformat(),
            "include": "person,service,task",
            "sort": "date",
        }
        if query.person_ids:
            params["filter[person_id]"] = ",".join(query.person_ids)
        if query.statuses:
            wanted = frozenset(EntryStatus(s) for s in query.statuses)
            codes = (
                [STATUS_CODES[wanted]]
                if wanted in STATUS_CODES
                else sorted(STATUS_CODES[frozenset({s})] for s in wanted)
            )
            params["filter[status]"] = ",".join(str(c) for c in codes)
        return params

    def _batch(self, document: _EntryPage) -> EntryBatch:
        people: dict[str, Person] = {}
        services: dict[str, Service] = {}
        tasks: dict[str, Task] = {}
        for resource in document.included:
            if resource.type == "people":
                people[resource.id] = person_from_resource(resource)
            elif resource.type == "services":
                service = service_from_resource(resource)
                # Entries include services without their deal: keep what the services
                # listing said about where each belongs.
                known = self._service_context.get(resource.id)
                if known is not None:
                    service = known.model_copy(update={"name": service.name})
                services[resource.id] = service
            elif resource.type == "tasks":
                tasks[resource.id] = task_from_resource(resource)
        return EntryBatch(
            document.data,
            people,
            services,
            tasks,
            total=_as_int(document.meta.get("total_count")),
        )

    async def iter_entries(self, query: EntryQuery) -> AsyncIterator[EntryBatch]:
        pages = self._pages("/time_entries", self._query_params(query), _EntryPage)
        try:
            async for _, page in pages:
                yield self._batch(page)
        finally:
            await pages.aclose()

    async def list_entries(self, query: EntryQuery) -> EntryBatch:
        return merge_batches([batch async for batch in self.iter_entries(query)])

    async def _bounded(self, work: Iterable[Awaitable[T]]) -> list[T]:
        gate = asyncio.Semaphore(self.page_concurrency)

        async def run(job: Awaitable[T]) -> T:
            async with gate:
                return await job

        return list(await asyncio.gather(*(run(job) for job in work)))

    async def get_entries(self, ids: Sequence[str]) -> list[ItemResult]:
        async def one(index: int, entry_id: str) -> ItemResult:
            try:
                document = await self._get(_EntryRead, f"/time_entries/{entry_id}")
            except (AuthError, ForbiddenError):
                raise
            except NotFoundError:
                return ItemResult(
                    index,
                    Outcome.failed,
                    id=entry_id,
                    error=f"{self.service} has no time entry {entry_id}.",
                    missing=True,
                )
            except ApiError as error:
                return ItemResult(index, Outcome.failed, id=entry_id, error=str(error))
            return ItemResult(index, Outcome.ok, entry=document.data, id=entry_id)

        return await self._bounded(one(i, str(e)) for i, e in enumerate(ids))

    # ------------------------------------------------------------------ writing

    async def _bulk(
        self,
        method: str,
        path: str,
        items: list[_Item],
        collect: Collect,
        extra: dict[str, Any] | None = None,
        *,
        verb: str,
    ) -> list[ItemResult]:
        """Every item's result, in order (`verb`: what the call does to them, for its
        refusals: "create", "approve", ...). The first chunk goes alone (it learns a size
        limit from a 413, or a refused token, before anything else is sent), then up to
        `bulk_concurrency` chunks are in flight at once, each inside its own slot of the
        rate limiter. An error that ends the call (a refused token) stops new chunks from
        going out; those in flight are waited for, then it is raised."""
        chunks = [
            items[start : start + self.bulk_chunk_size]
            for start in range(0, len(items), self.bulk_chunk_size)
        ]
        results: dict[int, ItemResult] = {}

        async def send(chunk: list[_Item]) -> None:
            for result in await self._chunk(
                method, path, chunk, collect, extra, verb=verb, resent=False
            ):
                results[result.index] = result

        if chunks:
            await send(chunks[0])
        pending = iter(chunks[1:])
        failures: list[Exception] = []

        async def worker() -> None:
            for chunk in pending:
                if failures:
                    return
                try:
                    await send(chunk)
                except Exception as error:  # raised once the others are done
                    failures.append(error)
                    return

        await asyncio.gather(
            *(worker() for _ in range(min(self.bulk_concurrency, len(chunks) - 1)))
        )
        if failures:
            raise failures[0]
        return [results[item.index] for item in items]

    async def _chunk(
        self,
        method: str,
        path: str,
        chunk: list[_Item],
        collect: Collect,
        extra: dict[str, Any] | None,
        *,
        verb: str,
        resent: bool,
    ) -> list[ItemResult]:
        """Send one chunk; split it on 413 (or an unknown id), drop refused items and
        resend the rest once on 422; never resend a POST whose answer was lost."""

        async def again(items: list[_Item], *, resend: bool) -> list[ItemResult]:
            return await self._chunk(method, path, items, collect, extra, verb=verb, resent=resend)

        def mark(items: Iterable[_Item], outcome: Outcome, error: str) -> list[ItemResult]:
            return [ItemResult(i.index, outcome, error=error, id=i.id) for i in items]

        if len(chunk) > self._max_bulk:
            out: list[ItemResult] = []
            for start in range(0, len(chunk), self._max_bulk):
                out += await again(chunk[start : start + self._max_bulk], resend=resent)
            return out
        body = {**(extra or {}), "data": [item.resource for item in chunk]}
        # A refusal of the chunk names what it did, not the route (`HttpClient._error`).
        # No count: a refusal that ends the call (a 403) ends all of it, not this chunk.
        doing = f"to {verb} the entries"
        try:
            answer = await self.http.request(
                method, path, json_body=body, headers=BULK_HEADERS, about=doing
            )
            return collect(chunk, answer)
        except (AuthError, ForbiddenError):
            raise
        except PayloadTooLargeError as error:
            if len(chunk) == 1:
                return mark(chunk, Outcome.failed, str(error))
            half = (len(chunk) + 1) // 2
            self._max_bulk = min(self._max_bulk, half)
            return await again(chunk[:half], resend=resent) + await again(
                chunk[half:], resend=resent
            )
        except (InvalidEntriesError, NotFoundError) as error:
            pointed = {i for i in error.item_indexes if 0 <= i < len(chunk)}
            if pointed:  # those fail with the server's reasons; the others go once more
                out = [
                    ItemResult(
                        chunk[i].index,
                        Outcome.failed,
                        id=chunk[i].id,
                        error=" ".join(p.message for p in error.for_item(i)),
                    )
                    for i in sorted(pointed)
                ]
                rest = [item for n, item in enumerate(chunk) if n not in pointed]
                if rest:
                    out += (
                        mark(rest, Outcome.failed, str(error))
                        if resent
                        else await again(rest, resend=True)
                    )
                return out
            if isinstance(error, InvalidEntriesError):
                return mark(chunk, Outcome.failed, str(error))
            # An unknown id refuses the whole call without pointers: bisect to find it.
            if len(chunk) == 1:
                what = f"time entry {chunk[0].id}" if chunk[0].id else "this item"
                return mark(chunk, Outcome.failed, f"{self.service} has no {what}.")
            half = (len(chunk) + 1) // 2
            return await again(chunk[:half], resend=resent) + await again(
                chunk[half:], resend=resent
            )
        except OutcomeUnknownError as error:
            return mark(chunk, Outcome.unknown, str(error))
        except BadResponseError as error:
            # A 2xx we cannot read: the write may have been applied, so it is settled by
            # reading, whatever its method.
            return mark(chunk, Outcome.unknown, str(error))
        except ApiError as error:
            return mark(chunk, Outcome.failed, str(error))

    def _by_position(self, what: str) -> Collect:
        def collect(chunk: list[_Item], answer: httpx.Response) -> list[ItemResult]:
            document = self._read(_EntryList, answer, what)
            if len(document.data) != len(chunk):
                raise BadResponseError(
                    f"{self.service} answered {what} with {len(document.data)} "
                    f"entries for {len(chunk)} sent."
                )
            return [
                ItemResult(
                    item.index,
                    Outcome.ok,
                    id=resource.id,
                    entry=_merged(resource, item.sent, item.base),
                )
                for item, resource in zip(chunk, document.data, strict=True)
            ]

        return collect

    def _by_id(self, what: str) -> Collect:
        def collect(chunk: list[_Item], answer: httpx.Response) -> list[ItemResult]:
            document = self._read(_EntryList, answer, what)
            found = {resource.id: resource for resource in document.data}
            out = []
            for item in chunk:
                resource = found.get(item.id or "")
                if resource is None:
                    out.append(
                        ItemResult(
                            item.index,
                            Outcome.failed,
                            id=item.id,
                            error=f"{self.service} did not return entry {item.id} "
                            f"in its answer to {what}.",
                        )
                    )
                else:
                    out.append(
                        ItemResult(
                            item.index,
                            Outcome.ok,
                            id=item.id,
                            entry=_merged(resource, item.sent, item.base),
                        )
                    )
            return out

        return collect

    @staticmethod
    def _all_ok(chunk: list[_Item], answer: httpx.Response) -> list[ItemResult]:
        return [ItemResult(item.index, Outcome.ok, id=item.id) for item in chunk]

    async def create_entries(self, entries: Sequence[Entry]) -> list[ItemResult]:
        me = await self._me_id() if any(e.person_id is None for e in entries) else None
        items = []
        for index, entry in enumerate(entries):
            sent: dict[str, str | None] = {
                "person_id": entry.person_id or me,
                "service_id": entry.service_id,
            }
            if entry.task_id is not None:
                sent["task_id"] = entry.task_id
            relationships = {
                RELATIONSHIPS[name][0]: _relationship(RELATIONSHIPS[name][1], value)
                for name, value in sent.items()
                if value is not None
            }
            resource = {
                "type": "time_entries",
                "attributes": {
                    "date": entry.date.isoformat(),
                    "time": entry.minutes,
                    "note": entry.note,
                },
                "relationships": relationships,
            }
            items.append(_Item(index, resource, sent=sent))
        return await self._bulk(
            "POST", "/time_entries", items, self._by_position("POST /time_entries"), verb="create"
        )

    async def update_entries(self, changes: Sequence[EntryChange]) -> list[ItemResult]:
        items = []
        for index, change in enumerate(changes):
            attributes: dict[str, Any] = {}
            relationships: dict[str, Any] = {}
            sent: dict[str, str | None] = {}
            for name, value in change.fields.items():
                if name == "minutes":
                    attributes["time"] = value
                elif name == "note":
                    attributes["note"] = value if value is not None else ""
                elif name == "date":
                    attributes["date"] = _wire_date(value)
                else:
                    relationship, kind = RELATIONSHIPS[name]
                    ident = None if value in (None, "") else str(value)
                    sent[name] = ident
                    relationships[relationship] = _relationship(kind, ident)
            resource: dict[str, Any] = {"id": str(change.id), "type": "time_entries"}
            if attributes:
                resource["attributes"] = attributes
            if relationships:
                resource["relationships"] = relationships
            items.append(_Item(index, resource, id=str(change.id), sent=sent, base=change.base))
        return await self._bulk(
            "PATCH", "/time_entries", items, self._by_id("PATCH /time_entries"), verb="change"
        )

    @staticmethod
    def _id_items(ids: Sequence[str]) -> list[_Item]:
        return [
            _Item(index, {"id": str(entry_id), "type": "time_entries"}, id=str(entry_id))
            for index, entry_id in enumerate(ids)
        ]

    async def delete_entries(self, ids: Sequence[str]) -> list[ItemResult]:
        return await self._bulk(
            "DELETE", "/time_entries", self._id_items(ids), self._all_ok, verb="delete"
        )

    async def approve_entries(
        self, ids: Sequence[str], *, for_all_approvers: bool = False
    ) -> list[ItemResult]:
        extra = {"for_all_approvers": True} if for_all_approvers else None
        return await self._bulk(
            "PATCH",
            "/time_entries/approve",
            self._id_items(ids),
            self._by_id("PATCH /time_entries/approve"),
            extra,
            verb="approve",
        )

    async def unapprove_entries(self, ids: Sequence[str]) -> list[ItemResult]:
        return await self._bulk(
            "PATCH",
            "/time_entries/unapprove",
            self._id_items(ids),
            self._by_id("PATCH /time_entries/unapprove"),
            verb="unapprove",
        )

    async def reject_entry(self, entry_id: str, reason: str) -> Entry:
        body = {
            "data": {
                "type": "time_entries",
                "id": str(entry_id),
                "attributes": {"rejected_reason": reason},
            }
        }
        path = f"/time_entries/{entry_id}/reject"
        answer = await self.http.json(
            "PATCH",
            path,
            json_body=body,
            headers=SINGLE_HEADERS,
            about=f"to reject entry {entry_id}",
        )
        if not isinstance(answer, dict) or not answer.get("data"):
            # What reject answers is unconfirmed; without the entry in it, read the entry.
            return await self._entry(entry_id)
        return self._parse(_EntryOne, answer, f"PATCH {path}").data.to_entry()

    async def unreject_entry(self, entry_id: str) -> Entry:
        path = f"/time_entries/{entry_id}/unreject"
        answer = await self.http.json(
            "PATCH", path, headers=SINGLE_HEADERS, about=f"to unreject entry {entry_id}"
        )
        if not isinstance(answer, dict) or not answer.get("data"):
            return await self._entry(entry_id)
        return self._parse(_EntryOne, answer, f"PATCH {path}").data.to_entry()

    # --------------------------------------------------------------- submission

    async def _timesheet_call(self, work: Awaitable[T]) -> T:
        """A 403/404 on `/timesheets`: the organization doesn't use submission (a plan
        feature), which is said plainly, not as a failure of the request."""
        try:
            return await work
        except (ForbiddenError, NotFoundError):
            raise UnsupportedError(NO_SUBMISSION) from None

    async def timesheets(
        self, days: Sequence[date], *, person_id: str | None = None
    ) -> list[Timesheet]:
        """Only the documented filters (`date`, `person_id`): one listing per day,
        concurrently."""

        async def one(day: date) -> list[Timesheet]:
            params: dict[str, Any] = {"filter[date]": day.isoformat()}
            if person_id is not None:
                params["filter[person_id]"] = person_id
            found = []
            for resource in await self._timesheet_call(self._all("/timesheets", params)):
                attributes = resource.attributes if isinstance(resource.attributes, dict) else {}
                owner = resource.related_id("person")
                try:
                    stated = date.fromisoformat(str(attributes.get("date")))
                except ValueError:
                    stated = day
                if owner is not None and stated == day:
                    found.append(Timesheet(str(resource.id), str(owner), stated))
            return found

        lists = await self._bounded(one(day) for day in dict.fromkeys(days))
        return [sheet for group in lists for sheet in group]

    async def submit_days(self, person_id: str, days: Sequence[date]) -> list[DayResult]:
        """One bulk POST for the days not yet submitted; a day the server says is
        already submitted (a race) is `unchanged`."""
        wanted = list(dict.fromkeys(days))
        have = {s.date for s in await self.timesheets(wanted, person_id=person_id)}
        results = {d: DayResult(d, "unchanged", "already submitted") for d in wanted if d in have}
        send = [d for d in wanted if d not in have]
        if send:
            data = [
                {
                    "type": "timesheets",
                    "attributes": {"date": d.isoformat()},
                    "relationships": {"person": _relationship("people", person_id)},
                }
                for d in send
            ]
            try:
                await self._timesheet_call(
                    self.http.json(
                        "POST", "/timesheets", json_body={"data": data}, headers=BULK_HEADERS
                    )
                )
                results.update({d: DayResult(d, "submitted") for d in send})
            except InvalidEntriesError as error:
                results.update(await self._submit_one_by_one(person_id, send, error))
            except OutcomeUnknownError:
                # Settle by reading, never by resending blindly.
                now = {s.date for s in await self.timesheets(send, person_id=person_id)}
                results.update(
                    {
                        d: DayResult(d, "submitted")
                        if d in now
                        else DayResult(d, "failed", "The server's answer was lost; not submitted.")
                        for d in send
                    }
                )
        return [results[d] for d in wanted]

    async def _submit_one_by_one(
        self, person_id: str, days: list[date], error: InvalidEntriesError
    ) -> dict[date, DayResult]:
        """A bulk submit refused for some days (all or nothing): the refused days fail
        with the server's words, unless they are submitted by now; the others go again."""
        refused = {p.index: p.message for p in error.problems if p.index is not None}
        if not refused:
            refused = dict.fromkeys(range(len(days)), str(error))
        now = {s.date for s in await self.timesheets(days, person_id=person_id)}
        out: dict[date, DayResult] = {}
        again = []
        for index, day in enumerate(days):
            if day in now:
                out[day] = DayResult(day, "unchanged", "already submitted")
            elif index in refused:
                out[day] = DayResult(day, "failed", refused[index])
            else:
                again.append(day)
        for day in again:
            body = {
                "data": {
                    "type": "timesheets",
                    "attributes": {"date": day.isoformat()},
                    "relationships": {"person": _relationship("people", person_id)},
                }
            }
            try:
                await self._timesheet_call(
                    self.http.json(
                        "POST",
                        "/timesheets",
                        json_body=body,
                        headers=SINGLE_HEADERS,
                        about=f"to submit {day.isoformat()}",
                    )
                )
                out[day] = DayResult(day, "submitted")
            except (AuthError, UnsupportedError):
                raise
            except ApiError as problem:
                out[day] = DayResult(day, "failed", str(problem))
        return out

    async def unsubmit_days(self, person_id: str, days: Sequence[date]) -> list[DayResult]:
        """One bulk DELETE of the days' timesheets; a day without one is `unchanged`.
        A refused bulk (a day with approved entries) is retried day by day, so each day
        gets its own answer."""
        wanted = list(dict.fromkeys(days))
        sheets = {s.date: s for s in await self.timesheets(wanted, person_id=person_id)}
        results = {d: DayResult(d, "unchanged", "not submitted") for d in wanted if d not in sheets}
        send = [d for d in wanted if d in sheets]
        if send:
            data = [{"type": "timesheets", "id": sheets[d].id} for d in send]
            try:
                await self._timesheet_call(
                    self.http.json(
                        "DELETE", "/timesheets", json_body={"data": data}, headers=BULK_HEADERS
                    )
                )
                results.update({d: DayResult(d, "unsubmitted") for d in send})
            except (AuthError, UnsupportedError):
                raise
            except ApiError:
                for day in send:
                    try:
                        await self._timesheet_call(
                            self.http.json(
                                "DELETE",
                                f"/timesheets/{sheets[day].id}",
                                headers=SINGLE_HEADERS,
                                about=f"to unsubmit {day.isoformat()}",
                            )
                        )
                        results[day] = DayResult(day, "unsubmitted")
                    except (AuthError, UnsupportedError):
                        raise
                    except ApiError as problem:
                        results[day] = DayResult(day, "failed", str(problem))
        return [results[d] for d in wanted]

    # ------------------------------------------------------------------- timers

    async def _running(self) -> TimerResource | None:
        me = await self._me_id()
        document = await self._get(
            _TimerList, "/timers", {"filter[person_id]": me, "sort": "-started_at", "page[size]": 5}
        )
        return next((t for t in document.data if t.attributes.stopped_at is None), None)

    async def _entry(self, entry_id: str) -> Entry:
        path = f"/time_entries/{entry_id}"
        return (await self._get(_EntryRead, path, about=f"to read entry {entry_id}")).data

    async def current_timer(self) -> Timer | None:
        running = await self._running()
        if running is None:
            return None
        entry_id = running.related_id("time_entry")
        entry = None
        if entry_id is not None:
            with contextlib.suppress(NotFoundError):  # deleted under the timer: no note
                entry = await self._entry(entry_id)
        return running.to_timer(entry)

    async def timer(self, timer_id: str) -> Timer:
        found = await self._get(_TimerOne, f"/timers/{timer_id}", about=f"to read timer {timer_id}")
        entry_id = found.data.related_id("time_entry")
        entry = None
        if entry_id is not None:
            with contextlib.suppress(NotFoundError):
                entry = await self._entry(entry_id)
        return found.data.to_timer(entry)

    async def start_timer(
        self,
        service_id: str,
        *,
        task_id: str | None = None,
        note: str = "",
        started_at: datetime | None = None,
    ) -> Timer:
        """`started_at` (a timer that began earlier) is sent as the timer's attribute;
        whether Productive honours it is unconfirmed: the returned timer says."""
        attributes = {"started_at": _moment(started_at)} if started_at is not None else {}
        on_service = f"to start a timer on service {service_id}"
        if task_id is None and not note:
            body = {
                "data": {
                    "type": "timers",
                    "attributes": attributes,
                    "relationships": {"service": _relationship("services", service_id)},
                }
            }
            timer = await self._send_one(_TimerOne, "POST", "/timers", body, about=on_service)
            return timer.data.to_timer(service_id=service_id)
        relationships = {
            "person": _relationship("people", await self._me_id()),
            "service": _relationship("services", service_id),
        }
        if task_id is not None:
            relationships["task"] = _relationship("tasks", task_id)
        day = started_at.astimezone().date() if started_at is not None else self.today()
        created = await self._send_one(
            _EntryOne,
            "POST",
            "/time_entries",
            {
                "data": {
                    "type": "time_entries",
                    "attributes": {"date": day.isoformat(), "time": 0, "note": note},
                    "relationships": relationships,
                }
            },
            about=on_service,
        )
        entry_id = created.data.id
        body = {
            "data": {
                "type": "timers",
                "attributes": attributes,
                "relationships": {"time_entry": _relationship("time_entries", entry_id)},
            }
        }
        try:
            timer = await self._send_one(_TimerOne, "POST", "/timers", body, about=on_service)
        except (OutcomeUnknownError, BadResponseError):
            raise  # the timer may be running on that entry: leave both
        except ApiError:
            with contextlib.suppress(ApiError):  # no timer: don't leave an empty entry behind
                await self.http.request("DELETE", f"/time_entries/{entry_id}")
            raise
        return timer.data.to_timer(
            _merged(created.data, {"service_id": service_id, "task_id": task_id}, None)
        )

    async def stop_timer(self, timer_id: str | None = None) -> StoppedTimer:
        if timer_id is None:
            running = await self._running()
            if running is None:
                raise NotFoundError("No timer is running.")
            timer_id = running.id
        # Stopping a stopped timer changes nothing, so a lost answer is simply asked again.
        stopped = await self._send_one(
            _TimerOne,
            "PATCH",
            f"/timers/{timer_id}/stop",
            idempotent=True,
            about=f"to stop timer {timer_id}",
        )
        entry_id = stopped.data.related_id("time_entry")
        if entry_id is None:
            raise BadResponseError(
                f"{self.service} stopped timer {timer_id} but named no time entry for it."
            )
        entry = await self._entry(entry_id)
        return StoppedTimer(stopped.data.to_timer(entry), entry)
