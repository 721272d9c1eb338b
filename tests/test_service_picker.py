"""The service picker over a real store: full labels with where each service belongs, in
order of name, then context, then id (numerically), and `(#id)` only for true twins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import OptionList, Static

from tests.conftest import FakeClock
from tui.api.ledger import LedgerBackend
from tui.ledger.db import LedgerDB, insert_deal, insert_project, insert_service
from tui.models import Service
from tui.screens.dialogs import ServicePicker
from tui.store.store import Store

pytestmark = pytest.mark.anyio


class PickerApp(App[None]):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("")


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Store]:
    ledger = LedgerDB(tmp_path / "ledger.db", clock=clock)
    with ledger.transaction(write=True) as conn:
        org = ledger.identity.organization_id
        acme = insert_project(conn, name="Acme")
        bergmann = insert_project(conn, name="Bergmann")
        website = insert_deal(conn, name="Website", project_id=acme)
        field_app = insert_deal(conn, name="Field app", project_id=bergmann)
        insert_service(conn, org, name="Design", deal_id=field_app)  # 4
        insert_service(conn, org, name="Design", deal_id=website)  # 5
    store = Store(LedgerBackend.open(ledger), clock=clock)
    await store.open()
    # Twins: same name, no context; ids that sort differently as text and as numbers.
    for service_id in ("10", "x7", "9"):
        store.services[service_id] = Service(id=service_id, name="Print")
    yield store
    await store.aclose()


def labels(picker: ServicePicker) -> list[str]:
    out = []
    for option in picker.query_one(OptionList).options:
        prompt = option.prompt
        out.append(prompt.plain if isinstance(prompt, Content) else str(prompt))
    return out


async def test_the_picker_shows_where_each_service_belongs_and_orders_twins_by_number(
    store: Store,
) -> None:
    app = PickerApp(store)
    async with app.run_test() as pilot:
        app.push_screen(ServicePicker(store), app.results.append)
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ServicePicker)
        assert labels(picker) == [
            "Admin",
            "Design (Acme › Website)",
            "Design (Bergmann › Field app)",
            "General",
            "Meetings",
            "Print (#9)",
            "Print (#10)",
            "Print (#x7)",
        ]
        await pilot.press(*"print")
        assert picker.shown_ids == ["9", "10", "x7"]
        await pilot.press(*["backspace"] * 5, *"design")
        assert labels(picker) == ["Design (Acme › Website)", "Design (Bergmann › Field app)"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.results == ["4"]


async def test_the_picker_ranks_a_services_name_before_a_word_of_its_deal(store: Store) -> None:
    with store.backend.ledger.transaction(write=True) as conn:  # type: ignore[attr-defined]
        org = store.backend.ledger.identity.organization_id  # type: ignore[attr-defined]
        library = insert_project(conn, name="City Library")
        retainer = insert_deal(conn, name="Support retainer", project_id=library)
        insert_service(conn, org, name="Development", deal_id=retainer)
        insert_service(conn, org, name="Support", deal_id=retainer)
    await store.refresh_lookups()
    app = PickerApp(store)
    async with app.run_test() as pilot:
        app.push_screen(ServicePicker(store), app.results.append)
        await pilot.pause()
        await pilot.press(*"support")
        picker = app.screen
        assert isinstance(picker, ServicePicker)
        assert labels(picker) == [
            "Support (City Library › Support retainer)",
            "Development (City Library › Support retainer)",
        ]
        await pilot.press("enter")
        await pilot.pause()
        assert [store.services[i].name for i in app.results] == ["Support"]
