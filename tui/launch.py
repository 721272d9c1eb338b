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
    from tui.config import ConfigError, LedgerProfile
    from tui.store.open import open_demo_store, open_store

    loaded = context.config()
    ui = loaded.config.ui
    with tempfile.TemporaryDirectory(prefix="timesheet-demo-") as folder:
        hint = None
        if demo:
            store = open_demo_store(Path(folder), ui)
        else:
            name, profile = context.profile()
            try:
                store = open_store(name, profile, ui, journal=True)
            except ConfigError as error:
                raise CliError(str(error)) from None
            if isinstance(profile, LedgerProfile) and loaded.path is None:
                hint = FIRST_RUN_HINT
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
