"""The grid's per-day totals, kept incrementally, and the totals line's text.

Pure (no textual): a load counts every row once; after that a change uncounts and counts
only the rows it names, so a keypress never costs a pass over the rows.
"""

from __future__ import annotations

from datetime import date

from rich.cells import cell_len

from tui.api.base import EntryQuery
from tui.store.values import format_minutes, week_start
from tui.store.workweek import WorkWeek

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class DayTotals:
    """Minutes per day of the rows counted, and each row's part in them."""

    def __init__(self) -> None:
        self.days: dict[date, int] = {}
        self._counted: dict[str, tuple[date, int]] = {}
        """Each row's contribution (only rows that add minutes)."""
        self._pairs: dict[tuple[date, int], tuple[date, int]] = {}
        """One (day, minutes) tuple for all the rows that add the same: a range has few
        days and few distinct times, so the rows share them (not one tuple each)."""
        self.version = 0
        """Goes up whenever `days` changes: the totals line is remade only then."""

    def clear(self) -> None:
        self.days, self._counted, self._pairs = {}, {}, {}
        self.version += 1

    def count(self, entry_id: str, day: date, minutes: int) -> None:
        """Count a row not counted yet (a load's hot loop: no checks)."""
        if minutes:
            pair = (day, minutes)
            self._counted[entry_id] = self._pairs.setdefault(pair, pair)
            self.days[day] = self.days.get(day, 0) + minutes
            self.version += 1

    def uncount(self, entry_id: str) -> None:
        old = self._counted.pop(entry_id, None)
        if old is not None:
            day, minutes = old
            left = self.days.get(day, 0) - minutes
            if left:
                self.days[day] = left
            else:
                self.days.pop(day, None)
            self.version += 1

    def recount(self, entry_id: str, day: date | None, minutes: int) -> bool:
        """Count a row again with what it holds now (`day` None: it adds nothing, as a
        row gone or staged for deletion); True when the totals changed."""
        before = self._counted.get(entry_id)
        after = (day, minutes) if day is not None and minutes else None
        if before == after:
            return False
        self.uncount(entry_id)
        if after is not None:
            self.count(entry_id, after[0], after[1])
        return True


SHORT_MARK = "!"
"""After a working day's time when it holds less than the day target."""


def totals_line(
    days: dict[date, int],
    query: EntryQuery | None,
    width: int,
    work_week: WorkWeek | None = None,
    today: date | None = None,
) -> str:
    """The range's total first (so a narrow grid never hides it), then per day: the
    dates of the week when one week is shown, else per weekday. With `work_week`, a
    working day reads against its target (`Wed 1:15/8:00`) and a short one (up to
    `today`) is marked `!`. What does not fit in `width` goes step by step: the dates, the
    targets (the marks stay), the wide gaps, then the days off without time. A row staged
    onto a day outside `query` (moved to another week) counts there, not here."""
    if query is not None:
        days = {day: m for day, m in days.items() if query.covers(day)}
    weeks = {week_start(day) for day in days}
    if query is not None and week_start(query.start) == week_start(query.end):
        weeks.add(week_start(query.start))
    total = format_minutes(sum(days.values()))
    if len(weeks) != 1:
        per_weekday = [0] * 7
        for day, minutes in days.items():
            per_weekday[day.weekday()] += minutes
        parts = [
            f"{name} {format_minutes(m)}" for name, m in zip(WEEKDAYS, per_weekday, strict=True)
        ]
        text = f" Total {total}   " + "  ".join(parts)
        return text if cell_len(text) <= width else f" Total {total}  " + " ".join(parts)
    monday = next(iter(weeks))
    week = [date.fromordinal(monday.toordinal() + n) for n in range(7)]

    def cell(day: date, *, dated: bool, target: bool) -> str:
        minutes = days.get(day, 0)
        name = f"{day:%a %d}" if dated else f"{day:%a}"
        text = f"{name} {format_minutes(minutes)}"
        goal = work_week.target(day) if work_week is not None else 0
        if not goal:
            return text
        if target:
            text += f"/{format_minutes(goal)}"
        if minutes < goal and (today is None or day <= today):
            text += SHORT_MARK
        return text

    def busy(day: date) -> bool:
        return bool(days.get(day)) or (work_week is not None and work_week.is_work_day(day))

    tries = [
        (f" Week {total}   ", "  ", True, True, week),
        (f" Week {total}   ", "  ", False, True, week),
        (f" Week {total}   ", "  ", False, False, week),
        (f" Week {total}  ", " ", False, False, week),
        (f" Week {total}  ", " ", False, False, [d for d in week if busy(d)]),
    ]
    text = ""
    for head, gap, dated, target, shown in tries:
        text = head + gap.join(cell(d, dated=dated, target=target) for d in shown)
        if cell_len(text) <= width:
            break
    return text
