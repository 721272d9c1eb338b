"""The time commands as scripts drive them: `status`, `start`, `stop`, `add`, `services`,
`entries`, `import`, `delete`, in-process (click's CliRunner) and as real processes, against
a ledger served on a loopback port through the Productive and Plannr profiles, and against
the ledger profile directly."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result

from tests.conftest import FakeClock, LoopbackServer
from tui.cli import main
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB, insert_person
from tui.ledger.entries import Entries

TOKEN_ENV = "TIMESHEET_TEST_TOKEN"
ENTRY_KEYS = [
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
]
TIMER_KEYS = {"id", "entry_id", "started_at", "stopped_at", "elapsed_seconds", "note"}
GENERAL, MEETINGS = "1", "2"  # a new ledger's first services


class CountingApp:
    """ASGI middleware remembering every request's method and path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    def count(self, method: str, path: str) -> int:
        return sum(1 for call in self.calls if call == (method, path))


@dataclass
class Site:
    ledger: LedgerDB
    clock: FakeClock
    app: CountingApp
    url: str
    config: Path
    tmp: Path
    env: dict[str, str] = field(default_factory=dict)

    def invoke(
        self,
        *args: str,
        profile: str = "prod",
        input: str | None = None,
        config: Path | None = None,
    ) -> Result:
        result = CliRunner().invoke(
            main,
            ["--config", str(config or self.config), "--profile", profile, *args],
            input=input,
            catch_exceptions=False,
        )
        assert "Traceback" not in result.output
        return result

    def process(
        self,
        *args: str,
        profile: str = "prod",
        stdin: Any = subprocess.DEVNULL,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "--config",
                str(self.config),
                "--profile",
                profile,
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=stdin,
            env={**os.environ, **(env if env is not None else {})},
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def rows(self, where: str = "1", args: tuple[Any, ...] = ()) -> list[Any]:
        with self.ledger.transaction() as conn:
            return conn.execute(
                f"SELECT * FROM time_entries WHERE {where} ORDER BY id", args
            ).fetchall()

    def entry(
        self,
        day: date,
        minutes: int,
        note: str = "",
        *,
        person: int | None = None,
        service: str = GENERAL,
    ) -> str:
        with self.ledger.transaction(write=True) as conn:
            entries = Entries(conn, self.ledger)
            return str(
                entries.create(
                    {
                        "date": day.isoformat(),
                        "time": minutes,
                        "note": note,
                        "person": person or self.ledger.identity.owner_person_id,
                        "service": int(service),
                    }
                )
            )

    def approve(self, entry_id: str) -> None:
        with self.ledger.transaction(write=True) as conn:
            Entries(conn, self.ledger).approve(entry_id, for_all_approvers=True)

    def service_uuid(self, service_id: str = GENERAL) -> str:
        with self.ledger.transaction() as conn:
            return conn.execute(
                "SELECT uuid FROM services WHERE id = ?", (int(service_id),)
            ).fetchone()[0]


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(tomli_w.dumps(data))
    path.chmod(0o600)
    return path


@pytest.fixture
def site(
    ledger: LedgerDB, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Site]:
    monkeypatch.setenv(TOKEN_ENV, ledger.identity.token)
    monkeypatch.delenv("TIMESHEET_PROFILE", raising=False)
    monkeypatch.delenv("TIMESHEET_CONFIG", raising=False)
    app = CountingApp(create_app(ledger))
    with LoopbackServer(app) as server:
        config = tmp_path / "config.toml"
        current = Site(ledger, clock, app, server.url, config, tmp_path)
        write_config(
            config,
            {
                "default_profile": "prod",
                "profiles": {
                    "prod": {
                        "backend": "productive",
                        "base_url": f"{server.url}/api/v2",
                        "organization_id": ledger.identity.organization_id,
                        "token_env": TOKEN_ENV,
                    },
                    "crm": {
                        "backend": "plannr",
                        "base_url": f"{server.url}/api/v1",
                        "account_uuid": ledger.identity.account_uuid,
                        "trackables": [f"client:{current.service_uuid()}"],
                        "token_env": TOKEN_ENV,
                    },
                    "bare": {
                        "backend": "plannr",
                        "base_url": f"{server.url}/api/v1",
                        "account_uuid": ledger.identity.account_uuid,
                        "token_env": TOKEN_ENV,
                    },
                    "local": {"backend": "ledger", "path": str(ledger.path)},
                },
            },
        )
        yield current


def this_week(today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


# --------------------------------------------------------------------------- help


def test_every_command_has_help_with_an_example(site: Site) -> None:
    for command in ("status", "start", "stop", "add", "services", "entries", "import", "delete"):
        result = site.invoke(command, "--help")
        assert result.exit_code == 0, result.output
        assert "Example: timesheet " + command in result.output, command


# ------------------------------------------------------------------------- import


def import_csv(
    path: Path, rows: list[list[Any]], header: str = "date,time,note,service_id,task_id,person_id"
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
    return path


def test_import_of_250_rows_is_three_bulk_posts(site: Site) -> None:
    monday = date(2026, 11, 2)
    rows = [
        [
            (monday + timedelta(days=n % 5)).isoformat(),
            "90" if n % 2 else "1:15",
            f"row {n}",
            GENERAL,
            "",
            "",
        ]
        for n in range(250)
    ]
    path = import_csv(site.tmp / "big.csv", rows)
    before = len(site.rows())

    result = site.invoke("import", str(path), "--yes")

    assert result.exit_code == 0, result.output
    assert "Imported 250 entries." in result.stdout
    assert site.app.count("POST", "/api/v2/time_entries") == 3
    created = site.rows("note LIKE 'row %'")
    assert len(site.rows()) - before == len(created) == 250
    assert sorted(r["time"] for r in created)[::249] == [75, 90]
    assert {r["person_id"] for r in created} == {site.ledger.identity.owner_person_id}


def test_a_bad_row_sends_nothing_and_names_its_line(site: Site) -> None:
    rows = [["2026-11-02", "60", f"ok {n}", GENERAL, "", ""] for n in range(8)]
    rows[5][1] = "abc"  # line 7 (the header is line 1)
    rows[2][3] = "999"  # line 4: no such service (known only to the server)
    path = import_csv(site.tmp / "bad.csv", rows)

    result = site.invoke("import", str(path), "--yes")

    assert result.exit_code == 1  # items (rows) failed, each named by its line
    assert "line 7: time 'abc' is not a duration" in result.stderr
    assert "line 4: there is no service '999'" in result.stderr
    assert result.stderr.index("line 4") < result.stderr.index("line 7")
    assert "nothing was sent" in result.stderr
    assert site.app.count("POST", "/api/v2/time_entries") == 0
    assert site.rows() == []


def test_import_header_dry_run_and_confirmation(site: Site) -> None:
    missing = import_csv(site.tmp / "header.csv", [["2026-11-02", "60"]], header="date,time")
    result = site.invoke("import", str(missing), "--yes")
    assert result.exit_code == 2  # not a file of entries at all
    assert "line 1: the header has no 'service_id' column" in result.stderr

    good = import_csv(
        site.tmp / "good.csv",
        [["yesterday", "1h30", "a", GENERAL, "", ""], ["2026-11-02", "45", "b", MEETINGS, "", ""]],
    )
    dry = site.invoke("import", str(good), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would import 2 entries (2:15 in total" in dry.stdout
    # Without a terminal and without --yes it refuses rather than guess.
    refused = site.invoke("import", str(good))
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert site.app.count("POST", "/api/v2/time_entries") == 0 and site.rows() == []


def test_the_csv_time_column_follows_the_one_minutes_rule(tmp_path: Path) -> None:
    """The `time` column is read by `parse_minutes`, as `--time` and the grid are: every
    form it takes gives the same minutes, and every value it refuses is refused with its
    sentence, on the row's line."""
    from tui.cli.time_commands import read_import
    from tui.store.values import ValueProblem, parse_minutes

    values = ["90", "90m", "1.5h", "1h30", "1:30", "0", "24:00", "1h75", "abc", "-5", "1:5"]
    rows = [["2026-11-02", value, "", GENERAL, "", ""] for value in values]
    plan = read_import(import_csv(tmp_path / "times.csv", rows), today=date(2026, 11, 19))

    read = {row.line: row.values["minutes"] for row in plan.rows}
    refused = dict(plan.problems)
    for line, value in enumerate(values, start=2):
        try:
            minutes = parse_minutes(value)
        except ValueProblem as problem:
            message = str(problem)
            expected = f"time {message}" if message.startswith("'") else message
            assert refused[line] == expected and line not in read, value
        else:
            assert read[line] == minutes and line not in refused, value
    assert set(read.values()) == {90}
    assert len(refused) == 6 and all(m.endswith(".") for m in refused.values())


# ------------------------------------------------------------------------- timers


def test_start_status_stop_with_the_servers_minutes(site: Site) -> None:
    idle = site.process("status", "--json")
    assert idle.returncode == 0, idle.stderr
    assert json.loads(idle.stdout) == {"timer": None}

    started = site.invoke("start", "--service", MEETINGS, "--note", "Stand-up")
    assert started.exit_code == 0, started.output
    site.clock.advance(minutes=28)

    running = site.process("status", "--json")
    assert running.returncode == 0, running.stderr
    timer = json.loads(running.stdout)["timer"]
    assert set(timer) == TIMER_KEYS
    assert timer["stopped_at"] is None and timer["note"] == "Stand-up"
    assert isinstance(timer["elapsed_seconds"], int)
    human = site.invoke("status")
    assert human.stdout.startswith("Running ") and "Meetings — Stand-up" in human.stdout

    stopped = site.invoke("stop", "--json")
    assert stopped.exit_code == 0, stopped.output
    body = json.loads(stopped.stdout)
    assert set(body) == {"timer", "entry", "minutes", "rounded_minutes"}
    assert body["minutes"] == 28 and body["rounded_minutes"] is None
    assert list(body["entry"]) == ENTRY_KEYS
    assert body["entry"]["minutes"] == 28 and body["entry"]["service_id"] == MEETINGS
    assert body["timer"]["id"] == timer["id"] and body["timer"]["stopped_at"] is not None
    assert site.rows("id = ?", (int(body["entry"]["id"]),))[0]["time"] == 28

    again = site.invoke("stop")
    assert again.exit_code == 1
    assert again.stderr.strip() == "timesheet: No timer is running."


def test_stop_reports_rounding_without_changing_the_entry(site: Site) -> None:
    data = tomllib.loads(site.config.read_text())
    rounded = write_config(site.tmp / "rounded.toml", {**data, "ui": {"rounding_minutes": 15}})
    assert site.invoke("start", "--service", GENERAL, config=rounded).exit_code == 0
    site.clock.advance(minutes=28)
    body = json.loads(site.invoke("stop", "--json", config=rounded).stdout)
    assert body["minutes"] == 28 and body["rounded_minutes"] == 30
    assert site.rows("id = ?", (int(body["entry"]["id"]),))[0]["time"] == 28
    assert site.app.count("PATCH", "/api/v2/time_entries") == 0


def test_plannr_start_with_a_trackable_then_stop(site: Site) -> None:
    site.clock.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    trackable = f"client:{site.service_uuid()}"

    wrong = site.invoke("start", "--service", GENERAL, profile="crm")
    assert wrong.exit_code == 2 and "--trackable" in wrong.stderr
    wrong = site.invoke("start", "--trackable", trackable, profile="prod")
    assert wrong.exit_code == 2 and "Plannr" in wrong.stderr

    started = site.invoke(
        "start", "--trackable", trackable, "--note", "Call with client", profile="crm"
    )
    assert started.exit_code == 0, started.output
    status = json.loads(site.invoke("status", "--json", profile="crm").stdout)
    assert status["timer"]["note"] == "Call with client"
    site.clock.advance(minutes=28)

    stopped = site.invoke("stop", "--json", profile="crm")
    assert stopped.exit_code == 0, stopped.output
    body = json.loads(stopped.stdout)
    assert body["minutes"] == 28
    assert body["entry"]["service_id"] == trackable
    assert body["entry"]["id"] == status["timer"]["id"]
    assert json.loads(site.invoke("status", "--json", profile="crm").stdout) == {"timer": None}


# -------------------------------------------------------------------- add, list


def test_add_saves_one_entry_at_once(site: Site) -> None:
    result = site.invoke(
        "add",
        "--date",
        "yesterday",
        "--time",
        "1h30",
        "--service",
        GENERAL,
        "--note",
        "Planning",
        "--json",
    )
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)
    assert list(entry) == ENTRY_KEYS
    assert entry["minutes"] == 90
    assert entry["date"] == (date.today() - timedelta(days=1)).isoformat()
    assert site.rows("id = ?", (int(entry["id"]),))[0]["time"] == 90

    human = site.invoke("add", "--date", "3 days ago", "--time", "1:30", "--service", MEETINGS)
    assert human.exit_code == 0 and "1:30" in human.stdout and "Meetings" in human.stdout

    for args, said in (
        (("--time", "abc"), "'abc' is not a duration"),
        (("--date", "someday"), "'someday' is not a date"),
        (("--service", "999"), "no service '999'"),
    ):
        options = {"--date": "today", "--time": "30", "--service": GENERAL}
        options[args[0]] = args[1]
        bad = site.invoke("add", *[x for pair in options.items() for x in pair])
        assert bad.exit_code == 2, bad.output
        assert said in bad.stderr
    assert len(site.rows()) == 2


def test_entries_and_report_to_read_a_weekday_after_from_and_a_week_as_its_sunday(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.cli import time_commands

    tuesday = date(2026, 12, 1)
    monkeypatch.setattr(time_commands, "_today", lambda: tuesday)
    friday = site.entry(date(2026, 12, 4), 30, "this friday")
    site.entry(date(2026, 12, 6), 15, "this sunday")
    last_sunday = site.entry(date(2026, 11, 29), 45, "last week's sunday")

    week_days = site.invoke("entries", "--from", "monday", "--to", "friday", "--format", "json")
    assert week_days.exit_code == 0, week_days.output
    assert [e["id"] for e in json.loads(week_days.stdout)] == [friday]
    last_week = site.invoke(
        "entries", "--from", "last week", "--to", "last week", "--format", "json"
    )
    assert [e["id"] for e in json.loads(last_week.stdout)] == [last_sunday]
    by_day = json.loads(
        site.invoke(
            "report", "--by", "day", "--from", "last week", "--to", "last week", "--format", "json"
        ).stdout
    )
    assert (by_day["from"], by_day["to"]) == ("2026-11-23", "2026-11-29")
    assert len(by_day["rows"]) == 7


def test_entries_json_csv_people_and_relative_dates(site: Site) -> None:
    today = date.today()
    monday, sunday = this_week(today)
    with site.ledger.transaction(write=True) as conn:
        other = insert_person(
            conn, site.ledger.identity.organization_id, first_name="Ana", last_name="Lima"
        )
    mine = site.entry(monday, 60, "mine this week")
    theirs = site.entry(monday, 30, "theirs", person=other)
    last_week = site.entry(monday - timedelta(days=7), 45, "mine last week")
    site.approve(mine)

    listed = json.loads(site.invoke("entries", "--format", "json").stdout)
    assert [e["id"] for e in listed] == [mine]
    assert list(listed[0]) == ENTRY_KEYS
    assert listed[0] | {"updated_at": None} == {
        "id": mine,
        "date": monday.isoformat(),
        "minutes": 60,
        "note": "mine this week",
        "person_id": str(site.ledger.identity.owner_person_id),
        "service_id": GENERAL,
        "task_id": None,
        "status": "approved",
        "updated_at": None,
        "rejected_reason": None,
    }

    everyone = json.loads(site.invoke("entries", "--person", "all", "--format", "json").stdout)
    assert sorted(e["id"] for e in everyone) == sorted([mine, theirs])
    by_id = json.loads(site.invoke("entries", "--person", str(other), "--format", "json").stdout)
    assert [e["id"] for e in by_id] == [theirs]
    previous = json.loads(site.invoke("entries", "--from", "last week", "--format", "json").stdout)
    assert [e["id"] for e in previous] == [last_week]
    span = json.loads(
        site.invoke(
            "entries",
            "--from",
            "last week",
            "--to",
            sunday.isoformat(),
            "--person",
            "all",
            "--status",
            "unapproved",
            "--format",
            "json",
        ).stdout
    )
    assert sorted(e["id"] for e in span) == sorted([theirs, last_week])

    text = site.invoke("entries", "--person", "all", "--format", "csv").stdout
    lines = text.splitlines()
    assert lines[0] == (
        "id,date,minutes,note,person_id,service_id,task_id,status,updated_at,rejected_reason"
    )
    assert sorted(row["id"] for row in csv.DictReader(io.StringIO(text))) == sorted([mine, theirs])

    table = site.invoke("entries", "--person", "all").stdout
    assert "Ana Lima" in table and "General" in table and "1:00" in table
    assert "Total 1:30 in 2 entries" in table

    bad = site.invoke("entries", "--from", "someday")
    assert bad.exit_code == 2 and "'someday' is not a date" in bad.stderr


def test_entries_and_report_of_a_person_the_server_does_not_list_exit_2(site: Site) -> None:
    site.entry(date.today(), 60, "mine")
    for command in ("entries", "report"):
        result = site.invoke(command, "--person", "99999")
        assert result.exit_code == 2, result.output
        assert (
            result.stderr.strip() == "timesheet: --person 99999 is not a person the server lists."
        )
    mine = site.invoke("report", "--person", str(site.ledger.identity.owner_person_id))
    assert mine.exit_code == 0 and "1:00" in mine.stdout, mine.output


def test_entries_carry_the_rejection_reason_in_json_and_as_the_last_csv_column(
    site: Site,
) -> None:
    monday, _ = this_week(date.today())
    rejected = site.entry(monday, 60, "too long")
    kept = site.entry(monday, 30, "fine")
    with site.ledger.transaction(write=True) as conn:
        Entries(conn, site.ledger).reject(rejected, "Please split it up.")
    listed = {e["id"]: e for e in json.loads(site.invoke("entries", "--format", "json").stdout)}
    assert list(listed[rejected])[-1] == "rejected_reason"
    assert listed[rejected]["status"] == "rejected"
    assert listed[rejected]["rejected_reason"] == "Please split it up."
    assert listed[kept]["rejected_reason"] is None
    rows = list(csv.reader(io.StringIO(site.invoke("entries", "--format", "csv").stdout)))
    assert rows[0][-1] == "rejected_reason"
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[rejected][-1] == "Please split it up." and by_id[kept][-1] == ""


def test_entries_of_everyone_keep_the_person_column_when_one_person_logged_time(
    site: Site,
) -> None:
    mine_id = site.entry(this_week(date.today())[0], 45, "only mine")
    with site.ledger.transaction() as conn:
        first, last = conn.execute(
            "SELECT first_name, last_name FROM people WHERE id = ?",
            (site.ledger.identity.owner_person_id,),
        ).fetchone()
    everyone = site.invoke("entries", "--person", "all").stdout
    header = everyone.splitlines()[0].split()
    assert header[:3] == ["id", "date", "person"]
    assert everyone.splitlines()[1].split()[0] == str(mine_id)  # what `delete ID` takes
    assert " ".join(p for p in (first, last) if p) in everyone
    mine = site.invoke("entries", "--person", "me").stdout
    assert "person" not in mine.splitlines()[0].split()


def test_an_unreachable_server_is_named_by_host_and_port_never_by_token(site: Site) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    config = write_config(
        site.tmp / "gone.toml",
        {
            "profiles": {
                "gone": {
                    "backend": "productive",
                    "base_url": f"http://127.0.0.1:{port}/api/v2",
                    "organization_id": "1",
                    "person_id": "1",
                    "token": "sekrit-token-never-shown",
                }
            }
        },
    )
    result = site.invoke("entries", profile="gone", config=config)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"timesheet: Cannot reach 127.0.0.1:{port} (")
    assert "sekrit" not in result.output and "sekrit" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_control_sequence_in_a_note_prints_as_visible_characters(site: Site) -> None:
    site.entry(date.today(), 15, "boom\x1b[2J\x07done")
    table = site.invoke("entries", "--person", "me").stdout
    assert "\x1b" not in table and "\x07" not in table
    assert "boom␛[2J␇done" in table
    listed = json.loads(site.invoke("entries", "--format", "json").stdout)
    assert listed[0]["note"] == "boom\x1b[2J\x07done"  # JSON keeps the data, escaped


def test_services_lists_services_and_tasks(site: Site) -> None:
    listed = json.loads(site.invoke("services", "--json").stdout)
    assert [s["name"] for s in listed] == ["General", "Meetings", "Admin"]
    assert set(listed[0]) == {"id", "name", "project_name", "deal_name", "tasks"}
    crm = json.loads(site.invoke("services", "--json", profile="crm").stdout)
    assert [s["id"] for s in crm] == [f"client:{site.service_uuid()}"]


def test_the_ledger_profile_needs_no_server(site: Site) -> None:
    added = site.invoke(
        "add", "--date", "today", "--time", "90m", "--service", GENERAL, "--json", profile="local"
    )
    assert added.exit_code == 0, added.output
    entry_id = json.loads(added.stdout)["id"]
    listed = json.loads(site.invoke("entries", "--format", "json", profile="local").stdout)
    assert [e["id"] for e in listed] == [entry_id]
    assert site.app.calls == []  # all in-process


# ------------------------------------------------------------------------- delete


def test_delete_asks_and_yes_deletes_in_one_bulk_request(site: Site) -> None:
    today = date.today()
    ids = [site.entry(today, 30 + n, f"gone {n}") for n in range(3)]
    locked = site.entry(today, 60, "approved")
    site.approve(locked)

    assert site.invoke("delete").exit_code == 2

    # On a terminal it shows what goes and asks; "n" deletes nothing.
    master, slave = pty.openpty()
    try:
        os.write(master, b"n\n")
        asked = site.process("delete", *ids, stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert "Delete 3 entries of 1 person" in asked.stderr and "1:33 in total" in asked.stderr
    assert asked.returncode == 1 and "Nothing was deleted." in asked.stderr
    assert len(site.rows()) == 4 and site.app.count("DELETE", "/api/v2/time_entries") == 0

    deleted = site.invoke("delete", *ids, "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted 3 entries." in deleted.stdout
    assert site.app.count("DELETE", "/api/v2/time_entries") == 1
    assert [str(r["id"]) for r in site.rows()] == [locked]

    refused = site.invoke("delete", locked, "--yes")
    assert refused.exit_code == 1
    assert f"entry {locked}: Entry {locked} is approved; unapprove it first." in refused.stderr
    assert len(site.rows()) == 1


# ------------------------------------------------------------------------- errors


def test_config_and_auth_errors_are_one_sentence_and_exit_2(site: Site) -> None:
    unset = site.process("status", env={TOKEN_ENV: ""})
    assert unset.returncode == 2
    assert TOKEN_ENV in unset.stderr and unset.stderr.count("\n") == 1

    wrong = site.process("entries", env={TOKEN_ENV: "not-the-token"})
    assert wrong.returncode == 2, wrong.stderr
    assert wrong.stderr.startswith("timesheet: ") and wrong.stderr.count("\n") == 1
    assert "not-the-token" not in wrong.stderr

    unknown = site.invoke("status", profile="nope")
    assert unknown.exit_code == 2 and "unknown profile 'nope'" in unknown.stderr

    broken = site.tmp / "broken.toml"
    broken.write_text("[profiles.prod\nbackend = 1\n")
    result = site.invoke("status", config=broken)
    assert result.exit_code == 2 and str(broken) in result.stderr


def test_plannr_add_list_and_delete(site: Site) -> None:
    trackable = f"client:{site.service_uuid()}"
    added = site.invoke(
        "add",
        "--date",
        "today",
        "--time",
        "45",
        "--service",
        trackable,
        "--note",
        "Review",
        "--json",
        profile="crm",
    )
    assert added.exit_code == 0, added.output
    entry = json.loads(added.stdout)
    assert entry["minutes"] == 45 and entry["service_id"] == trackable
    assert entry["person_id"] == site.ledger.identity.account_uuid

    listed = json.loads(site.invoke("entries", "--format", "json", profile="crm").stdout)
    assert [e["id"] for e in listed] == [entry["id"]]
    no_tasks = site.invoke(
        "add",
        "--date",
        "today",
        "--time",
        "45",
        "--service",
        trackable,
        "--task",
        "1",
        profile="crm",
    )
    assert no_tasks.exit_code == 2 and "Plannr has no tasks" in no_tasks.stderr

    deleted = site.invoke("delete", entry["id"], "--yes", profile="crm")
    assert deleted.exit_code == 0, deleted.output
    assert site.rows() == []

    # Without trackables Plannr cannot list: said plainly, exit 2.
    for command in (["entries"], ["status"], ["services"]):
        bare = site.invoke(*command, profile="bare")
        assert bare.exit_code == 2, command
        assert "trackables" in bare.stderr and bare.stderr.count("\n") == 1


# ------------------------------------------------------------ bad input, one sentence


def test_a_date_past_the_calendar_is_a_usage_error(site: Site) -> None:
    result = site.invoke("entries", "--from", "9999-12-31")
    assert result.exit_code == 2
    assert result.stderr == (
        "timesheet: --from: '9999-12-31' is out of range; dates run from 1900-01-01 "
        "to 2999-12-31.\n"
    )
    result = site.invoke(
        "add", "--date", "9999999999 days ago", "--time", "30", "--service", GENERAL
    )
    assert result.exit_code == 2 and "'9999999999 days ago' is out of range" in result.stderr
    assert site.app.calls == []


def test_a_csv_date_past_the_calendar_is_a_bad_row_by_line(site: Site) -> None:
    rows = [
        ["2026-11-02", "60", "fine", GENERAL, "", ""],
        ["3000000 days ago", "60", "too old", GENERAL, "", ""],
    ]
    result = site.invoke("import", str(import_csv(site.tmp / "old.csv", rows)), "--yes")
    assert result.exit_code == 1
    assert "line 3: date '3000000 days ago' is out of range" in result.stderr
    assert site.app.count("POST", "/api/v2/time_entries") == 0


def test_an_argument_that_is_not_utf8_is_refused_before_sending(site: Site) -> None:
    note = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")  # what a Latin-1 shell sends
    result = site.invoke(
        "add", "--date", "today", "--time", "30", "--service", GENERAL, "--note", note
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "timesheet: The value of --note (caf\\xe9 \\xff) is not valid UTF-8 text; nothing was sent.\n"
    )
    assert site.app.calls == [] and site.rows() == []


# ------------------------------------------------------------------ output safety

HOSTILE_NOTES = {
    "formula": "=cmd|' /C calc'!A0",
    "csi": "red\x9b31m text",
    "osc": "title\x1b]0;pwned\x07 bell",
}


def test_csv_export_defuses_formulas_and_shows_controls_as_symbols(site: Site) -> None:
    monday = date(2026, 11, 16)
    for note in HOSTILE_NOTES.values():
        site.entry(monday, 30, note)
    text = site.invoke("entries", "--from", "2026-11-16", "--format", "csv").stdout
    notes = sorted(row["note"] for row in csv.DictReader(io.StringIO(text)))
    assert notes == ["'=cmd|' /C calc'!A0", "red\\x9b31m text", "title␛]0;pwned␇ bell"]
    assert not any(ch in text for ch in "\x1b\x07\x9b")

    raw = site.invoke("entries", "--from", "2026-11-16", "--format", "csv", "--raw").stdout
    assert sorted(row["note"] for row in csv.DictReader(io.StringIO(raw))) == sorted(
        HOSTILE_NOTES.values()
    )


def test_table_and_json_never_send_a_control_to_the_terminal(site: Site) -> None:
    monday = date(2026, 11, 16)
    for note in HOSTILE_NOTES.values():
        site.entry(monday, 30, note)
    table_text = site.invoke("entries", "--from", "2026-11-16").stdout
    json_text = site.invoke("entries", "--from", "2026-11-16", "--format", "json").stdout
    for text in (table_text, json_text):
        assert not any(ch in text for ch in "\x1b\x07\x9b")
    assert "\\u009b" in json_text and "\\u001b" in json_text
    assert sorted(e["note"] for e in json.loads(json_text)) == sorted(HOSTILE_NOTES.values())


def test_the_entries_table_names_a_service_with_its_project(site: Site) -> None:
    from tui.ledger.db import insert_deal, insert_project, insert_service

    with site.ledger.transaction(write=True) as conn:
        project = insert_project(conn, name="Acme Corp")
        deal = insert_deal(conn, name="Webshop", project_id=project)
        design = insert_service(
            conn, site.ledger.identity.organization_id, name="Design", deal_id=deal
        )
    site.entry(this_week(date.today())[0], 45, "mockups", service=str(design))
    table = site.invoke("entries").stdout
    assert "Design (Acme Corp › Webshop)" in table, table


def test_an_entries_export_imports_back_with_nothing_made_twice(site: Site) -> None:
    monday = this_week(date.today())[0]
    for minutes, note in ((45, "   spaced   "), (30, 'a "quote", a comma'), (60, "two\nlines")):
        site.entry(monday, minutes, note)
    exported = site.invoke("entries", "--format", "csv", "--raw")
    assert exported.exit_code == 0, exported.output
    path = site.tmp / "export.csv"
    path.write_text(exported.stdout)
    before = [tuple(row) for row in site.rows()]

    again = site.invoke("import", str(path), "--yes")
    assert again.exit_code == 0, again.output
    assert "Every row is already on the server (3); nothing was sent." in again.stdout
    assert [tuple(row) for row in site.rows()] == before


def test_an_import_with_semicolons_between_fields_says_so(site: Site) -> None:
    path = site.tmp / "semicolons.csv"
    path.write_text("date;time;note;service_id\n2026-11-02;60;a;1\n")
    result = site.invoke("import", str(path), "--yes")
    assert result.exit_code == 2
    assert "line 1: the fields are separated by semicolons; import reads commas" in result.stderr


def test_a_quote_left_open_on_the_last_line_is_named_by_its_line_and_nothing_is_sent(
    site: Site,
) -> None:
    path = site.tmp / "open-quote.csv"
    path.write_text(
        "date,time,note,service_id\n"
        f"2026-11-27,30,fine,{GENERAL}\n"
        f'2026-11-30,1:00,{GENERAL},"Note that never closes\n'
    )
    result = site.invoke("import", str(path), "--yes")
    assert result.exit_code == 1
    assert f'{path}: line 3: a quote (") opened here is never closed.' in result.stderr
    assert "service" not in result.stderr  # not the swallowed note read as a service
    assert "nothing was sent" in result.stderr
    assert site.app.count("POST", "/api/v2/time_entries") == 0 and site.rows() == []


def test_a_quote_that_runs_on_to_the_end_of_the_file_names_the_line_it_opened_on(
    site: Site,
) -> None:
    # The note is the last column, so the rows it swallows do not show as missing fields
    # (the row was imported, with the rest of the file as its note).
    path = site.tmp / "runs-on.csv"
    path.write_text(
        "date,time,service_id,note\n"
        f'2026-11-27,30,{GENERAL},"two\nlines"\n'
        f'2026-11-30,60,{GENERAL},"opened here\n'
        f"2026-12-01,45,{GENERAL},swallowed\n"
        f"2026-12-02,15,{GENERAL},swallowed too"
    )
    result = site.invoke("import", str(path), "--yes")
    assert result.exit_code == 1
    assert (
        f'{path}: line 4: has a quote (") that is not closed; the field runs on to line 6.'
        in result.stderr
    )
    assert "nothing was sent" in result.stderr
    assert site.rows() == []

    header = site.tmp / "open-header.csv"
    header.write_text('date,time,service_id,"note\n2026-11-30,60,1,a\n')
    refused = site.invoke("import", str(header), "--yes")
    assert refused.exit_code == 2  # not a file of entries at all, as a bad header is
    assert f'{header}: line 1: has a quote (") that is not closed' in refused.stderr


def test_a_note_over_two_lines_in_a_row_without_its_task_column_is_imported(
    site: Site,
) -> None:
    """A closed quote over two lines, in a row that leaves the optional `task_id` off, is a
    valid file (it was refused as a quote never closed); a line separator inside a note
    (U+2028) is not a line of the file, so a later row's problem is named at its line."""
    path = site.tmp / "two-lines.csv"
    path.write_text(
        "date,time,service_id,note,task_id\n"
        f'2026-11-30,60,{GENERAL},"first line\nsecond line"\n'
        f"2026-11-30,30,{GENERAL},a\u2028b\n"
    )
    result = site.invoke("import", str(path), "--yes")
    assert result.exit_code == 0, result.stderr
    assert sorted(row["note"] for row in site.rows()) == ["a\u2028b", "first line\nsecond line"]

    later = site.tmp / "later.csv"
    later.write_text(
        f"date,time,service_id,note\n2026-11-30,30,{GENERAL},a\u2028b\nnot a date,30,{GENERAL},c\n"
    )
    refused = site.invoke("import", str(later), "--yes")
    assert refused.exit_code == 1
    assert f"{later}: line 3: " in refused.stderr


def test_a_hand_written_csv_note_is_trimmed_so_running_it_again_makes_nothing_twice(
    site: Site,
) -> None:
    path = site.tmp / "hand.csv"
    path.write_text(f"date, time, note, service_id\n2026-11-02, 90, Standup, {GENERAL}\n")
    assert site.invoke("import", str(path), "--yes").exit_code == 0
    assert [row["note"] for row in site.rows()] == ["Standup"]
    again = site.invoke("import", str(path), "--yes")
    assert again.exit_code == 0 and "nothing was sent" in again.stdout
    assert len(site.rows()) == 1
