"""The `snap_compare` fixture of tests/conftest.py: a mismatch explains itself (a diff of
the stored and the actual screen's text, tests/snapshot_diff.py), and a cursor's blink
(on the wall clock) does not change a snapshot."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.snapshot_diff import screen_diff, screen_lines

STORED = Path(__file__).parent / "__snapshots__" / "test_snapshots" / "test_timesheet_screen.svg"


def test_screen_lines_read_the_rows_of_text_back_from_a_snapshot() -> None:
    lines = screen_lines(STORED.read_text(encoding="utf-8"))

    assert lines[3] == " Week of Mon 16 Nov 2026"
    assert lines[5].startswith("  Mon 16 Meetings (Internal › Overhea…")
    assert lines[5].endswith("Daily stand-up                             0:15 draft")


def test_a_changed_screen_prints_a_diff_naming_the_changed_line() -> None:
    stored = STORED.read_text(encoding="utf-8")
    actual = stored.replace("Daily&#160;stand-up", "Daily&#160;stand-in")

    report = screen_diff(stored, actual, "test_timesheet_screen[los_angeles]")

    assert report.startswith("Snapshot test_timesheet_screen[los_angeles] does not match")
    removed = [line for line in report.splitlines() if line.startswith("-  ")]
    added = [line for line in report.splitlines() if line.startswith("+  ")]
    assert len(removed) == len(added) == 1
    assert "Daily stand-up" in removed[0]
    assert "Daily stand-in" in added[0]


def test_a_screen_whose_colours_only_changed_says_so() -> None:
    stored = STORED.read_text(encoding="utf-8")
    actual = stored.replace("fill: #e0e0e0;font-weight: bold", "fill: #ff0000")
    assert actual != stored

    report = screen_diff(stored, actual)

    assert report == (
        "The snapshot does not match: the screen text is the same, only colours or styles differ."
    )


def test_a_missing_snapshot_is_named_as_such() -> None:
    report = screen_diff(None, STORED.read_text(encoding="utf-8"), "test_new")

    assert "there is no stored snapshot" in report


@pytest.fixture
def session(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytest run of its own, with this suite's fixtures: its own report folder, not
    the worker's that runs this test."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("TEXTUAL_SNAPSHOT_TEMPDIR", raising=False)
    pytester.makeconftest("pytest_plugins = ['tests.conftest']")
    return pytester


def test_a_failed_snap_compare_prints_the_screen_diff(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester = session
    pytester.makepyfile(
        test_greeting=textwrap.dedent(
            """
            import os

            from textual.app import App
            from textual.widgets import Static


            class Greeting(App[None]):
                def compose(self):
                    yield Static("first line")
                    yield Static(os.environ["GREETING"])


            def test_greeting(snap_compare):
                assert snap_compare(Greeting(), terminal_size=(30, 4))
            """
        )
    )
    monkeypatch.setenv("GREETING", "hello")
    assert pytester.runpytest("-p", "no:cacheprovider", "--snapshot-update").ret == 0

    monkeypatch.setenv("GREETING", "goodbye")
    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*Captured stdout call*",
            "Snapshot test_greeting does not match; the screen text differs:",
            "--- stored",
            "+++ actual",
            "*",
            " first line",
            "-hello",
            "+goodbye",
        ]
    )


def test_a_snapshot_shows_the_focused_input_cursor_even_after_it_blinked(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester = session
    pytester.makepyfile(
        test_field=textwrap.dedent(
            """
            import os

            from textual.app import App
            from textual.widgets import Input


            class Field(App[None]):
                def compose(self):
                    yield Input(placeholder="Type here")


            async def typed(pilot):
                await pilot.press(*"abc")
                if os.environ.get("BLINKED"):
                    # What the blink timer does half a second after the last key: on a
                    # busy machine the screenshot can come later than that.
                    pilot.app.query_one(Input)._toggle_cursor()


            def test_field(snap_compare):
                assert snap_compare(Field(), terminal_size=(30, 3), run_before=typed)
            """
        )
    )
    assert pytester.runpytest("-p", "no:cacheprovider", "--snapshot-update").ret == 0

    monkeypatch.setenv("BLINKED", "1")
    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == 0, result.stdout.str()
