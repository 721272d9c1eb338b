"""The save planner: the staged set in the fewest calls, safely.

- A new row deleted again never reaches the server (the overlay already dropped it).
- Conflicts first: the server copies of the rows to update or delete are re-read (a
  listing of their range when that is cheaper than one read each); a row whose
  `updated_at` moved since it was loaded is not overwritten: it becomes a conflict with
  both versions, for the user to choose.
- Then deletes, updates and creates, each in chunks of `bulk_chunk_size`: Σ⌈n_kind/chunk⌉
  write requests on a bulk backend. Per-item results: successes leave the overlay and the
  journal; failures stay staged with the server's sentence on the row.
- A create whose answer was lost (`Outcome.unknown`) is never resent blindly: the range
  is re-read and matched by content; only what is really missing is sent again.
- A delete the server refuses is re-read: one the server no longer has is done (its
  answer was lost and the retry found nothing, or someone else deleted it).

The planner works on a `SaveTarget` (the store): it reads the server copies and tells the
target what became of each row; the target keeps its own state (journal, order, listeners).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from tui.api.base import Backend, EntryChange, EntryQuery, Outcome
from tui.api.errors import ApiError, AuthError, ForbiddenError
from tui.models import Entry
from tui.store.changes import SaveReport
from tui.store.records import EntryRecord
from tui.store.staging import Kind, Staged

Progress = Callable[[int, int], None]
MAX_RECONCILE_ROUNDS = 2
T = TypeVar("T")


class SaveTarget(Protocol):
    """What the planner needs of the store, and all it may do to it."""

    @property
    def backend(self) -> Backend: ...

    @property
    def records(self) -> Mapping[str, EntryRecord]:
        """The server copies of the loaded range, by id."""
        ...

    def begin_saving(self, ids: Sequence[str]) -> None:
        """These rows are being sent: they show as saving and refuse edits."""

    def end_saving(self, ids: Sequence[str]) -> None:
        """The save is over; rows of `ids` still saving (interrupted) are no longer."""

    def keep_server_copy(self, record: EntryRecord) -> None:
        """The server's current copy of a row about to be written, found unchanged."""

    def mark_conflict(self, entry_id: str, server: EntryRecord) -> None:
        """The server's copy moved since the change was staged: not written."""

    def mark_failed(self, entry_id: str, message: str) -> None:
        """Not saved: the change stays staged, with the server's sentence on the row."""

    def settle_saved(
        self, kind: Kind, confirmed: Sequence[tuple[str, Entry | None]]
    ) -> dict[str, str]:
        """The server confirmed these changes (with its copy of each entry, for updates
        and creates); returns each created row's temporary id → the server's id."""
        ...


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), max(1, size))]


