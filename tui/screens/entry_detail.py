"""An entry's details, and a person's week, in small modal screens.

`EntryDetail` is the whole of one entry, where the table and the grid show one cut line:
the full note and rejection reason (several lines, literally), its approval, date, person,
service, task, time and when it last changed. The approvals screen opens it with `enter`,
the timesheet with `i`. `WeekSummary` is a person's week on the approvals screen (`enter`
on their header line): minutes per day, the total, and how many entries are in each
status. Both close with `escape`, `enter` or `q`, and scroll when they are long.

Server text is shown literally: `rich.text.Text` (never markup), control characters as their
visible symbols (`printable`), line breaks kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.actions import Scope, bindings
from tui.models import EntryStatus
from tui.store.conflicts import FIELD_LABELS
from tui.store.present import (
    NO_VALUE,
    day_text,
    person_name,
    plural,
    service_name,
    task_title,
)
from tui.store.records import RowState
from tui.store.values import format_minutes, printable

if TYPE_CHECKING:
    from tui.store.changes import ApprovalResult
    from tui.store.records import Row
    from tui.store.store import Store

APPROVAL_TEXT: dict[EntryStatus, str] = {
    EntryStatus.draft: "not submitted yet",
    EntryStatus.submitted: "submitted, waiting for approval",
    EntryStatus.approved: "approved",
    EntryStatus.rejected: "rejected: back with its owner to fix",
}
"""An entry's approval, in words, by its status."""
RESULT_TEXT: dict[str, str] = {
    "approved": "approved",
    "pending": "still pending other approvers",
    "unapproved": "unapproved",
    "rejected": "rejected",
    "failed": "failed",
}
"""What the last approve / unapprove / reject of this screen did to the entry."""
STATE_TEXT: dict[RowState, str] = {
    RowState.new: "new, not saved yet",
    RowState.changed: "changed, not saved yet",
    RowState.deleted: "deleted, not saved yet",
    RowState.saving: "saving…",
    RowState.failed: "the save failed",
    RowState.conflict: "changed on the server too (a conflict)",
    RowState.unconfirmed: "sent; waiting to learn whether it was saved",
}
"""A staged row's state, in words (a clean row has none)."""


def literal(text: str) -> Text:
    """Server text as it is, over several lines: each line's control characters as their
    visible symbols, never markup."""
    return Text("\n".join(printable(line) for line in text.expandtabs(4).splitlines()))


def when_text(stamp: str | None) -> str:
    """An ISO timestamp in local time, `Thu 19 Nov 2026 14:30`; unknown reads `unknown`."""
    if not stamp:
        return "unknown"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return printable(stamp)
    return f"{moment.astimezone():%a %d %b %Y %H:%M}"


def date_text(day: date) -> str:
    """`Thu 19 Nov 2026`; a new row without a date reads `no date`."""
    return day_text(day, month=True) + (f" {day:%Y}" if day != date.min else "")


def _fields(rows: Iterable[tuple[str, Text | str]]) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for label, value in rows:
        table.add_row(Text(label), value if isinstance(value, Text) else Text(value))
    return table


class DetailModal(ModalScreen[None]):
    """A box of text in the middle of the screen, scrollable, closed with `escape`, `enter`
    or `q`. Subclasses say what is in it (`body`)."""

    DEFAULT_CSS = """
    DetailModal {
        align: center middle;
    }
    DetailModal > Vertical {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 90%;
        border: thick $primary 80%;
        border-title-color: $text-primary;
        background: $surface;
        padding: 0 1;
    }
    DetailModal VerticalScroll {
        height: auto;
        max-height: 1fr;
    }
    DetailModal .detail-keys {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.entry_detail)

    heading = "Details"
    """The box's title."""

    def body(self) -> Sequence[Static]:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.heading
            with VerticalScroll(id="detail-scroll"):
                yield from self.body()
            yield Static(Text("escape / enter / q close · ↑ ↓ scroll"), classes="detail-keys")

    def on_mount(self) -> None:
        self.query_one("#detail-scroll").focus()  # so up/down/page keys scroll a long note

    def action_close(self) -> None:
        self.dismiss()


