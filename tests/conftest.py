"""Shared fixtures: a frozen clock, a fresh ledger, and HTTP clients that reach it either
in-process (`httpx.ASGITransport`) or over a real loopback port (uvicorn in a thread)."""

from __future__ import annotations

import inspect
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from hypothesis import settings
from pytest_textual_snapshot import node_to_report_path
from syrupy.assertion import SnapshotAssertion
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from tests.snapshot_diff import report_diff
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB

pytest_plugins = ["pytester"]  # tests of the fixtures here run a pytest of their own

# CI runs the same examples every time (a failure there must be repeatable, not luck);
# locally each run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the soaks (tests/reliability) with many more seeds and operations than CI",
    )


FROZEN_NOW = datetime(2026, 11, 19, 14, 30, 0, tzinfo=UTC)  # a Thursday
JSONAPI = "application/vnd.api+json"
BULK = "application/vnd.api+json; ext=bulk"


class FakeClock:
    """A clock tests move by hand, so timers and timestamps are deterministic."""

    def __init__(self, now: datetime = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ------------------------------------------------------------------ time zones

SNAPSHOT_ZONES = {"kiritimati": "Pacific/Kiritimati", "los_angeles": "America/Los_Angeles"}
"""Id → zone: UTC+14 and UTC-8 in November, a day apart at the same wall-clock time."""


@contextmanager
def system_zone(name: str) -> Iterator[ZoneInfo]:
    """The process's local zone set to `name` (`TZ` and `time.tzset`), as on a machine in
    that zone; the one before is restored after."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield ZoneInfo(name)
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture(params=list(SNAPSHOT_ZONES.values()), ids=list(SNAPSHOT_ZONES))
def zoned_clock(request: pytest.FixtureRequest) -> Iterator[FakeClock]:
    """A machine in each zone of `SNAPSHOT_ZONES`, its clock frozen at FROZEN_NOW's wall-clock
    time there (Thursday 14:30 local), reading in UTC as the app's real clock does. The app
    must show the same in every zone: anything it shows in UTC, or dates by UTC, differs."""
    with system_zone(request.param) as zone:
        yield FakeClock(FROZEN_NOW.replace(tzinfo=zone).astimezone(UTC))


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion, request: pytest.FixtureRequest) -> SnapshotAssertion:
    """Syrupy's `snapshot`, but a test run in several zones (`zoned_clock`) compares every
    zone with one stored snapshot: the zone's id is left out of the snapshot's name."""
    if "zoned_clock" in request.fixturenames:
        location = snapshot.test_location
        location.testname = without_zone(location.testname)
    return snapshot


@pytest.fixture
def snap_compare(
    snap_compare: Callable[..., bool], request: pytest.FixtureRequest
) -> Callable[..., bool]:
    """pytest-textual-snapshot's `snap_compare`, made steady and talkative:
    - the focused input's cursor is shown steadily (its blink runs on the wall clock: a
      screen that took over half a second to reach its screenshot had it hidden);
    - on a mismatch it prints (shown with the failure) a diff of the stored and the
      actual screen's text, so a failure explains itself where the HTML report is gone
      (CI, a flake under xdist)."""

    def compare(
        app: App[Any],
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[Any]], Awaitable[None] | None] | None = None,
    ) -> bool:
        async def steady_run_before(pilot: Pilot[Any]) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            # The presses here, as the plugin would make them after `run_before`: an input
            # they open is steadied too.
            await pilot.pause()
            await pilot.press(*press)
            steady_cursors(pilot.app)

        matched = snap_compare(
            app, press=(), terminal_size=terminal_size, run_before=steady_run_before
        )
        if not matched:
            print(report_diff(node_to_report_path(request.node)))
        return matched

    return compare


def steady_cursors(app: App[Any]) -> None:
    """Stop the blink of every input on the shown screen: a focused one shows its cursor."""
    for field in app.screen.query(Input):
        field.cursor_blink = False


def without_zone(name: str) -> str:
    """`test_a[kiritimati]` → `test_a`; `test_b[help-dark-kiritimati]` → `test_b[help-dark]`."""
    base, bracket, params = name.partition("[")
    if not bracket:
        return name
    kept = [part for part in params.removesuffix("]").split("-") if part not in SNAPSHOT_ZONES]
    return f"{base}[{'-'.join(kept)}]" if kept else base


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(tmp_path: Path, clock: FakeClock) -> Iterator[LedgerDB]:
    db = LedgerDB(tmp_path / "ledger.db", clock=clock)
    yield db
    db.close()


def productive_headers(db: LedgerDB) -> dict[str, str]:
    return {
        "X-Auth-Token": db.identity.token,
        "X-Organization-Id": db.identity.organization_id,
        "Accept": JSONAPI,
    }


def plannr_headers(db: LedgerDB) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {db.identity.token}",
        "X-PLANNR-ACCOUNT-UUID": db.identity.account_uuid,
        "Accept": "application/json",
    }


@pytest.fixture
async def asgi_client(ledger: LedgerDB) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the ledger app in-process, with no auth headers set."""
    transport = httpx.ASGITransport(app=create_app(ledger))
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
        yield client


class LoopbackServer:
    """The ledger app served by uvicorn on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, app: object) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the loopback ledger did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def loopback(ledger: LedgerDB) -> Iterator[LoopbackServer]:
    with LoopbackServer(create_app(ledger)) as server:
        yield server


@pytest.fixture(params=["asgi", "loopback"])
async def any_client(
    request: pytest.FixtureRequest, ledger: LedgerDB
) -> AsyncIterator[httpx.AsyncClient]:
    """The same client API over both transports, for tests that must hold on each."""
    if request.param == "asgi":
        transport = httpx.ASGITransport(app=create_app(ledger))
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            yield client
    else:
        with LoopbackServer(create_app(ledger)) as server:
            async with httpx.AsyncClient(base_url=server.url) as client:
                yield client
