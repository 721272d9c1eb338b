"""A seeded, fault-injecting HTTP/1.1 proxy on a real loopback socket, for the soak of issue 13.

Why a socket and not an httpx transport (that is `tests/faults.py`): the faults the soak is
about live below httpx. A TCP reset, a body cut short under its true Content-Length, a request
that reaches the server after the client gave up on it: only a real socket makes httpcore, the
connection pool and the adapter's retry and settle logic meet them as they would in the field.

    with LoopbackServer(create_app(ledger)) as server, FaultProxy(server.url, seed=7, rate=0.3,
            hold_seconds=0.3) as proxy:
        client = httpx.Client(base_url=proxy.url, timeout=0.2)
        proxy.inject(Fault.RESET_AFTER, method="POST", path_prefix="/api/v2/time_entries")
        ...
        proxy.wait_idle()              # held requests have landed (or been dropped)
        print(proxy.counts())          # {Fault.RESET_AFTER: 3, Fault.CUT_BODY: 1, ...}
        assert max_in_window(proxy.forwarded_times(), 10.0) <= 100

The proxy runs its own event loop in a daemon thread, so sync and async tests drive it alike.
Every request it receives is one entry in its log, in arrival order, and costs the seeded
random generator exactly the same draws whether or not a fault is injected: the same seed and
the same request sequence give the same faults, whatever the timing.

A bug in the proxy must never pass for an injected fault: anything unexpected in a connection
handler (an upstream that fails, a request it cannot parse) goes to `errors`, the client gets
a plain 502/400 whose title starts with "Proxy", and leaving the `with` block raises
`ProxyError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import random
import socket
import struct
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from types import TracebackType
from urllib.parse import urlsplit

# Heads and chunk lines longer than this are refused; bodies are read by length, not by it.
STREAM_LIMIT = 1 << 20
# Headers that describe one hop, not the message; the proxy frames each hop itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
JSONAPI = "application/vnd.api+json"


class Fault(StrEnum):
    """What the proxy does to one request instead of passing it through.

    A StrEnum, so `counts()` compares equal to a dict keyed by the plain names and prints
    them as such in the soak's summary.
    """

    RESET_BEFORE = "reset_before"  # RST the client; the server never sees the request
    RESET_AFTER = "reset_after"  # the server applies it; RST the client instead of the answer
    STATUS_500 = "status_500"  # answered by the proxy, not forwarded
    STATUS_502 = "status_502"
    STATUS_503 = "status_503"
    STATUS_504 = "status_504"
    GATEWAY_AFTER = "gateway_after"  # the server applies it; the client gets 502 or 504
    STATUS_429 = "status_429"  # not forwarded; with Retry-After
    STATUS_429_BARE = "status_429_bare"  # not forwarded; without Retry-After
    HELD_THEN_DELIVERED = "held_then_delivered"  # forwarded after hold_seconds; answer dropped
    APPLIED_THEN_HELD = "applied_then_held"  # forwarded at once; answer held, then dropped
    CUT_BODY = "cut_body"  # forwarded; the answer's body is cut short under its Content-Length


# The faults whose request reaches the server (so it may have been applied).
FORWARDING_FAULTS = frozenset(
    {
        Fault.RESET_AFTER,
        Fault.GATEWAY_AFTER,
        Fault.HELD_THEN_DELIVERED,
        Fault.APPLIED_THEN_HELD,
        Fault.CUT_BODY,
    }
)
# The faults answered by the proxy itself with a status and a JSON:API error.
CANNED_STATUS = {
    Fault.STATUS_500: 500,
    Fault.STATUS_502: 502,
    Fault.STATUS_503: 503,
    Fault.STATUS_504: 504,
    Fault.STATUS_429: 429,
    Fault.STATUS_429_BARE: 429,
}
GATEWAY_STATUSES = (502, 504)


class ProxyError(AssertionError):
    """The proxy itself went wrong; raised on leaving the `with` block (or by `check()`).

    An AssertionError, so pytest shows it as a failed check rather than an error in teardown.
    """


@dataclass
class Exchange:
    """One request the proxy received, and what became of it. Times are `time.monotonic()`,
    the same clock in every thread, so a test can compare them with its own readings.

    The proxy fills a record in as the request goes; it is final once `finished_at` is set,
    which `FaultProxy.wait_idle()` waits for. The fields a client can act on (the fault,
    `forwarded_at`, `server_status`, `client_status`, `delivered`) are set before the client
    can see the outcome, so they may be read as soon as the client has its answer or error.
    """

    index: int  # arrival order, from 0: the index-th random decision
    connection: int  # the client connection it came on, from 1 in accept order
    method: str
    path: str
    query: str  # the raw query string, without the "?" ("" if none)
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fault: Fault | None
    injected: bool  # the fault came from `inject()`, not from the seeded draw
    received_at: float  # when the whole request (head and body) had been read
    forwarded_at: float | None = None  # when it was written to the server; None if never
    answered_at: float | None = None  # when the server's whole answer had been read
    server_status: int | None = None  # the server's status, if it answered
    client_status: int | None = None  # the status written to the client (injected or real)
    delivered: bool = False  # the server's answer was written to the client in full
    finished_at: float | None = None  # when the proxy was done with it (after any hold)

    @property
    def held(self) -> bool:
        """Forwarded late on purpose: its forwarding time says nothing of the client's pace."""
        return self.fault is Fault.HELD_THEN_DELIVERED


