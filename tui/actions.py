"""Every action of the app, defined once: its binding id, default keys, names and where it works.

The key bindings (each class's `BINDINGS` is `bindings(scope)`), the command palette
(`tui.commands` lists the actions that have a `title`) and the help screen (it shows the
bindings, so their labels and tooltips) all come from `ACTIONS`; nothing else types a key,
a label or a tooltip. The `id` is what a user remaps in the config's `[keys]` table
(`stop-timer = "ctrl+t"`), so an id, once released, stays.

Like harlequin's `actions.py`, but a scope is a name rather than the class itself: the
screens import this module, so it cannot import them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from textual.binding import Binding, BindingType


class Scope(enum.Enum):
    """Where an action works: the class whose `BINDINGS` carry it and whose `action_*`
    method runs it."""

    app = "app"
    """`TimesheetApp`: on every screen ("Everywhere" in the help)."""
    timesheet = "timesheet"
    """`TimesheetScreen`."""
    approvals = "approvals"
    """`ApprovalsScreen`."""
    save_review = "save-review"
    """`SaveReview`, the save dialog."""
    confirm = "confirm"
    """`ConfirmDialog`, a yes/no question."""
    service_picker = "service-picker"
    """`ServicePicker`, the start-a-timer dialog."""
    reason = "reason"
    """`ReasonDialog`, the reject reason."""
    stop_at = "stop-at"
    """`StopAtDialog`, the stop-at-a-time dialog."""
    help = "help"
    """`HelpScreen`."""
    entry_grid = "entry-grid"
    """`EntryGrid`, the timesheet's grid (its keys work while it has the focus)."""
    approvals_table = "approvals-table"
    """`ApprovalsTable`, the approvals screen's table (its keys work while it has the focus)."""
    entry_detail = "entry-detail"
    """`DetailModal`: an entry's details and a person's week summary."""
    reports = "reports"
    """`ReportsScreen`."""


DETAILS_TOOLTIP = "The row's details: the full note, the rejection reason, its approval."
"""What `i` on the timesheet and `enter` on the approvals table say they do (one palette
command, "Show details", on whichever screen is shown)."""

_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Action:
    """One thing the user can do, by key, from the palette, or both."""

    scope: Scope
    id: str
    """The binding id (kebab-case): what `[keys]` remaps. Unique within its scope; a shared
    id across scopes moves both bindings at once (the help key opens and closes the help)."""
    action: str
    """The Textual action the key runs on the scope's class, with any arguments:
    `stop_timer` runs `action_stop_timer`, `keep('mine')` runs `action_keep("mine")`."""
    keys: str | None
    """Default keys, comma-separated as in a `Binding`; None: the palette only."""
    label: str
    """Short name in the footer and the help screen (the binding's description)."""
    tooltip: str = ""
    """One line on what it does: the help screen, the footer's tooltip, the palette."""
    title: str | None = None
    """Its name in the command palette; None: not in the palette."""
    show: bool = True
    """Shown in the footer."""
    priority: bool = False
    """Runs as the key is read, before keys typed after it are handed on: for a key
    that moves the focus, so that the keys typed next go where it moved."""

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise ValueError(f"action id {self.id!r} is not kebab-case")

    @property
    def method(self) -> str:
        """The method that runs it: `action_<name>`."""
        return "action_" + self.action.split("(", 1)[0]

    @property
    def binding(self) -> Binding:
        if self.keys is None:
            raise ValueError(f"action {self.id!r} has no key")
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.show,
            tooltip=self.tooltip,
            id=self.id,
            priority=self.priority,
        )


