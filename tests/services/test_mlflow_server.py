"""The MLflow sources, the registry push-down and the search recorder against a real MLflow
tracking server (``mlflow server`` on 127.0.0.1 with a SQLite back end, started once per session)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.errors import CandidatesError

pytestmark = [pytest.mark.service, pytest.mark.slow]  # starts a real server
mlflow = pytest.importorskip("mlflow")


def oracle(url: str, experiment: str) -> pd.DataFrame:
    """mlflow.search_runs over HTTP: one row per run."""
    mlflow.set_tracking_uri(url)
    try:
        return mlflow.search_runs(experiment_names=[experiment], max_results=50_000)
    finally:
        mlflow.set_tracking_uri(None)


def test_read_over_http_matches_search_runs(mlflow_server):
    cands = wb.load(f"mlflow:{mlflow_server.url}#study")
    runs = oracle(mlflow_server.url, "study")
    expected = runs.groupby("tags.candidate")[["metrics.acc", "metrics.latency_ms"]].mean()
    assert len(cands) == 100 and len(cands.replicates) == 300 == len(runs)
    got = cands.table[["acc", "latency_ms"]].sort_index()
    np.testing.assert_allclose(got.to_numpy(), expected.loc[got.index].to_numpy(), rtol=1e-12)
    assert cands.source_ref["store"] == "server" and cands.source_ref["id_column"] == "tags.candidate"


def test_mixed_id_schemes_are_refused_naming_the_runs(mlflow_server):
    runs = oracle(mlflow_server.url, "mixed")
    untagged = runs.loc[runs["tags.candidate"].isna(), "run_id"].tolist()
    assert len(untagged) == 1
    with pytest.raises(CandidatesError, match=rf"10 of 11 runs .*and 1 do not: {untagged[0]} \(untagged-run\)"):
        wb.load(f"mlflow:{mlflow_server.url}#mixed")
    by_run = wb.load(f"mlflow:{mlflow_server.url}#mixed", id="run_id")
    assert len(by_run) == 11  # chosen explicitly: one candidate per run


def test_a_seed_missing_a_metric_is_reported_not_averaged(mlflow_server):
    runs = oracle(mlflow_server.url, "gappy")
    gap = runs.loc[runs["tags.mlflow.runName"] == "c0-s1", "run_id"].item()
    with pytest.warns(UserWarning, match=rf"'c0' 'latency_ms': missing in run\(s\) {gap}"):
        cands = wb.load(f"mlflow:{mlflow_server.url}#gappy")
    assert np.isnan(cands.table.loc["c0", "latency_ms"])
    c0 = runs[runs["tags.candidate"] == "c0"]
    assert cands.table.loc["c0", "acc"] == pytest.approx(c0["metrics.acc"].mean())  # complete metrics still averaged
    (item,) = cands.source_ref["incomplete_replicates"]
    assert item["missing_runs"] == [gap] and len(item["present_runs"]) == 2
    qm = wb.QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "latency_ms", "direction": "min"}]}
    )
    with pytest.warns(UserWarning):
        kept = wb.load(f"mlflow:{mlflow_server.url}#gappy", model=qm)
    assert "c0" not in kept.ids and "c0" in set(kept.exclusions["candidate"])


def test_alias_and_tags_pushed_down_over_http(mlflow_server):
    from mlflow import MlflowClient

    from workbench.decisions import DecisionRecord, mlflow_alias

    client = MlflowClient(mlflow_server.url)
    runs = oracle(mlflow_server.url, "study")
    name = "study-model"
    if not client.search_registered_models(f"name='{name}'"):
        client.create_registered_model(name)
    for cid in ("c1", "c2"):
        rid = runs.loc[runs["tags.candidate"] == cid, "run_id"].iloc[0]
        client.create_model_version(name, source=f"{client.get_run(rid).info.artifact_uri}/model", run_id=rid)
    cands = wb.load(f"mlflow:{mlflow_server.url}#study")
    qm = wb.QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "latency_ms", "direction": "min"}]}
    )
    record = DecisionRecord.from_analysis(wb.analyze(cands, qm), chosen="c2", rationale="over HTTP")
    artefact = mlflow_alias(record, mlflow_server.url, name)
    mv = client.get_model_version_by_alias(name, "champion")
    assert artefact["version"] == mv.version and mv.run_id in set(runs.loc[runs["tags.candidate"] == "c2", "run_id"])
    assert mv.tags["decision.id"] == record.id and mv.tags["decision.chosen"] == "c2"


def test_search_records_over_http(mlflow_server, tmp_path):
    pytest.importorskip("pymoo")
    from workbench.search import Float, Space, search
    from workbench.search.evaluate import resolve

    problems = Path(__file__).parents[1] / "search" / "problems.py"
    fn = resolve(f"{problems}:replicated")[0]
    qm = wb.QualityModel.from_dict(
        {
            "objectives": [
                {"name": "f1", "direction": "min", "aggregation": "median"},
                {"name": "f2", "direction": "min"},
            ]
        }
    )
    space = Space([Float("x0", 0, 1), Float("x1", 0, 1)])
    target = f"{mlflow_server.url}#search-over-http"
    r = search(space, qm, fn, budget=10, seed=0, pop_size=10, mlflow=target)
    runs = oracle(mlflow_server.url, "search-over-http")
    assert len(runs) == 3 * 10 and set(runs["tags.candidate"]) == set(r.candidates.ids)
    again = search(space, qm, fn, budget=10, seed=0, pop_size=10, mlflow=target)
    assert again.reused == 10 and again.calls == 0  # resumed from the server's record


def test_cli_timeout_flag_reaches_a_slow_server(tmp_path):
    """--timeout bounds each request; the message names the server, the failure and the flag."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)  # accepts (the kernel completes the handshake) and never answers
    port = sock.getsockname()[1]
    (tmp_path / "q.yaml").write_text("objectives:\n  - {name: acc, direction: max}\n")
    try:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "workbench",
                "analyze",
                f"mlflow:http://127.0.0.1:{port}#x",
                "-m",
                "q.yaml",
                "--timeout",
                "1",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "WORKBENCH_MLFLOW_RETRIES": "1", "LANG": "C.UTF-8"},
        )
    finally:
        sock.close()
    assert r.returncode == 2, r.stderr
    assert f"'http://127.0.0.1:{port}'" in r.stderr and "did not answer in time" in r.stderr
    assert "Tried 2 time(s), 1 s each" in r.stderr and "--timeout" in r.stderr


def test_schema_skew_fix_works(mlflow_server, tmp_path):
    """The server's database read directly by this client: when their MLflow versions differ the
    read is refused, and the fix the message gives makes it readable."""
    from mlflow.store.db.utils import _get_latest_schema_revision

    copy = tmp_path / "server-copy.db"
    shutil.copy(mlflow_server.folder / "server.db", copy)
    with sqlite3.connect(copy) as con:
        found = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    if found == _get_latest_schema_revision():
        pytest.skip("the server's MLflow and this client have the same schema revision: no skew to show")
    uri = f"sqlite:///{copy}"
    with pytest.raises(
        CandidatesError, match=r"an older schema[\s\S]*Fix: back it up and run 'mlflow db upgrade"
    ) as err:
        wb.load(f"mlflow:{uri}#study")
    command = err.value.args[0].split("run '", 1)[1].split("'", 1)[0].split()
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    done = subprocess.run([str(mlflow_cli), *command[1:]], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(wb.load(f"mlflow:{uri}#study")) == 100
