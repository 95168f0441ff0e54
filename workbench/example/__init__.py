"""The embedded example: real scikit-learn classifiers on the breast-cancer data, logged to MLflow.

``build_example(outdir)`` trains the grid and returns an :class:`ExampleStore` whose ``source``
(``"mlflow:sqlite:///<outdir>/mlflow.db#breast-cancer-classifiers"``) and ``quality_model_path``
feed the rest of the workbench; ``simulate_serving(store)`` serves some of its models on held-out
rows under simulated traffic and writes production request logs (:mod:`workbench.example.serving`).
See :mod:`workbench.example.build` for what is measured and how.
"""

from workbench.example.build import (
    EXPERIMENT,
    METRICS,
    ExampleArgumentError,
    ExampleStore,
    ExampleStoreError,
    build_example,
    candidates,
)
from workbench.example.serving import simulate_serving

__all__ = [
    "EXPERIMENT",
    "METRICS",
    "ExampleArgumentError",
    "ExampleStore",
    "ExampleStoreError",
    "build_example",
    "candidates",
    "simulate_serving",
]