class SavePlanner:
    def __init__(self, target: SaveTarget, *, chunk_size: int) -> None:
        self.target = target
        self.chunk = chunk_size
        self.done = 0
        self.total = 0
        self.progress: Progress | None = None
        self.pending: set[str] = set()
        """Ids sent or about to be sent with no outcome yet."""
        self.report = SaveReport()

    async def run(
        self, staged: Mapping[str, Staged], progress: Progress | None = None
    ) -> SaveReport:
        """Save the `staged` changes; `progress(done, total)` after each chunk."""
        target = self.target
        self.progress = progress
        self.report = SaveReport()
        staged = dict(staged)
        deletes = [i for i, s in staged.items() if s.kind is Kind.delete]
        updates = [i for i, s in staged.items() if s.kind is Kind.update]
        creates = [i for i, s in staged.items() if s.kind is Kind.create]
        creates = [i for i in creates if self._complete(i, staged[i])]
        ids = [*deletes, *updates, *creates]
        self.total = len(ids)
        if not ids:
            return self.report
        self.pending = set(ids)
        target.begin_saving(ids)
        try:
            deletes, updates = await self._check_conflicts(staged, deletes, updates)
            for chunk in _chunks(deletes, self.chunk):
                await self._send(Kind.delete, chunk, staged)
            for chunk in _chunks(updates, self.chunk):
                await self._send(Kind.update, chunk, staged)
            for chunk in _chunks(creates, self.chunk):
                await self._send(Kind.create, chunk, staged)
        except (AuthError, ForbiddenError) as error:
            for entry_id in ids:
                if entry_id in self.pending:
                    self._fail(entry_id, str(error))
            raise
        finally:
            target.end_saving(ids)
        return self.report

    # ------------------------------------------------------------------ checks

    def _complete(self, entry_id: str, staged: Staged) -> bool:
        """A new row needs a service and some time before it can be sent."""
        values = staged.values
        missing = [
            label
            for name, label in (
                ("service_id", "a service"),
                ("minutes", "a time"),
                ("person_id", "a person"),
            )
            if not values.get(name)
        ]
        if missing:
            self._fail(entry_id, f"This new row needs {' and '.join(missing)}.")
            return False
        return True

    async def _check_conflicts(
        self, staged: Mapping[str, Staged], deletes: list[str], updates: list[str]
    ) -> tuple[list[str], list[str]]:
        ids = deletes + updates
        if not ids:
            return deletes, updates
        current = await self._server_copies(ids)
        clear = set()
        for entry_id in ids:
            server = current.get(entry_id)
            if server is None:
                continue  # gone on the server: the write will say so per item
            base = staged[entry_id].base_updated_at
            moved = (
                server.updated_at != base
                if base is not None
                else any(getattr(server, n) != v for n, v in staged[entry_id].original.items())
            )
            if moved:
                self.pending.discard(entry_id)
                self.target.mark_conflict(entry_id, server)
                self.report.conflicts.append(entry_id)
                self._tick(1)
            else:
                clear.add(entry_id)
                self.target.keep_server_copy(server)
        return (
            [i for i in deletes if i in clear or i not in current],
            [i for i in updates if i in clear or i not in current],
        )

    async def _server_copies(self, ids: Sequence[str]) -> dict[str, EntryRecord]:
        """Fresh server copies: one listing of their range when that is fewer requests
        than reading each (a page holds 200), else reads by id."""
        target = self.target
        records = target.records
        known = [records[i] for i in ids if i in records]
        found: dict[str, EntryRecord] = {}
        wanted = set(ids)
        if known:
            start, end = min(r.date for r in known), max(r.date for r in known)
            people = {r.person_id for r in known if r.person_id}
            in_range = sum(
                1 for r in records.values() if start <= r.date <= end and r.person_id in people
            )
            if in_range / 200 < len(ids):
                batch = await target.backend.list_entries(
                    EntryQuery(start, end, person_ids=tuple(sorted(people)))
                )
                for entry in batch.entries:
                    if entry.id is not None and entry.id in wanted:
                        found[entry.id] = EntryRecord.from_entry(
                            entry, fallback=records.get(entry.id)
                        )
        missing = [i for i in ids if i not in found]
        if missing:
            for result in await target.backend.get_entries(missing):
                if result.ok and result.entry is not None and result.entry.id:
                    found[result.entry.id] = EntryRecord.from_entry(
                        result.entry, fallback=records.get(result.entry.id)
                    )
        return found

    # ----------------------------------------------------------------- writes

    async def _send(self, kind: Kind, chunk: Sequence[str], staged: Mapping[str, Staged]) -> None:
        backend, records = self.target.backend, self.target.records
        self.report.writes += 1
        try:
            if kind is Kind.delete:
                results = await backend.delete_entries(list(chunk))
            elif kind is Kind.update:
                results = await backend.update_entries(
                    [
                        EntryChange(
                            i,
                            dict(staged[i].values),
                            base=records[i].to_entry() if i in records else None,
                        )
                        for i in chunk
                    ]
                )
            else:
                results = await backend.create_entries([self._new_entry(staged[i]) for i in chunk])
        except (AuthError, ForbiddenError):
            raise
        except ApiError as error:
            for entry_id in chunk:
                self._fail(entry_id, str(error))
            if kind is Kind.delete:
                await self._settle_gone(chunk)
            self._tick(len(chunk))
            return
        unknown = []
        self._settle(kind, [(chunk[r.index], r.entry) for r in results if r.outcome is Outcome.ok])
        for result in results:
            entry_id = chunk[result.index]
            if result.outcome is Outcome.ok:
                continue
            if result.outcome is Outcome.unknown:
                unknown.append(entry_id)
            else:
                self._fail(entry_id, result.error or "The server refused this change.")
        if unknown:
            await self._reconcile_creates(unknown, staged)
        if kind is Kind.delete:
            await self._settle_gone(chunk)
        self._tick(len(chunk))

    async def _settle_gone(self, chunk: Sequence[str]) -> None:
        """Failed deletes whose entry is no longer on the server are done; only a listing
        of their range that succeeded counts as proof (a failed read proves nothing)."""
        records = self.target.records
        known = [records[i] for i in chunk if i in self.report.failed and i in records]
        if not known:
            return
        people = tuple(sorted({r.person_id for r in known if r.person_id}))
        try:
            batch = await self.target.backend.list_entries(
                EntryQuery(
                    min(r.date for r in known), max(r.date for r in known), person_ids=people
                )
            )
        except (AuthError, ForbiddenError):
            raise
        except ApiError:
            return
        listed = {entry.id for entry in batch.entries}
        gone = [record.id for record in known if record.id not in listed]
        for entry_id in gone:
            del self.report.failed[entry_id]
        self._settle(Kind.delete, [(entry_id, None) for entry_id in gone])

    def _new_entry(self, staged: Staged) -> Entry:
        values = dict(staged.values)
        return Entry(
            date=values["date"],
            minutes=values["minutes"],
            note=values.get("note", ""),
            person_id=values.get("person_id"),
            service_id=values.get("service_id"),
            task_id=values.get("task_id"),
        )

    async def _reconcile_creates(self, unknown: list[str], staged: Mapping[str, Staged]) -> None:
        """Find which lost creates the server did make; send only the others, once."""
        target = self.target
        for round_ in range(MAX_RECONCILE_ROUNDS):
            # Keyed as the server's entries are: what was sent, read back as a record.
            items = {i: EntryRecord.from_entry(self._new_entry(staged[i])) for i in unknown}
            start = min(r.date for r in items.values())
            end = max(r.date for r in items.values())
            people = tuple(sorted({r.person_id for r in items.values() if r.person_id}))
            batch = await target.backend.list_entries(EntryQuery(start, end, person_ids=people))
            known = set(target.records)
            fresh: dict[tuple[Any, ...], list[Entry]] = {}
            for entry in batch.entries:
                if entry.id and entry.id not in known:
                    key = EntryRecord.from_entry(entry).content_key()
                    fresh.setdefault(key, []).append(entry)
            missing = []
            for entry_id, record in items.items():
                matches = fresh.get(record.content_key())
                if matches:
                    self._settle(Kind.create, [(entry_id, matches.pop(0))])
                else:
                    missing.append(entry_id)
            if not missing:
                return
            if round_ == MAX_RECONCILE_ROUNDS - 1:
                break
            self.report.writes += 1
            try:
                results = await target.backend.create_entries(
                    [self._new_entry(staged[i]) for i in missing]
                )
            except ApiError as error:
                for entry_id in missing:
                    self._fail(entry_id, str(error))
                return
            unknown = []
            for result in results:
                entry_id = missing[result.index]
                if result.outcome is Outcome.ok:
                    self._settle(Kind.create, [(entry_id, result.entry)])
                elif result.outcome is Outcome.unknown:
                    unknown.append(entry_id)
                else:
                    self._fail(entry_id, result.error or "The server refused this entry.")
            if not unknown:
                return
        for entry_id in unknown:
            self._fail(
                entry_id,
                "The server did not confirm this entry; it is kept staged "
                "and will be checked again before it is sent.",
            )

    # ---------------------------------------------------------------- results

    def _settle(self, kind: Kind, settled: Sequence[tuple[str, Entry | None]]) -> None:
        """Hand the confirmed results of one chunk to the target at once (one journal
        write, one pass over the row order: a 100k-row save stays linear)."""
        if not settled:
            return
        self.pending.difference_update(entry_id for entry_id, _ in settled)
        self.report.created_ids.update(self.target.settle_saved(kind, settled))
        self.report.saved += len(settled)

    def _fail(self, entry_id: str, message: str) -> None:
        self.pending.discard(entry_id)
        self.target.mark_failed(entry_id, message)
        self.report.failed[entry_id] = message

    def _tick(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)
