"""The grid's cell editor and layout, driven by the pilot over a real store on the ledger
(and the real app at 80x24): typing replaces, the editor covers whole cells, refusals go
to the status line, service and task suggestions, widths that do not follow the rows,
the empty week."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.message import Message
from textual.widgets import OptionList

from tests import test_entry_grid
from tests.app_harness import Harness, grid, settle
from tests.conftest import FakeClock
from tests.test_entry_grid import SIZE, WEEK, GridApp, editable_ids, edited, row_line
from tui.api.base import EntryQuery
from tui.store.present import service_name
from tui.store.store import Store
from tui.store.values import format_minutes
from tui.widgets.entry_grid import EntryGrid
from tui.widgets.entry_grid.columns import (
    GAP,
    MARKER_WIDTH,
    NOTE_COMFORT,
    SPECS,
    WIDE_TARGETS,
    layout,
    widths,
)
from tui.widgets.entry_grid.editor import Choice, LineEdit, matching, resolve

pytestmark = pytest.mark.anyio

store = test_entry_grid.store
"""The same fixture: a real store on the demo ledger, this week loaded."""


def screen_lines(app: Any) -> list[str]:
    """The screen as drawn (every layer, overlays included), one string per line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def status_line(grid: EntryGrid) -> str:
    return grid.render_line(grid.scrollable_content_region.height - 1).text


async def open_editor(pilot: Any, grid: EntryGrid, entry_id: str, column: str) -> LineEdit:
    grid.move_to(entry_id)
    assert grid.move_to_column(column)
    await pilot.press("enter")
    await pilot.pause()
    assert grid.editing is not None and grid.editor_region is not None
    assert grid.app.focused is grid  # the grid keeps the focus while editing
    return grid.editor


