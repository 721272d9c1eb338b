"""`config path | show | init`: where the config is, what it says, and writing a profile.

`init` asks for what it needs (every question is also an option, for scripts), tests the
connection before it writes anything, keeps a typed token in the system keyring (never in
the file), and writes the file atomically with mode 0600, merged with what is there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tui.cli.context import CliError, cli_context

if TYPE_CHECKING:
    from tui.config import Profile
    from tui.models import Person

SECRET = "***"
BACKENDS = ("productive", "plannr", "ledger")
DEFAULT_NAMES = {"productive": "work", "plannr": "crm", "ledger": "local"}


def config_file(ctx: click.Context) -> Path:
    """The config file in use: --config, else TIMESHEET_CONFIG, else the default place."""
    from tui.config import CONFIG_ENV, default_config_path

    chosen = cli_context(ctx).config_path
    if chosen is not None and str(chosen):
        return Path(chosen).expanduser()
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    return default_config_path()


@click.group()
def config() -> None:
    """Show or write the configuration (config.toml)."""


@config.command("path")
@click.pass_context
def path_command(ctx: click.Context) -> None:
    """Print the config file path in use (--config, TIMESHEET_CONFIG or the default)."""
    click.echo(str(config_file(ctx)))


def hide_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of raw config data with every literal token replaced by "***"."""
    out = dict(data)
    profiles = out.get("profiles")
    if isinstance(profiles, dict):
        out["profiles"] = {
            name: (
                {k: (SECRET if k == "token" else v) for k, v in table.items()}
                if isinstance(table, dict)
                else table
            )
            for name, table in profiles.items()
        }
    return out


@config.command("show")
@click.pass_context
def show_command(ctx: click.Context) -> None:
    """Print the config as TOML, with literal tokens shown as "***"."""
    import tomli_w

    from tui.config import BUILTIN_PROFILE, ConfigError, read_config_data

    loaded = cli_context(ctx).config()  # validates, and refuses a token in a readable file
    if loaded.path is None:
        click.echo(f"# No config file at {config_file(ctx)}; the built-in profile is used.")
        default = {
            "profiles": {BUILTIN_PROFILE: {"backend": "ledger", "path": str(_default_ledger())}}
        }
        click.echo(tomli_w.dumps(default), nl=False)
        return
    try:
        raw = read_config_data(loaded.path)
    except ConfigError as error:
        raise CliError(str(error)) from None
    click.echo(f"# {loaded.path}")
    click.echo(tomli_w.dumps(hide_secrets(raw)), nl=False)


def _default_ledger() -> Path:
    from tui.config import default_ledger_path

    return default_ledger_path()


# ----------------------------------------------------------------------------- init


def keyring_usable() -> bool:
    """A real keyring backend exists (not keyring's fail or null backend)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


def _ask(value: Any, text: str, option: str, **kwargs: Any) -> Any:
    """The option's value, else a prompt; end of input becomes a one-line usage error."""
    if value is not None:
        return value
    try:
        return click.prompt(text, **kwargs)
    except click.Abort:
        raise CliError(f"No value for {option}; pass {option} or answer the question.") from None


def _ask_optional(value: Any, text: str, option: str, guided: bool, default: str = "") -> Any:
    if value is not None or not guided:
        return value
    answer = _ask(None, text, option, default=default, show_default=bool(default))
    return answer.strip() or None


def _check(profile_name: str, table: dict[str, Any], where: Path) -> Profile:
    from tui.config import ConfigError, validate_config_data

    try:
        return validate_config_data({"profiles": {profile_name: table}}, where).profiles[
            profile_name
        ]
    except ConfigError as error:
        raise CliError(str(error)) from None


def _test_connection(name: str, profile: Profile, token: str | None) -> Person:
    """Open the backend and ask who the token belongs to; the person, or exit 2."""
    import asyncio

    from pydantic import SecretStr

    from tui.api.errors import ApiError
    from tui.api.factory import open_backend
    from tui.config import ConfigError

    if token is not None:  # bound for the keyring: test it before anything is stored
        profile = profile.model_copy(update={"keyring": False, "token": SecretStr(token)})

    async def who() -> Person:
        backend = open_backend(name, profile)
        try:
            return await backend.current_person()
        finally:
            await backend.aclose()

    try:
        return asyncio.run(who())
    except (ConfigError, ValueError) as error:
        raise CliError(f"{error} Nothing was written.") from None
    except ApiError as error:
        raise CliError(
            f"The connection test failed: {error} Nothing was written (--no-test skips the test)."
        ) from None


