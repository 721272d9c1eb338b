"""Logging time from scripts: `status`, `start`, `stop`, `discard`, `add`, `services`, `entries`,
`import` and `delete`.

Each command opens a journal-less store over the profile's backend (`CliContext.run`),
does one thing and exits: 0 all done, 1 some items failed (each printed with its id or
line), 2 usage, config or auth error. Values a person types (dates, durations, the CSV)
are checked before anything is sent. Only click and the CLI helpers are imported at module
level: the store, the adapters and the models come in when a command runs, so `status`
answers quickly.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tui.cli.context import (
    LAST_DAY_HELP,
    CliError,
    ItemsFailed,
    cli_context,
    day_range,
    format_option,
    require_terminal_or_yes,
)
from tui.cli.output import csv_text, echo_json, entry_json, progress_bar, table, timer_json
from tui.store.present import one_line, person_name, plural, service_name, task_title
from tui.store.values import printable

if TYPE_CHECKING:
    from tui.api.base import Backend
    from tui.models import Timer
    from tui.store.records import EntryRecord
    from tui.store.store import Store

ENTRY_COLUMNS = (
    "id",
    "date",
    "minutes",
    "note",
    "person_id",
    "service_id",
    "task_id",
    "status",
    "updated_at",
    "rejected_reason",
)
IMPORT_COLUMNS = ("date", "time", "note", "service_id", "task_id", "person_id")
IMPORT_REQUIRED = ("date", "time", "service_id")
IMPORT_ALIASES = {"minutes": "time"}
EXPORT_ONLY = ("id", "status", "updated_at", "rejected_reason")
"""Columns of `entries --format csv` that `import` reads past, so that an export (with
--raw) reads back: its rows already on the server are skipped, nothing is made twice."""
STATUS_FILTERS = {
    "approved": ("approved",),
    "unapproved": ("draft", "submitted", "rejected"),
    "rejected": ("rejected",),
    "submitted": ("submitted",),
}
NOTE_WIDTH = 60


# ------------------------------------------------------------------------ helpers


def _is_plannr(ctx: click.Context) -> bool:
    from tui.config import PlannrProfile

    return isinstance(cli_context(ctx).profile()[1], PlannrProfile)


def _today() -> date:
    return date.today()


def _date(option: str, text: str) -> date:
    from tui.store.values import ValueProblem, parse_date

    try:
        return parse_date(text, today=_today())
    except ValueProblem as problem:
        raise CliError(f"{option}: {problem}") from None


def _minutes(option: str, text: str) -> int:
    from tui.store.values import ValueProblem, parse_minutes

    try:
        return parse_minutes(text)
    except ValueProblem as problem:
        raise CliError(f"{option}: {problem}") from None


def _hm(minutes: int) -> str:
    from tui.store.values import format_minutes

    return format_minutes(minutes)


def _note(text: str) -> str:
    """A note in a table or a message: one line, at most NOTE_WIDTH characters."""
    return one_line(text, NOTE_WIDTH)


def _confirm_allowed(yes: bool, what: str) -> None:
    """Before any request, so that a script learns at once that it needs --yes."""
    require_terminal_or_yes(
        yes, f"Not asking for confirmation without a terminal; pass --yes to {what}."
    )


def _confirm(question: str, nothing_done: str) -> None:
    if not click.confirm(question, default=False, err=True):
        raise ItemsFailed(nothing_done)


async def _load_lookups(
    store: Store, *, services: bool = True, tasks: bool = False, people: bool = False
) -> None:
    """Just the lookups a command needs (`Store.open` would fetch them all, and the timer)."""
    backend = store.backend
    store.me = await backend.current_person()
    if services:
        store.services = {s.id: s for s in await backend.services()}
    if tasks:
        store.tasks = {t.id: t for t in await backend.tasks()}
    if people:
        store.people = {p.id: p for p in await backend.people()}
        store.people.setdefault(store.me.id, store.me)


async def _my_id(store: Store) -> str:
    if store.person_id is None:
        store.me = await store.backend.current_person()
    assert store.person_id is not None
    return store.person_id


async def _people_chosen(store: Store, who: str) -> tuple[str, ...]:
    """`--person`'s ids: none for `all` (everyone the token may see), the profile's person
    for `me`, else the id given, which must be a person the server lists: a mistyped id
    would otherwise list (or report, or approve) nothing and still succeed."""
    from tui.api.errors import ForbiddenError

    if who.lower() == "all":
        return ()
    if who.lower() == "me":
        return (await _my_id(store),)
    try:
        people = store.people or await store.refresh_people()  # listed once per command
    except ForbiddenError:  # a token that may not list people can still name one
        return (who,)
    if people and who not in people:
        raise CliError(f"--person {printable(who)} is not a person the server lists.")
    return (who,)


def _describe_entry(store: Store, record: EntryRecord) -> str:
    parts = [
        f"entry {record.id}",
        record.date.isoformat(),
        _hm(record.minutes),
        service_name(store.services, record.service_id),
    ]
    if record.note:
        parts.append(_note(record.note))
    return " — ".join(p for p in parts if p)


# ------------------------------------------------------------------------- timers


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the timer as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the running timer, if any.

    JSON: {"timer": {"id", "entry_id", "started_at", "stopped_at", "elapsed_seconds",
    "note"} | null}.

    Example: timesheet status --json
    """

    from tui.store.open import timer_starts

    context = cli_context(ctx)
    starts = timer_starts(context.profile()[0])

    async def work(backend: Backend) -> tuple[Timer | None, str | None]:
        # The backend alone, as the store's `refresh_timer` reads it: no store to load.
        running = await backend.current_timer()
        timer = starts.shown(running) if running is not None else None
        service = None
        if timer is not None and not as_json:
            service = await _timer_service(backend, timer)
        return timer, service

    timer, service = context.run_backend(work)

    now = datetime.now(UTC)
    if as_json:
        echo_json({"timer": timer_json(timer, now)})
        return
    if timer is None or not timer.running:
        click.echo("No timer is running.")
        return
    from tui.store.values import format_elapsed

    parts = [
        f"Running {format_elapsed(timer.elapsed_seconds(now))}",
        service or _target(timer.service_id),
        _note(timer.note) if timer.note else "",
    ]
    click.echo(" — ".join(p for p in parts if p))