async def test_typing_into_an_editor_replaces_its_value(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        before = store.records[entry_id].minutes
        editor = await open_editor(pilot, grid, entry_id, "time")
        assert editor.value == format_minutes(before)
        await pilot.press(*"1h30", "enter")
        await pilot.pause()
        assert grid.editing is None and store.row(entry_id).record.minutes == 90
        # End and home move within the text: the old value kept, edited where the cursor is.
        await open_editor(pilot, grid, entry_id, "time")
        await pilot.press("end", "backspace", "5", "enter")
        await pilot.pause()
        assert grid.editing is None and store.row(entry_id).record.minutes == 95
        await open_editor(pilot, grid, entry_id, "time")
        await pilot.press("right", "home", "1", "enter")
        await pilot.pause()
        assert grid.editing is None and store.row(entry_id).record.minutes == 11 * 60 + 35


async def test_the_editor_covers_whole_cells_and_grows_with_its_value(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[-1]  # scrolled into view
        index = store.index_of(entry_id)
        assert index is not None
        ends = {column.x + column.width for column in grid.columns}
        for column_key in ("time", "date"):
            editor = await open_editor(pilot, grid, entry_id, column_key)
            column = next(c for c in grid.columns if c.key == column_key)
            region = grid.editor_region
            assert region is not None
            y = region.y
            x = region.x - grid.region.x
            right = x + region.width
            assert grid.scroll_offset.y > 0
            assert y == grid.region.y + 1 + index - grid.scroll_offset.y
            assert x == column.x and region.width >= len(editor.value) + 1
            assert right in ends  # it stops where a column stops: no cell shows cut
            drawn = screen_lines(app)[y][grid.region.x :]
            row = row_line(grid, index)
            assert drawn[x : x + len(editor.value)] == editor.value
            assert drawn[:x] == row[:x] and drawn[right:] == row[right:]
            await pilot.press("escape")
            await pilot.pause()


async def test_a_refused_value_shows_on_the_status_line_and_hides_no_row(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        index = store.index_of(entry_id)
        assert index is not None and index + 1 < len(store.order)
        editor = await open_editor(pilot, grid, entry_id, "time")
        await pilot.press("ctrl+u", *"abc", "enter")
        await pilot.pause()
        assert grid.editing is not None and app.focused is grid and editor.value == "abc"
        assert "not a duration" in status_line(grid) and "not a duration" in (grid.edit_error or "")
        assert store.staged_count == 0
        # The next row is drawn as it is; the message is on the grid's last line.
        lines = screen_lines(app)
        below = grid.region.y + 1 + index + 1 - grid.scroll_offset.y
        assert lines[below][grid.region.x :].rstrip() == row_line(grid, index + 1).rstrip()
        last = grid.region.y + grid.scrollable_content_region.height - 1
        assert "not a duration" in lines[last]
        assert sum("not a duration" in line for line in lines) == 1
        # Typing clears it; a good value closes the editor.
        await pilot.press("backspace")
        await pilot.pause()
        assert grid.edit_error is None and "not a duration" not in status_line(grid)
        await pilot.press("ctrl+u", *"2:15", "enter")
        await pilot.pause()
        assert grid.editing is None and store.row(entry_id).record.minutes == 135


def designs(store: Store) -> dict[str, str]:
    """The demo's services named Design (three: two deals of Acme Corp, one of another
    client), label → id; their labels differ only by project and deal."""
    found = {
        service_name(store.services, s.id): s.id
        for s in store.services.values()
        if s.name == "Design"
    }
    assert len(found) == 3 and all(label.startswith("Design (") for label in found)
    return found


async def test_the_suggestion_list_is_mounted_only_once_an_editor_lists_choices(
    store: Store,
) -> None:
    """The first frame has no editor open: its option list is not styled for it. The
    first service editor mounts the list and shows the services in it."""
    app = GridApp(store, stage=False)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        assert not grid.query(OptionList)
        await open_editor(pilot, grid, editable_ids(store)[0], "note")
        await pilot.press("escape")
        assert not grid.query(OptionList)  # a note has no choices
        await open_editor(pilot, grid, editable_ids(store)[0], "service")
        suggestions = grid.query_one(OptionList)
        assert suggestions.display and suggestions.option_count == len(store.services)
        assert suggestions.region.y == grid.editor_region.y + 1  # type: ignore[union-attr]


async def test_service_suggestions_tell_the_designs_apart_and_pick_stages_the_id(
    store: Store,
) -> None:
    labels = designs(store)
    messages: list[Message] = []
    app = GridApp(store, stage=False)
    async with app.run_test(size=(120, 24), message_hook=messages.append) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        editor = await open_editor(pilot, grid, entry_id, "service")
        suggestions = grid.query_one(OptionList)
        assert suggestions.display and suggestions.option_count == len(store.services)
        await pilot.press(*"design")
        await pilot.pause()
        shown = [str(option.prompt) for option in suggestions.options]
        assert sorted(shown) == sorted(labels)
        # Below the editor, over the rows, drawn on screen.
        region = grid.editor_region
        assert region is not None and suggestions.region.y == region.y + 1
        assert shown[1] in screen_lines(app)[suggestions.region.y + 1]
        # Enter with nothing highlighted names them all; down, down, enter picks the second.
        await pilot.press("enter")
        await pilot.pause()
        assert edited(messages) == [] and "matches 3 services" in status_line(grid)
        assert shown[0] in status_line(grid)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert edited(messages) == [(entry_id, "service_id", labels[shown[1]])]
        grid.finish_edit()
        # Typing the context filters; tab picks the first match.
        await open_editor(pilot, grid, entry_id, "service")
        await pilot.press(*"brand refresh", "tab")
        await pilot.pause()
        brand = next(label for label in labels if "Brand refresh" in label)
        assert edited(messages)[-1] == (entry_id, "service_id", labels[brand])
        grid.finish_edit()
        # The full label, typed in another case, resolves too.
        editor = await open_editor(pilot, grid, entry_id, "service")
        editor.value = shown[2].lower()
        await pilot.press("enter")
        await pilot.pause()
        assert edited(messages)[-1] == (entry_id, "service_id", labels[shown[2]])


async def test_a_click_on_a_suggestion_stages_it_and_a_click_on_a_row_moves_nothing(
    store: Store,
) -> None:
    labels = designs(store)
    messages: list[Message] = []
    app = GridApp(store, stage=False)
    async with app.run_test(size=(120, 24), message_hook=messages.append) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        await open_editor(pilot, grid, entry_id, "service")
        await pilot.press(*"design")
        await pilot.pause()
        cursor = grid.cursor_row
        # A click on another row while editing: the cursor stays, the editor stays open.
        region = grid.editor_region
        assert region is not None
        await pilot.click(offset=(region.x, grid.region.y + grid.region.height - 4))
        assert grid.cursor_row == cursor and grid.editing is not None
        suggestions = grid.query_one(OptionList)
        second = str(suggestions.get_option_at_index(1).prompt)
        await pilot.click(offset=(suggestions.region.x + 2, suggestions.region.y + 1))
        await pilot.pause()
        assert edited(messages) == [(entry_id, "service_id", labels[second])]


async def test_task_suggestions_list_the_rows_service_first(store: Store) -> None:
    app = GridApp(store, stage=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = next(
            i
            for i in editable_ids(store)
            if any(t.service_id == store.records[i].service_id for t in store.tasks.values())
        )
        service_id = store.records[entry_id].service_id
        await open_editor(pilot, grid, entry_id, "task")
        suggestions = grid.query_one(OptionList)
        ids = [option.id for option in suggestions.options]
        mine = [i for i, t in store.tasks.items() if t.service_id == service_id]
        assert set(ids) == set(store.tasks) and set(ids[: len(mine)]) == set(mine)
        other = suggestions.get_option_at_index(len(mine))
        task = store.tasks[other.id or ""]
        assert str(other.prompt).endswith(f" · {service_name(store.services, task.service_id)}")


async def test_at_80_columns_the_status_column_stays_in_view(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = Harness(tmp_path, clock).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        entry_grid = grid(app)
        header = screen_lines(app)[entry_grid.region.y]
        assert "Status" in header and "Note" in header and "Time" in header
        status = next(c for c in entry_grid.columns if c.key == "status")
        assert status.end <= entry_grid.scrollable_content_region.width
        assert entry_grid.virtual_size.width <= entry_grid.scrollable_content_region.width


async def test_column_widths_do_not_follow_the_rows(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        widths = grid.columns
        store.stage_edit(editable_ids(store)[0], "note", "a much longer note " * 6)
        await pilot.pause()
        assert grid.columns == widths
        # Another week, with other notes, services and tasks: the same widths.
        assert store.query is not None
        person_ids = store.query.person_ids
        start, end = WEEK[0] - timedelta(days=7), WEEK[1] - timedelta(days=7)
        await store.load(EntryQuery(start, end, person_ids=person_ids))
        await pilot.pause()
        assert store.order and grid.columns == widths


async def test_an_empty_week_says_so_with_the_next_step(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        assert store.query is not None
        person_ids = store.query.person_ids
        far = WEEK[0] + timedelta(days=7 * 52)
        await store.load(EntryQuery(far, far + timedelta(days=6), person_ids=person_ids))
        await pilot.pause()
        assert not store.order
        assert row_line(grid, 0).strip() == "No entries · n adds one · ] next week"
        # Remapped keys show as remapped; while loading it says so instead.
        app.set_keymap({"new-entry": "a", "next-week": "j,right_square_bracket"})
        store.status.loading = True
        grid.refresh()
        assert row_line(grid, 0).strip() == "Loading…"
        store.status.loading = False
        assert row_line(grid, 0).strip() == "No entries · a adds one · j next week"


async def test_an_editor_scrolled_off_its_row_hides_and_keeps_its_text(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        editor = await open_editor(pilot, grid, editable_ids(store)[0], "note")
        await pilot.press(*"half typed")
        grid.scroll_to(y=grid.max_scroll_y, animate=False, immediate=True)
        await pilot.pause()
        assert grid.editor_region is None and grid.editing is not None
        assert not any("half typed" in line for line in screen_lines(app))
        grid.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        assert grid.editor_region is not None and editor.value == "half typed"
        assert any("half typed" in line for line in screen_lines(app))
        assert app.focused is grid


async def test_a_cell_edit_moves_no_focus_and_lays_the_screen_out_never(store: Store) -> None:
    """Issue 18: enter, a key, enter cost 77 ms CPU because the focus went to an Input and
    back (CSS re-applied over the DOM, bindings recomputed, the grid redrawn) and the
    overlay's show, move and hide each laid the screen out. Now the grid keeps the focus and
    draws the editor in its row."""
    messages: list[Message] = []
    app = GridApp(store)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        entry_id = editable_ids(store)[0]
        grid.move_to(entry_id)
        assert grid.move_to_column("note")
        await pilot.pause()
        layouts: list[object] = []
        app.screen.screen_layout_refresh_signal.subscribe(grid, layouts.append)
        messages.clear()
        await pilot.press("enter", "x", "enter")
        await pilot.pause()
        assert store.row(entry_id).record.note == "x" and grid.editing is None
        focus_moves = [m for m in messages if isinstance(m, events.Focus | events.Blur)]
        assert (focus_moves, len(layouts)) == ([], 0) and app.focused is grid


async def test_the_editor_keys_paste_and_clicks_work_as_in_an_input(store: Store) -> None:
    app = GridApp(store, stage=False)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        editor = await open_editor(pilot, grid, editable_ids(store)[0], "note")
        assert editor.selection == (0, len(editor.value))  # all selected: typing replaces
        await pilot.press(*"abc def")
        assert editor.value == "abc def" and editor.selection == (7, 7)
        await pilot.press("ctrl+w")
        assert editor.value == "abc "
        await pilot.press("home", "shift+right", "shift+right", "X")
        assert editor.value == "Xc "
        await pilot.press("ctrl+left", "delete", "end", "left", "backspace")
        assert editor.value == " " and editor.cursor == 0
        # A bracketed paste inserts at the caret, its lines joined (none dropped).
        app.post_message(events.Paste("pasted\nsecond\tline"))
        await pilot.pause()
        assert editor.value == "pasted second line " and grid.editing is not None
        assert any(n.message.startswith("Pasted 2 lines as one") for n in app._notifications)
        # A click in the editor puts the caret under the mouse.
        region = grid.editor_region
        assert region is not None
        await pilot.click(offset=(region.x + 3, region.y))
        await pilot.press("_")
        assert editor.value == "pas_ted second line "
        # The text is drawn in the cell, the caret with the cursor style.
        line = grid.render_line(region.y - grid.region.y)
        assert "pas_ted" in line.text
        await pilot.press("escape")
        await pilot.pause()
        assert grid.editing is None
        assert "pas_ted" not in grid.render_line(region.y - grid.region.y).text


async def test_letters_typed_in_the_editor_run_no_screen_key_and_the_bar_hides_them(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The grid keeps the focus while editing, so the timesheet screen's letter keys
    (n new, d delete) must type, as past a focused Input, and leave the key bar."""
    from tui.widgets.key_bar import KeyBar

    app = Harness(tmp_path, clock).app()
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        view = grid(app)
        entry_id = next(i for i in app.store.order if not app.store.records[i].locked)
        view.move_to(entry_id)
        assert view.move_to_column("note")
        rows = len(app.store.order)
        assert "n New" in bar.text
        await pilot.press("enter", "n", "d")
        await pilot.pause()
        assert view.editor.value == "nd" and len(app.store.order) == rows
        assert app.store.staged_count == 0
        assert bar.text.startswith("esc Cancel edit") and "n New" not in bar.text
        await pilot.press("enter")
        await pilot.pause()
        assert app.store.row(entry_id).record.note == "nd" and "n New" in bar.text


async def test_the_cursor_cell_follows_focus_and_theme_though_styles_are_kept(
    store: Store,
) -> None:
    """The grid keeps its resolved styles between frames; a blur or a theme change must
    still show (they come with `notify_style_update`)."""
    app = GridApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        line = store.index_of(grid.cursor_id or "") + 1 - grid.scroll_offset.y

        def cursor_style() -> object:
            column = grid.columns[grid.cursor_column]
            strip = grid.render_lines(grid.region.reset_offset)[line].crop(column.x, column.x + 1)
            return next(iter(strip)).style

        focused = cursor_style()
        app.set_focus(None)
        await pilot.pause()
        blurred = cursor_style()
        assert blurred != focused
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        assert cursor_style() not in (blurred, focused)


EDITING_KEYS = [
    "left", "shift+left", "ctrl+left", "ctrl+shift+left", "right", "shift+right",
    "ctrl+right", "ctrl+shift+right", "backspace", "ctrl+shift+a", "home", "ctrl+a", "end",
    "ctrl+e", "shift+home", "shift+end", "delete", "ctrl+d", "ctrl+w", "ctrl+u",
    "ctrl+backspace", "ctrl+k",
]  # fmt: skip


async def test_the_editor_edits_exactly_as_textuals_input() -> None:
    """The grid's own editor takes Input's keys: each key from several caret positions
    and selections leaves the same text, caret and selection as a real Input."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input
    from textual.widgets.input import Selection

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(compact=True, select_on_focus=False)

    text = "alpha beta-gamma  delta"
    async with One().run_test() as pilot:
        real = pilot.app.query_one(Input)
        real.focus()
        await pilot.pause()
        for key in EDITING_KEYS:
            for anchor, cursor in [(0, 0), (7, 7), (23, 23), (0, 23), (12, 6)]:
                real.value = text
                real.selection = Selection(anchor, cursor)
                ours = LineEdit()
                ours.open_with(text)
                ours.anchor, ours.cursor = anchor, cursor
                await pilot.press(key)
                assert ours.press(key), key
                start, end = real.selection
                assert (ours.value, ours.anchor, ours.cursor) == (real.value, start, end), (
                    key,
                    anchor,
                    cursor,
                )


def test_a_narrow_view_takes_from_note_first_then_the_names() -> None:
    wide = widths(160, person=False)
    assert {k: wide[k] for k in ("service", "task")} == {
        k: WIDE_TARGETS[k] for k in ("service", "task")
    }
    assert wide["note"] > NOTE_COMFORT
    roomy = widths(120, person=False)
    assert roomy["note"] == NOTE_COMFORT
    assert SPECS["service"].target < roomy["service"] < wide["service"]
    narrow = widths(78, person=False)
    assert narrow["note"] == SPECS["note"].minimum
    assert narrow["service"] < wide["service"] and narrow["task"] < wide["task"]
    assert narrow["status"] == SPECS["status"].target
    columns = layout(78, person=True)
    assert columns[-1].key == "status" and columns[-1].end <= 78


def test_at_80_columns_the_task_gives_way_before_the_service() -> None:
    """Every entry has a service and many have no task: short of room, Task shrinks to
    its minimum before Service gives a cell, then Person, then Service."""
    eighty = widths(80, person=False)
    assert eighty["service"] == SPECS["service"].target
    assert SPECS["task"].minimum <= eighty["task"] < SPECS["task"].target
    with_person = widths(80, person=True)
    assert with_person["task"] == SPECS["task"].minimum
    assert with_person["person"] == SPECS["person"].minimum
    assert SPECS["service"].minimum < with_person["service"] < SPECS["service"].target
    assert sum(with_person.values()) == 80 - MARKER_WIDTH - GAP * len(with_person)


def test_matching_ranks_the_start_then_words_then_letters_in_order() -> None:
    choices = [
        Choice("1", "Design (Acme › Website)", "Design"),
        Choice("2", "Admin", "Admin"),
        Choice("3", "Web design (Internal)", "Web design"),
    ]
    assert [c.id for c in matching(choices, "des")] == ["1", "3"]
    assert [c.id for c in matching(choices, "acme")] == ["1"]
    assert [c.id for c in matching(choices, "adn")] == ["2"]  # letters in order, last resort
    assert resolve("design (acme › website)", "service", choices) == ("1", None)
    assert resolve("3", "service", choices) == ("3", None)
    value, problem = resolve("zzz", "service", choices)
    assert value is None and problem is not None and "No service" in problem
    # What the list suggests alone, enter takes: every typed word in one label.
    assert resolve("web acme", "service", choices) == ("1", None)
    assert resolve("design", "service", [choices[0], choices[2]]) == ("1", None)  # a start first
    value, problem = resolve("e", "service", [choices[0], choices[2]])
    assert value is None and problem is not None and "matches 2 services" in problem


async def test_enter_on_the_status_column_says_it_cannot_be_edited(store: Store) -> None:
    app = GridApp(store)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        grid = app.query_one(EntryGrid)
        grid.move_to(editable_ids(store)[0])
        assert grid.move_to_column("status")
        await pilot.press("enter")
        await pilot.pause()
        assert grid.editing is None
        shown = [n.message for n in app._notifications]
        assert any(m.startswith("Status cannot be edited: it follows submission") for m in shown)
