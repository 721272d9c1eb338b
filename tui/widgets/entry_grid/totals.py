"""The grid's per-day totals, kept incrementally, and the totals line's text.

Pure (no textual): the source's records keep their own minutes per day
(`tui.store.records.Records.days`); the grid keeps only how the rows it shows differ from
them (staged, new, deleted rows and the running timer: few), so a change recounts only
the rows it names and a load no row at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

from rich.cells import cell_len

from tui.api.base import EntryQuery
from tui.store.records import Row, RowState, add_to_day
from tui.store.values import format_minutes, week_start
from tui.store.workweek import WorkWeek

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Part = tuple[date, int] | None
"""What one row adds to the totals: (day, minutes), or None (nothing)."""


def shown_part(row: Row) -> Part:
    """What a row shown adds to the totals: its day and minutes, or nothing once a delete
    of it is staged (`-`, and also while that delete is saved, waits for a lost answer, was
    refused or is in conflict: the total is what the save will leave, and a save never
    moves it)."""
    if row.delete_staged or row.state is RowState.deleted:
        return None
    return row.record.date, row.record.minutes


class DaySums(Protocol):
    """Minutes per day of the server copies, kept as they change (`Records`)."""

    @property
    def days(self) -> Mapping[date, int]: ...

    @property
    def version(self) -> int:
        """Goes up whenever `days` changes."""
        ...


class _NoSums:
    days: Mapping[date, int] = {}
    version = 0


class DayTotals:
    """Minutes per day: the server copies' (`base`, kept by the records) and, over them,
    the difference each row shown otherwise makes (`adjust`)."""

    def __init__(self, base: DaySums | None = None) -> None:
        self.base: DaySums = base if base is not None else _NoSums()
        """The server copies' minutes per day (the source's `records`)."""
        self.adjust: dict[date, int] = {}
        """What the rows whose part differs from their server copy's add to `base`."""
        self._parts: dict[str, tuple[Part, Part]] = {}
        """(shown part, server part) of each such row (only those)."""
        self._version = 0

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever `days` does: the totals line is remade only then."""
        return self._version, self.base.version

    @property
    def days(self) -> dict[date, int]:
        """Minutes per day of what is shown (days with none left out)."""
        days = dict(self.base.days)
        for day, minutes in self.adjust.items():
            total = days.get(day, 0) + minutes
            if total:
                days[day] = total
            else:
                days.pop(day, None)
        return days

    def counted(self, entry_id: str) -> bool:
        """Whether this row's part differs from its server copy's (it is kept here)."""
        return entry_id in self._parts

    def clear(self, base: DaySums | None = None) -> None:
        if base is not None:
            self.base = base
        self.adjust, self._parts = {}, {}
        self._version += 1

    def _add(self, part: Part, sign: int) -> None:
        if part is None:
            return
        day, minutes = part
        add_to_day(self.adjust, day, sign * minutes)

    def recount(self, entry_id: str, shown: Part, server: Part) -> bool:
        """Count a row again: what it shows now, and what its server copy (in `base`)
        adds; True when the totals changed. A row showing its server copy costs nothing."""
        shown = shown if shown is not None and shown[1] else None
        server = server if server is not None and server[1] else None
        before = self._parts.get(entry_id)
        after = None if shown == server else (shown, server)
        if before == after:
            return False
        if before is not None:
            del self._parts[entry_id]
            self._add(before[0], -1)
            self._add(before[1], 1)
        if after is not None:
            self._parts[entry_id] = after
            self._add(shown, 1)
            self._add(server, -1)
        self._version += 1
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