def _target(service_id: str | None) -> str:
    """What a timer runs on, by its id: `service 3`, or a Plannr trackable as typed."""
    if not service_id:
        return ""
    return printable(service_id if ":" in service_id else f"service {service_id}")


async def _timer_service(backend: Backend, timer: Timer) -> str | None:
    """The name of the service the timer runs on: one cheap read; None when the timer
    names none, or the listing fails or lacks it."""
    from tui.api.errors import ApiError

    if timer.service_id is None:
        return None
    try:
        services = {s.id: s for s in await backend.services()}
    except ApiError:
        return None
    if timer.service_id not in services:
        return None
    return service_name(services, timer.service_id)


@click.command()
@click.option(
    "--service", "service_id", metavar="ID", help="Service to log on (Productive, ledger)."
)
@click.option("--task", "task_id", metavar="ID", help="Task under the service (optional).")
@click.option(
    "--trackable", metavar="TYPE:UUID", help="What to log on (Plannr), e.g. client:<uuid>."
)
@click.option("--note", default="", help="Note for the entry.")
@click.option("--at", "at", metavar="TIME", help="The timer started at TIME (HH:MM), earlier.")
@click.option("--ago", "ago", metavar="DURATION", help="The timer started DURATION ago (20m).")
@click.pass_context
def start(
    ctx: click.Context,
    service_id: str | None,
    task_id: str | None,
    trackable: str | None,
    note: str,
    at: str | None,
    ago: str | None,
) -> None:
    """Start a timer (a running timer of yours is stopped by the server first).

    Productive and the ledger take --service; Plannr takes --trackable. --at 9:00 (the
    latest 9:00 up to now) or --ago 20m (at most a day) start a timer whose clock began
    then.

    Example: timesheet start --service 3 --note "Design review"
    """
    from tui.store.timers import parse_start_at
    from tui.store.values import ValueProblem

    try:
        started_at = parse_start_at(at, ago, now=datetime.now(UTC))
    except ValueProblem as problem:
        raise CliError(str(problem)) from None
    plannr = _is_plannr(ctx)
    if plannr:
        from tui.config import parse_trackable

        if service_id is not None:
            raise CliError(
                "A Plannr profile logs time on a trackable: use --trackable TYPE:UUID "
                "(e.g. client:<uuid>) instead of --service."
            )
        if task_id is not None:
            raise CliError("Plannr has no tasks; leave out --task.")
        if trackable is None:
            raise CliError("Name what to log on with --trackable TYPE:UUID (e.g. client:<uuid>).")
        try:
            target = ":".join(parse_trackable(trackable))
        except ValueError as error:
            raise CliError(f"--trackable {error}.") from None
    else:
        if trackable is not None:
            raise CliError(
                "--trackable is for Plannr profiles; this profile takes "
                "--service ID (see `timesheet services`)."
            )
        if service_id is None:
            raise CliError("Name the service with --service ID (see `timesheet services`).")
        target = service_id
    shown = _target(target)

    async def work(store: Store) -> tuple[Timer, str | None, str | None]:
        timer = await store.start_timer(target, task_id=task_id, note=note, started_at=started_at)
        # Productive and the ledger list services in one read; Plannr reads each trackable's
        # name on its own, too slow for a command that should answer at once.
        name = None if plannr else await _timer_service(store.backend, timer)
        return timer, store.timer_notice, name

    timer, notice, name = cli_context(ctx).run(work)
    if name is not None:  # what a person recognises first, then the id they typed
        shown = f"{printable(name)}, {shown}"
    entry = f" (entry {timer.entry_id})" if timer.entry_id and timer.entry_id != timer.id else ""
    since = ""
    if started_at is not None:
        from tui.store.timers import clock_text

        since = f", running since {clock_text(timer.started_at)}"
    click.echo(f"Started timer {timer.id}{entry} on {shown}{since}.")
    if notice:
        click.echo(printable(notice), err=True)


