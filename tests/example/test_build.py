"""The embedded example: a real, reproducible MLflow store of trained classifiers."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from pathlib import Path

import pytest

for _module in ("sklearn", "mlflow"):
    if importlib.util.find_spec(_module) is None:  # find_spec: importing mlflow here would start
        pytest.skip(f"{_module} is not installed", allow_module_level=True)  # its telemetry

from workbench.example import (  # noqa: E402
    EXPERIMENT,
    METRICS,
    ExampleStore,
    ExampleStoreError,
    build_example,
    candidates,
)
from workbench.quality import QualityModel  # noqa: E402

pytestmark = pytest.mark.slow

DETERMINISTIC = [
    "accuracy",
    "balanced_accuracy",
    "recall",
    "precision",
    "f1",
    "roc_auc",
    "model_size_kb",
]
MEASURED = [m for m in METRICS if m != "energy_wh"]  # energy only when CodeCarbon works


@contextlib.contextmanager
def tracking_uri(uri: str):
    """Point MLflow's fluent API at ``uri``; restore the previous URI and environment after."""
    import mlflow
    from mlflow.tracking._tracking_service import utils

    old_uri = getattr(utils, "_tracking_uri", None)
    old_env = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(old_uri)
        if old_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old_env


def runs(store: ExampleStore):
    import mlflow

    with tracking_uri(store.tracking_uri):
        df = mlflow.search_runs(experiment_names=[store.experiment])
    return df.sort_values(["tags.candidate", "tags.seed"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ExampleStore:
    return build_example(tmp_path_factory.mktemp("example") / "store", quick=True)


@pytest.fixture(scope="module")
def df(store):
    return runs(store)


def test_store_description(store):
    assert store.experiment == EXPERIMENT == "breast-cancer-classifiers"
    assert store.tracking_uri == f"sqlite:///{(store.path / 'mlflow.db').as_posix()}"
    assert store.source == f"mlflow:{store.tracking_uri}#{store.experiment}"
    assert (store.path / "mlflow.db").is_file()
    assert store.quality_model_path == store.path / "quality.yaml"
    assert store.n_runs == 2 * len(candidates(quick=True)) == 12
    # Nothing but the store is left in the parent folder (no temporary or old build folders).
    assert [p.name for p in store.path.parent.iterdir()] == [store.path.name]


def test_runs_have_metrics_params_and_tags(df):
    assert len(df) == 12
    assert set(df["status"]) == {"FINISHED"}
    for metric in MEASURED:
        assert df[f"metrics.{metric}"].notna().all(), metric
    for column in (
        "params.family",
        "params.seed",
        "params.model",
        "tags.candidate",
        "tags.seed",
        "tags.family",
        "tags.energy_status",
    ):
        assert df[column].notna().all(), column
    assert (df["params.seed"] == df["tags.seed"]).all()
    assert (df["params.family"] == df["tags.family"]).all()
    logreg = df[df["tags.candidate"] == "logreg-c1"]
    assert set(logreg["params.C"]) == {"1.0"}
    assert set(df.loc[df["tags.candidate"] == "mlp-16", "params.hidden_layer_sizes"]) == {"16"}


def test_replicates_share_a_candidate_tag(df):
    assert set(df["tags.candidate"]) == set(candidates(quick=True))
    per_candidate = df.groupby("tags.candidate")["tags.seed"].apply(sorted)
    assert all(seeds == ["0", "1"] for seeds in per_candidate)
    # A candidate is one configuration: its family and hyperparameters are the same for all seeds.
    assert (df.groupby("tags.candidate")["params.family"].nunique() == 1).all()
    # Replicates really differ (different split and model seed).
    assert df.groupby("tags.candidate")["metrics.roc_auc"].nunique().max() == 2


def test_metrics_are_plausible(df):
    for metric in ("accuracy", "balanced_accuracy", "recall", "precision", "f1", "roc_auc"):
        values = df[f"metrics.{metric}"]
        assert values.between(0, 1).all(), metric
    assert (df["metrics.accuracy"] > 0.8).all()  # every model learns the (easy) task
    assert (df["metrics.latency_p50_ms"] > 0).all()
    assert (df["metrics.latency_p95_ms"] >= df["metrics.latency_p50_ms"]).all()
    assert (df["metrics.latency_p95_ms"] < 1000).all()
    assert (df["metrics.model_size_kb"] > 0).all()
    assert (df["metrics.train_time_s"] > 0).all()
    assert (df["metrics.throughput_rps"] > 0).all()
    # Bigger models are bigger: the 30-tree forest outweighs logistic regression by far.
    size = df.groupby("tags.candidate")["metrics.model_size_kb"].mean()
    assert size["rf-30-d4"] > 10 * size["logreg-c1"]
    if "metrics.energy_wh" in df:
        measured = df["tags.energy_status"] == "measured"
        assert (df.loc[measured, "metrics.energy_wh"] >= 0).all()


def test_emissions_csv_rows_join_mlflow_runs(store, df):
    if store.emissions_csv is None:
        assert df["metrics.energy_wh"].isna().all() if "metrics.energy_wh" in df else True
        assert not (df["tags.energy_status"] == "measured").any()
        pytest.skip("CodeCarbon did not measure energy here: " + df["tags.energy_status"].iloc[0])
    import pandas as pd

    emissions = pd.read_csv(store.emissions_csv)
    assert {"run_id", "experiment_id", "project_name", "energy_consumed"} <= set(emissions)
    assert len(emissions) == len(df)
    assert set(emissions["run_id"]) == set(df["run_id"])
    assert (emissions["experiment_id"] == emissions["run_id"]).all()
    assert set(emissions["project_name"]) == {EXPERIMENT}
    joined = df.merge(emissions, on="run_id")
    assert joined["metrics.energy_wh"].to_numpy() == pytest.approx(
        joined["energy_consumed"].to_numpy() * 1000, rel=1e-9
    )
    assert (joined["tags.codecarbon_run_id"] == joined["run_id"]).all()


def test_reuse_is_idempotent(store, df):
    db = store.path / "mlflow.db"
    stamp = db.stat().st_mtime_ns
    again = build_example(store.path, quick=True)
    assert again == store
    assert db.stat().st_mtime_ns == stamp
    assert list(runs(again)["run_id"]) == list(df["run_id"])


def test_quality_model_parses_and_names_run_metrics(store, df):
    metrics = {c.removeprefix("metrics.") for c in df.columns if c.startswith("metrics.")}
    shipped = Path(__file__).resolve().parents[2] / "workbench" / "example" / "quality.yaml"
    for path in (store.quality_model_path, shipped):
        model = QualityModel.from_yaml(path)
        assert 4 <= len(model) <= 5
        assert set(model.names) <= set(METRICS)
        assert set(model.names) - {"energy_wh"} <= metrics
        if store.emissions_csv is not None:
            assert set(model.names) <= metrics
        assert model.constraints
        assert {"clinical", "operations"} <= set(model.stakeholders)
    assert store.quality_model() == QualityModel.from_yaml(shipped)


def test_deterministic_across_builds_and_rebuild_replaces_runs(tmp_path, df):
    first = build_example(tmp_path / "b", quick=True)
    df_b = runs(first)
    again = build_example(tmp_path / "b", quick=True, rebuild=True)
    df_c = runs(again)  # read through the same tracking URI: must see the new runs
    assert set(df_c["run_id"]).isdisjoint(df_b["run_id"])
    for other in (df_b, df_c):
        assert list(other["tags.candidate"]) == list(df["tags.candidate"])
        for metric in DETERMINISTIC:
            assert list(other[f"metrics.{metric}"]) == list(df[f"metrics.{metric}"]), metric
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ExampleStoreError, match="not an example store"):
        build_example(tmp_path, quick=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="seeds"):
        build_example(tmp_path / "x", seeds=0)
    with pytest.raises(ValueError, match="seed"):
        build_example(tmp_path / "x", seed=-1)
    assert not (tmp_path / "x").exists()


def test_without_codecarbon_the_build_goes_on(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "codecarbon", None)  # import codecarbon now fails
    built = build_example(tmp_path / "s", quick=True, seeds=1)
    assert built.emissions_csv is None
    assert not (built.path / "emissions.csv").exists()
    df = runs(built)
    assert len(df) == built.n_runs == 6
    assert "metrics.energy_wh" not in df or df["metrics.energy_wh"].isna().all()
    status = df["tags.energy_status"]
    assert status.str.startswith("unavailable: codecarbon cannot be imported").all()
    assert df["metrics.recall"].notna().all()
