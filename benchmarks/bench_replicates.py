"""Seed noise and the decision: how often the gate and the recommendation are fooled by it.

Synthetic replicate studies with a known truth: two candidates measured over ``n`` seeds (3, 5,
10), accuracy with seed-to-seed sd ``σ = 0.01`` and a true difference of 0, 0.5, 1, 2 or 4 σ,
latency with the same true mean (sd 0.5 ms, tolerance 2 ms, so it is a true tie). Accuracy has no
tolerance: any true gain counts as a real difference.

- **Gate** (``workbench gate NEW --against CHAMP``): the champion is truly better by Δ (or equal).
  A failure at Δ = 0 is a *false failure*; at Δ > 0 a failure is a correct catch (power). The
  evidence rule (``P(champion dominates beyond tolerance) >= 0.95`` over the seeds) is compared with
  the point rule (dominance of the means) and with the same probability from a plain percentile
  bootstrap.
- **Recommendation** (switch from the incumbent to a challenger): the point rule switches whenever
  the challenger's mean scores higher; the evidence rule only when the comparison is detectable
  (``P(better) >= 0.95``, the verdict in the memo and the record). Measured: switching to a truly
  *worse* challenger (worse by Δ; at Δ = 0 a truly equal one — needless churn) and switching to a
  truly *better* one (better by Δ, power).

Run: ``python benchmarks/bench_replicates.py [--quick]``; results in
``benchmarks/results/replicates.json``. Target: false gate failures <= 5 % at confidence 0.95.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from workbench import QualityModel  # noqa: E402
from workbench.analysis import score  # noqa: E402
from workbench.analysis.uncertainty import compare_replicates  # noqa: E402
from workbench.decisions import gate  # noqa: E402
from workbench.sources import from_frame  # noqa: E402

SIGMA = 0.01
DELTAS = (0.0, 0.5, 1.0, 2.0, 4.0)
SEEDS = (3, 5, 10)
CONFIDENCE = 0.95
MODEL = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max", "weight": 2},
            {"name": "latency_ms", "direction": "min", "unit": "ms", "tolerance": 2.0},
        ]
    }
)


#: Two more candidates on the front (a fast one, an accurate slow one) that set the normalisation
#: bounds, as the rest of a real candidate set would: (true accuracy, true latency).
ANCHORS = {"fast": (0.85, 15.0), "slow": (0.95, 30.0)}


def study(rng: np.random.Generator, n: int, gain: float) -> pd.DataFrame:
    """Per-seed rows of 'a' (true accuracy 0.90 + gain), 'b' (0.90), both at 20 ms, and the anchors."""
    truth = {"a": (0.90 + gain, 20.0), "b": (0.90, 20.0), **ANCHORS}
    rows = [
        {
            "id": cid,
            "seed": s,
            "acc": acc + SIGMA * rng.standard_normal(),
            "latency_ms": ms + 0.5 * rng.standard_normal(),
        }
        for cid, (acc, ms) in truth.items()
        for s in range(n)
    ]
    return pd.DataFrame(rows)


def one_cell(n: int, delta: float, studies: int, seed: int, samples: int) -> dict:
    rng = np.random.default_rng(seed)
    gain = delta * SIGMA
    tally = {
        k: 0
        for k in (
            "gate_point",
            "gate_evidence",
            "gate_bootstrap",
            "worse_point",
            "worse_evidence",
            "better_point",
            "better_evidence",
        )
    }
    for i in range(studies):
        df = study(rng, n, gain)  # 'a' is truly better by Δ (or equal)
        reps = from_frame(df, replicate_column="seed")
        means = df.groupby("id", as_index=False)[["acc", "latency_ms"]].mean()
        point = score(means, MODEL)  # the recommendation's score of each candidate's mean
        # gate: the new candidate 'b' against the champion 'a'
        tally["gate_point"] += not gate(means, MODEL, "b", against="a").passed
        tally["gate_evidence"] += not gate(
            reps, MODEL, "b", against="a", confidence=CONFIDENCE, samples=samples, seed=i
        ).passed
        row = compare_replicates(
            reps, MODEL, candidate="a", versus="b", samples=samples, seed=i, resampling="bootstrap"
        ).iloc[0]
        tally["gate_bootstrap"] += row["p_dominates"] >= CONFIDENCE
        # recommendation: the incumbent and a challenger; the point rule follows the means
        ev = compare_replicates(reps, MODEL, candidate="a", versus="b", samples=samples, seed=i).iloc[0]
        a_ahead = point["a"] > point["b"]
        # challenger 'b' (truly worse by Δ) against incumbent 'a'
        tally["worse_point"] += not a_ahead
        tally["worse_evidence"] += ev["p_better"] <= 1 - CONFIDENCE
        # challenger 'a' (truly better by Δ) against incumbent 'b'
        tally["better_point"] += a_ahead
        tally["better_evidence"] += ev["p_better"] >= CONFIDENCE
    return {"n": n, "delta_sd": delta, "studies": studies, **{k: v / studies for k, v in tally.items()}}


def run(quick: bool = False) -> dict:
    studies = 40 if quick else 400
    samples = 1000 if quick else 2000
    seeds, deltas = ((3, 10), (0.0, 2.0)) if quick else (SEEDS, DELTAS)
    t0 = time.perf_counter()
    cells = []
    for n in seeds:
        for delta in deltas:
            cell = one_cell(n, delta, studies, seed=int(1000 * n + 10 * delta), samples=samples)
            cells.append(cell)
            print(
                f"n={n:2d} Δ={delta:3.1f}σ  gate fails: point {cell['gate_point']:.3f} evidence "
                f"{cell['gate_evidence']:.3f} bootstrap {cell['gate_bootstrap']:.3f} | switch to worse: point "
                f"{cell['worse_point']:.3f} evidence {cell['worse_evidence']:.3f} | to better: point "
                f"{cell['better_point']:.3f} evidence {cell['better_evidence']:.3f}",
                flush=True,
            )
    null = [c for c in cells if c["delta_sd"] == 0]
    worst = max(c["gate_evidence"] for c in null)
    se = (CONFIDENCE * (1 - CONFIDENCE) / studies) ** 0.5
    return {
        "quick": quick,
        "studies_per_cell": studies,
        "bootstrap_draws": samples,
        "confidence": CONFIDENCE,
        "sigma": SIGMA,
        "cells": cells,
        "seconds": time.perf_counter() - t0,
        "targets": {"false_gate_failures_at_most_5pct": bool(worst <= 0.05 + 2 * se)},
        "worst_false_gate_failure": worst,
        "monte_carlo_se": se,
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "run_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke-test size (40 studies, 4 cells)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "replicates.json")
    args = parser.parse_args(argv)
    results = run(args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
