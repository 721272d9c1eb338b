"""The `timesheet` command: the TUI launcher and the scripting commands.

Imports are lazy on purpose: a scripting command must answer without paying for textual
(about 0.4 s), keyring or the ledger server, so each command imports what it needs when
it runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from tui.cli import approval_commands, config_commands, time_commands
from tui.cli.context import CliContext
from tui.cli.serve import serve


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--profile", envvar="TIMESHEET_PROFILE", help="Profile to use (config file).")
@click.option("--config", "config_path", envvar="TIMESHEET_CONFIG",
              type=click.Path(dir_okay=False, path_type=Path), help="Config file to read.")
@click.option("--demo", is_flag=True, help="Open on a temporary ledger full of demo data.")
@click.pass_context
def main(ctx: click.Context, profile: str | None, config_path: Path | None, demo: bool) -> None:
    """Log, stop and approve time from the terminal.

    Without a command, opens the app. Example: timesheet --demo
    """
    ctx.obj = CliContext(profile_name=profile, config_path=config_path)
    if ctx.invoked_subcommand is None:
        from tui.launch import run_app  # textual is imported only to open the app

        run_app(ctx.obj, demo=demo)


for command in (serve, *time_commands.COMMANDS, *approval_commands.COMMANDS,
                *config_commands.COMMANDS):
    main.add_command(command)
