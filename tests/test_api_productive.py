"""The Productive adapter against the real ledger: in-process behind a fault-injecting,
request-recording transport, and (a core subset) over a real loopback port."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.responses import Response

from tests.conftest import FROZEN_NOW, FakeClock, LoopbackServer
from tests.faults import Fault, FaultTransport, InFlight, LatePages
from tui.api.base import Backend, EntryChange, EntryQuery, Outcome
from tui.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    NotFoundError,
    RateLimitedError,
)
from tui.api.http import RetryPolicy
from tui.api.productive import PAGES_AHEAD, ProductiveAdapter, parse_problems
from tui.ledger.app import create_app
from tui.ledger.db import (
    LedgerDB,
    insert_deal,
    insert_person,
    insert_project,
    insert_service,
    insert_task,
)
from tui.ledger.entries import Entries
from tui.models import Entry, EntryStatus

pytestmark = pytest.mark.anyio

TODAY = FROZEN_NOW.date()
JSONAPI = "application/vnd.api+json"
BULK = "application/vnd.api+json; ext=bulk"
ENTRIES = "/api/v2/time_entries"
MONTH = EntryQuery(date(2026, 11, 1), date(2026, 11, 30))


class Sleeps:
    """An injected sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def transport(ledger: LedgerDB, clock: FakeClock) -> FaultTransport:
    return FaultTransport(httpx.ASGITransport(app=create_app(ledger, clock=clock)))


def make(
    ledger: LedgerDB, transport: httpx.AsyncBaseTransport, sleeps: Sleeps, **kwargs: Any
) -> ProductiveAdapter:
    kwargs.setdefault("today", lambda: TODAY)
    kwargs.setdefault("service", "Productive")  # the ledger stands in for Productive here
    return ProductiveAdapter.for_ledger(ledger, transport=transport, sleep=sleeps, **kwargs)


@pytest.fixture
async def adapter(ledger, transport, sleeps) -> AsyncIterator[ProductiveAdapter]:
    async with make(ledger, transport, sleeps) as backend:
        yield backend


# ------------------------------------------------------------------------ helpers


def me(ledger: LedgerDB) -> str:
    return str(ledger.identity.owner_person_id)


def add_person(ledger: LedgerDB, first: str, last: str) -> str:
    with ledger.transaction(write=True) as conn:
        return str(
            insert_person(conn, ledger.identity.organization_id, first_name=first, last_name=last)
        )


def add_task(ledger: LedgerDB, title: str, service_id: int = 1) -> str:
    with ledger.transaction(write=True) as conn:
        return str(insert_task(conn, title=title, service_id=service_id))


def seed(
    ledger: LedgerDB,
    count: int,
    *,
    people: list[str] | None = None,
    day: date = date(2026, 11, 2),
    spread: int = 20,
) -> list[str]:
    """`count` entries through the ledger's own rules, dated over `spread` days."""
    people = people or [me(ledger)]
    ids = []
    with ledger.transaction(write=True) as conn:
        entries = Entries(conn, ledger)
        for n in range(count):
            ids.append(
                str(
                    entries.create(
                        {
                            "date": (day + timedelta(days=n % spread)).isoformat(),
                            "time": 15 + n % 60,
                            "note": f"entry {n}",
                            "person": people[n % len(people)],
                            "service": 1 + n % 3,
                        }
                    )
                )
            )
    return ids


def rows(ledger: LedgerDB) -> list[dict[str, Any]]:
    with ledger.transaction() as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM time_entries ORDER BY id")]


def new(n: int, **fields: Any) -> Entry:
    values: dict[str, Any] = {
        "date": date(2026, 11, 3),
        "minutes": 30,
        "note": f"new {n}",
        "service_id": "2",
    }
    return Entry(**{**values, **fields})


# ---------------------------------------------------------------------- identity


async def test_the_adapter_is_a_backend_with_every_capability(adapter) -> None:
    assert isinstance(adapter, Backend) and adapter.name == "productive"
    caps = adapter.capabilities
    assert caps.bulk and caps.approvals and caps.reject and caps.timers


async def test_current_person_from_the_profile_is_fetched_once(ledger, adapter, transport) -> None:
    person = await adapter.current_person()
    again = await adapter.current_person()
    assert person == again and person.id == me(ledger) and person.first_name
    assert [r.path for r in transport.requests] == [f"/api/v2/people/{me(ledger)}"]


async def test_current_person_without_a_profile_id_asks_the_memberships(
    ledger, transport, sleeps
) -> None:
    async with ProductiveAdapter(
        base_url="http://ledger/api/v2",
        token=ledger.identity.token,
        organization_id=ledger.identity.organization_id,
        transport=transport,
        rate_limited=False,
        sleep=sleeps,
    ) as backend:
        person = await backend.current_person()
        await backend.current_person()
    assert person.id == me(ledger)
    assert len(transport.requests) == 1
    assert transport.requests[0].params == {"include": "person"}


async def test_people_services_and_tasks_read_every_page(ledger, adapter, transport) -> None:
    with ledger.transaction(write=True) as conn:
        for n in range(250):
            insert_person(
                conn, ledger.identity.organization_id, first_name=f"P{n}", last_name="Load"
            )
    add_task(ledger, "Design", 2)
    people = await adapter.people()
    assert len(people) == 251 and len({p.id for p in people}) == 251
    assert [r.params["page[number]"] for r in transport.calls("GET", "/api/v2/people")] == [
        "1",
        "2",
    ]
    services = await adapter.services()
    assert [s.name for s in services] == ["General", "Meetings", "Admin"]
    call = transport.calls("GET", "/api/v2/services")[0]
    assert call.params["filter[trackable_by_person_id]"] == me(ledger)
    tasks = await adapter.tasks()
    assert [(t.title, t.service_id) for t in tasks] == [("Design", "2")]


async def test_for_ledger_works_over_the_ledger_alone(ledger) -> None:
    async with ProductiveAdapter.for_ledger(ledger) as backend:
        assert backend.rate_limiter is None
        assert len(await backend.services()) == 3


async def test_errors_over_the_local_ledger_name_the_ledger_not_productive(ledger) -> None:
    async with ProductiveAdapter.for_ledger(ledger) as backend:
        [missing] = await backend.get_entries(["999999"])
    assert missing.error == "The local ledger has no time entry 999999."


# ------------------------------------------------------------------------ listing


