"""`submit`, `unsubmit`, `gaps` and `unreject` as a person runs them: a small ledger served on
a real loopback port, a Productive profile pointing at it, and the database checked by SQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result

from tests.conftest import FROZEN_NOW, LoopbackServer
from tui.cli import main, submit_commands
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB

TOKEN_ENV = "TIMESHEET_TEST_LEDGER_TOKEN"
# FROZEN_NOW is Thursday 2026-11-19: the week runs Monday 16th to Sunday 22nd.
MINUTES = {"2026-11-16": 480, "2026-11-17": 300, "2026-11-19": 60, "2026-11-20": 120}


def add_entry(ledger: LedgerDB, day: str, minutes: int) -> int:
    now = "2026-11-19T10:00:00.000+00:00"
    with ledger.transaction(write=True) as conn:
        cursor = conn.execute(
            "INSERT INTO time_entries (uuid, date, time, person_id, service_id, created_at,"
            " updated_at, last_activity_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
            (str(uuid.uuid4()), day, minutes, ledger.identity.owner_person_id, now, now, now),
        )
        return int(cursor.lastrowid or 0)


@pytest.fixture
def served(ledger: LedgerDB, clock) -> Iterator[LoopbackServer]:
    for day, minutes in MINUTES.items():
        add_entry(ledger, day, minutes)
    with LoopbackServer(create_app(ledger, clock=clock)) as server:
        yield server


def write_config(path: Path, ledger: LedgerDB, server: LoopbackServer, **ui: Any) -> Path:
    document: dict[str, Any] = {
        "default_profile": "work",
        "profiles": {
            "work": {
                "backend": "productive",
                "organization_id": ledger.identity.organization_id,
                "person_id": str(ledger.identity.owner_person_id),
                "base_url": f"{server.url}/api/v2",
                "token_env": TOKEN_ENV,
            },
            "crm": {
                "backend": "plannr",
                "account_uuid": ledger.identity.account_uuid,
                "base_url": f"{server.url}/api/v1",
                "token_env": TOKEN_ENV,
            },
        },
    }
    if ui:
        document["ui"] = ui
    path.write_text(tomli_w.dumps(document))
    path.chmod(0o600)
    return path


@pytest.fixture
def config(
    tmp_path: Path, ledger: LedgerDB, served: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv(TOKEN_ENV, ledger.identity.token)
    monkeypatch.setattr(submit_commands, "today", lambda: FROZEN_NOW.date())
    return write_config(tmp_path / "config.toml", ledger, served)


def run(config: Path, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, ["--config", str(config), *args], input=input)
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


def submitted_days(ledger: LedgerDB) -> list[str]:
    with ledger.transaction() as conn:
        return [r[0] for r in conn.execute("SELECT date FROM timesheets ORDER BY date")]


def days_of(result: Result) -> list[tuple[str, str]]:
    document = json.loads(result.stdout)
    return [(d["date"], d["result"]) for d in document["days"]]


# -------------------------------------------------------------------------------- gaps


def test_gaps_lists_short_working_days_up_to_today_and_exits_1(config) -> None:
    result = run(config, "gaps", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {"date": "2026-11-17", "minutes": 300, "target_minutes": 480, "missing_minutes": 180},
        {"date": "2026-11-18", "minutes": 0, "target_minutes": 480, "missing_minutes": 480},
        {"date": "2026-11-19", "minutes": 60, "target_minutes": 480, "missing_minutes": 420},
    ]


def test_gaps_counts_days_after_today_only_when_to_says_so(config) -> None:
    result = run(config, "gaps", "--to", "2026-11-22", "--json")
    assert [g["date"] for g in json.loads(result.stdout)][-1] == "2026-11-20"


def test_gaps_to_a_weekday_after_from_is_that_weeks_day(config) -> None:
    result = run(config, "gaps", "--from", "monday", "--to", "friday", "--json")
    assert result.exit_code == 1, result.output
    assert [g["date"] for g in json.loads(result.stdout)][-1] == "2026-11-20"
    result = run(config, "gaps", "--from", "last week", "--to", "last week")
    assert "2026-11-15" in result.output and "--from" not in result.output


def test_gaps_honours_workday_minutes_and_work_days(
    tmp_path: Path, ledger: LedgerDB, served: LoopbackServer, config: Path
) -> None:
    custom = write_config(
        tmp_path / "custom.toml", ledger, served, workday_minutes=300, work_days=["mon", "tue"]
    )
    assert run(custom, "gaps", "--json").exit_code == 0
    half = write_config(
        tmp_path / "half.toml", ledger, served, workday_minutes=60, work_days=["thu", "fri"]
    )
    result = run(half, "gaps", "--from", "2026-11-16", "--to", "2026-11-19")
    assert result.exit_code == 0, result.output
    assert "No short days" in result.output


def test_gaps_without_any_short_day_exits_0(config) -> None:
    result = run(config, "gaps", "--from", "2026-11-16", "--to", "2026-11-16")
    assert result.exit_code == 0
    assert "No short days from 2026-11-16 to 2026-11-16." in result.output


# ------------------------------------------------------------------------------ submit


def test_submit_submits_each_day_with_entries_and_a_rerun_is_unchanged(ledger, config) -> None:
    first = run(config, "submit", "--yes", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["person_id"] == str(ledger.identity.owner_person_id)
    assert days_of(first) == [(day, "submitted") for day in MINUTES]
    assert "2026-11-18" in first.stderr  # the gaps come first, on stderr under --json
    assert submitted_days(ledger) == list(MINUTES)
    with ledger.transaction() as conn:
        assert conn.execute("SELECT min(submitted) FROM time_entries").fetchone()[0] == 1

    again = run(config, "submit", "--yes", "--json")
    assert again.exit_code == 0
    assert days_of(again) == [(day, "unchanged") for day in MINUTES]


def test_submit_leaves_out_the_day_a_timer_still_runs_on(ledger, config) -> None:
    started = run(config, "start", "--service", "1")
    assert started.exit_code == 0, started.output
    result = run(config, "submit", "--yes", "--json")
    assert result.exit_code == 1, result.output  # that day failed, with why
    days = dict(days_of(result))
    today = FROZEN_NOW.date().isoformat()
    assert days.pop(today) == "failed"
    assert set(days.values()) == {"submitted"}
    [message] = [d["message"] for d in json.loads(result.stdout)["days"] if d["date"] == today]
    assert message == "A timer is running on this day's entry; stop the timer, then submit the day."
    assert today not in submitted_days(ledger)


def test_submit_dry_run_sends_nothing(ledger, config) -> None:
    result = run(config, "submit", "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: nothing was sent." in result.output
    assert submitted_days(ledger) == []


def test_submit_off_a_terminal_without_yes_is_exit_2_and_sends_nothing(ledger, config) -> None:
    refused = run(config, "submit")  # stdin is not a terminal
    assert refused.exit_code == 2
    assert "--yes" in refused.output
    assert submitted_days(ledger) == []


def test_unsubmit_takes_back_the_week_and_refuses_a_day_with_an_approved_entry(
    ledger, config
) -> None:
    assert run(config, "submit", "--yes").exit_code == 0
    with ledger.transaction(write=True) as conn:
        conn.execute("UPDATE time_entries SET approved = 1 WHERE date = '2026-11-16'")

    # The dry run says beforehand which day the real run will fail, and exits as it will.
    before = submitted_days(ledger)
    dry = run(config, "unsubmit", "--dry-run", "--json")
    assert dry.exit_code == 1
    planned = dict(days_of(dry))
    assert planned.pop("2026-11-16") == "failed" and set(planned.values()) == {"unsubmitted"}
    assert submitted_days(ledger) == before and len(before) > 1  # nothing was sent
    shown = run(config, "unsubmit", "--dry-run")
    assert "Mon 2026-11-16 would fail: It has 1 approved entry" in shown.stdout

    result = run(config, "unsubmit", "--yes", "--json")
    assert result.exit_code == 1
    outcome = dict(days_of(result))
    assert outcome.pop("2026-11-16") == "failed"
    assert set(outcome.values()) == {"unsubmitted"}
    [refusal] = [d["message"] for d in json.loads(result.stdout)["days"] if d["result"] == "failed"]
    assert refusal.startswith("Productive refused to unsubmit 2026-11-16: ")  # not the route
    assert submitted_days(ledger) == ["2026-11-16"]

    with ledger.transaction(write=True) as conn:
        conn.execute("UPDATE time_entries SET approved = 0")
    assert run(config, "unsubmit", "--yes").exit_code == 0
    again = run(config, "unsubmit", "--yes", "--json")
    assert again.exit_code == 0
    assert {result for _, result in days_of(again)} == {"unchanged"}


def test_submit_on_plannr_is_exit_2_with_one_sentence(config) -> None:
    result = run(config, "--profile", "crm", "submit", "--yes")
    assert result.exit_code == 2
    assert "no submission" in result.output
    assert len(result.output.strip().splitlines()) == 1


# ---------------------------------------------------------------------------- unreject


def test_unreject_answers_in_the_approve_shape(ledger, config) -> None:
    with ledger.transaction(write=True) as conn:
        conn.execute(
            "UPDATE time_entries SET rejected = 1, rejected_reason = 'Add a task'"
            " WHERE date = '2026-11-16'"
        )
        (entry_id,) = conn.execute(
            "SELECT id FROM time_entries WHERE date = '2026-11-16'"
        ).fetchone()
    result = run(config, "unreject", str(entry_id), "999999", "--json")
    assert result.exit_code == 1
    answers = json.loads(result.stdout)
    assert [(a["id"], a["result"]) for a in answers] == [
        (str(entry_id), "unrejected"),
        ("999999", "failed"),
    ]
    with ledger.transaction() as conn:
        row = conn.execute(
            "SELECT rejected, rejected_reason FROM time_entries WHERE id = ?", (entry_id,)
        ).fetchone()
    assert tuple(row) == (0, None)
    again = run(config, "unreject", str(entry_id), "--json")  # no longer rejected
    assert again.exit_code == 1
    [answer] = json.loads(again.stdout)
    assert answer["result"] == "failed"
    assert answer["message"] == f"Entry {entry_id} is not rejected; nothing was sent."
