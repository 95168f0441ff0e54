"""Non-dominated filtering: workbench vs moocore, paretoset and pymoo, side by side.

Run: ``python benchmarks/bench_pareto.py [--quick]``; results go to
``benchmarks/results/pareto.json``. ``--quick`` runs N = 1e4 and 1e5 only (a smoke run).

Cases: N in {1e4, 1e5, 1e6} x k in {2, 3, 5} x {uniform, sphere}. ``uniform`` is U(0, 1)^k
(few non-dominated rows); ``sphere`` is ``1 - |z| / ||z||`` for standard normal z: points on the
positive orthant of the unit sphere, flipped so that for minimisation *every* row is
non-dominated (checked below). Every tool is warmed up (JIT, caches) on a small input first;
timings are medians of several runs (fewer for slow calls). A peer is skipped, with a note,
when its time extrapolated quadratically from the previous N exceeds 60 s; pymoo only runs
for N <= 1e5. For every case all tools must agree on the mask (count and rows).

Peers, all minimising and keeping duplicates of non-dominated rows (as workbench does):

- ``moocore.is_nondominated(F, keep_weakly=True)``
- ``paretoset.paretoset(F, sense=["min"] * k, distinct=False, use_numba=True)``
- ``pymoo NonDominatedSorting().do(F, only_non_dominated_front=True)``; in pymoo 0.6.2 this
  calls ``moocore.pareto_rank`` (a full non-dominated sort) and keeps front 0.

A second, smaller table times the full non-dominated sort (``nondominated_ranks``) against
``moocore.pareto_rank`` for N <= 1e5, and the last lines report the cold-start time of a
fresh interpreter (import plus first calls, numba cache already populated).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import moocore
import numba
import numpy as np
import paretoset
import pymoo
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from workbench.analysis._pareto import nondominated_mask, nondominated_ranks

LIMIT_S = 60.0  # skip a peer whose extrapolated time exceeds this
PYMOO_MAX_N = 100_000


def uniform(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.random((n, k))


def sphere(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    z = np.abs(rng.standard_normal((n, k)))
    return 1.0 - z / np.linalg.norm(z, axis=1, keepdims=True)


DATA = {"uniform": uniform, "sphere": sphere}


def pymoo_mask(F: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(F), dtype=bool)
    mask[NonDominatedSorting().do(F, only_non_dominated_front=True)] = True
    return mask


MASK_TOOLS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "workbench": nondominated_mask,
    "moocore": lambda F: moocore.is_nondominated(F, keep_weakly=True),
    "paretoset": lambda F: paretoset.paretoset(
        F, sense=["min"] * F.shape[1], distinct=False, use_numba=True
    ),
    "pymoo": pymoo_mask,
}

RANK_TOOLS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "workbench": nondominated_ranks,
    "moocore": moocore.pareto_rank,
}


Timing = tuple[float, list[float], np.ndarray]


def measure(fn: Callable[[np.ndarray], np.ndarray], F: np.ndarray) -> Timing:
    """Median wall time of ``fn(F)``: 5 runs after a full-size warm-up for fast calls, 3 runs
    for calls over 2 s, a single run for calls over 20 s."""
    t0 = time.perf_counter()
    out = fn(F)
    first = time.perf_counter() - t0
    if first > 20.0:
        return first, [first], out
    runs = []
    for _ in range(3 if first > 2.0 else 5):
        t0 = time.perf_counter()
        fn(F)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), runs, out


def warm_up() -> None:
    rng = np.random.default_rng(123)
    for k in (2, 3, 5):
        for make in DATA.values():
            F = make(rng, 3000, k)
            for fn in (*MASK_TOOLS.values(), *RANK_TOOLS.values()):
                fn(F)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def line(n: object, k: object, data: str, tool: str, *cells: str) -> str:
    median, ratio, count, agree, note = cells
    return (f"{n:>9} {k:>2} {data:<8} {tool:<10} {median:>11} {ratio:>8}  {count:>9}  "
            f"{agree:<5}  {note}").rstrip()


def run_table(
    title: str, tools: dict, sizes: list[int], max_n: dict, count_label: str
) -> list[dict]:
    """Time every tool on every case; each must return exactly workbench's result."""
    print(f"\n{title}")
    header = line("N", "k", "data", "tool", "median", "peer/wb", count_label, "agree", "note")
    print(header)
    print("-" * len(header))
    results = []
    last_time: dict[tuple, tuple[int, float]] = {}
    rng = np.random.default_rng(2024)
    for n in sizes:
        for k in (2, 3, 5):
            for data, make in DATA.items():
                F = make(rng, n, k)
                reference = wb_time = None
                for tool, fn in tools.items():
                    row = {"n": n, "k": k, "data": data, "tool": tool}
                    previous = last_time.get((tool, k, data))
                    predicted = previous[1] * (n / previous[0]) ** 2 if previous else 0.0
                    if n > max_n.get(tool, n):
                        row["skipped"] = f"not run for N > {max_n[tool]:.0e} (slow)"
                    elif predicted > LIMIT_S:
                        row["skipped"] = (f"predicted {predicted:.0f} s > {LIMIT_S:.0f} s "
                                          f"(quadratic from N = {previous[0]:.0e})")
                    if "skipped" in row:
                        print(line(n, k, data, tool, "-", "-", "-", "-", row["skipped"]))
                        results.append(row)
                        continue
                    median, runs, out = measure(fn, F)
                    last_time[(tool, k, data)] = (n, median)
                    if reference is None:
                        reference, wb_time = out, median
                    agree = out.shape == reference.shape and bool((out == reference).all())
                    count = int(np.count_nonzero(out)) if out.dtype == bool else int(out.max()) + 1
                    row.update(median_s=median, runs_s=runs, ratio=median / wb_time, agree=agree,
                               count=count)
                    results.append(row)
                    print(line(n, k, data, tool, fmt(median), f"{median / wb_time:.1f}", str(count),
                               "yes" if agree else "NO", ""), flush=True)
                    if not agree:
                        raise SystemExit(f"{tool} disagrees with workbench on N={n}, k={k}, {data}")
                if data == "sphere" and reference.dtype == bool and not reference.all():
                    raise SystemExit(f"sphere data N={n}, k={k} is not all non-dominated")
    return results


