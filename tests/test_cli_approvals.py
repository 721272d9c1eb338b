"""`approve`, `unapprove` and `reject` as a manager runs them: the demo ledger served on a
real loopback port, a Productive profile pointing at it, and the database checked by SQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner, Result

from tests.conftest import FROZEN_NOW, LoopbackServer
from tui.cli import approval_commands, main
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo

WEEK = ("2026-11-16", "2026-11-22")  # FROZEN_NOW's ISO week
LAST_WEEK = ("2026-11-09", "2026-11-15")
TOKEN_ENV = "TIMESHEET_TEST_LEDGER_TOKEN"
NOT_TIMED = "id NOT IN (SELECT time_entry_id FROM timers WHERE stopped_at IS NULL)"
"""SQL: not the entry the owner's timer runs on (approving by filters leaves it out)."""


@pytest.fixture
def served(ledger: LedgerDB, clock) -> Iterator[LoopbackServer]:
    populate_demo(ledger, today=FROZEN_NOW.date())
    with LoopbackServer(create_app(ledger, clock=clock)) as server:
        yield server


@pytest.fixture
def config(
    tmp_path: Path, ledger: LedgerDB, served: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv(TOKEN_ENV, ledger.identity.token)
    monkeypatch.setattr(approval_commands, "today", lambda: FROZEN_NOW.date())
    path = tmp_path / "config.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "default_profile": "work",
                "profiles": {
                    "work": {
                        "backend": "productive",
                        "organization_id": ledger.identity.organization_id,
                        "base_url": f"{served.url}/api/v2",
                        "token_env": TOKEN_ENV,
                    },
                    "crm": {
                        "backend": "plannr",
                        "account_uuid": ledger.identity.account_uuid,
                        "base_url": f"{served.url}/api/v1",
                        "token_env": TOKEN_ENV,
                    },
                },
            }
        )
    )
    path.chmod(0o600)
    return path


def run(config: Path, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, ["--config", str(config), *args], input=input)
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


def run_process(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert "Traceback" not in done.stderr
    return done


def rows(ledger: LedgerDB, sql: str, *args: object) -> list[tuple]:
    with ledger.transaction() as conn:
        return [tuple(r) for r in conn.execute(sql, args)]


def person(ledger: LedgerDB, local_part: str) -> str:
    return str(
        rows(ledger, "SELECT id FROM people WHERE email = ?", f"{local_part}@example.com")[0][0]
    )


def snapshot(ledger: LedgerDB) -> tuple[list[tuple], list[tuple]]:
    return (
        rows(ledger, "SELECT id, approved, rejected, updated_at FROM time_entries ORDER BY id"),
        rows(ledger, "SELECT * FROM time_entry_approvals ORDER BY time_entry_id, person_id"),
    )


def waiting(ledger: LedgerDB, start: str, end: str, *, approved_by_owner: bool) -> list[str]:
    """Unapproved entries needing two approvers that already have one approval: the
    owner's (so the owner's approval cannot complete them) or another person's."""
    owner = ledger.identity.owner_person_id
    found = rows(
        ledger,
        "SELECT e.id, a.person_id FROM time_entries e"
        " JOIN time_entry_approvals a ON a.time_entry_id = e.id"
        " WHERE e.approvers_needed = 2 AND e.approved = 0"
        " AND e.date BETWEEN ? AND ? ORDER BY e.id",
        start,
        end,
    )
    return [str(i) for i, by in found if (by == owner) == approved_by_owner]


# ------------------------------------------------------------------------------ approve


def test_approve_by_person_and_week_approves_exactly_those(ledger, config) -> None:
    priya = person(ledger, "priya.raman")
    chosen = [
        str(r[0])
        for r in rows(
            ledger,
            "SELECT id FROM time_entries WHERE person_id = ? AND approved = 0"
            " AND date BETWEEN ? AND ? ORDER BY id",
            int(priya),
            *WEEK,
        )
    ]
    assert len(chosen) >= 5
    before = {r[0]: r for r in snapshot(ledger)[0]}

    result = run(
        config, "approve", "--person", priya, "--from", WEEK[0], "--to", WEEK[1], "--yes", "--json"
    )

    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)
    assert sorted(r["id"] for r in results) == sorted(chosen)
    assert "Priya Raman" in result.stderr  # the plan, kept off stdout by --json
    after = {r[0]: r for r in snapshot(ledger)[0]}
    for entry_id, row in after.items():
        if str(entry_id) not in chosen:
            assert row == before[entry_id], f"entry {entry_id} changed"
    by_id = {r["id"]: r for r in results}
    for entry_id in chosen:
        assert after[int(entry_id)][1] == (by_id[entry_id]["result"] == "approved")
        assert by_id[entry_id]["result"] in ("approved", "pending")


