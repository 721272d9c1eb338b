"""The save review of rows with every field set: a task, a person, a note, a week other than
the first one shown. Once, the review of any row with a task killed the app (a method of ours
hid Textual's `MessagePump._task`); these tests open it and save through it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, settle
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


async def test_saving_rows_with_task_person_and_note_on_another_week(harness) -> None:
    from tui.screens.save_review import SaveReview

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket")  # last week: the second week the grid shows
        await settle(pilot)
        store = app.store
        assert all(store.records[i].date < app.week_start + timedelta(days=7) for i in store.order)
        editable = [i for i in store.order if not store.records[i].locked]
        with_task = next(i for i in editable if store.records[i].task_id)
        task = store.tasks[store.records[with_task].task_id]
        other_task = next(
            t for t in store.tasks.values() if t.service_id == task.service_id and t.id != task.id
        )
        with harness.db.transaction() as conn:  # a colleague's day of it not yet submitted
            sheets = {tuple(r) for r in conn.execute("SELECT person_id, date FROM timesheets")}
        colleague, day = next(
            (p, app.week_start + timedelta(days=n))
            for n in range(7)
            for p in store.people
            if p != store.person_id
            and (int(p), (app.week_start + timedelta(days=n)).isoformat()) not in sheets
        )
        store.stage_edits({with_task: {"task_id": other_task.id, "note": "Reviewed the spec"}})
        new_id = store.stage_new(
            {
                "date": day,
                "minutes": 45,
                "service_id": task.service_id,
                "task_id": task.id,
                "person_id": colleague,
                "note": "Pairing",
            }
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveReview)
        diff = app.screen.diff_text
        assert f"{task.title} → {other_task.title}" in diff and "Pairing" in diff
        await pilot.press("y")
        await settle(pilot)
        assert store.staged_count == 0, [store.row(i).error for i in (with_task, new_id)]
        saved = harness.entry(with_task)
        assert (saved["task_id"], saved["note"]) == (int(other_task.id), "Reviewed the spec")
        with harness.db.transaction() as conn:
            created = conn.execute(
                "SELECT * FROM time_entries WHERE note = 'Pairing' AND person_id = ?",
                (int(colleague),),
            ).fetchall()
        assert [(row["task_id"], row["time"]) for row in created] == [(int(task.id), 45)]


async def test_the_review_names_the_task_of_each_row(harness) -> None:
    from tui.screens.save_review import SaveReview

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        entry_id = next(
            i for i in store.order if not store.records[i].locked and store.records[i].task_id
        )
        store.stage_edit(entry_id, "note", "with a task")
        await pilot.press("ctrl+s")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, SaveReview)
        title = store.tasks[store.records[entry_id].task_id].title
        assert f" / {title}" in review.diff_text
