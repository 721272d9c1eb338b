"""What makes a scripting command start fast: the collector paused while it loads, and
none of the modules it never uses (textual, keyring, httpx's own command-line client)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from tests.conftest import LoopbackServer
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.startup import startup_done


@pytest.fixture
def collector() -> Iterator[None]:
    """Leave the test process's collector as it was found."""
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_startup_done_freezes_what_was_loaded_and_restarts_the_collector(collector) -> None:
    gc.disable()
    startup_done()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 1000  # the loaded modules' objects, out of later passes


def test_startup_done_leaves_a_running_collector_alone(collector) -> None:
    gc.enable()
    frozen = gc.get_freeze_count()
    startup_done()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_status_answers_without_loading_what_it_never_uses(tmp_path: Path) -> None:
    db = LedgerDB(tmp_path / "ledger.db")
    populate_demo(db)
    db.close()
    config = tmp_path / "config.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "default_profile": "local",
                "profiles": {"local": {"backend": "ledger", "path": str(tmp_path / "ledger.db")}},
            }
        )
    )
    config.chmod(0o600)
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "tui",
            "--config",
            str(config),
            "status",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["timer"]["elapsed_seconds"] >= 0
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "httpx" in imported and "tui.api.ledger" in imported
    # `status` reads the backend alone: no store, no journal or cache behind it.
    for unused in (
        "textual",
        "keyring",
        "rich",
        "pygments",
        "tui.app",
        "tui.screens",
        "tui.store.store",
        "tui.store.cache",
        "tui.store.journal",
        "tui.cli.approval_commands",
        "tui.cli.report_commands",
        "tui.cli.serve",
    ):
        assert unused not in imported, unused


def test_each_command_module_lists_the_commands_it_holds() -> None:
    """The launcher loads a command's module only when it runs: its table must name
    every command of every module, and only those."""
    import importlib

    from tui.cli import COMMAND_MODULES

    for module, names in COMMAND_MODULES.items():
        held = [command.name for command in importlib.import_module(module).COMMANDS]
        assert tuple(held) == names, module


def test_status_over_http_answers_without_the_async_transports_machinery(
    tmp_path: Path, ledger: LedgerDB, loopback: LoopbackServer
) -> None:
    """A command sends from threads (`HttpClient.send_from_threads`): anyio's asyncio
    backend, which httpx's async transport loads for its first connection, stays out."""
    config = tmp_path / "config.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "profiles": {
                    "prod": {
                        "backend": "productive",
                        "organization_id": ledger.identity.organization_id,
                        "base_url": f"{loopback.url}/api/v2",
                        "token_env": "TIMESHEET_TEST_TOKEN",
                    }
                },
            }
        )
    )
    done = subprocess.run(
        [
            *(sys.executable, "-X", "importtime", "-m", "tui"),
            *("--config", str(config), "--profile", "prod", "status", "--json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TIMESHEET_TEST_TOKEN": ledger.identity.token},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"timer": None}
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "httpcore" in imported
    assert not {"anyio._backends._asyncio", "anyio._core._sockets"} & imported
    # No journal and no ledger here: the timer starts are a JSON file, so no SQLite.
    assert "sqlite3" not in imported


EXITING = """
import atexit, sys, threading, time
from tui.cli import context

class Noisy:
    def __del__(self):
        print("torn down")

kept = Noisy()  # the interpreter's teardown would delete it
context._ran.append(True)  # as after a command's run_mapped
atexit.register(lambda: print("exit handler ran"))
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread done"))).start()
print("output", end=" ")
context.exit_at_once(sys.argv[2] if sys.argv[2] == "bye" else int(sys.argv[2]))
sys.exit(int(sys.argv[2]) if sys.argv[2] != "bye" else sys.argv[2])
"""


def run_exiting(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", EXITING, *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_a_command_that_ran_exits_with_its_code_and_output_but_no_teardown() -> None:
    done = run_exiting("alone", "3")
    assert done.returncode == 3
    assert done.stdout == "output exit handler ran\n"  # flushed, handlers run, no `torn down`


def test_a_command_exiting_with_a_message_prints_it_and_exits_1() -> None:
    done = run_exiting("alone", "bye")
    assert (done.returncode, done.stderr, done.stdout) == (1, "bye\n", "output exit handler ran\n")


def test_a_command_exiting_at_once_waits_for_a_thread_still_at_work() -> None:
    done = run_exiting("thread", "3")
    assert done.returncode == 3
    assert done.stdout == "output thread done\nexit handler ran\n"
