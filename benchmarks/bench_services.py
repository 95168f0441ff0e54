"""Team services: reading runs from an MLflow tracking server, appending decisions to PostgreSQL.

* **MLflow tracking server over HTTP** (``mlflow server`` of the full mlflow package, SQLite back
  end, on 127.0.0.1, started as the test fixtures start it: ``tests/_services.py``), holding one
  experiment of 3,000 runs (1,000 candidates x 3 seeds, ``tests/services/mlflow_populate.py``).
  ``workbench.load("mlflow:http://...#bench")`` (the candidates table with per-seed replicates)
  against the peer ``mlflow.search_runs(experiment_names=["bench"])`` (a flat runs DataFrame) on
  the same server; median of ``--repeat`` reads each, interleaved. Ratio = peer / workbench.
* **Decision append throughput** on PostgreSQL (Debian's ``postgresql``, started like the test
  fixture: initdb + pg_ctl on 127.0.0.1, password auth, ``fsync=off`` as in the tests) with 8
  concurrent writer processes, each opening its own ``DecisionLog(url)`` and appending accepted
  decisions (``supersedes='latest'``: each append supersedes the newest accepted one under the
  log's lock, as concurrent ``workbench decide --supersedes latest`` calls do); against one
  writer on the same server and one writer on the embedded default (a SQLite file). Decisions/s
  = decisions / wall time from the writers' common start to the last one's end; every decision
  is checked present exactly once afterwards, with one supersede chain.

Run: ``python benchmarks/bench_services.py`` (a few minutes; needs ``.venv-mlflow-server`` or
``WORKBENCH_MLFLOW_SERVER_PYTHON`` and the postgresql server binaries, as ``.ci/run`` installs
them); results go to ``benchmarks/results/services.json``. ``--quick`` runs tiny sizes into a
temporary file without touching the results. ``--only mlflow|postgres`` runs one part.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # tests._services: the one place that knows how to start the services

RESULTS = HERE / "results" / "services.json"
SIZES = {  # full / quick
    "candidates": (1_000, 10),
    "seeds": (3, 3),
    "repeat": (5, 1),
    "per_writer": (50, 3),
}
WRITERS = 8


def size(key: str, quick: bool) -> int:
    return SIZES[key][1 if quick else 0]


# --- MLflow tracking server --------------------------------------------------------------------


def run_mlflow(quick: bool) -> dict[str, Any]:
    import mlflow

    import workbench as wb
    from tests import _services

    cmd = _services.mlflow_server_command()
    if cmd is None:
        return {
            "skipped": "the full mlflow package (with its server) is not installed (.ci/run installs it "
            "into .venv-mlflow-server)"
        }
    n, seeds, repeat = size("candidates", quick), size("seeds", quick), size("repeat", quick)
    folder = Path(tempfile.mkdtemp(prefix="wb-bench-mlflow-"))
    backend = f"sqlite:///{folder / 'server.db'}"
    started = time.perf_counter()
    subprocess.run(
        [cmd[0], str(ROOT / "tests" / "services" / "mlflow_populate.py"), backend, "bench", str(n), str(seeds)],
        check=True,
        capture_output=True,
        timeout=3600,
    )
    populate = time.perf_counter() - started
    server = _services.start_mlflow_server(backend, folder)
    try:
        spec = f"mlflow:{server.url}#bench"
        mlflow.set_tracking_uri(server.url)  # the peer reads the same server over HTTP
        wb_times, peer_times = [], []
        cands = runs = None
        for _ in range(repeat + 1):  # the first round warms both (server caches, imports)
            t0 = time.perf_counter()
            cands = wb.load(spec)
            t1 = time.perf_counter()
            runs = mlflow.search_runs(experiment_names=["bench"])
            t2 = time.perf_counter()
            wb_times.append(t1 - t0)
            peer_times.append(t2 - t1)
        wb_times, peer_times = wb_times[1:], peer_times[1:]
        wb_med, peer_med = statistics.median(wb_times), statistics.median(peer_times)
        return {
            "runs": n * seeds,
            "candidates": n,
            "seeds": seeds,
            "repeat": repeat,
            "populate_s": round(populate, 2),
            "workbench_s": wb_med,
            "search_runs_s": peer_med,
            "ratio": peer_med / wb_med,
            "workbench_all_s": wb_times,
            "search_runs_all_s": peer_times,
            "workbench_candidates": len(cands.table),
            "search_runs_rows": len(runs),
            "same_runs": len(runs) == n * seeds,
            "mlflow_client": mlflow.__version__,
            "mlflow_server": subprocess.run(
                [cmd[0], "-c", "import mlflow; print(mlflow.__version__)"], capture_output=True, text=True, check=False
            ).stdout.strip(),
        }
    finally:
        server.stop()


# --- PostgreSQL decision log -------------------------------------------------------------------


def _writer(url: str, count: int, barrier: Any, out: Any, name: str) -> None:
    from workbench.decisions import DecisionLog, DecisionRecord

    with DecisionLog(url) as log:
        len(log)  # connected and the schema in place before the clock starts
        barrier.wait()
        start = time.time()
        for i in range(count):
            log.append(
                DecisionRecord(chosen="ab"[i % 2], candidates=("a", "b"), rationale=f"{name}-{i}", supersedes="latest")
            )
        out.put((start, time.time()))


def append_throughput(url: str, writers: int, per_writer: int) -> dict[str, Any]:
    """``writers`` processes appending ``per_writer`` decisions each; decisions/s and the check."""
    from workbench.decisions import DecisionLog

    DecisionLog(url).close()  # an initialised log: the figure is appends, not schema creation
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(writers), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, per_writer, barrier, out, f"w{k}")) for k in range(writers)]
    for p in procs:
        p.start()
    spans: list[tuple[float, float]] = []
    while len(spans) < writers:
        try:
            spans.append(out.get(timeout=1))
        except queue.Empty:
            if any(p.exitcode for p in procs):
                for p in procs:
                    p.terminate()
                raise RuntimeError(f"a writer failed: exit codes {[p.exitcode for p in procs]}") from None
    for p in procs:
        p.join()
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    with DecisionLog(url) as log:
        records = log.list()
        chosen = [r.rationale for r in records]
        latest = log.latest()
        chain = log.chain()
    total = writers * per_writer
    return {
        "writers": writers,
        "decisions": total,
        "wall_s": wall,
        "decisions_per_s": total / wall,
        "present_once": len(chosen) == total and len(set(chosen)) == total,
        "one_chain": sum(r.supersedes is None for r in records) == 1
        and len(chain) == total
        and chain[-1].id == latest.id,
    }


def run_postgres(quick: bool) -> dict[str, Any]:
    import _pytest.outcomes

    from tests import _services

    per_writer = size("per_writer", quick)
    try:
        server = _services.start_postgres()
    except _pytest.outcomes.Skipped as exc:
        return {"skipped": str(exc)}
    os.environ["PGPASSWORD"] = server.password  # libpq reads it; the URL carries no password
    try:
        many = append_throughput(
            server.url(server.create_database("bench_" + uuid.uuid4().hex[:8])), WRITERS, per_writer
        )
        one = append_throughput(
            server.url(server.create_database("bench_" + uuid.uuid4().hex[:8])), 1, per_writer * WRITERS
        )
        import psycopg

        with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname="postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    finally:
        server.stop()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = append_throughput(f"sqlite:///{Path(tmp) / 'decisions.db'}", 1, per_writer * WRITERS)
    return {
        "postgres_8": many,
        "postgres_1": one,
        "sqlite_1": sqlite,
        "postgres_version": version,
        "server_settings": "fsync=off, max_connections=200 (the test fixture's)",
    }


# --- main --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import pandas

    import workbench

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "workbench": workbench.__version__,
        "run_at_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes into a temporary file")
    parser.add_argument("--only", choices=["mlflow", "postgres"], help="run one part")
    parser.add_argument("--out", type=Path, default=None, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    out = args.out or (Path(tempfile.mkdtemp()) / "services.json" if args.quick else RESULTS)
    results: dict[str, Any] = {"quick": args.quick, "machine": machine()}
    if args.only in (None, "mlflow"):
        results["mlflow"] = run_mlflow(args.quick)
    if args.only in (None, "postgres"):
        results["postgres"] = run_postgres(args.quick)
    from workbench._io import atomic_write_text

    atomic_write_text(out, json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
