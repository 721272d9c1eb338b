"""The HTTP layer's rules, against the real ledger behind a fault-injecting transport."""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.conftest import LoopbackServer, productive_headers
from tests.faults import Fault, FaultTransport
from tui.api import http
from tui.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    InvalidEntriesError,
    ItemProblem,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
)
from tui.api.http import HttpClient, RateLimiter, RetryPolicy, check_base_url, tls_context
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB

pytestmark = pytest.mark.anyio

JSONAPI = "application/vnd.api+json"
TIMER = {
    "data": {
        "type": "timers",
        "relationships": {"service": {"data": {"type": "services", "id": "1"}}},
    }
}


class Sleeps:
    """An injected sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def transport(ledger: LedgerDB) -> FaultTransport:
    return FaultTransport(httpx.ASGITransport(app=create_app(ledger)))


def client_for(
    ledger: LedgerDB,
    transport: httpx.AsyncBaseTransport,
    sleeps: Sleeps,
    token: str | None = None,
    **kwargs: object,
) -> HttpClient:
    token = token or ledger.identity.token
    return HttpClient(
        "http://ledger/api/v2",
        service="Productive",
        headers={"X-Auth-Token": token, "X-Organization-Id": ledger.identity.organization_id},
        secrets=[token],
        transport=transport,
        sleep=sleeps,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_429_waits_for_retry_after_then_succeeds(ledger, transport, sleeps) -> None:
    transport.inject(Fault.status_code(429, headers={"Retry-After": "2"}))
    client = client_for(ledger, transport, sleeps)
    body = await client.json("GET", "/services")
    assert len(body["data"]) == 3
    assert sleeps.calls == [2.0]
    assert len(transport.requests) == 2


async def test_retry_after_as_an_http_date_is_honoured(ledger, transport, sleeps) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    transport.inject(
        Fault.status_code(429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    )
    await client_for(ledger, transport, sleeps).json("GET", "/services")
    assert len(sleeps.calls) == 1 and 25 <= sleeps.calls[0] <= 30


async def test_429_without_retry_after_backs_off_exponentially_then_gives_up(
    ledger, transport, sleeps
) -> None:
    transport.inject(Fault.status_code(429), times=10)
    client = client_for(ledger, transport, sleeps, retry=RetryPolicy(attempts=4, base_delay=1.0))
    with pytest.raises(RateLimitedError, match="rate limiting"):
        await client.json("GET", "/services")
    assert len(transport.requests) == 4
    # Each wait lies in [d/2, d] for d = 1, 2, 4: jittered but growing.
    for wait, ceiling in zip(sleeps.calls, [1, 2, 4], strict=True):
        assert ceiling / 2 <= wait <= ceiling


async def test_retry_after_too_long_fails_at_once(ledger, transport, sleeps) -> None:
    transport.inject(Fault.status_code(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError):
        await client_for(ledger, transport, sleeps).json("GET", "/services")
    assert sleeps.calls == [] and len(transport.requests) == 1


async def test_503_is_retried_even_for_post(ledger, transport, sleeps) -> None:
    transport.inject(Fault.status_code(503), method="POST")
    client = client_for(ledger, transport, sleeps)
    body = await client.json("POST", "/timers", json_body=TIMER, headers={"Content-Type": JSONAPI})
    assert body["data"]["attributes"]["stopped_at"] is None
    assert len(transport.calls("POST")) == 2
    timers = await client.json("GET", "/timers")
    assert timers["meta"]["total_count"] == 1  # created once


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status_code(502),
        Fault.status_code(504),
        Fault.reset_after_send(),
        Fault.reset_after_send(httpx.ReadTimeout),
    ],
)
async def test_a_post_whose_answer_is_lost_is_unknown_and_never_resent(
    ledger, transport, sleeps, fault
) -> None:
    transport.inject(fault, method="POST")
    client = client_for(ledger, transport, sleeps)
    with pytest.raises(OutcomeUnknownError, match="may or may not have been applied"):
        await client.json("POST", "/timers", json_body=TIMER, headers={"Content-Type": JSONAPI})
    assert len(transport.calls("POST")) == 1


async def test_a_post_that_never_left_is_retried(ledger, transport, sleeps) -> None:
    transport.inject(Fault.fail_before_send(), method="POST")
    client = client_for(ledger, transport, sleeps)
    await client.json("POST", "/timers", json_body=TIMER, headers={"Content-Type": JSONAPI})
    assert len(transport.calls("POST")) == 2
    assert (await client.json("GET", "/timers"))["meta"]["total_count"] == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status_code(502),
        Fault.reset_after_send(httpx.ReadTimeout),
        Fault.fail_before_send(httpx.ConnectTimeout),
    ],
)
async def test_reads_are_retried_after_gateway_errors_and_timeouts(
    ledger, transport, sleeps, fault
) -> None:
    transport.inject(fault, method="GET")
    body = await client_for(ledger, transport, sleeps).json("GET", "/services")
    assert len(body["data"]) == 3 and len(transport.requests) == 2


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "fault",
    [
        Fault.status_code(502),
        Fault.status_code(504),
        Fault.reset_after_send(),
        Fault.reset_after_send(httpx.ReadTimeout),
    ],
)
async def test_any_write_whose_answer_is_lost_is_unknown_and_never_resent(
    ledger, transport, sleeps, fault, method
) -> None:
    """A PATCH held past the timeout and applied later would overwrite a newer edit if it
    were resent now; so would a bulk approve landing after an unapprove."""
    transport.inject(fault, method=method)
    client = client_for(ledger, transport, sleeps)
    with pytest.raises(OutcomeUnknownError, match="may or may not have been applied"):
        await client.json(method, "/time_entries/approve", json_body={"data": []})
    assert len(transport.calls(method)) == 1


async def test_a_write_marked_idempotent_is_resent_after_a_lost_answer(
    ledger, transport, sleeps
) -> None:
    transport.inject(Fault.reset_after_send(httpx.ReadTimeout), method="PATCH")
    client = client_for(ledger, transport, sleeps)
    with pytest.raises(NotFoundError):  # the resend reached the ledger, which has no timer 9
        await client.json("PATCH", "/timers/9/stop", idempotent=True)
    assert len(transport.calls("PATCH")) == 2


async def test_network_failure_on_every_try_is_a_network_error(ledger, transport, sleeps) -> None:
    transport.inject(Fault.fail_before_send(), times=10)
    with pytest.raises(NetworkError, match="Could not reach Productive"):
        await client_for(ledger, transport, sleeps).json("GET", "/services")


async def test_html_error_page_is_a_server_error_sentence(ledger, transport, sleeps) -> None:
    transport.inject(Fault.html_page(500))
    with pytest.raises(ServerError) as caught:
        await client_for(ledger, transport, sleeps).json("GET", "/services")
    assert str(caught.value) == "Productive failed on GET /api/v2/services (500)."


async def test_a_refusal_about_one_thing_names_it_and_the_reason_not_the_route(
    ledger, transport, sleeps
) -> None:
    client = client_for(ledger, transport, sleeps)
    with pytest.raises(NotFoundError) as missing:
        await client.json("PATCH", "/time_entries/999/unreject", about="to unreject entry 999")
    assert str(missing.value) == (
        "Productive refused to unreject entry 999: No time entry with id 999."
    )
    transport.inject(Fault.status_code(422, body={"errors": []}))
    with pytest.raises(InvalidEntriesError) as no_reason:
        await client.json("POST", "/timers", json_body={}, about="to start a timer on service 9")
    assert str(no_reason.value) == "Productive refused to start a timer on service 9 (422)."
    # Where the route is the only detail (a 5xx), it stays.
    transport.inject(Fault.html_page(500))
    with pytest.raises(ServerError) as failed:
        await client.json("GET", "/services", about="to list services")
    assert str(failed.value) == "Productive failed on GET /api/v2/services (500)."


async def test_malformed_json_is_a_bad_response(ledger, transport, sleeps) -> None:
    transport.inject(Fault.replace_body(b'{"data": ['))
    with pytest.raises(BadResponseError, match="not JSON"):
        await client_for(ledger, transport, sleeps).json("GET", "/services")


async def test_a_redirect_is_not_followed_and_points_at_base_url(ledger, transport, sleeps) -> None:
    moved = Fault.status_code(301, headers={"location": "https://elsewhere.example/api/v2"})
    transport.inject(moved)
    with pytest.raises(BadResponseError) as caught:
        await client_for(ledger, transport, sleeps).json("GET", "/services")
    assert str(caught.value) == (
        "Productive GET /api/v2/services was redirected to https://elsewhere.example/api/v2 "
        "(HTTP 301); check base_url."
    )
    assert len(transport.requests) == 1


async def test_an_answer_past_the_body_limit_is_cut_off(ledger, transport, sleeps) -> None:
    huge = b'{"data": [' + b'{"id": "1", "type": "services"},' * 600_000 + b"{}]}"
    assert len(huge) > http.MAX_BODY_BYTES
    transport.inject(Fault.replace_body(huge))
    with pytest.raises(BadResponseError) as caught:
        await client_for(ledger, transport, sleeps).json("GET", "/services")
    assert str(caught.value) == (
        "Productive answered GET /api/v2/services with more than 16 MB; the answer was not read."
    )


async def test_json_nested_past_the_decoder_is_one_sentence(ledger, transport, sleeps) -> None:
    transport.inject(Fault.replace_body(b"[" * 200_000 + b"]" * 200_000))
    with pytest.raises(BadResponseError) as caught:
        await client_for(ledger, transport, sleeps).json("GET", "/services")
    assert str(caught.value) == (
        "Productive answered GET /api/v2/services with JSON nested too deep to read."
    )


async def test_422_carries_per_item_problems_from_the_parser(ledger, transport, sleeps) -> None:
    def parse(body: dict) -> list[ItemProblem]:
        return [
            ItemProblem(int(e["source"]["pointer"].split("/")[2]), e["detail"])
            for e in body["errors"]
        ]

    item = {
        "type": "time_entries",
        "attributes": {"date": "2026-11-02", "time": 30},
        "relationships": {
            "person": {"data": {"type": "people", "id": "1"}},
            "service": {"data": {"type": "services", "id": "1"}},
        },
    }
    bad = {**item, "attributes": {"date": "2026-11-02", "time": -1}}
    bulk = "application/vnd.api+json; ext=bulk"
    client = client_for(ledger, transport, sleeps, problem_parser=parse)
    with pytest.raises(InvalidEntriesError) as caught:
        await client.json(
            "POST",
            "/time_entries",
            json_body={"data": [item, bad]},
            headers={"Content-Type": bulk, "Accept": bulk},
        )
    assert caught.value.item_indexes == {1}
    assert "between 0 and 1440" in caught.value.for_item(1)[0].message


async def test_the_token_never_appears_in_errors_or_logs(ledger, transport, sleeps, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "tok-SECRET-4f1b9c"
    transport.inject(Fault.status_code(429), times=1)
    # A server that echoes the token back in its error detail, which the error quotes.
    transport.inject(
        Fault.status_code(500, body={"errors": [{"detail": f"bad token {secret}"}]}), method="POST"
    )
    client = client_for(ledger, transport, sleeps, token=secret)
    raised: list[ApiError] = []
    for method, kwargs in [("GET", {}), ("POST", {"json_body": TIMER})]:
        with pytest.raises(ApiError) as caught:
            await client.json(method, "/timers", **kwargs)
        raised.append(caught.value)
    assert isinstance(raised[0], AuthError)
    assert isinstance(raised[1], ServerError) and "bad token ***" in str(raised[1])
    for error in raised:
        assert secret not in str(error) and secret not in repr(error)
    assert secret not in caplog.text and secret not in repr(client)
    assert "retrying GET /timers" in caplog.text  # the log did record the retry


async def test_rate_limiter_keeps_to_the_window() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter([(100, 10.0)], clock=lambda: now[0], sleep=sleep)
    sent = []
    for _ in range(250):
        async with limiter.slot():
            sent.append(now[0])
    # No 10-second window holds more than 100 requests, and none waited needlessly.
    for i in range(100, len(sent)):
        assert sent[i] - sent[i - 100] >= 10.0
    assert sent[-1] == pytest.approx(20.0)


async def test_rate_limiter_counts_a_request_when_its_answer_arrives() -> None:
    """A request may sit in the connection pool after permission, or take long: the server
    can see it as late as its answer, so that is when it counts, and until then it holds
    its slot. Three slots, 1 s windows: slow answers push the next requests back."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter([(3, 1.0)], clock=lambda: now[0], sleep=sleep)
    started: list[float] = []
    answered: list[float] = []
    release = [asyncio.Event() for _ in range(5)]

    async def request(n: int) -> None:
        async with limiter.slot():
            started.append(now[0])
            await release[n].wait()
            answered.append(now[0])

    async def turn() -> None:
        for _ in range(5):
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(request(n)) for n in range(5)]
    await turn()
    assert started == [0.0, 0.0, 0.0]  # the fourth waits while three are in flight
    now[0] = 5.0
    release[0].set()  # the first answer comes 5 s later: it counts as made at 5.0
    await turn()
    assert started[3] == pytest.approx(6.0)  # one window after that answer, not at once
    assert len(started) == 4  # the fifth: three in flight again
    release[1].set()  # answered at 6.0
    await turn()
    assert started[4] == pytest.approx(7.0)
    for event in release[2:]:
        event.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 1)
    assert answered == [5.0, 6.0, 7.0, 7.0, 7.0]