async def test_an_empty_range_is_one_request(adapter, transport) -> None:
    batches = [b async for b in adapter.iter_entries(MONTH)]
    assert len(batches) == 1 and batches[0].entries == [] and batches[0].total == 0
    assert len(transport.requests) == 1
    batch = await adapter.list_entries(MONTH)
    assert batch.entries == [] and batch.total == 0


async def test_one_entry_comes_with_its_names(ledger, adapter, transport) -> None:
    task = add_task(ledger, "Review", 1)
    with ledger.transaction(write=True) as conn:
        Entries(conn, ledger).create(
            {
                "date": "2026-11-04",
                "time": 45,
                "note": "one",
                "person": me(ledger),
                "service": 1,
                "task": task,
            }
        )
    batch = await adapter.list_entries(MONTH)
    (entry,) = batch.entries
    assert (entry.minutes, entry.note, entry.task_id) == (45, "one", task)
    assert batch.services[entry.service_id].name == "General"
    assert batch.tasks[task].title == "Review"
    assert batch.people[entry.person_id].id == me(ledger)
    (call,) = transport.requests
    assert call.params == {
        "filter[after]": "2026-11-01",
        "filter[before]": "2026-11-30",
        "include": "person,service,task",
        "sort": "date",
        "page[number]": "1",
        "page[size]": "200",
    }


async def test_450_entries_are_three_pages_with_the_last_two_concurrent(
    ledger, transport, sleeps
) -> None:
    ada, bob = add_person(ledger, "Ada", "Lovelace"), add_person(ledger, "Bob", "Byte")
    ids = seed(ledger, 450, people=[ada, bob])
    in_flight = InFlight(transport, hold=0.002)
    async with make(ledger, in_flight, sleeps) as backend:
        batches = [b async for b in backend.iter_entries(MONTH)]
    calls = transport.calls("GET", ENTRIES)
    assert len(calls) == 3
    assert calls[0].params["page[number]"] == "1"
    assert sorted(c.params["page[number]"] for c in calls[1:]) == ["2", "3"]
    assert in_flight.peak == 2  # pages 2 and 3 were in flight together
    assert len(batches[0].entries) == 200
    assert sorted(len(b.entries) for b in batches[1:]) == [50, 200]
    assert all(b.total == 450 for b in batches)
    seen = [e.id for b in batches for e in b.entries]
    assert sorted(seen, key=int) == ids  # every entry exactly once
    names = {p.id: p.name for b in batches for p in b.people.values()}
    assert names == {ada: "Ada Lovelace", bob: "Bob Byte"}
    async with make(ledger, transport, sleeps) as backend:
        merged = await backend.list_entries(MONTH)
    assert len(merged.entries) == 450 and merged.total == 450
    assert [(e.date, int(e.id or 0)) for e in merged.entries] == sorted(
        (e.date, int(e.id or 0)) for e in merged.entries
    )
    assert {merged.services[e.service_id].name for e in merged.entries} == {
        "General",
        "Meetings",
        "Admin",
    }


async def test_page_concurrency_bounds_the_pages_in_flight(ledger, transport, sleeps) -> None:
    seed(ledger, 1000)
    in_flight = InFlight(transport, hold=0.002)
    async with make(ledger, in_flight, sleeps, page_concurrency=2) as backend:
        batch = await backend.list_entries(MONTH)
    assert len(batch.entries) == 1000 and in_flight.peak == 2
    assert len(transport.calls("GET", ENTRIES)) == 5


async def test_pages_are_handed_on_in_their_order_however_they_arrive(
    ledger, transport, sleeps
) -> None:
    seed(ledger, 1400, spread=28)  # 7 pages, dated in page order
    late = {number: 0.004 * (8 - number) for number in range(2, 8)}  # page 2 answers last
    async with make(ledger, LatePages(transport, late), sleeps) as backend:
        batches = [b async for b in backend.iter_entries(MONTH)]
    keys = [(e.date, int(e.id or 0)) for b in batches for e in b.entries]
    assert len(keys) == 1400 and keys == sorted(keys)


async def test_a_late_page_holds_back_at_most_the_pages_ahead_of_it(
    ledger, transport, sleeps
) -> None:
    seed(ledger, 200 * 40, spread=28)
    async with make(ledger, LatePages(transport, {2: 0.3}), sleeps, page_concurrency=2) as backend:
        asked: list[int] = []  # requests sent by the time each page was handed on
        async for _ in backend.iter_entries(MONTH):
            asked.append(len(transport.calls("GET", ENTRIES)))
        asked_by_page_2 = asked[1]
    # While page 2 was late, the other worker went on only PAGES_AHEAD * 2 pages past it.
    assert asked_by_page_2 <= 2 + PAGES_AHEAD * 2
    assert len(transport.calls("GET", ENTRIES)) == 40


async def test_filters_for_people_and_statuses(ledger, adapter, transport) -> None:
    ada = add_person(ledger, "Ada", "Lovelace")
    ids = seed(ledger, 6, people=[me(ledger), ada])
    with ledger.transaction(write=True) as conn:
        conn.execute("UPDATE time_entries SET approved = 1 WHERE id IN (?, ?)", (ids[0], ids[1]))
        conn.execute("UPDATE time_entries SET submitted = 1 WHERE id = ?", (ids[2],))
    mine = await adapter.list_entries(EntryQuery(MONTH.start, MONTH.end, person_ids=(me(ledger),)))
    assert {e.person_id for e in mine.entries} == {me(ledger)} and len(mine.entries) == 3
    picked = await adapter.list_entries(
        EntryQuery(
            MONTH.start,
            MONTH.end,
            person_ids=(me(ledger), ada),
            statuses=(EntryStatus.submitted, EntryStatus.approved),
        )
    )
    assert sorted(e.id for e in picked.entries) == sorted(ids[:3])
    params = transport.calls("GET", ENTRIES)[-1].params
    assert params["filter[person_id]"] == f"{me(ledger)},{ada}"
    assert params["filter[status]"] == "1,5"
    drafts = await adapter.list_entries(
        EntryQuery(MONTH.start, MONTH.end, statuses=(EntryStatus.draft,))
    )
    assert sorted(e.id for e in drafts.entries) == sorted(ids[3:])
    assert transport.calls("GET", ENTRIES)[-1].params["filter[status]"] == "6"
    # Everything not approved is Productive's own "unapproved" (2), not a list of codes.
    unapproved = await adapter.list_entries(
        EntryQuery(
            MONTH.start,
            MONTH.end,
            statuses=(EntryStatus.draft, EntryStatus.submitted, EntryStatus.rejected),
        )
    )
    assert sorted(e.id for e in unapproved.entries) == sorted(ids[2:])
    assert transport.calls("GET", ENTRIES)[-1].params["filter[status]"] == "2"


