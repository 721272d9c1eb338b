"""Demo and benchmark data for the local ledger.

`populate_demo` turns a freshly created ledger into a small, realistic team: eight people
(the owner becomes their manager), a few client projects and the internal one, and six ISO
weeks of entries in every state the app must show: draft, submitted, approved, rejected,
invoiced, entries that need a second approver, and one running timer. Everything is
deterministic from `seed` and dated relative to `today`, so screenshots and tests can rely
on it. `populate_large` adds a big, plainer data set for benchmarks.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from tui.ledger.db import (
    _UUID_NAMESPACE,
    DEFAULT_SERVICES,
    Clock,
    LedgerDB,
    derived_uuid,
    insert_deal,
    insert_person,
    insert_project,
    insert_service,
    insert_task,
    timestamp,
    utc_now,
)

__all__ = [
    "DemoSummary",
    "create_demo_ledger",
    "fill_if_empty",
    "populate_demo",
    "populate_large",
]

WEEKS = 6  # the current ISO week and the five before it
TIMER_RUNNING_FOR = timedelta(hours=1, minutes=12)
EMAIL_DOMAIN = "example.com"
LOAD_EMAIL_DOMAIN = "load.example.com"
LOAD_PROJECT = "Load test"

ENTRY_COLUMNS = (
    "id",
    "uuid",
    "date",
    "time",
    "billable_time",
    "note",
    "person_id",
    "service_id",
    "task_id",
    "creator_id",
    "approver_id",
    "approvers_needed",
    "approved",
    "approved_at",
    "rejected",
    "rejected_reason",
    "rejected_at",
    "submitted",
    "invoiced",
    "track_method_id",
    "started_at",
    "timer_started_at",
    "timer_stopped_at",
    "created_at",
    "updated_at",
    "last_activity_at",
)
_INSERT_ENTRY = (
    f"INSERT INTO time_entries ({', '.join(ENTRY_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})"
)
_INSERT_APPROVAL = (
    "INSERT INTO time_entry_approvals (time_entry_id, person_id, approved_at) VALUES (?, ?, ?)"
)
_INSERT_TIMESHEET = (
    "INSERT INTO timesheets (person_id, date, creator_id, created_at) VALUES (?, ?, ?, ?)"
)
_INSERT_TIMER = (
    "INSERT INTO timers (person_id, time_entry_id, started_at, stopped_at, total_time)"
    " VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class DemoSummary:
    """What the ledger holds after `populate_demo` (totals, not just what was added)."""

    people: int
    services: int
    tasks: int
    entries: int
    owner_person_id: int
    running_timer_id: int


# --------------------------------------------------------------------------- the team

# (first name, last name, email local part, title, role); the first row is the owner.
_TEAM = (
    ("Sofia", "Marchetti", "sofia.marchetti", "Engineering Manager", "manager"),
    ("Priya", "Raman", "priya.raman", "Tech Lead", "lead"),
    ("Jonas", "Müller", "jonas.mueller", "Senior Developer", "backend"),
    ("Daniel", "O'Connor", "daniel.oconnor", "Developer", "mobile"),
    ("Amélie", "Laurent", "amelie.laurent", "Product Designer", "design"),
    ("Kwame", "Mensah", "kwame.mensah", "QA Engineer", "qa"),
    ("Lucía", "Fernández", "lucia.fernandez", "Project Manager", "pm"),
    ("Tomasz", "Nowak", "tomasz.nowak", "Frontend Developer", "frontend"),
)

# Client deals: key, project, deal, {service: [(task, closed), ...]}. As in Productive a
# service belongs to a deal, a deal to a project; several services share a name ("Design",
# "Development"), even within one project, and are told apart by project and deal.
_PROJECTS: tuple[tuple[str, str, str, dict[str, list[tuple[str, bool]]]], ...] = (
    (
        "acme",
        "Acme Corp",
        "Webshop relaunch",
        {
            "Design": [
                ("Checkout wireframes", False),
                ("Design tokens", False),
                ("Product page mockups", True),
            ],
            "Development": [
                ("Cart API", False),
                ("Search indexing", False),
                ("Payment provider integration", False),
                ("Legacy URL redirects", True),
            ],
            "QA": [("Checkout regression suite", False), ("Cross-browser testing", False)],
            "Project management": [("Sprint planning", False), ("Client reporting", False)],
        },
    ),
    (
        "bergmann",
        "Bergmann & Söhne",
        "Field service app",
        {
            "Design": [("Onboarding screens", False), ("Offline mode UX", True)],
            "Development": [
                ("Offline sync", False),
                ("Push notifications", False),
                ("Work order forms", False),
            ],
            "QA": [("Android device matrix", False), ("Release 1.2 acceptance", True)],
        },
    ),
    (
        "library",
        "City Library",
        "Support retainer",
        {
            "Support": [
                ("Ticket backlog", False),
                ("Catalogue import issues", False),
                ("Monthly maintenance", False),
            ],
            "Development": [("Export to CSV", False), ("Search performance", False)],
        },
    ),
    (
        "acme-brand",
        "Acme Corp",
        "Brand refresh",
        {"Design": [("Logo variants", False), ("Style guide", False)]},
    ),
)
_INTERNAL = "Internal"
_INTERNAL_DEAL = "Overhead"

# Which services each role books time on, with weights.
_ROLE_SERVICES: dict[str, dict[tuple[str, str], int]] = {
    "manager": {
        ("internal", "Meetings"): 4,
        ("internal", "Admin"): 3,
        ("acme", "Project management"): 3,
        ("internal", "General"): 1,
        ("acme", "Development"): 1,
    },
    "lead": {
        ("acme", "Development"): 4,
        ("bergmann", "Development"): 2,
        ("internal", "Meetings"): 2,
        ("library", "Development"): 1,
        ("acme", "QA"): 1,
    },
    "backend": {
        ("acme", "Development"): 4,
        ("library", "Support"): 2,
        ("library", "Development"): 2,
        ("internal", "Meetings"): 1,
    },
    "mobile": {
        ("bergmann", "Development"): 5,
        ("acme", "Development"): 2,
        ("internal", "Meetings"): 1,
        ("internal", "General"): 1,
    },
    "design": {
        ("acme", "Design"): 4,
        ("bergmann", "Design"): 4,
        ("acme-brand", "Design"): 2,
        ("internal", "Meetings"): 1,
    },
    "qa": {
        ("acme", "QA"): 4,
        ("bergmann", "QA"): 3,
        ("library", "Support"): 1,
        ("internal", "Meetings"): 1,
    },
    "pm": {
        ("acme", "Project management"): 4,
        ("internal", "Meetings"): 3,
        ("internal", "Admin"): 1,
        ("library", "Support"): 1,
    },
    "frontend": {
        ("acme", "Development"): 4,
        ("bergmann", "Development"): 2,
        ("acme", "Design"): 1,
        ("internal", "Meetings"): 1,
    },
}

_NOTES: dict[str, tuple[str, ...]] = {
    "Design": (
        "Wireframes for the checkout flow",
        "Iterated on the icon set",
        "Design review with the client",
        "Updated Figma components",
        "Accessibility pass: colour contrast & focus states",
        "Empty states and error pages",
        "Handoff notes for developers",
    ),
    "Development": (
        "Implemented cart API pagination",
        "Code review",
        "Refactored auth middleware",
        "Fixed flaky CI job",
        "Pairing on search indexing",
        "Bugfix: totals rounding (€ vs. cents)",
        "Migrated settings to the new schema",
        "Investigated memory leak in the sync worker",
        "Wrote integration tests",
        "Dependency upgrades",
        "Performance profiling of the product list",
    ),
    "QA": (
        "Regression test run",
        "Wrote test cases for checkout",
        "Verified fixes from last sprint",
        "Exploratory testing on Android",
        "Bug bash with the team",
        "Test data cleanup",
    ),
    "Project management": (
        "Sprint planning",
        "Status report for the client",
        "Backlog grooming",
        "Budget check & forecast",
        "Steering committee prep",
        "Updated the roadmap",
    ),
    "Support": (
        "Ticket triage",
        "Investigated slow search reports",
        "Helped the librarians with an export",
        "On-call handover",
        "Patched the catalogue importer",
        "Answered user e-mails",
    ),
    "General": (
        "Internal tooling",
        "Reading up on SQLite WAL mode",
        "Onboarding docs",
        "Knowledge sharing session",
        "Set up the new laptop",
    ),
    "Meetings": (
        "Weekly sync",
        "1:1",
        "Sprint retro",
        "All-hands",
        "Architecture discussion",
        "Planning poker",
    ),
    "Admin": (
        "Expense reports",
        "Timesheet cleanup",
        "Recruiting: interview",
        "Hardware order",
        "Performance reviews",
        "Vendor contracts",
    ),
}
_STANDUP = "Daily stand-up"
# Notes that exercise escaping and rendering; each is given to at least one entry.
_SPECIAL_NOTES = (
    'Call with Mr. Müller re: "phase 2" scope & budget',
    "Fixed encoding of 'Straße' and naïve café names",
    'Tom & Jerry style race condition in the "sync" worker',
    "Ünïcödé test: 日本語, emoji ☕, and <angle brackets>",
    "A long note: went through the whole backlog with the client, agreed on priorities for "
    "the next two sprints, moved the reporting work to Q3 and wrote up the decisions in the "
    "wiki so the rest of the team can follow along.",
)
_MARKUP_NOTE = "Checked that [bold red]x[/] in notes renders literally"  # exactly one entry
_REJECT_REASONS = (
    "Please add a task.",
    "Wrong project – this was Bergmann work.",
    "Time looks too high, please split it up.",
    "Missing note.",
    "Duplicate of Tuesday's entry?",
    'Please book this on "Support", not "Development".',
)
_TIMER_NOTE = "Preparing the quarterly planning & staffing overview"


@dataclass
class _Entry:
    """One demo entry while it is being made up."""

    id: int
    day: date
    week: int  # 0 = oldest, WEEKS - 1 = current
    person: int
    service: int
    task: int | None
    minutes: int
    billable: bool
    note: str | None
    created: datetime
    status: str = "draft"  # draft | submitted | approved | rejected
    approvers_needed: int = 1
    partial_approver: int | None = None  # the one approval of a 2-approver entry so far
    rejected_reason: str | None = None
    invoiced: bool = False
    timer: bool = False  # tracked with a (stopped) timer
    approvals: list[tuple[int, datetime]] = field(default_factory=list)


def _local(day: date, minute_of_day: float) -> datetime:
    """A local wall-clock time on `day` as an aware datetime."""
    return (datetime.combine(day, time()) + timedelta(minutes=minute_of_day)).astimezone()


def _split(rng: random.Random, units: int, parts: int, minimum: int = 2) -> list[int]:
    """`units` quarter hours split into `parts` chunks of at least `minimum` each."""
    result = [minimum] * parts
    weights = [rng.uniform(0.5, 3.0) for _ in range(parts)]
    for index in rng.choices(range(parts), weights=weights, k=max(0, units - minimum * parts)):
        result[index] += 1
    return result


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _next_entry_id(conn: sqlite3.Connection) -> int:
    """Ids are given explicitly (approvals refer to them); continue after any ever used."""
    highest = conn.execute("SELECT coalesce(max(id), 0) FROM time_entries").fetchone()[0]
    seq = conn.execute(
        "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'time_entries'"
    ).fetchone()[0]
    return max(int(highest), int(seq)) + 1


# --------------------------------------------------------------------------- the demo


def populate_demo(db: LedgerDB, *, seed: int = 7, today: date | None = None) -> DemoSummary:
    """Fill a freshly created ledger with a team and six weeks of entries (see module doc).

    Raises ValueError if the ledger already holds entries.
    """
    rng = random.Random(seed)
    now = db.clock()
    if now.tzinfo is None:
        now = now.astimezone()
    today = today or now.astimezone().date()
    org = db.identity.organization_id
    owner = db.identity.owner_person_id

    def clamp(moment: datetime) -> datetime:
        return min(moment, now)

    with db.transaction(write=True) as conn:
        if _count(conn, "time_entries"):
            raise ValueError("populate_demo needs a ledger without entries")

        # People: the owner becomes the manager, seven more join.
        first, last, mail, title, role = _TEAM[0]
        conn.execute(
            "UPDATE people SET first_name = ?, last_name = ?, email = ?, title = ? WHERE id = ?",
            (first, last, f"{mail}@{EMAIL_DOMAIN}", title, owner),
        )
        people: list[tuple[int, str]] = [(owner, role)]
        for first, last, mail, title, role in _TEAM[1:]:
            person_id = insert_person(
                conn,
                org,
                first_name=first,
                last_name=last,
                email=f"{mail}@{EMAIL_DOMAIN}",
                title=title,
            )
            people.append((person_id, role))
        by_role = {role: person_id for person_id, role in people}
        second_approver = by_role["lead"]

        # Projects, services and tasks.
        services: dict[tuple[str, str], int] = {}
        tasks: dict[int, list[tuple[int, bool]]] = {}
        projects: dict[str, int] = {}
        for key, project, deal, service_tasks in _PROJECTS:
            if project not in projects:
                projects[project] = insert_project(conn, name=project)
            deal_id = insert_deal(conn, name=deal, project_id=projects[project])
            for service_name, task_list in service_tasks.items():
                service_id = insert_service(conn, org, name=service_name, deal_id=deal_id)
                services[(key, service_name)] = service_id
                tasks[service_id] = [
                    (insert_task(conn, title=title, service_id=service_id, closed=closed), closed)
                    for title, closed in task_list
                ]
        internal_id = insert_project(conn, name=_INTERNAL)
        internal_deal = insert_deal(conn, name=_INTERNAL_DEAL, project_id=internal_id)
        for name in DEFAULT_SERVICES:
            row = conn.execute(
                "SELECT id FROM services WHERE name = ? AND project_id IS NULL ORDER BY id",
                (name,),
            ).fetchone()
            if row is None:
                service_id = insert_service(
                    conn, org, name=name, deal_id=internal_deal, billable=False
                )
            else:
                service_id = int(row[0])
                conn.execute(
                    "UPDATE services SET project_id = ?, deal_id = ?, billable = 0 WHERE id = ?",
                    (internal_id, internal_deal, service_id),
                )
            services[("internal", name)] = service_id
        internal_services = {services[("internal", name)] for name in DEFAULT_SERVICES}
        service_names = {service_id: name for (_, name), service_id in services.items()}

        # Entries.
        this_monday = today - timedelta(days=today.weekday())
        first_monday = this_monday - timedelta(weeks=WEEKS - 1)
        days = [first_monday + timedelta(days=n) for n in range((today - first_monday).days + 1)]
        past_weekdays = [d for d in days if d < this_monday and d.weekday() < 5]
        days_off = {
            (person_id, rng.choice(past_weekdays)) for person_id, _ in rng.sample(people, 3)
        }
        # Weekends: nobody works on the quiet ones (at least one), a few people on the rest.
        quiet_weeks = {week for week in range(WEEKS) if rng.random() < 0.4}
        quiet_weeks.add(rng.randrange(WEEKS - 1))
        next_id = _next_entry_id(conn)
        entries: list[_Entry] = []

        def pick_task(service_id: int, week: int) -> int | None:
            options = [t for t, closed in tasks.get(service_id, []) if week < 3 or not closed]
            if not options or rng.random() < 0.35:
                return None
            return rng.choice(options)

        def pick_note(service_id: int) -> str | None:
            roll = rng.random()
            if roll < 0.07:
                return None
            if roll < 0.09:
                return rng.choice(_SPECIAL_NOTES)
            return rng.choice(_NOTES[service_names[service_id]])

        for day in days:
            week = (day - first_monday).days // 7
            for person_id, role in people:
                if (person_id, day) in days_off:
                    continue
                weights = _ROLE_SERVICES[role]
                keys = list(weights)
                if day.weekday() >= 5:  # weekends: mostly empty
                    if week in quiet_weeks or rng.random() >= 0.1:
                        continue
                    plan: list[tuple[int, int, str | None]] = [
                        (
                            services[rng.choices(keys, weights=list(weights.values()))[0]],
                            15 * rng.randint(2, 12),
                            None,
                        )
                    ]
                else:
                    count = rng.randint(2, 4)
                    units = rng.randint(24, 34)  # 6 h .. 8.5 h
                    plan = []
                    if count >= 3 and rng.random() < 0.5:
                        plan.append((services[("internal", "Meetings")], 15, _STANDUP))
                        parts = _split(rng, units - 1, count - 1)
                    else:
                        parts = _split(rng, units, count)
                    chosen = rng.choices(keys, weights=list(weights.values()), k=len(parts))
                    plan += [
                        (services[key], 15 * part, None)
                        for key, part in zip(chosen, parts, strict=True)
                    ]
                clock_minute = 8 * 60 + rng.randint(30, 75)
                for service_id, minutes, note in plan:
                    if minutes > 15 and rng.random() < 0.08:  # some odd minutes
                        minutes = max(1, minutes + rng.choice((-1, 1)) * rng.randint(1, 7))
                    clock_minute += minutes
                    if rng.random() < 0.1:  # logged the next morning
                        created = _local(day + timedelta(days=1), 9 * 60 + rng.uniform(0, 60))
                    else:
                        created = _local(day, clock_minute + rng.uniform(1, 20))
                    entries.append(
                        _Entry(
                            id=next_id,
                            day=day,
                            week=week,
                            person=person_id,
                            service=service_id,
                            task=pick_task(service_id, week),
                            minutes=minutes,
                            billable=service_id not in internal_services,
                            note=note if note is not None else pick_note(service_id),
                            created=clamp(created),
                        )
                    )
                    next_id += 1

        # Statuses, by the age of the week.
        for entry in entries:
            roll = rng.random()
            if entry.week <= WEEKS - 3:
                entry.status = (
                    "approved"
                    if roll < 0.89
                    else "rejected"
                    if roll < 0.94
                    else "submitted"
                    if roll < 0.97
                    else "draft"
                )
            elif entry.week == WEEKS - 2:
                entry.status = (
                    "approved"
                    if roll < 0.2
                    else "rejected"
                    if roll < 0.25
                    else "submitted"
                    if roll < 0.97
                    else "draft"
                )
            else:
                entry.status = "submitted" if roll < 0.15 else "draft"
            if entry.status in ("approved", "submitted") and rng.random() < 0.05:
                entry.approvers_needed = 2
                if entry.status == "submitted":  # one approval given so far
                    entry.partial_approver = (
                        owner
                        if entry.person != owner and rng.random() < 0.5
                        else _other_approver(entry.person, second_approver, by_role["pm"])
                    )
            if entry.status == "rejected":
                entry.rejected_reason = rng.choice(_REJECT_REASONS)

        # Guarantees, whatever the seed: entries that wait for a second approver in the
        # last two weeks, both with another person's approval (the owner's approval then
        # completes them) and with the owner's own (a bulk approve by the owner leaves
        # these unapproved), rejected ones, invoiced ones and every special note.
        for week, each in ((WEEKS - 2, 2), (WEEKS - 1, 1)):
            in_week = [e for e in entries if e.week == week]
            for approver in (second_approver, owner):
                waiting = [
                    e
                    for e in in_week
                    if e.status == "submitted"
                    and e.approvers_needed == 2
                    and e.partial_approver == approver
                ]
                candidates = [
                    e
                    for e in in_week
                    if e.status in ("draft", "submitted")
                    and e.approvers_needed == 1
                    and e.person != approver
                ]
                for entry in rng.sample(
                    candidates, max(0, min(each - len(waiting), len(candidates)))
                ):
                    entry.status, entry.approvers_needed = "submitted", 2
                    entry.partial_approver = approver
        old = [e for e in entries if e.week <= WEEKS - 3]
        if not any(e.status == "rejected" for e in old):
            victim = rng.choice([e for e in old if e.status == "approved"])
            victim.status, victim.approvers_needed = "rejected", 1
            victim.rejected_reason = rng.choice(_REJECT_REASONS)
        oldest_approved = [e for e in entries if e.week == 0 and e.status == "approved"]
        for entry in rng.sample(oldest_approved, min(rng.randint(1, 2), len(oldest_approved))):
            entry.invoiced = True
        noted = {e.note for e in entries}
        plain = [e for e in entries if e.note not in _SPECIAL_NOTES and e.note != _STANDUP]
        for note in (*[n for n in _SPECIAL_NOTES if n not in noted], _MARKUP_NOTE):
            entry = rng.choice(plain)
            plain.remove(entry)
            entry.note = note
        for entry in entries:  # a few past entries in the recent weeks were timed
            same_day = entry.created.astimezone().date() == entry.day
            if entry.week >= WEEKS - 2 and entry.day < today and same_day and rng.random() < 0.1:
                entry.timer = True

        _whole_days(entries, open_day=(owner, today))

        # Rows.
        entry_rows: list[tuple[object, ...]] = []
        approval_rows: list[tuple[int, int, str]] = []
        timer_rows: list[tuple[object, ...]] = []
        submitted_days: dict[tuple[int, date], datetime] = {}
        """Per person and day submitted (whole, `_whole_days`): when it was submitted."""
        for entry in entries:
            week_monday = first_monday + timedelta(weeks=entry.week)
            created = entry.created
            updated = created
            approver_id = approved_at = rejected_at = None
            if entry.status != "draft":
                friday = _local(week_monday + timedelta(days=4), 16 * 60 + rng.uniform(0, 120))
                submitted_at = clamp(max(friday, created + timedelta(minutes=rng.uniform(2, 30))))
                updated = submitted_at
                day_key = (entry.person, entry.day)
                submitted_days[day_key] = min(
                    submitted_days.get(day_key, submitted_at), submitted_at
                )
                decided = clamp(
                    max(
                        _local(week_monday + timedelta(days=7), 9 * 60 + rng.uniform(0, 180)),
                        submitted_at + timedelta(minutes=5),
                    )
                )
                if entry.status == "approved":
                    approver_id, approved_at, updated = owner, decided, decided
                    if entry.approvers_needed == 2:
                        other = _other_approver(entry.person, second_approver, by_role["pm"])
                        first_ok = submitted_at + (decided - submitted_at) / 2
                        approval_rows.append((entry.id, other, timestamp(first_ok)))
                    approval_rows.append((entry.id, owner, timestamp(decided)))
                    if entry.invoiced:
                        updated = clamp(decided + timedelta(days=2, hours=rng.uniform(0, 6)))
                elif entry.status == "rejected":
                    rejected_at, updated = decided, decided
                elif entry.partial_approver is not None:
                    given = clamp(submitted_at + timedelta(hours=rng.uniform(0.5, 20)))
                    approver_id, updated = entry.partial_approver, given
                    approval_rows.append((entry.id, entry.partial_approver, timestamp(given)))
            timer_started = timer_stopped = None
            if entry.timer:
                timer_stopped = created - timedelta(minutes=rng.uniform(0.2, 2))
                timer_started = timer_stopped - timedelta(minutes=entry.minutes)
                timer_rows.append(
                    (
                        entry.person,
                        entry.id,
                        timestamp(timer_started),
                        timestamp(timer_stopped),
                        entry.minutes,
                    )
                )
            stamp = timestamp(updated)
            entry_rows.append(
                (
                    entry.id,
                    derived_uuid("entry", org, entry.id),
                    entry.day.isoformat(),
                    entry.minutes,
                    entry.minutes if entry.billable else 0,
                    entry.note,
                    entry.person,
                    entry.service,
                    entry.task,
                    entry.person,
                    approver_id,
                    entry.approvers_needed,
                    int(entry.status == "approved"),
                    timestamp(approved_at) if approved_at else None,
                    int(entry.status == "rejected"),
                    entry.rejected_reason,
                    timestamp(rejected_at) if rejected_at else None,
                    int(entry.status != "draft"),
                    int(entry.invoiced),
                    2 if entry.timer else 1,
                    timestamp(timer_started) if timer_started else None,
                    timestamp(timer_started) if timer_started else None,
                    timestamp(timer_stopped) if timer_stopped else None,
                    timestamp(created),
                    stamp,
                    stamp,
                )
            )

        # The owner's running timer, on a fresh entry of today.
        started = timestamp(now - TIMER_RUNNING_FOR)
        timer_entry_id = next_id
        entry_rows.append(
            (
                timer_entry_id,
                derived_uuid("entry", org, timer_entry_id),
                today.isoformat(),
                0,
                0,
                _TIMER_NOTE,
                owner,
                services[("acme", "Project management")],
                None,
                owner,
                None,
                1,
                0,
                None,
                0,
                None,
                None,
                0,
                0,
                2,
                started,
                started,
                None,
                started,
                started,
                started,
            )
        )

        conn.executemany(_INSERT_ENTRY, entry_rows)
        conn.executemany(_INSERT_APPROVAL, approval_rows)
        conn.executemany(_INSERT_TIMER, timer_rows)
        # A day whose entries were all submitted has its timesheet, as on Productive, where
        # submitting a day is what makes its entries submitted (a day with a draft has none).
        conn.executemany(
            _INSERT_TIMESHEET,
            [
                (person, day.isoformat(), person, timestamp(at))
                for (person, day), at in sorted(submitted_days.items())
            ],
        )
        running_timer_id = int(
            conn.execute(_INSERT_TIMER, (owner, timer_entry_id, started, None, None)).lastrowid or 0
        )

        return DemoSummary(
            people=_count(conn, "people"),
            services=_count(conn, "services"),
            tasks=_count(conn, "tasks"),
            entries=_count(conn, "time_entries"),
            owner_person_id=owner,
            running_timer_id=running_timer_id,
        )


def _whole_days(entries: Sequence[_Entry], *, open_day: tuple[int, date]) -> None:
    """Make each person's day all submitted or all open, as on Productive, where one
    timesheet submits a person's whole day: a day with an approval, a rejection or an
    entry waiting for a second approver is submitted whole (its drafts too); any other
    day with a draft is open whole. `open_day` (the running timer's) is open whole."""
    days: dict[tuple[int, date], list[_Entry]] = {}
    for entry in entries:
        days.setdefault((entry.person, entry.day), []).append(entry)
    for key, group in days.items():
        drafts = [e for e in group if e.status == "draft"]
        if key != open_day and (not drafts or len(drafts) == len(group)):
            continue
        decided = any(
            e.status in ("approved", "rejected") or e.approvers_needed == 2
            for e in group
            if e.status != "draft"
        )
        if decided and key != open_day:
            for entry in drafts:
                entry.status = "submitted"
        else:
            for entry in group:
                entry.status, entry.partial_approver = "draft", None


def _other_approver(person_id: int, approver: int, fallback: int) -> int:
    """Somebody other than the entry's own person who gives the first approval."""
    return approver if person_id != approver else fallback


def create_demo_ledger(path: Path | str, *, seed: int = 7, clock: Clock | None = None) -> LedgerDB:
    """Open (or create) the ledger at `path`; fill it with demo data if it has no entries."""
    db = LedgerDB(path, clock=clock or utc_now)
    fill_if_empty(db, seed=seed)
    return db


def fill_if_empty(db: LedgerDB, *, seed: int = 7) -> bool:
    """`populate_demo` on a ledger without entries; True if it filled it."""
    with db.transaction() as conn:
        empty = _count(conn, "time_entries") == 0
    if empty:
        populate_demo(db, seed=seed)
    return empty


# ---------------------------------------------------------------------- the big one

_LOAD_FIRST = (
    "Ava",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustav",
    "Hana",
    "Ines",
    "Jamal",
    "Kenji",
    "Laila",
    "Mateo",
    "Nora",
    "Oskar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sven",
    "Zoë",
)
_LOAD_LAST = (
    "Andersen",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lehmann",
    "Moreau",
    "Nakamura",
    "Olsen",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Yilmaz",
)
_LOAD_SERVICES = {
    "Backend": ("API endpoints", "Database migrations", "Background jobs"),
    "Frontend": ("Dashboard", "Forms", "Accessibility fixes"),
    "Research": ("Spike: caching", "User interviews"),
    "Operations": ("Monitoring", "Incident follow-up", "Backups"),
}
_LOAD_PEOPLE = 20
_LOAD_DAYS = 730
_BATCH = 10_000


def _entry_uuid_maker(org: str) -> Callable[[int], str]:
    """`derived_uuid("entry", org, id)`, about four times faster (uuid5 done by hand);
    falls back to `derived_uuid` should the two ever disagree."""
    prefix = _UUID_NAMESPACE.bytes + f"{org}:entry:".encode()
    sha1 = hashlib.sha1

    def fast(row_id: int) -> str:
        digest = bytearray(sha1(prefix + str(row_id).encode()).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        h = digest.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    if all(fast(n) == derived_uuid("entry", org, n) for n in (1, 12345)):
        return fast
    return lambda row_id: derived_uuid("entry", org, row_id)


def _ascii(text: str) -> str:
    table = str.maketrans({"é": "e", "ë": "e", "í": "i", "ö": "o", "ü": "u"})
    return text.translate(table).lower()


def _ensure_load_catalog(conn: sqlite3.Connection, org: str) -> None:
    have = _count_where(conn, "people", "email LIKE ?", (f"%@{LOAD_EMAIL_DOMAIN}",))
    for index in range(have, _LOAD_PEOPLE):
        first = _LOAD_FIRST[index % len(_LOAD_FIRST)]
        last = _LOAD_LAST[(index * 7 + 3) % len(_LOAD_LAST)]
        insert_person(
            conn,
            org,
            first_name=first,
            last_name=last,
            email=f"{_ascii(first)}.{_ascii(last)}.{index}@{LOAD_EMAIL_DOMAIN}",
            title="Consultant",
        )
    if conn.execute("SELECT 1 FROM projects WHERE name = ?", (LOAD_PROJECT,)).fetchone():
        return
    project_id = insert_project(conn, name=LOAD_PROJECT)
    for name, titles in _LOAD_SERVICES.items():
        service_id = insert_service(conn, org, name=name, project_id=project_id)
        for title in titles:
            insert_task(conn, title=title, service_id=service_id)


def _count_where(conn: sqlite3.Connection, table: str, where: str, args: Sequence[object]) -> int:
    return int(
        conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", tuple(args)).fetchone()[0]
    )


def _batches(
    rows: Sequence[tuple[object, ...]], size: int
) -> Iterable[Sequence[tuple[object, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def populate_large(
    db: LedgerDB, *, entries: int = 100_000, seed: int = 1, today: date | None = None
) -> int:
    """Add ~20 people and a few services (once), then `entries` entries over the last two
    years in mixed states, for benchmarks. Returns how many entries were inserted."""
    rng = random.Random(seed)
    now = db.clock()
    if now.tzinfo is None:
        now = now.astimezone()
    now_stamp = timestamp(now)
    today = today or now.astimezone().date()
    org = db.identity.organization_id
    owner = db.identity.owner_person_id
    notes = [note for pool in _NOTES.values() for note in pool] + list(_SPECIAL_NOTES)
    reasons = _REJECT_REASONS
    with db.transaction(write=True) as conn:
        _ensure_load_catalog(conn, org)
        people = [int(r[0]) for r in conn.execute("SELECT id FROM people WHERE status = 1")]
        services = [int(r[0]) for r in conn.execute("SELECT id FROM services ORDER BY id")]
        open_tasks: dict[int, list[int]] = {s: [] for s in services}
        for task_id, service_id in conn.execute(
            "SELECT id, service_id FROM tasks WHERE closed = 0 AND service_id IS NOT NULL"
        ):
            open_tasks.setdefault(int(service_id), []).append(int(task_id))
        others = [p for p in people if p != owner] or [owner]

        # Per day: its text and 08:00 local time in UTC, so each entry only adds seconds.
        day_text: list[str] = []
        day_base: list[datetime] = []
        for back in range(_LOAD_DAYS + 1):
            day = today - timedelta(days=back)
            day_text.append(day.isoformat())
            day_base.append(_local(day, 8 * 60).astimezone(UTC))

        picks = sorted(int(rng.random() * (_LOAD_DAYS + 1)) for _ in range(entries))
        picks.reverse()  # oldest first, so ids grow with dates
        first_id = _next_entry_id(conn)
        make_uuid = _entry_uuid_maker(org)
        rows: list[tuple[object, ...]] = []
        approvals: list[tuple[int, int, str]] = []
        random_ = rng.random  # the hot loop draws floats only: randrange is slow
        td = timedelta
        n_services, n_people, n_notes = len(services), len(people), len(notes)
        n_others = len(others)
        for offset, back in enumerate(picks):
            entry_id = first_id + offset
            created_dt = day_base[back] + td(seconds=int(random_() * 50400))
            created = created_dt.isoformat(timespec="milliseconds")
            if created > now_stamp:
                created = now_stamp
            if random_() < 0.9:
                minutes = 15 * (1 + int(random_() * 24))
            else:
                minutes = 1 + int(random_() * 480)
            service = services[int(random_() * n_services)]
            tasks = open_tasks[service]
            task = tasks[int(random_() * len(tasks))] if tasks and random_() < 0.5 else None
            person = people[int(random_() * n_people)]
            roll = random_()
            needed = 2 if random_() < 0.03 else 1
            approver = approved_at = rejected_at = reason = None
            approved = rejected = submitted = invoiced = 0
            updated = created
            if back <= 7:  # the last week: drafts and submissions only
                submitted = int(roll < 0.4)
            elif roll < 0.82:
                submitted = approved = 1
            elif roll < 0.87:
                submitted = rejected = 1
            elif roll < 0.95:
                submitted = 1
            if submitted:
                later = created_dt + td(days=2 + back % 3, seconds=int(random_() * 28800))
                updated = later.isoformat(timespec="milliseconds")
                if updated > now_stamp:
                    updated = now_stamp
                if approved:
                    approver, approved_at = owner, updated
                    invoiced = int(back > 60 and random_() < 0.3)
                    if needed == 2:
                        approvals.append((entry_id, others[int(random_() * n_others)], updated))
                    approvals.append((entry_id, owner, updated))
                elif rejected:
                    rejected_at, reason = updated, reasons[int(random_() * len(reasons))]
            note = notes[int(random_() * n_notes)] if random_() < 0.93 else None
            rows.append(
                (
                    entry_id,
                    make_uuid(entry_id),
                    day_text[back],
                    minutes,
                    minutes,
                    note,
                    person,
                    service,
                    task,
                    person,
                    approver,
                    needed,
                    approved,
                    approved_at,
                    rejected,
                    reason,
                    rejected_at,
                    submitted,
                    invoiced,
                    1,
                    None,
                    None,
                    None,
                    created,
                    updated,
                    updated,
                )
            )
        for batch in _batches(rows, _BATCH):
            conn.executemany(_INSERT_ENTRY, batch)
        for batch in _batches(approvals, _BATCH):
            conn.executemany(_INSERT_APPROVAL, batch)
    return len(rows)
