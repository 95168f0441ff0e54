"""Where a search records its evaluations, one at a time, as they finish.

Every finished evaluation is written before the search moves on, so an interrupted search loses
nothing and a rerun resumes: configurations whose key is already recorded are served from the
record instead of being evaluated again.

* :class:`LocalStore` — a SQLite file (``OUTDIR/evaluations.sqlite``), one committed row per
  evaluation (WAL journal, parameterised statements). The default.
* :class:`MlflowStore` — one MLflow run per evaluation (one per replicate seed when the evaluation
  returns replicates, sharing the ``candidate`` tag, as :func:`workbench.load` reads them), so the
  searched candidates appear in the team's tracking server and load like any other experiment.

Both remember the settings that make recorded results reusable (the space and the evaluation
function); resuming with different ones is refused rather than mixing results.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench._io import database_error, output_error
from workbench.errors import SearchError, SourceUnreachableError

__all__ = ["Evaluation", "LocalStore", "MlflowStore", "open_store", "STATUSES"]

#: ``ok``: values recorded; ``failed``: the function raised or returned unusable values (recorded,
#: not retried on resume); ``lost``: the worker running it died (retried on resume).
STATUSES = ("ok", "failed", "lost")


@dataclass
class Evaluation:
    """One evaluated configuration."""

    candidate: str
    key: str
    config: dict[str, Any]
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    replicates: dict[str, list[float]] | None = None
    error: str = ""
    generation: int = 0
    started_at: float = 0.0
    duration_s: float = 0.0
    worker: str = ""

    def to_row(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "key": self.key,
            "config": _dumps(self.config),
            "status": self.status,
            "metrics": _dumps(self.metrics),
            "replicates": None if self.replicates is None else _dumps(self.replicates),
            "error": self.error,
            "generation": self.generation,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "worker": self.worker,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Evaluation:
        return cls(
            candidate=row["candidate"],
            key=row["key"],
            config=json.loads(row["config"]),
            status=row["status"],
            metrics=json.loads(row["metrics"]),
            replicates=None if row["replicates"] is None else json.loads(row["replicates"]),
            error=row["error"] or "",
            generation=int(row["generation"]),
            started_at=float(row["started_at"]),
            duration_s=float(row["duration_s"]),
            worker=row["worker"] or "",
        )


def _dumps(obj: Any) -> str:
    # NaN is not JSON; unusable values never reach the record as numbers (status 'failed' instead)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


class Store:
    """Interface of an evaluation store."""

    location: str = ""

    def check_settings(self, settings: Mapping[str, str]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def settings(self) -> dict[str, str]:  # pragma: no cover - abstract
        """Settings recorded by the first search on this store."""
        raise NotImplementedError

    def load(self) -> list[Evaluation]:  # pragma: no cover - abstract
        raise NotImplementedError

    def record(self, evaluation: Evaluation) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _refuse(location: str, what: str, old: str, new: str) -> SearchError:
    return SearchError(
        f"The evaluations recorded in {location} were made with a different {what}:\n"
        f"  recorded: {old}\n  now:      {new}\n"
        "  Fix: use a new output folder (or --fresh to discard the record), or restore the original "
        f"{what} to resume."
    )


class LocalStore(Store):
    """SQLite record of a search. Only the process running the search writes to it."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS evaluations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        candidate TEXT NOT NULL,
        key TEXT NOT NULL,
        config TEXT NOT NULL,
        status TEXT NOT NULL,
        metrics TEXT NOT NULL,
        replicates TEXT,
        error TEXT NOT NULL,
        generation INTEGER NOT NULL,
        started_at REAL NOT NULL,
        duration_s REAL NOT NULL,
        worker TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS evaluations_key ON evaluations (key);
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(self.SCHEMA)
        except OSError as exc:
            raise output_error(self.path, exc, "the evaluation record") from None
        except sqlite3.Error as exc:
            refused = database_error(self.path, exc, "the evaluation record")
            if refused is not None:
                raise refused from None
            raise SearchError(
                f"Cannot open the evaluation record {self.location!r}: {exc}.\n"
                "  Fix: choose an output folder you can write to."
            ) from None

    def settings(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._db.execute("SELECT name, value FROM meta").fetchall()}

    def check_settings(self, settings: Mapping[str, str]) -> None:
        stored = self.settings()
        for name, value in settings.items():
            if name in stored and stored[name] != value:
                raise _refuse(self.location, name, stored[name], value)
        with self._transaction():
            for name, value in settings.items():
                self._db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (name, value))

    def load(self) -> list[Evaluation]:
        rows = self._db.execute("SELECT * FROM evaluations ORDER BY seq").fetchall()
        return [Evaluation.from_row(dict(r)) for r in rows]

    def record(self, evaluation: Evaluation) -> None:
        row = evaluation.to_row()
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        try:
            with self._transaction():
                self._db.execute(f"INSERT INTO evaluations ({cols}) VALUES ({marks})", tuple(row.values()))
        except sqlite3.Error as exc:
            refused = database_error(self.path, exc, "the evaluation record")
            if refused is not None:
                raise refused from None
            raise SearchError(f"Cannot record evaluation {evaluation.candidate} in {self.location!r}: {exc}.") from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


