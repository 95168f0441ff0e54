"""End-to-end analysis timings: ``analyze``, the weight move the explorer makes, and cold start.

Run: ``python benchmarks/bench_analyze.py [--quick]``; results go to
``benchmarks/results/analyze.json`` (about 3 minutes; ``--quick`` uses 1e4 and 1e5 rows).

- ``analyze`` of ML-shaped candidates (``bench_pareto.ml``: accuracy, latency, size, energy,
  fairness gap) at 1e5 and 1e6 x 5 objectives with two constraints (``latency_ms <= 40``,
  ``fairness_gap <= 0.1``), a tolerance on accuracy (0.002) and SMAA with 1e4 weight samples:
  median wall time of 3 runs (1 at 1e6) and the process's peak memory. Targets: 1e6 <= 5 s
  within 4 GiB; 1e5 <= 0.5 s. The ranking depth is analyze's default (fronts 0..2 exact); the
  full ranking (``depth=None``) is timed once at 1e6 for comparison.
- The previous release's figure, ``analyze`` of 1e5 x 5 uniform candidates (``latency_ms <=
  0.95``, ``acc >= 0.02``, no tolerance) with SMAA 1e4.
- The regression check (``--before``, default the previous release): that figure, the ML-shaped
  analyses and the weight move, each timed with the release's code (``benchmarks/_release.py``) in
  turn with today's, on the same data in the same run (:func:`against_release`).
- A weight move at 1e6 x 5 as the explorer makes it: ``Reranker.reweigh(weights)`` end to end
  (scores, ranks, the table, weight stability), next to its floor, plain numpy on the same
  normalised matrix: ``N @ w`` and ``np.argsort``. Interleaved, 15 moves each (random weights,
  seeded). Target: <= 120 ms.
- Cold start of ``analyze`` on 100 rows in a new process: with an empty numba cache (a fresh
  install) and with the cache built (a warm new process); targets 3 s and 0.5 s (the first
  ``analyze`` call; the import is reported beside it). Also the first ``analyze`` of 1e4 rows
  with an empty cache (the one-off compilation large inputs pay) and after
  ``python -m workbench.analysis.warmup`` filled the empty cache (what ``make venv`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
import _shapes
from _release import PREVIOUS_RELEASE, Release, ReleaseUnavailable
from _shapes import ML_MODEL, ML_NAMES, UNIFORM_MODEL, ml_candidates, uniform_candidates

from workbench import QualityModel, analyze
from workbench.analysis import Reranker
from workbench.analysis.feasibility import feasibility
from workbench.analysis.pareto import forget_fronts
from workbench.analysis.problem import problem
from workbench.analysis.scoring import normalized

RESULTS = Path(__file__).parent / "results"
NAMES = ML_NAMES


def ml_model() -> QualityModel:
    return QualityModel.from_dict(ML_MODEL)


def uniform_model() -> QualityModel:
    return QualityModel.from_dict(UNIFORM_MODEL)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def analyze_in_process(n: int, repeat: int, depth: str) -> dict:
    """``analyze`` of ML-shaped data in a fresh process (its own peak memory)."""
    code = (
        "import json, statistics, sys, time, resource\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import bench_analyze as B\n"
        "from workbench import analyze\n"
        "from workbench.analysis.pareto import forget_fronts\n"
        "qm = B.ml_model()\n"
        "analyze(B.ml_candidates(2000), qm, smaa=1000)\n"
        f"df = B.ml_candidates({n}, seed=1)\n"
        f"kw = {{}} if {depth!r} == 'default' else {{'depth': None}}\n"
        "times = []\n"
        f"for _ in range({repeat}):\n"
        "    forget_fronts()  # each call from scratch: analyze keeps the last unconstrained fronts\n"
        "    t0 = time.perf_counter(); a = analyze(df, qm, smaa=10_000, seed=0, **kw)\n"
        "    times.append(time.perf_counter() - t0)\n"
        "t = a.table\n"
        "print(json.dumps({'median_s': statistics.median(times), 'runs_s': times, 'front': len(a.front),\n"
        "    'feasible': int(t['feasible'].sum()), 'deepest_feasible_front': int(t.loc[t['feasible'], 'front'].max()),\n"
        "    'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_start(n: int, cache: str) -> dict:
    """First ``analyze`` of ``n`` ML-shaped rows in a new process with numba cache folder ``cache``."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import numpy as np, pandas as pd\n"
        "from workbench import QualityModel, analyze\n"
        "from _shapes import ml\n"
        f"qm = QualityModel.from_dict({ml_model().to_dict()!r})\n"
        f"df = pd.DataFrame(ml(np.random.default_rng(0), {n}, 5) * np.array([-1.0, 1, 1, 1, 1]), columns={NAMES!r})\n"
        "df.insert(0, 'id', [f'c{i}' for i in range(len(df))])\n"
        "t1 = time.perf_counter()\n"
        "analyze(df, qm, smaa=1000)\n"
        "t2 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1, 'numba' in sys.modules)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    import_s, first_s, numba_loaded = out.stdout.split()
    return {"import_s": float(import_s), "first_analyze_s": float(first_s), "numba_loaded": numba_loaded == "True"}


