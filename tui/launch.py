"""Open the app: build the store for the chosen profile (or a demo ledger) and run it."""

from __future__ import annotations

import asyncio
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from tui.cli.context import CliContext, CliError

if TYPE_CHECKING:
    from tui.config import Profile
    from tui.widgets.banner import ProfileFacts

FIRST_RUN_HINT = (
    "You are on the local ledger. To use Productive or Plannr, run `timesheet config init` "
    "(or see the README's Configuration section)."
)


def run_app(context: CliContext, *, demo: bool) -> None:
    from tui.actions import keymap_problem
    from tui.config import ConfigError, LedgerProfile
    from tui.store.open import open_demo_store, open_store
    from tui.widgets.banner import ProfileFacts

    loaded = context.config()
    ui = loaded.config.ui
    problem = keymap_problem(dict(loaded.config.keys))
    if problem is not None:  # a config error: exit 2 before anything opens
        raise CliError(f"{loaded.path}: {problem}" if loaded.path else problem)
    apps: list[Any] = []  # the app, once it exists: what a signal asks to end
    with (
        ended_by_signals(lambda: [app.exit() for app in apps]) as ended,
        tempfile.TemporaryDirectory(prefix="timesheet-demo-") as folder,
    ):
        hint = None
        facts = ProfileFacts(name="demo")
        if demo:
            store = open_demo_store(Path(folder), ui)
        else:
            name, profile = context.profile()
            facts = profile_facts(name, profile, loaded.path)
            try:
                store = open_store(name, profile, ui, journal=True)
            except ConfigError as error:
                raise CliError(str(error)) from None
            if isinstance(profile, LedgerProfile) and loaded.path is None:
                hint = FIRST_RUN_HINT
        from tui.app import TimesheetApp
        from tui.themes import theme_choice_path, user_themes_dir

        app = TimesheetApp(
            store,
            hint=hint,
            keymap=dict(loaded.config.keys),
            theme=ui.theme,
            theme_dir=user_themes_dir(),
            # The demo keeps everything in its folder: a theme picked there is not the
            # user's choice for their own profiles.
            theme_choice=Path(folder) / "theme.toml" if demo else theme_choice_path(),
            profile_facts=facts,
            demo=demo,
        )
        apps.append(app)
        app.run()  # the collector stays off until its first frame (`tui.startup`)
    if ended:  # the folder is gone by now; end as a signalled process does
        raise SystemExit(128 + ended[0])


def profile_facts(name: str, profile: Profile, config_path: Path | None) -> ProfileFacts:
    """What the problem banner names about the profile: where its token comes from (never
    the token), the config file, the server's host."""
    from urllib.parse import urlsplit

    from tui.config import LedgerProfile
    from tui.widgets.banner import ProfileFacts

    if isinstance(profile, LedgerProfile):
        return ProfileFacts(name=name, config_path=config_path)
    if profile.token_env is not None:
        source = f"token_env ({profile.token_env})"
    elif profile.token_command is not None:
        source = "token_command"
    elif profile.keyring:
        source = "the keyring's token (keyring = true)"
    else:
        source = "token"
    return ProfileFacts(
        name=name,
        token_source=source,
        config_path=config_path,
        host=urlsplit(profile.base_url).hostname,
    )


ENDING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""What a terminal or a process manager sends to end the app (Windows has no SIGHUP)."""


@contextmanager
def ended_by_signals(end: Callable[[], object]) -> Iterator[list[int]]:
    """While inside, SIGTERM and SIGHUP end the app as `q` would (`end` runs on the app's
    loop), so every `finally` and `with` around it runs: the demo's temporary folder is
    removed and the terminal restored, instead of the process dying where it stands.
    Before the app's loop runs, the signal ends the start-up (SystemExit) the same way.
    Yields the signals received."""
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in the app yet (or any more)
            raise SystemExit(128 + signum) from None
        loop.call_soon_threadsafe(end)

    if threading.current_thread() is not threading.main_thread():  # signals go to main
        yield received
        return
    previous = {number: signal.signal(number, handler) for number in ENDING_SIGNALS}
    try:
        yield received
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
