"""`submit`, `unsubmit` and `gaps`: a person's week for approval, and the days short of it.

`submit` submits the week's days (each day with entries, for the profile's person) after
showing the week's gaps (working days up to today with less than `[ui] workday_minutes`);
`unsubmit` takes the submission back. A day already in the wanted state is "unchanged", so
running either again changes nothing. They ask first unless `--yes`; `--dry-run` sends
nothing. `gaps` lists the short working days from `--from` to `--to` (default: this week up
to today) and exits 1 when there is any, for a shell prompt or a cron job.

Exit codes: 0 all done (or no gaps); 1 some days failed, the confirmation was declined, or
(`gaps`) a working day is short; 2 usage, config or auth errors and backends without
submission (Plannr, or a Productive organization without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from tui.cli.context import (
    LAST_DAY_HELP,
    CliError,
    ItemsFailed,
    cli_context,
    day_range,
    require_terminal_or_yes,
)
from tui.cli.output import echo_json, table
from tui.store.present import plural

if TYPE_CHECKING:
    from tui.api.base import DayResult
    from tui.store.store import Store
    from tui.store.submission import Gap, WeekPlan


def today() -> date:
    """The local date relative dates count from (a function, so tests can freeze it)."""
    return datetime.now().astimezone().date()


def _day(text: str, option: str) -> date:
    from tui.store.values import ValueProblem, parse_date

    try:
        return parse_date(text, today=today())
    except ValueProblem as problem:
        raise CliError(f"{option}: {problem}") from None


def _say(text: str, as_json: bool) -> None:
    """Human text; with --json it goes to stderr so stdout stays one JSON document."""
    click.echo(text, err=as_json)


def _label(day: date) -> str:
    return f"{day:%a} {day.isoformat()}"


def gap_json(gap: Gap) -> dict[str, Any]:
    return {
        "date": gap.date.isoformat(),
        "minutes": gap.minutes,
        "target_minutes": gap.target_minutes,
        "missing_minutes": gap.missing_minutes,
    }


def _gap_lines(gaps: Sequence[Gap]) -> list[str]:
    from tui.store.values import format_minutes

    return [
        f"{_label(g.date)}  {format_minutes(g.minutes)} of {format_minutes(g.target_minutes)}"
        f" ({format_minutes(g.missing_minutes)} missing)"
        for g in gaps
    ]


@dataclass(frozen=True)
class Direction:
    name: str  # submit | unsubmit
    done: str  # submitted | unsubmitted
    gerund: str  # Submitting


SUBMIT = Direction("submit", "submitted", "Submitting")
UNSUBMIT = Direction("unsubmit", "unsubmitted", "Unsubmitting")


def _show_plan(plan: WeekPlan, direction: Direction, as_json: bool) -> list[date]:
    """Say what the week holds; the days that would change."""
    week = f"{plan.start.isoformat()} to {plan.end.isoformat()}"
    if direction is SUBMIT:
        if plan.gaps:
            _say(f"Short days ({week}, up to today):", as_json)
            for line in _gap_lines(plan.gaps):
                _say(f"  {line}", as_json)
        else:
            _say(f"No short days ({week}, up to today).", as_json)
        changing = plan.to_submit
    else:
        changing = sorted(plan.submitted)
    already = [d for d in plan.days if d not in changing]
    if changing:
        _say(
            f"{direction.gerund} {', '.join(_label(d) for d in changing)}.",
            as_json,
        )
    if already:
        _say(
            f"Already {direction.done}: {', '.join(_label(d) for d in already)}.",
            as_json,
        )
    if not plan.days:
        _say(f"No entries and nothing submitted from {week}.", as_json)
    return changing


def _confirm(direction: Direction, count: int, yes: bool) -> bool:
    if yes:
        return True
    require_terminal_or_yes(
        yes,
        f"Not asking to {direction.name} {count} {'day' if count == 1 else 'days'} because "
        f"stdin is not a terminal; add --yes to {direction.name} (or --dry-run to only look).",
    )
    return click.confirm(f"{direction.name.title()} the week?", default=False)


def _report(
    person_id: str, results: Sequence[DayResult], direction: Direction, as_json: bool
) -> None:
    if as_json:
        echo_json(
            {
                "person_id": person_id,
                "days": [
                    {"date": r.date.isoformat(), "result": r.result, "message": r.message}
                    for r in results
                ],
            }
        )
    elif results:
        rows = [(_label(r.date), r.result, r.message or "") for r in results]
        click.echo(table(["Day", "Result", "Message"], rows))
    done = sum(r.result == direction.done for r in results)
    failed = [r for r in results if r.result == "failed"]
    unchanged = sum(r.result == "unchanged" for r in results)
    parts = [f"{direction.done.title()} {done} of {len(results)} {_days(len(results))}"]
    if unchanged:
        parts.append(f"{unchanged} unchanged")
    if failed:
        parts.append(f"{len(failed)} failed")
    _say("; ".join(parts) + ".", as_json)
    if failed:
        raise ItemsFailed(
            f"{len(failed)} of {len(results)} {_days(len(results))} could not be {direction.done}."
        )


def _days(count: int) -> str:
    return "day" if count == 1 else "days"


def _run(
    ctx: click.Context,
    direction: Direction,
    week: str | None,
    *,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    from tui.store import submission
    from tui.store.values import week_range

    start, end = week_range(_day(week, "--week") if week else today())

    async def work(store: Store) -> tuple[str, list[DayResult]] | None:
        plan = await submission.plan_week(store, start, end, today=today())
        if direction is SUBMIT and store.capabilities.timers:
            await store.refresh_timer()  # its day is left out of the submit until it stops
        changing = _show_plan(plan, direction, as_json)
        if dry_run:
            # A day with an approved entry cannot be unsubmitted: said as the real run will.
            refused = {
                d: f"It has {plural(plan.approved[d], 'approved entry', 'approved entries')}."
                for d in changing
                if direction is UNSUBMIT and d in plan.approved
            }
            if as_json:
                planned = [
                    {
                        "date": d.isoformat(),
                        "result": "failed"
                        if d in refused
                        else direction.done
                        if d in changing
                        else "unchanged",
                        "message": refused.get(d, "dry run: nothing was sent"),
                    }
                    for d in plan.days
                ]
                echo_json({"person_id": plan.person_id, "days": planned, "dry_run": True})
            for day, why in refused.items():
                _say(f"{_label(day)} would fail: {why} Unapprove it first.", as_json)
            _say("Dry run: nothing was sent.", as_json)
            if refused:
                raise ItemsFailed(
                    f"{len(refused)} of {len(changing)} days would not be {direction.done}."
                )
            return None
        if changing and not _confirm(direction, len(changing), yes):
            raise ItemsFailed(f"Nothing was {direction.done}.")
        send = submission.submit if direction is SUBMIT else submission.unsubmit
        return plan.person_id, (await send(store, plan) if changing else _unchanged(plan))

    done = cli_context(ctx).run(work)
    if done is not None:
        _report(*done, direction, as_json)


def _unchanged(plan: WeekPlan) -> list[DayResult]:
    from tui.api.base import DayResult

    return [DayResult(d, "unchanged", None) for d in plan.days]


_week_option = click.option(
    "--week",
    metavar="DATE",
    help="Any day of the ISO week (default: this week): YYYY-MM-DD, today, 'last week'.",
)
_dry_run_option = click.option("--dry-run", is_flag=True, help="Show what would be sent.")
_yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
_json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"person_id", "days": [{"date", "result", "message"}]}.',
)


@click.command()
@_week_option
@_dry_run_option
@_yes_option
@_json_option
@click.pass_context
def submit(ctx: click.Context, week: str | None, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Submit the week's days for approval (each day with entries).

    Shows the week's short days first (on stderr with --json) and asks unless --yes. A day
    already submitted is "unchanged". Exit 0 when done, 1 if some days failed or you
    declined, 2 for usage or auth errors, or a backend without submission.

    Example: timesheet submit --week 'last week' --yes
    """
    _run(ctx, SUBMIT, week, dry_run=dry_run, yes=yes, as_json=as_json)


