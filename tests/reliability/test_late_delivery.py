"""Writes whose answer is lost, through a real fault-injecting proxy on a loopback port:
held past the client's timeout and delivered late, cut before the server, applied with
the answer lost. No write for an entry is sent while an earlier one may still land, a
read after the grace settles it, and a content match counts only entries that were not
there before the send (issue 13: 111 overwrote 222, an approve landed after the
unapprove, a twin outside the loaded range was taken for the lost create)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import LoopbackServer
from tests.reliability.proxy import Fault, FaultProxy
from tests.reliability.soak import HOLD_SECONDS, SETTLE_GRACE, soak_adapter, soak_store
from tui.api.base import EntryQuery
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.entries import Entries
from tui.store.records import RowState
from tui.store.store import StagingError, Store

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]

MONDAY = date(2026, 11, 16)
WEEK = EntryQuery(MONDAY, MONDAY + timedelta(days=6))
GENERAL = "1"


@dataclass
class Rig:
    ledger: LedgerDB
    proxy: FaultProxy
    store: Store

    def add(self, day: date, minutes: int, note: str) -> str:
        with self.ledger.transaction(write=True) as conn:
            return str(
                Entries(conn, self.ledger).create(
                    {
                        "date": day.isoformat(),
                        "time": minutes,
                        "note": note,
                        "person": self.ledger.identity.owner_person_id,
                        "service": int(GENERAL),
                    }
                )
            )

    def column(self, entry_id: str, name: str) -> object:
        with self.ledger.transaction() as conn:
            row = conn.execute(f"SELECT {name} FROM time_entries WHERE id = ?", (entry_id,))
            return row.fetchone()[0]

    def count(self, note: str) -> int:
        with self.ledger.transaction() as conn:
            found = conn.execute("SELECT count(*) FROM time_entries WHERE note = ?", (note,))
            return int(found.fetchone()[0])

    async def past_grace(self) -> None:
        assert self.proxy.wait_idle(5.0)  # held requests have been delivered by now
        await asyncio.sleep(SETTLE_GRACE)


@pytest.fixture
async def rig(ledger: LedgerDB, tmp_path: Path) -> AsyncIterator[Rig]:
    with (
        LoopbackServer(create_app(ledger)) as server,
        FaultProxy(server.url, hold_seconds=HOLD_SECONDS) as proxy,
    ):
        identity = ledger.identity
        adapter = soak_adapter(
            proxy.url, identity.token, identity.organization_id, str(identity.owner_person_id)
        )
        store = soak_store(adapter, tmp_path / "journal.db")
        rig = Rig(ledger, proxy, store)
        yield rig
        await store.aclose()


async def test_a_late_patch_never_overwrites_the_edit_after_it(rig: Rig) -> None:
    entry = rig.add(MONDAY, 60, "to edit")
    await rig.store.open()
    await rig.store.load(WEEK)
    rig.store.stage_edit(entry, "minutes", 111)
    rig.proxy.inject(Fault.HELD_THEN_DELIVERED, method="PATCH")
    report = await rig.store.save()
    assert entry in report.unknown and rig.store.row(entry).state is RowState.unconfirmed
    with pytest.raises(StagingError, match="waiting for the server to confirm"):
        rig.store.stage_edit(entry, "minutes", 222)
    await rig.past_grace()
    report = await rig.store.save()  # the read finds 111 there: saved, no conflict
    assert report.saved == 1 and not report.conflicts and not rig.store.unsettled
    rig.store.stage_edit(entry, "minutes", 222)
    await rig.store.save()
    await rig.past_grace()
    assert rig.column(entry, "time") == 222


async def test_a_late_approve_never_lands_after_the_unapprove(rig: Rig) -> None:
    entry = rig.add(MONDAY, 60, "to approve")
    await rig.store.open()
    await rig.store.load(WEEK)
    rig.proxy.inject(
        Fault.HELD_THEN_DELIVERED, method="PATCH", path_prefix="/api/v2/time_entries/approve"
    )
    (approved,) = await rig.store.approve([entry], for_all_approvers=True)
    assert approved.result == "failed"  # not known to be done: never reported done
    (refused,) = await rig.store.unapprove([entry])
    assert refused.result == "failed" and "waiting for the server" in (refused.message or "")
    await rig.past_grace()
    assert rig.column(entry, "approved") == 1  # the held approve did land, late
    (unapproved,) = await rig.store.unapprove([entry])
    assert unapproved.result == "unapproved"
    await rig.past_grace()
    assert rig.column(entry, "approved") == 0


async def test_a_late_post_is_found_and_not_sent_again(rig: Rig) -> None:
    await rig.store.open()
    await rig.store.load(WEEK)
    new_id = rig.store.stage_new(
        {"date": MONDAY, "minutes": 30, "service_id": GENERAL, "note": "late"}
    )
    rig.proxy.inject(Fault.HELD_THEN_DELIVERED, method="POST")
    report = await rig.store.save()
    assert new_id in report.unknown
    await rig.past_grace()
    report = await rig.store.save()
    assert report.saved == 1 and not rig.store.staging.staged
    assert rig.count("late") == 1
    assert len([e for e in rig.proxy.log() if e.method == "POST"]) == 1


async def test_a_twin_outside_the_loaded_range_is_not_taken_for_the_lost_create(
    rig: Rig,
) -> None:
    later = MONDAY + timedelta(days=14)
    rig.add(later, 45, "twin")  # there before: not the create, whatever else matches
    await rig.store.open()
    await rig.store.load(WEEK)
    new_id = rig.store.stage_new(
        {"date": later, "minutes": 45, "service_id": GENERAL, "note": "twin"}
    )
    rig.proxy.inject(Fault.RESET_BEFORE, method="POST")  # the server never sees it
    report = await rig.store.save()
    assert new_id in report.unknown
    await rig.past_grace()
    report = await rig.store.save()  # proven absent, so sent again
    assert report.saved == 1 and not report.unknown
    assert rig.count("twin") == 2


async def test_an_applied_patch_whose_answer_was_lost_is_no_conflict(rig: Rig) -> None:
    entry = rig.add(MONDAY, 60, "applied")
    await rig.store.open()
    await rig.store.load(WEEK)
    rig.store.stage_edit(entry, "note", "applied, answer lost")
    rig.proxy.inject(Fault.RESET_AFTER, method="PATCH")
    await rig.store.save()
    await rig.past_grace()
    report = await rig.store.save()
    assert report.saved == 1 and not report.conflicts and not rig.store.conflicts
    assert rig.column(entry, "note") == "applied, answer lost"