def test_plain_http_only_for_loopback() -> None:
    assert check_base_url("http://127.0.0.1:8765/api/v2/") == "http://127.0.0.1:8765/api/v2"
    assert check_base_url("https://api.productive.io/api/v2") == "https://api.productive.io/api/v2"
    with pytest.raises(ValueError, match="use https"):
        check_base_url("http://api.productive.io/api/v2")
    with pytest.raises(ValueError):
        HttpClient("http://example.com/api", service="X", headers={})


def test_https_verifies_certificates_and_plain_http_trusts_nothing() -> None:
    assert tls_context("https://api.productive.io/api/v2") is True  # httpx's default checks
    plain = tls_context("http://127.0.0.1:8765/api/v2")
    assert isinstance(plain, ssl.SSLContext)
    # Should a TLS connection ever be made on it, it fails closed: no CA is trusted.
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0


# ------------------------------------------------- sent from threads (the CLI's way)


def answering(body: bytes, *, headers: tuple[tuple[bytes, bytes], ...] = (), delay: float = 0.0):
    """An ASGI app that answers every request with `body`, after `delay` seconds."""

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        await asyncio.sleep(delay)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), *headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def threaded_client(url: str, sleeps: Sleeps, **kwargs: object) -> HttpClient:
    client = HttpClient(
        url,
        service="Productive",
        headers={},
        sleep=sleeps,
        **kwargs,  # type: ignore[arg-type]
    )
    client.send_from_threads()
    return client


