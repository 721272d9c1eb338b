"""Parsing and showing the values a person types: durations and dates.

One place for both the grid and the CLI, so `1h30` means the same everywhere.
Durations: `90`, `90m`, `1.5h`, `1h30`, `1h30m`, `1:30`, and with the units spelled out
(`5 min`, `2 hours`, `1 hour 30 minutes`). Dates: `YYYY-MM-DD`, `today`, `yesterday`, a
weekday (`monday`, or `mon` as the grid shows it: the day of the week shown, else the most
recent one, today included), `last friday` and `next mon` (that day of the week before or
after the one shown; else the one before today, or after it), a weekday and day as the
grid shows them (`Wed 02`, `Mon 16 Nov`: the nearest such date), `last week` (Monday of
the previous ISO week), `N days ago`, `N weeks ago`.

A range's last day (`--to`, `parse_last_day`) reads a week as its Sunday (`last week`, `this
week`, `next week`, `N weeks ago`), and a bare weekday after a first day as the first such
day on or after it (`--from monday --to friday` is one working week).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MAX_MINUTES = 24 * 60
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2999, 12, 31)
"""Dates outside these are typing mistakes, not time worked; inside them, a week or a month
either side is still a date (Python's calendar ends at 9999-12-31)."""

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SHOWN_DAY = re.compile(r"^([a-z]+)\s+(\d{1,2})(?:\s+([a-z]+))?$")
_SHOWN_DAY_REACH = 400
"""Days either side of the reference day that `Wed 02` may name (a weekday and day of the
month come round again within a few months)."""
_HOURS_MINUTES = re.compile(r"^(\d+)h\s*(?:(\d+)\s*m?)?$")
_DECIMAL_HOURS = re.compile(r"^(\d*[.,]\d+|\d+)\s*h$")
_MINUTES = re.compile(r"^(\d+)\s*m?$")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)(?::[0-5]\d)?$")
"""`1:30`, or `1:30:00` as the timer panel shows a time (the seconds are dropped)."""
_AGO = re.compile(r"^(\d+)\s+(day|days|week|weeks)\s+ago$")
_UNIT_WORDS = re.compile(r"\s*(?<![a-z])(?:(hours?|hrs?)|minutes?|mins?)\b")
_SPACE_BEFORE_UNIT = re.compile(r"(\d)\s+(?=[hm]\b)")


class ValueProblem(ValueError):
    """A typed value that cannot be used; `str()` is one sentence for the user."""


def parse_minutes(text: str) -> int:
    """Minutes from `90`, `90m`, `1.5h`, `1h30`, `1:30`; at least 1, under 24 h."""
    return check_minutes(parse_span(text))


def parse_span(text: str) -> int:
    """Minutes from the forms `parse_minutes` reads, with no upper limit (a span of time,
    such as `--ago 20m`, rather than time worked)."""
    raw = text.strip().lower()
    if not raw:
        raise ValueProblem("Give a time: minutes (90) or hours (1:30, 1h30, 1.5h).")
    if raw.startswith("-"):
        raise ValueProblem(
            f"{text.strip()!r}: a time cannot be negative; write how long, e.g. 30 or 0:30."
        )
    # `1 hour 30 min` reads as `1h 30m`, `5 mins` as `5m`.
    raw = _UNIT_WORDS.sub(lambda unit: "h" if unit.group(1) else "m", raw)
    raw = _SPACE_BEFORE_UNIT.sub(r"\1", raw)
    minutes: int | None = None
    if match := _CLOCK.match(raw):
        minutes = int(match.group(1)) * 60 + int(match.group(2))
    elif match := _HOURS_MINUTES.match(raw):
        minutes = int(match.group(1)) * 60 + int(match.group(2) or 0)
        if match.group(2) and int(match.group(2)) >= 60:
            raise ValueProblem(f"{text.strip()!r}: minutes after the hours must be under 60.")
    elif match := _DECIMAL_HOURS.match(raw):
        minutes = round(float(match.group(1).replace(",", ".")) * 60)
    elif match := _MINUTES.match(raw):
        minutes = int(match.group(1))
    if minutes is None:
        raise ValueProblem(
            f"{text.strip()!r} is not a duration; write minutes (90) or hours (1:30, 1h30, 1.5h)."
        )
    return minutes


def check_minutes(minutes: int) -> int:
    if minutes <= 0:
        raise ValueProblem("Time must be more than 0 minutes.")
    if minutes >= MAX_MINUTES:
        raise ValueProblem("Time must be under 24 hours.")
    return minutes


# C0 controls and DEL shown as their visible symbols (␛, ␍, ...), and C1 controls (which
# some terminals obey as escapes: U+009B is a one-character CSI) as `\x9b`, so text from a
# server can never move the cursor, clear the screen or set colours in a terminal.
_VISIBLE: dict[int, int | str] = (
    {code: 0x2400 + code for code in range(0x20)}
    | {0x7F: 0x2421}
    | {code: f"\\x{code:02x}" for code in range(0x80, 0xA0)}
)


def printable(text: str) -> str:
    return text.translate(_VISIBLE)


