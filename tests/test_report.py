"""Reports (issue 17): the one computation (`tui.store.report`), the ledger's billable time
following the service, and the CLI `report` against the ledger (every `--by`, the JSON of
the contract, the CSV's columns)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.cli import main
from tui.ledger.db import LedgerDB, insert_person, insert_service
from tui.ledger.entries import Entries
from tui.store.records import EntryRecord
from tui.store.report import By, Sum, build_report, staged_in_range
from tui.store.staging import Kind, Staged
from tui.store.values import week_start

START = date(2026, 11, 2)  # a Monday
END = date(2026, 11, 29)  # four weeks later, a Sunday

# ------------------------------------------------------------------ the computation

records_strategy = st.lists(
    st.builds(
        EntryRecord,
        id=st.uuids().map(str),
        date=st.dates(START - timedelta(days=10), END + timedelta(days=10)),
        minutes=st.integers(0, 24 * 60),
        note=st.just(""),
        person_id=st.sampled_from(["1", "2", "3", None]),
        service_id=st.sampled_from(["10", "11", "12", None]),
        task_id=st.sampled_from(["100", "101", None]),
        billable_minutes=st.one_of(st.none(), st.integers(0, 24 * 60)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(records=records_strategy, people=st.sets(st.sampled_from(["1", "2", "3"]), max_size=2))
def test_totals_equal_the_sum_of_the_entries_for_random_data(
    records: list[EntryRecord], people: set[str]
) -> None:
    report = build_report(records, START, END, person_ids=people)
    inside = [
        r for r in records if START <= r.date <= END and (not people or r.person_id in people)
    ]
    assert report.total.minutes == sum(r.minutes for r in inside)
    assert report.total.entries == len(inside)
    known = [r.billable_minutes for r in inside if r.billable_minutes is not None]
    assert report.total.billable_minutes == (sum(known) if known else None)
    keys = {
        By.day: lambda r: r.date,
        By.week: lambda r: week_start(r.date),
        By.service: lambda r: r.service_id,
        By.task: lambda r: r.task_id,
        By.person: lambda r: r.person_id,
    }
    for by, key in keys.items():
        expected: dict[Any, int] = defaultdict(int)
        for r in inside:
            expected[key(r)] += r.minutes
        assert {k: s.minutes for k, s in report.sums[by].items()} == expected
        assert sum(s.minutes for s in report.sums[by].values()) == report.total.minutes
    # The day and week rows cover the whole range; the others are largest first.
    assert [d for d, _ in report.days()] == [
        START + timedelta(days=n) for n in range((END - START).days + 1)
    ]
    assert len(report.weeks()) == 4
    for by in (By.service, By.task, By.person):
        minutes = [s.minutes for _, s in report.largest_first(by)]
        assert minutes == sorted(minutes, reverse=True)


def test_billable_is_unknown_only_where_no_entry_carries_it() -> None:
    def record(entry_id: str, minutes: int, billable: int | None, service: str) -> EntryRecord:
        return EntryRecord(
            entry_id, START, minutes, "", "1", service, None, billable_minutes=billable
        )

    report = build_report(
        [record("a", 60, 60, "10"), record("b", 30, 0, "10"), record("c", 45, None, "11")],
        START,
        END,
    )
    assert report.sums[By.service]["10"] == Sum(90, 60, 2)
    assert report.sums[By.service]["11"] == Sum(45, None, 1)
    assert report.total.billable_share == pytest.approx(60 / 135)
    assert Sum(45, None, 1).billable_share is None


def test_a_day_without_entries_is_0_billable_where_the_backend_gives_billable() -> None:
    one = build_report(
        [EntryRecord("a", START, 60, "", "1", "10", None, billable_minutes=30)], START, END
    )
    days = dict(one.days())
    assert days[START] == Sum(60, 30, 1)
    assert days[START + timedelta(days=1)] == Sum(0, 0, 0)
    assert all(s.billable_minutes is not None for _, s in one.weeks())
    plannr_like = build_report([EntryRecord("a", START, 60, "", "1", "10", None)], START, END)
    assert dict(plannr_like.days())[START + timedelta(days=1)].billable_minutes is None


def test_staged_changes_in_the_range_are_counted_by_either_date() -> None:
    records = {
        "in": EntryRecord("in", START, 60, "", "1", "10", None),
        "out": EntryRecord("out", END + timedelta(days=3), 60, "", "1", "10", None),
    }
    staged = {
        "in": Staged(Kind.update, {"note": "x"}),
        "out": Staged(Kind.update, {"date": END}),  # moved into the range
        "new": Staged(Kind.create, {"date": END + timedelta(days=1), "minutes": 5}),
    }
    assert staged_in_range(staged, records, START, END) == 2


# ------------------------------------------------------------------ the ledger


@pytest.fixture
def internal(ledger: LedgerDB) -> int:
    """A non-billable service in the ledger."""
    with ledger.transaction(write=True) as conn:
        return insert_service(
            conn, ledger.identity.organization_id, name="Internal", billable=False
        )


def test_billable_time_follows_the_service(ledger: LedgerDB, internal: int) -> None:
    me = ledger.identity.owner_person_id
    with ledger.transaction(write=True) as conn:
        entries = Entries(conn, ledger)
        billed = entries.create({"date": "2026-11-02", "time": 90, "person": me, "service": 1})
        unbilled = entries.create(
            {"date": "2026-11-02", "time": 45, "person": me, "service": internal}
        )
        moved = entries.create({"date": "2026-11-02", "time": 30, "person": me, "service": 1})
        entries.update(moved, {"service": internal})
        entries.update(unbilled, {"time": 50})
        rows = {
            row["id"]: row["billable_time"]
            for row in conn.execute("SELECT id, billable_time FROM time_entries")
        }
    assert rows == {billed: 90, unbilled: 0, moved: 0}


def test_the_demo_has_non_billable_internal_services(tmp_path: Path) -> None:
    from tui.ledger.demo import populate_demo

    db = LedgerDB(tmp_path / "demo.db")
    populate_demo(db)
    with db.transaction() as conn:
        unbilled = {
            name
            for (name,) in conn.execute("SELECT name FROM services WHERE billable = 0").fetchall()
        }
        wrong = conn.execute(
            "SELECT count(*) FROM time_entries JOIN services ON services.id = service_id"
            " WHERE billable_time != CASE WHEN billable THEN time ELSE 0 END"
        ).fetchone()[0]
    assert unbilled == {"General", "Meetings", "Admin"}
    assert wrong == 0


# ------------------------------------------------------------------ the CLI


class Local:
    """The CLI over a ledger profile (the ledger in-process, no server)."""

    def __init__(self, ledger: LedgerDB, tmp_path: Path) -> None:
        self.ledger = ledger
        self.config = tmp_path / "config.toml"
        self.config.write_text(
            tomli_w.dumps(
                {
                    "default_profile": "local",
                    "profiles": {"local": {"backend": "ledger", "path": str(ledger.path)}},
                }
            )
        )
        self.config.chmod(0o600)

    def invoke(self, *args: str) -> Result:
        result = CliRunner().invoke(
            main, ["--config", str(self.config), *args], catch_exceptions=False
        )
        assert "Traceback" not in result.output
        return result

    def json(self, *args: str) -> dict[str, Any]:
        result = self.invoke("report", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def entry(self, day: date, minutes: int, service: int, **more: Any) -> str:
        values = {
            "date": day.isoformat(),
            "time": minutes,
            "person": self.ledger.identity.owner_person_id,
            "service": service,
            **more,
        }
        with self.ledger.transaction(write=True) as conn:
            return str(Entries(conn, self.ledger).create(values))


@pytest.fixture
def local(ledger: LedgerDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Local:
    monkeypatch.delenv("TIMESHEET_PROFILE", raising=False)
    monkeypatch.delenv("TIMESHEET_CONFIG", raising=False)
    return Local(ledger, tmp_path)


def test_report_gives_exact_sums_for_every_by(local: Local, internal: int) -> None:
    today = date.today()
    monday = week_start(today)
    last_monday = monday - timedelta(days=7)
    with local.ledger.transaction(write=True) as conn:
        org = local.ledger.identity.organization_id
        ana = insert_person(conn, org, first_name="Ana", last_name="Lima")
        conn.execute("INSERT INTO tasks (title, service_id) VALUES ('Wireframes', 1)")
        task = conn.execute("SELECT id FROM tasks WHERE title = 'Wireframes'").fetchone()[0]
    local.entry(monday, 90, 1, task=task)
    local.entry(monday, 30, internal)
    local.entry(monday + timedelta(days=1), 60, 1)
    local.entry(last_monday, 120, 1)
    local.entry(monday, 200, 1, person=ana)
    start, end = last_monday.isoformat(), (monday + timedelta(days=6)).isoformat()

    by_day = local.json("--by", "day", "--from", start, "--to", end)
    assert (by_day["from"], by_day["to"], by_day["by"]) == (start, end, "day")
    assert by_day["total_minutes"] == 300
    days = {row["key"]: row["minutes"] for row in by_day["rows"]}
    assert len(days) == 14 and sum(days.values()) == 300
    assert days[monday.isoformat()] == 120 and days[last_monday.isoformat()] == 120
    assert days[(monday + timedelta(days=1)).isoformat()] == 60

    by_week = local.json("--by", "week", "--from", start, "--to", end)
    assert [(r["key"], r["minutes"], r["billable_minutes"]) for r in by_week["rows"]] == [
        (last_monday.isoformat(), 120, 120),
        (monday.isoformat(), 180, 150),
    ]
    assert by_week["rows"][1]["label"] == f"Week of {monday.day} {monday:%b %Y}"

    by_service = local.json("--by", "service", "--from", start, "--to", end)
    assert [
        (r["key"], r["label"], r["minutes"], r["billable_minutes"]) for r in by_service["rows"]
    ] == [
        ("1", "General", 270, 270),
        (str(internal), "Internal", 30, 0),
    ]

    by_task = local.json("--by", "task", "--from", start, "--to", end)
    assert [(r["key"], r["label"], r["minutes"]) for r in by_task["rows"]] == [
        (None, "no task", 210),
        (str(task), "Wireframes", 90),
    ]

    by_person = local.json("--by", "person", "--person", "all", "--from", start, "--to", end)
    me = str(local.ledger.identity.owner_person_id)
    assert [(r["key"], r["minutes"]) for r in by_person["rows"]] == [(me, 300), (str(ana), 200)]
    assert by_person["rows"][1]["label"] == "Ana Lima"
    assert by_person["total_minutes"] == 500
    assert local.json("--by", "person", "--person", str(ana))["total_minutes"] == 200


def test_report_json_follows_the_contract(local: Local) -> None:
    local.entry(date.today(), 45, 1)
    body = local.json()
    assert list(body) == ["from", "to", "by", "total_minutes", "rows"]
    assert body["by"] == "service" and body["total_minutes"] == 45
    assert [list(row) for row in body["rows"]] == [["key", "label", "minutes", "billable_minutes"]]
    monday = week_start(date.today())
    assert (body["from"], body["to"]) == (monday.isoformat(), (monday + timedelta(6)).isoformat())


def test_report_csv_has_the_row_columns(local: Local, internal: int) -> None:
    local.entry(date.today(), 45, 1)
    local.entry(date.today(), 15, internal)
    result = local.invoke("report", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [
        ["key", "label", "minutes", "billable_minutes"],
        ["1", "General", "45", "45"],
        [str(internal), "Internal", "15", "0"],
    ]


def test_report_table_shows_every_row_its_time_and_the_total(local: Local, internal: int) -> None:
    local.entry(date.today(), 45, 1)
    local.entry(date.today(), 15, internal)
    result = local.invoke("report")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["service", "time", "billable"]
    assert lines[1].split() == ["General", "0:45", "100%"]
    assert lines[2].split() == ["Internal", "0:15", "0%"]
    assert lines[-1].startswith("Total 1:00, 75% billable,")
    empty = local.invoke("report", "--from", "2000-01-03")
    assert empty.stdout.startswith("No time logged from 2000-01-03 to 2000-01-09.")


def test_report_refuses_a_bad_by_in_one_sentence(local: Local) -> None:
    result = local.invoke("report", "--by", "project")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
