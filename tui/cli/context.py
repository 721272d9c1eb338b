"""What every command shares: the chosen profile, the store, exit codes, one-line errors.

Heavy modules (the store, the adapters, httpx) are imported inside functions: `--help`
and the scripting commands must start fast, and nothing here ever imports textual.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tui.startup import startup_done

if TYPE_CHECKING:
    from tui.api.base import Backend
    from tui.config import LoadedConfig, Profile, UiSettings
    from tui.store.store import Store

EXIT_OK = 0
EXIT_FAILED = 1
"""Some items failed (each printed with its id or line)."""
EXIT_USAGE = 2
"""Usage, config or auth error."""

T = TypeVar("T")


class CliError(click.ClickException):
    """One clear sentence on stderr, never a traceback; exit 2 (usage, config, auth)."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"timesheet: {self.message}", err=True)


class ItemsFailed(CliError):
    """Exit 1: the command ran but some items failed (already listed)."""

    exit_code = EXIT_FAILED


@dataclass
class CliContext:
    profile_name: str | None = None
    config_path: Path | None = None
    _loaded: LoadedConfig | None = field(default=None, repr=False)

    def config(self) -> LoadedConfig:
        from tui.config import ConfigError, load_config

        if self._loaded is None:
            try:
                self._loaded = load_config(self.config_path)
            except ConfigError as error:
                raise CliError(str(error)) from None
        return self._loaded

    def profile(self) -> tuple[str, Profile]:
        from tui.config import ConfigError, select_profile

        try:
            return select_profile(self.config(), self.profile_name)
        except ConfigError as error:
            raise CliError(str(error)) from None

    def ui(self) -> UiSettings:
        return self.config().config.ui

    def open_store(self) -> Store:
        """A store over the profile's backend, with no journal: a command either finishes
        or reports what failed, and must never pick up (and save) what the app staged."""
        from tui.config import ConfigError
        from tui.store.open import open_store

        name, profile = self.profile()
        try:
            store = open_store(name, profile, self.ui(), journal=False)
        except ConfigError as error:
            raise CliError(str(error)) from None
        send_from_threads(store.backend)
        return store

    def run_backend(self, work: Callable[[Backend], Awaitable[T]]) -> T:
        """Like `run`, on the profile's backend alone: for a command that reads one thing
        and needs no store (`status` answers without loading it)."""
        from tui.config import ConfigError
        from tui.store.open import open_profile_backend

        name, profile = self.profile()
        try:
            backend = open_profile_backend(name, profile, self.ui())
        except ConfigError as error:
            raise CliError(str(error)) from None
        send_from_threads(backend)

        async def main() -> T:
            try:
                return await work(backend)
            finally:
                await backend.aclose()

        return run_mapped(main(), base_url=getattr(profile, "base_url", None))

    def run(self, work: Callable[[Store], Awaitable[T]]) -> T:
        """Run `work` on a fresh store and close it; API errors become one sentence and
        the design's exit code."""
        store = self.open_store()

        async def main() -> T:
            try:
                return await work(store)
            finally:
                await store.aclose()

        _, profile = self.profile()
        return run_mapped(main(), base_url=getattr(profile, "base_url", None))


def send_from_threads(backend: Backend) -> None:
    """A remote backend's requests go through httpx's blocking client in threads
    (`HttpClient.send_from_threads`): a command is short-lived, and the anyio machinery
    of the async transport cost `status` about 18 ms. The ledger (in-process) and
    backends without an HTTP client are left as they are."""
    from tui.api.http import HttpClient

    http = getattr(backend, "http", None)
    if isinstance(http, HttpClient):
        http.send_from_threads()


_ran: list[bool] = []
"""Set once a scripting command has run its work (`run_mapped`): its process may then
`exit_at_once`."""


