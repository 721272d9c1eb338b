"""Files only their owner can read: the journal and the cache hold notes and names.

Whatever the umask, the folder is made `0700` and the database `0600` before SQLite opens
it; SQLite then gives its `-wal` and `-shm` companions the database's own mode, so they are
private as well (a test checks all four).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui.private_modes import FILE_MODE, FOLDER_MODE

if TYPE_CHECKING:
    import sqlite3


def connect_private(path: Path) -> sqlite3.Connection:
    """An autocommit SQLite connection to `path`, created private if it is new, and made
    private if an older version left it readable by others."""
    import sqlite3  # here: the timer starts' file needs only the modes, not SQLite

    path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.chmod(path.parent, FOLDER_MODE)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists():
            os.chmod(companion, FILE_MODE)
    return sqlite3.connect(path, isolation_level=None)
