"""What a snapshot mismatch changed, as text: the screen's rows of text read back from the
stored and the actual SVG, and a unified diff of them (printed by the `snap_compare`
fixture of tests/conftest.py when a comparison fails, so a flaky failure explains itself
without the HTML report)."""

from __future__ import annotations

import difflib
import html
import pickle
import re
from pathlib import Path

CELL_WIDTH = 12.2
"""Width of one terminal cell in Rich's SVG export (`x` is in these units)."""

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', re.S)


def screen_lines(svg: str) -> list[str]:
    """The screen's rows of text in a snapshot SVG, top to bottom (trailing spaces cut)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in _TEXT.finditer(svg):
        x, y, text = float(match[1]), float(match[2]), html.unescape(match[3])
        rows.setdefault(y, []).append((x, text.replace("\xa0", " ").rstrip("\n")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / CELL_WIDTH)) + text
        lines.append(line.rstrip())
    return lines


def screen_diff(expected_svg: str | None, actual_svg: str, name: str = "") -> str:
    """A sentence and a unified diff (`-` stored, `+` actual) of the two screens' text;
    when only colours or styles differ, a sentence saying so."""
    title = f"Snapshot {name} does not match" if name else "The snapshot does not match"
    if not expected_svg:
        return f"{title}: there is no stored snapshot (run with --snapshot-update)."
    expected, actual = screen_lines(expected_svg), screen_lines(actual_svg)
    if expected == actual:
        return f"{title}: the screen text is the same, only colours or styles differ."
    diff = difflib.unified_diff(
        expected, actual, fromfile="stored", tofile="actual", lineterm="", n=1
    )
    return f"{title}; the screen text differs:\n" + "\n".join(diff)


def report_diff(report_path: Path) -> str:
    """`screen_diff` of the comparison pytest-textual-snapshot wrote to `report_path`
    (its pickle: passed, stored SVG, actual SVG, app, path, line, test name, docstring,
    app path, whether a stored snapshot exists)."""
    data = pickle.loads(report_path.read_bytes())
    expected_svg, actual_svg, name, exists = data[1], data[2], data[6], data[9]
    return screen_diff(str(expected_svg) if exists else None, actual_svg, name)
