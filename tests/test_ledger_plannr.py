"""The ledger's Plannr v1 dialect: the seed's stop shape, auth, Laravel errors, pages, and
one set of tables shared with the Productive dialect."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import FROZEN_NOW, FakeClock, plannr_headers, productive_headers
from tests.seeds import FIXTURES
from tui.ledger.db import LedgerDB, insert_deal, insert_project, insert_service
from tui.ledger.plannr import trackables

pytestmark = pytest.mark.anyio

V1 = "/api/v1"


def seed_stop_example() -> dict[str, Any]:
    text = (FIXTURES / "plannr-time-entry-stop.txt").read_text()
    at = text.index("Response examples (200)")
    value, _ = json.JSONDecoder().raw_decode(text, text.index("{", at))
    return value


def service_uuid(ledger: LedgerDB, name: str = "General") -> str:
    with ledger.transaction() as conn:
        return conn.execute("SELECT uuid FROM services WHERE name = ?", (name,)).fetchone()[0]


def body_headers(ledger: LedgerDB) -> dict[str, str]:
    return {**plannr_headers(ledger), "Content-Type": "application/json"}


async def create(client: httpx.AsyncClient, ledger: LedgerDB, **fields: Any) -> httpx.Response:
    body = {
        "trackable_type": "client",
        "trackable_uuid": service_uuid(ledger),
        "name": "Research",
        "description": "This is a description.",
        "start_date": FROZEN_NOW.isoformat(),
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not ...}
    return await client.post(f"{V1}/time-entry", json=body, headers=body_headers(ledger))


def finished(day: str, minutes: int = 60) -> dict[str, Any]:
    return {
        "start_date": f"{day}T10:00:00+00:00",
        "total_time_in_minutes": minutes,
        "end_date": f"{day}T11:00:00+00:00",
    }


# ------------------------------------------------------------------------- the seed


async def test_start_then_stop_matches_the_seed_and_shares_the_productive_tables(
    any_client: httpx.AsyncClient, ledger: LedgerDB, clock: FakeClock
) -> None:
    started = await create(any_client, ledger)
    assert started.status_code == 201, started.text
    assert started.headers["content-type"].startswith("application/json")
    entry = started.json()
    assert entry["end_date"] is None and entry["is_active"] is True
    assert entry["start_date"] == "2026-11-19T14:30:00+00:00"

    clock.advance(minutes=28)
    stopped = await any_client.post(
        f"{V1}/time-entry/{entry['uuid']}/stop", headers=plannr_headers(ledger)
    )
    assert stopped.status_code == 200, stopped.text
    body = stopped.json()
    seed = seed_stop_example()
    assert set(body) == set(seed)
    assert set(body["account"]) == set(seed["account"])
    assert set(body["trackable"]) == set(seed["trackable"])
    assert body["uuid"] == entry["uuid"]
    assert body["total_time_in_minutes"] == 28
    assert body["computed_time_elapsed_in_seconds"] == 1680
    assert body["start_date"] == "2026-11-19T14:30:00+00:00"
    assert body["end_date"] == "2026-11-19T14:58:00+00:00"
    assert body["is_active"] is True  # the seed's quirk: judge "stopped" by end_date
    assert body["trackable_type"] == "Client"
    assert body["trackable"]["uuid"] == service_uuid(ledger)
    assert body["account"]["uuid"] == ledger.identity.account_uuid
    assert (body["name"], body["description"]) == ("Research", "This is a description.")

    # A plain GET says what the stop could not: the entry is no longer active.
    got = await any_client.get(f"{V1}/time-entry/{entry['uuid']}", headers=plannr_headers(ledger))
    assert got.json()["is_active"] is False and got.json()["end_date"] == body["end_date"]

    # One set of tables: the Productive dialect sees the same entry with the same time.
    listed = await any_client.get("/api/v2/time_entries", headers=productive_headers(ledger))
    matches = [
        e
        for e in listed.json()["data"]
        if e["attributes"]["note"] == "Research\nThis is a description."
    ]
    assert len(matches) == 1
    single = await any_client.get(
        f"/api/v2/time_entries/{matches[0]['id']}", headers=productive_headers(ledger)
    )
    assert single.status_code == 200
    assert single.json()["data"]["attributes"]["time"] == 28
    timers = await any_client.get("/api/v2/timers", headers=productive_headers(ledger))
    assert [t["attributes"]["total_time"] for t in timers.json()["data"]] == [28]


async def test_a_running_entry_reports_elapsed_time_and_no_end(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB, clock: FakeClock
) -> None:
    entry = (await create(asgi_client, ledger)).json()
    clock.advance(minutes=5)
    got = (
        await asgi_client.get(f"{V1}/time-entry/{entry['uuid']}", headers=plannr_headers(ledger))
    ).json()
    assert got["end_date"] is None and got["is_active"] is True
    assert got["computed_time_elapsed_in_seconds"] == 300
    assert got["total_time_in_minutes"] == 0


async def test_a_timer_started_in_the_past_runs_from_its_start_date(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    entry = (await create(asgi_client, ledger, start_date="2026-11-19T14:00:00+00:00")).json()
    stopped = (
        await asgi_client.post(
            f"{V1}/time-entry/{entry['uuid']}/stop", headers=plannr_headers(ledger)
        )
    ).json()
    assert stopped["total_time_in_minutes"] == 30
    assert stopped["computed_time_elapsed_in_seconds"] == 1800


async def test_starting_a_timer_stops_the_one_already_running(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB, clock: FakeClock
) -> None:
    first = (await create(asgi_client, ledger)).json()
    clock.advance(minutes=10)
    await create(asgi_client, ledger, start_date=clock.now.isoformat())
    got = (
        await asgi_client.get(f"{V1}/time-entry/{first['uuid']}", headers=plannr_headers(ledger))
    ).json()
    assert got["end_date"] == "2026-11-19T14:40:00+00:00"
    assert got["total_time_in_minutes"] == 10


async def test_stop_without_a_running_timer_is_422(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    entry = (await create(asgi_client, ledger, **finished("2026-11-18"))).json()
    response = await asgi_client.post(
        f"{V1}/time-entry/{entry['uuid']}/stop", headers=plannr_headers(ledger)
    )
    assert response.status_code == 422
    assert set(response.json()) == {"message", "errors"}
    assert list(response.json()["errors"]) == ["uuid"]
    unknown = await asgi_client.post(f"{V1}/time-entry/nope/stop", headers=plannr_headers(ledger))
    assert unknown.status_code == 404 and "message" in unknown.json()


# ----------------------------------------------------------------- auth and bodies


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Token {token}", "Bearer "])
async def test_without_the_right_bearer_token_is_401(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB, authorization: str | None
) -> None:
    headers = plannr_headers(ledger)
    del headers["Authorization"]
    if authorization is not None:
        headers["Authorization"] = authorization.format(token=ledger.identity.token)
    response = await asgi_client.get(f"{V1}/time-entry/anything", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthenticated."}


@pytest.mark.parametrize("account", [None, "", "ad8ae460-f07f-4a19-8ca0-66d11d40f1e0"])
async def test_a_wrong_or_missing_account_uuid_is_403(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB, account: str | None
) -> None:
    headers = plannr_headers(ledger)
    del headers["X-PLANNR-ACCOUNT-UUID"]
    if account is not None:
        headers["X-PLANNR-ACCOUNT-UUID"] = account
    response = await asgi_client.post(f"{V1}/time-entry", json={}, headers=headers)
    assert response.status_code == 403
    assert set(response.json()) == {"message"}


async def test_a_body_of_another_content_type_is_415_and_bad_json_400(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    headers = {**plannr_headers(ledger), "Content-Type": "application/x-www-form-urlencoded"}
    response = await asgi_client.post(f"{V1}/time-entry", content=b"name=x", headers=headers)
    assert response.status_code == 415 and "message" in response.json()
    response = await asgi_client.post(
        f"{V1}/time-entry", content=b"{nope", headers=body_headers(ledger)
    )
    assert response.status_code == 400 and "message" in response.json()


async def test_missing_name_and_unknown_trackable_are_422_laravel_style(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    response = await create(asgi_client, ledger, name=...)
    assert response.status_code == 422
    assert response.json()["message"] == "The given data was invalid."
    assert list(response.json()["errors"]) == ["name"]
    assert all(isinstance(m, str) for m in response.json()["errors"]["name"])

    response = await create(
        asgi_client, ledger, trackable_uuid="00000000-0000-0000-0000-000000000000"
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["trackable_uuid"]

    response = await create(asgi_client, ledger, trackable_type="case")
    assert list(response.json()["errors"]) == ["trackable_type"]
    response = await create(asgi_client, ledger, start_date="2026-11-19T10:00:00")
    assert list(response.json()["errors"]) == ["start_date"]
    response = await create(asgi_client, ledger, minutes=5)
    assert list(response.json()["errors"]) == ["minutes"]
    # The shared rules' problems come back under the Plannr field names.
    response = await create(asgi_client, ledger, **finished("2026-11-18", minutes=5000))
    assert list(response.json()["errors"]) == ["total_time_in_minutes"]

    with ledger.transaction() as conn:
        assert conn.execute("SELECT count(*) FROM time_entries").fetchone()[0] == 0


# --------------------------------------------------------------------------- CRUD


async def test_create_get_update_delete_round_trip(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    created = await create(
        asgi_client,
        ledger,
        description=...,
        start_date="2026-11-18T10:00:00+01:00",
        end_date="2026-11-18T11:30:20+01:00",
    )
    assert created.status_code == 201
    entry = created.json()
    assert entry["total_time_in_minutes"] == 90  # whole minutes between start and end
    assert entry["start_date"] == "2026-11-18T09:00:00+00:00"
    assert entry["end_date"] == "2026-11-18T10:30:00+00:00"
    assert entry["is_active"] is False and entry["description"] is None
    url = f"{V1}/time-entry/{entry['uuid']}"

    got = await asgi_client.get(url, headers=plannr_headers(ledger))
    assert got.status_code == 200 and got.json() == entry

    meetings = service_uuid(ledger, "Meetings")
    updated = await asgi_client.put(
        url,
        headers=body_headers(ledger),
        json={
            "description": "Second line\nthird",
            "total_time_in_minutes": 45,
            "trackable_type": "Client",
            "trackable_uuid": meetings,
        },
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["description"]) == ("Research", "Second line\nthird")
    assert body["total_time_in_minutes"] == 45
    assert body["trackable"]["uuid"] == meetings and body["trackable"]["name"] == "Meetings"
    assert body["end_date"] == "2026-11-18T09:45:00+00:00"

    moved = await asgi_client.put(
        url,
        headers=body_headers(ledger),
        json={"start_date": "2026-11-17T08:00:00+00:00", "end_date": "2026-11-17T08:20:00+00:00"},
    )
    assert moved.json()["total_time_in_minutes"] == 20
    assert moved.json()["start_date"] == "2026-11-17T08:00:00+00:00"
    with ledger.transaction() as conn:
        day = conn.execute(
            "SELECT date FROM time_entries WHERE uuid = ?", (entry["uuid"],)
        ).fetchone()[0]
    assert day == "2026-11-17"

    bad = await asgi_client.put(
        url, headers=body_headers(ledger), json={"end_date": "2026-11-16T08:00:00+00:00"}
    )
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["start_date"]

    deleted = await asgi_client.delete(url, headers=plannr_headers(ledger))
    assert deleted.status_code == 204 and deleted.content == b""
    gone = await asgi_client.get(url, headers=plannr_headers(ledger))
    assert gone.status_code == 404 and set(gone.json()) == {"message"}
    again = await asgi_client.put(url, headers=body_headers(ledger), json={"name": "x"})
    assert again.status_code == 404


async def test_an_approved_entry_cannot_be_edited_or_deleted(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    entry = (await create(asgi_client, ledger, **finished("2026-11-18"))).json()
    listed = await asgi_client.get("/api/v2/time_entries", headers=productive_headers(ledger))
    (resource,) = listed.json()["data"]
    approved = await asgi_client.patch(
        f"/api/v2/time_entries/{resource['id']}/approve", headers=productive_headers(ledger)
    )
    assert approved.status_code == 200
    assert approved.json()["data"]["attributes"]["approved"] is True

    url = f"{V1}/time-entry/{entry['uuid']}"
    response = await asgi_client.put(url, headers=body_headers(ledger), json={"name": "Edited"})
    assert response.status_code == 422
    assert response.json()["message"] == "The given data was invalid."
    assert list(response.json()["errors"]) == ["uuid"]
    response = await asgi_client.delete(url, headers=plannr_headers(ledger))
    assert response.status_code == 422
    got = await asgi_client.get(url, headers=plannr_headers(ledger))
    assert got.json()["name"] == "Research"


async def test_editing_a_running_entry_moves_its_timer(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB, clock: FakeClock
) -> None:
    entry = (await create(asgi_client, ledger)).json()
    url = f"{V1}/time-entry/{entry['uuid']}"
    moved = await asgi_client.put(
        url, headers=body_headers(ledger), json={"start_date": "2026-11-19T14:20:00+00:00"}
    )
    assert moved.status_code == 200 and moved.json()["end_date"] is None
    refused = await asgi_client.put(
        url, headers=body_headers(ledger), json={"end_date": "2026-11-19T15:00:00+00:00"}
    )
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["end_date"]
    clock.advance(minutes=5)
    stopped = (await asgi_client.post(f"{url}/stop", headers=plannr_headers(ledger))).json()
    assert stopped["total_time_in_minutes"] == 15
    assert stopped["computed_time_elapsed_in_seconds"] == 900


# --------------------------------------------------------------------------- lists


async def test_list_pages_filters_and_sorts(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    days = ["2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13", "2026-11-14"]
    for day in days:
        assert (await create(asgi_client, ledger, name=day, **finished(day))).status_code == 201
    await create(
        asgi_client, ledger, trackable_uuid=service_uuid(ledger, "Admin"), **finished("2026-11-12")
    )  # another trackable: never listed here
    url = f"{V1}/time-entry/client/{service_uuid(ledger)}"
    headers = plannr_headers(ledger)

    pages = []
    for number in (1, 2, 3, 4):
        response = await asgi_client.get(
            url, params={"per_page": 2, "page": number}, headers=headers
        )
        assert response.status_code == 200
        pages.append(response.json())
    assert [len(p["data"]) for p in pages] == [2, 2, 1, 0]
    assert [e["name"] for p in pages for e in p["data"]] == days[::-1]  # newest first
    meta = pages[0]["meta"]
    assert (meta["total"], meta["last_page"], meta["per_page"], meta["current_page"]) == (
        5,
        3,
        2,
        1,
    )
    assert (meta["from"], meta["to"]) == (1, 2)
    assert meta["path"].endswith(f"/time-entry/client/{service_uuid(ledger)}")
    assert pages[0]["links"]["prev"] is None and "page=2" in pages[0]["links"]["next"]
    assert pages[2]["links"]["next"] is None and (
        pages[2]["meta"]["from"],
        pages[2]["meta"]["to"],
    ) == (5, 5)
    assert pages[3]["meta"]["from"] is None
    # Following `next` walks the same pages.
    followed = await asgi_client.get(pages[0]["links"]["next"], headers=headers)
    assert followed.json()["data"] == pages[1]["data"]

    oldest = await asgi_client.get(url, params={"sort": "start_date"}, headers=headers)
    assert [e["name"] for e in oldest.json()["data"]] == days
    assert oldest.json()["meta"]["per_page"] == 15

    between = await asgi_client.get(
        url, params={"filter[between]": "2026-11-11,2026-11-13"}, headers=headers
    )
    assert [e["name"] for e in between.json()["data"]] == days[3:0:-1]
    assert between.json()["meta"]["total"] == 3

    clamped = await asgi_client.get(url, params={"per_page": 100000}, headers=headers)
    assert clamped.json()["meta"]["per_page"] == 500

    bad_sort = await asgi_client.get(url, params={"sort": "name"}, headers=headers)
    assert bad_sort.status_code == 400 and "message" in bad_sort.json()
    bad_filter = await asgi_client.get(
        url, params={"filter[between]": "2026-11-11"}, headers=headers
    )
    assert bad_filter.status_code == 422
    assert bad_filter.json()["message"] == "The given data was invalid."
    assert list(bad_filter.json()["errors"]) == ["filter.between"]
    unknown = await asgi_client.get(f"{V1}/time-entry/client/nope", headers=headers)
    assert unknown.status_code == 404 and "message" in unknown.json()


# ----------------------------------------------------------------- trackable names


def add_design(ledger: LedgerDB) -> str:
    """A "Design" service on Acme's Website deal; its trackable uuid."""
    with ledger.transaction(write=True) as conn:
        acme = insert_project(conn, name="Acme")
        website = insert_deal(conn, name="Website", project_id=acme)
        service = insert_service(
            conn, ledger.identity.organization_id, name="Design", deal_id=website
        )
        return str(conn.execute("SELECT uuid FROM services WHERE id = ?", (service,)).fetchone()[0])