async def _timer_or_fail(store: Store, timer_id: str | None) -> Timer:
    from tui.api.errors import NotFoundError

    try:
        timer = await store.timer_by_id(timer_id)
    except NotFoundError as error:  # the adapter's sentence names the timer
        raise ItemsFailed(str(error)) from None
    if timer is None:
        raise ItemsFailed("No timer is running.")
    return timer


@click.command()
@click.argument("timer_id", required=False)
@click.option("--at", "at", metavar="TIME", help="Stop at TIME: HH:MM or a duration ago (30m ago).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def stop(ctx: click.Context, timer_id: str | None, at: str | None, as_json: bool) -> None:
    """Stop the running timer (or TIMER_ID) at once and show the entry it wrote.

    The server's minutes are kept; with rounding_minutes set in [ui], rounded_minutes
    shows what rounding would make it (nothing is changed). --at 17:30 (the latest 17:30
    since the timer started) or --at "30m ago" stops it then: the entry gets what it held
    before this timer plus the time from the start to TIME. JSON: {"timer", "entry",
    "minutes", "rounded_minutes"}; "minutes" is the entry's resulting minutes.

    Example: timesheet stop --at 17:30 --json
    """
    from tui.api.errors import NotFoundError

    async def work(store: Store) -> Any:
        moment = None
        if at is not None:
            from tui.store.timers import parse_stop_at
            from tui.store.values import ValueProblem

            timer = await _timer_or_fail(store, timer_id)
            if not timer.running:
                raise CliError(f"Timer {timer.id} is already stopped; nothing was changed.")
            try:
                moment = parse_stop_at(at, start=timer.started_at, now=store.clock())
            except ValueProblem as problem:
                raise CliError(f"--at {problem}") from None
        try:
            return await store.stop_timer(timer_id, at=moment)
        except NotFoundError as error:
            if timer_id is None:
                raise ItemsFailed("No timer is running.") from None
            raise ItemsFailed(str(error)) from None

    result = cli_context(ctx).run(work)

    record = result.entry
    if as_json:
        echo_json(
            {
                "timer": timer_json(result.timer, datetime.now(UTC)),
                "entry": entry_json(record),
                "minutes": result.minutes,
                "rounded_minutes": result.rounded_minutes,
            }
        )
        return
    note = f" — {_note(record.note)}" if record.note else ""
    click.echo(
        f"Stopped timer {result.timer.id}: {_hm(result.minutes)} on entry {record.id} "
        f"({record.date.isoformat()}){note}."
    )
    if result.short:
        click.echo(
            f"It ran under a minute; if it was a mistake, delete its entry with "
            f"`timesheet discard {result.timer.id}`."
        )
    elif result.rounded_minutes is not None and result.rounded_minutes != result.minutes:
        click.echo(
            f"Rounding would make it {_hm(result.rounded_minutes)}; the entry keeps "
            f"{_hm(result.minutes)} (change it with the app)."
        )


@click.command()
@click.argument("timer_id", required=False)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def discard(ctx: click.Context, timer_id: str | None, yes: bool) -> None:
    """Discard a timer started by mistake: stop it and delete its entry.

    Refused (exit 2, nothing sent) when the entry holds time from before this timer.

    Example: timesheet discard --yes
    """
    _confirm_allowed(yes, "discard")

    async def work(store: Store) -> Timer:
        timer = await _timer_or_fail(store, timer_id)
        if not yes:
            from tui.store.values import format_elapsed

            running = format_elapsed(timer.elapsed_seconds(store.clock()))
            _confirm(
                f"Discard timer {timer.id} ({running}) and delete entry {timer.entry_id}?",
                "Nothing was discarded.",
            )
        return await store.discard_timer(timer.id)

    timer = cli_context(ctx).run(work)
    click.echo(f"Discarded timer {timer.id} and deleted entry {timer.entry_id}.")


# ---------------------------------------------------------------------- one entry


@click.command()
@click.option(
    "--date",
    "day",
    required=True,
    metavar="DATE",
    help="YYYY-MM-DD, today, yesterday, monday, 'last week', '3 days ago'.",
)
@click.option(
    "--time", "duration", required=True, metavar="TIME", help="90, 90m, 1.5h, 1h30 or 1:30."
)
@click.option(
    "--service",
    "service_id",
    required=True,
    metavar="ID",
    help="Service (Plannr: the trackable, TYPE:UUID).",
)
@click.option("--task", "task_id", metavar="ID", help="Task under the service (optional).")
@click.option("--note", default="", help="Note for the entry.")
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
@click.pass_context
def add(
    ctx: click.Context,
    day: str,
    duration: str,
    service_id: str,
    task_id: str | None,
    note: str,
    as_json: bool,
) -> None:
    """Log one entry, saved at once.

    Example: timesheet add --date yesterday --time 1h30 --service 3 --note "Planning"
    """
    when = _date("--date", day)
    minutes = _minutes("--time", duration)
    if task_id is not None and _is_plannr(ctx):
        raise CliError("Plannr has no tasks; leave out --task.")

    async def work(store: Store) -> tuple[EntryRecord, str]:
        await _load_lookups(store, tasks=task_id is not None)
        if service_id not in store.services:
            raise CliError(
                f"There is no service {service_id!r} you can log time on; see `timesheet services`."
            )
        task = store.tasks.get(task_id) if task_id is not None else None
        if task_id is not None and task is None:
            raise CliError(f"There is no task {task_id!r}; see `timesheet services`.")
        if task is not None and task.service_id and task.service_id != service_id:
            raise CliError(
                f"Task {task_id!r} is not under service {service_id!r}; see `timesheet services`."
            )
        new_id = store.stage_new(
            {
                "date": when,
                "minutes": minutes,
                "note": note,
                "service_id": service_id,
                "task_id": task_id,
            }
        )
        report = await store.save_and_settle()
        if new_id in report.failed:
            raise ItemsFailed(f"The entry was not saved: {printable(report.failed[new_id])}")
        if new_id in report.unknown:
            raise ItemsFailed(
                "The server did not confirm the entry (its answers were lost); see "
                "`timesheet entries` before adding it again."
            )
        record = store.records[report.created_ids[new_id]]
        return record, _describe_entry(store, record)

    record, described = cli_context(ctx).run(work)
    if as_json:
        echo_json(entry_json(record))
    else:
        click.echo(f"Added {described}.")


# ----------------------------------------------------------------------- listings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the services as JSON.")
@click.pass_context
def services(ctx: click.Context, as_json: bool) -> None:
    """List the services (and their tasks) you can log time on.

    JSON: a list of {"id", "name", "project_name", "deal_name", "tasks": [{"id", "title"}]}
    (project and deal null where the backend names none).

    Example: timesheet services --json
    """

    async def work(store: Store) -> Store:
        await _load_lookups(store, tasks=True)
        return store

    store = cli_context(ctx).run(work)
    if not store.services and _is_plannr(ctx):
        raise CliError(
            "The Plannr profile names no trackables; add them to the profile "
            '(e.g. trackables = ["client:<uuid>"]) to log time on them.'
        )
    by_service: dict[str, list[Any]] = {}
    for task in store.tasks.values():
        if task.service_id in store.services:
            by_service.setdefault(task.service_id, []).append(task)
    if as_json:
        echo_json(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "project_name": s.project_name,
                    "deal_name": s.deal_name,
                    "tasks": [{"id": t.id, "title": t.title} for t in by_service.get(s.id, [])],
                }
                for s in store.services.values()
            ]
        )
        return
    if not store.services:
        click.echo("There are no services you can log time on.")
        return
    rows: list[list[Any]] = []
    for service in store.services.values():
        rows.append(
            [service.id, service.name, service.project_name or "", service.deal_name or "", "", ""]
        )
        rows.extend(["", "", "", "", t.id, t.title] for t in by_service.get(service.id, []))
    click.echo(table(("id", "service", "project", "deal", "task id", "task"), rows))


