"""Push-down artefacts: CI gate, MLflow alias + tags (real store), Prometheus rules, Optuna directions."""

import math
import re

import pandas as pd
import pytest
import yaml

from workbench import QualityModel, analyze
from workbench.decisions import (
    DecisionRecord,
    constraints_func,
    gate,
    optuna_directions,
    prometheus_rules,
    set_constraints,
)
from workbench.errors import DecisionError, UnknownNameError

GATE_MODEL = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "recall", "direction": "max", "tolerance": 0.005},
            {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "tolerance": 2, "constraint": "<= 150"},
            {"name": "cost", "direction": "min", "unit": "USD", "constraint": "<= 1.1 * champion"},
        ]
    }
)
GATE_RUNS = pd.DataFrame(
    {
        "id": ["v3", "v7", "v8", "v9"],
        "recall": [0.95, 0.93, 0.97, 0.952],
        "latency_p95_ms": [120, 121, 163, 119],
        "cost": [1.0, 1.0, 1.0, 1.2],
    }
)


# --- gate ------------------------------------------------------------------------------------------


def test_gate_pass():
    r = gate(GATE_RUNS, GATE_MODEL, "v3", champion="v3")
    assert r.passed and bool(r) and r.reasons == [] and r.dominated_by == []
    # within tolerance of the champion everywhere: not dominated
    assert gate(
        GATE_RUNS.assign(recall=[0.95, 0.947, 0.97, 0.952]), GATE_MODEL, "v7", against="champion", champion="v3"
    ).passed


def test_gate_constraint_violation_wording():
    r = gate(GATE_RUNS, GATE_MODEL, "v8", champion="v3")
    assert not r.passed
    assert r.reasons == ["v8 violates latency_p95_ms <= 150 (measured 163 ms)"]
    assert r.violations[0]["limit"] == 150 and r.violations[0]["value"] == 163
    r = gate(GATE_RUNS, GATE_MODEL, "v9", champion="v3")
    assert r.reasons == [
        "v9 violates cost <= 1.1 * champion (measured 1.2 USD; limit 1.1 USD)",
        "v9 is dominated by v3 beyond tolerance: v3 is better in cost by 0.2 USD and no worse elsewhere",
    ]


def test_gate_dominated_wording():
    r = gate(GATE_RUNS, GATE_MODEL, "v7", against="champion", champion="v3")
    assert not r.passed and r.against == "v3" and r.dominated_by == ["v3"]
    assert r.reasons == [
        "v7 is dominated by v3 beyond tolerance: v3 is better in recall by 0.02 and no worse elsewhere"
    ]
    # without a baseline, any feasible candidate may dominate (v8 is infeasible, so it does not count)
    r = gate(GATE_RUNS, GATE_MODEL, "v7", champion="v3")
    assert r.dominated_by == ["v3"] and r.against is None
    assert "v3 is better in recall by 0.02 and no worse elsewhere" in str(r)
    # against an explicit id
    assert gate(GATE_RUNS, GATE_MODEL, "v3", against="v7", champion="v3").passed


def test_gate_errors():
    with pytest.raises(UnknownNameError, match="(?s)Candidate 'v77' is not a candidate id.*Did you mean 'v7'"):
        gate(GATE_RUNS, GATE_MODEL, "v77", champion="v3")
    with pytest.raises(UnknownNameError, match="Baseline 'v33'"):
        gate(GATE_RUNS, GATE_MODEL, "v7", against="v33", champion="v3")
    plain = GATE_MODEL.with_constraints(["latency_p95_ms <= 150"])
    with pytest.raises(UnknownNameError, match="--against champion needs the champion's id"):
        gate(GATE_RUNS, plain, "v7", against="champion")


# --- Prometheus ------------------------------------------------------------------------------------

PROM_MODEL = QualityModel.from_dict(
    {
        "name": "fraud",
        "objectives": [
            {"name": "recall", "direction": "max", "constraint": ">= 0.9"},
            {
                "name": "latency_p95_ms",
                "direction": "min",
                "unit": "ms",
                "aggregation": "p95",
                "source": "predict_latency_ms",
                "constraint": "<= 150",
            },
            {
                "name": "error_rate",
                "direction": "min",
                "aggregation": "rate",
                "source": "predictions",
                "constraint": "< 0.01",
            },
            {
                "name": "mean_ms",
                "direction": "min",
                "unit": "ms",
                "aggregation": "mean",
                "source": "predict_latency_ms",
                "constraint": "<= 1.5 * champion",
            },
            {
                "name": "queue",
                "direction": "min",
                "aggregation": "last",
                "source": "queue_depth",
                "constraint": "<= 100",
            },
        ],
    }
)
REQUIRED = {"alert", "expr", "for", "labels", "annotations"}


