"""MLflow reader: real stores written with the MLflow API (SQLite and the old file store)."""

import os
import socket
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import QualityModel
from workbench.errors import (
    CandidatesError,
    SourceNotFoundError,
    UnknownNameError,
    UnknownObjectiveError,
    WorkbenchError,
)

mlflow = pytest.importorskip("mlflow")
from workbench.sources.mlflow import SourceUnreachableError, read_mlflow  # noqa: E402

QM = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max"},
            {"name": "latency_ms", "direction": "min", "unit": "ms"},
        ]
    }
)

# candidate -> seed -> (final acc, latency_ms or None)
FRAUD = {
    "rf": {0: (0.91, 12.0), 1: (0.93, 14.0), 2: (0.92, 13.0)},
    "lr": {0: (0.85, 2.0), 1: (0.87, 3.0)},
    "gb": {0: (0.95, None)},  # never logged latency
}


def _log(client, exp_id, *, tags, name, params, metrics, status="FINISHED", start=None):
    run = client.create_run(exp_id, tags=tags, run_name=name, start_time=start)
    rid = run.info.run_id
    for k, v in params.items():
        client.log_param(rid, k, v)
    for k, v in metrics.items():
        client.log_metric(rid, k, v[0] - 0.1 if k == "acc" else v, step=0)  # history: latest wins
        client.log_metric(rid, k, v[0] if k == "acc" else v, step=1)
    client.set_terminated(rid, status)
    return rid


def _populate(client):
    """Same content for the SQLite and the file store; returns run ids by (candidate, seed)."""
    ids = {}
    t0 = 1_700_000_000_000
    fraud = client.create_experiment("fraud")
    for i, (cand, seeds) in enumerate(FRAUD.items()):
        for seed, (acc, lat) in seeds.items():
            metrics = {"acc": (acc,)}
            if lat is not None:
                metrics["latency_ms"] = lat
            ids[cand, seed] = _log(
                client,
                fraud,
                name=f"{cand}-s{seed}",
                start=t0 + 1000 * (10 * i + seed),
                tags={
                    "candidate": cand,
                    "seed": str(seed),
                    "mlflow.user": "ana",
                    "mlflow.source.name": "/home/ana/train.py",
                    "mlflow.log-model.history": "[{...}]",
                },
                params={"model": cand, "n_estimators": "100", "seed": str(seed)},
                metrics=metrics,
            )
    ids["svm", 0] = _log(
        client,
        fraud,
        name="svm-s0",
        start=t0 + 90_000,
        tags={"candidate": "svm"},
        params={"model": "svm"},
        metrics={"acc": (0.5,)},
        status="FAILED",
    )
    ids["knn", 0] = _log(
        client,
        fraud,
        name="knn-s0",
        start=t0 + 91_000,
        tags={"candidate": "knn"},
        params={"model": "knn"},
        metrics={"acc": (0.6,)},
        status="KILLED",
    )
    deleted = _log(
        client,
        fraud,
        name="oops",
        start=t0 + 92_000,
        tags={"candidate": "oops"},
        params={},
        metrics={"acc": (0.1,)},
    )
    client.delete_run(deleted)
    ids["deleted"] = deleted
    v2 = client.create_experiment("fraud-v2")  # no candidate tags, unique run names
    for name, acc in [("alpha", 0.8), ("beta", 0.82)]:
        ids[name] = _log(
            client,
            v2,
            name=name,
            start=t0 + 100_000 + len(ids),
            tags={},
            params={"lr": "0.1"},
            metrics={"acc": (acc,), "latency_ms": 5.0},
        )
    dup = client.create_experiment("dup-names")  # repeated run names -> run ids
    for acc in (0.7, 0.71):
        _log(
            client,
            dup,
            name="same",
            start=t0 + 200_000 + int(acc * 100),
            tags={},
            params={},
            metrics={"acc": (acc,)},
        )
    return ids


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with warnings.catch_warnings():  # SQLAlchemy deprecation noise from MLflow's store
        warnings.simplefilter("ignore")
        client = mlflow.MlflowClient(tracking_uri=uri)
        ids = _populate(client)
    return uri, folder, ids


