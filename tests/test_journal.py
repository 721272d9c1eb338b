"""The journal's format on disk: one written before formats had a version opens with every
staged change and gets the version; one of a newer format is refused and left as it is."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from tui.api.productive import ProductiveAdapter
from tui.cli import main
from tui.ledger.db import LedgerDB
from tui.store.journal import SCHEMA_VERSION, Journal, JournalError
from tui.store.paths import journal_path
from tui.store.records import EntryRecord
from tui.store.staging import Kind, Staged
from tui.store.store import Store

# tui/store/journal.py as it was before schema versions (commit d508d7e), verbatim: the
# tables, the pragmas and the statement that wrote each staged state.
UNVERSIONED_SCHEMA = """
CREATE TABLE IF NOT EXISTS staged (
    entry_id  TEXT PRIMARY KEY,
    seq       INTEGER NOT NULL,
    state     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""
UNVERSIONED_WRITE = (
    "INSERT INTO staged (entry_id, seq, state) VALUES (?, ?, ?)"
    " ON CONFLICT (entry_id) DO UPDATE SET state = excluded.state"
)

EDIT = {
    "kind": "update",
    "values": {"note": "Review of the plan", "minutes": 90},
    "original": {"note": "Review", "minutes": 60},
    "base_updated_at": "2026-11-18T09:00:00+00:00",
}
CREATE = {
    "kind": "create",
    "values": {
        "date": "2026-11-19",
        "minutes": 30,
        "note": "Standup",
        "person_id": "7781",
        "service_id": "12",
        "task_id": None,
    },
    "original": {},
    "base_updated_at": None,
}
DELETE = {
    "kind": "delete",
    "values": {"date": "2026-11-17"},
    "original": {"date": "2026-11-16"},
    "base_updated_at": "2026-11-16T17:45:00+00:00",
}
STATES = {"4711": EDIT, "new-0123456789ab": CREATE, "4712": DELETE}
EXPECTED = [
    (
        "4711",
        Staged(
            Kind.update,
            {"note": "Review of the plan", "minutes": 90},
            {"note": "Review", "minutes": 60},
            "2026-11-18T09:00:00+00:00",
        ),
    ),
    (
        "new-0123456789ab",
        Staged(
            Kind.create,
            {
                "date": date(2026, 11, 19),
                "minutes": 30,
                "note": "Standup",
                "person_id": "7781",
                "service_id": "12",
                "task_id": None,
            },
        ),
    ),
    (
        "4712",
        Staged(
            Kind.delete,
            {"date": date(2026, 11, 17)},
            {"date": date(2026, 11, 16)},
            "2026-11-16T17:45:00+00:00",
        ),
    ),
]


def write_unversioned_journal(path: Path, states: dict[str, dict[str, Any]]) -> None:
    """A journal exactly as the code before schema versions wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.executescript(UNVERSIONED_SCHEMA)
    for seq, (entry_id, state) in enumerate(states.items(), start=1):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(UNVERSIONED_WRITE, (entry_id, seq, json.dumps(state)))
        conn.execute("COMMIT")
    conn.close()


def write_newer_journal(path: Path, version: str) -> None:
    """A journal as a later timesheet might write it: a version this code does not know
    and a table of its own."""
    write_unversioned_journal(path, STATES)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO journal_meta (key, value) VALUES ('schema_version', ?)", (version,))
    conn.execute("CREATE TABLE staged_notes (entry_id TEXT PRIMARY KEY, note TEXT)")
    conn.close()


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def stored_version(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM journal_meta WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def test_a_journal_from_before_versions_opens_with_every_staged_change(
    tmp_path: Path, ledger: LedgerDB
) -> None:
    path = tmp_path / "state" / "work.db"
    write_unversioned_journal(path, STATES)
    assert stored_version(path) is None

    journal = Journal(path)
    assert list(journal.load()) == EXPECTED
    assert journal.get_meta("schema_version") == str(SCHEMA_VERSION)
    store = Store(ProductiveAdapter.for_ledger(ledger), journal)
    assert store.staging.staged == dict(EXPECTED)
    journal.close()

    assert stored_version(path) == str(SCHEMA_VERSION)  # on disk, not only in memory
    again = Journal(path)  # opening the migrated journal changes nothing more
    assert list(again.load()) == EXPECTED
    again.close()


def test_a_new_journal_starts_at_the_current_version(tmp_path: Path) -> None:
    Journal(tmp_path / "fresh.db").close()
    assert stored_version(tmp_path / "fresh.db") == str(SCHEMA_VERSION)


@pytest.mark.parametrize(
    ("version", "says"),
    [
        (str(SCHEMA_VERSION + 1), f"is in format {SCHEMA_VERSION + 1}, newer than"),
        ("two", "has an unknown format version ('two')"),
    ],
)
def test_a_journal_of_an_unknown_format_is_refused_and_left_as_it_is(
    tmp_path: Path, version: str, says: str
) -> None:
    path = tmp_path / "work.db"
    write_newer_journal(path, version)
    before = dump(path)
    with pytest.raises(JournalError) as refused:
        Journal(path)
    message = str(refused.value)
    assert says in message and str(path) in message
    assert message.endswith(".") and "\n" not in message
    assert dump(path) == before


def test_the_app_on_a_newer_journal_exits_2_with_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("TIMESHEET_TEST_TOKEN", "a-token")
    config = tmp_path / "config.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "default_profile": "work",
                "profiles": {
                    "work": {
                        "backend": "productive",
                        "organization_id": "1",
                        "base_url": "http://127.0.0.1:9/api/v2",  # never reached
                        "token_env": "TIMESHEET_TEST_TOKEN",
                    }
                },
            }
        )
    )
    config.chmod(0o600)
    path = journal_path("work")
    assert path.is_relative_to(tmp_path)
    write_newer_journal(path, str(SCHEMA_VERSION + 1))
    before = dump(path)

    result = CliRunner().invoke(main, ["--config", str(config)])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("timesheet: The journal ") and result.stderr.count("\n") == 1
    assert "newer than this timesheet knows" in result.stderr
    assert dump(path) == before


V2_UNSETTLED = (
    "CREATE TABLE IF NOT EXISTS unsettled (entry_id TEXT PRIMARY KEY, state TEXT NOT NULL)"
)


def write_versioned_journal(path: Path, version: int) -> None:
    """A journal as format 1 (staged rows, a version) or 2 (and `unsettled`) wrote it."""
    write_unversioned_journal(path, STATES)
    conn = sqlite3.connect(path, isolation_level=None)
    if version >= 2:
        conn.execute(V2_UNSETTLED)
    conn.execute(
        "INSERT INTO journal_meta (key, value) VALUES ('schema_version', ?)", (str(version),)
    )
    conn.close()


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_format_opens_with_its_staged_changes_and_an_empty_history(
    tmp_path: Path, ledger: LedgerDB, version: int
) -> None:
    path = tmp_path / "work.db"
    write_versioned_journal(path, version)
    journal = Journal(path)
    assert list(journal.load()) == EXPECTED
    assert journal.load_history() == ([], []) and journal.load_failures() == {}
    store = Store(ProductiveAdapter.for_ledger(ledger), journal)
    assert store.staging.staged == dict(EXPECTED) and store.restored_count == 3
    assert store.undo() is None  # nothing in a format without history to undo
    journal.close()
    assert stored_version(path) == "3" == str(SCHEMA_VERSION)


@pytest.mark.anyio
async def test_the_journal_keeps_a_capped_history_so_a_write_does_not_grow(
    tmp_path: Path, ledger: LedgerDB
) -> None:
    from tui.store.journal import HISTORY_LIMIT

    path = tmp_path / "work.db"
    store = Store(ProductiveAdapter.for_ledger(ledger), Journal(path))
    await store.open()
    service = next(iter(store.services))
    new_id = store.stage_new({"minutes": 5, "service_id": service})
    for n in range(HISTORY_LIMIT + 25):
        store.stage_edit(new_id, "note", f"note {n}")
    await store.aclose()
    conn = sqlite3.connect(path)
    try:
        (rows,) = conn.execute("SELECT count(*) FROM history").fetchone()
    finally:
        conn.close()
    assert rows == HISTORY_LIMIT

    again = Store(ProductiveAdapter.for_ledger(ledger), Journal(path))
    undone = 0
    while again.undo() is not None:
        undone += 1
    assert undone == HISTORY_LIMIT
    assert again.row(new_id).record.note == "note 24"  # the oldest kept step undone
    again.journal.close()  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_undoing_past_the_kept_history_leaves_no_redo_that_would_skip_steps(
    tmp_path: Path, ledger: LedgerDB
) -> None:
    from tui.store.journal import HISTORY_LIMIT

    path = tmp_path / "work.db"
    store = Store(ProductiveAdapter.for_ledger(ledger), Journal(path))
    await store.open()
    service = next(iter(store.services))
    new_id = store.stage_new({"minutes": 5, "service_id": service})
    for n in range(HISTORY_LIMIT + 5):
        store.stage_edit(new_id, "note", f"note {n}")
    for _ in range(HISTORY_LIMIT + 2):  # the session's own history goes further back
        assert store.undo() is not None
    shown = store.row(new_id).record.note
    await store.aclose()

    again = Store(ProductiveAdapter.for_ledger(ledger), Journal(path))
    assert again.row(new_id).record.note == shown == "note 2"
    assert again.redo() is None and again.undo() is None
    again.journal.close()  # type: ignore[union-attr]


def test_a_base_time_journaled_with_another_offset_still_matches_the_servers_copy() -> None:
    """Records keep `updated_at` in UTC; a journal written before kept the server's own
    offset. The same moment must not read as a conflict after the upgrade."""
    staged = Staged.from_json({**EDIT, "base_updated_at": "2026-11-18T10:00:00.250+01:00"})
    server = EntryRecord(
        "4711", date(2026, 11, 18), 60, "Review", "1", "2", None,
        updated_at="2026-11-18T09:00:00.250Z",
    )  # fmt: skip
    assert staged.base_updated_at == server.updated_at
