"""The reports screen (`3`): where the time went, as bars.

It loads its own range into the shared store (mine, or everyone's with `p`), like the
approvals screen, and draws `tui.store.report.build_report` of the store's records: the
server's copies, so staged, unsaved changes are not counted (the screen says how many).
Hours per day against the day target (`[ui] workday_minutes`, via the store's
`WorkWeek`; a short day in the warning colour), hours by service (with its project and
deal) largest first, hours by person when everyone's time is shown, and the totals with
the billable share where the backend gives billable time.

The range is this week by default; `w`/`m` show a week or a month, `c` asks for any range,
`[`/`]` move by the range's length. Pages stream in as store changes; the screen redraws
once per burst (one pass over the records, then a few dozen bars).
"""

from __future__ import annotations

import enum
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, getters
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from tui.actions import Scope, bindings
from tui.api.base import EntryQuery
from tui.screens.base import TimesheetAppBase
from tui.store.present import day_text, plural
from tui.store.report import By, Report, build_report, label_of, staged_in_range
from tui.store.values import (
    ValueProblem,
    format_minutes,
    parse_date,
    parse_last_day,
    week_range,
)
from tui.widgets.banner import ProblemBanner
from tui.widgets.bar_chart import Bar, BarChart
from tui.widgets.key_bar import KeyBar
from tui.widgets.timer_panel import TimerPanel

if TYPE_CHECKING:
    from tui.store.changes import StoreChange
    from tui.store.store import Store

WIDE = 120
"""From this many columns the days and the services stand side by side."""
MOST_DAYS = 31
"""A longer range shows its weeks (against the week's target) instead of its days."""


class Span(str, enum.Enum):
    """What the shown range is."""

    week = "week"
    month = "month"
    custom = "custom"


