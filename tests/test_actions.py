"""The action registry (`tui.actions`) is the one place keys, labels and tooltips are typed:
every binding of ours is one of its actions, every action runs a method that exists, the
palette is its titled actions, and the binding ids users remap stay what they were."""

from __future__ import annotations

from collections import Counter

import pytest
from textual.binding import Binding

from tests.test_textual_names import our_dom_classes
from tui.actions import ACTIONS, Action, Scope, actions_of, bindings, default_key, find
from tui.app import TimesheetApp
from tui.commands import PALETTE_COMMANDS, palette_commands
from tui.screens.approvals import ApprovalsScreen, ApprovalsTable
from tui.screens.dialogs import ConfirmDialog, ReasonDialog, ServicePicker
from tui.screens.entry_detail import DetailModal
from tui.screens.help import HelpScreen
from tui.screens.reports import ReportsScreen
from tui.screens.save_review import SaveReview
from tui.screens.stop_at import StopAtDialog
from tui.screens.timesheet import TimesheetScreen
from tui.widgets.entry_grid import EntryGrid

SCOPE_CLASS: dict[Scope, type] = {
    Scope.app: TimesheetApp,
    Scope.timesheet: TimesheetScreen,
    Scope.approvals: ApprovalsScreen,
    Scope.save_review: SaveReview,
    Scope.confirm: ConfirmDialog,
    Scope.service_picker: ServicePicker,
    Scope.reason: ReasonDialog,
    Scope.stop_at: StopAtDialog,
    Scope.help: HelpScreen,
    Scope.entry_grid: EntryGrid,
    Scope.approvals_table: ApprovalsTable,
    Scope.entry_detail: DetailModal,
    Scope.reports: ReportsScreen,
}

# The binding ids of the release before the registry: a user's [keys] table names them.
RELEASED_IDS = {
    Scope.app: {"show-timesheet", "show-approvals", "stop-timer", "help", "quit"},
    Scope.timesheet: {
        "new-entry",
        "delete-entry",
        "undo",
        "redo",
        "save",
        "previous-week",
        "next-week",
        "start-timer",
    },
    Scope.approvals: {
        "approvals-select",
        "approvals-select-all",
        "approvals-approve",
        "approvals-unapprove",
        "approvals-reject",
        "approvals-for-all",
        "approvals-status",
        "approvals-people",
        "approvals-previous-week",
        "approvals-next-week",
    },
    Scope.save_review: {
        "review-save",
        "review-close",
        "conflict-keep-mine",
        "conflict-keep-theirs",
        "conflict-keep-all-mine",
        "conflict-keep-all-theirs",
    },
    Scope.confirm: {"dialog-yes", "dialog-no"},
    Scope.service_picker: {"picker-down", "picker-up", "picker-cancel"},
    Scope.reason: {"reason-cancel"},
    Scope.help: {"help-close", "help"},
}


def fields(binding: Binding) -> tuple[object, ...]:
    b = binding
    return (b.key, b.action, b.description, b.show, b.tooltip, b.id, b.priority, b.system)


def test_every_scope_names_one_class() -> None:
    assert set(SCOPE_CLASS) == set(Scope)


def test_the_released_binding_ids_are_kept_with_their_keys() -> None:
    for scope, ids in RELEASED_IDS.items():
        kept = {action.id for action in actions_of(scope) if action.keys}
        assert ids <= kept, scope
    assert find(Scope.app, "stop-timer").keys == "s"
    assert find(Scope.app, "stop-timer-at").keys == "S"  # terminals send S, not shift+s
    assert find(Scope.timesheet, "start-timer").keys == "t"
    assert find(Scope.app, "help").keys == find(Scope.help, "help").keys == "question_mark"


@pytest.mark.parametrize(
    "cls", sorted(our_dom_classes(), key=lambda c: c.__qualname__), ids=lambda c: c.__qualname__
)
def test_every_binding_of_ours_is_the_registrys(cls: type) -> None:
    """No class types its own bindings: each one's `BINDINGS` is exactly its scope's."""
    own = cls.__dict__.get("BINDINGS")
    if own is None:
        assert cls not in SCOPE_CLASS.values(), f"{cls.__name__} lost its bindings"
        return
    scope = next(scope for scope, owner in SCOPE_CLASS.items() if owner is cls)
    assert [fields(b) for b in own] == [fields(b) for b in bindings(scope)]
    assert own, f"{cls.__name__} has an empty BINDINGS"


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: f"{a.scope.value}:{a.id}")
def test_every_action_runs_a_method_of_its_class(action: Action) -> None:
    assert callable(getattr(SCOPE_CLASS[action.scope], action.method, None)), action.method


def test_ids_are_unique_in_a_scope_and_shared_across_scopes_only_for_help() -> None:
    per_scope = Counter((action.scope, action.id) for action in ACTIONS)
    assert [key for key, n in per_scope.items() if n > 1] == []
    scopes_of = Counter(action.id for action in ACTIONS)
    assert {i for i, n in scopes_of.items() if n > 1} == {"help"}


def test_an_id_must_be_kebab_case() -> None:
    with pytest.raises(ValueError, match="kebab-case"):
        Action(Scope.app, "stop_timer", "stop_timer", "s", "Stop")
    with pytest.raises(ValueError, match="no key"):
        _ = Action(Scope.app, "only-palette", "x", None, "X").binding


def test_the_palette_is_the_titled_actions_one_per_title() -> None:
    titled = [action for action in ACTIONS if action.title]
    assert [c.title for c in PALETTE_COMMANDS] == list(dict.fromkeys(a.title for a in titled))
    for command in PALETTE_COMMANDS:
        same = [a for a in titled if a.title == command.title]
        assert {(a.action, a.tooltip) for a in same} == {(command.action, command.help)}
        assert command.on_app is (same[0].scope is Scope.app)
    # Two screens' previous-week actions are one command, run on whichever screen is shown.
    previous = next(c for c in PALETTE_COMMANDS if c.title == "Previous week")
    assert not previous.on_app
    assert {a.scope for a in titled if a.title == "Previous week"} == {
        Scope.timesheet,
        Scope.approvals,
    }


def test_one_title_for_two_different_actions_is_refused() -> None:
    clash = (
        Action(Scope.timesheet, "a", "undo", None, "A", "Undo.", title="Same"),
        Action(Scope.approvals, "b", "approve", None, "B", "Approve.", title="Same"),
    )
    with pytest.raises(ValueError, match="'Same'"):
        palette_commands(clash)


def test_a_hint_names_the_default_key() -> None:
    assert default_key("stop-timer") == "s"
    assert default_key("approvals-select-all") == "ctrl+a"
    with pytest.raises(KeyError):
        default_key("this-week")  # the palette only