ACTIONS: tuple[Action, ...] = (
    # ---------------------------------------------------------------- everywhere
    Action(
        Scope.app,
        "show-timesheet",
        "show_timesheet",
        "1",
        "Timesheet",
        "The week's entries and the running timer.",
        title="Open timesheet",
    ),
    Action(
        Scope.app,
        "show-approvals",
        "show_approvals",
        "2",
        "Approvals",
        "Everyone's entries of a week: select, approve, unapprove, reject.",
        title="Open approvals",
    ),
    Action(
        Scope.app,
        "show-reports",
        "show_reports",
        "3",
        "Reports",
        "Where the time went: hours per day against the target, by service, by person.",
        title="Open reports",
    ),
    Action(
        Scope.app,
        "stop-timer",
        "stop_timer",
        "s",
        "Stop timer",
        "Stop the running timer at once (a forgotten one asks when it should have stopped).",
        title="Stop timer",
    ),
    Action(
        Scope.app,
        "stop-timer-at",
        "stop_timer_at",
        "S",
        "Stop at",
        "Stop the running timer at an earlier time (17:30, 30m ago).",
        title="Stop timer at a time",
    ),
    Action(
        Scope.app,
        "discard-timer",
        "discard_timer",
        None,
        "Discard timer",
        "Stop a timer started by mistake and delete its entry.",
        title="Discard timer",
    ),
    Action(Scope.app, "help", "show_help", "question_mark", "Help", "Show the keys.", title="Help"),
    Action(
        Scope.app,
        "retry",
        "retry_load",
        "ctrl+r",
        "Retry",
        "Sign in and load again (after the server refused the token or could not be reached).",
        title="Retry loading",
        show=False,  # the problem banner names it when it is needed
    ),
    Action(Scope.app, "quit", "quit", "q", "Quit", "Quit (asks if changes are staged)."),
    Action(
        Scope.app,
        "switch-profile",
        "switch_profile",
        None,
        "Switch profile",
        "List the profiles and how to open another one.",
        title="Switch profile",
    ),
    Action(
        Scope.app,
        "change-theme",
        "pick_theme",
        None,
        "Change theme",
        "Pick a colour theme (kept for the next start).",
        title="Change theme",
    ),
    # ---------------------------------------------------------------- the timesheet
    Action(
        Scope.timesheet,
        "new-entry",
        "new_entry",
        "n",
        "New",
        "Stage a new entry.",
        title="New entry",
    ),
    Action(
        Scope.timesheet,
        "delete-entry",
        "delete_entry",
        "d",
        "Delete",
        "Stage deletion of the entry under the cursor.",
        title="Delete entry",
    ),
    Action(
        Scope.timesheet, "undo", "undo", "u", "Undo", "Undo the last staged change.", title="Undo"
    ),
    Action(
        Scope.timesheet, "redo", "redo", "ctrl+y", "Redo", "Redo what undo reverted.", title="Redo"
    ),
    Action(
        Scope.timesheet,
        "save",
        "review_save",
        "ctrl+s",
        "Save",
        "Review the staged changes and save them in bulk.",
        title="Save",
    ),
    Action(
        Scope.timesheet,
        "previous-week",
        "previous_week",
        "left_square_bracket",
        "Prev week",
        "Show the previous week.",
        title="Previous week",
    ),
    Action(
        Scope.timesheet,
        "next-week",
        "next_week",
        "right_square_bracket",
        "Next week",
        "Show the next week.",
        title="Next week",
    ),
    Action(
        Scope.timesheet,
        "start-timer",
        "start_timer",
        "t",
        "Start timer",
        "Start a timer on a service.",
        title="Start timer",
    ),
    Action(
        Scope.timesheet,
        "this-week",
        "this_week",
        None,
        "This week",
        "Go back to the current week.",
        title="This week",
    ),
    Action(
        Scope.timesheet,
        "show-details",
        "show_details",
        "i",
        "Details",
        DETAILS_TOOLTIP,
        title="Show details",
        show=False,
    ),
    Action(
        Scope.timesheet,
        "submit-week",
        "submit_week",
        "W",
        "Submit",
        "Submit the week for approval (shows the short days first).",
        title="Submit week",
    ),
    Action(
        Scope.timesheet,
        "unsubmit-week",
        "unsubmit_week",
        None,
        "Unsubmit",
        "Take the week's submission back, to edit its entries.",
        title="Unsubmit week",
    ),
    # ---------------------------------------------------------------- approvals
    Action(
        Scope.approvals,
        "approvals-select",
        "toggle_row",
        "space",
        "Select",
        "Select or unselect the entry under the cursor (a person's line: all their entries).",
    ),
    Action(
        Scope.approvals,
        "approvals-select-all",
        "select_all",
        "ctrl+a,asterisk",
        "All",
        "Select every entry shown (again: select none).",
        title="Select all",
    ),
    Action(
        Scope.approvals,
        "approvals-approve",
        "approve",
        "a",
        "Approve",
        "Approve the selected entries (or the one under the cursor).",
        title="Approve selection",
    ),
    Action(
        Scope.approvals,
        "approvals-unapprove",
        "unapprove",
        "x",
        "Unapprove",
        "Unapprove the selected entries (or the one under the cursor).",
        title="Unapprove selection",
    ),
    Action(
        Scope.approvals,
        "approvals-reject",
        "reject",
        "r",
        "Reject",
        "Reject the selected entries (or the one under the cursor) with a reason.",
        title="Reject selection",
    ),
    Action(
        Scope.approvals,
        "approvals-unreject",
        "unreject",
        "U",
        "Unreject",
        "Take back the rejection of the selected entries (or the one under the cursor).",
        title="Unreject selection",
    ),
    Action(
        Scope.approvals,
        "approvals-for-all",
        "toggle_for_all",
        "f",
        "For all",
        "Approve for all approvers at once (on/off).",
    ),
    Action(
        Scope.approvals,
        "approvals-status",
        "cycle_status",
        "v",
        "Status",
        "Show entries awaiting approval, approved, rejected, submitted, the people who have"
        " not submitted, or all.",
    ),
    Action(
        Scope.approvals,
        "approvals-people",
        "focus_people",
        "p",
        "People",
        "Pick the people to show (none picked: everyone); p again goes back to the entries.",
    ),
    Action(
        Scope.approvals,
        "approvals-people-close",
        "close_people",
        "escape",
        "Close people",
        "Back from the people panel to the entries.",
        show=False,
    ),
    Action(
        Scope.approvals,
        "approvals-previous-week",
        "previous_week",
        "left_square_bracket",
        "Prev week",
        "Show the previous week.",
        title="Previous week",
    ),
    Action(
        Scope.approvals,
        "approvals-next-week",
        "next_week",
        "right_square_bracket",
        "Next week",
        "Show the next week.",
        title="Next week",
    ),
    Action(
        Scope.approvals,
        "approvals-this-week",
        "this_week",
        None,
        "This week",
        "Go back to the current week.",
        title="This week",
    ),
    # The table's own `enter` (DataTable's `select_cursor`, which posts `RowSelected`),
    # described as what it does here: the screen opens the row's details (a person's line:
    # their week). Same key, so it replaces DataTable's "Select" in the help.
    Action(
        Scope.approvals_table,
        "approvals-details",
        "select_cursor",
        "enter",
        "Details",
        DETAILS_TOOLTIP + " On a person's line: their week.",
        show=False,
    ),
    # `home` and `end` go to the first and last row, as in the timesheet's grid (the
    # table's own home/end scroll sideways, which a table this narrow never needs).
    Action(
        Scope.approvals_table, "approvals-first-row", "scroll_top", "home", "First row", show=False
    ),
    Action(
        Scope.approvals_table, "approvals-last-row", "scroll_bottom", "end", "Last row", show=False
    ),
    # ---------------------------------------------------------------- reports
    Action(
        Scope.reports,
        "reports-previous",
        "previous_range",
        "left_square_bracket",
        "Prev",
        "Show the previous week, month or range.",
        title="Previous range",
    ),
    Action(
        Scope.reports,
        "reports-next",
        "next_range",
        "right_square_bracket",
        "Next",
        "Show the next week, month or range.",
        title="Next range",
    ),
    Action(
        Scope.reports,
        "reports-week",
        "show_week",
        "w",
        "Week",
        "Report on this week.",
        title="Report on this week",
    ),
    Action(
        Scope.reports,
        "reports-month",
        "show_month",
        "m",
        "Month",
        "Report on this month.",
        title="Report on this month",
    ),
    Action(
        Scope.reports,
        "reports-range",
        "pick_range",
        "c",
        "Range",
        "Report on any range of days (asks from and to).",
        title="Report on a range",
    ),
    Action(
        Scope.reports,
        "reports-everyone",
        "toggle_everyone",
        "p",
        "Everyone",
        "Everyone's time, by person (again: only mine).",
        title="Report on everyone",
    ),
    # ---------------------------------------------------------------- the save review
    Action(
        Scope.save_review,
        "review-save",
        "confirm",
        "y,enter",
        "Save",
        "Save the staged changes in bulk (after a save: close).",
    ),
    Action(
        Scope.save_review,
        "review-close",
        "cancel",
        "n,escape",
        "Close",
        "Close; staged changes stay staged. A running save is not cancelled.",
    ),
    Action(
        Scope.save_review,
        "conflict-keep-mine",
        "keep('mine')",
        "m",
        "Keep mine",
        "Keep my version of the conflict under the cursor (staged again).",
    ),
    Action(
        Scope.save_review,
        "conflict-keep-theirs",
        "keep('server')",
        "t",
        "Keep theirs",
        "Keep the server's version of the conflict under the cursor.",
    ),
    Action(
        Scope.save_review,
        "conflict-keep-all-mine",
        "keep_all('mine')",
        "M,shift+m",
        "Keep all mine",
        "Keep my version of every conflict (staged again).",
    ),
    Action(
        Scope.save_review,
        "conflict-keep-all-theirs",
        "keep_all('server')",
        "T,shift+t",
        "Keep all theirs",
        "Keep the server's version of every conflict.",
    ),
    # ---------------------------------------------------------------- dialogs
    Action(Scope.confirm, "dialog-yes", "confirm", "y,enter", "Yes", "Confirm."),
    Action(Scope.confirm, "dialog-no", "cancel", "n,escape", "No", "Cancel."),
    Action(
        Scope.service_picker,
        "picker-down",
        "move(1)",
        "down",
        "Next",
        "Highlight the next service.",
    ),
    Action(
        Scope.service_picker,
        "picker-up",
        "move(-1)",
        "up",
        "Previous",
        "Highlight the previous service.",
    ),
    Action(
        Scope.service_picker,
        "picker-next-field",
        "next_field",
        "tab,shift+tab",
        "Next field",
        "Move between the filter and the start time.",
        priority=True,
    ),
    Action(Scope.service_picker, "picker-cancel", "cancel", "escape", "Cancel", "Start no timer."),
    Action(Scope.reason, "reason-cancel", "cancel", "escape", "Cancel", "Give no reason."),
    Action(Scope.stop_at, "stop-at-cancel", "cancel", "escape", "Cancel", "Keep it running."),
    Action(
        Scope.entry_detail,
        "detail-close",
        "close",
        "escape,enter,q",
        "Close",
        "Close the details.",
    ),
    # ---------------------------------------------------------------- the help screen
    Action(Scope.help, "help-close", "close", "escape,q", "Close", "Close the help."),
    # The app's help id again: a user's `[keys] help = "f1"` opens and closes it.
    Action(Scope.help, "help", "close", "question_mark", "Close", "Close the help."),
    # ---------------------------------------------------------------- the entry grid
    # Moving: not in the key bar, and no tooltip (the label says it). Editing is in the
    # key bar: `enter` for a new user, `escape` only while an editor is open.
    *(
        Action(Scope.entry_grid, f"grid-{name}", action, keys, label, show=show)
        for name, action, keys, label, show in (
            ("up", "cursor_up", "up", "Up", False),
            ("down", "cursor_down", "down", "Down", False),
            ("left", "cursor_left", "left", "Left", False),
            ("right", "cursor_right", "right", "Right", False),
            ("first-row", "first_row", "home", "First row", False),
            ("last-row", "last_row", "end", "Last row", False),
            ("page-up", "page_up", "pageup", "Page up", False),
            ("page-down", "page_down", "pagedown", "Page down", False),
            ("edit", "edit_cell", "enter", "Edit", True),
            ("cancel-edit", "cancel_edit", "escape", "Cancel edit", True),
        )
    ),
)
"""Every action, by scope; within a scope in footer order."""


