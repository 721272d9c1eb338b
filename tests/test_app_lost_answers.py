"""In the app, a save whose answer is lost marks the row `?` (waiting for the server to
confirm), refuses edits to it, and reads it back once the grace has passed: the row is
saved once, never sent twice. The week's total counts what the grid shows: a row staged
for deletion is out of it while its delete is sent, waits for a lost answer, or meets a
conflict, so the total never jumps during a save."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.app_harness import SIZE, Harness, grid, save_and_close_review, save_in_review, settle
from tests.conftest import FakeClock
from tests.faults import Fault
from tui.store.records import RowState

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


async def test_a_lost_create_waits_then_is_found_not_resent(harness) -> None:
    app = harness.app(settle_grace_seconds=30)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        service = next(iter(store.services))
        new_id = store.stage_new({"minutes": 25, "service_id": service, "note": "lost answer"})
        harness.transport.inject(
            Fault.reset_after_send(), method="POST", path="/api/v2/time_entries"
        )
        await save_in_review(pilot)
        assert "waiting for the server to confirm" in app.screen.summary_text
        await pilot.press("escape")
        await settle(pilot)
        assert store.row(new_id).state is RowState.unconfirmed
        view = grid(app)
        view.move_to(new_id)
        await pilot.pause()
        shown = [view.render_line(y).text for y in range(view.size.height)]
        row = shown[store.index_of(new_id) + 1 - view.scroll_offset.y]
        assert row.startswith("?") and "lost answer" in row
        assert any("Waiting for the server to confirm" in line for line in shown)
        harness.clock.advance(seconds=31)
        app._settle_when_due()
        await settle(pilot)
        assert new_id not in store.staging.staged and not store.unsettled
        posts = harness.transport.calls("POST", "/api/v2/time_entries")
        assert len(posts) == 1
        with harness.db.transaction() as conn:
            made = conn.execute("SELECT count(*) FROM time_entries WHERE note = 'lost answer'")
            assert made.fetchone()[0] == 1


class HeldWrites(httpx.AsyncBaseTransport):
    """Holds every write until `release` is set (reads go through): a save in flight."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.held = 0
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self.held += 1
            await self.release.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def week_total(view) -> str:
    """The week's total as the totals line shows it."""
    lines = [view.render_line(y).text for y in range(view.size.height)]
    (line,) = [line for line in lines if line.startswith(" Week ")]
    return line.split()[1]


def deletable(store) -> str:
    """An entry of the week that a delete is sent for (not the running timer's)."""
    timer = store.timer.entry_id if store.timer is not None else None
    return next(
        i
        for i in store.order
        if i in store.records
        and store.records[i].minutes
        and not store.records[i].locked
        and i != timer
    )


async def test_the_week_total_does_not_count_a_delete_again_while_it_is_saved(harness) -> None:
    held = HeldWrites(harness.transport.inner)
    harness.transport.inner = held
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store, view = app.store, grid(app)
        before = week_total(view)
        doomed = deletable(store)
        store.stage_delete([doomed])
        await pilot.pause()
        staged = week_total(view)
        assert staged != before  # the deleted row's time is out
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        while not held.held:
            await pilot.pause()
        # In flight: marked before it left (`?`, or saving).
        assert store.row(doomed).state in (RowState.unconfirmed, RowState.saving)
        await pilot.pause()
        assert week_total(view) == staged  # no jump while the delete is on its way
        held.release.set()
        await settle(pilot)
        assert doomed not in store.order
        assert week_total(view) == staged


async def test_the_week_total_does_not_count_a_delete_whose_answer_was_lost(harness) -> None:
    app = harness.app(settle_grace_seconds=30)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store, view = app.store, grid(app)
        doomed = deletable(store)
        store.stage_delete([doomed])
        await pilot.pause()
        staged = week_total(view)
        harness.transport.inject(Fault.reset_after_send(), method="DELETE")
        await save_and_close_review(pilot)
        assert store.row(doomed).state is RowState.unconfirmed
        assert week_total(view) == staged  # the `?` row is still on its way out
        harness.clock.advance(seconds=31)
        app._settle_when_due()
        await settle(pilot)
        assert not store.unsettled and doomed not in store.order
        assert week_total(view) == staged


async def test_the_week_total_does_not_count_a_delete_left_in_conflict(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store, view = app.store, grid(app)
        doomed = deletable(store)
        store.stage_delete([doomed])
        await pilot.pause()
        staged = week_total(view)
        with harness.db.transaction() as conn:  # someone else edits it meanwhile
            conn.execute(
                "UPDATE time_entries SET note = 'theirs', updated_at = ? WHERE id = ?",
                ((harness.clock() + timedelta(seconds=5)).isoformat(), doomed),
            )
        await save_and_close_review(pilot)
        assert store.row(doomed).state is RowState.conflict
        assert week_total(view) == staged  # still staged for deletion: not counted


async def test_quitting_with_only_a_lost_answer_says_it_waits_for_the_server(harness) -> None:
    from tui.screens.dialogs import ConfirmDialog

    app = harness.app(settle_grace_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        service = next(iter(store.services))
        store.stage_new({"minutes": 25, "service_id": service, "note": "lost answer"})
        harness.transport.inject(
            Fault.reset_after_send(), method="POST", path="/api/v2/time_entries"
        )
        await save_and_close_review(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message.startswith(
            "1 staged change waiting for the server to confirm it. It is kept in the journal"
        )