@pytest.fixture(scope="module")
def file_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("filestore") / "mlruns"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        client = mlflow.MlflowClient(tracking_uri=root.as_uri())
        ids = _populate(client)
        own = client.search_runs([client.get_experiment_by_name("fraud").experiment_id])
    return root, ids, {r.info.run_id: r.data.metrics for r in own}


def test_candidate_tag_groups_seeds_into_replicates(sqlite_store):
    uri, _, ids = sqlite_store
    c = read_mlflow(uri, ["fraud"])
    assert c.table.index.tolist() == ["rf", "lr", "gb"]  # in the order they were run
    assert c.metrics == ["acc", "latency_ms"]
    acc = {k: np.mean([v[0] for v in seeds.values()]) for k, seeds in FRAUD.items()}
    np.testing.assert_allclose(c.table["acc"], [acc["rf"], acc["lr"], acc["gb"]])  # latest value, not step 0
    assert c.table.loc["rf", "latency_ms"] == pytest.approx(13.0)
    assert np.isnan(c.table.loc["gb", "latency_ms"])  # missing metric kept as NaN here
    assert c.spread.loc["rf", "acc"] == pytest.approx(np.std([0.91, 0.93, 0.92], ddof=1))
    assert c.replicates.index.get_level_values("replicate").tolist() == [
        "0",
        "1",
        "2",
        "0",
        "1",
        "0",
    ]
    ref = c.source_ref
    assert ref["id_column"] == "tags.candidate" and ref["replicate_column"] == "tags.seed"
    assert ref["runs"][ids["rf", 1]] == ["rf", "1"]
    assert ref["experiments"] == {"fraud": mlflow.MlflowClient(uri).get_experiment_by_name("fraud").experiment_id}
    assert ref["excluded"] == {"FAILED": 1, "KILLED": 1, "deleted": 1}


def test_params_stay_text_in_provenance_and_system_tags_are_trimmed(sqlite_store):
    uri, _, ids = sqlite_store
    c = read_mlflow(uri, ["fraud"])
    prov = c.provenance
    assert "n_estimators" not in c.metrics and "params.n_estimators" not in c.metrics
    assert prov.loc["rf", "params.n_estimators"] == "100"
    assert prov.loc["rf", "params.seed"] == "0, 1, 2"  # differing values are listed
    assert prov.loc["rf", "run_id"] == ", ".join(ids["rf", s] for s in range(3))
    assert prov.loc["gb", "run_id"] == ids["gb", 0]
    assert prov.loc["rf", "experiment"] == "fraud" and prov.loc["rf", "status"] == "FINISHED"
    assert prov.loc["rf", "start_time"] < prov.loc["rf", "end_time"]
    assert str(prov["start_time"].dtype).endswith("UTC]")
    assert prov.loc["rf", "tags.mlflow.user"] == "ana"
    assert "tags.mlflow.source.name" not in prov and "tags.mlflow.log-model.history" not in prov
    assert c.source_ref["dropped_system_tags"] == ["mlflow.log-model.history", "mlflow.source.name"]


def test_unfinished_and_deleted_runs_are_excluded_with_a_reason(sqlite_store):
    uri, _, ids = sqlite_store
    c = read_mlflow(uri, ["fraud"])
    ex = c.exclusions.set_index("candidate")
    assert set(ex.index) == {"svm", "knn", "oops"}  # labelled by their candidate tag
    assert "status FAILED" in ex.loc["svm", "reason"] and ids["svm", 0] in ex.loc["svm", "reason"]
    assert "include_unfinished=True" in ex.loc["knn", "reason"]
    assert ex.loc["oops", "reason"] == f"run {ids['deleted']}: run is deleted (in MLflow's trash)"
    assert (ex["source"] == c.source).all()
    everything = read_mlflow(uri, ["fraud"], include_unfinished=True)
    assert everything.table.index.tolist() == ["rf", "lr", "gb", "svm", "knn"]
    assert everything.provenance.loc["svm", "status"] == "FAILED"


