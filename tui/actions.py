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
    help = "help"
    """`HelpScreen`."""
    entry_grid = "entry-grid"
    """`EntryGrid`, the timesheet's grid (its keys work while it has the focus)."""
    approvals_table = "approvals-table"
    """`ApprovalsTable`, the approvals screen's table (its keys work while it has the focus)."""
    entry_detail = "entry-detail"
    """`DetailModal`: an entry's details and a person's week summary."""


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
        "stop-timer",
        "stop_timer",
        "s",
        "Stop timer",
        "Stop the running timer at once.",
        title="Stop timer",
    ),
    Action(Scope.app, "help", "show_help", "question_mark", "Help", "Show the keys.", title="Help"),
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
        "change_theme",  # Textual's own action: its theme picker
        None,
        "Change theme",
        "Pick a colour theme.",
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
        "Show entries awaiting approval, approved, rejected or all.",
    ),
    Action(
        Scope.approvals,
        "approvals-people",
        "focus_people",
        "p",
        "People",
        "Pick the people to show (none picked: everyone).",
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
    Action(Scope.service_picker, "picker-cancel", "cancel", "escape", "Cancel", "Start no timer."),
    Action(Scope.reason, "reason-cancel", "cancel", "escape", "Cancel", "Give no reason."),
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
    # Moving and editing: not in the footer, and no tooltip (the label says it).
    *(
        Action(Scope.entry_grid, f"grid-{name}", action, keys, label, show=False)
        for name, action, keys, label in (
            ("up", "cursor_up", "up", "Up"),
            ("down", "cursor_down", "down", "Down"),
            ("left", "cursor_left", "left", "Left"),
            ("right", "cursor_right", "right", "Right"),
            ("first-row", "first_row", "home", "First row"),
            ("last-row", "last_row", "end", "Last row"),
            ("page-up", "page_up", "pageup", "Page up"),
            ("page-down", "page_down", "pagedown", "Page down"),
            ("edit", "edit_cell", "enter", "Edit"),
            ("cancel-edit", "cancel_edit", "escape", "Cancel edit"),
        )
    ),
)
"""Every action, by scope; within a scope in footer order."""


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
