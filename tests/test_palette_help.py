"""The command palette, the help screen and the user's keymap, driven through the real app
over the demo ledger.

Every palette command has an effect test here, keyed by its title: the test iterates over the
provider's own command list, so a new command without a test fails."""

from __future__ import annotations

import os
import shlex
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.command import CommandPalette

from tests.app_harness import BACKENDS, SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.commands import PALETTE_COMMANDS, TimesheetCommands
from tui.config import load_config
from tui.screens.help import HelpScreen
from tui.screens.timesheet import TimesheetScreen
from tui.store.records import RowState
from tui.store.report import By
from tui.store.values import week_range
from tui.widgets.banner import ProfileFacts

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock, request: pytest.FixtureRequest) -> Harness:
    """The demo over Productive's API; `parametrize("harness", BACKENDS, indirect=True)` runs
    a test over Plannr's too (a backend without approvals)."""
    return Harness(tmp_path, clock, getattr(request, "param", "productive"))


over_both_backends = pytest.mark.parametrize("harness", BACKENDS, indirect=True)


async def run_command(pilot, title: str) -> None:
    """ctrl+p, type the command's title, enter: what a user does."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await run_command_in_palette(pilot, title)


async def run_command_in_palette(pilot, title: str) -> None:
    """In the palette shown (the app's, or a list such as the themes'): type, enter."""
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*title)
    await settle(pilot)  # the palette's search runs in a worker
    await pilot.press("enter")
    await settle(pilot)


def editable_id(app: TimesheetApp) -> str:
    store = app.store
    return next(i for i in store.order if not store.records[i].locked)


def has_approvals(app: TimesheetApp) -> bool:
    return app.store.capabilities.approvals


async def open_approvals(app: TimesheetApp, pilot) -> None:
    """The approvals screen, on either backend: without approvals it says so."""
    await app.run_action("show_approvals")
    await settle(pilot)
    assert_on_approvals(app)


def assert_on_approvals(app: TimesheetApp) -> None:
    assert type(app.screen).__name__ == "ApprovalsScreen"
    assert app.screen.has_class("-unsupported") is not has_approvals(app)
    assert ("has no approvals" in screen_text(app)) is not has_approvals(app)


def notifications(app: TimesheetApp) -> list[str]:
    return [n.message for n in app._notifications]


# ---------------------------------------------------------------- one effect per command

Effect = Callable[[Harness, TimesheetApp, object, str], Awaitable[None]]
EFFECTS: dict[str, Effect] = {}


def effect(title: str) -> Callable[[Effect], Effect]:
    def register(function: Effect) -> Effect:
        EFFECTS[title] = function
        return function

    return register


@effect("Stop timer")
async def _stop_timer(harness, app, pilot, title) -> None:
    assert app.store.timer is not None and app.store.timer.running
    harness.clock.advance(minutes=28)
    await run_command(pilot, title)
    assert app.store.timer is None


@effect("Stop timer at a time")
async def _stop_timer_at(harness, app, pilot, title) -> None:
    from tui.screens.stop_at import StopAtDialog

    await run_command(pilot, title)
    assert isinstance(app.screen, StopAtDialog)
    await pilot.press("escape")
    assert app.store.timer is not None and app.store.timer.running


@effect("Discard timer")
async def _discard_timer(harness, app, pilot, title) -> None:
    from tui.screens.dialogs import ConfirmDialog

    await run_command(pilot, title)
    assert isinstance(app.screen, ConfirmDialog)
    assert "Discard the running timer" in app.screen.message
    await pilot.press("n")
    assert app.store.timer is not None and app.store.timer.running


@effect("Start timer")
async def _start_timer(harness, app, pilot, title) -> None:
    from tui.screens.dialogs import ServicePicker

    await run_command(pilot, title)
    assert isinstance(app.screen, ServicePicker)


@effect("New entry")
async def _new_entry(harness, app, pilot, title) -> None:
    before = app.store.staged_count
    await run_command(pilot, title)
    assert app.store.staged_count == before + 1
    assert app.store.row(grid(app).cursor_id).state is RowState.new


@effect("Delete entry")
async def _delete_entry(harness, app, pilot, title) -> None:
    entry_id = editable_id(app)
    grid(app).move_to(entry_id)
    await run_command(pilot, title)
    assert app.store.row(entry_id).state is RowState.deleted


@effect("Undo")
async def _undo(harness, app, pilot, title) -> None:
    entry_id = editable_id(app)
    app.store.stage_delete([entry_id])
    await run_command(pilot, title)
    assert app.store.row(entry_id).state is RowState.clean


@effect("Redo")
async def _redo(harness, app, pilot, title) -> None:
    entry_id = editable_id(app)
    app.store.stage_delete([entry_id])
    app.store.undo()
    await run_command(pilot, title)
    assert app.store.row(entry_id).state is RowState.deleted


@effect("Save")
async def _save(harness, app, pilot, title) -> None:
    from tui.screens.save_review import SaveReview

    app.store.stage_delete([editable_id(app)])
    await run_command(pilot, title)
    assert isinstance(app.screen, SaveReview)


@effect("Show details")
async def _show_details(harness, app, pilot, title) -> None:
    from tui.screens.entry_detail import EntryDetail

    entry_id = grid(app).cursor_id
    assert entry_id is not None
    await run_command(pilot, title)
    assert isinstance(app.screen, EntryDetail) and app.screen.entry_id == entry_id


@effect("Previous week")
async def _previous_week(harness, app, pilot, title) -> None:
    start = app.week_start
    await run_command(pilot, title)
    assert app.week_start == start - timedelta(days=7)


@effect("Next week")
async def _next_week(harness, app, pilot, title) -> None:
    start = app.week_start
    await run_command(pilot, title)
    assert app.week_start == start + timedelta(days=7)


@effect("This week")
async def _this_week(harness, app, pilot, title) -> None:
    current = app.week_start
    app.shift_week(-3)
    await settle(pilot)
    assert app.week_start != current
    await run_command(pilot, title)
    assert app.week_start == current == week_range(app.store.today())[0]
    assert app.store.order and all(
        current <= app.store.records[i].date <= current + timedelta(days=6) for i in app.store.order
    )


@effect("Open timesheet")
async def _open_timesheet(harness, app, pilot, title) -> None:
    await open_approvals(app, pilot)
    await run_command(pilot, title)
    assert isinstance(app.screen, TimesheetScreen)


@effect("Open approvals")
async def _open_approvals(harness, app, pilot, title) -> None:
    await run_command(pilot, title)
    assert_on_approvals(app)  # with approvals, the screen; without, why there are none


async def open_reports(app: TimesheetApp, pilot):
    from tui.screens.reports import ReportsScreen

    await app.run_action("show_reports")
    await settle(pilot)
    assert isinstance(app.screen, ReportsScreen) and app.screen.loaded
    return app.screen


@effect("Open reports")
async def _open_reports(harness, app, pilot, title) -> None:
    from tui.screens.reports import ReportsScreen

    await run_command(pilot, title)
    assert isinstance(app.screen, ReportsScreen) and app.screen.loaded


@effect("Previous range")
async def _previous_range(harness, app, pilot, title) -> None:
    view = await open_reports(app, pilot)
    first = view.first
    await run_command(pilot, title)
    assert view.first == first - timedelta(days=7) and view.loaded


@effect("Next range")
async def _next_range(harness, app, pilot, title) -> None:
    view = await open_reports(app, pilot)
    first = view.first
    await run_command(pilot, title)
    assert view.first == first + timedelta(days=7) and view.loaded


@effect("Report on this month")
async def _report_month(harness, app, pilot, title) -> None:
    view = await open_reports(app, pilot)
    await run_command(pilot, title)
    today = app.store.today()
    assert (view.first, view.last.month, view.span.value) == (
        today.replace(day=1),
        today.month,
        "month",
    )


@effect("Report on this week")
async def _report_week(harness, app, pilot, title) -> None:
    view = await open_reports(app, pilot)
    await pilot.press("m")
    await settle(pilot)
    await run_command(pilot, title)
    assert (view.first, view.span.value) == (week_range(app.store.today())[0], "week")


@effect("Report on a range")
async def _report_range(harness, app, pilot, title) -> None:
    view = await open_reports(app, pilot)
    await run_command(pilot, title)
    await pilot.press(*"2026-11-02 2026-11-15", "enter")
    await settle(pilot)
    assert (view.first.isoformat(), view.last.isoformat()) == ("2026-11-02", "2026-11-15")
    assert view.loaded


@effect("Report on everyone")
async def _report_everyone(harness, app, pilot, title) -> None:
    view = await open_reports(app, pilot)
    await run_command(pilot, title)
    assert view.everyone and view.loaded and view.has_class("-everyone")
    assert len(view.report.sums[By.person]) > 1


def dispatched_on_approvals(action: str) -> Effect:
    """Approvals commands run the approvals screen's own action (its dialogs are its tests).
    Over a backend without approvals they run it too, and it does nothing but say so."""

    async def check(harness, app, pilot, title) -> None:
        await open_approvals(app, pilot)
        screen = app.screen
        if has_approvals(app):
            calls: list[str] = []
            setattr(screen, f"action_{action}", lambda: calls.append(action))
            await run_command(pilot, title)
            assert calls == [action]
        else:
            before = set(notifications(app))
            await run_command(pilot, title)
            assert app.screen is screen and screen.selected == set()  # no dialog, nothing picked
            said = set(notifications(app)) - before
            if action == "select_all":
                assert screen.shown == [] and said == set()
            else:
                assert said == {"Plannr has no approvals."}

    return check


for _title, _action in [
    ("Select all", "select_all"),
    ("Approve selection", "approve"),
    ("Unapprove selection", "unapprove"),
    ("Reject selection", "reject"),
    ("Unreject selection", "unreject"),
]:
    effect(_title)(dispatched_on_approvals(_action))


@effect("Submit week")
async def _submit_week(harness, app, pilot, title) -> None:
    from tui.screens.dialogs import ConfirmDialog

    await run_command(pilot, title)
    await settle(pilot)
    assert isinstance(app.screen, ConfirmDialog) and app.screen.title_text == "Submit the week?"


@effect("Unsubmit week")
async def _unsubmit_week(harness, app, pilot, title) -> None:
    from tui.screens.dialogs import ConfirmDialog

    async with ProductiveAdapter.for_ledger(harness.db) as backend:
        await backend.submit_days(str(harness.db.identity.owner_person_id), [app.week_start])
    await run_command(pilot, title)
    await settle(pilot)
    assert isinstance(app.screen, ConfirmDialog)
    assert app.screen.title_text == "Unsubmit the week?"


def option_lines(app: TimesheetApp) -> list[str]:
    """The palette's options as shown, each its first line (the name, not its help)."""
    from textual.command import CommandList

    listed = app.screen.query_one(CommandList)
    return [
        str(listed.get_option_at_index(i).prompt).split("\n")[0] for i in range(listed.option_count)
    ]


