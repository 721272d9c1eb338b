"""The local ledger as a backend: the Productive adapter over the in-process ledger app.

One code path for the demo, the tests and real use: the same adapter that talks to
api.productive.io talks to the ledger through `httpx.ASGITransport`, with no port and no
client-side rate limit.
"""

from __future__ import annotations

from typing import Any

from tui.api.productive import ProductiveAdapter
from tui.ledger.db import LedgerDB


class LedgerBackend(ProductiveAdapter):
    """Owns its `LedgerDB` and closes it with the adapter."""

    name = "ledger"
    ledger: LedgerDB

    @classmethod
    def open(cls, db: LedgerDB, **kwargs: Any) -> LedgerBackend:
        backend = cls.for_ledger(db, **kwargs)
        backend.ledger = db
        return backend

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            self.ledger.close()