@click.command()
@click.option(
    "--from",
    "start_text",
    metavar="DATE",
    help="First day (default: Monday of this week, or of --to's week).",
)
@click.option(
    "--to",
    "end_text",
    metavar="DATE",
    help=f"Last day; {LAST_DAY_HELP} (default: Sunday of this week, or of --from's week).",
)
@click.option(
    "--person",
    default="me",
    show_default=True,
    metavar="ID|me|all",
    help="Whose entries: a person id, me, or all (everyone you may see).",
)
@click.option(
    "--status",
    "status_filter",
    type=click.Choice(list(STATUS_FILTERS)),
    help="Only these (unapproved: draft, submitted and rejected).",
)
@format_option
@click.option(
    "--raw",
    is_flag=True,
    help="CSV cells as stored: no ' before =, +, -, @; controls kept but not to a terminal.",
)
@click.pass_context
def entries(
    ctx: click.Context,
    start_text: str | None,
    end_text: str | None,
    person: str,
    status_filter: str | None,
    fmt: str,
    raw: bool,
) -> None:
    """List time entries (default: yours, this ISO week).

    JSON: a list of {"id", "date", "minutes", "note", "person_id", "service_id",
    "task_id", "status", "updated_at", "rejected_reason"} (rejected_reason null unless
    rejected); CSV has the same columns in that order.

    Example: timesheet entries --from "last week" --person all --format csv
    """
    first, last = day_range(start_text, end_text, today=_today())
    if not person.strip():
        raise CliError("--person must be a person id, me or all.")
    wanted = STATUS_FILTERS[status_filter] if status_filter else ()

    async def work(store: Store) -> tuple[Store, list[EntryRecord]]:
        from tui.api.base import EntryQuery
        from tui.models import EntryStatus

        people = await _people_chosen(store, person.strip())
        statuses = tuple(EntryStatus(s) for s in wanted)
        if fmt == "table":  # names with their project, as the app shows them
            await _load_lookups(store)
        await store.load(EntryQuery(first, last, person_ids=people, statuses=statuses))
        records = [store.records[i] for i in store.order if i in store.records]
        return store, [r for r in records if not statuses or r.status in statuses]

    store, records = cli_context(ctx).run(work)
    if fmt == "json":
        echo_json([entry_json(r) for r in records])
        return
    if fmt == "csv":
        rows = [list(entry_json(r).values()) for r in records]
        click.echo(csv_text(ENTRY_COLUMNS, rows, raw=raw), nl=False)
        return
    if not records:
        click.echo(f"No entries from {first} to {last}.")
        return
    # Everyone's entries name whose they are, even when only one person's are listed.
    several = person.strip().lower() == "all" or len({r.person_id for r in records}) > 1
    # The id first: what `delete`, `approve` and `reject` take.
    headers = [
        "id",
        "date",
        *(["person"] if several else []),
        "service",
        "task",
        "note",
        "time",
        "status",
    ]
    rows = []
    for r in records:
        rows.append(
            [
                printable(r.id),
                r.date.isoformat(),
                *([person_name(store.people, r.person_id)] if several else []),
                service_name(store.services, r.service_id),
                task_title(store.tasks, r.task_id),
                _note(r.note),
                _hm(r.minutes),
                r.status.value,
            ]
        )
    total = sum(r.minutes for r in records)
    click.echo(table(headers, rows, right=("time",)))
    click.echo(
        f"Total {_hm(total)} in {plural(len(records), 'entry', 'entries')}, {first} to {last}."
    )


