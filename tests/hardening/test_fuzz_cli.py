"""Fuzzed argument vectors for ``workbench analyze | gate | decide | export | search``.

Run in-process with typer's ``CliRunner`` for speed, plus a handful of real subprocess runs. Each
vector ends one of three ways:

- exit 0 or 1: accepted (1 is "a check failed", e.g. a gate or an empty search front);
- exit 2 with a short message on stderr that names the bad value or option: rejected;
- a Python exception or a traceback on the terminal: unhandled, and the test fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.hardening._tally import UnclearMessage, outcome
from workbench.cli import app

AREA = "cli"

MODEL = """
name: api
objectives:
  - {name: acc, direction: max, weight: 2}
  - {name: latency_ms, direction: min, unit: ms, constraint: "<= 30"}
stakeholders:
  ops: {latency_ms: 3, acc: 1}
"""
MODEL_REL = MODEL + "constraints: ['acc >= 0.9 * champion']\n"
SEARCH_MODEL = """
objectives:
  - {name: f1, direction: min, bounds: {ideal: 0, nadir: 1}}
  - {name: f2, direction: min, bounds: {ideal: 0, nadir: 10}}
"""
SPACE = "parameters:\n  x1: {type: float, low: 0, high: 1}\n  x2: {type: float, low: 0, high: 1}\n"
EVAL = (
    "def fn(config):\n    return {'f1': config['x1'], 'f2': 1 + config['x2'] - config['x1']}\n\n"
    "def bad(config):\n    return {'f1': 'x'}\n\ndef boom(config):\n    raise RuntimeError('no')\n"
)


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        pd.DataFrame(
            {
                "id": ["a", "b", "c", "d"],
                "acc": [0.90, 0.80, 0.85, 0.95],
                "latency_ms": [20, 10, 25, 40],
                "seed": [0, 0, 0, 0],
            }
        ).to_csv(d / "runs.csv", index=False)
        pd.DataFrame({"id": ["a", "a"], "acc": [0.9, 0.8], "latency_ms": [1, 2]}).to_csv(d / "dup.csv", index=False)
        pd.DataFrame({"id": ["😀", "\u202eb"], "acc": [1e308, "x"], "latency_ms": [float("nan"), 1]}).to_csv(
            d / "odd.csv", index=False
        )
        (d / "quality.yaml").write_text(MODEL)
        (d / "rel.yaml").write_text(MODEL_REL)
        (d / "search.yaml").write_text(SEARCH_MODEL)
        (d / "space.yaml").write_text(SPACE)
        (d / "problems.py").write_text(EVAL)
        (d / "empty.csv").write_text("")
        (d / "bad.yaml").write_text("objectives: [\n")
        (d / "list.yaml").write_text("- 1\n- 2\n")
        (d / "evil.yaml").write_text("!!python/object/apply:os.system ['touch executed']\n")
        (d / "text.json").write_text("not json {")
        (d / "list.json").write_text("[1, 2]")
        (d / "empty.json").write_text("{}")
        (d / "bin.parquet").write_bytes(b"\x00\xff" * 20)
        (d / "latin1.csv").write_bytes("id,acc,latency_ms\n\xe9,1,2\n".encode("latin-1"))
        (d / "initial.yaml").write_text("- {x1: 0.5, x2: 0.5}\n")
        (d / "metric_map.yaml").write_text("latency_ms: http_latency\n")
        (d / "scale.yaml").write_text("latency_ms: {metric: http_latency, scale: x}\n")
        (d / "spec_list.yaml").write_text("latency_ms: [1, 2]\n")
        (d / "adir").mkdir()
        runner = CliRunner()
        with contextlib.chdir(d):
            r = runner.invoke(
                app, ["analyze", "runs.csv", "-m", "quality.yaml", "--format", "json", "-o", "summary.json"]
            )
            assert r.exit_code == 0, r.output
            r = runner.invoke(app, ["decide", "summary.json", "-d", "log.db"])
            assert r.exit_code == 0, r.output
        yield d


PATHS = [
    "runs.csv",
    "dup.csv",
    "odd.csv",
    "missing.csv",
    "empty.csv",
    "text.json",
    "list.json",
    "bin.parquet",
    "latin1.csv",
    "adir",
    "",
    ".",
    "runs.xlsx",
    "a" * 300 + ".csv",
    "😀.csv",
    "mlflow:x",
    "optuna:sqlite:///x.db",
    "mlflow:sqlite:///nope.db#exp",
    "runs.csv\x00",
]
MODELS = [
    "quality.yaml",
    "rel.yaml",
    "missing.yaml",
    "bad.yaml",
    "list.yaml",
    "evil.yaml",
    "empty.json",
    "adir",
    "",
    "runs.csv",
    "a" * 300,
]
NUMBERS = ["0", "1", "7", "-1", "abc", "", "1.5", "1e3", "99999999999999999999999", "nan", "-0", "0x10", "😀"]
TEXT = [
    "a",
    "b",
    "zz",
    "",
    "😀",
    "\u202e",
    "-",
    "--",
    "a\nb",
    "champion",
    "ops",
    "nobody",
    "[red]x[/]",
    "[/]",
    "x" * 500,
]
CHOICES = {
    "--method": ["weighted_sum", "tchebycheff", "asf", "topsis", "wsm", "", "TOPSIS", "😀"],
    "--format": ["table", "json", "xml", "", "JSON"],
    "-f": ["table", "json", "madr", "text", "xml"],
    "--smaa": NUMBERS,
    "--seed": NUMBERS,
    "--budget": ["1", "2", "3", "0", "-1", "abc", "1.5", ""],
    "--champion": TEXT,
    "--stakeholder": TEXT,
    "--id": ["id", "acc", "nope", "", "seed"],
    "--replicates": ["seed", "nope", ""],
    "--candidate": TEXT,
    "-c": TEXT,
    "--against": TEXT + ["champion"],
    "--output": ["out.json", "sub/out.json", "adir", ".", ""],
    "-o": ["out.json", "sub/out.md", "adir", "."],
    "--decision": ["latest", "zzzz", "", "a", "0000"],
    "-d": ["log.db", "missing/log.db", "sqlite:///log.db", "nope://x", "runs.csv", "adir", ""],
    "--chosen": TEXT,
    "--status": ["accepted", "proposed", "rejected", ""],
    "--supersedes": TEXT,
    "--for": ["10m", "", "x", "-1m"],
    "--label": ["a=b", "a", "=", "a==b", ""],
    "--metric-map": [
        "metric_map.yaml",
        "missing.yaml",
        "bad.yaml",
        "list.yaml",
        "scale.yaml",
        "spec_list.yaml",
        "empty.csv",
    ],
    "-m": MODELS,
    "--model": MODELS,
    "-e": [
        "problems:fn",
        "problems:bad",
        "problems:boom",
        "problems:nope",
        "nope:fn",
        "problems",
        ":",
        "",
        "problems.py:fn",
        "os:system",
    ],
    "--guide": ["weights", "f1=0.5,f2=1", "f1=x", "=", "", "zz=1"],
    "--initial": ["initial.yaml", "bad.yaml", "list.yaml", "missing.yaml"],
    "--pop-size": ["2", "1", "abc"],
    "--stall-generations": ["0", "1", "-1"],
    "--stall-tol": ["0", "-1", "nan"],
    "--unknown-option": ["x"],
    "--emissions": ["missing.csv", "runs.csv", "text.json"],
}

BASES = {
    "analyze": (
        ["analyze", "runs.csv", "-m", "quality.yaml"],
        [
            "--method",
            "--format",
            "--smaa",
            "--seed",
            "--champion",
            "--stakeholder",
            "--id",
            "--replicates",
            "--output",
            "--emissions",
            "--unknown-option",
        ],
    ),
    "gate": (
        ["gate", "runs.csv", "-m", "quality.yaml", "-c", "a"],
        ["-c", "--against", "--champion", "--id", "-m", "--unknown-option"],
    ),
    "decide": (
        ["decide", "summary.json", "-d", "log.db"],
        ["-d", "--chosen", "--status", "--supersedes", "-o", "--unknown-option"],
    ),
    "export prometheus": (
        ["export", "prometheus", "-d", "log.db"],
        ["-d", "--decision", "--model", "--for", "--label", "--metric-map", "-o"],
    ),
    "export madr": (["export", "madr", "-d", "log.db"], ["-d", "--decision", "-o", "--unknown-option"]),
    "export optuna": (["export", "optuna", "-d", "log.db"], ["-d", "--decision", "--model", "-o"]),
    "decisions show": (["decisions", "show", "latest", "-d", "log.db"], ["-d", "-f"]),
    "search": (
        [
            "search",
            "space.yaml",
            "-m",
            "search.yaml",
            "-e",
            "problems:fn",
            "-o",
            "searchout",
            "--budget",
            "2",
            "--stall-generations",
            "1",
            "--no-progress",
        ],
        [
            "-m",
            "-e",
            "--budget",
            "--seed",
            "--pop-size",
            "--guide",
            "--initial",
            "--stall-generations",
            "--stall-tol",
            "--champion",
            "--unknown-option",
        ],
    ),
}
POSITIONAL = {
    "analyze": PATHS,
    "gate": PATHS,
    "decide": ["summary.json", "text.json", "list.json", "empty.json", "missing.json", "runs.csv", "adir"],
    "search": ["space.yaml", "bad.yaml", "list.yaml", "missing.yaml", "quality.yaml", "runs.csv"],
    "decisions show": ["latest", "zzzz", "", "a", "0000"],
}


#: What a message about a file's *contents* names instead of the file: a column, an id, a key.
CONTENT_NAMES = [
    "'acc'",
    "'latency_ms'",
    "'a'",
    "'b'",
    "'id'",
    "objectives",
    "YAML",
    "mapping",
    "JSON",
    "space",
    "parameters",
    "configurations",
]
FILE_OPTIONS = ("-m", "--model", "--emissions", "--metric-map", "--initial", "-d")


@st.composite
def argv_st(draw, commands=tuple(BASES)):
    """(argv, suspects): a base command with a few tokens changed; ``suspects`` are the changed tokens,
    one of which a rejection's message must name."""
    name = draw(st.sampled_from(commands))
    base, options = BASES[name]
    argv = list(base)
    suspects: list[str] = []
    words = len(name.split())
    if name in POSITIONAL and draw(st.booleans()):
        argv[words] = draw(st.sampled_from(POSITIONAL[name]))
        suspects += [argv[words], *CONTENT_NAMES]
    for _ in range(draw(st.integers(0, 3))):
        opt = draw(st.sampled_from(options))
        value = draw(st.sampled_from(CHOICES[opt]))
        if opt in argv:  # replace the base's value
            argv[argv.index(opt) + 1] = value
        else:
            argv += [opt, value]
        suspects += [opt, value, *(CONTENT_NAMES if opt in FILE_OPTIONS else [])]
    if draw(st.integers(0, 9)) == 0 and len(argv) > words + 1:  # drop one token
        i = draw(st.integers(words, len(argv) - 1))
        # click then names what is missing, or the value it now reads in the wrong place
        suspects += [
            argv[i],
            *argv[max(words, i - 1) : i + 2],
            "Missing argument",
            "Missing option",
            "requires an argument",
            "unexpected extra argument",
        ]
        del argv[i]
    return argv, suspects


