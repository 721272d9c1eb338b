"""The grid's totals line: each working day against its target, short days marked, and the
whole line fitting at 80 columns."""

from __future__ import annotations

from datetime import date, timedelta

from rich.cells import cell_len

from tui.api.base import EntryQuery
from tui.store.workweek import WorkWeek
from tui.widgets.entry_grid.totals import totals_line

MONDAY = date(2026, 11, 16)
WEEK = EntryQuery(MONDAY, MONDAY + timedelta(days=6))
THURSDAY = MONDAY + timedelta(days=3)
LOGGED = {MONDAY: 480, MONDAY + timedelta(days=1): 300, MONDAY + timedelta(days=2): 75}


def test_wide_line_shows_each_working_day_against_the_target() -> None:
    text = totals_line(LOGGED, WEEK, 200, WorkWeek(), THURSDAY)
    assert "Mon 16 8:00/8:00  " in text
    assert "Tue 17 5:00/8:00!" in text
    assert "Wed 18 1:15/8:00!" in text
    assert "Thu 19 0:00/8:00!" in text  # today counts
    assert "Fri 20 0:00/8:00  " in text  # after today: not short yet
    assert "Sat 21 0:00  Sun 22 0:00" in text  # no target on days off


def test_work_days_and_workday_minutes_set_the_targets() -> None:
    week = WorkWeek.of(300, ["mon", "tue", "wed"])
    text = totals_line(LOGGED, WEEK, 200, week, THURSDAY)
    assert "Tue 17 5:00/5:00  " in text and "Wed 18 1:15/5:00!" in text
    assert "Thu 19 0:00  " in text


def test_at_80_columns_the_line_fits_and_keeps_the_marks() -> None:
    full = {MONDAY + timedelta(days=n): 23 * 60 + 59 for n in range(3)} | {THURSDAY: 60}
    for days in (LOGGED, full):
        text = totals_line(days, WEEK, 80, WorkWeek(), THURSDAY)
        assert cell_len(text) <= 80, text
        assert text.startswith(" Week ")
        assert "Thu 1:00!" in text or "Thu 0:00!" in text


def test_rows_adding_the_same_day_and_minutes_share_one_tuple_of_them() -> None:
    from tui.widgets.entry_grid.totals import DayTotals

    totals = DayTotals()
    day = date(2026, 3, 2)
    totals.count("1", day, 30)
    totals.count("2", date(2026, 3, 2), 30)  # equal, not the same objects
    totals.count("3", day, 45)
    assert totals.days == {day: 105}
    parts = totals._counted
    assert parts["1"] is parts["2"] and parts["3"] == (day, 45)
    totals.uncount("1")
    assert totals.days == {day: 75}
