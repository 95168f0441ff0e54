"""The import graph of ``workbench`` and ``widgets``, read from the source with ``ast``.

Used by ``tests/test_layering.py`` (the contracts) and handy on its own::

    python tests/_imports.py        # private reach-ins, cycles and package edges, as the test sees them

Definitions the contracts use:

- a *module* is a ``.py`` file under ``workbench/`` or ``widgets/``; its *package* is
  ``workbench.<first folder>`` (``workbench.analysis``...), ``widgets``, or ``workbench`` for the root
  modules (``workbench/errors.py``, ``workbench/_io.py``...) and the top-level facade;
- an import is *private* when the imported module has a ``_name`` part below the top package
  (``workbench.analysis._pareto``) or the imported name starts with one underscore;
- imports under ``if TYPE_CHECKING:`` are not run, so they do not count; imports inside functions do.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("workbench", "widgets")


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (the nearest module of ours the statement names)
    name: str | None  # the name imported from it, None for ``import x`` or a submodule
    line: int

    @property
    def private(self) -> bool:
        parts = self.target.split(".")[1:]
        return any(_private(p) for p in parts) or (self.name is not None and _private(self.name))

    def __str__(self) -> str:
        what = f"{self.target}.{self.name}" if self.name else self.target
        return f"{self.source}:{self.line} imports {what}"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of both packages."""
    out = {}
    for top in TOPS:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


#: The package a root module belongs to when it is not a shared helper.
ROOT_OWNERS = {"workbench.__main__": "workbench.cli", "workbench.cli": "workbench.cli"}
#: Pseudo-package of the root helper modules (``workbench/errors.py``, ``workbench/_io.py``...).
HELPERS = "workbench._helpers"


def package(module: str, mods: dict[str, Path]) -> str:
    """``workbench.analysis.scoring`` -> ``workbench.analysis``; the facade ``workbench`` (its
    ``__init__``) -> ``workbench``; a root helper module -> :data:`HELPERS`."""
    parts = module.split(".")
    if parts[0] == "widgets":
        return "widgets"
    if module == "workbench":
        return "workbench"
    if len(parts) >= 2 and mods.get(".".join(parts[:2]), Path()).name == "__init__.py":
        return ".".join(parts[:2])
    return ROOT_OWNERS.get(".".join(parts[:2]), HELPERS)


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(root: Path = ROOT) -> list[Import]:
    """Every import of one of our modules, by any of our modules (top level or inside functions)."""
    mods = modules(root)
    found: list[Import] = []
    for module, path in mods.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = {id(n) for t in ast.walk(tree) if _type_checking(t) for b in t.body for n in ast.walk(b)}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _nearest(alias.name, mods)
                    if target:
                        found.append(Import(module, target, None, node.lineno))
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, is_pkg, node.level, node.module)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in mods:
                        found.append(Import(module, sub, None, node.lineno))
                    else:
                        target = _nearest(base, mods)
                        if target:
                            found.append(Import(module, target, alias.name, node.lineno))
    return found


def _absolute(module: str, is_pkg: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _nearest(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def private_reach_ins(found: list[Import] | None = None, root: Path = ROOT) -> list[Import]:
    """Private names or modules imported from another package (root ``workbench/_x.py`` helper
    modules are shared low-level helpers and allowed)."""
    mods = modules(root)
    out = []
    for imp in found if found is not None else imports(root):
        mine, theirs = package(imp.source, mods), package(imp.target, mods)
        if mine == theirs:
            continue
        if theirs == HELPERS and not _private(imp.name or ""):
            continue  # a shared root helper module, e.g. ``from workbench._io import atomic_write_text``
        if imp.private:
            out.append(imp)
    return out


def cycles(found: list[Import] | None = None, root: Path = ROOT) -> list[list[str]]:
    """Groups of modules that import each other (strongly connected components of size > 1)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in found if found is not None else imports(root):
        if imp.target != imp.source:
            edges[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(modules(root)):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def package_edges(found: list[Import] | None = None, root: Path = ROOT) -> dict[tuple[str, str], list[Import]]:
    """(importing package, imported package) -> the imports behind that edge."""
    mods = modules(root)
    out: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in found if found is not None else imports(root):
        a, b = package(imp.source, mods), package(imp.target, mods)
        if a != b:
            out[(a, b)].append(imp)
    return dict(out)


if __name__ == "__main__":
    every = imports()
    reach = private_reach_ins(every)
    pairs = {(i.source, i.target) for i in reach}
    print(f"private cross-package imports: {len(reach)} across {len(pairs)} module pairs")
    for imp in reach:
        print(f"  {imp}")
    found_cycles = cycles(every)
    print(f"import cycles: {len(found_cycles)}")
    for group in found_cycles:
        print("  " + " <-> ".join(group))
    for (a, b), imps in sorted(package_edges(every).items()):
        print(f"{a} -> {b}: {len(imps)}")
