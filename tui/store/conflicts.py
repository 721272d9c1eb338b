"""How a conflict reads, and what may be done about it: the one wording for the save
review and the grid's status line.

A conflict is a staged change whose entry the server changed (or deleted) since it was
loaded: `Row.server` is the server's current copy, None when the server no longer has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.store.records import FIELDS, EntryRecord, Row

FIELD_LABELS = {
    "date": "date",
    "minutes": "time",
    "note": "note",
    "person_id": "person",
    "service_id": "service",
    "task_id": "task",
}
GONE = "Deleted on the server since it was loaded."


def approval_state(record: EntryRecord) -> str:
    """`approved`, `rejected`, `submitted` or `draft`, as the entry's status reads."""
    return record.status.value


def differences(row: Row, describe: Callable[[str, Any], str]) -> dict[str, str]:
    """Each difference between the server's copy and mine, in words, by what differs:
    a field (``note 'theirs' (yours 'mine')``), then ``status`` (``approved (was
    draft)``) and ``invoiced`` (``invoiced (was not)``), compared with the copy loaded."""
    server = row.server
    if server is None:
        return {}
    parts = {}
    for field in FIELDS:
        theirs, mine = getattr(server, field), getattr(row.record, field)
        if theirs != mine:
            parts[field] = (
                f"{FIELD_LABELS[field]} {describe(field, theirs)} (yours {describe(field, mine)})"
            )
    theirs_state, loaded_state = approval_state(server), approval_state(row.record)
    if theirs_state != loaded_state:
        parts["status"] = f"{theirs_state} (was {loaded_state})"
    if server.invoiced != row.record.invoiced:
        parts["invoiced"] = "invoiced (was not)" if server.invoiced else "no longer invoiced"
    return parts


def conflict_message(row: Row, describe: Callable[[str, Any], str]) -> str:
    """``Changed on server: note 'theirs' (yours 'mine'); approved (was draft)``."""
    if row.server is None:
        return GONE
    parts = differences(row, describe)
    if not parts:
        return "Changed on server since it was loaded."
    return "Changed on server: " + "; ".join(parts.values())


def keep_mine_refusal(row: Row) -> str | None:
    """Why keeping my version cannot succeed (the server would refuse it), or None.

    ``approved on the server meanwhile: unapprove it first, or keep theirs``."""
    server = row.server
    if server is None:
        return "deleted on the server meanwhile: keep theirs to drop your change"
    if server.invoiced:
        return "invoiced on the server meanwhile: it can no longer change, so keep theirs"
    if server.approved:
        return "approved on the server meanwhile: unapprove it first, or keep theirs"
    if server.submitted and not server.rejected and not row.record.submitted:
        return "submitted on the server meanwhile: unsubmit its day first, or keep theirs"
    return None