async def test_a_listing_without_meta_reads_on_until_a_short_page(
    ledger, adapter, transport
) -> None:
    seed(ledger, 250)
    raw = await adapter.http.json(
        "GET",
        "/time_entries",
        params={"filter[after]": "2026-11-01", "page[size]": 200, "sort": "date"},
    )
    del raw["meta"]
    transport.requests.clear()
    transport.inject(Fault.replace_body(json.dumps(raw).encode()), method="GET", path=ENTRIES)
    batch = await adapter.list_entries(MONTH)
    assert len(batch.entries) == 250 and len({e.id for e in batch.entries}) == 250
    assert [c.params["page[number]"] for c in transport.calls("GET", ENTRIES)] == ["1", "2"]


async def test_odd_meta_and_a_short_page_end_the_listing(adapter, transport) -> None:
    body = {"data": [], "meta": {"total_pages": "many"}}
    transport.inject(Fault.replace_body(json.dumps(body).encode()), method="GET")
    batch = await adapter.list_entries(MONTH)
    assert batch.entries == [] and len(transport.requests) == 1


async def test_get_entries_reads_each_id_and_fails_only_the_missing(
    ledger, adapter, transport
) -> None:
    first, second = seed(ledger, 2)
    results = await adapter.get_entries([first, "999999", second])
    assert [r.outcome for r in results] == [Outcome.ok, Outcome.failed, Outcome.ok]
    assert [r.id for r in results] == [first, "999999", second]
    assert results[0].entry is not None and results[0].entry.note == "entry 0"
    assert results[0].entry.person_id == me(ledger)
    assert "999999" in (results[1].error or "")
    assert sorted(r.path for r in transport.requests) == sorted(
        f"{ENTRIES}/{i}" for i in (first, "999999", second)
    )


# ------------------------------------------------------------------------ creating


async def test_250_creates_are_three_bulk_posts_of_100_100_50(ledger, adapter, transport) -> None:
    results = await adapter.create_entries([new(n) for n in range(250)])
    posts = transport.calls("POST", ENTRIES)
    assert [p.items for p in posts] == [100, 100, 50]
    assert all(r.ok for r in results) and [r.index for r in results] == list(range(250))
    assert len(rows(ledger)) == 250
    assert [r.entry.note for r in results if r.entry] == [f"new {n}" for n in range(250)]
    assert len({r.id for r in results}) == 250


async def test_bulk_calls_carry_the_seed_headers_and_string_ids(ledger, adapter, transport) -> None:
    (created,) = await adapter.create_entries([new(0)])
    entry_id = created.id or ""
    await adapter.update_entries([EntryChange(entry_id, {"note": "x"})])
    await adapter.approve_entries([entry_id])
    await adapter.unapprove_entries([entry_id])
    await adapter.delete_entries([entry_id])
    bulk = [r for r in transport.requests if isinstance(r.body, dict)]
    assert [(r.method, r.path) for r in bulk] == [
        ("POST", ENTRIES),
        ("PATCH", ENTRIES),
        ("PATCH", f"{ENTRIES}/approve"),
        ("PATCH", f"{ENTRIES}/unapprove"),
        ("DELETE", ENTRIES),
    ]
    token, org = ledger.identity.token, ledger.identity.organization_id
    for request in bulk:
        assert request.headers["accept"] == BULK
        assert request.headers["content-type"] == BULK
        assert request.headers["x-auth-token"] == token
        assert request.headers["x-organization-id"] == org
        assert isinstance(request.body["data"], list)
    for request in bulk[1:]:
        assert request.body["data"][0]["id"] == entry_id  # a string, not an int
        assert request.body["data"][0]["type"] == "time_entries"
    assert "for_all_approvers" not in bulk[2].body
    sent = bulk[0].body["data"][0]
    assert sent["attributes"] == {"date": "2026-11-03", "time": 30, "note": "new 0"}
    assert sent["relationships"] == {
        "person": {"data": {"type": "people", "id": me(ledger)}},
        "service": {"data": {"type": "services", "id": "2"}},
    }
    assert rows(ledger) == []


async def test_bulk_create_keeps_the_relationships_it_sent(ledger, adapter) -> None:
    ada = add_person(ledger, "Ada", "Lovelace")
    task = add_task(ledger, "Build", 3)
    results = await adapter.create_entries(
        [new(0, person_id=ada, service_id="3", task_id=task), new(1)]
    )
    first, second = (r.entry for r in results)
    assert first is not None and second is not None
    assert (first.person_id, first.service_id, first.task_id) == (ada, "3", task)
    assert (second.person_id, second.service_id, second.task_id) == (me(ledger), "2", None)
    stored = rows(ledger)[0]
    assert (str(stored["person_id"]), str(stored["task_id"])) == (ada, task)


async def test_a_refused_item_fails_alone_and_the_others_are_created(
    ledger, adapter, transport
) -> None:
    results = await adapter.create_entries([new(0), new(1, service_id="99999"), new(2)])
    assert [r.outcome for r in results] == [Outcome.ok, Outcome.failed, Outcome.ok]
    assert results[1].error == "There is no service with id 99999."
    posts = transport.calls("POST", ENTRIES)
    assert [p.items for p in posts] == [3, 2]
    assert [r["note"] for r in rows(ledger)] == ["new 0", "new 2"]
    assert [r.entry.note for r in (results[0], results[2]) if r.entry] == ["new 0", "new 2"]


async def test_a_resend_refused_again_is_not_resent_a_third_time(
    ledger, adapter, transport
) -> None:
    def refusal(index: int, detail: str) -> Fault:
        return Fault.status_code(
            422,
            body={
                "errors": [
                    {
                        "status": "422",
                        "title": "Invalid",
                        "detail": detail,
                        "source": {"pointer": f"/data/{index}/attributes/time"},
                    }
                ]
            },
        )

    transport.inject(refusal(1, "Time is closed for that day."), method="POST")
    transport.inject(refusal(0, "Budget exceeded."), method="POST")
    results = await adapter.create_entries([new(0), new(1), new(2)])
    assert [r.outcome for r in results] == [Outcome.failed] * 3
    assert results[1].error == "Time is closed for that day."
    assert results[0].error == "Budget exceeded."
    assert "Productive refused to create the entries" in (results[2].error or "")
    assert "Budget exceeded" in (results[2].error or "")
    assert [p.items for p in transport.calls("POST", ENTRIES)] == [3, 2]
    assert rows(ledger) == []


