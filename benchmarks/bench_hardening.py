"""Hardening figures: run ``tests/hardening`` with many generated inputs and publish the counters.

    python benchmarks/bench_hardening.py            # thorough profile (1,000 examples per property)
    python benchmarks/bench_hardening.py --quick    # the CI profile

Writes ``benchmarks/results/hardening.json``: per area, the inputs tried, how many were accepted or
rejected with a clear ``WorkbenchError``, unhandled exceptions, invariant checks and violations,
attack strings tried and successes, faults injected and data lost. Exit 1 if pytest failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench._io import atomic_write_text  # noqa: E402

TOTALS = (
    "inputs_tried",
    "accepted",
    "rejected",
    "unhandled",
    "unclear_message",
    "invariant_checked",
    "invariant_violated",
    "attack_tried",
    "attack_succeeded",
    "fault_injected",
    "data_lost",
)


def summarise(areas: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    out = {}
    for area, counts in areas.items():
        row = {k: int(counts.get(k, 0)) for k in TOTALS}
        row["inputs_tried"] = row["accepted"] + row["rejected"] + row["unhandled"]
        out[area] = row
    out["total"] = {k: sum(r[k] for r in out.values()) for k in TOTALS}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI profile (fewer examples)")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "benchmarks" / "results" / "hardening.json")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -k fuzz)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "tally.json"
        env = {
            **os.environ,
            "HYPOTHESIS_PROFILE": "ci" if args.quick else "thorough",
            "WORKBENCH_HARDENING_REPORT": str(raw),
        }
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/hardening", "-q", "-p", "no:cacheprovider", *args.pytest_args],
            cwd=ROOT,
            env=env,
        )
        elapsed = time.perf_counter() - started
        data = json.loads(raw.read_text()) if raw.exists() else {"exitstatus": proc.returncode, "areas": {}}
    rows = summarise(data["areas"])
    report = {
        "profile": env["HYPOTHESIS_PROFILE"],
        "pytest_exit": proc.returncode,
        "seconds": round(elapsed, 1),
        "areas": rows,
    }
    atomic_write_text(args.output, json.dumps(report, indent=2) + "\n")
    cols = (
        "inputs_tried",
        "rejected",
        "unhandled",
        "invariant_checked",
        "invariant_violated",
        "attack_tried",
        "attack_succeeded",
        "fault_injected",
        "data_lost",
    )
    print(f"{'area':<28}" + "".join(f"{c:>19}" for c in cols))
    for area, row in rows.items():
        print(f"{area:<28}" + "".join(f"{row[c]:>19}" for c in cols))
    print(f"-> {args.output}")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