def check_rules(text):
    data = yaml.safe_load(text)
    assert set(data) == {"groups"}
    for group in data["groups"]:
        assert isinstance(group["name"], str) and group["name"]
        names = [r["alert"] for r in group["rules"]]
        assert len(names) == len(set(names))
        for rule in group["rules"]:
            assert set(rule) == REQUIRED
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"])
            assert rule["expr"].strip() and rule["labels"]["severity"]
            assert re.fullmatch(r"\d+[smhdwy]", rule["for"])
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]
            assert all(isinstance(v, str) for v in rule["labels"].values())
    return data


def test_prometheus_rules_from_model():
    text = prometheus_rules(PROM_MODEL, for_="15m", labels={"team": "ml"})
    data = check_rules(text)
    (group,) = data["groups"]
    assert group["name"] == "workbench-fraud"
    rules = {r["labels"]["objective"]: r for r in group["rules"]}
    assert set(rules) == {"latency_p95_ms", "error_rate", "queue"}
    assert rules["latency_p95_ms"]["expr"] == (
        "histogram_quantile(0.95, sum by (le, version) (rate(predict_latency_ms_bucket[5m]))) > 150"
    )
    assert rules["error_rate"]["expr"] == (
        'sum by (version) (rate(predictions_total{outcome="error"}[5m])) / '
        "sum by (version) (rate(predictions_total[5m])) >= 0.01"
    )
    assert rules["queue"]["expr"] == "queue_depth > 100"
    assert rules["latency_p95_ms"]["for"] == "15m"
    assert rules["latency_p95_ms"]["labels"] == {"severity": "critical", "team": "ml", "objective": "latency_p95_ms"}
    assert "# Objectives without a monitored metric (skipped): recall." in text
    assert "# Constraint skipped: mean_ms <= 1.5 * champion (relative to 'champion'" in text


def test_prometheus_rules_from_record_resolve_relative_limits():
    df = pd.DataFrame(
        {
            "id": ["a", "b"],
            "recall": [0.95, 0.92],
            "latency_p95_ms": [100, 90],
            "error_rate": [0.001, 0.002],
            "mean_ms": [40, 30],
            "queue": [10, 10],
        }
    )
    rec = DecisionRecord.from_analysis(analyze(df, PROM_MODEL, champion="b"), chosen="a")
    text = prometheus_rules(
        rec,
        metric_map={
            "latency_p95_ms": {"metric": "http_request_duration_seconds", "scale": 1000, "selector": 'job="api"'}
        },
    )
    rules = {r["labels"]["objective"]: r for r in check_rules(text)["groups"][0]["rules"]}
    assert rules["mean_ms"]["expr"] == (
        "sum by (version) (rate(predict_latency_ms_sum[5m])) / "
        "sum by (version) (rate(predict_latency_ms_count[5m])) > 45"
    )
    assert rules["latency_p95_ms"]["expr"] == (
        "1000 * (histogram_quantile(0.95, sum by (le, version) (rate(http_request_duration_seconds_bucket"
        '{job="api"}[5m])))) > 150'
    )
    assert rules["latency_p95_ms"]["labels"]["decision_id"] == rec.id
    assert rules["latency_p95_ms"]["labels"]["champion"] == "a"
    assert f"# From decision {rec.id}" in text


def test_prometheus_rules_errors():
    with pytest.raises(DecisionError, match="for_='ten minutes' is not a Prometheus duration"):
        prometheus_rules(PROM_MODEL, for_="ten minutes")
    with pytest.raises(UnknownNameError, match="(?s)metric_map: objective 'latency' .*Did you mean"):
        prometheus_rules(PROM_MODEL, metric_map={"latency": "x"})
    with pytest.raises(DecisionError, match="metric_map key 'scal'"):
        prometheus_rules(PROM_MODEL, metric_map={"queue": {"scal": 2}})


def test_prometheus_rules_template_injection_is_neutralised():
    df = pd.DataFrame(
        {
            "id": ["{{ range }}", "b"],
            "recall": [0.95, 0.92],
            "latency_p95_ms": [100, 90],
            "error_rate": [0.001, 0.002],
            "mean_ms": [40, 30],
            "queue": [10, 10],
        }
    )
    rec = DecisionRecord.from_analysis(analyze(df, PROM_MODEL, champion="b"), chosen="{{ range }}")
    for rule in check_rules(prometheus_rules(rec))["groups"][0]["rules"]:
        assert "{{ range" not in rule["annotations"]["description"]


