"""How a conflict reads: the fields where the server's copy and the staged one differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.store.records import FIELDS, Row

FIELD_LABELS = {
    "date": "date",
    "minutes": "time",
    "note": "note",
    "person_id": "person",
    "service_id": "service",
    "task_id": "task",
}


def conflict_message(row: Row, describe: Callable[[str, Any], str]) -> str:
    """``Changed on server: note 'theirs' (yours 'mine')`` for the fields that differ."""
    server = row.server
    if server is None:
        return "Changed on server since it was loaded."
    parts = []
    for field in FIELDS:
        theirs, mine = getattr(server, field), getattr(row.record, field)
        if theirs != mine:
            parts.append(
                f"{FIELD_LABELS[field]} {describe(field, theirs)} (yours {describe(field, mine)})"
            )
    if not parts:
        return "Changed on server since it was loaded."
    return "Changed on server: " + "; ".join(parts)
