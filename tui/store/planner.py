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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tui.api.base import EntryChange, EntryQuery, ItemResult, Outcome
from tui.api.errors import ApiError, AuthError, ForbiddenError
from tui.models import Entry
from tui.store.records import FIELDS, EntryRecord
from tui.store.staging import Kind, Staged

if TYPE_CHECKING:
    from tui.store.store import SaveReport, Store

Progress = Callable[[int, int], None]
MAX_RECONCILE_ROUNDS = 2


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), max(1, size))]


class SavePlanner:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.chunk = store.settings.bulk_chunk_size
        self.done = 0
        self.total = 0
        self.progress: Progress | None = None

    async def run(self, progress: Progress | None = None) -> SaveReport:
        from tui.store.store import SaveReport, StoreChange

        store = self.store
        self.progress = progress
        self.report = SaveReport()
        staged = dict(store.staging.staged)
        deletes = [i for i, s in staged.items() if s.kind is Kind.delete]
        updates = [i for i, s in staged.items() if s.kind is Kind.update]
        creates = [i for i, s in staged.items() if s.kind is Kind.create]
        creates = [i for i in creates if self._complete(i, staged[i])]
        ids = [*deletes, *updates, *creates]
        self.total = len(ids)
        if not ids:
            return self.report
        store.saving.update(ids)
        store.status.saving, store.status.save_done, store.status.save_total = True, 0, self.total
        store.emit(StoreChange(ids=frozenset(ids), fields=frozenset({"state"}), status=True))
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
                if entry_id in store.saving:
                    self._fail(entry_id, str(error))
            raise
        finally:
            left = [i for i in ids if i in store.saving]
            store.saving.difference_update(ids)
            store.status.saving = False
            store.emit(StoreChange(ids=frozenset(left), fields=frozenset({"state"}), status=True))
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
            self.report.failed[entry_id] = f"This new row needs {' and '.join(missing)}."
            self.store.failures[entry_id] = self.report.failed[entry_id]
            return False
        return True

    async def _check_conflicts(
        self, staged: dict[str, Staged], deletes: list[str], updates: list[str]
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
                self.store.conflicts[entry_id] = server
                self.report.conflicts.append(entry_id)
                self.store.saving.discard(entry_id)
                self._tick(1)
            else:
                clear.add(entry_id)
                self.store.records[entry_id] = server
        return (
            [i for i in deletes if i in clear or i not in current],
            [i for i in updates if i in clear or i not in current],
        )

    async def _server_copies(self, ids: Sequence[str]) -> dict[str, EntryRecord]:
        """Fresh server copies: one listing of their range when that is fewer requests
        than reading each (a page holds 200), else reads by id."""
        store = self.store
        known = [store.records[i] for i in ids if i in store.records]
        found: dict[str, EntryRecord] = {}
        wanted = set(ids)
        if known:
            start, end = min(r.date for r in known), max(r.date for r in known)
            people = {r.person_id for r in known if r.person_id}
            in_range = sum(
                1
                for r in store.records.values()
                if start <= r.date <= end and r.person_id in people
            )
            if in_range / 200 < len(ids):
                batch = await store.backend.list_entries(
                    EntryQuery(start, end, person_ids=tuple(sorted(people)))
                )
                for entry in batch.entries:
                    if entry.id in wanted:
                        found[entry.id] = EntryRecord.from_entry(
                            entry, fallback=store.records.get(entry.id)
                        )
        missing = [i for i in ids if i not in found]
        if missing:
            for result in await store.backend.get_entries(missing):
                if result.ok and result.entry is not None and result.entry.id:
                    found[result.entry.id] = EntryRecord.from_entry(
                        result.entry, fallback=store.records.get(result.entry.id)
                    )
        return found

    # ----------------------------------------------------------------- writes

    async def _send(self, kind: Kind, chunk: Sequence[str], staged: dict[str, Staged]) -> None:
        store = self.store
        self.report.writes += 1
        try:
            if kind is Kind.delete:
                results = await store.backend.delete_entries(list(chunk))
            elif kind is Kind.update:
                results = await store.backend.update_entries(
                    [
                        EntryChange(
                            i,
                            dict(staged[i].values),
                            base=store.records[i].to_entry() if i in store.records else None,
                        )
                        for i in chunk
                    ]
                )
            else:
                results = await store.backend.create_entries(
                    [self._new_entry(staged[i]) for i in chunk]
                )
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
        self._settle_many(kind, [(chunk[r.index], r) for r in results if r.outcome is Outcome.ok])
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
        store = self.store
        known = [store.records[i] for i in chunk if i in self.report.failed and i in store.records]
        if not known:
            return
        people = tuple(sorted({r.person_id for r in known if r.person_id}))
        try:
            batch = await store.backend.list_entries(
                EntryQuery(
                    min(r.date for r in known), max(r.date for r in known), person_ids=people
                )
            )
        except (AuthError, ForbiddenError):
            raise
        except ApiError:
            return
        listed = {entry.id for entry in batch.entries}
        for record in known:
            if record.id not in listed:
                del self.report.failed[record.id]
                self._settle(Kind.delete, record.id, ItemResult(0, Outcome.ok, id=record.id))

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

    async def _reconcile_creates(self, unknown: list[str], staged: dict[str, Staged]) -> None:
        """Find which lost creates the server did make; send only the others, once."""
        store = self.store
        for round_ in range(MAX_RECONCILE_ROUNDS):
            items = {
                i: EntryRecord(id=i, **{n: staged[i].values.get(n) for n in FIELDS})
                for i in unknown
            }
            start = min(r.date for r in items.values())
            end = max(r.date for r in items.values())
            people = tuple(sorted({r.person_id for r in items.values() if r.person_id}))
            batch = await store.backend.list_entries(EntryQuery(start, end, person_ids=people))
            known = set(store.records)
            fresh: dict[tuple[Any, ...], list[Entry]] = {}
            for entry in batch.entries:
                if entry.id and entry.id not in known:
                    key = EntryRecord.from_entry(entry).content_key()
                    fresh.setdefault(key, []).append(entry)
            missing = []
            for entry_id, record in items.items():
                matches = fresh.get(record.content_key())
                if matches:
                    entry = matches.pop(0)
                    self._settle(
                        Kind.create, entry_id, ItemResult(0, Outcome.ok, entry=entry, id=entry.id)
                    )
                else:
                    missing.append(entry_id)
            if not missing:
                return
            if round_ == MAX_RECONCILE_ROUNDS - 1:
                break
            self.report.writes += 1
            try:
                results = await store.backend.create_entries(
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
                    self._settle(Kind.create, entry_id, result)
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

    def _settle(self, kind: Kind, entry_id: str, result: ItemResult) -> None:
        self._settle_many(kind, [(entry_id, result)])

    def _settle_many(self, kind: Kind, settled: Sequence[tuple[str, ItemResult]]) -> None:
        """Apply confirmed results of one chunk at once: one journal write, one pass over
        the row order, the row index updated in place (a 100k-row save stays linear)."""
        from tui.store.store import StoreChange

        if not settled:
            return
        store = self.store
        ids = [entry_id for entry_id, _ in settled]
        for entry_id in ids:
            store.saving.discard(entry_id)
            store.failures.pop(entry_id, None)
        if store.journal is not None:
            store.journal.write(dict.fromkeys(ids))
        store.staging.settle(ids)
        self.report.saved += len(ids)
        if kind is Kind.delete:
            gone = set(ids)
            for entry_id in ids:
                store.records.pop(entry_id, None)
            store.order = [i for i in store.order if i not in gone]
            store._index = None
            store.emit(StoreChange(removed=tuple(ids), status=True))
            return
        if kind is Kind.update:
            for entry_id, result in settled:
                assert result.entry is not None
                store.records[entry_id] = EntryRecord.from_entry(
                    result.entry, fallback=store.records.get(entry_id)
                )
            store.emit(
                StoreChange(ids=frozenset(ids), fields=frozenset({*FIELDS, "state"}), status=True)
            )
            return
        added = []
        for entry_id, result in settled:
            assert result.entry is not None
            record = EntryRecord.from_entry(result.entry)
            self.report.created_ids[entry_id] = record.id
            store.records[record.id] = record
            added.append(record.id)
            position = store.index_of(entry_id)
            if position is not None and store._index is not None:
                store.order[position] = record.id
                store._index[record.id] = store._index.pop(entry_id)
        store.emit(StoreChange(added=tuple(added), removed=tuple(ids), status=True))

    def _fail(self, entry_id: str, message: str) -> None:
        self.store.saving.discard(entry_id)
        self.store.failures[entry_id] = message
        self.report.failed[entry_id] = message

    def _tick(self, count: int) -> None:
        self.done += count
        self.store.status.save_done = min(self.done, self.total)
        if self.progress is not None:
            self.progress(self.store.status.save_done, self.total)