def _names(suspects: list[str]) -> list[str]:
    out = []
    for token in suspects:
        out += [token, repr(token), token.strip()[:30], repr(token.strip()[:30])]
        if token.startswith("-"):
            out += [token.lstrip("-"), token.lstrip("-").replace("-", "_")]
        for part in re.split(r"[:#/,=]+", token):  # 'nope.db' of a source spec, 'zz' of 'zz=1'
            if len(part.strip()) >= 2:
                out += [part, repr(part)]
    return [t for t in out if t.strip()]


def classify(result, argv: list[str], suspects: list[str]) -> str:
    """Count one CLI run; raise if it was unhandled or its rejection message is unclear."""
    stderr = result.stderr if result.stderr_bytes is not None else ""
    out = result.stdout + stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        outcome(AREA, "unhandled")
        raise AssertionError(
            f"{argv!r} raised {type(result.exception).__name__}: {result.exception}"
        ) from result.exception
    if "Traceback (most recent call last)" in out:
        outcome(AREA, "unhandled")
        raise AssertionError(f"{argv!r} printed a traceback:\n{out}")
    if result.exit_code in (0, 1):
        outcome(AREA, "accepted")
        return "accepted"
    outcome(AREA, "rejected")
    if result.exit_code != 2:
        outcome(AREA, "unclear_message")
        raise UnclearMessage(f"{argv!r} exited {result.exit_code}, not 0/1/2:\n{out}")
    message = " ".join(stderr.split())
    names = _names(suspects)
    if len(message) < 15 or (names and not any(n in stderr or n in message for n in names)):
        outcome(AREA, "unclear_message")
        raise UnclearMessage(f"{argv!r} exited 2 with a message that names none of {suspects!r}: {stderr!r}")
    return "rejected"