def warm_up_cache(cache: str) -> dict:
    """``python -m workbench.analysis.warmup`` (what ``make venv`` runs) into numba cache folder ``cache``."""
    code = "import json; from workbench.analysis.warmup import warm_up; w = warm_up(); print(json.dumps(vars(w)))"
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def weight_moves(n: int, moves: int) -> dict:
    """``Reranker.reweigh`` against the numpy floor, interleaved, on ML-shaped data."""
    qm = ml_model()
    df = ml_candidates(n, seed=2)
    base = analyze(df, qm, smaa=0)
    fast = Reranker(base)
    prob = problem(df, qm)
    feasible = feasibility(prob, None)["feasible"].to_numpy()
    N, _, _ = normalized(prob, feasible)
    rng = np.random.default_rng(0)
    weights = [dict(zip(NAMES, rng.dirichlet(np.ones(5)), strict=True)) for _ in range(moves + 1)]

    def floor(w: dict) -> np.ndarray:
        return np.argsort(-(N @ np.array([w[name] for name in NAMES])))

    fast.reweigh(weights[0])
    floor(weights[0])
    reweigh_s, floor_s = [], []
    for w in weights[1:]:
        t0 = time.perf_counter()
        fast.reweigh(w)
        reweigh_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        floor(w)
        floor_s.append(time.perf_counter() - t0)
    return {
        "reweigh_ms": statistics.median(reweigh_s) * 1e3,
        "reweigh_runs_ms": [t * 1e3 for t in reweigh_s],
        "floor_ms": statistics.median(floor_s) * 1e3,
        "floor_runs_ms": [t * 1e3 for t in floor_s],
        "with_stability": base.stability is not None,
    }


def _analyze_case(key: str, label: str, model: str, data: str, n: int, rounds: int) -> tuple:
    """An ``analyze`` scenario of :func:`against_release`: SMAA 1e4 on ``_shapes.<data>(n)`` under
    ``_shapes.<model>``; each side warms up with the same call."""
    setup = (
        f"qm = wb.QualityModel.from_dict(_shapes.{model}); df = _shapes.{data}({n})\n"
        "wb.analyze(df, qm, smaa=10000, seed=0)"
    )

    def prepare():
        qm, df = QualityModel.from_dict(getattr(_shapes, model)), getattr(_shapes, data)(n)
        analyze(df, qm, smaa=10_000, seed=0)
        return lambda i: analyze(df, qm, smaa=10_000, seed=0)

    return key, label, setup, prepare, "wb.analyze(df, qm, smaa=10000, seed=0)", rounds


