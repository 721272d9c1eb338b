"""`W` on the timesheet: submit the shown week for approval (and the palette's "Unsubmit
week"). The week is read first (its entries and timesheets), the question lists the short
days and the days already submitted, and the answer is one result per day.

The question is the app's one yes/no dialog (`ConfirmDialog`); the work runs in an app
worker of the "submit" group, so the app's one error handler reports a refusal (a backend
without submission says so in one sentence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tui.store import submission
from tui.store.present import plural
from tui.store.values import format_elapsed, format_minutes

if TYPE_CHECKING:
    from textual.app import App

    from tui.api.base import DayResult
    from tui.store.store import Store
    from tui.store.submission import WeekPlan


def _day(day: date) -> str:
    return f"{day:%a %d}"


def question(
    plan: WeekPlan,
    *,
    submitting: bool,
    timed: date | None = None,
    elapsed_seconds: int = 0,
    unsaved: Mapping[date, int] | None = None,
) -> str:
    """The dialog's text: what will change, staged changes on those days not yet saved
    (`unsaved`, per day), the short days, the day a running timer still adds to (`timed`,
    running for `elapsed_seconds`: a submit leaves it out), the days already so."""
    lines: list[str] = []
    timed = timed if submitting else None
    changing = [d for d in plan.to_submit if d != timed] if submitting else sorted(plan.submitted)
    verb = "Submit" if submitting else "Unsubmit"
    if changing:
        lines.append(f"{verb} {', '.join(_day(d) for d in changing)}?")
    if submitting and unsaved:
        lines.append("")
        lines.append(
            f"Not saved yet: {plural(sum(unsaved.values()), 'staged change')} on"
            f" {', '.join(_day(d) for d in unsaved)}. A submitted day refuses them:"
            " cancel and save first (ctrl+s)."
        )
    if submitting and plan.gaps:
        lines.append("")
        lines.append("Short days (up to today):")
        lines.extend(
            f"  {_day(g.date)}  {format_minutes(g.minutes)} of {format_minutes(g.target_minutes)}"
            for g in plan.gaps
        )
    if timed is not None:
        # The server's day leaves out a running timer's time until it stops, so the
        # day is not submitted yet (`submission.submit`), and it may look short above.
        lines.append("")
        lines.append(
            f"A timer is running on {_day(timed)} ({format_elapsed(elapsed_seconds)} so"
            " far): that day is left out until the timer stops."
        )
    already = sorted(plan.submitted) if submitting else plan.to_submit
    if already:
        lines.append("")
        state = "submitted" if submitting else "not submitted"
        lines.append(f"Already {state}: {', '.join(_day(d) for d in already)}.")
    return "\n".join(lines)


def results_text(results: Sequence[DayResult]) -> str:
    """One line per day: `Mon 16  submitted`, with the server's words where it failed."""
    return "\n".join(
        f"{_day(r.date)}  {r.result}" + (f": {r.message}" if r.result == "failed" else "")
        for r in results
    )


def ask(app: App[Any], store: Store, week_start: date, *, submitting: bool) -> None:
    """Read the week, ask, then submit (or unsubmit) it; each step in an app worker."""

    async def plan_then_ask() -> None:
        plan = await submission.plan_week(
            store, week_start, week_start + timedelta(days=6), today=store.today()
        )
        changing = plan.to_submit if submitting else sorted(plan.submitted)
        if not changing:
            app.notify(
                "Every day with entries is submitted already."
                if submitting and plan.days
                else "Nothing to submit: the week has no entries."
                if submitting
                else "Nothing to unsubmit: no day of the week is submitted.",
                title="Submit week" if submitting else "Unsubmit week",
            )
            return
        from tui.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                app.run_worker(send(plan), group="submit", exit_on_error=False)

        title = "Submit the week?" if submitting else "Unsubmit the week?"
        app.push_screen(
            ConfirmDialog(
                question(
                    plan,
                    submitting=submitting,
                    timed=submission.timer_day(store, plan),
                    elapsed_seconds=store.elapsed_seconds(),
                    unsaved=submission.unsaved_on(store, plan) if submitting else None,
                ),
                title=title,
                yes="Submit" if submitting else "Unsubmit",
                no="Cancel",
            ),
            answered,
        )

    async def send(plan: WeekPlan) -> None:
        if submitting:
            results = await submission.submit(store, plan)
        else:
            results = await submission.unsubmit(store, plan)
        failed = any(r.result == "failed" for r in results)
        app.notify(
            results_text(results),
            title="Submitted" if submitting else "Unsubmitted",
            severity="error" if failed else "information",
            timeout=10,
        )

    app.run_worker(plan_then_ask(), group="submit", exit_on_error=False)