def invoke(work: Path, argv: list[str]):
    runner = CliRunner()
    with contextlib.chdir(work):
        return runner.invoke(app, argv, catch_exceptions=True)


@given(case=argv_st(tuple(k for k in BASES if k != "search")))
@pytest.mark.slow
def test_fuzz_cli_arguments(work, case):
    argv, suspects = case
    classify(invoke(work, argv), argv, suspects)
    assert not (work / "executed").exists()


@given(case=argv_st(("search",)))
@settings(max_examples=max(5, settings().max_examples // 6))
def test_fuzz_search_arguments(work, case):
    argv, suspects = case
    assert classify(invoke(work, argv), argv, suspects) in ("accepted", "rejected")
    assert not (work / "executed").exists()


# --- real processes: nothing but a one-paragraph message reaches the terminal --------------------------

SUBPROCESS_CASES = [
    ["analyze", "missing.csv", "-m", "quality.yaml"],
    ["analyze", "runs.csv", "-m", "bad.yaml"],
    ["analyze", "runs.csv", "-m", "quality.yaml", "--seed", "-1"],
    ["analyze", "runs.csv", "-m", "quality.yaml", "--smaa", "99999999999999999999999"],
    ["analyze", "runs.csv", "-m", "quality.yaml", "-o", "adir"],
    ["analyze", "odd.csv", "-m", "quality.yaml"],
    ["gate", "runs.csv", "-m", "quality.yaml", "-c", "😀"],
    ["decide", "text.json", "-d", "log.db"],
    ["export", "madr", "-d", "nope://x"],
    ["search", "bad.yaml", "-m", "search.yaml", "-e", "problems:fn", "-o", "out"],
]


@pytest.mark.parametrize("argv", SUBPROCESS_CASES, ids=lambda a: " ".join(a)[:40])
@pytest.mark.slow
def test_subprocess_never_shows_a_traceback(work, argv):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]),
    }
    r = subprocess.run(
        [sys.executable, "-m", "workbench", *argv], capture_output=True, text=True, cwd=work, timeout=300, env=env
    )
    if "Traceback" in r.stderr + r.stdout:
        outcome(AREA, "unhandled")
        raise AssertionError(f"{argv!r} printed a traceback:\n{r.stderr}")
    outcome(AREA, "accepted" if r.returncode in (0, 1) else "rejected")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.strip() and len(r.stderr.strip().splitlines()) <= 8, r.stderr
