"""The app shell: the quit prompt, the problem banner, the key bar, toasts, help, `[keys]`,
themes kept across restarts and the demo folder's removal. Real app (pilot) over the demo
ledger, or a real child process."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.app_harness import SIZE, Harness, grid, settle
from tests.conftest import FakeClock
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.store.journal import Journal
from tui.store.store import Store

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> Harness:
    return Harness(tmp_path, clock)


def demo_app(harness: Harness) -> TimesheetApp:
    store = Store(harness.adapter(), Journal(harness.journal_path), clock=harness.clock)
    return TimesheetApp(store, demo=True)


@pytest.mark.parametrize(
    ("staged", "question"),
    [
        (
            1,
            "1 staged change is in the temporary demo folder, which is deleted on quit. "
            "Quit anyway?",
        ),
        (
            2,
            "2 staged changes are in the temporary demo folder, which is deleted on quit. "
            "Quit anyway?",
        ),
    ],
)
async def test_the_demo_quit_prompt_says_plainly_that_staged_changes_go(
    harness, staged: int, question: str
) -> None:
    from tui.screens.dialogs import ConfirmDialog

    app = demo_app(harness)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for entry_id in [i for i in app.store.order if not app.store.records[i].locked][:staged]:
            grid(app).move_to(entry_id)
            await pilot.press("d")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message == question


def _run_demo_in_a_pty(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`timesheet --demo` on a terminal of its own (80x24), its temporary folders under
    `tmp_path`, with no config or state of the user's; returns once the app has drawn."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path / "tmp"),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "TERM": "xterm-256color",
    }
    for name in ("TIMESHEET_CONFIG", "TIMESHEET_PROFILE"):
        env.pop(name, None)
    (tmp_path / "tmp").mkdir()
    child = subprocess.Popen(
        [sys.executable, "-m", "tui", "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60  # a bound on a stuck child, not a timing assert
    while b"Week of" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
        if child.poll() is not None:
            break
    assert b"Week of" in seen, seen[-2000:]
    return child, master


def _drain_until_exit(child: subprocess.Popen[bytes], master: int) -> int:
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            with contextlib.suppress(OSError):  # the terminal's far end has closed
                os.read(master, 65536)
    if child.poll() is None:
        child.kill()
    os.close(master)
    return child.wait()


@pytest.mark.subprocess
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_the_demo_folder_is_removed_when_the_app_is_ended_by_a_signal(
    tmp_path: Path, signum: int
) -> None:
    child, master = _run_demo_in_a_pty(tmp_path)
    folders = list((tmp_path / "tmp").glob("timesheet-demo-*"))
    assert len(folders) == 1 and (folders[0] / "demo-ledger.db").exists()
    os.kill(child.pid, signum)
    code = _drain_until_exit(child, master)
    assert not folders[0].exists()
    assert code == 128 + signum


# ---------------------------------------------------------------- [keys] is checked


@pytest.fixture
def app_never_runs(monkeypatch: pytest.MonkeyPatch) -> list[TimesheetApp]:
    """`TimesheetApp.run` only records the app: a launch that gets past its checks ends."""
    started: list[TimesheetApp] = []
    monkeypatch.setattr(TimesheetApp, "run", lambda self, *a, **k: started.append(self))
    return started


def launch_with_keys(tmp_path: Path, keys: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from tui.cli import main

    config = tmp_path / "config.toml"
    config.write_text(f"[keys]\n{keys}\n")
    result = CliRunner().invoke(main, ["--config", str(config), "--demo"])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("keys", "sentence"),
    [
        (
            'stop-timer = "ctrl+s"',
            "[keys] stop-timer = \"ctrl+s\": ctrl+s is already 'Save' on the timesheet (save); "
            "pick another key.",
        ),
        (
            'save = "s"',
            "[keys] save = \"s\": s is already 'Stop timer' everywhere (stop-timer); "
            "pick another key.",
        ),
        (
            'stop-timr = "ctrl+t"',
            "[keys] stop-timr = \"ctrl+t\": there is no key binding 'stop-timr'; "
            "did you mean stop-timer?",
        ),
        (
            'new-entry = "t"',
            "[keys] new-entry = \"t\": t is already 'Start timer' on the timesheet "
            "(start-timer); pick another key.",
        ),
        (
            'undo = "enter"',
            "[keys] undo = \"enter\": enter is already 'Edit' in the grid (grid-edit); "
            "pick another key.",
        ),
        (
            'save = "Ctrl+S"',
            "[keys] save = \"Ctrl+S\": 'Ctrl+S' is not a key; write one in lower case, "
            'modifiers first ("ctrl+s", "shift+tab", "f5") or a single character ("T").',
        ),
        (
            'stop-timer = "ctlr+t"',
            "[keys] stop-timer = \"ctlr+t\": 'ctlr+t' is not a key; write one in lower case, "
            'modifiers first ("ctrl+s", "shift+tab", "f5") or a single character ("T").',
        ),
    ],
)
def test_a_keys_table_that_loses_a_key_stops_the_start_with_one_sentence(
    tmp_path: Path, app_never_runs: list[TimesheetApp], keys: str, sentence: str
) -> None:
    code, output = launch_with_keys(tmp_path, keys)
    assert code == 2 and not app_never_runs
    assert output == f"timesheet: {tmp_path / 'config.toml'}: {sentence}\n"


@pytest.mark.parametrize(
    "keys",
    [
        'stop-timer = "ctrl+t"',
        'help = "f1"',
        'quit = "q"',  # its own default: nothing moves
        'approvals-approve = "n"',  # n is new-entry, but on another screen
        'stop-timer = "t"\nstart-timer = "s"',  # a swap
        'help = "question_mark,f1"',  # characters by name, as Textual names them
        'save = "ctrl+shift+s"',
    ],
)
def test_a_keys_table_without_clashes_starts_the_app(
    tmp_path: Path, app_never_runs: list[TimesheetApp], keys: str
) -> None:
    code, output = launch_with_keys(tmp_path, keys)
    assert (code, output) == (0, "") and len(app_never_runs) == 1


def test_the_demo_keeps_a_theme_picked_in_it_within_its_own_folder(
    tmp_path: Path, app_never_runs: list[TimesheetApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    code, _ = launch_with_keys(tmp_path, "")
    assert code == 0 and len(app_never_runs) == 1
    choice = app_never_runs[0]._theme_choice
    assert choice is not None and (tmp_path / "tmp") in choice.parents
    assert not (tmp_path / "state").exists()  # nothing of the demo's in the user's state


# ---------------------------------------------------------------- help


async def test_help_puts_textuals_own_keys_apart_and_explains_the_row_marks(harness) -> None:
    from tui.screens.help import TEXTUAL_GROUP, HelpScreen

    app = harness.app()
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
        groups = [row.group for row in rows]
        textual = [row.description for row in rows if row.group == TEXTUAL_GROUP]
        assert {"Focus Next", "Copy selected text"} <= set(textual)
        # Ours first, then Textual's: no Textual key among the screen's or the app's.
        assert groups[groups.index(TEXTUAL_GROUP) :] == [TEXTUAL_GROUP] * len(textual)
        assert all(row.binding_ids for row in rows if row.group != TEXTUAL_GROUP)
        shown = "\n".join(str(static.render()) for static in app.screen.query(Static))
        assert (
            "+ new · ~ changed · - deleted · ! failed · ≠ conflict · ⟳ saving · "
            "? waiting for the server"
        ) in shown


# ---------------------------------------------------------------- toasts


async def test_a_toast_leaves_the_grids_totals_and_status_lines_readable(harness) -> None:
    from textual.widgets._toast import Toast

    from tui.widgets.entry_grid.columns import FOOTER_LINES

    app = harness.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("A long message that wraps onto a few lines of the toast. " * 3, timeout=60)
        await pilot.pause()
        await pilot.pause()
        view = grid(app)
        assert app.screen.query(Toast)
        content = view.scrollable_content_region  # inside any scrollbar
        for y in range(content.bottom - FOOTER_LINES, content.bottom):
            for x in range(content.x, content.right):
                widget, _ = app.screen.get_widget_at(x, y)
                assert widget is view, (x, y, widget)


def toasts_shown(app: TimesheetApp) -> list[str]:
    """The words of the toasts on the screen, oldest first."""
    from textual.widgets._toast import Toast

    return [toast._notification.message for toast in app.screen.query(Toast)]


async def test_at_24_lines_only_the_two_newest_toasts_show(harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        for n in range(5):
            app.notify(f"Outcome {n} of a save.", timeout=60)
        await pilot.pause()
        await pilot.pause()
        assert toasts_shown(app) == ["Outcome 3 of a save.", "Outcome 4 of a save."]
        await pilot.resize_terminal(120, 48)  # a taller terminal has room for more
        for n in range(5, 10):
            app.notify(f"Outcome {n} of a save.", timeout=60)
        await pilot.pause()
        await pilot.pause()
        assert len(toasts_shown(app)) == 4


async def test_an_error_toast_is_not_pushed_out_by_the_information_after_it(harness) -> None:
    """At 24 lines two toasts show: a refusal then two confirmations keep the refusal
    and the newest confirmation; only newer errors push an error out."""
    app = harness.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("The server refused the save.", severity="error", timeout=60)
        app.notify("Timer started.", timeout=60)
        app.notify("Started 20 minutes ago.", timeout=60)
        await pilot.pause()
        await pilot.pause()
        assert toasts_shown(app) == ["The server refused the save.", "Started 20 minutes ago."]
        app.notify("Offline.", severity="warning", timeout=60)
        app.notify("Signed out.", severity="error", timeout=60)
        await pilot.pause()
        await pilot.pause()
        assert toasts_shown(app) == ["Offline.", "Signed out."]


async def test_a_refusal_repeated_replaces_its_toast_instead_of_stacking(harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        await store.stop_timer()
        submitted = store.order[0]
        async with ProductiveAdapter.for_ledger(harness.db) as backend:
            await backend.submit_days(store.person_id or "", [store.records[submitted].date])
        app.load_week()
        await settle(pilot)
        assert store.records[submitted].submitted
        grid(app).move_to(submitted)
        await pilot.press("n", "d", "n", "n", "n")
        await pilot.pause()
        await pilot.pause()
        shown = toasts_shown(app)
        refusal = f"{store.records[submitted].date:%a %d %b} is submitted; unsubmit the week"
        assert len(shown) == 2
        assert shown[-1].startswith(refusal)  # the newest, once
        assert not shown[0].startswith(refusal)  # d's refusal stays above it


async def test_a_toast_shows_its_words_literally_not_as_markup(harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("The server said: [b]no[/b] [link=x]here[/link].", timeout=60)
        await pilot.pause()
        await pilot.pause()
        from textual.widgets._toast import Toast

        (toast,) = app.screen.query(Toast)
        assert "[b]no[/b] [link=x]here[/link]" in str(toast.render())


# ---------------------------------------------------------------- the key bar


def key_bar(app: TimesheetApp):
    from tui.widgets.key_bar import KeyBar

    return app.screen.query_one(KeyBar)


async def on_approvals(app: TimesheetApp, pilot) -> None:
    from tui.screens.approvals import ApprovalsScreen

    await pilot.press("2")
    await settle(pilot)
    assert isinstance(app.screen, ApprovalsScreen)


async def test_the_key_bar_offers_edit_and_while_editing_cancel_first(harness) -> None:
    app = harness.app()
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        assert "⏎ Edit" in key_bar(app).text and "Cancel edit" not in key_bar(app).text
        await pilot.press("enter")
        await pilot.pause()
        assert key_bar(app).text.startswith("esc Cancel edit")
        await pilot.press("escape")
        await pilot.pause()
        assert "Cancel edit" not in key_bar(app).text


@pytest.mark.parametrize("width", [160, 80])
async def test_the_key_bar_shows_whole_keys_most_important_first(harness, width: int) -> None:
    app = harness.app()
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(pilot)
        for screen in ("timesheet", "approvals"):
            if screen == "approvals":
                await on_approvals(app, pilot)
            bar = key_bar(app)
            items, shown = bar.items(), bar.shown()
            assert shown == items[: len(shown)]  # the most important ones, in order
            drawn = bar.render_line(0).text.strip()  # what the terminal gets
            assert drawn.split("  ") == [f"{item.key} {item.label}" for item in shown]
            assert len(drawn) <= width - 2
            if len(shown) < len(items):  # the next one would not have fit whole
                assert len(drawn) + 2 + items[len(shown)].width > bar.content_region.width
        labels = [item.label for item in key_bar(app).shown()]
        assert labels[:4] == ["Select", "Approve", "Unapprove", "Reject"]
        assert "Approvals" not in labels  # `2` does nothing on the approvals screen


async def test_the_key_bar_leaves_out_what_the_backend_cannot_do(tmp_path, clock) -> None:
    app = Harness(tmp_path, clock, "plannr").app()
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await on_approvals(app, pilot)
        keys = {item.binding_id for item in key_bar(app).items()}
        assert not keys & {"approvals-approve", "approvals-unapprove", "approvals-reject"}
        assert {"help", "quit", "show-timesheet"} <= keys


async def test_a_remapped_key_keeps_its_place_in_the_key_bar(harness) -> None:
    default = harness.app()
    async with default.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await on_approvals(default, pilot)
        before = [(item.binding_id, item.key) for item in key_bar(default).shown()]
    app = TimesheetApp(harness.app().store, keymap={"approvals-approve": "A"})
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await on_approvals(app, pilot)
        after = [(item.binding_id, item.key) for item in key_bar(app).shown()]
    place = before.index(("approvals-approve", "a"))
    assert after[place] == ("approvals-approve", "A")
    assert [i for i, _ in after] == [i for i, _ in before]


# ---------------------------------------------------------------- signed out or offline


def app_with_a_cache(harness: Harness, **facts: object) -> TimesheetApp:
    """As `tui.launch` builds it: one state file for the journal and the cache, no retries."""
    from tui.api.http import RetryPolicy
    from tui.api.productive import ProductiveAdapter
    from tui.store.cache import Cache
    from tui.widgets.banner import ProfileFacts

    backend = ProductiveAdapter.for_ledger(
        harness.db, transport=harness.transport, retry=RetryPolicy(attempts=1)
    )
    state = harness.journal_path
    store = Store(backend, Journal(state), clock=harness.clock, cache=Cache(state))
    return TimesheetApp(store, profile_facts=ProfileFacts(**facts))  # type: ignore[arg-type]


async def offline_after_a_cached_run(harness: Harness) -> tuple[TimesheetApp, list[bool]]:
    """A run that caches the week, then an app whose server is unreachable while the
    returned flag holds True (set `[0] = False` for the connection to come back)."""
    from tests.faults import Fault

    async with app_with_a_cache(harness).run_test(size=SIZE) as pilot:
        await settle(pilot)
    offline = [True]
    harness.transport.inject(
        Fault.fail_before_send(), match=lambda request: offline[0], times=10_000
    )
    return app_with_a_cache(harness), offline


def banner_text(app: TimesheetApp) -> str:
    from tui.widgets.banner import ProblemBanner

    banner = app.screen.query_one(ProblemBanner)
    return banner.text if banner.display else ""


async def test_a_refused_token_keeps_a_banner_the_cached_week_and_waits_to_save(
    tmp_path: Path, zoned_clock: FakeClock
) -> None:
    from tests.faults import Fault
    from tui.screens.save_review import SaveReview
    from tui.store.records import RowState
    from tui.widgets.timer_panel import TimerPanel

    harness = Harness(tmp_path, zoned_clock)
    facts = {
        "name": "work",
        "token_source": "token_env (PRODUCTIVE_TOKEN)",
        "config_path": tmp_path / "config.toml",
    }
    async with app_with_a_cache(harness, **facts).run_test(size=SIZE) as pilot:
        await settle(pilot)  # this week, cached at 14:30 local
    signed_out = [True]
    harness.transport.inject(
        Fault.status_code(401, body={"errors": [{"status": "401", "title": "Unauthorized"}]}),
        match=lambda request: signed_out[0],
        times=10_000,
    )
    app = app_with_a_cache(harness, **facts)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        store = app.store
        text = banner_text(app)
        assert text.startswith(
            "The server refused the token for profile work (401); showing cached rows from "
            "14:30. Fix token_env (PRODUCTIVE_TOKEN) in "
            f"{tmp_path / 'config.toml'} and start the app again (ctrl+r retries)."
        ), text
        assert store.order  # the cached week, not an empty one
        panel = app.screen.query_one(TimerPanel)
        assert panel.what_text == "Timer unknown: not signed in"
        assert not [n for n in app._notifications if n.severity == "error"]  # no toast

        entry_id = next(i for i in store.order if not store.records[i].locked)
        grid(app).move_to(entry_id)
        await pilot.press("d")
        assert store.row(entry_id).state is RowState.deleted
        assert entry_id in dict(Journal(harness.journal_path).load())  # journaled at once
        writes = len(harness.transport.calls("DELETE"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveReview)
        assert app.screen.keys_text.startswith("Cannot save yet: the server refused the token.")
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SaveReview) and app.screen.report is None
        assert len(harness.transport.calls("DELETE")) == writes  # nothing sent, nothing failed
        assert store.row(entry_id).state is RowState.deleted
        await pilot.press("escape")
        await pilot.pause()

        signed_out[0] = False  # the token works again
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert banner_text(app) == ""
        assert store.status.problem is None and store.timer is not None
        assert panel.what_text != "Timer unknown: not signed in"


async def test_offline_a_banner_says_what_is_shown_and_that_saving_waits(
    tmp_path: Path, zoned_clock: FakeClock
) -> None:
    from tests.faults import Fault
    from tui.screens.approvals import ApprovalsScreen
    from tui.widgets.timer_panel import TimerPanel

    harness = Harness(tmp_path, zoned_clock)
    async with app_with_a_cache(harness, host="api.productive.io").run_test(size=SIZE) as pilot:
        await settle(pilot)
    harness.clock.advance(hours=2)
    harness.transport.inject(Fault.fail_before_send(), times=10_000)
    app = app_with_a_cache(harness, host="api.productive.io")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        expected = (
            "Cannot reach api.productive.io; showing cached rows from 14:30. Staged changes "
            "are kept; saving waits until it is back (ctrl+r retries)."
        )
        assert banner_text(app) == expected
        assert app.store.order
        assert app.screen.query_one(TimerPanel).what_text == "Timer unknown: offline"
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        assert banner_text(app).startswith("Cannot reach api.productive.io")  # every screen


async def test_offline_a_week_never_read_says_not_loaded_not_no_entries(
    tmp_path: Path, zoned_clock: FakeClock
) -> None:
    from tests.faults import Fault

    harness = Harness(tmp_path, zoned_clock)
    harness.transport.inject(Fault.fail_before_send(), times=10_000)  # offline from the start
    app = app_with_a_cache(harness)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "nothing is cached for this week" in banner_text(app)
        assert not app.store.order
        assert grid(app)._empty_message() == (
            " Not loaded: the server could not be read for this week · ctrl+r retries"
        )


async def test_offline_ctrl_s_tries_the_save_once_the_server_is_back(
    tmp_path: Path, zoned_clock: FakeClock
) -> None:
    from tui.screens.save_review import SaveReview

    harness = Harness(tmp_path, zoned_clock)
    app, offline = await offline_after_a_cached_run(harness)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.store.status.problem is not None
        entry_id = next(i for i in app.store.order if not app.store.records[i].locked)
        app.store.stage_edit(entry_id, "note", "written offline")
        offline[0] = False  # back, before the app has tried again by itself
        await pilot.press("ctrl+s")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, SaveReview)
        assert review.keys_text.startswith("y/enter try to save")
        await pilot.press("y")
        await settle(pilot)
        assert app.store.staged_count == 0
        await pilot.press("escape")
        await settle(pilot)
        assert app.store.status.problem is None and banner_text(app) == ""
        with harness.db.transaction() as conn:
            note = conn.execute("SELECT note FROM time_entries WHERE id = ?", (entry_id,))
            assert note.fetchone()[0] == "written offline"


async def test_offline_the_app_tries_again_by_itself_and_the_banner_goes(
    tmp_path: Path, zoned_clock: FakeClock
) -> None:
    from tui.app import OFFLINE_RETRY_SECONDS

    harness = Harness(tmp_path, zoned_clock)
    app, offline = await offline_after_a_cached_run(harness)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert banner_text(app).startswith("Cannot reach the server")
        app.retry_when_due()  # the interval's tick: too early to try again
        await settle(pilot)
        assert app.store.status.problem is not None
        offline[0] = False  # the connection is back
        harness.clock.advance(seconds=OFFLINE_RETRY_SECONDS)
        app.retry_when_due()
        await settle(pilot)
        assert app.store.status.problem is None and banner_text(app) == ""
