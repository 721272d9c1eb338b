"""The store against the real ledger, through the real Productive adapter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import FROZEN_NOW, FakeClock
from tests.faults import Fault, FaultTransport, LatePages
from tui.api.base import EntryQuery
from tui.api.errors import AuthError, NotFoundError
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.models import EntryStatus
from tui.store.changes import ApprovalResult, StoreChange
from tui.store.journal import Journal
from tui.store.records import RowState
from tui.store.store import StagingError, Store, StoreSettings
from tui.store.values import week_range

pytestmark = pytest.mark.anyio

TODAY = FROZEN_NOW.date()
WEEK = week_range(TODAY)
LAST_WEEK = week_range(TODAY - timedelta(days=7))


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def demo(ledger: LedgerDB) -> LedgerDB:
    populate_demo(ledger, today=TODAY)
    return ledger


@pytest.fixture
def transport(demo: LedgerDB, clock: FakeClock) -> FaultTransport:
    return FaultTransport(httpx.ASGITransport(app=create_app(demo, clock=clock)))


def adapter(db: LedgerDB, transport: httpx.AsyncBaseTransport, **kwargs) -> ProductiveAdapter:
    kwargs.setdefault("today", lambda: TODAY)  # the frozen clock's day, as the store's
    return ProductiveAdapter(
        base_url="http://ledger/api/v2",
        token=db.identity.token,
        organization_id=db.identity.organization_id,
        person_id=str(db.identity.owner_person_id),
        transport=transport,
        rate_limited=False,
        sleep=no_sleep,
        **kwargs,
    )


async def open_store(
    db: LedgerDB,
    transport: httpx.AsyncBaseTransport,
    clock: FakeClock,
    journal: Journal | None = None,
    *,
    everyone: bool = False,
    **settings,
) -> Store:
    store = Store(adapter(db, transport), journal, clock=clock, settings=StoreSettings(**settings))
    await store.open()
    people = () if everyone else (str(db.identity.owner_person_id),)
    await store.load(EntryQuery(*WEEK, person_ids=people))
    return store


def editable(store: Store, count: int = 1) -> list[str]:
    ids = [i for i in store.order if not store.records[i].locked and store.records[i].minutes]
    assert len(ids) >= count
    return ids[:count]


async def server_entry(transport: FaultTransport, db: LedgerDB, entry_id: str) -> dict:
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger/api/v2") as client:
        response = await client.get(
            f"/time_entries/{entry_id}",
            headers={
                "X-Auth-Token": db.identity.token,
                "X-Organization-Id": db.identity.organization_id,
            },
        )
    return response.json()["data"] if response.status_code == 200 else {}


async def test_load_fills_the_week_in_order_with_names(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    dates = [store.records[i].date for i in store.order]
    assert dates == sorted(dates) and dates and all(WEEK[0] <= d <= WEEK[1] for d in dates)
    first = store.records[store.order[0]]
    assert first.service_id in store.services and first.person_id in store.people
    assert store.status.loaded == len(store.order) and not store.status.loading


async def test_edit_is_staged_with_its_original_and_editing_back_unstages(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    seen: list[StoreChange] = []
    store.subscribe(seen.append)
    entry_id = editable(store)[0]
    before = store.records[entry_id].minutes
    store.stage_edit(entry_id, "minutes", "2:15")
    row = store.row(entry_id)
    assert (row.state, row.record.minutes, row.original) == (
        RowState.changed,
        135,
        {"minutes": before},
    )
    assert seen[-1].ids == {entry_id} and "minutes" in seen[-1].fields
    store.stage_edit(entry_id, "minutes", before)
    assert store.row(entry_id).state is RowState.clean and store.staged_count == 0


async def test_a_bad_value_is_refused_and_nothing_changes(demo, transport, clock, tmp_path) -> None:
    journal = Journal(tmp_path / "journal.db")
    store = await open_store(demo, transport, clock, journal)
    first, second = editable(store, 2)
    store.stage_edit(first, "note", "kept")
    for name, value, message in [
        ("minutes", "25:00", "under 24 hours"),
        ("minutes", "abc", "not a duration"),
        ("date", "2026-02-30", "not a date"),
        ("service_id", "99999", "no service"),
    ]:
        with pytest.raises(StagingError, match=message):
            store.stage_edits({second: {"note": "lost"}, first: {name: value}})
    assert store.row(second).state is RowState.clean
    assert [(i, s.values) for i, s in journal.load()] == [(first, {"note": "kept"})]


async def test_approved_entries_are_locked(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock, everyone=True)
    await store.load(EntryQuery(*LAST_WEEK))
    approved = next(i for i in store.order if store.records[i].approved)
    with pytest.raises(StagingError, match="unapprove it first"):
        store.stage_edit(approved, "note", "x")
    with pytest.raises(StagingError, match="unapprove"):
        store.stage_delete([approved])
    assert store.staged_count == 0


async def test_one_undo_reverts_a_bulk_delete_and_redo_repeats_it(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock, everyone=True)
    ids = editable(store, 40)
    assert store.stage_delete(ids) == 40
    assert all(store.row(i).state is RowState.deleted for i in ids)
    assert store.undo() == "delete 40 rows"
    assert store.staged_count == 0
    assert store.redo() == "delete 40 rows"
    assert store.staged_count == 40


async def test_edit_undo_redo_save_reaches_the_server(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    entry_id = editable(store)[0]
    store.stage_edit(entry_id, "note", "first")
    store.stage_edit(entry_id, "note", "second")
    store.undo()
    store.redo()
    report = await store.save()
    assert report.saved == 1 and not report.failed
    assert (await server_entry(transport, demo, entry_id))["attributes"]["note"] == "second"
    assert store.staged_count == 0 and store.row(entry_id).state is RowState.clean
    assert not store.staging.can_undo  # undo reverts staging, not the saved server copy


async def test_three_deletions_are_one_bulk_delete(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    ids = editable(store, 3)
    store.stage_delete(ids)
    report = await store.save()
    deletes = transport.calls("DELETE", "/api/v2/time_entries")
    assert report.saved == 3 and len(deletes) == 1 and deletes[0].items == 3
    for entry_id in ids:
        assert await server_entry(transport, demo, entry_id) == {}
        assert entry_id not in store.order


async def test_new_rows_are_created_and_take_their_server_ids(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    service = next(iter(store.services))
    first = store.stage_new({"minutes": 45, "service_id": service, "note": "new one"})
    dropped = store.stage_new({"minutes": 30, "service_id": service})
    store.stage_delete([dropped])  # a new row deleted again never reaches the server
    incomplete = store.stage_new({"note": "no service yet"})
    report = await store.save()
    assert report.saved == 1
    server_id = report.created_ids[first]
    assert (await server_entry(transport, demo, server_id))["attributes"]["note"] == "new one"
    assert server_id in store.order and first not in store.order
    assert "needs a service" in store.row(incomplete).error
    posts = transport.calls("POST", "/api/v2/time_entries")
    assert len(posts) == 1 and posts[0].items == 1


async def test_mixed_save_uses_one_request_per_kind_and_chunk(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock, everyone=True, bulk_chunk_size=10)
    ids = editable(store, 45)
    store.stage_delete(ids[:12])
    store.stage_edits({i: {"note": f"edited {i}"} for i in ids[12:45]})
    service = next(iter(store.services))
    for n in range(25):
        store.stage_new({"minutes": 15 + n, "service_id": service})
    progress: list[tuple[int, int]] = []
    report = await store.save(lambda done, total: progress.append((done, total)))
    assert report.saved == 70 and not report.failed
    writes = [r for r in transport.requests if r.method != "GET"]
    assert len(writes) == 2 + 4 + 3 == report.writes  # ⌈12/10⌉ + ⌈33/10⌉ + ⌈25/10⌉
    assert progress[-1] == (70, 70) and [d for d, _ in progress] == sorted(d for d, _ in progress)


async def test_conflict_is_not_overwritten_and_the_user_chooses(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    entry_id = editable(store)[0]
    store.stage_edit(entry_id, "note", "mine")
    clock.advance(seconds=5)
    other = adapter(demo, transport)
    from tui.api.base import EntryChange

    await other.update_entries([EntryChange(entry_id, {"note": "theirs"})])
    report = await store.save()
    assert report.conflicts == [entry_id]
    row = store.row(entry_id)
    assert row.state is RowState.conflict and row.server.note == "theirs"
    assert row.record.note == "mine"
    assert (await server_entry(transport, demo, entry_id))["attributes"]["note"] == "theirs"
    store.resolve_conflict(entry_id, keep="mine")
    assert (await store.save()).saved == 1
    assert (await server_entry(transport, demo, entry_id))["attributes"]["note"] == "mine"


async def test_deleting_a_submitted_entry_says_it_is_submitted_not_approved(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock, everyone=True)
    submitted = next(i for i in store.order if store.records[i].lock_reason == "submitted")
    with pytest.raises(StagingError, match=f"Entry {submitted} is submitted; unsubmit its week"):
        store.stage_delete([submitted])
    assert store.staged_count == 0


async def test_the_running_timers_time_is_not_typed_over_until_it_stops(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    assert store.timer is not None and store.timer.entry_id
    entry_id = store.timer.entry_id
    with pytest.raises(StagingError, match=r"A timer is running on entry .*; stop it first"):
        store.stage_edit(entry_id, "minutes", "2h")
    store.stage_edit(entry_id, "note", "its note may change")  # only its time is the timer's
    await store.stop_timer()
    store.stage_edit(entry_id, "minutes", "2h")
    assert store.row(entry_id).record.minutes == 120


async def test_a_task_and_its_service_stay_together_in_an_edit(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    entry_id = editable(store)[0]
    record = store.records[entry_id]
    other = next(
        t for t in store.tasks.values() if t.service_id and t.service_id != record.service_id
    )
    # A task of another service brings its service along, in one undoable step.
    store.stage_edit(entry_id, "task_id", other.id)
    shown = store.row(entry_id).record
    assert (shown.task_id, shown.service_id) == (other.id, other.service_id)
    store.undo()
    assert store.row(entry_id).record.service_id == record.service_id
    # A new service drops a task that is not its own.
    store.stage_edit(entry_id, "task_id", other.id)
    elsewhere = next(s for s in store.services if s != other.service_id)
    store.stage_edit(entry_id, "service_id", elsewhere)
    shown = store.row(entry_id).record
    assert (shown.service_id, shown.task_id) == (elsewhere, None)
    # Both at once, and apart: refused in one sentence, nothing staged by it.
    with pytest.raises(StagingError, match=r"belongs to .*pick a task of that service"):
        store.stage_edits({entry_id: {"service_id": elsewhere, "task_id": other.id}})
    assert store.row(entry_id).record.task_id is None


async def test_a_weekday_typed_for_a_date_is_that_day_of_the_week_shown(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    entry_id = editable(store)[0]
    store.stage_edit(entry_id, "date", "sun")
    assert store.row(entry_id).record.date == WEEK[1]  # this week's Sunday, still shown


async def test_stopping_the_timer_does_not_turn_a_staged_note_into_a_conflict(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    assert store.timer is not None and store.timer.entry_id in store.records
    entry_id = store.timer.entry_id
    store.stage_edit(entry_id, "note", "written while it ran")
    clock.advance(minutes=20)
    await store.stop_timer()  # this app's own write: the entry's minutes and updated_at move
    report = await store.save()
    assert (report.saved, report.conflicts) == (1, [])
    assert (await server_entry(transport, demo, entry_id))["attributes"]["note"] == (
        "written while it ran"
    )


async def test_submitting_and_unsubmitting_do_not_turn_a_staged_edit_into_a_conflict(
    demo, transport, clock
) -> None:
    from tui.store import submission

    store = await open_store(demo, transport, clock)
    entry_id = editable(store)[0]
    store.stage_edit(entry_id, "note", "mine")
    day = store.records[entry_id].date
    plan = await submission.plan_week(store, day, day, today=TODAY)
    await submission.submit(store, plan)
    await submission.unsubmit(store, await submission.plan_week(store, day, day, today=TODAY))
    report = await store.save()
    assert (report.saved, report.conflicts) == (1, [])
    assert (await server_entry(transport, demo, entry_id))["attributes"]["note"] == "mine"


async def test_the_apps_own_write_still_conflicts_with_a_staged_change_of_that_field(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    running = store.timer
    assert running is not None and running.entry_id
    entry_id = running.entry_id
    store.timer = None  # as before the store knew of it (a timer started elsewhere)
    store.stage_edit(entry_id, "minutes", 5)
    await store.refresh_timer()
    clock.advance(minutes=20)
    await store.stop_timer()  # the stop sets the minutes too: the user chooses
    assert (await store.save()).conflicts == [entry_id]


async def test_lost_answer_after_bulk_post_makes_no_duplicates(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock)
    service = next(iter(store.services))
    new_ids = [
        store.stage_new({"minutes": 20 + n, "service_id": service, "note": f"lost {n}"})
        for n in range(3)
    ]
    transport.inject(Fault.reset_after_send(), method="POST", path="/api/v2/time_entries")
    report = await store.save()
    # Unknown until the grace has passed: a slow server might still be making them.
    assert report.saved == 0 and not report.failed and set(report.unknown) == set(new_ids)
    assert {store.row(i).state for i in new_ids} == {RowState.unconfirmed}
    with pytest.raises(StagingError, match="waiting for the server to confirm"):
        store.stage_edit(new_ids[0], "note", "changed meanwhile")
    clock.advance(seconds=60)
    report = await store.save()  # settles first: the read finds all three
    assert report.saved == 3 and not report.failed and not report.unknown
    assert len(transport.calls("POST", "/api/v2/time_entries")) == 1  # never resent
    await store.load(EntryQuery(*WEEK))
    notes = [store.records[i].note for i in store.order]
    assert sorted(n for n in notes if n.startswith("lost")) == ["lost 0", "lost 1", "lost 2"]
    assert all(i not in store.order for i in new_ids)


async def test_journal_restores_staged_changes_on_the_next_start(
    demo, transport, clock, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.db")
    store = await open_store(demo, transport, clock, journal)
    first, second, third = editable(store, 3)
    store.stage_edit(first, "note", "restored")
    store.stage_delete([second])
    new_id = store.stage_new({"minutes": 30, "note": "new and restored"})
    journal.close()
    again = await open_store(demo, transport, clock, Journal(tmp_path / "journal.db"))
    assert again.row(first).record.note == "restored"
    assert again.row(second).state is RowState.deleted
    assert again.row(new_id).state is RowState.new and new_id in again.order
    assert again.row(third).state is RowState.clean
    for name in ("journal.db", "journal.db-wal"):
        path = tmp_path / name
        if path.exists():
            assert demo.identity.token.encode() not in path.read_bytes()


async def test_approve_reports_pending_then_approved_for_all(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock, everyone=True)
    await store.load(EntryQuery(*LAST_WEEK))
    with demo.transaction() as conn:
        # Entries that need a second approver and already carry "my" approval: my bulk
        # approve cannot complete them (the seed's first example).
        two = {
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM time_entries WHERE approvers_needed = 2 AND approved = 0 AND id IN"
                " (SELECT time_entry_id FROM time_entry_approvals WHERE person_id = ?)",
                (demo.identity.owner_person_id,),
            )
        }
    waiting = store.select(statuses=[EntryStatus.submitted])
    needs_two = [i for i in waiting if i in two][:1]
    single = [i for i in waiting if i not in two][:2]
    assert needs_two and len(single) == 2
    results = await store.approve(needs_two + single)
    assert [r.result for r in results] == ["pending", "approved", "approved"]
    assert (await store.approve(needs_two, for_all_approvers=True))[0].result == "approved"
    assert store.records[needs_two[0]].approved
    per_person, per_day = store.totals(single)
    assert (
        sum(per_person.values())
        == sum(per_day.values())
        == sum(store.records[i].minutes for i in single)
    )


async def test_reject_fails_a_refused_entry_and_raises_a_refused_token(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock, everyone=True)
    with demo.transaction() as conn:
        open_id, invoiced_id = (
            str(conn.execute(f"SELECT id FROM time_entries WHERE {where} LIMIT 1").fetchone()[0])
            for where in ("approved = 0 AND rejected = 0 AND invoiced = 0", "invoiced = 1")
        )
    refused = await store.reject(invoiced_id, "No.")
    assert refused.result == "failed" and "invoiced" in (refused.message or "")
    assert await store.reject(open_id, "Add a task.") == ApprovalResult(
        open_id, "rejected", "Add a task."
    )
    assert (await server_entry(transport, demo, open_id))["attributes"]["rejected_reason"] == (
        "Add a task."
    )

    stranger = Store(
        ProductiveAdapter(
            base_url="http://ledger/api/v2",
            token="not-the-token",
            organization_id=demo.identity.organization_id,
            transport=transport,
            rate_limited=False,
            sleep=no_sleep,
        ),
        clock=clock,
    )
    with pytest.raises(AuthError):  # a refused token is no one entry's failure
        await stranger.reject(invoiced_id, "No.")


async def test_stop_timer_shows_server_minutes_and_stages_rounding(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock, rounding_minutes=15)
    assert store.timer is not None and store.timer.running
    elapsed = store.elapsed_seconds()
    assert elapsed > 0 and not store.timer_forgotten
    result = await store.stop_timer()
    assert result.minutes == elapsed // 60
    assert result.rounded_minutes == ((result.minutes + 7) // 15) * 15
    row = store.row(result.entry.id)
    if result.rounded_minutes != result.minutes:
        assert row.state is RowState.changed and row.record.minutes == result.rounded_minutes
        assert row.original["minutes"] == result.minutes  # offered, not applied
    served = await server_entry(transport, demo, result.entry.id)
    assert served["attributes"]["time"] == result.minutes
    assert store.timer is None


async def test_forgotten_timer_is_flagged(demo, transport, clock) -> None:
    store = await open_store(demo, transport, clock, forgotten_timer_hours=2)
    assert not store.timer_forgotten
    clock.advance(hours=3)
    assert store.timer_forgotten


async def test_a_staged_row_belongs_to_its_week_when_the_week_changes(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    me = (str(demo.identity.owner_person_id),)
    (edited,) = editable(store)
    before = store.records[edited]
    store.stage_edits({edited: {"note": "changed this week"}})
    new_id = store.stage_new({"minutes": 45, "note": "Client call"})
    assert store.row(new_id).record.date == TODAY and new_id in store.order

    await store.load(EntryQuery(*LAST_WEEK, person_ids=me))
    assert new_id not in store.order  # not shown (nor counted) in every week
    assert edited not in store.order
    # Off screen, the staged edit still says what it changes and of which entry.
    row = store.row(edited)
    assert (row.record.date, row.record.service_id, row.record.minutes) == (
        before.date,
        before.service_id,
        before.minutes,
    )
    assert row.record.note == "changed this week" and row.state is RowState.changed

    await store.load(EntryQuery(*WEEK, person_ids=me))
    assert new_id in store.order and edited in store.order


async def test_saving_the_deletion_of_the_timers_entry_clears_the_timer(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    await store.refresh_timer()
    assert store.timer is not None and store.timer.entry_id in store.order
    timers: list[bool] = []
    store.subscribe(lambda change: timers.append(change.timer))
    store.stage_delete([store.timer.entry_id])
    report = await store.save()
    assert report.saved == 1
    assert store.timer is None and any(timers)  # the panel is told: nothing left to stop
    with pytest.raises(NotFoundError, match="No timer is running"):
        await store.stop_timer()


async def test_starting_a_timer_shows_the_stopped_one_and_the_new_entry(
    demo, transport, clock
) -> None:
    store = await open_store(demo, transport, clock)
    await store.refresh_timer()
    assert store.timer is not None
    old_entry = store.timer.entry_id
    running_for = store.timer.elapsed_seconds(clock()) // 60
    service = next(iter(store.services))
    timer = await store.start_timer(service, note="Next task")
    assert store.records[old_entry].minutes == running_for  # stopped by the server
    assert timer.entry_id in store.order  # the new one's entry, at once
    assert store.row(timer.entry_id).record.service_id == service


async def test_streamed_pages_extend_the_row_index_and_tell_only_new_lookups(
    ledger: LedgerDB, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    from tui.ledger.demo import populate_large

    populate_large(ledger, entries=900, today=TODAY)  # five pages of 200
    transport = httpx.ASGITransport(app=create_app(ledger, clock=clock))
    store = Store(adapter(ledger, transport), clock=clock)
    await store.open()
    indexes: list[int] = []
    pages: list[StoreChange] = []

    def follow(change: StoreChange) -> None:  # as the grid does: look a new row up
        if change.added:
            assert store.index_of(change.added[-1]) == len(store.order) - 1
            assert all(store.index_of(i) == n for n, i in enumerate(store.order))
            # While the pages come in date order, no index; once one does not, one
            # index, grown page by page.
            indexes.append(id(store._index) if store._index is not None else 0)
            pages.append(change)

    store.subscribe(follow)
    await store.load(EntryQuery(TODAY - timedelta(days=800), TODAY + timedelta(days=1)))
    assert len(indexes) >= 5 and len(set(indexes) - {0}) <= 1
    assert store._index is None  # the settled order is bisected: no index kept
    assert not [r for r in caplog.records if r.name == "tui.store"]  # never out of place
    # Pages naming only the people and services `open` read are no news (a `lookups`
    # change redraws every row and the timer panel).
    assert not any(change.lookups for change in pages)
    assert all(store.index_of(i) == n for n, i in enumerate(store.order))
    await store.backend.aclose()


@pytest.mark.parametrize("turns", [1, 12])  # while it reads the keys; while it indexes
async def test_a_row_staged_while_a_streamed_load_settles_its_order_is_in_the_order(
    ledger: LedgerDB, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, turns: int
) -> None:
    """The end of a streamed load sorts and indexes the rows a slice at a time, answering
    keys in between: a new row staged then is in the settled order, where its date puts
    it."""
    import asyncio

    import tui.store.store
    from tui.ledger.demo import populate_large

    monkeypatch.setattr(tui.store.store, "SETTLE_SLICE", 100)  # nine slices,
    monkeypatch.setattr(tui.store.store, "SETTLE_PAUSE", 0)  # each one turn of the loop

    populate_large(ledger, entries=900, today=TODAY)
    transport = httpx.ASGITransport(app=create_app(ledger, clock=clock))
    store = Store(adapter(ledger, transport), clock=clock)
    await store.open()
    staged: list[str] = []

    async def stage_once_the_pages_are_in() -> None:
        while store.status.loading or not store.order:
            await asyncio.sleep(0)
        for _ in range(turns - 1):
            await asyncio.sleep(0)
        staged.append(store.stage_new(after=store.order[0]))

    helper = asyncio.create_task(stage_once_the_pages_are_in())
    await store.load(EntryQuery(TODAY - timedelta(days=800), TODAY + timedelta(days=1)))
    await helper
    assert staged and staged[0] in store.order
    assert len(store.order) == 901
    dates = [store._date_of(i) for i in store.order]
    assert dates == sorted(dates)
    assert all(store.index_of(i) == n for n, i in enumerate(store.order))
    await store.backend.aclose()


async def test_rows_streamed_in_never_move_when_the_load_ends(
    ledger: LedgerDB, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages answered out of order still show in the server's order while they stream
    in, so the end of the load (sorted and indexed a slice at a time) moves no row."""
    import tui.store.store
    from tui.ledger.demo import populate_large

    monkeypatch.setattr(tui.store.store, "SETTLE_SLICE", 100)  # a big load, in slices
    populate_large(ledger, entries=1_000, today=TODAY)
    late = {2: 0.03, 3: 0.02}  # pages 2 and 3 answer after 4 and 5
    transport = LatePages(httpx.ASGITransport(app=create_app(ledger, clock=clock)), late)
    store = Store(adapter(ledger, transport), clock=clock)
    await store.open()
    shown: list[list[str]] = []

    def follow(change: StoreChange) -> None:
        if change.added:
            shown.append(list(store.order))

    store.subscribe(follow)
    await store.load(EntryQuery(TODAY - timedelta(days=800), TODAY + timedelta(days=1)))
    assert len(shown) >= 5 and len(store.order) == 1_000
    assert all(store.order[: len(rows)] == rows for rows in shown)
    dates = [store._date_of(i) for i in store.order]
    assert dates == sorted(dates)
    assert all(store.index_of(i) == n for n, i in enumerate(store.order))
    await store.backend.aclose()
