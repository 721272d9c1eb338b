"""`config path | show | init`: secrets stay hidden, init tests the connection against a
served ledger before it writes, and the file is written merged, atomically, mode 0600."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
import tomli_w
from click.testing import CliRunner, Result
from keyring.backend import KeyringBackend
from keyring.backends import fail

from tests.conftest import FROZEN_NOW, LoopbackServer
from tui.cli import main
from tui.config import default_config_path, load_config, resolve_token, select_profile
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo

TOKEN_ENV = "TIMESHEET_TEST_LEDGER_TOKEN"
LITERAL = "lit-3r4l-t0ken-d0-not-print"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def use_keyring() -> Iterator[callable]:
    before = keyring.get_keyring()

    def use(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(before)


@pytest.fixture
def served(ledger: LedgerDB, clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    populate_demo(ledger, today=FROZEN_NOW.date())
    monkeypatch.setenv(TOKEN_ENV, ledger.identity.token)
    with LoopbackServer(create_app(ledger, clock=clock)) as server:
        yield server


def run(config: Path | None, *args: str, input: str | None = None) -> Result:
    prefix = ["--config", str(config)] if config is not None else []
    result = CliRunner().invoke(main, [*prefix, *args], input=input)
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def run_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    assert "Traceback" not in done.stderr
    return done


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write(path: Path, data: dict, file_mode: int = 0o600) -> Path:
    path.write_text(tomli_w.dumps(data))
    path.chmod(file_mode)
    return path


def productive_args(ledger: LedgerDB, server: LoopbackServer, *more: str) -> list[str]:
    return [
        "config",
        "init",
        "--backend",
        "productive",
        "--organization-id",
        ledger.identity.organization_id,
        "--base-url",
        f"{server.url}/api/v2",
        *more,
    ]


# ------------------------------------------------------------------------- path, show


def test_config_path_follows_option_env_and_default(tmp_path: Path, monkeypatch) -> None:
    named = tmp_path / "named.toml"
    assert run(named, "config", "path").stdout.strip() == str(named)
    monkeypatch.setenv("TIMESHEET_CONFIG", str(tmp_path / "env.toml"))
    assert run(None, "config", "path").stdout.strip() == str(tmp_path / "env.toml")
    monkeypatch.delenv("TIMESHEET_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    result = run(None, "config", "path")
    assert result.exit_code == 0
    assert result.stdout.strip() == str(default_config_path())
    assert result.stdout.strip().startswith(str(tmp_path / "xdg"))


def test_config_show_never_prints_a_token(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.toml",
        {
            "default_profile": "work",
            "profiles": {
                "work": {"backend": "productive", "organization_id": "12345", "token": LITERAL},
                "crm": {
                    "backend": "plannr",
                    "account_uuid": "ad8ae460",
                    "token_env": "PLANNR_TOKEN",
                },
                "pass": {
                    "backend": "productive",
                    "organization_id": "1",
                    "token_command": "pass show productive",
                },
            },
            "ui": {"rounding_minutes": 15},
        },
    )
    done = run_process("--config", str(config), "config", "show")
    assert done.returncode == 0, done.stderr
    assert LITERAL not in done.stdout + done.stderr
    shown = tomllib.loads(done.stdout)
    assert shown["profiles"]["work"]["token"] == "***"
    assert shown["profiles"]["crm"]["token_env"] == "PLANNR_TOKEN"
    assert shown["profiles"]["pass"]["token_command"] == "pass show productive"
    assert shown["ui"] == {"rounding_minutes": 15}


def test_a_literal_token_in_a_readable_file_is_refused_with_chmod_600(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.toml",
        {"profiles": {"work": {"backend": "productive", "organization_id": "1", "token": LITERAL}}},
        0o644,
    )
    for args in (("config", "show"), ("approve", "1")):
        done = run_process("--config", str(config), *args)
        assert done.returncode == 2
        assert "chmod 600" in done.stderr
        assert LITERAL not in done.stdout + done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------- init


def test_init_with_options_tests_the_connection_and_merges_0600(
    tmp_path, ledger, served, monkeypatch
) -> None:
    config = write(
        tmp_path / "config.toml",
        {
            "default_profile": "local",
            "profiles": {"local": {"backend": "ledger", "path": str(tmp_path / "mine.db")}},
            "ui": {"rounding_minutes": 15},
        },
        0o644,
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(
        config, *productive_args(ledger, served, "--name", "work", "--token-env", TOKEN_ENV)
    )
    assert result.exit_code == 0, result.output
    assert "Connected as Sofia Marchetti" in result.stdout
    assert mode(config) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temp file left behind
    data = tomllib.loads(config.read_text())
    assert data["default_profile"] == "local"  # kept: --default was not given
    assert data["ui"] == {"rounding_minutes": 15}
    assert data["profiles"]["local"] == {"backend": "ledger", "path": str(tmp_path / "mine.db")}
    assert data["profiles"]["work"] == {
        "backend": "productive",
        "organization_id": ledger.identity.organization_id,
        "base_url": f"{served.url}/api/v2",
        "token_env": TOKEN_ENV,
        "person_id": str(ledger.identity.owner_person_id),
    }
    # The written profile works.
    loaded = load_config(config)
    name, profile = select_profile(loaded, "work")
    assert resolve_token(name, profile) == ledger.identity.token
    # A second run replaces the profile and, with --default, makes it the default.
    result = run(
        config,
        *productive_args(
            ledger,
            served,
            "--name",
            "work",
            "--person-id",
            "2",
            "--token-env",
            TOKEN_ENV,
            "--default",
        ),
    )
    assert result.exit_code == 0, result.output
    assert "Replaced profile 'work'" in result.stdout
    data = tomllib.loads(config.read_text())
    assert data["default_profile"] == "work" and data["profiles"]["work"]["person_id"] == "2"
    assert set(data["profiles"]) == {"local", "work"}


def test_init_with_a_wrong_token_writes_nothing(tmp_path, ledger, served, monkeypatch) -> None:
    monkeypatch.setenv("WRONG_TOKEN", "not-the-token")
    fresh = tmp_path / "fresh.toml"
    result = run(fresh, *productive_args(ledger, served, "--token-env", "WRONG_TOKEN"))
    assert result.exit_code == 2
    assert result.stderr.startswith("timesheet: The connection test failed")
    assert "Nothing was written" in result.stderr
    assert "not-the-token" not in result.output
    assert not fresh.exists()
    assert list(tmp_path.glob(".fresh.toml.*")) == []

    existing = write(tmp_path / "config.toml", {"profiles": {"local": {"backend": "ledger"}}})
    text = existing.read_text()
    result = run(existing, *productive_args(ledger, served, "--token-env", "UNSET_VARIABLE_X"))
    assert result.exit_code == 2
    assert "UNSET_VARIABLE_X" in result.stderr and "is not set" in result.stderr
    assert existing.read_text() == text
    # --no-test writes without asking the server.
    result = run(fresh, *productive_args(ledger, served, "--token-env", "WRONG_TOKEN", "--no-test"))
    assert result.exit_code == 0 and fresh.exists() and mode(fresh) == 0o600


def test_init_keeps_a_typed_token_in_the_keyring_not_the_file(
    tmp_path, ledger, served, use_keyring
) -> None:
    memory = use_keyring(MemoryKeyring())
    config = tmp_path / "config.toml"
    # `--token` alone asks for it with a hidden prompt.
    result = run(
        config,
        *productive_args(ledger, served, "--name", "acme", "--token"),
        input=ledger.identity.token + "\n",
    )
    assert result.exit_code == 0, result.output
    assert ledger.identity.token not in result.output
    assert memory.store == {("timesheet", "acme"): ledger.identity.token}
    text = config.read_text()
    assert ledger.identity.token not in text
    data = tomllib.loads(text)
    assert data["profiles"]["acme"]["keyring"] is True and "token" not in data["profiles"]["acme"]
    assert data["default_profile"] == "acme"
    assert mode(config) == 0o600
    assert resolve_token(*select_profile(load_config(config))) == ledger.identity.token

    # A wrong token is neither stored nor written.
    other = tmp_path / "other.toml"
    result = run(other, *productive_args(ledger, served, "--name", "bad", "--token", "nope"))
    assert result.exit_code == 2 and not other.exists()
    assert ("timesheet", "bad") not in memory.store


def test_init_without_a_keyring_needs_a_token_env_or_command(
    tmp_path, ledger, served, use_keyring
) -> None:
    use_keyring(fail.Keyring())
    config = tmp_path / "config.toml"
    result = run(config, *productive_args(ledger, served, "--token", "abc"))
    assert result.exit_code == 2
    assert "--token-env" in result.stderr and not config.exists()
    result = run(config, *productive_args(ledger, served, "--keyring", "--token-env", "X"))
    assert result.exit_code == 2 and not config.exists()
    # Asked interactively instead: the variable's name.
    result = run(config, *productive_args(ledger, served), input=f"{TOKEN_ENV}\n")
    assert result.exit_code == 0, result.output
    assert tomllib.loads(config.read_text())["profiles"]["work"]["token_env"] == TOKEN_ENV


def test_init_guided_asks_for_everything(tmp_path, ledger, served, use_keyring) -> None:
    use_keyring(fail.Keyring())
    config = tmp_path / "sub" / "config.toml"
    answers = [
        "productive",
        "team",
        ledger.identity.organization_id,
        "",
        f"{served.url}/api/v2",
        TOKEN_ENV,
    ]
    result = run(config, "config", "init", "--default", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Productive organization id" in result.stdout
    assert "Connected as Sofia Marchetti" in result.stdout
    data = tomllib.loads(config.read_text())
    assert data["default_profile"] == "team"
    assert data["profiles"]["team"]["token_env"] == TOKEN_ENV
    assert mode(config) == 0o600

    # With a keyring, it asks where the token comes from and reads it hidden.
    memory = use_keyring(MemoryKeyring())
    answers = [
        "productive",
        "kept",
        ledger.identity.organization_id,
        "",
        f"{served.url}/api/v2",
        "keyring",
        ledger.identity.token,
    ]
    result = run(config, "config", "init", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Where does the token come from" in result.stdout
    assert ledger.identity.token not in result.output
    assert memory.store == {("timesheet", "kept"): ledger.identity.token}
    data = tomllib.loads(config.read_text())
    assert data["profiles"]["kept"]["keyring"] is True
    assert data["default_profile"] == "team" and set(data["profiles"]) == {"team", "kept"}


def test_init_writes_atomically(tmp_path, ledger, served, monkeypatch) -> None:
    config = write(tmp_path / "config.toml", {"profiles": {"local": {"backend": "ledger"}}})
    text = config.read_text()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = run(config, *productive_args(ledger, served, "--token-env", TOKEN_ENV))
    assert result.exit_code == 2
    assert "cannot write the config file" in result.stderr
    assert config.read_text() == text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".config.toml")] == []


def test_init_a_plannr_and_a_ledger_profile(tmp_path, ledger, served) -> None:
    config = tmp_path / "config.toml"
    trackable = "client:615c2199-3d96-4a17-9f33-4cdecdc83c7f"
    result = run(
        config,
        "config",
        "init",
        "--backend",
        "plannr",
        "--account-uuid",
        ledger.identity.account_uuid,
        "--base-url",
        f"{served.url}/api/v1",
        "--trackable",
        trackable,
        "--token-env",
        TOKEN_ENV,
    )
    assert result.exit_code == 0, result.output
    assert "Connected as" in result.stdout
    result = run(
        config, "config", "init", "--backend", "ledger", "--path", str(tmp_path / "local.db")
    )
    assert result.exit_code == 0, result.output
    data = tomllib.loads(config.read_text())
    assert data["profiles"]["crm"]["trackables"] == [trackable]
    assert data["profiles"]["local"] == {"backend": "ledger", "path": str(tmp_path / "local.db")}
    assert data["default_profile"] == "crm"
    # A bad value is refused before anything is asked of the server.
    result = run(
        config,
        "config",
        "init",
        "--backend",
        "plannr",
        "--account-uuid",
        "x",
        "--trackable",
        "nonsense",
        "--token-env",
        TOKEN_ENV,
    )
    assert result.exit_code == 2 and "trackables" in result.stderr


def test_help_mentions_every_option() -> None:
    top = CliRunner().invoke(main, ["--help"])
    for word in ("--profile", "--config", "--demo", "approve", "unapprove", "reject", "config"):
        assert word in top.output, word
    group = CliRunner().invoke(main, ["config", "--help"])
    for word in ("init", "show", "path"):
        assert word in group.output
    init = CliRunner().invoke(main, ["config", "init", "--help"])
    for option in (
        "--backend",
        "--name",
        "--organization-id",
        "--person-id",
        "--account-uuid",
        "--trackable",
        "--base-url",
        "--path",
        "--token-env",
        "--token-command",
        "--keyring",
        "--no-keyring",
        "--token",
        "--no-test",
        "--default",
    ):
        assert option in init.output, option


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["reject", "5"], "timesheet: Missing option '--reason' (see 'timesheet reject --help')."),
        (
            ["entries", "--format", "xml"],
            "timesheet: Invalid value for '--format': 'xml' is not "
            "one of 'table', 'csv', 'json' (see 'timesheet entries --help').",
        ),
        (["--bogus"], "timesheet: No such option '--bogus' (see 'timesheet --help')."),
        (["config", "nope"], "timesheet: No such command 'nope' (see 'timesheet config --help')."),
    ],
)
def test_usage_errors_are_one_sentence(args: list[str], said: str) -> None:
    done = run_process(*args)
    assert done.returncode == 2
    assert done.stderr == said + "\n"  # not click's usage, hint and error on four lines


def test_demo_with_a_command_is_refused_rather_than_using_the_real_profile(tmp_path) -> None:
    config = write(
        tmp_path / "config.toml",
        {"profiles": {"local": {"backend": "ledger", "path": str(tmp_path / "real.db")}}},
    )
    result = CliRunner().invoke(main, ["--config", str(config), "--demo", "status"])
    assert result.exit_code == 2
    assert "--demo only opens the app" in result.stderr and "serve --demo" in result.stderr
    assert not (tmp_path / "real.db").exists()


def ledger_profile(tmp_path: Path, ledger_path: Path) -> Path:
    return write(
        tmp_path / "config.toml",
        {
            "default_profile": "local",
            "profiles": {"local": {"backend": "ledger", "path": str(ledger_path)}},
        },
    )


def test_a_ledger_path_that_cannot_be_a_ledger_is_one_sentence_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("these are my notes, not a ledger\n" * 100)
    missing = tmp_path / "no-such-folder" / "ledger.db"
    other = tmp_path / "other.db"  # another program's database
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    expected = {
        folder: f"{folder} is a folder; give a file in it",
        not_sqlite: f"{not_sqlite} is not a timesheet ledger",
        missing: f"folder {missing.parent} does not exist",
        other: f"{other} is an SQLite database but not a timesheet ledger",
    }
    for path, sentence in expected.items():
        result = run(ledger_profile(tmp_path, path), "status")
        assert result.exit_code == 2, result.output
        assert sentence in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not missing.parent.exists()  # a typo'd folder is not made
    assert not_sqlite.read_text().startswith("these are my notes")  # left as it was
    with sqlite3.connect(other) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert tables == ["recipes"]  # no ledger tables, no token added to it


def test_a_new_ledger_file_is_private_it_holds_its_token(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    assert run(ledger_profile(tmp_path, path), "status").exit_code == 0
    assert mode(path) == 0o600
    made = tmp_path / "made" / "here" / "ledger.db"
    LedgerDB(made).close()  # the default place's folders are made, private
    assert (mode(made.parent), mode(made)) == (0o700, 0o600)


def test_a_damaged_journal_stops_the_app_with_one_sentence_and_is_left_alone(
    tmp_path: Path,
) -> None:
    config = ledger_profile(tmp_path, tmp_path / "ledger.db")
    state = tmp_path / "state"
    journal = state / "timesheet" / "local.db"
    journal.parent.mkdir(parents=True)
    journal.write_bytes(b"junk, not SQLite " * 200)
    done = run_process("--config", str(config), env={"XDG_STATE_HOME": str(state)})
    assert done.returncode == 2, done.stderr
    assert f"The journal {journal} cannot be opened: it is damaged" in done.stderr
    assert "move it aside" in done.stderr and done.stderr.count("\n") == 1
    assert journal.read_bytes().startswith(b"junk, not SQLite")


def test_the_first_config_keeps_the_local_ledger_time_was_logged_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.config import default_ledger_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    work = ["config", "init", "--backend", "productive", "--organization-id", "1"]
    work += ["--token-env", TOKEN_ENV, "--no-test"]

    fresh = tmp_path / "fresh.toml"  # nobody logged time yet: only the new profile
    assert run(fresh, *work).exit_code == 0
    assert set(tomllib.loads(fresh.read_text())["profiles"]) == {"work"}

    LedgerDB(default_ledger_path()).close()  # the built-in profile's ledger, in use
    config = tmp_path / "config.toml"
    result = run(config, *work)
    assert result.exit_code == 0, result.output
    data = tomllib.loads(config.read_text())
    assert data["profiles"]["local"] == {"backend": "ledger", "path": str(default_ledger_path())}
    assert data["default_profile"] == "work"
    assert "timesheet --profile local" in result.stdout
    assert run(config, "--profile", "local", "status").exit_code == 0


def test_a_config_of_only_ui_settings_still_keeps_the_local_ledger_at_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.config import default_ledger_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    LedgerDB(default_ledger_path()).close()
    config = write(tmp_path / "config.toml", {"ui": {"rounding_minutes": 15}})
    work = ["config", "init", "--backend", "productive", "--organization-id", "1"]
    result = run(config, *work, "--token-env", TOKEN_ENV, "--no-test")
    assert result.exit_code == 0, result.output
    data = tomllib.loads(config.read_text())
    assert set(data["profiles"]) == {"work", "local"} and data["ui"]["rounding_minutes"] == 15
