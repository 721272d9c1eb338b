"""One careful HTTP client per backend: keep-alive, timeouts, retries, a rate limit.

The retry rules follow what the services promise:
- 429 and 503 mean "not processed", and a connection that never opened sent nothing:
  retried for any method, after `Retry-After` if sent;
- a write whose answer is lost after sending (502, 504, a timeout, a reset), whatever its
  method, may have been applied, or may still be applied later by a slow server: it is
  never resent at once. The caller gets `OutcomeUnknownError` and settles it by reading
  after a grace period (`tui.store.settle`). Only reads, and writes the caller marks
  `idempotent` (stopping a timer twice changes nothing), are resent.
Errors come out typed (`tui.api.errors`) with one sentence each, and with every secret
(the token) redacted from their messages and from log lines.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email.utils
import json
import logging
import queue
import random
import re
import ssl
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from tui import config
from tui.api.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    InvalidEntriesError,
    ItemProblem,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    PayloadTooLargeError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
)

log = logging.getLogger("tui.api.http")

Sleep = Callable[[float], Awaitable[None]]
ProblemParser = Callable[[Any], list[ItemProblem]]
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

TOO_MANY = re.compile(r"\btoo (many|large|big)\b|\bmaximum\b.*\bitems\b", re.IGNORECASE)
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")
READS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def request_timeout_of(seconds: float) -> httpx.Timeout:
    """A request's timeout (`[ui] request_timeout_seconds`); connecting takes 10 s at most."""
    return httpx.Timeout(seconds, connect=min(10.0, seconds))


MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest answer read. A full page of either service (200 Productive entries with their
people, services and tasks included, or 500 Plannr entries) is under 1 MB; a broken or hostile
server sending more is cut off instead of filling memory."""
MAX_PAGES = 10_000
"""The most pages one listing reads: 2 million Productive entries (200 a page), well past a
large team's year; a server that claims more (or never stops) is refused, not followed."""

USER_AGENT = "timesheet/0.1 (+https://github.com/timesheet-tui)"


def check_base_url(url: str) -> str:
    """The configuration's rule (plain http only to a loopback host, where a token never
    crosses a network), for adapters built in code; the error names the URL."""
    try:
        return config.check_base_url(url)
    except ValueError as error:
        raise ValueError(f"{url!r} {error}") from None


def tls_context(base_url: str) -> ssl.SSLContext | bool:
    """Certificate checks for `base_url`: the system's defaults for https. A plain http
    URL (loopback only, see `check_base_url`) never makes a TLS connection, since
    redirects are not followed, so it skips loading the CA bundle (about 50 ms of every
    command's start) and gets a context that trusts nothing: it fails closed."""
    if base_url.lower().startswith("https:"):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class _Worker:
    """A daemon thread that runs one request's blocking calls in order, each awaited on
    the event loop (or not awaited at all: `then`). A daemon, so that a command
    interrupted while a request hangs exits at once instead of waiting out its timeout."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._jobs: queue.SimpleQueue[tuple[asyncio.Future[Any] | None, Callable[[], Any]] | None]
        self._jobs = queue.SimpleQueue()
        threading.Thread(target=self._work, name="timesheet-http", daemon=True).start()

    async def call(self, job: Callable[[], T]) -> T:
        future: asyncio.Future[T] = self._loop.create_future()
        self._jobs.put((future, job))
        return await future

    def then(self, job: Callable[[], object]) -> None:
        """Run `job` after the calls already asked for, nobody waiting for it."""
        self._jobs.put((None, job))

    def stop(self) -> None:
        """End the thread once the jobs already asked for are done."""
        self._jobs.put(None)

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            future, job = item
            try:
                result, error = job(), None
            except BaseException as exc:  # handed to the awaiting task, raised there
                result, error = None, exc
            if future is not None:
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    self._loop.call_soon_threadsafe(_settle, future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _ThreadedStream(httpx.AsyncByteStream):
    """A blocking response's raw body, chunk by chunk from its worker thread."""

    def __init__(self, worker: _Worker, response: httpx.Response) -> None:
        self._worker = worker
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._response.iter_raw()
        while (chunk := await self._worker.call(lambda: next(chunks, None))) is not None:
            yield chunk

    async def aclose(self) -> None:
        self._worker.then(self._response.close)
        self._worker.stop()


