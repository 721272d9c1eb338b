"""The ledger's Productive dialect (`/api/v2`): every endpoint, each error status, the edges.

The seed (`fixtures/productive-time-entries-bulk.txt`) is the ground truth for the bulk calls:
its request bodies are sent as they stand, with its foreign ids mapped to rows made here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.conftest import BULK, FROZEN_NOW, JSONAPI, FakeClock, productive_headers
from tui.ledger.app import create_app
from tui.ledger.db import (
    LedgerDB,
    insert_deal,
    insert_person,
    insert_project,
    insert_service,
    insert_task,
)

pytestmark = pytest.mark.anyio

API = "/api/v2"
RESPONSE_TYPE = "application/vnd.api+json; charset=utf-8"
NOT_INCLUDED = {"meta": {"included": False}}
SEED = Path(__file__).parent / "fixtures" / "productive-time-entries-bulk.txt"

# ----------------------------------------------------------------------------- helpers


def seed_requests(method: str, path: str) -> list[dict[str, Any]]:
    """The request bodies of the seed's examples of `method path`, in order."""
    text = SEED.read_text()
    # The seed separates method and path with two no-break spaces in its example headings.
    heading = re.compile(rf"^{method}\u00a0{{2}}/api/v2{re.escape(path)}$", re.M)
    bodies = []
    for match in heading.finditer(text):
        start = text.index("{", text.index("Body", match.end()))
        bodies.append(json.JSONDecoder().raw_decode(text, start)[0])
    assert bodies, f"the seed has no {method} {path} example"
    return bodies


def headers(ledger: LedgerDB, content_type: str | None = JSONAPI) -> dict[str, str]:
    """Good credentials, and a Content-Type when the request has a body."""
    result = productive_headers(ledger)
    if content_type is not None:
        result["Content-Type"] = content_type
    return result


def bulk_headers(ledger: LedgerDB) -> dict[str, str]:
    """The seed's headers for a bulk call."""
    return {**headers(ledger, BULK), "Accept": BULK}


async def send(
    client: httpx.AsyncClient, method: str, path: str, body: Any, request_headers: dict[str, str]
) -> httpx.Response:
    content = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return await client.request(method, f"{API}{path}", content=content, headers=request_headers)


async def bulk(
    client: httpx.AsyncClient, ledger: LedgerDB, method: str, path: str, body: dict[str, Any]
) -> httpx.Response:
    return await send(client, method, path, body, bulk_headers(ledger))


async def single(
    client: httpx.AsyncClient, ledger: LedgerDB, method: str, path: str, body: Any = None
) -> httpx.Response:
    if body is None:
        return await client.request(method, f"{API}{path}", headers=headers(ledger, None))
    return await send(client, method, path, body, headers(ledger))


async def get(
    client: httpx.AsyncClient, ledger: LedgerDB, path: str, **params: Any
) -> httpx.Response:
    return await client.get(f"{API}{path}", params=params, headers=headers(ledger, None))


def new_entry(
    *,
    date: str = "2024-08-28",
    time: int = 120,
    note: str | None = None,
    person: Any = 1,
    service: Any = 1,
    task: Any = None,
) -> dict[str, Any]:
    """A time entry resource for a create request."""
    attributes: dict[str, Any] = {"date": date, "time": time}
    if note is not None:
        attributes["note"] = note
    relationships = {
        "person": {"data": {"type": "people", "id": str(person)}},
        "service": {"data": {"type": "services", "id": str(service)}},
    }
    if task is not None:
        relationships["task"] = {"data": {"type": "tasks", "id": str(task)}}
    return {"type": "time_entries", "attributes": attributes, "relationships": relationships}


def ref(entry_id: Any, **attributes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry_id, "type": "time_entries"}
    if attributes:
        item["attributes"] = attributes
    return item


async def create(client: httpx.AsyncClient, ledger: LedgerDB, *items: dict[str, Any]) -> list[str]:
    """Create entries with one bulk POST; their ids in request order."""
    response = await bulk(client, ledger, "POST", "/time_entries", {"data": list(items)})
    assert response.status_code == 201, response.text
    return [resource["id"] for resource in response.json()["data"]]


def sql(ledger: LedgerDB, query: str, *params: Any) -> list[Any]:
    with ledger.transaction(write=True) as conn:
        return conn.execute(query, params).fetchall()


def entry_count(ledger: LedgerDB) -> int:
    return sql(ledger, "SELECT count(*) FROM time_entries")[0][0]


def notes(ledger: LedgerDB) -> dict[str, str | None]:
    return {str(r["id"]): r["note"] for r in sql(ledger, "SELECT id, note FROM time_entries")}


def error_pointers(response: httpx.Response) -> list[str]:
    return [error["source"]["pointer"] for error in response.json()["errors"]]


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """A JSON:API error document with `status`; its first error."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == RESPONSE_TYPE
    errors = response.json()["errors"]
    assert errors and all(error["status"] == str(status) for error in errors)
    assert all(error["title"] and error["detail"] for error in errors)
    return errors[0]


@pytest.fixture
def seed_ids(ledger: LedgerDB) -> dict[str, int]:
    """Rows standing in for the seed's person 7781, service 1213 and task 302."""
    org = ledger.identity.organization_id
    with ledger.transaction(write=True) as conn:
        person = insert_person(
            conn, org, first_name="Ana", last_name="Seed", email="ana@example.com"
        )
        service = insert_service(conn, org, name="Design")
        task = insert_task(conn, title="Wireframes", service_id=service)
    return {"7781": person, "1213": service, "302": task}


def seed_create_body(ids: dict[str, int]) -> dict[str, Any]:
    """The seed's bulk create body with its foreign ids mapped to ours."""
    body = seed_requests("POST", "/time_entries")[0]
    for item in body["data"]:
        for rel in item["relationships"].values():
            rel["data"]["id"] = str(ids[rel["data"]["id"]])
    return body


