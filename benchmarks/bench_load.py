"""Load: the engine and the explorer at the sizes the hardening issue names.

* ``analyze`` on 1e6 candidates x 5 objectives (correlated objectives with a real trade-off, about
  a fifth infeasible, constraints absolute and relative to a champion, weights, fixed bounds and a
  tolerance): the default options, and what an analyst runs (``smaa=10_000, seed=0`` and a
  champion). Target: peak memory < 4 GiB. Peers: the Pareto filter alone on the same data by
  ``moocore.is_nondominated`` and ``paretoset``, side by side with ``workbench``'s own kernel.
* ``monitoring.aggregate`` over 1e8 request-log rows in Parquet (20 versions, 3 days, hourly
  windows) with the DuckDB engine under a memory limit well below the data's in-memory size;
  checked against a hand-written DuckDB query (counts, p95, error rate, cost of every group).
  Target: completes under the limit.
* ``widgets.TradeoffExplorer`` with 100,000 candidates x 5: build, weight move, method change,
  constraint what-if, a brush selecting ~1,000 candidates, and the JSON bytes each update sends.
  Targets: weight move median < 300 ms and p90 < 500 ms; other interactions < 2 s.

Every scenario runs in a fresh child process, so its peak RSS (``VmHWM``) is its own;
``baseline_mb`` is the peak after imports, ``data_mb`` the peak once the input exists.
Generated log files (1.7 GB) live in ``--data`` (default ``benchmarks/data/load``, git-ignored) and
are reused across runs when their row count matches.

Run: ``python benchmarks/bench_load.py`` (about 15 min on 2 cores); results go to
``benchmarks/results/load.json``. ``--quick`` runs every scenario at a tiny size into a temporary
folder without touching the results (used by the tests so the script cannot rot).
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling benchmark modules (also when imported by the smoke test)

from _memory import peak_mb  # noqa: E402

RESULTS = HERE / "results" / "load.json"
NAMES = ["acc", "latency_ms", "cost", "energy", "fairness_gap"]
DIRS = ["max", "min", "min", "min", "min"]
GiB = 2**30
SIZES = {  # full / quick
    "analyze_n": (1_000_000, 5_000),
    "smaa": (10_000, 500),
    "log_rows": (100_000_000, 200_000),
    "log_files": (20, 2),
    "widget_n": (100_000, 3_000),
}
VERSIONS, LOG_DAYS = 20, 3
MEMORY_LIMIT = ("1GiB", "256MiB")
TARGETS = {
    "analyze_peak_gib": 4.0,
    "weight_move_median_ms": 300.0,
    "weight_move_p90_ms": 500.0,
    "other_interaction_s": 2.0,
}
PEAK = {"baseline_mb": 0.0, "data_mb": 0.0}


def size(key: str, quick: bool) -> Any:
    return SIZES[key][1 if quick else 0]


# --- data ----------------------------------------------------------------------------------------


def quality_model(relative: bool = True):
    from workbench import QualityModel

    constraints = ["latency_ms <= 150", "fairness_gap <= 0.12"]
    if relative:
        constraints.append("cost <= 1.5 * champion")
    return QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": "acc",
                    "direction": "max",
                    "weight": 3,
                    "bounds": {"ideal": 1.0, "nadir": 0.5},
                    "tolerance": 0.001,
                    "constraint": ">= 0.7",
                },
                {
                    "name": "latency_ms",
                    "direction": "min",
                    "unit": "ms",
                    "weight": 1,
                    "bounds": {"ideal": 0.0, "nadir": 300.0},
                },
                {"name": "cost", "direction": "min", "unit": "USD", "weight": 1},
                {"name": "energy", "direction": "min", "unit": "Wh", "weight": 0.5},
                {"name": "fairness_gap", "direction": "min", "weight": 0.5},
            ],
            "constraints": constraints,
            "stakeholders": {"ops": {"acc": 1, "latency_ms": 3, "cost": 2, "energy": 1, "fairness_gap": 1}},
        }
    )


def candidates(n: int, seed: int = 0):
    """A realistic candidate table: model size drives accuracy up (diminishing returns) and latency,
    cost and energy up (correlated, with noise); the fairness gap shrinks a little with size."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    s = rng.uniform(0.0, 1.0, n)
    acc = 0.55 + 0.4 * (1 - np.exp(-3.0 * s)) - np.abs(rng.normal(0.0, 0.03, n))
    latency = 5.0 + 200.0 * s**1.5 * np.exp(rng.normal(0.0, 0.15, n))
    cost = 0.1 + 2.0 * s * np.exp(rng.normal(0.0, 0.2, n)) + 0.002 * latency
    energy = 0.05 + 1.5 * s * np.exp(rng.normal(0.0, 0.25, n))
    fairness = np.abs(rng.normal(0.06 - 0.03 * s, 0.03, n))
    df = pd.DataFrame(
        {
            "id": pd.Series([f"c{i:07d}" for i in range(n)], dtype="str"),
            "acc": acc,
            "latency_ms": latency,
            "cost": cost,
            "energy": energy,
            "fairness_gap": fairness,
        }
    )
    return df


