"""The `timesheet` command: the TUI launcher and the scripting commands.

Imports are lazy on purpose: a scripting command must answer without paying for textual
(about 0.4 s), keyring or the ledger server, so each command imports what it needs when
it runs, and only the module of the command that runs is imported (`COMMAND_MODULES`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from tui.cli.context import CliContext, CliError

COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "tui.cli.serve": ("serve",),
    "tui.cli.time_commands": (
        "status",
        "start",
        "stop",
        "discard",
        "add",
        "services",
        "entries",
        "import",
        "delete",
    ),
    "tui.cli.approval_commands": ("approve", "unapprove", "reject", "unreject"),
    "tui.cli.submit_commands": ("submit", "unsubmit", "gaps"),
    "tui.cli.config_commands": ("config",),
    "tui.cli.report_commands": ("report",),
}
"""Each module's `COMMANDS`, by name: a command's module is imported when it runs (or
when `--help` lists them all), not at start-up (a test checks the names)."""
_MODULE_OF = {name: module for module, names in COMMAND_MODULES.items() for name in names}


class CommandGroup(click.Group):
    """`timesheet`: click's usage errors become one sentence on stderr, like every other
    error (click prints the usage, a hint and the error on four lines); each command is
    loaded from its module when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_MODULE_OF})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _MODULE_OF:
            for command in importlib.import_module(_MODULE_OF[cmd_name]).COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def make_context(
        self, info_name: str | None, args: list[str], *rest: Any, **kwargs: Any
    ) -> click.Context:
        refuse_undecodable(args)
        with one_line_usage_errors():
            return super().make_context(info_name, args, *rest, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_usage_errors():
            return super().invoke(ctx)


def refuse_undecodable(args: list[str]) -> None:
    """Arguments that are not valid text in the terminal's encoding reach Python as lone
    surrogates: no server can store them, so they are refused before anything is sent."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            try:  # the bytes as typed, when the surrogates came from decoding them
                raw = arg.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                raw = arg.encode("utf-8", "backslashreplace")
            shown = raw.decode("ascii", "backslashreplace")
            option = args[number - 2] if number > 1 else ""
            what = f"The value of {option}" if option.startswith("-") else f"Argument {number}"
            raise CliError(f"{what} ({shown}) is not valid UTF-8 text; nothing was sent.") from None


@contextmanager
def one_line_usage_errors() -> Iterator[None]:
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # a bare group (`timesheet config`) shows its help
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx else "timesheet"
        raise CliError(f"{error.format_message().rstrip('.')} (see '{where} --help').") from None


@click.group(
    cls=CommandGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("--profile", envvar="TIMESHEET_PROFILE", help="Profile to use (config file).")
@click.option(
    "--config",
    "config_path",
    envvar="TIMESHEET_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to read.",
)
@click.option("--demo", is_flag=True, help="Open on a temporary ledger full of demo data.")
@click.pass_context
def main(ctx: click.Context, profile: str | None, config_path: Path | None, demo: bool) -> None:
    """Log, stop and approve time from the terminal.

    Without a command, opens the app. Example: timesheet --demo
    """
    ctx.obj = CliContext(profile_name=profile, config_path=config_path)
    if demo and ctx.invoked_subcommand is not None:
        # Not silently the real profile: a script that meant the demo must not touch it.
        raise CliError(
            f"--demo only opens the app; '{ctx.invoked_subcommand}' would use the "
            "profile's own data (for a demo server: timesheet serve --demo)."
        )
    if ctx.invoked_subcommand is None:
        from tui.launch import run_app  # textual is imported only to open the app
        from tui.store.journal import JournalError

        try:
            run_app(ctx.obj, demo=demo)
        except JournalError as error:  # e.g. written by a newer timesheet: say so, touch nothing
            raise CliError(str(error)) from None