# ------------------------------------------------------------------------- import


@dataclass
class ImportRow:
    line: int
    values: dict[str, Any]


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    """(line, one sentence) for every bad row, in the order found."""

    def add(self, line: int, message: str, column: str | None = None) -> None:
        # "'abc' is not a duration ..." reads on after the column's name.
        if column is not None and message.startswith("'"):
            message = f"{column} {message}"
        self.problems.append((line, message))

    def lines(self) -> list[str]:
        return [
            f"line {line}: {message}"
            for line, message in sorted(self.problems, key=lambda problem: problem[0])
        ]


class _FileLines:
    """The file's lines for `csv.reader`, noting when the reader asks past the last one.
    It does that only inside a quoted field, so a row read after that is one whose
    quote never closes: the csv module hands back the rest of the file as its last field."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = iter(lines)
        self.ran_out = False

    def __iter__(self) -> _FileLines:
        return self

    def __next__(self) -> str:
        try:
            return next(self._lines)
        except StopIteration:
            self.ran_out = True
            raise


def _open_quote(fields: list[str], last_line: int) -> tuple[int, str]:
    """The line where the quote opened that runs on to the end of the file, and the
    sentence for it. The last field holds everything after that quote, so it spans that
    field's lines, back from the end."""
    line = last_line - max(1, len(fields[-1].splitlines())) + 1 if fields else last_line
    if line == last_line:
        return line, 'a quote (") opened here is never closed.'
    return line, _runs_on(last_line)


