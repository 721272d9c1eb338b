"""The reactive store: one source of truth for every screen and CLI command.

It holds the server's entries of the loaded range as compact records, the lookups, the
running timer, and the staged changes over them. Listeners (plain callables; the app
bridges them to Textual messages) are told which ids and fields changed, so a view
redraws only those rows. Every staging action is journaled before it is acknowledged.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import operator
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from tui.api.base import (
    Backend,
    Capabilities,
    EntryBatch,
    EntryChange,
    EntryQuery,
    ItemResult,
    Outcome,
)
from tui.api.errors import (
    ApiError,
    AuthError,
    InvalidEntriesError,
    NetworkError,
    NotFoundError,
    ServerError,
)
from tui.models import Entry, EntryStatus, Person, Service, Task, Timer
from tui.store.cache import Cache, CachedRange
from tui.store.changes import (
    ApprovalResult,
    DiffItem,
    Listener,
    Problem,
    ProblemKind,
    SaveReport,
    StopResult,
    StoreChange,
    SyncStatus,
)
from tui.store.collector import LoadCollector
from tui.store.conflicts import keep_mine_refusal
from tui.store.journal import Journal
from tui.store.planner import SavePlanner
from tui.store.present import plural, service_name, task_title, timer_blocks_approval
from tui.store.records import FIELDS, EntryRecord, Records, Row, RowState, missing_for_create
from tui.store.staging import Action, HistoryStep, Kind, Staged, Staging
from tui.store.timers import (
    TimerStarts,
    held_sentence,
    ignored_sentence,
    ignored_start,
    is_short,
    minutes_before,
    stopped_minutes,
)
from tui.store.unsettled import WAITING, Unsettled, waiting_sentence
from tui.store.values import ValueProblem, check_minutes, parse_date, parse_minutes, round_minutes
from tui.store.workweek import WorkWeek

log = logging.getLogger("tui.store")
V = TypeVar("V")

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
INDEX_SPAN = 256
"""Rows per span of the index of an unsorted order (`Store._index`)."""
SETTLE_ROUNDS = 3
"""How often a command that must finish (a CLI command) waits out the grace and reads."""
NEW_PREFIX = "new-"


# Errors that mean "the service is out of reach", as opposed to "it said no".
UNREACHABLE = (NetworkError, ServerError)


def utc_now() -> datetime:
    return datetime.now(UTC)


class StagingError(Exception):
    """A staging action was refused; nothing changed. `str()` is one sentence."""


@dataclass(frozen=True)
class StoreSettings:
    """The `[ui]` settings the store works by, and whose entries new rows are."""

    rounding_minutes: int = 0
    forgotten_timer_hours: float = 10.0
    bulk_chunk_size: int = 100
    person_id: str | None = None
    """Whose entries new rows belong to; default: the backend's current person."""
    settle_grace_seconds: float = 60.0
    """How long after sending a write whose answer was lost the server is read to settle
    it (twice the request timeout by default: a slow server may still apply it)."""
    work_week: WorkWeek = field(default_factory=WorkWeek)
    """The day target (`[ui] workday_minutes` on `[ui] work_days`)."""


