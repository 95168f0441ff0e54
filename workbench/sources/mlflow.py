"""Candidates from MLflow: a tracking database, a tracking server, or an old ``mlruns/`` folder.

One MLflow run is one execution. Runs become candidates like this (see :func:`read_mlflow`):

- the **candidate id** is the run's ``candidate`` tag when every run has one; runs sharing it are
  replicates (e.g. one run per seed), summarised by ``summary``. Without such tags it is the run
  name when the names are unique, else the run id;
- ``metrics.<k>`` (the latest value) becomes the metric column ``<k>``; ``params.<k>`` (strings in
  MLflow, even when they look numeric) and ``tags.<k>`` stay in the provenance;
- runs that are not ``FINISHED``, and deleted runs, are excluded with a reason.

Reading never writes: a missing SQLite file is reported instead of created, a database that is
not MLflow's (or has another schema revision) is not migrated, and the old file store is parsed
here rather than through MLflow's (deprecated) ``FileStore``, which creates folders on opening.
"""

from __future__ import annotations

import math
import urllib.parse
import urllib.request
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from workbench._mlflow import (
    CLIENT_ERROR_MODULES,
    client_error,
    env_defaults,
    first_line,
    http_env,
    http_settings,
    is_remote,
    missing_file_error,
    quiet,
    redact_uri,
    sqlite_path,
    sqlite_tables,
)
from workbench.errors import (
    CandidatesError,
    SourceNotFoundError,
    SourceUnreachableError,
    UnknownNameError,
    UnknownObjectiveError,
    WorkbenchError,
    require,
    unknown_name,
)
from workbench.sources.candidates import Candidates, from_frame, replicate_groups

__all__ = [
    "read_mlflow",
    "SourceUnreachableError",
    "KEPT_SYSTEM_TAGS",
    "CANDIDATE_TAG",
    "SEED_COLUMNS",
]

#: The tag that groups runs into candidates by default (all seeds of one configuration share it).
CANDIDATE_TAG = "candidate"
#: Replicate keys tried, in order, when runs share a candidate id.
SEED_COLUMNS = ("tags.seed", "params.seed")
#: MLflow system tags kept in the provenance; every other ``mlflow.*`` tag is dropped.
KEPT_SYSTEM_TAGS = ("mlflow.user", "mlflow.source.git.commit", "mlflow.parentRunId")

_RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_RESERVED_EXPERIMENT_FOLDERS = {"tags", "datasets", "traces", "models"}
_BASE_COLUMNS = [
    "run_id",
    "run_name",
    "experiment_id",
    "experiment",
    "status",
    "start_time",
    "end_time",
]


# --- locating the store ---------------------------------------------------------------------


def _classify(tracking_uri: str) -> tuple[str, Any]:
    """Return ("file", root Path) | ("sqlite", Path) | ("client", uri)."""
    uri = str(tracking_uri).strip()
    if not uri:
        raise CandidatesError(
            "The MLflow tracking URI is empty.\n"
            "  Fix: e.g. 'mlflow:sqlite:///mlflow.db#my-experiment' or "
            "'mlflow:mlruns#my-experiment'."
        )
    lower = uri.lower()
    if lower.startswith("file:"):
        parsed = urllib.parse.urlsplit(uri)
        path = urllib.request.url2pathname(parsed.path) if parsed.path else ""
        if parsed.netloc and parsed.netloc != "localhost":
            path = f"//{parsed.netloc}{path}"
        return "file", Path(path or ".")
    if lower.startswith("sqlite:"):
        return "sqlite", sqlite_path(uri)
    if "://" in uri or lower in {"databricks", "databricks-uc"} or lower.startswith("databricks://"):
        return "client", uri
    path = Path(uri)  # a plain path: an mlruns folder, or a database file
    if path.is_dir():
        return "file", path
    if path.is_file():
        return "sqlite", path
    if path.suffix.lower() in {".db", ".sqlite", ".sqlite3"}:
        return "sqlite", path
    return "file", path


