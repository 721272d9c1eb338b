"""Hypothesis fuzzing of everything that reads outside input: the Productive (JSON:API) and
Plannr answers, the CSV importer and the config loader. Whatever arrives, the result is a
value or one sentence (a typed error), never a traceback.

The answers start from real ones (the ledger's own pages, the seed's stop) and hypothesis
replaces one part of them with any JSON: a missing member, a wrong type, a string where an
object was. That reaches deeper than random bytes, which fail at the first brace."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FROZEN_NOW, FakeClock
from tests.faults import Fault, FaultTransport
from tests.seeds import seed_stop_body
from tui.api.base import EntryQuery
from tui.api.errors import ApiError
from tui.api.plannr import PlannrAdapter
from tui.api.productive import ProductiveAdapter
from tui.cli import main
from tui.config import ConfigError, load_config
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WEEK = EntryQuery(date(2026, 11, 16), date(2026, 11, 22))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(document)
    holder = changed
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return changed


@st.composite
def mutations(draw: st.DrawFn, document: Any) -> Any:
    """The document with one to three places replaced by arbitrary JSON (or deleted)."""
    for _ in range(draw(st.integers(1, 3))):
        places = list(paths(document))
        path = draw(st.sampled_from(places))
        if path and draw(st.booleans()) and isinstance(document, dict | list):
            holder = document
            for step in path[:-1]:
                holder = holder[step]
            document = copy.deepcopy(document)
            holder = document
            for step in path[:-1]:
                holder = holder[step]
            if isinstance(holder, dict):
                holder.pop(path[-1], None)
                continue
        document = replaced(document, path, draw(json_values))
    return document


def assert_one_sentence(error: ApiError) -> None:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message
    assert message.endswith((".", ")", "?")), message


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerDB]:
    db = LedgerDB(tmp_path_factory.mktemp("fuzz") / "ledger.db", clock=FakeClock())
    populate_demo(db, today=FROZEN_NOW.date())
    yield db
    db.close()


def productive_answer(db: LedgerDB, path: str, params: dict[str, Any] | None = None) -> Any:
    async def read() -> Any:
        adapter = ProductiveAdapter.for_ledger(db)
        try:
            return await adapter.http.json("GET", path, params=params)
        finally:
            await adapter.aclose()

    return asyncio.run(read())


def with_answer(db: LedgerDB, body: Any, path: str) -> FaultTransport:
    transport = FaultTransport(httpx.ASGITransport(app=create_app(db)))
    raw = json.dumps(body).encode()
    transport.inject(Fault.replace_body(raw), method="GET", path=path, times=100)
    return transport


# ------------------------------------------------------------------- Productive


def fuzz_productive(
    db: LedgerDB,
    document: Any,
    path: str,
    call: Callable[[ProductiveAdapter], Awaitable[object]],
) -> None:
    """`call` on an adapter whose answers at `path` are mutations of `document`."""

    @FUZZ
    @given(mutations(document))
    def check(body: Any) -> None:
        transport = with_answer(db, body, path)

        async def run() -> None:
            adapter = ProductiveAdapter.for_ledger(db, transport=transport)
            try:
                await call(adapter)
            except ApiError as error:
                assert_one_sentence(error)
            finally:
                await adapter.aclose()

        asyncio.run(run())

    check()


def test_productive_pages_of_any_shape_are_read_or_refused_in_one_sentence(demo_ledger) -> None:
    page = productive_answer(
        demo_ledger,
        "/time_entries",
        {
            "filter[after]": "2026-11-16",
            "filter[before]": "2026-11-22",
            "include": "person,service,task",
            "page[size]": 3,
        },
    )
    page["meta"] = {"total_pages": 1}
    assert len(page["data"]) == 3 and page["included"]

    fuzz_productive(demo_ledger, page, "/api/v2/time_entries", lambda a: a.list_entries(WEEK))


def test_productive_timers_of_any_shape_are_read_or_refused_in_one_sentence(demo_ledger) -> None:
    timers = productive_answer(demo_ledger, "/timers", {"sort": "-started_at"})
    assert timers["data"]

    fuzz_productive(demo_ledger, timers, "/api/v2/timers", lambda a: a.current_timer())


# ----------------------------------------------------------------------- Plannr


def test_plannr_stops_of_any_shape_are_read_or_refused_in_one_sentence(demo_ledger) -> None:
    seed = seed_stop_body()
    entry_uuid = seed["uuid"]

    @FUZZ
    @given(mutations(seed))
    def check(body: Any) -> None:
        transport = FaultTransport(httpx.ASGITransport(app=create_app(demo_ledger)))
        transport.inject(
            Fault.status_code(200, body=body, content_type="application/json"),
            method="POST",
            times=100,
        )

        async def run() -> None:
            adapter = PlannrAdapter(
                base_url="http://ledger/api/v1",
                token=demo_ledger.identity.token,
                account_uuid=demo_ledger.identity.account_uuid,
                transport=transport,
                rate_limited=False,
            )
            try:
                await adapter.stop_timer(entry_uuid)
            except ApiError as error:
                assert_one_sentence(error)
            finally:
                await adapter.aclose()

        asyncio.run(run())

    check()


# -------------------------------------------------------------------- CSV import


@pytest.fixture
def ledger_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        'default_profile = "local"\n[profiles.local]\nbackend = "ledger"\n'
        f'path = "{tmp_path / "ledger.db"}"\n'
    )
    return path


csv_cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@FUZZ
@given(
    rows=st.lists(st.lists(csv_cells, min_size=0, max_size=8), max_size=6),
    header=st.sampled_from(
        ["date,time,note,service_id,task_id,person_id", "date,time,service_id", "date,note"]
    ),
    tail=st.text(max_size=10),
)
def test_any_csv_is_imported_or_refused_line_by_line(
    ledger_config: Path, tmp_path: Path, rows: list[list[str]], header: str, tail: str
) -> None:
    body = header + "\n" + "\n".join(",".join(row) for row in rows) + tail
    path = tmp_path / "fuzz.csv"
    path.write_text(body, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(
        main, ["--config", str(ledger_config), "import", str(path), "--dry-run"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.output
    if result.exit_code:
        lines = result.stderr.strip().splitlines()
        assert lines and all(line.startswith(("timesheet: ", f"{path}")) for line in lines)


# ---------------------------------------------------------------------- config


toml_text = st.lists(
    st.sampled_from([*"abcdefg_[]{}=\".,0123456789 \n#-:'", "profiles", "ui", "backend"]),
    max_size=60,
).map("".join)


@FUZZ
@given(text=toml_text)
def test_any_config_text_loads_or_is_one_sentence(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    try:
        load_config(path)
    except ConfigError as error:
        message = str(error)
        assert message.startswith(f"{path}: ") and "\n" not in message


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["default_profile", "profiles", "ui", "keys", "x"]),
        json_values.filter(lambda v: v is not None),
        max_size=4,
    )
)
def test_any_config_structure_loads_or_is_one_sentence(tmp_path: Path, data: dict) -> None:
    import tomli_w

    path = tmp_path / "config.toml"
    try:
        path.write_text(tomli_w.dumps(_toml_safe(data)))
    except (TypeError, ValueError):
        return
    try:
        load_config(path)
    except ConfigError as error:
        assert str(error).startswith(f"{path}: ") and "\n" not in str(error)


def _toml_safe(value: Any) -> Any:
    """TOML has no null and no integers past 64 bits: drop and clamp them."""
    if isinstance(value, dict):
        return {k: _toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_toml_safe(v) for v in value if v is not None]
    if isinstance(value, int) and not isinstance(value, bool):
        return max(-(2**63), min(2**63 - 1, value))
    return value