def _reweigh_case(key: str, label: str, n: int, weights: list[dict], rounds: int) -> tuple:
    """The weight-move scenario of :func:`against_release`: one ``Reranker`` per side, one weight
    vector per round (the warm-up uses ``weights[0]``)."""
    setup = (
        f"qm = wb.QualityModel.from_dict(_shapes.ML_MODEL); df = _shapes.ml_candidates({n}, seed=2)\n"
        f"fast = Reranker(wb.analyze(df, qm, smaa=0)); weights = {weights!r}; fast.reweigh(weights[0])"
    )

    def prepare():
        fast = Reranker(analyze(ml_candidates(n, seed=2), ml_model(), smaa=0))
        fast.reweigh(weights[0])
        return lambda i: fast.reweigh(weights[i])

    return key, label, setup, prepare, "fast.reweigh(weights[{i}])", rounds


def against_release(ref: str, small: int, big: int) -> dict:
    """The previous release's ``analyze`` and re-rank next to today's: same run, same data, the
    two timed in turn (interleaved rounds), the release in its worker process (``_release.py``).

    Scenarios: the uniform figure the release published (``small`` x 5, SMAA 1e4), the ML-shaped
    analysis at ``small`` and ``big`` x 5 (2 constraints, a tolerance, SMAA 1e4), and 15 weight
    moves through ``Reranker.reweigh`` at ``big`` x 5 (the explorer's call, in both releases).
    """
    try:
        release = Release(ref)
    except ReleaseUnavailable as e:
        print(f"no regression check: {e}")
        return {"ref": ref, "note": str(e)}
    rng = np.random.default_rng(0)
    weights = [dict(zip(NAMES, map(float, rng.dirichlet(np.ones(5))), strict=True)) for _ in range(16)]
    scenarios = [
        _analyze_case(
            "analyze_uniform",
            f"`analyze` {small:.0e} × 5 uniform, SMAA 1e4",
            "UNIFORM_MODEL",
            "uniform_candidates",
            small,
            3,
        ),
        _analyze_case(
            "analyze_ml_small",
            f"`analyze` {small:.0e} × 5 ML-shaped, 2 constraints, a tolerance, SMAA 1e4",
            "ML_MODEL",
            "ml_candidates",
            small,
            3,
        ),
        _analyze_case(
            "analyze_ml_big", f"`analyze` {big:.0e} × 5 ML-shaped, the same", "ML_MODEL", "ml_candidates", big, 1
        ),
        _reweigh_case("reweigh_big", f"weight move {big:.0e} × 5: `Reranker.reweigh` end to end", big, weights, 15),
    ]
    figures = {}
    with release:
        release.exec("import workbench as wb, _shapes\nfrom workbench.analysis import Reranker")
        for key, label, setup, prepare, expression, rounds in scenarios:
            forget_fronts()
            call = prepare()
            release.exec(setup)
            now, before = [], []
            for i in range(1, rounds + 1):
                forget_fronts()
                t0 = time.perf_counter()
                call(i)
                now.append(time.perf_counter() - t0)
                before.append(release.time(expression.format(i=i)))
            del call
            release.exec("qm = df = fast = None")
            figures[key] = {
                "label": label,
                "rounds": rounds,
                "before_s": statistics.median(before),
                "now_s": statistics.median(now),
                "speedup": statistics.median(before) / statistics.median(now),
                "before_runs_s": before,
                "now_runs_s": now,
                "load_1min": load(),
            }
            print(f"{label}: release {statistics.median(before):.3f} s, now {statistics.median(now):.3f} s", flush=True)
    return {"ref": ref, "commit": release.commit, "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e4 and 1e5 rows instead of 1e5 and 1e6")
    parser.add_argument("--output", type=Path, default=RESULTS / "analyze.json")
    parser.add_argument(
        "--before",
        default=PREVIOUS_RELEASE,
        help=f"commit run next to today's code (default {PREVIOUS_RELEASE}, the previous release); 'none': skip",
    )
    args = parser.parse_args()
    small, big = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    results: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "run_at_utc": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            "loadavg_1min_at_start": load(),
        },
        "quick": args.quick,
        "sizes": [small, big],
    }

    # the previous release's scenario, for the regression table
    qm = uniform_model()
    df = uniform_candidates(small)
    analyze(uniform_candidates(2_000), qm, smaa=1000)
    times = timed(lambda: (forget_fronts(), analyze(df, qm, smaa=10_000, seed=0)), 3)
    results["analyze_1e5x5_smaa1e4_s"] = statistics.median(times)
    results["front_size_1e5x5"] = len(analyze(df, qm, smaa=0).front)
    print(f"analyze {small:.0e} x 5 uniform, SMAA 1e4: {results['analyze_1e5x5_smaa1e4_s']:.3f} s")

    # 3 calls at 1e6 too: on a VM whose host backs guest memory lazily, the first call of a process
    # pays for touching ~1 GB of fresh pages (seconds); the median is the steady state, the first is kept
    for n, repeat in ((small, 3), (big, 3)):
        r = analyze_in_process(n, repeat, "default")
        r["load_1min"] = load()
        results[f"analyze_ml_{n}"] = r
        print(
            f"analyze {n:.0e} x 5 ML-shaped, 2 constraints, tolerance, SMAA 1e4: {r['median_s']:.2f} s, "
            f"peak {r['peak_mb']:.0f} MB (front {r['front']}, {r['feasible']} feasible)",
            flush=True,
        )
    full = analyze_in_process(big, 1, "full")
    results[f"analyze_ml_{big}_full_ranks"] = full
    print(
        f"  with every front ranked (depth=None): {full['median_s']:.2f} s "
        f"({full['deepest_feasible_front'] + 1} feasible fronts)"
    )

    moves = weight_moves(big, 15)
    moves["load_1min"] = load()
    results[f"weight_move_{big}"] = moves
    print(
        f"weight move {big:.0e} x 5, Reranker.reweigh end to end: {moves['reweigh_ms']:.0f} ms; "
        f"numpy floor (N @ w + argsort): {moves['floor_ms']:.0f} ms"
    )
    results["rerank_1e6x5_ms"] = moves["reweigh_ms"]

    with tempfile.TemporaryDirectory() as empty:
        fresh = cold_start(100, empty)
        warm = cold_start(100, empty)
    with tempfile.TemporaryDirectory() as empty:
        fresh_big = cold_start(10_000, empty)
    with tempfile.TemporaryDirectory() as empty:
        warmup = warm_up_cache(empty)
        after_warmup = cold_start(10_000, empty)
    results["cold_start"] = {
        "fresh_100": fresh,
        "warm_100": warm,
        "fresh_10000": fresh_big,
        "warmup": warmup,
        "after_warmup_10000": after_warmup,
    }
    print(
        f"cold start, 100 rows: fresh install {fresh['first_analyze_s']:.2f} s, warm new process "
        f"{warm['first_analyze_s']:.2f} s (import {warm['import_s']:.2f} s; numba loaded: "
        f"{warm['numba_loaded']}); 1e4 rows on a fresh install {fresh_big['first_analyze_s']:.2f} s, "
        f"after `python -m workbench.analysis.warmup` ({warmup['seconds']:.1f} s) {after_warmup['first_analyze_s']:.2f} s"
    )

    ml_small, ml_big = results[f"analyze_ml_{small}"], results[f"analyze_ml_{big}"]
    results["targets_met"] = {
        "analyze_1e6_le_5s": ml_big["median_s"] <= 5.0,
        "analyze_1e6_peak_le_4GiB": ml_big["peak_mb"] <= 4096,
        "analyze_1e5_le_0.5s": ml_small["median_s"] <= 0.5,
        "weight_move_1e6_le_120ms": moves["reweigh_ms"] <= 120,
        "fresh_install_first_analyze_le_3s": fresh["first_analyze_s"] <= 3.0,
        "warm_new_process_le_0.5s": warm["first_analyze_s"] <= 0.5,
    }
    if args.before.lower() != "none":
        results["before"] = against_release(args.before, small, big)
    results["loadavg_1min_at_end"] = load()
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(f"targets: {results['targets_met']}\nwrote {args.output}")


if __name__ == "__main__":
    main()
