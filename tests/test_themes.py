"""Themes as data: the packaged TOML files load, `[ui] theme` selects one, a broken or unknown
theme falls back to the default with one notification, and user themes are picked up."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.theme import BUILTIN_THEMES

from tests.app_harness import SIZE, Harness, settle
from tests.conftest import FakeClock
from tui.api.productive import ProductiveAdapter
from tui.app import TimesheetApp
from tui.config import validate_config_data
from tui.store.journal import Journal
from tui.store.store import Store
from tui.themes import DEFAULT_THEME, load_theme_file, load_themes, packaged_themes_dir

PACKAGED = ["timesheet-dark", "timesheet-high-contrast", "timesheet-light"]
pytestmark = pytest.mark.anyio

REPO_THEMES = Path(__file__).resolve().parent.parent / "themes"


def themed_app(harness: Harness, theme: str | None, theme_dir: Path | None = None) -> TimesheetApp:
    """The harness's app, with a theme (the harness itself builds it without one)."""
    backend = ProductiveAdapter.for_ledger(harness.db, transport=harness.transport)
    store = Store(backend, Journal(harness.journal_path), clock=harness.clock)
    return TimesheetApp(store, theme=theme, theme_dir=theme_dir)


def notifications(app: TimesheetApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path, FakeClock())


# ------------------------------------------------------------------ loading, no app


def test_every_packaged_theme_loads_without_problems() -> None:
    themes, problems = load_themes(None)
    assert problems == []
    assert sorted(t.name for t in themes) == PACKAGED
    assert {path.name for path in REPO_THEMES.glob("*.toml")} == {f"{n}.toml" for n in PACKAGED}
    light = {t.name: t for t in themes}["timesheet-light"]
    assert light.dark is False and light.variables["footer-key-foreground"] == "#1F6FEB"
    for theme in themes:  # what a user's theme file is checked for when it is read
        assert theme.to_color_system().generate()


def test_every_packaged_theme_is_what_its_file_reads_as_a_checked_theme_file() -> None:
    """Packaged themes are read without their checks at every start: each must pass them
    and come out the same as a user's copy of the file would."""
    packaged, problems = load_themes(None)
    assert problems == []
    for theme in packaged:
        copy = load_theme_file(REPO_THEMES / f"{theme.name}.toml", packaged=False)
        assert copy == theme


def test_packaged_themes_are_found_from_a_source_checkout() -> None:
    # Installed from a wheel they are `tui/_themes` (pyproject force-include); from the repo,
    # the repo's own folder.
    folder = packaged_themes_dir()
    assert folder.is_dir()
    assert sorted(f.name for f in folder.iterdir() if f.name.endswith(".toml")) == [
        f"{n}.toml" for n in PACKAGED
    ]


def test_wheel_ships_the_themes_next_to_not_over_the_module() -> None:
    import tomllib

    pyproject = tomllib.loads((REPO_THEMES.parent / "pyproject.toml").read_text())
    include = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["themes"] == "tui/_themes"  # `tui/themes` would shadow tui/themes.py


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'name = "x"\nprimary = "#123456"\nbackground = "#12345"\n',
            "x.toml: line 3: background: '#12345' is not a colour.",
        ),
        (
            'name = "x"\nprimary = "#123456"\nprimery = "#123456"\n',
            "x.toml: line 3: unknown key 'primery'.",
        ),
        ('name = "x"\nprimary "#123456"\n', "x.toml: line 2: Expected '=' after a key"),
        ('name = "x"\ndark = true\n', "x.toml: primary is missing."),
        ('primary = "#123456"\ntext_alpha = 3\n', "x.toml: line 2: text_alpha: "),
    ],
)
def test_a_broken_theme_file_is_one_sentence_naming_file_and_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "x.toml"
    path.write_text(text)
    problem = load_theme_file(path)
    assert isinstance(problem, str)
    assert problem.startswith(str(path.parent)) or problem.startswith("~")
    assert expected in problem and problem.endswith(".") and "\n" not in problem


def test_a_theme_without_a_name_is_named_after_its_file(tmp_path: Path) -> None:
    (tmp_path / "solar.toml").write_text('primary = "#268BD2"\ndark = false\n')
    themes, problems = load_themes(tmp_path)
    assert problems == [] and themes[-1].name == "solar" and themes[-1].dark is False


# ------------------------------------------------------------------ in the app


async def test_every_packaged_theme_registers_and_can_be_selected(harness) -> None:
    app = themed_app(harness, "timesheet-high-contrast")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert set(PACKAGED) <= set(app.available_themes)
        assert app.theme == "timesheet-high-contrast"
        for name in PACKAGED:
            app.theme = name
            await pilot.pause()
            assert app.current_theme.name == name
        assert notifications(app) == []
    # Registered on this app only: Textual's own table is untouched.
    assert not set(PACKAGED) & set(BUILTIN_THEMES)


async def test_ui_theme_in_the_config_chooses_the_theme(harness) -> None:
    config = validate_config_data({"ui": {"theme": "timesheet-light"}})
    app = themed_app(harness, config.ui.theme)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "timesheet-light"
        assert "-light-mode" in app.classes
        assert notifications(app) == []


def _looks(app: TimesheetApp) -> tuple[object, ...]:
    """What a theme decides about an app: its classes, its CSS variables, the colours of
    its screen and grid, and how it maps ANSI colours to true colour."""
    grid = app.screen.query_one("#grid")
    ansi = [
        (type(f).__name__, f.enabled, getattr(f, "_terminal_theme", None)) for f in app._filters
    ]
    return (
        sorted(c for c in app.classes if c.startswith("-")),
        app.stylesheet._variables,
        app.screen.styles.background,
        grid.styles.background,
        grid.styles.color,
        ansi,
    )


