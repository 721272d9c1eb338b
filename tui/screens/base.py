"""What the screens need from the app, below the screens.

`tui.app` imports the screens, so a screen cannot import `tui.app` back (not even for type
checking: there is no import cycle among `tui` modules). `TimesheetAppBase` is the app as
the screens see it: the store, its change signal, the timesheet's week and the workers that
load it and start a timer. `TimesheetApp` is the one subclass. A screen that uses these
declares `app = getters.app(TimesheetAppBase)`, Textual's typed `app`, which also checks
at run time that it runs in such an app.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from textual.app import App

if TYPE_CHECKING:
    from textual.signal import Signal
    from textual.worker import Worker

    from tui.store.changes import StoreChange
    from tui.store.store import Store
    from tui.widgets.banner import ProfileFacts


class TimesheetAppBase(App[None]):
    """The app's part the screens use; `TimesheetApp` implements the methods."""

    store: Store
    """The one store of the run: its records, staging, timer and lookups."""
    store_changed: Signal[StoreChange]
    """Every change of the store, published to the widgets that subscribe."""
    week_start: date
    """The Monday of the week the timesheet shows."""
    profile_facts: ProfileFacts
    """What the problem banner names: the profile, its token's source, the config file."""

    def shift_week(self, weeks: int) -> None:
        """Show the week `weeks` after (negative: before) the shown one, and load it."""
        raise NotImplementedError

    def load_week(self) -> Worker[None]:
        """(Re)load the timesheet's week in the app's exclusive load worker."""
        raise NotImplementedError

    def start_timer(
        self, service_id: str, note: str = "", started_at: datetime | None = None
    ) -> Worker[None]:
        """Start a timer on the service (its clock began at `started_at`, or now), in the
        app's timer worker."""
        raise NotImplementedError