@pytest.mark.parametrize("name", ["{{ $labels.instance }}", '{{{ printf "x" }}}', "95th latency"])
def test_prometheus_rules_neutralise_templates_in_objective_names(name):
    # The objective's name reached the labels and annotations raw (Prometheus templates both), the
    # "{{" -> "{ {" replacement left "{{" in "{{{", and a name starting with a digit gave an
    # invalid alert name.
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": name,
                    "direction": "min",
                    "unit": "{{ u }}",
                    "aggregation": "p95",
                    "source": "lat",
                    "constraint": "<= 30",
                }
            ]
        }
    )
    rule = check_rules(prometheus_rules(qm))["groups"][0]["rules"][0]
    texts = [*rule["labels"].values(), *rule["annotations"].values()]
    assert not any("{{" in t.replace("{{ $value | humanize }}", "") for t in texts)
    assert not any("}}" in t.replace("{{ $value | humanize }}", "") for t in texts)


def test_prometheus_rules_header_survives_yaml_line_breaks_in_ids():
    # The header comment replaced "\n" only: U+2028 in a decision id ended the comment and the
    # rest of the line became YAML, so the file did not load.
    df = pd.DataFrame(
        {
            "id": ["a\u2028groups: x", "b"],
            "recall": [0.95, 0.92],
            "latency_p95_ms": [100, 90],
            "error_rate": [0.001, 0.002],
            "mean_ms": [40, 30],
            "queue": [10, 10],
        }
    )
    rec = DecisionRecord.from_analysis(analyze(df, PROM_MODEL, champion="b"), chosen="a\u2028groups: x")
    rec = DecisionRecord.from_dict({**rec.to_dict(), "id": "id\u2029\x85groups: []\r"})
    assert len(check_rules(prometheus_rules(rec))["groups"][0]["rules"]) == 4


# --- Optuna -----------------------------------------------------------------------------------------


def objective_v4(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("acc", 0.7 + 0.3 * x)
    trial.set_user_attr("latency_ms", 5 + 40 * x)
    return 0.7 + 0.3 * x, 5 + 40 * x


def test_optuna_directions_accepted_by_a_real_study():
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    model = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max"},
                {"name": "latency_ms", "direction": "min", "constraint": "<= 30"},
            ],
            "constraints": ["acc >= 0.75"],
        }
    )
    info = optuna_directions(model)
    assert info == {
        "directions": ["maximize", "minimize"],
        "metric_names": ["acc", "latency_ms"],
        "constraints": [
            {"objective": "latency_ms", "op": "<=", "limit": 30.0, "constraint": "latency_ms <= 30"},
            {"objective": "acc", "op": ">=", "limit": 0.75, "constraint": "acc >= 0.75"},
        ],
        "skipped": [],
    }
    study = optuna.create_study(directions=info["directions"], sampler=optuna.samplers.NSGAIISampler(seed=0))
    with pytest.warns(optuna.exceptions.ExperimentalWarning):
        study.set_metric_names(info["metric_names"])
    assert [d.name.lower() for d in study.directions] == ["maximize", "minimize"]

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        acc, latency = 0.7 + 0.3 * x, 5 + 40 * x
        trial.set_user_attr("acc", acc)
        trial.set_user_attr("latency_ms", latency)
        if hasattr(trial, "set_constraint"):  # Optuna 5
            set_constraints(trial, model)
        return acc, latency

    study.optimize(objective, n_trials=15)
    assert len(study.trials) == 15 and all(t.state.name == "COMPLETE" for t in study.trials)
    for t in study.trials:
        if hasattr(t, "constraints") and t.constraints:
            assert t.constraints["latency_ms <= 30"] == pytest.approx(t.user_attrs["latency_ms"] - 30)
            assert t.constraints["acc >= 0.75"] == pytest.approx(0.75 - t.user_attrs["acc"])
    assert any(t.constraints["latency_ms <= 30"] > 0 for t in study.trials)
    # the sampler-level constraints_func (Optuna 4 style; deprecated but working in Optuna 5)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        sampler = optuna.samplers.NSGAIISampler(constraints_func=constraints_func(model), seed=0)
    old = optuna.create_study(directions=info["directions"], sampler=sampler)
    old.optimize(lambda t: objective_v4(t), n_trials=5)
    for t in old.trials:
        lat_c, acc_c = t.system_attrs["constraints"]
        assert lat_c == pytest.approx(t.user_attrs["latency_ms"] - 30)
        assert acc_c == pytest.approx(0.75 - t.user_attrs["acc"])
    # no user attrs: the trial's values are used; nothing at all counts as violated
    f = constraints_func(model)
    assert f(type("T", (), {"values": [0.8, 10.0], "user_attrs": {}})()) == pytest.approx([-20, -0.05])
    assert f(type("T", (), {"values": None, "user_attrs": {}})()) == [math.inf, math.inf]