@dataclass
class _Injection:
    fault: Fault
    method: str | None
    path_prefix: str | None
    times: int
    status: int | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_prefix is None or path.startswith(self.path_prefix)
        )


@dataclass
class _Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool

    def upstream_bytes(self) -> bytes:
        """The request for the server, on a connection of its own that closes after it.

        One upstream connection per request, never reused: a reused connection the server
        has just closed would force a choice between failing and resending, and a proxy that
        resends could itself duplicate a write the soak then blames on the client.
        """
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in self.headers if not _hop(name)]
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class _Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # without hop-by-hop headers; Content-Length if bodyless
    body: bytes
    bodyless: bool  # HEAD, 204 or 304: no body whatever the headers say

    def head_bytes(self, *, close: bool, length: int | None = None) -> bytes:
        """Status line and headers, framed by Content-Length (the server may have chunked it:
        one framing for every answer keeps `cut_body` meaningful for all of them)."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if not self.bodyless:
            lines.append(f"Content-Length: {len(self.body) if length is None else length}")
        if close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _BadRequest(Exception):
    """The client sent something the proxy does not speak."""


class _UpstreamError(Exception):
    """The served ledger failed at the transport level: a broken setup, never a fault."""


def _hop(name: str) -> bool:
    return name.lower() in HOP_BY_HOP


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def _parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The start line and the headers of a message head (which ends in CRLF CRLF)."""
    start, *lines = head[:-4].decode("latin-1").split("\r\n")
    headers = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise ValueError(f"a malformed header line {line!r}")
        headers.append((name, value.strip()))
    return start, headers