@config.command("init")
@click.option("--backend", type=click.Choice(BACKENDS), help="productive, plannr or ledger.")
@click.option("--name", help="Profile name (default: work, crm or local).")
@click.option("--organization-id", help="Productive organization id.")
@click.option("--person-id", help="Productive person id (default: looked up from the token).")
@click.option("--account-uuid", help="Plannr account UUID.")
@click.option(
    "--trackable",
    "trackables",
    multiple=True,
    metavar="TYPE:UUID",
    help="Plannr trackable to list time for (repeatable).",
)
@click.option("--base-url", help="API root (default: the service's public URL).")
@click.option("--path", "ledger_path", help="Ledger database file (ledger backend).")
@click.option("--token-env", metavar="NAME", help="Read the token from this environment variable.")
@click.option(
    "--token-command", metavar="COMMAND", help="Run this command (no shell) to print the token."
)
@click.option(
    "--keyring/--no-keyring",
    "use_keyring",
    default=None,
    help="Keep the token in the system keyring (default when one exists).",
)
@click.option(
    "--token",
    prompt="API token",
    prompt_required=False,
    hide_input=True,
    default=None,
    help="The token, for the keyring; `--token` alone asks for it "
    "hidden (a value on the command line is seen by `ps`).",
)
@click.option("--no-test", is_flag=True, help="Write without testing the connection.")
@click.option("--default", "make_default", is_flag=True, help="Make this the default profile.")
@click.pass_context
def init_command(
    ctx: click.Context,
    backend: str | None,
    name: str | None,
    organization_id: str | None,
    person_id: str | None,
    account_uuid: str | None,
    trackables: tuple[str, ...],
    base_url: str | None,
    ledger_path: str | None,
    token_env: str | None,
    token_command: str | None,
    use_keyring: bool | None,
    token: str | None,
    no_test: bool,
    make_default: bool,
) -> None:
    """Add (or replace) a profile: ask, test the connection, then write the config.

    Without --backend it asks for everything; with --backend it asks only for what is
    required and missing. A token typed here goes to the system keyring, never into the
    file; without a keyring, name a --token-env or --token-command. Nothing is written if
    the connection test fails. The file is written atomically with mode 0600.

    Example: timesheet config init --backend productive --organization-id 12345
    --token-env PRODUCTIVE_TOKEN
    """
    from tui.config import ConfigError, read_config_data, validate_config_data, write_config_data

    file = config_file(ctx)
    try:
        existing = read_config_data(file)
    except ConfigError as error:
        raise CliError(f"{error} Fix it (or move it away) before `config init`.") from None

    guided = backend is None
    backend = _ask(
        backend, "Backend", "--backend", type=click.Choice(BACKENDS), default="productive"
    )
    if name is None and not guided:
        name = DEFAULT_NAMES[backend]
    name = _ask(name, "Profile name", "--name", default=DEFAULT_NAMES[backend]).strip()
    if not name:
        raise CliError("--name must not be empty.")

    table: dict[str, Any] = {"backend": backend}
    secret: str | None = None
    if backend == "ledger":
        if any(v is not None for v in (token_env, token_command, token, use_keyring)):
            raise CliError("The ledger backend needs no token; drop the token options.")
        chosen = _ask_optional(
            ledger_path, "Ledger database file", "--path", guided, default=str(_default_ledger())
        )
        if chosen:
            table["path"] = chosen
    else:
        if backend == "productive":
            table["organization_id"] = _ask(
                organization_id, "Productive organization id", "--organization-id"
            ).strip()
            chosen = _ask_optional(
                person_id, "Your person id (empty: look it up)", "--person-id", guided
            )
            if chosen:
                table["person_id"] = chosen
        else:
            table["account_uuid"] = _ask(
                account_uuid, "Plannr account UUID", "--account-uuid"
            ).strip()
            if trackables:
                table["trackables"] = list(trackables)
            elif guided:
                listed = _ask_optional(
                    None,
                    "Trackables, comma separated (type:uuid; empty: none)",
                    "--trackable",
                    guided,
                )
                if listed:
                    table["trackables"] = [t.strip() for t in listed.split(",") if t.strip()]
        chosen = _ask_optional(
            base_url, "API root (empty: the public service)", "--base-url", guided
        )
        if chosen:
            table["base_url"] = chosen
        source, secret = _token_source(token_env, token_command, use_keyring, token, guided)
        table.update(source)

    profile = _check(name, table, file)
    if no_test:
        click.echo("Connection not tested (--no-test).")
    else:
        me = _test_connection(name, profile, secret)
        click.echo(f"Connected as {me.name} (person {me.id}).")
        if backend == "productive" and "person_id" not in table:
            table["person_id"] = me.id

    merged = dict(existing)
    profiles = dict(merged.get("profiles") or {})
    replaced = name in profiles
    profiles[name] = table
    kept_ledger = _keep_the_builtin_ledger(existing, profiles)
    merged["profiles"] = profiles
    if make_default or not merged.get("default_profile"):
        merged["default_profile"] = name
    try:
        validate_config_data(merged, file)
    except ConfigError as error:
        raise CliError(f"{error} Nothing was written.") from None

    if secret is not None:
        _store_in_keyring(name, secret)
    try:
        write_config_data(file, merged)
    except ConfigError as error:
        raise CliError(str(error)) from None
    click.echo(
        f"{'Replaced' if replaced else 'Added'} profile {name!r} in {file}"
        f"{' (the default)' if merged['default_profile'] == name else ''}."
    )
    if kept_ledger is not None:
        click.echo(
            f"Your local ledger stays reachable as profile {kept_ledger!r} "
            f"(timesheet --profile {kept_ledger})."
        )


