"""Optuna reader: real studies in a SQLite storage (and a journal file) created in tmp_path."""

import sqlite3
import warnings

import numpy as np
import pytest

import workbench as wb
from workbench import QualityModel
from workbench.errors import (
    CandidatesError,
    QualityModelError,
    SourceNotFoundError,
    UnknownNameError,
)

optuna = pytest.importorskip("optuna")
from workbench.sources.optuna import read_optuna, trial_id  # noqa: E402

QM3 = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max"},
            {"name": "latency_ms", "direction": "min", "unit": "ms"},
            {"name": "size_kb", "direction": "min", "unit": "KB"},
        ]
    }
)


def _tradeoff(trial):
    depth = trial.suggest_int("depth", 1, 12)
    width = trial.suggest_float("width", 0.1, 1.0)
    trial.set_user_attr("train_s", 0.5 * depth)
    trial.set_user_attr("framework", "sklearn")
    if trial.number % 7 == 3:
        raise optuna.TrialPruned()  # multi-objective trials cannot report intermediate values
    if trial.number % 11 == 5:
        raise ValueError("out of memory")
    acc = 1 - 1 / (depth * width + 1)
    return acc, depth * 3.0 + width, depth * width * 100


def _single(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 1:
        trial.report(0.5, step=0)
        trial.report(0.4, step=2)
        raise optuna.TrialPruned()
    return x


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optuna")
    url = f"sqlite:///{folder / 'optuna.db'}"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():  # set_metric_names is experimental
        warnings.simplefilter("ignore")
        study = optuna.create_study(
            study_name="tradeoff",
            storage=url,
            directions=["maximize", "minimize", "minimize"],
            sampler=optuna.samplers.RandomSampler(seed=0),
        )
        study.set_metric_names(["acc", "latency_ms", "size_kb"])
        study.optimize(_tradeoff, n_trials=40, catch=(ValueError,))
        nameless = optuna.create_study(
            study_name="nameless",
            storage=url,
            directions=["maximize", "minimize"],
            sampler=optuna.samplers.RandomSampler(seed=1),
        )
        nameless.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=5)
        single = optuna.create_study(study_name="single", storage=url, sampler=optuna.samplers.RandomSampler(seed=2))
        single.optimize(_single, n_trials=4)
    return url, folder, study


def test_completed_trials_become_candidates(storage):
    url, _, study = storage
    c = read_optuna(url, "tradeoff")
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert c.table.index.tolist() == [trial_id(t.number) for t in complete]
    assert c.table.index[0] == "trial-0"
    assert c.metrics == ["acc", "latency_ms", "size_kb", "user_attrs.train_s"]
    np.testing.assert_allclose(c.table[["acc", "latency_ms", "size_kb"]].to_numpy(), [t.values for t in complete])
    prov = c.provenance
    assert prov.loc["trial-0", "trial_number"] == 0 and prov.loc["trial-0", "state"] == "COMPLETE"
    assert "params.depth" in prov and "params.depth" not in c.metrics  # numeric params stay provenance
    assert prov.loc["trial-0", "user_attrs.framework"] == "sklearn"
    assert prov.loc["trial-0", "duration"] >= np.timedelta64(0)
    ref = c.source_ref
    assert ref["objectives"] == {"acc": "max", "latency_ms": "min", "size_kb": "min"}
    assert ref["objective_names"] == "from study.metric_names"
    assert ref["trials"] == [t.number for t in complete]
    assert c.source == f"optuna:{url}#tradeoff"


def test_pruned_and_failed_trials_are_excluded_with_reasons(storage):
    url, _, study = storage
    c = read_optuna(url, "tradeoff")
    pruned = [t.number for t in study.trials if t.state.name == "PRUNED"]
    failed = [t.number for t in study.trials if t.state.name == "FAIL"]
    assert pruned and failed
    assert c.source_ref["excluded"] == {"PRUNED": len(pruned), "FAIL": len(failed)}
    ex = c.exclusions.set_index("candidate")
    assert ex.loc[trial_id(pruned[0]), "reason"] == f"trial {pruned[0]} was PRUNED (no final objective values)"
    assert ex.loc[trial_id(failed[0]), "reason"].startswith(f"trial {failed[0]} FAILED")
    assert len(ex) == len(pruned) + len(failed)


def _brute_force_front(F):
    """Nondominated rows of F (minimisation), by definition."""
    n = len(F)
    return np.array([not any(np.all(F[j] <= F[i]) and np.any(F[j] < F[i]) for j in range(n)) for i in range(n)])


def test_pareto_set_equals_optunas_best_trials(storage):
    url, _, study = storage
    c = read_optuna(url, "tradeoff", model=QM3)
    F = c.table[QM3.names].to_numpy() * np.array([o.sign for o in QM3])
    front = set(c.table.index[_brute_force_front(F)])
    assert front == {trial_id(t.number) for t in study.best_trials}


def test_pareto_kernel_agrees_with_optuna(storage):
    pareto = pytest.importorskip("workbench.analysis._pareto", reason="the Pareto kernel is not written yet")
    url, _, study = storage
    c = read_optuna(url, "tradeoff", model=QM3)
    F = c.table[QM3.names].to_numpy() * np.array([o.sign for o in QM3])
    mask = np.asarray(pareto.nondominated_mask(F), dtype=bool)
    np.testing.assert_array_equal(mask, _brute_force_front(F))
    assert set(c.table.index[mask]) == {trial_id(t.number) for t in study.best_trials}