def _check_sqlite(path: Path, uri: str) -> None:
    if not path.is_file():
        raise missing_file_error(
            path,
            "MLflow database",
            "check the path; 'sqlite:///x.db' is relative to the working directory, 'sqlite:////abs/x.db' is absolute.",
        )
    tables = sqlite_tables(path)
    if not {"experiments", "runs"} <= tables:
        hint = ""
        if "studies" in tables and "trials" in tables:
            hint = f" It looks like an Optuna storage: use 'optuna:sqlite:///{path}#<study>'."
        raise CandidatesError(
            f"{str(path)!r} is a SQLite database but not an MLflow tracking store "
            f"(no 'experiments'/'runs' tables).{hint}\n"
            "  It was not modified. Fix: point to the database MLflow logged to."
        )
    found = sorted(t.split("=", 1)[1] for t in tables if t.startswith("alembic_version="))
    try:
        from mlflow.store.db.utils import (
            _get_latest_schema_revision,
        )  # private, checked defensively

        expected = _get_latest_schema_revision()
    except Exception:  # pragma: no cover - the check is a courtesy; MLflow verifies again
        return
    if found and expected not in found:
        import mlflow

        if _known_revision(found[0]):
            fix = (
                f"back it up and run 'mlflow db upgrade {uri}' (it upgrades the database to MLflow "
                f"{mlflow.__version__}), or read it with the MLflow version that wrote it."
            )
            age = "an older"
        else:  # written by a newer MLflow: 'mlflow db upgrade' cannot downgrade it
            fix = (
                "upgrade the reading side to the MLflow that wrote it (pip install -U mlflow-skinny, "
                "or the server's exact version), or read it through that version's tracking server "
                "('mlflow server --backend-store-uri ...' then 'mlflow:http://HOST:PORT#EXPERIMENT')."
            )
            age = "a newer"
        raise CandidatesError(
            f"The MLflow database {uri!r} has schema revision {found[0]!r} ({age} schema than the "
            f"installed MLflow {mlflow.__version__} expects: {expected!r}). Opening it would migrate it, "
            "so it was not read.\n"
            f"  Fix: {fix}"
        )


def _known_revision(revision: str) -> bool:
    """True when the installed MLflow has a migration with this revision (the database is older)."""
    try:
        import mlflow.store.db_migrations as migrations
    except ImportError:  # pragma: no cover
        return True
    folder = Path(migrations.__file__).parent / "versions"
    return any(revision in p.read_text(encoding="utf-8", errors="replace") for p in folder.glob("*.py"))


# --- reading runs -----------------------------------------------------------------------------


def _run_record(run: Any) -> dict[str, Any]:
    info, data = run.info, run.data
    return {
        "run_id": info.run_id,
        "run_name": info.run_name or data.tags.get("mlflow.runName"),
        "experiment_id": str(info.experiment_id),
        "status": info.status,
        "lifecycle_stage": info.lifecycle_stage,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "metrics": dict(data.metrics),
        "params": dict(data.params),
        "tags": dict(data.tags),
    }


def _resolve_experiments(requested: Sequence[str], experiments: list[dict[str, str]], where: str) -> dict[str, str]:
    """Map each requested name (or id) to its experiment id; unknown or deleted ones raise."""
    active = [e for e in experiments if e["lifecycle_stage"] != "deleted"]
    out: dict[str, str] = {}
    for name in requested:
        match = next((e for e in active if e["name"] == name), None) or next(
            (e for e in active if e["experiment_id"] == name), None
        )
        if match is None:
            deleted = next((e for e in experiments if e["name"] == name and e not in active), None)
            if deleted is not None:
                raise SourceNotFoundError(
                    f"Experiment {name!r} in {where} is deleted (id {deleted['experiment_id']}).\n"
                    f"  Fix: restore it ('mlflow experiments restore --experiment-id "
                    f"{deleted['experiment_id']}') or choose another experiment."
                )
            raise SourceNotFoundError(
                unknown_name(
                    "Experiment",
                    name,
                    sorted(e["name"] for e in active),
                    where=f"an experiment of {where}",
                    fix="use one of the names above (several: 'mlflow:<uri>#exp1,exp2').",
                )
            )
        out[match["name"]] = match["experiment_id"]
    return out


