"""The day target: working days from the config, and the days short of it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tui.config import ConfigError, load_config
from tui.store.workweek import WorkWeek

MONDAY = date(2026, 11, 30)


def test_weekends_have_no_target_by_default() -> None:
    week = WorkWeek()
    assert week.target(MONDAY) == 480 and week.target(date(2026, 12, 4)) == 480
    assert week.target(date(2026, 12, 5)) == 0 and week.target(date(2026, 12, 6)) == 0


def test_short_days_lists_working_days_under_the_target_in_order() -> None:
    week = WorkWeek.of(360, ["mon", "wed", "sat"])
    logged = {MONDAY: 400, date(2026, 12, 2): 90}
    short = week.short_days(logged, MONDAY, date(2026, 12, 6))
    assert short == [(date(2026, 12, 2), 90), (date(2026, 12, 5), 0)]


def test_config_reads_workday_minutes_and_work_days(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nworkday_minutes = 420\nwork_days = ["tue", "thu"]\n')
    ui = load_config(path).config.ui
    assert (ui.workday_minutes, ui.work_days) == (420, ("tue", "thu"))


def test_config_refuses_an_unknown_day_name(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nwork_days = ["monday"]\n')
    with pytest.raises(ConfigError, match="work_days"):
        load_config(path)