class Store:
    def __init__(
        self,
        backend: Backend,
        journal: Journal | None = None,
        *,
        settings: StoreSettings = StoreSettings(),
        clock: Clock = utc_now,
        cache: Cache | None = None,
        sleep: Sleep = asyncio.sleep,
        timer_starts: TimerStarts | None = None,
    ) -> None:
        self.backend = backend
        self.timer_starts = timer_starts or TimerStarts()
        """Starts a server ignored (`start_timer(started_at=...)`), by timer id."""
        self.timer_notice: str | None = None
        """Said once, after a start whose time the server ignored; the caller shows it."""
        self.journal = journal
        self.cache = cache
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.capabilities: Capabilities = backend.capabilities
        self._records = Records()
        self.order: list[str] = []
        self.people: dict[str, Person] = {}
        self.services: dict[str, Service] = {}
        self.tasks: dict[str, Task] = {}
        self.me: Person | None = None
        self.timer: Timer | None = None
        self.query: EntryQuery | None = None
        self.status = SyncStatus()
        self.staging = Staging()
        self.saving: set[str] = set()
        self.failures: dict[str, str] = {}
        self.conflicts: dict[str, EntryRecord | None] = {}
        """Staged changes the server's copy moved under: id → that copy (None: deleted)."""
        self.unsettled: dict[str, Unsettled] = {}
        """Writes that may have reached the server, waiting for a read (journaled)."""
        self._listeners: list[Listener] = []
        self._sorted = True
        """`order` is by `_sort_date` (as `_rebuild_order` leaves it): `index_of` bisects.
        Else (while pages stream in, in arrival order) `_index` answers."""
        self._index: dict[str, tuple[int, int]] | None = None
        """id → the span of `order` holding it, while `order` is not sorted (None: made
        again when asked). A span (a page, or a slice of `INDEX_SPAN`) is one tuple for
        all its rows: no int object per row (at 100k, 3 MB that, freed, stayed in the
        heap as holes between the records' ints)."""
        self._offscreen: dict[str, EntryRecord] = {}
        """Server copies of staged entries outside the loaded range."""
        self.restored_count = 0
        """Staged changes the journal brought back at start (the app says so)."""
        self._own_stamps: dict[str, dict[str | None, str | None]] = {}
        """Entry id → {an `updated_at` that this app's own write made (a stop, a submit):
        the one before it}. A staged change is then no conflict with the app itself."""
        self.set_aside_journal: Path | None = None
        """A journal of another server's changes, renamed here unapplied (the app says so)."""
        if journal is not None:
            self.staging.restore(journal.load(), *journal.load_history())
            self.restored_count = len(self.staging)
            staged = self.staging.staged
            self.failures = {i: m for i, m in journal.load_failures().items() if i in staged}
            # A run that ended (killed, say) may have put these on the wire until its last
            # moment, which is unknown but before now: their grace runs from now.
            opened = clock()
            self.unsettled = {i: m.given_up(opened) for i, m in journal.load_unsettled().items()}

    # --------------------------------------------------------------- listeners

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, change: StoreChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a broken view must not break the store
                log.exception("store listener failed")

    # ------------------------------------------------------------------- reads

    @property
    def person_id(self) -> str | None:
        return self.settings.person_id or (self.me.id if self.me else None)

    def today(self) -> date:
        return self.clock().astimezone().date()

    @property
    def records(self) -> Records:
        """The server's copies of the loaded range, by id (with their minutes per day)."""
        return self._records

    @records.setter
    def records(self, records: Mapping[str, EntryRecord]) -> None:
        self._records = Records(records.values())

    def index_of(self, entry_id: str) -> int | None:
        """Row position of an id: by bisection over the sorted order (no index: 63 bytes
        an entry at 100k), the rows of its date searched for it; while pages stream in
        (unsorted), from an index rebuilt lazily after the order changes."""
        if not self._sorted:
            return self._indexed(entry_id)
        position = self._find(entry_id, self._sort_date(entry_id))
        if position is not None or not self._shown(entry_id):
            return position
        # A row that should be in the order, not where its date puts it: a change moved
        # it without telling (a bug). Answer right all the same, from an index.
        try:
            position = self.order.index(entry_id)
        except ValueError:
            return None
        log.warning("row %s out of date order: indexing the rows", entry_id)
        self._sorted, self._index = False, None
        return position

    def _indexed(self, entry_id: str) -> int | None:
        """`index_of` from the index of an unsorted order (made now if there is none)."""
        order = self.order
        if self._index is None:
            self._index = index = {}
            for start in range(0, len(order), INDEX_SPAN):
                end = min(start + INDEX_SPAN, len(order))
                index.update(dict.fromkeys(order[start:end], (start, end)))
        span = self._index.get(entry_id)
        if span is None:
            return None
        with contextlib.suppress(ValueError):
            return order.index(entry_id, *span)
        log.warning("row %s not where the index says: indexing the rows", entry_id)
        self._index = None
        return self._indexed(entry_id)

    def _find(
        self, entry_id: str, day: date, placed: Mapping[str, date] | None = None
    ) -> int | None:
        """Position of an id among the rows of the sorted order placed by `day`; rows in
        `placed` are where those dates placed them (their staged dates just changed).

        A server row is looked for first by its whole key (date, then id, as
        `_rebuild_order` sorts them): about 17 steps at 100k. Where rows of its date are
        not in id order (a saved new row keeps its place after them), every row of that
        date is searched."""
        order = self.order
        staged_get, records_get = self.staging.staged.get, self._records.get
        moved = self._records.placed

        def sort_date(row_id: str) -> date:
            if placed:
                day = placed.get(row_id)
                if day is not None:
                    return day
            staged = staged_get(row_id)
            if staged is not None and staged.kind is Kind.create:
                return _new_date(staged)
            record = records_get(row_id)
            if record is None:
                return date.min
            return moved.get(row_id, record.date) if moved else record.date

        if not placed and records_get(entry_id) is not None:

            def row_key(row_id: str) -> tuple[date, int, int, str]:
                staged = staged_get(row_id)
                if staged is None or staged.kind is not Kind.create:
                    record = records_get(row_id)
                    if record is not None:
                        day = moved.get(row_id, record.date) if moved else record.date
                        return (day, 0, len(row_id), row_id)
                return (sort_date(row_id), 1, 0, "")

            at = bisect.bisect_left(order, (day, 0, len(entry_id), entry_id), key=row_key)
            if at < len(order) and order[at] == entry_id:
                return at
        first = bisect.bisect_left(order, day, key=sort_date)
        end = bisect.bisect_right(order, day, lo=first, key=sort_date)
        try:
            return order.index(entry_id, first, end)
        except ValueError:
            return None

    def _sort_date(self, entry_id: str) -> date:
        """The date a row is placed by in `order`: a new row's staged date, else its
        server copy's date when it took its place (`Records.placed`), else date.min."""
        staged = self.staging.staged.get(entry_id)
        if staged is not None and staged.kind is Kind.create:
            return _new_date(staged)
        records = self._records
        record = records.get(entry_id)
        if record is None:
            return date.min
        placed = records.placed
        return placed.get(entry_id, record.date) if placed else record.date

    def _shown(self, entry_id: str) -> bool:
        """Whether `order` should hold this id: a server row, or a new row dated in the
        range (as `_rebuild_order` makes it)."""
        if entry_id in self._records:
            return True
        staged = self.staging.staged.get(entry_id)
        if staged is None or staged.kind is not Kind.create:
            return False
        day, query = _new_date(staged), self.query
        return query is None or day == date.min or query.covers(day)

    def row(self, entry_id: str) -> Row:
        staged = self.staging.get(entry_id)
        base = self.records.get(entry_id)
        if staged is not None and staged.kind is Kind.create:
            record = EntryRecord(id=entry_id, **_complete(staged.values))
            state = RowState.new
            original: dict[str, Any] = {}
        else:
            if base is None:
                base = self._placeholder(entry_id, staged)
            record = base.with_values(dict(staged.values)) if staged else base
            original = dict(staged.original) if staged else {}
            state = (
                RowState.clean
                if staged is None
                else RowState.deleted
                if staged.kind is Kind.delete
                else RowState.changed
            )
        error = self.failures.get(entry_id)
        if entry_id in self.unsettled:
            state, error = RowState.unconfirmed, WAITING
        elif entry_id in self.conflicts:
            state = RowState.conflict
        elif entry_id in self.saving:
            state = RowState.saving
        elif error is not None:
            state = RowState.failed
        deleting = staged is not None and staged.kind is Kind.delete
        return Row(record, state, original, error, self.conflicts.get(entry_id), deleting)

    def _placeholder(self, entry_id: str, staged: Staged | None) -> EntryRecord:
        """A staged change restored from the journal for an entry outside the loaded
        range: show it from what the journal knows."""
        known = self._offscreen.get(entry_id)
        if known is not None:
            return known
        values = {**(dict(staged.original) if staged else {})}
        return EntryRecord(id=entry_id, **_complete(values))

    def rows(self) -> list[Row]:
        return [self.row(entry_id) for entry_id in self.order]

    @property
    def staged_count(self) -> int:
        return len(self.staging)

    # ----------------------------------------------------------------- loading

    async def open(self) -> None:
        """Who am I, the lookups and the timer; the entries come with `load`. With the
        service unreachable, the cached lookups stand in (and `status.error` says so)."""
        try:
            self.me = await self.backend.current_person()
            # The timer asks the server alongside the lookups: one round trip, not four.
            await _all_of(self.refresh_lookups(), self._refresh_timer_if_any())
        except (*UNREACHABLE, AuthError) as error:
            self._note_problem(error)
            cached = self.cache.load_lookups() if self.cache else None
            if cached is None:
                self.emit(StoreChange(status=True))
                raise
            self.me = cached.me
            self.people, self.services, self.tasks = cached.people, cached.services, cached.tasks
            self.status.error = (
                f"Offline: {error}" if isinstance(error, UNREACHABLE) else str(error)
            )
            self.emit(StoreChange(lookups=True, status=True))
            return
        if self.cache is not None:
            self.cache.save_lookups(self.me, self.people, self.services, self.tasks)

    async def _refresh_timer_if_any(self) -> None:
        """The running timer, where the backend has timers; offline, the panel keeps
        what it showed (the lookups say the store is offline)."""
        if self.capabilities.timers:
            with contextlib.suppress(*UNREACHABLE):
                await self.refresh_timer()

    def _note_problem(self, error: ApiError) -> None:
        """Signed out or offline: kept in `status.problem` until a load succeeds."""
        kind = ProblemKind.auth if isinstance(error, AuthError) else ProblemKind.offline
        self.status.problem = Problem(kind, str(error), error.status)

    async def refresh_lookups(self) -> None:
        """The people, services and tasks, asked for at once."""
        people, services, tasks = await _all_of(
            self.backend.people(), self.backend.services(), self.backend.tasks()
        )
        self._take_people(people)
        self.services = {s.id: s for s in services}
        self.tasks = {t.id: t for t in tasks}
        self.emit(StoreChange(lookups=True))

    async def refresh_people(self) -> dict[str, Person]:
        """Only the people (a command naming whose entries it shows needs no more)."""
        await self._fetch_people()
        self.emit(StoreChange(lookups=True))
        return self.people

    async def _fetch_people(self) -> None:
        self._take_people(await self.backend.people())

    def _take_people(self, people: Iterable[Person]) -> None:
        self.people = {p.id: p for p in people}
        if self.me is not None:
            self.people.setdefault(self.me.id, self.me)

    async def my_person_id(self) -> str:
        """`person_id`, asking the backend whose token this is when nobody has yet."""
        if self.person_id is not None:
            return self.person_id
        self.me = await self.backend.current_person()
        return self.me.id

    async def load(self, query: EntryQuery) -> None:
        """Show `query`'s entries: the cached copy at once if there is one, then the
        server's, streaming pages in (or, over a cached copy, replacing what changed)."""
        self.query = query
        # A staged change outside the new range keeps its server copy, so the save review
        # can still say what it changes (and of which entry).
        staged = self.staging.staged
        self._offscreen = {
            i: r for i, r in {**self._offscreen, **self.records}.items() if i in staged
        }
        cached = self.cache.load_range(query) if self.cache else None
        self.status.loading, self.status.loaded, self.status.total = True, 0, None
        self.status.error = None
        self.status.cached_at = cached.fetched_at if cached else None
        self.records = {r.id: r for r in cached.records} if cached else {}
        self.order = []
        self._rebuild_order()
        self.emit(StoreChange(reset=True, status=True))
        fresh: dict[str, EntryRecord] = {}
        collector = LoadCollector()
        try:
            await self._load_from_server(query, cached, fresh, collector)
        finally:
            collector.close()

    async def _load_from_server(
        self,
        query: EntryQuery,
        cached: CachedRange | None,
        fresh: dict[str, EntryRecord],
        collector: LoadCollector,
    ) -> None:
        """`load`'s pages from the server into `fresh` (and, over no cached copy, into the
        order as they come), then the rows settled and the range cached."""
        try:
            async for batch in self.backend.iter_entries(query):
                self._take_batch(batch, fresh, stream=cached is None)
                collector.page_taken()
        except (*UNREACHABLE, AuthError) as error:
            self.status.loading = False
            self._note_problem(error)
            if cached is None:
                self.status.error = str(error)
                self.emit(StoreChange(status=True))
                raise
            offline = isinstance(error, UNREACHABLE)
            self.status.error = (
                f"{'Offline: ' if offline else ''}{error} Showing the copy cached earlier."
            )
            self.emit(StoreChange(status=True))
            return
        except ApiError as error:
            self.status.loading = False
            self.status.error = str(error)
            self.emit(StoreChange(status=True))
            raise
        self.status.loading = False
        self.status.cached_at = None
        self.status.problem = None
        if cached is None:
            with collector.settling():
                await self._settle_streamed_order()
            self.emit(StoreChange(reset=True, status=True))
        else:
            self._replace_range(fresh)
        if self.cache is not None:
            self.cache.save_range(query, list(self.records.values()), self.clock())

    def _replace_range(self, fresh: dict[str, EntryRecord]) -> None:
        """Over a cached copy: change only the rows the server changed."""
        gone = [i for i in self.records if i not in fresh and i not in self.staging.staged]
        for entry_id in gone:
            del self.records[entry_id]
        changed = [r for i, r in fresh.items() if self.records.get(i) != r]
        added = [r.id for r in changed if r.id not in self.records]
        self.records.update((r.id, r) for r in changed)
        if added or gone:
            self._rebuild_order()
        self.emit(
            StoreChange(
                ids=frozenset(r.id for r in changed) - set(added),
                fields=frozenset(FIELDS),
                added=tuple(added),
                removed=tuple(gone),
                status=True,
            )
        )

    def _take_batch(
        self, batch: EntryBatch, fresh: dict[str, EntryRecord], *, stream: bool
    ) -> None:
        """Take one page; when `stream`, show its rows at once (at the end, in arrival
        order; the order is settled when the last page is in)."""
        # Every page names its people and services again: only a new or changed one is
        # news (a `lookups` change redraws every row and the timer panel).
        lookups = _take_new(self.people, batch.people)
        lookups = _take_new(self.services, batch.services) or lookups
        lookups = _take_new(self.tasks, batch.tasks) or lookups
        added = []
        for entry in batch.entries:
            if entry.id is None:
                continue
            record = EntryRecord.from_entry(entry)
            if stream and record.id not in self.records:
                added.append(record.id)
                self.records[record.id] = record
            fresh[record.id] = record
        if added:
            if self._sorted and not self._still_sorted(added):
                self._sorted, self._index = False, None
            # Appended at the end: no row moved, so the index grows by the page (a rebuild
            # per page would grow with pages × rows).
            index = self._index
            if index is not None:
                start = len(self.order)
                index.update(dict.fromkeys(added, (start, start + len(added))))
            self.order.extend(added)
        self.status.loaded = len(fresh)
        self.status.total = batch.total
        self.emit(StoreChange(added=tuple(added), status=True, lookups=lookups))

    def _still_sorted(self, added: list[str]) -> bool:
        """Whether `order` stays sorted with these server rows appended."""
        records = self._records
        days = [records[i].date for i in added]
        if self.order and self._sort_date(self.order[-1]) > days[0]:
            return False
        return all(a <= b for a, b in itertools.pairwise(days))

    def _rebuild_order(self) -> None:
        """Server rows by date then id, and the new rows dated in the range (a new row of
        another week shows with that week, not in every one) after the server rows of
        their date, in the order they were staged."""
        keys = [_row_key(r) for r in self.records.values()]
        keys.extend(self._new_row_keys())
        keys.sort()
        self.order = [key[-1] for key in keys]
        self._sorted, self._index = True, None
        self._records.placed.clear()

    def _new_row_keys(self) -> list[tuple[date, int, int, str]]:
        """The sort keys of the new rows dated in the range, in the order staged."""
        keys = []
        query = self.query
        for n, (entry_id, staged) in enumerate(self.staging.staged.items()):
            if staged.kind is not Kind.create or entry_id in self.records:
                continue
            day = _new_date(staged)
            if query is None or day == date.min or query.covers(day):
                keys.append((day, 1, n, entry_id))
        return keys

    async def _settle_streamed_order(self) -> None:
        """`_rebuild_order` at the end of a streamed load, a slice at a time, so that a
        key pressed meanwhile is answered: at a million entries the keys and the sort
        held the loop for over a second. If anything was staged or loaded in between,
        the order is rebuilt at once instead. A load of one slice or less (a week) is
        settled at once, with no pause."""
        if len(self.records) <= SETTLE_SLICE:
            self._rebuild_order()
            return
        staged, count = dict(self.staging.staged), len(self.records)
        if await self._streamed_in_order():
            # The pages came in the server's order, which is the grid's: nothing to sort.
            if dict(self.staging.staged) != staged or len(self.records) != count:
                self._rebuild_order()
                return
            self._sorted, self._index = True, None
            self._records.placed.clear()
            return
        records = list(self.records.values())
        keys: list[tuple[date, int, int, str]] = []
        for start in range(0, len(records), SETTLE_SLICE):
            keys.extend(_row_key(r) for r in records[start : start + SETTLE_SLICE])
            await asyncio.sleep(SETTLE_PAUSE)
        keys.extend(self._new_row_keys())
        keys.sort()
        order = [key[-1] for key in keys]
        await asyncio.sleep(SETTLE_PAUSE)
        if dict(self.staging.staged) != staged or len(self.records) != count:
            self._rebuild_order()
            return
        self.order, self._sorted, self._index = order, True, None
        self._records.placed.clear()

    async def _streamed_in_order(self) -> bool:
        """Whether `order` is already by `_row_key` (server rows only), checked a slice
        at a time: a listing hands its pages on in the server's order, by date then id."""
        order, records = self.order, self.records
        if len(order) != len(records):  # a row the stream did not put in the order
            return False
        last: tuple[date, int, int, str] | None = None
        for start in range(0, len(order), SETTLE_SLICE):
            ids = order[start : start + SETTLE_SLICE]
            if any(i not in records for i in ids):  # a new row: it sorts by its staged date
                return False
            keys = [_row_key(records[i]) for i in ids]
            if last is not None and keys and not last < keys[0]:
                return False
            if not all(map(operator.lt, keys, keys[1:])):
                return False
            last = keys[-1] if keys else last
            await asyncio.sleep(SETTLE_PAUSE)
        return True

    def _date_of(self, entry_id: str) -> date:
        """The date a row sorts by: a new row's staged date, else the server's."""
        staged = self.staging.get(entry_id)
        if staged is not None and staged.kind is Kind.create:
            return _new_date(staged)
        record = self.records.get(entry_id)
        return record.date if record is not None else date.min

    def _place(self, entry_id: str) -> bool:
        """Put a new row in the order after the rows of its date (the order is by date);
        False when that moved other rows (an index is then rebuilt lazily)."""
        key = self._sort_date if self._sorted else self._date_of
        position = bisect.bisect_right(self.order, key(entry_id), key=key)
        self.order.insert(position, entry_id)
        appended = position == len(self.order) - 1
        if self._sorted:
            return appended
        if appended and self._index is not None:
            self._index[entry_id] = (position, position + 1)  # appended: no row moved
            return True
        self._index = None
        return False

    def replace_records(self, records: Iterable[EntryRecord]) -> set[str]:
        """Take fresher server copies; returns the ids whose copy really changed."""
        changed = set()
        for record in records:
            if self.records.get(record.id) != record:
                changed.add(record.id)
                self.records[record.id] = record
        if changed:
            self.emit(StoreChange(ids=frozenset(changed), fields=frozenset(FIELDS)))
        return changed

    # ---------------------------------------------------------------- staging

    def _commit(self, label: str, after: Mapping[str, Staged | None]) -> Action | None:
        """Journal first, then apply and tell: a change is acknowledged once on disk."""
        action = self.staging.plan(label, after)
        if action is None:
            return None
        if self.journal is not None:
            try:
                self.journal.write(after, history=HistoryStep(push=action))
            except Exception as error:  # disk full, permissions: refuse, change nothing
                raise StagingError(
                    f"Could not write the journal ({error}); nothing was staged."
                ) from error
        self.staging.push(action)
        for entry_id in after:
            self.failures.pop(entry_id, None)
        self._announce(action)
        return action

    def _announce(self, action: Action | None) -> None:
        if action is None:
            return
        # The order holds the server's rows (all in `records`) and the staged new rows,
        # so a row that was not staged before and is no server row is not in it: no scan
        # of the whole order (4 ms at 100k entries) for each new row.
        added = tuple(
            i
            for i, (old, new) in action.changes.items()
            if old is None
            and new is not None
            and new.kind is Kind.create
            and (i not in self.records or i not in self.order)
        )
        removed = tuple(
            i
            for i, (old, new) in action.changes.items()
            if new is None and old is not None and old.kind is Kind.create
        )
        if removed:
            gone = set(removed)
            self.order = [i for i in self.order if i not in gone]
            self._index = None
        # New rows whose date changed move to their date's place: first out of the
        # order, found where their old dates placed them (the staging holds the new).
        moving = {
            entry_id: _new_date(old)
            for entry_id, (old, new) in action.changes.items()
            if old is not None
            and new is not None
            and old.kind is new.kind is Kind.create
            and _new_date(old) != _new_date(new)
        }
        found = [
            self._find(i, day, moving) if self._sorted else self.index_of(i)
            for i, day in moving.items()
        ]
        for at in sorted((p for p in found if p is not None), reverse=True):
            del self.order[at]
            self._index = None
        moved = False
        for entry_id, position in zip(moving, found, strict=True):
            if position is not None:
                self._place(entry_id)
                moved = True
        for entry_id in added:
            moved = not self._place(entry_id) or moved
        fields: set[str] = {"state"}
        for old, new in action.changes.values():
            for staged in (old, new):
                if staged is not None:
                    fields.update(staged.values)
        self.emit(
            StoreChange(
                ids=frozenset(action.changes),
                fields=frozenset(fields),
                added=added,
                removed=removed,
                status=True,
                reset=moved,  # rows moved: redraw them all (the views follow by id)
            )
        )

    def edit_refusal(self, entry_id: str, field: str) -> str | None:
        """Why `field` of the entry cannot be edited now (locked, staged for deletion,
        being saved, its time the running timer's), in one sentence; None when it can:
        the grid asks before it opens an editor."""
        try:
            self._editable(entry_id, (field,))
        except StagingError as refused:
            return str(refused)
        return None

    def _editable(
        self, entry_id: str, fields: Iterable[str] = ()
    ) -> tuple[EntryRecord | None, Staged | None]:
        """The entry's server copy and staged change, if `fields` of it may be staged;
        else `StagingError` with why not."""
        staged = self.staging.get(entry_id)
        base = self.records.get(entry_id)
        if staged is None and base is None:
            raise StagingError(f"There is no entry {entry_id} in the loaded range.")
        if entry_id in self.saving:
            raise StagingError(f"Entry {entry_id} is being saved; wait for the save to end.")
        if entry_id in self.unsettled:
            raise StagingError(waiting_sentence(entry_id))
        if staged is not None and staged.kind is Kind.delete:
            raise StagingError(f"Entry {entry_id} is staged for deletion; undo that first.")
        if base is not None and base.locked and (staged is None or staged.kind is not Kind.create):
            raise StagingError(_locked_sentence(base))
        if "minutes" in fields and self._timer_runs_on(entry_id):
            raise StagingError(
                f"A timer is running on entry {entry_id}; stop it first (s, or S at an "
                "earlier time), then set its time."
            )
        return base, staged

    def check_value(self, name: str, value: Any) -> Any:
        """The value as stored, or `StagingError` with one sentence."""
        try:
            if name == "minutes":
                if isinstance(value, str):
                    return parse_minutes(value)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueProblem("Time must be a whole number of minutes.")
                return check_minutes(value)
            if name == "date":
                if isinstance(value, str):
                    # A weekday's name means that day of the week on screen.
                    query = self.query
                    shown = query.start if query and (query.end - query.start).days < 7 else None
                    return parse_date(value, today=self.today(), week=shown)
                if not isinstance(value, date):
                    raise ValueProblem("Date must be a date.")
                return value
            if name == "note":
                if not isinstance(value, str):
                    raise ValueProblem("A note must be text.")
                return value
            if name == "service_id":
                if value not in self.services:
                    raise ValueProblem(f"There is no service {value!r}; pick one from the list.")
                return value
            if name == "task_id":
                if value in (None, ""):
                    return None
                if self.tasks and value not in self.tasks:
                    raise ValueProblem(f"There is no task {value!r}.")
                return value
            if name == "person_id":
                if self.people and value not in self.people:
                    raise ValueProblem(f"There is no person {value!r}.")
                return value
        except ValueProblem as problem:
            raise StagingError(str(problem)) from None
        raise StagingError(f"{name} cannot be edited.")

    def stage_edit(self, entry_id: str, name: str, value: Any) -> None:
        """Stage a new value for one field; editing back to the server's value unstages."""
        self.stage_edits({entry_id: {name: value}}, label=f"edit {name}")

    def stage_edits(self, edits: Mapping[str, Mapping[str, Any]], *, label: str = "edit") -> None:
        """Several fields of several entries as ONE undoable action; all or nothing."""
        after: dict[str, Staged | None] = {}
        for entry_id, values in edits.items():
            base, staged = self._editable(entry_id, values)
            checked = {name: self.check_value(name, value) for name, value in values.items()}
            if "task_id" in checked or "service_id" in checked:
                checked = self._task_with_its_service(self.row(entry_id).record, checked)
            if staged is not None and staged.kind is Kind.create:
                after[entry_id] = Staged(Kind.create, {**staged.values, **checked})
                continue
            assert base is not None or staged is not None
            new_values = dict(staged.values) if staged else {}
            original = dict(staged.original) if staged else {}
            for name, value in checked.items():
                server_value = original.get(name, getattr(base, name) if base else None)
                if value == server_value:
                    new_values.pop(name, None)
                    original.pop(name, None)
                else:
                    new_values[name] = value
                    original[name] = server_value
            after[entry_id] = (
                Staged(
                    Kind.update,
                    new_values,
                    original,
                    staged.base_updated_at if staged else (base.updated_at if base else None),
                )
                if new_values
                else None
            )
        self._commit(label, after)

    def _task_with_its_service(
        self, record: EntryRecord, checked: Mapping[str, Any]
    ) -> dict[str, Any]:
        """`checked` (an edit of `record`), with a task and a service that agree: a task
        of another service brings that service along (the task list names it), and a new
        service drops a task that is not its own. Both given and apart: `StagingError`."""
        values = dict(checked)
        service_id = values.get("service_id", record.service_id)
        if values.get("task_id"):
            task = self.tasks.get(values["task_id"])
            owner = task.service_id if task is not None else None
            if owner is None or owner == service_id or owner not in self.services:
                return values
            if "service_id" in values:
                raise StagingError(
                    f"Task {task_title(self.tasks, values['task_id'])!r} belongs to "
                    f"{service_name(self.services, owner)}, not "
                    f"{service_name(self.services, service_id)}; pick a task of that service."
                )
            values["service_id"] = owner
        elif "service_id" in values and record.task_id:
            task = self.tasks.get(record.task_id)
            if task is not None and task.service_id not in (None, service_id):
                values["task_id"] = None
        return values

    def stage_new(
        self, values: Mapping[str, Any] | None = None, *, after: str | None = None
    ) -> str:
        """A new row (values checked as given; missing ones are filled in or left for
        the user). It takes the date of the row `after` (the one the user is on) unless
        given one, else today's (or the range's first), and goes after the rows of its
        date. Returns its temporary id."""
        checked = {name: self.check_value(name, value) for name, value in (values or {}).items()}
        day = self._default_date(after)
        if "date" not in checked and after is not None:
            self.refuse_on_submitted_day(day, checked.get("person_id", self.person_id))
        defaults: dict[str, Any] = {
            "date": day,
            "minutes": 0,
            "note": "",
            "person_id": self.person_id,
            "service_id": None,
            "task_id": None,
        }
        new_id = f"{NEW_PREFIX}{uuid.uuid4().hex[:12]}"
        self._commit("new entry", {new_id: Staged(Kind.create, {**defaults, **checked})})
        return new_id

    def known_submitted(self, day: date, person_id: str | None) -> bool:
        """Whether the server's copies the store holds show the person's `day` submitted:
        one of that person's entries of the day is. A rejected one does not count (it
        may have been moved off the day whose timesheet it keeps), nor does a staged
        date (not the server's yet). A day the store holds none of (not loaded, or
        empty) is not known: the server judges it at the save."""
        records = self._records
        candidates: Iterable[str] = records
        if self._sorted:  # only the rows placed on the day, and copies moved since placed
            order, sort_date = self.order, self._sort_date
            first = bisect.bisect_left(order, day, key=sort_date)
            end = bisect.bisect_right(order, day, lo=first, key=sort_date)
            candidates = [*order[first:end], *records.placed]
        for entry_id in candidates:
            record = records.get(entry_id)
            if (
                record is not None
                and record.date == day
                and record.submitted
                and not record.rejected
                and record.person_id == person_id
            ):
                return True
        return False

    def refuse_on_submitted_day(self, day: date, person_id: str | None) -> None:
        """A new entry of a day the store knows is submitted (`known_submitted`) is
        refused now, not at the save: the server refuses to add to such a day (its
        timesheet holds all of the person's entries of that day). Said for a new row
        (`n`) and a timer (`t`), which makes a new entry of its start's day."""
        if self.known_submitted(day, person_id):
            raise StagingError(
                f"{day:%a %d %b} is submitted; unsubmit the week (palette: Unsubmit) "
                "to add an entry to it."
            )

    def _default_date(self, beside: str | None = None) -> date:
        if beside is not None and self.index_of(beside) is not None:
            day = self.row(beside).record.date
            if day != date.min:
                return day
        today = self.today()
        if self.query is None or self.query.covers(today):
            return today
        return self.query.start

    def stage_delete(self, ids: Sequence[str]) -> int:
        """Stage deletion of rows (a new row simply goes); one undo brings all back."""
        after: dict[str, Staged | None] = {}
        locked = []
        for entry_id in ids:
            staged = self.staging.get(entry_id)
            base = self.records.get(entry_id)
            if entry_id in self.saving:
                raise StagingError(f"Entry {entry_id} is being saved; wait for the save to end.")
            if entry_id in self.unsettled:
                raise StagingError(waiting_sentence(entry_id))
            if staged is not None and staged.kind is Kind.create:
                after[entry_id] = None
            elif staged is not None and staged.kind is Kind.delete:
                continue
            elif base is not None and base.locked:
                locked.append(entry_id)
            elif base is not None or staged is not None:
                after[entry_id] = Staged(
                    Kind.delete,
                    dict(staged.values) if staged else {},
                    dict(staged.original) if staged else {},
                    staged.base_updated_at if staged else (base.updated_at if base else None),
                )
        if locked:
            raise StagingError(
                f"{len(locked)} of the {len(ids)} entries are approved, invoiced or "
                "submitted; unapprove or unsubmit them first (nothing was staged)."
                if len(ids) > 1
                else _locked_sentence(self.records[locked[0]])
            )
        count = len(after)
        self._commit(f"delete {plural(count, 'row')}", after)
        return count

    def undo(self) -> str | None:
        return self._replay(self.staging.undo, before=True)

    def redo(self) -> str | None:
        return self._replay(self.staging.redo, before=False)

    def _replay(self, step: Callable[[], Action | None], *, before: bool) -> str | None:
        action = self.staging.peek(undo=before)
        if action is None:
            return None
        states = {i: (old if before else new) for i, (old, new) in action.changes.items()}
        if any(i in self.saving for i in states):
            raise StagingError("Those rows are being saved; undo once the save ends.")
        waiting = next((i for i in states if i in self.unsettled), None)
        if waiting is not None:
            raise StagingError(waiting_sentence(waiting))
        if self.journal is not None:
            self.journal.write(states, history=HistoryStep(move=(action.key, not before)))
        done = step()
        if done is not None:
            for entry_id in states:
                self.failures.pop(entry_id, None)
            reverse = Action(
                done.label,
                {
                    i: ((new, old) if before else (old, new))
                    for i, (old, new) in done.changes.items()
                },
            )
            self._announce(reverse)
        return done.label if done else None

    def diff(self) -> list[DiffItem]:
        items = []
        for entry_id, staged in self.staging.staged.items():
            row = self.row(entry_id)
            missing: tuple[str, ...] = ()
            if staged.kind is Kind.create:
                changes = {name: (None, value) for name, value in staged.values.items()}
                missing = missing_for_create(staged.values)
            elif staged.kind is Kind.update:
                changes = {
                    name: (staged.original.get(name), value)
                    for name, value in staged.values.items()
                }
            else:
                changes = {}
            items.append(DiffItem(entry_id, staged.kind, row.record, changes, missing))
        return items

    def resolve_conflict(self, entry_id: str, *, keep: str) -> None:
        """`keep="mine"`: stage my values again over the server's current copy (refused
        with one sentence where that cannot succeed: `conflicts.keep_mine_refusal`);
        `keep="server"`: drop my change (and the row, when the server deleted it)."""
        if entry_id not in self.conflicts:
            return
        staged = self.staging.get(entry_id)
        if staged is None:
            self.conflicts.pop(entry_id)
            return
        if keep == "mine":
            refusal = keep_mine_refusal(self.row(entry_id))
            if refusal is not None:
                raise StagingError(f"Yours cannot be kept: {refusal}.")
        server = self.conflicts.pop(entry_id)
        if server is None:
            self._commit("keep server's version", {entry_id: None})
            shown = self.index_of(entry_id) is not None
            self.records.pop(entry_id, None)
            self._offscreen.pop(entry_id, None)
            if shown:
                self.order.remove(entry_id)
                self._index = None
                self.emit(StoreChange(removed=(entry_id,), status=True))
            return
        self.records[entry_id] = server
        if keep == "server":
            self._commit("keep server's version", {entry_id: None})
            return
        original = {name: getattr(server, name) for name in staged.values}
        values = {n: v for n, v in staged.values.items() if original[n] != v}
        rebased = (
            Staged(staged.kind, values, original, server.updated_at)
            if values or staged.kind is Kind.delete
            else None
        )
        self._commit("keep my version", {entry_id: rebased})

    # -------------------------------------------------------------------- save

    async def save(self, progress: Callable[[int, int], None] | None = None) -> SaveReport:
        timer_entry = self.timer.entry_id if self.timer is not None else None
        timer_staged = self.staging.get(timer_entry) if timer_entry else None

        def saved_so_far(done: int, total: int) -> None:
            self.status.save_done = done
            if progress is not None:
                progress(done, total)

        planner = SavePlanner(self, chunk_size=self.settings.bulk_chunk_size)
        await planner.settle()  # lost writes first: what they settle is no longer staged
        report = await planner.run(dict(self.staging.staged), saved_so_far)
        problem = self.status.problem
        if problem is not None and problem.kind is ProblemKind.offline:
            self.status.problem = None  # the save went through: the server is back
            self.emit(StoreChange(status=True))
        if (
            timer_staged is not None
            and timer_staged.kind is Kind.delete
            and timer_entry not in self.staging.staged
        ):
            # Its entry is gone, so the server has stopped or dropped the timer: ask.
            with contextlib.suppress(*UNREACHABLE):
                await self.refresh_timer()
        return report

    async def settle_unsettled(self) -> SaveReport:
        """Read the server for every lost write whose grace has passed and settle it,
        sending nothing: a change proven absent is staged as before (saving sends it), a
        change the server holds is saved. For the app's timer, and a CLI command before
        it exits."""
        planner = SavePlanner(self, chunk_size=self.settings.bulk_chunk_size)
        absent = await planner.settle()
        self._set_failures(
            {
                entry_id: "Not saved: the server never got this change; save again to send it."
                for entry_id in absent
                if entry_id in self.staging.staged
            }
        )
        self.emit(StoreChange(ids=frozenset(absent), fields=frozenset({"state"}), status=True))
        return planner.report

    def next_settle_at(self) -> datetime | None:
        """When the earliest lost write can be settled by a read (None: none waiting)."""
        if not self.unsettled:
            return None
        return min(mark.sent_at for mark in self.unsettled.values()) + self.settle_grace

    # What the save planner tells the store (`planner.SaveTarget`).

    @property
    def settle_grace(self) -> timedelta:
        return timedelta(seconds=self.settings.settle_grace_seconds)

    def now(self) -> datetime:
        return self.clock()

    def mark_sent(self, marks: Mapping[str, Unsettled]) -> None:
        if self.journal is not None:
            self.journal.write({}, marks)
        self.unsettled.update(marks)

    def clear_marks(self, ids: Sequence[str]) -> None:
        gone = [i for i in ids if i in self.unsettled]
        if not gone:
            return
        if self.journal is not None:
            self.journal.write({}, dict.fromkeys(gone))
        for entry_id in gone:
            del self.unsettled[entry_id]
        self.emit(StoreChange(ids=frozenset(gone), fields=frozenset({"state"}), status=True))

    def mark_unknown(self, entry_id: str, message: str) -> None:
        self.saving.discard(entry_id)
        if entry_id in self.failures:
            self._set_failures({entry_id: None})
        self.emit(StoreChange(ids=frozenset({entry_id}), fields=frozenset({"state"})))

    def settle_approval(self, entry_id: str, server: EntryRecord | None) -> None:
        self.clear_marks([entry_id])
        if server is not None:
            self.replace_records([server])

    def begin_saving(self, ids: Sequence[str]) -> None:
        self.saving.update(ids)
        self.status.saving, self.status.save_done, self.status.save_total = True, 0, len(ids)
        self.emit(StoreChange(ids=frozenset(ids), fields=frozenset({"state"}), status=True))

    def end_saving(self, ids: Sequence[str]) -> None:
        # Each outcome was told as it came (settle_saved, mark_failed, mark_conflict,
        # mark_unknown): only rows a stopped save left "saving" are told here.
        left = [i for i in ids if i in self.saving]
        self.saving.difference_update(ids)
        self.status.saving = False
        self.emit(StoreChange(ids=frozenset(left), fields=frozenset({"state"}), status=True))

    def keep_server_copy(self, record: EntryRecord) -> None:
        self.records[record.id] = record

    def mark_conflict(self, entry_id: str, server: EntryRecord | None) -> None:
        self.saving.discard(entry_id)
        self.conflicts[entry_id] = server
        self.clear_marks([entry_id])
        self.emit(StoreChange(ids=frozenset({entry_id}), fields=frozenset({"state"}), status=True))

    def mark_failed(self, entry_id: str, message: str) -> None:
        """Refused (or never sendable): the row shows `!` with the reason at once, and
        after a restart too (the reason is journaled with the mark cleared)."""
        self.saving.discard(entry_id)
        marks = {entry_id: None} if entry_id in self.unsettled else {}
        self.unsettled.pop(entry_id, None)
        self._set_failures({entry_id: message}, marks)
        self.emit(StoreChange(ids=frozenset({entry_id}), fields=frozenset({"state"}), status=True))

    def _set_failures(
        self,
        failures: Mapping[str, str | None],
        marks: Mapping[str, Unsettled | None] | None = None,
    ) -> None:
        """Set (None: clear) the server's reasons, journaled, for staged rows it refused."""
        if not failures and not marks:
            return
        if self.journal is not None:
            self.journal.write({}, marks, failures=failures)
        for entry_id, message in failures.items():
            if message is None:
                self.failures.pop(entry_id, None)
            else:
                self.failures[entry_id] = message

    def settle_saved(
        self, kind: Kind, confirmed: Sequence[tuple[str, Entry | None]]
    ) -> dict[str, str]:
        """Unstage what the server confirmed, in one journal write and one pass over the
        row order, the row index updated in place (a 100k-row save stays linear)."""
        ids = [entry_id for entry_id, _ in confirmed]
        for entry_id in ids:
            self.saving.discard(entry_id)
            self.failures.pop(entry_id, None)
        marks = {i: None for i in ids if i in self.unsettled}
        rewrite = self.staging.settled(ids)
        if self.journal is not None:
            self.journal.write(dict.fromkeys(ids), marks, history=HistoryStep(rewrite=rewrite))
        for entry_id in marks:
            del self.unsettled[entry_id]
        # Where each new row is, while its staged date still places it. New rows of a
        # date follow each other in the order they were staged (and sent): the row
        # after the last one found is looked at first, not all the rows of its date.
        positions: dict[str, tuple[int | None, date]] = {}
        if kind is Kind.create:
            order, last = self.order, -1
            for entry_id in ids:
                position: int | None = last + 1
                if not (0 < last + 1 < len(order) and order[last + 1] == entry_id):
                    position = self.index_of(entry_id)
                positions[entry_id] = (position, self._sort_date(entry_id))
                last = position if position is not None else last
        self.staging.settle(ids, rewrite)
        if kind is Kind.delete:
            gone = set(ids)
            for entry_id in ids:
                self.records.pop(entry_id, None)
            self.order = [i for i in self.order if i not in gone]
            self._index = None
            self.emit(StoreChange(removed=tuple(ids), status=True))
            return {}
        if kind is Kind.update:
            for entry_id, entry in confirmed:
                assert entry is not None, "a confirmed update comes with the server's copy"
                self.records[entry_id] = EntryRecord.from_entry(
                    entry, fallback=self.records.get(entry_id)
                )
            self.emit(
                StoreChange(ids=frozenset(ids), fields=frozenset({*FIELDS, "state"}), status=True)
            )
            return {}
        created: dict[str, str] = {}
        # Server ids a load already showed (a lost create that a read found after a
        # restart, or after the week was loaded again): the new row goes, and the
        # server's row stays where it is, shown once.
        shown: set[str] = set()
        for entry_id, entry in confirmed:
            assert entry is not None, "a confirmed create comes with the server's copy"
            record = EntryRecord.from_entry(entry)
            created[entry_id] = record.id
            if record.id in self.records:
                shown.add(record.id)
            self.records[record.id] = record
            position, placed = positions[entry_id]
            if position is None or record.id in shown:
                continue
            self.order[position] = record.id
            if record.date != placed:
                self.records.placed[record.id] = placed  # the server moved it: not the row
            if self._index is not None:
                self._index[record.id] = self._index.pop(entry_id)
        if shown:
            gone = {i for i, server_id in created.items() if server_id in shown}
            self.order = [i for i in self.order if i not in gone]
            self._index = None
        self.emit(
            StoreChange(
                ids=frozenset(shown),
                fields=frozenset({*FIELDS, "state"}) if shown else frozenset(),
                added=tuple(i for i in created.values() if i not in shown),
                removed=tuple(ids),
                status=True,
            )
        )
        return created

    # --------------------------------------------------------------- approvals

    def select(
        self,
        *,
        person_ids: Iterable[str] = (),
        start: date | None = None,
        end: date | None = None,
        statuses: Iterable[EntryStatus] = (),
    ) -> list[str]:
        """Ids of loaded entries matching a filter, in row order."""
        people, wanted = set(person_ids), set(statuses)
        out = []
        for entry_id in self.order:
            record = self.records.get(entry_id)
            if record is None:
                continue
            if people and record.person_id not in people:
                continue
            if (start and record.date < start) or (end and record.date > end):
                continue
            if wanted and record.status not in wanted:
                continue
            out.append(entry_id)
        return out

    def totals(
        self, ids: Iterable[str], *, live: bool = False
    ) -> tuple[dict[str, int], dict[date, int]]:
        """Minutes per person and per day of these entries (`live`: with the running
        timer's minutes so far in its entry)."""
        per_person: dict[str, int] = defaultdict(int)
        per_day: dict[date, int] = defaultdict(int)
        running = self.live_timer_minutes() if live else None
        for entry_id in ids:
            record = self.records.get(entry_id)
            if record is not None:
                minutes = record.minutes
                if running is not None and running[0] == entry_id:
                    minutes += running[1]
                per_person[record.person_id or ""] += minutes
                per_day[record.date] += minutes
        return dict(per_person), dict(per_day)

    def live_timer_minutes(self) -> tuple[str, int] | None:
        """(entry id, whole minutes run so far) of the running timer, which its entry
        does not hold until the stop; None when no timer runs."""
        timer = self.timer
        if timer is None or not timer.running or timer.entry_id is None:
            return None
        return timer.entry_id, self.elapsed_seconds() // 60

    def _timer_runs_on(self, entry_id: str) -> bool:
        """The running timer's minutes go to this entry at the stop: its time and its
        existence are the timer's until then."""
        running = self.live_timer_minutes()
        return running is not None and running[0] == entry_id

    def live_minutes(self, record: EntryRecord) -> int:
        """The entry's minutes as shown: with the running timer's so far, if it is its."""
        running = self.live_timer_minutes()
        if running is not None and running[0] == record.id:
            return record.minutes + running[1]
        return record.minutes

    def _need(self, capability: str, what: str) -> None:
        if not getattr(self.capabilities, capability):
            raise StagingError(f"{self.backend.name.title()} has no {what}.")

    async def approve(
        self, ids: Sequence[str], *, for_all_approvers: bool = False, wait: bool = False
    ) -> list[ApprovalResult]:
        """Approve these entries. `wait`: one whose answer was lost is settled before this
        returns (waiting out the grace), as a command that exits must."""
        self._need("approvals", "approvals")

        def send(sendable: list[str]) -> Awaitable[list[ItemResult]]:
            return self.backend.approve_entries(sendable, for_all_approvers=for_all_approvers)

        return await self._approval(
            "approve", ids, send, {"for_all_approvers": for_all_approvers}, wait
        )

    async def unapprove(self, ids: Sequence[str], *, wait: bool = False) -> list[ApprovalResult]:
        self._need("approvals", "approvals")
        return await self._approval("unapprove", ids, self.backend.unapprove_entries, {}, wait)

    async def _approval(
        self,
        kind: str,
        ids: Sequence[str],
        send: Callable[[list[str]], Awaitable[list[ItemResult]]],
        sent: Mapping[str, Any],
        wait: bool,
    ) -> list[ApprovalResult]:
        """Marked before it is sent, like every write: a late approve must not land after
        the unapprove that followed it, so an entry whose approval is unsettled takes no
        other approval until a read after the grace settles it."""
        await self.settle_unsettled()
        out = {
            i: ApprovalResult(i, "failed", waiting_sentence(i)) for i in ids if i in self.unsettled
        }
        if kind == "approve":
            # Its time is the timer's until the stop: approved now, it would be approved
            # at the minutes it held before, and the stop would change it after.
            out |= {
                i: ApprovalResult(i, "failed", timer_blocks_approval(i))
                for i in ids
                if i not in out and self._timer_runs_on(i)
            }
        sendable = [i for i in ids if i not in out]
        if sendable:
            marks = {i: Unsettled(kind, self.clock(), dict(sent)) for i in sendable}
            self.mark_sent(marks)
            try:
                results = await send(sendable)
            except ApiError:
                self.clear_marks(sendable)  # refused as a whole: nothing was applied
                raise
            lost = {sendable[r.index] for r in results if r.outcome is Outcome.unknown}
            if lost:  # a retry may have left long after the mark: the grace runs from now
                given_up = self.clock()
                self.mark_sent({i: marks[i].given_up(given_up) for i in lost})
            self.clear_marks([i for i in sendable if i not in lost])
            for result in self._approval_results(sendable, results, approving=kind == "approve"):
                out[result.id] = result
        if wait and any(i in self.unsettled for i in sendable):
            await self.wait_and_settle()
            for entry_id in sendable:
                if out[entry_id].result == "failed" and entry_id not in self.unsettled:
                    out[entry_id] = self._settled_approval(kind, entry_id)
        return [out[i] for i in ids]

    def _settled_approval(self, kind: str, entry_id: str) -> ApprovalResult:
        """What a read after a lost answer found: done, or not (never assumed either way)."""
        record = self.records.get(entry_id)
        if record is None:
            return ApprovalResult(entry_id, "failed", "The server no longer has this entry.")
        if kind == "approve" and record.approved:
            return ApprovalResult(entry_id, "approved")
        if kind == "unapprove" and not record.approved:
            return ApprovalResult(entry_id, "unapproved")
        return ApprovalResult(
            entry_id, "failed", f"The server's answer was lost and the entry was not {kind}d."
        )

    async def wait_and_settle(self) -> None:
        """Wait out the grace of every lost write and settle it by reading, a few rounds
        at most (a read that fails leaves it unsettled, and the caller reports it)."""
        for _ in range(SETTLE_ROUNDS):
            if not await self._wait_for_grace():
                return
            await self.settle_unsettled()

    async def _wait_for_grace(self) -> bool:
        """Sleep until the earliest lost write can be settled; False: none is waiting."""
        due = self.next_settle_at()
        if due is None:
            return False
        wait = (due - self.clock()).total_seconds()
        if wait > 0:
            await self.sleep(wait)
        return True

    async def save_and_settle(
        self, progress: Callable[[int, int], None] | None = None
    ) -> SaveReport:
        """Save, and settle what the save left unknown before returning, sending again
        what a read proves absent: for a command that exits (it has no journal to keep
        an unknown write for later)."""
        report = await self.save(progress)
        involved = set(report.unknown)
        for _ in range(SETTLE_ROUNDS):
            if not any(i in self.unsettled for i in involved):
                break
            await self._wait_for_grace()
            again = await self.save()  # settles what is due first, then resends the absent
            report.absorb(again)
            involved |= set(again.unknown)
        report.unknown = {i: m for i, m in report.unknown.items() if i in self.unsettled}
        return report

    def _approval_results(
        self, ids: Sequence[str], results: list[ItemResult], *, approving: bool
    ) -> list[ApprovalResult]:
        out, fresh = [], []
        for result in results:
            entry_id = result.id or ids[result.index]
            if result.outcome is not Outcome.ok or result.entry is None:
                out.append(ApprovalResult(entry_id, "failed", result.error))
                continue
            record = EntryRecord.from_entry(result.entry, fallback=self.records.get(entry_id))
            fresh.append(record)
            if approving:
                out.append(
                    ApprovalResult(
                        entry_id,
                        "approved" if record.approved else "pending",
                        None if record.approved else "Other approvers have not approved it yet.",
                    )
                )
            else:
                out.append(
                    ApprovalResult(entry_id, "unapproved" if not record.approved else "failed")
                )
        self.replace_records(fresh)
        return out

    async def reject(self, entry_id: str, reason: str) -> ApprovalResult:
        """The server's refusal of this entry is its failure; a refused token is raised,
        as for approve: no later entry would go through either."""
        self._need("reject", "rejections")
        try:
            entry = await self.backend.reject_entry(entry_id, reason)
        except AuthError:
            raise
        except ApiError as error:
            return ApprovalResult(entry_id, "failed", str(error))
        self.replace_records([EntryRecord.from_entry(entry, fallback=self.records.get(entry_id))])
        return ApprovalResult(entry_id, "rejected", reason)

    async def unreject(self, entry_id: str) -> ApprovalResult:
        """Take a rejection back; failures as for `reject`. An entry that is not rejected
        fails with why and nothing is sent: "unrejected" says the server took a rejection
        back (an entry not loaded is read first)."""
        self._need("reject", "rejections")
        record = self.records.get(entry_id)
        if record is None:
            with contextlib.suppress(*UNREACHABLE):
                [read] = await self.backend.get_entries([entry_id])
                if read.entry is not None:
                    record = EntryRecord.from_entry(read.entry)
        if record is not None and not record.rejected:
            return ApprovalResult(
                entry_id, "failed", f"Entry {entry_id} is not rejected; nothing was sent."
            )
        try:
            entry = await self.backend.unreject_entry(entry_id)
        except AuthError:
            raise
        except ApiError as error:
            return ApprovalResult(entry_id, "failed", str(error))
        self.replace_records([EntryRecord.from_entry(entry, fallback=self.records.get(entry_id))])
        return ApprovalResult(entry_id, "unrejected")

    # ------------------------------------------------------------------ timers

    async def refresh_timer(self) -> Timer | None:
        running = await self.backend.current_timer()
        self.timer = self.timer_starts.shown(running) if running is not None else None
        self.emit(StoreChange(timer=True))
        return self.timer

    def elapsed_seconds(self) -> int:
        return self.timer.elapsed_seconds(self.clock()) if self.timer else 0

    @property
    def timer_forgotten(self) -> bool:
        """Running longer than `forgotten_timer_hours`: probably left on by mistake."""
        return (
            self.timer is not None
            and self.timer.running
            and self.elapsed_seconds() > self.settings.forgotten_timer_hours * 3600
        )

    async def timer_by_id(self, timer_id: str | None = None) -> Timer | None:
        """The running timer (None if none), or the given one, as people see it."""
        if timer_id is None or (self.timer is not None and self.timer.id == timer_id):
            return self.timer if timer_id is not None else await self.refresh_timer()
        return self.timer_starts.shown(await self.backend.timer(timer_id))

    async def start_timer(
        self,
        service_id: str,
        *,
        task_id: str | None = None,
        note: str = "",
        started_at: datetime | None = None,
    ) -> Timer:
        """Start now, or since `started_at`; a server that keeps its own start instead is
        remembered (the stop adds the missed minutes) and told once (`timer_notice`)."""
        self._need("timers", "timers")
        self.refuse_timer_start(started_at)
        before = self.timer.entry_id if self.timer is not None and self.timer.running else None
        try:
            self.timer = await self.backend.start_timer(
                service_id, task_id=task_id, note=note, started_at=started_at
            )
        except InvalidEntriesError as error:
            raise self._timer_refused(error, service_id) from error
        self.timer_notice = None
        if started_at is not None and ignored_start(started_at, self.timer.started_at):
            kept = self.timer.started_at
            self.timer_starts.remember(self.timer.id, started_at)
            if self.timer_starts.take_notice(self.timer.id):
                self.timer_notice = ignored_sentence(
                    self.backend.name.title(), started_at, kept, self.clock()
                )
            self.timer = self.timer_starts.shown(self.timer)
        self.emit(StoreChange(timer=True))
        # The server stopped the timer that ran (its entry now has its minutes) and made
        # an entry for the new one: show both without waiting for a reload.
        ids = [i for i in (before, self.timer.entry_id) if i]
        with contextlib.suppress(ApiError):
            self._take_server_copies(
                [r.entry for r in await self.backend.get_entries(ids) if r.ok and r.entry]
            )
        return self.timer

    def refuse_timer_start(self, started_at: datetime | None = None) -> None:
        """A timer started now (or since `started_at`) makes a new entry of the day it
        starts (as the servers make it): refused on a day known to be submitted
        (`refuse_on_submitted_day`)."""
        day = started_at.astimezone().date() if started_at is not None else self.today()
        self.refuse_on_submitted_day(day, self.person_id)

    def _timer_refused(self, error: InvalidEntriesError, service_id: str) -> ApiError:
        """The server's refusal of a timer start, naming the service as everywhere else
        (its name with where it belongs, not `service 3`); as it came when the store
        does not know the service or the server gave no reason."""
        reasons = list(dict.fromkeys(p.message.strip().rstrip(".") for p in error.problems))
        reasons = [r for r in reasons if r]
        if service_id not in self.services or not reasons:
            return error
        return InvalidEntriesError(
            f"{self.backend.name.title()} refused to start a timer on "
            f"{service_name(self.services, service_id)}: {'; '.join(reasons)}.",
            error.problems,
            status=error.status or 422,
        )

    def note_own_writes(self, before: Mapping[str, str | None]) -> None:
        """This app changed these entries on the server itself (a stop, a submit), and
        their records now hold the server's copies; `before`: each one's `updated_at`
        until then."""
        for entry_id, old in before.items():
            record = self.records.get(entry_id)
            if record is not None and record.updated_at != old:
                self._own_stamps.setdefault(entry_id, {})[record.updated_at] = old

    def moved_only_by_own_writes(self, entry_id: str, staged: Staged, server: EntryRecord) -> bool:
        """Whether the server's copy moved since `staged` was staged through this app's
        own writes alone, none of them changing a field that `staged` sets."""
        stamps = self._own_stamps.get(entry_id, {})
        stamp, seen = server.updated_at, set()
        while stamp != staged.base_updated_at and stamp in stamps and stamp not in seen:
            seen.add(stamp)
            stamp = stamps[stamp]
        return stamp == staged.base_updated_at and all(
            getattr(server, name) == staged.original.get(name) for name in staged.values
        )

    def _take_server_copies(self, entries: Iterable[Entry]) -> list[EntryRecord]:
        """Fresh server copies of some entries after this app's own write (a stop, a
        start): changed rows redrawn, and one now in the range but not shown added in
        its place."""
        records = [
            EntryRecord.from_entry(e, fallback=self.records.get(e.id or "")) for e in entries
        ]
        before = {r.id: self.records[r.id].updated_at for r in records if r.id in self.records}
        query = self.query
        kept: set[str] = set()
        appear = False
        for record in records:
            in_range = query is not None and query.covers(record.date)
            if not in_range and record.id not in self.records:
                continue  # another week's entry: it shows when that week loads
            self.records[record.id] = record
            kept.add(record.id)
            appear = appear or (in_range and self.index_of(record.id) is None)
        self.note_own_writes(before)
        if appear:
            self._rebuild_order()
            self.emit(StoreChange(reset=True))
        elif kept:
            self.emit(StoreChange(ids=frozenset(kept), fields=frozenset(FIELDS)))
        return records

    async def stop_timer(
        self, timer_id: str | None = None, *, at: datetime | None = None
    ) -> StopResult:
        """Stop at once and take the server's minutes; a rounded value, if rounding is
        on, is staged as an edit of the stopped entry for the user to keep or undo.

        With `at` (checked by the caller with `parse_stop_at`), or for a timer whose
        start the server ignored, one PATCH then sets the entry's minutes to what it held
        before this timer plus the span from the start to `at` (or now)."""
        self._need("timers", "timers")
        try:
            stopped = await self.backend.stop_timer(timer_id)
        except NotFoundError:
            # Stopped or deleted elsewhere: show what does run (if anything), then say so.
            with contextlib.suppress(*UNREACHABLE):
                await self.refresh_timer()
            raise
        self.timer = None
        server = stopped.timer
        now = self.clock()
        intended = self.timer_starts.get(server.id)
        start = intended.started_at if intended is not None else server.started_at
        end = at or server.stopped_at or now
        before = minutes_before(stopped.entry.minutes, server, now)
        wanted = stopped_minutes(before, start, end)
        entry = stopped.entry
        # A plain stop keeps the server's minutes, whatever its own rounding.
        if (at is not None or intended is not None) and wanted != entry.minutes:
            entry = await self._set_stopped_minutes(entry, wanted)
        self.timer_starts.forget(server.id)
        # As it ran for the entry, from its (intended) start to the stop asked for, so
        # that its times and the booked minutes agree (the server's own copy says now).
        timer = server.model_copy(update={"started_at": start, "stopped_at": end})
        (record,) = self._take_server_copies([entry])
        self.emit(StoreChange(timer=True))
        if before == 0 and is_short(start, end):
            return StopResult(timer, record, record.minutes, None, short=True)
        step = self.settings.rounding_minutes
        rounded = round_minutes(record.minutes, step) if step else None
        if rounded is not None and rounded != record.minutes and not record.locked:
            with contextlib.suppress(StagingError):
                self.stage_edits(
                    {record.id: {"minutes": rounded}}, label=f"round to {step} minutes"
                )
        return StopResult(timer, record, record.minutes, rounded)

    async def _set_stopped_minutes(self, entry: Entry, minutes: int) -> Entry:
        """One PATCH of a just-stopped entry's minutes; the server's answer is kept."""
        assert entry.id is not None
        change = EntryChange(entry.id, {"minutes": minutes}, base=entry)
        (result,) = await self.backend.update_entries([change])
        if not result.ok or result.entry is None:
            raise ApiError(
                f"The timer stopped, but setting entry {entry.id} to "
                f"{minutes} minutes failed: {result.error or 'no answer'}"
            )
        return result.entry

    async def discard_timer(self, timer_id: str | None = None) -> Timer:
        """Stop a timer started by mistake and delete its entry; refused (`StagingError`,
        nothing sent) when the entry holds time from before this timer."""
        self._need("timers", "timers")
        timer = await self.timer_by_id(timer_id)
        if timer is None:
            raise NotFoundError("No timer is running.")
        if timer.entry_id is None:
            raise StagingError(f"Timer {timer.id} names no entry to delete.")
        (read,) = await self.backend.get_entries([timer.entry_id])
        entry = read.entry if read.ok else None
        if entry is not None:
            held = entry.minutes
            if not timer.running:
                held = minutes_before(entry.minutes, timer, self.clock())
            if held > 0:
                raise StagingError(held_sentence(timer.id, timer.entry_id, held))
        if timer.running:
            await self.backend.stop_timer(timer.id)
        if self.timer is not None and self.timer.id == timer.id:
            self.timer = None
        self.timer_starts.forget(timer.id)
        self.emit(StoreChange(timer=True))
        if entry is not None:
            (gone,) = await self.backend.delete_entries([timer.entry_id])
            if not gone.ok and not gone.missing:
                raise ApiError(
                    f"The timer stopped, but deleting entry {timer.entry_id} failed: "
                    f"{gone.error or 'no answer'}"
                )
        shown = self.index_of(timer.entry_id) is not None
        self.records.pop(timer.entry_id, None)
        if shown:
            self.order.remove(timer.entry_id)
            self._index = None
            self.emit(StoreChange(removed=(timer.entry_id,)))
        return timer

    async def aclose(self) -> None:
        """Close the backend, then every connection to the profile's state file, the
        journal's last: SQLite's last close checkpoints the WAL into the file and removes
        its `-wal` and `-shm` (one left open, as the cache's was, leaves them behind)."""
        try:
            await self.backend.aclose()
        finally:
            try:
                if self.cache is not None:
                    self.cache.close()  # after a save of a range under way
            finally:
                if self.journal is not None:
                    self.journal.close()


