"""The end of a process's start-up, for the cycle collector.

`timesheet` (`tui.__main__`) turns the collector off before it imports anything: a
start creates tens of thousands of objects that live as long as the process (modules,
classes, schemas), and the collector would walk them again and again while they load.
Once the process has what it needs (a scripting command its modules; the app its first
frame with the week, see `tui.app`), `startup_done` keeps those objects out of every
later collection and turns the collector back on.

Its own module, importing nothing: the app calls it, and the app must not load the CLI
(click) to do so.
"""

from __future__ import annotations

import gc


def startup_done() -> None:
    """The process has loaded what it needs: keep those objects out of every later
    collection, so the work and the exit don't walk them again, and turn the collector
    back on (`tui.__main__` turned it off). A no-op where it was never off (tests)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
