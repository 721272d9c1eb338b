"""Timers people trust, in the store against the ledger in both dialects: stop at an
earlier time (also on a resumed entry), start in the past, discard a mistake (and its
refusal), a stop under a minute, and a Productive that ignores `started_at`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import JSONAPI, FakeClock, productive_headers
from tests.faults import FaultTransport
from tui.api.plannr import PlannrAdapter
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.entries import Entries
from tui.store.store import StagingError, Store, StoreSettings
from tui.store.timers import TimerStarts, clock_text, parse_start_at, parse_stop_at
from tui.store.values import ValueProblem

pytestmark = pytest.mark.anyio
DIALECTS = ("productive", "plannr")
GENERAL = "1"


# ------------------------------------------------------------------ reading times


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute).astimezone()


def test_hh_mm_is_the_latest_such_moment_since_the_start() -> None:
    start = local(2026, 11, 18, 16, 0)
    now = local(2026, 11, 19, 9, 0)
    # An overnight timer stops at yesterday's 17:30, today's is still to come.
    assert parse_stop_at("17:30", start=start, now=now) == local(2026, 11, 18, 17, 30)
    assert parse_stop_at("8:15", start=start, now=now) == local(2026, 11, 19, 8, 15)
    assert parse_stop_at("30m ago", start=start, now=now) == now - timedelta(minutes=30)
    assert parse_stop_at("1h ago", start=start, now=now) == now - timedelta(hours=1)
    assert parse_stop_at("5 min ago", start=start, now=now) == now - timedelta(minutes=5)
    assert parse_stop_at("", start=start, now=now) == now


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("15:00", "before the timer started (16:00)"),
        ("20h ago", "before the timer started"),
        ("2026-11-19 19:00", "is in the future"),
        ("19:30", "is in the future"),  # today's 19:30 is to come, not yesterday's
        ("soon", "is not a time"),
        ("25:00", "is not a time of day"),
    ],
)
def test_a_stop_time_outside_the_timer_is_one_sentence(text: str, says: str) -> None:
    start = local(2026, 11, 19, 16, 0)
    now = local(2026, 11, 19, 18, 0)
    with pytest.raises(ValueProblem) as refused:
        parse_stop_at(text, start=start, now=now)
    message = str(refused.value)
    assert says in message and message.endswith(".") and message.count(". ") == 0


def test_a_time_of_another_day_names_its_day() -> None:
    now = local(2026, 11, 19, 10, 0)
    assert clock_text(local(2026, 11, 19, 9, 5), now) == "09:05"
    assert clock_text(local(2026, 11, 18, 23, 0), now) == "yesterday 23:00"
    assert clock_text(local(2026, 11, 16, 8, 30), now) == "Mon 16 08:30"


def test_a_start_in_the_past_is_at_most_a_day_ago() -> None:
    now = local(2026, 11, 19, 10, 0)
    assert parse_start_at(None, "20m", now=now) == now - timedelta(minutes=20)
    assert parse_start_at("9:00", None, now=now) == local(2026, 11, 19, 9, 0)
    assert parse_start_at("11:00", None, now=now) == local(2026, 11, 18, 11, 0)
    assert parse_start_at(None, None, now=now) is None
    with pytest.raises(ValueProblem, match="longer than a day"):
        parse_start_at(None, "25h", now=now)
    with pytest.raises(ValueProblem, match="in the future"):
        parse_start_at("2026-11-19 11:00", None, now=now)
    with pytest.raises(ValueProblem, match="not both"):
        parse_start_at("9:00", "20m", now=now)


# ------------------------------------------------------------------ against the ledger


@pytest.fixture
def transport(ledger: LedgerDB, clock: FakeClock) -> FaultTransport:
    return FaultTransport(httpx.ASGITransport(app=create_app(ledger, clock=clock)))


def backend_for(dialect: str, ledger: LedgerDB, transport: Any, clock: FakeClock) -> Any:
    if dialect == "plannr":
        with ledger.transaction() as conn:
            uuids = [u for (u,) in conn.execute("SELECT uuid FROM services ORDER BY id")]
        return PlannrAdapter(
            base_url="http://ledger/api/v1",
            token=ledger.identity.token,
            account_uuid=ledger.identity.account_uuid,
            trackables=[f"client:{u}" for u in uuids],
            transport=transport,
            rate_limited=False,
            clock=clock,
            tz=UTC,
        )
    return ProductiveAdapter.for_ledger(ledger, transport=transport)


@pytest.fixture(params=DIALECTS)
async def store(
    request: pytest.FixtureRequest, ledger: LedgerDB, transport: FaultTransport, clock: FakeClock
) -> AsyncIterator[Store]:
    made = Store(
        backend_for(request.param, ledger, transport, clock),
        clock=clock,
        settings=StoreSettings(rounding_minutes=15),
    )
    made.me = await made.backend.current_person()
    yield made
    await made.backend.aclose()


def target(store: Store, ledger: LedgerDB, service: str = GENERAL) -> str:
    """What a timer runs on in the store's dialect: a service id, or a Plannr trackable."""
    if isinstance(store.backend, PlannrAdapter):
        with ledger.transaction() as conn:
            (uuid,) = conn.execute("SELECT uuid FROM services WHERE id = ?", (int(service),))
            return f"client:{uuid[0]}"
    return service