def _holds_rows(fields: list[str], names: list[str]) -> bool:
    """A field over several lines that holds a whole row's commas on one of them: rows
    swallowed by a stray quote, not a note written over several lines (a closed quote
    in a row that leaves the optional columns off is a valid file)."""
    return any(
        part.count(",") >= len(names) - 1 for field in fields for part in field.splitlines()[1:]
    )


def _runs_on(last_line: int) -> str:
    return f'has a quote (") that is not closed; the field runs on to line {last_line}.'


def read_import(path: Path, *, today: date) -> ImportPlan:
    """Parse and check every row of an import CSV locally (no server needed); a bad
    header or an unreadable file is a `CliError` at once."""
    import csv

    from tui.store.values import ValueProblem, parse_date, parse_minutes

    plan = ImportPlan()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{path}: the file is not UTF-8 text.") from None
    except OSError as error:
        raise CliError(f"{path}: cannot read the file ({error.strerror or error}).") from None
    # Lines as csv counts them (\n, \r, \r\n only: `str.splitlines` also splits at
    # U+2028 and form feeds, and every line after one would be named one too far).
    source = _FileLines(list(io.StringIO(text, newline="")))
    reader = csv.reader(source)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CliError(f"{path}: line 1: {error}.") from None
    expected = f"expected {','.join(IMPORT_COLUMNS)} (note, task_id and person_id optional)"
    if header is None:
        raise CliError(f"{path}: the file is empty; {expected}.")
    if source.ran_out:
        line, message = _open_quote(header, reader.line_num)
        raise CliError(f"{path}: line {line}: {message}")
    if len(header) == 1 and (separator := next((c for c in ";\t|" if c in header[0]), None)):
        shown = {";": "semicolons", "\t": "tabs", "|": "bars"}[separator]
        raise CliError(
            f"{path}: line 1: the fields are separated by {shown}; import reads commas "
            "(save the sheet as CSV with commas)."
        )
    names = [IMPORT_ALIASES.get(n, n) for n in (h.strip().lower() for h in header)]
    unknown = [n for n in names if n not in IMPORT_COLUMNS and n not in EXPORT_ONLY]
    missing = [n for n in IMPORT_REQUIRED if n not in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    exported = "id" in names  # `entries --format csv` wrote it
    if missing:
        raise CliError(
            f"{path}: line 1: the header has no "
            f"{' or '.join(repr(n) for n in missing)} column; {expected}."
        )
    if unknown:
        raise CliError(
            f"{path}: line 1: the header has an unknown column {unknown[0]!r}; {expected}."
        )
    if repeated:
        raise CliError(f"{path}: line 1: the header names {repeated[0]!r} twice; {expected}.")
    previous = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            plan.add(reader.line_num, f"{error}.")
            break
        line, previous = previous + 1, reader.line_num
        if source.ran_out:
            plan.add(*_open_quote(fields, reader.line_num))
            break
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(names):
            plan.add(line, f"has {len(fields)} fields but the header has {len(names)}.")
            continue
        if reader.line_num > line and len(fields) < len(names) and _holds_rows(fields, names):
            # A stray quote, closed only by a later row's, swallowed the rows between.
            plan.add(line, _runs_on(reader.line_num))
            continue
        cells = dict(zip(names, fields, strict=False))
        raw = {name: cell.strip() for name, cell in cells.items()}
        before = len(plan.problems)
        # An export's note exactly as stored (spaces and all), so its rows match the
        # server's and are skipped; a hand-written file's note trimmed, as it always was.
        values: dict[str, Any] = {"note": (cells if exported else raw).get("note", "")}
        for column in IMPORT_REQUIRED:
            if not raw.get(column):
                plan.add(line, f"{column} is missing.")
        if raw.get("date"):
            try:
                values["date"] = parse_date(raw["date"], today=today)
            except ValueProblem as problem:
                plan.add(line, str(problem), "date")
        if raw.get("time"):
            try:  # the one minutes rule, as for --time and the grid
                values["minutes"] = parse_minutes(raw["time"])
            except ValueProblem as problem:
                plan.add(line, str(problem), "time")
        values["service_id"] = raw.get("service_id")
        for column in ("task_id", "person_id"):
            if raw.get(column):
                values[column] = raw[column]
        if len(plan.problems) == before:
            plan.rows.append(ImportRow(line, values))
    return plan


def check_against_lookups(plan: ImportPlan, store: Store, *, has_tasks: bool) -> None:
    """Services, tasks and people the rows name must exist (the lookups are loaded)."""
    for row in plan.rows:
        values = row.values
        service = values["service_id"]
        if service not in store.services:
            plan.add(
                row.line,
                f"there is no service {service!r} you can log time on (see `timesheet services`).",
            )
        task_id = values.get("task_id")
        if task_id is not None:
            task = store.tasks.get(task_id)
            if not has_tasks:
                plan.add(
                    row.line, f"{store.backend.name.title()} has no tasks; leave task_id empty."
                )
            elif task is None:
                plan.add(row.line, f"there is no task {task_id!r}.")
            elif task.service_id and task.service_id != service:
                plan.add(row.line, f"task {task_id!r} is not under service {service!r}.")
        person_id = values.get("person_id")
        if person_id is not None and person_id not in store.people:
            plan.add(row.line, f"there is no person {person_id!r}.")


def _summary(rows: Sequence[ImportRow], me: str | None) -> str:
    total = sum(r.values["minutes"] for r in rows)
    days = [r.values["date"] for r in rows]
    people = {r.values.get("person_id", me) for r in rows}
    return (
        f"{plural(len(rows), 'entry', 'entries')} ({_hm(total)} in total, {min(days)} "
        f"to {max(days)}, {plural(len(people), 'person', 'people')})"
    )


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and say what would be created.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--allow-duplicates",
    is_flag=True,
    help="Create rows even when the same entry is already on the server.",
)
@click.pass_context
def import_entries(
    ctx: click.Context, file: Path, dry_run: bool, yes: bool, allow_duplicates: bool
) -> None:
    """Create many entries from a CSV file, in bulk requests.

    Header: date,time,note,service_id,task_id,person_id (note, task_id and person_id
    optional; person defaults to the profile's). time is a duration as --time takes it:
    minutes (90) or hours (1:30, 1h30, 1.5h); date as --date takes it. Every row is
    checked first; if any is bad, all problems are listed by line and nothing is sent.

    Safe to run again: a row whose entry is already on the server (same person, date,
    time, service, task and note) is skipped and reported, copies counted (two equal rows
    with one on the server create one), unless --allow-duplicates. So an import cut short
    is finished by running it again.

    Example: timesheet import week.csv --yes
    """
    if not file.exists():
        raise CliError(f"{file}: no such file.")
    plan = read_import(file, today=_today())
    if not plan.rows and not plan.problems:
        raise CliError(f"{file}: there are no rows to import.")
    if not dry_run:
        _confirm_allowed(yes, "import")
    has_tasks = not _is_plannr(ctx)
    needs_tasks = has_tasks and any("task_id" in r.values for r in plan.rows)
    needs_people = any("person_id" in r.values for r in plan.rows)

    async def work(store: Store) -> tuple[int, dict[int, str]]:
        await _load_lookups(store, tasks=needs_tasks, people=needs_people)
        check_against_lookups(plan, store, has_tasks=has_tasks)
        if plan.problems:
            _report_problems(file, plan.lines())
        rows = plan.rows
        there: list[ImportRow] = []
        if not allow_duplicates:
            rows, there = await _not_yet_there(store, plan.rows)
        for row in there:
            click.echo(f"{file}: line {row.line}: already on the server; skipped.", err=True)
        if not rows:
            click.echo(f"Every row is already on the server ({len(there)}); nothing was sent.")
            return 0, {}
        summary = _summary(rows, store.person_id)
        if dry_run:
            click.echo(f"Would import {summary}; nothing was sent (--dry-run).")
            return 0, {}
        if not yes:
            _confirm(f"Import {summary}?", "Nothing was imported.")
        lines = {store.stage_new(row.values): row.line for row in rows}
        update, done = progress_bar(len(lines), "Saving")
        try:
            report = await store.save_and_settle(update)
        finally:
            done()
        failed = {lines[i]: message for i, message in report.failed.items() if i in lines}
        for entry_id in report.unknown:
            if entry_id in lines:
                failed[lines[entry_id]] = (
                    "not confirmed by the server (its answers were lost); run the same "
                    "import again to finish it."
                )
        return len(report.created_ids), failed

    created, failed = cli_context(ctx).run(work)
    if dry_run:
        return
    for line, message in sorted(failed.items()):
        click.echo(f"{file}: line {line}: {printable(message)}", err=True)
    if failed:
        raise ItemsFailed(
            f"Imported {created} of {created + len(failed)} entries; "
            f"{len(failed)} failed (listed above by line)."
        )
    if created:
        click.echo(f"Imported {plural(created, 'entry', 'entries')}.")


