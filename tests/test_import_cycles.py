"""No import cycles among ibviz's modules, counting every import: at module level, inside
functions and under ``TYPE_CHECKING`` (a cycle there still ties the modules together for
a reader and for mypy). Built with the stdlib ``ast`` over ``ibviz/``."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

KNOWN: dict[frozenset[str], str] = {}
"""Cycles waiting for another branch; the test fails when one of them is gone too."""


def module_files(root: Path) -> dict[str, Path]:
    out = {}
    for path in (root / "ibviz").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the ibviz modules it imports (a package's own parents not counted)."""
    mods = module_files(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                while name and name not in mods:
                    name = name.rpartition(".")[0]
                if name and name != mod and not mod.startswith(name + "."):
                    graph[mod].add(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(frozenset(group))
    return found


def test_the_cycle_finder_finds_a_cycle_through_type_checking(tmp_path):
    pkg = tmp_path / "ibviz"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from ibviz.b import x\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from ibviz import a\nx = 1\n")
    (pkg / "c.py").write_text("def f():\n    from . import a\n")
    assert cycles(import_graph(tmp_path)) == [frozenset({"ibviz.a", "ibviz.b"})]


def test_no_import_cycles():
    found = set(cycles(import_graph(REPO)))
    new = [sorted(c) for c in found - set(KNOWN)]
    assert not new, f"import cycles: {new}"
    gone = [KNOWN[c] for c in set(KNOWN) - found]
    assert not gone, f"a known cycle is gone, delete its entry in KNOWN: {gone}"


def test_the_gui_knows_backends_only_by_their_interface():
    """The GUI asks a backend's capabilities, never its type: of ``ibviz.backends`` it
    imports the base interface only (and the local host's reader, for its panel)."""
    allowed = {"ibviz.backends.base", "ibviz.backends.local_host"}
    graph = import_graph(REPO)
    wrong = {mod: sorted(n for n in deps if n.startswith("ibviz.backends") and n not in allowed)
             for mod, deps in graph.items() if mod.startswith("ibviz.gui")}
    assert not {m: w for m, w in wrong.items() if w}
    sources = (REPO / "ibviz" / "gui").rglob("*.py")
    assert not [p.name for p in sources if "is_live" in p.read_text(encoding="utf-8")]
