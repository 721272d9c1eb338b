"""The journal, the cache and their SQLite companions are readable by their owner only
(`0600` in a `0700` folder), whatever the umask: they hold notes and names."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tui.models import Person
from tui.store.cache import Cache
from tui.store.journal import Journal
from tui.store.staging import Kind, Staged


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The permissive umask many systems ship with."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_journal_cache_and_companions_are_private(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "state" / "timesheet"
    journal = Journal(folder / "work.db")
    journal.write({"new-1": Staged(Kind.create, {"date": date(2026, 11, 17), "note": "secret"})})
    cache = Cache(folder / "work.db")
    cache.save_lookups(Person(id="1", first_name="Ada"), {}, {}, {})
    files = sorted(p for p in folder.iterdir())
    assert {p.name for p in files} >= {"work.db", "work.db-wal", "work.db-shm"}
    assert mode(folder) == 0o700
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    journal.close()
    cache.close()


def test_an_existing_readable_journal_is_made_private(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    path = folder / "work.db"
    Journal(path).close()
    os.chmod(path, 0o644)
    os.chmod(folder, 0o755)
    Journal(path).close()
    assert (mode(folder), mode(path)) == (0o700, 0o600)