def exit_at_once(code: object) -> None:
    """End the process of a scripting command that has run (`run_mapped`) as `sys.exit(code)`
    would, minus the interpreter's teardown of every module, class and schema it loaded
    (a twentieth of `status`): threads that are not daemons are waited for, the exit
    handlers run and the output is flushed, as at any exit. Returns (the caller exits the
    usual way) when no command ran."""
    if not _ran:
        return
    for thread in threading.enumerate():  # e.g. the ledger's AnyIO worker, winding down
        if not thread.daemon and thread is not threading.current_thread():
            thread.join()
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: Python's own exit says 120
            status = status or 120
    os._exit(status)


def run_mapped(coroutine: Coroutine[Any, Any, T], *, base_url: str | None = None) -> T:
    """Run `coroutine`; API errors become one sentence and the design's exit code. With the
    server's `base_url`, a server that cannot be reached is named by host and port."""
    from tui.api.errors import ApiError, AuthError, ForbiddenError, NetworkError, UnsupportedError
    from tui.config import ConfigError

    # A store's refusal, where the command loaded the store (`status` does not, and
    # loading it only to name its error would cost every such command the import).
    store = sys.modules.get("tui.store.store")
    refusals: tuple[type[Exception], ...] = (
        ConfigError,
        AuthError,
        ForbiddenError,
        UnsupportedError,
        *((store.StagingError,) if store is not None else ()),
    )
    startup_done()
    _ran.append(True)
    try:
        return asyncio.run(coroutine)
    except refusals as error:
        raise CliError(str(error)) from None
    except NetworkError as error:
        raise ItemsFailed(unreachable_sentence(error, base_url)) from None
    except ApiError as error:
        raise ItemsFailed(str(error)) from None


def server_address(base_url: str) -> str:
    """`host:port` of a URL (the scheme's port when it names none), and nothing else of it:
    no user, password, path or query, where a secret could hide."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host = parts.hostname or "?"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_WHY = re.compile(r"\((?P<why>[^()]*)\)\.?$")


def unreachable_sentence(error: Exception, base_url: str | None) -> str:
    """`Cannot reach 127.0.0.1:8765 (connection refused); ...`: the server by host and port
    and why, from the (already redacted) network error."""
    message = str(error)
    if not base_url:
        return message
    found = _WHY.search(message)
    why = found.group("why") if found else message.rstrip(".")
    why = why[:1].lower() + why[1:]
    return (
        f"Cannot reach {server_address(base_url)} ({why}); check that the server is running "
        "and the profile's base_url."
    )


LAST_DAY_HELP = "a week ('last week') is its Sunday; a weekday, the one on or after --from"
"""How `--to` reads a date, for every command's help (see `day_range`)."""


def day_range(
    start_text: str | None,
    end_text: str | None,
    *,
    today: date,
    open_end: Callable[[date], date] | None = None,
) -> tuple[date, date]:
    """`--from` and `--to` as every command reads them (one rule): `--to` is the range's
    last day (`values.parse_last_day`: a week is its Sunday, a weekday is on or after
    `--from`). A missing end: neither is this ISO week; `--from` alone runs to
    `open_end(first)` (default: the end of its week); `--to` alone starts on its Monday."""
    from tui.store.values import ValueProblem, parse_date, parse_last_day, week_range

    def read(option: str, text: str, first: date | None = None) -> date:
        try:
            if option == "--to":
                return parse_last_day(text, today=today, first=first)
            return parse_date(text, today=today)
        except ValueProblem as problem:
            raise CliError(f"{option}: {problem}") from None

    first = read("--from", start_text) if start_text else None
    last = read("--to", end_text, first) if end_text else None
    if first is None:
        first = week_range(last or today)[0]
    if last is None:
        last = open_end(first) if open_end is not None else week_range(first)[1]
    if first > last:
        raise CliError(f"--from ({first}) is after --to ({last}).")
    return first, last


def require_terminal_or_yes(yes: bool, refusal: str) -> None:
    """A prompt needs a terminal: without one (a script, a pipe) and without --yes, refuse
    with `refusal` rather than guess an answer."""
    if not yes and not sys.stdin.isatty():
        raise CliError(refusal)


def cli_context(ctx: click.Context) -> CliContext:
    return ctx.ensure_object(CliContext)


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
"""`--format table|csv|json` as `fmt`, for the commands that list rows (entries, report)."""
