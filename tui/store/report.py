"""Where the time went: sums of entries per day, week, service, task and person.

One computation for the reports screen and the CLI `report`: `build_report` walks the
records once and adds each entry to its day, its week, its service, its task and its
person (and to the total), with its billable minutes where the backend gives them. It
counts what the server holds (the store's records are the server's copies): staged,
unsaved changes are not in it; `staged_in_range` says how many were left out.
`report_rows` turns one dimension into labelled rows (names from `tui.store.present`).

Plain Python, no textual: the CLI and the screen both import it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from tui.store.present import NO_VALUE, Lookups, day_text, person_name, service_name, task_title
from tui.store.values import week_start

if TYPE_CHECKING:
    from tui.store.records import EntryRecord
    from tui.store.staging import Staged


class By(str, enum.Enum):
    """What a report's rows are: `--by day|week|service|task|person`."""

    day = "day"
    week = "week"
    service = "service"
    task = "task"
    person = "person"


@dataclass(frozen=True, slots=True)
class Sum:
    """The minutes of some entries, and the billable part of them."""

    minutes: int = 0
    billable_minutes: int | None = None
    """None when none of the entries carried billable minutes (the backend has none)."""
    entries: int = 0

    @property
    def billable_share(self) -> float | None:
        """Billable minutes over minutes (0..1); None when unknown or there is no time."""
        if self.billable_minutes is None or self.minutes <= 0:
            return None
        return self.billable_minutes / self.minutes


Key = date | str | None
"""A row's key: the day, the week's Monday, or an id (None: no service, task or person)."""


@dataclass(frozen=True)
class Report:
    """The sums of the entries from `start` to `end` (both included)."""

    start: date
    end: date
    total: Sum
    sums: Mapping[By, Mapping[Key, Sum]]
    """Per dimension, key -> its sum; only keys that have entries."""

    @property
    def empty_sum(self) -> Sum:
        """The sum of a day or week without entries: billable 0 where the backend gives
        billable minutes (a report's JSON says 0 for such a day, not "unknown")."""
        return ZERO if self.total.billable_minutes is None else Sum(0, 0, 0)

    def days(self) -> list[tuple[date, Sum]]:
        """Every day of the range in order, a day without entries with a zero sum."""
        per_day = self.sums[By.day]
        out = []
        day = self.start
        while day <= self.end:
            out.append((day, per_day.get(day, self.empty_sum)))
            day += timedelta(days=1)
        return out

    def weeks(self) -> list[tuple[date, Sum]]:
        """Every week (by its Monday) the range touches, in order, zero sums included."""
        per_week = self.sums[By.week]
        out = []
        monday = week_start(self.start)
        while monday <= self.end:
            out.append((monday, per_week.get(monday, self.empty_sum)))
            monday += timedelta(days=7)
        return out

    def largest_first(self, by: By) -> list[tuple[Key, Sum]]:
        """A dimension's keys, the most minutes first (ties: by key, so the order is
        stable)."""
        return sorted(self.sums[by].items(), key=lambda item: (-item[1].minutes, str(item[0])))


ZERO = Sum()