@pytest.mark.parametrize("name", ["timesheet-light", "timesheet-dark"])
async def test_an_app_started_in_a_theme_looks_as_one_switched_to_it_and_styles_once(
    harness, monkeypatch, name: str
) -> None:
    # Textual's theme watcher would parse and apply every rule again at the start: the
    # theme chosen before the app runs is already in its first styles.
    from textual.css.stylesheet import Stylesheet

    reparsed: list[int] = []
    real_reparse = Stylesheet.reparse
    monkeypatch.setattr(
        Stylesheet, "reparse", lambda self: (reparsed.append(1), real_reparse(self))[1]
    )
    started_in = themed_app(harness, name)
    async with started_in.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert reparsed == []
        started = _looks(started_in)
    switched_to = themed_app(harness, "timesheet-high-contrast")
    async with switched_to.run_test(size=SIZE) as pilot:
        await settle(pilot)
        switched_to.theme = name
        await settle(pilot)
        switched = _looks(switched_to)
    assert started == switched


async def test_without_a_theme_textuals_default_is_kept(harness) -> None:
    app = themed_app(harness, None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert "timesheet-dark" not in app.available_themes


async def test_a_broken_user_theme_falls_back_with_one_notification(harness, tmp_path) -> None:
    user = tmp_path / "config" / "themes"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text('name = "mine"\nprimary = "#123456"\nsurface = "teal-ish"\n')
    app = themed_app(harness, "mine", user)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        shown = notifications(app)
        assert len(shown) == 1
        assert "mine.toml: line 3: surface: 'teal-ish' is not a colour." in shown[0]
        assert f"Using {DEFAULT_THEME} instead." in shown[0]


async def test_an_unknown_theme_falls_back_with_one_notification(harness) -> None:
    app = themed_app(harness, "solarised")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        shown = notifications(app)
        assert len(shown) == 1 and "'solarised'" in shown[0] and "timesheet-light" in shown[0]


async def test_a_user_theme_is_picked_up_and_can_override_a_packaged_one(harness, tmp_path) -> None:
    user = tmp_path / "config" / "themes"
    user.mkdir(parents=True)
    (user / "dusk.toml").write_text(
        'name = "dusk"\ndark = true\nprimary = "#B48EAD"\nbackground = "#2E3440"\n'
        '[variables]\nfooter-key-foreground = "#EBCB8B"\n'
    )
    (user / "light.toml").write_text(
        'name = "timesheet-light"\ndark = false\nprimary = "#005F87"\n'
    )
    app = themed_app(harness, "dusk", user)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "dusk"
        assert app.current_theme.variables == {"footer-key-foreground": "#EBCB8B"}
        assert app.available_themes["timesheet-light"].primary == "#005F87"
        assert notifications(app) == []


# ------------------------------------------------------------------ what it looks like


@pytest.mark.snapshot
def test_timesheet_screen_in_the_light_theme(
    snap_compare, tmp_path: Path, zoned_clock: FakeClock
) -> None:
    async def loaded(pilot) -> None:
        await settle(pilot)

    app = themed_app(Harness(tmp_path, zoned_clock), "timesheet-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


# ------------------------------------------------------------------ the choice, kept


def chosen_app(harness: Harness, config_theme: str, choice: Path) -> TimesheetApp:
    """As `tui.launch` builds it: the config's theme and the file that keeps the choice."""
    backend = ProductiveAdapter.for_ledger(harness.db, transport=harness.transport)
    store = Store(backend, Journal(harness.journal_path), clock=harness.clock)
    return TimesheetApp(store, theme=config_theme, theme_choice=choice)


async def pick_theme(pilot, name: str) -> None:
    """ctrl+p, "Change theme", then the theme's name: what a user does."""
    from textual.command import CommandPalette

    await pilot.press("ctrl+p")
    await pilot.press(*"Change theme")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*name)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_the_palettes_theme_is_kept_across_restarts_until_the_config_changes(
    harness, tmp_path: Path
) -> None:
    choice = tmp_path / "state" / "theme.toml"
    config = tmp_path / "config.toml"
    config.write_text('[ui]\ntheme = "timesheet-dark"\n')
    before = config.read_bytes()
    app = chosen_app(harness, "timesheet-dark", choice)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pick_theme(pilot, "timesheet-light")
        assert app.theme == "timesheet-light"
    assert config.read_bytes() == before  # the user's config is never rewritten
    assert choice.stat().st_mode & 0o777 == 0o600

    again = chosen_app(harness, "timesheet-dark", choice)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "timesheet-light"  # the palette's choice wins

    changed = chosen_app(harness, "timesheet-high-contrast", choice)
    async with changed.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert changed.theme == "timesheet-high-contrast"  # the config changed: it wins


async def test_the_palette_has_one_theme_command_and_its_list_marks_the_current_theme(
    harness, tmp_path: Path
) -> None:
    from textual.command import CommandList

    app = chosen_app(harness, "timesheet-dark", tmp_path / "theme.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await settle(pilot)
        listed = app.screen.query_one(CommandList)
        titles = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert sum("theme" in title.lower() for title in titles) == 1, titles
        await pilot.press("escape")
        await settle(pilot)
        await app.run_action("pick_theme")
        await settle(pilot)
        listed = app.screen.query_one(CommandList)
        prompts = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        marked = [p for p in prompts if "current" in p]
        assert len(marked) == 1 and "timesheet-dark" in marked[0], prompts


async def test_an_unknown_theme_is_told_with_the_themes_that_exist(harness) -> None:
    app = themed_app(harness, "solarised")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        (shown,) = notifications(app)
        assert "No theme is named 'solarised'." in shown
        assert "timesheet-dark, timesheet-high-contrast, timesheet-light" in shown
        assert "textual-dark" in shown  # Textual's own exist too
