"""The app shell: the quit prompt, the problem banner, the key bar, toasts, help, `[keys]`,
themes kept across restarts and the demo folder's removal. Real app (pilot) over the demo
ledger, or a real child process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tui.app import TimesheetApp
from tui.store.journal import Journal
from tui.store.store import Store

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


def demo_app(harness: Harness) -> TimesheetApp:
    store = Store(harness.adapter(), Journal(harness.journal_path), clock=harness.clock)
    return TimesheetApp(store, demo=True)


@pytest.mark.parametrize(
    ("staged", "question"),
    [
        (
            1,
            "1 staged change is in the temporary demo folder, which is deleted on quit. "
            "Quit anyway?",
        ),
        (
            2,
            "2 staged changes are in the temporary demo folder, which is deleted on quit. "
            "Quit anyway?",
        ),
    ],
)
async def test_the_demo_quit_prompt_says_plainly_that_staged_changes_go(
    harness, staged: int, question: str
) -> None:
    from tui.screens.dialogs import ConfirmDialog

    app = demo_app(harness)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for entry_id in [i for i in app.store.order if not app.store.records[i].locked][:staged]:
            grid(app).move_to(entry_id)
            await pilot.press("d")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message == question
