"""No name of ours hides one of Textual's.

A method `_task` on a screen once replaced `MessagePump._task` (the screen's asyncio task) and
killed the app on the save review; `TimesheetApp._keymap` replaced `App._keymap`. This test
reads every App, Screen and Widget subclass under `tui/`: the names its class body defines and
the `self.X = ...` assignments in its methods. Each must be new to Textual's base classes of
that class, unless it is a documented hook listed below with its reason. Names a metaclass adds
(`_reactives`, `_merged_bindings`, ...) never appear in our source, so they are not collected.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import pkgutil
import textwrap
from functools import cache
from pathlib import Path

from textual.dom import DOMNode

import tui

ROOT = Path(tui.__file__).resolve().parent
UI_PACKAGES = ("tui.app", "tui.commands", "tui.screens", "tui.widgets")

# Hooks Textual documents for subclasses to define: overriding them is the point.
HOOK_PREFIXES = {
    "on_": "message and event handlers",
    "_on_": "event handlers Textual calls by name (for example _on_mount)",
    "watch_": "reactive watchers",
    "validate_": "reactive validators",
    "compute_": "computed reactives",
    "action_": "actions bound to keys and the palette",
    "key_": "key handlers",
    "render": "render, render_line, render_lines: how a widget draws itself",
}
HOOKS = {
    "compose": "builds the widget tree",
    "check_action": "enables or hides actions",
    "check_consume_key": "keys a widget types with (an Input's printable keys): their bindings are off",
    "get_system_commands": "the command palette's system commands",
    "get_content_width": "content measurement",
    "get_content_height": "content measurement",
    "notify_style_update": "called when styles change, to recompute cached styles",
    "BINDINGS": "key bindings",
    "DEFAULT_CSS": "the widget's CSS",
    "CSS": "inline CSS",
    "CSS_PATH": "the app's stylesheet",
    "TITLE": "the app's title",
    "SUB_TITLE": "the app's subtitle",
    "COMMANDS": "command palette providers",
    "COMPONENT_CLASSES": "styles a widget renders with",
    "DEFAULT_CLASSES": "classes a widget starts with",
    "AUTO_FOCUS": "what a screen focuses on start",
    "ALLOW_MAXIMIZE": "whether a widget may be maximized",
    "can_focus": "whether the widget takes focus",
    "can_focus_children": "whether its children take focus",
    "is_container": "a Line API grid whose editor overlay is a child says it contains widgets",
    "virtual_size": "a ScrollView sets its scrollable size (Textual's documented way)",
    "border_title": "a widget sets its own border title (Textual's documented way)",
    "value": "an Input subclass sets its own text (Input's public reactive)",
    "selection": "an Input subclass selects its text (Input's public reactive)",
    "highlighted": "an OptionList subclass moves its highlight (OptionList's public reactive)",
    "app": "typed access to our App from a screen (the same object, a narrower type)",
    "on_event": "the app's event dispatch, extended (it calls Textual's): keys typed ahead of a dialog",
}


def hook_reason(name: str) -> str | None:
    if name in HOOKS:
        return HOOKS[name]
    if name == "on_event":  # Textual's dispatcher, not a message handler: only as a HOOK
        return None
    for prefix, reason in HOOK_PREFIXES.items():
        if name.startswith(prefix):
            return reason
    return None


def ui_modules() -> list[str]:
    names: list[str] = []
    for package in UI_PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        if hasattr(module, "__path__"):
            # Every module below, sub-packages too (the entry grid is one).
            names += [info.name for info in pkgutil.walk_packages(module.__path__, package + ".")]
    return names


def our_dom_classes() -> list[type[DOMNode]]:
    found: dict[str, type[DOMNode]] = {}
    for name in ui_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, DOMNode) and value.__module__ == name:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def class_node(cls: type) -> ast.ClassDef:
    source = textwrap.dedent(inspect.getsource(cls))
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ClassDef)
    return node


def assigned_targets(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        return [leaf for item in target.elts for leaf in assigned_targets(item)]
    return [target]


def defined_names(node: ast.ClassDef) -> set[str]:
    """Names the class body defines, and attributes its methods assign on `self`."""
    names: set[str] = set()
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names |= {
                t.id
                for target in statement.targets
                for t in assigned_targets(target)
                if isinstance(t, ast.Name)
            }
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    for method in ast.walk(node):
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(method):
            targets: list[ast.expr] = []
            if isinstance(inner, ast.Assign):
                targets = [t for target in inner.targets for t in assigned_targets(target)]
            elif isinstance(inner, ast.AnnAssign | ast.AugAssign):
                targets = [inner.target]
            names |= {
                t.attr
                for t in targets
                if isinstance(t, ast.Attribute)
                and isinstance(t.value, ast.Name)
                and t.value.id == "self"
            }
    return {name for name in names if not (name.startswith("__") and name.endswith("__"))}


@cache
def textual_names(cls: type) -> frozenset[str]:
    """Every name a Textual class has: its attributes, and what its methods set on self."""
    names = set(dir(cls))
    for base in cls.__mro__:
        if base.__module__.startswith("textual"):
            # A class made at run time has no source to read; dir() covers it.
            with contextlib.suppress(OSError, TypeError):
                names |= defined_names(class_node(base))
    return frozenset(names)


def textual_bases(cls: type) -> list[type]:
    return [base for base in cls.__mro__[1:] if base.__module__.startswith("textual")]


def clashes(cls: type) -> list[str]:
    ours = defined_names(class_node(cls))
    taken: set[str] = set()
    for base in textual_bases(cls):
        taken |= textual_names(base)
    return sorted(name for name in ours & taken if hook_reason(name) is None)


def test_the_scan_reads_our_screens_and_their_instance_attributes() -> None:
    classes = {cls.__name__: cls for cls in our_dom_classes()}
    assert {"TimesheetApp", "TimesheetScreen", "SaveReview", "EntryGrid"} <= classes.keys()
    assert "store" in defined_names(class_node(classes["TimesheetApp"]))
    # Textual's own instance attributes are seen too: this is the kind the old clash hid.
    assert "_task" in textual_names(textual_bases(classes["SaveReview"])[0])
    assert "_keymap" in textual_names(textual_bases(classes["TimesheetApp"])[0])


def test_a_method_named_like_a_textual_attribute_is_caught() -> None:
    from textual.screen import ModalScreen

    class Clashing(ModalScreen[None]):
        def _task(self) -> str:
            return "hides MessagePump._task"

        def _prepare(self) -> None:
            self._keymap = {}
            self.harmless_name = 1

    assert clashes(Clashing) == ["_task"]


def test_no_app_screen_or_widget_of_ours_reuses_a_textual_name() -> None:
    found = {f"{cls.__module__}.{cls.__qualname__}": clashes(cls) for cls in our_dom_classes()}
    assert {where: names for where, names in found.items() if names} == {}
