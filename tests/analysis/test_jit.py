"""Where numba finds no writable cache folder (a read-only install, a user without a writable home),
``cache=True`` used to fail ``import workbench.analysis`` with "cannot cache function ...: no
locator available"; the kernels now compile without the cache instead."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

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
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "numba"
                and any(a.name in ("njit", "jit") for a in node.names)
            ):
                direct.append(str(path.relative_to(root)))
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("njit", "jit")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("numba", "nb")
            ):
                direct.append(str(path.relative_to(root)))
    assert direct == [], f"use workbench.analysis._jit.njit instead of numba's in: {direct}"


def test_a_small_analysis_never_starts_numba(tmp_path):
    # A first analysis of 100 candidates in a new process, with an empty numba cache: numpy
    # answers the small inputs, so numba is neither imported nor asked to compile anything.
    import os
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, pandas as pd, workbench as wb\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({'id': [f'c{i}' for i in range(100)], 'acc': rng.random(100),"
        " 'ms': rng.random(100), 'kb': rng.random(100)})\n"
        "qm = wb.QualityModel.from_dict({'objectives': [{'name': 'acc', 'direction': 'max',"
        " 'tolerance': 0.01}, {'name': 'ms', 'direction': 'min'}, {'name': 'kb', 'direction': 'min'}],"
        " 'constraints': ['ms <= 0.9']})\n"
        "a = wb.analyze(df, qm, smaa=500)\n"
        "assert a.recommended is not None\n"
        "print('numba' in sys.modules)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
    assert list(tmp_path.iterdir()) == []


def test_kernels_find_each_other_once_handed_to_numba():
    # The first call hands every kernel of the module to numba, so a kernel calling another
    # compiles against its dispatcher.
    import numpy as np

    from workbench.analysis import _pareto

    F = np.random.default_rng(0).random((600, 4))
    mask = _pareto._kd_mask(F, np.zeros(4), 8, np.ones(600, dtype=bool), np.ones(4))
    assert type(_pareto._kd_build).__name__ != "_LazyKernel"
    np.testing.assert_array_equal(mask, _pareto.nondominated_mask(F))


@pytest.mark.slow
def test_the_warm_up_compiles_everything_a_first_large_analysis_needs(tmp_path):
    # `make venv` runs the warm-up; afterwards a new process's first large analysis, weight move
    # and kernel calls on other shapes load every kernel from the cache and compile none.
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    run = functools.partial(subprocess.run, capture_output=True, text=True, env=env, check=True)
    warm = run([sys.executable, "-m", "workbench.analysis.warmup"]).stdout
    assert "compiled" in warm and str(tmp_path) in warm
    assert int(warm.split("analysis kernels: ")[1].split()[0]) >= 15
    code = (
        "import json, numpy as np, pandas as pd, workbench as wb\n"
        "from workbench.analysis import pareto\n"
        "from workbench.analysis.reweight import Reranker\n"
        "from workbench.analysis.warmup import cache_stats\n"
        "rng = np.random.default_rng(11)\n"
        "n = 12_000\n"
        "acc = rng.uniform(0.8, 0.95, n)\n"
        "ms = 5 * np.exp(18 * (acc - 0.8)) * rng.lognormal(0, 0.35, n)\n"
        "df = pd.DataFrame({'id': [f'c{i}' for i in range(n)], 'acc': acc, 'ms': ms,\n"
        "    'mb': ms * rng.lognormal(0, 0.5, n), 'wh': ms * rng.lognormal(0, 0.3, n), 'gap': rng.random(n)})\n"
        "qm = wb.QualityModel.from_dict({'objectives': [{'name': 'acc', 'direction': 'max', 'tolerance': 0.001},\n"
        "    {'name': 'ms', 'direction': 'min'}, {'name': 'mb', 'direction': 'min'},\n"
        "    {'name': 'wh', 'direction': 'min'}, {'name': 'gap', 'direction': 'min'}],\n"
        "    'constraints': ['ms <= 40', 'gap <= 0.9']})\n"
        "a = wb.analyze(df, qm, smaa=2000, seed=1)\n"
        "Reranker(wb.analyze(df, qm)).reweigh({'acc': 3, 'ms': 1, 'mb': 1, 'wh': 1, 'gap': 2})\n"
        "for k in (2, 3):\n"
        "    F = rng.random((8000, k))\n"
        "    pareto.nondominated_mask(F); pareto.nondominated_ranks(F)\n"
        "    pareto.nondominated_ranks(F, tolerance=np.full(k, 0.02))\n"
        "compiled, loaded, _ = cache_stats()\n"
        "print(json.dumps({'compiled': compiled, 'loaded': loaded, 'front': len(a.front)}))\n"
    )
    got = json.loads(run([sys.executable, "-c", code]).stdout.strip().splitlines()[-1])
    assert got["front"] > 0 and got["loaded"] >= 5
    assert got["compiled"] == 0, f"kernels the warm-up does not reach were compiled: {got}"