def test_approve_shows_the_plan_and_relative_dates_choose_last_week(ledger, config) -> None:
    jonas = person(ledger, "jonas.mueller")
    chosen = rows(
        ledger,
        "SELECT count(*), sum(time) FROM time_entries WHERE person_id = ?"
        " AND approved = 0 AND date BETWEEN ? AND ?",
        int(jonas),
        *LAST_WEEK,
    )
    count, minutes = chosen[0]
    before = snapshot(ledger)

    result = run(config, "approve", "--person", jonas, "--from", "last week", "--dry-run")

    assert result.exit_code == 0, result.output
    assert snapshot(ledger) == before  # nothing sent
    assert f"Approve {count} unapproved entries" in result.stdout
    assert f"{LAST_WEEK[0]} to {LAST_WEEK[1]}" in result.stdout
    assert "Jonas Müller" in result.stdout
    assert f"{minutes // 60}:{minutes % 60:02d}" in result.stdout
    assert "nothing was sent" in result.stdout


def test_dry_run_of_everyone_sends_nothing_and_prints_the_plan_as_json(ledger, config) -> None:
    before = snapshot(ledger)
    result = run(config, "approve", "--dry-run", "--json")  # no filter values: ids or filters!
    assert result.exit_code == 2
    result = run(config, "approve", "--from", "monday", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True and (plan["from"], plan["to"]) == WEEK
    unapproved = rows(
        ledger,
        "SELECT count(*) FROM time_entries WHERE approved = 0 AND date BETWEEN ? AND ?"
        f" AND {NOT_TIMED}",
        *WEEK,
    )[0][0]
    assert plan["count"] == len(plan["ids"]) == unapproved
    [(timed,)] = rows(ledger, "SELECT time_entry_id FROM timers WHERE stopped_at IS NULL")
    assert f"Entry {timed} is left out: a timer is running on it" in result.stderr
    assert sum(p["entries"] for p in plan["people"]) == unapproved
    assert snapshot(ledger) == before


def test_entries_needing_another_approver_are_pending_until_for_all_approvers(
    ledger, config
) -> None:
    stuck = waiting(ledger, *WEEK, approved_by_owner=True)
    completes = waiting(ledger, *WEEK, approved_by_owner=False)
    assert stuck and completes  # the demo guarantees both kinds in the current week

    result = run(config, "approve", *stuck, *completes, "--json")
    assert result.exit_code == 0, result.output
    outcome = {r["id"]: r for r in json.loads(result.stdout)}
    assert {i: outcome[i]["result"] for i in stuck} == dict.fromkeys(stuck, "pending")
    assert all(outcome[i]["message"] for i in stuck)
    assert {i: outcome[i]["result"] for i in completes} == dict.fromkeys(completes, "approved")
    approved = dict(rows(ledger, "SELECT id, approved FROM time_entries"))
    assert [approved[int(i)] for i in stuck] == [0] * len(stuck)
    assert [approved[int(i)] for i in completes] == [1] * len(completes)

    result = run(config, "approve", *stuck, "--for-all-approvers", "--json")
    assert result.exit_code == 0, result.output
    assert [r["result"] for r in json.loads(result.stdout)] == ["approved"] * len(stuck)
    approved = dict(rows(ledger, "SELECT id, approved FROM time_entries"))
    assert [approved[int(i)] for i in stuck] == [1] * len(stuck)


def test_human_output_lists_each_entry_and_a_summary(ledger, config) -> None:
    stuck = waiting(ledger, *LAST_WEEK, approved_by_owner=True)[:1]
    plain = [
        str(r[0])
        for r in rows(
            ledger,
            "SELECT id FROM time_entries WHERE approved = 0"
            " AND approvers_needed = 1 AND invoiced = 0"
            " ORDER BY id LIMIT 2",
        )
    ]
    result = run(config, "approve", *plain, *stuck)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for entry_id in plain:
        assert any(line.split()[:2] == [entry_id, "approved"] for line in lines)
    assert any(line.split()[:2] == [stuck[0], "pending"] for line in lines)
    assert "Approved 2 of 3 entries; 1 waits for other approvers" in result.stdout


def test_a_failed_entry_is_listed_and_exits_1(ledger, config) -> None:
    good = str(
        rows(
            ledger,
            "SELECT id FROM time_entries WHERE approved = 0"
            " AND approvers_needed = 1 ORDER BY id LIMIT 1",
        )[0][0]
    )
    result = run(config, "approve", good, "999999", "--json")
    assert result.exit_code == 1, result.output
    outcome = {r["id"]: r for r in json.loads(result.stdout)}
    assert outcome[good]["result"] == "approved"
    assert outcome["999999"]["result"] == "failed" and outcome["999999"]["message"]
    assert "1 of 2 entries could not be approved" in result.stderr
    alone = run(config, "approve", "999999", "--json")
    assert alone.exit_code == 1 and "The entry could not be approved." in alone.stderr


def test_unapprove_by_filter_takes_back_only_that_persons_approved_entries(ledger, config) -> None:
    kwame = person(ledger, "kwame.mensah")
    approved = [
        str(r[0])
        for r in rows(
            ledger,
            "SELECT id FROM time_entries WHERE person_id = ? AND approved = 1"
            " AND date BETWEEN '2026-10-26' AND '2026-11-01' ORDER BY id",
            int(kwame),
        )
    ]
    invoiced = {str(r[0]) for r in rows(ledger, "SELECT id FROM time_entries WHERE invoiced = 1")}
    assert approved and not invoiced & set(approved)
    others_before = rows(
        ledger, "SELECT id, approved FROM time_entries WHERE person_id != ?", int(kwame)
    )

    result = run(config, "unapprove", "--person", kwame, "--from", "2026-10-26", "--yes", "--json")

    assert result.exit_code == 0, result.output
    assert {r["id"]: r["result"] for r in json.loads(result.stdout)} == dict.fromkeys(
        approved, "unapproved"
    )
    state = dict(
        rows(ledger, "SELECT id, approved FROM time_entries WHERE person_id = ?", int(kwame))
    )
    assert all(state[int(i)] == 0 for i in approved)
    assert (
        rows(ledger, "SELECT id, approved FROM time_entries WHERE person_id != ?", int(kwame))
        == others_before
    )


def test_person_me_is_the_profiles_person(ledger, config) -> None:
    result = run(config, "approve", "--person", "me", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [p["name"] for p in plan["people"]] == ["Sofia Marchetti"]


def test_approve_by_id_refuses_the_entry_a_timer_still_runs_on(ledger, config) -> None:
    [(entry_id,)] = rows(ledger, "SELECT time_entry_id FROM timers WHERE stopped_at IS NULL")
    result = run(config, "approve", str(entry_id), "--yes", "--json")
    assert result.exit_code == 1, result.output
    [answer] = json.loads(result.stdout)
    assert answer["result"] == "failed"
    assert answer["message"] == f"A timer is running on entry {entry_id}; stop it, then approve it."
    assert rows(ledger, "SELECT approved FROM time_entries WHERE id = ?", entry_id) == [(0,)]


def test_approving_a_person_the_server_does_not_list_is_refused_not_an_empty_success(
    ledger, config
) -> None:
    before = rows(ledger, "SELECT id, approved FROM time_entries")
    result = run(config, "approve", "--person", "99999", "--from", "monday", "--yes")
    assert result.exit_code == 2, result.output
    assert "--person 99999 is not a person the server lists." in result.stderr
    assert rows(ledger, "SELECT id, approved FROM time_entries") == before


# ------------------------------------------------------------------------------- reject


def test_reject_with_a_reason(ledger, config) -> None:
    ids = [
        str(r[0])
        for r in rows(
            ledger,
            "SELECT id FROM time_entries WHERE approved = 0"
            " AND rejected = 0 AND invoiced = 0"
            " ORDER BY id LIMIT 2",
        )
    ]
    result = run(config, "reject", *ids, "--reason", "Please add a task.", "--json")
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["result"]) for r in json.loads(result.stdout)] == [
        (i, "rejected") for i in ids
    ]
    assert (
        rows(
            ledger,
            f"SELECT rejected, rejected_reason FROM time_entries WHERE id IN ({ids[0]}, {ids[1]})",
        )
        == [(1, "Please add a task.")] * 2
    )

    invoiced = str(rows(ledger, "SELECT id FROM time_entries WHERE invoiced = 1 LIMIT 1")[0][0])
    result = run(config, "reject", invoiced, "--reason", "No.")
    assert result.exit_code == 1
    assert invoiced in result.stdout and "invoiced" in result.stdout
    assert "could not be rejected" in result.stderr


