"""The reports screen (issue 17), pinned at 160x45 and 80x24 in the dark and light themes:
demo data, a frozen clock, the same in every time zone (each test runs in the zones of
`zoned_clock`, against one stored snapshot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_harness import Harness, settle
from tests.conftest import FakeClock

pytestmark = pytest.mark.snapshot

WIDE, NARROW = (160, 45), (80, 24)
CASES = {
    # name: (size, theme, everyone, a staged change)
    "wide-everyone-dark": (WIDE, "timesheet-dark", True, False),
    "wide-mine-light": (WIDE, "timesheet-light", False, True),
    "narrow-mine-dark": (NARROW, "timesheet-dark", False, True),
    "narrow-everyone-light": (NARROW, "timesheet-light", True, False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_reports_screen(snap_compare, tmp_path: Path, zoned_clock: FakeClock, case: str) -> None:
    size, theme, everyone, staged = CASES[case]
    harness = Harness(tmp_path, zoned_clock)

    async def reports(pilot) -> None:
        await settle(pilot)
        if staged:
            store = pilot.app.store
            editable = next(i for i in store.order if not store.records[i].locked)
            store.stage_edit(editable, "note", "Reviewed the design notes")
        await pilot.press("3")
        await settle(pilot)
        if everyone:
            await pilot.press("p")
            await settle(pilot)

    assert snap_compare(harness.app(theme=theme), terminal_size=size, run_before=reports)
