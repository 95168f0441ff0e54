"""The user's evaluation function: finding it, calling it safely, and reading what it returns.

An evaluation function takes a configuration (a dict of the active parameters) and returns the
measured metrics, named like the quality model's objectives::

    def evaluate(config):                      # one value per metric
        return {"recall": 0.93, "latency_p95_ms": 2.1}

    def evaluate(config):                      # or one value per replicate seed
        return {"recall": [0.93, 0.95, 0.94], "latency_p95_ms": [2.1, 2.3, 2.0]}

Replicates are summarised per objective by its ``aggregation`` (default: the mean) and kept.
A function that raises, or returns a missing, non-numeric or non-finite objective value, gives a
*failed* evaluation with the reason recorded; the search goes on.

Evaluations run one after another, or on a Dask cluster (``workers=N`` starts a local one on
127.0.0.1; ``client=`` uses yours; ``scheduler=`` connects to an address with a timeout). Like
pymoo's ``DaskParallelization``, every configuration of a generation is submitted at once; here
results are taken as they complete, so each is recorded the moment it finishes.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import SearchError, require

__all__ = ["resolve", "Outcome", "call", "summarise", "SerialRunner", "DaskRunner", "make_runner"]

_STATS = {
    "mean": np.mean, "median": np.median, "p50": np.median, "min": np.min, "max": np.max,
    "p90": lambda v: np.percentile(v, 90), "p95": lambda v: np.percentile(v, 95),
    "p99": lambda v: np.percentile(v, 99), "last": lambda v: v[-1], "sum": np.sum,
}


def resolve(spec: str | Callable[..., Any]) -> tuple[Callable[..., Any], str]:
    """``"package.module:function"`` or ``"path/to/file.py:function"`` -> (function, spec)."""
    if callable(spec):
        name = f"{getattr(spec, '__module__', '?')}:{getattr(spec, '__qualname__', repr(spec))}"
        return spec, name
    text = str(spec)
    module_name, sep, attr = text.rpartition(":")
    if not sep or not module_name or not attr:
        raise SearchError(
            f"Evaluation function {text!r} must look like 'module:function' or 'path/to/file.py:function'.\n"
            "  Fix: e.g. --evaluate workbench.example.search:evaluate"
        )
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            from workbench._io import is_file

            if not is_file(path):
                raise SearchError(f"Evaluation file {module_name!r} does not exist.\n  Fix: check the path.")
            name = f"_workbench_eval_{path.stem}"
            spec_ = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec_)
            sys.modules[name] = module
            spec_.loader.exec_module(module)
            _pickle_by_value(module)
        else:
            module = importlib.import_module(module_name)
    except SearchError:
        raise
    except ImportError as exc:
        raise SearchError(
            f"Cannot import the evaluation module {module_name!r}: {exc}.\n"
            "  Fix: install the package that provides it, run from the folder that holds it, "
            "or give a file path ('path/to/file.py:function')."
        ) from None
    except Exception as exc:
        raise SearchError(f"Importing the evaluation module {module_name!r} failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    fn = getattr(module, attr, None)
    if fn is None:
        public = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
        from workbench.errors import unknown_name

        raise SearchError(unknown_name("Evaluation function", attr, public, where=f"a function of {module_name!r}"))
    if not callable(fn):
        raise SearchError(f"{text!r} is a {type(fn).__name__}, not a function.")
    return fn, text


def _pickle_by_value(module: Any) -> None:
    # a function from a file is not importable on Dask workers: ship its code with it
    try:
        import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    except (ImportError, ValueError):  # pragma: no cover - cloudpickle comes with dask
        pass


class Outcome(dict):
    """What one call produced: ``returned`` (raw) or ``error``, with timing and worker."""


def call(fn: Callable[[dict[str, Any]], Any], config: dict[str, Any]) -> Outcome:
    """Run ``fn(config)`` and capture its result or its exception (runs on workers too)."""
    started = time.time()
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        returned = fn(dict(config))
    except Exception as exc:  # the user's code: record, do not crash the search
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        return Outcome(error=f"{type(exc).__name__}: {exc}{where}", started_at=started,
                       duration_s=time.perf_counter() - t0, worker=worker)
    return Outcome(returned=_plain(returned), started_at=started, duration_s=time.perf_counter() - t0, worker=worker)


def _plain(obj: Any) -> Any:
    # numpy scalars/arrays and pandas Series to plain Python, so results pickle small and compare equal
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def summarise(returned: Any, objectives: Sequence[str], aggregation: Mapping[str, str | None]
              ) -> tuple[dict[str, float], dict[str, list[float]] | None, str]:
    """Returned value -> (metrics, replicates or None, error). ``error`` is ``""`` when usable.

    >>> summarise({"a": [1.0, 3.0], "b": 2}, ["a", "b"], {})
    ({'a': 2.0, 'b': 2.0}, {'a': [1.0, 3.0], 'b': [2.0]}, '')
    >>> summarise({"a": float("nan")}, ["a"], {})[2]
    "returned a non-finite value for objective 'a': nan"
    """
    if isinstance(returned, (list, tuple)) and returned and all(isinstance(r, Mapping) for r in returned):
        keys = sorted({k for r in returned for k in r})
        returned = {k: [r[k] for r in returned if k in r] for k in keys}
    if not isinstance(returned, Mapping):
        return {}, None, (f"returned {type(returned).__name__} {_short(returned)}; expected a mapping of "
                          f"metric name to value (objectives: {', '.join(objectives)})")
    missing = [o for o in objectives if o not in returned]
    if missing:
        return {}, None, (f"returned no value for objective {missing[0]!r}; returned: "
                          f"{', '.join(map(str, returned)) or '(nothing)'}")
    metrics: dict[str, float] = {}
    reps: dict[str, list[float]] = {}
    any_replicates = False
    for name, value in returned.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        any_replicates |= isinstance(value, (list, tuple))
        try:
            numbers = [float(v) for v in values if not isinstance(v, (bool, str))]
        except (TypeError, ValueError):
            numbers = []
        if len(numbers) != len(values) or not numbers:
            if name in objectives:
                return {}, None, f"returned a non-numeric value for objective {name!r}: {_short(value)}"
            continue  # extra metrics that are not numbers are ignored
        if not all(math.isfinite(v) for v in numbers):
            if name in objectives:
                bad = next(v for v in numbers if not math.isfinite(v))
                return {}, None, f"returned a non-finite value for objective {name!r}: {bad}"
            continue
        if len(numbers) == 1:  # the common case: no numpy round trip
            metrics[name] = numbers[0]
        else:
            stat = _STATS.get(aggregation.get(name) or "mean", np.mean)
            metrics[name] = float(stat(np.asarray(numbers)))
        reps[name] = numbers
    return metrics, (reps if any_replicates else None), ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class SerialRunner:
    """Evaluate one configuration after another in this process."""

    workers = 1

    def run(self, fn: Callable[..., Any], configs: Sequence[dict[str, Any]],
            on_result: Callable[[int, Outcome], None]) -> None:
        for i, config in enumerate(configs):
            on_result(i, call(fn, config))

    def close(self) -> None:
        pass


def _call_shipped(shipped: bytes, config: dict[str, Any]) -> Outcome:
    """:func:`call` on a worker, with the function as cloudpickle bytes (see :meth:`DaskRunner.run`)."""
    import cloudpickle

    return call(cloudpickle.loads(shipped), config)


class DaskRunner:
    """Evaluate a generation on a Dask cluster, recording each result as it completes."""

    def __init__(self, client: Any, *, owned: Any = None) -> None:
        self.client = client
        self._owned = owned
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def run(self, fn: Callable[..., Any], configs: Sequence[dict[str, Any]],
            on_result: Callable[[int, Outcome], None]) -> None:
        from distributed import as_completed

        # Dask pickles task arguments with plain pickle first, which sends a function by reference
        # even when its module is registered for pickling by value (a file-path spec): the workers
        # then fail to import it and the tasks never finish. cloudpickle honours the registration.
        import cloudpickle

        shipped = cloudpickle.dumps(fn)
        futures = [self.client.submit(_call_shipped, shipped, c, pure=False) for c in configs]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                i = index[future.key]
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker died (KilledWorker) or could not run the task
                    outcome = Outcome(error=f"{type(exc).__name__}: {exc}", lost=True, started_at=time.time(),
                                      duration_s=0.0, worker="")
                on_result(i, outcome)
        finally:
            for f in futures:
                if not f.done():
                    f.cancel()

    def close(self) -> None:
        if self._owned is not None:
            self.client.close()
            self._owned.close()


def make_runner(*, workers: int = 1, client: Any = None, scheduler: str | None = None,
                timeout_s: float = 10.0) -> SerialRunner | DaskRunner:
    """A runner for ``workers`` local processes, an existing client, or a scheduler address."""
    if client is not None:
        return DaskRunner(getattr(client, "client", client))  # a pymoo DaskParallelization carries .client
    if scheduler is None and workers <= 1:
        return SerialRunner()
    require("distributed", "dask", "Parallel evaluation")
    from distributed import Client, LocalCluster

    if scheduler is not None:
        from workbench._dask import dask_client, dask_timeout

        client = dask_client(scheduler, timeout_s=dask_timeout(timeout_s),
                             fix="or use --workers N for a local cluster")
        return DaskRunner(client, owned=_NoCluster())
    if not isinstance(workers, int) or workers < 1:
        raise SearchError(f"workers must be a positive integer, got {workers!r}.")
    try:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, silence_logs=50)
    except Exception as exc:  # nanny/worker start-up failures surface as assorted exceptions
        raise SearchError(
            f"Could not start {workers} local Dask worker processes: {type(exc).__name__}: {exc}.\n"
            "  Fix: in a script, run the search under `if __name__ == \"__main__\":` (worker processes "
            "import the script again); or evaluate serially with workers=1."
        ) from None
    return DaskRunner(Client(cluster), owned=cluster)


class _NoCluster:
    def close(self) -> None:
        pass