def test_optuna_directions_from_record_resolve_relative(analysis):
    rec = DecisionRecord.from_analysis(analysis)
    info = optuna_directions(rec)
    assert [c["limit"] for c in info["constraints"]] == [30.0, pytest.approx(0.76)]
    assert optuna_directions(analysis.model)["skipped"][0].startswith("acc >= 0.95 * champion")


# --- MLflow ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory):
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri, registry_uri=uri)
    exp = client.create_experiment("exp", artifact_location=(root / "artifacts").as_uri())
    runs = {}
    for cand, seed, acc, lat in [("a", 0, 0.90, 20), ("a", 1, 0.91, 21), ("b", 0, 0.80, 10), ("c", 0, 0.85, 25)]:
        run = client.create_run(exp, tags={"candidate": cand, "seed": str(seed)})
        client.log_metric(run.info.run_id, "acc", acc)
        client.log_metric(run.info.run_id, "latency_ms", lat)
        client.set_terminated(run.info.run_id)
        runs.setdefault(cand, []).append(run.info.run_id)
    client.create_registered_model("clf")
    versions = {}
    for cand, rid in [("b", runs["b"][0]), ("a", runs["a"][1])]:
        mv = client.create_model_version("clf", source=f"{(root / 'artifacts').as_uri()}/{rid}/model", run_id=rid)
        versions[cand] = mv.version
    return {"uri": uri, "client": client, "runs": runs, "versions": versions}


def test_mlflow_alias_and_tags_on_the_chosen_version(mlflow_store):
    from workbench import load
    from workbench.decisions import mlflow_alias

    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "weight": 2},
                {"name": "latency_ms", "direction": "min", "unit": "ms", "constraint": "<= 30"},
            ]
        }
    )
    uri, client = mlflow_store["uri"], mlflow_store["client"]
    cands = load(f"mlflow:{uri}#exp", model=qm)
    rec = DecisionRecord.from_analysis(analyze(cands, qm), rationale="x" * 800, decision_makers=["Ann", "Bob"])
    assert rec.chosen == "a"
    artefact = mlflow_alias(rec, uri, "clf")
    assert artefact["kind"] == "mlflow_alias" and artefact["target"] == "clf@champion"
    assert artefact["version"] == str(mlflow_store["versions"]["a"])
    mv = client.get_model_version_by_alias("clf", "champion")
    assert mv.version == mlflow_store["versions"]["a"] and mv.run_id in mlflow_store["runs"]["a"]
    assert mv.tags["decision.id"] == rec.id and mv.tags["decision.chosen"] == "a"
    assert mv.tags["decision.model_hash"] == rec.model_hash and mv.tags["decision.data_hash"] == rec.data_hash
    assert mv.tags["decision.decision_makers"] == "Ann, Bob"
    assert len(mv.tags["decision.rationale"]) == 500 and mv.tags["decision.rationale"].endswith("…")
    # an explicit version and another alias
    mlflow_alias(rec, uri, "clf", alias="candidate", version=mlflow_store["versions"]["b"])
    assert client.get_model_version_by_alias("clf", "candidate").version == mlflow_store["versions"]["b"]
    # errors
    with pytest.raises(UnknownNameError, match="(?s)Registered model 'clff'.*Did you mean 'clf'"):
        mlflow_alias(rec, uri, "clff")
    other = DecisionRecord.from_analysis(analyze(cands, qm), chosen="c")
    with pytest.raises(
        DecisionError, match="No version of registered model 'clf' comes from the runs of candidate 'c'"
    ):
        mlflow_alias(other, uri, "clf")
    plain = DecisionRecord.from_analysis(analyze(pd.DataFrame({"id": ["a"], "acc": [0.9], "latency_ms": [1]}), qm))
    with pytest.raises(DecisionError, match="carries no MLflow run ids"):
        mlflow_alias(plain, uri, "clf")


