"""The Textual app: screens, app-wide bindings, long work in workers, one error handler.

The store is plain Python; the app bridges its change callbacks to a Textual `Signal`
that widgets subscribe to, so a view redraws only the rows a change names.
"""

from __future__ import annotations

import shlex
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.notifications import Notify
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from tui.actions import Scope, bindings
from tui.api.base import EntryQuery
from tui.api.errors import ApiError, AuthError, InvalidEntriesError
from tui.config import BUILTIN_PROFILE, ConfigError, default_config_path, load_config
from tui.screens.base import TimesheetAppBase
from tui.startup import startup_done
from tui.store.changes import ProblemKind, StopResult, StoreChange
from tui.store.present import plural
from tui.store.store import UNREACHABLE, StagingError, Store
from tui.store.values import format_minutes, week_range
from tui.widgets.banner import ProfileFacts

if TYPE_CHECKING:
    from textual.command import Provider

OFFLINE_RETRY_SECONDS = 30.0
"""Offline, how long the app waits before it tries the server again by itself."""

TIMER_NOT_STARTED = "Timer not started"
"""The title of a refused timer start."""

TOAST_LINES = 12
"""Terminal lines per toast shown at once (`TimesheetApp.toast_room`)."""

FIRST_FRAME_WAIT_SECONDS = 0.3
"""How long the first frame waits for the week's rows before it shows the screen as it
is (loading): short enough not to be noticed, and a start on the in-process ledger or a
warm cache paints once, with its rows, instead of an empty screen first."""

TIMESHEET, APPROVALS, REPORTS = "timesheet", "approvals", "reports"
"""The main screens' names (keys `1`, `2`, `3`)."""


def main_screen_class(name: str) -> type[Screen[Any]]:
    """The class of a main screen made anew each time it is shown."""
    if name == APPROVALS:
        from tui.screens.approvals import ApprovalsScreen

        return ApprovalsScreen
    from tui.screens.reports import ReportsScreen

    return ReportsScreen


def timesheet_commands() -> type[Provider]:
    """The palette's own commands, imported when the palette first opens."""
    from tui.commands import TimesheetCommands

    return TimesheetCommands