def test_direction_mismatch_names_the_objective(storage):
    url, _, _ = storage
    wrong = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max"},
                {"name": "latency_ms", "direction": "max"},
            ]
        }
    )
    with pytest.raises(
        QualityModelError,
        match=r"(?s)Objective 'latency_ms': the Optuna study 'tradeoff' minimizes it "
        r"\(direction 'min'\) but the quality model says direction 'max'.*Fix:",
    ):
        read_optuna(url, "tradeoff", model=wrong)
    with pytest.raises(QualityModelError, match="Objective 'latency_ms'"):
        wb.load(f"optuna:{url}#tradeoff", model=wrong)


def test_objective_names_without_metric_names(storage):
    url, _, _ = storage
    plain = read_optuna(url, "nameless")
    assert plain.metrics == ["values_0", "values_1"]
    two = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "recall", "direction": "max"},
                {"name": "cost", "direction": "min"},
            ]
        }
    )
    mapped = read_optuna(url, "nameless", model=two)
    assert mapped.metrics == ["recall", "cost"]
    assert "mapped by position" in mapped.source_ref["objective_names"]
    assert "values_0 -> recall, values_1 -> cost" in mapped.source_ref["objective_names"]
    np.testing.assert_allclose(mapped.table.to_numpy(), plain.table.to_numpy())
    # an objective named like a trial field: the field moves aside
    clash = read_optuna(
        url,
        "nameless",
        model=QualityModel.from_dict(
            {
                "objectives": [
                    {"name": "recall", "direction": "max"},
                    {"name": "duration", "direction": "min"},
                ]
            }
        ),
    )
    assert clash.metrics == ["recall", "duration"] and "trial.duration" in clash.provenance
    np.testing.assert_allclose(clash.table["duration"], plain.table["values_1"])
    # counts differ: no mapping, and the reason is recorded
    unmapped = read_optuna(url, "nameless", model=QM3)
    assert unmapped.metrics == ["values_0", "values_1"]
    assert "not mapped" in unmapped.source_ref["objective_names"]
    # positions checked against directions too
    with pytest.raises(QualityModelError, match="(?s)Objective 'cost'.*minimizes.*mapped by position"):
        read_optuna(
            url,
            "nameless",
            model=QualityModel.from_dict(
                {
                    "objectives": [
                        {"name": "recall", "direction": "max"},
                        {"name": "cost", "direction": "max"},
                    ]
                }
            ),
        )
    single = read_optuna(url, "single")
    assert single.metrics == ["value"] and single.table.index.tolist() == [
        "trial-0",
        "trial-2",
        "trial-3",
    ]
    assert single.exclusions["reason"].tolist() == ["trial 1 was PRUNED at step 2 (no final objective values)"]
    assert wb.load(
        f"optuna:{url}#single",
        model=QualityModel.from_dict({"objectives": [{"name": "loss", "direction": "min"}]}),
    ).metrics == ["loss"]


def test_missing_study_and_storage(storage):
    url, folder, _ = storage
    with pytest.raises(
        SourceNotFoundError,
        match=r"(?s)Study 'tradof' is not a study in sqlite:.*Valid: .*tradeoff.*"
        r"Did you mean 'tradeoff'\?",
    ):
        read_optuna(url, "tradof")
    typo = folder / "optuan.db"
    with pytest.raises(
        SourceNotFoundError,
        match=r"(?s)Optuna storage '.*optuan.db' does not exist.*nothing was created.*"
        r"Did you mean 'optuna.db'\?",
    ):
        read_optuna(f"sqlite:///{typo}", "tradeoff")
    assert not typo.exists()
    with pytest.raises(UnknownNameError, match="(?s)Option 'id_col'.*Did you mean 'id_column'"):
        read_optuna(url, "tradeoff", id_col="x")


def test_plain_path_options_and_foreign_database(storage, tmp_path):
    url, folder, _ = storage
    c = read_optuna(str(folder / "optuna.db"), "tradeoff", metrics=["acc", "size_kb"])
    assert c.metrics == ["acc", "size_kb"]
    grouped = read_optuna(url, "tradeoff", id="params.depth", replicate_column="trial_number")
    assert grouped.replicates is not None and len(grouped) < len(c)
    mlflow_like = tmp_path / "mlflow.db"
    con = sqlite3.connect(mlflow_like)
    con.execute("CREATE TABLE experiments (id INTEGER)")
    con.execute("CREATE TABLE runs (id INTEGER)")
    con.commit()
    con.close()
    before = mlflow_like.read_bytes()
    with pytest.raises(CandidatesError, match="not an Optuna storage.*MLflow tracking store"):
        read_optuna(f"sqlite:///{mlflow_like}", "tradeoff")
    assert mlflow_like.read_bytes() == before


def test_journal_file_storage(tmp_path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = tmp_path / "journal.log"
    study = optuna.create_study(
        study_name="j",
        storage=JournalStorage(JournalFileBackend(str(path))),
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=4)
    c = read_optuna(str(path), "j")
    assert c.table.index.tolist() == ["trial-0", "trial-1", "trial-2", "trial-3"]
    np.testing.assert_allclose(c.table["value"], [t.value for t in study.trials])


def test_missing_optuna_names_the_extra(monkeypatch, storage):
    import sys

    from workbench.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "mltradeops-workbench\[optuna\]"'):
        read_optuna(storage[0], "tradeoff")
