"""Where the time went, for scripts: `report`.

The sums come from `tui.store.report.build_report`, the same computation the reports
screen draws; the labels from the names (`tui.store.present`). Like the other scripting
commands it imports the store and the adapters only when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui.cli.context import LAST_DAY_HELP, CliError, cli_context, day_range, format_option
from tui.cli.output import csv_text, echo_json, table
from tui.cli.time_commands import _people_chosen, _today
from tui.store.report import By, ReportRow, build_report, report_rows
from tui.store.values import format_minutes

if TYPE_CHECKING:
    from tui.store.store import Store

REPORT_COLUMNS = ("key", "label", "minutes", "billable_minutes")
"""The CSV's columns, as the JSON's row keys."""


def _share(billable: int | None, minutes: int) -> str:
    """`62%` of billable time; empty when the backend has no billable time, or there is
    no time to take a share of."""
    if billable is None or not minutes:
        return ""
    return f"{round(100 * billable / minutes)}%"


@click.command()
@click.option(
    "--from", "start_text", metavar="DATE", help="First day (default: Monday of this week)."
)
@click.option(
    "--to",
    "end_text",
    metavar="DATE",
    help=f"Last day; {LAST_DAY_HELP} (default: Sunday of this week, or of --from's week).",
)
@click.option(
    "--by",
    "by_name",
    type=click.Choice([by.value for by in By]),
    default=By.service.value,
    show_default=True,
    help="One row per day, week, service, task or person.",
)
@click.option(
    "--person",
    default="me",
    show_default=True,
    metavar="ID|me|all",
    help="Whose time: a person id, me, or all (everyone you may see).",
)
@format_option
@click.pass_context
def report(
    ctx: click.Context,
    start_text: str | None,
    end_text: str | None,
    by_name: str,
    person: str,
    fmt: str,
) -> None:
    """Where the time went: sums per day, week, service, task or person.

    Days and weeks are listed in order, every one of the range (0 where nothing is
    logged); services, tasks and people the most time first. JSON: {"from", "to", "by",
    "total_minutes", "rows": [{"key", "label", "minutes", "billable_minutes"}]} (key: the
    date, the week's Monday, or the id, null for no task; billable_minutes null where the
    backend has none). CSV has the row keys as columns, in that order.

    Example: timesheet report --from "last week" --by person --person all
    """
    first, last = day_range(start_text, end_text, today=_today())
    who = person.strip()
    if not who:
        raise CliError("--person must be a person id, me or all.")
    by = By(by_name)

    async def work(store: Store) -> tuple[Store, tuple[str, ...]]:
        from tui.api.base import EntryQuery

        await store.refresh_lookups()
        people = await _people_chosen(store, who)
        await store.load(EntryQuery(first, last, person_ids=people))
        return store, people

    store, people = cli_context(ctx).run(work)
    built = build_report(store.records.values(), first, last, person_ids=people)
    rows = report_rows(built, by, store)
    if fmt == "json":
        echo_json(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "by": by.value,
                "total_minutes": built.total.minutes,
                "rows": [_row_json(row) for row in rows],
            }
        )
        return
    if fmt == "csv":
        click.echo(
            csv_text(REPORT_COLUMNS, [list(_row_json(row).values()) for row in rows]), nl=False
        )
        return
    if not built.total.entries:
        click.echo(f"No time logged from {first} to {last}.")
        return
    billable = built.total.billable_minutes is not None
    headers = [by.value, "time", *(["billable"] if billable else [])]
    lines = [
        [
            row.label,
            format_minutes(row.minutes),
            *([_share(row.billable_minutes, row.minutes)] if billable else []),
        ]
        for row in rows
    ]
    click.echo(table(headers, lines, right=("time", "billable")))
    total = built.total
    share = f", {_share(total.billable_minutes, total.minutes)} billable" if billable else ""
    click.echo(f"Total {format_minutes(total.minutes)}{share}, {first} to {last}.")


def _row_json(row: ReportRow) -> dict[str, object]:
    return {
        "key": row.key,
        "label": row.label,
        "minutes": row.minutes,
        "billable_minutes": row.billable_minutes,
    }


COMMANDS = (report,)
