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


def test_rows_showing_their_server_copy_keep_no_part_of_their_own() -> None:
    from tui.store.records import EntryRecord, Records
    from tui.widgets.entry_grid.totals import DayTotals

    day, other = date(2026, 3, 2), date(2026, 3, 3)
    first = EntryRecord("1", day, 30, "", None, None, None)
    records = Records([first, first.replaced(id="2", minutes=45)])
    totals = DayTotals(records)
    assert totals.days == {day: 75}
    assert not totals.recount("1", (day, 30), (day, 30))  # as the server has it: nothing
    assert not totals.counted("1")
    assert totals.recount("1", (other, 30), (day, 30))  # staged onto another day
    assert totals.days == {day: 45, other: 30} and totals.counted("1")
    assert totals.recount("2", None, (day, 45))  # staged for deletion
    assert totals.days == {other: 30}
    before = totals.version
    records["2"] = first.replaced(id="2", minutes=60)  # the server's copy changed
    assert totals.version != before
    assert totals.recount("2", (day, 60), (day, 60))  # saved: the part goes
    assert totals.days == {day: 60, other: 30} and not totals.counted("2")
    # A load brings new copies: however alike, the totals line is made again.
    seen = totals.version
    totals.base = Records(records.values())
    twin = Records(records.values())
    assert totals.version != seen and twin.version != totals.base.version
