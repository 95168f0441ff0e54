"""Readers that turn evidence into the candidates table.

``load(spec)`` dispatches on the spec: a DataFrame, a file path (CSV/TSV/Parquet/JSON),
``mlflow:<tracking-uri>#<experiment>[,<experiment>...]`` or ``optuna:<storage-url>#<study>``.

Monitoring evidence that is not a candidates table has its own reader here:
:func:`read_evidently` reads an Evidently report/snapshot JSON export (data drift, data quality)
into a long table, without importing Evidently:

>>> from workbench.sources import read_evidently
>>> read_evidently({"metrics": [{"id": "m1", "metric_name": "ValueDrift(column=amount)",
...     "config": {"type": "evidently:metric_v2:ValueDrift", "column": "amount",
...                "method": "Wasserstein distance (normed)", "threshold": 0.1},
...     "value": 0.84}]})[["column", "value", "drift_detected"]]
   column  value  drift_detected
0  amount   0.84            True
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.errors import CandidatesError
from workbench.sources.candidates import Candidates, from_frame
from workbench.sources.evidently import read_evidently
from workbench.sources.files import read_file

if TYPE_CHECKING:
    from workbench.quality import QualityModel

__all__ = ["Candidates", "from_frame", "load", "read_evidently", "read_file", "parse_spec"]

SCHEMES = ("mlflow", "optuna")


def parse_spec(spec: str) -> tuple[str, str, str]:
    """Split ``scheme:location#name`` into its parts; a plain path gives ``("file", path, "")``.

    >>> parse_spec("mlflow:sqlite:///mlflow.db#fraud")
    ('mlflow', 'sqlite:///mlflow.db', 'fraud')
    >>> parse_spec("runs.parquet")
    ('file', 'runs.parquet', '')
    """
    scheme, sep, rest = spec.partition(":")
    if sep and scheme in SCHEMES:
        location, hash_, name = rest.rpartition("#")
        if not hash_:
            raise CandidatesError(
                f"Source {spec!r} names no {'experiment' if scheme == 'mlflow' else 'study'}.\n"
                f"  Fix: append '#<name>', e.g. '{scheme}:{rest}#my-{'experiment' if scheme == 'mlflow' else 'study'}'."
            )
        return scheme, location, name
    return "file", spec, ""


def load(
    source: str | os.PathLike[str] | pd.DataFrame | Candidates,
    model: QualityModel | None = None,
    *,
    id: str | None = None,
    **options: Any,
) -> Candidates:
    """Load candidates from any supported source.

    Parameters
    ----------
    source : str, path, DataFrame or Candidates
        A file path; ``"mlflow:<tracking-uri>#<experiment>"`` (several experiments separated by
        commas); ``"optuna:<storage-url>#<study>"``; or a DataFrame.
    model : QualityModel, optional
        When given, its objectives are checked against the columns, and candidates with NaN/inf
        in an objective are excluded with a reason (see ``Candidates.exclusions``).
    id : str, optional
        The column naming the candidates (the CLI's ``--id``); ``id_column`` is its deprecated
        alias.
    **options
        Passed to the reader: ``replicate_column``, ``summary``, ``timeout`` (MLflow), and
        source-specific ones (``emissions`` for a CodeCarbon file to join, ...).

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> wb.load(pd.DataFrame({"id": ["a"], "acc": [0.9]}))
    Candidates(1 candidates from DataFrame; metrics: acc)
    """
    if "id_column" in options:
        import warnings

        warnings.warn(
            "load(id_column=...) is deprecated: use id=... (the CLI's --id).", DeprecationWarning, stacklevel=2
        )
        old = options.pop("id_column")
        id = old if id is None else id
    emissions = options.pop("emissions", None)
    file_options = {**options, **({"id_column": id} if id is not None else {})}
    options = {**options, **({"id": id} if id is not None else {})}
    if isinstance(source, Candidates):
        cands = source
    elif isinstance(source, pd.DataFrame):
        cands = from_frame(source, **file_options)
    elif not isinstance(source, (str, os.PathLike)):
        raise CandidatesError(
            f"Cannot load candidates from {type(source).__name__} {source!r:.60}.\n"
            "  Valid: a file path, 'mlflow:<tracking-uri>#<experiment>', 'optuna:<storage-url>#<study>', "
            "a DataFrame or Candidates."
        )
    else:
        scheme, location, name = parse_spec(os.fspath(source))
        if scheme == "mlflow":
            from workbench.sources.mlflow import read_mlflow

            cands = read_mlflow(location, name.split(","), **options)
        elif scheme == "optuna":
            from workbench.sources.optuna import read_optuna

            cands = read_optuna(location, name, model=model, **options)
        else:
            cands = read_file(location, **file_options)
    if emissions is not None:
        from workbench.sources.codecarbon import join_emissions

        cands = join_emissions(cands, emissions)
    return cands.for_model(model) if model is not None else cands