def test_missing_objective_value_is_excluded_by_the_model_only(sqlite_store):
    uri, _, _ = sqlite_store
    c = wb.load(f"mlflow:{uri}#fraud", model=QM)
    assert c.table.index.tolist() == ["rf", "lr"]
    assert "latency_ms=nan" in c.exclusions.set_index("candidate").loc["gb", "reason"]
    acc_only = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    assert wb.load(f"mlflow:{uri}#fraud", model=acc_only).table.index.tolist() == ["rf", "lr", "gb"]


def test_ids_without_candidate_tags(sqlite_store):
    uri, _, ids = sqlite_store
    v2 = read_mlflow(uri, ["fraud-v2"])
    assert v2.table.index.tolist() == ["alpha", "beta"] and v2.source_ref["id_column"] == "run_name"
    assert v2.replicates is None
    dup = read_mlflow(uri, "dup-names")
    assert dup.source_ref["id_column"] == "run_id" and len(dup) == 2
    assert all(len(i) == 32 for i in dup.table.index)


def test_several_experiments_and_load_spec(sqlite_store):
    uri, _, _ = sqlite_store
    # not every run has a candidate tag: mixing id schemes is refused, naming the runs without it
    with pytest.raises(
        CandidatesError,
        match=r"6 of 8 runs .* have a 'candidate' tag and 2 do not: "
        r"\w+ \(alpha\), \w+ \(beta\)[\s\S]*id='run_name'",
    ):
        wb.load(f"mlflow:{uri}#fraud,fraud-v2")
    c = wb.load(f"mlflow:{uri}#fraud,fraud-v2", id="run_name")
    assert c.source_ref["id_column"] == "run_name"
    # an id named explicitly is taken as given: no grouping of identical parameters
    assert set(c.table.index) == {"rf-s0", "rf-s1", "rf-s2", "lr-s0", "lr-s1", "gb-s0", "alpha", "beta"}
    assert set(c.provenance["experiment"]) == {"fraud", "fraud-v2"}
    assert c.source == f"mlflow:{uri}#fraud,fraud-v2"
    # an experiment id is accepted too
    exp_id = mlflow.MlflowClient(uri).get_experiment_by_name("fraud-v2").experiment_id
    assert read_mlflow(uri, [exp_id]).table.index.tolist() == ["alpha", "beta"]


def test_explicit_id_and_replicate_columns(sqlite_store):
    uri, _, ids = sqlite_store
    c = read_mlflow(uri, ["fraud"], id="params.model", replicate_column="params.seed", summary="median")
    assert c.table.index.tolist() == ["rf", "lr", "gb"]
    assert c.table.loc["rf", "acc"] == pytest.approx(0.92)
    assert c.source_ref["replicate_column"] == "params.seed" and c.source_ref["summary"] == "median"
    # an explicit id without a replicate column: repeated ids are replicates keyed by the seed tag
    d = read_mlflow(uri, ["fraud"], id="params.model")
    assert d.source_ref["replicate_column"] == "tags.seed"
    # run ids as the replicate key
    e = read_mlflow(uri, ["fraud"], replicate_column="run_id")
    assert set(e.replicates.loc["lr"].index) == {ids["lr", 0], ids["lr", 1]}
    assert e.provenance.loc["lr", "run_id"] == f"{ids['lr', 0]}, {ids['lr', 1]}"
    with pytest.raises(
        UnknownNameError,
        match="(?s)Id column 'tags.candidat' is not.*Did you mean 'tags.candidate'",
    ):
        read_mlflow(uri, ["fraud"], id="tags.candidat")
    with pytest.raises(UnknownObjectiveError, match="(?s)Metric 'acuracy'.*Did you mean 'acc'"):
        read_mlflow(uri, ["fraud"], metrics=["acuracy"])
    with pytest.raises(UnknownObjectiveError, match="(?s)'n_estimators' is a parameter"):
        read_mlflow(uri, ["fraud"], metrics=["n_estimators"])
    only = read_mlflow(uri, ["fraud"], metrics=["acc"])
    assert only.metrics == ["acc"]


