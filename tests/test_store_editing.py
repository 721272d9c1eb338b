"""Editing in the store, against the real ledger (issue 14 items 4-6): new rows in date
order, refusals marked at once, conflicts that show every difference and do not offer
what cannot succeed, and a restart that brings back the history and the failure marks."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import FakeClock
from tests.faults import FaultTransport
from tests.test_store import TODAY, WEEK, adapter, open_store
from tui.api.base import EntryChange, EntryQuery
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.store.changes import StoreChange
from tui.store.conflicts import conflict_message
from tui.store.journal import Journal
from tui.store.records import RowState
from tui.store.store import StagingError, Store

pytestmark = pytest.mark.anyio


@pytest.fixture
def demo(ledger: LedgerDB) -> LedgerDB:
    populate_demo(ledger, today=TODAY)
    return ledger


@pytest.fixture
def transport(demo: LedgerDB, clock: FakeClock) -> FaultTransport:
    return FaultTransport(httpx.ASGITransport(app=create_app(demo, clock=clock)))


def describe(field: str, value: object) -> str:
    return repr(value)


def dates_in_order(store: Store) -> list:
    return [store.row(i).record.date for i in store.order]


# ------------------------------------------------------------------ new rows


async def test_a_new_row_goes_after_the_rows_of_its_date(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    service = next(iter(store.services))
    monday = WEEK[0]
    assert any(store.records[i].date > monday for i in store.order)
    cursor = store.order[-1]  # the user is on the week's last row
    new_id = store.stage_new({"date": monday, "minutes": 30, "service_id": service}, after=cursor)
    assert dates_in_order(store) == sorted(dates_in_order(store))
    position = store.index_of(new_id)
    assert position is not None
    assert all(store.row(i).record.date <= monday for i in store.order[:position])
    assert all(store.row(i).record.date > monday for i in store.order[position + 1 :])


async def test_a_new_row_takes_the_date_of_the_row_it_is_staged_from(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    first = store.order[0]
    new_id = store.stage_new(after=first)
    assert store.row(new_id).record.date == store.records[first].date
    assert dates_in_order(store) == sorted(dates_in_order(store))


async def test_editing_a_new_rows_date_moves_it_and_undo_moves_it_back(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    service = next(iter(store.services))
    new_id = store.stage_new({"date": WEEK[0], "minutes": 30, "service_id": service})
    seen: list[StoreChange] = []
    store.subscribe(seen.append)
    store.stage_edit(new_id, "date", WEEK[1])
    assert dates_in_order(store) == sorted(dates_in_order(store))
    assert store.row(store.order[store.index_of(new_id) - 1]).record.date <= WEEK[1]
    assert seen[-1].reset  # rows moved: views redraw and follow the cursor's id
    store.undo()
    assert store.row(new_id).record.date == WEEK[0]
    assert dates_in_order(store) == sorted(dates_in_order(store))


async def test_an_incomplete_new_row_is_marked_failed_at_once_and_never_sent(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    incomplete = store.stage_new({"minutes": 30, "note": "no service yet"})
    seen: list[StoreChange] = []
    store.subscribe(seen.append)
    report = await store.save()
    row = store.row(incomplete)
    assert row.state is RowState.failed and "needs a service" in (row.error or "")
    # The listeners were told, so the grid shows `!` without waiting for another redraw.
    assert any(incomplete in change.ids and "state" in change.fields for change in seen)
    assert report.saved == 0 and incomplete in report.failed
    assert not transport.calls("POST", "/api/v2/time_entries")


# ---------------------------------------------------------------- conflicts


async def conflict_after(demo, transport, clock, change_on_server) -> tuple[Store, str]:
    """A staged note edit whose entry `change_on_server(adapter, id)` changed meanwhile."""
    store = await open_store(demo, transport, clock)
    entry_id = next(
        i
        for i in store.order
        if not store.records[i].locked
        and not store.records[i].submitted
        and store.records[i].minutes
    )
    store.stage_edit(entry_id, "note", "mine")
    clock.advance(seconds=5)
    await change_on_server(adapter(demo, transport), entry_id)
    report = await store.save()
    assert report.conflicts == [entry_id], report
    assert store.row(entry_id).state is RowState.conflict
    return store, entry_id


async def test_a_conflict_names_every_difference_including_the_approval(
    demo, transport, clock
) -> None:
    async def approve_and_retime(other, entry_id: str) -> None:
        await other.update_entries([EntryChange(entry_id, {"minutes": 7})])
        await other.approve_entries([entry_id])

    store, entry_id = await conflict_after(demo, transport, clock, approve_and_retime)
    message = conflict_message(store.row(entry_id), describe)
    assert "time 7 (yours" in message
    assert "approved (was draft)" in message


async def test_keep_mine_is_refused_when_the_server_approved_it_meanwhile(
    demo, transport, clock
) -> None:
    async def approve(other, entry_id: str) -> None:
        await other.approve_entries([entry_id])

    store, entry_id = await conflict_after(demo, transport, clock, approve)
    with pytest.raises(StagingError, match="approved on the server meanwhile: unapprove it"):
        store.resolve_conflict(entry_id, keep="mine")
    assert store.row(entry_id).state is RowState.conflict  # still the user's choice
    store.resolve_conflict(entry_id, keep="server")
    assert store.staged_count == 0 and store.records[entry_id].approved


async def test_an_edit_of_an_entry_deleted_on_the_server_is_a_conflict_to_drop(
    demo, transport, clock
) -> None:
    async def delete(other, entry_id: str) -> None:
        await other.delete_entries([entry_id])

    store, entry_id = await conflict_after(demo, transport, clock, delete)
    row = store.row(entry_id)
    assert conflict_message(row, describe) == "Deleted on the server since it was loaded."
    with pytest.raises(StagingError, match="deleted on the server meanwhile"):
        store.resolve_conflict(entry_id, keep="mine")
    store.resolve_conflict(entry_id, keep="server")
    assert store.staged_count == 0 and entry_id not in store.order


# ------------------------------------------------------------------ restart


def reopen(demo: LedgerDB, transport, clock, path: Path) -> Store:
    return Store(adapter(demo, transport), Journal(path), clock=clock)


async def test_a_restart_keeps_the_undo_and_redo_history(demo, transport, clock, tmp_path) -> None:
    path = tmp_path / "journal.db"
    store = await open_store(demo, transport, clock, Journal(path))
    first, second = [i for i in store.order if not store.records[i].locked][:2]
    notes = {first: store.records[first].note, second: store.records[second].note}
    store.stage_edit(first, "note", "one")
    store.stage_edit(second, "note", "two")
    store.stage_edit(first, "note", "three")
    assert store.undo() == "edit note"  # "three" goes to the redo stack
    await store.aclose()

    again = reopen(demo, transport, clock, path)
    await again.open()
    await again.load(store.query)
    assert again.row(first).record.note == "one"
    assert again.redo() == "edit note" and again.row(first).record.note == "three"
    assert again.undo() and again.undo() and again.undo()
    assert again.row(first).record.note == notes[first]
    assert again.row(second).record.note == notes[second]
    assert again.staged_count == 0 and again.undo() is None
    await again.aclose()


async def test_a_restart_keeps_failure_marks_and_their_reasons(
    demo, transport, clock, tmp_path
) -> None:
    path = tmp_path / "journal.db"
    store = await open_store(demo, transport, clock, Journal(path))
    service = next(iter(store.services))
    bad = store.stage_new({"minutes": 30, "service_id": service, "note": "x" * 10_001})
    incomplete = store.stage_new({"minutes": 15, "note": "no service yet"})
    await store.save()
    reasons = {i: store.row(i).error for i in (bad, incomplete)}
    assert all(reasons.values())
    await store.aclose()

    again = reopen(demo, transport, clock, path)
    assert again.restored_count == 2
    await again.open()
    await again.load(store.query)
    for entry_id, reason in reasons.items():
        row = again.row(entry_id)
        assert (row.state, row.error) == (RowState.failed, reason)
    # Fixing the row clears its mark, for good.
    again.stage_edit(bad, "note", "shorter")
    assert again.row(bad).state is RowState.new
    await again.aclose()
    third = reopen(demo, transport, clock, path)
    assert third.row(bad).state is RowState.new and third.row(incomplete).error
    await third.aclose()


async def test_saved_changes_leave_the_restored_history(demo, transport, clock, tmp_path) -> None:
    path = tmp_path / "journal.db"
    store = await open_store(demo, transport, clock, Journal(path))
    saved = next(i for i in store.order if not store.records[i].locked)
    store.stage_edit(saved, "note", "saved")
    incomplete = store.stage_new({"minutes": 15, "note": "no service yet"})
    report = await store.save()
    assert report.saved == 1 and incomplete in report.incomplete
    await store.aclose()

    again = reopen(demo, transport, clock, path)
    await again.open()
    await again.load(store.query)
    # Undo reverts staging, never what the server already holds: only the new row is left.
    assert again.undo() == "new entry" and incomplete not in again.order
    assert again.undo() is None
    assert again.records[saved].note == "saved" and again.row(saved).state is RowState.clean
    await again.aclose()


async def test_a_new_row_beside_a_submitted_days_row_is_refused_at_once(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    me = (store.person_id,)
    open_day = next(i for i in store.order if not store.records[i].submitted)
    last_week = [day - timedelta(days=7) for day in WEEK]
    await store.load(EntryQuery(*last_week, person_ids=me))  # the demo submitted it
    submitted = store.order[0]
    assert store.records[submitted].submitted
    staged_before = store.staged_count

    with pytest.raises(StagingError, match="is submitted; unsubmit the week"):
        store.stage_new(after=submitted)
    assert store.staged_count == staged_before  # nothing staged, nothing to fail at the save
    # A date given outright is the server's to judge (a timer's or an import's row).
    store.stage_new({"date": store.records[submitted].date}, after=submitted)
    # A rejected row stays editable: moved to the weekend, a row beside it goes there too.
    rejected = next(i for i in store.order if i in store.records and store.records[i].rejected)
    store.stage_edit(rejected, "date", last_week[1])
    moved = store.stage_new(after=rejected)
    assert store.row(moved).record.date == last_week[1]

    await store.load(EntryQuery(*WEEK, person_ids=me))
    new_id = store.stage_new(after=open_day)
    assert store.row(new_id).record.date == store.records[open_day].date


async def last_weeks_submitted_row(demo, transport, clock) -> tuple[Store, str]:
    """The store on last week (the demo submitted it), and one of its submitted rows."""
    store = await open_store(demo, transport, clock)
    last_week = [day - timedelta(days=7) for day in WEEK]
    await store.load(EntryQuery(*last_week, person_ids=(store.person_id,)))
    submitted = next(
        i for i in store.order if store.records[i].submitted and not store.records[i].rejected
    )
    return store, submitted


async def test_a_new_row_beside_a_new_row_of_a_submitted_day_is_refused_too(
    demo, transport, clock
) -> None:
    """The day is judged by the server's rows of it, not by the row the cursor is on: a
    new row (dated outright, as an import's) on a submitted day is no way around it."""
    store, submitted = await last_weeks_submitted_row(demo, transport, clock)
    day = store.records[submitted].date
    beside = store.stage_new({"date": day}, after=submitted)
    staged_before = store.staged_count

    with pytest.raises(StagingError) as refused:
        store.stage_new(after=beside)
    assert str(refused.value) == (
        f"{day:%a %d %b} is submitted; unsubmit the week (palette: Unsubmit) to add an entry to it."
    )
    assert store.staged_count == staged_before


async def test_a_timer_started_earlier_on_a_submitted_day_is_refused_before_sending(
    demo, transport, clock
) -> None:
    store, submitted = await last_weeks_submitted_row(demo, transport, clock)
    day = store.records[submitted].date
    started = datetime.combine(day, time(10, 0)).astimezone()
    service = next(iter(store.services))
    sent_before = len(transport.calls("POST"))

    with pytest.raises(StagingError, match=f"^{day:%a %d %b} is submitted; unsubmit the week"):
        await store.start_timer(service, started_at=started)
    assert len(transport.calls("POST")) == sent_before  # the server was not asked
