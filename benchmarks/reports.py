"""Reports speed: a month of a 50-person team (10k entries), computed and drawn.

Target (issue "Reports"): the reports screen draws within 100 ms of the data arriving.
Measured in the same run, so a slow machine moves both:

* the baseline: the plainest sum of one dimension, a loop adding each entry's minutes to
  its day in a dict;
* `build_report` of the month: four dimensions (and the weeks from the days), each with
  minutes, billable minutes and counts, in one pass: about 16 additions per entry against
  the baseline's one, so its ratio stays under 20x; past that, per-row work crept in;
* the screen: the real app (headless) on the reports screen, everyone's month, from the
  store announcing the loaded records to the screen redrawn (the sums, a bar per day, per
  service and per person, laid out and rendered): median against 100 ms.

    uv run python benchmarks/reports.py [--entries 10000] [--people 50] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.app_harness import Harness, settle
from tests.conftest import FakeClock
from tui.api.base import EntryQuery
from tui.models import Person, Service
from tui.store.changes import StoreChange
from tui.store.records import EntryRecord
from tui.store.report import build_report

DRAW_TARGET_MS = 100.0
RATIO_TARGET = 20.0


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def make_records(entries: int, people: int, first: date, last: date) -> list[EntryRecord]:
    rng = random.Random(1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    workdays = [d for d in days if d.weekday() < 5]
    return [
        EntryRecord(
            id=f"b{n}",
            date=rng.choice(workdays),
            minutes=15 * rng.randint(1, 16),
            note="",
            person_id=f"p{rng.randrange(people)}",
            service_id=f"s{rng.randrange(30)}",
            task_id=f"t{rng.randrange(60)}" if rng.random() < 0.7 else None,
            billable_minutes=None if rng.random() < 0.01 else rng.choice((0, 60)),
        )
        for n in range(entries)
    ]


def per_day(records: list[EntryRecord]) -> dict[date, int]:
    """The baseline: one dimension's minutes, the plainest loop."""
    out: dict[date, int] = {}
    for record in records:
        out[record.date] = out.get(record.date, 0) + record.minutes
    return out


def median_ms(work, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def draw_ms(entries: int, people: int, runs: int) -> float:
    from tui.screens.reports import ReportsScreen, Span

    clock = FakeClock()
    harness = Harness(Path(tempfile.mkdtemp(prefix="timesheet-bench-")), clock)
    app = harness.app()
    first, last = month_of(clock.now.date())
    records = make_records(entries, people, first, last)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, ReportsScreen)
        store = app.store
        # Everyone's month, as the screen would have asked the store for it.
        view.everyone, view.span, view.first, view.last = True, Span.month, first, last
        view.report_query = EntryQuery(first, last)
        store.query = view.report_query
        store.people.update(
            {f"p{n}": Person(id=f"p{n}", first_name=f"Person {n}") for n in range(people)}
        )
        store.services.update(
            {
                f"s{n}": Service(id=f"s{n}", name=f"Service {n}", project_name="Client")
                for n in range(30)
            }
        )
        timings = []
        for _ in range(runs):
            store.records = {r.id: r for r in records}
            started = time.perf_counter()
            store.emit(StoreChange(reset=True, status=True))
            await pilot.pause()  # the redraw (once per burst) and the layout
            app.screen._compositor.render_update(full=True)  # and every widget painted
            timings.append((time.perf_counter() - started) * 1000)
            assert view.report is not None and view.report.total.entries == entries
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    first, last = month_of(FakeClock().now.date())
    records = make_records(args.entries, args.people, first, last)

    baseline = median_ms(lambda: per_day(records), args.runs)
    computed = median_ms(lambda: build_report(records, first, last), args.runs)
    ratio = computed / baseline
    print(f"{args.entries:,} entries, {args.people} people, {first} to {last}")
    print(f"baseline (minutes per day): median {baseline:7.2f} ms")
    verdict = "ok" if ratio <= RATIO_TARGET else f"MISSED (target <= {RATIO_TARGET:.0f}x)"
    print(f"build_report:               median {computed:7.2f} ms  ratio {ratio:5.1f}x  {verdict}")
    drawn = asyncio.run(draw_ms(args.entries, args.people, args.runs))
    verdict = "ok" if drawn <= DRAW_TARGET_MS else f"MISSED (target <= {DRAW_TARGET_MS:.0f} ms)"
    print(f"screen drawn after data:    median {drawn:7.2f} ms  {verdict}")
    if drawn > DRAW_TARGET_MS or ratio > RATIO_TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
