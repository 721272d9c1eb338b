"""What the `--demo` app has imported by its first frame that its first screen does not need.

Target (issue 18): "`-X importtime` shows nothing imported before the first frame that the
first screen doesn't need." The first screen is the timesheet screen: the timer panel, the
entry grid, the key bar and the banner, over the store and the demo's in-process ledger.
Everything else the app can show is imported when it is opened: the other main screens,
the dialogs and their Textual widgets, the reports, the submission planner, the command
line's commands, and what only a real account needs (the Plannr adapter, keyring).

The `demo` child of `benchmarks.app_child` runs with `-X importtime`, its stderr merged
into its stdout so that the import lines and its `FRAME` line come in the order they were
written; the modules listed before `FRAME` are matched against `NOT_FIRST_SCREEN`.

    uv run python -m benchmarks.imports        prints the count and the modules (exit 1 if any)
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable

NOT_FIRST_SCREEN = (
    # the other screens and dialogs, opened by a key
    "tui.screens.approvals",
    "tui.screens.reports",
    "tui.screens.submit_week",
    "tui.screens.stop_at",
    "tui.screens.entry_detail",
    "tui.screens.help",
    "tui.screens.save_review",
    "tui.screens.dialogs",
    "tui.widgets.bar_chart",
    # what only those screens compute
    "tui.store.report",
    "tui.store.submission",
    # Textual widgets only those screens show (the first screen draws its own grid)
    "textual.widgets._button",
    "textual.widgets._data_table",
    "textual.widgets._progress_bar",
    "textual.widgets._selection_list",
    # the scripting commands, the server, and what a real account needs
    "tui.cli.time_commands",
    "tui.cli.approval_commands",
    "tui.cli.submit_commands",
    "tui.cli.report_commands",
    "tui.cli.config_commands",
    "tui.cli.serve",
    "uvicorn",
    "tui.api.plannr",
    "keyring",
    # pydantic's plugin loader's, for plugins this app has none of (see `tui/__init__.py`)
    "importlib.metadata",
    # what the demo's data needs: a child process writes it (`tui.ledger.demo_fill`)
    "tui.ledger.demo",
    # anyio's event-loop backend, which the ledger's work does not need (it goes to
    # asyncio's own thread pool); `importlib.import_module` loads the backend itself, so
    # `-X importtime` shows only what it imports: anyio's sockets and streams
    "anyio._backends",
    "anyio._core._sockets",
    "anyio.streams",
)
"""Modules (each with its submodules) the first screen must not wait for."""

_IMPORT = re.compile(r"import time:\s+\d+\s*\|\s*\d+\s*\|\s*(\S+)")


def before_first_frame(mode: str = "demo") -> list[str]:
    """The modules the app child imported before it printed `FRAME`, in import order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "benchmarks.app_child", mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=120,
    )
    names = []
    for line in done.stdout.splitlines():
        if line.strip() == "FRAME":
            return names
        if found := _IMPORT.match(line):
            names.append(found.group(1))
    raise SystemExit(f"app_child {mode} showed no frame: {done.stdout[-800:]}")


def not_needed(names: Iterable[str]) -> list[str]:
    """Those of `names` that are (or are inside) a module of `NOT_FIRST_SCREEN`."""
    return [
        name
        for name in names
        if any(name == module or name.startswith(module + ".") for module in NOT_FIRST_SCREEN)
    ]


def main() -> int:
    names = before_first_frame()
    extra = not_needed(names)
    print(f"{len(names)} modules imported before the first frame; {len(extra)} not needed by it")
    for name in extra:
        print(f"  {name}")
    return 1 if extra else 0


if __name__ == "__main__":
    sys.exit(main())
