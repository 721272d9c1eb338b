"""The main screens pinned at the two sizes people use most, 160x45 and 80x24, in the dark
and the light theme: the timesheet grid (Status visible at 80 columns, Note giving first),
a cell editor with its suggestions, an entry's details, and the approvals screen. Demo data,
a frozen clock, the same in every time zone (`zoned_clock`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.app_harness import Harness, grid, settle
from tests.conftest import FakeClock

pytestmark = pytest.mark.snapshot

SIZES = {"160x45": (160, 45), "80x24": (80, 24)}
THEMES = ["timesheet-dark", "timesheet-light"]


async def timesheet(pilot) -> None:
    await settle(pilot)


async def service_suggestions(pilot) -> None:
    await settle(pilot)
    store = pilot.app.store
    entry_id = next(i for i in store.order if not store.records[i].locked)
    shown = grid(pilot.app)
    shown.move_to(entry_id)
    assert shown.move_to_column("service")
    await pilot.press("enter", *"design")
    await pilot.pause()


async def details(pilot) -> None:
    await settle(pilot)
    await pilot.press("i")
    await pilot.pause()


async def approvals(pilot) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)


SCREENS: dict[str, Callable[..., Awaitable[None]]] = {
    "timesheet": timesheet,
    "suggestions": service_suggestions,
    "details": details,
    "approvals": approvals,
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen_at_size(
    snap_compare, tmp_path: Path, zoned_clock: FakeClock, screen: str, size: str, theme: str
) -> None:
    harness = Harness(tmp_path, zoned_clock)
    assert snap_compare(
        harness.app(theme=theme), terminal_size=SIZES[size], run_before=SCREENS[screen]
    )
