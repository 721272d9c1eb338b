"""The app over a demo ledger with a frozen clock, for pilot and snapshot tests."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import FROZEN_NOW, FakeClock
from tests.faults import FaultTransport
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.store.journal import Journal
from tui.store.store import Store, StoreSettings

SIZE = (120, 36)


class Harness:
    """One demo ledger; each `app()` is a fresh start of the app on the same journal."""

    def __init__(self, tmp_path: Path, clock: FakeClock) -> None:
        self.clock = clock
        self.db = LedgerDB(tmp_path / "ledger.db", clock=clock)
        populate_demo(self.db, today=FROZEN_NOW.date())
        self.journal_path = tmp_path / "state.db"
        self.transport = FaultTransport(httpx.ASGITransport(app=create_app(self.db, clock=clock)))

    def app(self, *, theme: str | None = None, **settings: object) -> TimesheetApp:
        # The adapter over the ledger without owning it: the next start reuses the db.
        backend = ProductiveAdapter.for_ledger(self.db, transport=self.transport)
        store = Store(
            backend,
            Journal(self.journal_path),
            clock=self.clock,
            settings=StoreSettings(**settings),
        )  # type: ignore[arg-type]
        return TimesheetApp(store, theme=theme)

    def entry(self, entry_id: str) -> dict:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM time_entries WHERE id = ?", (entry_id,)).fetchone()
        return dict(row) if row else {}


async def settle(pilot) -> None:
    """Wait for the app's workers (load, save, timer) and the redraw after them."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def grid(app: TimesheetApp):
    from tui.widgets.entry_grid import EntryGrid

    return app.screen.query_one(EntryGrid)
