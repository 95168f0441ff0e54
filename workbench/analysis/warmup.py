"""Compile the analysis kernels into numba's on-disk cache before the first large analysis needs them.

numba compiles a kernel on its first call and keeps the machine code in its cache (``cache=True``),
so every later process loads it in milliseconds. On a fresh install nothing is cached yet: the
first analysis of 10⁴ candidates pays about 9 s of compilation, the first explorer weight move at
10⁵ some more. :func:`warm_up` calls every compiled kernel once, on small synthetic inputs shaped
to reach each code path (two, three and five objectives, with and without a tolerance, ties,
ranks to a depth and in full, the re-rank of a weight move), so that cost is paid at install
(``make venv`` runs it) or whenever convenient, not in front of a user.

Run ``python -m workbench.analysis.warmup``. Analyses of up to 256 candidates never need numba
(numpy answers them), so a small first analysis is fast either way.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Any

import numpy as np

__all__ = ["WarmUp", "cache_stats", "warm_up"]


@dataclasses.dataclass(frozen=True)
class WarmUp:
    """What :func:`warm_up` did: kernels compiled now, kernels loaded from the cache, time taken."""

    compiled: int
    loaded: int
    seconds: float
    cache: str

    def __str__(self) -> str:
        return (
            f"analysis kernels: {self.compiled} compiled, {self.loaded} already in the numba cache "
            f"({self.cache}); {self.seconds:.1f} s"
        )


def _shapes(rng: np.random.Generator) -> list[np.ndarray]:
    """Objective matrices (all minimised) that reach every kernel: a curved front with most rows
    far from it (the ML shape the kernels are tuned for), uniform rows, heavily tied rows, and a
    near-chain of thousands of tiny fronts (long chains of fronts in the per-front trees)."""
    n = 6000
    out = []
    for k in (2, 3, 5):
        acc = rng.uniform(0.8, 0.95, n)
        latency = 5 * np.exp(18 * (acc - 0.8)) * rng.lognormal(0, 0.35, n)
        rest = [latency * rng.lognormal(0, 0.5, n) ** j for j in range(1, k - 1)]
        out.append(np.column_stack([-acc, latency, *rest])[:, :k])
        out.append(rng.random((n, k)))
        out.append(rng.integers(0, 6, (n, k)).astype(float))
        out.append(np.sort(rng.random(n))[:, None] + 1e-4 * rng.random((n, k)))
    return out


def _exercise() -> None:
    import pandas as pd

    from workbench.analysis import _kernels, pareto
    from workbench.analysis.analyze import analyze
    from workbench.analysis.reweight import Reranker
    from workbench.quality import QualityModel

    rng = np.random.default_rng(0)
    for F in _shapes(rng):
        tol = np.full(F.shape[1], 0.01)
        pareto.nondominated_mask(F)
        pareto.nondominated_mask(F, tol)
        pareto.nondominated_ranks(F)
        pareto.nondominated_ranks(F, depth=1)
        pareto.nondominated_ranks(F, tol, depth=1)
    F = _shapes(rng)[8]  # ML-shaped, five objectives
    names = ["acc", "ms", "mb", "wh", "gap"]
    df = pd.DataFrame(F * np.array([-1.0, 1, 1, 1, 1]), columns=names)
    df.insert(0, "id", [f"c{i}" for i in range(len(df))])
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "tolerance": 0.002},
                *({"name": c, "direction": "min"} for c in names[1:]),
            ],
            "constraints": [f"ms <= {float(np.quantile(df['ms'], 0.9))}"],
        }
    )
    analyze(df, qm, smaa=500, seed=0)
    reranker = Reranker(analyze(df, qm, smaa=0))
    for method in ("weighted_sum", "tchebycheff", "topsis"):
        reranker.reweigh({c: 1.0 + i for i, c in enumerate(names)}, method=method)
    _kernels.score_ranks(rng.normal(0, 1e4, 1000))  # large scores: the float-key radix sort


def _dispatchers() -> list[Any]:
    from workbench.analysis import _kernels, _pareto

    return [
        obj
        for module in (_pareto, _kernels)
        for obj in vars(module).values()
        if hasattr(obj, "stats") and hasattr(obj, "signatures")
    ]


def cache_stats() -> tuple[int, int, str]:
    """``(compiled, loaded, cache folder)`` over the kernels this process has called so far:
    signatures numba compiled here, and signatures it loaded from its cache."""
    compiled = loaded = 0
    cache = ""
    for dispatcher in _dispatchers():
        compiled += sum(dispatcher.stats.cache_misses.values())
        loaded += sum(dispatcher.stats.cache_hits.values())
        cache = cache or str(dispatcher.stats.cache_path or "")
    return compiled, loaded, cache


def warm_up() -> WarmUp:
    """Call every analysis kernel once so numba compiles it into its cache (see the module docstring)."""
    from workbench.analysis._jit import compile_all

    start = time.perf_counter()
    compile_all()
    _exercise()
    compiled, loaded, cache = cache_stats()
    return WarmUp(compiled, loaded, time.perf_counter() - start, cache or "no cache: compiled per process")


def main() -> int:
    print(warm_up())
    return 0


if __name__ == "__main__":
    sys.exit(main())