async def test_a_422_without_pointers_fails_every_item(ledger, adapter, transport) -> None:
    transport.inject(
        Fault.status_code(
            422, body={"errors": [{"status": "422", "detail": "Timesheet is locked."}]}
        ),
        method="POST",
    )
    results = await adapter.create_entries([new(0), new(1)])
    assert [r.outcome for r in results] == [Outcome.failed, Outcome.failed]
    assert all("Timesheet is locked" in (r.error or "") for r in results)
    assert len(transport.calls("POST")) == 1 and rows(ledger) == []


async def test_413_halves_the_chunk_and_loses_nothing(ledger, clock, sleeps) -> None:
    transport = FaultTransport(
        httpx.ASGITransport(app=create_app(ledger, clock=clock, max_bulk_items=40))
    )
    async with make(ledger, transport, sleeps) as backend:
        results = await backend.create_entries([new(n) for n in range(250)])
    assert all(r.ok for r in results)
    notes = sorted(r["note"] for r in rows(ledger))
    assert notes == sorted(f"new {n}" for n in range(250))  # each exactly once
    assert [r.entry.note for r in results if r.entry] == [f"new {n}" for n in range(250)]
    posts = transport.calls("POST", ENTRIES)
    assert sum(p.items for p in posts if p.items <= 40) == 250
    assert max(p.items for p in posts[3:]) <= 25  # later chunks are cut up front


@pytest.mark.parametrize("status", [400, 422])
async def test_a_too_many_refusal_without_pointers_halves_the_chunk(
    ledger, adapter, transport, status: int
) -> None:
    transport.inject(
        Fault.status_code(
            status,
            body={
                "errors": [
                    {"status": str(status), "detail": "Too many items in a bulk request (max 2)."}
                ]
            },
        ),
        method="POST",
    )
    results = await adapter.create_entries([new(n) for n in range(4)])
    assert all(r.ok for r in results)
    assert [p.items for p in transport.calls("POST")] == [4, 2, 2]
    assert sorted(r["note"] for r in rows(ledger)) == [f"new {n}" for n in range(4)]


async def test_a_single_item_too_large_fails_with_the_sentence(adapter, transport) -> None:
    transport.inject(Fault.status_code(413), method="POST", times=5)
    results = await adapter.create_entries([new(0), new(1)])
    assert [r.outcome for r in results] == [Outcome.failed, Outcome.failed]
    assert "too large" in (results[0].error or "")
    assert [p.items for p in transport.calls("POST")] == [2, 1, 1]


async def test_a_lost_answer_after_the_server_committed_is_unknown_and_not_resent(
    ledger, adapter, transport
) -> None:
    transport.inject(Fault.reset_after_send(), method="POST", path=ENTRIES)
    results = await adapter.create_entries([new(0), new(1), new(2)])
    assert [r.outcome for r in results] == [Outcome.unknown] * 3
    assert all("may or may not have been applied" in (r.error or "") for r in results)
    assert len(transport.calls("POST", ENTRIES)) == 1
    assert sorted(r["note"] for r in rows(ledger)) == ["new 0", "new 1", "new 2"]


async def test_a_post_that_never_left_is_retried_and_created_once(
    ledger, adapter, transport
) -> None:
    transport.inject(Fault.fail_before_send(), method="POST", path=ENTRIES)
    results = await adapter.create_entries([new(0), new(1)])
    assert all(r.ok for r in results)
    assert len(transport.calls("POST", ENTRIES)) == 2
    assert [r["note"] for r in rows(ledger)] == ["new 0", "new 1"]


async def test_an_unreadable_answer_to_a_create_is_unknown(ledger, adapter, transport) -> None:
    transport.inject(Fault.replace_body(b"<html>ok</html>", "text/html"), method="POST")
    results = await adapter.create_entries([new(0)])
    assert results[0].outcome is Outcome.unknown and "not JSON" in (results[0].error or "")
    assert len(rows(ledger)) == 1  # it was created: the store will find it by re-reading


async def test_auth_errors_on_a_bulk_call_propagate(ledger, transport, sleeps) -> None:
    async with ProductiveAdapter(
        base_url="http://ledger/api/v2",
        token="wrong-token-1234",
        organization_id=ledger.identity.organization_id,
        person_id=me(ledger),
        transport=transport,
        rate_limited=False,
        sleep=sleeps,
    ) as backend:
        with pytest.raises(AuthError):
            await backend.create_entries([new(0)])


# ------------------------------------------------------------------------ editing


async def test_update_sends_only_the_changed_fields_and_merges_the_answer(
    ledger, adapter, transport
) -> None:
    task = add_task(ledger, "Plan", 1)
    first, second = seed(ledger, 2)
    with ledger.transaction(write=True) as conn:
        conn.execute("UPDATE time_entries SET task_id = ? WHERE id = ?", (task, first))
    base = {r.id: r.entry for r in await adapter.get_entries([first, second])}
    results = await adapter.update_entries(
        [
            EntryChange(
                first, {"minutes": 90, "note": "longer", "task_id": None}, base=base[first]
            ),
            EntryChange(second, {"date": date(2026, 11, 20), "service_id": "3", "task_id": task}),
        ]
    )
    assert all(r.ok for r in results) and [r.id for r in results] == [first, second]
    sent = transport.calls("PATCH", ENTRIES)[0].body["data"]
    assert sent[0] == {
        "id": first,
        "type": "time_entries",
        "attributes": {"time": 90, "note": "longer"},
        "relationships": {"task": {"data": None}},
    }
    assert sent[1] == {
        "id": second,
        "type": "time_entries",
        "attributes": {"date": "2026-11-20"},
        "relationships": {
            "service": {"data": {"type": "services", "id": "3"}},
            "task": {"data": {"type": "tasks", "id": task}},
        },
    }
    one, two = (r.entry for r in results)
    assert one is not None and two is not None
    assert (one.minutes, one.note, one.task_id) == (90, "longer", None)
    assert (one.person_id, one.service_id) == (me(ledger), base[first].service_id)  # from base
    assert (two.date, two.service_id, two.task_id) == (date(2026, 11, 20), "3", task)
    stored = {str(r["id"]): r for r in rows(ledger)}
    assert stored[first]["time"] == 90 and stored[first]["task_id"] is None
    assert stored[second]["service_id"] == 3


