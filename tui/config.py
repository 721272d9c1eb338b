"""Configuration: locating, parsing and validating ``config.toml``.

Without a file the built-in ``local`` ledger profile is used.  Every problem is a
:class:`ConfigError` whose message is one sentence naming the file and the key (or
line); tokens are never echoed.  No textual here (layer rule); keyring is lazy (slow).
"""

# No `from __future__ import annotations`: pydantic evaluates a model's string annotations
# when the class is made, and these classes are made at every start.

import contextlib
import json
import os
import re
import shlex
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)

from tui.models import Id
from tui.private_modes import FILE_MODE, FOLDER_MODE
from tui.store.present import plural

APP_NAME = "timesheet"
CONFIG_ENV = "TIMESHEET_CONFIG"
PROFILE_ENV = "TIMESHEET_PROFILE"
BUILTIN_PROFILE = "local"
TOKEN_COMMAND_TIMEOUT = 10.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
"""Hosts that plain http:// may reach: a token sent there never crosses a network."""
_TRACKABLE_TYPE = re.compile(r"[a-z][a-z0-9_-]*\Z")


class ConfigError(Exception):
    """A configuration problem; ``str()`` is one sentence fit to show a user."""


def default_config_path() -> Path:
    """Where the config file lives when neither ``--config`` nor the env names one."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_ledger_path() -> Path:
    """The ledger database used when a ledger profile gives no ``path``."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "ledger.db"


def parse_trackable(value: str) -> tuple[str, str]:
    """Split ``"client:<uuid>"`` into ``("client", "<uuid>")``; ``ValueError`` if malformed."""
    kind, sep, ident = value.partition(":")
    if not sep or not _TRACKABLE_TYPE.match(kind.strip()):
        raise ValueError(f"must look like 'type:uuid' (got {value!r})")
    try:
        parsed = uuid.UUID(ident.strip())
    except ValueError:
        raise ValueError(f"must look like 'type:uuid' ({ident!r} is not a UUID)") from None
    return kind.strip(), str(parsed)


def check_base_url(value: str) -> str:
    """https, or plain http for a loopback host only; the trailing slash dropped."""
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an https:// URL")
    if scheme == "http" and parts.hostname.lower() not in LOOPBACK_HOSTS:
        raise ValueError(
            "must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 or localhost)"
        )
    return value.strip().rstrip("/")


# TOML users write ``organization_id = 12345``; the models' Id takes it as ``"12345"``.
IdStr = Annotated[Id, Field(min_length=1)]
BaseUrl = Annotated[str, AfterValidator(check_base_url)]
Trackable = Annotated[str, AfterValidator(lambda value: ":".join(parse_trackable(value)))]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class _RemoteProfile(_Model):
    token_env: str | None = Field(None, min_length=1)
    """Name of the environment variable holding the API token."""
    token_command: str | None = None
    """Command printing the token on stdout (run without a shell, 10 s timeout)."""
    keyring: bool = Field(False, strict=True)
    """Read the token from the system keyring (service "timesheet", user = profile name)."""
    token: SecretStr | None = Field(None, min_length=1)
    """The token itself; allowed only when the file is private (chmod 600)."""

    @model_validator(mode="after")
    def _one_token_source(self) -> Self:
        given = [n for n in ("token_env", "token_command", "token") if getattr(self, n) is not None]
        given += ["keyring"] if self.keyring else []
        if len(given) != 1:
            found = "none" if not given else " and ".join(given)
            raise ValueError(
                "must name exactly one token source (token_env, token_command, "
                f"keyring = true or token), but it names {found}"
            )
        if self.token_command is not None:
            try:
                argv = shlex.split(self.token_command)
            except ValueError as exc:
                raise ValueError(f"has a token_command that cannot be split ({exc})") from None
            if not argv:
                raise ValueError("has an empty token_command")
        return self


class ProductiveProfile(_RemoteProfile):
    """A Productive (productive.io) account."""

    backend: Literal["productive"] = "productive"
    """Which backend this profile talks to."""
    organization_id: IdStr
    """Productive organization id (sent as the X-Organization-Id header)."""
    person_id: IdStr | None = None
    """Your person id; looked up from the token when omitted."""
    base_url: BaseUrl = "https://api.productive.io/api/v2"
    """API root; https only, except for loopback hosts."""


class PlannrProfile(_RemoteProfile):
    """A Plannr CRM account."""

    backend: Literal["plannr"] = "plannr"
    """Which backend this profile talks to."""
    account_uuid: str = Field(min_length=1)
    """Plannr account UUID."""
    trackables: list[Trackable] = []
    """Things time can be logged against, each "type:uuid" (e.g. "client:<uuid>")."""
    base_url: BaseUrl = "https://api.plannrcrm.com/api/v1"
    """API root; https only, except for loopback hosts."""


