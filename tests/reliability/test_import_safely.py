"""`timesheet import` is safe to run again, and reports only what the server holds: rows
already there are skipped (copies counted), and a create whose answers were all lost is
never counted as imported, even when the CSV holds a twin of an entry that was there
before (issue 13: the old check took that twin for the lost create)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import LoopbackServer
from tests.reliability.proxy import Fault, FaultProxy
from tests.test_cli_time import GENERAL, TOKEN_ENV, import_csv, write_config
from tui.cli import main
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.entries import Entries

pytestmark = pytest.mark.loopback
DAY = date(2026, 11, 17)


class Served:
    def __init__(self, ledger: LedgerDB, proxy: FaultProxy, config: Path, tmp: Path) -> None:
        self.ledger, self.proxy, self.config, self.tmp = ledger, proxy, config, tmp

    def run(self, *args: str) -> Result:
        result = CliRunner().invoke(main, ["--config", str(self.config), *args])
        assert "Traceback" not in result.output, result.output
        return result

    def notes(self) -> list[str]:
        with self.ledger.transaction() as conn:
            return sorted(r["note"] for r in conn.execute("SELECT note FROM time_entries"))

    def add_entry(self, note: str, minutes: int = 60) -> None:
        with self.ledger.transaction(write=True) as conn:
            Entries(conn, self.ledger).create(
                {
                    "date": DAY.isoformat(),
                    "time": minutes,
                    "note": note,
                    "person": self.ledger.identity.owner_person_id,
                    "service": int(GENERAL),
                }
            )

    def csv(self, *notes: str) -> Path:
        rows = [[DAY.isoformat(), "60", note, GENERAL, "", ""] for note in notes]
        return import_csv(self.tmp / "rows.csv", rows)


@pytest.fixture
def served(ledger: LedgerDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv(TOKEN_ENV, ledger.identity.token)
    with LoopbackServer(create_app(ledger)) as server, FaultProxy(server.url) as proxy:
        config = write_config(
            tmp_path / "config.toml",
            {
                "default_profile": "prod",
                "profiles": {
                    "prod": {
                        "backend": "productive",
                        "base_url": f"{proxy.url}/api/v2",
                        "organization_id": ledger.identity.organization_id,
                        "token_env": TOKEN_ENV,
                    }
                },
                "ui": {"request_timeout_seconds": 0.5, "settle_grace_seconds": 0.2},
            },
        )
        yield Served(ledger, proxy, config, tmp_path)


def test_running_an_import_again_creates_nothing_twice(served: Served) -> None:
    path = served.csv("a", "b", "c")
    first = served.run("import", str(path), "--yes")
    assert first.exit_code == 0 and "Imported 3 entries." in first.stdout
    again = served.run("import", str(path), "--yes")
    assert again.exit_code == 0
    assert "Every row is already on the server (3); nothing was sent." in again.stdout
    assert again.stderr.count("already on the server; skipped.") == 3
    assert served.notes() == ["a", "b", "c"]


def test_copies_count_two_equal_rows_with_one_there_create_one(served: Served) -> None:
    served.add_entry("standup")
    result = served.run("import", str(served.csv("standup", "standup")), "--yes")
    assert result.exit_code == 0, result.output
    assert "line 2: already on the server; skipped." in result.stderr
    assert "Imported 1 entry." in result.stdout
    assert served.notes() == ["standup", "standup"]


def test_allow_duplicates_creates_rows_already_there(served: Served) -> None:
    served.add_entry("standup")
    path = served.csv("standup")
    result = served.run("import", str(path), "--yes", "--allow-duplicates")
    assert result.exit_code == 0 and "Imported 1 entry." in result.stdout
    assert served.notes() == ["standup", "standup"]


def test_lost_creates_beside_a_twin_already_there_are_not_reported_imported(
    served: Served,
) -> None:
    """Every POST is cut before the server sees it, and the CSV holds a twin of an entry
    that was there before: nothing is created, and nothing is reported imported."""
    served.add_entry("twin")
    served.proxy.inject(Fault.RESET_BEFORE, method="POST", times=20)
    result = served.run("import", str(served.csv("twin", "other")), "--yes", "--allow-duplicates")
    assert result.exit_code == 1
    assert "Imported 0 of 2 entries; 2 failed" in result.stderr
    assert "line 2: not confirmed by the server" in result.stderr
    assert "line 3: not confirmed by the server" in result.stderr
    assert served.notes() == ["twin"]


def test_an_import_cut_short_is_finished_by_running_it_again(served: Served) -> None:
    path = served.csv("one", "two", "three")
    served.proxy.inject(Fault.RESET_BEFORE, method="POST", times=4)  # every try of one run
    cut = served.run("import", str(path), "--yes")
    assert cut.exit_code == 1 and served.notes() == []
    assert served.proxy.injections_left() == 0
    done = served.run("import", str(path), "--yes")
    assert done.exit_code == 0, done.output and "Imported 3 entries." in done.stdout
    assert served.notes() == ["one", "three", "two"]


def test_an_applied_create_whose_answer_was_lost_is_imported_once(served: Served) -> None:
    served.add_entry("twin")
    served.proxy.inject(Fault.RESET_AFTER, method="POST")
    result = served.run("import", str(served.csv("twin")), "--yes", "--allow-duplicates")
    assert result.exit_code == 0, result.output
    assert "Imported 1 entry." in result.stdout, result.output
    assert served.notes() == ["twin", "twin"]
    assert len([e for e in served.proxy.log() if e.method == "POST"]) == 1
