"""Fault soak (issue 13): a store saving through a fault-injecting proxy loses nothing,
duplicates nothing and approves nothing wrongly, and its journal ends empty.

A served ledger sits behind a seeded `FaultProxy` that resets, fails, rate limits, holds
past the client's timeout and cuts the answers of a share of all requests (reads too). A
seeded driver acts as a user would: it stages edits, new rows (each with its own note, so
a duplicate is countable), deletes, approvals and unapprovals, and saves, with the faults
on. What the store refuses (an entry waiting for the server, `StagingError`) the user does
not get, so the model of the user's intent skips it. At the end the faults go off, held
requests land, and the user saves (and repeats approvals the store did not report done)
until nothing is staged or waiting. Then the server must hold exactly the intent.

CI runs `CI_SEEDS` seeds of `CI_OPS` operations; `--soak` runs `SOAK_SEEDS` of `SOAK_OPS`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import LoopbackServer
from tests.reliability.proxy import Exchange, FaultProxy, max_in_window
from tests.reliability.soak import (
    HOLD_SECONDS,
    MONDAY,
    RATE_LIMIT,
    SETTLE_GRACE,
    journal_left,
    seed_ledger,
    server_rows,
    soak_adapter,
    soak_store,
    week_query,
)
from tui.api.errors import ApiError
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.store.changes import ApprovalResult, SaveReport
from tui.store.staging import Kind
from tui.store.store import StagingError, Store

pytestmark = [pytest.mark.anyio, pytest.mark.soak, pytest.mark.loopback]

CI_SEEDS, CI_OPS = 20, 100
SOAK_SEEDS, SOAK_OPS = 200, 300
FAULT_RATE = 0.3
EDITABLE = 12
"""Seeded entries the driver edits and deletes."""
APPROVABLE = 6
"""Seeded entries the driver approves and unapproves (never edited: approval locks)."""
FINAL_ROUNDS = 12
OPERATIONS = {
    "edit": 30,
    "create": 18,
    "delete": 7,
    "approve": 10,
    "unapprove": 9,
    "save": 26,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        soak = metafunc.config.getoption("--soak")
        seeds = SOAK_SEEDS if soak else CI_SEEDS
        metafunc.parametrize("seed", range(seeds))
        metafunc.parametrize("operations", [SOAK_OPS if soak else CI_OPS])


@dataclass
class Intent:
    """What the user has asked for, as far as the store acknowledged it."""

    values: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Seeded entry id → (minutes, note) wanted."""
    deleted: set[str] = field(default_factory=set)
    creates: dict[str, int] = field(default_factory=dict)
    """A new row's unique note → its minutes."""
    dropped: set[str] = field(default_factory=set)
    """Notes of new rows deleted again (expected on the server 0 times)."""
    approval: dict[str, str] = field(default_factory=dict)
    """Approvable id → the last action asked: "approve" or "unapprove"."""
    done: dict[str, bool] = field(default_factory=dict)
    """Approvable id → whether the store reported that last action done."""


@dataclass
class Tally:
    operations: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    errors: int = 0
    conflicts: int = 0
    unknown: int = 0


