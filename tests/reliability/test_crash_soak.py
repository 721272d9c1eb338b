"""Crash soak (issue 13): a store SIGKILLed again and again, while staging and while a save
is in flight, loses no acknowledged change and creates nothing twice.

A child process (`crash_child.py`) runs a store with its journal against the ledger served
here, behind a fault proxy that holds and cuts some writes, so that a kill can land while
a write is on the wire or after the server applied it unanswered. It stages random edits,
new rows (each with its own note) and deletes, saves now and then, and prints a line for
each acknowledged change and each save. The parent kills it at random moments: after some
acknowledgements, or just after a save began. Each new child opens the same journal and
saves what it holds first. At the end the faults go off, the parent saves until nothing is
staged or waiting, and the server must hold every acknowledged change, each new row once.

A change the kill cut short (staged but not yet acknowledged) may or may not be in the
journal; the parent reads the journal after the kill to know which, so the comparison is
exact either way.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.store.journal import Journal
from tui.store.staging import Kind

pytestmark = [pytest.mark.soak, pytest.mark.subprocess, pytest.mark.loopback]

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("crash_child.py")
CI_SEEDS, CI_KILLS = 1, 20
SOAK_SEEDS, SOAK_KILLS = 10, 40
SEEDED = 10
FAULT_RATE = 0.25
WRITE_FAULTS = {
    Fault.HELD_THEN_DELIVERED: 3.0,
    Fault.APPLIED_THEN_HELD: 3.0,
    Fault.RESET_AFTER: 1.0,
    Fault.GATEWAY_AFTER: 1.0,
    Fault.CUT_BODY: 1.0,
    Fault.RESET_BEFORE: 1.0,
    Fault.STATUS_503: 1.0,
}
"""Mostly writes that land while the client waits, so a kill finds them in flight."""
LIFE_TIMEOUT = 30.0
FINAL_ROUNDS = 10


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        soak = metafunc.config.getoption("--soak")
        metafunc.parametrize("seed", range(SOAK_SEEDS if soak else CI_SEEDS))
        metafunc.parametrize("kills", [SOAK_KILLS if soak else CI_KILLS])


def is_write(method: str, path: str) -> bool:
    return method in ("POST", "PATCH", "DELETE")


@dataclass
class Model:
    """The acknowledged changes, folded in order."""

    values: dict[str, tuple[int, str]]
    deleted: set[str] = field(default_factory=set)
    creates: dict[str, int] = field(default_factory=dict)
    """Note of a new row → its minutes."""

    def apply(self, change: dict[str, Any]) -> None:
        if change["op"] == "edit":
            self.values[change["id"]] = (change["minutes"], change["note"])
        elif change["op"] == "delete":
            self.deleted.add(change["id"])
        else:
            self.creates[change["note"]] = change["minutes"]


def journaled(journal: Path, change: dict[str, Any]) -> bool:
    """Whether a change the kill cut short reached the journal (the child is dead)."""
    opened = Journal(journal)
    try:
        staged = dict(opened.load())
    finally:
        opened.close()
    if change["op"] == "create":
        return any(
            s.kind is Kind.create and s.values.get("note") == change["note"]
            for s in staged.values()
        )
    state = staged.get(change["id"])
    if change["op"] == "delete":
        return state is not None and state.kind is Kind.delete
    return state is not None and state.values.get("note") == change["note"]


@dataclass
class Life:
    lines: list[str]
    during_save: bool
    cut_short: bool
    """A change was being staged when the kill came."""
    in_flight: int
    """Writes the kill left marked in the journal with no outcome (sent or about to be)."""


def live_once(
    env: dict[str, str], plan: tuple[str, int], rng: random.Random, stderr: Path, model: Model
) -> Life:
    """Run one child until the kill of `plan` ("staging", n: after the n-th acknowledgement;
    "saving", n: just after the n-th save began), and fold what it acknowledged into `model`."""
    mode, count = plan
    with open(stderr, "ab") as err:
        child = subprocess.Popen(
            [sys.executable, str(CHILD)], stdout=subprocess.PIPE, stderr=err, env=env, cwd=REPO
        )
    watchdog = threading.Timer(LIFE_TIMEOUT, child.kill)  # never hang on a stuck child
    watchdog.start()
    lines: list[str] = []
    seen = Counter[str]()
    try:
        assert child.stdout is not None
        while True:
            raw = child.stdout.readline()
            assert raw.endswith(b"\n"), f"the child died by itself:\n{stderr.read_text()}"
            line = raw.decode().rstrip("\n")
            lines.append(line)
            word = line.split(" ", 1)[0]
            seen[word] += 1
            if mode == "staging" and word == "ACK" and seen[word] == count:
                break
            if mode == "saving" and word == "SAVING" and seen[word] == count:
                time.sleep(rng.uniform(0, 0.03))  # a random moment of the save, not a wait
                break
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        lines += [
            raw.decode().rstrip("\n")
            for raw in child.stdout.read().splitlines(keepends=True)
            if raw.endswith(b"\n")
        ]
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, stderr.read_text()
    pending: dict[str, Any] | None = None
    for line in lines:
        word, _, rest = line.partition(" ")
        if word == "STAGE":
            pending = json.loads(rest)
        elif word == "ACK":
            model.apply(json.loads(rest))
            pending = None
        elif word == "REFUSED":
            pending = None
    if pending is not None and journaled(Path(env["SOAK_JOURNAL"]), pending):
        model.apply(pending)  # in the journal: the next life saves it like any other
    last = next((w for w in (ln.split(" ", 1)[0] for ln in reversed(lines)) if w), "")
    _, in_flight = journal_left(Path(env["SOAK_JOURNAL"]))
    return Life(lines, last == "SAVING", pending is not None, in_flight)


async def save_until_clean(journal: Path, db: LedgerDB, url: str) -> int:
    """A last store on the journal saves until nothing is staged or waiting; the rounds."""
    identity = db.identity
    store = soak_store(
        soak_adapter(url, identity.token, identity.organization_id, str(identity.owner_person_id)),
        journal,
    )
    try:
        await store.open()
        await store.load(week_query(db))
        for round_ in range(1, FINAL_ROUNDS + 1):
            if store.unsettled:
                await asyncio.sleep(SETTLE_GRACE + 0.05)  # waiting out the grace is the point
            await store.save()
            if not store.staging.staged and not store.unsettled:
                return round_
        return FINAL_ROUNDS + 1
    finally:
        await store.aclose()


def test_crash_soak(seed: int, kills: int, tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(seed)
    db = LedgerDB(tmp_path / "ledger.db")
    seeded = seed_ledger(db, SEEDED)
    model = Model({i: (r.minutes, r.note) for i, r in server_rows(db).items()})
    journal = tmp_path / "state" / "journal.db"
    lives: list[Life] = []
    with (
        LoopbackServer(create_app(db)) as server,
        FaultProxy(
            server.url,
            seed=seed,
            rate=FAULT_RATE,
            weights=WRITE_FAULTS,
            hold_seconds=HOLD_SECONDS,
            eligible=is_write,
        ) as proxy,
    ):
        identity = db.identity
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
            ),
            "SOAK_URL": proxy.url,
            "SOAK_TOKEN": identity.token,
            "SOAK_ORG": identity.organization_id,
            "SOAK_PERSON": str(identity.owner_person_id),
            "SOAK_JOURNAL": str(journal),
            "SOAK_MONDAY": MONDAY.isoformat(),
            "SOAK_IDS": ",".join(seeded),
        }
        for life in range(kills):
            plan = ("saving", rng.randint(1, 3)) if life % 2 else ("staging", rng.randint(1, 12))
            env["SOAK_SEED"] = f"{seed}L{life}"
            lives.append(live_once(env, plan, rng, tmp_path / "stderr.txt", model))
        proxy.rate = 0.0
        assert proxy.wait_idle(timeout=10), "held requests never finished"
        rounds = asyncio.run(save_until_clean(journal, db, proxy.url))
        faults = {str(kind): n for kind, n in proxy.counts().items()}
    rows = server_rows(db)
    db.close()
    lost = [
        f"edit of {i}: {(rows[i].minutes, rows[i].note) if i in rows else None} != {v}"
        for i, v in model.values.items()
        if i not in model.deleted and (i not in rows or (rows[i].minutes, rows[i].note) != v)
    ]
    lost += [f"delete of {i}" for i in model.deleted if i in rows]
    by_note = Counter(row.note for row in rows.values())
    lost += [f"new row {n!r}" for n in model.creates if by_note[n] == 0]
    duplicated = [n for n in model.creates for _ in range(by_note[n] - 1)]
    known = set(model.values) | set(model.creates)
    stray = [r.id for r in rows.values() if r.id not in known and r.note not in known]
    wrong_minutes = [
        n
        for n, minutes in model.creates.items()
        if by_note[n] == 1 and next(r for r in rows.values() if r.note == n).minutes != minutes
    ]
    staged, unsettled = journal_left(journal)
    acks = sum(line.startswith("ACK ") for life in lives for line in life.lines)
    saves = sum(line == "SAVING" for life in lives for line in life.lines)
    print(
        f"\ncrash soak seed={seed} kills={len(lives)}"
        f" during_save={sum(life.during_save for life in lives)}"
        f" with_writes_in_flight={sum(bool(life.in_flight) for life in lives)}"
        f" cut_short={sum(life.cut_short for life in lives)} acknowledged={acks} saves={saves}"
        f" creates={len(model.creates)} final_rounds={rounds}"
        f"\n  faults={sum(faults.values())} {faults}"
        f"\n  lost={len(lost)} duplicated={len(duplicated)} stray={len(stray)}"
        f" journal_left={staged}+{unsettled} wall={time.monotonic() - started:.1f}s"
    )
    assert lost == [], lost
    assert duplicated == [], duplicated
    assert stray == [], stray
    assert wrong_minutes == [], wrong_minutes
    assert rounds <= FINAL_ROUNDS, "saving again never got everything to the server"
    assert (staged, unsettled) == (0, 0), "the journal still holds changes"
    assert sum(life.during_save for life in lives) >= kills // 4, "few kills landed mid-save"