def _content_length(headers: Sequence[tuple[str, str]]) -> int | None:
    value = _header(headers, "content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise ValueError(f"a bad Content-Length {value!r}")
    return int(value)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """The next request on a client connection, or None when the client closed it between
    requests (the normal end of a keep-alive connection)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise
    except asyncio.LimitOverrunError as exc:
        raise _BadRequest("a request head past the proxy's limit") from exc
    try:
        start, headers = _parse_head(head)
        method, target, version = start.split(" ")
        length = _content_length(headers)
    except ValueError as exc:
        raise _BadRequest(f"a malformed request: {exc}") from exc
    if _header(headers, "transfer-encoding") is not None:
        # The adapters send bytes they hold, so httpx always gives a Content-Length.
        raise _BadRequest("a chunked request body (the proxy reads Content-Length only)")
    body = await reader.readexactly(length) if length else b""
    tokens = {t.strip().lower() for t in (_header(headers, "connection") or "").split(",")}
    keep_alive = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
    return _Request(method, target, headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, dropped
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("a chunk not followed by CRLF")


async def _read_response(reader: asyncio.StreamReader, method: str) -> _Response:
    """The server's whole answer: by Content-Length, chunked, none (HEAD, 204, 304) or to EOF
    (we asked for `Connection: close`, so the end of the stream ends the body)."""
    while True:
        start, headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        _version, status_text, *reason = start.split(" ", 2)
        status = int(status_text)
        if not 100 <= status < 200:  # skip interim answers (100 Continue)
            break
    bodyless = method == "HEAD" or status in (204, 304)
    chunked = "chunked" in (_header(headers, "transfer-encoding") or "").lower()
    length = _content_length(headers)
    if bodyless:
        body = b""
    elif chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body = await reader.read()
    kept = [
        (name, value)
        for name, value in headers
        if not _hop(name) and (bodyless or name.lower() != "content-length")
    ]
    phrase = reason[0] if reason else ""
    return _Response(status, phrase, kept, body, bodyless)


def _error_response(status: int, title: str, extra: Sequence[tuple[str, str]] = ()) -> _Response:
    body = json.dumps({"errors": [{"status": str(status), "title": title}]}).encode()
    headers = [("Content-Type", JSONAPI), *extra]
    return _Response(status, HTTPStatus(status).phrase, headers, body, bodyless=False)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN: SO_LINGER with a zero timeout discards what
    is queued and resets, so the client reads ECONNRESET, as behind a crashing gateway."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def max_in_window(times: Sequence[float], window: float) -> int:
    """The most of `times` that fall in any half-open interval [t, t + window).

    The busiest window always starts at one of the times, so a sweep over the sorted times
    finds it. Half-open, so requests exactly `window` apart are never in the same window:
    "100 requests per 10 seconds" allows the 101st at exactly t + 10.
    """
    ordered = sorted(times)
    best = 0
    end = 0
    for start, first in enumerate(ordered):
        while end < len(ordered) and ordered[end] < first + window:
            end += 1
        best = max(best, end - start)
    return best


class FaultProxy:
    """A fault-injecting proxy between a client and `upstream` (an `http://host:port` URL).

    - `seed`: seeds the `random.Random` that decides each request's fault.
    - `rate`: the chance that a request gets a random fault (0 passes everything through).
    - `weights`: how the random faults are shared between the kinds (missing kinds never
      happen); every kind equally by default.
    - `hold_seconds`: how long the two held faults hold. For the soak: more than the client's
      timeout, less than the settle grace minus that timeout.
    - `retry_after`: the Retry-After value of `status_429`.
    - `eligible(method, path)`: which requests may get a random fault (say, writes only);
      injections ignore it. Called under the proxy's lock: it must not call the proxy.
    - `shutdown_timeout`: how long `close()` waits for the loop to stop.

    `rate`, `weights`, `hold_seconds` and `retry_after` may be changed between requests (say,
    `proxy.rate = 0` for the soak's final check); each request reads them when it arrives.
    """

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 0,
        rate: float = 0.0,
        weights: Mapping[Fault, float] | None = None,
        hold_seconds: float = 0.5,
        retry_after: str = "1",
        eligible: Callable[[str, str], bool] | None = None,
        shutdown_timeout: float = 2.0,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"the upstream must be http://host:port, not {upstream!r}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the fault rate must be within 0..1, not {rate}")
        self.upstream = upstream
        self.seed = seed
        self.rate = rate
        self.weights: Mapping[Fault, float] = (
            {Fault(kind): weight for kind, weight in weights.items()}
            if weights is not None
            else dict.fromkeys(Fault, 1.0)
        )
        if any(w < 0 for w in self.weights.values()) or (rate and not sum(self.weights.values())):
            raise ValueError("fault weights must be non-negative, and some positive")
        self.hold_seconds = hold_seconds
        self.retry_after = retry_after
        self.eligible = eligible
        self.shutdown_timeout = shutdown_timeout
        self.port = 0
        self._upstream_host = parts.hostname
        self._upstream_port = parts.port
        self._random = random.Random(seed)
        # One lock for everything the test thread and the loop thread share.
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._log: list[Exchange] = []
        self._injections: list[_Injection] = []
        self._errors: list[str] = []
        self._in_flight = 0
        self._connection_ids = itertools.count(1)
        # Made in start(), so that a proxy never started leaves no loop to leak.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = False
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        """Listen on 127.0.0.1 and a free port; `url` is valid once this returns."""
        if self._started:
            raise RuntimeError("the proxy is already started")
        self._started = True
        self._loop = loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(loop,), name="fault-proxy")
        self._thread.daemon = True
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), loop)
        future.result(timeout=5)
        return self

    def close(self) -> None:
        """Stop: drop every connection (held requests are never delivered after this), stop
        the loop and join its thread, within `shutdown_timeout` and a little."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or self._closed:
            return
        self._closed = True
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=self.shutdown_timeout)
        except Exception:  # a timeout, or a failure while closing: the run must hear of it
            self._record_error("shutting down")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=self.shutdown_timeout)
        if thread.is_alive():
            self._record_error("the proxy's thread did not stop")

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        if self.errors:
            report = self._report()
            if exc is None:
                raise ProxyError(report)
            exc.add_note(report)  # don't hide the test's own failure, but don't lose ours

    def check(self) -> None:
        """Raise ProxyError now if the proxy has gone wrong (for long runs that poll)."""
        if self.errors:
            raise ProxyError(self._report())

    def _report(self) -> str:
        errors = self.errors
        return f"the fault proxy had {len(errors)} error(s):\n" + "\n".join(errors)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._serve_client, "127.0.0.1", 0, limit=STREAM_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ what the test drives

    def inject(
        self,
        kind: Fault,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        times: int = 1,
        status: int | None = None,
    ) -> None:
        """Give `kind` to the next `times` requests that match `method` and `path_prefix`
        (None matches any), before any random fault. The random draw still happens for those
        requests, so the seeded sequence of the others is unchanged. `status` picks 502 or 504
        for `gateway_after` (by default the seeded draw picks one)."""
        kind = Fault(kind)
        if times < 1:
            raise ValueError("an injection fires at least once")
        if status is not None and (kind is not Fault.GATEWAY_AFTER or status not in (502, 504)):
            raise ValueError("only gateway_after takes a status, 502 or 504")
        with self._lock:
            self._injections.append(_Injection(kind, method, path_prefix, times, status))

    def injections_left(self) -> int:
        """How many injected faults have not fired yet."""
        with self._lock:
            return sum(injection.times for injection in self._injections)

    def log(self) -> list[Exchange]:
        """Every request received so far, in arrival order (copies: they don't change later)."""
        with self._lock:
            return [copy.copy(record) for record in self._log]

    def counts(self) -> dict[Fault, int]:
        """How many requests got each fault, for the kinds that happened, in `Fault` order."""
        with self._lock:
            faults = [record.fault for record in self._log]
        return {kind: faults.count(kind) for kind in Fault if kind in faults}

    def forwarded_times(self) -> list[float]:
        """When requests were forwarded to the server, sorted, leaving out the held ones.

        These are the times the client's pace shows in: the soak checks the rate limit
        against them ("no 10-second window sees more than 100 requests"). A held request
        reaches the server when the proxy decides, so its time would only blur that check.
        """
        with self._lock:
            return sorted(
                r.forwarded_at for r in self._log if r.forwarded_at is not None and not r.held
            )

    def received_times(self) -> list[float]:
        """When the proxy received each request (forwarded or not), sorted."""
        with self._lock:
            return sorted(record.received_at for record in self._log)

    @property
    def errors(self) -> list[str]:
        """The proxy's own failures, as tracebacks; empty when all is well."""
        with self._lock:
            return list(self._errors)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every request received so far is finished with (held ones delivered
        or dropped); False if that took longer than `timeout`."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    # ------------------------------------------------------------------ the loop's side

    def _record_error(self, context: str) -> None:
        with self._lock:
            self._errors.append(f"{context}:\n{traceback.format_exc()}")

    def _decide(self, connection: int, request: _Request) -> tuple[Exchange, int | None]:
        """Log the request and pick its fault: three draws per request, always, so that the
        sequence depends on nothing but the seed and the order of arrival."""
        path, _, query = request.target.partition("?")
        with self._lock:
            whether, which, variant = (self._random.random() for _ in range(3))
            fault: Fault | None = None
            status: int | None = None
            injected = False
            injection = next((i for i in self._injections if i.matches(request.method, path)), None)
            if injection is not None:
                fault, status, injected = injection.fault, injection.status, True
                injection.times -= 1
                if injection.times == 0:
                    self._injections.remove(injection)
            elif whether < self.rate and (
                self.eligible is None or self.eligible(request.method, path)
            ):
                fault = self._pick(which)
            if fault is Fault.GATEWAY_AFTER and status is None:
                status = GATEWAY_STATUSES[0] if variant < 0.5 else GATEWAY_STATUSES[1]
            record = Exchange(
                index=len(self._log),
                connection=connection,
                method=request.method,
                path=path,
                query=query,
                headers=tuple(request.headers),
                body=request.body,
                fault=fault,
                injected=injected,
                received_at=time.monotonic(),
            )
            self._log.append(record)
            self._in_flight += 1
        return record, status

    def _pick(self, which: float) -> Fault:
        """The kind `which` (in 0..1) lands on, with the weights laid out in `Fault` order."""
        weights = [(kind, self.weights.get(kind, 0.0)) for kind in Fault]
        point = which * sum(weight for _, weight in weights)
        total = 0.0
        for kind, weight in weights:
            total += weight
            if weight and point < total:
                return kind
        return next(kind for kind, weight in reversed(weights) if weight)

    def _update(self, record: Exchange, **values: object) -> None:
        with self._lock:
            for name, value in values.items():
                setattr(record, name, value)

    def _finish(self, record: Exchange) -> None:
        with self._idle:
            record.finished_at = time.monotonic()
            self._in_flight -= 1
            self._idle.notify_all()

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = next(self._connection_ids)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                record, status = self._decide(connection, request)
                try:
                    keep_open = await self._handle(request, record, status, writer)
                finally:
                    self._finish(record)
                if not (keep_open and request.keep_alive):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (after a timeout, say): its right, not our bug
        except _BadRequest:
            self._record_error(f"connection {connection}: a request the proxy cannot read")
            await self._answer_and_close(writer, _error_response(400, "Proxy: bad request"))
        except _UpstreamError:
            self._record_error(f"connection {connection}: the upstream failed")
            await self._answer_and_close(writer, _error_response(502, "Proxy: upstream failed"))
        except Exception:
            self._record_error(f"connection {connection}: a bug in the proxy")
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _answer_and_close(self, writer: asyncio.StreamWriter, response: _Response) -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(response.head_bytes(close=True) + response.body)
            await writer.drain()

    async def _handle(
        self, request: _Request, record: Exchange, status: int | None, writer: asyncio.StreamWriter
    ) -> bool:
        """Carry out the request's fault; whether the client connection stays open."""
        fault = record.fault
        close = not request.keep_alive
        if fault is None:
            response = await self._forward(request, record)
            await self._send(writer, record, response, close=close, delivered=True)
            return True
        if fault is Fault.RESET_BEFORE:
            _reset(writer)
            return False
        if fault in CANNED_STATUS:
            extra = [("Retry-After", self.retry_after)] if fault is Fault.STATUS_429 else []
            response = _error_response(CANNED_STATUS[fault], "Injected", extra)
            await self._send(writer, record, response, close=close, delivered=False)
            return True
        if fault is Fault.HELD_THEN_DELIVERED:
            await asyncio.sleep(self.hold_seconds)
            await self._forward(request, record)  # late, and its answer goes nowhere
            return False
        response = await self._forward(request, record)
        if fault is Fault.RESET_AFTER:
            _reset(writer)
            return False
        if fault is Fault.GATEWAY_AFTER:
            assert status is not None
            gateway = _error_response(status, "Injected")
            await self._send(writer, record, gateway, close=close, delivered=False)
            return True
        if fault is Fault.APPLIED_THEN_HELD:
            await asyncio.sleep(self.hold_seconds)
            return False
        assert fault is Fault.CUT_BODY
        self._update(record, client_status=response.status)
        head = response.head_bytes(close=True)
        if response.body:
            writer.write(head + response.body[: len(response.body) // 2])
        else:  # nothing to cut short: cut the head instead (no blank line ends it)
            writer.write(head[: head.index(b"\r\n") + 2])
        await writer.drain()
        return False

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        record: Exchange,
        response: _Response,
        *,
        close: bool,
        delivered: bool,
    ) -> None:
        # Marked before the write: the client may act on the answer before this coroutine
        # runs again, and a test reading the log then must already see it delivered.
        self._update(record, client_status=response.status, delivered=delivered)
        writer.write(response.head_bytes(close=close) + response.body)
        try:
            await writer.drain()
        except ConnectionError:
            self._update(record, delivered=False)
            raise

    async def _forward(self, request: _Request, record: Exchange) -> _Response:
        """Send the request to the server on a fresh connection and read its whole answer."""
        try:
            reader, writer = await asyncio.open_connection(
                self._upstream_host, self._upstream_port, limit=STREAM_LIMIT
            )
        except OSError as exc:
            raise _UpstreamError(f"cannot connect to {self.upstream}: {exc}") from exc
        try:
            self._update(record, forwarded_at=time.monotonic())
            writer.write(request.upstream_bytes())
            await writer.drain()
            response = await _read_response(reader, request.method)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise _UpstreamError(f"{request.method} {request.target}: {exc!r}") from exc
        finally:
            writer.close()
        self._update(record, answered_at=time.monotonic(), server_status=response.status)
        return response


__all__ = [
    "FORWARDING_FAULTS",
    "Exchange",
    "Fault",
    "FaultProxy",
    "ProxyError",
    "max_in_window",
]