SETTLE_SLICE = 50_000
"""Rows sorted or indexed between two pauses when a streamed load settles."""
SETTLE_PAUSE = 0.002
"""Seconds of each pause: long enough for a key to go all the way through the app's
message queues (one turn of the loop, `sleep(0)`, moved it one queue on per slice)."""


async def _all_of(*work: Coroutine[Any, Any, Any]) -> list[Any]:
    """Each result of `work`, run at once; the first failure is raised as itself (not as
    an ExceptionGroup) once the rest are cancelled, so callers catch what one call raises."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(job) for job in work]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


def _row_key(record: EntryRecord) -> tuple[date, int, int, str]:
    """A server row's place: by date, then by id (numeric ids sort as numbers)."""
    return (record.date, 0, len(record.id), record.id)


def _new_date(staged: Staged) -> date:
    day = staged.values.get("date")
    return day if isinstance(day, date) else date.min


def _complete(values: Mapping[str, Any]) -> dict[str, Any]:
    """All editable fields, defaults for those missing (a placeholder or new row)."""
    return {
        "date": values.get("date") or date.min,
        "minutes": values.get("minutes", 0),
        "note": values.get("note", ""),
        "person_id": values.get("person_id"),
        "service_id": values.get("service_id"),
        "task_id": values.get("task_id"),
    }


def _take_new(known: dict[str, V], sent: dict[str, V]) -> bool:
    """Put what `sent` adds or changes into `known`; True if anything was new."""
    new = [(key, value) for key, value in sent.items() if known.get(key) != value]
    known.update(new)
    return bool(new)


def _locked_sentence(record: EntryRecord) -> str:
    """Why a locked entry cannot change, and what would free it: one sentence."""
    why = record.lock_reason
    hint = {
        "approved": " unapprove it first.",
        "submitted": " unsubmit its week to change it.",
    }.get(why, " it can no longer change.")
    return f"Entry {record.id} is {why};{hint}"
