"""Tests for tui.config: loading, validation messages, profile choice, token sources."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
import tomli_w
from pydantic import ValidationError

from tui import config as cfg
from tui.config import (
    ConfigError,
    LedgerProfile,
    PlannrProfile,
    ProductiveProfile,
    load_config,
    parse_trackable,
    resolve_token,
    select_profile,
)

# The documented example, verbatim apart from [keys] getting one binding.
DESIGN_EXAMPLE = """\
default_profile = "work"

[profiles.work]
backend = "productive"
organization_id = "12345"
person_id = "7781"
token_env = "PRODUCTIVE_TOKEN"        # or token_command = "pass show productive"
base_url = "https://api.productive.io/api/v2"   # optional, both remote backends; the default shown

[profiles.crm]
backend = "plannr"
trackables = ["client:615c2199-3d96-4a17-9f33-4cdecdc83c7f"]
account_uuid = "ad8ae460-f07f-4a19-8ca0-66d11d40f1e0"
token_env = "PLANNR_TOKEN"

[profiles.local]
backend = "ledger"                    # the default when there is no config at all
path = "~/.local/share/timesheet/ledger.db"

[ui]
theme = "timesheet-dark"
rounding_minutes = 15                  # default 0: off
bulk_chunk_size = 100

[keys]
# binding id -> key(s), e.g. stop-timer = "ctrl+t"
stop-timer = "ctrl+t"
"""

PRODUCTIVE = '[profiles.work]\nbackend = "productive"\norganization_id = "1"\n'
SECRET = "s3cr3t-t0ken-value"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every default location into tmp_path; never touch the real home."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("TIMESHEET_CONFIG", raising=False)
    monkeypatch.delenv("TIMESHEET_PROFILE", raising=False)
    monkeypatch.setattr(
        cfg, "default_config_path", lambda: home / "config" / "timesheet" / "config.toml"
    )
    monkeypatch.setattr(
        cfg, "default_ledger_path", lambda: home / "data" / "timesheet" / "ledger.db"
    )
    return home


def write(tmp_path: Path, text: str, mode: int = 0o600, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "pydantic" not in message and "\n" not in message, message
    return message


# --- the documented format -------------------------------------------------------


def test_design_example_loads(tmp_path: Path, isolated: Path) -> None:
    path = write(tmp_path, DESIGN_EXAMPLE)
    loaded = load_config(path)
    assert loaded.path == path
    config = loaded.config
    assert config.default_profile == "work"

    work = config.profiles["work"]
    assert isinstance(work, ProductiveProfile)
    assert (work.organization_id, work.person_id, work.token_env) == (
        "12345",
        "7781",
        "PRODUCTIVE_TOKEN",
    )
    assert work.base_url == "https://api.productive.io/api/v2"

    crm = config.profiles["crm"]
    assert isinstance(crm, PlannrProfile)
    assert crm.account_uuid == "ad8ae460-f07f-4a19-8ca0-66d11d40f1e0"
    assert crm.trackables == ["client:615c2199-3d96-4a17-9f33-4cdecdc83c7f"]
    assert crm.base_url == "https://api.plannrcrm.com/api/v1"

    local = config.profiles["local"]
    assert isinstance(local, LedgerProfile)
    assert local.path == isolated / ".local/share/timesheet/ledger.db"  # ~ expanded

    assert config.ui.theme == "timesheet-dark"
    assert (config.ui.rounding_minutes, config.ui.bulk_chunk_size) == (15, 100)
    assert config.ui.forgotten_timer_hours == 10
    assert config.keys == {"stop-timer": "ctrl+t"}
    assert select_profile(loaded, env={}) == ("work", work)


def test_token_command_example_and_int_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[profiles.work]\nbackend = "productive"\norganization_id = 12345\n'
        'person_id = 7781\ntoken_command = "pass show productive"\n'
        'base_url = "https://example.test/api/v2/"\n',
    )
    work = load_config(path).config.profiles["work"]
    assert isinstance(work, ProductiveProfile)
    assert (work.organization_id, work.person_id) == ("12345", "7781")
    assert work.token_command == "pass show productive"
    assert work.base_url == "https://example.test/api/v2"  # trailing slash stripped


def test_models_are_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, DESIGN_EXAMPLE)).config
    with pytest.raises(ValidationError):
        config.ui.theme = "other"  # type: ignore[misc]


def test_plannr_profiles_without_trackables_each_get_their_own_list() -> None:
    # `trackables` defaults to a plain `[]` (cheaper at start than a factory): pydantic must
    # copy it, or a trackable added to one profile would show in every other one.
    first = PlannrProfile(account_uuid="a", token_env="T")
    first.trackables.append("client:615c2199-3d96-4a17-9f33-4cdecdc83c7f")
    second = PlannrProfile(account_uuid="b", token_env="T")
    assert second.trackables == []
    assert len(first.trackables) == 1


def test_parse_trackable() -> None:
    assert parse_trackable("client:615C2199-3D96-4A17-9F33-4CDECDC83C7F") == (
        "client",
        "615c2199-3d96-4a17-9f33-4cdecdc83c7f",
    )
    for bad in ("client", "client:nope", ":615c2199-3d96-4a17-9f33-4cdecdc83c7f"):
        with pytest.raises(ValueError):
            parse_trackable(bad)


def test_bad_trackable_names_the_key(tmp_path: Path) -> None:
    message = error_of(
        write(
            tmp_path,
            '[profiles.crm]\nbackend = "plannr"\naccount_uuid = "a"\n'
            'token_env = "T"\ntrackables = ["client-615c"]\n',
        )
    )
    assert "profiles.crm.trackables[0]" in message and "type:uuid" in message


# --- locating the file -----------------------------------------------------------


def test_no_file_at_default_location_means_local_ledger(isolated: Path) -> None:
    loaded = load_config(env={})
    assert loaded.path is None and loaded.config.profiles == {}
    name, profile = select_profile(loaded, env={})
    assert name == "local"
    assert isinstance(profile, LedgerProfile)
    assert profile.path == isolated / "data" / "timesheet" / "ledger.db"


def test_default_location_is_read_when_present(isolated: Path) -> None:
    path = cfg.default_config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[ui]\ntheme = "light"\n')
    loaded = load_config(env={})
    assert loaded.path == path and loaded.config.ui.theme == "light"


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="does not exist") as info:
        load_config(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(ConfigError, match="TIMESHEET_CONFIG"):
        load_config(env={"TIMESHEET_CONFIG": str(missing)})


def test_timesheet_config_env_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[ui]\ntheme = "from-env"\n', name="elsewhere.toml")
    monkeypatch.setenv("TIMESHEET_CONFIG", str(path))
    loaded = load_config()
    assert loaded.path == path and loaded.config.ui.theme == "from-env"
    # An explicit argument still wins over the environment.
    other = write(tmp_path, '[ui]\ntheme = "from-arg"\n', name="arg.toml")
    assert load_config(other).config.ui.theme == "from-arg"


# --- error messages -------------------------------------------------------------


def test_broken_toml_names_file_and_line(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[ui]\ntheme = "x"\nrounding_minutes = \n'))
    assert "invalid TOML at line 3" in message


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[ui]\nrounding_minutes = "abc"\n'))
    assert "ui.rounding_minutes must be an integer (got 'abc')" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[ui]\nrounding_minutes = 241\n", "ui.rounding_minutes must be at most 240"),
        ("[ui]\nbulk_chunk_size = 0\n", "ui.bulk_chunk_size must be at least 1"),
        ("[ui]\nforgotten_timer_hours = 0\n", "ui.forgotten_timer_hours must be greater than 0"),
    ],
)
def test_out_of_range_values(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(write(tmp_path, text))


def test_unknown_backend_is_named(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[profiles.work]\nbackend = "prodctive"\n'))
    assert "profiles.work.backend: unknown backend 'prodctive'" in message
    assert "productive, plannr or ledger" in message


def test_missing_required_field(tmp_path: Path) -> None:
    message = error_of(
        write(tmp_path, '[profiles.work]\nbackend = "productive"\ntoken_env = "T"\n')
    )
    assert "profiles.work.organization_id is required." in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (PRODUCTIVE + 'tokn_env = "T"\n', "profiles.work.tokn_env"),
        ('[ui]\nthem = "x"\n', "ui.them"),
        ('defualt_profile = "x"\n', "defualt_profile"),
    ],
)
def test_unknown_key_is_named(tmp_path: Path, text: str, key: str) -> None:
    message = error_of(write(tmp_path, text))
    assert f"{key} is not a known setting" in message


def test_several_problems_are_named_up_to_three_and_the_rest_counted(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[ui]\nrounding_minutes = "x"\nbulk_chunk_size = "y"\n'))
    assert "ui.rounding_minutes must be" in message and "; ui.bulk_chunk_size must be" in message
    text = "[ui]\n" + "".join(f"extra_{n} = 1\n" for n in range(5))
    message = error_of(write(tmp_path, text))
    assert message.count("is not a known setting") == 3
    assert message.endswith("(and 2 more problems).")


def test_a_list_setting_given_as_text_says_it_must_be_a_list(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[ui]\nwork_days = "mon-fri"\n'))
    assert "ui.work_days must be a list (got 'mon-fri')" in message


@pytest.mark.parametrize("extra", ["", 'token_env = "T"\nkeyring = true\n'])
def test_exactly_one_token_source(tmp_path: Path, extra: str) -> None:
    message = error_of(write(tmp_path, PRODUCTIVE + extra))
    assert "profiles.work must name exactly one token source" in message


def test_http_base_url_rejected_unless_loopback(tmp_path: Path) -> None:
    remote = PRODUCTIVE + 'token_env = "T"\nbase_url = "http://api.example.com/api/v2"\n'
    message = error_of(write(tmp_path, remote))
    assert "profiles.work.base_url" in message and "https" in message

    local = PRODUCTIVE + 'token_env = "T"\nbase_url = "http://127.0.0.1:8765/api/v2"\n'
    profile = load_config(write(tmp_path, local)).config.profiles["work"]
    assert isinstance(profile, ProductiveProfile)
    assert profile.base_url == "http://127.0.0.1:8765/api/v2"


# --- choosing a profile ----------------------------------------------------------


def test_timesheet_profile_env_and_explicit_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_config(write(tmp_path, DESIGN_EXAMPLE))
    monkeypatch.setenv("TIMESHEET_PROFILE", "crm")
    assert select_profile(loaded)[0] == "crm"
    assert select_profile(loaded, "local")[0] == "local"  # --profile beats the env


def test_unknown_profile_lists_known_ones(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, DESIGN_EXAMPLE))
    with pytest.raises(ConfigError) as info:
        select_profile(loaded, "wrok", env={})
    assert "'wrok'" in str(info.value) and "work, crm, local" in str(info.value)


def test_single_profile_without_default_is_used(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, '[profiles.mine]\nbackend = "ledger"\n'))
    assert select_profile(loaded, env={})[0] == "mine"


def test_several_profiles_without_default_is_an_error(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, DESIGN_EXAMPLE.replace('default_profile = "work"', "")))
    with pytest.raises(ConfigError, match="work, crm, local"):
        select_profile(loaded, env={})


# --- tokens ------------------------------------------------------------------------


def test_token_env(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, DESIGN_EXAMPLE))
    name, profile = select_profile(loaded, env={})
    assert resolve_token(name, profile, env={"PRODUCTIVE_TOKEN": "abc\n"}) == "abc"
    for env in ({}, {"PRODUCTIVE_TOKEN": ""}):
        with pytest.raises(ConfigError) as info:
            resolve_token(name, profile, env=env)
        assert str(info.value) == (
            "The environment variable PRODUCTIVE_TOKEN named by profile "
            "'work' (token_env) is not set."
        )


def command_profile(tmp_path: Path, code: str) -> ProductiveProfile:
    command = shlex.join([sys.executable, "-c", code])
    text = PRODUCTIVE + tomli_w.dumps({"token_command": command})  # proper TOML quoting
    profile = load_config(write(tmp_path, text)).config.profiles["work"]
    assert isinstance(profile, ProductiveProfile)
    return profile


def test_token_command_success(tmp_path: Path) -> None:
    profile = command_profile(tmp_path, "print('tok')")
    assert resolve_token("work", profile, env={}) == "tok"


def test_token_command_failure_does_not_leak_output(tmp_path: Path) -> None:
    code = f"import sys; print('{SECRET}'); print('{SECRET}', file=sys.stderr); sys.exit(3)"
    profile = command_profile(tmp_path, code)
    with pytest.raises(ConfigError) as info:
        resolve_token("work", profile, env={})
    message = str(info.value)
    assert "token_command" in message and "'work'" in message and "status 3" in message
    assert SECRET not in message


def test_token_command_that_prints_nothing(tmp_path: Path) -> None:
    profile = command_profile(tmp_path, "pass")
    with pytest.raises(ConfigError, match="printed nothing"):
        resolve_token("work", profile, env={})


def test_token_command_not_found(tmp_path: Path) -> None:
    path = write(tmp_path, PRODUCTIVE + 'token_command = "no-such-program-xyz --flag"\n')
    profile = load_config(path).config.profiles["work"]
    with pytest.raises(ConfigError, match=r"'no-such-program-xyz'.*not found"):
        resolve_token("work", profile, env={})


def test_literal_token_in_world_readable_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, PRODUCTIVE + f'token = "{SECRET}"\n', mode=0o644)
    message = error_of(path)
    assert f"chmod 600 {path}" in message
    assert SECRET not in message


def test_literal_token_in_private_file_resolves_and_stays_hidden(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, PRODUCTIVE + f'token = "{SECRET}"\n', mode=0o600))
    name, profile = select_profile(loaded, env={})
    assert resolve_token(name, profile, env={}) == SECRET
    for text in (
        repr(loaded),
        str(loaded),
        repr(loaded.config),
        str(loaded.config),
        repr(profile),
        str(profile),
        loaded.config.model_dump_json(),
    ):
        assert SECRET not in text


def test_literal_token_never_in_validation_errors(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, PRODUCTIVE + f'token = "{SECRET}"\ntoken_env = "T"\n'))
    assert SECRET not in message and "exactly one token source" in message


def test_keyring_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    store = {("timesheet", "work"): "from-keyring"}
    monkeypatch.setattr(keyring, "get_password", lambda service, user: store.get((service, user)))
    profile = load_config(write(tmp_path, PRODUCTIVE + "keyring = true\n")).config.profiles["work"]
    assert resolve_token("work", profile, env={}) == "from-keyring"
    store.clear()
    with pytest.raises(ConfigError, match=r"keyring.*'work'.*holds no token"):
        resolve_token("work", profile, env={})
