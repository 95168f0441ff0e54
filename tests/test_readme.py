"""The README's promises: the notebook example runs, and the demo writes what it says."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
pytestmark = pytest.mark.slow  # the full demo: trains the example's models, reviews, decides, watches


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """Run the main job exactly as `make demo` does (quick grid), in a fresh process."""
    root = tmp_path_factory.mktemp("newcomer")
    r = subprocess.run(
        [sys.executable, "-m", "workbench", "demo", "--out", "demo-output", "--quick", "--smaa", "2000"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    return root, r.stdout


def test_demo_prints_where_its_output_is(demo_dir):
    root, out = demo_dir
    assert "Recommended:" in out
    path = re.search(r"Analysis JSON: (\S+)", out).group(1)
    data = json.loads(Path(path).read_text())
    assert Path(path).resolve() == (root / "demo-output" / "analysis.json").resolve()
    assert data["recommended"] in {c["id"] for c in data["candidates"]}
    assert data["source"].startswith("mlflow:")
    assert all("acceptability" in c for c in data["candidates"])


def test_readme_notebook_example_runs(demo_dir, monkeypatch):
    root, _ = demo_dir
    text = README.read_text()
    block = re.search(r"## In a notebook\s+```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) == 5
    monkeypatch.chdir(root)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    frame = namespace["a"].to_frame()
    assert {"feasible", "front", "score", "rank", "knee", "acceptability"} <= set(frame.columns)
    interactive = re.search(r"## Interactively\s+```python\n(.*?)```", text, re.S).group(1)
    exec(compile(interactive, "README.md", "exec"), namespace)
    assert (root / "quality.decided.yaml").is_file()
    assert namespace["ex"].selected.empty


def test_demo_runs_the_full_cycle(demo_dir):
    """`make demo`: the review's memo and decision record exist where printed, and the decision is logged."""
    root, out = demo_dir
    memo = Path(re.search(r"^Memo: (\S+)", out, re.M).group(1))
    record = Path(re.search(r"^Decision record: (\S+)", out, re.M).group(1))
    assert memo.is_absolute() and memo.is_file() and memo.stat().st_size < 3 * 1024 * 1024
    assert record.is_absolute() and record.read_text().startswith("---\nstatus: accepted")
    assert (root / "demo-output" / "review" / "summary.json").is_file()
    assert (root / "demo-output" / "decisions.db").is_file()
    logged = re.search(r"^Decision log: (\w+) in ", out, re.M).group(1)
    assert logged in record.read_text()


def test_demo_watches_production_against_the_decision(demo_dir):
    """The monitoring leg: served logs of the example models, one degrading, checked against the decision."""
    root, out = demo_dir
    path = Path(re.search(r"^Triggers: (\S+) \((review due|no review due)\)", out, re.M).group(1))
    data = json.loads(path.read_text())
    assert data["review_due"] is True and "review due" in out
    violated = {t["version"] for t in data["triggers"] if t["kind"] == "constraint_violated"}
    assert "rf-30-d4" in violated
    assert data["provenance"]["decision"]["chosen"] in out
    assert (root / "demo-output" / "serving-logs").is_dir()


def test_the_demos_decision_verifies(demo_dir):
    """`workbench decisions verify` re-derives the demo's recorded decision from its MLflow store."""
    root, _ = demo_dir
    r = subprocess.run(
        [sys.executable, "-m", "workbench", "decisions", "verify", "latest", "-d", "demo-output/decisions.db"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("verified: same choice (")
