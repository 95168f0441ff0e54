"""Responsiveness of the TradeoffExplorer, Python side: one weight-slider move until the chart and
the ranked table are updated, for 10,000 and 100,000 candidates x 5 objectives.

A move is ``explorer.weights = {...}`` — what the slider's message does in the kernel. It returns
once every observer has run: the fast re-rank, the chart's changed rows
(``workbench.views.pareto_reweighted``), the ranked table and the "why" panel. Widget messages are serialised to JSON exactly as the kernel would send them (the
``comm`` objects here pack every message with ``jupyter_client``'s packer), so that cost is in
the timing too; only the socket write is missing.

Also timed, for information: a weight move under the other methods (their weight-stability
intervals are found by a scan, not in closed form), and structural updates (method change,
constraint what-if), which re-run ``workbench.analyze`` and rebuild the chart with ``workbench.views``.

Run: ``python benchmarks/bench_widgets.py``; results go to ``benchmarks/results/widgets.json``.
Targets (this machine, 2 cores): median weight move < 100 ms at 1e4, < 300 ms at 1e5.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import comm
import numpy as np
import pandas as pd
from comm.base_comm import BaseComm
from jupyter_client.session import json_packer

from workbench import QualityModel

NAMES = ["acc", "latency_ms", "cost", "energy", "fairness_gap"]
DIRS = ["max", "min", "min", "min", "min"]
TARGET_MS = {10_000: 100.0, 100_000: 300.0}
MOVES = 21
RESULTS = Path(__file__).parent / "results" / "widgets.json"


class PackingComm(BaseComm):
    """A comm that serialises every message as the kernel would, and counts the bytes."""

    sent_bytes = 0

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        PackingComm.sent_bytes += len(json_packer({"data": data, "metadata": metadata or {}}))


def _packing_comm(*args: Any, **kwargs: Any) -> BaseComm:
    return PackingComm(*args, **kwargs)


def model() -> QualityModel:
    return QualityModel.from_dict(
        {
            "objectives": [
                {"name": n, "direction": d, "weight": w}
                for n, d, w in zip(NAMES, DIRS, [3, 1, 1, 0.5, 0.5], strict=True)
            ],
            "constraints": ["latency_ms <= 0.95", "acc >= 0.02"],
            "stakeholders": {"ops": {"acc": 1, "latency_ms": 3, "cost": 2, "energy": 1, "fairness_gap": 1}},
        }
    )


def candidates(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.uniform(0, 1, (n, len(NAMES))), columns=NAMES)
    df.insert(0, "id", [f"c{i}" for i in range(n)])
    return df


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench(n: int) -> dict[str, Any]:
    from widgets import TradeoffExplorer

    df, qm = candidates(n), model()
    t0 = time.perf_counter()
    ex = TradeoffExplorer(df, qm, x="latency_ms", y="acc")
    build_s = time.perf_counter() - t0
    assert ex.error_text == "", ex.error_text

    def weigh(v: float) -> None:  # the explorer's public state, set as its slider sets it
        ex.weights = {**ex.weights, "latency_ms": v}

    values = [1.0 + 0.35 * (i % 12) for i in range(MOVES + 2)]
    weigh(values[0])  # warm-up
    weigh(values[1])
    moves, sent = [], []
    for v in values[2:]:
        before = PackingComm.sent_bytes
        moves.append(timed(lambda v=v: weigh(v)))
        sent.append(PackingComm.sent_bytes - before)
        assert ex.error_text == "", ex.error_text
    from workbench import views

    rows = views.pareto_live(ex.analysis, "latency_ms", "acc").datasets["candidates"]
    top = ex.analysis.recommended
    assert any(r["candidate"] == top and "recommended" in (r["role"] or "") for r in rows)
    assert ex.analysis.to_frame().index[0] == top
    by_method = {}
    for m in ("tchebycheff", "asf", "topsis"):  # for information: the scan-based stability costs more
        ex.method = m
        by_method[m] = round(statistics.median(timed(lambda v=v: weigh(v)) for v in values[2:9]) * 1000, 1)
    method_s = [timed(lambda m=m: setattr(ex, "method", m)) for m in ("tchebycheff", "weighted_sum")]
    constraint_s = [
        timed(lambda v=v: setattr(ex, "limits", {**ex.limits, "latency_ms <= 0.95": v})) for v in (0.9, 0.95)
    ]
    median_ms = statistics.median(moves) * 1000
    return {
        "candidates": n,
        "objectives": len(NAMES),
        "drawn_points": len(rows),
        "explorer_build_s": round(build_s, 3),
        "weight_move_median_ms": round(median_ms, 1),
        "weight_move_p90_ms": round(float(np.percentile(moves, 90)) * 1000, 1),
        "weight_move_runs_ms": [round(t * 1000, 1) for t in moves],
        "weight_move_sent_kb": round(statistics.median(sent) / 1024, 1),
        "target_ms": TARGET_MS[n],
        "meets_target": median_ms < TARGET_MS[n],
        "weight_move_median_ms_by_method": {"weighted_sum": round(median_ms, 1), **by_method},
        "method_change_median_s": round(statistics.median(method_s), 3),
        "constraint_move_median_s": round(statistics.median(constraint_s), 3),
    }


def main() -> None:
    comm.create_comm = _packing_comm  # before any widget exists
    from widgets import TradeoffExplorer

    TradeoffExplorer(candidates(500), model())  # warm-up: imports, numba caches, the offline Vega bundle
    results = {"machine_note": "Python side, JSON-serialised widget messages; 2-core container"}
    for n in (10_000, 100_000):
        r = bench(n)
        results[f"explorer_{n}"] = r
        print(
            f"{n:>7,} candidates x 5: weight move median {r['weight_move_median_ms']:.1f} ms "
            f"(p90 {r['weight_move_p90_ms']:.1f}; target < {r['target_ms']:.0f} ms: "
            f"{'met' if r['meets_target'] else 'MISSED'}); {r['drawn_points']:,} points drawn, "
            f"{r['weight_move_sent_kb']:.0f} KB sent per move; build {r['explorer_build_s']:.2f} s; "
            f"method change {r['method_change_median_s']:.2f} s; constraint move {r['constraint_move_median_s']:.2f} s; "
            f"weight move by method (ms): {r['weight_move_median_ms_by_method']}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