def _read_with_client(
    uri: str, requested: Sequence[str], timeout: float | None = None
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    require("mlflow", "mlflow", "Reading MLflow runs")
    from mlflow import MlflowClient
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    shown = redact_uri(uri)
    remote = is_remote(uri)
    with quiet(), env_defaults(http_env(timeout) if remote else {}):
        try:
            client = MlflowClient(tracking_uri=uri)
            experiments, token = [], None
            while True:
                page = client.search_experiments(view_type=ViewType.ALL, max_results=1000, page_token=token)
                experiments += [
                    {
                        "name": e.name,
                        "experiment_id": str(e.experiment_id),
                        "lifecycle_stage": e.lifecycle_stage,
                    }
                    for e in page
                ]
                token = page.token
                if not token:
                    break
            ids = _resolve_experiments(requested, experiments, shown)
            runs, token = [], None
            while True:
                page = client.search_runs(
                    list(ids.values()),
                    run_view_type=ViewType.ALL,
                    max_results=1000,
                    page_token=token,
                )
                runs += [_run_record(r) for r in page]
                token = page.token
                if not token:
                    break
        except WorkbenchError:
            raise
        except MlflowException as exc:
            raise client_error(shown, remote, exc, timeout=timeout) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in CLIENT_ERROR_MODULES:
                raise client_error(shown, remote, exc, timeout=timeout) from None
            raise
    return ids, runs


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _read_yaml(path: Path) -> dict[str, Any] | None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _files_under(folder: Path) -> dict[str, Path]:
    """Key -> file for metrics/params/tags folders; keys may contain '/' (nested folders)."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _latest_metric(path: Path) -> float:
    """Latest value of a metric file (lines ``<ts_ms> <value> [<step> [<dataset> <digest>]]``).

    As MLflow does: the line with the largest (step, timestamp, value).
    """
    best: tuple[int, int, float] | None = None
    latest = math.nan
    for line in _read_text(path).splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (2, 3, 5):
            raise ValueError(f"metric {path.name!r} has a line with {len(parts)} fields")
        ts, value = int(parts[0]), float(parts[1])
        step = int(parts[2]) if len(parts) >= 3 else 0
        key = (step, ts, -math.inf if math.isnan(value) else value)
        if best is None or key > best:
            best, latest = key, value
    if best is None:
        raise ValueError(f"metric {path.name!r} is empty")
    return latest


def _read_file_store(
    root: Path, requested: Sequence[str]
) -> tuple[dict[str, str], list[dict[str, Any]], list[tuple[str, str]]]:
    """Parse an ``mlruns/`` folder without MLflow, read-only: ids, runs, unreadable runs."""
    if not root.exists():
        raise SourceNotFoundError(
            f"MLflow file store {str(root)!r} does not exist (resolved: {str(root.resolve())!r}); "
            "nothing was created.\n"
            "  Fix: pass the 'mlruns' folder MLflow wrote, or a tracking URI such as 'sqlite:///mlflow.db'."
        )
    if not root.is_dir():
        raise CandidatesError(f"MLflow file store {str(root)!r} is not a folder.")
    folders = [p for p in root.iterdir() if p.is_dir() and p.name != ".trash"]
    trash = root / ".trash"
    folders += [p for p in trash.iterdir() if p.is_dir()] if trash.is_dir() else []
    experiments, paths = [], {}
    for folder in folders:
        meta = _read_yaml(folder / "meta.yaml")
        if not meta or "experiment_id" not in meta or "name" not in meta:
            continue
        exp_id = str(meta["experiment_id"])
        stage = "deleted" if folder.parent == trash else str(meta.get("lifecycle_stage", "active"))
        experiments.append({"name": str(meta["name"]), "experiment_id": exp_id, "lifecycle_stage": stage})
        paths[exp_id] = folder
    if not experiments:
        if (root / "meta.yaml").is_file():
            hint = " It looks like one experiment's folder: pass its parent (the 'mlruns' folder)."
        else:
            hint = ""
        raise SourceNotFoundError(
            f"{str(root)!r} is not an MLflow file store: no experiment folders with a "
            f"meta.yaml.{hint}\n"
            "  Fix: pass the 'mlruns' folder MLflow wrote, or a tracking URI such as "
            "'sqlite:///mlflow.db'."
        )
    ids = _resolve_experiments(requested, experiments, repr(str(root)))
    runs: list[dict[str, Any]] = []
    unreadable: list[tuple[str, str]] = []
    for exp_id in ids.values():
        for run_dir in sorted(p for p in paths[exp_id].iterdir() if p.is_dir()):
            if run_dir.name in _RESERVED_EXPERIMENT_FOLDERS or not (run_dir / "meta.yaml").exists():
                continue  # artifacts, logged models, datasets: not runs
            meta = _read_yaml(run_dir / "meta.yaml")
            run_id = str((meta or {}).get("run_id") or (meta or {}).get("run_uuid") or "")
            if not meta or not run_id:
                unreadable.append((run_dir.name, "run folder has an unreadable meta.yaml"))
                continue
            try:
                metrics = {k: _latest_metric(p) for k, p in _files_under(run_dir / "metrics").items()}
                params = {k: _read_text(p) for k, p in _files_under(run_dir / "params").items()}
                tags = {k: _read_text(p) for k, p in _files_under(run_dir / "tags").items()}
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                unreadable.append((run_id, f"run folder is malformed ({first_line(exc)})"))
                continue
            status = meta.get("status", 1)
            runs.append(
                {
                    "run_id": run_id,
                    "run_name": meta.get("run_name") or tags.get("mlflow.runName"),
                    "experiment_id": str(meta.get("experiment_id", exp_id)),
                    "status": _RUN_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
                    "lifecycle_stage": str(meta.get("lifecycle_stage", "active")),
                    "start_time": meta.get("start_time"),
                    "end_time": meta.get("end_time"),
                    "metrics": metrics,
                    "params": params,
                    "tags": tags,
                }
            )
    return ids, runs, unreadable


# --- runs -> candidates -------------------------------------------------------------------------


def _runs_frame(runs: list[dict[str, Any]], names: dict[str, str]) -> pd.DataFrame:
    """One row per run; metric columns keep their ``metrics.`` prefix here."""
    rows = []
    # oldest first, so replicates and candidates appear in the order they were run
    for r in sorted(runs, key=lambda r: (r["start_time"] or 0, r["run_id"])):
        row = {
            "run_id": r["run_id"],
            "run_name": r["run_name"],
            "experiment_id": r["experiment_id"],
            "experiment": names.get(r["experiment_id"], r["experiment_id"]),
            "status": r["status"],
            "start_time": r["start_time"],
            "end_time": r["end_time"],
            "_stage": r["lifecycle_stage"],
            "_metrics": tuple(r["metrics"]),
        }
        row.update({f"metrics.{k}": float(v) for k, v in r["metrics"].items()})
        row.update({f"params.{k}": v for k, v in r["params"].items()})
        row.update({f"tags.{k}": v for k, v in r["tags"].items()})
        rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("start_time", "end_time"):
        df[col] = pd.to_datetime(pd.to_numeric(df[col], errors="coerce"), unit="ms", utc=True)
    front = [c for c in [*_BASE_COLUMNS, "_stage", "_metrics"] if c in df.columns]
    rest = sorted(c for c in df.columns if c not in front)
    return df[front + rest]


def _has_value(s: pd.Series) -> pd.Series:
    return s.notna() & (s.astype(str).str.strip() != "")


def _default_ids(kept: pd.DataFrame, source: str = "") -> tuple[str, str]:
    tag = f"tags.{CANDIDATE_TAG}"
    if tag in kept.columns and _has_value(kept[tag]).all():
        return tag, f"every run has a {CANDIDATE_TAG!r} tag; runs sharing it are replicates"
    if tag in kept.columns and _has_value(kept[tag]).any():
        missing = kept[~_has_value(kept[tag])]
        listed = ", ".join(
            f"{r} ({n})" if isinstance(n, str) and n else str(r)
            for r, n in zip(missing["run_id"], missing["run_name"], strict=True)
        )
        raise CandidatesError(
            f"{len(kept) - len(missing)} of {len(kept)} runs of {source} have a {CANDIDATE_TAG!r} tag and "
            f"{len(missing)} do not: {listed[:1500]}. Mixing id schemes would turn those runs into "
            "candidates of their own.\n"
            f"  Fix: tag them (mlflow.set_tag({CANDIDATE_TAG!r}, ...)), delete or finish them elsewhere, or "
            "choose the id explicitly: id='run_name' / id='run_id' (CLI: --id run_name)."
        )
    names = kept["run_name"]
    if _has_value(names).all() and not names.duplicated().any():
        return "run_name", f"no {CANDIDATE_TAG!r} tag on every run; run names are unique"
    return "run_id", f"no {CANDIDATE_TAG!r} tag on every run and run names repeat or are missing"


def _default_replicate(kept: pd.DataFrame, ids: pd.Series) -> str:
    for col in SEED_COLUMNS:
        if (
            col in kept.columns
            and _has_value(kept[col]).all()
            and not pd.DataFrame({"id": ids, "rep": kept[col].astype(str)}).duplicated().any()
        ):
            return col
    return "run_id"


def _incomplete_replicates(
    frame: pd.DataFrame, ids: pd.Series, metrics: Sequence[str], kept: pd.DataFrame, rep_col: str | None
) -> list[dict[str, Any]]:
    """(candidate, metric) pairs that some replicates logged and others did not, with the runs."""
    if not ids.duplicated().any():
        return []
    out = []
    values = frame[list(metrics)].reset_index(drop=True)
    keys = ids.reset_index(drop=True)
    runs = kept["run_id"].reset_index(drop=True)
    for cid, rows in keys.groupby(keys, sort=False).groups.items():
        if len(rows) < 2:
            continue
        block = values.loc[rows]
        for m in metrics:
            missing = block[m].isna()
            if missing.any() and not missing.all():
                out.append(
                    {
                        "candidate": str(cid),
                        "metric": m,
                        "missing_runs": [str(r) for r in runs.loc[missing[missing].index]],
                        "present_runs": [str(r) for r in runs.loc[missing[~missing].index]],
                    }
                )
    return out


def _collapse(prov: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """One provenance row per candidate: shared values kept; start/end as min/max; others listed."""
    keys = ids.to_numpy()
    if not ids.duplicated().any():
        return prov.set_axis(pd.Index(keys, name="candidate"))
    grouped = prov.groupby(keys, sort=False)
    distinct = grouped.nunique(dropna=False)
    out = grouped.nth(0).set_axis(distinct.index)  # the first run's values, NaN included
    for col in prov.columns:
        if col == "start_time":
            out[col] = grouped[col].min()
        elif col == "end_time":
            out[col] = grouped[col].max()
        elif (distinct[col] > 1).any():
            listed = grouped[col].agg(lambda s: ", ".join(dict.fromkeys(s.dropna().astype(str))))
            out[col] = out[col].astype(object).where(distinct[col] <= 1, listed)
    out.index.name = "candidate"
    return out[list(prov.columns)]


def read_mlflow(
    tracking_uri: str,
    experiments: Sequence[str] | str,
    *,
    id: str | None = None,
    replicate_column: str | None = None,
    summary: str = "mean",
    metrics: Sequence[str] | None = None,
    include_unfinished: bool = False,
    timeout: float | None = None,
    id_column: str | None = None,
) -> Candidates:
    """Read the runs of one or more MLflow experiments as candidates.

    Parameters
    ----------
    tracking_uri : str
        ``sqlite:///mlflow.db`` (relative) or ``sqlite:////abs/mlflow.db``; a server
        ``http(s)://host:port``; an old file store as a folder path (``mlruns``) or ``file:`` URI;
        or any other URI MLflow accepts (``databricks``, ``postgresql://...``).
    experiments : list of str
        Experiment names (an experiment id is accepted too).
    id : str, optional
        Column naming the candidate (the CLI's ``--id``): ``"tags.<k>"``, ``"params.<k>"``,
        ``"run_name"``, ``"run_id"``...
        Default: ``tags.candidate`` when every (kept) run has that tag, else ``run_name`` when run
        names are unique, else ``run_id``. When only some runs carry the ``candidate`` tag the
        read fails and names the runs without it (mixing id schemes would make nonsense
        candidates).
    replicate_column : str, optional
        Column telling apart the runs of one candidate. Default, when ids repeat: ``tags.seed``,
        else ``params.seed`` (when present on every run and unique within each candidate), else
        ``run_id``.
    summary : {"mean", "median"}
        How the replicates of a candidate are summarised.
    metrics : list of str, optional
        Keep only these metrics (the others are left out).
    include_unfinished : bool
        Also read runs that are RUNNING, FAILED, KILLED or SCHEDULED (default: excluded, with
        a reason).
    timeout : float, optional
        Seconds one HTTP request to a tracking server may take (default
        ``WORKBENCH_MLFLOW_TIMEOUT``, else 5). A refused connection, a timeout or a 5xx answer is
        retried ``WORKBENCH_MLFLOW_RETRIES`` times (default 2) with backoff.
    id_column : str, optional
        Deprecated name of ``id``.

    Returns
    -------
    Candidates
        ``table``: one column per metric key (latest value), NaN where a run did not log it.
        ``provenance``: ``run_id``, ``run_name``, ``experiment_id``, ``experiment``, ``status``,
        ``start_time``, ``end_time`` (UTC), ``params.<k>``, ``tags.<k>``. For a candidate with
        several runs, values shared by its runs are kept, ``start_time``/``end_time`` are the
        earliest/latest, and differing values are listed comma-separated (``run_id`` lists all its
        runs). User tags are kept; of MLflow's own ``mlflow.*`` tags only ``KEPT_SYSTEM_TAGS`` are
        (the run name is the ``run_name`` column; source paths and model histories are dropped).
        ``source_ref``: tracking URI (password hidden), experiments, the id rule, excluded counts by
        status and ``runs``: run id -> [candidate, replicate] (used to join CodeCarbon energy).
        A metric some replicates of a candidate logged and others did not is left empty (NaN) for
        that candidate, not averaged over the others: ``source_ref["incomplete_replicates"]``
        lists the candidate, metric and runs without it, and a ``UserWarning`` names them.

    Raises
    ------
    SourceNotFoundError
        The experiment, database file or ``mlruns`` folder does not exist (nothing is created).
    SourceUnreachableError
        The tracking server does not answer (after the bounded retries): the message names the
        server, what failed and what to try.
    CandidatesError
        No finished run, a database that is not MLflow's or needs a schema migration.
    UnknownNameError
        ``id_column``/``replicate_column``/``metrics`` name something the runs do not have.

    Examples
    --------
    ``read_mlflow("sqlite:///mlflow.db", ["fraud-v2"])`` gives one candidate per ``candidate`` tag
    with the mean over its seeds; ``wb.load("mlflow:sqlite:///mlflow.db#fraud-v2")`` is the same.
    ``read_mlflow("mlruns", ["fraud"], id="params.model", replicate_column="params.seed")``
    reads an old file store and groups runs by a parameter.
    """
    if id_column is not None:
        warnings.warn(
            "read_mlflow(id_column=...) is deprecated: use id=... (the CLI's --id).", DeprecationWarning, stacklevel=2
        )
        if id is not None and id != id_column:
            raise CandidatesError(
                f"Both id={id!r} and its deprecated alias id_column={id_column!r} were given.\n  Fix: pass id= only."
            )
        id = id_column
    http_settings(timeout)  # a bad timeout is refused before anything is read
    if isinstance(experiments, str):
        experiments = [experiments]
    requested = [str(e).strip() for e in experiments if str(e).strip()]
    if not requested:
        raise CandidatesError(
            "No MLflow experiment was named.\n  Fix: e.g. read_mlflow(uri, ['my-experiment']) "
            "or 'mlflow:sqlite:///mlflow.db#my-experiment'."
        )
    kind, location = _classify(tracking_uri)
    unreadable: list[tuple[str, str]] = []
    if kind == "file":
        ids, runs, unreadable = _read_file_store(location, requested)
        shown, store = str(location), "file"
    else:
        uri = str(tracking_uri).strip()
        if kind == "sqlite":
            require("mlflow", "mlflow", "Reading MLflow runs")
            _check_sqlite(location, redact_uri(uri))
            if not uri.lower().startswith("sqlite:"):
                uri = f"sqlite:///{location}"
        shown = redact_uri(uri)
        if kind == "sqlite":
            store = "sqlite"
        else:
            store = "server" if uri.lower().startswith(("http", "databricks")) else "database"
        ids, runs = _read_with_client(uri, requested, timeout)
    source = f"mlflow:{shown}#{','.join(ids)}"
    names = {v: k for k, v in ids.items()}
    if not runs:
        raise CandidatesError(
            f"Experiment(s) {', '.join(map(repr, ids))} in {shown!r} have no runs.\n"
            "  Fix: check the experiment name, or log runs first."
        )
    df = _runs_frame(runs, names)
    return _candidates_from_runs(
        df,
        source=source,
        source_ref={"tracking_uri": shown, "store": store, "experiments": ids},
        unreadable=unreadable,
        id_column=id,
        replicate_column=replicate_column,
        summary=summary,
        metrics=metrics,
        include_unfinished=include_unfinished,
    )


def _candidates_from_runs(
    df: pd.DataFrame,
    *,
    source: str,
    source_ref: dict[str, Any],
    unreadable: list[tuple[str, str]],
    id_column: str | None,
    replicate_column: str | None,
    summary: str,
    metrics: Sequence[str] | None,
    include_unfinished: bool,
) -> Candidates:
    deleted = df["_stage"] == "deleted"
    unfinished = (df["status"] != "FINISHED") & ~deleted
    dropped = deleted | (unfinished & (not include_unfinished))
    kept = df[~dropped].drop(columns="_stage").reset_index(drop=True)
    logged = list(dict.fromkeys(k for keys in kept["_metrics"] for k in keys))  # even if logged as NaN
    kept = kept.drop(columns="_metrics")
    gone = df[dropped]

    def label(frame: pd.DataFrame, col: str | None) -> pd.Series:
        if col and col in frame.columns:
            return frame[col].where(_has_value(frame[col]), frame["run_id"]).astype(str)
        return frame["run_id"].astype(str)

    if kept.empty:
        statuses = Counter(gone["status"].where(~deleted[dropped], "deleted"))
        raise CandidatesError(
            f"No run of {source} can be used: "
            + ", ".join(f"{n} {s}" for s, n in statuses.items())
            + " (only FINISHED, non-deleted runs are read).\n"
            "  Fix: pass include_unfinished=True to read unfinished runs, or check the experiment."
        )

    # candidate ids
    columns = [c for c in kept.columns]
    for what, name in (("Id column", id_column), ("Replicate column", replicate_column)):
        if name is not None and name not in columns:
            raise UnknownNameError(
                unknown_name(
                    what,
                    name,
                    [c for c in columns if not c.startswith("metrics.")],
                    where="a column of the MLflow runs",
                    fix="use 'tags.<key>', 'params.<key>', 'run_name' or 'run_id'.",
                )
            )
    if id_column is None:
        id_col, id_rule = _default_ids(kept, source)
    else:
        id_col, id_rule = id_column, "id given"
    excl_rows: list[dict[str, str]] = []
    for cid, (_, r) in zip(label(gone, id_col), gone.iterrows(), strict=True):
        if r["_stage"] == "deleted":
            reason = "run is deleted (in MLflow's trash)"
        else:
            reason = f"run status {r['status']} (only FINISHED runs are read; include_unfinished=True keeps it)"
        excl_rows.append({"candidate": cid, "reason": f"run {r['run_id']}: {reason}"})
    excl_rows += [{"candidate": rid, "reason": f"run {rid}: {why}"} for rid, why in unreadable]
    no_id = ~_has_value(kept[id_col])
    for rid in kept.loc[no_id, "run_id"]:
        excl_rows.append({"candidate": rid, "reason": f"run {rid}: no value in id column {id_col!r}"})
    kept = kept[~no_id].reset_index(drop=True)
    if kept.empty:
        raise CandidatesError(f"No run of {source} has a value in id column {id_col!r}.")
    ids = kept[id_col].astype(str).str.strip()
    if id_column is None and replicate_column is None and id_col != f"tags.{CANDIDATE_TAG}":
        # runs tagged replicate_of, or identical apart from a seed parameter, are one candidate
        grouped = replicate_groups(
            kept, ids, params=[c for c in kept.columns if c.startswith("params.")], replicate_of="tags.replicate_of"
        )
        if grouped is not None:
            ids, id_rule = grouped[0].reset_index(drop=True), grouped[1]
    rep_col = replicate_column
    if rep_col is None and ids.duplicated().any():
        rep_col = _default_replicate(kept, ids)

    # metric columns
    present = sorted(logged)
    kept = kept.drop(columns=[c for c in kept.columns if c.startswith("metrics.") and c[8:] not in present])
    if metrics is not None:
        for m in metrics:
            if m not in present:
                extra = ""
                if f"params.{m}" in kept.columns:
                    extra = f"\n  {m!r} is a parameter ('params.{m}'): MLflow stores parameters as text."
                raise UnknownObjectiveError(
                    unknown_name("Metric", m, present, where=f"a metric logged in {source}") + extra
                )
    provenance_cols = [c for c in kept.columns if not c.startswith("metrics.")]
    rename = {f"metrics.{k}": (k if k not in provenance_cols else f"metrics.{k}") for k in present}
    metric_cols = [rename[f"metrics.{k}"] for k in present]
    system = [
        c
        for c in provenance_cols
        if c.startswith("tags.mlflow.") and c[5:] not in KEPT_SYSTEM_TAGS and c not in (id_col, rep_col)
    ]
    system_dropped = sorted(c[5:] for c in system if c != "tags.mlflow.runName")  # that one is run_name
    provenance_cols = [c for c in provenance_cols if c not in system]

    frame = kept.rename(columns=rename)
    frame = frame[[*dict.fromkeys([id_col, *([rep_col] if rep_col else []), *metric_cols, *provenance_cols])]]
    if id_col in metric_cols or (rep_col and rep_col in metric_cols):
        raise CandidatesError(f"A metric cannot be the id or replicate column ({id_col!r}, {rep_col!r}).")
    frame[id_col] = ids
    chosen = list(metrics) if metrics is not None else metric_cols
    if not chosen:
        raise CandidatesError(
            f"The runs of {source} logged no metrics; there is nothing to compare.\n"
            "  Fix: log metrics with mlflow.log_metric(...), or check the experiment."
        )
    ref = {
        **source_ref,
        "id_column": id_col,
        "id_rule": id_rule,
        "excluded": dict(Counter("deleted" if r["_stage"] == "deleted" else r["status"] for _, r in gone.iterrows()))
        | ({"unreadable": len(unreadable)} if unreadable else {}),
        "dropped_system_tags": system_dropped,
    }
    cands = from_frame(
        frame,
        id_column=id_col,
        replicate_column=rep_col,
        summary=summary,
        metrics=chosen,
        source=source,
        source_ref=ref,
    )
    incomplete = _incomplete_replicates(frame, ids, chosen, kept, rep_col)
    if incomplete:
        table = cands.table.copy()
        for item in incomplete:
            table.loc[item["candidate"], item["metric"]] = float("nan")
        cands = replace(cands, table=table, source_ref={**cands.source_ref, "incomplete_replicates": incomplete})
        shown = "; ".join(
            f"{i['candidate']!r} {i['metric']!r}: missing in run(s) {', '.join(i['missing_runs'])}"
            for i in incomplete[:10]
        )
        warnings.warn(
            f"{len(incomplete)} metric(s) of {source} were logged by some replicates of a candidate and not by "
            f"others; they are left empty for that candidate, not averaged: {shown}"
            f"{' …' if len(incomplete) > 10 else ''}.",
            UserWarning,
            stacklevel=3,
        )
    rep_values = kept[rep_col].astype(str) if rep_col else pd.Series([None] * len(kept))
    runs_map = {rid: [cid, rep] for rid, cid, rep in zip(kept["run_id"], ids, rep_values, strict=True)}
    prov = frame[[c for c in frame.columns if c not in metric_cols and c not in (id_col, rep_col)]]
    if id_col != "run_id":
        prov = prov.assign(run_id=kept["run_id"].to_numpy())
    prov = prov[[c for c in _BASE_COLUMNS if c in prov.columns] + [c for c in prov.columns if c not in _BASE_COLUMNS]]
    prov = _collapse(prov, ids).reindex(cands.table.index)
    exclusions = pd.concat(
        [
            cands.exclusions,
            pd.DataFrame(excl_rows, columns=["candidate", "reason"]).assign(source=source),
        ],
        ignore_index=True,
    )
    return replace(
        cands,
        provenance=prov,
        exclusions=exclusions,
        source_ref={**cands.source_ref, "runs": runs_map},
    )