def champion_of(df) -> str:
    """A middle-of-the-road feasible model as champion (cost near the median)."""
    import numpy as np

    ok = (df["acc"] >= 0.8) & (df["latency_ms"] <= 100) & (df["fairness_gap"] <= 0.1)
    sub = df[ok]
    return str(sub["id"].iloc[int(np.argmin(np.abs(sub["cost"].to_numpy() - sub["cost"].median())))])


def generate_logs(rows: int, files: int, folder: Path) -> Path:
    """Write ``rows`` request-log rows as ``files`` Parquet files with DuckDB (time-ordered per file).

    Reused when ``_rows`` in the folder says the same row count. Latency is log-normal, slower
    for higher versions; errors 1-5 %; cost gamma-like.
    """
    import duckdb

    marker = folder / "_rows"
    if (
        marker.exists()
        and marker.read_text().strip() == str(rows)
        and len(list(folder.glob("part-*.parquet"))) == files
    ):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    marker.unlink(missing_ok=True)
    span_us = LOG_DAYS * 86400 * 1_000_000
    per = rows // files
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SELECT setseed(0.42)")
    for part in range(files):
        first = part * per
        n = per if part < files - 1 else rows - first
        target = str(folder / f"part-{part:03d}.parquet").replace("'", "''")
        con.execute(f"""
            COPY (
              SELECT make_timestamptz(1767225600000000 + CAST(CAST(r AS HUGEINT) * {span_us} // {rows} AS BIGINT))
                       AS "timestamp",
                     'v' || lpad(CAST(v AS VARCHAR), 2, '0') AS version,
                     exp(3.0 + 0.02 * v + 0.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
                       AS latency_ms,
                     random() < 0.01 + 0.002 * v AS error,
                     0.0005 * (1 + v / 10) * -ln((1 - random()) * (1 - random())) AS cost_usd
              FROM (SELECT r, CAST(hash(r) % {VERSIONS} AS INTEGER) AS v
                    FROM range({first}, {first + n}) t(r))
              ORDER BY r
            ) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 1000000, COMPRESSION zstd)""")
    con.close()
    marker.write_text(f"{rows}\n")
    return folder


# --- scenarios (each in its own child process) ---------------------------------------------------


def run_analyze(quick: bool, analyst: bool) -> dict[str, Any]:
    import numpy as np  # noqa: F401

    import workbench
    from workbench import analyze

    analyze(candidates(300, seed=5), quality_model(relative=False), smaa=50)  # numba caches, lazy imports
    PEAK["baseline_mb"] = peak_mb()
    df = candidates(size("analyze_n", quick))
    champion = champion_of(df)
    qm = quality_model(relative=analyst)
    PEAK["data_mb"] = peak_mb()
    options: dict[str, Any] = {"smaa": size("smaa", quick), "seed": 0, "champion": champion} if analyst else {}
    c0, t0 = time.process_time(), time.perf_counter()
    a = analyze(df, qm, **options)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    t = a.table
    out = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "candidates": len(t),
        "objectives": len(NAMES),
        "options": {k: v for k, v in options.items()},
        "feasible": int(t["feasible"].sum()),
        "front_size": len(a.front),
        "unconstrained_pareto": int(t["pareto"].sum()),
        "recommended": a.recommended,
        "hypervolume": a.hypervolume,
        "notes": list(a.notes),
        "workbench": workbench.__version__,
    }
    if analyst:
        out["top_acceptability"] = float(t["acceptability"].max())
    return out


