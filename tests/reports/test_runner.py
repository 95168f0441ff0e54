"""run_review and `workbench review` on the embedded example: outputs, provenance, determinism, failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.reports import ReviewFailed, run_review

pytestmark = pytest.mark.slow

OUTPUTS = ("review.ipynb", "memo.html", "summary.json", "decision.md")


def _without_times(summary: dict) -> dict:
    out = json.loads(json.dumps(summary))
    for key in ("started", "finished"):
        out["provenance"].pop(key)
    return out


def test_a_review_writes_its_four_outputs(review):
    for name in OUTPUTS:
        assert (review.output_dir / name).is_file(), name
    assert sorted(p.name for p in review.output_dir.iterdir()) == sorted(OUTPUTS)  # no temp files left
    s = json.loads(review.summary_path.read_text())
    assert s == review.summary
    assert set(s) >= {"title", "analysis", "quality_model", "decision", "provenance", "views"}
    assert s["title"] == "Which classifier ships?"
    d = s["decision"]
    assert d["chosen"] == s["analysis"]["recommended"] == review.chosen
    assert d["decision_makers"] == ["Ana Lima", "Ops lead"]
    assert set(d["stakeholder_choices"]) == {"model", "clinical", "operations"}
    assert d["rationale"].startswith(f"We recommend {d['chosen']}.")
    assert "ranks first under" in d["rationale"]  # SMAA in words
    assert all(t["text"] for t in d["tradeoffs"])
    assert set(s["views"]) >= {"pareto", "ranking", "acceptability", "stability"}


def test_provenance(review, review_params, example_store):
    from workbench._io import file_sha256

    p = review.summary["provenance"]
    inputs = {i["role"]: i for i in p["inputs"]}
    assert inputs["candidates"]["spec"] == example_store.source
    assert inputs["quality_model"]["sha256"] == file_sha256(example_store.quality_model_path)
    assert inputs["emissions"]["sha256"] == file_sha256(example_store.emissions_csv)
    assert len(p["run_ids"]) == example_store.n_runs
    assert p["model_hash"] == review.summary["analysis"]["model_hash"]
    assert p["data_hash"] == review.summary["analysis"]["data_hash"]
    assert p["seed"] == 0 and p["parameters"]["smaa_samples"] == review_params["smaa_samples"]
    assert "output_dir" not in p["parameters"]
    assert {"mltradeops-workbench", "numpy", "pandas", "altair", "papermill"} <= set(p["packages"])
    assert p["template"] == "trade_off_review" and p["template_version"]
    assert p["started"] <= p["finished"] and p["finished"].endswith("Z")
    nb = json.loads(review.notebook.read_text())
    assert nb["metadata"]["papermill"]["parameters"]["seed"] == 0  # papermill's run record
    memo = review.memo.read_text()
    for text in (p["model_hash"], inputs["quality_model"]["sha256"], p["started"], "papermill"):
        assert text in memo


def test_decision_record_is_madr(review):
    text = review.decision.read_text()
    assert text.startswith("---\nstatus: accepted")
    assert "## Decision Outcome" in text and review.chosen in text


def test_same_inputs_and_seed_give_the_same_summary(review, review_params, tmp_path):
    again = run_review("trade_off_review", review_params, tmp_path / "again", progress=False)
    assert _without_times(again.summary) == _without_times(review.summary)
    assert again.chosen == review.chosen


def test_a_failing_review_keeps_the_notebook_and_the_old_memo(review_copy, review_params, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,recall,precision\na,0.9,0.9\nb,0.8,0.95\n")  # model objectives missing
    before = {n: (review_copy / n).read_bytes() for n in OUTPUTS}
    params = {**review_params, "candidates": str(bad), "emissions": ""}
    with pytest.raises(
        ReviewFailed,
        match=r"(?s)failed: \w+Error in cell \[\d+\]: .*latency_p95_ms.*"
        r"review\.failed\.ipynb",
    ) as info:
        run_review("trade_off_review", params, review_copy, progress=False)
    failed = review_copy / "review.failed.ipynb"
    assert info.value.notebook == failed and failed.is_file()
    nb = json.loads(failed.read_text())
    assert any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
    assert ".review-" not in failed.read_text()  # it records the output folder, not the staging folder
    assert nb["metadata"]["papermill"]["parameters"]["output_dir"] == str(review_copy)
    for name, data in before.items():
        assert (review_copy / name).read_bytes() == data, f"{name} was touched by the failed run"
    assert not [p for p in review_copy.iterdir() if p.name.startswith(".")]  # no staging or temp left


def _clean_env(tmp_path: Path) -> dict:
    """A scheduler's environment: minimal PATH (not the venv's bin), and a Jupyter path whose
    'python3' kernel spec is broken, so only a kernel of this interpreter can run the review."""
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(
        json.dumps({"argv": ["/bin/false", "{connection_file}"], "display_name": "broken", "language": "python"})
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "JUPYTER_PATH": str(tmp_path / "jupyter"),
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter"),
    }
    for key in ("SYSTEMROOT", "TMPDIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _cli(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "review", *args],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cli_review_from_a_clean_shell(example_store, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(f"quality_model: {example_store.quality_model_path}\nsmaa_samples: 200\n")
    r = _cli(
        [
            "trade_off_review",
            "-p",
            "candidates",
            example_store.source,
            "-f",
            str(params),
            "-p",
            "decision_makers",
            "[Ana, Bo]",
            "-o",
            "out",
            "--no-progress",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    for name in OUTPUTS:
        assert (tmp_path / "out" / name).is_file()
    assert f"Memo: {(tmp_path / 'out' / 'memo.html').resolve()}" in r.stdout
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["decision"]["decision_makers"] == ["Ana", "Bo"]


def test_cli_exit_codes(example_store, tmp_path):
    r = _cli(["trade_off_review", "-p", "candidates", "x.csv", "-p", "quality_modle", "q.yaml"], tmp_path)
    assert r.returncode == 2
    assert "Did you mean 'quality_model'?" in r.stderr and "smaa_samples" in r.stderr
    r = _cli(
        ["trade_off_review", "-p", "candidates", "x.csv", "-p", "quality_model", "q.yaml", "-p", "seed", "abc"],
        tmp_path,
    )
    assert r.returncode == 2 and "'seed' must be int" in r.stderr
    r = _cli(["trade_off_review", "-p", "candidates"], tmp_path)
    assert r.returncode == 2 and "needs a KEY and a VALUE" in r.stderr
    r = _cli(
        [
            "trade_off_review",
            "-p",
            "candidates",
            str(tmp_path / "missing.csv"),
            "-p",
            "quality_model",
            str(example_store.quality_model_path),
            "-o",
            "out",
        ],
        tmp_path,
    )
    assert r.returncode == 1, r.stderr
    assert "review failed" in r.stderr and "missing.csv" in r.stderr
    assert (tmp_path / "out" / "review.failed.ipynb").is_file()
    assert not (tmp_path / "out" / "memo.html").exists()


def test_run_review_works_from_a_notebook_cell(example_store, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    out = tmp_path / "from-cell"
    src = (
        f"from workbench.reports import run_review\n"
        f"r = run_review('trade_off_review', {{'candidates': {example_store.source!r}, "
        f"'quality_model': {str(example_store.quality_model_path)!r}, 'smaa_samples': 100}}, {str(out)!r})\n"
        f"print('chosen:', r.chosen)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
    NotebookClient(nb, kernel_name="python3", timeout=600).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o["output_type"] == "stream")
    assert "chosen: " in text
    assert (out / "memo.html").is_file()


def test_a_review_with_nothing_feasible_records_no_decision(tmp_path):
    import pandas as pd

    pd.DataFrame({"id": ["a", "b"], "acc": [0.5, 0.6], "ms": [50, 60]}).to_csv(tmp_path / "c.csv", index=False)
    (tmp_path / "q.yaml").write_text(
        "objectives:\n  - {name: acc, direction: max, constraint: '>= 0.9'}\n  - {name: ms, direction: min}\n"
    )
    r = run_review(
        "trade_off_review",
        {"candidates": str(tmp_path / "c.csv"), "quality_model": str(tmp_path / "q.yaml"), "smaa_samples": 50},
        tmp_path / "out",
        progress=False,
    )
    assert r.chosen is None
    assert "No recommendation: no candidate meets every constraint" in r.memo.read_text()
    assert 'id="spec-whatif"' not in r.memo.read_text()
    assert "No option chosen" in r.decision.read_text()


def test_the_memo_views_keep_tooltips_and_brushing(review):
    pareto = json.dumps(review.summary["views"]["pareto"])
    assert '"interval"' in pareto and '"tooltip"' in pareto  # the brush and the tooltips survive
    memo = review.memo.read_text()
    assert 'id="spec-pareto"' in memo and 'id="spec-whatif"' in memo
    assert len(memo.encode()) < 3 * 1024 * 1024
