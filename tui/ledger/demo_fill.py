"""The demo's data written by a second process while the app starts.

`timesheet --demo` needs a freshly filled ledger before its first request, and filling
one (`populate_demo`: six weeks of a team's entries) costs about 70 ms of Python. The
app's own start (Textual, the adapter, the first screen) takes longer than that, so a
child process on another core writes the data meanwhile, and the first request waits
only for whatever is left of it. The ledger (schema and identity) is created by the app
first, so both processes agree on who the ledger is; the child only adds the rows, in
one transaction, so the ledger is either empty or whole.

Where a child cannot run (no interpreter to start, or it fails), `wait` fills the ledger
in this process instead: the demo is never left empty.

    python -m tui.ledger.demo_fill PATH     fill the ledger at PATH (if it has no entries)

The child runs this module, so it imports only what the child needs at the top.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

    from tui.ledger.db import LedgerDB

FILL_TIMEOUT_SECONDS = 60.0
"""How long `wait` gives the child before it fills the ledger here instead."""


class DemoFill:
    """A demo ledger being filled by a child process; `wait` until it is."""

    def __init__(self, db: LedgerDB) -> None:
        import subprocess

        self.db = db
        self._lock = threading.Lock()
        self._done = False
        self._child: subprocess.Popen[bytes] | None
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", __name__, str(db.path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # no interpreter to start: `wait` fills the ledger here
            self._child = None

    def wait(self) -> None:
        """Block until the ledger holds the demo data: the child's, or (if it failed or
        could not start) written here. Safe from any thread, and more than once."""
        import subprocess

        with self._lock:
            if self._done:
                return
            child, self._child = self._child, None
            filled = False
            if child is not None:
                try:
                    filled = child.wait(timeout=FILL_TIMEOUT_SECONDS) == 0
                except subprocess.TimeoutExpired:
                    _end(child)
            if not filled:  # the child wrote all or nothing: fill what it did not
                # Imported only here: the demo's module costs the app's start more
                # than the check it would make after a child that succeeded.
                from tui.ledger.demo import fill_if_empty

                fill_if_empty(self.db)
            self._done = True

    def cancel(self) -> None:
        """The app ends before it needed the data: stop the child, leave the ledger."""
        with self._lock:
            child, self._child = self._child, None
            self._done = True
        if child is not None:
            _end(child)


def _end(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tui.ledger.demo_fill PATH", file=sys.stderr)
        return 2
    from pathlib import Path

    from tui.ledger.demo import create_demo_ledger

    # Only into the ledger the app made: its folder may be gone by now (the app ended,
    # its temporary folder removed), and a new ledger there would be left behind.
    if not Path(argv[0]).is_file():
        return 1
    create_demo_ledger(argv[0]).close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