def month_range(day: date) -> tuple[date, date]:
    """The first and the last day of `day`'s month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def parse_range(text: str, *, today: date) -> tuple[date, date]:
    """`2026-11-01 2026-11-15`, `2026-11-01..2026-11-15`, `last week to today` or `monday to
    friday`: each side read as the CLI reads --from and --to (`parse_last_day`: a week as
    its last side is its Sunday, a weekday the first one on or after the first side), a
    weekday as the first side that day of this week; raises `ValueProblem` with one
    sentence."""
    raw = text.strip()
    for separator in ("..", " to ", " - "):
        if separator in raw:
            parts = [part.strip() for part in raw.split(separator, 1)]
            break
    else:
        parts = raw.split()
    if len(parts) != 2 or not all(parts):
        raise ValueProblem("Give two dates: FROM TO (e.g. 2026-11-01 2026-11-15).")
    # A weekday's name is that day of this week: `monday to friday` is this week's.
    first = parse_date(parts[0], today=today, week=today)
    last = parse_last_day(parts[1], today=today, first=first, week=today)
    if first > last:
        raise ValueProblem(f"{first} is after {last}.")
    return first, last


class ReportsScreen(Screen[None]):
    DEFAULT_CSS = """
    ReportsScreen #reports-range {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    ReportsScreen #reports-staged {
        height: 1;
        padding: 0 1;
        color: $text-warning;
        display: none;
    }
    ReportsScreen.-staged #reports-staged {
        display: block;
    }
    ReportsScreen #reports-body {
        height: 1fr;
    }
    ReportsScreen #reports-columns {
        height: auto;
        layout: vertical;
    }
    ReportsScreen.-wide #reports-columns {
        layout: horizontal;
    }
    ReportsScreen .reports-column {
        height: auto;
        width: 1fr;
    }
    ReportsScreen .reports-title {
        height: 1;
        padding: 0 1;
        margin-top: 1;
        color: $text-primary;
        text-style: bold;
    }
    ReportsScreen #reports-people-title, ReportsScreen #reports-people {
        display: none;
    }
    ReportsScreen.-everyone #reports-people-title, ReportsScreen.-everyone #reports-people {
        display: block;
    }
    ReportsScreen #reports-total {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.reports)

    app = getters.app(TimesheetAppBase)

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.span = Span.week
        self.first, self.last = date.min, date.min
        self.everyone = False
        """Everyone's time (a manager's view), else mine."""
        self.report_query: EntryQuery | None = None
        """What this screen asked the store to load (None: not yet)."""
        self.report: Report | None = None
        self._redraw_pending = False

    @property
    def store(self) -> Store:
        return self.app.store

    def compose(self) -> ComposeResult:
        yield ProblemBanner(self.store, self.app.profile_facts)
        yield TimerPanel(self.store, id="timer")
        yield Static(id="reports-range", markup=False)
        yield Static(id="reports-staged", markup=False)
        with VerticalScroll(id="reports-body"), Vertical(id="reports-columns"):
            with Vertical(classes="reports-column"):
                yield Static("Hours per day", id="reports-days-title", classes="reports-title")
                yield BarChart(id="reports-days")
            with Vertical(classes="reports-column"):
                yield Static("By service", classes="reports-title", markup=False)
                yield BarChart(id="reports-services")
                yield Static("By person", id="reports-people-title", classes="reports-title")
                yield BarChart(id="reports-people")
        yield Static(id="reports-total", markup=False)
        yield KeyBar(self.store.capabilities, here="show-reports")

    def on_mount(self) -> None:
        self.first, self.last = week_range(self.store.today())
        self.app.store_changed.subscribe(self, self.on_store_change)
        self.query_one("#reports-body").focus()
        self.load_report()
        # The running timer's minutes in the "not included" line follow it as it runs.
        self.set_interval(30, self.update_staged)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    # ------------------------------------------------------------------- loading

    def load_report(self) -> Worker[None]:
        """The range's entries (mine, or everyone's) into the store, in the app's exclusive
        "load" group (so the other screens' loads and ours never race)."""
        self.report_query = None
        self.redraw()
        return self.app.run_worker(
            self._load(), name="reports-load", group="load", exclusive=True, exit_on_error=False
        )

    async def _load(self) -> None:
        people = () if self.everyone else (await self.store.my_person_id(),)
        self.report_query = EntryQuery(self.first, self.last, person_ids=people)
        await self.store.load(self.report_query)

    @property
    def loaded(self) -> bool:
        """The store holds this screen's range (not another screen's)."""
        return self.report_query is not None and self.store.query == self.report_query

    # ------------------------------------------------------------------- drawing

    def on_store_change(self, change: StoreChange) -> None:
        if (
            change.reset
            or change.added
            or change.removed
            or change.ids
            or change.status
            or change.lookups
        ):
            self.schedule_redraw()

    def schedule_redraw(self) -> None:
        """Pages stream in as many changes; draw once per burst."""
        if not self._redraw_pending:
            self._redraw_pending = True
            self.call_later(self.redraw)

    def redraw(self) -> None:
        self._redraw_pending = False
        if not self.is_attached:
            return
        store = self.store
        query = self.report_query
        people = query.person_ids if query is not None else ()
        records = store.records.values() if self.loaded else ()
        report = self.report = build_report(records, self.first, self.last, person_ids=people)
        self.set_class(self.everyone, "-everyone")
        self.update_range()
        self.update_staged()
        work_week = store.settings.work_week
        days_chart = self.query_one("#reports-days", BarChart)
        days_title = self.query_one("#reports-days-title", Static)
        month = self.first.month != self.last.month or self.span is not Span.week
        if (self.last - self.first).days < MOST_DAYS:
            days_title.update("Hours per day")
            bars = []
            heads = self.headcount(report)
            for day, total in report.days():
                target = heads * work_week.target(day)
                value = format_minutes(total.minutes)
                if target:
                    value += f"/{format_minutes(target)}"
                bars.append(Bar(day_text(day, month=month), total.minutes, value, target))
        else:
            days_title.update("Hours per week")
            bars = []
            heads = self.headcount(report)
            for monday, total in report.weeks():
                days = (monday + timedelta(days=n) for n in range(7))
                target = heads * sum(
                    work_week.target(d) for d in days if self.first <= d <= self.last
                )
                value = f"{format_minutes(total.minutes)}/{format_minutes(target)}"
                bars.append(Bar(label_of(By.week, monday, store), total.minutes, value, target))
        days_chart.show_bars(bars)
        self.query_one("#reports-services", BarChart).show_bars(self.ranked(report, By.service))
        self.query_one("#reports-people", BarChart).show_bars(self.ranked(report, By.person))
        self.update_total(report)

    def ranked(self, report: Report, by: By) -> list[Bar]:
        """One dimension's bars, largest first, each with its time and share of the total."""
        total = report.total.minutes
        bars = []
        for key, part in report.largest_first(by):
            share = f" {round(100 * part.minutes / total):>3}%" if total else ""
            bars.append(
                Bar(
                    label_of(by, key, self.store),
                    part.minutes,
                    format_minutes(part.minutes) + share,
                )
            )
        return bars

    def range_text(self) -> str:
        first, last = self.first, self.last
        if self.span is Span.week:
            what = f"Week of {day_text(first, month=True)} {first.year}"
        elif self.span is Span.month:
            what = f"{first:%B %Y}"
        else:
            what = f"{first} to {last}"
        return what

    def update_range(self) -> None:
        store = self.store
        parts = [
            self.range_text(),
            "everyone" if self.everyone else "mine",
        ]
        status = store.status
        if not self.loaded or status.loading:
            total = f"/{status.total}" if status.total else ""
            parts.append(f"loading {status.loaded}{total}…" if self.loaded else "loading…")
        if status.cached_at is not None and self.loaded:
            parts.append(f"cached {status.cached_at.astimezone():%H:%M}")
        if status.error:
            parts.append(status.error)
        self.query_one("#reports-range", Static).update(Text("  ·  ".join(parts)))

    def staged_count(self) -> int:
        """Staged changes of entries in the range: not counted, since they are not saved."""
        store = self.store
        return staged_in_range(store.staging.staged, store.records, self.first, self.last)

    def running_minutes(self) -> int:
        """The running timer's minutes so far on an entry in the range (and in the view):
        not counted, since the server books them at the stop; the timesheet shows them."""
        store = self.store
        running = store.live_timer_minutes()
        record = store.records.get(running[0]) if running is not None else None
        if running is None or record is None or not self.first <= record.date <= self.last:
            return 0
        if not self.everyone and record.person_id not in (None, store.person_id):
            return 0
        return running[1]

    def update_staged(self) -> None:
        """What the report leaves out that the timesheet shows: staged changes, and the
        running timer's minutes so far."""
        count, running = self.staged_count(), self.running_minutes()
        parts = []
        if count:
            parts.append(f"{plural(count, 'staged change')} (not saved yet)")
        if running:
            parts.append(f"the running timer's {format_minutes(running)}")
        self.set_class(bool(parts), "-staged")
        if parts:
            text = "Not included: " + "; ".join(parts) + "."
            self.query_one("#reports-staged", Static).update(Text(text))

    def headcount(self, report: Report) -> int:
        """Whose day targets count: mine, or each person's who logged time in the range."""
        return max(1, len(report.sums[By.person])) if self.everyone else 1

    def update_total(self, report: Report) -> None:
        total = report.total
        work_week = self.store.settings.work_week
        people = self.headcount(report)
        target = people * sum(work_week.target(day) for day, _ in report.days())
        parts = [f"Total {format_minutes(total.minutes)}"]
        if target:
            parts[0] += f" of {format_minutes(target)}"
        if total.billable_minutes is not None:
            share = total.billable_share
            percent = f" ({round(100 * share)}%)" if share is not None else ""
            parts.append(f"billable {format_minutes(total.billable_minutes)}{percent}")
        if target:
            # Days still to come are not short yet.
            until = min(self.last, self.store.today())
            short = sum(
                1
                for day, part in report.days()
                if day <= until and part.minutes < people * work_week.target(day)
            )
            parts.append(plural(short, "short day"))
        parts.append(plural(total.entries, "entry", "entries"))
        self.query_one("#reports-total", Static).update(Text(" · ".join(parts)))

    # ------------------------------------------------------------------- actions

    def show_range(self, span: Span, first: date, last: date) -> None:
        self.span, self.first, self.last = span, first, last
        self.load_report()

    def action_show_week(self) -> None:
        self.show_range(Span.week, *week_range(self.store.today()))

    def action_show_month(self) -> None:
        self.show_range(Span.month, *month_range(self.store.today()))

    def action_pick_range(self) -> None:
        from tui.screens.dialogs import ReasonDialog

        def problem(text: str) -> str | None:
            try:
                parse_range(text, today=self.store.today())
            except ValueProblem as wrong:
                return str(wrong)
            return None

        def picked(text: str | None) -> None:
            if text is not None:  # `problem` found none in it
                self.show_range(Span.custom, *parse_range(text, today=self.store.today()))

        self.app.push_screen(
            ReasonDialog(
                "From and to, e.g. 2026-11-01 2026-11-15, or: last week to today",
                title="Range",
                placeholder="FROM TO",
                check=problem,
            ),
            picked,
        )

    def shift(self, steps: int) -> None:
        """The range `steps` ranges later (negative: earlier)."""
        if self.span is Span.month:
            first = self.first
            for _ in range(abs(steps)):
                first = (
                    month_range(first - timedelta(days=1))[0]
                    if steps < 0
                    else month_range(first + timedelta(days=32))[0]
                )
            self.show_range(Span.month, *month_range(first))
            return
        length = (self.last - self.first).days + 1
        delta = timedelta(days=length * steps)
        self.show_range(self.span, self.first + delta, self.last + delta)

    def action_previous_range(self) -> None:
        self.shift(-1)

    def action_next_range(self) -> None:
        self.shift(1)

    def action_toggle_everyone(self) -> None:
        if not self.store.capabilities.approvals:
            self.notify(
                f"{self.store.backend.name.title()} shows only your own time here.",
                severity="warning",
            )
            return
        self.everyone = not self.everyone
        self.load_report()
