"""The Plannr CRM adapter (`/api/v1`, plain JSON): time entries per trackable, timers as
entries without an end, no bulk endpoints and no approvals.

How the app's concepts map (see `api-notes.md`):

- an entry id is the Plannr `uuid`; an entry's `service_id` is `"<type>:<trackable uuid>"`
  (the strings of the profile's `trackables`); a person id is an account uuid;
- the note is `name` (its first line) plus `description` (the rest);
- the day of an entry is the day its `start_date` falls on in the local timezone (the one
  the app writes new entries in: the day at 09:00 local time);
- Plannr lists entries per trackable only, so listing and "current timer" need the
  profile's `trackables`; everything else works without them;
- writes are one request per entry at bounded concurrency, each with its own result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from tui.api.base import (
    Capabilities,
    EntryBatch,
    EntryChange,
    EntryQuery,
    ItemResult,
    Outcome,
    StoppedTimer,
    merge_batches,
)
from tui.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    InvalidEntriesError,
    ItemProblem,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
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
    Entry,
    EntryStatus,
    Person,
    PlannrAccount,
    PlannrTimeEntry,
    Service,
    Task,
    Timer,
)

log = logging.getLogger("tui.api.plannr")

SERVICE = "Plannr"
DEFAULT_BASE_URL = "https://api.plannrcrm.com/api/v1"
MAX_PER_PAGE = 500
RATE_LIMIT = [(500, 60.0)]  # "about 500 requests a minute"
DAY_START = time(9, 0)  # a new entry starts at 09:00 local time on its day
PLACEHOLDER_NAME = "Time entry"  # Plannr requires a name; an empty note gets this
TIMER_LOOKBACK_DAYS = 14
"""How far back "current timer" looks for an entry with no end: Plannr has no timer
endpoint, and a timer forgotten over a long weekend or a holiday is still running (the
window costs no more requests while it holds under a page, `per_page` 500, per trackable)."""
DEFAULT_RETRY = RetryPolicy()

NO_TRACKABLES = (
    "The Plannr profile needs `trackables` to {what}: Plannr lists time entries per "
    'trackable only, so name them in the profile (e.g. trackables = ["client:<uuid>"]).'
)
NO_APPROVALS = (
    "Plannr has no approvals: its time entries cannot be approved, unapproved or rejected."
)

Item = TypeVar("Item")


def laravel_problems(body: Any) -> list[ItemProblem]:
    """A Laravel 422 body `{"message", "errors": {field: [..]}}` as problems of item 0
    (every Plannr write is a single-entry call)."""
    if not isinstance(body, dict):
        return []
    problems: list[ItemProblem] = []
    errors = body.get("errors")
    if isinstance(errors, dict):
        for name, messages in errors.items():
            if isinstance(messages, str):
                messages = [messages]
            if isinstance(messages, list):
                problems.extend(
                    ItemProblem(0, m, str(name)) for m in messages if isinstance(m, str) and m
                )
    if not problems and isinstance(body.get("message"), str) and body["message"]:
        problems.append(ItemProblem(0, body["message"]))
    return problems


def split_trackable(value: str) -> tuple[str, str]:
    """`"client:<uuid>"` → `("client", "<uuid>")`; ValueError if it is not `type:uuid`."""
    kind, sep, ident = value.partition(":")
    kind, ident = kind.strip().lower(), ident.strip()
    if not sep or not kind or not ident or "/" in kind or "/" in ident:
        raise ValueError(f"{value!r} is not a Plannr trackable (type:uuid, e.g. client:<uuid>)")
    return kind, ident


def split_note(note: str) -> tuple[str, str | None]:
    """A note → (name, description): the first line and the rest (None when empty)."""
    name, _, rest = note.partition("\n")
    return name.rstrip("\r").strip(), rest or None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _person(account: PlannrAccount) -> Person:
    first, last = account.first_name or "", account.last_name or ""
    if not first and not last and account.name:
        first, _, last = account.name.strip().partition(" ")
    return Person(id=account.uuid, first_name=first, last_name=last.strip(), email=account.email)


def _trackable_name(trackable: PlannrAccount) -> str | None:
    if trackable.name:
        return trackable.name
    joined = " ".join(p for p in (trackable.first_name, trackable.last_name) if p)
    return joined or None


class PlannrAdapter:
    """`Backend` for Plannr CRM; one `HttpClient`, usable as `async with`."""

    name = "plannr"
    capabilities = Capabilities(bulk=False, approvals=False, reject=False, timers=True)

    def __init__(
        self,
        *,
        token: str,
        account_uuid: str,
        base_url: str = DEFAULT_BASE_URL,
        trackables: Sequence[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        concurrency: int = 4,
        rate_limited: bool = True,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tz: tzinfo | None = None,
        page_size: int = MAX_PER_PAGE,
        request_timeout: float = DEFAULT_TIMEOUT.read or 30.0,
    ) -> None:
        """`tz`: the timezone entries' days are read and written in (None: the system's).
        `page_size`: entries per listing page (Plannr's maximum, 500, by default)."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.account_uuid = account_uuid
        self.concurrency = concurrency
        self.clock = clock
        self.tz = tz
        self.page_size = max(1, min(page_size, MAX_PER_PAGE))
        self.trackables: list[str] = []
        self._trackable_ids: dict[str, str] = {}  # trackable uuid (lower) → "type:uuid"
        for value in trackables:
            kind, ident = split_trackable(value)
            service_id = f"{kind}:{ident}"
            if service_id not in self.trackables:
                self.trackables.append(service_id)
                self._trackable_ids[ident.lower()] = service_id
        self._people: dict[str, Person] = {}
        self._service_names: dict[str, str] = {}
        self._looked_up: set[str] = set()
        """Trackables whose name `services` has asked for this session."""
        self.http = HttpClient(
            base_url,
            service=SERVICE,
            headers={
                "Authorization": f"Bearer {token}",
                "X-PLANNR-ACCOUNT-UUID": account_uuid,
                "Accept": "application/json",
            },
            secrets=[token],
            transport=transport,
            retry=retry,
            rate_limiter=RateLimiter(RATE_LIMIT, sleep=sleep) if rate_limited else None,
            problem_parser=laravel_problems,
            max_connections=max(10, concurrency),
            sleep=sleep,
            timeout=request_timeout_of(request_timeout),
        )

    def __repr__(self) -> str:
        return (
            f"PlannrAdapter(account_uuid={self.account_uuid!r}, "
            f"trackables={len(self.trackables)}, http={self.http!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ people etc.

    async def current_person(self) -> Person:
        return self._people.get(self.account_uuid) or Person(id=self.account_uuid)

    async def people(self) -> list[Person]:
        me = await self.current_person()
        others = sorted(
            (p for p in self._people.values() if p.id != me.id),
            key=lambda p: (p.name.lower(), p.id),
        )
        return [me, *others]

    async def services(self) -> list[Service]:
        """The profile's trackables, each with its name. A name not yet seen on an entry
        is read once a session: a client's from its account (`GET /account/{uuid}`), any
        other's (or a client whose account cannot be read) from its latest entry's
        `trackable`. A trackable nothing names reads as its id (`client:<uuid>`).
        A refused token and an unreachable server are raised; any other failure only
        leaves that name unknown."""
        unnamed = [
            s for s in self.trackables if s not in self._service_names and s not in self._looked_up
        ]
        if unnamed:
            gate = asyncio.Semaphore(self.concurrency)

            async def look_up(service_id: str) -> None:
                async with gate:
                    name = await self._look_up_name(service_id)
                self._looked_up.add(service_id)
                if name:
                    self._service_names[service_id] = name

            await asyncio.gather(*(look_up(s) for s in unnamed))
        return [Service(id=s, name=self._service_name(s)) for s in self.trackables]

    async def _look_up_name(self, service_id: str) -> str | None:
        kind, ident = split_trackable(service_id)
        if kind == "client":
            path = f"/account/{quote(ident, safe='')}"
            try:
                body = await self._call("GET", path)
                if (
                    isinstance(body, dict)
                    and "uuid" not in body
                    and isinstance(body.get("data"), dict)
                ):
                    body = body["data"]
                name = _trackable_name(PlannrAccount.model_validate(body))
                if name:
                    return name
            except (AuthError, NetworkError):
                raise
            except (ApiError, ValidationError) as error:
                log.info("no name for %s from GET %s: %s", service_id, path, error)
        path = f"/time-entry/{quote(kind, safe='')}/{quote(ident, safe='')}"
        try:
            body = await self._call("GET", path, params={"per_page": "1"})
            data = body.get("data") if isinstance(body, dict) else None
            if isinstance(data, list) and data:
                item = PlannrTimeEntry.model_validate(data[0])
                if item.trackable is not None:
                    return _trackable_name(item.trackable)
        except (AuthError, NetworkError):
            raise
        except (ApiError, ValidationError) as error:
            log.info("no name for %s from its entries: %s", service_id, error)
        return None

    async def tasks(self) -> list[Task]:
        return []

    def _service_name(self, service_id: str) -> str:
        """The trackable's name; its id (`client:<uuid>`, as the profile names it) when
        nothing has told it."""
        return self._service_names.get(service_id) or service_id

    # ----------------------------------------------------------------- conversions

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def _local(self, day: date, at: time) -> datetime:
        naive = datetime.combine(day, at.replace(tzinfo=None))
        return naive.replace(tzinfo=self.tz) if self.tz is not None else naive.astimezone()

    def _learn(self, item: PlannrTimeEntry) -> None:
        """Remember the account and trackable an entry names (for names in pickers)."""
        if item.account is not None:
            self._people[item.account.uuid] = _person(item.account)
        if item.trackable is not None:
            service_id = self._service_id(item, None)
            name = _trackable_name(item.trackable)
            if service_id and name:
                self._service_names[service_id] = name

    def _service_id(self, item: PlannrTimeEntry, listed_for: str | None) -> str | None:
        """The entry's trackable as `type:uuid`, spelled as the profile spells it."""
        if item.trackable is None:
            return listed_for
        known = self._trackable_ids.get(item.trackable.uuid.lower())
        if known:
            return known
        kind = item.trackable_type or (listed_for or "").partition(":")[0] or "unknown"
        return f"{kind.lower()}:{item.trackable.uuid}"

    def _entry(self, item: PlannrTimeEntry, listed_for: str | None = None) -> Entry:
        self._learn(item)
        return item.to_entry().model_copy(
            update={
                "date": self._day(item.start_date),
                "service_id": self._service_id(item, listed_for),
            }
        )

    def _timer(self, item: PlannrTimeEntry) -> Timer:
        self._learn(item)
        return item.to_timer(self._service_id(item, None))

    def _parse(self, body: Any, what: str) -> PlannrTimeEntry:
        try:
            return PlannrTimeEntry.from_response(body)
        except ValidationError as error:
            raise self._unreadable(what, "a time entry", error) from None

    def _unreadable(
        self, what: str, thing: str, error: ValidationError | None = None, why: str | None = None
    ) -> BadResponseError:
        if error is not None:
            details = error.errors()
            where = ".".join(str(p) for p in details[0]["loc"]) if details else ""
            said = str(details[0]["msg"]) if details else "invalid"
            why = f"{where or 'body'}: {said.rstrip('.').lower()}"
        return BadResponseError(
            self.http.redact(f"{SERVICE} answered {what} with {thing} the app cannot read ({why}).")
        )

    # ------------------------------------------------------------------- requests

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        about: str | None = None,
    ) -> Any:
        """`about`: what the request does to one thing ("to delete entry X"), so that a
        refusal names it and the server's reason rather than the route."""
        headers = {"Content-Type": "application/json"} if body is not None else None
        return await self.http.json(
            method, path, params=params, json_body=body, headers=headers, about=about
        )

    @staticmethod
    def _entry_path(entry_id: str, suffix: str = "") -> str:
        return f"/time-entry/{quote(entry_id, safe='')}{suffix}"

    async def _get(self, entry_id: str, *, about: str | None = None) -> PlannrTimeEntry:
        path = self._entry_path(entry_id)
        return self._parse(await self._call("GET", path, about=about), f"GET {path}")

    async def _each(
        self,
        items: Sequence[Item],
        work: Callable[[int, Item], Awaitable[ItemResult]],
        item_id: Callable[[Item], str | None],
    ) -> list[ItemResult]:
        """`work` on every item, at most `concurrency` at once, one result each in input
        order. A refused token or permission stops starting new items and is raised once
        those in flight have finished (never cancelled half-way through a write)."""
        gate = asyncio.Semaphore(self.concurrency)
        fatal: list[ApiError] = []

        async def one(index: int, item: Item) -> ItemResult:
            async with gate:
                if fatal:
                    return ItemResult(index, Outcome.failed, error=str(fatal[0]), id=item_id(item))
                try:
                    return await work(index, item)
                except (AuthError, ForbiddenError) as error:
                    fatal.append(error)
                    return ItemResult(index, Outcome.failed, error=str(error), id=item_id(item))
                except ApiError as error:
                    return self._failure(index, error, item_id(item))

        results = await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
        if fatal:
            raise fatal[0]
        return list(results)

    @staticmethod
    def _failure(index: int, error: ApiError, entry_id: str | None) -> ItemResult:
        if isinstance(error, OutcomeUnknownError):
            return ItemResult(index, Outcome.unknown, error=str(error), id=entry_id)
        message = str(error)
        if isinstance(error, InvalidEntriesError) and error.problems:
            message = " ".join(
                p.message if p.message.endswith(".") else f"{p.message}." for p in error.problems
            )
        return ItemResult(
            index,
            Outcome.failed,
            error=message,
            id=entry_id,
            missing=isinstance(error, NotFoundError),
        )

    # -------------------------------------------------------------------- listing

    def _require_trackables(self, what: str) -> list[str]:
        if not self.trackables:
            raise UnsupportedError(NO_TRACKABLES.format(what=what))
        return self.trackables

    async def _page(
        self,
        service_id: str,
        number: int,
        start: date,
        end: date,
        gate: asyncio.Semaphore,
        sort: str | None = None,
    ) -> tuple[str, int, list[PlannrTimeEntry], dict[str, Any]]:
        kind, ident = split_trackable(service_id)
        path = f"/time-entry/{quote(kind, safe='')}/{quote(ident, safe='')}"
        params = {
            "filter[between]": f"{start.isoformat()},{end.isoformat()}",
            "per_page": str(self.page_size),
            "page": str(number),
        }
        if sort:
            params["sort"] = sort
        async with gate:
            body = await self._call("GET", path, params=params)
        what = f"GET {path} (page {number})"
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise self._unreadable(what, "a page", why="no `data` list")
        items = []
        for index, raw in enumerate(data):
            try:
                items.append(PlannrTimeEntry.model_validate(raw))
            except ValidationError as error:
                raise self._unreadable(what, f"an entry (#{index + 1})", error) from None
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        links = body.get("links") if isinstance(body.get("links"), dict) else {}
        return service_id, number, items, {"meta": meta, "links": links}

    async def _pages(
        self, trackables: Sequence[str], start: date, end: date, sort: str | None = None
    ) -> AsyncIterator[tuple[str, list[PlannrTimeEntry]]]:
        """Every page of every trackable, as they arrive: page 1 of each first, then the
        rest of a trackable's pages (meta.last_page) at once, within `concurrency`."""
        gate = asyncio.Semaphore(self.concurrency)
        pending: set[asyncio.Task[tuple[str, int, list[PlannrTimeEntry], dict[str, Any]]]] = {
            asyncio.ensure_future(self._page(t, 1, start, end, gate, sort)) for t in trackables
        }
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:  # an error surfaces here; the rest are cancelled below
                    service_id, number, items, extra = task.result()
                    last_page = extra["meta"].get("last_page")
                    if number == 1 and isinstance(last_page, int) and last_page > 1:
                        self.http.check_page_count(last_page, f"of {service_id}")
                        pending.update(
                            asyncio.ensure_future(self._page(service_id, n, start, end, gate, sort))
                            for n in range(2, last_page + 1)
                        )
                    elif not isinstance(last_page, int) and items and extra["links"].get("next"):
                        # No page count: walk `next` one page at a time.
                        self.http.check_page_count(number + 1, f"of {service_id}")
                        pending.add(
                            asyncio.ensure_future(
                                self._page(service_id, number + 1, start, end, gate, sort)
                            )
                        )
                    yield service_id, items
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def iter_entries(self, query: EntryQuery) -> AsyncIterator[EntryBatch]:
        trackables = self._require_trackables("list time entries")
        if query.statuses and EntryStatus.draft not in query.statuses:
            return  # Plannr has no statuses: every entry is a draft
        people = set(query.person_ids)
        # A day of one more on each side: what `between` means at the edges (dates or
        # instants, in which timezone) is not documented; the exact range is kept below.
        start, end = query.start - timedelta(days=1), query.end + timedelta(days=1)
        async for service_id, items in self._pages(trackables, start, end):
            batch = EntryBatch([])
            for item in items:
                entry = self._entry(item, service_id)
                if not query.covers(entry.date):
                    continue
                if people and entry.person_id not in people:
                    continue
                batch.entries.append(entry)
                if item.account is not None:
                    batch.people[item.account.uuid] = self._people[item.account.uuid]
                if entry.service_id:
                    batch.services[entry.service_id] = Service(
                        id=entry.service_id, name=self._service_name(entry.service_id)
                    )
            yield batch

    async def list_entries(self, query: EntryQuery) -> EntryBatch:
        return merge_batches([batch async for batch in self.iter_entries(query)])

    async def get_entries(self, ids: Sequence[str]) -> list[ItemResult]:
        async def work(index: int, entry_id: str) -> ItemResult:
            return ItemResult(
                index, Outcome.ok, entry=self._entry(await self._get(entry_id)), id=entry_id
            )

        return await self._each(ids, work, lambda entry_id: entry_id)

    # --------------------------------------------------------------------- writes

    def _refuse_person(self, person_id: str | None, current: str | None = None) -> None:
        if person_id not in (None, self.account_uuid, current):
            raise RequestRejectedError(
                f"{SERVICE} logs time as the signed-in account only; it cannot log or move "
                f"time for another person ({person_id})."
            )

    @staticmethod
    def _refuse_task(task_id: str | None) -> None:
        if task_id is not None:
            raise RequestRejectedError(f"{SERVICE} has no tasks; log the time on a trackable.")

    @staticmethod
    def _trackable_fields(service_id: str | None) -> dict[str, str]:
        if not service_id:
            raise RequestRejectedError(
                f"A {SERVICE} entry needs a trackable (a service id like client:<uuid>)."
            )
        try:
            kind, ident = split_trackable(service_id)
        except ValueError:
            raise RequestRejectedError(
                f"{service_id!r} is not a {SERVICE} trackable (type:uuid, e.g. client:<uuid>)."
            ) from None
        return {"trackable_type": kind, "trackable_uuid": ident}

    def _create_body(self, entry: Entry) -> dict[str, Any]:
        self._refuse_person(entry.person_id)
        self._refuse_task(entry.task_id)
        body: dict[str, Any] = self._trackable_fields(entry.service_id)
        name, description = split_note(entry.note)
        start = self._local(entry.date, DAY_START)
        body.update(
            name=name or PLACEHOLDER_NAME,
            start_date=_iso(start),
            end_date=_iso(start + timedelta(minutes=entry.minutes)),
            total_time_in_minutes=entry.minutes,
        )
        if description:
            body["description"] = description
        return body

    async def create_entries(self, entries: Sequence[Entry]) -> list[ItemResult]:
        async def work(index: int, entry: Entry) -> ItemResult:
            body = self._create_body(entry)
            answer = await self._call("POST", "/time-entry", body=body)
            try:
                created = self._entry(self._parse(answer, "POST /time-entry"))
            except BadResponseError as error:
                # A 2xx we cannot read may still have created it: re-read, never resend.
                return ItemResult(index, Outcome.unknown, error=str(error))
            return ItemResult(index, Outcome.ok, entry=created, id=created.id)

        return await self._each(entries, work, lambda entry: entry.id)

    async def _update_body(self, change: EntryChange) -> dict[str, Any]:
        fields = change.fields
        base = change.base
        body: dict[str, Any] = {}
        if "person_id" in fields:
            self._refuse_person(fields["person_id"], base.person_id if base else None)
        if "task_id" in fields:
            self._refuse_task(fields["task_id"])
        if "note" in fields:
            name, description = split_note(fields["note"] or "")
            body["name"] = name or PLACEHOLDER_NAME
            body["description"] = description
        if "service_id" in fields:
            body.update(self._trackable_fields(fields["service_id"]))
        if "date" in fields or "minutes" in fields:
            # The start's time of day and whether a timer runs are not in an `Entry`:
            # read them, so the start keeps its time and the end moves with the minutes.
            current = await self._get(change.id)
            start = current.start_date
            if "date" in fields:
                day = fields["date"]
                if isinstance(day, str):
                    day = date.fromisoformat(day)
                start = self._local(day, start.astimezone(self.tz).time())
                body["start_date"] = _iso(start)
            minutes = fields.get("minutes", current.minutes)
            if "minutes" in fields:
                body["total_time_in_minutes"] = minutes
            if current.stopped:  # a running entry has no end until it is stopped
                body["end_date"] = _iso(start + timedelta(minutes=minutes))
                body["total_time_in_minutes"] = minutes
        return body

    async def update_entries(self, changes: Sequence[EntryChange]) -> list[ItemResult]:
        async def work(index: int, change: EntryChange) -> ItemResult:
            body = await self._update_body(change)
            if not body:  # nothing Plannr stores changed
                return ItemResult(index, Outcome.ok, entry=change.base, id=change.id)
            path = self._entry_path(change.id)
            answer = await self._call("PUT", path, body=body, about=f"to change entry {change.id}")
            return ItemResult(
                index,
                Outcome.ok,
                entry=self._entry(self._parse(answer, f"PUT {path}")),
                id=change.id,
            )

        return await self._each(changes, work, lambda change: change.id)

    async def delete_entries(self, ids: Sequence[str]) -> list[ItemResult]:
        async def work(index: int, entry_id: str) -> ItemResult:
            await self._call(
                "DELETE", self._entry_path(entry_id), about=f"to delete entry {entry_id}"
            )
            return ItemResult(index, Outcome.ok, id=entry_id)

        return await self._each(ids, work, lambda entry_id: entry_id)

    # ------------------------------------------------------------------ approvals

    async def approve_entries(
        self, ids: Sequence[str], *, for_all_approvers: bool = False
    ) -> list[ItemResult]:
        raise UnsupportedError(NO_APPROVALS)

    async def unapprove_entries(self, ids: Sequence[str]) -> list[ItemResult]:
        raise UnsupportedError(NO_APPROVALS)

    async def reject_entry(self, entry_id: str, reason: str) -> Entry:
        raise UnsupportedError(NO_APPROVALS)

    async def unreject_entry(self, entry_id: str) -> Entry:
        raise UnsupportedError(NO_APPROVALS)

    # --------------------------------------------------------------------- timers

    async def _running(self) -> PlannrTimeEntry | None:
        trackables = self._require_trackables("find the running timer")
        today = self._day(self.clock())
        start = today - timedelta(days=TIMER_LOOKBACK_DAYS)
        running: list[PlannrTimeEntry] = []
        async for _, items in self._pages(
            trackables, start, today + timedelta(days=1), sort="-start_date"
        ):
            for item in items:
                self._learn(item)
                if not item.stopped:
                    running.append(item)
        if not running:
            return None
        return max(running, key=lambda item: item.start_date)

    async def current_timer(self) -> Timer | None:
        item = await self._running()
        return self._timer(item) if item is not None else None

    async def timer(self, timer_id: str) -> Timer:
        return self._timer(await self._get(timer_id, about=f"to read timer {timer_id}"))

    async def start_timer(
        self,
        service_id: str,
        *,
        task_id: str | None = None,
        note: str = "",
        started_at: datetime | None = None,
    ) -> Timer:
        """A new entry with no end (Plannr has no tasks: `task_id` is ignored); a timer
        that began earlier is an entry whose `start_date` is then."""
        body: dict[str, Any] = self._trackable_fields(service_id)
        name, description = split_note(note)
        start = started_at if started_at is not None else self.clock()
        body.update(name=name or PLACEHOLDER_NAME, start_date=_iso(start.astimezone(self.tz)))
        if description:
            body["description"] = description
        answer = await self._call(
            "POST", "/time-entry", body=body, about=f"to start a timer on {service_id}"
        )
        return self._timer(self._parse(answer, "POST /time-entry"))

    async def stop_timer(self, timer_id: str | None = None) -> StoppedTimer:
        if timer_id is None:
            running = await self._running()
            if running is None:
                raise NotFoundError("No timer is running.")
            timer_id = running.uuid
        path = self._entry_path(timer_id, "/stop")
        try:
            answer = await self._call("POST", path, about=f"to stop timer {timer_id}")
        except OutcomeUnknownError as lost:
            # The stop may have been applied: read the entry instead of stopping again.
            try:
                item = await self._get(timer_id)
            except ApiError:
                raise lost from None
            if not item.stopped:
                raise
            log.info("stop of %s had no answer; the entry shows it stopped", timer_id)
        else:
            item = self._parse(answer, f"POST {path}")
            if not item.stopped:  # judged by end_date: the seed's stop says is_active true
                raise BadResponseError(
                    f"{SERVICE} answered POST {path} with an entry that has no end date, so "
                    "the timer may still be running."
                )
        return StoppedTimer(timer=self._timer(item), entry=self._entry(item))