def format_minutes(minutes: int) -> str:
    """`90` → `1:30` (H:MM), as the grid shows time."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d}"


def format_elapsed(seconds: int) -> str:
    """A running timer's elapsed time as H:MM:SS."""
    hours, rest = divmod(max(0, seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def parse_date(text: str, *, today: date, week: date | None = None) -> date:
    """A date as people type it, between `FIRST_DATE` and `LAST_DATE`; `week`: the Monday
    of the week on screen, which a weekday's name means (else the most recent one)."""
    day: date | None
    try:
        day = _read_date(text, today=today, week=week)
    except OverflowError:  # "9999999999 days ago": before the calendar starts
        day = None
    if day is None or not FIRST_DATE <= day <= LAST_DATE:
        raise _out_of_range(text)
    return day


def _out_of_range(text: str) -> ValueProblem:
    return ValueProblem(
        f"{text.strip()!r} is out of range; dates run from {FIRST_DATE} to {LAST_DATE}."
    )


def parse_last_day(
    text: str, *, today: date, first: date | None = None, week: date | None = None
) -> date:
    """The last day of a range (`--to`): as `parse_date` (with its `week`), except that a
    week (`last week`, `this week`, `next week`, `N weeks ago`) is its Sunday, and a bare
    weekday after `first` is that weekday on or after `first`, within 6 days of it."""
    raw = " ".join(text.strip().lower().split())
    day = parse_date(text, today=today, week=week)
    ago = _AGO.match(raw)
    if raw in ("last week", "this week", "next week") or (ago and ago.group(2).startswith("week")):
        day = week_range(day)[1]
    elif first is not None and (weekday := _weekday(raw)) is not None:
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
    if not FIRST_DATE <= day <= LAST_DATE:  # a week's Sunday may pass the last date
        raise _out_of_range(text)
    return day


def _read_date(text: str, *, today: date, week: date | None) -> date:
    raw = " ".join(text.strip().lower().split())
    if raw == "today":
        return today
    if raw == "yesterday":
        return today - timedelta(days=1)
    if raw == "tomorrow":
        return today + timedelta(days=1)
    if (weekday := _weekday(raw)) is not None:
        if week is not None:
            return week_start(week) + timedelta(days=weekday)
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    before, _, name = raw.partition(" ")
    if before in ("last", "next") and (weekday := _weekday(name)) is not None:
        step = -1 if before == "last" else 1
        if week is not None:  # that day of the week before (or after) the one shown
            return week_start(week) + timedelta(days=weekday + 7 * step)
        days = (weekday - today.weekday()) % 7 if step > 0 else (today.weekday() - weekday) % 7
        return today + timedelta(days=step * (days or 7))
    if (shown := _SHOWN_DAY.match(raw)) and (weekday := _weekday(shown.group(1))) is not None:
        return _shown_day(text, weekday, int(shown.group(2)), shown.group(3), near=week or today)
    if raw == "last week":
        return week_start(today) - timedelta(days=7)
    if raw == "this week":
        return week_start(today)
    if raw == "next week":
        return week_start(today) + timedelta(days=7)
    if match := _AGO.match(raw):
        count = int(match.group(1))
        return today - timedelta(days=count * (7 if match.group(2).startswith("week") else 1))
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueProblem(
            f"{text.strip()!r} is not a date; write YYYY-MM-DD, today, yesterday, a weekday, "
            "last friday, last week or 3 days ago."
        ) from None


def _shown_day(text: str, weekday: int, day: int, month_name: str | None, *, near: date) -> date:
    """The date nearest `near` (the earlier of two as near) that is that weekday and day
    of the month (and month, if named): `Wed 02` as the grid shows a day."""
    month = None
    if month_name is not None:
        month = next((n + 1 for n, m in enumerate(_MONTHS) if month_name.startswith(m)), None)
        if month is None or len(month_name) < 3:
            raise ValueProblem(f"{text.strip()!r} is not a date; {month_name!r} is no month.")
    for distance in range(_SHOWN_DAY_REACH + 1):
        for candidate in (near - timedelta(days=distance), near + timedelta(days=distance)):
            if (
                candidate.weekday() == weekday
                and candidate.day == day
                and (month is None or candidate.month == month)
            ):
                return candidate
    raise ValueProblem(
        f"{text.strip()!r} is not a date: no {_WEEKDAYS[weekday].title()} is the {day} of a "
        "month near it; write YYYY-MM-DD."
    )


def _weekday(raw: str) -> int | None:
    """Monday's 0 to Sunday's 6 for a weekday's name or any start of it from three letters
    on (`wed`, `thurs`): the grid shows days as `Wed 25`, so people type them that way."""
    if len(raw) < 3:
        return None
    return next((n for n, name in enumerate(_WEEKDAYS) if name.startswith(raw)), None)


def week_start(day: date) -> date:
    """Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_range(day: date) -> tuple[date, date]:
    start = week_start(day)
    return start, start + timedelta(days=6)


def round_minutes(minutes: int, step: int) -> int:
    """Round to the nearest multiple of `step` (half up), never down to 0."""
    if step <= 0:
        return minutes
    rounded = ((minutes + step // 2) // step) * step
    return max(step, rounded)
