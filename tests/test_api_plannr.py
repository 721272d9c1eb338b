"""The Plannr adapter against the real ledger's `/api/v1`, in-process behind a fault-injecting
transport, and a core subset over a real loopback port."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.conftest import FROZEN_NOW, FakeClock, LoopbackServer
from tests.faults import Fault, FaultTransport, InFlight
from tests.seeds import seed_stop_body
from tui.api.base import Backend, EntryChange, EntryQuery, Outcome
from tui.api.errors import (
    AuthError,
    BadResponseError,
    ForbiddenError,
    ItemProblem,
    NotFoundError,
    OutcomeUnknownError,
    UnsupportedError,
)
from tui.api.plannr import PlannrAdapter, laravel_problems
from tui.ledger.app import create_app
from tui.ledger.db import (
    LedgerDB,
    derived_uuid,
    insert_deal,
    insert_person,
    insert_project,
    insert_service,
)
from tui.ledger.entries import Entries
from tui.models import Entry, EntryStatus

pytestmark = pytest.mark.anyio

BASE = "http://ledger/api/v1"
V1 = "/api/v1"
NOVEMBER = EntryQuery(start=date(2026, 11, 1), end=date(2026, 11, 30))
UNKNOWN_UUID = "00000000-0000-0000-0000-000000000000"


# ----------------------------------------------------------------------- helpers


def services_of(ledger: LedgerDB) -> dict[str, str]:
    """Service name → its trackable string, `client:<uuid>`."""
    with ledger.transaction() as conn:
        rows = conn.execute("SELECT name, uuid FROM services ORDER BY id").fetchall()
    return {name: f"client:{uuid}" for name, uuid in rows}


def add_entries(
    ledger: LedgerDB,
    service: str,
    days: list[str],
    *,
    person_id: int | None = None,
    started_at: str | None = None,
    minutes: int = 30,
) -> list[str]:
    """Entries written straight into the ledger (fast, and for any person); their uuids."""
    with ledger.transaction(write=True) as conn:
        entries = Entries(conn, ledger)
        service_id = conn.execute("SELECT id FROM services WHERE name = ?", (service,)).fetchone()[
            0
        ]
        uuids = []
        for number, day in enumerate(days):
            values: dict[str, object] = {
                "date": day,
                "time": minutes,
                "note": f"{service} {number}",
                "person": person_id or ledger.identity.owner_person_id,
                "service": service_id,
            }
            if started_at:
                values["started_at"] = started_at
            row_id = entries.create(values)
            uuids.append(entries.require(row_id)["uuid"])
    return uuids


def add_person(ledger: LedgerDB, first: str, last: str) -> tuple[int, str]:
    with ledger.transaction(write=True) as conn:
        person_id = insert_person(
            conn, ledger.identity.organization_id, first_name=first, last_name=last
        )
    return person_id, derived_uuid("person", ledger.identity.organization_id, person_id)


def entry_row(ledger: LedgerDB, entry_uuid: str) -> Any:
    with ledger.transaction() as conn:
        return conn.execute("SELECT * FROM time_entries WHERE uuid = ?", (entry_uuid,)).fetchone()


def count_entries(ledger: LedgerDB) -> int:
    with ledger.transaction() as conn:
        return int(conn.execute("SELECT count(*) FROM time_entries").fetchone()[0])


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


Make = Callable[..., PlannrAdapter]


@pytest.fixture
async def make(
    ledger: LedgerDB, transport: FaultTransport, sleeps: Sleeps, clock: FakeClock
) -> AsyncIterator[Make]:
    made: list[PlannrAdapter] = []

    def factory(**options: Any) -> PlannrAdapter:
        settings: dict[str, Any] = {
            "base_url": BASE,
            "token": ledger.identity.token,
            "account_uuid": ledger.identity.account_uuid,
            "trackables": list(services_of(ledger).values()),
            "transport": transport,
            "sleep": sleeps,
            "clock": clock,
            "tz": UTC,
        }
        settings.update(options)
        adapter = PlannrAdapter(**settings)
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
def adapter(make: Make) -> PlannrAdapter:
    return make()


def list_calls(transport: FaultTransport) -> list[Any]:
    return [r for r in transport.calls("GET") if r.path.startswith(f"{V1}/time-entry/client/")]


# ------------------------------------------------------------------ the protocol


async def test_is_a_backend_with_timers_and_no_bulk_or_approvals(adapter: PlannrAdapter) -> None:
    assert isinstance(adapter, Backend)
    assert adapter.name == "plannr"
    caps = adapter.capabilities
    assert (caps.timers, caps.bulk, caps.approvals, caps.reject) == (True, False, False, False)
    assert adapter.http.rate_limiter is not None
    assert adapter.http.rate_limiter.limits == [(500, 60.0)]
    assert await adapter.tasks() == []


async def test_without_rate_limit_and_as_a_context_manager(make: Make) -> None:
    async with make(rate_limited=False) as adapter:
        assert adapter.http.rate_limiter is None
    assert adapter.http._client.is_closed


def test_a_malformed_trackable_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="type:uuid"):
        PlannrAdapter(
            base_url=BASE,
            token="t",
            account_uuid="a",
            trackables=["General"],
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


# ----------------------------------------------------------------------- timers


async def test_a_timer_forgotten_for_days_is_still_the_current_timer(
    adapter: PlannrAdapter, ledger: LedgerDB, clock: FakeClock
) -> None:
    clock.advance(days=-5)  # started on Friday, still running on Wednesday
    timer = await adapter.start_timer(services_of(ledger)["General"], note="Forgotten")
    clock.advance(days=5)
    current = await adapter.current_timer()
    assert current is not None and current.id == timer.id and current.running
    assert current.elapsed_seconds(clock()) == 5 * 24 * 3600


async def test_start_then_stop_after_28_minutes(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB, clock: FakeClock
) -> None:
    general = services_of(ledger)["General"]
    timer = await adapter.start_timer(general, note="Research\nThis is a description.")
    assert timer.running and timer.started_at == FROZEN_NOW
    (post,) = transport.calls("POST", f"{V1}/time-entry")
    assert post.body == {
        "trackable_type": "client",
        "trackable_uuid": general.split(":")[1],
        "name": "Research",
        "description": "This is a description.",
        "start_date": "2026-11-19T14:30:00+00:00",
    }
    assert post.headers["content-type"] == "application/json"
    assert post.headers["authorization"] == f"Bearer {ledger.identity.token}"
    assert post.headers["x-plannr-account-uuid"] == ledger.identity.account_uuid
    assert post.headers["accept"] == "application/json"

    current = await adapter.current_timer()
    assert current is not None and current.id == timer.id and current.running
    assert timer.service_id == current.service_id == general

    clock.advance(minutes=28)
    stopped = await adapter.stop_timer()
    assert stopped.entry.minutes == 28
    assert stopped.entry.id == timer.id
    assert stopped.entry.service_id == general
    assert stopped.entry.note == "Research\nThis is a description."
    assert stopped.entry.person_id == ledger.identity.account_uuid
    assert stopped.timer.stopped_at == FROZEN_NOW + timedelta(minutes=28)
    assert stopped.timer.total_minutes == 28 and not stopped.timer.running
    assert len(transport.calls("POST", f"{V1}/time-entry/{timer.id}/stop")) == 1

    assert await adapter.current_timer() is None
    row = entry_row(ledger, timer.id)
    assert row["time"] == 28 and row["timer_stopped_at"] is not None
    (got,) = await adapter.get_entries([timer.id])
    assert got.ok and got.entry is not None and got.entry.minutes == 28


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "data-wrapped"])
async def test_the_seeds_stop_answer_parses_into_28_minutes(
    adapter: PlannrAdapter,
    transport: FaultTransport,
    ledger: LedgerDB,
    clock: FakeClock,
    wrapped: bool,
) -> None:
    timer = await adapter.start_timer(services_of(ledger)["General"], note="Research")
    clock.advance(minutes=28)
    seed = seed_stop_body()
    served = {"data": seed} if wrapped else seed
    transport.inject(
        Fault.replace_body(json.dumps(served).encode(), "application/json"),
        method="POST",
        path=f"{V1}/time-entry/{timer.id}/stop",
    )
    stopped = await adapter.stop_timer(timer.id)
    assert seed["is_active"] is True  # the seed's quirk: stopped is judged by end_date
    assert stopped.entry.minutes == 28
    assert stopped.timer.elapsed_seconds(datetime.now(UTC)) == 1680
    assert stopped.timer.total_minutes == 28 and not stopped.timer.running
    assert stopped.entry.id == "2975ff1b-1e10-4843-834b-2b325751c375"
    assert stopped.entry.date == date(2025, 6, 26)
    assert stopped.entry.service_id == "client:615c2199-3d96-4a17-9f33-4cdecdc83c7f"
    assert stopped.entry.person_id == "ad8ae460-f07f-4a19-8ca0-66d11d40f1e0"
    assert stopped.entry.note == "Research\nThis is a description."
    assert entry_row(ledger, timer.id)["time"] == 28  # the ledger really stopped it too


async def test_a_stop_answer_without_an_end_date_or_start_is_a_bad_response(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB
) -> None:
    timer = await adapter.start_timer(services_of(ledger)["General"])
    running = {**seed_stop_body(), "end_date": None}
    transport.inject(
        Fault.replace_body(json.dumps(running).encode(), "application/json"), method="POST"
    )
    with pytest.raises(BadResponseError, match="no end date") as caught:
        await adapter.stop_timer(timer.id)
    assert str(caught.value).count(". ") == 0

    timer = await adapter.start_timer(services_of(ledger)["General"])
    broken = {k: v for k, v in seed_stop_body().items() if k != "start_date"}
    transport.inject(
        Fault.replace_body(json.dumps(broken).encode(), "application/json"), method="POST"
    )
    with pytest.raises(BadResponseError) as caught:
        await adapter.stop_timer(timer.id)
    message = str(caught.value)
    assert "start_date" in message and "cannot read" in message
    for leak in ("validation error", "pydantic", "input_value", "\n"):
        assert leak not in message


async def test_a_stop_whose_answer_was_lost_is_reconciled_by_reading(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB, clock: FakeClock
) -> None:
    timer = await adapter.start_timer(services_of(ledger)["General"])
    clock.advance(minutes=28)
    stop_path = f"{V1}/time-entry/{timer.id}/stop"
    transport.inject(Fault.reset_after_send(), method="POST", path=stop_path)
    stopped = await adapter.stop_timer(timer.id)
    assert stopped.entry.minutes == 28 and stopped.timer.stopped_at is not None
    assert len(transport.calls("POST", stop_path)) == 1  # never stopped twice
    assert transport.requests[-1].method == "GET"
    assert transport.requests[-1].path == f"{V1}/time-entry/{timer.id}"


async def test_a_stop_that_was_not_applied_stays_outcome_unknown(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB
) -> None:
    timer = await adapter.start_timer(services_of(ledger)["General"])
    transport.inject(
        Fault.status_code(502, body={"message": "Bad gateway"}, content_type="application/json"),
        method="POST",
    )
    with pytest.raises(OutcomeUnknownError):
        await adapter.stop_timer(timer.id)
    assert transport.requests[-1].method == "GET"
    current = await adapter.current_timer()
    assert current is not None and current.id == timer.id


async def test_stop_with_no_timer_running_says_so(adapter: PlannrAdapter) -> None:
    with pytest.raises(NotFoundError, match=r"No timer is running\."):
        await adapter.stop_timer()


# ---------------------------------------------------------------------- listing


async def test_listing_pages_through_each_trackable(
    make: Make, transport: FaultTransport, ledger: LedgerDB
) -> None:
    november = [f"2026-11-{(n % 30) + 1:02d}" for n in range(450)]
    admin = add_entries(ledger, "Admin", november)
    (meeting,) = add_entries(ledger, "Meetings", ["2026-11-19"])
    outside = add_entries(ledger, "Admin", ["2026-10-31", "2026-12-01", "2026-10-01"])
    names = services_of(ledger)

    adapter = make()
    batches = [b async for b in adapter.iter_entries(NOVEMBER)]
    calls = list_calls(transport)
    assert len(calls) == 3 and len(batches) == 3  # 0, 1 and 450 entries: one page each
    assert {c.path.rsplit("/", 1)[1] for c in calls} == {s.split(":")[1] for s in names.values()}
    for call in calls:
        assert call.params["filter[between]"] == "2026-10-31,2026-12-01"
        assert (call.params["per_page"], call.params["page"]) == ("500", "1")
    assert sorted(len(b.entries) for b in batches) == [0, 1, 450]

    merged = await adapter.list_entries(NOVEMBER)
    ids = [e.id for e in merged.entries]
    assert len(ids) == 451 and set(ids) == {*admin, meeting}
    assert not set(outside) & set(ids)
    assert all(NOVEMBER.start <= e.date <= NOVEMBER.end for e in merged.entries)
    assert merged.services == {
        names["Admin"]: merged.services[names["Admin"]],
        names["Meetings"]: merged.services[names["Meetings"]],
    }
    assert merged.services[names["Admin"]].name == "Admin"
    assert list(merged.people) == [ledger.identity.account_uuid]

    transport.requests.clear()
    small = make(page_size=100)
    paged = await small.list_entries(NOVEMBER)
    assert [e.id for e in paged.entries] == ids
    calls = list_calls(transport)
    admin_uuid = names["Admin"].split(":")[1]
    assert sorted(int(c.params["page"]) for c in calls if c.path.endswith(admin_uuid)) == [
        1,
        2,
        3,
        4,
        5,
    ]  # 450 + 2 on the edge days, 100 a page
    assert len(calls) == 7


async def test_listing_filters_people_and_statuses(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB
) -> None:
    ada_id, ada = add_person(ledger, "Ada", "Lovelace")
    mine = add_entries(ledger, "Admin", ["2026-11-02", "2026-11-03"])
    hers = add_entries(
        ledger, "Admin", ["2026-11-02", "2026-11-04", "2026-11-05"], person_id=ada_id
    )

    only_hers = await adapter.list_entries(
        EntryQuery(NOVEMBER.start, NOVEMBER.end, person_ids=(ada,))
    )
    assert {e.id for e in only_hers.entries} == set(hers)
    assert all(e.person_id == ada for e in only_hers.entries)
    assert only_hers.people[ada].name == "Ada Lovelace"
    only_mine = await adapter.list_entries(
        EntryQuery(NOVEMBER.start, NOVEMBER.end, person_ids=(ledger.identity.account_uuid,))
    )
    assert {e.id for e in only_mine.entries} == set(mine)
    assert {p.id for p in await adapter.people()} == {ledger.identity.account_uuid, ada}

    drafts = await adapter.list_entries(
        EntryQuery(NOVEMBER.start, NOVEMBER.end, statuses=(EntryStatus.draft, EntryStatus.approved))
    )
    assert len(drafts.entries) == 5
    assert all(e.status is EntryStatus.draft for e in drafts.entries)

    transport.requests.clear()
    approved = await adapter.list_entries(
        EntryQuery(NOVEMBER.start, NOVEMBER.end, statuses=(EntryStatus.approved,))
    )
    assert approved.entries == [] and transport.requests == []


async def test_days_are_written_and_read_in_the_local_timezone(
    make: Make, transport: FaultTransport, ledger: LedgerDB
) -> None:
    brisbane = make(tz=timezone(timedelta(hours=10)))
    day = date(2026, 11, 19)
    (created,) = await brisbane.create_entries(
        [Entry(date=day, minutes=60, note="Call", service_id=services_of(ledger)["General"])]
    )
    assert created.ok and created.entry is not None and created.entry.id
    (post,) = transport.calls("POST")
    assert post.body["start_date"] == "2026-11-19T09:00:00+10:00"
    assert post.body["end_date"] == "2026-11-19T10:00:00+10:00"
    (got,) = await brisbane.get_entries([created.entry.id])
    assert got.entry is not None and got.entry.date == day  # the server says 18T23:00Z
    listed = await brisbane.list_entries(EntryQuery(day, day))
    assert [e.id for e in listed.entries] == [created.entry.id]
    assert (
        await brisbane.list_entries(EntryQuery(day - timedelta(days=1), day - timedelta(days=1)))
    ).entries == []


async def test_services_and_people_take_names_from_what_was_listed(
    adapter: PlannrAdapter, ledger: LedgerDB, transport: FaultTransport
) -> None:
    names = services_of(ledger)
    me = await adapter.current_person()
    assert me.id == ledger.identity.account_uuid
    # A trackable whose account cannot be read, and that has no entry yet: its id.
    transport.inject(
        Fault.status_code(404, body={"message": "Not found."}),
        match=lambda request: request.url.path.startswith(f"{V1}/account/"),
        times=3,
    )
    before = await adapter.services()
    assert [s.id for s in before] == list(names.values())
    assert [s.name for s in before] == list(names.values())

    add_entries(ledger, "General", ["2026-11-02"])
    add_entries(ledger, "Meetings", ["2026-11-02"])
    await adapter.list_entries(NOVEMBER)
    after = {s.id: s.name for s in await adapter.services()}
    assert after[names["General"]] == "General" and after[names["Meetings"]] == "Meetings"
    assert after[names["Admin"]] == names["Admin"]  # asked once a session: still its id
    with ledger.transaction() as conn:
        first = conn.execute(
            "SELECT first_name FROM people WHERE id = ?", (ledger.identity.owner_person_id,)
        ).fetchone()[0]
    assert (await adapter.current_person()).first_name == first


async def test_a_429_is_waited_out_with_the_injected_sleep(
    adapter: PlannrAdapter, transport: FaultTransport, sleeps: Sleeps
) -> None:
    transport.inject(
        Fault.status_code(
            429,
            headers={"Retry-After": "2"},
            body={"message": "Too Many Attempts."},
            content_type="application/json",
        ),
        method="GET",
    )
    batch = await adapter.list_entries(NOVEMBER)
    assert batch.entries == [] and sleeps.calls == [2.0]


# ----------------------------------------------------------------------- writes


async def test_create_ten_at_no_more_than_four_at_once(
    make: Make, transport: FaultTransport, ledger: LedgerDB
) -> None:
    counted = InFlight(transport)
    adapter = make(transport=counted)
    general = services_of(ledger)["General"]
    entries = [
        Entry(
            date=date(2026, 11, 10 + n),
            minutes=15 * (n + 1),
            note=f"Item {n}\nline two" if n % 2 else f"Item {n}",
            service_id=general,
        )
        for n in range(10)
    ]
    results = await adapter.create_entries(entries)
    assert len(transport.calls("POST", f"{V1}/time-entry")) == 10
    assert counted.peak == 4
    assert [r.index for r in results] == list(range(10))
    assert all(r.outcome is Outcome.ok for r in results)
    assert [r.entry.note if r.entry else None for r in results] == [e.note for e in entries]
    assert [r.entry.minutes if r.entry else None for r in results] == [e.minutes for e in entries]
    assert [r.entry.date if r.entry else None for r in results] == [e.date for e in entries]
    assert len({r.id for r in results}) == 10 and all(r.id for r in results)
    bodies = {c.body["name"]: c.body for c in transport.calls("POST")}
    assert bodies["Item 3"] == {
        "trackable_type": "client",
        "trackable_uuid": general.split(":")[1],
        "name": "Item 3",
        "description": "line two",
        "start_date": "2026-11-13T09:00:00+00:00",
        "end_date": "2026-11-13T10:00:00+00:00",
        "total_time_in_minutes": 60,
    }
    assert "description" not in bodies["Item 0"]
    assert count_entries(ledger) == 10


async def test_only_the_bad_items_of_a_create_fail(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB
) -> None:
    general = services_of(ledger)["General"]
    _, ada = add_person(ledger, "Ada", "Lovelace")
    day = date(2026, 11, 18)
    results = await adapter.create_entries(
        [
            Entry(date=day, minutes=30, note="good", service_id=general),
            Entry(date=day, minutes=30, note="unknown", service_id=f"client:{UNKNOWN_UUID}"),
            Entry(date=day, minutes=30, note="malformed", service_id="General"),
            Entry(date=day, minutes=30, note="no service"),
            Entry(date=day, minutes=30, note="someone else", service_id=general, person_id=ada),
            Entry(date=day, minutes=30, note="", service_id=general),
        ]
    )
    assert [r.outcome for r in results] == [
        Outcome.ok,
        Outcome.failed,
        Outcome.failed,
        Outcome.failed,
        Outcome.failed,
        Outcome.ok,
    ]
    assert "trackable uuid is invalid" in (results[1].error or "")
    assert "not a Plannr trackable" in (results[2].error or "")
    assert "needs a trackable" in (results[3].error or "")
    assert "another person" in (results[4].error or "")
    assert results[5].entry is not None and results[5].entry.note == "Time entry"
    assert len(transport.calls("POST")) == 3  # the locally refused ones were never sent
    assert count_entries(ledger) == 2


async def test_a_create_whose_answer_was_lost_is_unknown(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB
) -> None:
    general = services_of(ledger)["General"]
    transport.inject(
        Fault.reset_after_send(),
        method="POST",
        match=lambda request: b'"Item 1"' in request.content,
    )
    results = await adapter.create_entries(
        [
            Entry(date=date(2026, 11, 18), minutes=30, note=f"Item {n}", service_id=general)
            for n in range(3)
        ]
    )
    assert [r.outcome for r in results] == [Outcome.ok, Outcome.unknown, Outcome.ok]
    assert "may or may not" in (results[1].error or "")
    assert len(transport.calls("POST")) == 3  # not resent
    assert count_entries(ledger) == 3  # the server did apply it


@pytest.mark.parametrize("answer", [b"", b'{"created": true}'])
async def test_a_create_whose_answer_cannot_be_read_is_unknown(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB, answer: bytes
) -> None:
    general = services_of(ledger)["General"]
    transport.inject(Fault.replace_body(answer, "application/json"), method="POST")
    (result,) = await adapter.create_entries(
        [Entry(date=date(2026, 11, 18), minutes=30, note="Item", service_id=general)]
    )
    assert result.outcome is Outcome.unknown  # re-read by the store, never resent
    assert len(transport.calls("POST")) == 1 and count_entries(ledger) == 1


async def test_update_sends_only_the_changed_fields(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB
) -> None:
    names = services_of(ledger)
    noted, timed, moved = add_entries(
        ledger, "General", ["2026-11-18"] * 3, started_at="2026-11-18T13:15:00+00:00", minutes=60
    )
    _, ada = add_person(ledger, "Ada", "Lovelace")
    changes = [
        EntryChange(noted, {"note": "New name\nMore words", "service_id": names["Meetings"]}),
        EntryChange(timed, {"minutes": 45}),
        EntryChange(moved, {"date": date(2026, 11, 16)}),
        EntryChange(noted, {"person_id": ada}),
        EntryChange("missing-uuid", {"note": "x"}),
    ]
    results = await adapter.update_entries(changes)
    assert [r.outcome for r in results] == [Outcome.ok] * 3 + [Outcome.failed] * 2
    assert [r.id for r in results] == [c.id for c in changes]
    puts = {c.path.rsplit("/", 1)[1]: c.body for c in transport.calls("PUT")}
    assert puts[noted] == {
        "name": "New name",
        "description": "More words",
        "trackable_type": "client",
        "trackable_uuid": names["Meetings"].split(":")[1],
    }
    assert puts[timed] == {"total_time_in_minutes": 45, "end_date": "2026-11-18T14:00:00+00:00"}
    assert puts[moved] == {
        "start_date": "2026-11-16T13:15:00+00:00",
        "end_date": "2026-11-16T14:15:00+00:00",
        "total_time_in_minutes": 60,
    }
    assert len(transport.calls("PUT", f"{V1}/time-entry/{noted}")) == 1  # no person move sent
    assert "another person" in (results[3].error or "")
    # The refusal names the entry and the server's reason, not the route.
    assert results[4].missing
    assert results[4].error == (
        "Plannr refused to change entry missing-uuid: No time entry with uuid missing-uuid."
    )

    first, second, third = (r.entry for r in results[:3])
    assert first is not None and first.note == "New name\nMore words"
    assert first.service_id == names["Meetings"]
    assert second is not None and second.minutes == 45
    assert third is not None and third.date == date(2026, 11, 16) and third.minutes == 60
    assert entry_row(ledger, moved)["date"] == "2026-11-16"

    cleared = await adapter.update_entries([EntryChange(noted, {"note": "Only a name"})])
    assert cleared[0].entry is not None and cleared[0].entry.note == "Only a name"


async def test_changing_a_running_entry_sends_no_end(
    adapter: PlannrAdapter, transport: FaultTransport, ledger: LedgerDB
) -> None:
    timer = await adapter.start_timer(services_of(ledger)["General"], note="Running")
    (result,) = await adapter.update_entries([EntryChange(timer.id, {"minutes": 10})])
    assert result.ok, result.error
    assert transport.calls("PUT")[-1].body == {"total_time_in_minutes": 10}
    assert (await adapter.current_timer()) is not None


async def test_delete_and_get_report_each_item(adapter: PlannrAdapter, ledger: LedgerDB) -> None:
    kept, gone = add_entries(ledger, "General", ["2026-11-18", "2026-11-19"])
    deleted = await adapter.delete_entries([gone, "missing-uuid"])
    assert [r.outcome for r in deleted] == [Outcome.ok, Outcome.failed]
    assert [r.id for r in deleted] == [gone, "missing-uuid"]
    assert entry_row(ledger, gone) is None and count_entries(ledger) == 1

    got = await adapter.get_entries([kept, gone])
    assert [r.outcome for r in got] == [Outcome.ok, Outcome.failed]
    assert got[0].entry is not None and got[0].entry.id == kept
    assert "404" in (got[1].error or "")


async def test_approvals_are_unsupported(adapter: PlannrAdapter, transport: FaultTransport) -> None:
    for call in (
        adapter.approve_entries(["a"], for_all_approvers=True),
        adapter.unapprove_entries(["a"]),
        adapter.reject_entry("a", "why"),
    ):
        with pytest.raises(UnsupportedError, match="no approvals"):
            await call
    assert transport.requests == []


# -------------------------------------------------------------- no trackables


async def test_without_trackables_listing_and_current_timer_say_what_is_missing(
    make: Make, transport: FaultTransport, ledger: LedgerDB, clock: FakeClock
) -> None:
    adapter = make(trackables=())
    with pytest.raises(UnsupportedError, match="trackables") as caught:
        await adapter.list_entries(NOVEMBER)
    assert 'trackables = ["client:<uuid>"]' in str(caught.value)
    with pytest.raises(UnsupportedError, match="trackables"):
        async for _ in adapter.iter_entries(NOVEMBER):
            pass
    with pytest.raises(UnsupportedError, match="trackables"):
        await adapter.current_timer()
    with pytest.raises(UnsupportedError, match="trackables"):
        await adapter.stop_timer()
    assert transport.requests == [] and await adapter.services() == []

    # Starting, and stopping a timer by its id, need no trackables.
    timer = await adapter.start_timer(services_of(ledger)["Admin"])
    clock.advance(minutes=3)
    assert (await adapter.stop_timer(timer.id)).entry.minutes == 3


# ------------------------------------------------------------- auth and secrets


def test_laravel_problems_point_at_the_single_item() -> None:
    body = {
        "message": "The given data was invalid.",
        "errors": {"name": ["The name field is required."], "start_date": "Bad."},
    }
    assert laravel_problems(body) == [
        ItemProblem(0, "The name field is required.", "name"),
        ItemProblem(0, "Bad.", "start_date"),
    ]
    assert laravel_problems({"message": "Nope."}) == [ItemProblem(0, "Nope.")]
    assert laravel_problems(["x"]) == [] and laravel_problems({}) == []


async def test_a_refused_token_is_an_auth_error_that_never_shows_the_token(
    make: Make, ledger: LedgerDB, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-token-8f1e2d3c4b5a"
    adapter = make(token=wrong)
    with pytest.raises(AuthError) as caught:
        await adapter.list_entries(NOVEMBER)
    assert caught.value.status == 401
    with pytest.raises(AuthError):
        await adapter.create_entries(
            [Entry(date=date(2026, 11, 18), minutes=5, service_id=services_of(ledger)["General"])]
        )
    with pytest.raises(AuthError):
        await adapter.stop_timer("some-uuid")
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert wrong not in repr(adapter)
    assert wrong not in caplog.text
    assert caplog.records  # the HTTP layer did log (redacted)


async def test_the_token_stays_out_of_logs_and_item_errors(
    adapter: PlannrAdapter,
    transport: FaultTransport,
    ledger: LedgerDB,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = ledger.identity.token
    general = services_of(ledger)["General"]
    transport.inject(
        Fault.status_code(
            422,
            body={"message": f"Bad {token}", "errors": {"name": [f"token {token} is odd."]}},
            content_type="application/json",
        ),
        method="POST",
    )
    (result,) = await adapter.create_entries(
        [Entry(date=date(2026, 11, 18), minutes=5, note="x", service_id=general)]
    )
    assert result.outcome is Outcome.failed
    assert result.error == "token *** is odd."
    timer = await adapter.start_timer(general)
    clock.advance(minutes=1)
    await adapter.stop_timer()
    await adapter.list_entries(NOVEMBER)
    assert timer.id in caplog.text and token not in caplog.text


async def test_a_wrong_account_is_forbidden_for_the_whole_call(
    make: Make, transport: FaultTransport, ledger: LedgerDB
) -> None:
    adapter = make(account_uuid=UNKNOWN_UUID, concurrency=1)
    general = services_of(ledger)["General"]
    with pytest.raises(ForbiddenError):
        await adapter.create_entries(
            [Entry(date=date(2026, 11, 18), minutes=5, service_id=general)] * 3
        )
    assert len(transport.calls("POST")) == 1  # no more were started after the refusal


# ------------------------------------------------------------------- loopback


@pytest.mark.loopback
async def test_core_flow_over_a_real_loopback_port(
    loopback: LoopbackServer, ledger: LedgerDB, clock: FakeClock, sleeps: Sleeps
) -> None:
    names = services_of(ledger)
    async with PlannrAdapter(
        base_url=f"{loopback.url}/api/v1",
        token=ledger.identity.token,
        account_uuid=ledger.identity.account_uuid,
        trackables=list(names.values()),
        sleep=sleeps,
        clock=clock,
        tz=UTC,
    ) as adapter:
        timer = await adapter.start_timer(names["General"], note="Research")
        assert (await adapter.current_timer()) is not None
        clock.advance(minutes=28)
        stopped = await adapter.stop_timer()
        assert stopped.entry.minutes == 28 and stopped.timer.id == timer.id
        assert await adapter.current_timer() is None

        created = await adapter.create_entries(
            [
                Entry(
                    date=date(2026, 11, 2 + n),
                    minutes=30,
                    note=f"Item {n}",
                    service_id=names["Meetings"],
                )
                for n in range(6)
            ]
        )
        assert all(r.ok for r in created)
        listed = await adapter.list_entries(NOVEMBER)
        assert len(listed.entries) == 7
        assert listed.services[names["Meetings"]].name == "Meetings"
        deleted = await adapter.delete_entries([r.id for r in created if r.id])
        assert all(r.ok for r in deleted)
        assert len((await adapter.list_entries(NOVEMBER)).entries) == 1

    async with PlannrAdapter(
        base_url=f"{loopback.url}/api/v1",
        token="wrong",
        account_uuid="x",
        trackables=list(names.values()),
        sleep=sleeps,
    ) as refused:
        with pytest.raises(AuthError):
            await refused.list_entries(NOVEMBER)


async def test_a_trackable_that_claims_a_billion_pages_is_refused(
    ledger, transport, make: Make
) -> None:
    lie = {"data": [], "meta": {"current_page": 1, "last_page": 10**9, "total": 10**12}}
    transport.inject(
        Fault.replace_body(json.dumps(lie).encode(), content_type="application/json"),
        match=lambda request: request.url.path.startswith(f"{V1}/time-entry/client/"),
    )
    adapter = make()
    with pytest.raises(BadResponseError, match="runs to 1,000,000,000 pages, more than the 10,000"):
        await adapter.list_entries(NOVEMBER)
    assert len(list_calls(transport)) <= len(services_of(ledger))  # page 1 of each, no more


# ------------------------------------------------------------------- trackable names


def account_calls(transport: FaultTransport) -> list[str]:
    return [r.path for r in transport.calls("GET") if r.path.startswith(f"{V1}/account/")]


async def test_trackables_are_named_before_any_entry_exists(
    adapter: PlannrAdapter, ledger: LedgerDB, transport: FaultTransport
) -> None:
    names = services_of(ledger)
    services = await adapter.services()
    assert [(s.id, s.name) for s in services] == [(t, n) for n, t in names.items()]
    assert not any(s.name.startswith("Client ") for s in services)
    assert sorted(account_calls(transport)) == sorted(
        f"{V1}/account/{t.split(':')[1]}" for t in names.values()
    )
    await adapter.services()  # once a session
    assert len(account_calls(transport)) == len(names)


async def test_a_trackable_whose_account_is_unreadable_is_named_by_its_entries(
    adapter: PlannrAdapter, ledger: LedgerDB, transport: FaultTransport
) -> None:
    names = services_of(ledger)
    add_entries(ledger, "Meetings", ["2026-11-02"])
    transport.inject(
        Fault.status_code(403, body={"message": "This action is unauthorized."}),
        match=lambda request: request.url.path.startswith(f"{V1}/account/"),
        times=3,
    )
    named = {s.id: s.name for s in await adapter.services()}
    assert named[names["Meetings"]] == "Meetings"
    assert named[names["General"]] == names["General"]  # no account, no entry: its id
    latest = [c for c in list_calls(transport) if c.params.get("per_page") == "1"]
    assert len(latest) == 3


async def test_naming_trackables_raises_a_refused_token(make: Make, ledger: LedgerDB) -> None:
    adapter = make(token="wrong")
    with pytest.raises(AuthError):
        await adapter.services()


async def test_trackables_of_services_with_a_deal_name_where_they_belong(
    make: Make, ledger: LedgerDB
) -> None:
    with ledger.transaction(write=True) as conn:
        org = ledger.identity.organization_id
        acme = insert_project(conn, name="Acme")
        website = insert_deal(conn, name="Website", project_id=acme)
        design = insert_service(conn, org, name="Design", deal_id=website)
        uuid = conn.execute("SELECT uuid FROM services WHERE id = ?", (design,)).fetchone()[0]
    adapter = make(trackables=[f"client:{uuid}"])
    assert [s.name for s in await adapter.services()] == ["Design (Acme › Website)"]
