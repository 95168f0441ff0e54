"""SQL injection strings as ids, names, values, column names and file paths of every database the
workbench writes or queries: the decision log (SQLAlchemy), the search record (SQLite), the
monitoring aggregation (DuckDB), and the Optuna / MLflow readers.

Oracle: every value round-trips verbatim, lookups find exactly the intended row (no ``OR 1=1``,
no ``LIKE`` wildcard matching more), the tables are all still there with the right row counts, and
the DuckDB numbers equal the pandas reference engine's (which builds no SQL).
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from tests.hardening import _tally, attacks

AREA = "hostile_sql"
#: SQL strings plus LIKE wildcards and a few of the other groups' quoting troublemakers.
VALUES = list(
    dict.fromkeys(
        attacks.SQL
        + ["%%%%", "____", "a%", "x_y", "it's", 'say "hi"', "\\", "--"]
        + attacks.HTML[:3]
        + attacks.PYTHON[:3]
    )
)


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_decision_log_ids_names_and_text(tmp_path):
    pytest.importorskip("sqlalchemy")
    from workbench.decisions import DecisionLog, DecisionRecord

    db = tmp_path / "decisions.db"
    with DecisionLog(db) as log:
        log.append(DecisionRecord(chosen="first", candidates=("first", "other"), id="00000000-first"))
        tables = _tables(db)
        written = []
        for v in VALUES:
            rec = DecisionRecord(
                id=f"{v}", chosen=v, candidates=(v, "other"), rationale=v, title=v, decision_makers=(f"dm {v}",)
            )
            log.append(rec)
            log.add_pushdown(rec.id, {"kind": "prometheus", "path": v})
            written.append(rec)
        for rec in written:
            v = rec.id
            got = log.get(v)
            ok = (
                got.id == v
                and got.chosen == v
                and got.rationale == v
                and got.title == v
                and got.decision_makers == (f"dm {v}",)
                and got.pushdown[-1]["path"] == v
            )
            _tally.assert_blocked(AREA, v, not ok, "decision log (id, chosen, rationale, title, pushdown)")
        n = len(log)
        # a prefix made of LIKE wildcards must not match every record
        for prefix in ("%%%%", "____", "' OR '1'='1"):
            got = log.get(prefix)
            _tally.assert_blocked(AREA, prefix, got.id != prefix, "decision log id prefix (LIKE)")
    _tally.assert_blocked(
        AREA, "'; DROP TABLE decisions; --", _tables(db) != tables or n != len(VALUES) + 1, "decision log tables intact"
    )


def test_search_record_round_trips(tmp_path):
    from workbench.search.store import Evaluation, LocalStore

    store = LocalStore(tmp_path / "evaluations.sqlite")
    store.check_settings({v: v for v in VALUES})
    for i, v in enumerate(VALUES):
        store.record(
            Evaluation(
                candidate=v,
                key=f"k{i} {v}",
                config={v: v, "n": i},
                status="failed",
                metrics={},
                error=v,
                generation=0,
                started_at=0.0,
                duration_s=0.0,
                worker=v,
            )
        )
    got = {e.candidate: e for e in store.load()}
    settings = store.settings()
    for i, v in enumerate(VALUES):
        e = got.get(v)
        ok = (
            e is not None
            and e.key == f"k{i} {v}"
            and e.config == {v: v, "n": i}
            and e.error == v
            and e.worker == v
            and settings.get(v) == v
        )
        _tally.assert_blocked(AREA, v, not ok, "search record (candidate, key, config, error, settings)")
    _tally.assert_blocked(
        AREA,
        "x'); DELETE FROM evaluations; --",
        len(got) != len(VALUES) or _tables(store.path) < {"evaluations", "meta"},
        "search record tables intact",
    )


def test_duckdb_aggregation_with_hostile_versions_columns_and_paths(tmp_path):
    pytest.importorskip("duckdb")
    from workbench import QualityModel
    from workbench.monitoring import aggregate

    rng = np.random.default_rng(0)
    names = [v for v in VALUES[:8]]
    column = 'x"; DROP TABLE t; --'
    n = 300
    frame = pd.DataFrame(
        {
            "timestamp": pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 7200, n), unit="s"),
            "version": rng.choice(names, n),
            "latency_ms": rng.gamma(2.0, 10.0, n),
            "error": rng.uniform(size=n) < 0.05,
            column: rng.uniform(size=n),
        }
    )
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "latency_p95_ms", "direction": "min", "source": "latency_ms", "aggregation": "p95"},
                {"name": "' OR 'x' LIKE 'x' --", "direction": "min", "source": column, "aggregation": "mean"},
                {"name": '"; DROP TABLE x; --', "direction": "max", "source": column, "aggregation": "max"},
            ]
        }
    )
    folder = tmp_path / 'it\'s a "folder"; DROP TABLE x; --'
    folder.mkdir()
    path = folder / "logs '; --.parquet"
    frame.to_parquet(path)
    reference = aggregate(frame, qm, engine="pandas").sort_values(["version", "window_start"])
    for source, sink in ((frame, "DuckDB over a DataFrame"), (str(path), "DuckDB over a file path with quotes")):
        got = aggregate(source, qm, engine="duckdb").sort_values(["version", "window_start"])
        for v in names:
            mine, ref = got[got["version"] == v], reference[reference["version"] == v]
            cols = ["n_requests", "latency_p95_ms", "' OR 'x' LIKE 'x' --", '"; DROP TABLE x; --']
            ok = len(mine) == len(ref) > 0 and np.allclose(mine[cols].to_numpy(float), ref[cols].to_numpy(float))
            _tally.assert_blocked(AREA, v, not ok, f"{sink} (version names, objective names, source column)")


def test_optuna_study_names_with_quotes(tmp_path):
    optuna = pytest.importorskip("optuna")
    import workbench as wb
    from workbench import QualityModel

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    qm = QualityModel.from_dict({"objectives": [{"name": "loss", "direction": "min"}]})
    names = attacks.SQL[:4]
    for i, name in enumerate(names):
        study = optuna.create_study(study_name=name, storage=storage, direction="minimize")
        study.set_metric_names(["loss"])
        for k in range(i + 2):
            study.enqueue_trial({"x": float(k)})
            study.optimize(lambda t: t.suggest_float("x", 0, 10), n_trials=1)
    for i, name in enumerate(names):
        cands = wb.load(f"optuna:{storage}#{name}", qm)
        _tally.assert_blocked(AREA, name, len(cands) != i + 2, "Optuna study name")


@pytest.mark.slow
def test_mlflow_experiment_and_registered_model_names_with_quotes(tmp_path):
    pytest.importorskip("mlflow")
    import mlflow
    from mlflow import MlflowClient

    import workbench as wb
    from workbench import QualityModel
    from workbench.decisions import DecisionRecord, mlflow_alias
    from workbench.errors import UnknownNameError

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    names = ["it's", "x' OR name LIKE '%", "a\\'b", "both ' and \""]
    for i, name in enumerate(names):
        exp = client.create_experiment(name)
        for k in range(i + 1):
            run = client.create_run(exp)
            client.log_metric(run.info.run_id, "acc", 0.5 + k / 10)
            client.set_terminated(run.info.run_id)
    for i, name in enumerate(names):
        cands = wb.load(f"mlflow:{uri}#{name}", qm)
        _tally.assert_blocked(AREA, name, len(cands) != i + 1, "MLflow experiment name")
    mlflow.set_tracking_uri(uri)
    rec = DecisionRecord(chosen="a", candidates=("a",))
    for name in names:
        client.create_registered_model(name)
        run = client.create_run(client.create_experiment(f"m {name}"))
        client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
        # an unknown version: the error lists this model's versions, found with a filter string
        try:
            mlflow_alias(rec, uri, name, version=99)
            listed = None
        except UnknownNameError as exc:
            listed = str(exc)
        except Exception as exc:  # noqa: BLE001 - a broken filter string is the defect looked for
            listed = f"{type(exc).__name__}: {exc}"
        _tally.assert_blocked(AREA, name, listed is None or "Valid: 1" not in listed, "MLflow registry filter string")