KEY_BAR: tuple[str, ...] = (
    # while a cell editor is open
    "grid-cancel-edit",
    # the timesheet
    "new-entry",
    "delete-entry",
    "save",
    "undo",
    "start-timer",
    # approvals
    "approvals-select",
    "approvals-approve",
    "approvals-unapprove",
    "approvals-reject",
    # reports
    "reports-previous",
    "reports-next",
    "reports-week",
    "reports-month",
    "reports-range",
    "reports-everyone",
    # everywhere
    "stop-timer",
    "help",
    "quit",
    # then the rest
    "grid-edit",
    "approvals-select-all",
    "approvals-people",
    "approvals-status",
    "redo",
    "previous-week",
    "next-week",
    "approvals-previous-week",
    "approvals-next-week",
    "approvals-for-all",
    "submit-week",
    "approvals-unreject",
    "show-approvals",
    "show-timesheet",
    "show-reports",
)
"""The key bar's order, most important first, by binding id (so a remapped key keeps its
place); a shown action not listed comes after these, in the registry's order. The bar
shows as many whole items as its width holds, in this order."""

NEEDS: dict[str, str] = {
    "stop-timer": "timers",
    "stop-timer-at": "timers",
    "discard-timer": "timers",
    "start-timer": "timers",
    "approvals-reject": "reject",
    "reports-everyone": "approvals",
    "approvals-unreject": "reject",
    "submit-week": "submission",
    "unsubmit-week": "submission",
}
"""Binding id -> the backend capability (`Capabilities` field) the action needs; every
approvals action needs `approvals` (`SCOPE_NEEDS`). The key bar leaves out what the
backend cannot do."""

