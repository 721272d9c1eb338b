"""The CLI's output helpers that no command test sees: what shows only on a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from tui.cli.output import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_counts_on_a_terminal_and_writes_nothing_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    update, finish = progress_bar(3, "Rejecting")
    update(1, 3)
    update(3, 3)
    finish()
    shown = terminal.getvalue()
    assert "Rejecting" in shown and "33%" in shown and "100%" in shown

    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    update, finish = progress_bar(3, "Rejecting")
    update(3, 3)
    finish()
    assert piped.getvalue() == ""  # a script reading stderr gets only the sentences
