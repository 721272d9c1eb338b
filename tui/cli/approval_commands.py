"""`approve`, `unapprove`, `reject` and `unreject`: a manager's bulk actions from the command line.

Entries are named by id, or chosen by filters (`--person`, `--from`, `--to`; the range
defaults to this ISO week). With filters the command first shows what it will do (how many
entries, whose, how many hours each) and asks, unless `--yes`; `--dry-run` sends nothing
(with ids it reads them, and says per id what a real run would: an id the server does not
have fails, exit 1; an entry already approved is "approved").
Each entry's outcome is the server's answer: an entry the server leaves unapproved because
other approvers have not approved it yet is "pending", never "approved".

Exit codes: 0 when every entry is approved (or pending: waiting for other approvers is not a
failure), unapproved or rejected; 1 when some entries failed (each listed with its id);
2 for usage, config and auth errors, neither ids nor filters, a backend without approvals
(Plannr), or a confirmation that cannot be asked (stdin not a terminal, no `--yes`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
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
from tui.cli.output import echo_json, progress_bar, table
from tui.cli.time_commands import _people_chosen
from tui.store.present import timer_blocks_approval, timer_left_out
from tui.store.values import printable

if TYPE_CHECKING:
    from tui.store.changes import ApprovalResult
    from tui.store.store import Store


def today() -> date:
    """The local date relative dates count from (a function, so tests can freeze it)."""
    return datetime.now().astimezone().date()


@dataclass(frozen=True)
class Action:
    name: str  # approve | unapprove
    verb: str  # "approve"
    gerund: str  # "Approving"
    done: str  # "approved"
    picks: str  # which entries filters select: "unapproved" | "approved"


APPROVE = Action("approve", "approve", "Approving", "approved", "unapproved")
UNAPPROVE = Action("unapprove", "unapprove", "Unapproving", "unapproved", "approved")


@dataclass(frozen=True)
class Selection:
    ids: tuple[str, ...]
    person: str | None
    start: date | None
    end: date | None

    @property
    def by_filter(self) -> bool:
        return not self.ids


def selection(
    ids: Sequence[str], person: str | None, start: str | None, end: str | None, action: Action
) -> Selection:
    """Check the ids and filters; a range with one end open gets that end's ISO week."""
    clean = tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))
    filters = [n for n, v in (("--person", person), ("--from", start), ("--to", end)) if v]
    if len(clean) != len(ids):
        raise CliError("An entry id is empty.")
    if not clean and not filters:
        raise CliError(
            f"Name the entries to {action.verb}: give their ids, or choose them "
            f"with --person, --from and --to (for example `timesheet {action.name} "
            "--person me --from monday`)."
        )
    if clean and filters:
        raise CliError(f"Give either entry ids or filters ({', '.join(filters)}), not both.")
    if clean:
        return Selection(clean, None, None, None)
    first, last = day_range(start, end, today=today())
    person_id = person.strip() if person else None
    if person is not None and not person_id:
        raise CliError("--person needs a person id or `me`.")
    return Selection((), person_id, first, last)


def _require(store: Store, capability: str, what: str, where: str) -> None:
    if not getattr(store.capabilities, capability):
        name = store.backend.name.title()
        raise CliError(f"{what} is not supported by {name}; {where} in {name} itself.")


async def _names(store: Store) -> dict[str, str]:
    from tui.api.errors import ForbiddenError

    try:
        people = await store.refresh_people()
    except ForbiddenError:  # names are a courtesy; a token that may not list people still works
        return {}
    return {pid: p.name for pid, p in people.items()}


def _say(text: str, as_json: bool) -> None:
    """Human text; with --json it goes to stderr so stdout stays one JSON document."""
    click.echo(text, err=as_json)


async def _without_running_timer(store: Store, ids: list[str], as_json: bool) -> list[str]:
    """The filters' entries but the one your timer still runs on, which is said: its time
    is the timer's until the stop (the store refuses to approve it)."""
    if not store.capabilities.timers:
        return ids
    running = await store.refresh_timer()
    if running is None or running.entry_id not in ids:
        return ids
    _say(timer_left_out(running.entry_id), as_json)
    return [i for i in ids if i != running.entry_id]


