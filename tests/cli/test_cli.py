"""The CLI as a scheduler or CI runs it: a fresh process, exit codes, stdout/stderr, files."""

import json
import subprocess
import sys

import pandas as pd
import pytest

MODEL = """
objectives:
  - {name: acc, direction: max, weight: 2, quality_attribute: system_accuracy}
  - {name: latency_ms, direction: min, unit: ms, quality_attribute: resource_efficiency, constraint: "<= 30"}
"""


@pytest.fixture
def files(tmp_path):
    pd.DataFrame({"id": ["a", "b", "c", "d"], "acc": [0.90, 0.80, 0.85, 0.95], "latency_ms": [20, 10, 25, 40]}).to_csv(
        tmp_path / "runs.csv", index=False
    )
    (tmp_path / "quality.yaml").write_text(MODEL)
    return tmp_path


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_analyze_json_to_file(files):
    r = run(
        "analyze",
        "runs.csv",
        "--model",
        "quality.yaml",
        "--smaa",
        "500",
        "--seed",
        "1",
        "--format",
        "json",
        "-o",
        "out/analysis.json",
        cwd=files,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads((files / "out" / "analysis.json").read_text())
    by_id = {c["id"]: c for c in data["candidates"]}
    assert by_id["a"]["rank"] == 1 and by_id["a"]["front"] == 0 and by_id["d"]["feasible"] is False
    assert {"acceptability", "knee", "violation", "score"} <= set(by_id["a"])
    assert data["hypervolume"] > 0 and data["recommended"] == "a"
    assert [o["name"] for o in data["objectives"]] == ["acc", "latency_ms"]
    assert len(data["model_hash"]) == 64 and len(data["data_hash"]) == 64


def test_analyze_json_to_stdout_and_table(files):
    r = run("analyze", "runs.csv", "-m", "quality.yaml", "--format", "json", cwd=files)
    assert r.returncode == 0 and json.loads(r.stdout)["recommended"] == "a"
    r = run("analyze", "runs.csv", "-m", "quality.yaml", cwd=files)
    assert r.returncode == 0
    assert "Recommended: a" in r.stdout and "latency_ms" in r.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["analyze", "missing.csv", "-m", "quality.yaml"], "does not exist"),
        (["analyze", "runs.csv", "-m", "nope.yaml"], "Quality model file 'nope.yaml' does not exist"),
        (["analyze", "runs.csv", "-m", "quality.yaml", "--method", "wsm"], "Method 'wsm'"),
        (["analyze", "runs.csv", "-m", "quality.yaml", "--champion", "zz"], "Champion 'zz'"),
        (["analyze", "runs.csv", "-m", "quality.yaml", "--stakeholder", "ops"], "Stakeholder 'ops'"),
    ],
)
def test_bad_input_exits_2_with_message(files, args, message):
    r = run(*args, cwd=files)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_version_and_help(files):
    r = run("--version", cwd=files)
    assert r.returncode == 0 and r.stdout.startswith("workbench ")
    assert "analyze" in run("--help", cwd=files).stdout


def test_analyze_table_shows_markup_in_ids_and_names_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that no id is shortened (the table fits COLUMNS)
    # Rich read candidate ids, objective names and error messages as console markup: an id "[/]"
    # crashed the table with a MarkupError traceback, "[link=...]" made a terminal hyperlink, and
    # escape sequences in an id reached the terminal (clear screen, OSC 8 links).
    ids = ["[/]", "[bold red]boom[/] [link=https://evil.example]x[/link]", "c\x1b[2J\x1b]8;;https://e.x\x1b\\"]
    pd.DataFrame({"id": ids, "acc [/x]": [0.9, 0.8, 0.7], "ms": [20, 10, 30]}).to_csv(tmp_path / "c.csv", index=False)
    (tmp_path / "q.yaml").write_text(
        "objectives:\n  - {name: 'acc [/x]', direction: max}\n  - {name: ms, direction: min}\n"
    )
    r = run("analyze", "c.csv", "-m", "q.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Recommended: [/]" in r.stdout and ids[1] in r.stdout and "acc [/x]" in r.stdout
    assert "\x1b" not in r.stdout and "c\\x1b[2J\\x1b]8;;https://e.x\\x1b\\" in r.stdout
    r = run("analyze", "c.csv", "-m", "q.yaml", "--champion", "[/nope]", cwd=tmp_path)
    assert r.returncode == 2 and "Champion '[/nope]'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        # each of these used to end in a Python traceback
        (["analyze", "a" * 300 + ".csv", "-m", "quality.yaml"], "does not exist"),
        (["analyze", "runs.csv", "-m", "b" * 300], "does not exist"),
        (["analyze", "runs.csv", "-m", "quality.yaml", "--seed", "-1"], "seed must be a whole number >= 0, got -1"),
        (
            ["analyze", "runs.csv", "-m", "quality.yaml", "--smaa", "99999999999999999999999"],
            "smaa must be a whole number from 0 to 10,000,000, got 99999999999999999999999",
        ),
        (["analyze", "runs.csv", "-m", "quality.yaml", "-o", "."], "cannot write the output '.': it is a folder"),
        (["analyze", "runs.csv", "-m", "quality.yaml", "-o", "runs.csv/x.json"], "'runs.csv' is a file"),
        (["decide", "runs.csv", "-d", "runs.csv"], "not valid JSON"),
        (["export", "madr", "-d", "runs.csv"], "Cannot open the decision log"),
        # rich markup in user input is printed, not interpreted (a lone '[/]' crashed the printer)
        (["analyze", "runs.csv", "-m", "quality.yaml", "--champion", "[/]"], "Champion '[/]'"),
    ],
)
def test_more_bad_input_exits_2_without_traceback(files, args, message):
    r = run(*args, cwd=files)
    assert r.returncode == 2, r.stderr
    assert message in " ".join(r.stderr.split())
    assert "Traceback" not in r.stderr


def test_output_to_a_folder_is_refused_before_a_decision_is_logged(files):
    r = run("analyze", "runs.csv", "-m", "quality.yaml", "--format", "json", "-o", "summary.json", cwd=files)
    assert r.returncode == 0, r.stderr
    (files / "madr").mkdir()
    r = run("decide", "summary.json", "-d", "log.db", "-o", "madr", cwd=files)
    assert r.returncode == 2 and "it is a folder" in r.stderr and "Traceback" not in r.stderr
    assert not (files / "log.db").exists()  # refused before the log was even opened
    r = run("decisions", "list", "-d", "log.db", "--format", "json", cwd=files)
    assert r.returncode == 2 and "The decision log 'log.db' does not exist" in r.stderr


def test_metric_map_that_is_not_a_mapping_is_named(files):
    (files / "map.yaml").write_text("- latency_ms\n")
    r = run("export", "prometheus", "-m", "quality.yaml", "--metric-map", "map.yaml", cwd=files)
    assert r.returncode == 2 and "--metric-map 'map.yaml' must hold a mapping" in r.stderr, r.stderr
