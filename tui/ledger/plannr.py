"""The ledger's Plannr v1 dialect (`/api/v1`). (Being written.)"""

from __future__ import annotations

from starlette.routing import Route

from tui.ledger.db import LedgerDB


class PlannrDialect:
    def __init__(self, db: LedgerDB) -> None:
        self.db = db

    def routes(self) -> list[Route]:
        return []
