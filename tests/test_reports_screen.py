"""The reports screen (`3`, issue 17) in the real app over the demo ledger: reached from
every screen, its bars and totals are the one computation's, staged changes are left out
and counted, the range moves, and a backend without billable time says nothing of it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tui.app import TimesheetApp
from tui.screens.approvals import ApprovalsScreen
from tui.screens.dialogs import ReasonDialog
from tui.screens.help import HelpScreen
from tui.screens.reports import ReportsScreen, month_range, parse_range
from tui.screens.timesheet import TimesheetScreen
from tui.store.report import By, build_report
from tui.store.values import ValueProblem, format_minutes, week_range
from tui.widgets.bar_chart import BarChart

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


def text_of(app: TimesheetApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_3_opens_the_reports_from_every_screen_and_1_2_go_back(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timesheet = app.screen
        assert isinstance(timesheet, TimesheetScreen)
        await press(pilot, "3")
        assert isinstance(app.screen, ReportsScreen) and app.screen.loaded
        await press(pilot, "2")
        assert isinstance(app.screen, ApprovalsScreen) and app.screen.loaded
        await press(pilot, "3")
        assert isinstance(app.screen, ReportsScreen) and app.screen.loaded
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape", "1")  # the timesheet shows its own week again
        assert app.screen is timesheet
        assert app.store.query == app.week_query()
        assert grid(app).row_count == len(app.store.order) > 0
        await press(pilot, "question_mark", "escape", "3")
        assert isinstance(app.screen, ReportsScreen)
        assert len(app.screen_stack) == 2  # switched, never stacked


async def test_the_bars_and_totals_are_the_reports_sums(harness) -> None:
    app = harness.app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        view = app.screen
        assert isinstance(view, ReportsScreen)
        store = app.store
        first, last = week_range(store.today())
        expected = build_report(store.records.values(), first, last, person_ids=(store.person_id,))
        assert expected.total.minutes > 0
        days = view.query_one("#reports-days", BarChart).bars
        assert [bar.minutes for bar in days] == [s.minutes for _, s in expected.days()]
        assert all(bar.value.split("/")[0] for bar in days)  # every bar carries its number
        assert days[0].target == store.settings.work_week.workday_minutes
        assert days[5].target == 0  # Saturday has no target
        services = view.query_one("#reports-services", BarChart).bars
        assert [bar.minutes for bar in services] == [
            s.minutes for _, s in expected.largest_first(By.service)
        ]
        total = text_of(app, "#reports-total")
        assert total.startswith(f"Total {expected.total.minutes // 60}:")
        assert "billable" in total and "%" in total
        assert not view.has_class("-everyone")  # mine: no people chart
        await press(pilot, "p")
        people = view.query_one("#reports-people", BarChart).bars
        assert view.has_class("-everyone") and len(people) > 1
        assert sum(bar.minutes for bar in people) == view.report.total.minutes


async def test_staged_changes_are_not_counted_and_the_screen_says_how_many(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        editable = [i for i in store.order if not store.records[i].locked]
        before = sum(store.records[i].minutes for i in store.order)
        store.stage_edit(editable[0], "minutes", store.records[editable[0]].minutes + 120)
        store.stage_delete([editable[1]])
        await press(pilot, "3")
        view = app.screen
        assert isinstance(view, ReportsScreen)
        assert view.report.total.minutes == before  # the server's copies only
        assert view.has_class("-staged")
        said = text_of(app, "#reports-staged")
        assert said.startswith("Not included: 2 staged changes (not saved yet)")
        # The demo's timer runs this week: the timesheet counts its minutes, the report not.
        running = store.live_timer_minutes()
        assert running is not None and running[1] > 0
        assert said.endswith(f"; the running timer's {format_minutes(running[1])}.")
        await press(pilot, "left_square_bracket")  # a week without staged changes
        assert not view.has_class("-staged")


async def test_the_range_moves_by_week_month_and_a_typed_range(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        view = app.screen
        assert isinstance(view, ReportsScreen)
        today = app.store.today()
        monday = week_range(today)[0]
        await press(pilot, "left_square_bracket")
        assert (view.first, view.last) == (monday - timedelta(7), monday - timedelta(1))
        await press(pilot, "m")
        assert (view.first, view.last) == month_range(today)
        await press(pilot, "right_square_bracket")
        assert view.first == month_range(month_range(today)[1] + timedelta(1))[0]
        assert text_of(app, "#reports-days-title") == "Hours per day"
        await press(pilot, "c")
        await press(pilot, *"2026-09-01 2026-11-19", "enter")
        assert (view.first.isoformat(), view.last.isoformat()) == ("2026-09-01", "2026-11-19")
        assert text_of(app, "#reports-days-title") == "Hours per week"  # too many days
        assert view.loaded and view.report.total.minutes > 0


async def test_a_bad_typed_range_keeps_the_dialog_open_to_correct_it(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        view = app.screen
        shown = (view.first, view.last)
        await press(pilot, "c", *"2026-11-15 2026-11-01", "enter")
        dialog = app.screen
        assert isinstance(dialog, ReasonDialog)
        assert text_of(app, "#reason-error") == "2026-11-15 is after 2026-11-01."
        assert (view.first, view.last) == shown
        for _ in range(10):
            await press(pilot, "backspace")
        await press(pilot, *"2026-11-20", "enter")
        assert app.screen is view
        assert (view.first.isoformat(), view.last.isoformat()) == ("2026-11-15", "2026-11-20")


def test_a_typed_range_takes_the_clis_dates() -> None:
    today = FakeClock().now.date()
    assert parse_range("2026-11-01..2026-11-15", today=today)[1].day == 15
    first, last = parse_range("last week to today", today=today)
    assert (first, last) == (week_range(today)[0] - timedelta(7), today)
    monday = week_range(today)[0]
    assert parse_range("monday to friday", today=today) == (monday, monday + timedelta(4))
    # As the CLI's --to: a week is its Sunday, a weekday the first on or after the start.
    last_week = (monday - timedelta(7), monday - timedelta(1))
    assert parse_range("last week to last week", today=today) == last_week
    assert parse_range("wednesday to monday", today=today) == (
        monday + timedelta(2),
        monday + timedelta(7),
    )
    # Both sides read "last friday" alike, on a weekend too: of the week before this one.
    saturday = monday + timedelta(5)
    assert parse_range("last monday to last friday", today=saturday) == (
        monday - timedelta(7),
        monday - timedelta(3),
    )
    with pytest.raises(ValueProblem):
        parse_range("2026-11-15 2026-11-01", today=today)
    with pytest.raises(ValueProblem):
        parse_range("soon", today=today)


async def test_plannr_has_no_billable_time_and_only_my_own(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = Harness(tmp_path, clock, "plannr").app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        view = app.screen
        assert isinstance(view, ReportsScreen) and view.loaded
        assert view.report.total.billable_minutes is None
        assert "billable" not in text_of(app, "#reports-total")
        await press(pilot, "p")
        assert not view.everyone
        assert any("only your own" in n.message for n in app._notifications)


def bar_colour(chart: BarChart, part: str) -> str:
    chart.render()
    assert chart._bar_styles is not None
    colour = chart._bar_styles[part].color
    assert colour is not None and colour.triplet is not None
    return colour.triplet.hex


async def test_the_bars_take_their_colours_from_the_theme(harness) -> None:
    from textual.color import Color

    app = harness.app(theme="timesheet-dark")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        chart = app.screen.query_one("#reports-days", BarChart)
        seen = set()
        for theme in ("timesheet-dark", "timesheet-light", "timesheet-high-contrast"):
            app.theme = theme
            await pilot.pause()
            variables = app.theme_variables
            for part, variable in (("bar", "primary"), ("short", "warning")):
                assert bar_colour(chart, part) == Color.parse(variables[variable]).hex.lower()
            seen.add(bar_colour(chart, "bar"))
        assert len(seen) > 1  # a theme change repaints in the new colours
