"""Non-dominated filtering and sorting: workbench vs moocore, paretoset and pymoo, side by side.

Run: ``python benchmarks/bench_pareto.py [--quick]``; results go to
``benchmarks/results/pareto.json``. The full grid takes about 10-15 minutes on 2 cores;
``--quick`` runs N = 1e4 only with two rounds (a smoke run, under a minute).

Cases: every shape x N in {1e4, 1e5, 1e6} x k in {2, 3, 5}, for the mask and for the full
non-dominated ranks, in one run. Shapes (all minimised, seeded):

- ``uniform``: U(0, 1)^k, few non-dominated rows.
- ``sphere``: ``1 - |z| / ||z||`` for standard normal z: points on the positive orthant of the
  unit sphere, flipped so that *every* row is non-dominated (checked below).
- ``ml``: the shape real ML candidates have (:func:`ml`): accuracy uniform in [0.80, 0.95];
  latency growing exponentially with accuracy; model size the same way, more gently; energy
  proportional to latency x size^0.3; a fairness gap shrinking with accuracy. k = 2 is accuracy
  and latency, k = 3 adds size, k = 5 all. Most candidates are far from a curved front of tens
  to a few thousand rows.
- ``tied``: integers 0..9 in every objective: many ties and duplicates.

Each cell is timed in interleaved rounds: every tool runs once per round, in a rotating order,
after one warm-up call on the same input (JIT, caches); the median of the rounds is reported
(5 rounds; 3 when a call takes over 1 s; one when one takes over 10 s, and a tool whose
warm-up took that long is reported by its warm-up). The machine's load
average is recorded per cell. A peer is skipped, with a note, when its time extrapolated
quadratically from the previous N exceeds 60 s; pymoo only runs for N <= 1e5. For every cell
all tools must agree on the mask (rows) and the ranks.

Peers, all minimising and keeping duplicates of non-dominated rows (as workbench does):

- ``moocore.is_nondominated(F, keep_weakly=True)`` and ``moocore.pareto_rank(F)``
- ``paretoset.paretoset(F, sense=["min"] * k, distinct=False, use_numba=True)``
- ``pymoo NonDominatedSorting().do(F, only_non_dominated_front=True)``; in pymoo 0.6.2 this
  calls ``moocore.pareto_rank`` (a full non-dominated sort) and keeps front 0.

``ratio`` is a peer's median over the workbench's (above 1: the workbench is faster);
``best_peer_ratio`` per cell is the fastest peer's. The summary lists the cells at N >= 1e5
where a peer is faster. ``before`` compares the workbench with the previous release's kernels
(``--before``, default :data:`PREVIOUS_RELEASE`), timed as one more contender in the same
interleaved rounds, on the same arrays, and checked against the same output
(``benchmarks/_release.py``); ``--before none`` leaves it out. The last lines
report the cold start of a fresh interpreter (import plus first calls): with the numba cache
populated, and with an empty cache (a fresh install).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
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

sys.path.insert(0, str(Path(__file__).parent))
from _release import PREVIOUS_RELEASE, Release, ReleaseUnavailable
from _shapes import ml

LIMIT_S = 60.0  # skip a peer whose extrapolated time exceeds this
PYMOO_MAX_N = 100_000
RESULTS = Path(__file__).parent / "results"
RELEASE = "release"  # the previous release's contender: not a peer, reported in ``before``


def uniform(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.random((n, k))


def sphere(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    z = np.abs(rng.standard_normal((n, k)))
    return 1.0 - z / np.linalg.norm(z, axis=1, keepdims=True)


def tied(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.integers(0, 10, (n, k)).astype(float)


DATA = {"uniform": uniform, "sphere": sphere, "ml": ml, "tied": tied}


def pymoo_mask(F: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(F), dtype=bool)
    mask[NonDominatedSorting().do(F, only_non_dominated_front=True)] = True
    return mask


MASK_TOOLS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "workbench": nondominated_mask,
    "moocore": lambda F: moocore.is_nondominated(F, keep_weakly=True),
    "paretoset": lambda F: paretoset.paretoset(F, sense=["min"] * F.shape[1], distinct=False, use_numba=True),
    "pymoo": pymoo_mask,
}

RANK_TOOLS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "workbench": nondominated_ranks,
    "moocore": moocore.pareto_rank,
}


def load() -> float:
    return round(os.getloadavg()[0], 2)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def timed(fn: Callable[[np.ndarray], np.ndarray], F: np.ndarray) -> tuple[float, np.ndarray]:
    if hasattr(fn, "timed"):  # the previous release, timed inside its worker process
        return fn.timed(F)
    t0 = time.perf_counter()
    out = fn(F)
    return time.perf_counter() - t0, out


def run_cell(tools: dict, F: np.ndarray, skip: dict[str, str], rounds: int) -> dict[str, dict]:
    """Warm every tool up on ``F``, then time it in interleaved rounds (rotating order)."""
    active = [t for t in tools if t not in skip]
    runs: dict[str, list[float]] = {t: [] for t in active}
    outs: dict[str, np.ndarray] = {}
    for tool in active:
        first, outs[tool] = timed(tools[tool], F)
        runs[tool].append(first)
    slowest = max(runs[t][0] for t in active)
    n_rounds = 1 if slowest > 10.0 else (min(rounds, 3) if slowest > 1.0 else rounds)
    # a tool whose warm-up took over 10 s is reported by it; the others still get a warm call
    again = [t for t in active if runs[t][0] <= 10.0]
    for tool in again:
        runs[tool].clear()
    for r in range(n_rounds if again else 0):  # every warm-up over 10 s: nothing to time again
        for tool in again[r % len(again) :] + again[: r % len(again)]:
            runs[tool].append(timed(tools[tool], F)[0])
    return {t: {"median_s": statistics.median(runs[t]), "runs_s": runs[t], "out": outs[t]} for t in active}


def run_table(title: str, tools: dict, sizes: list[int], max_n: dict, counted: str, rounds: int) -> list[dict]:
    """Every tool on every case; each must return exactly workbench's result."""
    print(f"\n{title}")
    header = f"{'N':>9} {'k':>2} {'data':<8} {'tool':<10} {'median':>10} {'peer/wb':>8} {counted:>9} agree load"
    print(header)
    print("-" * len(header))
    results = []
    last_time: dict[tuple, tuple[int, float]] = {}
    for n in sizes:
        for k in (2, 3, 5):
            for data, make in DATA.items():
                F = make(np.random.default_rng([n, k, len(data)]), n, k)
                skip = {}
                for tool in tools:
                    if tool == "workbench":  # the reference: always run
                        continue
                    previous = last_time.get((tool, k, data))
                    predicted = previous[1] * (n / previous[0]) ** 2 if previous else 0.0
                    if n > max_n.get(tool, n):
                        skip[tool] = f"not run for N > {max_n[tool]:.0e} (slow)"
                    elif predicted > LIMIT_S:
                        skip[tool] = (
                            f"predicted {predicted:.0f} s > {LIMIT_S:.0f} s (quadratic from N = {previous[0]:.0e})"
                        )
                load_before = load()
                timings = run_cell(tools, F, skip, rounds)
                reference = timings["workbench"]["out"]
                wb_time = timings["workbench"]["median_s"]
                peers = [timings[t]["median_s"] for t in timings if t not in ("workbench", RELEASE)]
                best = min(peers) / wb_time if peers else None
                for tool in tools:
                    row = {"n": n, "k": k, "data": data, "tool": tool, "load_1min": load_before}
                    if tool in skip:
                        row["skipped"] = skip[tool]
                        print(f"{n:>9} {k:>2} {data:<8} {tool:<10} {'-':>10} {'-':>8} {'-':>9} -     {skip[tool]}")
                        results.append(row)
                        continue
                    t = timings[tool]
                    out = t["out"]
                    last_time[(tool, k, data)] = (n, t["median_s"])
                    agree = out.shape == reference.shape and bool((out == reference).all())
                    count = int(np.count_nonzero(out)) if out.dtype == bool else int(out.max()) + 1
                    row.update(
                        median_s=t["median_s"],
                        runs_s=t["runs_s"],
                        ratio=t["median_s"] / wb_time,
                        agree=agree,
                        count=count,
                    )
                    if tool == "workbench":
                        row["best_peer_ratio"] = best
                    results.append(row)
                    print(
                        f"{n:>9} {k:>2} {data:<8} {tool:<10} {fmt(t['median_s']):>10} "
                        f"{t['median_s'] / wb_time:>8.2f} {count:>9} {'yes' if agree else 'NO':<5} "
                        f"{load_before}",
                        flush=True,
                    )
                    if not agree and tool == RELEASE:
                        print(f"    the previous release's output differs from today's on N={n}, k={k}, {data}")
                    elif not agree:
                        raise SystemExit(f"{tool} disagrees with workbench on N={n}, k={k}, {data}")
                if data == "sphere" and reference.dtype == bool and not reference.all():
                    raise SystemExit(f"sphere data N={n}, k={k} is not all non-dominated")
    return results