def test_reject_and_unreject_failures_name_the_entry_and_reason_not_the_route(
    ledger, config
) -> None:
    approved = str(
        rows(
            ledger,
            "SELECT id FROM time_entries WHERE approved = 1 AND invoiced = 0 ORDER BY id LIMIT 1",
        )[0][0]
    )
    rejected = run(config, "reject", "999", approved, "--reason", "No.", "--json")
    assert rejected.exit_code == 1
    messages = {r["id"]: r["message"] for r in json.loads(rejected.stdout)}
    assert messages["999"] == "Productive refused to reject entry 999: No time entry with id 999."
    assert messages[approved].startswith(f"Productive refused to reject entry {approved}: ")
    assert "approved" in messages[approved]
    unrejected = run(config, "unreject", "999", "--json")
    [result] = json.loads(unrejected.stdout)
    assert result["message"] == (
        "Productive refused to unreject entry 999: No time entry with id 999."
    )
    assert "/api/" not in rejected.stdout + unrejected.stdout


def test_reject_with_a_refused_token_exits_2_with_one_sentence(ledger, config, monkeypatch) -> None:
    before = snapshot(ledger)
    monkeypatch.setenv(TOKEN_ENV, "not-the-token")
    result = run(config, "reject", "1", "2", "--reason", "No.")
    assert result.exit_code == 2
    assert result.stderr.startswith("timesheet: ") and result.stderr.count("\n") == 1
    assert "not-the-token" not in result.stderr and result.stdout == ""
    assert snapshot(ledger) == before


