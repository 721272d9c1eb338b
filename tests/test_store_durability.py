"""The store survives a kill -9 (the journal) and a ledger that is away (the cache).

Issue 5: "every staged change is written to a per-profile SQLite journal before it is
acknowledged, so that a crash, kill -9 or power loss loses nothing", and "a test starts
the store with the ledger unreachable after one earlier successful load: it shows the
cached entries, stages edits, and saves them when the ledger comes back".
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.conftest import FROZEN_NOW, FakeClock, LoopbackServer
from tui.api.base import EntryQuery
from tui.api.errors import NetworkError
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.store.cache import Cache
from tui.store.journal import Journal
from tui.store.records import RowState
from tui.store.store import Store
from tui.store.values import week_range

pytestmark = pytest.mark.anyio

TODAY = FROZEN_NOW.date()
WEEK = week_range(TODAY)
REPO = Path(__file__).resolve().parents[1]
ACKS_BEFORE_KILL = 25


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def demo(ledger: LedgerDB) -> LedgerDB:
    populate_demo(ledger, today=TODAY)
    return ledger


def week(db: LedgerDB) -> EntryQuery:
    return EntryQuery(*WEEK, person_ids=(str(db.identity.owner_person_id),))


def server_notes(db: LedgerDB) -> dict[str, tuple[str, int]]:
    """The ledger's own rows for the owner's week, read with SQL (not through the API)."""
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, note, time FROM time_entries WHERE person_id = ? AND date BETWEEN ? AND ?",
            (db.identity.owner_person_id, WEEK[0].isoformat(), WEEK[1].isoformat()),
        ).fetchall()
    return {str(r["id"]): (r["note"], r["time"]) for r in rows}


# ------------------------------------------------------------------------ kill -9

CHILD = textwrap.dedent('''
    """Stage changes one by one and say so after each returns; never stops by itself."""
    import asyncio
    import sys
    from datetime import datetime
    from pathlib import Path

    from tui.api.base import EntryQuery
    from tui.api.productive import ProductiveAdapter
    from tui.ledger.db import LedgerDB
    from tui.store.journal import Journal
    from tui.store.store import Store
    from tui.store.values import week_range

    NOW = datetime.fromisoformat(sys.argv[3])


    async def main() -> None:
        db = LedgerDB(sys.argv[1], clock=lambda: NOW)
        store = Store(ProductiveAdapter.for_ledger(db), Journal(Path(sys.argv[2])),
                      clock=lambda: NOW)
        await store.open()
        await store.load(EntryQuery(*week_range(NOW.date()),
                                    person_ids=(str(db.identity.owner_person_id),)))
        ids = [i for i in store.order
               if not store.records[i].locked and store.records[i].minutes]
        doomed, edited = ids[0], ids[1:]
        service = next(iter(store.services))
        print("READY", doomed, *edited, flush=True)
        n = 0
        while True:
            extra = ""
            if n == 3:
                store.stage_delete([doomed])
            elif n == 7:
                extra = store.stage_new({"minutes": 30, "service_id": service,
                                         "note": f"edit {n}"})
            else:
                store.stage_edit(edited[n % len(edited)], "note", f"edit {n}")
            print("ACK", n, extra, flush=True)
            n += 1


    asyncio.run(main())
''')


def expected_after(n: int, doomed: str, edited: list[str]) -> dict[str, object]:
    """What the journal must hold once the child's changes 0..n are acknowledged."""
    notes: dict[str, str] = {}
    for step in range(n + 1):
        if step not in (3, 7):
            notes[edited[step % len(edited)]] = f"edit {step}"
    return {"notes": notes, "deleted": n >= 3, "new": n >= 7}


async def test_kill_9_mid_staging_loses_no_acknowledged_change(demo, clock, tmp_path) -> None:
    before = server_notes(demo)
    script = tmp_path / "stager.py"
    script.write_text(CHILD)
    journal_file = tmp_path / "state" / "work.db"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    with open(tmp_path / "stderr.txt", "wb") as stderr:
        child = subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(demo.path),
                str(journal_file),
                FROZEN_NOW.isoformat(),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=REPO,
            env=env,
        )
    watchdog = threading.Timer(60, child.kill)  # never hang the suite on a stuck child
    watchdog.start()
    try:
        assert child.stdout is not None
        ready = child.stdout.readline().decode().split()
        assert ready and ready[0] == "READY", (tmp_path / "stderr.txt").read_text()
        doomed, edited = ready[1], ready[2:]
        acked, new_id = -1, None
        while acked < ACKS_BEFORE_KILL - 1:
            line = child.stdout.readline().decode()
            assert line, f"the child died: {(tmp_path / 'stderr.txt').read_text()}"
            _, number, *extra = line.split()
            assert int(number) == acked + 1
            acked, new_id = int(number), (extra[0] if extra else new_id)
        os.kill(child.pid, signal.SIGKILL)  # while it is still staging
        child.wait(timeout=30)
        for raw in child.stdout.read().splitlines(keepends=True):  # acked before the kill
            if raw.endswith(b"\n") and raw.startswith(b"ACK "):
                acked = int(raw.split()[1])
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert acked >= ACKS_BEFORE_KILL - 1 and new_id is not None

    journal = Journal(journal_file)
    store = Store(ProductiveAdapter.for_ledger(demo), journal, clock=clock)
    await store.open()
    await store.load(week(demo))
    try:
        shown = {
            "notes": {
                i: store.row(i).record.note
                for i in edited
                if store.row(i).state is RowState.changed
            },
            "deleted": store.row(doomed).state is RowState.deleted,
            "new": new_id in store.order,
        }
        # Everything acknowledged is back; at most the one change in flight at the kill
        # (journaled, not yet acknowledged) is there too, and nothing beyond it.
        assert shown in (
            expected_after(acked, doomed, edited),
            expected_after(acked + 1, doomed, edited),
        ), (acked, shown)
        assert store.row(new_id).state is RowState.new
        assert (store.row(new_id).record.note, store.row(new_id).record.minutes) == ("edit 7", 30)
        assert set(store.staging.staged) == {doomed, new_id, *shown["notes"]}
        assert all(store.row(i).original == {"note": before[i][0]} for i in shown["notes"])
        # The history came back with them: every acknowledged step undoes, in order.
        undo, redo = store.staging.history
        assert len(undo) in (acked + 1, acked + 2) and not redo
        while store.undo() is not None:
            pass
        assert store.staged_count == 0 and new_id not in store.order
        assert server_notes(demo) == before  # staged only: the ledger never saw them
    finally:
        await store.aclose()


