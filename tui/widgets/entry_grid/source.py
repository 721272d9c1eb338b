"""`GridSource`: exactly what the entry grid reads from the store.

The `Store` satisfies it (mypy checks it where the timesheet screen hands the store to
the grid), and so does the tests' 100k-row store (the tests check both with
`isinstance`). The grid never probes for attributes: what it reads is here, typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from tui.api.base import EntryQuery
from tui.store.changes import SyncStatus
from tui.store.present import Lookups
from tui.store.records import Records, Row


class StagedIds(Protocol):
    """The staging overlay, as far as the grid looks: which ids have a staged change."""

    @property
    def staged(self) -> Mapping[str, object]: ...


@runtime_checkable
class GridSource(Lookups, Protocol):
    """Rows in the store's order, the names for their ids (`Lookups`: people, services,
    tasks), and the loading state."""

    @property
    def order(self) -> Sequence[str]:
        """Entry ids in display order (the grid never sorts)."""
        ...

    def index_of(self, entry_id: str) -> int | None:
        """Position of an id in `order`; None when it is not shown."""
        ...

    def row(self, entry_id: str) -> Row:
        """The entry as shown (staged values over the server's) and its state."""
        ...

    def edit_refusal(self, entry_id: str, field: str) -> str | None:
        """Why `field` of the entry cannot be edited now, in one sentence; None when it
        can."""
        ...

    @property
    def records(self) -> Records:
        """The server's copies, with their minutes per day (where the grid's totals
        start from). With `staging`, the fast path of a load: an id without a staged
        change shows its record as it is, without building a `Row`."""
        ...

    @property
    def staging(self) -> StagedIds: ...

    @property
    def query(self) -> EntryQuery | None:
        """The loaded range (the totals count the days inside it)."""
        ...

    @property
    def status(self) -> SyncStatus:
        """Loading or not: an empty grid says `Loading…` rather than "No entries"."""
        ...

    def live_timer_minutes(self) -> tuple[str, int] | None:
        """(entry id, minutes run so far) of the running timer: its row and the totals
        show them on top of the entry's minutes; None when no timer runs."""
        ...
