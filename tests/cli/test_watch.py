"""`workbench watch` as a scheduler runs it: a fresh process, a minimal environment, stdin closed."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

MODEL = """
objectives:
  - {name: latency_p95_ms, direction: min, unit: ms, source: latency_ms, aggregation: p95, tolerance: 2,
     constraint: "<= 120"}
  - {name: error_rate, direction: min, source: error, aggregation: rate, tolerance: 0.002, constraint: "<= 0.05"}
  - {name: cost_1k, direction: min, unit: USD, source: cost_usd, aggregation: sum_per_1k, tolerance: 0.01}
"""
#: version -> (base latency ms, error probability, cost per request USD): well separated, a stable front
PROFILES = {"v1": (40.0, 0.02, 0.0030), "v2": (60.0, 0.01, 0.0020), "v3": (80.0, 0.005, 0.0010)}


def write_logs(folder, *, degrade=None, hours=6, n=400, seed=0):
    """Parquet request logs in the canonical schema, one file per hour; `degrade` slows down over time."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = pd.Timestamp("2026-03-01", tz="UTC")
    for h in range(hours):
        parts = []
        for version, (lat, perr, cost) in PROFILES.items():
            slow = 1.0 + (0.3 * h if version == degrade else 0.0)
            parts.append(
                pd.DataFrame(
                    {
                        "timestamp": t0 + pd.Timedelta(hours=h) + pd.to_timedelta(rng.uniform(0, 3600, n), unit="s"),
                        "version": version,
                        "latency_ms": lat * slow * rng.lognormal(0.0, 0.15, n),
                        "error": rng.uniform(size=n) < perr,
                        "cost_usd": np.full(n, cost),
                    }
                )
            )
        pd.concat(parts, ignore_index=True).to_parquet(folder / f"requests-{h:02d}.parquet", index=False)
    return folder


@pytest.fixture
def model(tmp_path):
    (tmp_path / "quality.yaml").write_text(MODEL)
    return tmp_path


def run(*args, cwd):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", "watch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_healthy_versions_exit_0(model):
    write_logs(model / "logs")
    r = run("logs", "--model", "quality.yaml", "-o", "out/triggers.json", cwd=model)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no trigger: no review due" in r.stdout
    data = json.loads((model / "out" / "triggers.json").read_text())
    assert data["review_due"] is False and data["triggers"] == []
    prov = data["provenance"]
    assert len(prov["model_hash"]) == 64 and prov["window"] == "1h" and len(prov["log_files"]) == 6
    assert prov["versions"] == ["v1", "v2", "v3"] and prov["decision"] is None
    assert prov["windows"]["latest"] == "2026-03-01T05:00:00+00:00"
    assert {s["constraint"] for s in data["slo"]} == {"latency_p95_ms <= 120", "error_rate <= 0.05"}
    assert all(s["compliance"] == 1.0 for s in data["slo"])


def test_degrading_version_fires_and_exits_1(model):
    write_logs(model / "logs", degrade="v3")
    r = run("logs/*.parquet", "--model", "quality.yaml", "-o", "triggers.json", cwd=model)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "review due" in r.stdout and "constraint_violated" in r.stdout
    data = json.loads((model / "triggers.json").read_text())
    assert data["review_due"] is True
    hit = next(t for t in data["triggers"] if t["kind"] == "constraint_violated")
    assert hit["version"] == "v3" and hit["severity"] == "warning" and hit["objective"] == "latency_p95_ms"
    assert hit["value"] > 120 and hit["window_start"] == "2026-03-01T05:00:00+00:00"
    assert hit["message"].startswith("v3 latency_p95_ms ") and "(95 %, n = 400) is above the SLO" in hit["message"]
    assert "in 2 consecutive 1 h windows, the last from 2026-03-01 05:00 UTC" in hit["message"]
    ev = hit["evidence"]
    assert ev["n"] == 400 and ev["level"] == 0.95 and ev["for_windows"] == 2 and ev["interval"][0] > 120
    assert ev["rule"].startswith(
        "the whole interval beyond the limit, for 2 consecutive windows, or in the "
        "latest window alone when the interval lies beyond the limit by more than"
    )
    assert "a window with n below 72 counts only when" in ev["rule"]  # the minimum-n clause, stated
    assert "latency_p95_ms" in r.stdout and "interval" in r.stdout  # the evidence table
    assert "value [interval] (95 %) and n" in " ".join(r.stdout.split())  # its title: "[interval]" is no markup
    v3 = next(s for s in data["slo"] if s["version"] == "v3" and s["objective"] == "latency_p95_ms")
    assert 0 < v3["compliance"] < 1


@pytest.mark.slow
def test_decision_log_makes_the_champion_critical(model):
    from workbench.decisions import DecisionLog, DecisionRecord

    write_logs(model / "logs", degrade="v3")
    with DecisionLog(model / "decisions.db") as log:
        rec = log.append(DecisionRecord(chosen="v3", candidates=("v1", "v2", "v3")))
    r = run("logs", "-m", "quality.yaml", "--decisions", "decisions.db", "-o", "t.json", cwd=model)
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((model / "t.json").read_text())
    assert data["provenance"]["decision"]["id"] == rec.id and data["provenance"]["champion"] == "v3"
    assert data["triggers"][0]["severity"] == "critical" and data["triggers"][0]["version"] == "v3"


