"""Keeping a big load's records out of the cycle collector's full passes.

Every record the store keeps is tracked by the cycle collector, which walks all of them
in each full collection: at 100k entries a full pass took 80-95 ms, several times while
the rows streamed in, and a key pressed then waited for it. The records hold no cycles
(strings, dates, numbers), so they need no collector at all: after each page, `gc.freeze`
moves everything alive into the permanent generation, which full passes skip.

What was alive at a freeze and later turns into cyclic garbage stays in the permanent
generation. In the app (a process that froze its start-up objects already, see
`tui.startup.startup_done`) that is left so: a 20k-entry load from the in-process
ledger left 99 such objects, while unfreezing and collecting at the end of a 100k load
is a 200-400 ms pause just when the rows are ready. Any other process (a test, a script)
gets its generations back when the load ends, however it ends: the next full collection
frees those objects.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


class LoadCollector:
    """Freezes after each page of a load once it is past its first page, and holds the
    collector off while the load's end sorts and indexes its rows (`settling`); `close`
    undoes the freezing where the process had frozen nothing before the load."""

    def __init__(self) -> None:
        self.pages = 0
        self._frozen = False
        # A process that froze its start-up objects, or will: the collector still off
        # (`tui.startup`), a load that began during the start can outlast it.
        self._refreeze = gc.get_freeze_count() > 0 or not gc.isenabled()

    def page_taken(self) -> None:
        self.pages += 1
        if self.pages > 1 and gc.isenabled():  # a one-page week needs none of this
            gc.freeze()
            self._frozen = True

    @contextlib.contextmanager
    def settling(self) -> Iterator[None]:
        """No collection while the rows are sorted and indexed, then a freeze: at 1M
        entries that builds a million new sort keys and lists of a million, and each
        full pass over them took 33-94 ms (six of them), a key pressed meanwhile waiting
        for it. Only for a load past its first page (a week needs none of this)."""
        hold = self._frozen and gc.isenabled()
        if hold:
            gc.disable()
        try:
            yield
        finally:
            if hold:
                gc.freeze()
                gc.enable()

    def close(self) -> None:
        if self._frozen and not self._refreeze:
            gc.unfreeze()
        self._frozen = False
