"""The problem banner: one line (or two) at the top of every screen that says the app is
signed out or offline, what is shown meanwhile, and what to do.

A toast fades; a wrong token must not look like an empty week. The store keeps the problem
in `status.problem` until a load succeeds; this banner shows it while it is there and is
hidden otherwise. It names the token's source, never the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from tui.actions import default_key
from tui.store.changes import ProblemKind
from tui.widgets.timer_panel import key_for

if TYPE_CHECKING:
    from tui.store.changes import StoreChange, SyncStatus
    from tui.store.store import Store


@dataclass(frozen=True)
class ProfileFacts:
    """What the banner's advice names about the profile (never the token itself)."""

    name: str | None = None
    """The profile's name."""
    token_source: str | None = None
    """Where its token comes from, as the config says it: `token_env (PRODUCTIVE_TOKEN)`,
    `token_command`, `keyring`, `token`."""
    config_path: Path | None = None
    """The config file the profile is in."""
    host: str | None = None
    """The server's host name (`api.productive.io`)."""


def problem_text(status: SyncStatus, facts: ProfileFacts, retry_key: str) -> str:
    """The banner's sentences for `status.problem` ("" when there is none)."""
    problem = status.problem
    if problem is None:
        return ""
    cached = (
        f"showing cached rows from {status.cached_at.astimezone():%H:%M}"  # local time
        if status.cached_at is not None
        else "nothing is cached for this week"
    )
    if problem.kind is ProblemKind.auth:
        profile = f" for profile {facts.name}" if facts.name else ""
        code = f" ({problem.status})" if problem.status else ""
        source = facts.token_source or "the profile's token"
        where = f" in {facts.config_path}" if facts.config_path else ""
        return (
            f"The server refused the token{profile}{code}; {cached}. Fix {source}{where} "
            f"and start the app again ({retry_key} retries). Staged changes are kept; "
            "saving waits until it is fixed."
        )
    host = facts.host or "the server"
    return (
        f"Cannot reach {host}; {cached}. Staged changes are kept; saving waits until it is "
        f"back ({retry_key} retries)."
    )


class ProblemBanner(Widget):
    """Signed out or offline: what is wrong and what to do, until a load succeeds."""

    DEFAULT_CSS = """
    ProblemBanner {
        dock: top;
        height: auto;
        padding: 0 1;
        background: $error 25%;
        color: $text;
        display: none;
    }
    ProblemBanner.-auth {
        background: $error 40%;
    }
    ProblemBanner.-shown {
        display: block;
    }
    """

    def __init__(
        self,
        store: Store,
        facts: ProfileFacts | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.store = store
        self.facts = facts or ProfileFacts()
        self.text = ""
        """What the banner says now ("" while hidden)."""

    def on_mount(self) -> None:
        signal = getattr(self.app, "store_changed", None)
        if signal is not None:
            signal.subscribe(self, self.on_store_change)
        self.show_problem()

    def on_store_change(self, change: StoreChange) -> None:
        if change.status or change.reset:
            self.show_problem()

    def show_problem(self) -> None:
        status = self.store.status
        retry = key_for(self.app, "retry", default_key("retry"))
        text = problem_text(status, self.facts, retry)
        if text == self.text:
            return
        self.text = text
        self.set_class(bool(text), "-shown")
        self.set_class(
            status.problem is not None and status.problem.kind is ProblemKind.auth, "-auth"
        )
        self.refresh(layout=True)

    def render(self) -> Content:
        return Content(self.text)