def cold_start(cache_dir: str | None) -> dict:
    """Time a fresh interpreter: import, then the first mask and ranks calls per k (10,000 rows,
    so the compiled kernels run), with and without tolerance."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "import numpy as np\n"
        "from workbench.analysis._pareto import nondominated_mask, nondominated_ranks\n"
        "t1 = time.perf_counter()\n"
        "rng = np.random.default_rng(0)\n"
        "for k in (2, 3, 5):\n"
        "    F = rng.random((10000, k)); nondominated_mask(F); nondominated_ranks(F)\n"
        "    nondominated_mask(F, np.full(k, 0.01)); nondominated_ranks(F, np.full(k, 0.01))\n"
        "t2 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1)\n"
    )
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    import_s, first_calls_s = map(float, out.stdout.split())
    return {"import_s": import_s, "first_calls_s": first_calls_s}


def summary(rows: list[dict]) -> dict:
    """Cells at N >= 1e5 where a peer is faster than the workbench (best peer ratio < 1)."""
    slower = [
        {"n": r["n"], "k": r["k"], "data": r["data"], "best_peer_ratio": r["best_peer_ratio"]}
        for r in rows
        if r["tool"] == "workbench"
        and r["n"] >= 100_000
        and r.get("best_peer_ratio") is not None
        and r["best_peer_ratio"] < 1.0
    ]
    cells = [r for r in rows if r["tool"] == "workbench" and r["n"] >= 100_000]
    return {"cells_n_ge_1e5": len(cells), "peer_faster": slower, "target_met": not slower}


def before(rows: list[dict]) -> list[dict]:
    """The workbench's medians against the previous release's, timed in the same rounds, per cell."""
    now = {(r["n"], r["k"], r["data"]): r for r in rows if r["tool"] == "workbench"}
    out = []
    for r in rows:
        key = (r["n"], r["k"], r["data"])
        if r["tool"] != RELEASE or r.get("median_s") is None or key not in now:
            continue
        out.append(
            {
                "n": key[0],
                "k": key[1],
                "data": key[2],
                "before_s": r["median_s"],
                "now_s": now[key]["median_s"],
                "speedup": r["median_s"] / now[key]["median_s"],
                "agree": r["agree"],
            }
        )
    return out


def peers_only(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["tool"] != RELEASE]


def strip(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "out"} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only N = 1e4, two rounds (smoke run)")
    parser.add_argument("--output", type=Path, default=RESULTS / "pareto.json")
    parser.add_argument(
        "--before",
        default=PREVIOUS_RELEASE,
        help=f"commit whose kernels run next to today's (default {PREVIOUS_RELEASE}, the previous release); 'none': skip",
    )
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    rounds = 2 if args.quick else 5
    started = time.perf_counter()
    load_start = load()
    release, release_note = None, None
    if args.before.lower() != "none":
        try:
            release = Release(args.before)
        except ReleaseUnavailable as e:
            release_note = str(e)
            print(f"no regression check: {e}")
    mask_tools, rank_tools = dict(MASK_TOOLS), dict(RANK_TOOLS)
    if release is not None:
        mask_tools[RELEASE], rank_tools[RELEASE] = release.tool("mask"), release.tool("ranks")

    mask_results = run_table(
        "non-dominated mask (median of interleaved rounds; peer/wb > 1 means workbench is faster)",
        mask_tools,
        sizes,
        {"pymoo": PYMOO_MAX_N},
        "non-dom",
        rounds,
    )
    rank_results = run_table(
        "non-dominated sorting: front index of every row",
        rank_tools,
        sizes,
        {},
        "fronts",
        rounds,
    )
    if release is not None:
        release.close()
    warm = cold_start(None)
    with tempfile.TemporaryDirectory() as empty:
        fresh = cold_start(empty)
    print(
        f"\ncold start (fresh interpreter; mask + ranks for k = 2, 3, 5 on 10,000 rows, with and "
        f"without tolerance): numba cache populated: import {fmt(warm['import_s'])}, first calls "
        f"{fmt(warm['first_calls_s'])}; empty cache (fresh install): first calls {fmt(fresh['first_calls_s'])}"
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
            "run_at_utc": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            "loadavg_1min_at_start": load_start,
        },
        "quick": args.quick,
        "seconds": round(time.perf_counter() - started, 1),
        "mask": strip(peers_only(mask_results)),
        "ranks": strip(peers_only(rank_results)),
        "summary": {"mask": summary(mask_results), "ranks": summary(rank_results)},
        "before": {
            "ref": args.before,
            "commit": None if release is None else release.commit,
            "note": release_note,
            "mask": before(mask_results),
            "ranks": before(rank_results),
        },
        "cold_start": warm,
        "cold_start_fresh_cache": fresh,
        "loadavg_1min_at_end": load(),
    }
    for table in ("mask", "ranks"):
        s = results["summary"][table]
        print(
            f"{table}: {len(s['peer_faster'])} of {s['cells_n_ge_1e5']} cells at N >= 1e5 with a faster peer: "
            + ", ".join(f"{c['n']:.0e} x {c['k']} {c['data']} ({c['best_peer_ratio']:.2f})" for c in s["peer_faster"])
        )
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.output} in {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
