"""Output for people (aligned tables) and for scripts (stable JSON and CSV shapes).

The JSON shapes are a contract (the README documents them): an entry is
`{"id", "date", "minutes", "note", "person_id", "service_id", "task_id", "status",
"updated_at", "rejected_reason"}` (`rejected_reason` null unless rejected; CSV has the same
columns in that order); a timer `{"id", "entry_id", "started_at", "stopped_at",
"elapsed_seconds", "note"}`.

Nothing a server sends reaches the terminal as a control: tables and CSV show control
characters (C0, DEL and C1) as visible symbols, and JSON writes them as `\\u` escapes (the
same data, read back by any JSON parser). CSV cells that a spreadsheet would run as a
formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) get a leading `'`.
`--raw` writes CSV cells exactly as stored, for a file or a pipe; to a terminal its
controls are still shown as symbols.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from tui.store.values import printable

if TYPE_CHECKING:
    from tui.models import Timer
    from tui.store.records import EntryRecord


def color_enabled() -> bool:
    """Colour only on a terminal and never with NO_COLOR set (https://no-color.org)."""
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def entry_json(record: EntryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "date": record.date.isoformat(),
        "minutes": record.minutes,
        "note": record.note,
        "person_id": record.person_id,
        "service_id": record.service_id,
        "task_id": record.task_id,
        "status": record.status.value,
        "updated_at": record.updated_at,
        "rejected_reason": record.rejected_reason if record.rejected else None,
    }


def timer_json(timer: Timer | None, now: datetime) -> dict[str, Any] | None:
    if timer is None:
        return None
    return {
        "id": timer.id,
        "entry_id": timer.entry_id,
        "started_at": timer.started_at.isoformat(),
        "stopped_at": timer.stopped_at.isoformat() if timer.stopped_at else None,
        "elapsed_seconds": timer.elapsed_seconds(now),
        "note": timer.note,
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNESCAPED_CONTROLS = re.compile("[\x7f-\x9f]")
"""What `json.dumps(ensure_ascii=False)` leaves raw: DEL and the C1 controls."""


def json_text(data: Any) -> str:
    """Readable JSON (non-ASCII letters as they are) with every control as a `\\u` escape."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    # Outside strings JSON holds only ASCII punctuation, so these are inside strings.
    return _UNESCAPED_CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def echo_json(data: Any) -> None:
    click.echo(json_text(data))


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = ()
) -> str:
    """An aligned plain-text table; cells made printable, headers bold on a terminal."""
    cells = [
        [printable("" if v is None else str(v)).replace("\n", " ⏎ ") for v in row] for row in rows
    ]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if h in right else v.ljust(w)
            for v, w, h in zip(values, widths, headers, strict=True)
        ]
        return "  ".join(parts).rstrip()

    head = line(list(headers))
    if color_enabled():
        head = click.style(head, bold=True)
    return "\n".join([head, *(line(r) for r in cells)])


def csv_cell(value: Any, *, raw: bool = False, terminal: bool = False) -> str:
    """One CSV cell: controls shown as symbols and formulas defused, unless `raw`
    (which still never sends a control to a terminal)."""
    text = "" if value is None else str(value)
    if raw:
        return printable(text) if terminal else text
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        text = "'" + text
    return printable(text)


def _is_number(text: str) -> bool:
    """`-5` is a number, not a formula: negative minutes stay numbers."""
    return re.fullmatch(r"[+-]?\d+(\.\d+)?", text) is not None


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, raw: bool = False) -> str:
    terminal = sys.stdout.isatty()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([csv_cell(v, raw=raw, terminal=terminal) for v in row] for row in rows)
    return buffer.getvalue()


def progress_bar(total: int, label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress bar on a terminal (stderr) only, nothing at all otherwise: `update(done,
    total)` as work goes, `finish()` at the end."""
    hidden = not sys.stderr.isatty()
    bar = click.progressbar(length=total, label=label, file=sys.stderr, hidden=hidden)
    bar.__enter__()

    def update(done: int, _total: int) -> None:
        bar.update(done - bar.pos)

    return update, lambda: bar.__exit__(None, None, None)
