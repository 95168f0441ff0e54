"""Replicates from every source: a seed column found by name, MLflow runs grouped by a
replicate_of tag or by identical parameters apart from the seed, Optuna trials of the same
parameters — on real MLflow and Optuna stores."""

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel, analyze, load
from workbench.sources import from_frame
from workbench.sources.candidates import replicate_groups

QM = QualityModel.from_dict(
    {"objectives": [{"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "unit": "ms"}]}
)


def test_a_seed_column_is_found_when_ids_repeat():
    df = pd.DataFrame(
        {
            "id": ["a", "a", "b", "b", "b"],
            "seed": [0, 1, 0, 1, 2],
            "acc": [0.9, 0.92, 0.8, 0.81, 0.82],
            "ms": [10, 11, 5, 6, 7],
        }
    )
    c = from_frame(df)
    assert c.source_ref["replicate_column"] == "seed" and c.source_ref["replicate_column_detected"]
    assert c.table["acc"].round(3).to_dict() == {"a": 0.91, "b": 0.81}
    assert "seed" not in c.provenance.columns and len(c.replicates) == 5
    # unique ids: a seed column is just provenance
    assert from_frame(df.drop_duplicates("id")).replicates is None
    # 'replicate' works too; a named column wins
    assert from_frame(df.rename(columns={"seed": "replicate"})).source_ref["replicate_column"] == "replicate"


def test_grouping_rules_by_hand():
    runs = pd.DataFrame(
        {
            "params.depth": ["4", "4", "8", "8", "2"],
            "params.seed": ["0", "1", "0", "0", "0"],
            "tags.replicate_of": [None, None, None, None, "r1"],
        }
    )
    ids, rule = replicate_groups(
        runs,
        pd.Series(["r1", "r2", "r3", "r4", "r5"]),
        params=["params.depth", "params.seed"],
        replicate_of="tags.replicate_of",
    )
    # r3/r4: same params AND same seed -> not replicates (nothing tells them apart); r5 tagged
    assert ids.tolist() == ["r1", "r1", "r3", "r4", "r1"]
    assert "tags.replicate_of" in rule and "apart from params.seed" in rule
    # identical parameters without any seed parameter are not assumed to be replicates
    assert replicate_groups(runs[["params.depth"]], pd.Series(list("abcde")), params=["params.depth"]) is None


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory):
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = mlflow.MlflowClient(tracking_uri=uri)
        exp = client.create_experiment("seeds")
        rng = np.random.default_rng(0)
        for depth, acc in (("4", 0.90), ("8", 0.93)):
            for seed in range(3):
                run = client.create_run(exp, run_name=f"d{depth}-s{seed}")
                client.log_param(run.info.run_id, "depth", depth)
                client.log_param(run.info.run_id, "seed", str(seed))
                client.log_metric(run.info.run_id, "acc", acc + 0.005 * rng.standard_normal())
                client.log_metric(run.info.run_id, "ms", 10 + float(depth) + rng.standard_normal())
                client.set_terminated(run.info.run_id, "FINISHED")
        # a re-run tagged as a replicate of d4-s0, with another seed
        run = client.create_run(exp, run_name="rerun", tags={"replicate_of": "d4-s0"})
        client.log_param(run.info.run_id, "depth", "4")
        client.log_param(run.info.run_id, "seed", "7")
        client.log_metric(run.info.run_id, "acc", 0.9)
        client.log_metric(run.info.run_id, "ms", 14.0)
        client.set_terminated(run.info.run_id, "FINISHED")
    return uri


def test_mlflow_runs_of_the_same_parameters_are_replicates(mlflow_store):
    c = load(f"mlflow:{mlflow_store}#seeds", model=QM)
    assert sorted(c.table.index) == ["d4-s0", "d8-s0"]
    n = c.replicates.groupby(level="candidate").size().to_dict()
    assert n == {"d4-s0": 4, "d8-s0": 3}  # the tagged re-run joins its candidate
    assert "replicate_of" in c.source_ref["id_rule"]
    a = analyze(c, QM)
    assert a.uncertainty is not None and a.uncertainty.counts.to_dict() == {"d4-s0": 4, "d8-s0": 3}
    assert any("different numbers of complete replicates (3 seeds: d8-s0; 4 seeds: d4-s0)" in x for x in a.notes)


def test_optuna_trials_of_the_same_parameters_are_replicates(tmp_path):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    study = optuna.create_study(study_name="s", storage=url, directions=["maximize", "minimize"])
    rng = np.random.default_rng(1)
    for depth in (3, 3, 3, 5, 5, 9):
        study.enqueue_trial({"depth": depth})
    study.optimize(
        lambda t: (
            0.8 + 0.01 * t.suggest_int("depth", 1, 10) + 0.002 * rng.standard_normal(),
            float(t.suggest_int("depth", 1, 10)),
        ),
        n_trials=6,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.set_metric_names(["acc", "ms"])
    c = load(f"optuna:{url}#s", model=QM)
    assert sorted(c.table.index) == [
        "trial-0",
        "trial-3",
        "trial-5",
    ]  # named after the first trial of each configuration
    assert c.replicates.groupby(level="candidate").size().to_dict() == {"trial-0": 3, "trial-3": 2, "trial-5": 1}
    assert c.source_ref["id_rule"].startswith("trials with identical parameters")
