"""In the app, a save whose answer is lost marks the row `?` (waiting for the server to
confirm), refuses edits to it, and reads it back once the grace has passed: the row is
saved once, never sent twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
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
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
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
