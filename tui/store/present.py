"""How the store's values read to a person: the one place the grid, the screens and the
CLI take their wording from.

- `one_line`: server text on one line, literally (line breaks become ` · `, control
  characters their visible symbols), optionally cut to a width with `…`.
- `plural`: `1 entry`, `2 entries`.
- Names for ids (`person_name`, `service_name`, `task_title`): the name on one line; an id
  the lookups do not know (or whose name is blank) reads `#<id>`; no id at all reads `""`,
  an empty cell in a table.
- `value_text`: one field's value in a sentence (the save review, conflicts); no value
  reads as the field's word in `NO_VALUE` (`no service`, `nobody`, ...).

Nothing here imports textual or click (the CLI uses it), nor anything heavy at run time:
the models are only types here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Protocol

from tui.store.values import format_minutes, printable

if TYPE_CHECKING:
    from tui.models import Person, Service, Task
    from tui.store.records import EntryRecord

NO_VALUE: dict[str, str] = {
    "date": "no date",
    "minutes": "no time",
    "note": "no note",
    "person_id": "nobody",
    "service_id": "no service",
    "task_id": "no task",
}
"""How "no value" reads in a sentence, per field (a table leaves the cell empty)."""
EMPTY = "(empty)"
"""No value of a field `NO_VALUE` does not name."""


class Lookups(Protocol):
    """The id → model dicts names come from (a `Store` is one)."""

    @property
    def people(self) -> Mapping[str, Person]: ...

    @property
    def services(self) -> Mapping[str, Service]: ...

    @property
    def tasks(self) -> Mapping[str, Task]: ...


def one_line(text: str, width: int | None = None) -> str:
    """`text` on one line, literally: line breaks become ` · ` (blank lines and the
    spaces around each line go), control characters their visible symbols; cut to
    `width` characters with a trailing `…` when given."""
    if not (text.isprintable() and text[:1] != " " and text[-1:] != " "):
        text = printable(" · ".join(part.strip() for part in text.splitlines() if part.strip()))
    if width is not None and len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 entry`, `3 entries` (`words`, else `word` + s)."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def _named(name: str | None, item_id: str | None) -> str:
    if not item_id:
        return ""
    return (one_line(name) if name else "") or f"#{printable(item_id)}"


def person_name(people: Mapping[str, Person], person_id: str | None) -> str:
    """The person's name; `#<id>` when unknown; `""` without an id."""
    person = people.get(person_id) if person_id else None
    return _named(person.name if person is not None else None, person_id)


def service_context(service: Service) -> str:
    """Where a service belongs, `Project › Deal` (either alone when only one is known), on
    one line; `""` when the backend names neither."""
    parts = [one_line(part) for part in (service.project_name, service.deal_name) if part]
    return " › ".join(part for part in parts if part)


def service_name(services: Mapping[str, Service], service_id: str | None) -> str:
    """The service's name with where it belongs, `Design (Acme › Website)`, so that two
    services named "Design" read apart everywhere (grid, review, timer panel, picker, CLI);
    `#<id>` when unknown; `""` without an id."""
    service = services.get(service_id) if service_id else None
    if service is None:
        return _named(None, service_id)
    name = _named(service.name, service_id)
    context = service_context(service)
    return f"{name} ({context})" if context else name


def task_title(tasks: Mapping[str, Task], task_id: str | None) -> str:
    """The task's title; `#<id>` when unknown; `""` without an id."""
    task = tasks.get(task_id) if task_id else None
    return _named(task.title if task is not None else None, task_id)


def day_text(day: date | None, *, month: bool = False) -> str:
    """`Mon 16` (`Mon 16 Nov` with `month`); `no date` for none (or `date.min`, a new
    row's placeholder)."""
    if day is None or day == date.min:
        return NO_VALUE["date"]
    return f"{day:%a} {day.day}" + (f" {day:%b}" if month else "")


def value_text(lookups: Lookups, field: str, value: object) -> str:
    """One field's value as a person reads it in a sentence: names for ids, H:MM for
    minutes, the day for a date, other text on one line; no value is `NO_VALUE[field]`."""
    if value is None or value == "":
        return NO_VALUE.get(field, EMPTY)
    if field == "minutes" and isinstance(value, int) and not isinstance(value, bool):
        return format_minutes(value)
    if field == "date" and isinstance(value, date):
        return day_text(value, month=True)
    if isinstance(value, str):
        if field == "service_id":
            return service_name(lookups.services, value)
        if field == "task_id":
            return task_title(lookups.tasks, value)
        if field == "person_id":
            return person_name(lookups.people, value)
    return one_line(str(value))


def entry_text(lookups: Lookups, record: EntryRecord) -> str:
    """An entry on one line: `Mon 16 · Design / Review · 1:30 · the note`."""
    what = service_name(lookups.services, record.service_id) or NO_VALUE["service_id"]
    if record.task_id:
        what += f" / {task_title(lookups.tasks, record.task_id)}"
    parts = [day_text(record.date), what, format_minutes(record.minutes)]
    if record.note.strip():
        parts.append(one_line(record.note))
    return " · ".join(parts)


def timer_blocks_approval(entry_id: str) -> str:
    """Why the entry a timer still runs on is not approved: its time is the timer's
    until the stop (the store refuses it; the approvals screen leaves it out)."""
    return f"A timer is running on entry {entry_id}; stop it, then approve it."


def timer_left_out(entry_id: str) -> str:
    """What an approval by filters or selection says of the running timer's entry, which
    it leaves out (`timer_blocks_approval` is why), in the app and the CLI alike."""
    return f"Entry {entry_id} is left out: a timer is running on it (stop it first)."