SCOPE_NEEDS: dict[Scope, str] = {Scope.approvals: "approvals"}
"""A scope whose every action needs a capability: without it the screen only explains."""


def key_bar_rank(binding_id: str) -> int:
    """The binding's place in the key bar (lower: shown first)."""
    try:
        return KEY_BAR.index(binding_id)
    except ValueError:
        ids = [action.id for action in ACTIONS]
        return len(KEY_BAR) + (ids.index(binding_id) if binding_id in ids else len(ids))


def needs(action: Action) -> tuple[str, ...]:
    """The backend capabilities `action` needs (names of `Capabilities` fields)."""
    wanted = [SCOPE_NEEDS.get(action.scope), NEEDS.get(action.id)]
    return tuple(name for name in wanted if name)


def actions_of(scope: Scope) -> list[Action]:
    return [action for action in ACTIONS if action.scope is scope]


def bindings(scope: Scope) -> list[BindingType]:
    """The `BINDINGS` of the class `scope` names: its actions that have keys, in order."""
    return [action.binding for action in actions_of(scope) if action.keys is not None]


def find(scope: Scope, binding_id: str) -> Action:
    """The action of `scope` with that binding id (KeyError if there is none)."""
    for action in actions_of(scope):
        if action.id == binding_id:
            return action
    raise KeyError(f"no action {binding_id!r} in {scope.value}")


