"""Durations and dates as people type them (the design's list), and their display."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.store.values import (
    ValueProblem,
    format_elapsed,
    format_minutes,
    parse_date,
    parse_last_day,
    parse_minutes,
    round_minutes,
)

THURSDAY = date(2026, 11, 19)


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("90", 90),
        ("90m", 90),
        ("1.5h", 90),
        ("1,5h", 90),
        ("1h30", 90),
        ("1h30m", 90),
        ("1:30", 90),
        (" 2h ", 120),
        ("0:45", 45),
        ("23:59", 1439),
        (".5h", 30),
        ("1:30:00", 90),  # as the timer panel shows a time; the seconds dropped
        ("1:12:59", 72),
    ],
)
def test_durations_in_every_documented_form(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize(
    "text, message",
    [
        ("abc", "not a duration"),
        ("0", "more than 0"),
        ("24:00", "under 24 hours"),
        ("1h75", "under 60"),
        ("-5", "cannot be negative"),
        ("-1:30", "cannot be negative"),
        ("", "Give a time"),
        ("  ", "Give a time"),
    ],
)
def test_bad_durations_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueProblem, match=message):
        parse_minutes(text)


@given(st.integers(min_value=1, max_value=1439))
def test_shown_time_reads_back_as_the_same_minutes(minutes: int) -> None:
    assert parse_minutes(format_minutes(minutes)) == minutes


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-02", date(2026, 11, 2)),
        ("today", THURSDAY),
        ("yesterday", date(2026, 11, 18)),
        ("monday", date(2026, 11, 16)),
        ("thursday", THURSDAY),
        ("friday", date(2026, 11, 13)),
        ("wed", date(2026, 11, 18)),
        ("Thu", THURSDAY),
        ("thurs", THURSDAY),
        ("MON", date(2026, 11, 16)),
        ("last week", date(2026, 11, 9)),
        ("3 days ago", date(2026, 11, 16)),
        ("2 weeks ago", date(2026, 11, 5)),
        ("  Last   Week ", date(2026, 11, 9)),
    ],
)
def test_dates_in_every_documented_form(text: str, expected: date) -> None:
    assert parse_date(text, today=THURSDAY) == expected


def test_a_bad_date_names_the_forms() -> None:
    with pytest.raises(ValueProblem, match="YYYY-MM-DD"):
        parse_date("2026-02-30", today=THURSDAY)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sat", date(2026, 11, 21)),  # of the week shown, not last Saturday
        ("monday", date(2026, 11, 16)),
        ("Wed 18", date(2026, 11, 18)),  # as the grid shows a day
        ("Sun 01", date(2026, 11, 1)),
        ("Mon 16 Nov", date(2026, 11, 16)),
        ("fri 25 dec", date(2026, 12, 25)),
    ],
)
def test_a_weekday_in_a_week_view_is_that_weeks_day(text: str, expected: date) -> None:
    assert parse_date(text, today=THURSDAY, week=date(2026, 11, 16)) == expected


def test_a_weekday_and_day_without_a_week_is_the_nearest_such_date() -> None:
    assert parse_date("Sat 21", today=THURSDAY) == date(2026, 11, 21)
    assert parse_date("Tue 03", today=THURSDAY) == date(2026, 11, 3)
    with pytest.raises(ValueProblem, match="no Wednesday is the 31 of a month"):
        parse_date("Wed 31 Nov", today=THURSDAY)
    with pytest.raises(ValueProblem, match="is no month"):
        parse_date("Wed 18 Xyz", today=THURSDAY)


@pytest.mark.parametrize("text", ["we", "m", "wednesdays", "wedx", "sunny"])
def test_a_weekday_needs_three_letters_of_its_name(text: str) -> None:
    with pytest.raises(ValueProblem, match="is not a date"):
        parse_date(text, today=THURSDAY)


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("5 min", 5),
        ("5 mins", 5),
        ("90 minutes", 90),
        ("2 hours", 120),
        ("1 hr", 60),
        ("1.5 hours", 90),
        ("1 hour 30 minutes", 90),
        ("1h 30min", 90),
        ("1 h 30", 90),
    ],
)
def test_durations_with_the_units_spelled_out(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


def test_a_spelled_out_unit_still_needs_a_number() -> None:
    for text in ("minutes", "5 minx", "1 hour 75 minutes"):
        with pytest.raises(ValueProblem, match=repr(text)):
            parse_minutes(text)


def test_last_and_next_weekday_without_a_week_are_before_and_after_today() -> None:
    assert parse_date("last friday", today=THURSDAY) == date(2026, 11, 13)
    assert parse_date("last thu", today=THURSDAY) == date(2026, 11, 12)  # not today
    assert parse_date("last wed", today=THURSDAY) == date(2026, 11, 18)
    assert parse_date("next mon", today=THURSDAY) == date(2026, 11, 23)
    assert parse_date("next thursday", today=THURSDAY) == date(2026, 11, 26)
    assert parse_date("next week", today=THURSDAY) == date(2026, 11, 23)


def test_last_and_next_weekday_in_a_week_view_are_of_the_weeks_either_side() -> None:
    shown = date(2026, 11, 9)
    assert parse_date("last fri", today=THURSDAY, week=shown) == date(2026, 11, 6)
    assert parse_date("next Mon", today=THURSDAY, week=shown) == date(2026, 11, 16)


def test_display_and_rounding() -> None:
    assert format_minutes(605) == "10:05"
    assert format_elapsed(4325) == "1:12:05"
    assert [round_minutes(m, 15) for m in (28, 22, 7, 1, 30)] == [30, 15, 15, 15, 30]
    assert round_minutes(28, 0) == 28


def test_records_of_one_day_and_one_note_share_those_values() -> None:
    from datetime import date

    from tui.models import Entry
    from tui.store.records import EntryRecord

    note = "".join(["Stand", "up"])  # built at run time: not one constant object
    first = EntryRecord.from_entry(Entry(id="1", date=date(2026, 3, 2), minutes=15, note=note))
    again = "".join(["Stan", "dup"])
    second = EntryRecord.from_entry(Entry(id="2", date=date(2026, 3, 2), minutes=30, note=again))
    assert first.date is second.date and first.note is second.note
    assert (second.date, second.note, second.minutes) == (date(2026, 3, 2), "Standup", 30)


@pytest.mark.parametrize(
    "text, first, expected",
    [
        ("last week", None, date(2026, 11, 15)),  # that week's Sunday, not its Monday
        ("this week", None, date(2026, 11, 22)),
        ("next week", None, date(2026, 11, 29)),
        ("2 weeks ago", None, date(2026, 11, 8)),
        ("1 week ago", date(2026, 11, 9), date(2026, 11, 15)),
        ("friday", date(2026, 11, 16), date(2026, 11, 20)),  # on or after the first day
        ("fri", date(2026, 11, 9), date(2026, 11, 13)),
        ("monday", date(2026, 11, 16), date(2026, 11, 16)),  # the first day itself
        ("sun", date(2026, 11, 18), date(2026, 11, 22)),
        ("tue", date(2026, 11, 18), date(2026, 11, 24)),  # within 6 days of it
        ("friday", None, date(2026, 11, 13)),  # no first day: the most recent one
        ("3 days ago", date(2026, 11, 1), date(2026, 11, 16)),  # a day is that day
        ("2026-11-17", None, date(2026, 11, 17)),
    ],
)
def test_a_ranges_last_day_reads_a_week_as_its_sunday_and_a_weekday_after_the_first(
    text: str, first: date | None, expected: date
) -> None:
    assert parse_last_day(text, today=THURSDAY, first=first) == expected


def test_a_ranges_last_day_names_a_bad_date_as_parse_date_does() -> None:
    with pytest.raises(ValueProblem, match="is not a date"):
        parse_last_day("someday", today=THURSDAY, first=THURSDAY)
