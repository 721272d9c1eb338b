"""tui.store.open: the one factory from a profile and the UI settings to a Store, for the
app (journaled) and the CLI (not), and the demo on a temporary ledger."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.faults import InFlight
from tui.api.base import EntryQuery
from tui.api.ledger import LedgerBackend
from tui.cli.context import CliContext, CliError
from tui.config import ConfigError, LedgerProfile, ProductiveProfile, UiSettings
from tui.ledger.app import create_app
from tui.ledger.demo import create_demo_ledger
from tui.store.open import open_demo_store, open_store
from tui.store.records import RowState
from tui.store.store import Store
from tui.store.values import week_range

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
UI = UiSettings(rounding_minutes=15, bulk_chunk_size=50, forgotten_timer_hours=3.0)


async def test_the_store_takes_the_ui_settings_and_the_profiles_person() -> None:
    profile = ProductiveProfile(
        organization_id="1", person_id="42", token_env="TOKEN", base_url="http://127.0.0.1:9/v2"
    )
    store = open_store("work", profile, UI, journal=False, env={"TOKEN": "secret"})
    try:
        settings = store.settings
        assert (settings.rounding_minutes, settings.bulk_chunk_size) == (15, 50)
        assert settings.forgotten_timer_hours == 3.0
        assert settings.person_id == "42"
        assert store.backend.name == "productive"
    finally:
        await store.aclose()


async def test_without_a_journal_nothing_is_written_or_picked_up(tmp_path: Path) -> None:
    profile = LedgerProfile(path=tmp_path / "ledger.db")
    store = open_store("local", profile, UI, journal=False, state_dir=tmp_path)
    try:
        assert store.journal is None and store.cache is None
        assert store.settings.person_id is None  # a ledger profile names no person
    finally:
        await store.aclose()
    assert not (tmp_path / "local.db").exists()


async def test_a_journaled_store_keeps_staged_changes_for_the_next_one(tmp_path: Path) -> None:
    profile = LedgerProfile(path=tmp_path / "ledger.db")
    first = open_store("my profile", profile, UI, journal=True, state_dir=tmp_path)
    try:
        await first.open()
        new_id = first.stage_new({"date": date(2026, 11, 2), "minutes": 30, "note": "kept"})
    finally:
        await first.aclose()
    assert (tmp_path / "my_profile.db").exists()  # journal_path: the name made file-safe

    again = open_store("my profile", profile, UI, journal=True, state_dir=tmp_path)
    try:
        assert again.journal is not None and again.cache is not None
        await again.open()
        assert again.row(new_id).state is RowState.new
        assert again.row(new_id).record.note == "kept"
    finally:
        await again.aclose()


async def test_closing_a_journaled_store_leaves_no_wal_or_shm_and_keeps_the_change(
    tmp_path: Path,
) -> None:
    profile = LedgerProfile(path=tmp_path / "ledger.db")
    first = open_store("local", profile, UI, journal=True, state_dir=tmp_path)
    try:
        await first.open()
        await first.load(EntryQuery(*week_range(date(2026, 11, 2))))  # the cache writes too
        new_id = first.stage_new({"date": date(2026, 11, 2), "minutes": 30, "note": "kept"})
    finally:
        await first.aclose()
    assert sorted(p.name for p in tmp_path.glob("local.db*")) == ["local.db"]

    again = open_store("local", profile, UI, journal=True, state_dir=tmp_path)
    try:
        await again.open()
        assert again.row(new_id).state is RowState.new
        assert again.row(new_id).record.note == "kept"
    finally:
        await again.aclose()
    assert sorted(p.name for p in tmp_path.glob("local.db*")) == ["local.db"]


async def test_staged_changes_of_another_ledger_are_set_aside_not_applied(
    tmp_path: Path,
) -> None:
    first_ledger = create_demo_ledger(tmp_path / "a.db")
    first_ledger.close()
    profile = LedgerProfile(path=tmp_path / "a.db")
    first = open_store("local", profile, UI, journal=True, state_dir=tmp_path)
    try:
        await first.open()
        await first.load(EntryQuery(*week_range(first.today())))
        victim = next(i for i in first.order if not first.records[i].locked)
        assert first.stage_delete([victim]) == 1
    finally:
        await first.aclose()

    # The profile now names another ledger, whose entries have the same ids.
    create_demo_ledger(tmp_path / "b.db").close()
    moved = LedgerProfile(path=tmp_path / "b.db")
    again = open_store("local", moved, UI, journal=True, state_dir=tmp_path)
    try:
        assert again.restored_count == 0 and again.staged_count == 0
        aside = again.set_aside_journal
        assert aside is not None and aside.parent == tmp_path and "other-server" in aside.name
        await again.open()
        await again.load(EntryQuery(*week_range(again.today())))
        assert victim in again.order and again.row(victim).state is RowState.clean
    finally:
        await again.aclose()
    # The set-aside journal still holds the change, whole.
    from tui.store.journal import Journal

    kept = Journal(aside)
    try:
        assert [entry_id for entry_id, _ in kept.load()] == [victim]
    finally:
        kept.close()

    # The same ledger again: its journal is applied as before.
    back = open_store("local", moved, UI, journal=True, state_dir=tmp_path)
    try:
        assert back.set_aside_journal is None
    finally:
        await back.aclose()


def test_a_profile_that_cannot_open_is_one_config_error() -> None:
    profile = ProductiveProfile(organization_id="1", token_env="NOT_SET")
    with pytest.raises(ConfigError, match="NOT_SET"):
        open_store("work", profile, UI, journal=False, env={})


async def test_the_demo_is_a_journaled_ledger_in_its_folder(tmp_path: Path) -> None:
    store = open_demo_store(tmp_path, UI)
    try:
        await store.open()
        assert store.backend.name == "ledger" and store.services
        assert store.journal is not None
    finally:
        await store.aclose()
    assert {p.name for p in tmp_path.iterdir()} >= {"demo-ledger.db", "demo.db"}


async def test_the_cli_opens_its_store_without_a_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIMESHEET_TEST_UNSET_TOKEN", raising=False)
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.local]\nbackend = "ledger"\npath = "{tmp_path / "l.db"}"\n')
    config.chmod(0o600)
    store = CliContext(config_path=config).open_store()
    try:
        assert store.journal is None and store.cache is None
    finally:
        await store.aclose()
    broken = tmp_path / "broken.toml"
    broken.write_text(
        '[profiles.work]\nbackend = "productive"\norganization_id = "1"\n'
        'token_env = "TIMESHEET_TEST_UNSET_TOKEN"\n'
    )
    broken.chmod(0o600)
    with pytest.raises(CliError, match="TIMESHEET_TEST_UNSET_TOKEN"):
        CliContext(config_path=broken).open_store()


@pytest.mark.parametrize("path", ["tui/cli/context.py", "tui/launch.py"])
def test_the_app_and_the_cli_build_no_store_of_their_own(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    called = {
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert "open_store" in called or "open_demo_store" in called
    assert not called & {"Store", "StoreSettings", "Journal", "Cache", "open_backend"}


async def test_opening_asks_for_the_lookups_and_the_timer_at_once(tmp_path: Path) -> None:
    """Who am I first, then people, services, tasks and the running timer together: two
    round trips to a remote server instead of five."""
    db = create_demo_ledger(tmp_path / "demo.db")
    counted = InFlight(httpx.ASGITransport(app=create_app(db)), hold=0.01)
    store = Store(LedgerBackend.open(db, transport=counted))
    try:
        await store.open()
        assert counted.peak >= 4
        assert store.people and store.services and store.tasks and store.timer is not None
    finally:
        await store.aclose()
