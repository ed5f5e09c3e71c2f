"""The package's structure: floors that run one way, small modules and functions, no history in
code comments.

Read from the source with `ast` (nothing is imported), so a cycle hidden by an import inside a
function counts as much as a module-level one. The same checks run as a command:
`python tests/test_architecture.py` prints every breach and exits 1 when there is one.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "engine"
MAX_MODULE_LINES = 600
MAX_KERNEL_FUNCTION_LINES = 250  # numba kernels: one compiled step loop reads best in one place
MAX_FUNCTION_LINES = 100
DEFERRED_IMPORTS = frozenset({"matplotlib", "distributed", "scipy", "arch"})
"""Heavy libraries a function may import when it first needs them (and so may it import an engine
module that imports one of them when it is loaded: the HTML report and matplotlib)."""
HISTORY_WORDING = re.compile(r"\[issue\d|\bissue \d|\bthe newer\b", re.IGNORECASE)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _imported_module(name: str) -> str | None:
    """The engine module an import of `name` loads last (a name inside a module counts as its
    module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".")
        if MODULES[module].name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    for alias in node.names:
        yield f"{base}.{alias.name}"


def import_graph(module_level: bool = False) -> dict[str, set[str]]:
    """Which engine modules each engine module imports, anywhere in it (or at module level only);
    the edge to "" stands for a heavy library (`DEFERRED_IMPORTS`)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, tree in TREES.items():
        nodes = tree.body if module_level else ast.walk(tree)
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(name, node):
                    found = _imported_module(target)
                    if found and found != name:
                        graph[name].add(found)
                    elif target.split(".")[0] in DEFERRED_IMPORTS:
                        graph[name].add("")
    return graph


def heavy_modules() -> set[str]:
    """The engine modules whose loading loads a heavy library."""
    graph = import_graph(module_level=True)
    heavy = {name for name, targets in graph.items() if "" in targets}
    while True:
        more = {name for name, targets in graph.items() if targets & heavy} - heavy
        if not more:
            return heavy
        heavy |= more


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v] - {""}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def breaches() -> list[str]:
    found = [f"import cycle: {' <-> '.join(c)}" for c in cycles(import_graph())]
    heavy = heavy_modules()
    for name, tree in TREES.items():
        path = MODULES[name]
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES})")
        limit = MAX_KERNEL_FUNCTION_LINES if ".kernels" in name else MAX_FUNCTION_LINES
        for fn in _functions(tree):
            size = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if size > limit:
                found.append(f"{name}.{fn.name}: {size} lines (at most {limit})")
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    for target in _targets(name, node):
                        deferred = target.split(".")[0] in DEFERRED_IMPORTS
                        if not deferred and _imported_module(target) not in heavy:
                            found.append(f"{name}.{fn.name}: imports {target} inside a function")
        if path.name == "__init__.py":
            for node in tree.body:
                plain = isinstance(node, ast.Import | ast.ImportFrom | ast.Expr)
                exports = isinstance(node, ast.Assign) and all(
                    isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
                )
                if not (plain or exports):
                    found.append(f"{name}: __init__ defines something (line {node.lineno})")
        for number, line in enumerate(text.splitlines(), 1):
            if HISTORY_WORDING.search(line):
                found.append(f"{name}:{number}: history in code: {line.strip()[:60]}")
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_checks_see_a_cycle_and_a_deferred_import() -> None:
    """The checker can fail: a made-up cycle is found, and engine/cli imports something."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert any(import_graph().values())


def test_no_test_imports_another_test() -> None:
    """Shared test code lives in support modules (not named test_*), never in a test module."""
    found = []
    for path in sorted(Path(__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names.append(getattr(node, "module", None) or "")
                if any(n.rpartition(".")[2].startswith("test_") for n in names):
                    found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_modules_functions_and_comments_keep_their_limits() -> None:
    assert breaches() == []


if __name__ == "__main__":
    problems = breaches()
    print("\n".join(problems) or "the structure holds")
    sys.exit(1 if problems else 0)