@pytest.mark.parametrize("name", ["it's", "x' OR name LIKE '%", "both ' and \""])
def test_mlflow_alias_error_lists_the_versions_of_a_model_named_with_quotes(mlflow_store, name):
    # The filter string escaped a quote with a backslash, which MLflow does not read: the error
    # listed no version for a model named "it's" (and a name with both quotes broke the filter).
    from workbench.decisions import mlflow_alias

    uri, client = mlflow_store["uri"], mlflow_store["client"]
    client.create_registered_model(name)
    rid = mlflow_store["runs"]["b"][0]
    client.create_model_version(name, source=f"runs:/{rid}/model", run_id=rid)
    rec = DecisionRecord(chosen="a", candidates=("a",))
    with pytest.raises(UnknownNameError, match=r"(?s)Version of .* '99' is not a registered version.*Valid: 1\."):
        mlflow_alias(rec, uri, name, version=99)


def test_cli_export_mlflow_records_the_artefact(mlflow_store, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.decisions import DecisionLog

    (tmp_path / "q.yaml").write_text(
        "objectives:\n  - {name: acc, direction: max, weight: 2}\n"
        "  - {name: latency_ms, direction: min, unit: ms, constraint: '<= 30'}\n"
    )
    uri, log_url = mlflow_store["uri"], f"sqlite:///{tmp_path / 'd.db'}"
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["analyze", f"mlflow:{uri}#exp", "-m", str(tmp_path / "q.yaml"), "-f", "json", "-o", str(tmp_path / "a.json")],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["decide", str(tmp_path / "a.json"), "--decisions", log_url, "--rationale", "ok"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["export", "mlflow", "--tracking-uri", uri, "--model-name", "clf", "--alias", "prod", "--decisions", log_url],
    )
    assert r.exit_code == 0, r.output
    assert f"clf@prod → version {mlflow_store['versions']['a']}" in r.output
    assert mlflow_store["client"].get_model_version_by_alias("clf", "prod").version == mlflow_store["versions"]["a"]
    with DecisionLog(log_url) as log:
        (artefact,) = log.latest().pushdown
    assert artefact["kind"] == "mlflow_alias" and artefact["target"] == "clf@prod"
    r = runner.invoke(app, ["export", "mlflow", "--tracking-uri", uri, "--model-name", "nope", "--decisions", log_url])
    assert r.exit_code == 2 and "Registered model 'nope'" in r.output


@pytest.mark.parametrize(
    "metric_map, pattern",
    [
        # a YAML list, a list spec and a text scale used to raise TypeError/ValueError
        ([1, 2], r"metric_map must map objective names to metrics, got \[1, 2\]"),
        ({"latency_ms": [1, 2]}, r"metric_map\['latency_ms'\] must be a metric name or a mapping"),
        ({"latency_ms": {"metric": "m", "scale": "x"}}, r"metric_map\['latency_ms'\]: scale 'x' must be a finite"),
        ({"latency_ms": {"metric": "m", "scale": 0}}, r"scale 0 must be a finite, non-zero number"),
    ],
)
def test_prometheus_rules_malformed_metric_map(metric_map, pattern):
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": "latency_ms",
                    "direction": "min",
                    "aggregation": "p95",
                    "source": "lat",
                    "constraint": "<= 150",
                }
            ]
        }
    )
    with pytest.raises(DecisionError, match=pattern):
        prometheus_rules(qm, metric_map=metric_map)


def test_prometheus_rules_keep_every_digit_of_a_resolved_limit():
    # ':g' rounded limits to 6 significant digits: 1.1 * 123.4567 ms alerted at 135.802, not 135.80237,
    # and a scale of 1000.0001 became 1000
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": "latency_p95_ms",
                    "direction": "min",
                    "aggregation": "p95",
                    "source": "lat",
                    "constraint": "<= 1.1 * champion",
                },
                {"name": "recall", "direction": "max"},
            ]
        }
    )
    df = pd.DataFrame({"id": ["a", "b"], "latency_p95_ms": [123.4567, 120.0], "recall": [0.9, 0.8]})
    rec = DecisionRecord.from_analysis(analyze(df, qm, champion="a"), chosen="a")
    text = prometheus_rules(rec, metric_map={"latency_p95_ms": {"metric": "lat", "scale": 1000.0001}})
    (rule,) = check_rules(text)["groups"][0]["rules"]
    assert rule["expr"].startswith("1000.0001 * (")
    assert rule["expr"].endswith("> 135.80237")
