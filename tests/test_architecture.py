"""The errscan package's import graph: no cycle, and no module importing from a layer above its own.

The graph is read from the source with `ast`, not by importing: every ``import``/``from … import`` of an
errscan module counts, at module level and inside functions and methods alike (a deferred import still
runs, only later), relative ones included. Imports under ``if TYPE_CHECKING:`` do not run and are left out.
``from errscan.pkg import name`` depends on ``errscan.pkg`` (its ``__init__`` runs) and, when ``name`` is a
submodule, on ``errscan.pkg.name`` too. The parent packages that Python imports on the way are not counted:
every submodule would otherwise depend on ``errscan/__init__.py``, which re-exports the API.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "errscan"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

# Lowest first. A module may import from its own layer or a lower one. Names are relative to the package:
# "lexicon" covers errscan.lexicon and everything under it; the most specific name wins. A name whose
# module does not exist (yet) is fine; a module that no name covers fails the test: place it here.
LAYERS: tuple[tuple[str, ...], ...] = (
    # 0: plain values, the JSON contract, the version, a deadline, a folder of published bytes, text widths
    ("_version", "model", "posmap", "contract", "deadline", "snapshots", "textwidth"),
    # 1: the parts of a scan, and packaged data
    (
        "normalize", "docdate", "history", "posts", "fallen", "quoted",
        "data", "web", "detectors", "readers", "lexicon", "match", "verify",
        "suppress", "similar", "fuzzy", "lm", "words", "_lmscan", "_fuzzscan", "_wordscan",
    ),
    # 2: a scan put together
    ("pipeline",),
    # 3: what to scan with, and one run of it
    ("settings", "config", "run"),
    # 4: the commands
    ("annotate", "fix", "fetch", "crawl", "inspection", "inputs", "explain", "reporters", "audit", "server",
     "serve_protocol"),
    # 5: the command line, and the package's top level, which re-exports and may import anything
    ("cli", "clihelp", "checkcmd", "quick", "__main__", "__init__"),
)


@dataclass(frozen=True)
class Edge:
    """`source` imports `target`, at `path`:`line`."""

    source: str
    target: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}  ({self.path}:{self.line})"


def module_files(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name; a package's ``__init__.py`` under the package's name."""
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((package, *parts))] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: all nesting levels, less the bodies of `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda n: n.lineno)


def _base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a `from … import` names, relative imports resolved against `module`."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    anchor = package[: len(package) - node.level + 1]
    return ".".join(anchor + ([node.module] if node.module else []))


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imports_of(module: str, source: str, path: str, modules: set[str], package: str = PACKAGE) -> list[Edge]:
    """The package's modules that `source` (the text of `module`) imports at run time."""
    is_package = Path(path).name == "__init__.py"
    edges: list[Edge] = []
    for node in _runtime_imports(ast.parse(source, path)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = _base(node, module, is_package)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
        edges += [Edge(module, t, path, node.lineno) for t in targets if _inside(t, package) and t != module]
    return edges


def import_graph(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE) -> list[Edge]:
    """Every import edge between the package's modules, in file and line order."""
    files = module_files(package_dir, package)
    edges: list[Edge] = []
    for module, path in files.items():
        rel = str(path.relative_to(package_dir.parent))
        edges += imports_of(module, path.read_text(encoding="utf-8"), rel, set(files), package)
    return edges


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with a cycle (Tarjan's algorithm, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    nodes = sorted(set(graph) | {t for targets in graph.values() for t in targets})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    components.append(sorted(component))
    return sorted(components)


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete cycle through the component's first module: a, b, …, a (breadth first: a shortest one)."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph.get(node, set()) & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle in {component}")


def layer_of(
    module: str, package: str = PACKAGE, layers: tuple[tuple[str, ...], ...] = LAYERS
) -> int | None:
    """The module's layer by the most specific name in `layers` that covers it; None if none does."""
    rel = module[len(package) + 1 :] if module != package else "__init__"
    best: tuple[int, int] | None = None  # (length of the name, layer)
    for layer, names in enumerate(layers):
        for name in names:
            if _inside(rel, name) and (best is None or len(name) > best[0]):
                best = (len(name), layer)
    return None if best is None else best[1]


def _graph(edges: list[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
    return graph


# --- the package ----------------------------------------------------------------------------------------


def test_the_graph_is_read():
    """A sanity check on the reader: known imports are seen, at module level and inside functions."""
    edges = {(e.source, e.target) for e in import_graph()}
    assert ("errscan.pipeline", "errscan.lexicon") in edges  # from errscan.lexicon import …
    assert ("errscan.explain", "errscan.pipeline") in edges  # inside a function
    assert ("errscan.lexicon", "errscan.lexicon.compile") in edges


def test_no_import_cycles():
    edges = import_graph()
    graph = _graph(edges)
    problems = []
    for component in find_cycles(graph):
        members = set(component)
        inside = [str(e) for e in edges if e.source in members and e.target in members]
        problems.append(
            "import cycle: " + " -> ".join(cycle_path(graph, component))
            + "\n  every import between these modules (break one edge of each loop):\n    " + "\n    ".join(inside)
        )
    assert not problems, "\n\n".join(problems)


def test_every_module_has_a_layer():
    missing = sorted(m for m in module_files() if layer_of(m) is None)
    assert not missing, f"modules that no name in LAYERS covers (add each to its layer): {', '.join(missing)}"


def test_no_module_imports_a_higher_layer():
    problems = []
    for e in import_graph():
        source, target = layer_of(e.source), layer_of(e.target)
        if source is not None and target is not None and target > source:
            problems.append(f"{e}: layer {source} imports layer {target}")
    assert not problems, "lower layer imports a higher one:\n  " + "\n  ".join(problems)


# --- the detector itself -------------------------------------------------------------------------------


def test_find_cycles_reports_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert find_cycles(graph) == [["a", "b", "c"], ["e"]]
    assert cycle_path(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert cycle_path(graph, ["e"]) == ["e", "e"]


def test_find_cycles_passes_an_acyclic_graph():
    graph = {"a": {"b", "c"}, "b": {"c", "d"}, "c": {"d"}, "d": set()}
    assert find_cycles(graph) == []


def test_imports_are_resolved(tmp_path):
    """Relative, deferred, submodule and TYPE_CHECKING imports, on a made-up package."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from pkg import low\n",
        "low.py": "import os\n",
        "high.py": (
            "from typing import TYPE_CHECKING\nfrom . import low\nfrom .sub import thing, helper\n"
            "if TYPE_CHECKING:\n    from pkg import hidden\nelse:\n    import pkg.sub.helper\n"
            "def f():\n    from pkg.sub.helper import x\n"
        ),
        "hidden.py": "",
        "sub/__init__.py": "from ..low import y\n",
        "sub/helper.py": "from .. import high\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text, encoding="utf-8")
    got = {(e.source, e.target, e.line) for e in import_graph(pkg, "pkg")}
    assert got == {
        ("pkg", "pkg.low", 1),
        ("pkg.high", "pkg", 2), ("pkg.high", "pkg.low", 2),
        ("pkg.high", "pkg.sub", 3), ("pkg.high", "pkg.sub.helper", 3),  # `thing` is a name, not a module
        ("pkg.high", "pkg.sub.helper", 7), ("pkg.high", "pkg.sub.helper", 9),
        ("pkg.sub", "pkg.low", 1),
        ("pkg.sub.helper", "pkg", 1), ("pkg.sub.helper", "pkg.high", 1),
    }
    cycles = find_cycles(_graph(import_graph(pkg, "pkg")))
    assert cycles == [["pkg.high", "pkg.sub.helper"]]


def test_layer_of_takes_the_most_specific_name():
    assert layer_of("errscan") == len(LAYERS) - 1
    assert layer_of("errscan._version") == 0
    assert layer_of("errscan.lexicon") == layer_of("errscan.lexicon.compile") == 1
    assert layer_of("errscan.reporters.sarif") == 4
    assert layer_of("errscan.lexiconography") is None
    layers = (("a",), ("b",), ("a.tool",))
    assert [layer_of(f"p.{m}", "p", layers) for m in ("a", "a.x", "a.tool", "a.tool.y", "b", "c")] == [
        0, 0, 2, 2, 1, None,
    ]