class ThreadedTransport(httpx.AsyncBaseTransport):
    """An async transport over httpx's blocking `Client`, each request in a thread of its
    own (see `HttpClient.send_from_threads`). Requests still run concurrently (the
    threads wait on sockets, not on each other) and their errors are httpx's own."""

    def __init__(self, *, verify: ssl.SSLContext | bool, limits: httpx.Limits) -> None:
        self._client = httpx.Client(verify=verify, limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        worker = _Worker()
        sent: list[httpx.Response] = []

        def send() -> httpx.Response:
            sent.append(self._client.send(request, stream=True))
            return sent[0]

        def let_go() -> None:
            for response in sent:
                response.close()

        try:
            response = await worker.call(send)
        except BaseException:  # given up on (cancelled) or failed: an answer is let go
            worker.then(let_go)
            worker.stop()
            raise
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ThreadedStream(worker, response),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed request is tried again: how often, and how long to wait between."""

    attempts: int = 4
    """Tries in all, the first included."""
    base_delay: float = 0.5
    """Backoff before the second try; doubles for each further one."""
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    """A longer `Retry-After` is not waited out: the call fails as rate limited."""

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with jitter, so that concurrent clients spread out."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


class RateLimiter:
    """Sliding windows, e.g. Productive's 100 requests per 10 s and 4,000 per 30 min.

    The server counts a request when it arrives, and the client cannot see that moment:
    permission may be granted while the request still waits for a pooled connection. So a
    request holds its slot from permission until its answer arrives, and counts as made at
    that last moment, the latest the server can have seen it. Then no window on the server's
    clock holds more than the limit, however long a request waited or took.
    """

    def __init__(
        self,
        limits: Sequence[tuple[int, float]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = list(limits)
        self.clock = clock
        self.sleep = sleep
        self._answered: collections.deque[float] = collections.deque()
        """When each answered request got its answer, oldest first."""
        self._in_flight = 0
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()
        self.waited = 0.0
        """Seconds spent waiting for the limit, for benchmarks and tests."""

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for room in every window, then hold it until the body is in."""
        await self._acquire()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._answered.append(self.clock())
            self._released.set()

    def _wait_for_room(self, now: float) -> float | None:
        """Seconds until a new request fits every window; None: only an answer frees it."""
        longest = max(period for _, period in self.limits)
        while self._answered and self._answered[0] <= now - longest:
            self._answered.popleft()
        wait = 0.0
        for count, period in self.limits:
            in_window = [t for t in self._answered if t > now - period]
            excess = self._in_flight + len(in_window) - count + 1
            if excess <= 0:
                continue
            if excess > len(in_window):
                return None
            wait = max(wait, in_window[excess - 1] + period - now)
        return wait

    async def _acquire(self) -> None:
        async with self._lock:  # first come, first served
            while True:
                now = self.clock()
                wait = self._wait_for_room(now)
                if wait is not None and wait <= 0:
                    self._in_flight += 1
                    return
                if wait is None:
                    self._released.clear()
                    await self._released.wait()
                    continue
                self.waited += wait
                await self.sleep(wait)


class HttpClient:
    """An `httpx.AsyncClient` with the rules above; one per backend."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        headers: dict[str, str],
        secrets: Sequence[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(),
        rate_limiter: RateLimiter | None = None,
        problem_parser: ProblemParser | None = None,
        max_connections: int = 10,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if transport is None:  # an in-process transport has no wire to protect
            base_url = check_base_url(base_url)
        self.service = service
        self.retry = retry
        self.rate_limiter = rate_limiter
        self.problem_parser = problem_parser
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._secrets = [s for s in secrets if s]
        self.requests_sent = 0
        """Requests that went out (retries included), for tests and benchmarks."""
        self._in_process = transport is not None
        self._threaded = False
        self._verify = tls_context(base_url)
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": USER_AGENT, **headers},
            transport=transport,
            verify=self._verify,
            timeout=timeout,
            limits=self._limits,
        )

    def __repr__(self) -> str:
        return f"HttpClient(service={self.service!r}, base_url={str(self._client.base_url)!r})"

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    async def aclose(self) -> None:
        await self._client.aclose()

    def send_from_threads(self) -> None:
        """From now on, send through httpx's blocking client, each request in a thread of
        its own (`ThreadedTransport`): the same pool limits, TLS checks, proxies from the
        environment, timeouts and errors, without the anyio machinery that httpx's async
        transport loads for its first connection (about 18 ms of `status`). For a
        short-lived command (the CLI), before its first request; a client over an
        in-process transport keeps it."""
        if self._in_process or self._threaded:
            return
        self._threaded = True
        old = self._client  # never connected: nothing to close
        self._client = httpx.AsyncClient(
            base_url=old.base_url,
            headers=old.headers,
            transport=ThreadedTransport(verify=self._verify, limits=self._limits),
            timeout=old.timeout,
        )

    # ---------------------------------------------------------------------- calls

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = False,
        about: str | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise a typed `ApiError`.
        `idempotent`: a write that may be resent after a lost answer (the same result
        however often it lands). `about`: what the request does to one thing, as a refusal
        says it ("to reject entry 12"); the server's refusal (403, 404, 422, another 4xx)
        then names that thing and its own reason instead of the route."""
        method = method.upper()
        resendable = idempotent or method in READS
        content = None
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts
            started = time.perf_counter()
            try:
                self.requests_sent += 1
                response = await self._send(method, path, params, content, headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                # Nothing reached the server: safe to retry whatever the method.
                failure: ApiError = NetworkError(self._network_sentence(error))
                delay = self.retry.backoff(attempt, self.rng)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
                if not resendable:
                    raise OutcomeUnknownError(
                        self.redact(
                            f"{self.service} did not answer {method} {path} after it was sent "
                            f"({self._network_reason(error)}); it may or may not have been applied."
                        )
                    ) from None
                failure = NetworkError(self._network_sentence(error))
                delay = self.retry.backoff(attempt, self.rng)
            else:
                elapsed = (time.perf_counter() - started) * 1000
                log.debug(
                    self.redact(
                        f"{method} {response.url} -> {response.status_code} in {elapsed:.0f} ms"
                    )
                )
                status = response.status_code
                if 300 <= status < 400:
                    raise self._redirected(response)
                if status < 400:
                    return response
                if status in (429, 503):
                    failure = self._error(response)
                    retry_after = self._retry_after(response)
                    if retry_after is not None and retry_after > self.retry.max_retry_after:
                        raise failure
                    delay = (
                        retry_after
                        if retry_after is not None
                        else self.retry.backoff(attempt, self.rng)
                    )
                elif status in (502, 504):
                    if not resendable:
                        raise OutcomeUnknownError(
                            self.redact(
                                f"{self.service} answered {status} to {method} {path} after it was "
                                "sent; it may or may not have been applied."
                            ),
                            status=status,
                        )
                    failure = self._error(response)
                    delay = self.retry.backoff(attempt, self.rng)
                else:
                    raise self._error(response, about)
            if last:
                raise failure
            log.info(self.redact(f"retrying {method} {path} in {delay:.2f} s: {failure}"))
            await self.sleep(delay)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        content: bytes | None,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        """One request on the wire, inside the rate limit's slot when there is one; its body
        is read up to `MAX_BODY_BYTES` (decompressed bytes, so a small gzip bomb counts
        at its full size)."""
        request = self._client.build_request(
            method, path, params=params, content=content, headers=headers
        )
        async with self.rate_limiter.slot() if self.rate_limiter else contextlib.nullcontext():
            response = await self._client.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise BadResponseError(
                            self.redact(
                                f"{self.service} answered {method} {request.url.path} with more "
                                f"than {MAX_BODY_BYTES // (1024 * 1024)} MB; the answer was "
                                "not read."
                            ),
                            status=response.status_code,
                        )
            finally:
                await response.aclose()
        # The body is decoded already: a copy without the encoding headers holds it.
        headers_kept = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers_kept,
            content=bytes(body),
            request=request,
            extensions=response.extensions,
        )

    def check_page_count(self, pages: int, path: str) -> int:
        """A listing's page count, refused past `MAX_PAGES` in one sentence."""
        if pages > MAX_PAGES:
            raise BadResponseError(
                self.redact(
                    f"{self.service}'s listing {path} runs to {pages:,} pages, more than the "
                    f"{MAX_PAGES:,} this app reads; narrow the dates or the people."
                )
            )
        return pages

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON body of a 2xx answer (None for an empty one)."""
        response = await self.request(method, path, **kwargs)
        if not response.content:
            return None
        return self.decode(response)

    def decode(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except RecursionError:  # nesting deeper than the decoder's stack
            raise self._too_deep(response) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._not_json(response) from None

    def validate(self, response: httpx.Response, model: type[M]) -> M:
        """The body validated straight from its bytes into `model`, in one pass of
        pydantic's JSON parser (no dicts and lists in between: a listing page costs a
        fifth of `json.loads` plus validating the result). A body that is not JSON is
        `decode`'s sentence; a document of the wrong shape raises pydantic's
        `ValidationError`, for the caller to word."""
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            first = error.errors()[0]
            if first["type"] != "json_invalid":
                raise
            if "recursion limit" in str(first["msg"]):
                raise self._too_deep(response) from None
            raise self._not_json(response) from None

    def _too_deep(self, response: httpx.Response) -> BadResponseError:
        return BadResponseError(
            self.redact(
                f"{self.service} answered {response.request.method} {response.request.url.path}"
                " with JSON nested too deep to read."
            ),
            status=response.status_code,
        )

    def _not_json(self, response: httpx.Response) -> BadResponseError:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return BadResponseError(
            self.redact(
                f"{self.service} answered {response.request.method} {response.request.url.path}"
                f" with something that is not JSON ({kind}, HTTP {response.status_code})."
            ),
            status=response.status_code,
        )

    # -------------------------------------------------------------------- helpers

    @staticmethod
    def _network_reason(error: Exception) -> str:
        if isinstance(error, httpx.TimeoutException):
            return "timed out"
        # The socket's words without their errno: "[Errno 111] Connection refused".
        return _ERRNO.sub("", str(error)) or type(error).__name__

    def _network_sentence(self, error: Exception) -> str:
        # Mid-sentence, "The local ledger" reads "the local ledger"; a name stays as it is.
        name = "t" + self.service[1:] if self.service.startswith("The ") else self.service
        return self.redact(f"Could not reach {name} ({self._network_reason(error)}).")

    def _retry_after(self, response: httpx.Response) -> float | None:
        raw = response.headers.get("retry-after")
        if raw is None:
            return None
        raw = raw.strip()
        if raw.isdigit():
            return float(raw)
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())

    def _server_message(self, response: httpx.Response) -> tuple[str | None, Any]:
        """The server's own words (JSON:API `errors[0].detail` or Laravel `message`)."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return None, None
        if isinstance(body, dict):
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                text = first.get("detail") or first.get("title")
                if isinstance(text, str):
                    return text, body
            if isinstance(body.get("message"), str):
                return body["message"], body
        return None, body

    def _redirected(self, response: httpx.Response) -> ApiError:
        """Redirects are not followed (a token must not travel to another host)."""
        target = response.headers.get("location") or "another address"
        return BadResponseError(
            self.redact(
                f"{self.service} {response.request.method} {response.request.url.path} was "
                f"redirected to {target} (HTTP {response.status_code}); check base_url."
            ),
            status=response.status_code,
        )

    def _error(self, response: httpx.Response, about: str | None = None) -> ApiError:
        """One sentence per status. A refusal of a request `about` one thing names the
        thing and the server's reason (the route would say nothing more to a person); a
        5xx, or a request about no one thing, keeps the route: there it is the detail."""
        status = response.status_code
        said, body = self._server_message(response)
        what = f"{response.request.method} {response.request.url.path}"
        suffix = f": {said.rstrip('.')}." if said else "."
        problems = [
            ItemProblem(p.index, self.redact(p.message), p.field)
            for p in (
                self.problem_parser(body)
                if status in (404, 422) and self.problem_parser and body
                else []
            )
        ]

        def sentence(text: str) -> str:
            return self.redact(text)

        if status == 401:
            return AuthError(
                sentence(f"{self.service} refused the token (401); check the profile's token."),
                status=status,
            )
        # The largest bulk size is undocumented; besides a 413, a refusal that blames no
        # item and says "too many" asks for smaller chunks too.
        blames_an_item = any(p.index is not None for p in problems)
        too_large = status == 413 or (
            status in (400, 422) and not blames_an_item and bool(said and TOO_MANY.search(said))
        )
        # About one thing, a refusal names it and the server's reason, not the route.
        refused = None
        if about is not None and 400 <= status < 500 and status != 429 and not too_large:
            meaning = {403: "403, no permission", 404: "404, not found"}.get(status, str(status))
            refused = sentence(
                f"{self.service} refused {about}: {said.rstrip('.')}."
                if said
                else f"{self.service} refused {about} ({meaning})."
            )
        if status == 403:
            return ForbiddenError(
                refused or sentence(f"{self.service} refused {what} (403, no permission){suffix}"),
                status=status,
            )
        if status == 404:
            return NotFoundError(
                refused
                or sentence(f"{self.service} has no {response.request.url.path} (404){suffix}"),
                status=status,
                problems=problems,
            )
        if too_large:
            return PayloadTooLargeError(
                sentence(f"{self.service} refused {what} as too large ({status}){suffix}"),
                status=status,
            )
        if status == 422:
            return InvalidEntriesError(
                refused or sentence(f"{self.service} refused {what} (422){suffix}"), problems
            )
        if status == 429:
            return RateLimitedError(
                sentence(f"{self.service} is rate limiting requests (429); try again in a minute."),
                status=status,
            )
        if status >= 500:
            return ServerError(
                sentence(f"{self.service} failed on {what} ({status}){suffix}"), status=status
            )
        return RequestRejectedError(
            refused or sentence(f"{self.service} refused {what} ({status}){suffix}"), status=status
        )
