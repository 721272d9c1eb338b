"""No import cycle among the `tui` modules, counting every import in the source.

Imports inside functions and under `if TYPE_CHECKING:` count too: they hide a cycle from
Python at import time, not from the reader, and one moved to the top breaks the start.
The graph is read from the source with `ast`, so nothing is imported to build it. An edge
goes to the module an import names; `from tui.pkg import name` goes to `tui.pkg.name` when
that is a module, else to the package. A package's `__init__` importing its own
submodules is not an edge back from them: importing `tui.pkg.mod` is not counted as
importing `tui.pkg`.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tui"

Graph = Mapping[str, Mapping[str, int]]
"""module → {imported module: line of the first such import}."""


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(
    source: str, module: str, *, is_package: bool, known: set[str]
) -> dict[str, int]:
    """Every module of `known` that `source` imports anywhere, with the first line."""
    found: dict[str, int] = {}

    def add(target: str, line: int) -> None:
        while target and target not in known:  # `import tui.x.Name`-like: the module
            target = target.rpartition(".")[0]
        if target and target != module:
            found.setdefault(target, line)

    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base = ".".join(base_parts[: len(base_parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in known else base, node.lineno)
    return found


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> tuple[Graph, dict[str, Path]]:
    paths = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    known = set(paths)
    graph = {
        name: imported_modules(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=known,
        )
        for name, path in paths.items()
    }
    return graph, paths


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One loop for each group of modules that import each other (strongly connected,
    more than one module, or one importing itself): a shortest loop from the group's
    first module. Tarjan's algorithm, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, ()):
                    groups.append(sorted(group))
    return [_loop(group, graph) for group in sorted(groups)]


def _loop(group: list[str], graph: Mapping[str, Iterable[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    members, first = set(group), group[0]
    came_from: dict[str, str] = {}
    frontier = [first]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph.get(node, ())):
                if child not in members or child in came_from:
                    continue
                if child == first:
                    back = [node]
                    while back[-1] != first:
                        back.append(came_from[back[-1]])
                    return [*reversed(back), first]
                came_from[child] = node
                following.append(child)
        frontier = following
    raise AssertionError(f"no loop through {first} in {group}")


def describe(loop: list[str], graph: Graph, paths: Mapping[str, Path]) -> str:
    steps = [
        f"{a} → {b} ({paths[a].relative_to(ROOT)}:{graph[a][b]})"
        for a, b in itertools.pairwise(loop)
    ]
    return "\n    ".join(steps)


# --------------------------------------------------------------------------- tests


def test_no_import_cycle_among_tui_modules() -> None:
    graph, paths = import_graph()
    assert "tui.store.store" in graph and "tui.store.planner" in graph["tui.store.store"]
    found = cycles(graph)
    assert not found, f"{len(found)} import cycles among the tui modules:\n" + "\n".join(
        f"  {' → '.join(loop)}\n    {describe(loop, graph, paths)}" for loop in found
    )


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}, "f": {"f"}}
    assert cycles(graph) == [["a", "b", "c", "a"], ["f", "f"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []


def test_the_reader_sees_every_kind_of_import() -> None:
    known = {
        "pkg",
        "pkg.store",
        "pkg.store.planner",
        "pkg.store.changes",
        "pkg.store.records",
        "pkg.models",
        "pkg.app",
        "pkg.ui",
    }
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import json
from . import changes
from .records import EntryRecord
from ..models import Entry
if TYPE_CHECKING:
    from pkg.app import App

def later():
    from pkg.store.planner import SavePlanner
    import pkg.ui.widgets
"""
    found = imported_modules(source, "pkg.store.store", is_package=False, known=known)
    assert set(found) == {
        "pkg.store.changes",
        "pkg.store.records",
        "pkg.models",
        "pkg.app",
        "pkg.store.planner",
        "pkg.ui",
    }
    assert found["pkg.store.planner"] == 12  # the line, for the failure message
    in_package = imported_modules(
        "from . import planner\nfrom .records import EntryRecord\nfrom .. import models",
        "pkg.store",
        is_package=True,
        known=known,
    )
    assert set(in_package) == {"pkg.store.planner", "pkg.store.records", "pkg.models"}