def run_pareto_peers(quick: bool) -> dict[str, Any]:
    """The Pareto filter alone (minimisation matrix of the same data): workbench, moocore, paretoset."""
    import numpy as np

    from workbench.analysis.pareto import front_mask
    from workbench.analysis.problem import problem

    df = candidates(size("analyze_n", quick))
    prob = problem(df, quality_model(relative=False))
    F = np.ascontiguousarray(prob.F)
    front_mask(F[:500], None)  # numba compile
    PEAK["baseline_mb"] = PEAK["data_mb"] = peak_mb()
    out: dict[str, Any] = {"candidates": len(F)}
    masks = {}

    def timed(name: str, fn) -> None:
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            masks[name] = np.asarray(fn(), dtype=bool)
            runs.append(time.perf_counter() - t0)
            if runs[-1] > 20:  # one run is enough to compare a slow peer
                break
        out[name] = {
            "median_s": statistics.median(runs),
            "runs_s": [round(r, 3) for r in runs],
            "front_size": int(masks[name].sum()),
        }

    timed("workbench", lambda: front_mask(F, None))
    try:
        import moocore

        timed("moocore", lambda: moocore.is_nondominated(F))
    except ImportError:
        pass
    try:
        import paretoset

        timed("paretoset", lambda: paretoset.paretoset(F, sense=["min"] * F.shape[1], distinct=False))
    except ImportError:
        pass
    out["same_front"] = all(np.array_equal(m, masks["workbench"]) for m in masks.values())
    return out