async def _chosen(
    store: Store, chosen: Selection, action: Action, as_json: bool
) -> tuple[list[str], dict[str, Any] | None]:
    """The ids to send and, when chosen by filters, the plan shown before sending."""
    from tui.api.base import EntryQuery
    from tui.models import EntryStatus
    from tui.store.values import format_minutes

    if not chosen.by_filter:
        return list(chosen.ids), None
    assert chosen.start is not None and chosen.end is not None
    people = await _people_chosen(store, chosen.person) if chosen.person else ()
    person = people[0] if people else None
    await store.load(EntryQuery(chosen.start, chosen.end, person_ids=(person,) if person else ()))
    statuses = (
        [EntryStatus.approved]
        if action is UNAPPROVE
        else [EntryStatus.draft, EntryStatus.submitted, EntryStatus.rejected]
    )
    ids = store.select(
        person_ids=[person] if person else [], start=chosen.start, end=chosen.end, statuses=statuses
    )
    if action is APPROVE:
        ids = await _without_running_timer(store, ids, as_json)
    names = await _names(store) if ids else {}
    per_person, _ = store.totals(ids)
    counts: dict[str, int] = {}
    for entry_id in ids:
        pid = store.records[entry_id].person_id or ""
        counts[pid] = counts.get(pid, 0) + 1
    whose = f"person {names.get(person, person)}" if person else "all people"
    span = f"{chosen.start.isoformat()} to {chosen.end.isoformat()}"
    plan: dict[str, Any] = {
        "action": action.name,
        "from": chosen.start.isoformat(),
        "to": chosen.end.isoformat(),
        "ids": ids,
        "count": len(ids),
        "people": [
            {
                "person_id": pid or None,
                "name": names.get(pid),
                "entries": counts[pid],
                "minutes": minutes,
            }
            for pid, minutes in sorted(
                per_person.items(), key=lambda kv: (names.get(kv[0], ""), kv[0])
            )
        ],
    }
    if not ids:
        _say(f"No {action.picks} entries to {action.verb} ({whose}, {span}).", as_json)
        return [], plan
    total = sum(per_person.values())
    rows = [
        (
            p["name"] or (f"#{p['person_id']}" if p["person_id"] else "(nobody)"),
            p["entries"],
            format_minutes(p["minutes"]),
        )
        for p in plan["people"]
    ]
    rows.append(("Total", len(ids), format_minutes(total)))
    plural = "entry" if len(ids) == 1 else "entries"
    _say(f"{action.verb.title()} {len(ids)} {action.picks} {plural} ({whose}, {span}):", as_json)
    _say(table(["Person", "Entries", "Hours"], rows, right=["Entries", "Hours"]), as_json)
    return ids, plan


def _confirm(action: Action, count: int, yes: bool) -> bool:
    if yes:
        return True
    require_terminal_or_yes(
        yes,
        f"Not asking to {action.verb} {count} entries because stdin is not a terminal; "
        f"add --yes to {action.verb} them (or --dry-run to only look).",
    )
    return click.confirm(f"{action.verb.title()} {'it' if count == 1 else 'them'}?", default=False)


def _result_json(result: ApprovalResult) -> dict[str, Any]:
    return {"id": result.id, "result": result.result, "message": result.message}


def _failed_of(failed: int, total: int) -> str:
    """Who failed, as the final sentence starts: `The entry`, or `3 of 40 entries`."""
    return "The entry" if total == 1 else f"{failed} of {total} entries"


def _report(results: Sequence[ApprovalResult], action: Action, as_json: bool) -> None:
    if as_json:
        echo_json([_result_json(r) for r in results])
    else:
        rows = [(r.id, r.result, r.message or "") for r in results]
        if rows:
            click.echo(table(["Id", "Result", "Message"], rows, right=["Id"]))
    done = sum(r.result == action.done for r in results)
    pending = sum(r.result == "pending" for r in results)
    failed = sum(r.result == "failed" for r in results)
    parts = [
        f"{action.done.title()} {done} of {len(results)} "
        f"{'entry' if len(results) == 1 else 'entries'}"
    ]
    if pending:
        parts.append(
            f"{pending} {'waits' if pending == 1 else 'wait'} for other approvers "
            "(--for-all-approvers approves for them too)"
        )
    if failed:
        parts.append(f"{failed} failed")
    _say("; ".join(parts) + ".", as_json)
    if failed:
        raise ItemsFailed(f"{_failed_of(failed, len(results))} could not be {action.done}.")


async def _dry_results(store: Store, ids: list[str], action: Action) -> list[ApprovalResult]:
    """What a real run would report for each id, found by reading (GETs, no writes): an id
    the server does not have, or an invoiced entry to unapprove, fails; an entry already in
    the wanted state is reported as the real run reports it; the rest would be sent."""
    from tui.store.changes import ApprovalResult

    timed = None
    if action is APPROVE and store.capabilities.timers:
        running = await store.refresh_timer()
        timed = running.entry_id if running is not None else None
    results = []
    for read in await store.backend.get_entries(ids):
        entry_id = read.id or ids[read.index]
        entry = read.entry
        if not read.ok or entry is None:
            results.append(ApprovalResult(entry_id, "failed", read.error or "Not found."))
        elif action is UNAPPROVE and entry.invoiced:
            results.append(
                ApprovalResult(entry_id, "failed", "It is invoiced, so it cannot be unapproved.")
            )
        elif action is APPROVE and entry_id == timed:  # the store refuses it first, as here
            results.append(ApprovalResult(entry_id, "failed", timer_blocks_approval(entry_id)))
        elif entry.approved == (action is APPROVE):
            results.append(ApprovalResult(entry_id, action.done, f"Already {action.done}."))
        else:
            results.append(ApprovalResult(entry_id, f"would {action.verb}"))
    return results