@effect("Switch profile")
async def _switch_profile(harness, app, pilot, title) -> None:
    app.profile_facts = ProfileFacts(name="home")
    await run_command(pilot, title)
    assert isinstance(app.screen, CommandPalette)  # the profile list
    assert option_lines(app) == ["home  ✓ current", "work"]
    await run_command_in_palette(pilot, "work")
    shown = notifications(app)
    config = os.environ["TIMESHEET_CONFIG"]  # not the default file: named in the command
    assert any(f"quit (q) and run `timesheet --config {config} --profile work`" in m for m in shown)


@effect("Change theme")
async def _change_theme(harness, app, pilot, title) -> None:
    await run_command(pilot, title)
    assert isinstance(app.screen, CommandPalette)  # the theme picker
    assert "theme" in app.screen.query_one("CommandInput").placeholder.lower()


@effect("Retry loading")
async def _retry_loading(harness, app, pilot, title) -> None:
    from tests.faults import Fault
    from tui.api.errors import AuthError

    harness.transport.inject(Fault.status_code(401), times=1)
    assert app.store.query is not None
    with pytest.raises(AuthError):
        await app.store.load(app.store.query)
    assert app.store.status.problem is not None  # signed out: the banner says so
    await run_command(pilot, title)
    assert app.store.status.problem is None and app.store.order