def test_reject_needs_a_reason(config) -> None:
    assert run(config, "reject", "1").exit_code == 2
    result = run(config, "reject", "1", "--reason", "  ")
    assert result.exit_code == 2 and "--reason" in result.stderr


# ------------------------------------------------------------------- refusals, processes


@pytest.mark.parametrize(
    "args",
    [
        ("approve", "1"),
        ("approve", "--from", "monday", "--yes"),
        ("unapprove", "1"),
        ("reject", "1", "--reason", "x"),
    ],
)
def test_plannr_says_not_supported(ledger, config, args) -> None:
    before = snapshot(ledger)
    result = run(config, "--profile", "crm", *args)
    assert result.exit_code == 2
    assert "not supported by Plannr" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(ledger) == before


def test_refusals_as_a_process_exit_2_with_one_sentence(ledger, config) -> None:
    before = snapshot(ledger)
    done = run_process(config, "approve")  # neither ids nor filters
    assert done.returncode == 2
    assert done.stderr.startswith("timesheet: Name the entries to approve")
    done = run_process(config, "unapprove", "--from", LAST_WEEK[0], "--to", LAST_WEEK[1])
    assert done.returncode == 2  # stdin is not a terminal and no --yes
    assert "--yes" in done.stderr and "Unapprove" in done.stdout
    done = run_process(config, "approve", "--from", "someday")
    assert done.returncode == 2 and "'someday' is not a date" in done.stderr
    done = run_process(config, "approve", "1", "--person", "me")
    assert done.returncode == 2 and "not both" in done.stderr
    assert snapshot(ledger) == before


def test_approve_by_process_without_textual_or_keyring(ledger, config) -> None:
    chosen = rows(
        ledger,
        f"SELECT count(*) FROM time_entries WHERE approved = 0 AND date BETWEEN ? AND ?"
        f" AND {NOT_TIMED}",
        *WEEK,
    )[0][0]
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "tui",
            "--config",
            str(config),
            "approve",
            "--from",
            WEEK[0],
            "--to",
            WEEK[1],
            "--yes",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(json.loads(done.stdout)) == chosen
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "textual" not in imported and "keyring" not in imported
    assert "Traceback" not in done.stderr
    still = rows(
        ledger,
        f"SELECT count(*) FROM time_entries WHERE approved = 0 AND date BETWEEN ? AND ?"
        f" AND {NOT_TIMED}",
        *WEEK,
    )[0][0]
    assert still == len(waiting(ledger, *WEEK, approved_by_owner=True))


@pytest.mark.parametrize("command", ["approve", "unapprove", "reject"])
def test_help_mentions_every_option(command: str) -> None:
    options = {
        "approve": [
            "--person",
            "--from",
            "--to",
            "--for-all-approvers",
            "--dry-run",
            "--yes",
            "--json",
            "IDS",
        ],
        "unapprove": ["--person", "--from", "--to", "--dry-run", "--yes", "--json", "IDS"],
        "reject": ["--reason", "--json", "IDS"],
    }[command]
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    for option in options:
        assert option in result.output, option
    top = CliRunner().invoke(main, ["--help"])
    assert command in top.output


def test_today_is_a_local_date() -> None:
    assert isinstance(approval_commands.today(), date)


