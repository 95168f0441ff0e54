"""Candidates from an Optuna study: one completed trial, one candidate.

Ids are ``"trial-<number>"`` (``trial-12``), not the bare number: a bare number in a ranked table
or a decision record reads like a position. The number itself is kept as ``trial_number``.

Objective columns are named from ``study.metric_names`` (``study.set_metric_names``); without
them, from the quality model's objectives in order when their count equals the study's; else
``value`` (one objective) or ``values_0``, ``values_1``... The study's directions are checked
against the model's. Trials that are not COMPLETE are excluded with a reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench._mlflow import missing_file_error, quiet, redact_uri, sqlite_path, sqlite_tables
from workbench.errors import (
    CandidatesError,
    QualityModelError,
    SourceNotFoundError,
    UnknownNameError,
    require,
    unknown_name,
)
from workbench.sources.candidates import Candidates, from_frame, replicate_groups

if TYPE_CHECKING:
    from workbench.quality import QualityModel

__all__ = ["read_optuna", "trial_id"]

_OPTIONS = ("id", "replicate_column", "summary", "metrics", "id_column")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def trial_id(number: int) -> str:
    """Candidate id of a trial.

    >>> trial_id(7)
    'trial-7'
    """
    return f"trial-{int(number)}"


def _storage(optuna: Any, storage: Any) -> tuple[Any, str]:
    """An Optuna storage object, opened without creating anything, and its display name."""
    from optuna.storages import BaseStorage

    if isinstance(storage, BaseStorage):
        return storage, type(storage).__name__
    text = str(storage).strip()
    if not text:
        raise CandidatesError("The Optuna storage is empty. Fix: e.g. 'optuna:sqlite:///optuna.db#my-study'.")
    path = sqlite_path(text)
    if path is None and "://" not in text:  # a plain path: SQLite file or journal file
        path = Path(text)
        if path.is_file():
            with open(path, "rb") as handle:
                is_sqlite = handle.read(16) == _SQLITE_MAGIC
            if not is_sqlite:
                from optuna.storages import JournalStorage
                from optuna.storages.journal import JournalFileBackend

                return JournalStorage(JournalFileBackend(str(path))), str(path)
        text = f"sqlite:///{path}"
    shown = redact_uri(text)
    if path is not None:
        if not path.is_file():
            raise missing_file_error(
                path,
                "Optuna storage",
                "check the path; 'sqlite:///x.db' is relative to the working directory, "
                "'sqlite:////abs/x.db' is absolute. A journal file is given as a plain path.",
            )
        tables = sqlite_tables(path)
        if not {"studies", "trials"} <= tables:
            hint = ""
            if {"experiments", "runs"} <= tables:
                hint = f" It looks like an MLflow tracking store: use 'mlflow:sqlite:///{path}#<experiment>'."
            raise CandidatesError(
                f"{str(path)!r} is a SQLite database but not an Optuna storage (no "
                f"'studies'/'trials' tables).{hint}\n"
                "  It was not modified. Fix: point to the storage the study was created in."
            )
    try:
        return optuna.storages.RDBStorage(text, skip_table_creation=True), shown
    except RuntimeError as exc:  # schema version mismatch: Optuna asks for 'optuna storage upgrade'
        raise CandidatesError(f"Cannot open the Optuna storage {shown!r}: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in {"sqlalchemy", "sqlite3"}:
            raise CandidatesError(f"Cannot open the Optuna storage {shown!r}: {exc}") from None
        raise


def _direction(d: Any) -> str:
    return {"MINIMIZE": "min", "MAXIMIZE": "max"}.get(getattr(d, "name", str(d)), str(d))


def _objective_names(metric_names: Sequence[str] | None, n: int, model: QualityModel | None) -> tuple[list[str], str]:
    if metric_names:
        return list(metric_names), "from study.metric_names"
    default = ["value"] if n == 1 else [f"values_{i}" for i in range(n)]
    if model is not None:
        if len(model.names) == n:
            pairs = ", ".join(f"{d} -> {m}" for d, m in zip(default, model.names, strict=True))
            return list(model.names), (
                f"mapped by position to the quality model's objectives, as the study has no metric names ({pairs})"
            )
        return default, (
            f"not mapped: the study has no metric names and {n} objective(s), the quality model "
            f"{len(model.names)}; columns {', '.join(default)}. "
            "Fix: call study.set_metric_names([...])"
        )
    return default, f"the study has no metric names; columns {', '.join(default)}"


def _check_directions(
    columns: list[str], directions: list[str], model: QualityModel | None, naming: str, study: str
) -> None:
    if model is None:
        return
    for col, direction in zip(columns, directions, strict=True):
        if col in model.names and model[col].direction != direction:
            word = {"min": "minimize", "max": "maximize"}
            raise QualityModelError(
                f"Objective {col!r}: the Optuna study {study!r} {word[direction]}s it (direction "
                f"{direction!r}) but the quality model says direction {model[col].direction!r}.\n"
                f"  Objective names: {naming}.\n"
                "  Fix: correct the direction in the quality model, or the mapping of objectives "
                "(study.set_metric_names)."
            )


def _exclusion_reason(trial: Any) -> str:
    state = trial.state.name
    if state == "PRUNED":
        steps = trial.intermediate_values
        at = f" at step {max(steps)}" if steps else ""
        return f"trial {trial.number} was PRUNED{at} (no final objective values)"
    if state == "FAIL":
        why = trial.system_attrs.get("fail_reason") if trial.system_attrs else None
        return f"trial {trial.number} FAILED" + (f": {str(why).splitlines()[0]}" if why else "")
    return f"trial {trial.number} is {state} (only COMPLETE trials are read)"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def read_optuna(
    storage: Any,
    study_name: str,
    *,
    model: QualityModel | None = None,
    **options: Any,
) -> Candidates:
    """Read the completed trials of an Optuna study as candidates.

    Parameters
    ----------
    storage : str or optuna storage
        ``sqlite:///optuna.db`` (relative) / ``sqlite:////abs/optuna.db``, another database URL,
        a plain path to a SQLite file or to a journal file (``JournalFileBackend``), or an
        ``optuna.storages`` object.
    study_name : str
        The study; a missing one is reported with the storage's study names.
    model : QualityModel, optional
        Used to name the objectives when the study has no metric names (only when the numbers of
        objectives agree), and to check the study's directions against the model's.
    **options
        ``id``, ``replicate_column``, ``summary``, ``metrics`` as in
        :func:`workbench.sources.from_frame` (e.g. ``id="params.model"``,
        ``replicate_column="params.seed"`` to average trials that differ only by seed).

    Returns
    -------
    Candidates
        ``table``: the objective columns and every numeric user attribute (``user_attrs.<k>``,
        Optuna's usual place for extra measurements). ``provenance``: ``trial_number``, ``state``,
        ``datetime_start``, ``datetime_complete``, ``duration``, ``params.<k>`` and the other user
        attributes. ``source_ref``: storage (password hidden), study, objective columns and
        directions, how they were named, kept trial numbers and ``excluded`` counts by state.

    Raises
    ------
    SourceNotFoundError
        The storage file or the study does not exist (nothing is created).
    QualityModelError
        The study optimises an objective in the other direction than the model says.
    CandidatesError
        No completed trial; a database that is not an Optuna storage.

    Examples
    --------
    ``read_optuna("sqlite:///optuna.db", "tuning")`` gives candidates ``trial-0``, ``trial-1``...;
    ``wb.load("optuna:sqlite:///optuna.db#tuning", model=qm)`` also checks directions.
    """
    for key in options:
        if key not in _OPTIONS:
            raise UnknownNameError(unknown_name("Option", key, _OPTIONS, where="an option of read_optuna"))
    if "id_column" in options:
        import warnings

        warnings.warn(
            "read_optuna(id_column=...) is deprecated: use id=... (the CLI's --id).", DeprecationWarning, stacklevel=2
        )
        options.setdefault("id", options.pop("id_column"))
        options.pop("id_column", None)
    optuna = require("optuna", "optuna", "Reading Optuna studies")
    with quiet():
        store, shown = _storage(optuna, storage)
        try:
            return _read(optuna, store, shown, study_name, model, options)
        finally:
            if store is not storage and hasattr(store, "engine"):  # we opened it: close it
                store.remove_session()
                store.engine.dispose()


def _read(
    optuna: Any,
    store: Any,
    shown: str,
    study_name: str,
    model: QualityModel | None,
    options: dict[str, Any],
) -> Candidates:
    with quiet():
        try:
            names = optuna.get_all_study_names(storage=store)
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in {"sqlalchemy", "sqlite3", "optuna"}:
                raise CandidatesError(f"Cannot read the Optuna storage {shown!r}: {exc}") from None
            raise
        if study_name not in names:
            raise SourceNotFoundError(
                unknown_name(
                    "Study",
                    study_name,
                    names,
                    where=f"a study in {shown}",
                    fix="use one of the names above ('optuna:<storage>#<study>').",
                )
            )
        study = optuna.load_study(study_name=study_name, storage=store)
        trials = study.get_trials(deepcopy=False)
        directions = [_direction(d) for d in study.directions]
        metric_names = study.metric_names
    source = f"optuna:{shown}#{study_name}"
    columns, naming = _objective_names(metric_names, len(directions), model)
    _check_directions(columns, directions, model, naming, study_name)

    rows, excl = [], []
    for t in trials:
        if t.state.name != "COMPLETE":
            excl.append({"candidate": trial_id(t.number), "reason": _exclusion_reason(t), "source": source})
            continue
        info = {
            "trial": trial_id(t.number),
            "trial_number": t.number,
            "state": t.state.name,
            "datetime_start": t.datetime_start,
            "datetime_complete": t.datetime_complete,
            "duration": (t.datetime_complete - t.datetime_start)
            if t.datetime_start and t.datetime_complete
            else pd.NaT,
        }
        # an objective may be called e.g. 'duration': then the trial's own field is 'trial.duration'
        row: dict[str, Any] = {(f"trial.{k}" if k in columns else k): v for k, v in info.items()}
        row.update(zip(columns, t.values, strict=True))
        row.update({f"params.{k}": v for k, v in t.params.items()})
        row.update({f"user_attrs.{k}": v for k, v in t.user_attrs.items()})
        rows.append(row)
    excluded = dict(Counter(t.state.name for t in trials if t.state.name != "COMPLETE"))
    if not rows:
        raise CandidatesError(
            f"Study {study_name!r} in {shown!r} has no COMPLETE trial"
            + (f" ({', '.join(f'{n} {s}' for s, n in excluded.items())})" if excluded else " (no trials)")
            + ".\n  Fix: run the optimisation, or check the study name."
        )
    df = pd.DataFrame(rows)
    attr_cols = [c for c in df.columns if c.startswith("user_attrs.")]
    numeric_attrs = [
        c for c in attr_cols if df[c].map(lambda v: v is None or _is_number(v)).all() and df[c].notna().any()
    ]
    for c in numeric_attrs:
        df[c] = pd.to_numeric(df[c])
    # params keep their own type (Optuna's are typed), but never become metrics
    metrics = options.pop("metrics", None)
    chosen = list(metrics) if metrics is not None else [*columns, *numeric_attrs]
    ref: dict[str, Any] = {
        "storage": shown,
        "study": study_name,
        "objectives": dict(zip(columns, directions, strict=True)),
        "objective_names": naming,
        "trials": [int(t.number) for t in trials if t.state.name == "COMPLETE"],
        "excluded": excluded,
    }
    own_ids = "id" not in options and "replicate_column" not in options
    id_column = options.pop("id", None) or ("trial.trial" if "trial" in columns else "trial")
    if own_ids:  # trials of the same parameters are replicates of one configuration
        grouped = replicate_groups(
            df,
            df[id_column],
            params=[c for c in df.columns if c.startswith("params.")],
            replicate_of="user_attrs.replicate_of",
            require_seed=False,
        )
        if grouped is not None:
            df = df.assign(**{"trial.candidate": grouped[0].to_numpy(), "trial.replicate": df[id_column]})
            id_column, options["replicate_column"] = "trial.candidate", "trial.replicate"
            ref["id_rule"] = grouped[1].replace("runs", "trials")
    cands = from_frame(df, id_column=id_column, metrics=chosen, source=source, source_ref=ref, **options)
    if excl:
        cands = replace(cands, exclusions=pd.concat([cands.exclusions, pd.DataFrame(excl)], ignore_index=True))
    return cands
