# ruff: noqa: F811  (the `site` fixture is imported from test_cli_time)
"""The timer commands people trust, as scripts drive them against a ledger on a loopback
port through both dialects: `stop --at`, `start --at/--ago`, `discard`, and their bad
input (one sentence, exit 2, nothing sent)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.test_cli_time import GENERAL, Site, site  # noqa: F401
from tui.ledger.entries import Entries

PROFILES = ("prod", "crm")


def real_now() -> datetime:
    """The commands read the real clock; the ledger reads the site's, set to match."""
    return datetime.now(UTC).replace(microsecond=0)


def start_args(site: Site, profile: str) -> list[str]:
    if profile == "crm":
        return ["start", "--trackable", f"client:{site.service_uuid()}"]
    return ["start", "--service", GENERAL]


def resume(site: Site, minutes: int) -> int:
    """An entry holding `minutes`, with a timer resumed on it at the ledger's now."""
    with site.ledger.transaction(write=True) as conn:
        entries = Entries(conn, site.ledger)
        entry_id = entries.create(
            {
                "date": site.clock.now.date().isoformat(),
                "time": minutes,
                "note": "Resumed",
                "person": site.ledger.identity.owner_person_id,
                "service": int(GENERAL),
            }
        )
        entries.start_timer(entry_id=entry_id)
        return entry_id


def minutes_of(site: Site, entry_id: int) -> int | None:
    rows = site.rows("id = ?", (entry_id,))
    return rows[0]["time"] if rows else None


def sent(site: Site) -> list[tuple[str, str]]:
    return [call for call in site.app.calls if call[0] != "GET"]


def test_the_timer_commands_have_help_with_an_example(site: Site) -> None:
    for command in ("start", "stop", "discard"):
        result = site.invoke(command, "--help")
        assert result.exit_code == 0 and f"Example: timesheet {command}" in result.output
    assert "--at" in site.invoke("stop", "--help").output
    assert "--ago" in site.invoke("start", "--help").output


@pytest.mark.parametrize("profile", PROFILES)
def test_stop_at_on_a_resumed_entry_sets_what_it_held_plus_the_span(
    site: Site, profile: str
) -> None:
    now = real_now()
    site.clock.now = now - timedelta(minutes=90)
    entry_id = resume(site, 60)
    site.clock.now = now + timedelta(seconds=1)

    stopped = site.invoke("stop", "--at", "30m ago", "--json", profile=profile)

    assert stopped.exit_code == 0, stopped.output
    body = json.loads(stopped.stdout)
    assert body["minutes"] == 120 and body["entry"]["minutes"] == 120  # 60 + (90 - 30)
    assert minutes_of(site, entry_id) == 120
    # The timer as it ran for the entry: stopped 30 minutes ago, after 60 minutes.
    stopped_at = datetime.fromisoformat(body["timer"]["stopped_at"])
    assert abs((stopped_at - (now - timedelta(minutes=30))).total_seconds()) < 5
    assert abs(body["timer"]["elapsed_seconds"] - 60 * 60) < 5
    assert json.loads(site.invoke("status", "--json", profile=profile).stdout) == {"timer": None}


@pytest.mark.parametrize("profile", PROFILES)
def test_start_ago_runs_from_then(site: Site, profile: str) -> None:
    now = real_now()
    site.clock.now = now + timedelta(seconds=1)
    started = site.invoke(*start_args(site, profile), "--ago", "20m", profile=profile)
    assert started.exit_code == 0, started.output
    assert "running since" in started.stdout and started.stderr == ""
    timer = json.loads(site.invoke("status", "--json", profile=profile).stdout)["timer"]
    began = datetime.fromisoformat(timer["started_at"].replace("Z", "+00:00"))
    assert abs((began - (now - timedelta(minutes=20))).total_seconds()) < 5
    site.clock.advance(minutes=10)
    body = json.loads(site.invoke("stop", "--json", profile=profile).stdout)
    assert body["minutes"] == 30