class LedgerProfile(_Model):
    """A local ledger database; needs no account or token."""

    backend: Literal["ledger"] = "ledger"
    """Which backend this profile talks to."""
    path: Annotated[Path, AfterValidator(Path.expanduser)] = Field(
        default_factory=lambda: default_ledger_path()
    )
    """Ledger database file (``~`` is expanded)."""


Profile = ProductiveProfile | PlannrProfile | LedgerProfile
_BACKENDS: dict[str, type[_Model]] = {
    "productive": ProductiveProfile,
    "plannr": PlannrProfile,
    "ledger": LedgerProfile,
}


WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class UiSettings(_Model):
    """The ``[ui]`` table."""

    theme: str = "timesheet-dark"
    """Name of the colour theme."""
    rounding_minutes: int = Field(0, ge=0, le=240, strict=True)
    """Round logged durations to this many minutes; 0 turns rounding off."""
    bulk_chunk_size: int = Field(100, ge=1, le=1000, strict=True)
    """How many entries bulk operations send per request."""
    forgotten_timer_hours: float = Field(10.0, gt=0, strict=True)
    """A timer running longer than this is flagged as probably forgotten."""
    request_timeout_seconds: float = Field(30.0, gt=0, le=600)
    """How long a request to Productive or Plannr may take before it is given up."""
    settle_grace_seconds: float | None = Field(None, ge=0, le=3600)
    """After a write's answer is lost, how long to wait before reading whether it landed
    (a slow server may still apply it); default: twice the request timeout."""
    workday_minutes: int = Field(480, ge=0, le=24 * 60, strict=True)
    """The day target: a working day with less logged is short (gaps, submit, reports)."""
    work_days: tuple[WeekdayName, ...] = ("mon", "tue", "wed", "thu", "fri")
    """The working days, as three-letter day names."""

    @property
    def settle_grace(self) -> float:
        if self.settle_grace_seconds is not None:
            return self.settle_grace_seconds
        return 2 * self.request_timeout_seconds


class Config(_Model):
    """The whole config file."""

    default_profile: str | None = None
    """Profile used when neither --profile nor TIMESHEET_PROFILE chooses one."""
    profiles: dict[str, Annotated[Profile, Field(discriminator="backend")]] = Field(
        default_factory=dict
    )
    """Named profiles, one table each under [profiles]."""
    ui: UiSettings = Field(default_factory=UiSettings)
    """Display and behaviour settings."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key binding overrides: binding id -> key(s)."""


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and the file it came from (``None``: no file, defaults)."""

    config: Config
    path: Path | None


def load_config(
    path: Path | str | None = None, env: Mapping[str, str] = os.environ
) -> LoadedConfig:
    """Find, parse and validate the config file; raise :class:`ConfigError` on any problem."""
    if path is not None and str(path):
        file, named_by = Path(path).expanduser(), "--config"
    elif env.get(CONFIG_ENV):
        file, named_by = Path(env[CONFIG_ENV]).expanduser(), CONFIG_ENV
    else:
        file, named_by = default_config_path(), None
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        if named_by is None:
            return LoadedConfig(Config(), None)
        raise ConfigError(f"{file}: the config file named by {named_by} does not exist.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: the config file is not valid UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file ({exc.strerror or exc}).") from None
    raw = _parse_toml(file, text)
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{file}: {_validation_message(exc)}") from None
    _check_literal_tokens(file, config)
    return LoadedConfig(config, file)


def _toml_message(message: str) -> str:
    match = re.fullmatch(r"(.*?)\s*\(at (.+)\)", message, re.DOTALL)
    if not match:
        return f"invalid TOML: {message.rstrip('.')}."
    what = match.group(1).rstrip(".")
    return f"invalid TOML at {match.group(2)}: {what[:1].lower()}{what[1:]}."


def _check_literal_tokens(file: Path, config: Config) -> None:
    if os.name == "nt":  # no meaningful POSIX permission bits there
        return
    names = [n for n, p in config.profiles.items() if getattr(p, "token", None) is not None]
    if names and file.stat().st_mode & 0o077:
        raise ConfigError(
            f"{file}: profiles.{names[0]}.token is a literal token but the file is "
            f"readable by other users; run `chmod 600 {shlex.quote(str(file))}` "
            "(or use token_env, token_command or keyring instead)."
        )


_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "string": "a string",
    "bool": "true or false",
    "list": "a list",
    "tuple": "a list",
    "dict": "a table",
    "model": "a table",
    "path": "a path string",
}
_BOUNDS = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _dotted(loc: tuple[Any, ...]) -> str:
    """A key path as TOML writes it: `profiles.work.token_env`; a key that is not bare
    is quoted (`profiles."my\\nwork"`), so the sentence stays one line."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = (
            str(part)
            if _BARE_KEY.fullmatch(str(part))
            else json.dumps(str(part), ensure_ascii=False)
        )
        text += f".{key}" if text else key
    return text


