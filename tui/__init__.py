"""timesheet: log and approve time from the terminal."""

import sys

# httpx imports its own command-line client (`httpx._main`) whenever rich, pygments and
# click are installed, as textual installs them: about 40 ms of every scripting command's
# start, for code this app never runs. A None entry makes that import fail, and httpx
# falls back to the stub it defines for exactly that case.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None blocks an import
