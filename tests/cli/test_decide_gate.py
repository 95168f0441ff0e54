"""`workbench decide | decisions | gate | export` run as a scheduler or CI runs them: a fresh process
with a minimal environment (PATH, HOME, LANG), no stdin, no Jupyter, from a clean working folder;
exit codes and outputs checked."""

import json
import os
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest
import yaml

MODEL = """
name: api
objectives:
  - {name: acc, direction: max, weight: 2, tolerance: 0.005, quality_attribute: system_accuracy}
  - {name: latency_ms, direction: min, unit: ms, quality_attribute: resource_efficiency,
     aggregation: p95, source: http_request_duration_ms, constraint: "<= 30"}
"""


@pytest.fixture
def work(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    pd.DataFrame({"id": ["a", "b", "c", "d"], "acc": [0.90, 0.80, 0.85, 0.95], "latency_ms": [20, 10, 25, 40]}).to_csv(
        inputs / "runs.csv", index=False
    )
    (inputs / "quality.yaml").write_text(MODEL)
    cwd = tmp_path / "job"  # a clean working folder, as cron gives
    cwd.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    return {"inputs": inputs, "cwd": cwd, "home": home}


def sched(work, *args):
    """Run the CLI like cron/Airflow: minimal env, no stdin, no terminal."""
    env = {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
        "HOME": str(work["home"]),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        env=env,
        cwd=work["cwd"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_gate_exit_codes(work):
    runs, qm = work["inputs"] / "runs.csv", work["inputs"] / "quality.yaml"
    ok = sched(work, "gate", runs, "--model", qm, "--candidate", "a")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [
        "gate passed: a",
        "  rule: no challenger dominates beyond tolerance (point values, no replicates)",
    ]
    dominated = sched(work, "gate", runs, "--model", qm, "--candidate", "c")
    assert dominated.returncode == 1
    assert "c is dominated by a beyond tolerance: a is better in acc by 0.05 and latency_ms by 5 ms" in dominated.stderr
    violated = sched(work, "gate", runs, "-m", qm, "-c", "d", "--against", "champion", "--champion", "a")
    assert violated.returncode == 1
    assert "d violates latency_ms <= 30 (measured 40 ms)" in violated.stderr
    assert sched(work, "gate", runs, "-m", qm, "-c", "b", "--against", "champion", "--champion", "a").returncode == 0
    bad = sched(work, "gate", runs, "-m", qm, "-c", "zz")
    assert bad.returncode == 2 and "Candidate 'zz'" in bad.stderr
    no_champ = sched(work, "gate", runs, "-m", qm, "-c", "b", "--against", "champion")
    assert no_champ.returncode == 2 and "needs the champion's id" in no_champ.stderr
    assert sched(work, "gate", "missing.csv", "-m", qm, "-c", "a").returncode == 2


def test_gate_on_per_seed_rows_decides_on_evidence(work):
    """A per-seed CSV: the seed column is found (or named with --replicates); a 0.0004 gain under a
    0.002 tolerance passes; a clear dominance fails with its probability and the rule."""
    rows = []
    for cid, acc, ms in (("champ", 0.9104, 20.0), ("new", 0.9100, 20.0), ("worse", 0.85, 26.0)):
        for s, noise in enumerate((0.0, 0.001, -0.001)):
            rows.append({"id": cid, "seed": s, "acc": acc + noise, "latency_ms": ms + 10 * noise})
    path = work["inputs"] / "seeds.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    qm = work["inputs"] / "tight.yaml"
    qm.write_text(MODEL.replace("tolerance: 0.005", "tolerance: 0.002"))
    ok = sched(work, "gate", path, "-m", qm, "-c", "new", "--against", "champ")
    assert ok.returncode == 0, ok.stderr
    assert (
        "rule: no challenger dominates beyond tolerance with probability >= 0.95; the highest is "
        "P(champ dominates new) = " in ok.stdout
    )
    bad = sched(work, "gate", path, "-m", qm, "-c", "worse", "--against", "champ", "--replicates", "seed")
    assert bad.returncode == 1
    assert "worse is dominated by champ beyond tolerance with probability" in bad.stderr
    assert "rule: dominance probability: P(champ dominates worse beyond tolerance) = " in bad.stderr
    strict = sched(work, "gate", path, "-m", qm, "-c", "new", "--confidence", "2")
    assert strict.returncode == 2 and "The confidence must be a number in [0.5, 1), got 2.0" in strict.stderr


@pytest.mark.slow
def test_decide_writes_the_log_and_exports(work):
    runs, qm = work["inputs"] / "runs.csv", work["inputs"] / "quality.yaml"
    r = sched(work, "analyze", runs, "-m", qm, "--smaa", "200", "-f", "json", "-o", "analysis.json")
    assert r.returncode == 0, r.stderr
    r = sched(
        work,
        "decide",
        "analysis.json",
        "--rationale",
        "Accuracy first.",
        "--decision-maker",
        "Ann",
        "--decision-maker",
        "Bob",
        "-o",
        "decision.md",
    )
    assert r.returncode == 0, r.stderr
    first = r.stdout.split()[1]
    assert r.stdout.startswith(f"Decision {first} recorded: chosen 'a' (accepted)")
    assert (work["cwd"] / "decisions.db").is_file()  # the default log, in the working folder
    md = (work["cwd"] / "decision.md").read_text()
    assert "## Decision Outcome" in md and 'Chosen option: "a", because Accuracy first.' in md

    r = sched(work, "decide", "analysis.json", "--chosen", "b", "--supersedes", first[:8], "--rationale", "Latency.")
    assert r.returncode == 0, r.stderr
    second = r.stdout.split()[1]
    with sqlite3.connect(work["cwd"] / "decisions.db") as con:
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 2

    listed = json.loads(sched(work, "decisions", "list", "-f", "json").stdout)
    assert [(d["id"], d["status"]) for d in listed] == [(second, "accepted"), (first, "superseded")]
    shown = sched(work, "decisions", "show", "latest")
    assert shown.returncode == 0 and f"id {second}" in shown.stdout and "reopen when:" in shown.stdout
    record = json.loads(sched(work, "decisions", "show", second[:6], "-f", "json").stdout)
    assert record["chosen"] == "b" and record["supersedes"] == first
    diff = json.loads(sched(work, "decisions", "diff", first, "latest", "-f", "json").stdout)
    assert diff["chosen"] == {"a": "a", "b": "b", "changed": True}

    rules = sched(work, "export", "prometheus", "-o", "alerts/rules.yml", "--label", "team=ml")
    assert rules.returncode == 0, rules.stderr
    data = yaml.safe_load((work["cwd"] / "alerts" / "rules.yml").read_text())
    (rule,) = data["groups"][0]["rules"]
    assert rule["expr"].endswith("> 30") and rule["labels"]["decision_id"] == second
    optuna = json.loads(sched(work, "export", "optuna", "--decision", first).stdout)
    assert optuna["directions"] == ["maximize", "minimize"]
    madr = sched(work, "export", "madr")
    assert madr.stdout.startswith("---\nstatus: accepted\n")
    pushed = json.loads(sched(work, "decisions", "show", second, "-f", "json").stdout)["pushdown"]
    assert [p["kind"] for p in pushed] == ["prometheus_rules"]


@pytest.mark.slow
def test_decide_bad_input(work):
    assert sched(work, "decide", "nope.json").returncode == 2
    (work["cwd"] / "bad.json").write_text("{not json")
    r = sched(work, "decide", "bad.json")
    assert r.returncode == 2 and "is not valid JSON" in r.stderr
    (work["cwd"] / "other.json").write_text('{"x": 1}')
    r = sched(work, "decide", "other.json")
    assert r.returncode == 2 and "neither a review summary" in r.stderr
    # reading verbs refuse a log that does not exist (only decide creates one), and create nothing
    r = sched(work, "decisions", "show", "abcdef")
    assert r.returncode == 2 and "The decision log 'decisions.db' does not exist" in r.stderr
    r = sched(work, "export", "prometheus")
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert not (work["cwd"] / "decisions.db").exists()
    r = sched(work, "decisions", "list", "--decisions", work["cwd"] / "no" / "such" / "dir.db")
    assert r.returncode == 2 and "does not exist" in r.stderr