def _dry_run(
    ids: list[str],
    plan: dict[str, Any] | None,
    action: Action,
    as_json: bool,
    results: Sequence[ApprovalResult] | None = None,
) -> None:
    """The plan (filters) or, for ids, each id's expected result; exit 1 as a real run
    would when some would fail."""
    failed = [r for r in results or () if r.result == "failed"]
    if as_json:
        document = plan or {"action": action.name, "ids": ids, "count": len(ids)}
        if results is not None:
            document = {**document, "results": [_result_json(r) for r in results]}
        echo_json({**document, "dry_run": True})
    elif results is not None:
        rows = [(printable(r.id), r.result, printable(r.message or "")) for r in results]
        click.echo(table(["Id", "Result", "Message"], rows, right=["Id"]))
    if results is not None:
        noun = "entry" if len(results) == 1 else "entries"
        sending = sum(r.result == f"would {action.verb}" for r in results)
        already = sum(r.result == action.done for r in results)
        parts = [f"Would {action.verb} {sending} of {len(results)} {noun}"]
        if already:
            parts.append(f"{already} already {action.done}")
        if failed:
            parts.append(f"{len(failed)} would fail")
        _say("; ".join(parts) + ".", as_json)
    _say("Dry run: nothing was sent.", as_json)
    if failed:
        raise ItemsFailed(f"{_failed_of(len(failed), len(ids))} would not be {action.done}.")


def _run(
    ctx: click.Context,
    action: Action,
    chosen: Selection,
    *,
    dry_run: bool,
    yes: bool,
    as_json: bool,
    send: Callable[[Store, list[str]], Awaitable[list[ApprovalResult]]],
) -> None:
    async def work(store: Store) -> list[ApprovalResult] | None:
        _require(store, "approvals", f"{action.gerund} entries", f"{action.verb} them")
        ids, plan = await _chosen(store, chosen, action, as_json)
        if dry_run:
            expected = await _dry_results(store, ids, action) if plan is None else None
            _dry_run(ids, plan, action, as_json, expected)
            return None
        if not ids:
            if as_json:
                echo_json([])
            return None
        if plan is not None and not _confirm(action, len(ids), yes):
            # Declined: nothing the user asked for was done (exit 1, as import/delete).
            raise ItemsFailed(f"Nothing was {action.done}.")
        return await send(store, ids)

    results = cli_context(ctx).run(work)
    if results is not None:
        _report(results, action, as_json)


def _filter_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--to",
        "end",
        metavar="DATE",
        help=f"Last day; {LAST_DAY_HELP} (default: the end of --from's ISO week, or of this week).",
    )(function)
    function = click.option(
        "--from",
        "start",
        metavar="DATE",
        help="First day: YYYY-MM-DD, today, monday, 'last week', "
        "'3 days ago' (default: this ISO week's Monday).",
    )(function)
    function = click.option(
        "--person",
        metavar="ID|me",
        help="Only this person's entries (`me`: the profile's person); "
        "default: everyone you may see.",
    )(function)
    return function


_common = [
    click.option(
        "--dry-run",
        is_flag=True,
        help="Show what would be sent; send nothing (ids are read: one not there fails).",
    ),
    click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation."),
    click.option(
        "--json",
        "as_json",
        is_flag=True,
        help='Print one result per entry: {"id", "result", "message"}.',
    ),
]


def _with_common(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_common):
        function = option(function)
    return function


