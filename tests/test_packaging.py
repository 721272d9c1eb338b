"""The package says what it is: its license file matches its metadata."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_license_file_matches_the_declared_license() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().splitlines()[0] == "MIT License"


def test_project_urls_and_classifiers_are_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {"Homepage", "Repository", "Issues"} <= project["urls"].keys()
    python = f"Programming Language :: Python :: {project['requires-python'].lstrip('>=')}"
    assert python in project["classifiers"]