def _keep_the_builtin_ledger(existing: dict[str, Any], profiles: dict[str, Any]) -> str | None:
    """The first profile written ends the built-in one, which ran on the default ledger:
    if that ledger exists (time was logged on it), it gets a profile of its own, with the
    built-in one's name so that its journal is kept too, instead of becoming unreachable.
    The name of the profile added, if one was."""
    from tui.config import BUILTIN_PROFILE, default_ledger_path

    # A file of only [ui] or [keys] still ran on the built-in profile.
    if existing.get("profiles") or BUILTIN_PROFILE in profiles:
        return None
    if not default_ledger_path().is_file():
        return None
    profiles[BUILTIN_PROFILE] = {"backend": "ledger", "path": str(default_ledger_path())}
    return BUILTIN_PROFILE


def _token_source(
    token_env: str | None,
    token_command: str | None,
    use_keyring: bool | None,
    token: str | None,
    guided: bool,
) -> tuple[dict[str, Any], str | None]:
    """The profile's token setting, and the token to put in the keyring (if any)."""
    named = [
        o
        for o, v in (("--token-env", token_env), ("--token-command", token_command))
        if v is not None
    ]
    if len(named) > 1:
        raise CliError("Give one token source: --token-env or --token-command, not both.")
    if named:
        if use_keyring or token is not None:
            raise CliError(
                f"{named[0]} names where the token comes from; drop --keyring and "
                "--token (they are for keeping a token in the keyring)."
            )
        return (
            {"token_env": token_env.strip()}
            if token_env is not None
            else {"token_command": token_command}
        ), None
    usable = use_keyring is not False and keyring_usable()
    if usable and guided and use_keyring is None and token is None:
        where = _ask(
            None,
            "Where does the token come from",
            "--token-env",
            type=click.Choice(["keyring", "env", "command"]),
            default="keyring",
        )
        if where == "env":
            return {"token_env": _ask(None, "Environment variable", "--token-env").strip()}, None
        if where == "command":
            return {
                "token_command": _ask(None, "Command printing the token", "--token-command").strip()
            }, None
    if use_keyring and not usable:
        raise CliError(
            "No usable system keyring was found; name the token's source with "
            "--token-env NAME or --token-command COMMAND instead."
        )
    if not usable:
        if token is not None:
            raise CliError(
                "A token given with --token is kept in the system keyring, and "
                "there is none here; use --token-env NAME or --token-command "
                "COMMAND instead."
            )
        answer = _ask(
            None,
            "Environment variable holding the token (or `cmd: COMMAND` to run a command)",
            "--token-env",
        ).strip()
        if answer.startswith("cmd:"):
            return {"token_command": answer.removeprefix("cmd:").strip()}, None
        return {"token_env": answer}, None
    secret = _ask(
        token, "API token (kept in the system keyring)", "--token", hide_input=True
    ).strip()
    if not secret:
        raise CliError("The token must not be empty.")
    return {"keyring": True}, secret


def _store_in_keyring(name: str, secret: str) -> None:
    from tui.config import APP_NAME

    try:
        import keyring

        keyring.set_password(APP_NAME, name, secret)
    except Exception as error:
        raise CliError(
            f"The token could not be stored in the system keyring "
            f"({type(error).__name__}); nothing was written."
        ) from None


COMMANDS: list[click.Command] = [config]
