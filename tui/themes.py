"""Colour themes as data: ``themes/*.toml`` → a pydantic model → a Textual ``Theme``.

Themes come from two places, later ones overriding earlier ones by name:

1. the packaged themes: ``tui/_themes/*.toml`` inside the wheel (hatch ``force-include``
   copies the repo's ``themes/`` there), read as files next to this module (not through
   ``importlib.resources``, whose readers and ``zipfile`` would cost every start a few
   milliseconds: the wheel is installed unzipped); when running from a source checkout
   that folder does not exist and the repo's ``themes/`` is read instead;
2. the user's themes: ``<user_config_dir("timesheet")>/themes/*.toml``.

A file that cannot be read becomes one sentence in the list of problems ("themes/x.toml:
line 3: ..."), never an exception. :func:`apply_theme` registers the themes on one app (never
touching Textual's built-in table) and selects one, falling back to :data:`DEFAULT_THEME`
with a single notification when the chosen one is unknown or broken.

The theme picked in the palette is kept across restarts in a small state file
(:func:`theme_choice_path`, next to the journals; never by rewriting the user's config),
with the config's ``[ui] theme`` as it was when the choice was made: the choice wins until
that config value changes (:func:`theme_to_use`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "timesheet-dark"
PACKAGED_DIR = "_themes"
"""The folder inside the ``tui`` package that the wheel ships the themes in."""
_SOURCE_DIR = Path(__file__).resolve().parent.parent / "themes"
_TOML_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")


def _check_colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{value!r} is not a colour") from None
    return value


Colour = Annotated[str, AfterValidator(_check_colour)]


class ThemeFile(BaseModel):
    """One theme file; the keys are those of :class:`textual.theme.Theme`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str | None = Field(None, min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    """The name ``[ui] theme`` chooses it by; defaults to the file name without ``.toml``."""
    dark: bool = True
    """Whether this is a dark theme (light text on a dark background)."""
    primary: Colour
    """The main colour: cursor, focused borders, headings."""
    secondary: Colour | None = None
    """A second, quieter colour; derived from primary when left out."""
    accent: Colour | None = None
    """A contrasting colour for things that should catch the eye."""
    foreground: Colour | None = None
    """Default text colour."""
    background: Colour | None = None
    """The screen's background."""
    surface: Colour | None = None
    """Background of widgets (the grid, inputs)."""
    panel: Colour | None = None
    """Background of panels and dialogs, set apart from the surface."""
    boost: Colour | None = None
    """A translucent colour laid over backgrounds to lift them slightly."""
    warning: Colour | None = None
    """Colour of warnings (staged changes, forgotten timers)."""
    error: Colour | None = None
    """Colour of errors and deletions."""
    success: Colour | None = None
    """Colour of success and additions."""
    luminosity_spread: float = Field(0.15, ge=0.0, le=1.0)
    """How far the generated lighter and darker shades spread."""
    text_alpha: float = Field(0.95, ge=0.0, le=1.0)
    """Opacity of normal text."""
    variables: dict[str, str] = Field(default_factory=dict)
    """Extra Textual CSS variables, e.g. ``footer-key-foreground = "#F2A65A"``."""

    def to_theme(self, fallback_name: str) -> Theme:
        """The Textual theme this file describes (``fallback_name`` if it names none)."""
        data = self.model_dump(exclude={"name"})
        return Theme(name=self.name or fallback_name, **data)


def packaged_themes_dir() -> Path:
    """The folder of packaged themes: inside the installed package, else the repo's."""
    packaged = Path(__file__).with_name(PACKAGED_DIR)
    return packaged if packaged.is_dir() else _SOURCE_DIR


def user_themes_dir() -> Path:
    """Where a user keeps their own themes: next to ``config.toml``."""
    from tui.config import default_config_path

    return default_config_path().parent / "themes"


def _shown(path: Path, packaged: bool) -> str:
    if packaged:
        return f"themes/{path.name}"
    text = str(path)
    home = str(Path.home())
    return "~" + text[len(home) :] if text.startswith(home + "/") else text


def _line_of(text: str, key: str) -> int | None:
    """The line on which ``key = ...`` is written, if it is."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _problem(where: str, line: int | None, message: str) -> str:
    message = message.rstrip(".")
    return f"{where}: line {line}: {message}." if line else f"{where}: {message}."


def _validation_problem(where: str, text: str, error: ValidationError) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    key = loc[-1] if loc else ""
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        return _problem(where, None, f"{key} is missing")
    if first["type"] == "extra_forbidden":
        message = f"unknown key {key!r}"
    elif loc:
        message = f"{'.'.join(loc)}: {message}"
    return _problem(where, _line_of(text, key), message)


def load_theme_file(path: Path, *, packaged: bool = False) -> Theme | str:
    """One theme file read into a Textual theme, or one sentence saying what is wrong."""
    import tomllib  # here, not at the top: most starts read no theme file

    where = _shown(path, packaged)
    try:
        text = path.read_text(encoding="utf-8")
        data: dict[str, Any] = tomllib.loads(text)
    except OSError as error:
        return _problem(where, None, f"cannot be read ({error.strerror or error})")
    except UnicodeDecodeError:
        return _problem(where, None, "is not UTF-8 text")
    except RecursionError:
        return _problem(where, None, "nests values too deep to read")
    except tomllib.TOMLDecodeError as error:
        found = _TOML_LINE.search(str(error))
        message = _TOML_LINE.sub("", str(error))
        return _problem(where, int(found.group(1)) if found else None, message)
    fallback_name = path.name.removesuffix(".toml")
    if packaged:  # ours: the tests check each against ThemeFile and generate it, not every start
        fields = dict(data)
        return Theme(name=fields.pop("name", None) or fallback_name, **fields)
    try:
        model = ThemeFile.model_validate(data)
    except ValidationError as error:
        return _validation_problem(where, text, error)
    theme = model.to_theme(fallback_name)
    try:
        theme.to_color_system().generate()
    except Exception as error:  # a colour combination Textual cannot work with
        return _problem(where, None, f"is not a usable theme ({error})")
    return theme


def _toml_files(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        (f for f in folder.iterdir() if f.name.endswith(".toml") and f.is_file()),
        key=lambda f: f.name,
    )


def load_themes(user_dir: Path | None = None) -> tuple[list[Theme], list[str]]:
    """The packaged themes, then those in ``user_dir`` (if given), and the problems found.

    Each problem is one sentence naming the file (and the line, when known).
    """
    themes: list[Theme] = []
    problems: list[str] = []
    sources: list[tuple[Path, bool]] = [(packaged_themes_dir(), True)]
    if user_dir is not None:
        sources.append((user_dir, False))
    for folder, packaged in sources:
        for path in _toml_files(folder):
            loaded = load_theme_file(path, packaged=packaged)
            if isinstance(loaded, str):
                problems.append(loaded)
            else:
                themes.append(loaded)
    return themes, problems


def apply_theme(app: App[Any], name: str, user_dir: Path | None = None) -> str:
    """Register every theme on ``app`` and select ``name``; return the name selected.

    If ``name`` is unknown or its file is broken, :data:`DEFAULT_THEME` is used instead
    (or Textual's own default, should even that be missing), and the user is told once.
    """
    themes, problems = load_themes(user_dir)
    for theme in themes:
        app.register_theme(theme)
    chosen = name
    if name not in app.available_themes:
        chosen = DEFAULT_THEME if DEFAULT_THEME in app.available_themes else app.theme
        about_it = [p for p in problems if _names_file(p, name)]
        if not about_it:
            problems.append(f"No theme is named {name!r}.")
        problems.append(f"The themes are: {_existing(app, themes)}. Using {chosen} instead.")
    if app.is_running:
        app.theme = chosen
    else:
        _start_in(app, chosen)
    if problems:
        app.notify("\n".join(problems), title="Theme", severity="warning", timeout=12)
    return chosen


def _start_in(app: App[Any], name: str) -> None:
    """Select theme ``name`` for an app made but not yet running, as Textual's theme
    watcher would, less its restyle: set the usual way, the watcher queues a parse and
    an application of every rule (about 7 ms of the start) for styles that are parsed
    for the first time anyway once the app runs, with the variables set here."""
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.set_class(theme.dark, "-dark-mode", update=False)
    app.set_class(not theme.dark, "-light-mode", update=False)
    app.set_class(True, f"-theme-{name}", update=False)
    app._refresh_truecolor_filter(app.ansi_theme)  # the watcher's own step, as it does it
    app.stylesheet.set_variables(app.get_css_variables())


def _existing(app: App[Any], ours: list[Theme]) -> str:
    """`timesheet-dark, timesheet-light, and Textual's nord, ...`: every theme there is."""
    names = sorted({t.name for t in ours} & set(app.available_themes))
    builtin = sorted(set(app.available_themes) - set(names))
    text = ", ".join(names)
    if builtin:
        text += (", and " if names else "") + "Textual's " + ", ".join(builtin)
    return text


def _names_file(problem: str, name: str) -> bool:
    where = problem.split(": ", 1)[0]
    return where.endswith(f"/{name}.toml")


# ------------------------------------------------------------------ the choice, kept

THEME_CHOICE_FILE = "theme.toml"


def theme_choice_path() -> Path:
    """Where the palette's theme choice is kept: the app's state folder (with the
    journals), not the config."""
    import platformdirs

    return Path(platformdirs.user_state_dir("timesheet")) / THEME_CHOICE_FILE


@dataclass(frozen=True)
class ThemeChoice:
    """A theme picked in the palette, and what the config said when it was picked."""

    theme: str
    config_theme: str | None
    """`[ui] theme` at that moment: once the config says something else, it wins."""


def read_theme_choice(path: Path) -> ThemeChoice | None:
    """The kept choice; None when there is none or the file is unreadable (a theme is not
    worth failing a start over: the config's theme is used)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # none kept (the usual case), or unreadable
        return None
    import tomllib  # here, not at the top: most starts have no choice to read

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return None
    theme, config_theme = data.get("theme"), data.get("config_theme")
    if not isinstance(theme, str) or not isinstance(config_theme, str | None):
        return None
    return ThemeChoice(theme, config_theme)


def write_theme_choice(path: Path, choice: ThemeChoice) -> None:
    """Keep the choice, atomically (mode 0600); `ConfigError` with one sentence if the
    file cannot be written."""
    from tui.config import write_toml

    data: dict[str, str] = {"theme": choice.theme}
    if choice.config_theme is not None:
        data["config_theme"] = choice.config_theme
    write_toml(path, data, what="the kept theme choice")


def theme_to_use(config_theme: str | None, path: Path | None) -> str | None:
    """The palette's kept choice while the config's theme is what it was when the choice
    was made; else the config's."""
    choice = read_theme_choice(path) if path is not None else None
    if choice is not None and choice.config_theme == config_theme:
        return choice.theme
    return config_theme
