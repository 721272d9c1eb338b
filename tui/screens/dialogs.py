"""Small modal dialogs: confirm, pick a service, give a reason.

Dialogs confirm with `y` or `enter` and cancel with `n` or `escape` (the README's keys); where
the dialog holds a text field, `y` and `n` are letters for the field, so `enter` and
`escape` are the keys there. Names from the server are shown literally (no markup).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.button import ButtonVariant
from textual.widgets.option_list import Option

from tui.actions import Scope, bindings
from tui.store.present import one_line, service_context, service_name
from tui.store.store import StagingError
from tui.store.timers import parse_started
from tui.store.values import ValueProblem, printable
from tui.widgets.entry_grid.editor import Choice, matching

if TYPE_CHECKING:
    from tui.store.store import Store


_DIALOG_CSS = """
    {name} {{
        align: center middle;
    }}
    {name} > Vertical {{
        width: 64;
        max-width: 90%;
        height: auto;
        max-height: 80%;
        border: thick $primary 80%;
        border-title-color: $text-primary;
        background: $surface;
        padding: 1 2;
    }}
    {name} .dialog-keys {{
        color: $text-muted;
        margin-top: 1;
    }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; dismisses with True (`y`, `enter`) or False (`n`, `escape`)."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="ConfirmDialog")
        + """
    ConfirmDialog #confirm-message {
        width: 1fr;
    }
    ConfirmDialog #confirm-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmDialog Button {
        margin-left: 2;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.confirm)

    def __init__(
        self, message: str, *, title: str = "Confirm", yes: str = "Yes", no: str = "No"
    ) -> None:
        super().__init__()
        self.message = message
        self.title_text = title
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(Content(self.message), id="confirm-message")
            with Horizontal(id="confirm-buttons"):
                yield self._button(f"{self.yes_label} (y)", "confirm-yes", "primary")
                yield self._button(f"{self.no_label} (n)", "confirm-no", "default")

    @staticmethod
    def _button(label: str, button_id: str, variant: ButtonVariant) -> Button:
        # For the mouse only: the keys belong to the dialog, so enter always confirms.
        button = Button(Content(label), id=button_id, variant=variant, compact=True)
        button.can_focus = False
        return button

    @on(Button.Pressed, "#confirm-yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self.dismiss(False)


class ServicePicker(ModalScreen[str | None]):
    """Type to filter the services (ranked as the grid's service cell ranks them); `enter`
    picks the highlighted one (its id), `escape` cancels (None). `up`/`down` move through
    the list while typing."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="ServicePicker")
        + """
    ServicePicker > Vertical {
        height: 80%;
    }
    ServicePicker #picker-list {
        height: 1fr;
        margin-top: 1;
        border: none;
        background: $surface;
    }
    ServicePicker #picker-empty {
        color: $text-muted;
        display: none;
    }
    ServicePicker.-empty #picker-empty {
        display: block;
    }
    ServicePicker #picker-since {
        margin-top: 1;
    }
    ServicePicker #picker-since-error {
        color: $text-error;
        height: auto;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.service_picker)
    AUTO_FOCUS = "#picker-input"
    """Focused as the picker shows, and only if nothing is yet: keys typed ahead of it
    (a `tab` to the start time) are not undone by a later focus call."""

    def __init__(self, store: Store, *, title: str = "Start a timer on…") -> None:
        super().__init__()
        self.store = store
        self.title_text = title
        self.started_at: datetime | None = None
        """When the picked timer's clock began (the optional time field); None: now."""
        # The full label, `Design (Acme › Website)`: the name and where the service belongs.
        labels = {
            service_id: service_name(store.services, service_id) for service_id in store.services
        }
        seen: dict[str, int] = {}
        for label in labels.values():
            seen[label] = seen.get(label, 0) + 1
        # Only services whose name and context are both the same need their id to tell
        # them apart.
        self._labels = {
            service_id: label if seen[label] == 1 else f"{label} (#{printable(service_id)})"
            for service_id, label in labels.items()
        }
        self._order = {
            service_id: _sort_key(store, service_id)
            for service_id in sorted(store.services, key=lambda i: _sort_key(store, i))
        }
        """Each id's place: by name, then context, then id (numerically)."""
        self._choices = [
            Choice(service_id, self._labels[service_id], store.services[service_id].name)
            for service_id in self._order
        ]
        """What `matching` ranks, in that order."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Input(placeholder="Type to filter services", id="picker-input")
            option_list = OptionList(id="picker-list")
            option_list.can_focus = False  # the input keeps the focus; up/down move here
            yield option_list
            yield Static(Content("No service matches."), id="picker-empty")
            yield Input(placeholder="Started: now, or 9:00, 20m ago (tab)", id="picker-since")
            yield Static(Content(""), id="picker-since-error")
            yield Static(Content("↑↓ move · enter start · esc cancel"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.refilter("")

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#picker-list", OptionList)

    @property
    def shown_ids(self) -> list[str]:
        """The ids in the list, in order (best match first)."""
        return [option.id for option in self.option_list.options if option.id]

    def matches(self, query: str) -> list[tuple[str, Content]]:
        """Ids and literal labels (matched letters highlighted), best match first."""
        query = query.strip()
        if not query:
            return [(service_id, Content(self._labels[service_id])) for service_id in self._order]
        # Ranked as the grid's service cell ranks them (the name's start first, then
        # every word somewhere), so `support` lists Support before a "Support retainer"
        # deal's Development; the fuzzy matcher only marks the letters it finds.
        matcher = Matcher(query)
        found = []
        for choice in matching(self._choices, query):
            # `Matcher.highlight` parses markup; highlight the offsets on literal text.
            _, offsets = matcher.fuzzy_search.match(query, choice.label)
            content = Content(choice.label)
            for offset in offsets:
                if not choice.label[offset].isspace():
                    content = content.stylize("bold $text-accent underline", offset, offset + 1)
            found.append((choice.id, content))
        return found

    @on(Input.Changed, "#picker-input")
    def on_input_changed(self, event: Input.Changed) -> None:
        self.refilter(event.value)

    def refilter(self, query: str) -> None:
        found = self.matches(query)
        option_list = self.option_list
        option_list.set_options(Option(content, id=service_id) for service_id, content in found)
        option_list.highlighted = 0 if found else None
        self.set_class(not found, "-empty")

    def action_move(self, step: int) -> None:
        if step > 0:
            self.option_list.action_cursor_down()
        else:
            self.option_list.action_cursor_up()

    @on(Input.Submitted, "#picker-input")
    @on(Input.Submitted, "#picker-since")
    def pick_highlighted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.option_list.highlighted_option
        if option is None or option.id is None:
            self.app.bell()
            return
        self.pick(option.id)

    @on(OptionList.OptionSelected, "#picker-list")
    def pick_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.pick(event.option.id)

    def pick(self, service_id: str) -> None:
        """Dismiss with the service, once the optional start time reads."""
        text = self.query_one("#picker-since", Input).value
        try:
            self.started_at = parse_started(text, now=self.store.clock())
            self.store.refuse_timer_start(self.started_at)  # said here, beside the time
        except (ValueProblem, StagingError) as problem:
            self.query_one("#picker-since-error", Static).update(Content(str(problem)))
            self.app.bell()
            return
        self.dismiss(service_id)

    @on(Input.Changed, "#picker-since")
    def clear_since_error(self) -> None:
        self.query_one("#picker-since-error", Static).update(Content(""))

    def action_next_field(self) -> None:
        """`tab`: from the filter to the start time and back (two fields, so `shift+tab`
        does the same)."""
        self.focus_next()

    def action_cancel(self) -> None:
        self.dismiss(None)


def _id_key(service_id: str) -> tuple[int, int, str]:
    """Ids in order: numeric ones (Productive's) as numbers, so #4 comes before #10, then
    any others as text."""
    if service_id.isascii() and service_id.isdigit():
        return (0, int(service_id), "")
    return (1, 0, service_id)


def _sort_key(store: Store, service_id: str) -> tuple[str, str, tuple[int, int, str]]:
    service = store.services[service_id]
    name = one_line(service.name) or f"#{printable(service_id)}"
    return (name.casefold(), service_context(service).casefold(), _id_key(service_id))


class ReasonDialog(ModalScreen[str | None]):
    """Ask for a reason (e.g. for a rejection): `enter` with text dismisses with the text
    (stripped), `escape` with None. An empty reason is not accepted, nor (instead) one
    that `check` finds a problem with: the dialog stays open with the problem under the text, so the
    user corrects what they typed instead of typing it again."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="ReasonDialog")
        + """
    ReasonDialog #reason-message {
        margin-bottom: 1;
    }
    ReasonDialog #reason-error {
        color: $text-error;
        height: auto;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.reason)

    def __init__(
        self,
        message: str = "Why is it rejected?",
        *,
        title: str = "Reason",
        placeholder: str = "Reason",
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.check = check
        """The problem with a text (one sentence), or None when it will do."""
        self.message = message
        self.title_text = title
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(Content(self.message), id="reason-message")
            yield Input(placeholder=self.placeholder, id="reason-input")
            yield Static(Content(""), id="reason-error")
            yield Static(Content("enter done · esc cancel"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#reason-input")
    def submit(self, event: Input.Submitted) -> None:
        event.stop()
        reason = event.value.strip()
        if self.check is not None:
            problem = self.check(reason)
        else:
            problem = None if reason else "A reason is needed."
        if problem:
            self.query_one("#reason-error", Static).update(Content(problem))
            return
        self.dismiss(reason)

    @on(Input.Changed, "#reason-input")
    def clear_error(self) -> None:
        self.query_one("#reason-error", Static).update(Content(""))

    def action_cancel(self) -> None:
        self.dismiss(None)
