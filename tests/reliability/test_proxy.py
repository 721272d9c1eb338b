"""The soak's fault proxy (tests/reliability/proxy.py) against a real served ledger: it passes
answers through unchanged, each fault does to the client and to the server what it says, a
seed fixes the faults, and its log gives the times the rate limit is checked against.

The ledger is what tells "applied" from "not applied" here: each test reads its database
after the client has seen the fault."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from tests.conftest import BULK, JSONAPI, LoopbackServer, productive_headers
from tests.reliability.proxy import (
    FORWARDING_FAULTS,
    Exchange,
    Fault,
    FaultProxy,
    ProxyError,
    max_in_window,
)
from tui.ledger.db import LedgerDB

pytestmark = pytest.mark.loopback

ENTRIES = "/api/v2/time_entries"
# What httpx raises when the connection dies under a request (RST or FIN, before or mid-answer).
CONNECTION_LOST = (httpx.ReadError, httpx.RemoteProtocolError)
FAST_FAULTS = {
    kind: 1.0 for kind in Fault if kind not in ("held_then_delivered", "applied_then_held")
}


# ----------------------------------------------------------------------------- helpers


def bulk_headers(ledger: LedgerDB) -> dict[str, str]:
    return {**productive_headers(ledger), "Content-Type": BULK, "Accept": BULK}


def create_body(*notes: str) -> bytes:
    """A bulk create of one entry per note (the ledger's own person 1 and service 1)."""
    items = [
        {
            "type": "time_entries",
            "attributes": {"date": "2026-11-19", "time": 60, "note": note},
            "relationships": {
                "person": {"data": {"type": "people", "id": "1"}},
                "service": {"data": {"type": "services", "id": "1"}},
            },
        }
        for note in notes
    ]
    return json.dumps({"data": items}).encode()


def post_entries(client: httpx.Client, ledger: LedgerDB, *notes: str) -> httpx.Response:
    return client.post(ENTRIES, content=create_body(*notes), headers=bulk_headers(ledger))


def list_entries(client: httpx.Client, ledger: LedgerDB) -> httpx.Response:
    return client.get(ENTRIES, headers=productive_headers(ledger))


def notes_on_server(ledger: LedgerDB) -> list[str]:
    with ledger.transaction() as conn:
        return [row[0] for row in conn.execute("SELECT note FROM time_entries ORDER BY id")]


def only_record(proxy: FaultProxy) -> Exchange:
    (record,) = proxy.log()
    return record


@pytest.fixture
def proxy(loopback: LoopbackServer) -> Iterator[FaultProxy]:
    with FaultProxy(loopback.url, hold_seconds=0.4) as proxy:
        yield proxy


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        yield client


def streaming_app(chunks: list[bytes]) -> Any:
    """An ASGI app that answers in chunks without a length, so uvicorn sends it chunked."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send raw bytes on a fresh socket and read until the proxy closes it."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


# ----------------------------------------------------------------------------- pass-through


def test_a_clean_pass_through_answers_as_the_ledger_does(loopback, ledger, proxy, client):
    created = post_entries(client, ledger, "first", "second")
    assert created.status_code == 201, created.text
    first, second = (item["id"] for item in created.json()["data"])
    assert notes_on_server(ledger) == ["first", "second"]

    with httpx.Client(base_url=loopback.url, timeout=5) as direct:

        def same(method: str, path: str, **params: str) -> httpx.Response:
            kwargs: dict[str, Any] = {"headers": productive_headers(ledger), "params": params}
            via, straight = (
                client.request(method, path, **kwargs),
                direct.request(method, path, **kwargs),
            )
            assert via.status_code == straight.status_code
            assert via.headers.get("content-type") == straight.headers.get("content-type")
            # Pagination links are built from the Host header, which the proxy passes on:
            # they point at the proxy, so a client following them stays behind it.
            assert via.text == straight.text.replace(loopback.url, proxy.url)
            return via

        listed = same("GET", ENTRIES, **{"page[size]": "1", "sort": "-date"})
        assert len(listed.json()["data"]) == 1
        assert listed.json()["links"]["next"].startswith(proxy.url)
        assert same("GET", f"{ENTRIES}/{first}").json()["data"]["attributes"]["note"] == "first"
        assert same("GET", f"{ENTRIES}/9999").status_code == 404

    deleted = client.delete(f"{ENTRIES}/{second}", headers=productive_headers(ledger))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert notes_on_server(ledger) == ["first"]
    assert list_entries(client, ledger).json()["meta"]["total_count"] == 1

    assert proxy.wait_idle()
    log = proxy.log()
    assert [(r.method, r.path) for r in log] == [
        ("POST", ENTRIES),
        ("GET", ENTRIES),
        ("GET", f"{ENTRIES}/{first}"),
        ("GET", f"{ENTRIES}/9999"),
        ("DELETE", f"{ENTRIES}/{second}"),
        ("GET", ENTRIES),
    ]
    assert {r.connection for r in log} == {1}, "one keep-alive connection for all of them"
    assert log[0].body == create_body("first", "second")
    assert log[1].query == "page%5Bsize%5D=1&sort=-date"
    assert [r.client_status for r in log] == [201, 200, 200, 404, 204, 200]
    assert all(r.fault is None and r.delivered for r in log)
    assert all(r.received_at <= r.forwarded_at <= r.answered_at <= r.finished_at for r in log)
    assert proxy.counts() == {}


def test_a_chunked_answer_is_passed_on_whole_and_can_be_cut():
    chunks = [b"hello ", b"chunked ", b"world"]
    with LoopbackServer(streaming_app(chunks)) as server, FaultProxy(server.url) as proxy:
        direct = httpx.get(server.url + "/stream")
        assert direct.headers["transfer-encoding"] == "chunked"  # the case under test
        through = httpx.get(proxy.url + "/stream")
        assert through.content == b"hello chunked world"
        assert through.headers["content-length"] == str(len(through.content))

        proxy.inject(Fault.CUT_BODY)
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            httpx.get(proxy.url + "/stream")


# ----------------------------------------------------------------------------- resets


def test_reset_before_forwarding_loses_the_request(ledger, proxy, client):
    proxy.inject(Fault.RESET_BEFORE, method="POST", path_prefix=ENTRIES)
    with pytest.raises(CONNECTION_LOST):
        post_entries(client, ledger, "lost")
    assert proxy.wait_idle()
    assert notes_on_server(ledger) == []
    record = only_record(proxy)
    assert (record.fault, record.injected, record.forwarded_at) == ("reset_before", True, None)
    assert not record.delivered

    # The injection fired once; the proxy goes on serving, on a new connection.
    assert post_entries(client, ledger, "kept").status_code == 201
    assert notes_on_server(ledger) == ["kept"]
    assert proxy.log()[1].connection == 2
    assert proxy.counts() == {Fault.RESET_BEFORE: 1}


def test_reset_after_the_server_answered_loses_the_answer_only(ledger, proxy, client):
    proxy.inject(Fault.RESET_AFTER, method="POST")
    with pytest.raises(CONNECTION_LOST):
        post_entries(client, ledger, "applied")
    assert notes_on_server(ledger) == ["applied"]
    record = only_record(proxy)
    assert record.fault == "reset_after"
    assert record.server_status == 201
    assert record.forwarded_at is not None
    assert (record.client_status, record.delivered) == (None, False)


@pytest.mark.parametrize("kind", [Fault.RESET_BEFORE, Fault.RESET_AFTER])
def test_a_reset_is_a_tcp_rst_not_a_fin(ledger, proxy, kind):
    """A FIN would read as an empty answer; only an RST gives the client ECONNRESET."""
    proxy.inject(kind)
    port = int(proxy.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /api/v2/time_entries HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            while sock.recv(65536):
                pass


# ----------------------------------------------------------------------------- statuses


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (Fault.STATUS_500, 500),
        (Fault.STATUS_502, 502),
        (Fault.STATUS_503, 503),
        (Fault.STATUS_504, 504),
    ],
)
def test_an_injected_status_is_answered_without_forwarding(ledger, proxy, client, kind, status):
    proxy.inject(kind, method="POST")
    response = post_entries(client, ledger, "refused")
    assert response.status_code == status
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == {"errors": [{"status": str(status), "title": "Injected"}]}
    assert notes_on_server(ledger) == []

    # The connection stays open, as behind a real gateway, and the next request goes through.
    assert post_entries(client, ledger, "then").status_code == 201
    refused, then = proxy.log()
    assert refused.connection == then.connection
    assert (refused.fault, refused.forwarded_at, refused.client_status) == (kind, None, status)
    assert then.fault is None and then.delivered
    assert notes_on_server(ledger) == ["then"]


def test_429_with_and_without_retry_after(loopback, ledger):
    with (
        FaultProxy(loopback.url, retry_after="3") as proxy,
        httpx.Client(base_url=proxy.url) as client,
    ):
        proxy.inject(Fault.STATUS_429)
        proxy.inject(Fault.STATUS_429_BARE)
        limited = list_entries(client, ledger)
        assert (limited.status_code, limited.headers.get("retry-after")) == (429, "3")
        assert limited.json()["errors"][0]["status"] == "429"
        bare = list_entries(client, ledger)
        assert bare.status_code == 429
        assert "retry-after" not in bare.headers
        assert list_entries(client, ledger).status_code == 200
        assert [r.forwarded_at is None for r in proxy.log()] == [True, True, False]
        assert proxy.counts() == {Fault.STATUS_429: 1, Fault.STATUS_429_BARE: 1}


def test_retry_after_defaults_to_one_second(ledger, proxy, client):
    proxy.inject(Fault.STATUS_429)
    assert list_entries(client, ledger).headers["retry-after"] == "1"


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_after_applies_and_answers_a_gateway_error(ledger, proxy, client, status):
    proxy.inject(Fault.GATEWAY_AFTER, method="POST", status=status)
    response = post_entries(client, ledger, "applied")
    assert response.status_code == status
    assert response.json() == {"errors": [{"status": str(status), "title": "Injected"}]}
    assert notes_on_server(ledger) == ["applied"]
    record = only_record(proxy)
    assert (record.server_status, record.client_status, record.delivered) == (201, status, False)


def test_gateway_after_draws_502_or_504_from_the_seed(loopback, ledger):
    weights = {Fault.GATEWAY_AFTER: 1.0}
    with (
        FaultProxy(loopback.url, seed=3, rate=1.0, weights=weights) as proxy,
        httpx.Client(base_url=proxy.url) as client,
    ):
        statuses = {list_entries(client, ledger).status_code for _ in range(12)}
    assert statuses == {502, 504}


# ----------------------------------------------------------------------------- held


def test_held_then_delivered_lands_after_the_client_timed_out(ledger, proxy):
    proxy.inject(Fault.HELD_THEN_DELIVERED, method="POST")
    with httpx.Client(base_url=proxy.url, timeout=0.2) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            post_entries(client, ledger, "late")
        timed_out = time.monotonic()
    assert timed_out - started < 0.4
    assert notes_on_server(ledger) == [], "not delivered before the client gave up"

    assert proxy.wait_idle(timeout=3)
    assert notes_on_server(ledger) == ["late"], "delivered after all"
    record = only_record(proxy)
    assert record.forwarded_at is not None
    assert record.forwarded_at - record.received_at >= 0.4
    assert record.forwarded_at > timed_out
    assert (record.server_status, record.client_status, record.delivered) == (201, None, False)
    assert record.held
    assert proxy.forwarded_times() == [], "a held request is not one the client's pace shows"


def test_applied_then_held_applies_at_once_and_never_answers(ledger, proxy):
    proxy.inject(Fault.APPLIED_THEN_HELD, method="POST", times=2)
    with httpx.Client(base_url=proxy.url, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            post_entries(client, ledger, "applied")
        assert notes_on_server(ledger) == ["applied"], "applied before the client timed out"

    # A client that waits longer sees the connection closed, without an answer, after the hold.
    with httpx.Client(base_url=proxy.url, timeout=5) as patient:
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            post_entries(patient, ledger, "patient")
        assert time.monotonic() - started >= 0.4
    assert proxy.wait_idle(timeout=3)
    assert notes_on_server(ledger) == ["applied", "patient"]
    for record in proxy.log():
        assert record.fault == "applied_then_held"
        assert (record.server_status, record.delivered) == (201, False)
        assert record.finished_at - record.answered_at >= 0.4
    assert len(proxy.forwarded_times()) == 2, "forwarded at once: the client's pace"


# ----------------------------------------------------------------------------- cut body


def test_cut_body_sends_part_of_the_answer_under_its_real_length(ledger, proxy, client):
    proxy.inject(Fault.CUT_BODY, method="POST")
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        post_entries(client, ledger, "applied")
    assert notes_on_server(ledger) == ["applied"]

    proxy.inject(Fault.CUT_BODY, method="GET")
    request = (
        f"GET {ENTRIES} HTTP/1.1\r\nHost: x\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in productive_headers(ledger).items())
        + "\r\n"
    ).encode()
    head, _, body = raw_exchange(proxy.url, request).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
    length = int(fields[b"Content-Length"])
    assert 0 < len(body) < length
    assert body == list_entries(client, ledger).content[: len(body)]


def test_cut_body_of_an_empty_answer_cuts_its_head(ledger, proxy, client):
    entry_id = post_entries(client, ledger, "gone").json()["data"][0]["id"]
    proxy.inject(Fault.CUT_BODY, method="DELETE")
    with pytest.raises(httpx.RemoteProtocolError):
        client.delete(f"{ENTRIES}/{entry_id}", headers=productive_headers(ledger))
    assert notes_on_server(ledger) == []


# ----------------------------------------------------------------------------- the seed


def fault_sequence(
    url: str, ledger: LedgerDB, seed: int, *, inject_first: bool = False
) -> list[Fault | None]:
    with (
        FaultProxy(url, seed=seed, rate=0.6, weights=FAST_FAULTS) as proxy,
        httpx.Client(base_url=proxy.url) as client,
    ):
        if inject_first:
            proxy.inject(Fault.STATUS_503)
        for _ in range(30):
            with contextlib.suppress(*CONNECTION_LOST):
                list_entries(client, ledger)
        assert len(proxy.log()) == 30
        return [record.fault for record in proxy.log()]


def test_the_same_seed_gives_the_same_faults(loopback, ledger):
    first = fault_sequence(loopback.url, ledger, seed=11)
    assert fault_sequence(loopback.url, ledger, seed=11) == first
    assert fault_sequence(loopback.url, ledger, seed=12) != first
    assert len(set(first)) >= 5, first  # a real mix: clean requests and several kinds
    # An injection replaces one request's fault but not the draws of the others.
    injected = fault_sequence(loopback.url, ledger, seed=11, inject_first=True)
    assert injected[0] == "status_503"
    assert injected[1:] == first[1:]


def test_random_faults_follow_the_weights_and_eligibility(loopback, ledger):
    weights = {Fault.STATUS_503: 1.0, Fault.RESET_AFTER: 0.0}
    writes_only = FaultProxy(
        loopback.url, seed=1, rate=1.0, weights=weights, eligible=lambda m, p: m != "GET"
    )
    with writes_only as proxy, httpx.Client(base_url=proxy.url) as client:
        assert all(list_entries(client, ledger).status_code == 200 for _ in range(5))
        assert all(post_entries(client, ledger, "x").status_code == 503 for _ in range(5))
        proxy.rate = 0.0  # the soak's final check runs clean
        assert post_entries(client, ledger, "clean").status_code == 201
        assert proxy.counts() == {"status_503": 5}
    assert notes_on_server(ledger) == ["clean"]


# ----------------------------------------------------------------------------- the log


def test_max_in_window_counts_a_half_open_window():
    assert max_in_window([], 10) == 0
    assert max_in_window([5.0], 10) == 1
    assert max_in_window([0, 1, 9.99, 10, 10.5], 10) == 4  # [1, 11) holds 1, 9.99, 10, 10.5
    assert max_in_window([0, 10, 20], 10) == 1  # exactly a window apart: never together
    assert max_in_window([3, 0, 2, 1], 2.5) == 3  # unsorted input
    assert max_in_window([0.0] * 101 + [10.0] * 100, 10) == 101


def test_forwarded_times_are_the_unheld_forwards(ledger, proxy):
    proxy.hold_seconds = 0.3
    with httpx.Client(base_url=proxy.url, timeout=0.15) as client:
        for _ in range(4):
            assert list_entries(client, ledger).status_code == 200
        proxy.inject(Fault.STATUS_503)
        proxy.inject(Fault.RESET_BEFORE)
        proxy.inject(Fault.RESET_AFTER)
        proxy.inject(Fault.HELD_THEN_DELIVERED)
        assert list_entries(client, ledger).status_code == 503
        for _ in range(3):
            with pytest.raises((*CONNECTION_LOST, httpx.ReadTimeout)):
                list_entries(client, ledger)
    assert proxy.wait_idle(timeout=3)
    log = proxy.log()
    assert [r.fault for r in log] == [None] * 4 + [
        "status_503",
        "reset_before",
        "reset_after",
        "held_then_delivered",
    ]
    assert all(
        r.forwarded_at is not None for r in log if r.fault in FORWARDING_FAULTS or r.fault is None
    )
    times = proxy.forwarded_times()
    assert times == [r.forwarded_at for r in log[:4]] + [log[6].forwarded_at]
    assert times == sorted(times)
    assert proxy.received_times() == [r.received_at for r in log]
    assert max_in_window(times, 10.0) == 5
    assert max_in_window(times, 1e-9) == 1
    assert proxy.counts() == {
        "reset_before": 1,
        "reset_after": 1,
        "status_503": 1,
        "held_then_delivered": 1,
    }


@pytest.mark.anyio
async def test_an_async_client_with_parallel_connections(loopback, ledger):
    with FaultProxy(loopback.url) as proxy:
        proxy.inject(Fault.STATUS_503, method="POST", times=3)
        async with httpx.AsyncClient(base_url=proxy.url) as client:
            statuses: list[int] = []

            async def post(note: str) -> None:
                response = await client.post(
                    ENTRIES, content=create_body(note), headers=bulk_headers(ledger)
                )
                statuses.append(response.status_code)

            async with anyio.create_task_group() as group:
                for n in range(8):
                    group.start_soon(post, f"n{n}")
        assert sorted(statuses) == [201] * 5 + [503] * 3
        assert len(notes_on_server(ledger)) == 5
        assert len({r.connection for r in proxy.log()}) > 1


# ----------------------------------------------------------------------------- robustness


def test_an_upstream_failure_is_an_error_not_a_fault():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens there
    proxy = FaultProxy(dead)
    with pytest.raises(ProxyError, match="the upstream failed"), proxy:
        response = httpx.get(proxy.url + "/anything")
        assert response.status_code == 502
        assert response.json()["errors"][0]["title"] == "Proxy: upstream failed"
        assert len(proxy.errors) == 1
        with pytest.raises(ProxyError):
            proxy.check()


def test_a_request_it_cannot_read_is_an_error(loopback):
    with (
        pytest.raises(ProxyError, match="a request the proxy cannot read"),
        FaultProxy(loopback.url) as proxy,
    ):
        answer = raw_exchange(proxy.url, b"NOT HTTP\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert proxy.log() == [], "not a request, so not in the log"


def test_a_failing_test_keeps_its_own_error_and_gets_the_proxys_as_a_note():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(KeyError) as caught, FaultProxy(dead) as proxy:
        httpx.get(proxy.url + "/")
        raise KeyError("the test's own failure")
    assert "the upstream failed" in "".join(caught.value.__notes__)


def test_exit_is_quick_with_held_requests_and_open_connections(loopback, ledger):
    proxy = FaultProxy(loopback.url, hold_seconds=30)
    with proxy:
        proxy.inject(Fault.HELD_THEN_DELIVERED, method="POST")
        proxy.inject(Fault.APPLIED_THEN_HELD, method="GET")
        with httpx.Client(base_url=proxy.url, timeout=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                post_entries(client, ledger, "never")
            with pytest.raises(httpx.ReadTimeout):
                list_entries(client, ledger)
        idle = httpx.Client(base_url=proxy.url)
        assert list_entries(idle, ledger).status_code == 200  # an idle keep-alive connection
        assert not proxy.wait_idle(timeout=0.1)
        started = time.monotonic()
    assert time.monotonic() - started < 2
    idle.close()
    assert notes_on_server(ledger) == [], "a held request is dropped at exit, never delivered"
    assert proxy.errors == []
    held = proxy.log()[0]
    assert (held.forwarded_at, held.finished_at is not None) == (None, True)
