"""Open the app: build the store for the chosen profile (or a demo ledger) and run it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tui.cli.context import CliContext, CliError, startup_done

FIRST_RUN_HINT = (
    "You are on the local ledger. To use Productive or Plannr, run `timesheet config init` "
    "(or see the README's Configuration section)."
)


def run_app(context: CliContext, *, demo: bool) -> None:
    from tui.api.factory import open_backend
    from tui.config import ConfigError, LedgerProfile, ProductiveProfile
    from tui.store.cache import Cache
    from tui.store.journal import Journal, journal_path
    from tui.store.store import Store, StoreSettings

    loaded = context.config()
    ui = loaded.config.ui
    with tempfile.TemporaryDirectory(prefix="timesheet-demo-") as folder:
        hint = None
        if demo:
            from tui.api.ledger import LedgerBackend
            from tui.ledger.demo import create_demo_ledger

            backend = LedgerBackend.open(
                create_demo_ledger(Path(folder) / "demo-ledger.db"),
                bulk_chunk_size=ui.bulk_chunk_size,
            )
            state = Path(folder) / "demo.db"
            person = None
        else:
            name, profile = context.profile()
            try:
                backend = open_backend(name, profile, ui)
            except (ConfigError, ValueError) as error:
                raise CliError(str(error)) from None
            state = journal_path(name)
            person = profile.person_id if isinstance(profile, ProductiveProfile) else None
            if isinstance(profile, LedgerProfile) and loaded.path is None:
                hint = FIRST_RUN_HINT
        store = Store(
            backend,
            Journal(state),
            cache=Cache(state),
            settings=StoreSettings(
                rounding_minutes=ui.rounding_minutes,
                forgotten_timer_hours=ui.forgotten_timer_hours,
                bulk_chunk_size=ui.bulk_chunk_size,
                person_id=person,
            ),
        )
        from tui.app import TimesheetApp
        from tui.themes import user_themes_dir

        app = TimesheetApp(
            store,
            hint=hint,
            keymap=dict(loaded.config.keys),
            theme=ui.theme,
            theme_dir=user_themes_dir(),
            demo=demo,
        )
        startup_done()
        app.run()