def default_key(binding_id: str) -> str:
    """The first default key of a binding id, for a hint that names the key before any
    `[keys]` remapping."""
    for action in ACTIONS:
        if action.id == binding_id and action.keys:
            return action.keys.split(",")[0].strip()
    raise KeyError(f"no key for {binding_id!r}")


# ---------------------------------------------------------------- checking [keys]

PLACES: dict[Scope, str] = {
    Scope.app: "everywhere",
    Scope.timesheet: "on the timesheet",
    Scope.approvals: "on the approvals screen",
    Scope.save_review: "in the save review",
    Scope.confirm: "in a yes/no question",
    Scope.service_picker: "in the service picker",
    Scope.reason: "in the reject reason dialog",
    Scope.stop_at: "in the stop-at dialog",
    Scope.help: "on the help screen",
    Scope.entry_grid: "in the grid",
    Scope.reports: "on the reports screen",
}
"""Where a scope's keys work, as a sentence says it."""

TEXTUAL_KEYS: dict[str, str] = {
    "ctrl+q": "quits (Textual's own key)",
    "ctrl+p": "opens the command palette",
    "ctrl+c": "copies the selected text (Textual's own key)",
    "tab": "moves the focus (Textual's own key)",
    "shift+tab": "moves the focus back (Textual's own key)",
}
"""Textual's own app-wide keys: a key of ours put on one of them never runs."""


SCREENS = frozenset({Scope.timesheet, Scope.approvals, Scope.reports, Scope.entry_grid})
"""The main screens' scopes (the grid is part of the timesheet); the others are dialogs."""


