"""The timer panel: what runs, for how long (H:MM:SS, ticking), and the key to stop it.

Text from the server (service names, notes) is shown literally: made `printable` and
put in `Content` objects, never parsed as markup. The one-second tick updates only the
elapsed-time label inside the panel, and runs only while a timer does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.content import Content
from textual.timer import Timer as IntervalTimer
from textual.widget import Widget
from textual.widgets import Static

from tui.actions import default_key
from tui.store.changes import ProblemKind
from tui.store.present import one_line, service_name, task_title
from tui.store.values import format_elapsed, printable

if TYPE_CHECKING:
    from tui.store.changes import StoreChange
    from tui.store.store import Store


def key_for(app: object, binding_id: str, default: str) -> str:
    """The key a binding id is on (the `[keys]` keymap may move it), for hints."""
    keymap = getattr(app, "_keymap", None) or {}
    keys = keymap.get(binding_id)
    return keys.split(",")[0].strip() if keys else default


class TimerPanel(Widget):
    """The running timer of `store`, redrawn on the app's `store_changed` signal."""

    DEFAULT_CSS = """
    TimerPanel {
        height: 3;
        layout: horizontal;
        border: round $primary;
        border-title-color: $text-primary;
        padding: 0 1;
        background: $surface;
    }
    TimerPanel.-idle {
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
    }
    TimerPanel.-forgotten {
        border: round $warning;
        border-title-color: $text-warning;
    }
    TimerPanel #timer-what {
        width: 1fr;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    TimerPanel.-idle #timer-what {
        color: $text-muted;
    }
    TimerPanel #timer-elapsed {
        width: auto;
        height: 1;
        padding: 0 0 0 2;
        text-style: bold;
        color: $text-accent;
    }
    TimerPanel.-forgotten #timer-elapsed {
        color: $text-warning;
    }
    TimerPanel #timer-keys {
        width: auto;
        height: 1;
        padding: 0 0 0 2;
        color: $text-muted;
    }
    """

    def __init__(self, store: Store, *, id: str | None = None, classes: str | None = None) -> None:
        # Made idle unless a timer already runs: the state it first shows, set before its
        # first styling (a class set once mounted restyles the panel and its lines).
        state = "" if _timer_runs(store) else "-idle"
        super().__init__(id=id, classes=" ".join(filter(None, (classes, state))))
        self.store = store
        self.border_title = "Timer"
        self._ticker: IntervalTimer | None = None
        self.ticking = False
        """True while the one-second tick runs (only while a timer does)."""
        self._problem_kind: ProblemKind | None = None
        """The store's problem when last drawn: signed out or offline, the timer is unknown."""

    def compose(self) -> ComposeResult:
        yield Static(id="timer-what", markup=False)
        yield Static(id="timer-elapsed", markup=False)
        yield Static(id="timer-keys", markup=False)

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1, self.tick, pause=True)
        signal = getattr(self.app, "store_changed", None)
        if signal is not None:
            signal.subscribe(self, self.on_store_change)
        self.redraw()

    # ----------------------------------------------------------------- reading

    @property
    def running(self) -> bool:
        return _timer_runs(self.store)

    @property
    def what_text(self) -> str:
        return self._visual_text("#timer-what")

    @property
    def elapsed_text(self) -> str:
        return self._visual_text("#timer-elapsed")

    @property
    def keys_text(self) -> str:
        return self._visual_text("#timer-keys")

    def _visual_text(self, selector: str) -> str:
        content = self.query_one(selector, Static).content
        return content.plain if isinstance(content, Content) else str(content)

    def describe(self) -> Content:
        """Service / task / note of the running timer, literal."""
        store, timer = self.store, self.store.timer
        assert timer is not None
        record = store.records.get(timer.entry_id) if timer.entry_id else None
        # The loaded entry when there is one (it may have been re-read since); else what
        # the timer knows, for an entry outside the range on screen.
        service_id = record.service_id if record is not None else timer.service_id
        task_id = record.task_id if record is not None else timer.task_id
        parts: list[tuple[str, str]] = []
        if service_id:
            parts.append((service_name(store.services, service_id), "bold"))
        if task_id:
            parts.append((task_title(store.tasks, task_id), ""))
        note = timer.note or (record.note if record is not None else "")
        if note.strip():
            parts.append((one_line(note), "italic"))
        if not parts:
            parts.append((f"Timer {printable(timer.id)}", ""))
        pieces: list[str | tuple[str, str]] = []
        for index, part in enumerate(parts):
            if index:
                pieces.append((" · ", "dim"))
            pieces.append(part)
        return Content.assemble(*pieces)

    # ----------------------------------------------------------------- drawing

    def on_store_change(self, change: StoreChange) -> None:
        timer = self.store.timer
        about_timer_row = (
            timer is not None and timer.entry_id is not None and timer.entry_id in change.ids
        )
        problem = self.store.status.problem
        problem_changed = change.status and (problem and problem.kind) != self._problem_kind
        if change.timer or change.lookups or change.reset or about_timer_row or problem_changed:
            self.redraw()

    def redraw(self) -> None:
        """Everything: what runs, the elapsed time, the keys; starts or stops the tick."""
        what = self.query_one("#timer-what", Static)
        keys = self.query_one("#timer-keys", Static)
        store = self.store
        if not store.capabilities.timers:
            self.set_class(True, "-idle")
            self.set_class(False, "-forgotten")
            what.update(Content(f"{printable(store.backend.name.title())} has no timers."))
            keys.update(Content(""))
            self._set_elapsed("")
            self._pause()
            return
        problem = store.status.problem
        self._problem_kind = problem.kind if problem is not None else None
        if not self.running:
            self.set_class(True, "-idle")
            self.set_class(False, "-forgotten")
            start = key_for(self.app, "start-timer", default_key("start-timer"))
            if problem is not None:  # never "no timer" when nobody could ask
                why = "not signed in" if problem.kind is ProblemKind.auth else "offline"
                what.update(Content(f"Timer unknown: {why}"))
            else:
                what.update(Content(f"No timer running · {start} starts one"))
            keys.update(Content(""))
            self._set_elapsed("")
            self._pause()
            return
        self.set_class(False, "-idle")
        what.update(self.describe())
        stop = key_for(self.app, "stop-timer", default_key("stop-timer"))
        stop_at = key_for(self.app, "stop-timer-at", default_key("stop-timer-at"))
        keys.update(Content(f"{stop} stop · {stop_at} stop at"))
        self.tick()
        if self._ticker is not None and not self.ticking:
            self._ticker.resume()
            self.ticking = True

    def tick(self) -> None:
        """Once a second while a timer runs: only the elapsed label changes."""
        if not self.running:
            self._pause()
            return
        elapsed = format_elapsed(self.store.elapsed_seconds())
        forgotten = self.store.timer_forgotten
        self.set_class(forgotten, "-forgotten")
        self._set_elapsed(f"running for {elapsed} — probably forgotten?" if forgotten else elapsed)

    def _set_elapsed(self, text: str) -> None:
        found = self.query("#timer-elapsed").results(Static)
        label = next(found, None)
        if label is None:  # a tick or a change that came while the panel is taken down
            return
        old = label.content
        old_text = old.plain if isinstance(old, Content) else str(old)
        # A relayout only when the width changes (9:59:59 → 10:00:00, the warning).
        label.update(Content(text), layout=len(old_text) != len(text))
        label.display = bool(text)

    def _pause(self) -> None:
        if self._ticker is not None and self.ticking:
            self._ticker.pause()
            self.ticking = False


def _timer_runs(store: Store) -> bool:
    timer = store.timer
    return timer is not None and timer.running
