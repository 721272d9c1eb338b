"""`scripts/screenshots.py` is deterministic: the same bytes on every run, wherever it writes."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "screenshots.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("timesheet_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_two_runs_write_identical_bytes(script: ModuleType, tmp_path: Path, capsys) -> None:
    tz_before = os.environ.get("TZ")
    first, second = tmp_path / "first", tmp_path / "second"
    assert script.main(["--out", str(first), "timesheet-staged"]) == 0
    assert script.main(["--out", str(second), "timesheet-staged"]) == 0
    one = (first / "timesheet-staged.svg").read_bytes()
    assert one == (second / "timesheet-staged.svg").read_bytes()
    assert one.startswith(b"<svg") and b"Reviewed&#160;the&#160;design&#160;notes" in one
    assert str(tmp_path).encode() not in one  # no temp paths leak into the picture
    assert os.environ.get("TZ") == tz_before  # the UTC switch is undone

    # A re-run that renders the same picture leaves the file alone.
    stamp = (first / "timesheet-staged.svg").stat().st_mtime_ns
    assert script.main(["--out", str(first), "timesheet-staged"]) == 0
    assert (first / "timesheet-staged.svg").stat().st_mtime_ns == stamp
    assert capsys.readouterr().out.count("timesheet-staged.svg") == 3


def test_unknown_screen_is_a_usage_error(script: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        script.main(["--out", str(tmp_path), "nope"])
    assert exit_info.value.code == 2
    assert not list(tmp_path.iterdir())


def test_the_core_screens_are_always_available(script: ModuleType) -> None:
    assert {"timesheet", "timesheet-staged", "save-review"} <= {
        name for name, shot in script.SHOTS.items() if shot.available
    }
