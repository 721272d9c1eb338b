"""The save planner: the staged set in the fewest calls, safely.

- A new row deleted again never reaches the server (the overlay already dropped it).
- Conflicts first: the server copies of the rows to update or delete are re-read (a
  listing of their range when that is cheaper than one read each); a row whose
  `updated_at` moved since it was loaded is not overwritten: it becomes a conflict with
  both versions, for the user to choose.
- Then deletes, updates and creates, each in chunks of `bulk_chunk_size`: Σ⌈n_kind/chunk⌉
  write requests on a bulk backend. Per-item results: successes leave the overlay and the
  journal; failures stay staged with the server's sentence on the row.
- Every write is marked in the journal before it is sent (`tui.store.unsettled`). One whose
  answer is lost (`Outcome.unknown`) keeps its mark and is never resent blindly: once the
  grace period after the send has passed, a read settles it (a create by its content among
  entries that were not there before the send, whose ids are read first), and only what
  the read proves absent is sent again, in the same save when the grace allows.
- A delete the server refuses is re-read: one the server no longer has is done (its
  answer was lost and the retry found nothing, or someone else deleted it).

The planner works on a `SaveTarget` (the store): it reads the server copies and tells the
target what became of each row; the target keeps its own state (journal, order, listeners).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from tui.api.base import Backend, EntryChange, EntryQuery, Outcome
from tui.api.errors import ApiError, AuthError, ForbiddenError
from tui.models import Entry
from tui.store.changes import SaveReport
from tui.store.records import EntryRecord, content_key_of, missing_for_create, new_entry
from tui.store.staging import Kind, Staged
from tui.store.unsettled import Unsettled

Progress = Callable[[int, int], None]
SEND_ROUNDS = 2
"""A write proven absent after a lost answer is sent once more in the same save."""
T = TypeVar("T")


class SaveTarget(Protocol):
    """What the planner needs of the store, and all it may do to it."""

    @property
    def backend(self) -> Backend: ...

    @property
    def records(self) -> Mapping[str, EntryRecord]:
        """The server copies of the loaded range, by id."""
        ...

    @property
    def unsettled(self) -> Mapping[str, Unsettled]:
        """Writes that may have reached the server, not yet settled by a read, by id."""
        ...

    @property
    def settle_grace(self) -> timedelta:
        """How long after a send a read can tell whether a lost write landed."""
        ...

    def now(self) -> datetime: ...

    def mark_sent(self, marks: Mapping[str, Unsettled]) -> None:
        """These writes are about to be sent: on disk before the first byte leaves."""

    def moved_only_by_own_writes(self, entry_id: str, staged: Staged, server: EntryRecord) -> bool:
        """The server's copy moved since `staged`, but only by the app's own writes, none
        of them to a field that `staged` sets."""
        ...

    def clear_marks(self, ids: Sequence[str]) -> None:
        """A read proved these writes never landed: they may be sent again."""

    def begin_saving(self, ids: Sequence[str]) -> None:
        """These rows are being sent: they show as saving and refuse edits."""

    def end_saving(self, ids: Sequence[str]) -> None:
        """The save is over; rows of `ids` still saving (interrupted) are no longer."""

    def keep_server_copy(self, record: EntryRecord) -> None:
        """The server's current copy of a row about to be written, found unchanged."""

    def mark_conflict(self, entry_id: str, server: EntryRecord | None) -> None:
        """The server's copy moved since the change was staged (None: the server no
        longer has it): not written."""

    def mark_failed(self, entry_id: str, message: str) -> None:
        """Not saved: the change stays staged, with the server's sentence on the row (and
        any mark goes: a refusal means the write was not applied)."""

    def mark_unknown(self, entry_id: str, message: str) -> None:
        """Sent, answer lost: the mark stays and the row waits for a read."""

    def settle_saved(
        self, kind: Kind, confirmed: Sequence[tuple[str, Entry | None]]
    ) -> dict[str, str]:
        """The server confirmed these changes (with its copy of each entry, for updates
        and creates), their marks gone with them; returns each created row's temporary
        id → the server's id."""
        ...

    def settle_approval(self, entry_id: str, server: EntryRecord | None) -> None:
        """A read settled an approve or unapprove: the server's copy (None: gone)."""


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
        """Save the `staged` changes that are not waiting for the server (`settle` first,
        then take the staged set it leaves); `progress(done, total)` after each chunk."""
        target = self.target
        self.progress = progress
        staged = {i: s for i, s in staged.items() if i not in target.unsettled}
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
            await self._send_all(deletes, updates, creates, staged)
            for round_ in range(SEND_ROUNDS):
                absent = await self.settle(ids)
                again = [i for i in absent if i in staged]
                if not again:
                    break
                if round_ == SEND_ROUNDS - 1:
                    for entry_id in again:
                        self._fail(
                            entry_id,
                            "The server did not get this change (its answers were lost); "
                            "save again to send it.",
                        )
                    break
                await self._send_all(
                    [i for i in again if staged[i].kind is Kind.delete],
                    [i for i in again if staged[i].kind is Kind.update],
                    [i for i in again if staged[i].kind is Kind.create],
                    staged,
                    counted=False,
                )
            for entry_id in ids:
                if entry_id in target.unsettled and entry_id not in self.report.unknown:
                    self._unknown(entry_id, "The server's answer was lost; it will be read again.")
        except (AuthError, ForbiddenError) as error:
            for entry_id in ids:
                if entry_id in self.pending and entry_id not in target.unsettled:
                    self._fail(entry_id, str(error))
            raise
        finally:
            target.end_saving(ids)
        return self.report

    async def _send_all(
        self,
        deletes: Sequence[str],
        updates: Sequence[str],
        creates: Sequence[str],
        staged: Mapping[str, Staged],
        *,
        counted: bool = True,
    ) -> None:
        twins = await self._twins(creates, staged) if creates else {}
        for kind, ids in ((Kind.delete, deletes), (Kind.update, updates), (Kind.create, creates)):
            for chunk in _chunks(ids, self.chunk):
                await self._send(kind, chunk, staged, twins)
                if counted:
                    self._tick(len(chunk))

    # ------------------------------------------------------------------ checks

    def _complete(self, entry_id: str, staged: Staged) -> bool:
        """A new row needs a service and some time before it can be sent; one that
        lacks them is never sent, and stays staged, marked with what it needs."""
        missing = missing_for_create(staged.values)
        if missing:
            needs = " and ".join(f"a {label}" for label in missing)
            self._fail(entry_id, f"This new row needs {needs}; it was not sent.")
            self.report.incomplete[entry_id] = missing
            return False
        return True

    async def _check_conflicts(
        self, staged: Mapping[str, Staged], deletes: list[str], updates: list[str]
    ) -> tuple[list[str], list[str]]:
        ids = deletes + updates
        if not ids:
            return deletes, updates
        current, gone = await self._server_copies(ids)
        clear = set()
        for entry_id in ids:
            server = current.get(entry_id)
            if server is None:
                if entry_id in gone and staged[entry_id].kind is Kind.update:
                    self._conflict(entry_id, None)  # deleted there: nothing to update
                    self._tick(1)
                continue  # else the write says per item (a delete of a gone entry is done)
            base = staged[entry_id].base_updated_at
            moved = (
                server.updated_at != base
                if base is not None
                else any(getattr(server, n) != v for n, v in staged[entry_id].original.items())
            )
            if moved and base is not None:
                # A stop or a submit of this app's own moves `updated_at` too: that is no
                # change of someone else's to choose between.
                moved = not self.target.moved_only_by_own_writes(entry_id, staged[entry_id], server)
            if moved:
                self._conflict(entry_id, server)
                self._tick(1)
            else:
                clear.add(entry_id)
                self.target.keep_server_copy(server)
        return (
            [i for i in deletes if i in clear or i not in current],
            [i for i in updates if i in clear or (i not in current and i not in gone)],
        )

    async def _server_copies(self, ids: Sequence[str]) -> tuple[dict[str, EntryRecord], set[str]]:
        """Fresh server copies: one listing of their range when that is fewer requests
        than reading each (a page holds 200), else reads by id; and the ids a read by id
        found missing (the server no longer has them: a listing proves nothing)."""
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
        gone: set[str] = set()
        if missing:
            for result in await target.backend.get_entries(missing):
                if result.ok and result.entry is not None and result.entry.id:
                    found[result.entry.id] = EntryRecord.from_entry(
                        result.entry, fallback=records.get(result.entry.id)
                    )
                elif result.missing:
                    gone.add(missing[result.index])
        return found, gone

    # ----------------------------------------------------------------- writes

    async def _send(
        self,
        kind: Kind,
        chunk: Sequence[str],
        staged: Mapping[str, Staged],
        twins: Mapping[tuple[Any, ...], tuple[str, ...]],
    ) -> None:
        target = self.target
        backend, records = target.backend, target.records
        now = target.now()
        marks = {
            i: Unsettled(
                kind.value,
                now,
                dict(staged[i].values) if kind is not Kind.delete else {},
                twins.get(self._key(staged[i]), ()) if kind is Kind.create else (),
            )
            for i in chunk
        }
        target.mark_sent(marks)
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
            # An answer that refused the whole call: nothing of it was applied.
            for entry_id in chunk:
                self._fail(entry_id, str(error))
            if kind is Kind.delete:
                await self._settle_gone(chunk)
            return
        lost = [chunk[r.index] for r in results if r.outcome is Outcome.unknown]
        if lost:  # the grace runs from now: a retry may have left long after the mark
            given_up = target.now()
            target.mark_sent({i: marks[i].given_up(given_up) for i in lost})
        self._settle(kind, [(chunk[r.index], r.entry) for r in results if r.outcome is Outcome.ok])
        for result in results:
            entry_id = chunk[result.index]
            if result.outcome is Outcome.unknown:
                self._unknown(entry_id, result.error or "The server's answer was lost.")
            elif result.outcome is Outcome.failed:
                self._fail(entry_id, result.error or "The server refused this change.")
        if kind is Kind.delete:
            await self._settle_gone(chunk)

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
        return new_entry(staged.values)

    def _key(self, staged: Staged) -> tuple[Any, ...]:
        """A create's content, keyed as the server's entries are (what is sent, read back)."""
        return content_key_of(staged.values)

    async def _twins(
        self, creates: Sequence[str], staged: Mapping[str, Staged]
    ) -> dict[tuple[Any, ...], tuple[str, ...]]:
        """Entries already on the server with the content of a create about to be sent
        (read first: only an entry that was not among them can be that create later)."""
        keys = {self._key(staged[i]) for i in creates}
        return twins_by_content(await listing_of(self.target.backend, keys), keys)

    # ---------------------------------------------------------------- settling

    async def settle(self, among: Sequence[str] | None = None) -> list[str]:
        """Read the server for every unsettled write whose grace has passed (of `among`,
        when given) and settle it; returns the ids a read proved never landed, whose
        staged change may now be sent again. A failed read settles nothing."""
        target = self.target
        now, grace = target.now(), target.settle_grace
        wanted = set(among) if among is not None else None
        due = {
            i: mark
            for i, mark in target.unsettled.items()
            if mark.due(now, grace) and (wanted is None or i in wanted)
        }
        if not due:
            return []
        absent: list[str] = []
        creates = {i: m for i, m in due.items() if m.kind == Kind.create.value}
        if creates:
            absent += await self._settle_creates(creates)
        by_id = [i for i, m in due.items() if m.kind != Kind.create.value]
        if by_id:
            absent += await self._settle_by_id({i: due[i] for i in by_id})
        return absent

    async def _settle_creates(self, marks: Mapping[str, Unsettled]) -> list[str]:
        sent = {i: content_key_of(m.sent) for i, m in marks.items()}
        try:
            listed = await listing_of(self.target.backend, set(sent.values()))
        except (AuthError, ForbiddenError):
            raise
        except ApiError as error:
            for entry_id in marks:
                self._unknown(entry_id, f"Not settled yet: {error}")
            return []
        found = {
            key: list(ids) for key, ids in twins_by_content(listed, set(sent.values())).items()
        }
        entries = {entry.id: entry for entry in listed if entry.id}
        absent = []
        for entry_id, key in sent.items():
            before = set(marks[entry_id].twins_before)
            candidates = [i for i in found.get(key, []) if i not in before]
            if candidates:
                found[key].remove(candidates[0])  # a twin counts for one create only
                self._settle(Kind.create, [(entry_id, entries[candidates[0]])])
            else:
                absent.append(entry_id)
        self.target.clear_marks(absent)
        return absent

    async def _settle_by_id(self, marks: Mapping[str, Unsettled]) -> list[str]:
        target = self.target
        ids = list(marks)
        try:
            results = await target.backend.get_entries(ids)
        except (AuthError, ForbiddenError):
            raise
        except ApiError as error:
            for entry_id in ids:
                self._unknown(entry_id, f"Not settled yet: {error}")
            return []
        absent: list[str] = []
        for result in results:
            entry_id = ids[result.index]
            mark = marks[entry_id]
            if result.outcome is not Outcome.ok or result.entry is None:
                if result.missing:
                    self._settled_missing(entry_id, mark)
                else:
                    self._unknown(entry_id, f"Not settled yet: {result.error}")
                continue
            server = EntryRecord.from_entry(result.entry, fallback=target.records.get(entry_id))
            if mark.kind in ("approve", "unapprove"):
                target.settle_approval(entry_id, server)
            elif mark.kind == Kind.delete.value:
                absent.append(entry_id)  # still there: the delete never landed
            elif all(getattr(server, name) == value for name, value in mark.sent.items()):
                self._settle(Kind.update, [(entry_id, result.entry)])
            elif entry_id in target.records and (
                server.updated_at == target.records[entry_id].updated_at
            ):
                absent.append(entry_id)  # untouched since it was read: the update never landed
            else:
                self._conflict(entry_id, server)
        target.clear_marks(absent)
        return absent

    def _settled_missing(self, entry_id: str, mark: Unsettled) -> None:
        """The server has no such entry: a lost delete landed; anything else is moot."""
        if mark.kind == Kind.delete.value:
            self._settle(Kind.delete, [(entry_id, None)])
        elif mark.kind in ("approve", "unapprove"):
            self.target.settle_approval(entry_id, None)
        else:  # an update of an entry deleted there meanwhile: the user chooses
            self._conflict(entry_id, None)

    # ---------------------------------------------------------------- results

    def _settle(self, kind: Kind, settled: Sequence[tuple[str, Entry | None]]) -> None:
        """Hand the confirmed results of one chunk to the target at once (one journal
        write, one pass over the row order: a 100k-row save stays linear)."""
        if not settled:
            return
        for entry_id, _ in settled:
            self.pending.discard(entry_id)
            self.report.unknown.pop(entry_id, None)
        self.report.created_ids.update(self.target.settle_saved(kind, settled))
        self.report.saved += len(settled)

    def _conflict(self, entry_id: str, server: EntryRecord | None) -> None:
        self.pending.discard(entry_id)
        self.report.unknown.pop(entry_id, None)
        self.target.mark_conflict(entry_id, server)
        self.report.conflicts.append(entry_id)

    def _fail(self, entry_id: str, message: str) -> None:
        self.pending.discard(entry_id)
        self.report.unknown.pop(entry_id, None)
        self.target.mark_failed(entry_id, message)
        self.report.failed[entry_id] = message

    def _unknown(self, entry_id: str, message: str) -> None:
        self.pending.discard(entry_id)
        self.target.mark_unknown(entry_id, message)
        self.report.unknown[entry_id] = message

    def _tick(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


async def listing_of(backend: Backend, keys: set[tuple[Any, ...]]) -> list[Entry]:
    """The server's entries of these contents' people and dates (`content_key_of`), in one
    listing: where a create's twins, or the create itself, would be."""
    start, end = min(k[0] for k in keys), max(k[0] for k in keys)
    people = tuple(sorted({k[3] for k in keys if k[3]}))
    batch = await backend.list_entries(EntryQuery(start, end, person_ids=people))
    return batch.entries


def twins_by_content(
    entries: Sequence[Entry], keys: set[tuple[Any, ...]]
) -> dict[tuple[Any, ...], tuple[str, ...]]:
    """Ids of the entries whose content is one of `keys`, by content, in listing order."""
    found: dict[tuple[Any, ...], list[str]] = {}
    for entry in entries:
        key = EntryRecord.from_entry(entry).content_key()
        if entry.id and key in keys:
            found.setdefault(key, []).append(entry.id)
    return {key: tuple(ids) for key, ids in found.items()}
