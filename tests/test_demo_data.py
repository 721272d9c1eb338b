"""The demo ledger: deterministic, complete, consistent; and the large benchmark data set."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tui.ledger.db import LedgerDB, derived_uuid
from tui.ledger.demo import DemoSummary, create_demo_ledger, populate_demo, populate_large
from tui.ledger.entries import MAX_MINUTES, Entries

THURSDAY = date(2025, 3, 13)
MONDAY = date(2025, 3, 10)
TABLES = (
    "people",
    "projects",
    "services",
    "tasks",
    "time_entries",
    "time_entry_approvals",
    "timers",
)


def fixed_clock(day: date, hour: int = 15, minute: int = 30):
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return lambda: moment


def make_demo(path: Path, *, seed: int = 7, today: date = THURSDAY) -> tuple[LedgerDB, DemoSummary]:
    db = LedgerDB(path, clock=fixed_clock(today))
    return db, populate_demo(db, seed=seed, today=today)


def rows(db: LedgerDB, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    return db.connection().execute(sql, args).fetchall()


def dump(db: LedgerDB) -> dict[str, list[tuple[object, ...]]]:
    """Every table without its uuid column: those derive from the random organization id."""
    result = {}
    for table in TABLES:
        table_rows = rows(db, f"SELECT * FROM {table} ORDER BY rowid")
        result[table] = [
            tuple(value for key, value in zip(row.keys(), row, strict=True) if key != "uuid")
            for row in table_rows
        ]
    return result


@pytest.fixture
def demo(tmp_path: Path) -> tuple[LedgerDB, DemoSummary]:
    db, summary = make_demo(tmp_path / "demo.db")
    yield db, summary
    db.close()


# ------------------------------------------------------------------ determinism


def test_same_seed_and_day_give_identical_rows(tmp_path: Path) -> None:
    first, _ = make_demo(tmp_path / "a.db", seed=11)
    second, _ = make_demo(tmp_path / "b.db", seed=11)
    one, two = dump(first), dump(second)
    assert one["time_entries"], "the demo made no entries"
    for table in TABLES:
        assert one[table] == two[table], table


def test_a_different_seed_gives_different_entries(tmp_path: Path) -> None:
    first, _ = make_demo(tmp_path / "a.db", seed=11)
    second, _ = make_demo(tmp_path / "b.db", seed=12)
    assert dump(first)["time_entries"] != dump(second)["time_entries"]


def test_entry_uuids_are_derived_not_random(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    org = db.identity.organization_id
    entries = rows(db, "SELECT id, uuid FROM time_entries")
    assert entries
    assert all(row["uuid"] == derived_uuid("entry", org, row["id"]) for row in entries)


# ------------------------------------------------------------------ team and calendar


def test_the_owner_manages_a_team_of_eight(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, summary = demo
    people = rows(db, "SELECT * FROM people ORDER BY id")
    assert len(people) == summary.people == 8
    assert summary.owner_person_id == db.identity.owner_person_id
    owner = next(p for p in people if p["id"] == summary.owner_person_id)
    assert owner["title"] == "Engineering Manager"
    assert owner["last_name"] and owner["email"].endswith("@example.com")
    assert len({(p["first_name"], p["last_name"]) for p in people}) == 8
    assert all(p["email"] and p["title"] for p in people)


def test_internal_services_belong_to_the_internal_project(
    demo: tuple[LedgerDB, DemoSummary],
) -> None:
    db, summary = demo
    internal = rows(
        db,
        "SELECT s.name FROM services s JOIN projects p ON p.id = s.project_id"
        " WHERE p.name = 'Internal'",
    )
    assert {row["name"] for row in internal} >= {"General", "Meetings", "Admin"}
    assert not rows(db, "SELECT id FROM services WHERE project_id IS NULL")
    assert 3 <= len(rows(db, "SELECT id FROM projects")) <= 4
    assert summary.services == len(rows(db, "SELECT id FROM services"))
    assert summary.tasks == len(rows(db, "SELECT id FROM tasks")) > 0
    assert rows(db, "SELECT id FROM tasks WHERE closed = 1")


@pytest.mark.parametrize("today", [THURSDAY, MONDAY, date(2025, 3, 16)])  # Thu, Mon, Sun
def test_every_weekday_of_the_current_week_is_full(tmp_path: Path, today: date) -> None:
    db, summary = make_demo(tmp_path / "demo.db", today=today)
    people = {row["id"] for row in rows(db, "SELECT id FROM people")}
    monday = today - timedelta(days=today.weekday())
    day = monday
    while day <= today:
        if day.weekday() < 5:
            booked = {
                row["person_id"]
                for row in rows(
                    db,
                    "SELECT person_id FROM time_entries WHERE date = ? AND time > 0",
                    (day.isoformat(),),
                )
            }
            assert booked == people, day
        day += timedelta(days=1)
    assert summary.entries == len(rows(db, "SELECT id FROM time_entries"))


@pytest.mark.parametrize("today", [THURSDAY, MONDAY])
def test_six_weeks_and_nothing_after_today(tmp_path: Path, today: date) -> None:
    db, _ = make_demo(tmp_path / "demo.db", today=today)
    first, last = rows(db, "SELECT min(date), max(date) FROM time_entries")[0]
    monday = today - timedelta(days=today.weekday())
    assert date.fromisoformat(first) == monday - timedelta(weeks=5)
    assert date.fromisoformat(last) == today
    weeks = {
        date.fromisoformat(row["date"]).isocalendar()[:2]
        for row in rows(db, "SELECT DISTINCT date FROM time_entries")
    }
    assert len(weeks) == 6


def test_days_look_like_working_days(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    days = rows(
        db,
        "SELECT person_id, date, count(*) AS n, sum(time) AS minutes FROM time_entries"
        " WHERE time > 0 AND strftime('%w', date) NOT IN ('0', '6')"
        " GROUP BY person_id, date",
    )
    assert all(2 <= day["n"] <= 5 for day in days)
    assert all(5 * 60 <= day["minutes"] <= 9 * 60 for day in days)
    minutes = [row["time"] for row in rows(db, "SELECT time FROM time_entries WHERE time > 0")]
    quarters = sum(m % 15 == 0 for m in minutes)
    assert 0.8 * len(minutes) <= quarters < len(minutes)  # mostly quarters, some odd
    # someone took a day off in the past weeks; some weekend days stay empty
    weekdays = rows(
        db, "SELECT DISTINCT date FROM time_entries WHERE strftime('%w', date) NOT IN ('0', '6')"
    )
    assert len(days) < 8 * len(weekdays)
    weekend = rows(db, "SELECT date FROM time_entries WHERE strftime('%w', date) IN ('0', '6')")
    assert len(weekend) < len(minutes) / 20
    worked = {date.fromisoformat(row["date"]) for row in weekend}
    saturdays = [THURSDAY - timedelta(days=5 + 7 * n) for n in range(5)]
    assert any(s not in worked and s + timedelta(days=1) not in worked for s in saturdays)


def test_notes_are_varied_and_include_tricky_text(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    notes = [row["note"] for row in rows(db, "SELECT note FROM time_entries")]
    texts = [n for n in notes if n]
    assert len(set(texts)) >= 30
    assert None in notes
    assert sum("[bold red]x[/]" in n for n in texts) == 1
    assert any("&" in n for n in texts)
    assert any('"' in n for n in texts)
    assert any("Müller" in n for n in texts)
    assert rows(db, "SELECT id FROM time_entries WHERE task_id IS NOT NULL")
    assert rows(db, "SELECT id FROM time_entries WHERE task_id IS NULL AND time > 0")


# ------------------------------------------------------------------ statuses


def week_of(day: str) -> tuple[int, int]:
    return date.fromisoformat(day).isocalendar()[:2]


def test_every_status_is_present(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    approved = rows(db, "SELECT * FROM time_entries WHERE approved = 1")
    rejected = rows(db, "SELECT * FROM time_entries WHERE rejected = 1 AND approved = 0")
    submitted = rows(
        db, "SELECT * FROM time_entries WHERE submitted = 1 AND approved = 0 AND rejected = 0"
    )
    draft = rows(db, "SELECT * FROM time_entries WHERE submitted = 0")
    assert approved and rejected and submitted and draft
    assert all(r["rejected_reason"] and r["rejected_at"] for r in rejected)
    owner = db.identity.owner_person_id
    assert all(r["approver_id"] == owner and r["approved_at"] for r in approved)
    approvals = {
        row["time_entry_id"]: row["n"]
        for row in rows(
            db, "SELECT time_entry_id, count(*) AS n FROM time_entry_approvals GROUP BY 1"
        )
    }
    assert all(approvals.get(r["id"]) == r["approvers_needed"] for r in approved)
    invoiced = rows(db, "SELECT * FROM time_entries WHERE invoiced = 1")
    oldest = min(week_of(r["date"]) for r in rows(db, "SELECT date FROM time_entries"))
    assert 1 <= len(invoiced) <= 2
    assert all(r["approved"] and week_of(r["date"]) == oldest for r in invoiced)


@pytest.mark.parametrize(("seed", "today"), [(7, THURSDAY), (1, MONDAY), (2, MONDAY)])
def test_a_persons_day_is_submitted_whole_with_its_timesheet_or_not_at_all(
    tmp_path: Path, seed: int, today: date
) -> None:
    db, summary = make_demo(tmp_path / "demo.db", seed=seed, today=today)
    days = rows(
        db,
        "SELECT person_id, date, min(submitted) AS all_submitted,"
        " max(submitted) AS any_submitted FROM time_entries GROUP BY person_id, date",
    )
    sheets = {(r["person_id"], r["date"]) for r in rows(db, "SELECT * FROM timesheets")}
    submitted = {(r["person_id"], r["date"]) for r in days if r["all_submitted"]}
    assert sheets == submitted
    assert all(r["all_submitted"] == r["any_submitted"] for r in days)  # never part of a day
    assert (summary.owner_person_id, today.isoformat()) not in sheets  # the timer's day
    db.close()


def test_the_demo_has_many_submitted_days(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    sheets = rows(db, "SELECT * FROM timesheets")
    assert len(sheets) > 100  # most of the past weeks' days: the approvals show 4/5, 5/5


def test_status_mix_follows_the_age_of_the_week(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    by_week: dict[tuple[int, int], list[sqlite3.Row]] = {}
    for row in rows(db, "SELECT * FROM time_entries"):
        by_week.setdefault(week_of(row["date"]), []).append(row)
    weeks = sorted(by_week)
    current, last, older = by_week[weeks[-1]], by_week[weeks[-2]], weeks[:-2]

    def share(entries: list[sqlite3.Row], test) -> float:
        return sum(1 for e in entries if test(e)) / len(entries)

    for week in older:
        assert share(by_week[week], lambda e: e["approved"]) > 0.7
    pending = lambda e: e["submitted"] and not e["approved"] and not e["rejected"]  # noqa: E731
    assert share(last, pending) > 0.5
    assert share(last, lambda e: e["approved"]) > 0
    assert share(current, lambda e: not e["submitted"]) > 0.7
    assert share(current, lambda e: e["submitted"] and e["approvers_needed"] == 1) > 0
    assert not any(e["approved"] for e in current)


def test_some_entries_wait_for_a_second_approver(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    waiting = rows(
        db,
        "SELECT e.*, count(a.person_id) AS given FROM time_entries e"
        " JOIN time_entry_approvals a ON a.time_entry_id = e.id"
        " WHERE e.approvers_needed = 2 AND e.approved = 0 AND e.submitted = 1 GROUP BY e.id",
    )
    weeks = sorted({week_of(r["date"]) for r in rows(db, "SELECT date FROM time_entries")})
    assert {week_of(r["date"]) for r in waiting} >= {weeks[-1], weeks[-2]}
    assert all(r["given"] == 1 for r in waiting)
    owner = db.identity.owner_person_id
    approvers = {
        row["person_id"]
        for row in rows(
            db,
            "SELECT a.person_id FROM time_entry_approvals a JOIN time_entries e"
            " ON e.id = a.time_entry_id WHERE e.approved = 0",
        )
    }
    assert approvers - {owner}, "no approval by another person"


@pytest.mark.parametrize(("seed", "today"), [(7, THURSDAY), (1, MONDAY), (2, MONDAY)])
@pytest.mark.parametrize("week_back", [0, 1])  # the current week, last week
def test_a_bulk_approve_by_the_owner_leaves_some_unapproved(
    tmp_path: Path, seed: int, today: date, week_back: int
) -> None:
    db, _ = make_demo(tmp_path / "demo.db", seed=seed, today=today)
    week = (today - timedelta(weeks=week_back)).isocalendar()[:2]
    pending = [
        r["id"]
        for r in rows(
            db,
            "SELECT id, date FROM time_entries WHERE submitted = 1 AND approved = 0"
            " AND rejected = 0",
        )
        if week_of(r["date"]) == week
    ]
    with db.transaction(write=True) as conn:
        entries = Entries(conn, db)
        for entry_id in pending:
            entries.approve(entry_id)
    left = [
        r["id"]
        for r in rows(
            db, "SELECT id FROM time_entries WHERE approved = 0 AND submitted = 1 AND rejected = 0"
        )
        if r["id"] in pending
    ]
    assert left
    assert len(left) < len(pending)
    with db.transaction(write=True) as conn:
        entries = Entries(conn, db)
        for entry_id in left:
            entries.approve(entry_id, for_all_approvers=True)
    assert all(
        row["approved"]
        for row in rows(
            db, f"SELECT approved FROM time_entries WHERE id IN ({','.join(map(str, left))})"
        )
    )


# ------------------------------------------------------------------ integrity


def test_one_running_timer_for_the_owner(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, summary = demo
    running = rows(db, "SELECT * FROM timers WHERE stopped_at IS NULL")
    assert len(running) == 1
    timer = running[0]
    assert timer["id"] == summary.running_timer_id
    assert timer["person_id"] == db.identity.owner_person_id
    entry = rows(db, "SELECT * FROM time_entries WHERE id = ?", (timer["time_entry_id"],))[0]
    assert entry["date"] == THURSDAY.isoformat()
    assert entry["time"] == 0 and entry["track_method_id"] == 2
    assert entry["timer_started_at"] == timer["started_at"]
    started = datetime.fromisoformat(timer["started_at"])
    assert db.clock() - started == timedelta(hours=1, minutes=12)
    with db.transaction() as conn:  # the ledger's own rules see it too
        assert Entries(conn, db).running_timer(db.identity.owner_person_id)["id"] == timer["id"]


def test_entries_reference_existing_rows(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    assert not rows(db, "PRAGMA foreign_key_check")
    orphans = rows(
        db,
        "SELECT e.id FROM time_entries e"
        " LEFT JOIN people p ON p.id = e.person_id"
        " LEFT JOIN services s ON s.id = e.service_id"
        " LEFT JOIN tasks t ON t.id = e.task_id"
        " WHERE p.id IS NULL OR s.id IS NULL OR (e.task_id IS NOT NULL AND t.id IS NULL)",
    )
    assert not orphans
    mismatched = rows(
        db,
        "SELECT e.id FROM time_entries e JOIN tasks t ON t.id = e.task_id"
        " WHERE t.service_id != e.service_id",
    )
    assert not mismatched


def test_minutes_are_in_range(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, summary = demo
    timer_entry = rows(
        db, "SELECT time_entry_id FROM timers WHERE id = ?", (summary.running_timer_id,)
    )[0][0]
    for row in rows(db, "SELECT id, time, billable_time FROM time_entries"):
        if row["id"] == timer_entry:
            assert row["time"] == 0
        else:
            assert 1 <= row["time"] <= MAX_MINUTES, row["id"]
        assert 0 <= row["billable_time"] <= row["time"]


def test_timestamps_are_consistent(demo: tuple[LedgerDB, DemoSummary]) -> None:
    db, _ = demo
    now = db.now()
    for row in rows(db, "SELECT * FROM time_entries"):
        created = datetime.fromisoformat(row["created_at"])
        assert created.astimezone().date().isoformat() >= row["date"]
        assert row["created_at"] <= row["updated_at"] == row["last_activity_at"] <= now
        for column in ("approved_at", "rejected_at"):
            if row[column]:
                assert row["created_at"] <= row[column] <= row["updated_at"]
        assert datetime.fromisoformat(row["created_at"]).utcoffset() == timedelta(0)
    for row in rows(db, "SELECT * FROM time_entry_approvals"):
        assert row["approved_at"] <= now
    stopped = rows(db, "SELECT * FROM timers WHERE stopped_at IS NOT NULL")
    assert all(t["started_at"] < t["stopped_at"] <= now for t in stopped)


def test_populate_demo_refuses_a_ledger_with_entries(
    demo: tuple[LedgerDB, DemoSummary],
) -> None:
    db, _ = demo
    with pytest.raises(ValueError):
        populate_demo(db)


def test_create_demo_ledger_fills_once(tmp_path: Path) -> None:
    clock = fixed_clock(THURSDAY)
    db = create_demo_ledger(tmp_path / "demo.db", seed=3, clock=clock)
    count = len(rows(db, "SELECT id FROM time_entries"))
    assert count > 500
    assert db.clock is clock
    db.close()
    again = create_demo_ledger(tmp_path / "demo.db", seed=3, clock=clock)
    assert len(rows(again, "SELECT id FROM time_entries")) == count
    again.close()


# ------------------------------------------------------------------ large


def test_populate_large_inserts_the_requested_entries(tmp_path: Path) -> None:
    db = LedgerDB(tmp_path / "large.db", clock=fixed_clock(THURSDAY))
    assert populate_large(db, entries=5000, today=THURSDAY) == 5000
    assert len(rows(db, "SELECT id FROM time_entries")) == 5000
    assert len(rows(db, "SELECT id FROM people")) >= 20
    assert not rows(db, "PRAGMA foreign_key_check")
    first, last = rows(db, "SELECT min(date), max(date) FROM time_entries")[0]
    assert last <= THURSDAY.isoformat()
    assert date.fromisoformat(first) < THURSDAY - timedelta(days=600)
    flags = rows(
        db,
        "SELECT sum(approved), sum(rejected), sum(submitted = 0),"
        " sum(submitted AND NOT approved AND NOT rejected) FROM time_entries",
    )[0]
    assert all(flags[i] > 0 for i in range(4))
    org = db.identity.organization_id
    sample = rows(db, "SELECT id, uuid FROM time_entries ORDER BY id LIMIT 50")
    assert all(r["uuid"] == derived_uuid("entry", org, r["id"]) for r in sample)
    # a second run adds entries but no more people
    people = len(rows(db, "SELECT id FROM people"))
    assert populate_large(db, entries=100, seed=2, today=THURSDAY) == 100
    assert len(rows(db, "SELECT id FROM people")) == people
    assert len(rows(db, "SELECT id FROM time_entries")) == 5100
    db.close()


def test_populate_large_after_the_demo(tmp_path: Path) -> None:
    db, summary = make_demo(tmp_path / "demo.db")
    assert populate_large(db, entries=1000, today=THURSDAY) == 1000
    assert len(rows(db, "SELECT id FROM time_entries")) == summary.entries + 1000
    assert len(rows(db, "SELECT id FROM timers WHERE stopped_at IS NULL")) == 1
    db.close()


def test_every_service_belongs_to_a_deal_of_its_project(
    demo: tuple[LedgerDB, DemoSummary],
) -> None:
    db, _ = demo
    services = rows(
        db,
        "SELECT s.name, s.project_id, d.project_id AS deal_project FROM services s"
        " LEFT JOIN deals d ON d.id = s.deal_id",
    )
    assert services and all(s["deal_project"] == s["project_id"] is not None for s in services)


@pytest.mark.anyio
async def test_services_of_one_name_read_apart_by_project_and_deal_in_the_demo(
    demo: tuple[LedgerDB, DemoSummary],
) -> None:
    from tui.api.productive import ProductiveAdapter
    from tui.store.present import service_name

    db, _ = demo
    async with ProductiveAdapter.for_ledger(db) as adapter:
        services = {s.id: s for s in await adapter.services()}
    designs = [service_name(services, i) for i, s in services.items() if s.name == "Design"]
    assert len(designs) >= 3 and len(set(designs)) == len(designs)
    assert "Design (Acme Corp › Webshop relaunch)" in designs
    assert "Design (Acme Corp › Brand refresh)" in designs  # one project, two deals
    assert all(s.project_name and s.deal_name for s in services.values())
    # Someone books time on each of them, so the distinction shows in the demo's weeks.
    booked = {
        str(r["service_id"]) for r in rows(db, "SELECT DISTINCT service_id FROM time_entries")
    }
    assert {i for i, s in services.items() if s.name == "Design"} <= booked
