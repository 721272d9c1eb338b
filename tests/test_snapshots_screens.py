"""The approvals screen, each dialog and the help screen, pinned in the default theme and
in the light one: demo data, a frozen clock, a fixed terminal size, and the same in every
time zone (each test runs in the zones of `zoned_clock`, against one stored snapshot)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock

THEMES = ["timesheet-dark", "timesheet-light"]
pytestmark = pytest.mark.snapshot


async def approvals(pilot) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    await pilot.press("left_square_bracket")  # last week: mostly awaiting approval
    await settle(pilot)


async def approvals_confirm(pilot) -> None:
    await approvals(pilot)
    await pilot.press("a")
    await pilot.pause()


async def reason_dialog(pilot) -> None:
    await approvals(pilot)
    await pilot.press("r")
    await pilot.pause()


async def help_screen(pilot) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def quit_confirm(pilot) -> None:
    await settle(pilot)
    store = pilot.app.store
    entry_id = next(i for i in store.order if not store.records[i].locked)
    grid(pilot.app).move_to(entry_id)
    await pilot.press("d", "q")
    await pilot.pause()


async def service_picker(pilot) -> None:
    await settle(pilot)
    await pilot.press("t")
    await pilot.pause()
    await pilot.press(*"des")
    await pilot.pause()


async def save_review(pilot) -> None:
    await settle(pilot)
    store = pilot.app.store
    editable = [i for i in store.order if not store.records[i].locked]
    store.stage_edit(editable[0], "note", "Reviewed the design notes")
    store.stage_delete([editable[2]])
    await pilot.press("ctrl+s")
    await pilot.pause()


SCREENS: dict[str, Callable[..., Awaitable[None]]] = {
    "approvals": approvals,
    "approve-confirm": approvals_confirm,
    "reject-reason": reason_dialog,
    "help": help_screen,
    "quit-confirm": quit_confirm,
    "service-picker": service_picker,
    "save-review": save_review,
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(
    snap_compare, tmp_path: Path, zoned_clock: FakeClock, screen: str, theme: str
) -> None:
    harness = Harness(tmp_path, zoned_clock)
    assert snap_compare(harness.app(theme=theme), terminal_size=SIZE, run_before=SCREENS[screen])
