"""What both soaks share: a ledger seeded with the owner's entries of one week, an adapter
and a store over the fault proxy as the app builds them (short timeouts, a short grace), and
the server's rows read with SQL, behind the API's back, for the final comparison."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tui.api.base import EntryQuery
from tui.api.http import RateLimiter, RetryPolicy
from tui.api.productive import ProductiveAdapter
from tui.ledger.db import LedgerDB
from tui.ledger.entries import Entries
from tui.store.journal import Journal
from tui.store.store import Store, StoreSettings

MONDAY = date.today() - timedelta(days=date.today().weekday())
WEEK = (MONDAY, MONDAY + timedelta(days=6))
REQUEST_TIMEOUT = 0.2
SETTLE_GRACE = 0.6
HOLD_SECONDS = 0.3
"""Held requests land after the client's timeout and well within the grace after the send
(the issue's bound: a client can only order requests that land within the grace)."""
RATE_LIMIT = (20, 1.0)
"""Small, so that the soak's pace meets it and the check against the proxy's log bites."""
CHUNK = 4
"""Bulk chunks of four: a save sends several, and each chunk can meet its own fault."""


@dataclass(frozen=True)
class ServerRow:
    id: str
    minutes: int
    note: str
    approved: bool


def seed_ledger(db: LedgerDB, count: int) -> list[str]:
    """`count` entries of the owner spread over the week, each with its own note; their ids."""
    owner = db.identity.owner_person_id
    ids = []
    with db.transaction(write=True) as conn:
        entries = Entries(conn, db)
        for n in range(count):
            ids.append(
                str(
                    entries.create(
                        {
                            "date": (MONDAY + timedelta(days=n % 5)).isoformat(),
                            "time": 30 + n,
                            "note": f"seeded {n}",
                            "person": owner,
                            "service": 1,
                        }
                    )
                )
            )
    return ids


def server_rows(db: LedgerDB) -> dict[str, ServerRow]:
    """Every entry on the server, by id, read with SQL (not through the API)."""
    with db.transaction() as conn:
        rows = conn.execute("SELECT id, time, note, approved FROM time_entries").fetchall()
    return {
        str(r["id"]): ServerRow(str(r["id"]), r["time"], r["note"] or "", bool(r["approved"]))
        for r in rows
    }


def week_query(db: LedgerDB) -> EntryQuery:
    return EntryQuery(*WEEK, person_ids=(str(db.identity.owner_person_id),))


def soak_adapter(
    base_url: str, token: str, organization_id: str, person_id: str
) -> ProductiveAdapter:
    """The adapter of a profile whose server is `base_url` (the proxy), with a 0.2 s timeout,
    quick backoff, and a rate limit of `RATE_LIMIT` in the client that sends (`HttpClient`
    asks its `rate_limiter` for a slot around every request it puts on the wire)."""
    adapter = ProductiveAdapter(
        base_url=f"{base_url}/api/v2",
        token=token,
        organization_id=organization_id,
        person_id=person_id,
        request_timeout=REQUEST_TIMEOUT,
        retry=RetryPolicy(base_delay=0.01, max_delay=0.05),
        bulk_chunk_size=CHUNK,
    )
    limiter = RateLimiter([RATE_LIMIT])
    adapter.rate_limiter = adapter.http.rate_limiter = limiter
    return adapter


def soak_store(adapter: ProductiveAdapter, journal: Path) -> Store:
    return Store(
        adapter,
        Journal(journal),
        settings=StoreSettings(settle_grace_seconds=SETTLE_GRACE, bulk_chunk_size=CHUNK),
    )


def journal_left(path: Path) -> tuple[int, int]:
    """(staged, unsettled) in the journal at `path`, opened afresh."""
    journal = Journal(path)
    try:
        return len(list(journal.load())), len(journal.load_unsettled())
    finally:
        journal.close()