async def test_an_approved_entry_is_refused_and_the_rest_saved(ledger, adapter, transport) -> None:
    ids = seed(ledger, 3)
    with ledger.transaction(write=True) as conn:
        conn.execute("UPDATE time_entries SET approved = 1 WHERE id = ?", (ids[1],))
    results = await adapter.update_entries([EntryChange(i, {"note": "edited"}) for i in ids])
    assert [r.outcome for r in results] == [Outcome.ok, Outcome.failed, Outcome.ok]
    assert results[1].error == f"Entry {ids[1]} is approved; unapprove it before you edit it."
    assert [r["note"] for r in rows(ledger)] == ["edited", "entry 1", "edited"]
    assert [p.items for p in transport.calls("PATCH", ENTRIES)] == [3, 2]


async def test_delete_all_ok_and_an_unknown_id_fails_alone(ledger, adapter, transport) -> None:
    ids = seed(ledger, 3)
    results = await adapter.delete_entries(ids[:2])
    assert [(r.outcome, r.id) for r in results] == [(Outcome.ok, ids[0]), (Outcome.ok, ids[1])]
    assert len(transport.calls("DELETE", ENTRIES)) == 1
    transport.requests.clear()
    results = await adapter.delete_entries(["424242", ids[2]])
    assert [r.outcome for r in results] == [Outcome.failed, Outcome.ok]
    assert "424242" in (results[0].error or "")
    assert rows(ledger) == []
    # The 404 points at the unknown id: the other is resent once without it, and the
    # refused id is never sent again.
    assert [[item["id"] for item in call.body["data"]] for call in transport.calls("DELETE")] == [
        ["424242", ids[2]],
        [ids[2]],
    ]


async def test_a_404_that_points_at_no_item_is_bisected(ledger, adapter, transport) -> None:
    ids = seed(ledger, 3)
    transport.inject(Fault.status_code(404), method="DELETE")  # names no item
    results = await adapter.delete_entries([*ids[:2], "424242"])
    assert [r.outcome for r in results] == [Outcome.ok, Outcome.ok, Outcome.failed]
    assert "424242" in (results[2].error or "")
    assert [len(call.body["data"]) for call in transport.calls("DELETE")] == [3, 2, 1]
    assert [r["id"] for r in rows(ledger)] == [int(ids[2])]


# ------------------------------------------------------------------------ approvals


async def test_approval_reports_pending_approvers_per_entry(ledger, adapter, transport) -> None:
    first, second = seed(ledger, 2)
    with ledger.transaction(write=True) as conn:
        conn.execute("UPDATE time_entries SET approvers_needed = 2 WHERE id = ?", (second,))
    results = await adapter.approve_entries([first, second])
    assert [r.outcome for r in results] == [Outcome.ok, Outcome.ok]
    assert [r.entry.approved for r in results if r.entry] == [True, False]
    assert "for_all_approvers" not in transport.calls("PATCH")[0].body


async def test_approval_for_all_approvers_approves_both(ledger, adapter, transport) -> None:
    first, second = seed(ledger, 2)
    with ledger.transaction(write=True) as conn:
        conn.execute("UPDATE time_entries SET approvers_needed = 2 WHERE id = ?", (second,))
    results = await adapter.approve_entries([first, second], for_all_approvers=True)
    assert [r.entry.approved for r in results if r.entry] == [True, True]
    (call,) = transport.calls("PATCH", f"{ENTRIES}/approve")
    assert call.body["for_all_approvers"] is True
    assert call.body["data"] == [
        {"id": first, "type": "time_entries"},
        {"id": second, "type": "time_entries"},
    ]
    results = await adapter.unapprove_entries([first, second])
    assert all(r.ok and r.entry and not r.entry.approved for r in results)
    assert all(r["approved"] == 0 for r in rows(ledger))