def _shown(key: str, value: Any) -> str:
    if "token" in key:  # never echo anything that might be a secret
        return ""
    text = (
        "a table"
        if isinstance(value, dict)
        else "a list"
        if isinstance(value, list)
        else repr(value)
    )
    return f" (got {text if len(text) <= 40 else text[:37] + '...'})"


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    # The discriminated union adds the backend tag after the profile name: drop it.
    if loc[:1] == ("profiles",) and len(loc) >= 3 and loc[2] in _BACKENDS:
        model: type[BaseModel] | None = _BACKENDS[loc[2]]
        loc = loc[:2] + loc[3:]
    else:
        model = {0: Config, 1: UiSettings if loc[:1] == ("ui",) else None}.get(len(loc) - 1)
    key, kind, ctx = _dotted(loc), error["type"], error.get("ctx") or {}
    backends = ", ".join(list(_BACKENDS)[:-1]) + f" or {list(_BACKENDS)[-1]}"
    if kind == "union_tag_invalid":
        return f"{key}.backend: unknown backend {ctx.get('tag')!r} (expected {backends})."
    if kind == "union_tag_not_found":
        return f"{key}.backend is required (expected {backends})."
    if kind == "missing":
        return f"{key} is required."
    if kind == "extra_forbidden":
        hint = ""
        if model is not None:
            import difflib  # only to word this message

            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
        return f"{key} is not a known setting{hint}."
    if kind.endswith(("_type", "_parsing", "int_from_float")) and kind.split("_")[0] in _TYPE_WORDS:
        return f"{key} must be {_TYPE_WORDS[kind.split('_')[0]]}{_shown(key, error.get('input'))}."
    for bound, words in _BOUNDS.items():
        if bound in ctx and kind.startswith(("greater", "less")):
            return f"{key} must be {words} {ctx[bound]}{_shown(key, error.get('input'))}."
    if kind in ("string_too_short", "too_short"):
        return f"{key} must not be empty."
    message = str(error["msg"]).rstrip(".")
    if kind == "value_error":  # ours, worded to follow the key: "key must ..."
        return f"{key} {message.removeprefix('Value error, ')}."
    return f"{key}: {message[:1].lower()}{message[1:]}."


SHOWN_PROBLEMS = 3
"""How many of a file's problems one message names (the rest are counted): fixing one at
a time, a run each, is slow; a wall of them hides the first."""


def _validation_message(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    shown = [_describe(error)[:-1] for error in errors[:SHOWN_PROBLEMS]]
    message = "; ".join(shown)
    if len(errors) > SHOWN_PROBLEMS:
        message += f" (and {plural(len(errors) - SHOWN_PROBLEMS, 'more problem')})"
    return message + "."


def select_profile(
    loaded: LoadedConfig, name: str | None = None, env: Mapping[str, str] = os.environ
) -> tuple[str, Profile]:
    """Choose the profile: *name* (``--profile``), else TIMESHEET_PROFILE, else default_profile.

    With no profiles at all, the built-in ``local`` ledger profile is the only one.
    """
    config = loaded.config
    where = f"{loaded.path}: " if loaded.path else ""
    profiles: dict[str, Profile] = dict(config.profiles) or {BUILTIN_PROFILE: LedgerProfile()}
    if name:
        chosen_by = "--profile"
    elif env.get(PROFILE_ENV):
        name, chosen_by = env[PROFILE_ENV], PROFILE_ENV
    elif config.default_profile:
        name, chosen_by = config.default_profile, "default_profile"
    elif len(profiles) == 1:
        return next(iter(profiles.items()))
    else:
        raise ConfigError(
            f"{where}several profiles are defined ({', '.join(profiles)}) but none is "
            f"chosen; set default_profile, pass --profile or set {PROFILE_ENV}."
        )
    if name not in profiles:
        raise ConfigError(
            f"{where}unknown profile {name!r} (chosen by {chosen_by}); "
            f"known profiles: {', '.join(profiles)}."
        )
    return name, profiles[name]


def resolve_token(profile_name: str, profile: Profile, env: Mapping[str, str] = os.environ) -> str:
    """Return the API token from the profile's token source, or raise :class:`ConfigError`."""
    if isinstance(profile, LedgerProfile):
        raise ConfigError(f"Profile {profile_name!r} uses the local ledger, which needs no token.")
    if profile.token is not None:
        return profile.token.get_secret_value().strip()
    if profile.token_env is not None:
        value = env.get(profile.token_env, "").strip()
        if not value:
            raise ConfigError(
                f"The environment variable {profile.token_env} named by profile "
                f"{profile_name!r} (token_env) is not set."
            )
        return value
    if profile.token_command is not None:
        return _run_token_command(profile_name, profile.token_command)
    return _keyring_token(profile_name)


def _run_token_command(profile_name: str, command: str) -> str:
    argv = shlex.split(command)
    source = f"The command {argv[0]!r} named by profile {profile_name!r} (token_command)"
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=TOKEN_COMMAND_TIMEOUT
        )
    except FileNotFoundError:
        raise ConfigError(f"{source} was not found.") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"{source} did not finish within {TOKEN_COMMAND_TIMEOUT:g} seconds."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{source} could not be run ({exc.strerror or type(exc).__name__})."
        ) from None
    if done.returncode != 0:
        raise ConfigError(f"{source} failed with exit status {done.returncode}.")
    # Like `pass show`, the token is the first line; later lines may be notes.
    lines = done.stdout.decode("utf-8", errors="replace").strip().splitlines()
    if not lines or not lines[0].strip():
        raise ConfigError(f"{source} printed nothing.")
    return lines[0].strip()


