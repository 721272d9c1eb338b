"""Start-up cost of a scripting command: `timesheet status --json`.

Target (issue 18): `timesheet status --json` costs at most 1.5x `python -c "import httpx,
pydantic"` on a Productive profile and 1.8x on the ledger profile (which must load the
ledger), medians of several runs (`LIMITS`). The scripting commands must not import
textual, the screens or keyring to answer, and over HTTP not the async transport's anyio
backend either (a command sends from threads: `HttpClient.send_from_threads`).

Each command runs as a fresh process of the installed `timesheet` script, the way a script
or a shell prompt calls it, taking turns with the baseline, against
two profiles in a temporary config (`--config`):
  - ledger:     the local ledger (demo data, a running timer), in-process over ASGI;
  - productive: the Productive adapter over HTTP to the same kind of ledger served by
                `timesheet serve` on a loopback port.
It prints the medians and the ratios, then which heavy modules each command imported
(from one run with `-X importtime`). Exits 1 if textual, keyring or the screens were
imported (or, on the Productive profile, anyio's asyncio backend) or a command failed
(never for timings).

    uv run python benchmarks/cli_status.py [--runs 11]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import tomli_w

LIMITS = {"productive": 1.5, "ledger": 1.8}
"""The most `status --json` may cost on each profile, as a multiple of the baseline."""
FORBIDDEN = ("textual", "keyring", "tui.app", "tui.screens", "tui.widgets")
FORBIDDEN_OVER_HTTP = ("anyio._backends", "anyio._core._sockets")
"""What httpx's async transport loads for its first connection, which a command avoids."""
WATCH = (
    "textual",
    "keyring",
    "uvicorn",
    "rich",
    "pygments",
    "click",
    "starlette",
    "httpx",
    "pydantic",
    "pydantic_core",
    "anyio",
    "httpcore",
    "h11",
    "sqlite3",
    "platformdirs",
    "tomli_w",
    "tui.models",
    "tui.config",
    "tui.cli",
    "tui.store",
    "tui.api",
    "tui.ledger",
)
TOKEN_ENV = "TIMESHEET_BENCH_TOKEN"


def timesheet_command() -> str:
    """The `timesheet` script installed next to this Python, as a user runs it."""
    script = Path(sys.executable).with_name("timesheet")
    if not script.exists():
        raise SystemExit(f"{script} is missing: run `uv sync` first.")
    return str(script)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL
    )
    return time.perf_counter() - start, done


