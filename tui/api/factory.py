"""From a configured profile to a ready backend."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tui.api.base import Backend
from tui.config import (
    ConfigError,
    LedgerProfile,
    PlannrProfile,
    ProductiveProfile,
    Profile,
    UiSettings,
    default_ledger_path,
    resolve_token,
)

if TYPE_CHECKING:
    from tui.ledger.db import LedgerDB


def open_backend(
    profile_name: str,
    profile: Profile,
    ui: UiSettings | None = None,
    *,
    env: Mapping[str, str] = os.environ,
) -> Backend:
    """The adapter for `profile`; the token is resolved here and lives only in the
    adapter's HTTP client (redacted from everything it raises or logs)."""
    ui = ui or UiSettings()
    if isinstance(profile, LedgerProfile):
        from tui.api.ledger import LedgerBackend

        return LedgerBackend.open(open_ledger(profile.path), bulk_chunk_size=ui.bulk_chunk_size)
    token = resolve_token(profile_name, profile, env)
    if isinstance(profile, ProductiveProfile):
        from tui.api.productive import ProductiveAdapter

        return ProductiveAdapter(
            base_url=profile.base_url,
            token=token,
            organization_id=profile.organization_id,
            person_id=profile.person_id,
            bulk_chunk_size=ui.bulk_chunk_size,
            request_timeout=ui.request_timeout_seconds,
        )
    if isinstance(profile, PlannrProfile):
        from tui.api.plannr import PlannrAdapter

        return PlannrAdapter(
            base_url=profile.base_url,
            token=token,
            account_uuid=profile.account_uuid,
            trackables=profile.trackables,
            request_timeout=ui.request_timeout_seconds,
        )
    raise ConfigError(f"Profile {profile_name!r} has an unknown backend.")


def open_ledger(path: Path | str) -> LedgerDB:
    """The ledger file at `path`, for the app and for `serve`. Folders are made on the way
    to the default place only: elsewhere a missing one is more likely a typo than a new
    ledger wanted there (`LedgerError` says so)."""
    from tui.ledger.db import LedgerDB

    path = Path(path).expanduser()
    return LedgerDB(path, make_folder=path == default_ledger_path())
