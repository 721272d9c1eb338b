"""The real app in a process of its own, for a test that kills it.

`python -m tests.app_child LEDGER JOURNAL` opens the app (headless, with the frozen clock)
on a ledger file the test has filled and on the journal; stages an edit, a deletion and a
new row as a user does; prints `staged EDITED DELETED NEW` once the store has acknowledged
all three; then waits to be killed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.app_harness import SIZE, grid, settle
from tests.conftest import FakeClock
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.ledger.db import LedgerDB
from tui.store.journal import Journal
from tui.store.records import RowState
from tui.store.store import Store

NOTE = "kept across a kill"


async def stage_and_wait(ledger: Path, journal: Path) -> None:
    clock = FakeClock()
    backend = ProductiveAdapter.for_ledger(LedgerDB(ledger, clock=clock))
    store = Store(backend, Journal(journal), clock=clock)
    app = TimesheetApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        edited, deleted = [i for i in store.order if not store.records[i].locked][:2]
        store.stage_edit(edited, "note", NOTE)
        grid(app).move_to(deleted)
        await pilot.press("d")
        await pilot.press("n")
        await settle(pilot)
        (new,) = (i for i in store.staging.staged if i not in (edited, deleted))
        states = [store.row(i).state for i in (edited, deleted, new)]
        assert states == [RowState.changed, RowState.deleted, RowState.new], states
        print("staged", edited, deleted, new, flush=True)
        await asyncio.Event().wait()  # no save, no quit: the test kills the process


if __name__ == "__main__":
    asyncio.run(stage_and_wait(Path(sys.argv[1]), Path(sys.argv[2])))
