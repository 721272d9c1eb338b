"""Submitting a person's week for approval, the gaps shown first, and who has submitted.

The one place the CLI (`submit`, `unsubmit`, `gaps`), the timesheet screen (`W`) and the
approvals screen (the people panel's "3/5", the "not submitted" filter) ask about
submission. Days come from the server's entries and timesheets; the day target from
`store.settings.work_week`. Plain Python, no textual.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from tui.api.base import DayResult, EntryQuery, Submission
from tui.api.errors import UnsupportedError

if TYPE_CHECKING:
    from tui.store.store import Store


@dataclass(frozen=True)
class Gap:
    """A working day with less than the day target logged."""

    date: date
    minutes: int
    target_minutes: int

    @property
    def missing_minutes(self) -> int:
        return max(0, self.target_minutes - self.minutes)


@dataclass(frozen=True)
class WeekPlan:
    """One person's days from `start` to `end`: what they hold and what is submitted."""

    person_id: str
    start: date
    end: date
    minutes: dict[date, int] = field(default_factory=dict)
    """Minutes per day that has entries (a day of only 0-minute entries has 0)."""
    submitted: frozenset[date] = frozenset()
    gaps: tuple[Gap, ...] = ()
    approved: dict[date, int] = field(default_factory=dict)
    """Approved entries per day: a day with any cannot be unsubmitted (the server says so)."""

    @property
    def days(self) -> list[date]:
        """The days a submit or unsubmit acts on: those with entries, and those already
        submitted."""
        return sorted(set(self.minutes) | self.submitted)

    @property
    def to_submit(self) -> list[date]:
        return [d for d in self.days if d not in self.submitted]


def require_submission(store: Store) -> Submission:
    """The backend's submission calls; a backend without them is said in one sentence."""
    backend = store.backend
    if not store.capabilities.submission or not isinstance(backend, Submission):
        name = backend.name.title()
        raise UnsupportedError(
            f"{name} has no submission of timesheets; entries there are approved as they are."
        )
    return backend


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


async def day_minutes(store: Store, person_id: str, start: date, end: date) -> dict[date, int]:
    """Minutes per day of the person's entries on the server (days without any left out)."""
    return (await _days(store, person_id, start, end))[0]


async def _days(
    store: Store, person_id: str, start: date, end: date
) -> tuple[dict[date, int], dict[date, int]]:
    """Per day, the minutes of the person's entries on the server and how many of them
    are approved (days without any left out)."""
    batch = await store.backend.list_entries(EntryQuery(start, end, person_ids=(person_id,)))
    minutes: dict[date, int] = defaultdict(int)
    approved: dict[date, int] = defaultdict(int)
    for entry in batch.entries:
        if entry.person_id in (None, person_id):
            minutes[entry.date] += entry.minutes
            approved[entry.date] += entry.approved
    return dict(minutes), {day: count for day, count in approved.items() if count}


def gaps_of(store: Store, minutes: dict[date, int], start: date, end: date) -> tuple[Gap, ...]:
    """The working days from `start` to `end` short of the day target."""
    week = store.settings.work_week
    return tuple(
        Gap(day, logged, week.target(day)) for day, logged in week.short_days(minutes, start, end)
    )


async def gaps(store: Store, person_id: str, start: date, end: date) -> tuple[Gap, ...]:
    return gaps_of(store, await day_minutes(store, person_id, start, end), start, end)


async def plan_week(
    store: Store, start: date, end: date, *, today: date, person_id: str | None = None
) -> WeekPlan:
    """What a submit of these days would do; the gaps count up to `today` only."""
    backend = require_submission(store)
    who = person_id or await store.my_person_id()
    minutes, approved = await _days(store, who, start, end)
    sheets = await backend.timesheets(days_between(start, end), person_id=who)
    submitted = frozenset(s.date for s in sheets if s.person_id == who)
    short = gaps_of(store, minutes, start, min(end, today)) if start <= today else ()
    return WeekPlan(who, start, end, minutes, submitted, short, approved)