class Driver:
    def __init__(self, store: Store, rng: random.Random, seeded: list[str], seed: int) -> None:
        self.store = store
        self.rng = rng
        self.seed = seed
        self.editable = seeded[:EDITABLE]
        self.approvable = seeded[EDITABLE:]
        self.intent = Intent()
        self.tally = Tally()
        self.serial = 0
        for entry_id in self.editable:
            record = store.records[entry_id]
            self.intent.values[entry_id] = (record.minutes, record.note)

    def note(self, what: str) -> str:
        self.serial += 1
        return f"s{self.seed}-{what}{self.serial}"

    def store_id(self, note: str) -> str | None:
        """Where the new row with this note is in the store: its temporary id while staged
        as new, the server's id once saved."""
        for entry_id, staged in self.store.staging.staged.items():
            if staged.kind is Kind.create and staged.values.get("note") == note:
                return entry_id
        for entry_id, record in self.store.records.items():
            if record.note == note:
                return entry_id
        return None

    async def step(self) -> None:
        kinds, weights = zip(*OPERATIONS.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        self.tally.operations[kind] += 1
        try:
            await getattr(self, kind)()
        except StagingError:
            self.tally.refused += 1  # the store said no: the user's intent is unchanged

    async def edit(self) -> None:
        intent, rng = self.intent, self.rng
        live = [i for i in self.editable if i not in intent.deleted]
        new = [n for n in intent.creates if n not in intent.dropped]
        if new and (not live or rng.random() < 0.3):
            note = rng.choice(new)  # a new row's note is its identity: only its time changes
            entry_id = self.store_id(note)
            if entry_id is None:
                return
            minutes = rng.randrange(1, 600)
            self.store.stage_edits({entry_id: {"minutes": minutes}})
            intent.creates[note] = minutes
            return
        if not live:
            return
        entry_id = rng.choice(live)
        minutes, note = intent.values[entry_id]
        changes: dict[str, object] = {}
        if rng.random() < 0.7:
            changes["minutes"] = minutes = rng.randrange(1, 600)
        if rng.random() < 0.6 or not changes:
            changes["note"] = note = self.note("e")
        self.store.stage_edits({entry_id: changes})
        intent.values[entry_id] = (minutes, note)

    async def create(self) -> None:
        note = self.note("c")
        minutes = self.rng.randrange(1, 600)
        day = MONDAY + timedelta(days=self.rng.randrange(5))
        service = self.rng.choice(sorted(self.store.services))
        self.store.stage_new({"date": day, "minutes": minutes, "note": note, "service_id": service})
        self.intent.creates[note] = minutes

    async def delete(self) -> None:
        intent, rng = self.intent, self.rng
        live = [i for i in self.editable if i not in intent.deleted]
        new = [n for n in intent.creates if n not in intent.dropped]
        if new and (not live or rng.random() < 0.4):
            note = rng.choice(new)
            entry_id = self.store_id(note)
            if entry_id is None:
                return
            self.store.stage_delete([entry_id])
            intent.dropped.add(note)
        elif live:
            entry_id = rng.choice(live)
            self.store.stage_delete([entry_id])
            intent.deleted.add(entry_id)

    async def approve(self) -> None:
        await self._approval("approve")

    async def unapprove(self) -> None:
        await self._approval("unapprove")

    async def _approval(self, kind: str, ids: list[str] | None = None) -> None:
        if ids is None:
            ids = self.rng.sample(self.approvable, self.rng.randint(1, 3))
        for entry_id in ids:
            self.intent.approval[entry_id] = kind
            self.intent.done[entry_id] = False
        results: list[ApprovalResult] = []
        try:
            if kind == "approve":
                results = await self.store.approve(ids, for_all_approvers=True)
            else:
                results = await self.store.unapprove(ids)
        except ApiError:
            self.tally.errors += 1
        wanted = "approved" if kind == "approve" else "unapproved"
        for result in results:
            self.intent.done[result.id] = result.result == wanted

    async def save(self) -> None:
        try:
            report = await self.store.save()
        except ApiError:
            self.tally.errors += 1  # one sentence to the user; they save again later
            return
        self.count(report)

    def count(self, report: SaveReport) -> None:
        self.tally.conflicts += len(report.conflicts)
        self.tally.unknown += len(report.unknown)

    async def finish(self) -> int:
        """Save, and repeat what the store did not report done, until nothing is staged or
        waiting; the rounds it took (a user waits past the grace between them)."""
        store = self.store
        for round_ in range(1, FINAL_ROUNDS + 1):
            if store.unsettled:
                await asyncio.sleep(SETTLE_GRACE + 0.05)  # the grace is the point here
            await self.save()
            pending = [i for i, done in self.intent.done.items() if not done]
            for kind in ("approve", "unapprove"):
                ids = [i for i in pending if self.intent.approval[i] == kind]
                if ids:
                    await self._approval(kind, ids)
            if not store.staging.staged and not store.unsettled and all(self.intent.done.values()):
                return round_
        return FINAL_ROUNDS + 1


@dataclass
class Outcome:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrongly_approved: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)


