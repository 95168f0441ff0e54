"""The example's configuration search: evaluate(), search_space.yaml and quality_search.yaml."""

from __future__ import annotations

import importlib.util
import math

import pytest

if importlib.util.find_spec("sklearn") is None:
    pytest.skip("scikit-learn is not installed", allow_module_level=True)

import yaml  # noqa: E402

from workbench.example.search import (  # noqa: E402
    FAMILIES,
    METRICS,
    PARAMETERS,
    SEARCH_QUALITY_YAML,
    SEARCH_SPACE_YAML,
    SEEDS,
    evaluate,
)
from workbench.quality import QualityModel  # noqa: E402

# One cheap configuration per family, every parameter the family reads present.
CONFIGS = {
    "logreg": {"family": "logreg", "C": 1.0, "threshold": 0.5},
    "tree": {"family": "tree", "max_depth": 4, "min_samples_leaf": 2, "threshold": 0.5},
    "forest": {"family": "forest", "n_estimators": 10, "max_depth": 4, "min_samples_leaf": 1, "threshold": 0.5},
    "hgb": {"family": "hgb", "learning_rate": 0.1, "max_iter": 20, "max_depth": 3, "threshold": 0.5},
    "knn": {"family": "knn", "n_neighbors": 5, "threshold": 0.5},
}


@pytest.fixture(scope="module")
def results():
    return {family: evaluate(config) for family, config in CONFIGS.items()}


@pytest.fixture(scope="module")
def space():
    with open(SEARCH_SPACE_YAML, encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_every_family_returns_one_finite_value_per_seed_in_range(results):
    assert set(results) == set(FAMILIES)
    for family, r in results.items():
        assert set(r) == set(METRICS), family
        for metric, values in r.items():
            assert isinstance(values, list) and len(values) == len(SEEDS) == 2, (family, metric)
            assert all(isinstance(v, float) and math.isfinite(v) for v in values), (family, metric)
        for metric in ("recall", "precision", "f1", "roc_auc"):
            assert all(0.0 <= v <= 1.0 for v in r[metric]), (family, metric, r[metric])
        assert all(v > 0.8 for v in r["roc_auc"]), (family, r["roc_auc"])  # real models, not noise
        assert all(v > 0.0 for v in r["latency_p95_ms"]), family
        assert all(v > 0.0 for v in r["model_size_kb"]), family


def test_quality_metrics_are_deterministic(results):
    for family in ("tree", "knn"):
        again = evaluate(CONFIGS[family])
        for metric in METRICS:
            if metric != "latency_p95_ms":
                assert again[metric] == results[family][metric], (family, metric)


def test_threshold_trades_recall_for_precision():
    base = {"family": "logreg", "C": 1.0}
    low, high = (evaluate({**base, "threshold": t}) for t in (0.1, 0.9))
    for s in range(len(SEEDS)):
        assert low["recall"][s] >= high["recall"][s]
        assert low["precision"][s] <= high["precision"][s]
        assert low["roc_auc"][s] == high["roc_auc"][s]  # scores do not depend on the threshold
    assert sum(low["recall"]) > sum(high["recall"])  # the threshold really moves the predictions


def test_integral_floats_are_accepted_and_extra_keys_ignored(results):
    r = evaluate({"family": "knn", "n_neighbors": 5.0, "threshold": 0.5, "C": 3.0})
    assert r["recall"] == results["knn"]["recall"]


def test_unknown_family_names_the_valid_ones():
    with pytest.raises(ValueError, match="'svm'") as info:
        evaluate({"family": "svm", "threshold": 0.5})
    assert all(f in str(info.value) for f in FAMILIES)


@pytest.mark.parametrize(
    "config, match",
    [
        ({"family": "tree", "max_depth": 3, "threshold": 0.5}, "min_samples_leaf"),
        ({"family": "tree", "max_depth": 2.5, "min_samples_leaf": 1, "threshold": 0.5}, "max_depth"),
        ({"family": "knn", "n_neighbors": 5}, "threshold"),
        ({"family": "knn", "n_neighbors": 5, "threshold": 1.5}, "threshold"),
    ],
)
def test_bad_configs_raise_value_error(config, match):
    with pytest.raises(ValueError, match=match):
        evaluate(config)


def test_space_parses_and_matches_evaluate(space):
    params = space["parameters"]
    assert space["name"] == "breast-cancer-search"
    assert params["family"]["type"] == "categorical"
    assert tuple(params["family"]["choices"]) == FAMILIES
    assert "when" not in params["threshold"] and "when" not in params["family"]
    # every hyperparameter of the space is read by exactly the families its `when` names
    used = {name for names in PARAMETERS.values() for name in names}
    assert set(params) == used | {"family", "threshold"}
    for name in used:
        when = params[name]["when"]["family"]
        when = [when] if isinstance(when, str) else when
        assert sorted(when) == sorted(f for f in FAMILIES if name in PARAMETERS[f]), name
    for name, spec in params.items():
        assert spec["type"] in {"float", "int", "categorical", "bool"}, name
        assert set(spec) <= {"type", "low", "high", "log", "step", "choices", "when", "description"}, name
        if spec["type"] != "categorical":
            assert spec["low"] < spec["high"], name


def test_space_bounds_are_evaluable(space):
    # The corners of the space: all parameters active for a family at low / high, no KeyError
    # (not the 200-tree forest: ~2 s).
    params = space["parameters"]
    for corner in ("low", "high"):
        for family in FAMILIES if corner == "low" else set(FAMILIES) - {"forest"}:
            config = {"family": family, "threshold": params["threshold"][corner]}
            config.update({n: params[n][corner] for n in PARAMETERS[family]})
            r = evaluate(config)
            assert set(r) == set(METRICS), config


def test_quality_model_loads_and_covers_the_metrics():
    qm = QualityModel.from_yaml(SEARCH_QUALITY_YAML)
    names = {o.name for o in qm.objectives}
    assert names == {"recall", "precision", "latency_p95_ms", "model_size_kb"}
    assert names <= set(METRICS)
    assert set(qm.stakeholders) == {"clinical", "operations", "sustainability"}