@click.command()
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@_filter_options
@click.option(
    "--for-all-approvers",
    is_flag=True,
    help="Approve on behalf of every approver an entry needs (else an entry waiting "
    "for other approvers stays pending).",
)
@_with_common
@click.pass_context
def approve(
    ctx: click.Context,
    ids: tuple[str, ...],
    person: str | None,
    start: str | None,
    end: str | None,
    for_all_approvers: bool,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Approve entries by id, or those chosen by --person, --from and --to.

    With filters it approves the unapproved entries of the range (default: this ISO week),
    shows how many and whose, and asks first unless --yes. An entry that needs other
    approvers stays "pending" unless --for-all-approvers. Exit 0 when all are approved or
    pending, 1 if some failed, 2 for usage or auth errors.

    Example: timesheet approve --person 42 --from 'last week' --yes
    """
    chosen = selection(ids, person, start, end, APPROVE)

    async def send(store: Store, chosen_ids: list[str]) -> list[ApprovalResult]:
        if store.capabilities.timers and not chosen.by_filter:  # filters read it already
            await store.refresh_timer()  # the store refuses the entry a timer runs on
        return await store.approve(chosen_ids, for_all_approvers=for_all_approvers, wait=True)

    _run(ctx, APPROVE, chosen, dry_run=dry_run, yes=yes, as_json=as_json, send=send)


@click.command()
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@_filter_options
@_with_common
@click.pass_context
def unapprove(
    ctx: click.Context,
    ids: tuple[str, ...],
    person: str | None,
    start: str | None,
    end: str | None,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Take back the approval of entries by id, or of those chosen by filters.

    With filters it unapproves the approved entries of the range (default: this ISO week),
    shows how many and whose, and asks first unless --yes. Exit 0 when all are unapproved,
    1 if some failed, 2 for usage or auth errors.

    Example: timesheet unapprove 4711 4712
    """
    chosen = selection(ids, person, start, end, UNAPPROVE)

    async def send(store: Store, chosen_ids: list[str]) -> list[ApprovalResult]:
        return await store.unapprove(chosen_ids, wait=True)

    _run(ctx, UNAPPROVE, chosen, dry_run=dry_run, yes=yes, as_json=as_json, send=send)


@click.command()
@click.argument("ids", nargs=-1, required=True, metavar="IDS...")
@click.option("--reason", required=True, metavar="TEXT", help="Why, shown to the entries' people.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print one result per entry: {"id", "result", "message"}.',
)
@click.pass_context
def reject(ctx: click.Context, ids: tuple[str, ...], reason: str, as_json: bool) -> None:
    """Reject entries with a reason.

    Exit 0 when all are rejected, 1 if some failed, 2 for usage or auth errors.

    Example: timesheet reject 4711 --reason 'Please add a task.'
    """
    clean = list(dict.fromkeys(i.strip() for i in ids))
    if not all(clean):
        raise CliError("An entry id is empty.")
    if not reason.strip():
        raise CliError("--reason must not be empty.")
    action = Action("reject", "reject", "Rejecting", "rejected", "unapproved")

    async def work(store: Store) -> list[ApprovalResult]:
        _require(store, "reject", "Rejecting entries", "reject them")
        # One entry's refusal is that entry's failure; a refused token stops it all (exit 2).
        return await _one_by_one(clean, partial(store.reject, reason=reason.strip()), action)

    _report(cli_context(ctx).run(work), action, as_json)


@click.command()
@click.argument("ids", nargs=-1, required=True, metavar="IDS...")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print one result per entry: {"id", "result", "message"}.',
)
@click.pass_context
def unreject(ctx: click.Context, ids: tuple[str, ...], as_json: bool) -> None:
    """Take back the rejection of entries (they wait for approval again).

    Exit 0 when all are unrejected, 1 if some failed, 2 for usage or auth errors.

    Example: timesheet unreject 4711
    """
    clean = list(dict.fromkeys(i.strip() for i in ids))
    if not all(clean):
        raise CliError("An entry id is empty.")
    action = Action("unreject", "unreject", "Unrejecting", "unrejected", "rejected")

    async def work(store: Store) -> list[ApprovalResult]:
        _require(store, "reject", "Unrejecting entries", "unreject them")
        return await _one_by_one(clean, store.unreject, action)

    _report(cli_context(ctx).run(work), action, as_json)


async def _one_by_one(
    ids: list[str], send: Callable[[str], Awaitable[ApprovalResult]], action: Action
) -> list[ApprovalResult]:
    """One request per entry (hundreds take a while under a rate limit): a progress bar
    on a terminal counts them. A refused token ends the run (exit 2); what was done by
    then is said first."""
    from tui.api.errors import AuthError

    update, finish = progress_bar(len(ids), action.gerund)
    results = []
    try:
        for entry_id in ids:
            results.append(await send(entry_id))
            update(len(results), len(ids))
    except BaseException as error:
        finish()
        done = [r.id for r in results if r.result == action.done]
        if isinstance(error, AuthError) and done:
            click.echo(
                f"{action.done.capitalize()} before the token was refused: "
                f"{', '.join(printable(i) for i in done)}; the other "
                f"{len(ids) - len(done)} were not {action.done}.",
                err=True,
            )
        raise
    finish()
    return results


COMMANDS: list[click.Command] = [approve, unapprove, reject, unreject]
