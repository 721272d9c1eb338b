"""The ledger's `/timesheets`: submitting days, the refusals, and what a submitted day locks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.test_ledger_productive import (
    assert_error,
    bulk,
    create,
    error_pointers,
    get,
    new_entry,
    single,
    sql,
)
from tui.ledger.db import LedgerDB, insert_person

pytestmark = pytest.mark.anyio


def values(ledger: LedgerDB, query: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sql(ledger, query, *params)]


def sheet(day: str, person: Any = 1) -> dict[str, Any]:
    return {
        "type": "timesheets",
        "attributes": {"date": day},
        "relationships": {"person": {"data": {"type": "people", "id": str(person)}}},
    }


async def submit(client: httpx.AsyncClient, ledger: LedgerDB, day: str, person: Any = 1) -> str:
    response = await single(client, ledger, "POST", "/timesheets", {"data": sheet(day, person)})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def entry(client: httpx.AsyncClient, ledger: LedgerDB, entry_id: str) -> dict[str, Any]:
    response = await get(client, ledger, f"/time_entries/{entry_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_a_timesheet_submits_every_entry_of_that_person_and_day(asgi_client, ledger):
    other = sql(ledger, "SELECT id FROM people")[0][0]
    mine, next_day = await create(
        asgi_client,
        ledger,
        new_entry(date="2024-08-28", person=other),
        new_entry(date="2024-08-29", person=other),
    )
    timesheet_id = await submit(asgi_client, ledger, "2024-08-28", other)

    submitted = await entry(asgi_client, ledger, mine)
    assert submitted["attributes"]["submitted"] is True
    assert submitted["relationships"]["timesheet"]["data"] == {
        "type": "timesheets",
        "id": timesheet_id,
    }
    untouched = await entry(asgi_client, ledger, next_day)
    assert untouched["attributes"]["submitted"] is False
    assert untouched["relationships"]["timesheet"]["data"] is None
    listed = await get(asgi_client, ledger, "/time_entries", **{"filter[status]": "5"})
    assert [d["id"] for d in listed.json()["data"]] == [mine]


async def test_timesheets_list_by_person_date_and_range(asgi_client, ledger):
    with ledger.transaction(write=True) as conn:
        bo = insert_person(conn, ledger.identity.organization_id, first_name="Bo")
    await submit(asgi_client, ledger, "2024-08-26")
    await submit(asgi_client, ledger, "2024-08-27")
    await submit(asgi_client, ledger, "2024-08-27", bo)

    async def days(**params: str) -> list[tuple[str, str]]:
        response = await get(asgi_client, ledger, "/timesheets", **params)
        assert response.status_code == 200, response.text
        return [
            (d["attributes"]["date"], d["relationships"]["person"]["data"]["id"])
            for d in response.json()["data"]
        ]

    assert await days(**{"filter[person_id]": str(bo)}) == [("2024-08-27", str(bo))]
    assert await days(**{"filter[date]": "2024-08-26"}) == [("2024-08-26", "1")]
    assert await days(**{"filter[after]": "2024-08-27", "filter[before]": "2024-08-27"}) == [
        ("2024-08-27", "1"),
        ("2024-08-27", str(bo)),
    ]
    refused = await get(asgi_client, ledger, "/timesheets", **{"filter[status]": "1"})
    assert_error(refused, 400)


async def test_a_second_timesheet_for_the_same_day_is_422(asgi_client, ledger):
    await submit(asgi_client, ledger, "2024-08-28")
    again = await single(asgi_client, ledger, "POST", "/timesheets", {"data": sheet("2024-08-28")})
    assert "already exists" in assert_error(again, 422)["detail"]


async def test_a_bulk_submit_is_all_or_nothing_and_points_at_the_refused_day(asgi_client, ledger):
    await submit(asgi_client, ledger, "2024-08-27")
    week = [sheet(f"2024-08-{day}") for day in (26, 27, 28)]
    refused = await bulk(asgi_client, ledger, "POST", "/timesheets", {"data": week})
    assert refused.status_code == 422
    assert error_pointers(refused) == ["/data/1/attributes/date"]
    assert values(ledger, "SELECT date FROM timesheets") == [("2024-08-27",)]

    fresh = [sheet("2024-08-26"), sheet("2024-08-28")]
    created = await bulk(asgi_client, ledger, "POST", "/timesheets", {"data": fresh})
    assert created.status_code == 201, created.text
    assert [d["attributes"]["date"] for d in created.json()["data"]] == [
        "2024-08-26",
        "2024-08-28",
    ]


async def test_delete_unsubmits_one_or_many(asgi_client, ledger):
    (entry_id,) = await create(asgi_client, ledger, new_entry(date="2024-08-26"))
    first = await submit(asgi_client, ledger, "2024-08-26")
    second = await submit(asgi_client, ledger, "2024-08-27")
    third = await submit(asgi_client, ledger, "2024-08-28")

    one = await single(asgi_client, ledger, "DELETE", f"/timesheets/{first}")
    assert one.status_code == 204
    assert (await entry(asgi_client, ledger, entry_id))["attributes"]["submitted"] is False
    ids = [{"type": "timesheets", "id": i} for i in (second, third)]
    many = await bulk(asgi_client, ledger, "DELETE", "/timesheets", {"data": ids})
    assert many.status_code == 204
    assert values(ledger, "SELECT count(*) FROM timesheets") == [(0,)]
    gone = await single(asgi_client, ledger, "DELETE", f"/timesheets/{first}")
    assert_error(gone, 404)


async def test_unsubmitting_a_day_with_an_approved_entry_is_422(asgi_client, ledger):
    (entry_id,) = await create(asgi_client, ledger, new_entry(date="2024-08-28"))
    timesheet_id = await submit(asgi_client, ledger, "2024-08-28")
    await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/approve")

    refused = await single(asgi_client, ledger, "DELETE", f"/timesheets/{timesheet_id}")
    assert "unapprove" in assert_error(refused, 422)["detail"]
    assert values(ledger, "SELECT count(*) FROM timesheets") == [(1,)]


async def test_an_entry_of_a_submitted_day_cannot_be_edited_added_or_deleted(asgi_client, ledger):
    (entry_id,) = await create(asgi_client, ledger, new_entry(date="2024-08-28"))
    await submit(asgi_client, ledger, "2024-08-28")
    edit = {"data": {"type": "time_entries", "attributes": {"time": 30}}}

    edited = await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}", edit)
    assert "unsubmit it first" in assert_error(edited, 422)["detail"]
    deleted = await single(asgi_client, ledger, "DELETE", f"/time_entries/{entry_id}")
    assert "unsubmit it first" in assert_error(deleted, 422)["detail"]
    added = await single(
        asgi_client, ledger, "POST", "/time_entries", {"data": new_entry(date="2024-08-28")}
    )
    assert "unsubmit it first" in assert_error(added, 422)["detail"]
    (elsewhere,) = await create(asgi_client, ledger, new_entry(date="2024-08-29"))
    moved = {"data": {"type": "time_entries", "attributes": {"date": "2024-08-28"}}}
    refused = await single(asgi_client, ledger, "PATCH", f"/time_entries/{elsewhere}", moved)
    assert_error(refused, 422)
    assert values(ledger, "SELECT time FROM time_entries WHERE id = ?", entry_id) == [(120,)]


async def test_a_rejected_entry_of_a_submitted_day_stays_editable_and_the_edit_clears_it(
    asgi_client, ledger
):
    (entry_id,) = await create(asgi_client, ledger, new_entry(date="2024-08-28"))
    await submit(asgi_client, ledger, "2024-08-28")
    reason = {"data": {"type": "time_entries", "attributes": {"rejected_reason": "Add a task"}}}
    await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/reject", reason)

    edit = {"data": {"type": "time_entries", "attributes": {"time": 30}}}
    fixed = await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}", edit)
    assert fixed.status_code == 200, fixed.text
    attributes = fixed.json()["data"]["attributes"]
    assert attributes["time"] == 30
    assert attributes["rejected"] is False
    assert attributes["rejected_reason"] is None
    assert attributes["submitted"] is True
