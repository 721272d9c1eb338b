"""`timesheet serve`: the local ledger over HTTP on a loopback port."""

from __future__ import annotations

import contextlib
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.context import CliError, cli_context
from tui.startup import startup_done

if TYPE_CHECKING:
    from tui.ledger.db import LedgerDB


def _ledger_path(ctx: click.Context) -> Path:
    """The ledger file of the chosen profile, or the default one."""
    from tui.config import LedgerProfile, default_ledger_path

    _, profile = cli_context(ctx).profile()
    return profile.path if isinstance(profile, LedgerProfile) else default_ledger_path()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off only on sockets
    # that say they are TCP, and with it on every answer on a kept-alive connection waits
    # about 40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening before the URL is printed means a client that reads it can connect
        # at once: connections queue until uvicorn starts accepting.
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise CliError(
            f"Cannot listen on {host}:{port} ({error.strerror}); choose another with --port."
        ) from None
    return sock


def _echo_trackables(ledger: LedgerDB) -> None:
    """The services as Plannr trackables: a `trackables = [...]` line ready for a Plannr
    profile, then each trackable with its name."""
    import json

    from tui.ledger.plannr import trackables
    from tui.store.values import printable

    listed = trackables(ledger)
    click.echo("  Plannr trackables (for a Plannr profile's config):")
    click.echo(f"    trackables = {json.dumps([ident for ident, _ in listed])}")
    for ident, name in listed:
        click.echo(f"    {ident}  {printable(name)}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ledger database file (default: the profile's ledger).",
)
@click.option("--demo", is_flag=True, help="Serve a temporary ledger full of demo data.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, db_path: Path | None, demo: bool) -> None:
    """Serve the local ledger over HTTP (Productive v2 at /api/v2, Plannr v1 at /api/v1).

    Example: timesheet serve --demo --port 8765
    """
    import uvicorn

    from tui.api.factory import open_ledger
    from tui.config import LOOPBACK_HOSTS
    from tui.ledger.app import create_app
    from tui.ledger.db import LedgerError

    with contextlib.ExitStack() as stack:
        try:
            if demo:
                from tui.ledger.demo import create_demo_ledger

                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="timesheet-")))
                ledger = create_demo_ledger(db_path or folder / "demo-ledger.db")
            else:
                ledger = open_ledger(db_path or _ledger_path(ctx))
        except LedgerError as error:
            raise CliError(str(error)) from None
        stack.callback(ledger.close)
        sock = _bind(host, port)
        stack.callback(sock.close)
        bound_port = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound_port}"
        identity = ledger.identity
        click.echo(f"Ledger {ledger.path}{' (demo, deleted on exit)' if demo else ''}")
        click.echo(f"  Productive v2: {url}/api/v2")
        click.echo(f"  Plannr v1:     {url}/api/v1")
        click.echo(f"  Organization id: {identity.organization_id}")
        click.echo(f"  Plannr account:  {identity.account_uuid}")
        click.echo(f"  Token:           {identity.token}")
        _echo_trackables(ledger)
        if host not in LOOPBACK_HOSTS:
            click.echo(
                "  Warning: plain HTTP on a non-loopback address exposes the token.", err=True
            )
        click.echo("Press Ctrl+C to stop.")
        server = uvicorn.Server(
            uvicorn.Config(create_app(ledger), log_level="warning", lifespan="off")
        )
        startup_done()
        # uvicorn finishes open requests on Ctrl+C, then re-raises the signal it caught.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
        click.echo("Ledger stopped.")


COMMANDS: list[click.Command] = [serve]