class MlflowStore(Store):
    """Record evaluations as MLflow runs of one experiment (created when missing).

    Each run carries the tags ``candidate``, ``seed`` (replicates only), ``workbench.search.key``,
    ``workbench.search.status``, ``workbench.search.generation`` and, for failures,
    ``workbench.search.error``; the configuration is logged as params, the values as metrics.
    """

    TAG = "workbench.search."

    def __init__(self, tracking_uri: str, experiment: str, *, timeout_s: float = 10.0) -> None:
        from workbench.errors import require

        require("mlflow", "mlflow", "Recording a search in MLflow")
        from mlflow.tracking import MlflowClient

        self.location = f"mlflow:{tracking_uri}#{experiment}"
        self.tracking_uri = tracking_uri
        from workbench._mlflow import ScopedClient, http_env

        env = http_env(None if "WORKBENCH_MLFLOW_TIMEOUT" in os.environ else timeout_s)
        self._client = ScopedClient(MlflowClient(tracking_uri=tracking_uri), env)  # nothing left set after a call
        try:
            exp = self._client.get_experiment_by_name(experiment)
            self._experiment_id = exp.experiment_id if exp is not None else self._client.create_experiment(experiment)
        except Exception as exc:  # MlflowException, requests errors: the server or store is not usable
            raise SourceUnreachableError(
                f"Cannot reach the MLflow tracking store {tracking_uri!r}: {type(exc).__name__}: {exc}.\n"
                "  Fix: check the tracking URI and that the server is running, or record locally "
                "(omit --mlflow)."
            ) from None

    def settings(self) -> dict[str, str]:
        exp = self._client.get_experiment(self._experiment_id)
        return {k[len(self.TAG) :]: v for k, v in (exp.tags or {}).items() if k.startswith(self.TAG)}

    def check_settings(self, settings: Mapping[str, str]) -> None:
        stored = self.settings()
        for name, value in settings.items():
            if name in stored and stored[name] != value[:5000]:
                raise _refuse(self.location, name, stored[name], value)
        for name, value in settings.items():
            if name not in stored:
                self._client.set_experiment_tag(self._experiment_id, self.TAG + name, value[:5000])

    def load(self) -> list[Evaluation]:
        runs = []
        token = None
        while True:
            page = self._client.search_runs(
                [self._experiment_id], max_results=1000, page_token=token, filter_string=f"tags.`{self.TAG}key` != ''"
            )
            runs.extend(page)
            token = page.token
            if not token:
                break
        by_candidate: dict[str, list[Any]] = {}
        for run in runs:
            by_candidate.setdefault(run.data.tags.get("candidate", run.info.run_id), []).append(run)
        out = []
        for candidate, group in by_candidate.items():
            group.sort(key=lambda r: int(r.data.tags.get("seed", "0")))
            first = group[0]
            tags = first.data.tags
            if len(group) > 1 or "seed" in tags:
                names = sorted({m for r in group for m in r.data.metrics})
                reps = {m: [r.data.metrics[m] for r in group if m in r.data.metrics] for m in names}
                metrics = {m: float(tags[self.TAG + "value." + m]) for m in names if self.TAG + "value." + m in tags}
            else:
                reps, metrics = None, dict(first.data.metrics)
            out.append(
                Evaluation(
                    candidate=candidate,
                    key=tags[self.TAG + "key"],
                    config=json.loads(tags[self.TAG + "config"]),
                    status=tags.get(self.TAG + "status", "ok"),
                    metrics=metrics,
                    replicates=reps,
                    error=tags.get(self.TAG + "error", ""),
                    generation=int(tags.get(self.TAG + "generation", 0)),
                    started_at=first.info.start_time / 1000,
                    duration_s=float(tags.get(self.TAG + "duration_s", 0)),
                    worker=tags.get(self.TAG + "worker", ""),
                )
            )
        out.sort(key=lambda e: e.started_at)
        return out

    def record(self, evaluation: Evaluation) -> None:
        from mlflow.entities import Metric, Param, RunTag

        reps = evaluation.replicates
        n = len(next(iter(reps.values()))) if reps else 1
        now = int(time.time() * 1000)
        base_tags = {
            "candidate": evaluation.candidate,
            self.TAG + "key": evaluation.key,
            self.TAG + "config": _dumps(evaluation.config),
            self.TAG + "status": evaluation.status,
            self.TAG + "generation": str(evaluation.generation),
            self.TAG + "duration_s": f"{evaluation.duration_s:.6f}",
            self.TAG + "worker": evaluation.worker,
        }
        if evaluation.error:
            base_tags[self.TAG + "error"] = evaluation.error[:4000]
        if reps:
            base_tags.update({self.TAG + "value." + m: repr(v) for m, v in evaluation.metrics.items()})
        params = [Param(k, str(v)) for k, v in evaluation.config.items()]
        for i in range(n):
            tags = dict(base_tags)
            if reps:
                tags["seed"] = str(i)
                values = {m: vs[i] for m, vs in reps.items() if i < len(vs)}
            else:
                values = evaluation.metrics
            run = self._client.create_run(
                self._experiment_id,
                start_time=int(evaluation.started_at * 1000),
                run_name=f"{evaluation.candidate}" + (f"-seed{i}" if reps else ""),
            )
            metrics = [Metric(m, float(v), now, 0) for m, v in values.items() if math.isfinite(float(v))]
            self._client.log_batch(
                run.info.run_id, metrics=metrics, params=params, tags=[RunTag(k, v) for k, v in tags.items()]
            )
            self._client.set_terminated(run.info.run_id, "FINISHED" if evaluation.status == "ok" else "FAILED")


def open_store(outdir: str | os.PathLike[str], mlflow: str | None = None) -> Store:
    """The store of a search: ``mlflow`` = ``"TRACKING_URI#EXPERIMENT"`` for MLflow, else local SQLite."""
    if mlflow:
        uri, sep, experiment = str(mlflow).rpartition("#")
        if not sep or not uri or not experiment:
            raise SearchError(
                f"MLflow target {mlflow!r} must look like 'TRACKING_URI#EXPERIMENT', "
                "e.g. 'sqlite:///mlflow.db#search' or 'http://127.0.0.1:5000#search'."
            )
        return MlflowStore(uri, experiment)
    return LocalStore(Path(outdir) / "evaluations.sqlite")
