"""The app over a demo ledger with a frozen clock, for pilot and snapshot tests."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import FakeClock
from tests.faults import FaultTransport
from tui.api.plannr import PlannrAdapter
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.store.journal import Journal
from tui.store.store import Store, StoreSettings

SIZE = (120, 36)


BACKENDS = ("productive", "plannr")
"""The ledger speaks both APIs: Productive's (with approvals) and Plannr's (none)."""


class Harness:
    """One demo ledger; each `app()` is a fresh start of the app on the same journal, over
    the ledger's Productive API (the default) or its Plannr API."""

    def __init__(self, tmp_path: Path, clock: FakeClock, backend: str = "productive") -> None:
        assert backend in BACKENDS, backend
        self.clock = clock
        self.backend = backend
        self.db = LedgerDB(tmp_path / "ledger.db", clock=clock)
        populate_demo(self.db)  # around the clock's today, in the local zone
        self.journal_path = tmp_path / "state.db"
        self.transport = FaultTransport(httpx.ASGITransport(app=create_app(self.db, clock=clock)))

    def adapter(self) -> ProductiveAdapter | PlannrAdapter:
        # The adapter over the ledger without owning it: the next start reuses the db.
        if self.backend == "plannr":
            with self.db.transaction() as conn:
                services = conn.execute("SELECT uuid FROM services ORDER BY id").fetchall()
            return PlannrAdapter(
                base_url="http://ledger/api/v1",
                token=self.db.identity.token,
                account_uuid=self.db.identity.account_uuid,
                trackables=[f"client:{uuid}" for (uuid,) in services],
                transport=self.transport,
                rate_limited=False,
                clock=self.clock,
            )
        return ProductiveAdapter.for_ledger(self.db, transport=self.transport)

    def app(self, *, theme: str | None = None, **settings: object) -> TimesheetApp:
        backend = self.adapter()
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
    """Wait for the app's workers (load, save, timer) and the redraw after them, until no
    worker runs: a screen just shown starts its load only when it mounts, which may come
    after the first wait (on a busy machine, or when a test calls an action directly)."""
    app = pilot.app
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return


async def save_in_review(pilot) -> None:
    """`ctrl+s`, `y` in the save review, and the save waited for; the review stays open
    (it shows the outcome)."""
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("y")
    await settle(pilot)


async def save_and_close_review(pilot) -> None:
    """`save_in_review`, then `escape` back to the timesheet."""
    await save_in_review(pilot)
    await pilot.press("escape")
    await settle(pilot)


def grid(app: TimesheetApp):
    from tui.widgets.entry_grid import EntryGrid

    return app.screen.query_one(EntryGrid)