def compare(db: LedgerDB, intent: Intent, approvable: list[str], seeded: list[str]) -> Outcome:
    """The server against the user's intent, by id for seeded entries, by note for new rows."""
    server = server_rows(db)
    out = Outcome()
    for entry_id, wanted in intent.values.items():
        row = server.get(entry_id)
        if entry_id in intent.deleted:
            if row is not None:
                out.lost.append(f"delete of {entry_id}")
        elif row is None:
            out.lost.append(f"entry {entry_id} (deleted, never asked)")
        elif (row.minutes, row.note) != wanted:
            out.lost.append(f"edit of {entry_id}: {(row.minutes, row.note)} != {wanted}")
    by_note = Counter(row.note for row in server.values())
    for note, minutes in intent.creates.items():
        expected = 0 if note in intent.dropped else 1
        found = by_note[note]
        if found < expected:
            out.lost.append(f"new row {note!r}")
        elif found > expected:
            out.duplicated += [note] * (found - expected)
        elif found:
            (row,) = (r for r in server.values() if r.note == note)
            if row.minutes != minutes:
                out.lost.append(f"edit of new row {note!r}: {row.minutes} != {minutes}")
    for entry_id in approvable:
        wanted_approved = intent.approval.get(entry_id) == "approve"
        row = server.get(entry_id)
        if row is None or row.approved != wanted_approved:
            out.wrongly_approved.append(entry_id)
    known = set(seeded) | set(intent.creates)
    out.stray = [r.id for r in server.values() if r.id not in known and r.note not in known]
    return out


def trace(exchanges: list[Exchange], words: list[str]) -> str:
    """The proxy's record of the writes that carried these notes or ids, for a failure."""
    lines = []
    for record in exchanges:
        body = record.body.decode(errors="replace")
        if record.method != "GET" and any(f'"{w}"' in body for w in words):
            lines.append(
                f"  #{record.index} {record.method} {record.path} fault={record.fault}"
                f" received={record.received_at:.3f} forwarded={record.forwarded_at}"
                f" server={record.server_status} client={record.client_status}"
            )
    return "\n".join(lines)


async def test_fault_soak(seed: int, operations: int, tmp_path: Path) -> None:
    started = time.monotonic()
    db = LedgerDB(tmp_path / "ledger.db")  # the real clock: updated_at moves with each write
    seeded = seed_ledger(db, EDITABLE + APPROVABLE)
    journal = tmp_path / "state" / "journal.db"
    with (
        LoopbackServer(create_app(db)) as server,
        FaultProxy(
            server.url, seed=seed, rate=0.0, hold_seconds=HOLD_SECONDS, retry_after="0"
        ) as proxy,
    ):
        identity = db.identity
        adapter = soak_adapter(
            proxy.url, identity.token, identity.organization_id, str(identity.owner_person_id)
        )
        store = soak_store(adapter, journal)
        try:
            await store.open()
            await store.load(week_query(db))
            driver = Driver(store, random.Random(seed), seeded, seed)
            proxy.rate = FAULT_RATE
            for _ in range(operations):
                await driver.step()
            proxy.rate = 0.0
            assert proxy.wait_idle(timeout=10), "held requests never finished"
            rounds = await driver.finish()
        finally:
            await store.aclose()
        exchanges = proxy.log()
        busiest = max_in_window(proxy.forwarded_times(), RATE_LIMIT[1])
        faults = {str(kind): n for kind, n in proxy.counts().items()}
    staged, unsettled = journal_left(journal)
    outcome = compare(db, driver.intent, driver.approvable, seeded)
    db.close()
    tally = driver.tally
    print(
        f"\nfault soak seed={seed} operations={operations} ({dict(tally.operations)})"
        f" refused={tally.refused} errors={tally.errors} unknown={tally.unknown}"
        f" conflicts={tally.conflicts} final_rounds={rounds}"
        f"\n  faults={sum(faults.values())} {faults}"
        f"\n  lost={len(outcome.lost)} duplicated={len(outcome.duplicated)}"
        f" wrongly_approved={len(outcome.wrongly_approved)} stray={len(outcome.stray)}"
        f" journal_left={staged}+{unsettled} busiest_second={busiest}"
        f" wall={time.monotonic() - started:.1f}s"
    )
    if outcome.lost or outcome.duplicated or outcome.wrongly_approved:
        print(trace(exchanges, [*outcome.duplicated, *outcome.wrongly_approved]))
    assert outcome.lost == [], outcome.lost
    assert outcome.duplicated == [], outcome.duplicated
    assert outcome.wrongly_approved == [], outcome.wrongly_approved
    assert outcome.stray == [], outcome.stray
    assert tally.conflicts == 0, "the user's own writes came back as conflicts"
    assert rounds <= FINAL_ROUNDS, "saving again never got everything to the server"
    assert (staged, unsettled) == (0, 0), "the journal still holds changes"
    assert busiest <= RATE_LIMIT[0], f"{busiest} requests within {RATE_LIMIT[1]} s"
