"""Configuration search: ``workbench.search.search`` vs plain pymoo, side by side.

Run: ``python benchmarks/bench_search.py [--quick]``; results go to
``benchmarks/results/search.json``. ``--quick`` uses one repeat per case (a smoke run).

1. Overhead around pymoo, same problem and budget. The problem is ZDT1 over a 10-parameter
   space of ``Float(0, 1)`` parameters, plus a controlled cost per evaluation: a busy-wait of
   c ms (standing for the CPU work of a real ML evaluation; a busy-wait, unlike ``time.sleep``,
   costs exactly c ms), for c in {0, 1, 10} ms.

   * ``pymoo``: ``minimize(problem, NSGA2(pop_size=P), ("n_eval", B), seed=S)`` on an
     ``ElementwiseProblem`` over the unit box whose ``_evaluate`` decodes x with the *same*
     ``Space.decode`` the workbench uses, calls the same evaluation function and reads
     ``f1, f2`` from the returned dict (so the decode and the evaluation work are equal).
   * ``workbench``: ``search(space, model, fn, budget=B, seed=S, pop_size=P,
     stall_generations=0, outdir=<fresh temp dir>)``: everything it adds -- recording each
     evaluation in SQLite, keys and duplicate elimination by configuration, the failure
     constraint, the hypervolume history, and the final ``workbench.analyze`` of the results.

   Both timings cover the whole call (problem and algorithm construction included); runs of the
   two alternate, and the median of the repeats is reported. Overhead % = (wb - pymoo) / pymoo;
   overhead per evaluation = (wb - pymoo) / B. Because the machine may be shared, the time spent
   *outside* the evaluation function ("framework" time: wall time minus the time measured inside
   the function) is reported too; its difference (wb - pymoo) / B is the same overhead per
   evaluation, but free of the noise of the (large) evaluation time itself. The target (< 5%) applies to realistic evaluation
   costs (>= 10 ms); the 0 ms case is the fixed per-evaluation cost. One extra run of each of
   pymoo and workbench under cProfile, at c = 0 and at c = 10 ms, breaks that cost down (it is
   about twice as large between 10 ms evaluations as in a hot loop: caches go cold).

2. Parallel speed-up on an evaluation that waits on I/O (``time.sleep(0.1)``: a remote training
   job or a REST call): B = 80 evaluations, pop_size 20. ``search(..., workers=1)`` against
   ``search(..., client=client)`` with a 2-worker ``LocalCluster`` (processes, one thread each)
   started once, outside the timed region (its start-up is reported apart), and against
   ``search(..., workers=2)`` end to end (the search starts and stops its own cluster: its workers
   fork from a forkserver, and the search process evaluates until they are up; the first such
   search of a process also starts the forkserver and is reported apart). Peer:
   plain pymoo with ``elementwise_runner=DaskParallelization(client)`` on the same client, and
   plain pymoo serial. Target (issue): speed-up >= 1.8x with 2 workers.
   The evaluation functions are defined in this file; Dask ships them to the workers by value
   (cloudpickle pickles functions of ``__main__`` by value), so nothing needs to be importable.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import functools
import json
import os
import platform
import pstats
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(os.environ.get("BENCH_SEARCH_OUT", Path(__file__).parent / "results" / "search.json"))
N_VAR = 10
SEED = 1
# cost (ms) -> (budget, pop_size, repeats)
OVERHEAD_CASES = {0: (1000, 50, 7), 1: (1000, 50, 5), 10: (600, 50, 5)}
IO_SLEEP_S, IO_BUDGET, IO_POP, IO_REPEAT = 0.1, 80, 20, 3


# --- the problem --------------------------------------------------------------------------------

INSIDE = [0.0]  # seconds spent inside zdt1 in this process (serial runs: the evaluation work)


def zdt1(config: dict[str, Any], cost_s: float = 0.0) -> dict[str, float]:
    """ZDT1 on x0..x9, after a busy-wait of ``cost_s`` seconds."""
    t0 = time.perf_counter()
    if cost_s:
        end = t0 + cost_s
        while time.perf_counter() < end:
            pass
    x = [config[f"x{i}"] for i in range(N_VAR)]
    g = 1.0 + 9.0 * sum(x[1:]) / (N_VAR - 1)
    out = {"f1": x[0], "f2": g * (1.0 - (x[0] / g) ** 0.5)}
    INSIDE[0] += time.perf_counter() - t0
    return out


def zdt1_sleep(config: dict[str, Any], cost_s: float = 0.0) -> dict[str, float]:
    """ZDT1 after sleeping ``cost_s`` (for the profiled 10 ms run: a busy-wait's many clock calls
    would swamp cProfile)."""
    time.sleep(cost_s)
    return zdt1(config)


def io_eval(config: dict[str, Any]) -> dict[str, float]:
    """ZDT1 after waiting 100 ms on 'I/O' (sleeping releases the CPU, as a remote call does)."""
    time.sleep(IO_SLEEP_S)
    return zdt1(config)


def space():
    from workbench.search import Float, Space

    return Space([Float(f"x{i}", 0.0, 1.0) for i in range(N_VAR)])


def model():
    from workbench import QualityModel

    return QualityModel.from_dict(
        {"objectives": [{"name": "f1", "direction": "min"}, {"name": "f2", "direction": "min"}]}
    )


def baseline_problem(sp, fn: Callable[[dict[str, Any]], dict[str, float]], **kwargs: Any):
    """Plain pymoo: the unit box, decoded with the same ``Space.decode``, the same function."""
    from pymoo.core.problem import ElementwiseProblem

    class Baseline(ElementwiseProblem):
        def __init__(self) -> None:
            super().__init__(n_var=len(sp), n_obj=2, xl=0.0, xu=1.0, **kwargs)

        def _evaluate(self, x, out, *args, **kw):
            r = fn(sp.decode(x))
            out["F"] = [r["f1"], r["f2"]]

    return Baseline()


# --- the contenders -----------------------------------------------------------------------------


def run_pymoo(fn, budget: int, pop: int, seed: int = SEED, runner: Any = None) -> tuple[float, int, float]:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.optimize import minimize

    sp = space()
    INSIDE[0] = 0.0
    t0 = time.perf_counter()
    problem = baseline_problem(sp, fn, **({"elementwise_runner": runner} if runner is not None else {}))
    res = minimize(problem, NSGA2(pop_size=pop), ("n_eval", budget), seed=seed, verbose=False)
    elapsed = time.perf_counter() - t0
    return elapsed, int(res.algorithm.evaluator.n_eval), elapsed - INSIDE[0]


def run_workbench(fn, budget: int, pop: int, seed: int = SEED, **kwargs: Any) -> tuple[float, int, float]:
    from workbench.search import search

    sp, qm = space(), model()
    outdir = tempfile.mkdtemp(prefix="wb-bench-search-")
    try:
        INSIDE[0] = 0.0
        t0 = time.perf_counter()
        r = search(sp, qm, fn, budget=budget, seed=seed, pop_size=pop, outdir=outdir, stall_generations=0, **kwargs)
        elapsed = time.perf_counter() - t0
        assert r.stopped == "budget" and r.calls == budget, (r.stopped, r.calls)
        return elapsed, int(r.calls), elapsed - INSIDE[0]
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


# --- 1. overhead ----------------------------------------------------------------------------------


def overhead(quick: bool) -> list[dict]:
    print(
        "\n1. overhead around pymoo: NSGA-II, ZDT1 over 10 parameters, busy-wait of c ms per evaluation "
        "(median wall time of the whole call)"
    )
    header = (
        f"{'c':>6} {'B':>5} {'P':>4} {'reps':>4} {'pymoo':>10} {'workbench':>10} {'overhead':>9} "
        f"{'per eval':>10}  {'target < 5%':<11} | {'framework: pymoo':>16} {'workbench':>10} {'per eval':>9}"
        f" {'overhead':>9}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for cost_ms, (budget, pop, repeat) in OVERHEAD_CASES.items():
        repeat = 1 if quick else repeat
        fn = functools.partial(zdt1, cost_s=cost_ms / 1000)
        pm, wb, pm_fw, wb_fw = [], [], [], []
        n_pm = n_wb = 0
        for _ in range(repeat):  # alternate, so drift affects both alike
            t, n_pm, fw = run_pymoo(fn, budget, pop)
            pm.append(t)
            pm_fw.append(fw)
            t, n_wb, fw = run_workbench(fn, budget, pop)
            wb.append(t)
            wb_fw.append(fw)
        p, w = statistics.median(pm), statistics.median(wb)
        pf, wf = statistics.median(pm_fw), statistics.median(wb_fw)
        fw_per_eval_us = (wf - pf) / budget * 1e6
        fw_pct = (wf - pf) / p * 100
        pct = (w - p) / p * 100
        per_eval_us = (w - p) / budget * 1e6
        applies = cost_ms >= 10
        row = {
            "cost_ms": cost_ms,
            "budget": budget,
            "pop_size": pop,
            "repeats": repeat,
            "pymoo_s": p,
            "pymoo_runs_s": pm,
            "pymoo_evaluations": n_pm,
            "workbench_s": w,
            "workbench_runs_s": wb,
            "workbench_evaluations": n_wb,
            "evaluation_work_s": budget * cost_ms / 1000,
            "overhead_pct": pct,
            "overhead_per_eval_us": per_eval_us,
            "pymoo_framework_s": pf,
            "pymoo_framework_runs_s": pm_fw,
            "workbench_framework_s": wf,
            "workbench_framework_runs_s": wb_fw,
            "framework_overhead_per_eval_us": fw_per_eval_us,
            "framework_overhead_pct_of_pymoo": fw_pct,
            "target_applies": applies,
            "target_met": (pct < 5.0) if applies else None,
        }
        rows.append(row)
        verdict = ("yes" if pct < 5.0 else "NO") if applies else "n/a"
        print(
            f"{cost_ms:>4} ms {budget:>5} {pop:>4} {repeat:>4} {fmt(p):>10} {fmt(w):>10} {pct:>8.1f}% "
            f"{per_eval_us:>7.0f} us  {verdict:<11} | {fmt(pf):>16} {fmt(wf):>10} {fw_per_eval_us:>6.0f} us"
            f" {fw_pct:>8.1f}%",
            flush=True,
        )
    return rows


# what the fixed cost is made of: (label, file suffix, function name); cumulative times overlap
# where one calls another (decode and key run inside the evaluate step and the duplicate check)
PROFILE_PARTS = [
    ("whole search()", "search/run.py", "search"),
    ("per generation: _State.evaluate (all below but analyze)", "search/run.py", "evaluate"),
    ("  evaluation function itself (zdt1)", "bench_search.py", "zdt1"),
    ("  call() wrapper incl. the function", "search/evaluate.py", "call"),
    ("  summarise returned metrics", "search/evaluate.py", "summarise"),
    ("  SQLite record (one commit per evaluation)", "search/store.py", "record"),
    ("  Space.decode (evaluate + duplicate check)", "search/space.py", "decode"),
    ("  Space.key (sha256 of canonical JSON)", "search/space.py", "key"),
    ("  hypervolume history (_update_archive)", "search/run.py", "_update_archive"),
    ("duplicate elimination by configuration (_do)", "search/run.py", "_do"),
    ("opening the SQLite record (open_store)", "search/store.py", "open_store"),
    ("result: _result (load, frame, candidates, analyze)", "search/run.py", "_result"),
    ("  store.load at the end", "search/store.py", "load"),
    ("  evaluations frame", "search/run.py", "_evaluations_frame"),
    ("  candidates (from_frame)", "search/run.py", "_candidates"),
    ("  workbench.analyze", "analysis/analyze.py", "analyze"),
]


def _profiled(run, *args: Any) -> dict:
    prof = cProfile.Profile()
    prof.enable()
    run(*args)
    prof.disable()
    return pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)


def _cum(stats: dict, suffix: str, name: str) -> tuple[int, float]:
    hits = [(v[1], v[3]) for k, v in stats.items() if k[2] == name and k[0].replace(os.sep, "/").endswith(suffix)]
    if not hits:
        return 0, 0.0
    return max(hits, key=lambda h: h[1])  # e.g. Space.decode (outer) over Float.decode


def breakdown() -> dict:
    """One workbench run under cProfile next to one plain pymoo run, at c = 0 (B = 1000, hot loop)
    and at c = 10 ms (B = 600; a sleep, see ``zdt1_sleep``): where the per-evaluation cost goes."""
    cases = {
        "0ms": (functools.partial(zdt1, cost_s=0.0), 1000),
        "10ms": (functools.partial(zdt1_sleep, cost_s=0.01), 600),
    }
    out: dict = {}
    for case, (fn, budget) in cases.items():
        pm = _cum(_profiled(run_pymoo, fn, budget, 50), "pymoo/optimize.py", "minimize")[1]
        stats = _profiled(run_workbench, fn, budget, 50)
        parts = []
        for label, suffix, name in PROFILE_PARTS:
            calls, cum = _cum(stats, suffix, name)
            parts.append(
                {
                    "part": label.strip(),
                    "function": f"{suffix}:{name}",
                    "calls": calls,
                    "cum_s": cum,
                    "per_eval_us": cum / budget * 1e6,
                }
            )
        out[case] = {"budget": budget, "pop_size": 50, "pymoo_minimize_profiled_s": pm, "parts": parts}
    print(
        "\nwhere the per-evaluation cost goes: one run of each under cProfile (which inflates every call), "
        "per evaluation;\nc = 0: busy loop, B = 1000; c = 10 ms: time.sleep, B = 600 (the same code runs "
        "slower between\nlong evaluations: cold caches); cumulative times, nested rows overlap"
    )
    header = f"{'part':<64} {'calls':>7} {'c = 0':>9} {'c = 10 ms':>10}"
    print(header)
    print("-" * len(header))
    a, b = out["0ms"], out["10ms"]
    print(
        f"{'plain pymoo minimize() (the baseline, minus the evaluation)':<64} {1:>7} "
        f"{a['pymoo_minimize_profiled_s'] / a['budget'] * 1e6:>6.0f} us "
        f"{(b['pymoo_minimize_profiled_s'] - b['budget'] * 0.01) / b['budget'] * 1e6:>7.0f} us"
    )
    for (label, _, name), pa, pb in zip(PROFILE_PARTS, a["parts"], b["parts"], strict=True):
        if name == "zdt1":
            label = "  evaluation function itself (zdt1, sleep excluded)"
        vb = pb["per_eval_us"]
        if name in ("search", "evaluate", "call"):  # the 10 ms of sleep are in these
            vb -= 10_000
            label = label + " - 10 ms"
        print(f"{label:<64} {pa['calls']:>7} {pa['per_eval_us']:>6.0f} us {vb:>7.0f} us")
    return out


# --- 2. parallel speed-up ---------------------------------------------------------------------------


def parallel(quick: bool) -> dict:
    from distributed import Client, LocalCluster
    from pymoo.parallelization.dask import DaskParallelization

    repeat = 1 if quick else IO_REPEAT
    B, P = IO_BUDGET, IO_POP
    ideal_serial = B * IO_SLEEP_S
    print(
        f"\n2. parallel evaluation: {B} evaluations sleeping {IO_SLEEP_S * 1000:.0f} ms each (I/O), pop_size {P}; "
        f"median of {repeat} (serial work {ideal_serial:.1f} s, ideal with 2 workers {ideal_serial / 2:.1f} s)"
    )

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, silence_logs=40
    )
    client = Client(cluster)
    startup = time.perf_counter() - t0
    runs: dict[str, list[float]] = {
        k: []
        for k in ("workbench_serial", "workbench_client", "pymoo_serial", "pymoo_dask", "workbench_workers2_end_to_end")
    }
    try:
        dask_runner = DaskParallelization(client)
        # warm-up: the workers import workbench / pymoo and unpickle the functions once
        run_workbench(io_eval, P, P, client=client)
        run_pymoo(io_eval, P, P, runner=dask_runner)
        for _ in range(repeat):
            runs["workbench_serial"].append(run_workbench(io_eval, B, P, workers=1)[0])
            runs["workbench_client"].append(run_workbench(io_eval, B, P, client=client)[0])
            runs["pymoo_serial"].append(run_pymoo(io_eval, B, P)[0])
            runs["pymoo_dask"].append(run_pymoo(io_eval, B, P, runner=dask_runner)[0])
    finally:
        client.close()
        cluster.close()
    # no other cluster alive: search() starts and stops its own. The first such search of a process
    # also starts the forkserver its workers fork from (later searches reuse it): kept apart.
    first_end_to_end = run_workbench(io_eval, B, P, workers=2)[0]
    for _ in range(repeat):
        runs["workbench_workers2_end_to_end"].append(run_workbench(io_eval, B, P, workers=2)[0])

    med = {k: statistics.median(v) for k, v in runs.items()}
    ideal_2 = ideal_serial / 2
    out = {
        "budget": B,
        "pop_size": P,
        "sleep_s": IO_SLEEP_S,
        "repeats": repeat,
        "cluster_startup_s": startup,
        "ideal_serial_s": ideal_serial,
        "ideal_2_workers_s": ideal_2,
        "runs_s": runs,
        "median_s": med,
        "first_end_to_end_s": first_end_to_end,
        # wall time beyond the ideal (serial work / workers), per evaluation: what the framework,
        # the scheduler round trips, the generation barrier and the cluster start add
        "overhead_per_eval_ms": {
            "workbench_serial": (med["workbench_serial"] - ideal_serial) / B * 1e3,
            "pymoo_serial": (med["pymoo_serial"] - ideal_serial) / B * 1e3,
            "workbench_client": (med["workbench_client"] - ideal_2) / B * 1e3,
            "pymoo_dask": (med["pymoo_dask"] - ideal_2) / B * 1e3,
            "workbench_workers2_end_to_end": (med["workbench_workers2_end_to_end"] - ideal_2) / B * 1e3,
            "workbench_workers2_first_end_to_end": (first_end_to_end - ideal_2) / B * 1e3,
        },
    }
    ratios = {
        "workbench_speedup_2_workers": med["workbench_serial"] / med["workbench_client"],
        "workbench_speedup_2_workers_end_to_end": med["workbench_serial"] / med["workbench_workers2_end_to_end"],
        "workbench_speedup_2_workers_first_end_to_end": med["workbench_serial"] / first_end_to_end,
        "pymoo_dask_speedup_2_workers": med["pymoo_serial"] / med["pymoo_dask"],
        "workbench_client_vs_pymoo_dask_time": med["workbench_client"] / med["pymoo_dask"],
        "workbench_serial_vs_pymoo_serial_time": med["workbench_serial"] / med["pymoo_serial"],
    }
    ratios["target_met"] = {
        "speedup_2_workers_ge_1.8": ratios["workbench_speedup_2_workers"] >= 1.8,
        "speedup_2_workers_end_to_end_ge_1.8": ratios["workbench_speedup_2_workers_end_to_end"] >= 1.8,
    }
    out["ratios"] = ratios
    header = f"{'contender':<44} {'median':>9} {'speed-up':>9}  runs"
    print(header)
    print("-" * len(header))
    rows = [
        ("workbench search(workers=1)", "workbench_serial", "workbench_serial"),
        ("workbench search(client=2-worker cluster)", "workbench_client", "workbench_serial"),
        ("workbench search(workers=2), end to end", "workbench_workers2_end_to_end", "workbench_serial"),
        ("pymoo minimize, serial", "pymoo_serial", "pymoo_serial"),
        ("pymoo minimize, DaskParallelization(client)", "pymoo_dask", "pymoo_serial"),
    ]
    for label, key, ref in rows:
        print(f"{label:<44} {fmt(med[key]):>9} {med[ref] / med[key]:>8.2f}x  {[round(t, 2) for t in runs[key]]}")
    print(
        f"workbench search(workers=2), first of the process (starts the forkserver): {fmt(first_end_to_end)}, "
        f"{med['workbench_serial'] / first_end_to_end:.2f}x"
    )
    print(
        "wall time beyond the ideal, per evaluation: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in out["overhead_per_eval_ms"].items())
    )
    print(f"LocalCluster(2 workers) + Client start-up, outside the timed runs: {fmt(startup)}")
    print(
        f"speed-up with 2 workers (target >= 1.8x): workbench {ratios['workbench_speedup_2_workers']:.2f}x, "
        f"end to end incl. cluster start/stop {ratios['workbench_speedup_2_workers_end_to_end']:.2f}x, "
        f"pymoo DaskParallelization {ratios['pymoo_dask_speedup_2_workers']:.2f}x"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat per case")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    run_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    print(f"load average at start: {load_start[0]:.2f} ({os.cpu_count()} CPUs)")

    import distributed
    import pymoo
    from pymoo.config import Config

    Config.warnings["not_compiled"] = False
    # warm-up: imports, numba caches of the analysis, pymoo's first calls
    run_pymoo(functools.partial(zdt1, cost_s=0.0), 200, 50)
    run_workbench(functools.partial(zdt1, cost_s=0.0), 200, 50)

    over = overhead(args.quick)
    prof = breakdown()
    par = parallel(args.quick)

    c10 = next(r for r in over if r["cost_ms"] == 10)
    results = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "pymoo": pymoo.__version__,
            "distributed": distributed.__version__,
            "tmpdir": tempfile.gettempdir(),
            "run_at_utc": run_at,
            "loadavg_1min_at_start": round(load_start[0], 2),
        },
        "quick": args.quick,
        "problem": {
            "objectives": "ZDT1 (f1, f2, both minimised)",
            "n_var": N_VAR,
            "seed": SEED,
            "algorithm": "NSGA-II",
            "baseline_decode": "workbench Space.decode (same as the search)",
            "cost": "busy-wait of c ms per evaluation (overhead); time.sleep(0.1) (parallel)",
        },
        "overhead": over,
        "overhead_breakdown": prof,
        "parallel": par,
        "ratios": {
            "overhead_pct_by_cost_ms": {str(r["cost_ms"]): r["overhead_pct"] for r in over},
            "overhead_per_eval_us_by_cost_ms": {str(r["cost_ms"]): r["overhead_per_eval_us"] for r in over},
            "speedup_2_workers": par["ratios"]["workbench_speedup_2_workers"],
            "speedup_2_workers_end_to_end": par["ratios"]["workbench_speedup_2_workers_end_to_end"],
            "speedup_2_workers_first_end_to_end": par["ratios"]["workbench_speedup_2_workers_first_end_to_end"],
            "overhead_per_eval_ms_parallel": par["overhead_per_eval_ms"],
            "pymoo_dask_speedup_2_workers": par["ratios"]["pymoo_dask_speedup_2_workers"],
            "targets_met": {
                "overhead_lt_5pct_at_10ms": c10["overhead_pct"] < 5.0,
                "speedup_ge_1.8_with_2_workers": par["ratios"]["workbench_speedup_2_workers"] >= 1.8,
                "speedup_ge_1.8_with_2_workers_end_to_end": par["ratios"]["workbench_speedup_2_workers_end_to_end"]
                >= 1.8,
            },
        },
    }
    results["load_average"] = {"start": load_start, "end": os.getloadavg()}
    results["total_benchmark_s"] = time.perf_counter() - t_start
    print(f"\ntotal {fmt(results['total_benchmark_s'])}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
