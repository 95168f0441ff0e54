"""End-to-end analysis timings: full ``analyze`` of 1e5 candidates × 5 objectives with SMAA
(10,000 weight samples on the front), and a weight change re-ranking 1e6 × 5.

Run: ``python benchmarks/bench_analyze.py``; results go to ``benchmarks/results/analyze.json``.
Targets (this machine, 2 cores): analyze < 2 s; re-rank < 100 ms.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import QualityModel, analyze
from workbench.analysis.problem import problem
from workbench.analysis.feasibility import feasibility
from workbench.analysis.scoring import normalized, order, scores_for_weights

NAMES = ["acc", "latency_ms", "cost", "energy", "fairness_gap"]
DIRS = ["max", "min", "min", "min", "min"]


def model() -> QualityModel:
    return QualityModel.from_dict({
        "objectives": [{"name": n, "direction": d} for n, d in zip(NAMES, DIRS, strict=True)],
        "constraints": ["latency_ms <= 0.95", "acc >= 0.02"],
    })


def candidates(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.uniform(0, 1, (n, len(NAMES))), columns=NAMES)
    df.insert(0, "id", [f"c{i}" for i in range(n)])
    return df


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    qm = model()
    results = {}
    df = candidates(100_000)
    analyze(candidates(2_000), qm, smaa=1000)  # warm-up: numba caches, imports
    times = timed(lambda: analyze(df, qm, smaa=10_000, seed=0), 3)
    a = analyze(df, qm, smaa=10_000, seed=0)
    results["analyze_1e5x5_smaa1e4_s"] = statistics.median(times)
    results["front_size_1e5x5"] = len(a.front)
    print(f"analyze 1e5 x 5, SMAA 10,000 samples: median {statistics.median(times):.3f} s "
          f"(front {len(a.front)}; runs {[round(t, 3) for t in times]})  target < 2 s")

    big = candidates(1_000_000, seed=1)
    prob = problem(big, qm)
    feas = feasibility(prob, None)
    feasible, violation = feas["feasible"].to_numpy(), feas["violation"].to_numpy()
    N, _, _ = normalized(prob, feasible)
    rng = np.random.default_rng(0)

    def rerank():
        w = rng.dirichlet(np.ones(len(NAMES)))
        s = scores_for_weights(prob, N, w, "weighted_sum")
        return order(s, feasible, violation)

    rerank()
    times = timed(rerank, 7)
    results["rerank_1e6x5_ms"] = statistics.median(times) * 1000
    print(f"weight change re-ranking 1e6 x 5: median {statistics.median(times) * 1000:.1f} ms  target < 100 ms")
    out = Path(__file__).parent / "results" / "analyze.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
