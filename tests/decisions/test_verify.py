"""`decisions verify`: a recorded decision re-derived from its data — verified when nothing
changed, and exactly what differs when the data, the model, the library or the choice did."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench import QualityModel, analyze, load
from workbench.cli import app
from workbench.decisions import DecisionRecord
from workbench.decisions.verify import evidence_digest, verify_decision
from workbench.errors import SourceNotFoundError

MODEL = """
name: api
objectives:
  - {name: acc, direction: max, weight: 2, tolerance: 0.002}
  - {name: ms, direction: min, unit: ms, tolerance: 1, constraint: "<= 30"}
"""


@pytest.fixture
def study(tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        {"id": c, "seed": s, "acc": a + 0.01 * rng.standard_normal(), "ms": m + rng.standard_normal()}
        for c, (a, m) in {"v8": (0.93, 20), "v7": (0.90, 22), "v1": (0.70, 10)}.items()
        for s in range(5)
    ]
    runs = tmp_path / "runs.csv"
    pd.DataFrame(rows).to_csv(runs, index=False)
    qm_path = tmp_path / "quality.yaml"
    qm_path.write_text(MODEL)
    qm = QualityModel.from_yaml(qm_path)
    record = DecisionRecord.from_analysis(
        analyze(load(runs, model=qm), qm, smaa=300, seed=3), rationale="Accuracy first.", decision_makers=["Ann"]
    )
    return runs, qm_path, record


def test_an_untouched_decision_verifies(study):
    _, _, record = study
    v = verify_decision(record)
    assert v.verified and v.exit_code == 0 and v.differences == [] and v.rederived_choice == record.chosen
    assert v.recorded_digest == v.rederived_digest == evidence_digest(record)
    assert str(v).startswith(f"verified: same choice ({record.chosen}), same summary digest (sha256:")
    # the digest is about the evidence, not who recorded it or when
    other = DecisionRecord.from_dict({**record.to_dict(), "id": "x" * 32, "rationale": "", "decision_makers": []})
    assert evidence_digest(other) == evidence_digest(record)


def test_tampered_data_is_caught(study):
    runs, _, record = study
    df = pd.read_csv(runs)
    df.loc[(df["id"] == "v7") & (df["seed"] == 2), "acc"] += 0.04  # one seed of one candidate
    df.to_csv(runs, index=False)
    v = verify_decision(record)
    assert not v.verified and v.exit_code == 1
    assert v.differences[0].startswith(f"data changed: the candidates from {runs} hash ")
    assert any(d.startswith("different summary digest:") and "data_hash" in d for d in v.differences)
    assert any(d.startswith("v7: acc ") for d in v.differences)


def test_a_different_choice_and_a_changed_model_are_named(study, tmp_path):
    runs, _, record = study
    df = pd.read_csv(runs)
    df.loc[df["id"] == "v7", "acc"] += 0.08
    df.to_csv(runs, index=False)
    v = verify_decision(record)
    assert "different choice: the analysis now recommends v7, it recommended v8" in v.differences
    changed = tmp_path / "changed.yaml"
    changed.write_text(MODEL.replace("tolerance: 0.002", "tolerance: 0.02"))
    v = verify_decision(record, model=changed)
    assert v.differences[0].startswith("model changed: the given quality model hashes ")


def test_a_newer_library_is_a_note_when_the_digest_holds_and_a_difference_otherwise(study):
    runs, _, record = study
    old = dataclasses.replace(record, provenance={**record.provenance, "workbench_version": "0.0.1"})
    v = verify_decision(old)
    assert v.verified and v.notes == [
        (f"library version changed: recorded with workbench 0.0.1, verified with {v.versions[1]}")
    ]
    df = pd.read_csv(runs)
    df.loc[0, "ms"] += 3
    df.to_csv(runs, index=False)
    v = verify_decision(old)
    assert not v.verified and v.differences[-1].startswith("library version changed: recorded with workbench 0.0.1")


def test_missing_data_is_bad_input(study, tmp_path):
    runs, _, record = study
    runs.rename(tmp_path / "moved.csv")
    with pytest.raises(SourceNotFoundError, match=r"(?s)is not where it was.*--candidates"):
        verify_decision(record)
    assert verify_decision(record, candidates=str(tmp_path / "moved.csv")).verified


def test_cli_verify_exit_codes_and_reading_verbs_refuse_a_missing_log(study, tmp_path, monkeypatch):
    runs, qm_path, _ = study
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    r = run(app, ["analyze", str(runs), "-m", str(qm_path), "--smaa", "200", "-f", "json", "-o", "a.json"])
    assert r.exit_code == 0, r.output
    r = run(app, ["decide", "a.json", "-d", "log.db"])
    assert r.exit_code == 0, r.output
    ok = run(app, ["decisions", "verify", "latest", "-d", "log.db"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("verified: same choice (v8), same summary digest")
    df = pd.read_csv(runs)
    df.loc[0, "acc"] += 0.05
    df.to_csv(runs, index=False)
    bad = run(app, ["decisions", "verify", "latest", "-d", "log.db"])
    assert bad.exit_code == 1 and "data changed" in bad.output
    # a typo in the log path: exit 2 naming it, and nothing is created
    for verb in (["decisions", "list"], ["decisions", "show", "latest"], ["decisions", "verify", "latest"]):
        typo = run(app, [*verb, "-d", "typo.db"])
        assert typo.exit_code == 2 and "The decision log" in typo.output and "typo.db' does not exist" in typo.output
    assert not (tmp_path / "typo.db").exists()


def test_decisions_diff_prints_numbers_like_the_memo(study, tmp_path):
    """Regression: `decisions diff` printed raw floats (0.6666666666666666)."""
    from workbench.decisions import DecisionLog

    runs, qm_path, record = study
    qm = QualityModel.from_yaml(qm_path)
    a = analyze(load(runs, model=qm), qm, weights={"acc": 1, "ms": 2})
    with DecisionLog(tmp_path / "d.db") as log:
        first = log.append(record)
        second = log.append(DecisionRecord.from_analysis(a, supersedes=first.id))
    r = CliRunner().invoke(app, ["decisions", "diff", first.id, second.id, "-d", str(tmp_path / "d.db")])
    assert r.exit_code == 0, r.output
    assert "weight acc: 0.6667 → 0.3333" in r.output and "0.666666" not in r.output
