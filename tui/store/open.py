"""From a profile and the UI settings to a ready `Store`: the one way the app and the CLI
open one.

The app journals (`journal=True`): staged changes and a cache of what was loaded live in
`journal_path(profile_name)`, so they survive a quit or a crash. A CLI command does not
(`journal=False`): it either finishes or reports what failed, and must never pick up (and
save) what the app staged. The demo is a ledger profile on a temporary demo ledger, with
its journal next to it. A journal holds the changes of one server (`server_of`): opened for
another (the profile now points elsewhere), it is set aside whole, never applied.

Heavy modules (the adapters, httpx, the store itself) are imported inside the functions:
a scripting command imports this module before it knows which backend it needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.api.base import Backend
    from tui.config import Profile, UiSettings
    from tui.store.store import Store
    from tui.store.timers import TimerStarts

DEMO_PROFILE = "demo"


def open_store(
    profile_name: str,
    profile: Profile,
    ui: UiSettings,
    *,
    journal: bool,
    state_dir: Path | None = None,
    env: Mapping[str, str] = os.environ,
) -> Store:
    """A store over the profile's backend, with the UI's rounding, timer and bulk
    settings; with `journal`, a journal and cache in `journal_path(profile_name,
    state_dir)`. A profile that cannot be opened (no token, a bad URL) is a
    `ConfigError` with one sentence."""
    backend = open_profile_backend(profile_name, profile, ui, env=env)
    return _store_over(backend, profile_name, profile, ui, journal=journal, state_dir=state_dir)


def _store_over(
    backend: Backend,
    profile_name: str,
    profile: Profile,
    ui: UiSettings,
    *,
    journal: bool,
    state_dir: Path | None,
) -> Store:
    from tui.config import ProductiveProfile
    from tui.store.cache import Cache
    from tui.store.journal import Journal
    from tui.store.paths import journal_path
    from tui.store.store import Store, StoreSettings
    from tui.store.workweek import WorkWeek

    settings = StoreSettings(
        rounding_minutes=ui.rounding_minutes,
        forgotten_timer_hours=ui.forgotten_timer_hours,
        bulk_chunk_size=ui.bulk_chunk_size,
        person_id=profile.person_id if isinstance(profile, ProductiveProfile) else None,
        settle_grace_seconds=ui.settle_grace,
        work_week=WorkWeek.of(ui.workday_minutes, ui.work_days),
    )
    state = journal_path(profile_name, state_dir)
    starts = timer_starts(profile_name, state_dir)
    if not journal:
        return Store(backend, settings=settings, timer_starts=starts)
    server = server_of(profile, backend)
    staged = Journal(state)
    set_aside = None
    if not staged.bind(server):
        # Its ids name another server's entries: applied here, a staged delete would
        # delete whichever entry has that id. Kept whole beside it, never applied.
        staged.close()
        set_aside = set_journal_aside(state)
        staged = Journal(state)
        staged.bind(server)
    store = Store(backend, staged, cache=Cache(state), settings=settings, timer_starts=starts)
    store.set_aside_journal = set_aside
    return store


def server_of(profile: Profile, backend: Backend) -> str:
    """Where a profile's staged changes go, as its journal records it: the service and
    its account (a ledger by its organization id, so a new ledger file at the same path
    is another server)."""
    from tui.api.ledger import LedgerBackend
    from tui.config import LedgerProfile, PlannrProfile

    if isinstance(profile, LedgerProfile):
        ledger = backend.ledger if isinstance(backend, LedgerBackend) else None
        return f"ledger {ledger.identity.organization_id if ledger else profile.path}"
    if isinstance(profile, PlannrProfile):
        return f"plannr {profile.base_url} {profile.account_uuid}"
    return f"productive {profile.base_url} {profile.organization_id}"


def set_journal_aside(path: Path) -> Path:
    """Rename a closed journal (and its cache) out of the way, to a name that says why;
    the new name."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.stem}.other-server-{stamp}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            os.replace(part, f"{aside}{suffix}")
    return aside


def open_profile_backend(
    profile_name: str, profile: Profile, ui: UiSettings, *, env: Mapping[str, str] = os.environ
) -> Backend:
    """The profile's backend alone, for a command that needs no store (`status`); a
    profile that cannot be opened is a `ConfigError` with one sentence."""
    from tui.api.factory import open_backend
    from tui.config import ConfigError

    try:
        return open_backend(profile_name, profile, ui, env=env)
    except ValueError as error:  # an adapter refusing a value of the profile
        raise ConfigError(str(error)) from None


def timer_starts(profile_name: str, state_dir: Path | None = None) -> TimerStarts:
    """Starts the server ignored, shared by the app and the CLI (a `start` and a later
    `stop` are two processes), in a file next to the profile's journal, written only when
    there is one."""
    from tui.store.paths import journal_path
    from tui.store.timers import TimerStarts

    state = journal_path(profile_name, state_dir)
    return TimerStarts(state.with_name(state.stem + ".timers.json"))


DEMO_LEDGER = "demo-ledger.db"


def open_demo_store(folder: Path, ui: UiSettings, *, journal: bool = True) -> Store:
    """The demo: a store (journaled in `folder`) over a new ledger in `folder`, whose
    demo data another process writes while the app starts (`tui.ledger.demo_fill`)."""
    from tui.config import LedgerProfile
    from tui.ledger.db import LedgerDB
    from tui.ledger.demo_fill import DemoFill

    profile = LedgerProfile(path=folder / DEMO_LEDGER)
    db = LedgerDB(profile.path)  # the schema and identity here: the fill adds only rows
    filling = DemoFill(db)  # before the adapter's imports, so that it starts sooner
    from tui.api.ledger import LedgerBackend

    backend = LedgerBackend.open(db, filling=filling, bulk_chunk_size=ui.bulk_chunk_size)
    return _store_over(backend, DEMO_PROFILE, profile, ui, journal=journal, state_dir=folder)
