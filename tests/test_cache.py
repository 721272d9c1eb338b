"""The read cache writes a loaded range off the caller's thread (the app's event loop)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from tui.api.base import EntryQuery
from tui.store.cache import Cache
from tui.store.records import EntryRecord

QUERY = EntryQuery(date(2026, 11, 30), date(2026, 12, 6))
FETCHED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def records(count: int) -> list[EntryRecord]:
    return [
        EntryRecord(
            id=str(n),
            date=date(2026, 12, 1 + n % 2),
            minutes=15 + n,
            note=f"note {n}",
            person_id="1",
            service_id="2",
            task_id=None,
        )
        for n in range(count)
    ]


def test_saving_a_range_returns_while_the_file_is_locked_and_lands_once_it_is_free(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    cache = Cache(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the file
    try:
        # On the caller's thread this waited out the busy timeout and failed.
        cache.save_range(QUERY, records(50), FETCHED)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    cached = cache.load_range(QUERY)  # waits for the save under way
    assert cached is not None
    assert cached.records == records(50)
    assert cached.fetched_at == FETCHED
    cache.close()


def test_a_range_too_big_to_cache_is_not_kept_and_the_last_copy_goes(
    tmp_path: Path, monkeypatch
) -> None:
    """A manager's years would take seconds to write, and to read back at the next
    start: such a range is loaded from the server, never shown from an older copy."""
    import tui.store.cache

    monkeypatch.setattr(tui.store.cache, "MAX_CACHED_ENTRIES", 40)
    cache = Cache(tmp_path / "state.db")
    cache.save_range(QUERY, records(40), FETCHED)
    assert cache.load_range(QUERY) is not None  # at the limit: kept
    cache.save_range(QUERY, records(41), FETCHED)
    assert cache.load_range(QUERY) is None
    cache.close()