class TimesheetApp(TimesheetAppBase):
    CSS_PATH = "app.tcss"
    TITLE = "timesheet"
    COMMANDS = App.COMMANDS | {timesheet_commands}

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.app)

    def __init__(
        self,
        store: Store,
        *,
        hint: str | None = None,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        theme_dir: Path | None = None,
        theme_choice: Path | None = None,
        profile_facts: ProfileFacts | None = None,
        demo: bool = False,
    ) -> None:
        """`theme` names the colour theme (None keeps Textual's default); `theme_dir` is
        a folder of the user's own theme files (None: only the packaged themes);
        `theme_choice` is the file that keeps the palette's theme choice across restarts
        (None: not kept); `profile_facts`: what the problem banner names (the profile,
        its token's source, the config file, the host); `demo`: the ledger and the
        journal are temporary, gone when the app quits."""
        super().__init__()
        self.store = store
        self.demo = demo
        self.hint = hint
        self.profile_facts = profile_facts or ProfileFacts()
        self._offline_since: datetime | None = None
        """When the app last tried to reach the server while offline."""
        self._user_keymap = keymap or {}
        self._theme_name = theme
        self._theme_choice = theme_choice
        self._theme_applied: str | None = None
        """The theme selected at start: a change from it is the user's choice."""
        self.week_start = week_range(store.today())[0]
        self.store_changed: Signal[StoreChange] = Signal(self, "store-changed")
        store.subscribe(self.store_changed.publish)
        self.first_frame_shown = False
        """Painting has begun (`show_first_frame`)."""
        self._first_frame_waits: Callable[[], None] | None = None
        """Ends the first frame's wait for the week's rows."""
        self._typed_on: weakref.WeakKeyDictionary[events.Key, Screen[Any]] = (
            weakref.WeakKeyDictionary()
        )
        """The screen each key in flight was typed on (`on_event`)."""
        # The theme is chosen before the app first parses its styles: chosen once it
        # runs, Textual would parse and apply them all again for it.
        from tui.themes import apply_theme, theme_to_use

        name = theme_to_use(theme, theme_choice)
        if name is not None:
            self._theme_applied = apply_theme(self, name, theme_dir)

    def on_mount(self) -> None:
        self._begin_batch()  # no frame until the week's rows are in (`show_first_frame`)
        self._first_frame_waits = self.store.subscribe(self._first_frame_rows)
        self.set_timer(FIRST_FRAME_WAIT_SECONDS, self.show_first_frame)
        if self._theme_choice is not None:
            self.theme_changed_signal.subscribe(self, self._keep_theme_choice)
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        from tui.screens.timesheet import TimesheetScreen

        # The timesheet is kept (its grid's cursor and scroll survive a visit to another
        # screen); approvals and reports are made anew each time they are shown.
        self.install_screen(TimesheetScreen(), TIMESHEET)
        self.push_screen(TIMESHEET)
        if self.hint:
            self.notify(self.hint, title="Welcome", timeout=12)
        if self.store.set_aside_journal is not None:
            self.notify(
                "The staged changes kept for this profile were made on another server or"
                f" ledger, so none were applied; they are kept in {self.store.set_aside_journal}.",
                title="Staged changes set aside",
                severity="warning",
                timeout=20,
            )
        if self.store.restored_count:
            self.notify(f"Restored {plural(self.store.restored_count, 'staged change')}.")
        self.open_store()
        # Lost writes (a save's, or the journal's from before a crash) are read back once
        # their grace has passed, so a row never waits longer than it must.
        self.set_interval(1.0, self._settle_when_due)
        # Offline, the app tries again by itself now and then (a refused token waits for
        # the user: trying it again would only be refused again).
        self.set_interval(1.0, self.retry_when_due)

    def _keep_theme_choice(self, theme: Theme) -> None:
        """A theme picked after the start is kept, with the config's theme of now."""
        from tui.config import ConfigError
        from tui.themes import ThemeChoice, write_theme_choice

        if self._theme_choice is None or theme.name == self._theme_applied:
            return
        self._theme_applied = theme.name
        try:
            write_theme_choice(self._theme_choice, ThemeChoice(theme.name, self._theme_name))
        except ConfigError as error:
            self.notify(f"{error} The theme is used until you quit.", severity="warning")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's, without its "Theme": ours ("Change theme") marks the current one."""
        for command in super().get_system_commands(screen):
            if command.callback != self.action_change_theme:
                yield command

    def action_pick_theme(self) -> None:
        """The theme list, the current theme marked; picking one applies (and keeps) it."""
        from textual.command import CommandPalette

        from tui.commands import ThemeCommands

        self.push_screen(
            CommandPalette(providers=[ThemeCommands], placeholder="Search for themes…")
        )

    # ------------------------------------------------------------------ workers

    @work(exclusive=True, group="load", exit_on_error=False)
    async def open_store(self) -> None:
        try:
            await self.store.open()
            await self._load_week()
        finally:  # whatever the outcome, the screen says it now
            self.show_first_frame()

    def _first_frame_rows(self, change: StoreChange) -> None:
        if self.store.order:
            self.show_first_frame()

    def show_first_frame(self) -> None:
        """Paint at last: the week's rows are in, the start's load ended, or the wait
        is over. Once that frame is drawn the start-up is done, and the collector runs
        again (`tui.startup`)."""
        if self.first_frame_shown:
            return
        self.first_frame_shown = True
        if self._first_frame_waits is not None:
            self._first_frame_waits()
        self._end_batch()
        self.call_after_refresh(startup_done)

    async def on_event(self, event: events.Event) -> None:
        """A key typed on one screen that comes back unhandled (bubbled up to the app)
        after an earlier key opened a dialog over it was typed ahead of the dialog: `t`
        then a service's name, `tab`, a start time, faster than the picker showed. It
        goes to the dialog, as it would have a moment later, not to the commands of the
        screen below (where `s` would stop the timer)."""
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                self._typed_on[event] = self.screen
            elif self._typed_on.get(event, self.screen) is not self.screen:
                # Handled now, as if just typed: queued again, a key typed meanwhile
                # would come before it.
                await self.on_event(events.Key(event.key, event.character))
                return
        await super().on_event(event)

    def action_retry_load(self) -> None:
        """Sign in and load again: who am I, the lookups, the timer, the week. A success
        clears the problem banner."""
        self.open_store()

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load_week(self) -> None:
        await self._load_week()

    async def _load_week(self) -> None:
        await self.store.load(self.week_query())

    def week_query(self) -> EntryQuery:
        """The timesheet's range: my entries of its week."""
        start, end = self.week_start, self.week_start + timedelta(days=6)
        person = self.store.person_id
        return EntryQuery(start, end, person_ids=(person,) if person else ())

    def retry_when_due(self) -> None:
        """Offline for `OFFLINE_RETRY_SECONDS` since the last try: sign in and load again."""
        problem = self.store.status.problem
        now = self.store.clock()
        if problem is None or problem.kind is not ProblemKind.offline:
            self._offline_since = None
            return
        if self._offline_since is None:
            self._offline_since = now
        if (now - self._offline_since).total_seconds() < OFFLINE_RETRY_SECONDS:
            return
        if not any(w.group == "load" and w.is_running for w in self.workers):
            self._offline_since = now
            self.open_store()

    def _settle_when_due(self) -> None:
        due = self.store.next_settle_at()
        if due is None or due > self.store.clock() or self.store.status.saving:
            return
        if not any(w.group == "settle" and w.is_running for w in self.workers):
            self.settle_lost_writes()

    @work(exclusive=True, group="settle", exit_on_error=False)
    async def settle_lost_writes(self) -> None:
        report = await self.store.settle_unsettled()
        if report.saved or report.conflicts:
            self.notify(
                f"The server confirmed {report.saved} change(s) whose answers were lost"
                + (
                    f"; {len(report.conflicts)} changed there meanwhile."
                    if report.conflicts
                    else "."
                ),
                title="Saved",
            )

    def shift_week(self, weeks: int) -> None:
        self.week_start += timedelta(days=7 * weeks)
        self.load_week()

    @work(group="timer", exit_on_error=False)
    async def action_stop_timer(self) -> None:
        if not self.store.capabilities.timers:
            self.notify(f"{self.store.backend.name.title()} has no timers.", severity="warning")
            return
        if self.store.timer is None:
            await self.store.refresh_timer()
        if self.store.timer is None:
            self.notify("No timer is running.")
            return
        if self.store.timer_forgotten:
            self.action_stop_timer_at(forgotten=True)
            return
        self.report_stop(await self.store.stop_timer())

    def action_stop_timer_at(self, forgotten: bool = False) -> None:
        """Ask when the timer should have stopped (`S`; `s` on a forgotten timer)."""
        from tui.screens.stop_at import StopAtDialog
        from tui.store.values import format_elapsed

        timer = self.store.timer
        if not self.store.capabilities.timers or timer is None or not timer.running:
            self.notify("No timer is running.")
            return
        record = self.store.records.get(timer.entry_id or "")
        message = "Stop the timer at:"
        if forgotten:
            running = format_elapsed(self.store.elapsed_seconds())
            message = f"This timer has run {running}; was it left on? Stop it at:"

        def answered(moment: datetime | None) -> None:
            if moment is not None:
                self.stop_timer_at(timer.id, moment)

        dialog = StopAtDialog(
            timer.started_at, record.minutes if record else 0, self.store.clock, message=message
        )
        self.push_screen(dialog, answered)

    @work(group="timer", exit_on_error=False)
    async def stop_timer_at(self, timer_id: str, moment: datetime) -> None:
        self.report_stop(await self.store.stop_timer(timer_id, at=moment))

    def action_discard_timer(self) -> None:
        from tui.screens.dialogs import ConfirmDialog

        timer = self.store.timer
        if not self.store.capabilities.timers or timer is None or not timer.running:
            self.notify("No timer is running.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.discard_timer(timer.id)

        question = f"Discard the running timer and delete its entry {timer.entry_id}?"
        self.push_screen(ConfirmDialog(question, title="Discard timer"), answered)

    @work(group="timer", exit_on_error=False)
    async def discard_timer(self, timer_id: str) -> None:
        await self.store.discard_timer(timer_id)
        self.notify("Timer discarded; its entry is deleted.", title="Timer discarded")

    def report_stop(self, result: StopResult) -> None:
        """Say what a stop did; one under a minute offers to discard instead of rounding."""
        if result.short:
            from tui.screens.dialogs import ConfirmDialog

            def answered(yes: bool | None) -> None:
                if yes:
                    self.discard_timer(result.timer.id)

            question = (
                f"The timer ran under a minute ({format_minutes(result.minutes)}). "
                f"Discard it and delete its entry {result.entry.id}?"
            )
            self.push_screen(
                ConfirmDialog(question, title="Timer stopped", yes="Discard", no="Keep"), answered
            )
            return
        # The entry's total, not a clock time: "Stopped at 5:48" read as a quarter to six.
        message = f"Its entry now holds {format_minutes(result.minutes)} ({result.minutes} min)."
        if result.rounded_minutes is not None and result.rounded_minutes != result.minutes:
            message += (
                f" Rounding to {format_minutes(result.rounded_minutes)} is staged:"
                " u undoes it, ctrl+s saves it."
            )
        self.notify(message, title="Timer stopped")

    @work(group="timer", exit_on_error=False)
    async def start_timer(
        self, service_id: str, note: str = "", started_at: datetime | None = None
    ) -> None:
        try:
            await self.store.start_timer(service_id, note=note, started_at=started_at)
        except (StagingError, InvalidEntriesError) as error:
            # A refusal of this start (a submitted day): said as one, not as a bad save.
            self.notify(str(error), title=TIMER_NOT_STARTED, severity="error", timeout=10)
            return
        self.notify("Timer started.")
        if self.store.timer_notice:
            self.notify(self.store.timer_notice, title="Start time", timeout=15)

    def on_notify(self, event: Notify) -> None:
        """Every message of the app (a widget's `notify` comes to the app's) before
        Textual shows its toast, so that toasts never bury the screen: one still shown
        with the same title, words and severity goes (the new one takes its place,
        newest, with a fresh timeout: pressing a refused key again does not stack it),
        and only `toast_room` show. Past that room the oldest information goes first: an
        error or a warning is not pushed out by the "Saved." after it, only by newer
        errors and warnings. The words show literally: server text in a message is never
        read as markup."""
        new = event.notification
        new.markup = False
        same = (new.title, new.message, new.severity)
        shown = [n for n in self._notifications if (n.title, n.message, n.severity) != same]
        gone = [n for n in self._notifications if n not in shown]
        over = len(shown) + 1 - self.toast_room  # the new one needs room too
        for old in sorted(shown, key=lambda n: n.severity != "information")[: max(0, over)]:
            gone.append(old)  # `sorted` is stable: the oldest information first
        for old in gone:
            self._unnotify(old, refresh=False)  # Textual's own refresh follows

    @property
    def toast_room(self) -> int:
        """How many toasts show at once: one per `TOAST_LINES` lines of the terminal
        (2 at 24 lines, 3 at 36, 4 at 48), at least one."""
        return max(1, self.size.height // TOAST_LINES)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors become a notification (by exception type)."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if (
            event.worker.group == "load"
            and isinstance(error, (AuthError, *UNREACHABLE))
            and self.store.status.problem is not None
        ):
            return  # the problem banner says it, and stays: no toast that fades
        if isinstance(error, ApiError | StagingError):
            self.notify(
                str(error), title=getattr(error, "title", "Not done"), severity="error", timeout=10
            )
        else:
            self.notify(f"Something went wrong: {error!r}", severity="error", timeout=10)

    # ------------------------------------------------------------------ actions

    def show_main_screen(self, name: str) -> None:
        """Show one of the three main screens (`1` / `2` / `3`) in place of the shown one
        (`switch_screen`, so there is no stack to unwind). Over a dialog or the help (modal:
        Textual gives them only their own keys) it does nothing."""
        from textual.screen import ModalScreen

        if isinstance(self.screen, ModalScreen) or len(self.screen_stack) < 2:
            return
        if name == TIMESHEET:
            if self.screen is not self.get_screen(TIMESHEET):
                self.switch_screen(TIMESHEET)
            # Back on the timesheet: it shows its own range (my entries of its week) again.
            if self.store.query != self.week_query():
                self.load_week()
            return
        screen_class = main_screen_class(name)
        if not isinstance(self.screen, screen_class):
            self.switch_screen(screen_class())

    def action_show_timesheet(self) -> None:
        self.show_main_screen(TIMESHEET)

    def action_show_approvals(self) -> None:
        self.show_main_screen(APPROVALS)

    def action_show_reports(self) -> None:
        self.show_main_screen(REPORTS)

    def action_show_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_switch_profile(self) -> None:
        """The profiles in a list, the one in use marked (as the theme list marks its
        theme). The app runs one profile per start: picking another says the exact command."""
        from textual.command import CommandPalette

        from tui.commands import profile_commands

        try:
            loaded = load_config(self.profile_facts.config_path)  # `--config PATH` too
        except ConfigError as error:
            self.notify(str(error), title="Switch profile", severity="error", timeout=10)
            return
        names = list(loaded.config.profiles) or [BUILTIN_PROFILE]
        current = self.profile_facts.name
        # The file named when it is not the one `timesheet` reads by itself.
        named = loaded.path is not None and loaded.path != default_config_path()
        config = f" --config {shlex.quote(str(loaded.path))}" if named else ""

        def command(name: str) -> str:
            return f"timesheet{config} --profile {shlex.quote(name)}"

        def picked(name: str) -> None:
            if name == current:
                message = f"{name} is the profile in use."
            else:
                message = (
                    f"The app opens one profile per run: to open {name}, quit (q) "
                    f"and run `{command(name)}`."
                )
            self.notify(message, title="Switch profile", timeout=15, markup=False)

        self.push_screen(
            CommandPalette(
                providers=[profile_commands(names, current, picked, command)],
                placeholder="Search for profiles…",
            )
        )

    def action_help_panel(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    async def action_quit(self) -> None:
        if self.store.staged_count == 0:
            self.exit()
            return
        from tui.screens.dialogs import ConfirmDialog
        from tui.store.present import plural

        count = self.store.staged_count

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.exit()

        changes = plural(count, "staged change")
        if self.demo:
            where = "is" if count == 1 else "are"
            question = (
                f"{changes} {where} in the temporary demo folder, which is deleted on quit. "
                "Quit anyway?"
            )
        else:
            kept = (
                "It is kept in the journal and comes back next time."
                if count == 1
                else "They are kept in the journal and come back next time."
            )
            waiting = sum(1 for i in self.store.staging.staged if i in self.store.unsettled)
            state = "not saved"
            if waiting == count:  # sent, its answer lost: not "not saved"
                state = (
                    "waiting for the server to confirm it"
                    if count == 1
                    else ("waiting for the server to confirm them")
                )
            question = f"{changes} {state}. {kept} Quit now?"
        self.push_screen(ConfirmDialog(question), answered)

    async def on_unmount(self) -> None:
        await self.store.aclose()
