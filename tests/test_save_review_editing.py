"""The app on the store's side of editing (issue 14 items 4 and 6): the save review flags
a new row that cannot be sent before saving and saves the rest; a restart says how many
staged changes it brought back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tui.store.records import RowState

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


def grid_text(app) -> str:
    view = grid(app)
    return "\n".join(view.render_line(y).text for y in range(view.scrollable_content_region.height))


async def test_the_review_flags_an_incomplete_new_row_and_saves_the_rest(harness) -> None:
    from tui.screens.save_review import SaveReview

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        edited = next(i for i in store.order if not store.records[i].locked)
        store.stage_edit(edited, "note", "saved with the rest")
        incomplete = store.stage_new({"minutes": 30, "note": "which service?"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, SaveReview)
        assert review.title_text == "Save 1 change: 1 changed · 1 incomplete new row stays staged"
        assert "    incomplete: no service — not sent, stays staged" in review.diff_text
        assert review.keys_text.startswith("y/enter save the rest")
        await pilot.press("y")
        await settle(pilot)
        summary = review.summary_text.splitlines()
        assert summary[0] == "Saved 1."  # not "Saved 1, failed 1"
        assert any(
            "which service?" in line and "incomplete: no service; not sent" in line
            for line in summary
        )
        assert harness.entry(edited)["note"] == "saved with the rest"
        assert not harness.transport.calls("POST", "/api/v2/time_entries")  # never sent
        await pilot.press("escape")
        await pilot.pause()
        assert store.staged_count == 1 and store.row(incomplete).state is RowState.failed
        grid(app).move_to(incomplete)
        await pilot.pause()
        assert "needs a service" in grid_text(app)


async def test_a_review_of_only_incomplete_rows_sends_nothing(harness) -> None:
    from tui.screens.save_review import SaveReview

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.store.stage_new({"note": "not yet"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, SaveReview)
        assert review.title_text == (
            "Nothing can be saved yet: 1 incomplete new row (fill it in first)."
        )
        assert "incomplete: no service, no time" in review.diff_text
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, SaveReview)
        assert not [r for r in harness.transport.calls() if r.method != "GET"]
        assert app.store.staged_count == 1


async def test_the_review_words_several_incomplete_rows_in_the_plural(harness) -> None:
    from tui.screens.save_review import SaveReview

    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.store.stage_new({"note": "one"})
        app.store.stage_new({"note": "two"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, SaveReview)
        assert review.title_text == (
            "Nothing can be saved yet: 2 incomplete new rows (fill them in first)."
        )


async def test_a_restart_says_how_many_staged_changes_it_restored(harness) -> None:
    first = harness.app()
    async with first.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert not any("Restored" in n.message for n in first._notifications)
        store = first.store
        a, b = [i for i in store.order if not store.records[i].locked][:2]
        store.stage_edit(a, "note", "first")
        store.stage_delete([b])
    second = harness.app()
    async with second.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert "Restored 2 staged changes." in [n.message for n in second._notifications]
        await pilot.press("u")  # the restored history: the delete undoes
        await pilot.pause()
        assert second.store.row(b).state is RowState.clean
        assert second.store.row(a).state is RowState.changed


async def test_the_review_does_not_offer_keep_mine_when_the_server_approved_it(harness) -> None:
    from tui.api.productive import ProductiveAdapter
    from tui.screens.save_review import SaveReview

    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        entry_id = next(
            i for i in store.order if not store.records[i].locked and not store.records[i].submitted
        )
        store.stage_edit(entry_id, "note", "mine")
        harness.clock.advance(seconds=5)
        other = ProductiveAdapter.for_ledger(harness.db, transport=harness.transport)
        await other.approve_entries([entry_id])
        await pilot.press("ctrl+s")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, SaveReview)
        await pilot.press("y")
        await settle(pilot)
        assert review.report is not None and review.report.conflicts == [entry_id]
        prompt = review.conflict_prompt(entry_id).plain
        assert "also on the server: approved (was draft)" in prompt
        assert (
            "keep mine: not offered — approved on the server meanwhile: unapprove it first,"
            " or keep theirs" in prompt
        )
        assert "m: approved on the server meanwhile" in review.keys_text
        await pilot.press("m")
        await pilot.pause()
        assert entry_id not in review.resolved and store.row(entry_id).state is RowState.conflict
        assert any("Yours cannot be kept" in n.message for n in app._notifications)
        await pilot.press("t")
        await pilot.pause()
        assert review.resolved == {entry_id: "server"} and store.staged_count == 0