def run_monitoring(quick: bool, folder: str, hand: bool, limited: bool = True) -> dict[str, Any]:
    import duckdb
    import pandas as pd  # noqa: F401

    from workbench.monitoring import aggregate

    limit = MEMORY_LIMIT[1 if quick else 0]
    files = sorted(str(p) for p in Path(folder).glob("part-*.parquet"))
    PEAK["baseline_mb"] = PEAK["data_mb"] = peak_mb()
    spill = {"max_bytes": 0}
    if not hand:
        import threading

        stop = threading.Event()

        def watch() -> None:  # the spill folder aggregate() creates under the system temp dir
            tmp = Path(tempfile.gettempdir())
            while not stop.is_set():
                total = 0
                for d in tmp.glob("workbench-duckdb-*"):
                    for f in d.rglob("*"):
                        try:
                            total += f.stat().st_size
                        except OSError:
                            pass
                spill["max_bytes"] = max(spill["max_bytes"], total)
                time.sleep(0.25)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        t0 = time.perf_counter()
        out = aggregate(files, window="1h", memory_limit=limit)
        seconds = time.perf_counter() - t0
        stop.set()
        watcher.join()
        rows = out.assign(
            start_us=(out["window_start"] - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(1, "us")
        )
    else:
        import shutil

        t0 = time.perf_counter()
        con = duckdb.connect()
        spill_dir = tempfile.mkdtemp(prefix="bench-load-duckdb-")
        try:
            if limited:  # the same limit, spill folder and settings as the product
                con.execute(f"SET memory_limit = '{limit}'")
                con.execute("SET preserve_insertion_order = false")
                con.execute(f"SET temp_directory = '{spill_dir}'")
            else:
                limit = None
            rows = con.execute(
                "SELECT version, h * 3600000000 AS start_us, count(*) AS n_requests, "
                "quantile_cont(latency_ms, 0.95) AS latency_p95_ms, avg(error::DOUBLE) AS error_rate, "
                "sum(cost_usd) / count(*) * 1000 AS cost_per_1k "
                'FROM (SELECT version, epoch_us("timestamp") // 3600000000 AS h, latency_ms, error, cost_usd '
                f"FROM read_parquet({files!r})) GROUP BY version, h ORDER BY version, start_us"
            ).df()
        finally:
            con.close()
            shutil.rmtree(spill_dir, ignore_errors=True)
        seconds = time.perf_counter() - t0
    cols = ["version", "start_us", "n_requests", "latency_p95_ms", "error_rate", "cost_per_1k"]
    if not (hand and limited):
        rows[cols].to_parquet(Path(folder) / f"_out_{'hand' if hand else 'workbench'}.parquet")
    return {
        "seconds": seconds,
        "groups": len(rows),
        "rows_in": int(rows["n_requests"].sum()),
        "memory_limit": limit,
        "spill_peak_mb": spill["max_bytes"] / 2**20 if not hand else None,
    }


def run_widget(quick: bool) -> dict[str, Any]:
    import bench_widgets as bw
    import comm
    import numpy as np

    comm.create_comm = bw._packing_comm  # every widget message serialised as the kernel would
    from widgets import TradeoffExplorer
    from workbench import views

    TradeoffExplorer(candidates(300, seed=5), quality_model(relative=False))  # imports, numba, Vega bundle
    PEAK["baseline_mb"] = peak_mb()
    n = size("widget_n", quick)
    df, qm = candidates(n), quality_model(relative=False)
    PEAK["data_mb"] = peak_mb()
    sent = bw.PackingComm

    def step(fn) -> tuple[float, int, float]:
        """Wall seconds, bytes sent and CPU seconds of this process (the machine is shared)."""
        before = sent.sent_bytes
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        return time.perf_counter() - t0, sent.sent_bytes - before, time.process_time() - c0

    t0 = time.perf_counter()
    ex = TradeoffExplorer(df, qm, x="latency_ms", y="acc")
    build_s = time.perf_counter() - t0
    assert ex.error_text == "", ex.error_text

    # the explorer's public state, set as its controls set it
    def weigh(v: float) -> None:
        ex.weights = {**ex.weights, "latency_ms": v}

    def limit(v: float) -> None:
        ex.limits = {**ex.limits, "latency_ms <= 150": v}

    values = [1.0 + 0.35 * (i % 12) for i in range(bw.MOVES + 2)]
    weigh(values[0])  # warm-up
    weigh(values[1])
    moves = [step(lambda v=v: weigh(v)) for v in values[2:]]
    assert ex.error_text == "", ex.error_text
    methods = [
        step(lambda m=m: setattr(ex, "method", m)) for m in ("tchebycheff", "weighted_sum", "asf", "weighted_sum")
    ]
    constraints = [step(lambda v=v: limit(v)) for v in (120.0, 150.0, 130.0, 150.0)]
    assert ex.error_text == "", ex.error_text
    # a brush over the Pareto view selecting ~1,000 candidates, sent as the front end does
    lat = np.sort(df["latency_ms"].to_numpy())
    target = min(1_000, n // 3)
    lo, hi = float(lat[n // 2]), float(lat[n // 2 + target - 1])
    acc = (float(df["acc"].min()), float(df["acc"].max()))
    brushes = []
    for shift in range(5):
        a, b = float(lat[n // 2 + shift]), float(lat[n // 2 + shift + target - 1])
        brushes.append(step(lambda a=a, b=b: setattr(ex, "brush", {"latency_ms": [a, b], "acc": list(acc)})))
    ex.brush = {"latency_ms": [lo, hi], "acc": list(acc)}
    selected = len(ex.selected)
    assert selected > 0, "the brush selects nothing"
    clear = [step(ex.clear_brush)]

    def summary(steps: list[tuple[float, int, float]]) -> dict[str, Any]:
        s = [t for t, _, _ in steps]
        return {
            "median_ms": round(statistics.median(s) * 1000, 1),
            "cpu_median_ms": round(statistics.median(c for _, _, c in steps) * 1000, 1),
            "p90_ms": round(float(np.percentile(s, 90)) * 1000, 1),
            "runs_ms": [round(t * 1000, 1) for t in s],
            "sent_kb_median": round(statistics.median(b for _, b, _ in steps) / 1024, 1),
        }

    return {
        "candidates": n,
        "objectives": len(NAMES),
        "build_s": build_s,
        "drawn_points": len(views.pareto_live(ex.analysis, "latency_ms", "acc").drawn),
        "weight_move": summary(moves),
        "method_change": summary(methods),
        "constraint_move": summary(constraints),
        "brush_1000": summary(brushes),
        "brushed_candidates": selected,
        "brush_clear": summary(clear),
    }


def child(args: argparse.Namespace) -> None:
    name = args.child
    try:
        report = _scenario(name, args)
    except Exception as exc:  # noqa: BLE001 - a failure is a result too (e.g. out of memory), with its peak
        report = {"failed": True, "error": f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"}
    report.update(
        peak_mb=peak_mb(),
        baseline_mb=PEAK["baseline_mb"],
        data_mb=PEAK["data_mb"],
        loadavg_1min_after=round(os.getloadavg()[0], 2),
    )
    print("RESULT " + json.dumps(report, default=str))


def _scenario(name: str, args: argparse.Namespace) -> dict[str, Any]:
    if name in ("analyze_default", "analyze_analyst"):
        report = run_analyze(args.quick, analyst=name == "analyze_analyst")
    elif name == "pareto_peers":
        report = run_pareto_peers(args.quick)
    elif name in ("monitoring", "monitoring_hand", "monitoring_hand_limited"):
        report = run_monitoring(args.quick, args.data, hand=name != "monitoring", limited=name != "monitoring_hand")
    else:
        report = run_widget(args.quick)
    return report


def in_child(name: str, quick: bool, data: Path, timeout: float = 3600) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", name, "--data", str(data)] + (["--quick"] if quick else [])
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
        return {
            "failed": True,
            "returncode": proc.returncode,
            "stderr": proc.stderr[-3000:],
            "error": next((x for x in reversed(lines) if "Error" in x or "Exception" in x), ""),
        }
    return json.loads(line[0][7:])


def compare_monitoring(folder: Path) -> dict[str, Any]:
    """The product's hourly groups against the hand query's: same keys, counts, p95, rates."""
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(folder / "_out_workbench.parquet").sort_values(["version", "start_us"]).reset_index(drop=True)
    b = pd.read_parquet(folder / "_out_hand.parquet").sort_values(["version", "start_us"]).reset_index(drop=True)
    same_keys = a[["version", "start_us"]].astype(str).equals(b[["version", "start_us"]].astype(str))
    out: dict[str, Any] = {"groups": len(a), "same_groups": bool(same_keys)}
    if same_keys:
        out["same_counts"] = bool((a["n_requests"].to_numpy() == b["n_requests"].to_numpy()).all())
        for c in ("latency_p95_ms", "error_rate", "cost_per_1k"):
            out[f"max_rel_diff_{c}"] = float(np.max(np.abs(a[c] - b[c]) / np.maximum(np.abs(b[c]), 1e-300)))
        out["agree"] = out["same_counts"] and all(
            out[f"max_rel_diff_{c}"] < 1e-9 for c in ("latency_p95_ms", "error_rate", "cost_per_1k")
        )
    else:
        out["agree"] = False
    return out


def machine() -> dict[str, Any]:
    import duckdb
    import numpy as np
    import pandas as pd

    try:
        import psutil

        ram = psutil.virtual_memory().total / GiB
    except ImportError:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB
    return {
        "cpus": os.cpu_count(),
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        "run_at_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_1min_at_start": round(os.getloadavg()[0], 2),
        "note": "2 cores shared with other work: wall times vary with the load (see loadavg_* and cpu_*)",
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, temporary data, no results file")
    parser.add_argument(
        "--data",
        type=Path,
        default=HERE / "data" / "load",
        help="folder for the generated logs (about 1.7 GB; kept for the next run)",
    )
    parser.add_argument("--only", nargs="*", choices=("analyze", "monitoring", "widget"))
    parser.add_argument("--out", type=Path, default=None, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return {}
    only = set(args.only or ("analyze", "monitoring", "widget"))
    quick = args.quick
    tmp = tempfile.TemporaryDirectory(prefix="bench-load-") if quick else None
    data = Path(tmp.name) if tmp else args.data
    results: dict[str, Any] = {"machine": machine(), "quick": quick, "targets": TARGETS}
    t_all = time.perf_counter()
    try:
        if "analyze" in only:
            for name in ("analyze_default", "analyze_analyst"):
                r = in_child(name, quick, data)
                if not r.get("failed"):
                    r["meets_target"] = r["peak_mb"] / 1024 < TARGETS["analyze_peak_gib"]
                results[name] = r
                print(_line(name, r))
            r = in_child("pareto_peers", quick, data)
            if not r.get("failed"):
                base = r["workbench"]["median_s"]
                r["ratios_vs_workbench"] = {k: r[k]["median_s"] / base for k in ("moocore", "paretoset") if k in r}
            results["pareto_peers"] = r
            print(_line("pareto_peers", r))
        if "monitoring" in only:
            logs = data / "logs"
            rows, nfiles = size("log_rows", quick), size("log_files", quick)
            t0 = time.perf_counter()
            generate_logs(rows, nfiles, logs)
            parquet = sum(p.stat().st_size for p in logs.glob("part-*.parquet"))
            results["monitoring_data"] = {
                "rows": rows,
                "files": nfiles,
                "versions": VERSIONS,
                "days": LOG_DAYS,
                "window": "1h",
                "parquet_mb": round(parquet / 2**20, 1),
                "in_memory_mb_estimate": round(rows * (8 + 8 + 8 + 1 + 8 + 4) / 2**20),
                "ready_s": round(time.perf_counter() - t0, 1),
            }
            print(
                f"logs: {rows:,} rows, {parquet / 2**20:.0f} MB Parquet, ready in {results['monitoring_data']['ready_s']} s"
            )
            for name in ("monitoring", "monitoring_hand", "monitoring_hand_limited"):
                results[name] = r = in_child(name, quick, logs)
                print(_line(name, r))
            if not results["monitoring"].get("failed") and not results["monitoring_hand"].get("failed"):
                results["monitoring_check"] = compare_monitoring(logs)
                results["monitoring"]["ratio_vs_hand_time"] = (
                    results["monitoring"]["seconds"] / results["monitoring_hand"]["seconds"]
                )
                print("check against the hand query:", results["monitoring_check"])
        if "widget" in only:
            r = in_child("widget", quick, data)
            if not r.get("failed"):
                others = ("method_change", "constraint_move", "brush_1000", "brush_clear")
                r["meets_target"] = {
                    "weight_move": r["weight_move"]["median_ms"] < TARGETS["weight_move_median_ms"]
                    and r["weight_move"]["p90_ms"] < TARGETS["weight_move_p90_ms"],
                    **{k: r[k]["median_ms"] / 1000 < TARGETS["other_interaction_s"] for k in others},
                }
            results["widget"] = r
            print(_line("widget", r))
    finally:
        if tmp is not None:
            tmp.cleanup()
    results["total_benchmark_s"] = round(time.perf_counter() - t_all, 1)
    if not quick or args.out is not None:
        out = args.out or RESULTS
        out.parent.mkdir(parents=True, exist_ok=True)
        sys.path.insert(0, str(HERE.parent))
        from workbench._io import atomic_write_text

        atomic_write_text(out, json.dumps(results, indent=1, default=str) + "\n")
        print(f"wrote {out}")
    return results


def _line(name: str, r: dict[str, Any]) -> str:
    if r.get("failed"):
        return f"{name:16s} FAILED (peak {r.get('peak_mb', r.get('maxrss_mb', 0)):.0f} MB): {r['error'][:300]}"
    mem = f"peak {r['peak_mb']:7.0f} MB (after imports {r['baseline_mb']:5.0f}, with data {r['data_mb']:5.0f})"
    if name.startswith("analyze"):
        return (
            f"{name:16s} {r['seconds']:7.2f} s  {mem}  front {r['front_size']:,} of {r['candidates']:,} "
            f"({r['feasible']:,} feasible); target < 4 GiB: {'met' if r['meets_target'] else 'MISSED'}"
        )
    if name == "pareto_peers":
        return f"{name:16s} " + "  ".join(
            f"{k} {r[k]['median_s']:.2f} s ({r[k]['front_size']:,})"
            for k in ("workbench", "moocore", "paretoset")
            if k in r
        )
    if name.startswith("monitoring"):
        spill = "" if r.get("spill_peak_mb") is None else f", spill peak {r['spill_peak_mb']:.0f} MB"
        if r.get("memory_limit") is None:
            spill += " (no limit)"
        return (
            f"{name:16s} {r['seconds']:7.2f} s  {mem}  limit {r['memory_limit']}{spill}; "
            f"{r['groups']:,} groups, {r['rows_in']:,} rows"
        )
    parts = "; ".join(
        f"{k} median {r[k]['median_ms']:.0f} ms p90 {r[k]['p90_ms']:.0f} ms "
        f"(cpu {r[k]['cpu_median_ms']:.0f} ms, {r[k]['sent_kb_median']:.0f} KB)"
        for k in ("weight_move", "method_change", "constraint_move", "brush_1000", "brush_clear")
    )
    return f"{name:16s} build {r['build_s']:.2f} s  {mem}; {parts}"


if __name__ == "__main__":
    main()