def active_together(one: Scope, other: Scope) -> bool:
    """Whether a key in both scopes would clash: the same scope; the app's with a main
    screen's (its keys work there, and the screen's win); the timesheet's with its grid's.
    A dialog takes the keys it needs while it is open (`t` keeps theirs in the save review
    even if `t` stops the timer elsewhere), so a dialog's keys clash only among themselves."""
    pair = {one, other}
    if one is other or pair == {Scope.timesheet, Scope.entry_grid}:
        return True
    return Scope.app in pair and bool(pair & SCREENS)


def _key_names(keys: str) -> list[str]:
    """The keys of a comma-separated list as Textual names them (`?` is `question_mark`)."""
    from textual.keys import _character_to_key

    return [
        _character_to_key(key) if len(key) == 1 else key
        for key in (part.strip() for part in keys.split(","))
        if key
    ]


def _entry(binding_id: str, keys: str) -> str:
    """The `[keys]` line as the user wrote it: `[keys] stop-timer = "ctrl+s"`."""
    import json

    return f"[keys] {binding_id} = {json.dumps(keys, ensure_ascii=False)}"


KEY_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


def _known_key(key: str) -> bool:
    """A key as Textual names it: modifiers (lower case) then a key Textual has (`tab`,
    `pageup`, `f5`), a character, or a character's name (`question_mark`); `Ctrl+S` and
    `ctlr+t` never arrive, so a binding to them would silently never work."""
    import unicodedata

    from textual.keys import KEY_NAME_REPLACEMENTS, Keys

    *modifiers, base = key.split("+")
    if not base or any(modifier not in KEY_MODIFIERS for modifier in modifiers):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    named = {value.rsplit("+", 1)[-1] for value in Keys} | set(KEY_NAME_REPLACEMENTS.values())
    if base in named:
        return True
    try:  # a character by its name, as Textual names keys for punctuation
        unicodedata.lookup(base.replace("_", " "))
    except KeyError:
        return False
    return base == base.lower()


def keymap_problem(keymap: dict[str, str]) -> str | None:
    """One sentence on the first thing wrong with a `[keys]` table, or None: an id that
    names no key binding, an empty key, or a key that another action already has where
    both work at once (it would silently lose, or win, there). A key only clashes when the
    keymap put it there: the defaults share keys on purpose (`q` closes the help and quits
    elsewhere), and reusing a key on different screens (`t`, `n`, `y`) is fine."""
    keyed = [action for action in ACTIONS if action.keys is not None]
    ids = {action.id for action in keyed}
    for binding_id, keys in keymap.items():
        shown = _entry(binding_id, keys)
        if binding_id not in ids:
            import difflib

            close = difflib.get_close_matches(binding_id, sorted(ids), n=1)
            hint = f"did you mean {close[0]}?" if close else "see the help screen (?) for the ids"
            return f"{shown}: there is no key binding {binding_id!r}; {hint}"
        if not _key_names(keys):
            return f'{shown}: give a key, e.g. {binding_id} = "ctrl+t".'
        unknown = next((key for key in _key_names(keys) if not _known_key(key)), None)
        if unknown is not None:
            return (
                f"{shown}: {unknown!r} is not a key; write one in lower case, modifiers first "
                '("ctrl+s", "shift+tab", "f5") or a single character ("T").'
            )
    placed = {action: _key_names(keymap.get(action.id) or action.keys or "") for action in keyed}
    for binding_id, keys in keymap.items():
        for action in (a for a in keyed if a.id == binding_id):
            new_keys = [k for k in placed[action] if k not in _key_names(action.keys or "")]
            for key in new_keys:
                if key in TEXTUAL_KEYS:
                    return (
                        f"{_entry(binding_id, keys)}: {key} {TEXTUAL_KEYS[key]}; pick another key."
                    )
                for other, other_keys in placed.items():
                    if (
                        other.id != action.id
                        and key in other_keys
                        and active_together(action.scope, other.scope)
                    ):
                        return (
                            f"{_entry(binding_id, keys)}: {key} is already "
                            f"{other.label!r} {PLACES[other.scope]} ({other.id}); "
                            "pick another key."
                        )
    return None
