"""A transport that records every request and injects faults in front of the real ledger.

    transport = FaultTransport(httpx.ASGITransport(app=create_app(ledger)))
    transport.inject(Fault.status(429, headers={"Retry-After": "2"}), method="GET")
    transport.inject(Fault.reset_after_send(), method="POST", path="/api/v2/time_entries")

A fault fires once (or `times=n`) on the first matching requests; everything else goes
through to the ledger, so "reset after send" means the server really committed the call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any

    @property
    def items(self) -> int:
        """How many resources the body's `data` list holds (bulk calls)."""
        data = self.body.get("data") if isinstance(self.body, dict) else None
        return len(data) if isinstance(data, list) else 0


@dataclass
class Fault:
    """What to do instead of (or after) forwarding a request."""

    kind: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    error: type[Exception] = httpx.ConnectError

    @classmethod
    def status_code(
        cls,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str = "application/vnd.api+json",
    ) -> Fault:
        raw = (
            content
            if content is not None
            else json.dumps(
                body
                if body is not None
                else {"errors": [{"status": str(status), "title": "Injected"}]}
            ).encode()
        )
        return cls("status", status, {"content-type": content_type, **(headers or {})}, raw)

    @classmethod
    def html_page(cls, status: int = 500) -> Fault:
        page = b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
        return cls.status_code(status, content=page, content_type="text/html")

    @classmethod
    def fail_before_send(cls, error: type[Exception] = httpx.ConnectError) -> Fault:
        """The request never reaches the server (connection refused, DNS, ...)."""
        return cls("before", error=error)

    @classmethod
    def reset_after_send(cls, error: type[Exception] = httpx.RemoteProtocolError) -> Fault:
        """The server gets and applies the request; the answer is lost."""
        return cls("after", error=error)

    @classmethod
    def replace_body(cls, content: bytes, content_type: str = "application/vnd.api+json") -> Fault:
        """The server applies the request; the client gets `content` instead of its answer."""
        return cls("replace", headers={"content-type": content_type}, content=content)


@dataclass
class _Rule:
    fault: Fault
    method: str | None
    path: str | None
    match: Callable[[httpx.Request], bool] | None
    times: int


class FaultTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[Recorded] = []
        self._rules: list[_Rule] = []

    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        match: Callable[[httpx.Request], bool] | None = None,
        times: int = 1,
    ) -> None:
        self._rules.append(_Rule(fault, method, path, match, times))

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    def _take(self, request: httpx.Request) -> Fault | None:
        for rule in self._rules:
            if rule.times <= 0:
                continue
            if rule.method and rule.method != request.method:
                continue
            if rule.path and rule.path != request.url.path:
                continue
            if rule.match and not rule.match(request):
                continue
            rule.times -= 1
            return rule.fault
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = await request.aread()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.url.params),
                dict(request.headers),
                body,
            )
        )
        fault = self._take(request)
        if fault is None:
            return await self.inner.handle_async_request(request)
        if fault.kind == "before":
            raise fault.error("injected: never sent", request=request)
        if fault.kind == "status":
            return httpx.Response(
                fault.status, headers=fault.headers, content=fault.content, request=request
            )
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if fault.kind == "after":
            raise fault.error(
                "injected: connection reset after the server answered", request=request
            )
        return httpx.Response(
            response.status_code, headers=fault.headers, content=fault.content, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class InFlight(httpx.AsyncBaseTransport):
    """Counts requests in flight at once (the most seen is `peak`); each is held `hold`
    seconds (0: one turn of the loop, so every task that may start, starts)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, hold: float = 0.0) -> None:
        self.inner = inner
        self.hold = hold
        self.now = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(self.hold)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


class LatePages(httpx.AsyncBaseTransport):
    """Holds each listing page `late[number]` seconds before it answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, late: dict[int, float]) -> None:
        self.inner = inner
        self.late = late

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.late.get(int(request.url.params.get("page[number]", "1")), 0))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
