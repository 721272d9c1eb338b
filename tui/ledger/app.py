"""The ledger as one ASGI app: `/api/v2` speaks Productive, `/api/v1` speaks Plannr.

`httpx.ASGITransport` runs no lifespan events, so the factory opens the database itself;
the same app is served on a port by `timesheet serve`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Router
from starlette.types import Receive, Scope, Send

from tui.ledger.db import Clock, LedgerDB, utc_now
from tui.ledger.jsonapi import error_document
from tui.ledger.productive import DEFAULT_MAX_BULK_ITEMS, ProductiveDialect

PRODUCTIVE_PREFIX = "/api/v2"
PLANNR_PREFIX = "/api/v1"


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer in the dialect of the prefix they fell under."""
    assert isinstance(exc, HTTPException)
    headers: dict[str, Any] = dict(exc.headers or {})
    if request.url.path.startswith(PLANNR_PREFIX):
        return JSONResponse({"message": exc.detail}, exc.status_code, headers=headers)
    return error_document(
        exc.status_code,
        [
            {
                "status": str(exc.status_code),
                "title": exc.detail,
                "detail": f"{request.method} {request.url.path}: {exc.detail}.",
            }
        ],
    )


class _PlannrOnFirstRequest:
    """The Plannr dialect's routes, made on its first request: the app's own ledger
    (the demo's, a local profile's) only ever speaks Productive, and its start need not
    wait for a dialect nobody calls."""

    def __init__(self, ledger: LedgerDB) -> None:
        self._ledger = ledger
        self._router: Router | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._router is None:
            from tui.ledger.plannr import PlannrDialect

            self._router = Router(routes=PlannrDialect(self._ledger).routes())
        await self._router(scope, receive, send)


def create_app(
    db: LedgerDB | Path | str,
    *,
    clock: Clock = utc_now,
    max_bulk_items: int = DEFAULT_MAX_BULK_ITEMS,
) -> Starlette:
    """Build the ledger app over `db` (a `LedgerDB` or a path to create/open one)."""
    ledger = db if isinstance(db, LedgerDB) else LedgerDB(db, clock=clock)
    productive = ProductiveDialect(ledger, max_bulk_items=max_bulk_items)
    app = Starlette(
        routes=[
            Mount(PRODUCTIVE_PREFIX, routes=productive.routes()),
            Mount(PLANNR_PREFIX, app=_PlannrOnFirstRequest(ledger)),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.ledger = ledger
    return app