class Staggered(httpx.AsyncBaseTransport):
    """Records how many requests were in flight as each one left, and answers the bulk
    chunks in reverse (each later chunk is held open a shorter moment)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = 0
        self.at_start: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.at_start.append(self.now)
        try:
            await asyncio.sleep(0.002 * max(0, 12 - len(self.at_start)))
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


async def test_a_large_approval_sends_its_first_chunk_alone_then_four_at_once(
    ledger, transport, sleeps
) -> None:
    ids = seed(ledger, 1000)
    staggered = Staggered(transport)
    async with make(ledger, staggered, sleeps, bulk_chunk_size=100) as backend:
        results = await backend.approve_entries(ids)
    calls = transport.calls("PATCH", f"{ENTRIES}/approve")
    assert [c.items for c in calls] == [100] * 10
    assert staggered.at_start[0] == 1 and max(staggered.at_start) == 4
    assert [r.index for r in results] == list(range(1000))  # in order, however answered
    assert [r.id for r in results] == ids
    assert all(r.ok and r.entry and r.entry.approved for r in results)
    assert all(r["approved"] == 1 for r in rows(ledger))


async def test_a_refused_token_midway_sends_no_further_chunks(ledger, transport, sleeps) -> None:
    ids = seed(ledger, 1000)
    transport.inject(
        Fault.status_code(401),
        method="PATCH",
        match=lambda request: json.loads(request.content)["data"][0]["id"] == ids[50],
    )
    async with make(ledger, InFlight(transport, hold=0.002), sleeps, bulk_chunk_size=50) as backend:
        with pytest.raises(AuthError):
            await backend.approve_entries(ids)
    # Of 20 chunks: the first alone, then four at once, one of them refused; those in
    # flight were answered, and nothing further went out.
    calls = transport.calls("PATCH", f"{ENTRIES}/approve")
    assert sorted(c.body["data"][0]["id"] for c in calls) == sorted(
        ids[n] for n in (0, 50, 100, 150, 200)
    )
    assert sum(r["approved"] for r in rows(ledger)) == 200


async def test_an_entry_missing_from_the_approval_answer_fails(ledger, adapter, transport) -> None:
    first, second = seed(ledger, 2)
    answer = await adapter.http.json("GET", f"/time_entries/{first}")
    transport.inject(
        Fault.replace_body(json.dumps({"data": [answer["data"]]}).encode()), method="PATCH"
    )
    results = await adapter.approve_entries([first, second])
    assert [r.outcome for r in results] == [Outcome.ok, Outcome.failed]
    assert second in (results[1].error or "")


async def test_reject_sends_the_reason(ledger, adapter, transport) -> None:
    (entry_id,) = seed(ledger, 1)
    entry = await adapter.reject_entry(entry_id, "Wrong project")
    assert entry.rejected and entry.rejected_reason == "Wrong project"
    assert entry.status is EntryStatus.rejected and entry.person_id == me(ledger)
    (call,) = transport.requests
    assert (call.method, call.path) == ("PATCH", f"{ENTRIES}/{entry_id}/reject")
    assert call.headers["content-type"] == JSONAPI
    assert call.body == {
        "data": {
            "type": "time_entries",
            "id": entry_id,
            "attributes": {"rejected_reason": "Wrong project"},
        }
    }


@pytest.mark.parametrize("answer", [b"", b'{"meta": {}}'])
async def test_reject_with_an_answer_that_holds_no_entry_reads_the_entry(
    ledger, adapter, transport, answer: bytes
) -> None:
    (entry_id,) = seed(ledger, 1)
    transport.inject(Fault.replace_body(answer), method="PATCH")
    entry = await adapter.reject_entry(entry_id, "Wrong project")
    assert entry.rejected and entry.rejected_reason == "Wrong project"
    assert [(c.method, c.path) for c in transport.requests] == [
        ("PATCH", f"{ENTRIES}/{entry_id}/reject"),
        ("GET", f"{ENTRIES}/{entry_id}"),
    ]


# ------------------------------------------------------------------------ timers


async def test_timer_start_current_and_stop(ledger, adapter, transport, clock) -> None:
    assert await adapter.current_timer() is None
    timer = await adapter.start_timer("2")
    assert timer.running and timer.entry_id
    (post,) = transport.calls("POST")
    assert post.path == "/api/v2/timers"
    assert post.body["data"]["relationships"] == {
        "service": {"data": {"type": "services", "id": "2"}}
    }
    transport.requests.clear()
    current = await adapter.current_timer()
    assert current is not None and current.id == timer.id and current.running
    assert timer.service_id == current.service_id == "2"  # named even if its entry isn't shown
    assert len(transport.requests) <= 2
    clock.advance(minutes=25, seconds=30)
    transport.requests.clear()
    stopped = await adapter.stop_timer()
    stop = transport.calls("PATCH")[-1]
    assert stop.path == f"/api/v2/timers/{timer.id}/stop" and stop.body is None
    assert stop.headers["content-type"] == JSONAPI
    assert stopped.timer.id == timer.id and not stopped.timer.running
    assert stopped.timer.total_minutes == 25 and stopped.entry.minutes == 25
    assert stopped.entry.id == timer.entry_id and stopped.entry.service_id == "2"
    assert await adapter.current_timer() is None


async def test_a_timer_with_a_note_and_task_creates_its_entry_first(
    ledger, adapter, transport, clock
) -> None:
    task = add_task(ledger, "Write", 1)
    timer = await adapter.start_timer("1", task_id=task, note="drafting")
    assert timer.note == "drafting"
    entry_post, timer_post = transport.calls("POST")
    assert entry_post.path == ENTRIES and entry_post.headers["content-type"] == JSONAPI
    assert entry_post.body["data"]["attributes"] == {
        "date": TODAY.isoformat(),
        "time": 0,
        "note": "drafting",
    }
    assert timer_post.body["data"]["relationships"] == {
        "time_entry": {"data": {"type": "time_entries", "id": timer.entry_id}}
    }
    assert (timer.service_id, timer.task_id) == ("1", task)
    current = await adapter.current_timer()
    assert current is not None and current.note == "drafting"
    assert (current.service_id, current.task_id) == ("1", task)
    clock.advance(minutes=10)
    stopped = await adapter.stop_timer(timer.id)
    assert stopped.entry.minutes == 10 and stopped.entry.task_id == task
    assert stopped.entry.note == "drafting" and len(rows(ledger)) == 1


async def test_stopping_with_no_timer_running_says_so(adapter) -> None:
    with pytest.raises(NotFoundError, match=r"^No timer is running\.$"):
        await adapter.stop_timer()


# ------------------------------------------------------------------------ faults


async def test_429_with_retry_after_waits_that_long(ledger, adapter, transport, sleeps) -> None:
    seed(ledger, 1)
    transport.inject(Fault.status_code(429, headers={"Retry-After": "2"}), method="GET")
    batch = await adapter.list_entries(MONTH)
    assert len(batch.entries) == 1 and sleeps.calls == [2.0]
    assert len(transport.requests) == 2


async def test_429_without_retry_after_backs_off(ledger, adapter, transport, sleeps) -> None:
    transport.inject(Fault.status_code(429), method="GET")
    assert len(await adapter.services()) == 3
    assert len(sleeps.calls) == 1 and 0 < sleeps.calls[0] <= RetryPolicy().base_delay


async def test_429_every_time_gives_up_as_rate_limited(ledger, transport, sleeps) -> None:
    transport.inject(Fault.status_code(429), method="GET", times=10)
    async with make(ledger, transport, sleeps, retry=RetryPolicy(attempts=3)) as backend:
        with pytest.raises(RateLimitedError):
            await backend.list_entries(MONTH)
    assert len(transport.requests) == 3


async def test_503_then_success_and_a_timeout_are_retried(ledger, adapter, transport) -> None:
    seed(ledger, 2)
    transport.inject(Fault.status_code(503), method="GET")
    transport.inject(Fault.fail_before_send(httpx.ReadTimeout), method="GET")
    batch = await adapter.list_entries(MONTH)
    assert len(batch.entries) == 2 and len(transport.requests) == 3


async def test_a_read_timeout_after_sending_a_get_is_retried(ledger, adapter, transport) -> None:
    (entry_id,) = seed(ledger, 1)
    transport.inject(Fault.reset_after_send(httpx.ReadTimeout), method="GET")
    (result,) = await adapter.get_entries([entry_id])
    assert result.ok and len(transport.requests) == 2


@pytest.mark.parametrize(
    "content, content_type, match",
    [
        (b'{"data": [', JSONAPI, "not JSON"),
        (b"<html><body><h1>Maintenance</h1></body></html>", "text/html", "not JSON"),
        (
            json.dumps(
                {
                    "data": [
                        {"id": "1", "type": "time_entries", "attributes": {"date": "2026-11-02"}}
                    ]
                }
            ).encode(),
            JSONAPI,
            r"data\.0\.attributes\.time: field required",
        ),
        (json.dumps({"meta": {}}).encode(), JSONAPI, r"\(data: field required\)"),
        (json.dumps([1, 2]).encode(), JSONAPI, "cannot read"),
    ],
)
async def test_a_bad_answer_is_one_sentence(
    adapter, transport, content, content_type, match
) -> None:
    transport.inject(Fault.replace_body(content, content_type), method="GET")
    with pytest.raises(BadResponseError, match=match) as caught:
        await adapter.list_entries(MONTH)
    message = str(caught.value)
    assert "\n" not in message and "pydantic" not in message and "input_value" not in message
    assert message.endswith(".")


async def test_a_bad_single_answer_is_a_bad_response(ledger, adapter, transport) -> None:
    (entry_id,) = seed(ledger, 1)
    transport.inject(
        Fault.replace_body(json.dumps({"data": {"id": entry_id, "type": "time_entries"}}).encode()),
        method="PATCH",
    )
    with pytest.raises(BadResponseError, match="attributes"):
        await adapter.reject_entry(entry_id, "no")
    transport.inject(Fault.replace_body(b""), method="GET")
    (result,) = await adapter.get_entries([entry_id])
    assert result.outcome is Outcome.failed and "empty body" in (result.error or "")


async def test_a_bad_token_is_an_auth_error(ledger, transport, sleeps) -> None:
    async with ProductiveAdapter(
        base_url="http://ledger/api/v2",
        token="not-the-token",
        organization_id=ledger.identity.organization_id,
        transport=transport,
        rate_limited=False,
        sleep=sleeps,
    ) as backend:
        with pytest.raises(AuthError, match="refused the token"):
            await backend.list_entries(MONTH)
        with pytest.raises(AuthError):
            await backend.current_person()
    assert sleeps.calls == []


async def test_the_token_never_reaches_errors_results_or_logs(
    ledger, transport, sleeps, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    token = ledger.identity.token
    ids = seed(ledger, 1)
    raised: list[ApiError] = []
    texts: list[str] = []
    backend = make(ledger, transport, sleeps)
    assert token not in repr(backend) and token not in str(backend)
    transport.inject(
        Fault.status_code(500, body={"errors": [{"detail": f"bad {token}"}]}), method="GET"
    )
    transport.inject(Fault.status_code(429), method="GET")
    transport.inject(Fault.reset_after_send(), method="POST")
    transport.inject(
        Fault.replace_body(json.dumps({"data": [{"token": token}]}).encode()),
        method="GET",
        path=ENTRIES,
    )
    for call in (
        lambda: backend.services(),
        lambda: backend.list_entries(MONTH),
        lambda: backend.reject_entry("999999", token),
        lambda: backend.stop_timer(),
    ):
        with pytest.raises(ApiError) as caught:
            await call()
        raised.append(caught.value)
    results = await backend.create_entries([new(0, note=token)])
    results += await backend.update_entries([EntryChange(ids[0], {"service_id": "99999"})])
    texts += [r.error or "" for r in results]
    async with ProductiveAdapter(
        base_url="http://ledger/api/v2",
        token="wrong-" + token,
        organization_id=ledger.identity.organization_id,
        transport=transport,
        rate_limited=False,
        sleep=sleeps,
    ) as wrong:
        with pytest.raises(AuthError) as caught:
            await wrong.people()
        raised.append(caught.value)
    await backend.aclose()
    assert {type(e).__name__ for e in raised} >= {
        "ServerError",
        "BadResponseError",
        "NotFoundError",
        "AuthError",
    }
    assert "bad ***" in str(raised[0])
    for error in raised:
        texts += [str(error), repr(error)]
    assert texts and all(token not in text for text in texts)
    assert caplog.text and token not in caplog.text


def test_the_problem_parser_maps_pointers_to_items() -> None:
    problems = parse_problems(
        {
            "errors": [
                {
                    "status": "422",
                    "title": "Invalid",
                    "detail": "time must be positive.",
                    "source": {"pointer": "/data/3/attributes/time"},
                },
                {
                    "status": "422",
                    "title": "Not found",
                    "source": {"pointer": "/data/0/relationships/service"},
                },
                {"status": "422", "detail": "The whole request is wrong."},
                {"status": "404", "detail": "No entry.", "source": {"pointer": "/data/1/id"}},
            ]
        }
    )
    assert [(p.index, p.message, p.field) for p in problems] == [
        (3, "time must be positive.", "time"),
        (0, "Not found", "service"),
        (None, "The whole request is wrong.", None),
        (1, "No entry.", "id"),
    ]
    assert parse_problems({"message": "not JSON:API"}) == []
    assert parse_problems("<html>") == []


# ------------------------------------------------------------------------ loopback


@pytest.mark.loopback
async def test_core_operations_over_a_real_port(ledger, loopback: LoopbackServer, sleeps) -> None:
    async with ProductiveAdapter(
        base_url=f"{loopback.url}/api/v2",
        token=ledger.identity.token,
        organization_id=ledger.identity.organization_id,
        sleep=sleeps,
    ) as backend:
        assert backend.rate_limiter is not None  # a remote backend keeps the limit
        assert (await backend.current_person()).id == str(ledger.identity.owner_person_id)
        seed(ledger, 450)
        assert len((await backend.list_entries(MONTH)).entries) == 450
        created = await backend.create_entries([new(0), new(1, service_id="99999"), new(2)])
        assert [r.outcome for r in created] == [Outcome.ok, Outcome.failed, Outcome.ok]
        assert created[0].entry and created[0].entry.service_id == "2"
        ids = [r.id or "" for r in created if r.ok]
        updated = await backend.update_entries([EntryChange(ids[0], {"minutes": 75})])
        assert updated[0].ok and updated[0].entry and updated[0].entry.minutes == 75
        approved = await backend.approve_entries(ids)
        assert all(r.ok and r.entry and r.entry.approved for r in approved)
        assert all(r.ok for r in await backend.unapprove_entries(ids))
        assert all(r.ok for r in await backend.delete_entries(ids))
        fetched = await backend.get_entries(ids)
        assert [r.outcome for r in fetched] == [Outcome.failed, Outcome.failed]
        timer = await backend.start_timer("1", note="on the wire")
        current = await backend.current_timer()
        assert current is not None and current.id == timer.id and current.note == "on the wire"
        stopped = await backend.stop_timer()
        assert stopped.entry.id == timer.entry_id and not stopped.timer.running
    assert len(rows(ledger)) == 451
    assert sleeps.calls == []


async def test_a_listing_that_claims_a_billion_pages_is_refused_after_one_request(
    ledger, transport, sleeps
) -> None:
    seed(ledger, 3)
    lie = {"data": [], "meta": {"total_pages": 10**9, "total_count": 2 * 10**11}}
    transport.inject(Fault.replace_body(json.dumps(lie).encode()), method="GET", path=ENTRIES)
    async with make(ledger, transport, sleeps) as backend:
        with pytest.raises(BadResponseError) as caught:
            await backend.list_entries(MONTH)
    assert str(caught.value) == (
        "Productive's listing /time_entries runs to 1,000,000,000 pages, more than the "
        "10,000 this app reads; narrow the dates or the people."
    )
    assert len(transport.calls("GET", ENTRIES)) == 1


async def test_full_pages_without_a_page_count_stop_at_the_page_limit(
    ledger, transport, sleeps, monkeypatch
) -> None:
    from tui.api import http

    seed(ledger, 200)
    async with make(ledger, transport, sleeps) as backend:  # one real, full page
        body = await backend.http.json(
            "GET", "/time_entries", params={"page[number]": 1, "page[size]": 200}
        )
    body["meta"] = {}  # no total_pages: the adapter walks on while pages come back full
    monkeypatch.setattr(http, "MAX_PAGES", 3)
    transport.inject(
        Fault.replace_body(json.dumps(body).encode()), method="GET", path=ENTRIES, times=50
    )
    async with make(ledger, transport, sleeps) as backend:
        with pytest.raises(BadResponseError, match="runs to 4 pages, more than the 3"):
            await backend.list_entries(MONTH)


# ------------------------------------------------------------ services with deals


def add_design_services(ledger: LedgerDB) -> tuple[str, str]:
    """Two services named "Design", on deals of two projects; their ids."""
    with ledger.transaction(write=True) as conn:
        org = ledger.identity.organization_id
        acme = insert_project(conn, name="Acme")
        bergmann = insert_project(conn, name="Bergmann")
        website = insert_deal(conn, name="Website", project_id=acme)
        app = insert_deal(conn, name="Field app", project_id=bergmann)
        return (
            str(insert_service(conn, org, name="Design", deal_id=website)),
            str(insert_service(conn, org, name="Design", deal_id=app)),
        )


def refusing_includes(app: Any, refused: set[str], status: int = 400) -> Any:
    """The ledger behind a server that refuses some includes of `/services` with a JSON:API
    error, as a Productive account might; everything else goes to the ledger."""

    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/services"):
            query = parse_qs(scope["query_string"].decode())
            refused_now = [i for i in query.get("include", []) if i in refused]
            if refused_now:
                response = Response(
                    json.dumps(
                        {
                            "errors": [
                                {
                                    "status": str(status),
                                    "title": "Invalid include",
                                    "detail": f"Unsupported include {refused_now[0]!r}.",
                                }
                            ]
                        }
                    ),
                    status_code=status,
                    media_type=JSONAPI,
                )
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return wrapper


def service_includes(transport: FaultTransport) -> list[str | None]:
    return [c.params.get("include") for c in transport.calls("GET", "/api/v2/services")]


async def test_services_name_their_deal_and_project(adapter, ledger, transport) -> None:
    website, field_app = add_design_services(ledger)
    services = {s.id: s for s in await adapter.services()}
    assert (services[website].name, services[website].project_name) == ("Design", "Acme")
    assert services[website].deal_name == "Website"
    assert (services[field_app].project_name, services[field_app].deal_name) == (
        "Bergmann",
        "Field app",
    )
    assert (services["1"].project_name, services["1"].deal_name) == (None, None)
    assert service_includes(transport) == ["deal.project"]


@pytest.mark.parametrize("status", [400, 422])
async def test_a_refused_deal_project_include_falls_back_to_the_deal(
    ledger, clock, sleeps, status
) -> None:
    website, _ = add_design_services(ledger)
    app = refusing_includes(create_app(ledger, clock=clock), {"deal.project"}, status)
    transport = FaultTransport(httpx.ASGITransport(app=app))
    async with make(ledger, transport, sleeps) as adapter:
        services = {s.id: s for s in await adapter.services()}
        assert (services[website].deal_name, services[website].project_name) == (
            "Website",
            None,
        )
        await adapter.services()  # remembered: the refused include is not asked again
    assert service_includes(transport) == ["deal.project", "deal", "deal"]


async def test_with_every_include_refused_services_are_listed_by_name(
    ledger, clock, sleeps
) -> None:
    website, field_app = add_design_services(ledger)
    app = refusing_includes(create_app(ledger, clock=clock), {"deal.project", "deal"})
    transport = FaultTransport(httpx.ASGITransport(app=app))
    async with make(ledger, transport, sleeps) as adapter:
        services = {s.id: s for s in await adapter.services()}
        assert [services[i].name for i in (website, field_app)] == ["Design", "Design"]
        assert all(s.deal_name is None and s.project_name is None for s in services.values())
        await adapter.services()
    assert service_includes(transport) == ["deal.project", "deal", None, None]


async def test_a_refused_token_on_services_is_not_taken_for_a_refused_include(
    ledger, clock, sleeps
) -> None:
    transport = FaultTransport(httpx.ASGITransport(app=create_app(ledger, clock=clock)))
    async with ProductiveAdapter(
        base_url="http://ledger/api/v2",
        token="wrong",
        organization_id=ledger.identity.organization_id,
        person_id="1",
        transport=transport,
        rate_limited=False,
        sleep=sleeps,
    ) as adapter:
        with pytest.raises(AuthError):
            await adapter.services()
    assert service_includes(transport) == ["deal.project"]


async def test_entries_keep_the_deal_their_service_was_listed_with(adapter, ledger) -> None:
    website, _ = add_design_services(ledger)
    await adapter.services()
    created = await adapter.create_entries(
        [Entry(date=date(2026, 11, 3), minutes=30, person_id=me(ledger), service_id=website)]
    )
    assert created[0].outcome is Outcome.ok
    batch = await adapter.list_entries(MONTH)
    assert batch.services[website].deal_name == "Website"
    assert batch.services[website].project_name == "Acme"