@effect("Help")
async def _help(harness, app, pilot, title) -> None:
    await run_command(pilot, title)
    assert isinstance(app.screen, HelpScreen)


@pytest.fixture
def two_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.home]\nbackend = "ledger"\n\n[profiles.work]\nbackend = "ledger"\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("TIMESHEET_CONFIG", str(config))


async def open_profile_list(pilot) -> None:
    """The palette's "Switch profile", which opens the list of profiles."""
    await settle(pilot)
    await pilot.press("ctrl+p")
    await pilot.press(*"Switch profile")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_switch_profile_lists_the_profiles_with_the_one_in_use_marked(
    harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.home]\nbackend = "ledger"\n\n[profiles.work]\nbackend = "ledger"\n\n'
        '[profiles."[b]ig"]\nbackend = "ledger"\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("TIMESHEET_CONFIG", str(config))
    app = harness.app()
    app.profile_facts = ProfileFacts(name="work")  # as the launcher gives it
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_profile_list(pilot)
        # In the config's order, the name literally (not read as markup).
        assert option_lines(app) == ["home", "work  ✓ current", "[b]ig"]
        await pilot.press(*"wo")
        await settle(pilot)
        assert option_lines(app) == ["work  ✓ current"]
        await pilot.press("enter")
        await settle(pilot)
        assert notifications(app)[-1] == "work is the profile in use."