@pytest.mark.parametrize("profile", PROFILES)
def test_discard_deletes_the_timers_entry(site: Site, profile: str) -> None:
    site.clock.now = real_now() + timedelta(seconds=1)
    assert site.invoke(*start_args(site, profile), profile=profile).exit_code == 0
    (row,) = site.rows()
    site.clock.advance(minutes=2)

    refused = site.invoke("discard", profile=profile)  # no terminal, no --yes
    assert refused.exit_code == 2 and "--yes" in refused.stderr

    done = site.invoke("discard", "--yes", profile=profile)
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("Discarded timer ")
    assert minutes_of(site, row["id"]) is None
    assert json.loads(site.invoke("status", "--json", profile=profile).stdout) == {"timer": None}


@pytest.mark.parametrize("profile", PROFILES)
def test_bad_timer_input_is_one_sentence_exit_2_and_nothing_sent(site: Site, profile: str) -> None:
    now = real_now()
    site.clock.now = now - timedelta(minutes=60)
    entry_id = resume(site, 45)
    site.clock.now = now + timedelta(seconds=1)
    before = sent(site)

    cases = [
        (["stop", "--at", "2h ago"], "before the timer started"),
        (["stop", "--at", (now + timedelta(hours=1)).isoformat()], "in the future"),
        (["stop", "--at", "soon"], "is not a time"),
        ([*start_args(site, profile), "--ago", "25h"], "longer than a day"),
        ([*start_args(site, profile), "--at", "9:00", "--ago", "5m"], "not both"),
        (["discard", "--yes"], "holds 0:45 from before this timer"),
    ]
    for args, says in cases:
        result = site.invoke(*args, profile=profile)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stdout == "", args
    assert sent(site) == before
    assert minutes_of(site, entry_id) == 45
    timer = json.loads(site.invoke("status", "--json", profile=profile).stdout)["timer"]
    assert timer is not None and timer["stopped_at"] is None


def test_a_stop_under_a_minute_suggests_discard_not_rounding(site: Site) -> None:
    site.clock.now = real_now() + timedelta(seconds=1)
    assert site.invoke(*start_args(site, "prod")).exit_code == 0
    site.clock.advance(seconds=4)
    stopped = site.invoke("stop")
    assert stopped.exit_code == 0, stopped.output
    assert "ran under a minute" in stopped.stdout and "timesheet discard" in stopped.stdout
    assert "Rounding" not in stopped.stdout


def test_start_on_a_service_that_is_not_there_names_it_not_the_route(site: Site) -> None:
    result = site.invoke("start", "--service", "999")
    assert result.exit_code != 0
    assert result.stderr.strip() == (
        "timesheet: Productive refused to start a timer on service 999: "
        "There is no service with id 999."
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_a_timer_that_is_not_there_is_named_not_its_route(site: Site, profile: str) -> None:
    missing = "999" if profile == "prod" else "00000000-0000-4000-8000-000000000999"
    for args in (
        ["stop", missing],
        ["stop", missing, "--at", "10:00"],
        ["discard", missing, "--yes"],
    ):
        result = site.invoke("--profile", profile, *args)
        assert result.exit_code == 1, result.output
        problem = result.stderr.strip()
        assert f"timer {missing}" in problem and "/" not in problem, problem


def test_start_names_the_service_it_runs_on(site: Site) -> None:
    result = site.invoke("--profile", "prod", *start_args(site, "prod"))
    assert result.exit_code == 0, result.output
    assert " on General, service " in result.stdout, result.stdout  # the name, the id typed


def test_start_on_plannr_names_the_trackable_without_reading_every_name(site: Site) -> None:
    before = len(site.app.calls)
    result = site.invoke("--profile", "crm", *start_args(site, "crm"))
    assert result.exit_code == 0, result.output
    assert f" on client:{site.service_uuid()}" in result.stdout, result.stdout
    assert not [call for call in site.app.calls[before:] if "/account/" in call[1]]