def test_missing_experiment_lists_names(sqlite_store):
    uri, _, _ = sqlite_store
    with pytest.raises(
        SourceNotFoundError,
        match=r"(?s)Experiment 'frad' is not an experiment of sqlite:.*"
        r"Valid: Default, dup-names, fraud, fraud-v2\..*Did you mean 'fraud'\?",
    ):
        read_mlflow(uri, ["frad"])
    with pytest.raises(CandidatesError, match="No MLflow experiment was named"):
        read_mlflow(uri, [])


def test_typo_in_sqlite_path_creates_nothing(sqlite_store):
    _, folder, _ = sqlite_store
    typo = folder / "mlfow.db"
    with pytest.raises(
        SourceNotFoundError,
        match=r"(?s)MLflow database '.*mlfow.db' does not exist.*nothing was created.*"
        r"Did you mean 'mlflow.db'\?",
    ):
        read_mlflow(f"sqlite:///{typo}", ["fraud"])
    assert not typo.exists()
    with pytest.raises(SourceNotFoundError):
        wb.load(f"mlflow:{typo}#fraud")  # a plain path to a .db file
    assert not typo.exists()


def test_foreign_sqlite_database_is_not_touched(tmp_path):
    db = tmp_path / "optuna.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE studies (id INTEGER)")
    con.execute("CREATE TABLE trials (id INTEGER)")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(CandidatesError, match="not an MLflow tracking store.*Optuna storage"):
        read_mlflow(f"sqlite:///{db}", ["fraud"])
    assert db.read_bytes() == before


