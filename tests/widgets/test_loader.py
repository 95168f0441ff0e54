"""SourceLoader, headless: fill the fields, press Load and Explore."""

import importlib.util
import warnings

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("altair")

import workbench as wb  # noqa: E402
from widgets import SourceLoader, TradeoffExplorer  # noqa: E402


@pytest.fixture
def files(tmp_path, make_candidates, model3):
    df = make_candidates(n=12, seed=1)
    df.loc[3, "ms"] = float("nan")  # excluded, with a reason
    csv = tmp_path / "runs.csv"
    df.to_csv(csv, index=False)
    yaml = tmp_path / "quality.yaml"
    model3.to_yaml(yaml)
    return csv, yaml


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    for module in ("sklearn", "mlflow"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    from workbench.example import build_example

    return build_example(tmp_path_factory.mktemp("example") / "store", quick=True)


def test_csv_preview_and_explore(files, model3):
    csv, yaml = files
    loader = SourceLoader(str(csv), model=str(yaml))
    assert loader.spec == str(csv)
    seen = []
    loader.on_explore(seen.append)
    loader.load_button.click()
    assert loader.errors.text == ""
    assert len(loader.candidates) == 11
    preview = loader.preview.value
    assert "11 candidates" in preview
    assert "Objectives found: acc ↑, ms ↓, kb ↓" in preview
    assert "c003" in preview and "missing or non-finite objective value: ms=nan" in preview
    assert not loader.explore_button.disabled
    loader.explore_button.click()
    assert isinstance(loader.explorer, TradeoffExplorer)
    assert seen == [loader.explorer]
    assert loader.output.children == (loader.explorer,)
    assert loader.explorer.quality_model == model3
    assert len(loader.explorer.analysis.table) == 11


def test_without_a_model_only_previews(files):
    csv, _ = files
    loader = SourceLoader()
    loader.file_path.value = str(csv)
    loader.load()
    assert "Metrics: acc, ms, kb" in loader.preview.value
    assert loader.explore_button.disabled
    loader.explore()
    assert "Load candidates and a quality model first" in loader.errors.text


def test_bad_path_shows_the_engine_error(tmp_path, files):
    _, yaml = files
    loader = SourceLoader(str(tmp_path / "nope.csv"), model=str(yaml))
    loader.load()
    assert loader.candidates is None
    assert "Candidates file" in loader.errors.text and "does not exist" in loader.errors.text
    assert "nope.csv" in loader.error_area.value
    loader.model_path.value = str(tmp_path / "missing.yaml")
    loader.load()
    assert "Quality model file" in loader.errors.text
    empty = SourceLoader()
    empty.kind = "mlflow"
    empty.load()
    assert "fill in the tracking URI and the experiment" in empty.errors.text


def test_missing_objective_is_reported(files, tmp_path):
    csv, _ = files
    yaml = tmp_path / "other.yaml"
    wb.QualityModel.from_dict({"objectives": [{"name": "accuracy", "direction": "max"}]}).to_yaml(yaml)
    loader = SourceLoader(str(csv), model=str(yaml))
    loader.load()
    assert "Objective 'accuracy' is not a numeric column" in loader.errors.text


@pytest.mark.slow
def test_mlflow_store(store):
    loader = SourceLoader()
    loader.kind_picker.value = "mlflow"
    loader.mlflow_uri.value = store.tracking_uri
    loader.mlflow_experiment.value = store.experiment
    loader.model_path.value = str(store.quality_model_path)
    assert loader.spec == store.source
    loader.load()
    assert loader.errors.text == ""
    assert "6 candidates" in loader.preview.value and "12 replicate runs" in loader.preview.value
    assert "Every candidate has 2 seed replicates." in loader.preview.value
    explorer = loader.explore()
    assert explorer.error_text == ""
    assert explorer.analysis.recommended == wb.analyze(wb.load(store.source), store.quality_model()).recommended
    wrong = SourceLoader(f"mlflow:{store.tracking_uri}#no-such-experiment", model=store.quality_model_path)
    wrong.load()
    assert "no-such-experiment" in wrong.errors.text


def test_optuna_study(tmp_path):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(
        study_name="toy",
        storage=storage,
        directions=["minimize", "minimize"],
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(["f1", "f2"])
    study.optimize(lambda t: ((x := t.suggest_float("x", 0, 1)) ** 2, (x - 1) ** 2), n_trials=8)
    yaml = tmp_path / "q.yaml"
    wb.QualityModel.from_dict(
        {"objectives": [{"name": "f1", "direction": "min"}, {"name": "f2", "direction": "min"}]}
    ).to_yaml(yaml)
    loader = SourceLoader(f"optuna:{storage}#toy", model=yaml)
    assert loader.kind == "optuna" and loader.optuna_study.value == "toy"
    loader.load()
    assert loader.errors.text == ""
    assert "8 candidates" in loader.preview.value
    assert loader.explore().analysis is not None
    assert isinstance(loader.candidates.table, pd.DataFrame)


def test_replicates_reach_the_preview_the_table_and_the_why(tmp_path):
    """Per-seed rows named by the replicates field: the preview says how many seeds each candidate has
    and which seed lacks a metric; the explorer's table shows mean ± the t half-width (scipy's
    t interval over the raw seeds as the oracle) and the why carries the seed-noise verdict."""
    import numpy as np
    from scipy import stats

    from workbench.format import format_plus_minus

    rng = np.random.default_rng(3)
    rows = [
        {"id": c, "run": r, "acc": 0.80 + 0.02 * i + rng.normal(0, 0.01), "ms": 10 + 4 * i + rng.normal(0, 1)}
        for i, c in enumerate(["m1", "m2", "m3"])
        for r in range(4 if c != "m3" else 3)
    ]
    df = pd.DataFrame(rows)
    df.loc[(df["id"] == "m2") & (df["run"] == 2), "ms"] = float("nan")  # one seed lacks a metric
    df.to_csv(tmp_path / "seeds.csv", index=False)
    (tmp_path / "q.yaml").write_text(
        "objectives:\n  - {name: acc, direction: max}\n  - {name: ms, direction: min, unit: ms}\n"
    )
    loader = SourceLoader(str(tmp_path / "seeds.csv"), model=str(tmp_path / "q.yaml"))
    loader.replicate_column.value = "run"
    loader.load_button.click()
    assert loader.errors.text == ""
    preview = loader.preview.value
    assert "Seeds per candidate range from 3 to 4." in preview  # m2 has 3 complete seeds, m3 3 seeds
    assert "m2: ms is missing in seeds 2" in preview

    loader.explore_button.click()
    a = loader.explorer.analysis
    assert a.uncertainty is not None
    seeds = df[df["id"] == "m1"]["acc"].to_numpy()
    lo, hi = stats.t.interval(0.95, len(seeds) - 1, loc=seeds.mean(), scale=stats.sem(seeds))
    cell = format_plus_minus(a.table.loc["m1", "acc"], (hi - lo) / 2, 4)
    assert cell in loader.explorer._table.value
    why = loader.explorer._why.value
    assert a.uncertainty.text and a.uncertainty.text.split(":")[0] in why  # "Robust" / "Fragile" ...
    assert "means over" in why and "seed replicates" in why
