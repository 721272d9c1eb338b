"""The day target: which days are working days and how much time each should hold.

One rule for every place that compares a day's time with what it should be: `gaps` and
`submit` in the CLI, the grid's day totals (`Wed 1:15/8:00`), the approvals screen's
"submitted days out of working days" and the reports' bars. Plain Python, no textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkWeek:
    """`[ui] workday_minutes` on each of `[ui] work_days`; other days have no target."""

    workday_minutes: int = 480
    work_days: frozenset[int] = frozenset(range(5))
    """Weekday numbers (Monday 0) that are working days."""

    @classmethod
    def of(cls, workday_minutes: int, work_days: Iterable[str]) -> WorkWeek:
        """From the config's values (`["mon", ...]`)."""
        return cls(workday_minutes, frozenset(WEEKDAY_NAMES.index(day) for day in work_days))

    def is_work_day(self, day: date) -> bool:
        return day.weekday() in self.work_days

    def target(self, day: date) -> int:
        """The minutes `day` should hold: the day target on a working day, else 0."""
        return self.workday_minutes if self.is_work_day(day) else 0

    def working_days(self, start: date, end: date) -> Iterator[date]:
        """The working days from `start` to `end`, both included."""
        day = start
        while day <= end:
            if self.is_work_day(day):
                yield day
            day += timedelta(days=1)

    def short_days(
        self, minutes: Mapping[date, int], start: date, end: date
    ) -> list[tuple[date, int]]:
        """(day, minutes logged) of each working day from `start` to `end` that holds less
        than the target, in date order."""
        return [
            (day, minutes.get(day, 0))
            for day in self.working_days(start, end)
            if minutes.get(day, 0) < self.workday_minutes
        ]