@pytest.mark.slow
def test_since_filters_the_requests(model):
    write_logs(model / "logs", degrade="v3")
    r = run("logs", "-m", "quality.yaml", "--since", "2026-03-01T05:00Z", "-o", "t.json", cwd=model)
    # one window of 400 requests at 250 ms [244, 262] against 120 ms: beyond the limit by far more than
    # the interval's half-width, so it is a breach alone, and the evidence says that rule decided
    assert r.returncode == 1, r.stdout + r.stderr
    hit = next(t for t in json.loads((model / "t.json").read_text())["triggers"] if t["kind"] == "constraint_violated")
    assert hit["evidence"]["one_window"] is True
    assert "beyond it by more than the interval's half-width" in hit["message"]
    r = run("logs", "-m", "quality.yaml", "--since", "2026-03-01T05:00Z", "--for", "1", "-o", "t.json", cwd=model)
    assert r.returncode == 1, r.stdout + r.stderr
    prov = json.loads((model / "t.json").read_text())["provenance"]
    assert prov["since"] == "2026-03-01T05:00Z"
    assert prov["windows"]["first"] == prov["windows"]["latest"] == "2026-03-01T05:00:00+00:00"
    r = run("logs", "-m", "quality.yaml", "--since", "2026-03-02", cwd=model)
    assert r.returncode == 2 and "no request since 2026-03-02" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing", "-m", "quality.yaml"], "Log file or folder 'missing' does not exist"),
        (["logs", "-m", "nope.yaml"], "Quality model file 'nope.yaml' does not exist"),
        (["logs", "-m", "quality.yaml", "--window", "1 month"], "is not a fixed duration"),
        (["logs", "-m", "quality.yaml", "--champion", "v9"], "Champion 'v9'"),
        (["bad", "-m", "quality.yaml"], "lack required column(s) 'latency_ms'"),
        (["logs", "-m", "quality.yaml", "--level", "95"], "Interval level 95.0 is not in (0, 1)"),
        (["logs", "-m", "quality.yaml", "--level", "0"], "Valid: a probability such as 0.9, 0.95"),
        (["logs", "-m", "quality.yaml", "--for", "0"], "for_windows 0 must be a whole number >= 1"),
        (["logs", "-m", "quality.yaml", "--columns", "version=model_vresion"], "Did you mean 'version'"),
        (["logs", "-m", "quality.yaml", "--columns", "vresion=version"], "Canonical column 'vresion'"),
        (["logs", "-m", "quality.yaml", "--columns", "version"], "is not CANONICAL=COLUMN"),
    ],
)
@pytest.mark.slow
def test_bad_input_exits_2(model, args, message):
    write_logs(model / "logs", hours=1, n=20)
    (model / "bad").mkdir()
    pd.DataFrame(
        {"timestamp": pd.to_datetime(["2026-03-01"], utc=True), "version": ["v1"], "lat": [1.0], "error": [False]}
    ).to_parquet(model / "bad" / "x.parquet")
    r = run(*args, cwd=model)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert not os.path.exists(model / "triggers.json")


@pytest.mark.slow
def test_offline_candidate_dominating_the_champion(model):
    write_logs(model / "logs")
    pd.DataFrame({"id": ["run-new"], "latency_p95_ms": [30.0], "error_rate": [0.001], "cost_1k": [0.5]}).to_csv(
        model / "runs.csv", index=False
    )
    r = run("logs", "-m", "quality.yaml", "--champion", "v1", "--offline", "runs.csv", "-o", "t.json", cwd=model)
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((model / "t.json").read_text())
    hit = next(t for t in data["triggers"] if t["kind"] == "champion_dominated")
    assert hit["version"] == "v1" and hit["evidence"]["offline"] == ["offline:run-new"]
    assert data["provenance"]["champion"] == "v1" and data["provenance"]["offline"] == "runs.csv"


@pytest.mark.slow
def test_columns_are_mapped_and_common_names_recognised_with_a_note(model):
    write_logs(model / "logs", degrade="v3")
    renamed = model / "renamed"
    renamed.mkdir()
    for f in sorted((model / "logs").glob("*.parquet")):
        pd.read_parquet(f).rename(
            columns={"version": "model_version", "timestamp": "when", "latency_ms": "latency"}
        ).to_parquet(renamed / f.name)
    r = run("renamed", "-m", "quality.yaml", "--columns", "timestamp=when", "-o", "t.json", cwd=model)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "note: column 'model_version' read as 'version'" in r.stderr
    assert "note: column 'latency' read as 'latency_ms'" in r.stderr
    data = json.loads((model / "t.json").read_text())
    assert data["provenance"]["columns"] == {"timestamp": "when", "version": "model_version", "latency_ms": "latency"}
    direct = run("logs", "-m", "quality.yaml", "-o", "direct.json", cwd=model)
    same = json.loads((model / "direct.json").read_text())
    assert [t["message"] for t in data["triggers"]] == [t["message"] for t in same["triggers"]]
    assert direct.returncode == 1
