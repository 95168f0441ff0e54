"""Shared fixtures of the review tests: the example store and one review of it, built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

#: Few SMAA samples: the review's numbers, not SMAA's precision, are under test here.
SMAA = 500


@pytest.fixture(scope="session")
def example_store(tmp_path_factory):
    """The embedded example's quick MLflow store (real scikit-learn runs), built once."""
    for module in ("sklearn", "mlflow", "papermill", "jinja2", "vl_convert"):
        pytest.importorskip(module)
    from workbench.example import build_example

    return build_example(tmp_path_factory.mktemp("example") / "store", quick=True)


@pytest.fixture(scope="session")
def review_params(example_store):
    return {
        "candidates": example_store.source,
        "quality_model": str(example_store.quality_model_path),
        "emissions": str(example_store.emissions_csv),
        "smaa_samples": SMAA,
        "seed": 0,
        "title": "Which classifier ships?",
        "decision_makers": ["Ana Lima", "Ops lead"],
        "stakeholders": "model, clinical, operations",
    }


@pytest.fixture(scope="session")
def review(tmp_path_factory, review_params):
    """One successful trade_off_review of the example store."""
    from workbench.reports import run_review

    return run_review("trade_off_review", review_params, tmp_path_factory.mktemp("review") / "out", progress=False)


@pytest.fixture
def review_copy(review, tmp_path) -> Path:
    """A private copy of the review's output folder (for tests that overwrite it)."""
    return Path(shutil.copytree(review.output_dir, tmp_path / "out"))