async def _not_yet_there(
    store: Store, rows: Sequence[ImportRow]
) -> tuple[list[ImportRow], list[ImportRow]]:
    """The rows to create, and those whose entry the server already holds: copies count,
    so two equal rows with one on the server leave one to create."""
    from collections import Counter

    from tui.store.planner import listing_of, twins_by_content
    from tui.store.records import content_key_of

    me = store.person_id
    keys = [content_key_of({"person_id": me, **row.values}) for row in rows]
    listed = await listing_of(store.backend, set(keys))
    on_server = Counter({key: len(ids) for key, ids in twins_by_content(listed, set(keys)).items()})
    new, there = [], []
    for row, key in zip(rows, keys, strict=True):
        if on_server[key] > 0:
            on_server[key] -= 1
            there.append(row)
        else:
            new.append(row)
    return new, there


def _report_problems(file: Path, problems: Sequence[str]) -> None:
    for problem in problems:
        click.echo(f"{file}: {printable(problem)}", err=True)
    raise ItemsFailed(
        f"{file}: {plural(len(problems), 'problem')} (listed above); nothing was sent."
    )


# ------------------------------------------------------------------------- delete


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete(ctx: click.Context, ids: tuple[str, ...], yes: bool) -> None:
    """Delete entries by id, in one bulk request (after showing what goes).

    Approved (or invoiced) entries are refused: unapprove them first.

    Example: timesheet delete 1201 1202 --yes
    """
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not wanted:
        raise CliError("Name the entries to delete: timesheet delete ID... (nothing was deleted).")
    _confirm_allowed(yes, "delete")

    async def work(store: Store) -> tuple[list[str], dict[str, str]]:
        from tui.store.records import EntryRecord
        from tui.store.store import StagingError

        refused: dict[str, str] = {}
        for result in await store.backend.get_entries(wanted):
            entry_id = result.id or wanted[result.index]
            if result.ok and result.entry is not None:
                store.records[entry_id] = EntryRecord.from_entry(result.entry)
            else:
                refused[entry_id] = result.error or "not found."
        staged = []
        for entry_id in wanted:
            if entry_id in refused:
                continue
            try:
                store.stage_delete([entry_id])
                staged.append(entry_id)
            except StagingError as error:
                refused[entry_id] = str(error)
        for entry_id, message in refused.items():
            click.echo(f"entry {entry_id}: {printable(message)}", err=True)
        if not staged:
            refused_count = plural(len(refused), "entry", "entries")
            raise ItemsFailed(f"Nothing was deleted ({refused_count} refused).")
        records = [store.records[i] for i in staged]
        if not yes:
            await _show_deletion(store, records)
            _confirm(f"Delete {_what(records, store)}?", "Nothing was deleted.")
        report = await store.save_and_settle()
        refused.update(report.failed)
        for entry_id in report.conflicts:
            refused[entry_id] = "it changed on the server since it was read; not deleted."
        for entry_id in report.unknown:
            refused[entry_id] = "the server did not confirm the delete (its answers were lost)."
        for entry_id in [*report.failed, *report.conflicts, *report.unknown]:
            click.echo(f"entry {entry_id}: {printable(refused[entry_id])}", err=True)
        deleted = [i for i in staged if i not in refused]
        return deleted, refused

    deleted, refused = cli_context(ctx).run(work)
    noun = plural(len(deleted), "entry", "entries")
    if refused:
        raise ItemsFailed(f"Deleted {noun}; {len(refused)} not deleted (listed above).")
    click.echo(f"Deleted {noun}.")


def _what(records: Sequence[EntryRecord], store: Store) -> str:
    people = {r.person_id for r in records}
    names = ", ".join(sorted(person_name(store.people, p) for p in people))
    total = sum(r.minutes for r in records)
    noun = plural(len(records), "entry", "entries")
    return (
        f"{noun} of {plural(len(people), 'person', 'people')} "
        f"({printable(names)}), {_hm(total)} in total"
    )


async def _show_deletion(store: Store, records: Sequence[EntryRecord]) -> None:
    from tui.api.errors import ApiError

    with contextlib.suppress(ApiError):  # names for the review; ids will do if this fails
        await _load_lookups(store, people=True)
    rows = [
        [
            r.id,
            r.date.isoformat(),
            person_name(store.people, r.person_id),
            service_name(store.services, r.service_id),
            _note(r.note),
            _hm(r.minutes),
            r.status.value,
        ]
        for r in records
    ]
    click.echo(
        table(("id", "date", "person", "service", "note", "time", "status"), rows, right=("time",)),
        err=True,
    )


COMMANDS: list[click.Command] = [
    status,
    start,
    stop,
    discard,
    add,
    services,
    entries,
    import_entries,
    delete,
]
