"""The ledger pages a big listing without counting it again for every page (a client
paging through 100k entries asks for the same total 500 times), yet every page's total is
the truth: a write by this connection or by another one (another thread, another process
on the same file) is counted at once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.test_ledger_productive import create, make_entries, new_entry, page
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_large

pytestmark = pytest.mark.anyio

COUNT = "SELECT count(*) FROM time_entries WHERE date >= ?"


def counts_run(ledger: LedgerDB, calls: int) -> int:
    """How many of `calls` counts of the same query reached SQLite."""
    conn = ledger.connection()
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        for _ in range(calls):
            with ledger.transaction():
                conn.count(COUNT, ("2000-01-01",))
    finally:
        conn.set_trace_callback(None)
    return sum(1 for statement in seen if statement.startswith("SELECT count(*)"))


def test_the_same_count_is_read_once_while_nothing_changes(ledger):
    assert counts_run(ledger, 5) == 1


def test_a_write_on_the_same_connection_is_counted_at_once(ledger):
    conn = ledger.connection()
    with ledger.transaction():
        before = conn.count(COUNT, ("2000-01-01",))
    populate_large(ledger, entries=3)  # on this thread: the same connection
    with ledger.transaction():
        assert conn.count(COUNT, ("2000-01-01",)) == before + 3


async def test_a_page_total_counts_an_entry_another_process_added(
    asgi_client, ledger, tmp_path: Path
):
    await make_entries(asgi_client, ledger, 4)
    assert (await page(asgi_client, ledger, 1, 2))["meta"]["total_count"] == 4
    assert (await page(asgi_client, ledger, 2, 2))["meta"]["total_count"] == 4
    other = LedgerDB(tmp_path / "ledger.db")  # its own connections, as another process has
    try:
        other_client_ids = await create_with(other)
    finally:
        other.close()
    assert other_client_ids
    body = await page(asgi_client, ledger, 1, 2)
    assert body["meta"]["total_count"] == 5
    assert body["meta"]["total_pages"] == 3


async def create_with(db: LedgerDB) -> list[str]:
    transport = httpx.ASGITransport(app=create_app(db))
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
        return await create(client, db, new_entry(date="2024-08-05", note="elsewhere"))