async def test_sent_from_threads_a_client_reads_what_the_async_one_reads(
    ledger, loopback, sleeps
) -> None:
    headers = productive_headers(ledger)
    url = f"{loopback.url}/api/v2"
    plain = HttpClient(url, service="Productive", headers=headers, sleep=sleeps)
    threaded = HttpClient(url, service="Productive", headers=headers, sleep=sleeps)
    threaded.send_from_threads()
    try:
        pages = [
            await client.json("GET", "/services", params={"page[size]": 2})
            for client in (plain, threaded)
        ]
        together = await asyncio.gather(
            *(threaded.json("GET", f"/services/{n}") for n in ("1", "2", "3"))
        )
    finally:
        await plain.aclose()
        await threaded.aclose()
    assert pages[0] == pages[1] and len(pages[1]["data"]) == 2
    assert [doc["data"]["id"] for doc in together] == ["1", "2", "3"]


async def test_sent_from_threads_a_compressed_answer_past_the_body_limit_is_cut_off(
    sleeps,
) -> None:
    bomb = gzip.compress(b" " * (http.MAX_BODY_BYTES + 1))
    assert len(bomb) < 100_000  # what crosses the wire is small; what it decodes to is not
    with LoopbackServer(answering(bomb, headers=((b"content-encoding", b"gzip"),))) as server:
        client = threaded_client(server.url, sleeps)
        with pytest.raises(BadResponseError) as caught:
            await client.json("GET", "/services")
        await client.aclose()
    assert str(caught.value) == (
        "Productive answered GET /services with more than 16 MB; the answer was not read."
    )


async def test_sent_from_threads_a_refused_connection_is_a_network_error_saying_so(
    sleeps,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = threaded_client(f"http://127.0.0.1:{port}", sleeps)
    with pytest.raises(NetworkError) as caught:
        await client.json("GET", "/services")
    await client.aclose()
    assert str(caught.value) == "Could not reach Productive (Connection refused)."
    assert len(sleeps.calls) == RetryPolicy().attempts - 1  # retried: nothing was sent


async def test_sent_from_threads_a_request_given_up_on_frees_its_connection(sleeps) -> None:
    with LoopbackServer(answering(b'{"data": []}', delay=0.3)) as server:
        client = threaded_client(server.url, sleeps, max_connections=1)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.json("GET", "/slow"), 0.05)
        # The only connection comes back once the abandoned answer arrives in its thread.
        assert await asyncio.wait_for(client.json("GET", "/again"), 30) == {"data": []}
        await client.aclose()


async def test_a_client_over_an_in_process_transport_keeps_it(ledger, transport, sleeps) -> None:
    client = client_for(ledger, transport, sleeps)
    client.send_from_threads()
    assert (await client.json("GET", "/services"))["data"]
    assert len(transport.requests) == 1  # through the in-process transport, not a thread
    await client.aclose()