def test_to_reads_a_weekday_after_from_and_a_week_as_its_sunday(config) -> None:
    # FROZEN_NOW is a Thursday: "friday" alone is last week's, after --from monday this one.
    week_days = run(config, "approve", "--from", "monday", "--to", "friday", "--dry-run", "--json")
    assert week_days.exit_code == 0, week_days.output
    plan = json.loads(week_days.stdout)
    assert (plan["from"], plan["to"]) == ("2026-11-16", "2026-11-20")
    last_week = run(
        config, "unapprove", "--from", "last week", "--to", "last week", "--dry-run", "--json"
    )
    plan = json.loads(last_week.stdout)
    assert (plan["from"], plan["to"]) == LAST_WEEK


def test_dry_run_with_ids_reads_them_and_fails_as_the_real_run_would(ledger, config) -> None:
    unapproved = str(
        rows(ledger, "SELECT id FROM time_entries WHERE approved = 0 ORDER BY id LIMIT 1")[0][0]
    )
    approved = str(
        rows(
            ledger,
            "SELECT id FROM time_entries WHERE approved = 1 AND invoiced = 0 ORDER BY id LIMIT 1",
        )[0][0]
    )
    invoiced = str(rows(ledger, "SELECT id FROM time_entries WHERE invoiced = 1 LIMIT 1")[0][0])
    before = snapshot(ledger)

    result = run(config, "approve", unapproved, approved, "999", "--dry-run", "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["dry_run"] is True
    assert [(r["id"], r["result"]) for r in document["results"]] == [
        (unapproved, "would approve"),
        (approved, "approved"),
        ("999", "failed"),
    ]
    assert "999" in document["results"][2]["message"]

    shown = run(config, "approve", "999", "abc", "--dry-run")
    assert shown.exit_code == 1
    assert "999" in shown.stdout and "abc" in shown.stdout and "failed" in shown.stdout
    assert "Would approve 2 entries" not in shown.stdout
    assert "nothing was sent" in shown.stdout

    taken_back = run(config, "unapprove", invoiced, unapproved, "--dry-run", "--json")
    assert taken_back.exit_code == 1
    assert [(r["id"], r["result"]) for r in json.loads(taken_back.stdout)["results"]] == [
        (invoiced, "failed"),
        (unapproved, "unapproved"),
    ]
    assert snapshot(ledger) == before  # read only: nothing was sent


def test_dry_run_of_the_running_timers_entry_fails_as_the_real_run_does(ledger, config) -> None:
    [(timed,)] = rows(ledger, "SELECT time_entry_id FROM timers WHERE stopped_at IS NULL")
    before = snapshot(ledger)

    dry = run(config, "approve", str(timed), "--dry-run", "--json")
    assert dry.exit_code == 1, dry.output
    [expected] = json.loads(dry.stdout)["results"]
    assert snapshot(ledger) == before

    real = run(config, "approve", str(timed), "--json")
    assert real.exit_code == 1, real.output
    [outcome] = json.loads(real.stdout)
    assert (expected["result"], expected["message"]) == ("failed", outcome["message"])
    assert f"A timer is running on entry {timed}" in outcome["message"]


def token_revoked_after(app, rejects: int):
    """The ledger's API, but the token stops working after `rejects` rejections, as a
    token revoked while a long run is under way."""
    seen = 0

    async def revoking(scope, receive, send):
        nonlocal seen
        if scope["type"] == "http" and scope["path"].endswith("/reject"):
            seen += 1
            if seen > rejects:
                body = b'{"errors": [{"status": "401", "title": "Unauthorized"}]}'
                headers = [(b"content-type", b"application/vnd.api+json")]
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return revoking


def test_a_token_refused_midway_through_rejecting_says_what_was_rejected(
    ledger, config, clock, tmp_path
) -> None:
    ids = [
        str(i)
        for (i,) in rows(
            ledger,
            "SELECT id FROM time_entries WHERE approved = 0 AND rejected = 0 ORDER BY id LIMIT 3",
        )
    ]
    with LoopbackServer(token_revoked_after(create_app(ledger, clock=clock), 1)) as server:
        revoked = tmp_path / "revoked.toml"
        text = config.read_text().replace(config_url(config), f"{server.url}/api/v2")
        revoked.write_text(text)
        revoked.chmod(0o600)
        result = run(revoked, "reject", *ids, "--reason", "Wrong week")
    assert result.exit_code == 2
    assert (
        f"Rejected before the token was refused: {ids[0]}; the other 2 were not rejected."
        in result.stderr
    )
    assert rows(
        ledger, "SELECT id FROM time_entries WHERE rejected = 1 AND id IN (?, ?, ?)", *ids
    ) == [(int(ids[0]),)]


def config_url(config: Path) -> str:
    import tomllib

    return tomllib.loads(config.read_text())["profiles"]["work"]["base_url"]
