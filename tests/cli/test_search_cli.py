"""`workbench search` as a scheduler runs it: a fresh process, exit codes, files, resume."""

import json
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

SPACE = """
name: zdt1-with-a-switch
parameters:
  x1: {type: float, low: 0, high: 1}
  x2: {type: float, low: 0, high: 1}
  shift: {type: bool}
  amount: {type: float, low: 0, high: 0.5, when: {shift: true}}
"""

MODEL = """
objectives:
  - {name: f1, direction: min, bounds: {ideal: 0, nadir: 1}}
  - {name: f2, direction: min, bounds: {ideal: 0, nadir: 10}, constraint: "<= 5"}
"""

EVAL = """
import json, os

def zdt1(config):
    log = os.environ.get("CALL_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps(config, sort_keys=True) + "\\n")
    g = 1 + 9 * config["x2"] + (config.get("amount", 0.0))
    return {"f1": config["x1"], "f2": g * (1 - (config["x1"] / g) ** 0.5)}

def infeasible(config):
    return {"f1": config["x1"], "f2": 100.0}

def by_name(x1, x2, shift, amount=0.0):
    return zdt1({"x1": x1, "x2": x2, "amount": amount})

def broken(x1, x2, shift, amount=0.0):
    return {"f1": x1, "f2": x2 / 0}
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "space.yaml").write_text(SPACE)
    (tmp_path / "quality.yaml").write_text(MODEL)
    (tmp_path / "problems.py").write_text(EVAL)
    return tmp_path


def run(*args, cwd, env=None):
    import os

    return subprocess.run(
        [sys.executable, "-m", "workbench", "search", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def search(
    files, *extra, evaluate="problems:zdt1", budget=None, space="space.yaml", model="quality.yaml", out="out", env=None
):
    """``workbench search SPACE -m MODEL -e EVALUATE [--budget B] EXTRA... -o OUT`` in ``files``."""
    budget_args = ["--budget", str(budget)] if budget is not None else []
    return run(space, "-m", model, "-e", evaluate, *budget_args, *extra, "-o", out, cwd=files, env=env)


def test_search_writes_evaluations_front_and_summary(files):
    r = search(files, "--seed", "2", "--stall-generations", "0", budget=300)
    assert r.returncode == 0, r.stderr
    assert "NSGA-II: 300 evaluations (300 run now, 0 from the record)" in r.stdout
    ev = pd.read_parquet(files / "out" / "evaluations.parquet")
    assert len(ev) == 300 and set(ev["status"]) == {"ok"} and not ev["key"].duplicated().any()
    assert {"x1", "x2", "shift", "amount", "f1", "f2", "status", "candidate"} <= set(ev.columns)
    # inactive conditional parameter is empty exactly when its parent is off
    assert (ev["amount"].isna() == ~ev["shift"].astype(bool)).all()
    front = pd.read_parquet(files / "out" / "front.parquet")
    assert len(front) > 5 and (front["f2"] <= 5).all()
    # the front is non-dominated among the feasible evaluations
    feas = ev[ev["f2"] <= 5][["f1", "f2"]].to_numpy()
    for f1, f2 in front[["f1", "f2"]].to_numpy():
        assert not ((feas[:, 0] <= f1) & (feas[:, 1] <= f2) & ((feas[:, 0] < f1) | (feas[:, 1] < f2))).any()
    summary = json.loads((files / "out" / "search.json").read_text())
    assert summary["stopped"] == "budget" and summary["settings"]["seed"] == 2
    assert sorted(summary["front"]) == sorted(front["candidate"])
    assert summary["settings"]["evaluate"] == "problems:zdt1"
    assert len(summary["history"]) == summary["history"][-1]["generation"]


@pytest.mark.slow
def test_rerun_resumes_from_the_record_and_extends_the_budget(files):
    log = files / "calls.jsonl"
    first = search(files, "--stall-generations", "0", budget=120, env={"CALL_LOG": str(log)})
    assert first.returncode == 0, first.stderr
    again = search(files, "--stall-generations", "0", budget=200, env={"CALL_LOG": str(log)})
    assert again.returncode == 0, again.stderr
    assert "from the record" in again.stdout
    calls = log.read_text().splitlines()
    assert len(calls) == len(set(calls)) == 200  # nothing evaluated twice across the two runs
    with sqlite3.connect(files / "out" / "evaluations.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 200


@pytest.mark.slow
def test_fresh_keeps_the_old_record_aside(files):
    assert search(files, budget=20).returncode == 0
    r = search(files, "--fresh", budget=20)
    assert r.returncode == 0, r.stderr
    assert "Previous record kept as" in r.stderr
    kept = [p for p in (files / "out").glob("evaluations.*.sqlite")]
    assert len(kept) == 1
    with sqlite3.connect(kept[0]) as db:
        assert db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 20


@pytest.mark.slow
def test_nothing_feasible_exits_1_with_the_closest(files):
    r = search(files, evaluate="problems:infeasible", budget=30)
    assert r.returncode == 1
    assert "No feasible candidate" in r.stderr and "Closest:" in r.stderr
    assert (files / "out" / "evaluations.parquet").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["-e", "problems:zdt2"], "'zdt2' is not a function of 'problems'"),
        (["-e", "problems"], "must look like 'module:function'"),
        (["-e", "no_such_module:f"], "Cannot import the evaluation module 'no_such_module'"),
        (["-e", "problems:zdt1", "--guide", "f1=fast"], "expected 'weights' or 'objective=value"),
        (["-e", "problems:zdt1", "--guide", "f1=0.1,f3=2"], "Guide objective 'f3'"),
    ],
)
@pytest.mark.slow
def test_bad_input_exits_2_with_the_reason(files, args, needle):
    r = run("space.yaml", "-m", "quality.yaml", *args, "--budget", "10", "-o", "out", cwd=files)
    assert r.returncode == 2, r.stdout
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_space_exits_2_naming_the_parameter(files):
    (files / "bad.yaml").write_text("parameters:\n  depth: {type: int, low: 5, high: 5}\n")
    r = search(files, space="bad.yaml")
    assert r.returncode == 2
    assert "Parameter 'depth' has an empty range: low=5 >= high=5" in r.stderr


@pytest.mark.slow
def test_resuming_with_another_space_is_refused(files):
    assert search(files, budget=20).returncode == 0
    (files / "other.yaml").write_text(SPACE.replace("high: 0.5", "high: 0.9"))
    r = search(files, budget=20, space="other.yaml")
    assert r.returncode == 2
    assert "different space" in r.stderr and "--fresh" in r.stderr


def test_readme_and_makefile_search_commands_use_existing_options():
    import re
    from pathlib import Path

    root = Path(__file__).parents[2]
    text = (root / "README.md").read_text() + (root / "Makefile").read_text()
    lines = [line for line in text.splitlines() if "workbench search" in line or "--evaluate" in line]
    used = {opt for line in lines for opt in re.findall(r"(--[a-z][a-z-]+)", line)}
    assert {"--model", "--evaluate", "--budget"} <= used
    help_text = subprocess.run(
        [sys.executable, "-m", "workbench", "search", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    ).stdout
    for opt in used:
        assert opt in help_text, f"{opt} is used in README/Makefile but not an option of workbench search"


@pytest.mark.slow
def test_resuming_a_record_made_for_another_model_is_a_clear_error(files):
    # the recorded evaluations lack the new model's objectives: this used to end in KeyError: 'acc'
    r = search(files, "--stall-generations", "0", budget=4)
    assert r.returncode in (0, 1), r.stderr
    (files / "other.yaml").write_text("objectives:\n  - {name: acc, direction: max}\n  - {name: f1, direction: min}\n")
    r = search(files, budget=4, model="other.yaml")
    assert r.returncode == 2, r.stderr
    assert "have no value for objective(s) 'acc' of the quality model (recorded metrics: f1, f2)" in r.stderr
    assert "--fresh" in r.stderr and "Traceback" not in r.stderr


def test_negative_seed_is_bad_input(files):
    # numpy's "expected non-negative integer" used to escape as a traceback
    r = search(files, "--seed", "-1")
    assert r.returncode == 2 and "seed must be an integer >= 0, got -1" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_keyword_evaluation_runs_and_a_broken_one_exits_2_showing_the_error(files):
    r = search(files, "--seed", "2", "--stall-generations", "0", evaluate="problems:by_name", budget=40, out="ok")
    assert r.returncode == 0, r.stderr
    ev = pd.read_parquet(files / "ok" / "evaluations.parquet")
    assert len(ev) == 40 and (ev["status"] == "ok").all()

    r = search(files, "--seed", "2", evaluate="problems:broken", budget=200, out="broken")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "The first 5 evaluations all failed with the same error" in r.stderr
    assert "ZeroDivisionError: float division by zero (at problems.py:" in r.stderr
    assert "Configuration: x1=" in r.stderr
    con = sqlite3.connect(files / "broken" / "evaluations.sqlite")
    try:
        assert con.execute("select count(*) from evaluations").fetchone()[0] == 5
    finally:
        con.close()
