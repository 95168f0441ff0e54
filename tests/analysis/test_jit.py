"""Where numba finds no writable cache folder (a read-only install, a user without a writable home),
``cache=True`` used to fail ``import workbench.analysis`` with "cannot cache function ...: no
locator available"; the kernels now compile without the cache instead."""

from __future__ import annotations

import ast
from pathlib import Path

import workbench
from workbench.analysis import _jit


def test_kernels_fall_back_to_no_cache(monkeypatch):
    seen = []

    def fake_njit(*args, **kwargs):
        seen.append(kwargs.get("cache"))

        def decorate(fn):
            if kwargs.get("cache"):
                raise RuntimeError(f"cannot cache function {fn.__name__!r}: no locator available for file 'x.py'")
            return fn

        return decorate

    monkeypatch.setattr(_jit, "_njit", fake_njit)

    @_jit.njit(cache=True)
    def kernel(x):
        return x + 1

    assert kernel(1) == 2 and seen == [True, False]


def test_every_compiled_kernel_goes_through_the_fallback():
    # the load work added kernels to _kernels.py with numba's own njit: the fallback must cover them too
    root = Path(workbench.__file__).parent
    direct = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "_jit.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "numba" and any(
                    a.name in ("njit", "jit") for a in node.names):
                direct.append(str(path.relative_to(root)))
            if isinstance(node, ast.Attribute) and node.attr in ("njit", "jit") and isinstance(
                    node.value, ast.Name) and node.value.id in ("numba", "nb"):
                direct.append(str(path.relative_to(root)))
    assert direct == [], f"use workbench.analysis._jit.njit instead of numba's in: {direct}"