async def test_an_entry_names_its_trackable_with_where_the_service_belongs(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    design = add_design(ledger)
    created = await create(asgi_client, ledger, trackable_uuid=design, **finished("2026-11-18"))
    assert created.status_code == 201, created.text
    trackable = created.json()["trackable"]
    assert (trackable["uuid"], trackable["name"]) == (design, "Design (Acme › Website)")
    plain = await create(asgi_client, ledger, **finished("2026-11-18"))
    assert plain.json()["trackable"]["name"] == "General"


async def test_an_account_is_read_by_uuid_whether_person_or_client(
    asgi_client: httpx.AsyncClient, ledger: LedgerDB
) -> None:
    design = add_design(ledger)
    client = await asgi_client.get(f"{V1}/account/{design}", headers=plannr_headers(ledger))
    assert client.status_code == 200, client.text
    assert (client.json()["uuid"], client.json()["name"]) == (design, "Design (Acme › Website)")
    assert client.json()["type"] == "client"
    me = await asgi_client.get(
        f"{V1}/account/{ledger.identity.account_uuid}", headers=plannr_headers(ledger)
    )
    assert me.status_code == 200 and me.json()["uuid"] == ledger.identity.account_uuid
    missing = await asgi_client.get(
        f"{V1}/account/00000000-0000-0000-0000-000000000000", headers=plannr_headers(ledger)
    )
    assert missing.status_code == 404 and "message" in missing.json()
    refused = await asgi_client.get(f"{V1}/account/{design}")
    assert refused.status_code == 401


def test_the_trackables_of_a_ledger_are_its_services_by_name(ledger: LedgerDB) -> None:
    design = add_design(ledger)
    listed = trackables(ledger)
    assert [name for _, name in listed] == [
        "General",
        "Meetings",
        "Admin",
        "Design (Acme › Website)",
    ]
    assert listed[-1][0] == f"client:{design}"