def build_report(
    records: Iterable[EntryRecord],
    start: date,
    end: date,
    *,
    person_ids: Collection[str] = (),
) -> Report:
    """The sums of `records` dated from `start` to `end` (and, given `person_ids`, of those
    people only), in one pass."""
    people = set(person_ids)
    # Per dimension, key -> [minutes, billable minutes, entries with billable, entries];
    # the loop is unrolled (a loop over the five per entry cost three times as much).
    days: dict[Key, list[int]] = {}
    services: dict[Key, list[int]] = {}
    tasks: dict[Key, list[int]] = {}
    persons: dict[Key, list[int]] = {}
    total = [0, 0, 0, 0]
    for record in records:
        day = record.date
        if day < start or day > end or (people and record.person_id not in people):
            continue
        minutes = record.minutes
        billable = record.billable_minutes
        known = 0 if billable is None else 1
        billable = billable or 0
        cell = days.get(day)
        if cell is None:
            days[day] = [minutes, billable, known, 1]
        else:
            cell[0] += minutes
            cell[1] += billable
            cell[2] += known
            cell[3] += 1
        cell = services.get(record.service_id)
        if cell is None:
            services[record.service_id] = [minutes, billable, known, 1]
        else:
            cell[0] += minutes
            cell[1] += billable
            cell[2] += known
            cell[3] += 1
        cell = tasks.get(record.task_id)
        if cell is None:
            tasks[record.task_id] = [minutes, billable, known, 1]
        else:
            cell[0] += minutes
            cell[1] += billable
            cell[2] += known
            cell[3] += 1
        cell = persons.get(record.person_id)
        if cell is None:
            persons[record.person_id] = [minutes, billable, known, 1]
        else:
            cell[0] += minutes
            cell[1] += billable
            cell[2] += known
            cell[3] += 1
        total[0] += minutes
        total[1] += billable
        total[2] += known
        total[3] += 1
    # Weeks from the days (a few dozen), not per entry.
    weeks: dict[Key, list[int]] = {}
    for key, cell in days.items():
        assert isinstance(key, date)
        week = weeks.setdefault(week_start(key), [0, 0, 0, 0])
        for index in range(4):
            week[index] += cell[index]
    acc = {
        By.day: days,
        By.week: weeks,
        By.service: services,
        By.task: tasks,
        By.person: persons,
    }
    return Report(
        start=start,
        end=end,
        total=_sum(total),
        sums={by: {key: _sum(cell) for key, cell in table.items()} for by, table in acc.items()},
    )


def _sum(cell: list[int]) -> Sum:
    minutes, billable, known, entries = cell
    return Sum(minutes, billable if known else None, entries)


@dataclass(frozen=True)
class ReportRow:
    """One row of `report --format table|csv|json`."""

    key: str | None
    """The date or the week's Monday (YYYY-MM-DD), or the id (None: no task, ...)."""
    label: str
    minutes: int
    billable_minutes: int | None


def key_text(key: Key) -> str | None:
    """A key as the JSON and the CSV give it: a date as YYYY-MM-DD, an id as it is."""
    return key.isoformat() if isinstance(key, date) else key


def label_of(by: By, key: Key, lookups: Lookups) -> str:
    """How a row is named: `Mon 16 Nov`, `Week of 16 Nov 2026`, a service with its project
    and deal, a task's title, a person's name; `no task` (...) for none."""
    if by is By.day and isinstance(key, date):
        return day_text(key, month=True)
    if by is By.week and isinstance(key, date):
        return f"Week of {key.day} {key:%b %Y}"
    text = key if isinstance(key, str) else None
    if by is By.service:
        return service_name(lookups.services, text) or NO_VALUE["service_id"]
    if by is By.task:
        return task_title(lookups.tasks, text) or NO_VALUE["task_id"]
    return person_name(lookups.people, text) or NO_VALUE["person_id"]


def report_rows(report: Report, by: By, lookups: Lookups) -> list[ReportRow]:
    """The rows of one dimension: days and weeks in date order, every one of the range
    (a day with nothing logged shows, as 0); services, tasks and people largest first."""
    if by is By.day:
        items: list[tuple[Key, Sum]] = list(report.days())
    elif by is By.week:
        items = list(report.weeks())
    else:
        items = report.largest_first(by)
    return [
        ReportRow(key_text(key), label_of(by, key, lookups), s.minutes, s.billable_minutes)
        for key, s in items
    ]


def staged_in_range(
    staged: Mapping[str, Staged],
    records: Mapping[str, EntryRecord],
    start: date,
    end: date,
) -> int:
    """How many staged changes touch an entry dated from `start` to `end` (by the server's
    date, or the staged one): what a report of that range leaves out."""
    count = 0
    for entry_id, change in staged.items():
        record = records.get(entry_id)
        dates = [change.values.get("date"), record.date if record is not None else None]
        if any(isinstance(d, date) and start <= d <= end for d in dates):
            count += 1
    return count