class EntryDetail(DetailModal):
    """One entry in full: the row as the grid shows it (staged values over the server's)."""

    DEFAULT_CSS = """
    EntryDetail .detail-section {
        margin-top: 1;
        text-style: bold;
    }
    EntryDetail #detail-reason {
        color: $text-error;
    }
    """

    def __init__(self, store: Store, entry_id: str, *, result: ApprovalResult | None = None):
        super().__init__()
        self.store = store
        self.entry_id = entry_id
        self.result = result
        """What the approvals screen last did to it, if anything."""
        self.entry_row: Row = store.row(entry_id)
        new = self.entry_row.state is RowState.new
        self.heading = "New entry" if new else f"Entry #{printable(entry_id)}"

    def field_rows(self) -> list[tuple[str, Text | str]]:
        row = self.entry_row
        record = row.record
        store = self.store
        rows: list[tuple[str, Text | str]] = [
            ("Date", date_text(record.date)),
            ("Person", person_name(store.people, record.person_id) or NO_VALUE["person_id"]),
            ("Service", service_name(store.services, record.service_id) or NO_VALUE["service_id"]),
            ("Task", task_title(store.tasks, record.task_id) or NO_VALUE["task_id"]),
            ("Time", format_minutes(record.minutes)),
            ("Approval", APPROVAL_TEXT[record.status]),
        ]
        if self.result is not None:
            last = RESULT_TEXT.get(self.result.result, printable(self.result.result))
            if self.result.message:
                last += f": {printable(self.result.message)}"
            rows.append(("Last action", last))
        if record.invoiced:
            rows.append(("Invoiced", "yes: locked until it is unapproved"))
        rows.append(("Updated", when_text(record.updated_at)))
        if row.state is not RowState.clean:
            staged = STATE_TEXT.get(row.state, row.state.value)
            if row.original:
                staged += " (" + ", ".join(FIELD_LABELS.get(f, f) for f in row.original) + ")"
            rows.append(("Staged", staged))
        if row.error:
            rows.append(("Problem", literal(row.error)))
        return rows

    def body(self) -> Sequence[Static]:
        record = self.entry_row.record
        parts = [Static(_fields(self.field_rows()), id="detail-fields")]
        if record.rejected:
            parts.append(Static(Text("Rejection reason"), classes="detail-section"))
            reason = record.rejected_reason or ""
            shown = literal(reason) if reason.strip() else Text("none given")
            parts.append(Static(shown, id="detail-reason"))
        parts.append(Static(Text("Note"), classes="detail-section"))
        note = record.note
        parts.append(
            Static(literal(note) if note.strip() else Text(NO_VALUE["note"]), id="detail-note")
        )
        return parts


class WeekSummary(DetailModal):
    """A person's entries of one week: minutes per day, the total, and the count per status."""

    def __init__(
        self,
        store: Store,
        person_id: str | None,
        week_start: date,
        *,
        shown: Sequence[str] = (),
        filter_name: str = "",
    ):
        super().__init__()
        self.store = store
        self.person_id = person_id
        self.week_start = week_start
        self.shown = list(shown)
        """The person's entries the approvals screen shows (its filters applied)."""
        self.filter_name = filter_name
        name = person_name(store.people, person_id) or NO_VALUE["person_id"]
        end = week_start + timedelta(days=6)
        self.heading = f"{name} · week {week_start:%d %b} – {end:%d %b %Y}"

    def week_ids(self) -> list[str]:
        """All the person's loaded entries of the week, whatever their status."""
        end = self.week_start + timedelta(days=6)
        return [
            entry_id
            for entry_id in self.store.select(start=self.week_start, end=end)
            if self.store.records[entry_id].person_id == self.person_id
        ]

    def body(self) -> Sequence[Static]:
        store = self.store
        ids = self.week_ids()
        records = [store.records[i] for i in ids]
        per_day: Counter[date] = Counter()
        for record in records:
            per_day[record.date] += record.minutes
        rows: list[tuple[str, Text | str]] = []
        for offset in range(7):
            day = self.week_start + timedelta(days=offset)
            rows.append((day_text(day, month=True), format_minutes(per_day[day])))
        total = sum(per_day.values())
        count = plural(len(records), "entry", "entries")
        rows.append(("Total", f"{format_minutes(total)} in {count}"))
        statuses = Counter(record.status for record in records)
        by_status = ", ".join(
            f"{statuses[status]} {status.value}" for status in EntryStatus if statuses[status]
        )
        rows.append(("By status", by_status or "no entries"))
        if self.filter_name and len(self.shown) != len(records):
            shown_minutes = sum(store.records[i].minutes for i in self.shown)
            rows.append(
                (
                    "Shown",
                    f"{plural(len(self.shown), 'entry', 'entries')} "
                    f"({format_minutes(shown_minutes)}) with the filter: {self.filter_name}",
                )
            )
        return [Static(_fields(rows), id="summary-fields")]
