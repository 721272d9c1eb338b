"""The smallest deterministic cases of what the soaks found (issue 13): each one fault
sequence, injected into the proxy, between a store and a served ledger.

The rule under test (`tui.store.unsettled`): a write whose answer was lost is settled by a
read only once the grace has passed since it could last have left the client, and only
what the read proves absent is sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import LoopbackServer
from tests.reliability.proxy import Fault, FaultProxy
from tests.reliability.soak import (
    HOLD_SECONDS,
    MONDAY,
    SETTLE_GRACE,
    journal_left,
    seed_ledger,
    server_rows,
    soak_adapter,
    soak_store,
    week_query,
)
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.models import Entry
from tui.store.store import Store
from tui.store.unsettled import Unsettled

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]

ENTRIES = "/api/v2/time_entries"


@dataclass
class Rig:
    db: LedgerDB
    proxy: FaultProxy
    journal: Path
    seeded: list[str]

    def adapter(self) -> ProductiveAdapter:
        identity = self.db.identity
        return soak_adapter(
            self.proxy.url,
            identity.token,
            identity.organization_id,
            str(identity.owner_person_id),
        )

    async def store(self) -> Store:
        store = soak_store(self.adapter(), self.journal)
        await store.open()
        await store.load(week_query(self.db))
        return store

    def notes(self) -> list[str]:
        return sorted(row.note for row in server_rows(self.db).values())


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    db = LedgerDB(tmp_path / "ledger.db")
    seeded = seed_ledger(db, 2)
    with (
        LoopbackServer(create_app(db)) as server,
        FaultProxy(server.url, hold_seconds=HOLD_SECONDS, retry_after="1") as proxy,
    ):
        yield Rig(db, proxy, tmp_path / "state" / "journal.db", seeded)
    db.close()


async def past_grace() -> None:
    await asyncio.sleep(SETTLE_GRACE + 0.05)  # waiting out the grace is what is tested


def new_row(store: Store, note: str) -> dict[str, object]:
    return {"date": MONDAY, "minutes": 45, "note": note, "service_id": sorted(store.services)[0]}


async def test_a_create_retried_after_429_and_then_held_is_not_sent_again(rig: Rig) -> None:
    """429 (Retry-After: 1), then the retry is held past the timeout and lands 0.3 s later.
    The grace runs from that retry, not from the first try 1.2 s before the answer was
    given up: a read right away would find nothing and send the row a second time."""
    store = await rig.store()
    try:
        store.stage_new(new_row(store, "late retry"))
        rig.proxy.inject(Fault.STATUS_429, method="POST", path_prefix=ENTRIES)
        rig.proxy.inject(Fault.HELD_THEN_DELIVERED, method="POST", path_prefix=ENTRIES)
        first = await store.save()
        assert rig.proxy.wait_idle()
        assert list(first.unknown) == list(store.unsettled)
        await past_grace()
        await store.save()
        assert not store.staging.staged and not store.unsettled
    finally:
        await store.aclose()
    assert rig.notes().count("late retry") == 1
    assert journal_left(rig.journal) == (0, 0)


async def test_an_approve_retried_and_then_held_does_not_land_after_the_unapprove(
    rig: Rig,
) -> None:
    """The same late retry for an approve, then the user unapproves at once: the approve
    is still waiting (its grace runs from the retry), so the unapprove is not sent before
    it; once it has settled, the unapprove goes out and is the last word."""
    entry_id = rig.seeded[0]
    store = await rig.store()
    try:
        rig.proxy.inject(Fault.STATUS_429, method="PATCH", path_prefix=f"{ENTRIES}/approve")
        rig.proxy.inject(
            Fault.HELD_THEN_DELIVERED, method="PATCH", path_prefix=f"{ENTRIES}/approve"
        )
        (approved,) = await store.approve([entry_id], for_all_approvers=True)
        assert approved.result == "failed"
        (unapproved,) = await store.unapprove([entry_id])
        assert rig.proxy.wait_idle()
        if unapproved.result != "unapproved":  # refused while waiting: the user tries again
            await past_grace()
            (unapproved,) = await store.unapprove([entry_id])
        assert unapproved.result == "unapproved"
    finally:
        await store.aclose()
    assert not server_rows(rig.db)[entry_id].approved


async def test_a_write_sent_just_before_a_kill_is_not_settled_before_its_grace(
    rig: Rig,
) -> None:
    """A create marked long before it left (it waited out retries or the rate limit), sent
    just before the app was killed, held, and delivered after the restart. The restarted
    store cannot know when it left, only that it was before the restart: it waits the
    grace from its own start before it reads, or it would send the row again."""
    first = await rig.store()
    temp = first.stage_new(new_row(first, "sent before the kill"))
    values = dict(first.staging.staged[temp].values)
    first.mark_sent({temp: Unsettled("create", first.clock() - timedelta(seconds=10), values)})
    await first.aclose()  # killed; what it had just put on the wire is in the proxy
    rig.proxy.inject(Fault.HELD_THEN_DELIVERED, method="POST", path_prefix=ENTRIES)
    async with rig.adapter() as last_words:
        (lost,) = await last_words.create_entries([Entry(**values)])
    assert lost.outcome.value == "unknown"
    store = await rig.store()
    try:
        await store.save()
        assert rig.proxy.wait_idle()
        await past_grace()
        await store.save()
        assert not store.staging.staged and not store.unsettled
    finally:
        await store.aclose()
    assert rig.notes().count("sent before the kill") == 1
    assert journal_left(rig.journal) == (0, 0)
