"""The layer rule (README, "Layout"): nothing below the UI imports textual."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOWER_LAYERS = ["tui.models", "tui.config", "tui.ledger.app", "tui.ledger.demo"]
LOWER_PACKAGES = ["tui/ledger", "tui/api", "tui/store"]


def lower_modules() -> list[str]:
    modules = list(LOWER_LAYERS)
    for package in LOWER_PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            modules.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return sorted(set(modules))


def test_lower_layers_import_without_textual() -> None:
    modules = lower_modules()
    assert "tui.ledger.productive" in modules  # the scan found the real files
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "", f"textual imported by the lower layers: {result.stdout}"


def test_import_linter_contract_holds() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("import-linter is a dev dependency and must be installed")
    result = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lower layers never import the UI KEPT" in result.stdout
