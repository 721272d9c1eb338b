"""What the screens look like, pinned: demo data, a frozen clock, a fixed terminal size, and
the same in every time zone (each test runs in the zones of `zoned_clock`, against one
stored snapshot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock

pytestmark = pytest.mark.snapshot


def test_timesheet_screen(snap_compare, tmp_path: Path, zoned_clock: FakeClock) -> None:
    harness = Harness(tmp_path, zoned_clock)

    async def loaded(pilot) -> None:
        await settle(pilot)

    assert snap_compare(harness.app(), terminal_size=SIZE, run_before=loaded)


def test_timesheet_screen_with_staged_changes(
    snap_compare, tmp_path: Path, zoned_clock: FakeClock
) -> None:
    harness = Harness(tmp_path, zoned_clock)

    async def staged(pilot) -> None:
        await settle(pilot)
        store = pilot.app.store
        editable = [i for i in store.order if not store.records[i].locked]
        store.stage_edit(editable[0], "note", "Reviewed the design notes")
        store.stage_edit(editable[1], "minutes", "1:45")
        store.stage_delete([editable[2]])
        grid(pilot.app).move_to(editable[0])
        await pilot.pause()

    assert snap_compare(harness.app(), terminal_size=SIZE, run_before=staged)


def test_save_review(snap_compare, tmp_path: Path, zoned_clock: FakeClock) -> None:
    harness = Harness(tmp_path, zoned_clock)

    async def review(pilot) -> None:
        await settle(pilot)
        store = pilot.app.store
        editable = [i for i in store.order if not store.records[i].locked]
        store.stage_edit(editable[0], "note", "Reviewed the design notes")
        store.stage_delete([editable[2]])
        service = sorted(store.services)[0]
        store.stage_new({"minutes": 90, "service_id": service, "note": "Workshop"})
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(harness.app(), terminal_size=SIZE, run_before=review)
