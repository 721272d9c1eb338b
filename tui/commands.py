"""The command palette (ctrl+p): every action of the app, found by name.

A command is a small frozen dataclass: its title, a line of help, what it runs and where it
is offered. Commands that act on a screen (new entry, undo, approve, ...) are offered only
when the screen the palette was opened from has that action, so the palette never lists a
command that would do nothing; they run through Textual's `run_action`, so the screen's own
`check_action` still applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

Run = Callable[["App[Any]", "Screen[Any]"], "Awaitable[Any] | None"]
Offered = Callable[["App[Any]", "Screen[Any]"], bool]


def _always(app: App[Any], screen: Screen[Any]) -> bool:
    return True


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry."""

    title: str
    """What the user types and sees (also the test's key for its effect)."""
    help: str
    """One line under the title."""
    run: Run
    """Called with the app and the screen the palette was opened from."""
    offered: Offered = _always
    """Whether to list the command for this app and screen."""


def app_action(title: str, help: str, action: str) -> PaletteCommand:
    """A command running the app's `action_<action>` (offered when the app has it)."""
    return PaletteCommand(
        title,
        help,
        run=lambda app, screen: app.run_action(action, app),
        offered=lambda app, screen: hasattr(app, f"action_{action}"),
    )


def screen_action(title: str, help: str, action: str) -> PaletteCommand:
    """A command running the current screen's `action_<action>` (offered where it exists)."""
    return PaletteCommand(
        title,
        help,
        run=lambda app, screen: app.run_action(action, screen),
        offered=lambda app, screen: hasattr(screen, f"action_{action}"),
    )


def _this_week(app: App[Any], screen: Screen[Any]) -> Awaitable[Any] | None:
    """Back to the current week, on whichever week screen the palette was opened from (the
    timesheet keeps its week on the app, the approvals screen its own)."""
    if hasattr(screen, "action_this_week"):
        return app.run_action("this_week", screen)
    from tui.store.values import week_range

    current = week_range(app.store.today())[0]  # type: ignore[attr-defined]
    shown = getattr(screen, "week_start", None) or app.week_start  # type: ignore[attr-defined]
    weeks = (current - shown).days // 7
    if weeks:
        (getattr(screen, "shift_week", None) or app.shift_week)(weeks)  # type: ignore[attr-defined]
    update = getattr(screen, "update_week_bar", None)
    if update is not None:
        update()
    return None


def _on_week_screen(app: App[Any], screen: Screen[Any]) -> bool:
    return hasattr(screen, "action_this_week") or hasattr(screen, "action_next_week")


def _switch_profile(app: App[Any], screen: Screen[Any]) -> None:
    """The app runs one profile per start: say which profiles exist and the exact command."""
    from tui.config import BUILTIN_PROFILE, ConfigError, load_config

    try:
        loaded = load_config()
    except ConfigError as error:
        app.notify(str(error), title="Switch profile", severity="error", timeout=10)
        return
    names = list(loaded.config.profiles) or [BUILTIN_PROFILE]
    where = f" (from {loaded.path})" if loaded.path else ""
    app.notify(
        f"Profiles{where}: {', '.join(names)}. The app opens one profile per run: quit (q) "
        f"and run `timesheet --profile NAME`, e.g. `timesheet --profile {names[0]}`.",
        title="Switch profile",
        timeout=15,
    )


def _change_theme(app: App[Any], screen: Screen[Any]) -> None:
    # The app's own action when it has one (the themes module), else Textual's picker.
    app.action_change_theme()


PALETTE_COMMANDS: tuple[PaletteCommand, ...] = (
    app_action("Stop timer", "Stop the running timer at once.", "stop_timer"),
    screen_action("Start timer", "Start a timer on a service.", "start_timer"),
    screen_action("New entry", "Stage a new entry below the cursor.", "new_entry"),
    screen_action("Delete entry", "Stage deletion of the entry under the cursor.", "delete_entry"),
    screen_action("Undo", "Undo the last staged change.", "undo"),
    screen_action("Redo", "Redo what undo reverted.", "redo"),
    screen_action("Save", "Review the staged changes and save them in bulk.", "review_save"),
    screen_action("Previous week", "Show the previous week.", "previous_week"),
    screen_action("Next week", "Show the next week.", "next_week"),
    PaletteCommand("This week", "Go back to the current week.", _this_week, _on_week_screen),
    app_action("Open timesheet", "The week's entries and the running timer.", "show_timesheet"),
    app_action("Open approvals", "Approve, unapprove or reject entries in bulk.", "show_approvals"),
    screen_action("Select all", "Select every entry shown.", "select_all"),
    screen_action("Approve selection", "Approve the selected entries.", "approve"),
    screen_action("Unapprove selection", "Unapprove the selected entries.", "unapprove"),
    screen_action("Reject selection", "Reject the selected entries, with a reason.", "reject"),
    PaletteCommand(
        "Switch profile", "List the profiles and how to open another one.", _switch_profile
    ),
    PaletteCommand("Change theme", "Pick a colour theme.", _change_theme),
    app_action("Help", "Show every key and what it does here.", "show_help"),
)
"""Every palette command, in the order discovery lists them."""


class TimesheetCommands(Provider):
    """The app's commands for Textual's command palette."""

    def _offered(self) -> list[PaletteCommand]:
        app, screen = self.app, self.screen
        return [command for command in PALETTE_COMMANDS if command.offered(app, screen)]

    def _callback(self, command: PaletteCommand) -> Callable[[], Any]:
        return partial(command.run, self.app, self.screen)

    async def discover(self) -> Hits:
        for command in self._offered():
            yield DiscoveryHit(command.title, self._callback(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._offered():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    self._callback(command),
                    text=command.title,
                    help=command.help,
                )
