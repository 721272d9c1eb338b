"""The local ledger as a backend: the Productive adapter over the in-process ledger app.

One code path for the demo, the tests and real use: the same adapter that talks to
api.productive.io talks to the ledger through `httpx.ASGITransport`, with no port and no
client-side rate limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from tui.api.productive import ProductiveAdapter
from tui.ledger.db import LedgerDB

if TYPE_CHECKING:
    from tui.ledger.demo_fill import DemoFill


class LedgerBackend(ProductiveAdapter):
    """Owns its `LedgerDB` and closes it with the adapter."""

    name = "ledger"
    ledger: LedgerDB
    filling: DemoFill | None = None

    @classmethod
    def open(cls, db: LedgerDB, *, filling: DemoFill | None = None, **kwargs: Any) -> LedgerBackend:
        """`filling`: the ledger's rows are still being written by another process; the
        first request waits for them, and closing the backend first stops the writing."""
        if filling is not None:
            from tui.ledger.app import create_app

            kwargs["transport"] = _AfterFilling(
                httpx.ASGITransport(app=create_app(db)), wait=filling.wait
            )
        backend = cls.for_ledger(db, **kwargs)
        backend.ledger, backend.filling = db, filling
        return backend

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            if self.filling is not None:
                self.filling.cancel()
            self.ledger.close()


class _AfterFilling(httpx.AsyncBaseTransport):
    """The in-process ledger's transport, whose first request waits (off the event loop)
    until the ledger is filled; every later one goes straight through."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, wait: Callable[[], None]) -> None:
        self._inner = inner
        self._wait: Callable[[], None] | None = wait
        self._waiting: asyncio.Future[None] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._wait is not None:
            if self._waiting is None:  # the first request starts the one wait
                self._waiting = asyncio.ensure_future(asyncio.to_thread(self._wait))
            await asyncio.shield(self._waiting)
            self._wait = None
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
