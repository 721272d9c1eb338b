"""From a profile in a real config file to a working backend, for each backend kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import tomli_w

from tests.conftest import FROZEN_NOW
from tui.api.base import EntryQuery
from tui.api.factory import open_backend
from tui.config import ConfigError, load_config, select_profile
from tui.ledger.db import LedgerDB

pytestmark = pytest.mark.anyio


def write_config(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(data))
    path.chmod(0o600)
    return path


def profile(path: Path, name: str | None = None):
    return select_profile(load_config(path), name)


async def test_ledger_profile_opens_the_local_ledger(tmp_path: Path) -> None:
    db_path = tmp_path / "mine.db"
    config = write_config(
        tmp_path, {"profiles": {"local": {"backend": "ledger", "path": str(db_path)}}}
    )
    backend = open_backend(*profile(config))
    try:
        assert backend.name == "ledger" and backend.capabilities.bulk
        assert [s.name for s in await backend.services()] == ["General", "Meetings", "Admin"]
        me = await backend.current_person()
        assert me.id == str(LedgerDB(db_path).identity.owner_person_id)
    finally:
        await backend.aclose()


async def test_productive_profile_talks_to_a_served_ledger(
    tmp_path, ledger, loopback, monkeypatch
) -> None:
    monkeypatch.setenv("LEDGER_TOKEN", ledger.identity.token)
    config = write_config(
        tmp_path,
        {
            "profiles": {
                "work": {
                    "backend": "productive",
                    "organization_id": ledger.identity.organization_id,
                    "token_env": "LEDGER_TOKEN",
                    "base_url": f"{loopback.url}/api/v2",
                }
            }
        },
    )
    backend = open_backend(*profile(config, "work"))
    try:
        assert (await backend.current_person()).id == str(ledger.identity.owner_person_id)
        day = FROZEN_NOW.date()
        batch = await backend.list_entries(EntryQuery(day - timedelta(days=7), day))
        assert batch.entries == []
    finally:
        await backend.aclose()


async def test_plannr_profile_starts_and_stops_on_a_served_ledger(
    tmp_path, ledger, loopback, monkeypatch, clock
) -> None:
    with ledger.transaction() as conn:
        trackable = conn.execute("SELECT uuid FROM services ORDER BY id LIMIT 1").fetchone()[0]
    monkeypatch.setenv("PLANNR_TOKEN", ledger.identity.token)
    config = write_config(
        tmp_path,
        {
            "profiles": {
                "crm": {
                    "backend": "plannr",
                    "account_uuid": ledger.identity.account_uuid,
                    "trackables": [f"client:{trackable}"],
                    "token_env": "PLANNR_TOKEN",
                    "base_url": f"{loopback.url}/api/v1",
                }
            }
        },
    )
    backend = open_backend(*profile(config, "crm"))
    clock.now = datetime.now(UTC)  # Plannr's start_date is the client's clock
    try:
        assert not backend.capabilities.approvals and backend.capabilities.timers
        timer = await backend.start_timer(f"client:{trackable}", note="Research")
        clock.advance(minutes=28)
        stopped = await backend.stop_timer(timer.id)
        assert stopped.entry.minutes == 28 and not stopped.timer.running
    finally:
        await backend.aclose()


def test_a_missing_token_names_its_source(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    config = write_config(
        tmp_path,
        {
            "profiles": {
                "work": {"backend": "productive", "organization_id": "1", "token_env": "NOPE_TOKEN"}
            }
        },
    )
    with pytest.raises(ConfigError, match="NOPE_TOKEN"):
        open_backend(*profile(config, "work"))