async def test_switch_profile_lists_the_profiles_of_the_config_file_the_app_was_opened_with(
    harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`timesheet --config PATH`: the list is that file's, not the default config's, and
    the command it gives opens that file's profile (the name quoted for the shell)."""
    default, named = tmp_path / "default.toml", tmp_path / "my config.toml"
    default.write_text('[profiles.elsewhere]\nbackend = "ledger"\n')
    named.write_text(
        '[profiles.home]\nbackend = "ledger"\n\n[profiles."my work"]\nbackend = "ledger"\n'
    )
    for file in (default, named):
        file.chmod(0o600)
    monkeypatch.setenv("TIMESHEET_CONFIG", str(default))
    app = harness.app()
    app.profile_facts = ProfileFacts(name="home", config_path=named)  # as the launcher gives it
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_profile_list(pilot)
        assert option_lines(app) == ["home  ✓ current", "my work"]
        await run_command_in_palette(pilot, "my work")
        command = f"timesheet --config {shlex.quote(str(named))} --profile 'my work'"
        assert f"quit (q) and run `{command}`." in notifications(app)[-1]


ON_APPROVALS = (
    "Open approvals",
    "Select all",
    "Approve selection",
    "Unapprove selection",
    "Reject selection",
    "Unreject selection",
)
"""The commands whose effect depends on the backend having approvals."""


@pytest.mark.parametrize(
    ("harness", "title"),
    [("productive", command.title) for command in PALETTE_COMMANDS]
    + [("plannr", title) for title in ON_APPROVALS],
    indirect=["harness"],
)
async def test_every_palette_command_runs_its_action(harness, two_profiles, title) -> None:
    assert title in EFFECTS, f"the palette command {title!r} has no effect test"
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await EFFECTS[title](harness, app, pilot, title)


def test_every_effect_test_names_a_command() -> None:
    assert set(EFFECTS) == {command.title for command in PALETTE_COMMANDS}


async def test_this_week_on_the_approvals_screen_moves_its_own_week_back(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_approvals(app, pilot)
        view = app.screen
        current = view.week_start
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert view.week_start == current - timedelta(days=14)
        await run_command(pilot, "This week")
        assert app.screen is view and view.week_start == current
        assert view.loaded  # the store holds the approvals' current week again
        assert app.week_start == current  # the timesheet's week never moved


@over_both_backends
async def test_palette_offers_screen_commands_only_where_they_work(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        providers = {p if isinstance(p, type) else p() for p in app.COMMANDS}
        assert TimesheetCommands in providers  # the palette's own (imported once asked for)

        def offered() -> set[str]:
            return {c.title for c in PALETTE_COMMANDS if c.offered(app, app.screen)}

        on_timesheet = offered()
        assert {"New entry", "Undo", "Save", "Stop timer", "Help"} <= on_timesheet
        assert not {"Approve selection", "Reject selection"} & on_timesheet
        # Without approvals the screen opens too (to say so), and offers its commands, which
        # say so again: the palette lists what the keys of the screen do.
        await open_approvals(app, pilot)
        on_approvals = offered()
        assert {"Approve selection", "Next week", "This week", "Stop timer"} <= on_approvals
        assert not {"New entry", "Undo", "Save"} & on_approvals


# ---------------------------------------------------------------- help screen and keymap


def screen_text(app: TimesheetApp) -> str:
    """The characters on the terminal, from the screenshot's SVG."""
    import html
    import re

    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text [^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


def own_bindings(cls: type) -> list[Binding]:
    return [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


async def test_help_lists_every_binding_of_the_screen_and_the_app(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {i: row for row in app.screen.rows for i in row.binding_ids}
        for group, cls in [("This screen", TimesheetScreen), ("Everywhere", TimesheetApp)]:
            for binding in own_bindings(cls):
                row = rows[binding.id]
                assert (row.group, row.description, row.tooltip) == (
                    group,
                    binding.description,
                    binding.tooltip,
                )
                assert app.get_key_display(binding) in row.keys
        # The grid's own keys are there too, under the grid.
        assert any(row.action == "edit_cell" for row in app.screen.rows)
        # And the keys are on the screen, not only in a list.
        shown = screen_text(app)
        for binding in [*own_bindings(TimesheetScreen), *own_bindings(TimesheetApp)]:
            assert binding.description in shown
        for close in ["escape", "q", "question_mark"]:
            if not isinstance(app.screen, HelpScreen):
                await pilot.press("question_mark")
                await pilot.pause()
            await pilot.press(close)
            await pilot.pause()
            assert isinstance(app.screen, TimesheetScreen), close


@over_both_backends
async def test_help_on_the_approvals_screen_lists_its_keys(harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_approvals(app, pilot)
        screen_type = type(app.screen)
        await app.run_action("show_help")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {i for row in app.screen.rows for i in row.binding_ids}
        assert {b.id for b in own_bindings(screen_type)} - {None} <= rows
        assert {b.id for b in own_bindings(TimesheetApp)} <= rows


async def test_a_user_keymap_rebinds_stop_timer_from_the_config(harness, tmp_path) -> None:
    config = tmp_path / "keys.toml"
    config.write_text('[keys]\n"stop-timer" = "ctrl+t"\n')
    keymap = dict(load_config(config).config.keys)
    assert keymap == {"stop-timer": "ctrl+t"}
    app = TimesheetApp(harness.app().store, keymap=keymap)  # as tui.launch builds it
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.store.timer is not None
        await pilot.press("s")
        await settle(pilot)
        assert app.store.timer is not None  # s no longer stops it
        await pilot.press("question_mark")
        await pilot.pause()
        stop = next(row for row in app.screen.rows if "stop-timer" in row.binding_ids)
        assert stop.keys == (app.get_key_display(Binding("ctrl+t", "stop_timer")),)
        await pilot.press("escape")
        await pilot.pause()
        harness.clock.advance(minutes=28)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.store.timer is None


async def test_remapping_help_moves_both_opening_and_closing(harness) -> None:
    app = TimesheetApp(harness.app().store, keymap={"help": "f1"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_row = next(row for row in app.screen.rows if "help" in row.binding_ids)
        assert help_row.keys == (app.get_key_display(Binding("f1", "show_help")),)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, TimesheetScreen)