def _keyring_token(profile_name: str) -> str:
    source = (
        f"The system keyring (service {APP_NAME!r}, user {profile_name!r}) named by "
        f"profile {profile_name!r} (keyring = true)"
    )
    try:
        import keyring  # slow import: only when a profile actually uses it

        value = keyring.get_password(APP_NAME, profile_name)
    except Exception as exc:
        raise ConfigError(f"{source} could not be read ({type(exc).__name__}).") from None
    if not value or not value.strip():
        raise ConfigError(
            f"{source} holds no token; store one with `keyring set {APP_NAME} {profile_name}`."
        )
    return value.strip()


# ------------------------------------------------------------------------- writing


def validate_config_data(raw: Mapping[str, Any], file: Path | str = "config.toml") -> Config:
    """Validate parsed TOML as a config; raise :class:`ConfigError` (one sentence) if wrong.
    Used before writing, so a command never writes a file that `load_config` would refuse."""
    try:
        return Config.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(f"{file}: {_validation_message(exc)}") from None


def read_config_data(file: Path) -> dict[str, Any]:
    """The raw TOML of *file* (``{}`` if it does not exist); :class:`ConfigError` if unreadable."""
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: the config file is not valid UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file ({exc.strerror or exc}).") from None
    return _parse_toml(file, text)


def _parse_toml(file: Path, text: str) -> dict[str, Any]:
    import tomllib  # here, not at the top: most starts have no config file to read

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {_toml_message(str(exc))}") from None
    except RecursionError:  # arrays or tables nested past the parser's stack
        raise ConfigError(f"{file}: values are nested too deep to read.") from None


def write_config_data(file: Path, data: Mapping[str, Any]) -> None:
    """Write *data* as TOML to *file* atomically, mode 0600 (see `write_toml`)."""
    write_toml(file, data)


def write_toml(file: Path, data: Mapping[str, Any], *, what: str = "the config file") -> None:
    """Write *data* as TOML to *file* atomically, mode 0600; a failure is a
    :class:`ConfigError` naming the file as *what*.

    The text goes to a temporary file in the same directory, created 0600 before any
    content is written, is fsynced, and then replaces *file* with ``os.replace``; the
    directory is fsynced too. A reader sees the old file or the new one, never a part.
    """
    import tempfile

    import tomli_w

    text = tomli_w.dumps(dict(data))
    file = Path(file).expanduser()

    def failed(exc: OSError) -> ConfigError:
        return ConfigError(f"{file}: cannot write {what} ({exc.strerror or exc}).")

    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{file.name}.", suffix=".tmp", dir=file.parent
        )
    except OSError as exc:
        raise failed(exc) from None
    try:
        with contextlib.suppress(AttributeError, OSError):  # no fchmod on Windows
            os.fchmod(handle, FILE_MODE)  # mkstemp already makes it 0600; say so anyway
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, file)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise failed(exc) from None
        raise
    if os.name != "nt":
        with contextlib.suppress(OSError):
            directory = os.open(file.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
