"""The entry details on the timesheet (`i`, since `enter` edits there), through the real app
over the demo ledger; the approvals screen's `enter` is in test_approvals_screen.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tests.test_approvals_screen import drawn, sql, text_of
from tui.screens.entry_detail import EntryDetail
from tui.screens.timesheet import TimesheetScreen

pytestmark = pytest.mark.anyio

REASON = "Please book this on Support, not Development, and split the call from the fix."
NOTE = "Call with the client\n<b>kept literally</b> [red]too[/red]"


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


def my_rejected_entry(harness: Harness) -> str:
    """One of my entries of this week, rejected with a reason (as the ledger keeps it)."""
    from tui.store.values import week_range

    start = week_range(harness.clock().date())[0].isoformat()
    owner = harness.db.identity.owner_person_id
    (entry_id,) = sql(
        harness,
        "SELECT id FROM time_entries WHERE person_id = ? AND approved = 0"
        " AND date BETWEEN ? AND date(?, '+6 days') ORDER BY date, id LIMIT 1",
        owner,
        start,
        start,
    )[0]
    with harness.db.transaction(write=True) as conn:
        conn.execute(
            "UPDATE time_entries SET submitted = 1, rejected = 1, rejected_reason = ?,"
            " note = ? WHERE id = ?",
            (REASON, NOTE, entry_id),
        )
    return str(entry_id)


async def test_i_on_the_timesheet_opens_the_cursor_rows_details(harness) -> None:
    entry_id = my_rejected_entry(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert grid(app).move_to(entry_id)
        await pilot.press("i")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, EntryDetail) and detail.entry_id == entry_id
        assert text_of(detail.query_one("#detail-note")) == NOTE
        assert text_of(detail.query_one("#detail-reason")) == REASON
        assert "rejected" in drawn(detail.query_one("#detail-fields"))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TimesheetScreen)
        assert grid(app).cursor_id == entry_id


async def test_the_details_show_the_staged_values_and_what_is_staged(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        entry_id = next(i for i in store.order if not store.records[i].locked)
        store.stage_edit(entry_id, "note", "A new note,\nnot saved yet")
        await pilot.pause()
        assert grid(app).move_to(entry_id)
        await pilot.press("i")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, EntryDetail)
        assert text_of(detail.query_one("#detail-note")) == "A new note,\nnot saved yet"
        fields = drawn(detail.query_one("#detail-fields"))
        assert "changed, not saved yet (note)" in fields
