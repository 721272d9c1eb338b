"""A create whose answer was lost (a proxy passed it on but answered 504), settled after a
restart, is one row: the server's, which the week's load already holds. Nothing is sent
twice, and the grid's rows add up to its totals."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.app_harness import SIZE, Harness, grid, save_and_close_review, settle
from tests.conftest import FROZEN_NOW, FakeClock
from tests.faults import FaultTransport
from tests.test_store import adapter, open_store
from tui.api.base import EntryQuery
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.store.journal import Journal
from tui.store.records import RowState
from tui.store.store import Store, StoreSettings
from tui.store.values import week_range

pytestmark = pytest.mark.anyio

TODAY = FROZEN_NOW.date()
WEEK = week_range(TODAY)
POSTS = ("POST", "/api/v2/time_entries")


class GatewayTimeout(httpx.AsyncBaseTransport):
    """A proxy that passes writes on to the server but answers them with 504."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose_writes = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.lose_writes or request.method == "GET":
            return response
        await response.aread()
        return httpx.Response(
            504,
            headers={"content-type": "text/html"},
            content=b"<html><body>504 Gateway Time-out</body></html>",
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def demo(ledger: LedgerDB) -> LedgerDB:
    populate_demo(ledger, today=TODAY)
    return ledger


@pytest.fixture
def proxy(demo: LedgerDB, clock: FakeClock) -> GatewayTimeout:
    return GatewayTimeout(httpx.ASGITransport(app=create_app(demo, clock=clock)))


@pytest.fixture
def transport(proxy: GatewayTimeout) -> FaultTransport:
    return FaultTransport(proxy)


def ghosts(db: LedgerDB) -> list[str]:
    with db.transaction() as conn:
        rows = conn.execute("SELECT id FROM time_entries WHERE note = 'Ghost'").fetchall()
    return [str(row[0]) for row in rows]


async def restart(db: LedgerDB, transport: FaultTransport, clock: FakeClock, path: Path) -> Store:
    store = Store(
        adapter(db, transport),
        Journal(path),
        clock=clock,
        settings=StoreSettings(settle_grace_seconds=30),
    )
    await store.open()
    await store.load(EntryQuery(*WEEK, person_ids=(str(db.identity.owner_person_id),)))
    return store


async def lost_ghost(db: LedgerDB, transport: FaultTransport, clock: FakeClock, path: Path) -> str:
    """Stage "Ghost" and save it through the 504 proxy; returns its temporary id."""
    store = await open_store(db, transport, clock, Journal(path), settle_grace_seconds=30)
    service = next(iter(store.services))
    new_id = store.stage_new(
        {"minutes": 20, "service_id": service, "note": "Ghost", "date": WEEK[0]}
    )
    report = await store.save()
    assert set(report.unknown) == {new_id}
    assert store.row(new_id).state is RowState.unconfirmed
    assert len(ghosts(db)) == 1  # the server made it; the answer was lost
    assert store.journal is not None
    store.journal.close()
    return new_id


@pytest.mark.parametrize("settle", ["save", "settle_unsettled"])
async def test_a_lost_create_settled_after_a_restart_is_one_row_the_servers(
    demo, proxy, transport, clock, tmp_path, settle
) -> None:
    path = tmp_path / "journal.db"
    new_id = await lost_ghost(demo, transport, clock, path)
    proxy.lose_writes = False
    store = await restart(demo, transport, clock, path)
    assert store.restored_count == 1
    (server_id,) = ghosts(demo)
    assert server_id in store.order and new_id in store.order  # not settled yet
    clock.advance(seconds=31)
    report = await getattr(store, settle)()
    assert report.saved == 1 and not report.unknown and not report.failed
    assert report.created_ids == {new_id: server_id}
    assert new_id not in store.order and not store.staging.staged and not store.unsettled
    assert [i for i, n in Counter(store.order).items() if n > 1] == []
    assert store.order.count(server_id) == 1
    assert store.index_of(server_id) == store.order.index(server_id)
    assert len(transport.calls(*POSTS)) == 1  # never sent again
    assert ghosts(demo) == [server_id]
    shown = sum(store.row(i).record.minutes for i in store.order)
    assert shown == sum(store.records.days.values())


# ------------------------------------------------------------------------- the app


def grid_lines(app) -> list[str]:
    view = grid(app)
    return [view.render_line(y).text for y in range(view.size.height)]


def totals_of(lines: list[str]) -> str:
    (line,) = [line for line in lines if line.startswith(" Week ")]
    return line.split()[1]


async def test_the_app_shows_a_lost_create_settled_after_a_restart_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    harness = Harness(tmp_path, clock)
    proxy = GatewayTimeout(harness.transport.inner)
    harness.transport.inner = proxy
    app = harness.app(settle_grace_seconds=30)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        service = next(iter(store.services))
        new_id = store.stage_new({"minutes": 20, "service_id": service, "note": "Ghost"})
        await pilot.pause()
        await save_and_close_review(pilot)
        assert store.row(new_id).state is RowState.unconfirmed
        week_before = totals_of(grid_lines(app))
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
    (server_id,) = ghosts(harness.db)
    proxy.lose_writes = False
    clock.advance(seconds=1)
    app = harness.app(settle_grace_seconds=30)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        assert store.restored_count == 1
        clock.advance(seconds=31)
        app._settle_when_due()
        await settle(pilot)
        assert not store.unsettled and not store.staging.staged
        lines = grid_lines(app)
        ghost_rows = [line for line in lines if "Ghost" in line]
        assert len(ghost_rows) == 1 and ghost_rows[0].startswith(" ")  # no mark
        assert store.order.count(server_id) == 1
        assert totals_of(lines) == week_before
        live = store.live_timer_minutes()
        shown = sum(store.row(i).record.minutes for i in store.order)
        assert sum(grid(app).day_totals.values()) == shown + (live[1] if live else 0)
    assert len(harness.transport.calls(*POSTS)) == 1  # never sent again
    assert ghosts(harness.db) == [server_id]