def with_ids(body: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    """A seed body whose integer ids are replaced, in order, by ours (kept as integers)."""
    for item, new_id in zip(body["data"], ids, strict=True):
        item["id"] = int(new_id)
    return body


# -------------------------------------------------------------------------------- auth

AUTH_ROUTES = [
    ("GET", "/time_entries"),
    ("POST", "/time_entries"),
    ("PATCH", "/time_entries/approve"),
    ("GET", "/time_entries/1"),
    ("PATCH", "/timers/1/stop"),
    ("GET", "/people"),
    ("GET", "/organization_memberships"),
]


@pytest.mark.parametrize(("method", "path"), AUTH_ROUTES)
async def test_a_missing_or_wrong_token_is_401(asgi_client, ledger, method, path):
    good = headers(ledger)
    for token in (None, "", "not-the-token", ledger.identity.token + "x"):
        sent = {k: v for k, v in good.items() if k != "X-Auth-Token"}
        if token is not None:
            sent["X-Auth-Token"] = token
        response = await send(asgi_client, method, path, {"data": []}, sent)
        assert_error(response, 401)


@pytest.mark.parametrize(("method", "path"), AUTH_ROUTES)
async def test_a_missing_or_wrong_organization_is_403(asgi_client, ledger, method, path):
    good = headers(ledger)
    for organization in (None, "", "1" + ledger.identity.organization_id):
        sent = {k: v for k, v in good.items() if k != "X-Organization-Id"}
        if organization is not None:
            sent["X-Organization-Id"] = organization
        response = await send(asgi_client, method, path, {"data": []}, sent)
        assert_error(response, 403)
    assert entry_count(ledger) == 0


async def test_auth_over_both_transports(any_client, ledger):
    no_token = {"X-Organization-Id": ledger.identity.organization_id}
    assert_error(await any_client.get(f"{API}/time_entries", headers=no_token), 401)
    wrong_org = {"X-Auth-Token": ledger.identity.token, "X-Organization-Id": "0"}
    assert_error(await any_client.get(f"{API}/time_entries", headers=wrong_org), 403)
    response = await get(any_client, ledger, "/time_entries")
    assert response.status_code == 200
    assert response.json()["data"] == []


async def test_an_unknown_path_is_a_jsonapi_404(asgi_client, ledger):
    response = await get(asgi_client, ledger, "/invoices")
    assert_error(response, 404)


# ------------------------------------------------------------------------ content type


async def test_plain_json_is_415(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry())
    for method, path, body in [
        ("POST", "/time_entries", {"data": new_entry()}),
        ("PATCH", f"/time_entries/{entry_id}", {"data": ref(entry_id, note="x")}),
        ("POST", "/time_entries", {"data": [new_entry()]}),
    ]:
        response = await send(asgi_client, method, path, body, headers(ledger, "application/json"))
        assert_error(response, 415)
    response = await send(
        asgi_client, "POST", "/time_entries", {"data": new_entry()}, headers(ledger, None)
    )
    assert_error(response, 415)
    assert entry_count(ledger) == 1
    assert notes(ledger) == {entry_id: None}


async def test_a_bulk_list_without_the_bulk_extension_is_415(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry(note="keep"))
    for method, path, body in [
        ("POST", "/time_entries", {"data": [new_entry()]}),
        ("PATCH", "/time_entries", {"data": [ref(entry_id, note="changed")]}),
        ("DELETE", "/time_entries", {"data": [ref(entry_id)]}),
        ("PATCH", "/time_entries/approve", {"data": [ref(entry_id)]}),
    ]:
        response = await send(asgi_client, method, path, body, headers(ledger, JSONAPI))
        assert_error(response, 415)
    assert notes(ledger) == {entry_id: "keep"}
    assert sql(ledger, "SELECT approved FROM time_entries")[0][0] == 0


async def test_an_unknown_extension_or_media_parameter_is_415(asgi_client, ledger):
    for content_type in (f"{JSONAPI}; ext=atomic", f"{JSONAPI}; profile=x"):
        response = await send(
            asgi_client,
            "POST",
            "/time_entries",
            {"data": new_entry()},
            headers(ledger, content_type),
        )
        assert_error(response, 415)
    assert entry_count(ledger) == 0


async def test_the_charset_parameter_is_accepted(asgi_client, ledger):
    response = await send(
        asgi_client,
        "POST",
        "/time_entries",
        {"data": new_entry()},
        headers(ledger, f"{JSONAPI}; charset=utf-8"),
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("raw", ['{"data": [', "not json", b"\xff\xfe", '["data"]', "{}", ""])
async def test_a_malformed_body_is_400(asgi_client, ledger, raw):
    for request_headers in (headers(ledger), bulk_headers(ledger)):
        response = await send(asgi_client, "POST", "/time_entries", raw, request_headers)
        assert_error(response, 400)
    assert entry_count(ledger) == 0


async def test_a_wrong_resource_type_is_409(asgi_client, ledger):
    wrong = {**new_entry(), "type": "people"}
    response = await single(asgi_client, ledger, "POST", "/time_entries", {"data": wrong})
    assert error_pointers(response) == ["/data/type"]
    assert_error(response, 409)
    response = await bulk(
        asgi_client, ledger, "POST", "/time_entries", {"data": [new_entry(), wrong]}
    )
    assert_error(response, 409)
    assert error_pointers(response) == ["/data/1/type"]
    assert entry_count(ledger) == 0


# -------------------------------------------------------------------------------- bulk


async def test_bulk_create_as_in_the_seed(asgi_client, ledger, seed_ids):
    request = seed_create_body(seed_ids)
    response = await bulk(asgi_client, ledger, "POST", "/time_entries", request)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == RESPONSE_TYPE
    body = response.json()
    assert body["meta"] == {}
    assert [d["attributes"]["note"] for d in body["data"]] == ["first note", "second note"]
    ids = [d["id"] for d in body["data"]]
    assert all(isinstance(i, str) for i in ids) and int(ids[0]) < int(ids[1])
    for resource in body["data"]:
        assert resource["type"] == "time_entries"
        attributes = resource["attributes"]
        assert (attributes["date"], attributes["time"], attributes["billable_time"]) == (
            "2024-08-28",
            120,
            120,
        )
        assert attributes["approved"] is False and attributes["rejected"] is False
        for name in ("person", "service", "task"):
            assert resource["relationships"][name] == NOT_INCLUDED
    rows = sql(
        ledger, "SELECT id, person_id, service_id, task_id, note FROM time_entries ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (int(ids[0]), seed_ids["7781"], seed_ids["1213"], seed_ids["302"], "first note"),
        (int(ids[1]), seed_ids["7781"], seed_ids["1213"], seed_ids["302"], "second note"),
    ]


async def test_bulk_create_keeps_request_order(asgi_client, ledger):
    dates = ["2024-08-30", "2024-08-01", "2024-08-15", "2024-08-01"]
    response = await bulk(
        asgi_client,
        ledger,
        "POST",
        "/time_entries",
        {"data": [new_entry(date=d, note=str(i)) for i, d in enumerate(dates)]},
    )
    assert response.status_code == 201
    assert [
        (d["attributes"]["note"], d["attributes"]["date"]) for d in response.json()["data"]
    ] == [(str(i), d) for i, d in enumerate(dates)]


async def test_bulk_update_as_in_the_seed(asgi_client, ledger, clock):
    ids = await create(
        asgi_client, ledger, new_entry(note="one", time=480), new_entry(note="two", time=480)
    )
    before = sql(ledger, "SELECT updated_at FROM time_entries")[0][0]
    clock.advance(minutes=5)
    request = with_ids(seed_requests("PATCH", "/time_entries")[0], ids)
    assert all(isinstance(item["id"], int) for item in request["data"])

    response = await bulk(asgi_client, ledger, "PATCH", "/time_entries", request)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == RESPONSE_TYPE
    data = response.json()["data"]
    assert [d["id"] for d in data] == ids
    assert [d["attributes"]["note"] for d in data] == ["new first note", "new second note"]
    assert all(d["attributes"]["time"] == 480 for d in data)
    assert all(d["relationships"]["service"] == NOT_INCLUDED for d in data)
    assert data[0]["attributes"]["updated_at"] > before
    assert notes(ledger) == dict(zip(ids, ["new first note", "new second note"], strict=True))


async def test_bulk_delete_as_in_the_seed(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry(), new_entry(), new_entry(note="stays"))
    request = with_ids(seed_requests("DELETE", "/time_entries")[0], ids[:2])

    response = await bulk(asgi_client, ledger, "DELETE", "/time_entries", request)

    assert response.status_code == 204
    assert response.content == b""
    assert notes(ledger) == {ids[2]: "stays"}


async def test_bulk_approve_as_in_the_seed(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry(), new_entry(), new_entry(), new_entry())
    sql(
        ledger,
        "UPDATE time_entries SET approvers_needed = 2 WHERE id IN (?, ?, ?)",
        ids[1],
        ids[2],
        ids[3],
    )
    without_flag, with_flag = seed_requests("PATCH", "/time_entries/approve")
    assert "for_all_approvers" not in without_flag and with_flag["for_all_approvers"] is True

    response = await bulk(
        asgi_client, ledger, "PATCH", "/time_entries/approve", with_ids(without_flag, ids[:2])
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == RESPONSE_TYPE
    data = response.json()["data"]
    assert [d["id"] for d in data] == ids[:2]
    assert [d["attributes"]["approved"] for d in data] == [True, False]
    assert data[0]["attributes"]["approved_at"] is not None
    assert data[1]["attributes"]["approved_at"] is None

    response = await bulk(
        asgi_client, ledger, "PATCH", "/time_entries/approve", with_ids(with_flag, ids[2:])
    )
    assert response.status_code == 200, response.text
    assert [d["attributes"]["approved"] for d in response.json()["data"]] == [True, True]
    approved = sql(ledger, "SELECT id, approved FROM time_entries ORDER BY id")
    assert [r["approved"] for r in approved] == [1, 0, 1, 1]


async def test_bulk_approve_rejects_a_non_boolean_flag(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry())
    response = await bulk(
        asgi_client,
        ledger,
        "PATCH",
        "/time_entries/approve",
        {"for_all_approvers": "yes", "data": [ref(ids[0])]},
    )
    assert_error(response, 400)
    assert sql(ledger, "SELECT approved FROM time_entries")[0][0] == 0


async def test_bulk_unapprove_as_in_the_seed(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry(), new_entry())
    response = await bulk(
        asgi_client, ledger, "PATCH", "/time_entries/approve", {"data": [ref(i) for i in ids]}
    )
    assert [d["attributes"]["approved"] for d in response.json()["data"]] == [True, True]
    request = with_ids(seed_requests("PATCH", "/time_entries/unapprove")[0], ids)

    response = await bulk(asgi_client, ledger, "PATCH", "/time_entries/unapprove", request)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [d["id"] for d in data] == ids
    assert [(d["attributes"]["approved"], d["attributes"]["approved_at"]) for d in data] == [
        (False, None),
        (False, None),
    ]
    assert [r[0] for r in sql(ledger, "SELECT approved FROM time_entries")] == [0, 0]


async def test_a_refused_bulk_create_changes_nothing(asgi_client, ledger):
    await create(asgi_client, ledger, new_entry(note="already there"))
    items = [new_entry(note="fine"), new_entry(time=-5), new_entry(service=999)]

    response = await bulk(asgi_client, ledger, "POST", "/time_entries", {"data": items})

    assert_error(response, 422)
    assert sorted(error_pointers(response)) == [
        "/data/1/attributes/time",
        "/data/2/relationships/service",
    ]
    assert entry_count(ledger) == 1


async def test_a_bulk_create_reports_every_problem_of_an_item(asgi_client, ledger):
    item = new_entry(date="2024-02-30", time=2000, person=999)
    item["attributes"]["minutes"] = 5
    response = await bulk(asgi_client, ledger, "POST", "/time_entries", {"data": [item]})
    assert_error(response, 422)
    assert sorted(error_pointers(response)) == [
        "/data/0/attributes/minutes",
    ]
    del item["attributes"]["minutes"]
    response = await bulk(asgi_client, ledger, "POST", "/time_entries", {"data": [item]})
    assert_error(response, 422)
    assert sorted(error_pointers(response)) == [
        "/data/0/attributes/date",
        "/data/0/attributes/time",
        "/data/0/relationships/person",
    ]
    assert entry_count(ledger) == 0


async def test_a_refused_bulk_update_changes_nothing(asgi_client, ledger):
    ids = await create(
        asgi_client, ledger, new_entry(note="a"), new_entry(note="b"), new_entry(note="c")
    )
    sql(ledger, "UPDATE time_entries SET approved = 1 WHERE id = ?", ids[1])

    response = await bulk(
        asgi_client,
        ledger,
        "PATCH",
        "/time_entries",
        {"data": [ref(i, note="changed") for i in ids]},
    )

    assert_error(response, 422)
    assert error_pointers(response) == ["/data/1/id"]
    assert "approved" in response.json()["errors"][0]["detail"]
    assert notes(ledger) == dict(zip(ids, "abc", strict=True))


async def test_a_bulk_update_with_an_unknown_id_changes_nothing(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry(note="a"))
    response = await bulk(
        asgi_client,
        ledger,
        "PATCH",
        "/time_entries",
        {"data": [ref(ids[0], note="changed"), ref(9999, note="x")]},
    )
    assert_error(response, 404)
    assert error_pointers(response) == ["/data/1/id"]
    assert notes(ledger) == {ids[0]: "a"}


async def test_a_refused_bulk_delete_deletes_nothing(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry(), new_entry())

    response = await bulk(
        asgi_client,
        ledger,
        "DELETE",
        "/time_entries",
        {"data": [ref(ids[0]), ref(9999), ref(ids[1])]},
    )

    assert response.status_code in (404, 422)
    assert error_pointers(response) == ["/data/1/id"]
    assert entry_count(ledger) == 2


async def test_a_bulk_delete_refuses_an_approved_entry(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry(), new_entry())
    sql(ledger, "UPDATE time_entries SET approved = 1 WHERE id = ?", ids[0])
    response = await bulk(
        asgi_client, ledger, "DELETE", "/time_entries", {"data": [ref(i) for i in ids]}
    )
    assert_error(response, 422)
    assert error_pointers(response) == ["/data/0/id"]
    assert entry_count(ledger) == 2


async def test_mixed_statuses_in_one_bulk_call_answer_422(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry())
    sql(ledger, "UPDATE time_entries SET approved = 1 WHERE id = ?", ids[0])
    response = await bulk(
        asgi_client,
        ledger,
        "PATCH",
        "/time_entries",
        {"data": [ref(ids[0], note="x"), ref(9999, note="y")]},
    )
    assert response.status_code == 422
    assert [e["status"] for e in response.json()["errors"]] == ["422", "404"]


async def test_bulk_items_need_ids_to_update(asgi_client, ledger):
    response = await bulk(
        asgi_client,
        ledger,
        "PATCH",
        "/time_entries",
        {"data": [{"type": "time_entries", "attributes": {"note": "x"}}]},
    )
    assert_error(response, 400)
    assert error_pointers(response) == ["/data/0/id"]


async def test_a_bulk_call_over_the_limit_is_413(ledger):
    transport = httpx.ASGITransport(app=create_app(ledger, max_bulk_items=5))
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
        response = await bulk(
            client, ledger, "POST", "/time_entries", {"data": [new_entry() for _ in range(6)]}
        )
        assert_error(response, 413)
        assert entry_count(ledger) == 0
        ids = await create(client, ledger, *[new_entry() for _ in range(5)])
        assert len(ids) == 5
        response = await bulk(
            client, ledger, "DELETE", "/time_entries", {"data": [ref(i) for i in [*ids, ids[0]]]}
        )
        assert_error(response, 413)
        assert entry_count(ledger) == 5


async def test_bulk_create_over_both_transports(any_client, ledger, seed_ids):
    response = await bulk(any_client, ledger, "POST", "/time_entries", seed_create_body(seed_ids))
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == RESPONSE_TYPE
    assert [d["attributes"]["note"] for d in response.json()["data"]] == [
        "first note",
        "second note",
    ]
    assert entry_count(ledger) == 2


# ------------------------------------------------------------------------------ single


async def test_get_one_entry_with_included_names(asgi_client, ledger, seed_ids):
    [entry_id] = await create(
        asgi_client,
        ledger,
        new_entry(
            person=seed_ids["7781"], service=seed_ids["1213"], task=seed_ids["302"], note="n"
        ),
    )

    response = await get(
        asgi_client, ledger, f"/time_entries/{entry_id}", include="person,service,task"
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == RESPONSE_TYPE
    body = response.json()
    relationships = body["data"]["relationships"]
    assert relationships["person"] == {"data": {"type": "people", "id": str(seed_ids["7781"])}}
    assert relationships["service"]["data"]["id"] == str(seed_ids["1213"])
    assert relationships["task"]["data"]["id"] == str(seed_ids["302"])
    included = {(r["type"], r["id"]): r["attributes"] for r in body["included"]}
    assert included[("people", str(seed_ids["7781"]))]["first_name"] == "Ana"
    assert included[("services", str(seed_ids["1213"]))]["name"] == "Design"
    assert included[("tasks", str(seed_ids["302"]))]["title"] == "Wireframes"
    assert len(included) == 3

    plain = (await get(asgi_client, ledger, f"/time_entries/{entry_id}")).json()
    assert "included" not in plain
    assert plain["data"]["relationships"]["task"]["data"]["id"] == str(seed_ids["302"])
    assert_error(
        await get(asgi_client, ledger, f"/time_entries/{entry_id}", include="invoice"), 400
    )


async def test_create_one_entry(asgi_client, ledger):
    response = await single(
        asgi_client,
        ledger,
        "POST",
        "/time_entries",
        {"data": new_entry(note="<b>html</b> ok", service=2, time=45)},
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["attributes"]["note"] == "<b>html</b> ok"
    # Meetings, one of a new ledger's services, is not billable (General is).
    assert (data["attributes"]["time"], data["attributes"]["billable_time"]) == (45, 0)
    assert data["attributes"]["created_at"] == data["attributes"]["updated_at"]
    assert data["relationships"]["service"] == {"data": {"type": "services", "id": "2"}}
    assert data["relationships"]["task"] == {"data": None}
    assert data["relationships"]["creator"]["data"]["id"] == "1"
    assert entry_count(ledger) == 1


async def test_create_one_entry_refuses_bad_values(asgi_client, ledger):
    item = new_entry()
    del item["attributes"]["time"]
    response = await single(asgi_client, ledger, "POST", "/time_entries", {"data": item})
    assert_error(response, 422)
    assert error_pointers(response) == ["/data/attributes/time"]
    response = await single(
        asgi_client, ledger, "POST", "/time_entries", {"data": new_entry(time=True)}
    )
    assert error_pointers(response) == ["/data/attributes/time"]
    item = new_entry()
    item["relationships"]["project"] = {"data": {"type": "projects", "id": "1"}}
    response = await single(asgi_client, ledger, "POST", "/time_entries", {"data": item})
    assert_error(response, 422)
    assert error_pointers(response) == ["/data/relationships/project"]
    assert entry_count(ledger) == 0


async def test_update_one_entry_moves_updated_at(asgi_client, ledger, clock):
    [entry_id] = await create(asgi_client, ledger, new_entry(note="old", time=60))
    created = (await get(asgi_client, ledger, f"/time_entries/{entry_id}")).json()["data"]
    clock.advance(minutes=3)

    response = await single(
        asgi_client,
        ledger,
        "PATCH",
        f"/time_entries/{entry_id}",
        {"data": ref(entry_id, note="new", time=90)},
    )

    assert response.status_code == 200, response.text
    attributes = response.json()["data"]["attributes"]
    assert (attributes["note"], attributes["time"], attributes["billable_time"]) == ("new", 90, 90)
    assert attributes["created_at"] == created["attributes"]["created_at"]
    assert attributes["updated_at"] > created["attributes"]["updated_at"]
    assert attributes["updated_at"].startswith("2026-11-19T14:33:00")
    assert response.json()["data"]["relationships"]["person"]["data"]["id"] == "1"


async def test_update_one_entry_without_id_in_body_and_mismatched_id(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry(note="old"))
    response = await single(
        asgi_client,
        ledger,
        "PATCH",
        f"/time_entries/{entry_id}",
        {"data": {"type": "time_entries", "attributes": {"note": "x"}}},
    )
    assert response.status_code == 200
    response = await single(
        asgi_client,
        ledger,
        "PATCH",
        f"/time_entries/{entry_id}",
        {"data": ref(int(entry_id) + 1, note="y")},
    )
    assert_error(response, 409)
    response = await single(
        asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}", {"data": ref(entry_id, time=-1)}
    )
    assert_error(response, 422)
    assert notes(ledger) == {entry_id: "x"}


async def test_delete_one_entry(asgi_client, ledger):
    ids = await create(asgi_client, ledger, new_entry(), new_entry())
    response = await single(asgi_client, ledger, "DELETE", f"/time_entries/{ids[0]}")
    assert response.status_code == 204
    assert response.content == b""
    assert list(notes(ledger)) == [ids[1]]
    assert_error(await get(asgi_client, ledger, f"/time_entries/{ids[0]}"), 404)


@pytest.mark.parametrize(
    "entry_id",
    [
        "9999",
        "0",
        "abc",
        "-1",
        "99999999999999999999999",
        "%C2%B2",
        "%D9%A1",  # ², Arabic 1
    ],
)
async def test_an_unknown_entry_is_404(asgi_client, ledger, entry_id):
    await create(asgi_client, ledger, new_entry(note="keep"))
    path = f"/time_entries/{entry_id}"
    error = assert_error(await get(asgi_client, ledger, path), 404)
    assert unquote(entry_id) in error["detail"]
    assert_error(
        await single(
            asgi_client,
            ledger,
            "PATCH",
            path,
            {"data": {"type": "time_entries", "attributes": {"note": "x"}}},
        ),
        404,
    )
    assert_error(await single(asgi_client, ledger, "DELETE", path), 404)
    for action in ("approve", "unapprove", "reject", "unreject"):
        assert_error(await single(asgi_client, ledger, "PATCH", f"{path}/{action}"), 404)
    assert list(notes(ledger).values()) == ["keep"]


async def test_an_unknown_entry_action_is_404(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry())
    assert_error(
        await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/submit"), 404
    )


async def test_an_approved_entry_cannot_be_edited_or_deleted(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry(note="locked"))
    response = await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/approve")
    assert response.json()["data"]["attributes"]["approved"] is True

    error = assert_error(
        await single(
            asgi_client,
            ledger,
            "PATCH",
            f"/time_entries/{entry_id}",
            {"data": ref(entry_id, note="edited")},
        ),
        422,
    )
    assert "unapprove" in error["detail"]
    assert_error(await single(asgi_client, ledger, "DELETE", f"/time_entries/{entry_id}"), 422)
    assert_error(
        await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/reject"), 422
    )
    assert notes(ledger) == {entry_id: "locked"}

    await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/unapprove")
    response = await single(
        asgi_client,
        ledger,
        "PATCH",
        f"/time_entries/{entry_id}",
        {"data": ref(entry_id, note="edited")},
    )
    assert response.status_code == 200
    assert notes(ledger) == {entry_id: "edited"}


async def test_an_invoiced_entry_cannot_be_changed(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry(note="billed"))
    sql(ledger, "UPDATE time_entries SET approved = 1, invoiced = 1 WHERE id = ?", entry_id)
    for method, path in [
        ("PATCH", f"/time_entries/{entry_id}/unapprove"),
        ("DELETE", f"/time_entries/{entry_id}"),
    ]:
        error = assert_error(await single(asgi_client, ledger, method, path), 422)
        assert "invoiced" in error["detail"]
    assert sql(ledger, "SELECT approved FROM time_entries")[0][0] == 1


async def test_per_entry_approval_actions(asgi_client, ledger, clock):
    ids = await create(asgi_client, ledger, new_entry(), new_entry())
    sql(ledger, "UPDATE time_entries SET approvers_needed = 2 WHERE id = ?", ids[1])

    async def act(entry_id: str, action: str, body: Any = None) -> dict[str, Any]:
        response = await single(
            asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/{action}", body
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["id"] == entry_id
        return response.json()["data"]

    approved = await act(ids[0], "approve")
    assert approved["attributes"]["approved"] is True
    assert approved["relationships"]["approver"]["data"]["id"] == "1"
    assert (await act(ids[1], "approve"))["attributes"]["approved"] is False
    assert (await act(ids[1], "approve", {"for_all_approvers": True, "data": None}))["attributes"][
        "approved"
    ] is True
    unapproved = await act(ids[0], "unapprove")
    assert unapproved["attributes"]["approved"] is False
    assert unapproved["attributes"]["approved_at"] is None
    assert unapproved["relationships"]["approver"] == {"data": None}

    clock.advance(minutes=1)
    reason = {
        "data": {
            "type": "time_entries",
            "id": ids[0],
            "attributes": {"rejected_reason": "Wrong project"},
        }
    }
    rejected = (await act(ids[0], "reject", reason))["attributes"]
    assert (rejected["rejected"], rejected["rejected_reason"]) == (True, "Wrong project")
    assert rejected["rejected_at"].startswith("2026-11-19T14:31:00")
    row = sql(ledger, "SELECT rejected, rejected_reason FROM time_entries WHERE id = ?", ids[0])[0]
    assert tuple(row) == (1, "Wrong project")
    unrejected = (await act(ids[0], "unreject"))["attributes"]
    assert (unrejected["rejected"], unrejected["rejected_reason"], unrejected["rejected_at"]) == (
        False,
        None,
        None,
    )


async def test_reject_without_a_reason_and_with_a_bad_reason(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry())
    response = await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/reject")
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["rejected"] is True
    await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/unreject")
    body = {"data": {"type": "time_entries", "id": entry_id, "attributes": {"rejected_reason": 42}}}
    response = await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/reject", body)
    assert_error(response, 422)
    assert sql(ledger, "SELECT rejected FROM time_entries")[0][0] == 0


async def test_approving_a_rejected_entry_clears_the_rejection(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry())
    await single(
        asgi_client,
        ledger,
        "PATCH",
        f"/time_entries/{entry_id}/reject",
        {"data": {"type": "time_entries", "id": entry_id, "attributes": {"rejected_reason": "no"}}},
    )
    response = await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/approve")
    attributes = response.json()["data"]["attributes"]
    assert (attributes["approved"], attributes["rejected"], attributes["rejected_reason"]) == (
        True,
        False,
        None,
    )


# -------------------------------------------------------------------------------- list


@pytest.fixture
async def varied(asgi_client, ledger) -> dict[str, Any]:
    """Five entries differing in person, service, task, project, date and status."""
    org = ledger.identity.organization_id
    with ledger.transaction(write=True) as conn:
        bo = insert_person(conn, org, first_name="Bo", last_name="Berg")
        project = insert_project(conn, name="Website")
        web = insert_service(conn, org, name="Web", project_id=project)
        task = insert_task(conn, title="Copy", service_id=2)
    ids = await create(
        asgi_client,
        ledger,
        new_entry(note="e1", person=1, service=1, date="2024-08-01"),
        new_entry(note="e2", person=bo, service=2, task=task, date="2024-08-15"),
        new_entry(note="e3", person=1, service=web, date="2024-08-31"),
        new_entry(note="e4", person=bo, service=1, date="2024-09-01"),
        new_entry(note="e5", person=1, service=3, date="2024-07-31"),
    )
    by_note = dict(zip(["e1", "e2", "e3", "e4", "e5"], ids, strict=True))
    await single(asgi_client, ledger, "PATCH", f"/time_entries/{by_note['e1']}/approve")
    await single(asgi_client, ledger, "PATCH", f"/time_entries/{by_note['e2']}/reject")
    sql(
        ledger,
        "UPDATE time_entries SET submitted = 1 WHERE id IN (?, ?)",
        by_note["e3"],
        by_note["e1"],
    )
    return {"ids": by_note, "bo": bo, "project": project, "web": web, "task": task}


async def listed(client: httpx.AsyncClient, ledger: LedgerDB, **params: Any) -> list[str]:
    """Notes of the entries a list call returns, in its order."""
    response = await get(client, ledger, "/time_entries", **params)
    assert response.status_code == 200, response.text
    return [d["attributes"]["note"] for d in response.json()["data"]]


async def test_list_filters(asgi_client, ledger, varied):
    bo = varied["bo"]

    async def notes_for(**params: Any) -> set[str]:
        return set(await listed(asgi_client, ledger, **params))

    assert await notes_for() == {"e1", "e2", "e3", "e4", "e5"}
    assert await notes_for(**{"filter[person_id]": "1"}) == {"e1", "e3", "e5"}
    assert await notes_for(**{"filter[person_id]": f"1,{bo}"}) == {"e1", "e2", "e3", "e4", "e5"}
    assert await notes_for(**{"filter[person_id]": f"{bo}, 999"}) == {"e2", "e4"}
    assert await notes_for(**{"filter[service_id]": "1"}) == {"e1", "e4"}
    assert await notes_for(**{"filter[service_id]": "2,3"}) == {"e2", "e5"}
    assert await notes_for(**{"filter[task_id]": str(varied["task"])}) == {"e2"}
    assert await notes_for(**{"filter[project_id]": str(varied["project"])}) == {"e3"}
    assert await notes_for(**{"filter[after]": "2024-08-01"}) == {"e1", "e2", "e3", "e4"}
    assert await notes_for(**{"filter[before]": "2024-08-31"}) == {"e1", "e2", "e3", "e5"}
    assert await notes_for(**{"filter[after]": "2024-08-01", "filter[before]": "2024-08-31"}) == {
        "e1",
        "e2",
        "e3",
    }
    assert await notes_for(**{"filter[after]": "2024-08-02", "filter[before]": "2024-08-30"}) == {
        "e2"
    }
    assert await notes_for(**{"filter[date]": "2024-08-15"}) == {"e2"}
    assert await notes_for(**{"filter[date][gt_eq]": "2024-08-31"}) == {"e3", "e4"}
    assert await notes_for(**{"filter[date][lt]": "2024-08-01"}) == {"e5"}
    assert await notes_for(**{"filter[approver_id]": "1"}) == {"e1"}
    assert await notes_for(**{"filter[person_id]": "1", "filter[service_id]": "1"}) == {"e1"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("1", {"e1"}),  # approved
        ("2", {"e2", "e3", "e4", "e5"}),  # unapproved
        ("3", {"e2"}),  # rejected
        ("5", {"e3"}),  # submitted (e1 is submitted but approved)
        ("6", {"e4", "e5"}),  # draft
        ("3,6", {"e2", "e4", "e5"}),
    ],
)
async def test_list_status_filter(asgi_client, ledger, varied, status, expected):
    assert set(await listed(asgi_client, ledger, **{"filter[status]": status})) == expected


@pytest.mark.parametrize(
    "param",
    [
        "filter[id]",
        "filter[note]",
        "filter[person]",
        "filter[date][between]",
        "filter[after][gt]",
        "filterx",
        "filter[Person_id]",
    ],
)
async def test_an_unknown_filter_is_400(asgi_client, ledger, param):
    error = assert_error(await get(asgi_client, ledger, "/time_entries", **{param: "1"}), 400)
    assert error["source"] == {"parameter": param}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("filter[person_id]", "me"),
        ("filter[person_id]", ""),
        ("filter[person_id]", "1;2"),
        ("filter[person_id]", "-1"),
        ("filter[service_id]", "1.5"),
        ("filter[task_id]", "x"),
        ("filter[project_id]", "a,b"),
        ("filter[approver_id]", "null"),
        ("filter[status]", "4"),
        ("filter[status]", "0"),
        ("filter[status]", "approved"),
        ("filter[after]", "2024-13-01"),
        ("filter[before]", "yesterday"),
        ("filter[date]", "2024-02-30"),
        ("filter[date][gt]", ""),
        ("filter[person_id]", "99999999999999999999999"),
        ("filter[person_id]", "\u00b2"),
    ],
)
async def test_a_bad_filter_value_is_400(asgi_client, ledger, varied, param, value):
    error = assert_error(await get(asgi_client, ledger, "/time_entries", **{param: value}), 400)
    assert error["source"] == {"parameter": param}


async def test_the_updated_at_filter_compares_moments_not_text(asgi_client, ledger, clock):
    await create(asgi_client, ledger, new_entry(note="old"))  # updated 14:30:00.000 UTC
    clock.advance(minutes=1)
    await create(asgi_client, ledger, new_entry(note="new"))  # updated 14:31:00.000 UTC
    for param, value, expected in [
        ("filter[updated_at][gt]", "2026-11-19T14:30:00Z", ["new"]),
        ("filter[updated_at][gt_eq]", "2026-11-19T14:30:00Z", ["old", "new"]),
        ("filter[updated_at][gt_eq]", "2026-11-19T15:30:00+01:00", ["old", "new"]),
        ("filter[updated_at][gt]", "2026-11-19T15:30:30+01:00", ["new"]),
        ("filter[updated_at][lt]", "2026-11-19T14:31:00.000+00:00", ["old"]),
        ("filter[updated_at]", "2026-11-19T09:31:00-05:00", ["new"]),
    ]:
        assert await listed(asgi_client, ledger, **{param: value}) == expected, (param, value)
    for value in ("yesterday", "2026-11-19T14:30:00", ""):
        assert_error(
            await get(asgi_client, ledger, "/time_entries", **{"filter[updated_at][gt]": value}),
            400,
        )


async def test_list_sorts(asgi_client, ledger, clock, varied):
    ids = varied["ids"]
    assert await listed(asgi_client, ledger) == ["e5", "e1", "e2", "e3", "e4"]
    assert await listed(asgi_client, ledger, sort="date") == ["e5", "e1", "e2", "e3", "e4"]
    assert await listed(asgi_client, ledger, sort="-date") == ["e4", "e3", "e2", "e1", "e5"]
    clock.advance(minutes=1)
    await single(
        asgi_client, ledger, "PATCH", f"/time_entries/{ids['e4']}", {"data": ref(ids["e4"], time=1)}
    )
    clock.advance(minutes=1)
    await single(
        asgi_client, ledger, "PATCH", f"/time_entries/{ids['e3']}", {"data": ref(ids["e3"], time=1)}
    )
    # e1 and e2 were touched by approve/reject at the same moment as the others' creation.
    assert (await listed(asgi_client, ledger, sort="updated_at"))[-2:] == ["e4", "e3"]
    assert (await listed(asgi_client, ledger, sort="-updated_at"))[:2] == ["e3", "e4"]


@pytest.mark.parametrize("sort", ["note", "-person", "date,bogus", "-"])
async def test_an_unknown_sort_is_400(asgi_client, ledger, sort):
    error = assert_error(await get(asgi_client, ledger, "/time_entries", sort=sort), 400)
    assert error["source"] == {"parameter": "sort"}


async def test_list_include(asgi_client, ledger, varied):
    response = await get(
        asgi_client,
        ledger,
        "/time_entries",
        include="person,service,task",
        **{"filter[person_id]": str(varied["bo"])},
    )
    body = response.json()
    assert [d["attributes"]["note"] for d in body["data"]] == ["e2", "e4"]
    included = {(r["type"], r["id"]): r["attributes"] for r in body["included"]}
    assert included == {
        ("people", str(varied["bo"])): included[("people", str(varied["bo"]))],
        ("services", "1"): {"name": "General"},
        ("services", "2"): {"name": "Meetings"},
        ("tasks", str(varied["task"])): {"title": "Copy", "closed": False},
    }
    assert included[("people", str(varied["bo"]))]["first_name"] == "Bo"
    response = await get(asgi_client, ledger, "/time_entries")
    assert "included" not in response.json()
    assert response.json()["data"][0]["relationships"]["person"]["data"]["type"] == "people"
    assert_error(await get(asgi_client, ledger, "/time_entries", include="project"), 400)


async def test_an_empty_ledger_lists_nothing(asgi_client, ledger):
    response = await get(asgi_client, ledger, "/time_entries")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == []
    assert body["meta"] == {
        "current_page": 1,
        "total_pages": 0,
        "total_count": 0,
        "page_size": 30,
        "max_page_size": 200,
    }


async def make_entries(client: httpx.AsyncClient, ledger: LedgerDB, count: int) -> list[str]:
    """`count` entries over three dates, so that several share a date (ties)."""
    dates = ["2024-08-02", "2024-08-01", "2024-08-03"]
    return await create(
        client, ledger, *[new_entry(date=dates[i % 3], note=f"n{i:02}") for i in range(count)]
    )


async def page(
    client: httpx.AsyncClient, ledger: LedgerDB, number: int, size: int, **params: Any
) -> dict[str, Any]:
    response = await get(
        client,
        ledger,
        "/time_entries",
        **{"page[number]": str(number), "page[size]": str(size)},
        **params,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_exactly_one_page(asgi_client, ledger):
    await make_entries(asgi_client, ledger, 5)
    body = await page(asgi_client, ledger, 1, 5)
    assert len(body["data"]) == 5
    assert body["meta"] == {
        "current_page": 1,
        "total_pages": 1,
        "total_count": 5,
        "page_size": 5,
        "max_page_size": 200,
    }
    assert "next" not in body["links"] and "prev" not in body["links"]
    assert (await page(asgi_client, ledger, 2, 5))["data"] == []


async def test_the_last_page_is_partial(asgi_client, ledger):
    await make_entries(asgi_client, ledger, 12)
    body = await page(asgi_client, ledger, 3, 5)
    assert len(body["data"]) == 2
    assert body["meta"] == {
        "current_page": 3,
        "total_pages": 3,
        "total_count": 12,
        "page_size": 5,
        "max_page_size": 200,
    }
    assert "next" not in body["links"]
    assert "page%5Bnumber%5D=2" in body["links"]["prev"]
    assert "page%5Bnumber%5D=3" in body["links"]["last"]
    first = await page(asgi_client, ledger, 1, 5)
    assert "page%5Bnumber%5D=2" in first["links"]["next"]
    assert "prev" not in first["links"]


async def test_a_page_past_the_end_is_empty(asgi_client, ledger):
    await make_entries(asgi_client, ledger, 12)
    body = await page(asgi_client, ledger, 9, 5)
    assert body["data"] == []
    assert body["meta"] == {
        "current_page": 9,
        "total_pages": 3,
        "total_count": 12,
        "page_size": 5,
        "max_page_size": 200,
    }
    assert "next" not in body["links"]
    assert "page%5Bnumber%5D=3" in body["links"]["prev"]


async def test_the_page_size_is_clamped_and_defaults_to_30(asgi_client, ledger):
    await make_entries(asgi_client, ledger, 3)
    assert (await page(asgi_client, ledger, 1, 500))["meta"]["page_size"] == 200
    assert (await page(asgi_client, ledger, 1, 201))["meta"]["page_size"] == 200
    assert (await page(asgi_client, ledger, 1, 200))["meta"]["page_size"] == 200
    assert len((await page(asgi_client, ledger, 1, 500))["data"]) == 3
    response = await get(asgi_client, ledger, "/time_entries")
    assert response.json()["meta"]["page_size"] == 30


async def test_two_hundred_and_one_entries_make_two_pages(asgi_client, ledger):
    await create(asgi_client, ledger, *[new_entry(note=str(i)) for i in range(200)])
    await create(asgi_client, ledger, new_entry(note="200"))
    first = await page(asgi_client, ledger, 1, 1000)
    second = await page(asgi_client, ledger, 2, 1000)
    assert first["meta"]["total_pages"] == 2
    assert [d["attributes"]["note"] for d in first["data"] + second["data"]] == [
        str(i) for i in range(201)
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"page[number]": "0"},
        {"page[number]": "-1"},
        {"page[number]": "x"},
        {"page[size]": "0"},
        {"page[size]": "1.5"},
        {"page[number]": ""},
        {"page[number]": "\u00b2"},
    ],
)
async def test_a_bad_page_parameter_is_400(asgi_client, ledger, params):
    error = assert_error(await get(asgi_client, ledger, "/time_entries", **params), 400)
    assert error["source"] == {"parameter": next(iter(params))}


@pytest.mark.parametrize("sort", ["date", "-date", "updated_at", "-updated_at"])
async def test_pages_concatenate_to_the_full_sorted_list(asgi_client, ledger, clock, sort):
    ids = []
    for start in range(0, 13, 4):  # four creation moments, so updated_at has ties too
        ids += await create(
            asgi_client,
            ledger,
            *[
                new_entry(date=["2024-08-02", "2024-08-01"][i % 2], note=f"n{start + i:02}")
                for i in range(min(4, 13 - start))
            ],
        )
        clock.advance(minutes=1)
    assert len(ids) == 13
    column, descending = sort.lstrip("-"), sort.startswith("-")
    rows = sql(ledger, f"SELECT id, {column} FROM time_entries")
    expected = [
        str(r["id"]) for r in sorted(rows, key=lambda r: (r[column], r["id"]), reverse=descending)
    ]
    full = await page(asgi_client, ledger, 1, 200, sort=sort)
    assert [d["id"] for d in full["data"]] == expected

    for size in range(1, 15):
        pages = [
            await page(asgi_client, ledger, n, size, sort=sort)
            for n in range(1, -(-13 // size) + 1)
        ]
        assert all(p["meta"]["total_pages"] == len(pages) for p in pages)
        together = [d["id"] for p in pages for d in p["data"]]
        assert together == expected, f"page size {size}"
        assert len(set(together)) == 13


async def test_pages_with_filters_read_past_the_middle(asgi_client, ledger):
    await make_entries(asgi_client, ledger, 12)
    params = {"filter[date]": "2024-08-02", "sort": "-date"}  # 4 entries, all tied on date
    expected = await listed(asgi_client, ledger, **params)
    assert len(expected) == 4
    pages = [await page(asgi_client, ledger, n, 1, **params) for n in range(1, 5)]
    assert [p["data"][0]["attributes"]["note"] for p in pages] == expected
    assert expected == sorted(expected, reverse=True)  # ties on date fall back to id, desc


async def test_a_list_page_over_both_transports(any_client, ledger):
    await make_entries(any_client, ledger, 12)
    body = await page(any_client, ledger, 3, 5, sort="-date")
    assert len(body["data"]) == 2
    assert body["meta"]["total_pages"] == 3
    notes_on_page = [d["attributes"]["note"] for d in body["data"]]
    assert all(d["attributes"]["date"] == "2024-08-01" for d in body["data"])
    assert notes_on_page == ["n04", "n01"]


# ------------------------------------------------------------------------------- timers


def timer_body(**relationships: Any) -> dict[str, Any]:
    kinds = {"service": "services", "time_entry": "time_entries"}
    return {
        "data": {
            "type": "timers",
            "relationships": {
                name: {"data": {"type": kinds[name], "id": str(value)}}
                for name, value in relationships.items()
            },
        }
    }


async def test_a_timer_runs_and_stops(asgi_client, ledger, clock):
    response = await single(asgi_client, ledger, "POST", "/timers", timer_body(service=2))
    assert response.status_code == 201, response.text
    timer = response.json()["data"]
    assert timer["type"] == "timers"
    assert timer["attributes"]["stopped_at"] is None
    assert timer["attributes"]["started_at"].startswith("2026-11-19T14:30:00")
    entry_id = timer["relationships"]["time_entry"]["data"]["id"]
    entry = (await get(asgi_client, ledger, f"/time_entries/{entry_id}")).json()["data"]
    assert entry["attributes"]["time"] == 0
    assert entry["attributes"]["date"] == FROZEN_NOW.astimezone().date().isoformat()
    assert entry["attributes"]["timer_started_at"] == timer["attributes"]["started_at"]
    assert entry["attributes"]["track_method_id"] == 2
    assert entry["relationships"]["service"]["data"]["id"] == "2"
    assert entry["relationships"]["person"]["data"]["id"] == "1"

    clock.advance(minutes=28, seconds=59)
    response = await single(asgi_client, ledger, "PATCH", f"/timers/{timer['id']}/stop")
    assert response.status_code == 200, response.text
    stopped = response.json()["data"]
    assert stopped["attributes"]["total_time"] == 28
    assert stopped["attributes"]["stopped_at"].startswith("2026-11-19T14:58:59")
    entry = (await get(asgi_client, ledger, f"/time_entries/{entry_id}")).json()["data"]
    assert (entry["attributes"]["time"], entry["attributes"]["billable_time"]) == (28, 0)
    assert entry["attributes"]["timer_stopped_at"] == stopped["attributes"]["stopped_at"]

    clock.advance(minutes=10)
    again = await single(asgi_client, ledger, "PATCH", f"/timers/{timer['id']}/stop")
    assert again.status_code == 200
    assert again.json()["data"] == stopped
    entry = (await get(asgi_client, ledger, f"/time_entries/{entry_id}")).json()["data"]
    assert entry["attributes"]["time"] == 28

    assert (await get(asgi_client, ledger, f"/timers/{timer['id']}")).json()["data"] == stopped


async def test_list_timers(asgi_client, ledger, clock):
    first = (await single(asgi_client, ledger, "POST", "/timers", timer_body(service=1))).json()[
        "data"
    ]
    clock.advance(minutes=5)
    second = (await single(asgi_client, ledger, "POST", "/timers", timer_body(service=2))).json()[
        "data"
    ]

    response = await get(
        asgi_client, ledger, "/timers", **{"filter[person_id]": "1", "sort": "-started_at"}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert [t["id"] for t in data] == [second["id"], first["id"]]
    assert data[0]["attributes"]["stopped_at"] is None
    assert data[1]["attributes"]["stopped_at"] is not None
    assert response.json()["meta"]["total_count"] == 2

    running = await get(asgi_client, ledger, "/timers", **{"filter[stopped]": "false"})
    assert [t["id"] for t in running.json()["data"]] == [second["id"]]
    ascending = await get(asgi_client, ledger, "/timers", sort="started_at", include="time_entry")
    assert [t["id"] for t in ascending.json()["data"]] == [first["id"], second["id"]]
    assert {r["type"] for r in ascending.json()["included"]} == {"time_entries"}
    assert len(ascending.json()["included"]) == 2
    other = await get(asgi_client, ledger, "/timers", **{"filter[person_id]": "2"})
    assert other.json()["data"] == []
    assert_error(await get(asgi_client, ledger, "/timers", **{"filter[stopped]": "maybe"}), 400)
    assert_error(await get(asgi_client, ledger, "/timers", **{"filter[service_id]": "1"}), 400)
    assert_error(await get(asgi_client, ledger, "/timers", sort="date"), 400)


async def test_starting_a_timer_stops_the_running_one(asgi_client, ledger, clock):
    first = (await single(asgi_client, ledger, "POST", "/timers", timer_body(service=1))).json()[
        "data"
    ]
    clock.advance(minutes=12)
    second = (await single(asgi_client, ledger, "POST", "/timers", timer_body(service=2))).json()[
        "data"
    ]
    assert second["attributes"]["stopped_at"] is None
    first_now = (await get(asgi_client, ledger, f"/timers/{first['id']}")).json()["data"]
    assert first_now["attributes"]["total_time"] == 12
    assert first_now["attributes"]["stopped_at"] == second["attributes"]["started_at"]
    running = sql(ledger, "SELECT count(*) FROM timers WHERE stopped_at IS NULL")[0][0]
    assert running == 1
    times = sql(ledger, "SELECT time FROM time_entries ORDER BY id")
    assert [r[0] for r in times] == [12, 0]


async def test_resume_a_timer_on_an_entry(asgi_client, ledger, clock):
    [entry_id] = await create(asgi_client, ledger, new_entry(time=30))
    response = await single(asgi_client, ledger, "POST", "/timers", timer_body(time_entry=entry_id))
    assert response.status_code == 201, response.text
    timer = response.json()["data"]
    assert timer["relationships"]["time_entry"]["data"]["id"] == entry_id
    assert entry_count(ledger) == 1
    clock.advance(minutes=15)
    await single(asgi_client, ledger, "PATCH", f"/timers/{timer['id']}/stop")
    entry = (await get(asgi_client, ledger, f"/time_entries/{entry_id}")).json()["data"]
    assert entry["attributes"]["time"] == 45


async def test_timer_errors(asgi_client, ledger):
    [entry_id] = await create(asgi_client, ledger, new_entry())
    sql(ledger, "UPDATE time_entries SET approved = 1")
    response = await single(asgi_client, ledger, "POST", "/timers", timer_body(time_entry=entry_id))
    assert_error(response, 422)
    assert_error(
        await single(asgi_client, ledger, "POST", "/timers", timer_body(time_entry=9999)), 404
    )
    response = await single(asgi_client, ledger, "POST", "/timers", timer_body(service=999))
    assert_error(response, 422)
    assert error_pointers(response) == ["/data/relationships/service"]
    assert_error(await single(asgi_client, ledger, "POST", "/timers", timer_body()), 422)
    assert_error(
        await single(
            asgi_client, ledger, "POST", "/timers", timer_body(service=1, time_entry=entry_id)
        ),
        422,
    )
    wrong_type = timer_body(service=1)
    wrong_type["data"]["type"] = "time_entries"
    assert_error(await single(asgi_client, ledger, "POST", "/timers", wrong_type), 409)
    assert_error(
        await send(
            asgi_client,
            "POST",
            "/timers",
            timer_body(service=1),
            headers(ledger, "application/json"),
        ),
        415,
    )
    assert_error(await single(asgi_client, ledger, "PATCH", "/timers/9999/stop"), 404)
    assert_error(await get(asgi_client, ledger, "/timers/9999"), 404)
    assert sql(ledger, "SELECT count(*) FROM timers")[0][0] == 0
    assert entry_count(ledger) == 1


# ------------------------------------------------------------------ people and lookups


@pytest.fixture
def people(ledger: LedgerDB) -> dict[str, int]:
    org = ledger.identity.organization_id
    with ledger.transaction(write=True) as conn:
        return {
            "cara": insert_person(
                conn,
                org,
                first_name="Cara",
                last_name="Lind",
                email="cara@example.com",
                title="Designer",
            ),
            "dan": insert_person(
                conn, org, first_name="Dan", last_name="Lindqvist", email="dan@example.com"
            ),
            "eve": insert_person(
                conn, org, first_name="Eve", last_name="Old", email="eve@example.com", status=2
            ),
        }


async def ids_of(
    client: httpx.AsyncClient, ledger: LedgerDB, path: str, **params: Any
) -> list[str]:
    response = await get(client, ledger, path, **params)
    assert response.status_code == 200, response.text
    return [resource["id"] for resource in response.json()["data"]]


async def test_people(asgi_client, ledger, people):
    cara, dan, eve = (str(people[n]) for n in ("cara", "dan", "eve"))
    assert await ids_of(asgi_client, ledger, "/people") == ["1", cara, dan, eve]
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[status]": "1"}) == [
        "1",
        cara,
        dan,
    ]
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[status]": "2"}) == [eve]
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[query]": "lind"}) == [cara, dan]
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[query]": "Cara Lind"}) == [cara]
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[query]": "eve@example"}) == [eve]
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[email]": "dan@example.com"}) == [
        dan
    ]
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[email]": "example.com"}) == []
    assert await ids_of(asgi_client, ledger, "/people", **{"filter[id]": f"{eve},1"}) == ["1", eve]

    response = await get(asgi_client, ledger, f"/people/{cara}")
    assert response.status_code == 200
    assert response.json()["data"] == {
        "id": cara,
        "type": "people",
        "relationships": {},
        "attributes": {
            "first_name": "Cara",
            "last_name": "Lind",
            "email": "cara@example.com",
            "title": "Designer",
            "status": 1,
        },
    }
    body = (
        await get(asgi_client, ledger, "/people", **{"page[size]": "2", "page[number]": "2"})
    ).json()
    assert [p["id"] for p in body["data"]] == [dan, eve]
    assert body["meta"]["total_count"] == 4
    assert_error(await get(asgi_client, ledger, "/people", **{"filter[role]": "1"}), 400)
    assert_error(await get(asgi_client, ledger, "/people", **{"filter[status]": "on"}), 400)


@pytest.mark.parametrize(
    "path",
    [
        "/people/999",
        "/people/abc",
        "/people/0",
        "/services/999",
        "/tasks/999",
        "/tasks/x",
        "/people/99999999999999999999999",
        "/services/%C2%B2",
    ],
)
async def test_an_unknown_lookup_row_is_404(asgi_client, ledger, path):
    assert_error(await get(asgi_client, ledger, path), 404)


async def test_services(asgi_client, ledger, seed_ids):
    body = (await get(asgi_client, ledger, "/services")).json()
    assert [(s["id"], s["attributes"]["name"]) for s in body["data"]] == [
        ("1", "General"),
        ("2", "Meetings"),
        ("3", "Admin"),
        (str(seed_ids["1213"]), "Design"),
    ]
    assert body["meta"]["total_count"] == 4
    assert await ids_of(
        asgi_client, ledger, "/services", **{"filter[trackable_by_person_id]": "1"}
    ) == ["1", "2", "3", "4"]
    assert await ids_of(asgi_client, ledger, "/services", **{"filter[query]": "meet"}) == ["2"]
    response = await get(asgi_client, ledger, "/services/2")
    assert response.json()["data"]["attributes"] == {"name": "Meetings"}
    assert response.json()["data"]["relationships"]["project"] == {"data": None}
    assert_error(
        await get(asgi_client, ledger, "/services", **{"filter[trackable_by_person_id]": "me"}), 400
    )


async def test_tasks(asgi_client, ledger, seed_ids):
    with ledger.transaction(write=True) as conn:
        other = insert_task(conn, title="Standup", service_id=2)
        closed = insert_task(conn, title="Old", service_id=2, closed=True)
    task = str(seed_ids["302"])
    assert await ids_of(asgi_client, ledger, "/tasks") == [task, str(other), str(closed)]
    assert await ids_of(asgi_client, ledger, "/tasks", **{"filter[service_id]": "2"}) == [
        str(other),
        str(closed),
    ]
    assert await ids_of(
        asgi_client, ledger, "/tasks", **{"filter[service_id]": str(seed_ids["1213"])}
    ) == [task]
    assert await ids_of(asgi_client, ledger, "/tasks", **{"filter[service_id]": "1"}) == []
    assert await ids_of(asgi_client, ledger, "/tasks", **{"filter[status]": "2"}) == [str(closed)]
    response = await get(asgi_client, ledger, f"/tasks/{task}")
    assert response.json()["data"]["attributes"] == {"title": "Wireframes", "closed": False}
    assert response.json()["data"]["relationships"]["service"]["data"]["id"] == str(
        seed_ids["1213"]
    )
    assert_error(await get(asgi_client, ledger, "/tasks", **{"filter[service_id]": "x"}), 400)


async def test_organization_memberships_name_the_owner(asgi_client, ledger, people):
    response = await get(asgi_client, ledger, "/organization_memberships")
    assert response.status_code == 200
    [membership] = response.json()["data"]
    assert membership["type"] == "organization_memberships"
    assert membership["relationships"]["person"] == {"data": {"type": "people", "id": "1"}}
    assert membership["relationships"]["organization"]["data"]["id"] == (
        ledger.identity.organization_id
    )
    assert "included" not in response.json()

    ledger.set_owner(people["cara"])
    response = await get(asgi_client, ledger, "/organization_memberships", include="person")
    body = response.json()
    assert body["data"][0]["relationships"]["person"]["data"]["id"] == str(people["cara"])
    assert [(p["type"], p["attributes"]["first_name"]) for p in body["included"]] == [
        ("people", "Cara")
    ]
    assert_error(
        await get(asgi_client, ledger, "/organization_memberships", include="organization"), 400
    )


async def test_approvals_record_the_owner_as_approver(asgi_client, ledger, people):
    [entry_id] = await create(asgi_client, ledger, new_entry())
    ledger.set_owner(people["dan"])
    response = await single(asgi_client, ledger, "PATCH", f"/time_entries/{entry_id}/approve")
    assert response.json()["data"]["relationships"]["approver"]["data"]["id"] == str(people["dan"])
    assert await listed(asgi_client, ledger, **{"filter[approver_id]": str(people["dan"])}) == [
        None
    ]


# ------------------------------------------------------------------------ a second app


async def test_a_path_opened_ledger_serves_the_same_data(tmp_path, ledger):
    """`create_app` over a path opens the same file: another process's view of it."""
    clock = FakeClock()
    app = create_app(ledger.path, clock=clock)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            ids = await create(client, ledger, new_entry(note="via path"))
    finally:
        app.state.ledger.close()
    assert notes(ledger) == {ids[0]: "via path"}


# ------------------------------------------------------------- deals and projects


def add_deals(ledger: LedgerDB) -> dict[str, int]:
    """Two services named "Design": one on each of two deals of different projects, and a
    third service on no deal at all."""
    with ledger.transaction(write=True) as conn:
        org = ledger.identity.organization_id
        acme = insert_project(conn, name="Acme")
        bergmann = insert_project(conn, name="Bergmann")
        website = insert_deal(conn, name="Website", project_id=acme)
        app = insert_deal(conn, name="Field app", project_id=bergmann)
        return {
            "acme": acme,
            "bergmann": bergmann,
            "website": website,
            "field app": app,
            "design website": insert_service(conn, org, name="Design", deal_id=website),
            "design app": insert_service(conn, org, name="Design", deal_id=app),
        }


async def test_services_include_their_deal_and_its_project(asgi_client, ledger):
    ids = add_deals(ledger)
    body = (
        await get(asgi_client, ledger, "/services", include="deal.project", **{"page[size]": 10})
    ).json()
    by_id = {s["id"]: s for s in body["data"]}
    design = by_id[str(ids["design website"])]
    assert design["relationships"]["deal"] == {"data": {"type": "deals", "id": str(ids["website"])}}
    assert by_id["1"]["relationships"]["deal"] == {"data": None}  # General: no deal
    included = {(r["type"], r["id"]): r for r in body["included"]}
    assert set(included) == {
        ("deals", str(ids["website"])),
        ("deals", str(ids["field app"])),
        ("projects", str(ids["acme"])),
        ("projects", str(ids["bergmann"])),
    }
    website = included[("deals", str(ids["website"]))]
    assert website["attributes"] == {"name": "Website"}
    assert website["relationships"]["project"] == {
        "data": {"type": "projects", "id": str(ids["acme"])}
    }
    assert included[("projects", str(ids["bergmann"]))]["attributes"] == {"name": "Bergmann"}
    # The service's project is the deal's.
    assert design["relationships"]["project"] == {
        "data": {"type": "projects", "id": str(ids["acme"])}
    }


async def test_services_include_deal_alone_and_refuse_other_includes(asgi_client, ledger):
    ids = add_deals(ledger)
    body = (await get(asgi_client, ledger, "/services", include="deal")).json()
    assert {(r["type"], r["id"]) for r in body["included"]} == {
        ("deals", str(ids["website"])),
        ("deals", str(ids["field app"])),
    }
    one = (await get(asgi_client, ledger, f"/services/{ids['design app']}", include="deal")).json()
    assert [r["attributes"]["name"] for r in one["included"]] == ["Field app"]
    assert "included" not in (await get(asgi_client, ledger, "/services")).json()
    for wrong in ("project", "deal.company", "tasks"):
        assert_error(await get(asgi_client, ledger, "/services", include=wrong), 400)
    assert_error(await get(asgi_client, ledger, "/people", include="deal"), 400)


async def test_deals_and_projects_are_resources(asgi_client, ledger):
    ids = add_deals(ledger)
    assert await ids_of(asgi_client, ledger, "/deals") == [
        str(ids["website"]),
        str(ids["field app"]),
    ]
    assert await ids_of(
        asgi_client, ledger, "/deals", **{"filter[project_id]": str(ids["bergmann"])}
    ) == [str(ids["field app"])]
    deal = (await get(asgi_client, ledger, f"/deals/{ids['website']}")).json()["data"]
    assert deal["type"] == "deals" and deal["attributes"] == {"name": "Website"}
    assert await ids_of(asgi_client, ledger, "/projects") == [
        str(ids["acme"]),
        str(ids["bergmann"]),
    ]
    project = (await get(asgi_client, ledger, f"/projects/{ids['acme']}")).json()["data"]
    assert project["type"] == "projects" and project["attributes"] == {"name": "Acme"}
    assert await ids_of(
        asgi_client, ledger, "/services", **{"filter[deal_id]": str(ids["field app"])}
    ) == [str(ids["design app"])]
    assert_error(await get(asgi_client, ledger, "/deals/999"), 404)
    assert_error(await get(asgi_client, ledger, "/projects/999"), 404)


def test_a_ledger_from_before_deals_opens_with_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    # The services table as version 1 made it: no deal column.
    conn.executescript(
        """
        CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE services (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL,
            project_id INTEGER REFERENCES projects(id), uuid TEXT NOT NULL UNIQUE
        );
        INSERT INTO services (name, uuid) VALUES ('Old', 'u-1');
        """
    )
    conn.close()
    db = LedgerDB(path)
    try:
        with db.transaction(write=True) as write:
            deal = insert_deal(write, name="Deal", project_id=None)
            write.execute("UPDATE services SET deal_id = ? WHERE name = 'Old'", (deal,))
            row = write.execute("SELECT deal_id FROM services WHERE name = 'Old'").fetchone()
        assert row[0] == deal
    finally:
        db.close()


def test_closing_the_ledger_waits_for_a_transaction_running_on_another_thread(
    tmp_path: Path,
) -> None:
    """A request still in a worker thread when its server shuts down: closing its
    connection under it could crash the process; the close waits for it to end."""
    import threading
    import time

    from tui.ledger.db import LedgerDB

    db = LedgerDB(tmp_path / "ledger.db")
    inside, finished = threading.Event(), []

    def slow_read() -> None:
        with db.transaction() as conn:
            inside.set()
            time.sleep(0.3)
            finished.append(conn.execute("SELECT count(*) FROM services").fetchone()[0])

    worker = threading.Thread(target=slow_read)
    worker.start()
    assert inside.wait(5)
    db.close()
    assert finished, "the ledger closed while a transaction was still running"
    worker.join()
