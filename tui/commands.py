"""The command palette (ctrl+p): every action of the app that has a palette title, found by
name.

The commands come from the action registry (`tui.actions`): an action with a `title` is a
command, its tooltip the line under it. An app action runs on the app; a screen's action
(new entry, undo, approve, ...) is offered only when the screen the palette was opened
from has that action, so the palette never lists a command that would do nothing. Actions
of two screens under one title (previous week, on the timesheet and on the approvals) are
one command. Commands run through Textual's `run_action`, so the screen's own
`check_action` still applies. Discovery lists the screen's commands first, then the app's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from tui.actions import ACTIONS, Action, Scope

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry, made from the registry's actions of one title."""

    title: str
    """What the user types and sees (also the test's key for its effect)."""
    help: str
    """One line under the title: the action's tooltip."""
    on_app: bool
    """The app's action (else the current screen's)."""
    action: str
    """The Textual action it runs, as the registry has it."""

    def target(self, app: App[Any], screen: Screen[Any]) -> App[Any] | Screen[Any]:
        return app if self.on_app else screen

    def run(self, app: App[Any], screen: Screen[Any]) -> Awaitable[Any] | None:
        """Run it on the app, or on the screen the palette was opened from."""
        return app.run_action(self.action, self.target(app, screen))

    def offered(self, app: App[Any], screen: Screen[Any]) -> bool:
        """Whether to list it for this app and screen: the target has the action."""
        name = self.action.split("(", 1)[0]
        return hasattr(self.target(app, screen), f"action_{name}")


def palette_commands(actions: tuple[Action, ...] = ACTIONS) -> tuple[PaletteCommand, ...]:
    """One command per palette title, in the registry's order. The actions sharing a title
    must agree on what they run and say (else which one ran would depend on the screen)."""
    by_title: dict[str, list[Action]] = {}
    for action in actions:
        if action.title is not None:
            by_title.setdefault(action.title, []).append(action)
    commands = []
    for title, same in by_title.items():
        first = same[0]
        for other in same[1:]:
            if (other.action, other.tooltip, other.scope is Scope.app) != (
                first.action,
                first.tooltip,
                first.scope is Scope.app,
            ):
                raise ValueError(f"palette title {title!r}: {first.id} and {other.id} differ")
        commands.append(
            PaletteCommand(title, first.tooltip, first.scope is Scope.app, first.action)
        )
    return tuple(commands)


PALETTE_COMMANDS: tuple[PaletteCommand, ...] = palette_commands()
"""Every palette command, in the registry's order."""


class TimesheetCommands(Provider):
    """The app's commands for Textual's command palette."""

    def _offered(self) -> list[PaletteCommand]:
        app, screen = self.app, self.screen
        offered = [command for command in PALETTE_COMMANDS if command.offered(app, screen)]
        return sorted(offered, key=lambda command: command.on_app)  # the screen's first

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


class MarkedChoices(Provider):
    """A list of names, the one in use marked (`CURRENT_MARK` after it, `current_help`
    under it); picking one calls `chosen` with it. The theme and the profile lists. Names
    show literally (a profile's name is any TOML key)."""

    current_help = ""
    """The line under the marked name."""

    def choices(self) -> list[tuple[str, bool]]:
        """Each name, and whether it is the one in use."""
        raise NotImplementedError

    def chosen(self, name: str) -> None:
        """What picking `name` does."""
        raise NotImplementedError

    def help_for(self, name: str) -> str | None:
        """The line under a name not in use (none by default)."""
        return None

    def _line_under(self, name: str, current: bool) -> str | None:
        """Shown literally: the palette reads a help line as markup."""
        line = self.current_help if current else self.help_for(name)
        return None if line is None else escape(line)

    async def discover(self) -> Hits:
        for name, current in self.choices():
            yield DiscoveryHit(
                Content(f"{name}{CURRENT_MARK if current else ''}"),  # literally, as search's
                partial(self.chosen, name),
                text=name,
                help=self._line_under(name, current),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, current in self.choices():
            score = matcher.match(name)
            if score > 0:
                # `highlight` reads its text as markup: a name that would change so is
                # shown as it is, unhighlighted.
                shown = matcher.highlight(name) if escape(name) == name else Content(name)
                yield Hit(
                    score,
                    shown + CURRENT_MARK if current else shown,
                    partial(self.chosen, name),
                    text=name,
                    help=self._line_under(name, current),
                )


class ThemeCommands(MarkedChoices):
    """Every theme of the app by name, the current one marked; picking one selects it
    (the app keeps the choice)."""

    current_help = "The theme in use now."

    def choices(self) -> list[tuple[str, bool]]:
        current = self.app.theme
        return [(name, name == current) for name in sorted(self.app.available_themes)]

    def chosen(self, name: str) -> None:
        self.app.theme = name


def profile_commands(
    names: Sequence[str],
    current: str | None,
    picked: Callable[[str], None],
    command: Callable[[str], str],
) -> type[MarkedChoices]:
    """A provider of the config's profiles in its order, `current` (the one this run
    opened) marked; picking one calls `picked` with its name; `command(name)` is the
    command line that opens it."""

    class ProfileCommands(MarkedChoices):
        current_help = "The profile in use now."

        def choices(self) -> list[tuple[str, bool]]:
            return [(name, name == current) for name in names]

        def chosen(self, name: str) -> None:
            picked(name)

        def help_for(self, name: str) -> str | None:
            return f"Quit and run `{command(name)}` to open it."

    return ProfileCommands


CURRENT_MARK = "  ✓ current"
"""After the name in use in the theme and profile lists."""
