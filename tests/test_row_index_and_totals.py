"""The row index and the day totals kept without a per-row structure (issue 18): random
staging, undo, redo, saves, server copies changing under their rows and reloads leave
`Store.index_of` answering every row's position (by bisection, never falling back to an
index) and the grid's day totals equal to a count from scratch of what it shows.

The real store against the real ledger (in-process, one fresh ledger per example) and
the real grid in a Textual pilot, bridged as the timesheet screen bridges them.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import FROZEN_NOW, FakeClock
from tests.test_entry_grid import GridApp
from tui.api.base import EntryQuery
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.store.store import StagingError, Store, StoreSettings
from tui.store.values import week_range
from tui.widgets.entry_grid import EntryGrid

TODAY = FROZEN_NOW.date()
WEEK = week_range(TODAY)
DAYS = st.integers(-2, 8)
"""A day by its offset from the week's Monday: some fall outside the week."""
ROW = st.integers(0, 40)
MINUTES = st.sampled_from([0, 15, 30, 90])

operations = st.lists(
    st.one_of(
        st.tuples(st.just("new"), DAYS, MINUTES),
        st.tuples(st.just("date"), ROW, DAYS),
        st.tuples(st.just("minutes"), ROW, MINUTES),
        st.tuples(st.just("delete"), ROW),
        st.just(("undo",)),
        st.just(("redo",)),
        st.just(("save",)),
        st.tuples(st.just("server"), ROW, DAYS, MINUTES),
        st.just(("reload",)),
    ),
    max_size=20,
)


async def no_sleep(_: float) -> None:
    return None


def day(offset: int) -> date:
    return WEEK[0] + timedelta(days=offset)


def shown_totals(store: Store) -> dict[date, int]:
    """The day totals counted from scratch: every row shown (staged values over the
    server's), those with a staged delete out (whether shown `-`, saving, waiting for a
    lost answer, refused or in conflict), the running timer's minutes on its row's day."""
    days: Counter[date] = Counter()
    for entry_id in store.order:
        row = store.row(entry_id)
        if not row.delete_staged:
            days[row.record.date] += row.record.minutes
    live = store.live_timer_minutes()
    if live is not None and live[0] in store.order:
        row = store.row(live[0])
        if not row.delete_staged:
            days[row.record.date] += live[1]
    return {d: m for d, m in days.items() if m}


class Warnings(logging.Handler):
    """The store's warnings (a row not where the order or the index says it is)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


def check(store: Store, grid: EntryGrid, gone: set[str], warnings: Warnings) -> None:
    assert store._sorted  # bisected: no index was needed
    assert not warnings.seen
    for position, entry_id in enumerate(store.order):
        assert store.index_of(entry_id) == position
    shown = set(store.order)
    for entry_id in (gone | set(store.staging.staged)) - shown:
        assert store.index_of(entry_id) is None
    server: Counter[date] = Counter()
    for record in store.records.values():
        server[record.date] += record.minutes
    assert store.records.days == {d: m for d, m in server.items() if m}
    # What the totals line shows: the range's days (a saved new row dated in another
    # week keeps its server copy in the records, out of the order and of the range).
    query = store.query
    assert query is not None
    in_range = {d: m for d, m in grid.day_totals.items() if query.covers(d)}
    assert in_range == {d: m for d, m in shown_totals(store).items() if query.covers(d)}


async def step(store: Store, op: tuple[Any, ...], service: str, gone: set[str]) -> None:
    name = op[0]
    rows = store.order
    target = rows[op[1] % len(rows)] if rows and name in ("date", "minutes", "delete") else None
    try:
        if name == "new":
            store.stage_new({"date": day(op[1]), "minutes": op[2], "service_id": service})
        elif name == "date" and target is not None:
            store.stage_edit(target, "date", day(op[2]))
        elif name == "minutes" and target is not None:
            store.stage_edit(target, "minutes", op[2])
        elif name == "delete" and target is not None:
            store.stage_delete([target])
        elif name == "undo":
            store.undo()
        elif name == "redo":
            store.redo()
        elif name == "save":
            await store.save()
        elif name == "server":
            server_rows = [i for i in rows if i in store.records]
            if server_rows:
                entry_id = server_rows[op[1] % len(server_rows)]
                record = store.records[entry_id]
                store.replace_records([record.replaced(date=day(op[2]), minutes=op[3])])
        elif name == "reload":
            await store.load(store.query or EntryQuery(*WEEK))
    except StagingError:
        pass
    gone.update(rows)


async def run(ops: list[tuple[Any, ...]], folder: Path) -> None:
    clock = FakeClock()
    db = LedgerDB(folder / "ledger.db", clock=clock)
    populate_demo(db, today=TODAY)
    transport = httpx.ASGITransport(app=create_app(db))
    owner = str(db.identity.owner_person_id)
    store = Store(
        ProductiveAdapter.for_ledger(db, transport=transport, sleep=no_sleep),
        clock=clock,
        settings=StoreSettings(settle_grace_seconds=0),
    )
    try:
        await store.open()
        await store.load(EntryQuery(*WEEK, person_ids=(owner,)))
        service = next(iter(store.services))
        gone: set[str] = set()
        warnings = Warnings()
        logging.getLogger("tui.store").addHandler(warnings)
        app = GridApp(store)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            grid = app.query_one(EntryGrid)
            check(store, grid, gone, warnings)
            for op in ops:
                await step(store, op, service, gone)
                await pilot.pause()
                check(store, grid, gone, warnings)
    finally:
        logging.getLogger("tui.store").removeHandler(warnings)
        await store.aclose()
        db.close()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ops=operations)
# Cases worth running every time, whatever the random draw:
@example(ops=[("server", 0, 5, 30), ("server", 1, -1, 0), ("new", 0, 30), ("date", 0, 3)])
@example(ops=[("new", 2, 30), ("new", 2, 15), ("date", 40, 4), ("save",), ("delete", 0)])
@example(ops=[("date", 3, 6), ("minutes", 3, 0), ("save",), ("undo",), ("new", 9, 15)])
@example(ops=[("new", 1, 30), ("save",), ("server", 40, 1, 90), ("reload",), ("delete", 2)])
def test_random_changes_keep_every_row_found_and_the_totals_equal_a_recount(
    ops: list[tuple[Any, ...]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(ops, Path(folder)))


async def save_many_new_rows(folder: Path, count: int) -> None:
    clock = FakeClock()
    db = LedgerDB(folder / "ledger.db", clock=clock)
    populate_demo(db, today=TODAY)
    store = Store(
        ProductiveAdapter.for_ledger(db, transport=httpx.ASGITransport(app=create_app(db))),
        clock=clock,
        settings=StoreSettings(settle_grace_seconds=0),
    )
    try:
        await store.open()
        await store.load(EntryQuery(*WEEK, person_ids=(str(db.identity.owner_person_id),)))
        service = next(iter(store.services))
        new = [
            store.stage_new({"date": day(n * 7 // count), "minutes": 15, "service_id": service})
            for n in range(count)
        ]
        before = list(store.order)
        report = await store.save()
        assert set(report.created_ids) == set(new)
        # Each saved row took its server id where it was: nothing moved.
        assert store.order == [report.created_ids.get(i, i) for i in before]
        assert store._sorted
        for position, entry_id in enumerate(store.order):
            assert store.index_of(entry_id) == position
    finally:
        await store.aclose()
        db.close()


@pytest.mark.parametrize("count", [3, 300])  # a search each; one pass over the order
def test_saved_new_rows_take_their_server_ids_in_place(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(save_many_new_rows(Path(folder), count))
