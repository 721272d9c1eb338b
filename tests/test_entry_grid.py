"""The entry grid over a real store on the ledger (and a fake 100k-row store), driven by
the pilot: rendering, the cursor, in-place editing, literal server text, totals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message

from tests.conftest import FROZEN_NOW, FakeClock
from tui.api.base import EntryQuery
from tui.api.productive import ProductiveAdapter
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.models import Person, Service, Task
from tui.store.changes import StoreChange, SyncStatus
from tui.store.records import EntryRecord, Records, Row, RowState
from tui.store.store import StagingError, Store
from tui.store.values import format_minutes, week_range
from tui.widgets.entry_grid import EntryGrid, GridSource

pytestmark = pytest.mark.anyio

TODAY = FROZEN_NOW.date()
WEEK = week_range(TODAY)
SIZE = (120, 16)


class GridApp(App[None]):
    """The grid alone, bridged to the store, staging edits as the timesheet screen does."""

    def __init__(self, store: GridSource, *, stage: bool = True) -> None:
        super().__init__()
        self.store = store
        self.stage = stage
        self._unsubscribe = None

    def compose(self) -> ComposeResult:
        yield EntryGrid(self.store, id="grid")

    def on_mount(self) -> None:
        grid = self.query_one(EntryGrid)
        if hasattr(self.store, "subscribe"):
            self._unsubscribe = self.store.subscribe(grid.apply_change)
        grid.focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    @on(EntryGrid.CellEdited)
    def stage_cell(self, event: EntryGrid.CellEdited) -> None:
        if not self.stage:
            return
        grid = self.query_one(EntryGrid)
        try:
            self.store.stage_edit(event.entry_id, event.field, event.value)
        except StagingError as error:
            grid.show_edit_error(str(error))
            return
        grid.finish_edit()


@pytest.fixture
async def store(ledger: LedgerDB, clock: FakeClock):
    populate_demo(ledger, today=TODAY)
    store = Store(ProductiveAdapter.for_ledger(ledger), clock=clock)
    await store.open()
    await store.load(EntryQuery(*WEEK, person_ids=(str(ledger.identity.owner_person_id),)))
    assert len(store.order) > 5
    yield store
    await store.backend.aclose()


def line(grid: EntryGrid, y: int) -> str:
    return grid.render_line(y).text


def row_line(grid: EntryGrid, index: int) -> str:
    """The rendered text of row `index` (which must be on screen)."""
    return line(grid, index + 1 - grid.scroll_offset.y)


def lines(grid: EntryGrid) -> list[str]:
    return [line(grid, y) for y in range(grid.scrollable_content_region.height)]


def editable_ids(store: Store) -> list[str]:
    return [i for i in store.order if not store.records[i].locked and store.records[i].minutes]


def edited(messages: list[Message]) -> list[tuple[str, str, Any]]:
    """Each CellEdited once (the hook sees a message at every node it bubbles to)."""
    unique = {id(m): m for m in messages if isinstance(m, EntryGrid.CellEdited)}
    return [(m.entry_id, m.field, m.value) for m in unique.values()]


async def test_rows_show_names_time_and_totals(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        header = line(grid, 0)
        for label in ("Date", "Service", "Task", "Note", "Time", "Status"):
            assert label in header
        assert "Person" not in header  # one person loaded
        assert grid.virtual_size.height == len(store.order) + 3
        for index in range(3):
            record = store.records[store.order[index]]
            text = row_line(grid, index)
            assert f"{record.date:%a %d}" in text
            assert store.services[record.service_id].name in text
            assert format_minutes(record.minutes) in text and record.status.value in text
        totals = lines(grid)[-2]
        week_total = sum(store.live_minutes(store.records[i]) for i in store.order)
        assert f"Week {format_minutes(week_total)}" in totals
        monday = WEEK[0]
        monday_total = sum(
            store.records[i].minutes for i in store.order if store.records[i].date == monday
        )
        assert f"{monday:%a %d} {format_minutes(monday_total)}" in totals


async def test_person_column_only_with_several_people(ledger: LedgerDB, clock) -> None:
    populate_demo(ledger, today=TODAY)
    store = Store(ProductiveAdapter.for_ledger(ledger), clock=clock)
    await store.open()
    await store.load(EntryQuery(*WEEK))
    try:
        app = GridApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            grid = app.query_one(EntryGrid)
            assert "Person" in line(grid, 0) and "person" in grid.column_keys
            first = store.records[store.order[0]]
            assert store.people[first.person_id].name[:10] in row_line(grid, 0)
    finally:
        await store.backend.aclose()


async def test_cursor_moves_and_keeps_in_view(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        assert (grid.cursor_row, grid.cursor_column, grid.cursor_id) == (0, 0, store.order[0])
        await pilot.press("down", "down", "right")
        assert (grid.cursor_row, grid.cursor_column) == (2, 1)
        assert grid.cursor_id == store.order[2]
        await pilot.press("d", "space")  # the screen's keys: the grid's cursor stays
        assert (grid.cursor_row, grid.cursor_column) == (2, 1)
        await pilot.press("up", "up", "up", "left", "left")  # clamped
        assert (grid.cursor_row, grid.cursor_column) == (0, 0)
        await pilot.press("end")
        await pilot.pause()
        last = len(store.order) - 1
        assert grid.cursor_row == last and grid.cursor_id == store.order[-1]
        page = grid.scrollable_content_region.height - 3
        top = grid.scroll_offset.y
        assert top <= last < top + page  # scrolled to keep the cursor visible
        assert grid.scroll_offset.y == grid.max_scroll_y
        assert row_line(grid, last).startswith(" ")
        await pilot.press("pageup")
        assert grid.cursor_row == last - page
        await pilot.press("home")
        await pilot.pause()
        assert grid.cursor_row == 0 and grid.scroll_offset.y == 0
        assert grid.move_to(store.order[5]) and grid.cursor_row == 5
        assert not grid.move_to("no-such-id")
        await pilot.press("pagedown")
        assert grid.cursor_row == min(last, 5 + page)


async def test_editing_a_note_posts_cell_edited_and_stages_it(store: Store) -> None:
    messages: list[Message] = []
    app = GridApp(store)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[1]
        grid.move_to(entry_id)
        assert grid.move_to_column("note")
        await pilot.press("enter")
        await pilot.pause()
        editor = grid.editor
        assert grid.editing is not None and app.focused is grid
        assert editor.value == store.records[entry_id].note
        # Exactly over the note cell of the cursor row.
        note = next(c for c in grid.columns if c.key == "note")
        region = grid.editor_region
        assert region is not None
        assert region.y == grid.region.y + store.index_of(entry_id) + 1
        assert region.x == grid.region.x + note.x
        editor.value = ""
        await pilot.press(*"Fixed the build", "enter")
        await pilot.pause()
        assert edited(messages) == [(entry_id, "note", "Fixed the build")]
        assert app.focused is grid and grid.editing is None
        row = store.row(entry_id)
        assert row.state is RowState.changed and row.record.note == "Fixed the build"
        text = row_line(grid, store.index_of(entry_id))
        assert text.startswith("~") and "Fixed the build" in text


async def test_escape_cancels_and_other_columns_post_their_fields(store: Store) -> None:
    messages: list[Message] = []
    app = GridApp(store, stage=False)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = grid.cursor_id
        editor = grid.editor
        grid.move_to_column("time")
        await pilot.press("enter")
        assert editor.value == format_minutes(store.records[entry_id].minutes)
        await pilot.press("escape")
        await pilot.pause()
        assert grid.editing is None and app.focused is grid and edited(messages) == []
        for column, typed in [("time", "1h30"), ("date", "yesterday")]:
            grid.move_to_column(column)
            await pilot.press("enter")
            editor.value = typed
            await pilot.press("enter")
            await pilot.pause()
            grid.finish_edit()
        assert edited(messages) == [(entry_id, "minutes", "1h30"), (entry_id, "date", "yesterday")]
        grid.move_to_column("status")  # not editable: no editor
        await pilot.press("enter")
        assert grid.editing is None


async def test_service_and_task_names_resolve_to_ids(store: Store) -> None:
    messages: list[Message] = []
    app = GridApp(store, stage=False)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = grid.cursor_id
        editor = grid.editor
        services = store.services
        target = next(iter(services.values()))
        grid.move_to_column("service")
        for typed in (target.name.upper(), "zzz-no-such-service", ""):
            await pilot.press("enter")
            editor.value = typed
            await pilot.press("enter")
            await pilot.pause()
            if typed == target.name.upper():
                assert edited(messages)[-1] == (entry_id, "service_id", target.id)
                grid.finish_edit()
            else:
                assert grid.editing is not None and grid.edit_error
                grid.finish_edit()
        assert len(edited(messages)) == 1
        # A unique prefix resolves; one shared by several names asks for more.
        names = [s.name for s in services.values()]
        unique = next(
            n for n in names if sum(m.casefold().startswith(n[:3].casefold()) for m in names) == 1
        )
        await pilot.press("enter")
        editor.value = unique[:3].lower()
        await pilot.press("enter")
        await pilot.pause()
        expected = next(s.id for s in services.values() if s.name == unique)
        assert edited(messages)[-1] == (entry_id, "service_id", expected)
        grid.finish_edit()
        store.services["zz1"] = Service(id="zz1", name="Shared prefix one")
        store.services["zz2"] = Service(id="zz2", name="Shared prefix two")
        await pilot.press("enter")
        editor.value = "shared"
        await pilot.press("enter")
        await pilot.pause()
        assert "matches 2 services" in (grid.edit_error or "") and len(edited(messages)) == 2
        grid.finish_edit()
        # Tasks: an empty task clears it.
        grid.move_to_column("task")
        await pilot.press("enter")
        editor.value = ""
        await pilot.press("enter")
        await pilot.pause()
        assert edited(messages)[-1] == (entry_id, "task_id", None)


async def test_server_text_is_shown_literally(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        store.stage_edit(entry_id, "note", "[bold red]x[/] \x1b[2J\nnext")
        await pilot.pause()
        grid.move_to(entry_id)
        strip = grid.render_line(store.index_of(entry_id) + 1 - grid.scroll_offset.y)
        assert "[bold red]x[/] ␛[2J ⏎ next" in strip.text
        assert all("\x1b" not in segment.text for segment in strip)
        screenshot = app.export_screenshot()
        assert (
            "[bold red]x[/]" in screenshot.replace("&#160;", " ")
            or "[bold&#160;red]x[/]" in screenshot
        )
        assert "␛[2J" in screenshot and "\x1b" not in screenshot
        # The editor is prefilled with the visible text; submitting it unchanged
        # keeps the stored note as it was.
        grid.move_to_column("note")
        await pilot.press("enter")
        editor = grid.editor
        assert editor.value == "[bold red]x[/] ␛[2J ⏎ next"
        await pilot.press("enter")
        await pilot.pause()
        assert store.row(entry_id).record.note == "[bold red]x[/] \x1b[2J\nnext"


async def test_cursor_stays_on_its_entry_when_rows_come_before_it(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        target = store.order[4]
        grid.move_to(target)
        # A refresh finds new server rows dated before it (as `_replace_range` does).
        first = store.records[store.order[0]]
        new = [first.replaced(id=str(900000 + n), minutes=30) for n in range(3)]
        store.records.update((r.id, r) for r in new)
        store._rebuild_order()
        store.emit(StoreChange(added=tuple(r.id for r in new)))
        await pilot.pause()
        assert store.index_of(target) == 7
        assert grid.cursor_id == target and grid.cursor_row == 7
        assert grid.row_count == len(store.order)
        assert grid.day_totals[first.date] == sum(
            store.records[i].minutes for i in store.order if store.records[i].date == first.date
        )
        # A staged new row inserted before the cursor (it goes with its date, the first).
        target = next(i for i in store.order if store.records[i].date > first.date)
        grid.move_to(target)
        at = store.index_of(target)
        assert at is not None
        new_id = store.stage_new(after=store.order[0])
        await pilot.pause()
        assert grid.cursor_id == target and grid.cursor_row == store.index_of(target) == at + 1
        assert row_line(grid, at).startswith("+") and store.index_of(new_id) == at
        # Removed rows: the cursor still follows its entry.
        store.undo()
        await pilot.pause()
        assert grid.cursor_id == target and grid.cursor_row == at


async def test_totals_follow_edits_and_deletions(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        record = store.records[entry_id]
        day_before = grid.day_totals[record.date]
        store.stage_edit(entry_id, "minutes", record.minutes + 60)
        await pilot.pause()
        assert grid.day_totals[record.date] == day_before + 60
        assert f"{record.date:%a %d} {format_minutes(day_before + 60)}" in lines(grid)[-2]
        store.stage_delete([entry_id])
        await pilot.pause()
        assert grid.day_totals.get(record.date, 0) == day_before - record.minutes
        text = row_line(grid, store.index_of(entry_id))
        assert text.startswith("-")
        grid.move_to(entry_id)
        await pilot.pause()
        assert "Staged for deletion" in lines(grid)[-1]
        store.undo()
        store.undo()
        await pilot.pause()
        assert grid.day_totals[record.date] == day_before


async def test_a_streamed_reload_keeps_totals_and_cursor(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        target = store.order[3]
        grid.move_to(target)
        expected = grid.day_totals
        seen: list[StoreChange] = []
        store.subscribe(seen.append)
        assert store.query is not None
        await store.load(store.query)  # a reset, pages of added rows, a final reset
        await pilot.pause()
        assert [c.reset for c in seen].count(True) == 2 and any(c.added for c in seen)
        assert grid.day_totals == expected and grid.row_count == len(store.order)
        assert grid.cursor_id == target and grid.cursor_row == store.index_of(target)


async def test_failed_and_conflict_rows_show_their_reason(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        failed, conflict = editable_ids(store)[:2]
        store.failures[failed] = "The service is archived."
        store.emit(StoreChange(ids=frozenset({failed}), fields=frozenset({"state"})))
        grid.move_to(failed)
        await pilot.pause()
        assert row_line(grid, store.index_of(failed)).startswith("!")
        assert "Failed: The service is archived." in lines(grid)[-1]
        store.stage_edit(conflict, "note", "mine")
        store.conflicts[conflict] = store.records[conflict].replaced(note="theirs")
        store.emit(StoreChange(ids=frozenset({conflict}), fields=frozenset({"state"})))
        grid.move_to(conflict)
        await pilot.pause()
        assert row_line(grid, store.index_of(conflict)).startswith("≠")
        assert "Changed on server: note 'theirs' (yours 'mine')" in lines(grid)[-1]


# ------------------------------------------------------------------ 100k rows


class BigStaging:
    def __init__(self) -> None:
        self.staged: dict[str, object] = {}


class BigStore:
    """Just what the grid reads (a `GridSource`): the order, rows, records, lookups."""

    def __init__(self, count: int) -> None:
        start = WEEK[0]
        days = [start + timedelta(days=n) for n in range(7)]
        self.people = {"1": Person(id="1", first_name="Ada", last_name="L")}
        self.services = {
            "s1": Service(id="s1", name="General"),
            "s2": Service(id="s2", name="Meetings"),
        }
        self.tasks = {"t1": Task(id="t1", title="Build", service_id="s1")}
        self.order = [str(n) for n in range(count)]
        self._rows = {
            entry_id: Row(
                EntryRecord(
                    id=entry_id,
                    date=days[n * 7 // count],
                    minutes=1 + n % 90,
                    note=f"note {n}",
                    person_id="1",
                    service_id="s1" if n % 2 else "s2",
                    task_id=None,
                ),
                RowState.clean,
                {},
            )
            for n, entry_id in enumerate(self.order)
        }
        self._index = {entry_id: n for n, entry_id in enumerate(self.order)}
        self.records = Records(row.record for row in self._rows.values())
        self.staging = BigStaging()
        self.query: EntryQuery | None = None
        self.status = SyncStatus()
        self.row_calls = 0

    def append(self, count: int) -> tuple[str, ...]:
        """`count` more rows at the end, as a streamed page brings them."""
        start = len(self.order)
        added = tuple(str(n) for n in range(start, start + count))
        for n, entry_id in enumerate(added, start):
            record = self.records["0"].replaced(id=entry_id, note=f"note {n}")
            self._rows[entry_id] = Row(record, RowState.clean, {})
            self.records[entry_id] = record
            self._index[entry_id] = n
        self.order.extend(added)
        return added

    def edit_refusal(self, entry_id: str, field: str) -> str | None:
        return None  # every row of this read-only source may be opened

    def row(self, entry_id: str) -> Row:
        self.row_calls += 1
        return self._rows[entry_id]

    def index_of(self, entry_id: str) -> int | None:
        return self._index.get(entry_id)

    def live_timer_minutes(self) -> tuple[str, int] | None:
        return None


async def test_the_store_and_the_big_store_are_grid_sources(store: Store) -> None:
    assert isinstance(store, GridSource) and isinstance(BigStore(10), GridSource)


async def test_a_100k_row_store_renders_and_a_key_costs_only_the_visible_rows() -> None:
    count = 100_000
    big = BigStore(count)
    app = GridApp(big)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        assert grid.virtual_size.height == count + 3
        assert "note 0" in row_line(grid, 0)
        assert sum(grid.day_totals.values()) == sum(1 + n % 90 for n in range(count))
        visible = grid.scrollable_content_region.height
        for key in ("down", "pagedown", "end"):
            big.row_calls = 0
            await pilot.press(key)
            await pilot.pause()
            assert big.row_calls <= 2 * visible, key
        assert grid.cursor_id == str(count - 1)
        assert f"note {count - 1}" in row_line(grid, count - 1)
        # A reset that only reorders the rows measured: no pass over all of them.
        big.order.reverse()
        big._index = {entry_id: n for n, entry_id in enumerate(big.order)}
        big.row_calls = 0
        totals = grid.day_totals
        grid.apply_change(StoreChange(reset=True))
        await pilot.pause()
        assert big.row_calls <= 2 * visible and grid.day_totals == totals
        assert grid.cursor_row == 0 and grid.cursor_id == str(count - 1)
        # One row changed: its line and the totals, nothing else.
        big.row_calls = 0
        grid.apply_change(
            StoreChange(ids=frozenset({str(count - 1)}), fields=frozenset({"minutes"}))
        )
        await pilot.pause()
        assert big.row_calls <= visible
        # An explicit reload counts everything again.
        first = big.records["0"]
        big.records["0"] = first.replaced(minutes=first.minutes + 600)
        grid.reload()
        assert sum(grid.day_totals.values()) == sum(totals.values()) + 600


async def test_pages_streamed_in_below_the_view_redraw_no_rows_and_end_reaches_them() -> None:
    big = BigStore(1_000)
    app = GridApp(big)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        visible = grid.scrollable_content_region.height
        big.row_calls = 0
        for _ in range(10):
            grid.apply_change(StoreChange(added=big.append(200), status=True))
            await pilot.pause()
        # At most the status line's row (the cursor's) per redraw of the footer.
        assert big.row_calls < visible and grid.row_count == 3_000
        await pilot.press("end")
        await pilot.pause()
        assert grid.cursor_id == "2999" and grid.virtual_size.height == 3_000 + 3
        assert "note 2999" in row_line(grid, 2_999)


async def test_pages_told_after_later_pages_arrived_still_redraw_no_rows() -> None:
    """A store's change reaches the grid on the next turn of the loop: by then the store
    may hold the next pages too. Each page still only grows the grid (no full redraw,
    no pass over the rows), and the grid ends with every row."""
    big = BigStore(1_000)
    app = GridApp(big)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        visible = grid.scrollable_content_region.height
        big.row_calls = 0
        for _ in range(5):
            pages = [big.append(200) for _ in range(3)]  # three taken, then told one by one
            for added in pages:
                grid.apply_change(StoreChange(added=added, status=True))
            await pilot.pause()
        assert big.row_calls < visible and grid.row_count == 4_000
        assert sum(grid.day_totals.values()) == sum(big.records[i].minutes for i in big.order)
        await pilot.press("end")
        await pilot.pause()
        assert grid.cursor_id == "3999" and grid.virtual_size.height == 4_000 + 3


async def test_an_entry_moved_to_another_week_leaves_this_weeks_totals(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        record = store.records[entry_id]
        week_total = sum(store.live_minutes(store.records[i]) for i in store.order)
        store.stage_edit(entry_id, "date", WEEK[0] - timedelta(days=1))  # last Sunday
        await pilot.pause()
        totals = lines(grid)[-2]
        # Still one week, with its dates; the moved time is on no day of it.
        assert totals.startswith(f" Week {format_minutes(week_total - record.minutes)} ")
        assert f"{WEEK[1]:%a %d} " in totals
        assert store.index_of(entry_id) is not None  # the staged row stays in view


async def test_a_date_typed_into_another_week_reads_as_that_date_not_as_a_day_of_this_one(
    store: Store,
) -> None:
    from datetime import date

    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        moved, far = editable_ids(store)[:2]
        later = WEEK[0] + timedelta(days=14)
        store.stage_edit(moved, "date", later)
        store.stage_edit(far, "date", date(1999, 1, 1))
        await pilot.pause()

        def cells(entry_id: str) -> list[str]:
            return row_line(grid, store.index_of(entry_id)).split()

        assert cells(moved)[1:3] == [f"{later:%d}", f"{later:%b}"]
        assert cells(far)[1:3] == ["Jan", "99"]
        kept = next(i for i in store.order if i not in (moved, far))
        assert cells(kept)[0] == f"{store.records[kept].date:%a}"  # unmarked: a day shown


def test_a_week_across_new_year_dates_other_days_of_both_its_years_without_a_year() -> None:
    """The week of Mon 28 Dec 2026 to Sun 3 Jan 2027 spans two years: a day outside it in
    either of them reads day and month, only a third year is named."""
    from datetime import date

    from tui.widgets.entry_grid.grid import date_cell

    week = EntryQuery(date(2026, 12, 28), date(2027, 1, 3))
    assert date_cell(date(2026, 12, 31), week) == "Thu 31"
    assert date_cell(date(2027, 1, 2), week) == "Sat 02"
    assert date_cell(date(2026, 12, 20), week) == "20 Dec"
    assert date_cell(date(2027, 1, 10), week) == "10 Jan"
    assert date_cell(date(2025, 12, 20), week) == "Dec 25"
    assert date_cell(date(2028, 1, 10), week) == "Jan 28"
