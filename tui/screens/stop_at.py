"""`S`: stop the running timer at an earlier time.

Type `17:30` (the latest 17:30 since the timer started), `30m ago`, or nothing for now;
the dialog shows the entry's resulting minutes as you type, and refuses a time before the
start or in the future in one sentence. `enter` stops (dismisses with the moment),
`escape` keeps the timer running (None). A forgotten timer opens it on `s` too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.actions import Scope, bindings
from tui.screens.dialogs import _DIALOG_CSS
from tui.store.timers import clock_text, parse_stop_at, stopped_minutes
from tui.store.values import ValueProblem, format_minutes


class StopAtDialog(ModalScreen[datetime | None]):
    """When should the timer have stopped? Dismisses with that moment, or None."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="StopAtDialog")
        + """
    StopAtDialog #stop-at-message {
        margin-bottom: 1;
    }
    StopAtDialog #stop-at-result {
        height: auto;
        margin-top: 1;
    }
    StopAtDialog.-invalid #stop-at-result {
        color: $text-error;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.stop_at)

    def __init__(
        self,
        started_at: datetime,
        before_minutes: int,
        clock: Callable[[], datetime],
        *,
        message: str = "Stop the timer at:",
    ) -> None:
        super().__init__()
        self.started_at = started_at
        self.before_minutes = before_minutes
        """What the entry held before this timer."""
        self.read_clock = clock
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Stop timer at"
            yield Static(Content(self.message), id="stop-at-message")
            yield Input(placeholder="17:30, 30m ago, or enter for now", id="stop-at-input")
            yield Static(Content(""), id="stop-at-result")
            yield Static(Content("enter stop · esc cancel"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.show_result("")

    def show_result(self, text: str) -> datetime | None:
        """The resulting minutes for `text`, or why it cannot be used."""
        result = self.query_one("#stop-at-result", Static)
        now = self.read_clock()
        try:
            moment = parse_stop_at(text, start=self.started_at, now=now)
        except ValueProblem as problem:
            self.add_class("-invalid")
            result.update(Content(str(problem)))
            return None
        self.remove_class("-invalid")
        minutes = stopped_minutes(self.before_minutes, self.started_at, moment)
        result.update(
            Content(
                f"Stops at {clock_text(moment, now)} (started {clock_text(self.started_at, now)}): "
                f"the entry gets {format_minutes(minutes)}."
            )
        )
        return moment

    @on(Input.Changed, "#stop-at-input")
    def on_text_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_result(event.value)

    @on(Input.Submitted, "#stop-at-input")
    def submit(self, event: Input.Submitted) -> None:
        event.stop()
        moment = self.show_result(event.value)
        if moment is None:
            self.app.bell()
            return
        self.dismiss(moment)

    def action_cancel(self) -> None:
        self.dismiss(None)