def unsaved_on(store: Store, plan: WeekPlan) -> dict[date, int]:
    """Staged changes of the plan's person on the days it would submit, per day: once a
    day is submitted the server refuses them (they stay staged, unsaved)."""
    days = set(plan.to_submit)
    counts: dict[date, int] = defaultdict(int)
    for entry_id in store.staging.staged:
        record = store.row(entry_id).record
        if record.date in days and record.person_id in (None, plan.person_id):
            counts[record.date] += 1
    return dict(sorted(counts.items()))


def timer_day(store: Store, plan: WeekPlan) -> date | None:
    """The day of the plan that the store's running timer still adds time to (its entry's
    day, else the day it started), if the plan is of the timer's person; else None."""
    timer = store.timer
    if timer is None or not timer.running or plan.person_id != store.person_id:
        return None
    record = store.records.get(timer.entry_id) if timer.entry_id else None
    day = record.date if record is not None else timer.started_at.astimezone().date()
    return day if plan.start <= day <= plan.end else None


async def submit(store: Store, plan: WeekPlan) -> list[DayResult]:
    """Submit the plan's days (those already submitted come back `unchanged`), but the
    day a running timer still adds time to: submitted, it would lock a day whose time is
    not all there, so it fails with why, and the others go."""
    backend = require_submission(store)
    timed = timer_day(store, plan)
    left_out = timed if timed in plan.to_submit else None
    days = [d for d in plan.days if d != left_out]
    results = await backend.submit_days(plan.person_id, days) if days else []
    if left_out is not None:
        why = "A timer is running on this day's entry; stop the timer, then submit the day."
        results = sorted([*results, DayResult(left_out, "failed", why)], key=lambda r: r.date)
    if days:
        await _reload(store, plan)
    return results


async def unsubmit(store: Store, plan: WeekPlan) -> list[DayResult]:
    backend = require_submission(store)
    days = plan.days
    if not days:
        return []
    results = await backend.unsubmit_days(plan.person_id, days)
    await _reload(store, plan)
    return results


async def _reload(store: Store, plan: WeekPlan) -> None:
    """The entries of the days read `submitted` (or not) now: read them again where the
    store shows them."""
    query = store.query
    if query is not None and query.start <= plan.end and plan.start <= query.end:
        before = {
            r.id: r.updated_at
            for r in store.records.values()
            if r.person_id == plan.person_id and plan.start <= r.date <= plan.end
        }
        await store.load(query)
        store.note_own_writes(before)  # a staged edit there is no conflict with this submit


@dataclass(frozen=True)
class PersonWeek:
    """How much of a week one person has submitted."""

    person_id: str
    submitted: int
    """Working days with a timesheet."""
    working: int

    @property
    def count(self) -> str:
        """`5/5`, `2/5`, `0/5`: submitted working days out of the week's."""
        return f"{self.submitted}/{self.working}"

    @property
    def label(self) -> str:
        """`5/5`, `2/5`, or `not submitted`."""
        return "not submitted" if self.submitted == 0 else self.count


async def people_weeks(
    store: Store, person_ids: Iterable[str], start: date, end: date
) -> dict[str, PersonWeek]:
    """Each person's submitted working days of the week, from `/timesheets` (one listing
    per working day, everyone at once)."""
    backend = require_submission(store)
    working = list(store.settings.work_week.working_days(start, end))
    sheets = await backend.timesheets(working, person_id=None) if working else []
    counts: dict[str, set[date]] = defaultdict(set)
    for sheet in sheets:
        counts[sheet.person_id].add(sheet.date)
    return {pid: PersonWeek(pid, len(counts.get(pid, set())), len(working)) for pid in person_ids}


def not_submitted(weeks: Sequence[PersonWeek]) -> list[str]:
    """The people with no timesheet on any of the week's working days."""
    return [w.person_id for w in weeks if w.submitted == 0]
