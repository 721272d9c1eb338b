"""The demo's data written by a child process while the app starts (tui.ledger.demo_fill),
and the demo store's first request waiting for it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tui.api.base import EntryQuery
from tui.config import UiSettings
from tui.ledger.db import LedgerDB
from tui.ledger.demo import create_demo_ledger
from tui.ledger.demo_fill import DemoFill
from tui.store.open import open_demo_store
from tui.store.values import week_range

pytestmark = pytest.mark.anyio


def entry_count(db: LedgerDB) -> int:
    return int(db.connection().execute("SELECT count(*) FROM time_entries").fetchone()[0])


def test_the_child_fills_the_ledger_with_the_whole_demo(tmp_path: Path) -> None:
    db = LedgerDB(tmp_path / "demo.db")
    identity = db.identity
    fill = DemoFill(db)
    child = fill._child
    assert child is not None
    fill.wait()
    assert child.returncode == 0  # the child's rows, not the fallback's
    reference = create_demo_ledger(tmp_path / "reference.db")
    try:
        assert entry_count(db) == entry_count(reference) > 100
        assert db.identity == identity  # the child added rows, not a ledger of its own
    finally:
        reference.close()
        db.close()


@pytest.mark.parametrize("interpreter", ["/nonexistent/python", "/bin/false"])
def test_without_a_working_child_the_ledger_is_filled_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interpreter: str
) -> None:
    monkeypatch.setattr(sys, "executable", interpreter)
    db = LedgerDB(tmp_path / "demo.db")
    try:
        fill = DemoFill(db)
        fill.wait()
        fill.wait()  # a second wait changes nothing
        assert entry_count(db) > 100
    finally:
        db.close()


def test_cancel_leaves_no_child_running(tmp_path: Path) -> None:
    db = LedgerDB(tmp_path / "demo.db")
    try:
        fill = DemoFill(db)
        child = fill._child
        assert child is not None
        fill.cancel()
        assert child.returncode is not None  # ended and reaped, filled or not
        fill.wait()  # after a cancel: returns at once, the ledger as it was left
    finally:
        db.close()


async def test_the_demo_stores_first_request_waits_for_the_data(tmp_path: Path) -> None:
    store = open_demo_store(tmp_path, UiSettings(), journal=False)
    try:
        # Straight away: the child has had no time to write anything yet.
        await store.open()
        await store.load(EntryQuery(*week_range(store.today())))
        ledger = store.backend.ledger  # type: ignore[attr-defined]
        assert store.services and store.timer is not None  # the demo's running timer
        assert entry_count(ledger) > 100
        assert store.order
    finally:
        await store.aclose()


def test_the_child_leaves_nothing_behind_once_the_folder_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "timesheet-demo-x"
    db = LedgerDB(folder / "demo.db")
    fill = DemoFill(db)
    child = fill._child
    assert child is not None
    db.close()
    shutil.rmtree(folder)  # the app ended before the child started writing
    assert child.wait(timeout=30) != 0
    assert not folder.exists()