def test_stopped_server_is_retried_then_named_with_a_fix(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    keys = ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")
    before = {k: os.environ.get(k) for k in keys}
    monkeypatch.setenv("WORKBENCH_MLFLOW_RETRIES", "1")
    with pytest.raises(
        SourceUnreachableError,
        match=rf"(?s)Cannot reach the MLflow tracking server "
        rf"'http://127.0.0.1:{port}': the connection was refused.*Tried 2 time\(s\), 3 s each"
        r".*Fix: start the server.*WORKBENCH_MLFLOW_TIMEOUT",
    ):
        read_mlflow(f"http://127.0.0.1:{port}", ["fraud"], timeout=3)
    assert {k: os.environ.get(k) for k in keys} == before  # set for the call only


class _Peer:
    """A real TCP server on 127.0.0.1: ``silent`` accepts and never answers; ``503`` answers
    every request with 503 Service Unavailable. Counts the requests it received."""

    def __init__(self, mode):
        import threading

        self.mode, self.requests, self.conns = mode, 0, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.mode == "503":
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests += 1
                conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                conn.close()
            else:
                self.requests += 1

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.slow
def test_slow_server_times_out_with_the_timeout_named(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MLFLOW_RETRIES", "1")
    peer = _Peer("silent")
    try:
        with pytest.raises(
            SourceUnreachableError,
            match=r"(?s)did not answer in time.*Tried 2 time\(s\), 1 s each"
            r".*--timeout SECONDS or WORKBENCH_MLFLOW_TIMEOUT",
        ):
            read_mlflow(f"http://127.0.0.1:{peer.port}", ["fraud"], timeout=1)
    finally:
        peer.close()
    assert peer.requests == 2  # the first try and one retry


@pytest.mark.slow
def test_server_errors_are_retried_a_bounded_number_of_times(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MLFLOW_TIMEOUT", "2")
    monkeypatch.setenv("WORKBENCH_MLFLOW_RETRIES", "2")
    peer = _Peer("503")
    try:
        with pytest.raises(SourceUnreachableError, match=r"(?s)server error \(5xx\).*Tried 3 time\(s\), 2 s each"):
            read_mlflow(f"http://127.0.0.1:{peer.port}", ["fraud"])
    finally:
        peer.close()
    assert peer.requests == 3


def test_bad_timeout_is_refused(monkeypatch):
    with pytest.raises(WorkbenchError, match=r"timeout -1 is not a number of seconds > 0"):
        read_mlflow("http://127.0.0.1:9", ["x"], timeout=-1)
    monkeypatch.setenv("WORKBENCH_MLFLOW_TIMEOUT", "soon")
    with pytest.raises(WorkbenchError, match=r"WORKBENCH_MLFLOW_TIMEOUT='soon'"):
        read_mlflow("http://127.0.0.1:9", ["x"])
    assert issubclass(SourceUnreachableError, (WorkbenchError, ConnectionError))


def test_global_tracking_state_is_untouched(sqlite_store):
    uri, _, _ = sqlite_store
    before, env = mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")
    read_mlflow(uri, ["fraud"])
    assert mlflow.get_tracking_uri() == before
    assert os.environ.get("MLFLOW_TRACKING_URI") == env


def test_file_store_is_parsed_without_mlflow_file_store(file_store, sqlite_store, monkeypatch):
    root, ids, own = file_store
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    listing = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    c = read_mlflow(str(root), ["fraud"])
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == listing  # read-only
    assert c.source_ref["store"] == "file"
    # same values as MLflow's own FileStore gives for every run (latest value by step)
    for rid, metrics in own.items():
        if rid in c.source_ref["runs"]:
            cand, rep = c.source_ref["runs"][rid]
            for k, v in metrics.items():
                assert c.replicates.loc[(cand, rep), k] == pytest.approx(v)
    # and the same candidates as the SQLite store with identical content
    sq = read_mlflow(sqlite_store[0], ["fraud"])
    pd.testing.assert_frame_equal(c.table, sq.table)
    assert set(c.exclusions["candidate"]) == {"svm", "knn", "oops"}
    assert read_mlflow(root.as_uri(), ["fraud-v2"]).table.index.tolist() == ["alpha", "beta"]
    with pytest.raises(SourceNotFoundError, match="(?s)Experiment 'frad'.*Did you mean 'fraud'"):
        read_mlflow(str(root), ["frad"])


def test_missing_or_wrong_file_store(tmp_path):
    with pytest.raises(
        SourceNotFoundError,
        match="(?s)MLflow file store '.*mlrun' does not exist.*nothing was created",
    ):
        read_mlflow(str(tmp_path / "mlrun"), ["fraud"])
    assert not (tmp_path / "mlrun").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceNotFoundError, match="is not an MLflow file store"):
        read_mlflow(f"file://{tmp_path / 'empty'}", ["fraud"])


def test_missing_mlflow_names_the_extra(monkeypatch, sqlite_store, file_store):
    import sys

    from workbench.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "mltradeops-workbench\[mlflow\]"'):
        read_mlflow(sqlite_store[0], ["fraud"])
    assert len(read_mlflow(str(file_store[0]), ["fraud"])) == 3  # the file store needs no MLflow


def test_id_column_is_a_deprecated_alias_of_id(sqlite_store):
    uri, _, _ = sqlite_store
    with pytest.warns(DeprecationWarning, match=r"use id="):
        old = read_mlflow(uri, ["fraud"], id_column="params.model")
    new = read_mlflow(uri, ["fraud"], id="params.model")
    pd.testing.assert_frame_equal(old.table, new.table)
    with pytest.warns(DeprecationWarning, match=r"use id="):
        assert wb.load(f"mlflow:{uri}#fraud", id_column="params.model").table.equals(new.table)