def resume(ledger: LedgerDB, minutes: int) -> int:
    """An entry that holds `minutes` already, and a timer resumed on it now."""
    with ledger.transaction(write=True) as conn:
        entries = Entries(conn, ledger)
        entry_id = entries.create(
            {
                "date": ledger.clock().date().isoformat(),
                "time": minutes,
                "person": ledger.identity.owner_person_id,
                "service": 1,
                "note": "Resumed",
            }
        )
        entries.start_timer(entry_id=entry_id)
        return entry_id


def entry_minutes(ledger: LedgerDB, entry_id: int) -> int | None:
    with ledger.transaction() as conn:
        row = conn.execute("SELECT time FROM time_entries WHERE id = ?", (entry_id,)).fetchone()
    return row[0] if row else None


def entry_id_of(ledger: LedgerDB, store_id: str) -> int:
    """The ledger's id of an entry the store names (a Plannr uuid or a Productive id)."""
    if store_id.isdigit():
        return int(store_id)
    with ledger.transaction() as conn:
        found = conn.execute("SELECT id FROM time_entries WHERE uuid = ?", (store_id,))
        return int(found.fetchone()[0])


def writes(transport: FaultTransport) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in transport.calls() if c.method != "GET"]


async def test_stop_at_on_a_resumed_entry_is_what_it_held_plus_the_span(
    store: Store, ledger: LedgerDB, transport: FaultTransport, clock: FakeClock
) -> None:
    entry_id = resume(ledger, 60)
    timer = await store.refresh_timer()
    assert timer is not None
    clock.advance(minutes=90)
    result = await store.stop_timer(at=clock.now - timedelta(minutes=30))
    # 60 before this timer, plus 60 from its start to the time given (not 90).
    assert result.minutes == 120 and result.entry.minutes == 120
    assert entry_minutes(ledger, entry_id) == 120
    patches = [w for w in writes(transport) if w[0] in ("PATCH", "PUT")]
    stops = [w for w in patches if "stop" in w[1]]
    assert len(patches) - len(stops) == 1  # the stop, then one PATCH of the minutes
    assert result.rounded_minutes == 120 and not result.short
    # A plain stop keeps the server's minutes and sends no PATCH.
    resume(ledger, 0)
    await store.refresh_timer()
    clock.advance(minutes=28)
    before = len(writes(transport))
    plain = await store.stop_timer()
    assert plain.minutes == 28 and len(writes(transport)) == before + 1


async def test_a_timer_started_in_the_past_runs_from_then(
    store: Store, ledger: LedgerDB, clock: FakeClock
) -> None:
    since = clock.now - timedelta(minutes=20)
    timer = await store.start_timer(target(store, ledger), note="Late start", started_at=since)
    assert timer.started_at == since and store.timer_notice is None
    assert (await store.refresh_timer()).started_at == since  # type: ignore[union-attr]
    clock.advance(minutes=10)
    result = await store.stop_timer()
    assert result.minutes == 30


async def test_discard_stops_the_timer_and_deletes_its_entry(
    store: Store, ledger: LedgerDB, clock: FakeClock
) -> None:
    timer = await store.start_timer(target(store, ledger), note="Oops")
    assert timer.entry_id is not None
    ledger_id = entry_id_of(ledger, timer.entry_id)
    clock.advance(minutes=3)
    gone = await store.discard_timer()
    assert gone.id == timer.id
    assert entry_minutes(ledger, ledger_id) is None
    assert await store.refresh_timer() is None