@click.command()
@_week_option
@_dry_run_option
@_yes_option
@_json_option
@click.pass_context
def unsubmit(ctx: click.Context, week: str | None, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Take back the week's submission (refused for a day with approved entries).

    A day not submitted is "unchanged". Exit 0 when done, 1 if some days failed or you
    declined, 2 for usage or auth errors, or a backend without submission.

    Example: timesheet unsubmit --yes
    """
    _run(ctx, UNSUBMIT, week, dry_run=dry_run, yes=yes, as_json=as_json)


@click.command()
@click.option(
    "--from", "start", metavar="DATE", help="First day (default: this ISO week's Monday)."
)
@click.option(
    "--to",
    "end",
    metavar="DATE",
    help=f"Last day; {LAST_DAY_HELP} (default: today; later days are not counted).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print [{"date", "minutes", "target_minutes", "missing_minutes"}].',
)
@click.pass_context
def gaps(ctx: click.Context, start: str | None, end: str | None, as_json: bool) -> None:
    """List the working days short of the day target ([ui] workday_minutes on work_days).

    Exit 1 when any is short (so it can run from a shell prompt or cron), 0 when none.

    Example: timesheet gaps --from 'last week'
    """
    from tui.store import submission
    from tui.store.values import week_range

    now = today()

    def open_end(first: date) -> date:  # up to today, or a later week's end
        return now if first <= now else week_range(first)[1]

    first, last = day_range(start, end, today=now, open_end=open_end)

    async def work(store: Store) -> tuple[Gap, ...]:
        return await submission.gaps(store, await store.my_person_id(), first, last)

    short = cli_context(ctx).run(work)
    if as_json:
        echo_json([gap_json(g) for g in short])
    elif short:
        for line in _gap_lines(short):
            click.echo(line)
    if short:
        raise ItemsFailed(
            f"{len(short)} working {_days(len(short))} short of the day target "
            f"from {first.isoformat()} to {last.isoformat()}."
        )
    _say(f"No short days from {first.isoformat()} to {last.isoformat()}.", as_json)


COMMANDS: list[click.Command] = [submit, unsubmit, gaps]