# ---------------------------------------------------------------- ledger away


def adapter(db: LedgerDB, url: str) -> ProductiveAdapter:
    return ProductiveAdapter(
        base_url=f"{url}/api/v2",
        token=db.identity.token,
        organization_id=db.identity.organization_id,
        person_id=str(db.identity.owner_person_id),
        rate_limited=False,
        sleep=no_sleep,
    )


def serve_again(db: LedgerDB, port: int) -> LoopbackServer:
    """The ledger back on the port it had (the profile's URL does not change)."""
    server = LoopbackServer(create_app(db))
    server.socket.close()
    server.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.socket.bind(("127.0.0.1", port))
    server.port = port
    server.thread = threading.Thread(
        target=server.server.run, kwargs={"sockets": [server.socket]}, daemon=True
    )
    return server


async def test_offline_start_shows_the_cache_stages_and_saves_when_the_ledger_is_back(
    demo, clock: FakeClock, tmp_path: Path
) -> None:
    state = tmp_path / "state" / "work.db"  # journal and cache share the profile's file
    with LoopbackServer(create_app(demo)) as server:
        first = Store(adapter(demo, server.url), Journal(state), clock=clock, cache=Cache(state))
        await first.open()
        await first.load(week(demo))
        seen = [first.records[i] for i in first.order]
        services = dict(first.services)
        await first.aclose()
        assert first.cache is not None
        first.cache.close()
    assert seen
    url, port = server.url, server.port
    clock.advance(hours=2)

    # The ledger is gone: the store still opens, on the cache, and says so.
    journal, cache = Journal(state), Cache(state)
    store = Store(adapter(demo, url), journal, clock=clock, cache=cache)
    try:
        await store.open()
        assert store.status.error and "Offline" in store.status.error
        assert store.services == services and store.me is not None
        await store.load(week(demo))
        assert store.status.error.startswith("Offline") and "cached" in store.status.error
        assert store.status.cached_at == FROZEN_NOW and not store.status.loading
        assert [store.records[i] for i in store.order] == seen

        # Staging works offline, and is journaled.
        editable = [r.id for r in seen if not r.locked and r.minutes]
        noted, timed, doomed = editable[:3]
        service = next(iter(services))
        store.stage_edit(noted, "note", "written offline")
        store.stage_edit(timed, "minutes", "1:10")
        store.stage_delete([doomed])
        new_id = store.stage_new({"minutes": 40, "service_id": service, "note": "new offline"})
        staged = {noted, timed, doomed, new_id}
        assert {i for i, _ in journal.load()} == staged
        before = server_notes(demo)

        # Saving fails plainly, and nothing is lost or left half-done.
        with pytest.raises(NetworkError, match="Could not reach"):
            await store.save()
        assert set(store.staging.staged) == staged and {i for i, _ in journal.load()} == staged
        assert not store.saving and not store.status.saving
        assert store.row(noted).record.note == "written offline"
        assert store.row(doomed).state is RowState.deleted
        assert store.row(new_id).state is RowState.new
        assert server_notes(demo) == before

        # The ledger comes back at the same address: the same store saves everything.
        clock.advance(minutes=1)
        try:
            comeback = serve_again(demo, port)
        except OSError:  # the port was taken meanwhile: the profile points elsewhere
            comeback = LoopbackServer(create_app(demo))
            await store.backend.aclose()
            store.backend = adapter(demo, comeback.url)
        with comeback:
            report = await store.save()
            assert report.saved == 4 and not report.failed and not report.conflicts
            assert store.staged_count == 0 and list(journal.load()) == []
            after = server_notes(demo)
            created = report.created_ids[new_id]
            assert after[noted] == ("written offline", before[noted][1])
            assert after[timed] == (before[timed][0], 70)
            assert doomed not in after and after[created] == ("new offline", 40)
            assert [note for note, _ in after.values()].count("new offline") == 1
            assert {i: v for i, v in after.items() if i not in (noted, timed, created)} == {
                i: v for i, v in before.items() if i not in (noted, timed, doomed)
            }
            await store.load(week(demo))  # fresh again: no longer marked as cached
            assert store.status.error is None and store.status.cached_at is None
            assert store.row(created).state is RowState.clean and doomed not in store.order
    finally:
        await store.aclose()
        cache.close()
