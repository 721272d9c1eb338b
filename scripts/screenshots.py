"""Render the app's screens from the demo data into ``screenshots/*.svg``.

Deterministic: every screen starts from a fresh demo ledger dated around one frozen moment
(:data:`FROZEN_NOW`, UTC, with the process time zone set to UTC while rendering), at a fixed
terminal size, in the default theme, without user themes or config. Running it twice changes
nothing. Screens whose code does not exist yet (approvals, help) are skipped.

    uv run python scripts/screenshots.py                 # all screens into screenshots/
    uv run python scripts/screenshots.py timesheet help  # just these
    uv run python scripts/screenshots.py --out /tmp/shots --list
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "screenshots"
FROZEN_NOW = datetime(2026, 11, 19, 14, 30, 0, tzinfo=UTC)  # a Thursday, as in the tests
TODAY: date = FROZEN_NOW.date()
SIZE = (120, 36)
THEME = "timesheet-dark"
_TERMINAL_ID = re.compile(r"terminal-\d+")

Setup = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    """One screenshot: a file name, what it shows, and how to get there from launch."""

    name: str
    title: str
    setup: Setup
    needs: str | None = None
    """A module that must exist for this screen to be rendered (else it is skipped)."""
    theme: str = THEME

    @property
    def available(self) -> bool:
        return self.needs is None or importlib.util.find_spec(self.needs) is not None


class FrozenClock:
    """The store's and the ledger's clock: always :data:`FROZEN_NOW`."""

    def __call__(self) -> datetime:
        return FROZEN_NOW


async def settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _editable(store: Any) -> list[str]:
    return [i for i in store.order if not store.records[i].locked]


async def _timesheet(pilot: Any) -> None:
    await settle(pilot)


async def _staged(pilot: Any) -> None:
    from tui.widgets.entry_grid import EntryGrid

    store = pilot.app.store
    editable = _editable(store)
    store.stage_edit(editable[0], "note", "Reviewed the design notes")
    store.stage_edit(editable[1], "minutes", "1:45")
    store.stage_delete([editable[2]])
    service = sorted(store.services)[0]
    store.stage_new({"minutes": 90, "service_id": service, "note": "Workshop"})
    pilot.app.screen.query_one(EntryGrid).move_to(editable[0])
    await pilot.pause()


async def _save_review(pilot: Any) -> None:
    await _staged(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def _approvals(pilot: Any) -> None:
    await pilot.press("2")
    await settle(pilot)


async def _reports(pilot: Any) -> None:
    await pilot.press("3")
    await settle(pilot)
    await pilot.press("p")  # everyone's week: the manager's view, by person too
    await settle(pilot)


async def _help(pilot: Any) -> None:
    await pilot.press("question_mark")
    await settle(pilot)


SHOTS: dict[str, Shot] = {
    shot.name: shot
    for shot in [
        Shot("timesheet", "The week's entries and the running timer", _timesheet),
        Shot("timesheet-staged", "Staged changes: added, changed, deleted", _staged),
        Shot("save-review", "Reviewing the staged changes before one bulk save", _save_review),
        Shot(
            "approvals", "Approving the team's entries", _approvals, needs="tui.screens.approvals"
        ),
        Shot(
            "reports",
            "Where the team's time went this week",
            _reports,
            needs="tui.screens.reports",
        ),
        Shot("help", "The keys", _help, needs="tui.screens.help"),
        Shot(
            "timesheet-light",
            "The timesheet in the light theme",
            _timesheet,
            theme="timesheet-light",
        ),
    ]
}


@contextmanager
def _utc() -> Iterator[None]:
    """The process time zone set to UTC (the store's "today" is local), then restored."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def _stable_ids(svg: str, name: str) -> str:
    """Rich names the SVG's CSS classes ``terminal-<hash of content>``; use the shot's name
    instead, so the ids do not depend on rich's hashing and two shots never collide."""
    stable = "terminal-" + hashlib.sha1(name.encode()).hexdigest()[:10]
    return _TERMINAL_ID.sub(stable, svg)


async def render(shot: Shot, folder: Path) -> str:
    """The SVG of one shot, from a fresh demo ledger in ``folder``."""
    from tui.api.productive import ProductiveAdapter
    from tui.app import TimesheetApp
    from tui.ledger.db import LedgerDB
    from tui.ledger.demo import populate_demo
    from tui.store.journal import Journal
    from tui.store.store import Store

    clock = FrozenClock()
    db = LedgerDB(folder / "ledger.db", clock=clock)
    try:
        populate_demo(db, today=TODAY)
        backend = ProductiveAdapter.for_ledger(db, today=lambda: TODAY)
        store = Store(backend, Journal(folder / "state.db"), clock=clock)
        app = TimesheetApp(store, theme=shot.theme)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await shot.setup(pilot)
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            svg = app.export_screenshot(title=f"timesheet: {shot.title}", simplify=True)
    finally:
        db.close()
    return _stable_ids(svg, shot.name)


async def render_all(names: list[str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix="timesheet-shot-") as folder:
            svg = await render(SHOTS[name], Path(folder))
        path = out_dir / f"{name}.svg"
        if not path.exists() or path.read_text(encoding="utf-8") != svg:
            path.write_text(svg, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "screens",
        nargs="*",
        metavar="SCREEN",
        help=f"which screens (default: all available): {', '.join(SHOTS)}",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument("--list", action="store_true", help="list the screens and exit")
    args = parser.parse_args(argv)
    if args.list:
        for shot in SHOTS.values():
            print(f"{shot.name:18} {shot.title}" + ("" if shot.available else " (not built yet)"))
        return 0
    unknown = [name for name in args.screens if name not in SHOTS]
    if unknown:
        parser.error(f"unknown screen {unknown[0]!r} (there are: {', '.join(SHOTS)})")
    names = args.screens or [name for name, shot in SHOTS.items() if shot.available]
    skipped = [name for name in names if not SHOTS[name].available]
    for name in skipped:
        print(f"skipped {name}: {SHOTS[name].needs} does not exist yet", file=sys.stderr)
    with _utc():
        written = asyncio.run(render_all([n for n in names if n not in skipped], args.out))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
