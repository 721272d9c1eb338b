"""tui.store.present: one wording for server text, counts, names for ids and field values,
and no second copy of it anywhere else in tui/."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from tui.models import Person, Service, Task
from tui.store.present import (
    EMPTY,
    NO_VALUE,
    day_text,
    entry_text,
    one_line,
    person_name,
    plural,
    service_name,
    task_title,
    value_text,
)
from tui.store.records import EntryRecord

ROOT = Path(__file__).resolve().parent.parent / "tui"
MONDAY = date(2026, 11, 16)


@dataclass
class Lookups:
    people: dict[str, Person] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)


LOOKUPS = Lookups(
    people={"7": Person(id="7", first_name="Ana", last_name="Lima")},
    services={"3": Service(id="3", name="Design\nreview"), "4": Service(id="4", name="  ")},
    tasks={"9": Task(id="9", title="Wireframes", service_id="3")},
)


BASE = EntryRecord(
    id="1", date=MONDAY, minutes=90, note="", person_id="7", service_id="3", task_id=None
)


def record(**values: object) -> EntryRecord:
    return BASE.replaced(**values)


# ------------------------------------------------------------------ one_line


@pytest.mark.parametrize(
    "text, shown",
    [
        ("plain text", "plain text"),
        ("", ""),
        ("first\n\n  second  \r\nthird", "first · second · third"),
        ("[bold red]x[/] \x1b[2J\x07", "[bold red]x[/] ␛[2J␇"),
        ("  padded  ", "padded"),
        ("tab\there", "tab␉here"),
    ],
)
def test_one_line_joins_lines_and_makes_controls_visible(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_one_line_cuts_to_a_width_with_an_ellipsis() -> None:
    assert one_line("abcdefgh", 5) == "abcd…"
    assert one_line("abcde", 5) == "abcde"
    assert one_line("a\nbcdef", 4) == "a ·…"


# -------------------------------------------------------------------- plural


def test_plural_agrees_in_number() -> None:
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(0, "entry", "entries") == "0 entries"
    assert plural(2, "staged change") == "2 staged changes"
    assert plural(1, "person", "people") == "1 person"


# --------------------------------------------------------------------- names


def test_known_ids_read_as_their_names_on_one_line() -> None:
    assert person_name(LOOKUPS.people, "7") == "Ana Lima"
    assert service_name(LOOKUPS.services, "3") == "Design · review"
    assert task_title(LOOKUPS.tasks, "9") == "Wireframes"


def test_an_unknown_id_or_a_blank_name_reads_hash_id_made_printable() -> None:
    assert person_name(LOOKUPS.people, "8") == "#8"
    assert service_name(LOOKUPS.services, "99\x1b[2J") == "#99␛[2J"
    assert task_title(LOOKUPS.tasks, "10") == "#10"
    assert service_name(LOOKUPS.services, "4") == "#4"  # a name of blanks would be invisible


def test_no_id_is_an_empty_cell() -> None:
    for lookup in (person_name, service_name, task_title):
        assert lookup({}, None) == ""
        assert lookup({}, "") == ""


# ----------------------------------------------------------------- sentences


def test_no_value_reads_as_the_fields_word() -> None:
    for name, word in NO_VALUE.items():
        assert value_text(LOOKUPS, name, None) == word
    assert value_text(LOOKUPS, "note", "") == "no note"
    assert value_text(LOOKUPS, "service_id", "") == "no service"
    assert value_text(LOOKUPS, "colour", None) == EMPTY


def test_values_read_as_a_person_reads_them() -> None:
    assert value_text(LOOKUPS, "minutes", 90) == "1:30"
    assert value_text(LOOKUPS, "date", MONDAY) == "Mon 16 Nov"
    assert value_text(LOOKUPS, "date", date.min) == "no date"
    assert value_text(LOOKUPS, "service_id", "3") == "Design · review"
    assert value_text(LOOKUPS, "task_id", "10") == "#10"
    assert value_text(LOOKUPS, "person_id", "7") == "Ana Lima"
    assert value_text(LOOKUPS, "note", "two\nlines\x1b") == "two · lines␛"
    assert value_text(LOOKUPS, "minutes", "1h\n30") == "1h · 30"  # not minutes: shown as typed


def test_day_text_with_and_without_the_month() -> None:
    assert day_text(MONDAY) == "Mon 16"
    assert day_text(MONDAY, month=True) == "Mon 16 Nov"
    assert day_text(None) == "no date"


def test_an_entry_on_one_line() -> None:
    assert entry_text(LOOKUPS, record()) == "Mon 16 · Design · review · 1:30"
    with_all = record(task_id="9", note="call\nback")
    assert (
        entry_text(LOOKUPS, with_all)
        == "Mon 16 · Design · review / Wireframes · 1:30 · call · back"
    )
    bare = record(service_id=None, date=date.min, minutes=0)
    assert entry_text(LOOKUPS, bare) == "no date · no service · 0:00"


# ---------------------------------------------------------------- one copy


def _sources() -> list[tuple[Path, ast.Module]]:
    paths = sorted(ROOT.rglob("*.py"))
    assert ROOT / "store" / "present.py" in paths
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in paths]


def test_no_module_but_present_defines_its_helpers() -> None:
    own = {"one_line", "plural", "person_name", "service_name", "task_title", "value_text"}
    copies = [
        f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name}"
        for path, tree in _sources()
        if path.name != "present.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name.lstrip("_") in own
        and not (node.args.args and node.args.args[0].arg == "self")  # thin methods call it
    ]
    assert copies == []


def test_no_inline_plural_s() -> None:
    """`f"{n} thing{'s' if n != 1 else ''}"` is `plural(n, "thing")`."""
    inline = [
        f"{path.relative_to(ROOT.parent)}:{node.lineno}"
        for path, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.IfExp)
        and {
            getattr(node.body, "value", None),
            getattr(node.orelse, "value", None),
        }
        == {"s", ""}
    ]
    assert inline == []
