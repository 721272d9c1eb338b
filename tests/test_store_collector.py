"""A big load keeps its records out of full collections while it streams in. A process
that froze its start-up objects (`timesheet`) keeps them frozen; any other gets its
generations back when the load ends, so nothing stays out of reach of the collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tests.conftest import FakeClock
from tests.test_store import TODAY, adapter
from tui.api.base import EntryQuery
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_large
from tui.startup import startup_done
from tui.store.collector import LoadCollector
from tui.store.store import Store

pytestmark = pytest.mark.anyio

EVERYTHING = EntryQuery(TODAY - timedelta(days=800), TODAY + timedelta(days=1))


class Cycle:
    """Garbage only the cycle collector can free."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


async def loading(ledger: LedgerDB, clock: FakeClock, entries: int) -> tuple[Store, list[int]]:
    """A store over `entries` entries (pages of 200), and the list its changes fill with
    the permanent generation's size as each page arrives."""
    populate_large(ledger, entries=entries, today=TODAY)
    transport = httpx.ASGITransport(app=create_app(ledger, clock=clock))
    store = Store(adapter(ledger, transport), clock=clock)
    await store.open()
    frozen: list[int] = []
    store.subscribe(lambda change: frozen.append(gc.get_freeze_count()) if change.added else None)
    return store, frozen


async def test_records_are_frozen_page_by_page_and_given_back_when_the_load_ends(
    ledger, clock, unfrozen
):
    store, frozen = await loading(ledger, clock, 900)  # five pages
    kept: list[weakref.ref[Cycle]] = []
    store.subscribe(lambda change: kept.append(weakref.ref(Cycle())) if change.added else None)
    await store.load(EVERYTHING)
    assert len(store.order) == 900
    assert frozen[0] == 0 and max(frozen) > 0  # from the second page on
    assert gc.get_freeze_count() == 0  # this process froze nothing before: left as it was
    gc.collect()
    assert kept and all(ref() is None for ref in kept)  # cycles frozen on the way are freed
    await store.backend.aclose()


async def test_a_process_that_froze_its_start_up_keeps_the_loaded_records_frozen(
    ledger, clock, unfrozen
):
    store, _ = await loading(ledger, clock, 900)
    gc.freeze()  # as `timesheet` does once its modules are loaded
    before = gc.get_freeze_count()
    await store.load(EVERYTHING)
    assert gc.get_freeze_count() >= before + 900
    gc.unfreeze()
    await store.backend.aclose()


async def test_a_load_begun_before_the_start_up_froze_keeps_that_freeze(ledger, clock, unfrozen):
    """The app's first load begins while the collector is still off (`tui.__main__`);
    its first page brings the first frame, and so the start-up's freeze, with pages
    still to come. The load's end must not undo that freeze."""
    store, _ = await loading(ledger, clock, 900)  # five pages
    started: list[int] = []

    def first_frame(change) -> None:
        if change.added and not started:
            startup_done()  # as the app does once its first frame is drawn
            started.append(gc.get_freeze_count())

    store.subscribe(first_frame)
    gc.disable()
    try:
        await store.load(EVERYTHING)
    finally:
        gc.enable()
    assert started and started[0] > 0
    # Still frozen, not given back (0): less only by what was frozen and freed since.
    assert gc.get_freeze_count() > started[0] // 2
    await store.backend.aclose()


async def test_a_one_page_week_freezes_nothing(ledger, clock, unfrozen):
    store, frozen = await loading(ledger, clock, 30)
    await store.load(EVERYTHING)
    assert len(store.order) == 30
    assert frozen == [0]
    await store.backend.aclose()


def test_a_big_loads_end_runs_no_collection_and_freezes_what_it_built() -> None:
    collector = LoadCollector()
    collector.page_taken()
    collector.page_taken()  # past its first page: a big load
    try:
        frozen = gc.get_freeze_count()
        with collector.settling():
            assert not gc.isenabled()
            built = [[n] for n in range(1000)]  # what sorting and indexing leave alive
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(built)
    finally:
        collector.close()


def test_a_weeks_load_settles_with_the_collector_on() -> None:
    collector = LoadCollector()
    collector.page_taken()  # one page: a week
    with collector.settling():
        assert gc.isenabled()
    collector.close()
