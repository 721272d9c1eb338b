"""Hostile or mistaken input ends in one sentence, never a traceback: dates past the
calendar, TOML nested past the parser's stack."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tui.config import ConfigError, load_config, read_config_data
from tui.store.values import ValueProblem, parse_date
from tui.themes import load_theme_file

TODAY = date(2026, 12, 1)
DEEP_ARRAY = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    "typed",
    ["9999-12-31", "0001-01-01", "9999999999 days ago", "3000000 days ago", "99999 weeks ago"],
)
def test_dates_past_the_calendar_or_the_range_are_one_sentence(typed: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_date(typed, today=TODAY)
    assert str(caught.value) == (
        f"{typed!r} is out of range; dates run from 1900-01-01 to 2999-12-31."
    )


def test_the_edges_of_the_date_range_are_dates() -> None:
    assert parse_date("1900-01-01", today=TODAY) == date(1900, 1, 1)
    assert parse_date("2999-12-31", today=TODAY) == date(2999, 12, 31)


def test_a_config_nested_too_deep_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"default_profile = {DEEP_ARRAY}\n")
    for read in (load_config, read_config_data):
        with pytest.raises(ConfigError) as caught:
            read(path)
        assert str(caught.value) == f"{path}: values are nested too deep to read."


def test_a_theme_nested_too_deep_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(f"name = {DEEP_ARRAY}\n")
    assert load_theme_file(path) == f"{path}: nests values too deep to read."


def test_a_csv_quote_left_open_is_named_by_its_line(tmp_path: Path) -> None:
    from tui.cli.time_commands import read_import

    path = tmp_path / "rows.csv"
    path.write_text(
        'date,time,note,service_id\n2026-11-16,30,fine,1\n2026-11-17,60,"open,1\n'
        "2026-11-18,30,ok,1\n"
    )
    plan = read_import(path, today=TODAY)
    assert plan.problems == [
        (3, 'has a quote (") that is not closed; the field runs on to line 4.')
    ]
    assert [row.line for row in plan.rows] == [2]