def cold_start() -> dict:
    """Time a fresh interpreter: import, then the first mask and ranks calls per k."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "import numpy as np\n"
        "from workbench.analysis._pareto import nondominated_mask, nondominated_ranks\n"
        "t1 = time.perf_counter()\n"
        "rng = np.random.default_rng(0)\n"
        "for k in (2, 3, 5):\n"
        "    F = rng.random((1000, k)); nondominated_mask(F); nondominated_ranks(F)\n"
        "    nondominated_mask(F, np.full(k, 0.01)); nondominated_ranks(F, np.full(k, 0.01))\n"
        "t2 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import_s, first_calls_s = map(float, out.stdout.split())
    print(f"\ncold start (fresh interpreter, numba cache populated): import {fmt(import_s)}, "
          f"first mask + ranks calls for k = 2, 3, 5, with and without tolerance, "
          f"{fmt(first_calls_s)}")
    return {"import_s": import_s, "first_calls_s": first_calls_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only N = 1e4 and 1e5")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]

    warm_up()
    mask_results = run_table(
        "non-dominated mask (median wall time; peer/wb > 1 means workbench is faster)",
        MASK_TOOLS, sizes, {"pymoo": PYMOO_MAX_N}, "non-dom",
    )
    rank_results = run_table(
        "non-dominated sorting: front index of every row",
        RANK_TOOLS, [n for n in sizes if n <= 100_000], {}, "fronts",
    )
    results = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "moocore": moocore.__version__,
            "paretoset": getattr(paretoset, "__version__", "?"),
            "pymoo": pymoo.__version__,
        },
        "quick": args.quick,
        "mask": mask_results,
        "ranks": rank_results,
        "cold_start": cold_start(),
    }
    out = Path(__file__).parent / "results" / "pareto.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