async def test_discard_refuses_an_entry_holding_earlier_time_and_sends_nothing(
    store: Store, ledger: LedgerDB, transport: FaultTransport, clock: FakeClock
) -> None:
    entry_id = resume(ledger, 45)
    await store.refresh_timer()
    clock.advance(minutes=5)
    with pytest.raises(StagingError) as refused:
        await store.discard_timer()
    assert "holds 0:45 from before this timer" in str(refused.value)
    assert writes(transport) == []
    assert entry_minutes(ledger, entry_id) == 45
    assert (await store.refresh_timer()) is not None  # still running


async def test_a_stop_under_a_minute_offers_discard_not_rounding(
    store: Store, ledger: LedgerDB, clock: FakeClock
) -> None:
    await store.start_timer(target(store, ledger), note="Mistake")
    clock.advance(seconds=4)
    result = await store.stop_timer()
    assert result.short and result.rounded_minutes is None
    assert store.staged_count == 0  # no "Rounding to 0:15 is staged"
    ledger_id = entry_id_of(ledger, result.entry.id)
    await store.discard_timer(result.timer.id)
    assert entry_minutes(ledger, ledger_id) is None


# ------------------------------------------- a Productive that ignores started_at


def ignoring_started_at(app: Any) -> Any:
    """The ledger behind a server that drops `started_at` from `POST /timers`, as
    Productive may (unconfirmed): the timer starts when the request arrives."""

    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not (
            scope["method"] == "POST" and scope["path"].endswith("/timers")
        ):
            await app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = json.loads(b"".join(chunks))
        body["data"].pop("attributes", None)
        data = json.dumps(body).encode()
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": data, "more_body": False}

        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
        await app({**scope, "headers": headers}, replay, send)

    return wrapper


async def test_an_ignored_start_is_made_up_at_stop_with_one_patch_and_told_once(
    ledger: LedgerDB, clock: FakeClock, tmp_path: Any
) -> None:
    transport = FaultTransport(
        httpx.ASGITransport(app=ignoring_started_at(create_app(ledger, clock=clock)))
    )

    def open_store() -> Store:
        # A start and a later stop may be two processes: they share the starts file.
        starts = TimerStarts(tmp_path / "work.timers.json")
        backend = ProductiveAdapter.for_ledger(ledger, transport=transport)
        return Store(backend, clock=clock, timer_starts=starts)

    first = open_store()
    since = clock.now - timedelta(minutes=20)
    timer = await first.start_timer(GENERAL, note="Forgot to start", started_at=since)
    assert timer.started_at == since  # shown from the start asked for
    assert first.timer_notice is not None
    assert "ignored the start time" in first.timer_notice and "0:20" in first.timer_notice
    await first.backend.aclose()

    second = open_store()
    shown = await second.refresh_timer()
    assert shown is not None and shown.started_at == since
    clock.advance(minutes=10)
    patches_before = len(transport.calls("PATCH", "/api/v2/time_entries"))
    result = await second.stop_timer()
    assert result.minutes == 30  # 10 timed by the server + the 20 it missed
    assert len(transport.calls("PATCH", "/api/v2/time_entries")) == patches_before + 1
    assert entry_minutes(ledger, int(result.entry.id)) == 30
    assert second.timer_notice is None  # told once, at the start
    await second.backend.aclose()
    assert json.loads((tmp_path / "work.timers.json").read_text()) == {}


# ------------------------------------------------------------------ the ledger itself


async def test_the_ledgers_post_timers_honours_started_at(
    ledger: LedgerDB, transport: FaultTransport, clock: FakeClock
) -> None:
    headers = {**productive_headers(ledger), "Content-Type": JSONAPI}

    def body(started_at: object) -> dict[str, Any]:
        return {
            "data": {
                "type": "timers",
                "attributes": {"started_at": started_at},
                "relationships": {"service": {"data": {"type": "services", "id": GENERAL}}},
            }
        }

    async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
        for refused in ((clock.now + timedelta(minutes=5)).isoformat(), "9 o'clock", 5):
            answer = await client.post("/api/v2/timers", json=body(refused), headers=headers)
            assert answer.status_code == 422, refused
            assert answer.json()["errors"][0]["source"]["pointer"].endswith("started_at")
        since = clock.now - timedelta(minutes=20)
        answer = await client.post("/api/v2/timers", json=body(since.isoformat()), headers=headers)
        assert answer.status_code == 201
        started = answer.json()["data"]["attributes"]["started_at"]
        assert datetime.fromisoformat(started.replace("Z", "+00:00")) == since
        clock.advance(minutes=10)
        timer_id = answer.json()["data"]["id"]
        stopped = await client.patch(f"/api/v2/timers/{timer_id}/stop", headers=headers)
        assert stopped.json()["data"]["attributes"]["total_time"] == 30
