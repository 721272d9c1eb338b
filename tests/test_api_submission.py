"""The Productive adapter's submission: few requests, only the documented `/timesheets`
filters, "unchanged" days, and an organization without submission said plainly."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.responses import Response

from tests.conftest import JSONAPI
from tui.api.errors import UnsupportedError
from tui.api.plannr import PlannrAdapter
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB

pytestmark = pytest.mark.anyio

WEEK = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)]
DOCUMENTED = {"filter[date]", "filter[person_id]", "filter[creator_id]"}


class Recorder:
    """The ledger behind a server that records `/timesheets` calls and, with `refuse`,
    answers every one of them with that status (an organization without submission)."""

    def __init__(self, app: Any, refuse: int | None = None) -> None:
        self.app = app
        self.refuse = refuse
        self.calls: list[tuple[str, dict[str, list[str]]]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and "/timesheets" in scope["path"]:
            query = parse_qs(scope["query_string"].decode())
            self.calls.append((scope["method"], query))
            if self.refuse is not None:
                body = {"errors": [{"status": str(self.refuse), "title": "Forbidden"}]}
                response = Response(json.dumps(body), status_code=self.refuse, media_type=JSONAPI)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def adapter(ledger: LedgerDB, recorder: Recorder) -> ProductiveAdapter:
    return ProductiveAdapter.for_ledger(ledger, transport=httpx.ASGITransport(app=recorder))


async def test_submit_sends_one_bulk_request_and_lists_only_by_documented_filters(
    ledger: LedgerDB,
) -> None:
    recorder = Recorder(create_app(ledger))
    me = str(ledger.identity.owner_person_id)
    async with adapter(ledger, recorder) as backend:
        results = await backend.submit_days(me, WEEK)
        assert [r.result for r in results] == ["submitted"] * 3
        assert [m for m, _ in recorder.calls].count("POST") == 1
        again = await backend.submit_days(me, WEEK)
        assert [r.result for r in again] == ["unchanged"] * 3
        assert [m for m, _ in recorder.calls].count("POST") == 1  # nothing sent again
        sheets = await backend.timesheets(WEEK)
        assert sorted(s.date for s in sheets) == WEEK
    for method, query in recorder.calls:
        if method == "GET":
            assert {k for k in query if k.startswith("filter")} <= DOCUMENTED


async def test_unsubmit_deletes_in_bulk_and_a_day_not_submitted_is_unchanged(
    ledger: LedgerDB,
) -> None:
    recorder = Recorder(create_app(ledger))
    me = str(ledger.identity.owner_person_id)
    async with adapter(ledger, recorder) as backend:
        await backend.submit_days(me, WEEK[:2])
        results = await backend.unsubmit_days(me, WEEK)
    assert [r.result for r in results] == ["unsubmitted", "unsubmitted", "unchanged"]
    assert [m for m, _ in recorder.calls].count("DELETE") == 1


@pytest.mark.parametrize("status", [403, 404])
async def test_a_403_or_404_on_timesheets_means_the_organization_has_no_submission(
    ledger: LedgerDB, status: int
) -> None:
    recorder = Recorder(create_app(ledger), refuse=status)
    me = str(ledger.identity.owner_person_id)
    async with adapter(ledger, recorder) as backend:
        for call in (
            backend.submit_days(me, WEEK),
            backend.unsubmit_days(me, WEEK),
            backend.timesheets(WEEK),
        ):
            with pytest.raises(UnsupportedError, match="does not use submission"):
                await call
        assert await backend.people()  # everything else keeps working


def test_plannr_has_no_submission() -> None:
    assert PlannrAdapter.capabilities.submission is False
    assert ProductiveAdapter.capabilities.submission is True
