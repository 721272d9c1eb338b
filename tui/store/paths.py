"""Where a profile's own files live: its journal (with the cache and the timer starts
beside it) in the platform's state folder.

Apart from the journal's code, so that a command that only needs a path (`status` reads
the timer starts) does not load the journal, SQLite and the staging types with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import platformdirs


def journal_path(profile: str, state_dir: Path | None = None) -> Path:
    """`<state dir>/<profile>.db`, the profile name made safe for a file name."""
    folder = state_dir or Path(platformdirs.user_state_dir("timesheet"))
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile) or "default"
    return folder / f"{safe}.db"