def medians(
    commands: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, list[float]]:
    """Each command `runs` times, taking turns, so that the machine's drift (this one is
    noisy) falls on every command alike; after one warm-up run each (file cache, .pyc)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, argv in commands.items():
            seconds, done = timed(argv, env)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
            if round_:
                times[name].append(seconds)
    return times


def imports(argv: list[str], env: dict[str, str]) -> dict[str, int]:
    """Module -> its own import microseconds (children excluded), from `-X importtime`."""
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    found: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)", line)
        if match:
            found[match.group(4)] = int(match.group(1))
    return found


def group(found: dict[str, int], prefix: str) -> int | None:
    """Own import time of `prefix` and its submodules together (None: not imported).
    `-X importtime` inflates every figure; compare them with each other, not the medians."""
    hits = [us for name, us in found.items() if name == prefix or name.startswith(prefix + ".")]
    return sum(hits) if hits else None


def serve(db: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", "0", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    shown: dict[str, str] = {}
    for line in process.stdout:
        if match := re.match(r"\s+(Productive v2|Organization id|Token):\s+(\S+)", line):
            shown[match.group(1)] = match.group(2)
        if line.startswith("Press Ctrl+C"):
            return process, shown
    process.kill()
    raise SystemExit(f"serve did not start: {process.stderr.read() if process.stderr else ''}")


@contextlib.contextmanager
def profiles() -> Iterator[tuple[dict[str, list[str]], dict[str, str], dict[str, bool]]]:
    """The commands to time (the baseline and `status --json` on each profile that works),
    their environment, and whether each profile has a running timer; a ledger served by
    `timesheet serve` for the Productive profile while inside."""
    from tui.ledger.demo import create_demo_ledger

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        create_demo_ledger(root / "local.db").close()
        create_demo_ledger(root / "served.db").close()
        # Bytecode caching on, as on a user's machine: with PYTHONDONTWRITEBYTECODE set
        # (this workplace sets it) every run recompiles every module from source, which
        # charges each command for the size of the code it imports, not its work. The
        # warm-up run of each command writes the .pyc files for both sides alike.
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("TIMESHEET_CONFIG", "TIMESHEET_PROFILE", "PYTHONDONTWRITEBYTECODE")
        }
        env.update(
            NO_COLOR="1", XDG_STATE_HOME=str(root / "state"), XDG_CACHE_HOME=str(root / "cache")
        )
        server, shown = serve(root / "served.db", env)
        running: dict[str, bool] = {}
        try:
            env[TOKEN_ENV] = shown["Token"]
            config = root / "config.toml"
            config.write_text(
                tomli_w.dumps(
                    {
                        "default_profile": "ledger",
                        "profiles": {
                            "ledger": {"backend": "ledger", "path": str(root / "local.db")},
                            "productive": {
                                "backend": "productive",
                                "organization_id": shown["Organization id"],
                                "base_url": shown["Productive v2"],
                                "token_env": TOKEN_ENV,
                            },
                        },
                    }
                )
            )
            config.chmod(0o600)

            commands = {"baseline": [sys.executable, "-c", "import httpx, pydantic"]}
            for profile in ("ledger", "productive"):
                argv = [
                    timesheet_command(),
                    "--config",
                    str(config),
                    "--profile",
                    profile,
                    "status",
                    "--json",
                ]
                check = subprocess.run(
                    argv,
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=120,
                    stdin=subprocess.DEVNULL,
                )
                if check.returncode != 0:
                    print(f"{profile}: status --json failed: {check.stderr.strip()}")
                    continue
                running[profile] = json.loads(check.stdout)["timer"] is not None
                commands[profile] = argv
            yield commands, env, running
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def measure(runs: int) -> dict[str, float]:
    """The least seconds of `runs` of the baseline and of `status --json` on each profile
    (the suite's figures); a profile whose command fails is missing. The least, not the
    median: this machine's CPU runs by spells at two speeds (the same loop in 18 or 29
    ms), and a spell only ever adds time."""
    with profiles() as (commands, env, _):
        return {name: min(t) for name, t in medians(commands, env, runs).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()

    with profiles() as (commands, env, running):
        failed = len(commands) < 3
        times = medians(commands, env, args.runs)
        baseline = statistics.median(times.pop("baseline"))
        print(f"python -c 'import httpx, pydantic': median {baseline * 1000:6.0f} ms")
        for profile, profile_times in times.items():
            seconds = statistics.median(profile_times)
            ratio = seconds / baseline
            limit = LIMITS[profile]
            verdict = "ok" if ratio <= limit else f"MISSED (target <= {limit}x)"
            print(
                f"timesheet status --json ({profile:10}): median {seconds * 1000:6.0f} ms"
                f"  ratio {ratio:4.2f}x  {verdict}  "
                f"(timer {'running' if running[profile] else 'none'})"
            )
            found = imports([sys.executable, "-m", "tui", *commands[profile][1:]], env)
            heavy = {name: group(found, name) for name in WATCH}
            listed = ", ".join(
                f"{name} {us / 1000:.0f}"
                for name, us in sorted(heavy.items(), key=lambda kv: -(kv[1] or 0))
                if us is not None
            )
            print(
                f"    imported (own ms under -X importtime, package and submodules): "
                f"{listed}; total {sum(found.values()) / 1000:.0f}"
            )
            forbidden = FORBIDDEN + (FORBIDDEN_OVER_HTTP if profile == "productive" else ())
            bad = [name for name in forbidden if group(found, name) is not None]
            if bad:
                print(f"    FORBIDDEN imports: {', '.join(bad)}")
                failed = True
            else:
                print(f"    not imported: {', '.join(forbidden)}")
            print(f"    modules imported in all: {len(found)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
