"""The user's evaluation function: finding it, calling it safely, and reading what it returns.

An evaluation function takes a configuration (a dict of the active parameters) and returns the
measured metrics, named like the quality model's objectives::

    def evaluate(config):                      # one value per metric
        return {"recall": 0.93, "latency_p95_ms": 2.1}

    def evaluate(config):                      # or one value per replicate seed
        return {"recall": [0.93, 0.95, 0.94], "latency_p95_ms": [2.1, 2.3, 2.0]}

or takes the parameters as keyword arguments (:func:`adapt` decides from the signature)::

    def evaluate(learning_rate, depth, threshold=0.5):
        ...

Replicates are summarised per objective by its ``aggregation`` (default: the mean) and kept.
A function that raises, or returns a missing, non-numeric or non-finite objective value, gives a
*failed* evaluation with the reason recorded; the search goes on -- unless the first few
evaluations all raise the same exception (same type, same place): then the function is broken and
the search stops and shows the error (``SearchConfig.fail_fast``).

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
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import SearchError, require

__all__ = [
    "resolve",
    "adapt",
    "KeywordCall",
    "Outcome",
    "call",
    "summarise",
    "SerialRunner",
    "DaskRunner",
    "LocalDaskRunner",
    "make_runner",
]

_STATS = {
    "mean": np.mean,
    "median": np.median,
    "p50": np.median,
    "min": np.min,
    "max": np.max,
    "p90": lambda v: np.percentile(v, 90),
    "p95": lambda v: np.percentile(v, 95),
    "p99": lambda v: np.percentile(v, 99),
    "last": lambda v: v[-1],
    "sum": np.sum,
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
        raise SearchError(
            f"Importing the evaluation module {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
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


def adapt(fn: Callable[..., Any], names: Sequence[str]) -> Callable[[dict[str, Any]], Any]:
    """``fn`` as a function of the configuration dict.

    A function whose parameters are named after the space's parameters (``def evaluate(x1, x2)``),
    or that takes ``**kwargs`` only, is called with the configuration as keyword arguments; any
    other (``def evaluate(config)``, one positional parameter) gets the dict. A required parameter
    the space does not define is refused here, before anything runs.

    >>> adapt(lambda config: config["a"], ["a"])({"a": 1})
    1
    >>> adapt(lambda a, b=2: a + b, ["a", "b"])({"a": 1})
    3
    """
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins and some callables do not say
        return fn
    kinds = inspect.Parameter
    named = [p for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)]
    takes_kwargs = any(p.kind == kinds.VAR_KEYWORD for p in params)
    by_name = any(p.name in names for p in named) or (takes_kwargs and not named)
    if not by_name:
        return fn
    unknown = [p.name for p in named if p.name not in names and p.default is p.empty]
    if unknown:
        from workbench.errors import unknown_name

        raise SearchError(
            unknown_name(
                "Evaluation function parameter",
                unknown[0],
                list(names),
                where="a parameter of the space (a parameter without a default must be one)",
            )
        )
    return KeywordCall(fn)


class KeywordCall:
    """Calls ``fn(**config)``; picklable (by value when ``fn`` is), so it runs on Dask workers too."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, config: dict[str, Any]) -> Any:
        return self.fn(**config)

    def __repr__(self) -> str:
        return f"KeywordCall({self.fn!r})"


class Outcome(dict):
    """What one call produced: ``returned`` (raw) or ``error`` (and its ``signature``: exception
    type and place, to tell one failure repeated from many), with timing and worker."""


def call(fn: Callable[[dict[str, Any]], Any], config: dict[str, Any]) -> Outcome:
    """Run ``fn(config)`` and capture its result or its exception (runs on workers too)."""
    started = time.time()
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        returned = fn(dict(config))
    except Exception as exc:  # the user's code: record, do not crash the search
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        return Outcome(
            error=f"{type(exc).__name__}: {exc}{where}",
            signature=f"{type(exc).__name__}{where}",
            started_at=started,
            duration_s=time.perf_counter() - t0,
            worker=worker,
        )
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


def summarise(
    returned: Any, objectives: Sequence[str], aggregation: Mapping[str, str | None]
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
        return (
            {},
            None,
            (
                f"returned {type(returned).__name__} {_short(returned)}; expected a mapping of "
                f"metric name to value (objectives: {', '.join(objectives)})"
            ),
        )
    missing = [o for o in objectives if o not in returned]
    if missing:
        return (
            {},
            None,
            (
                f"returned no value for objective {missing[0]!r}; returned: "
                f"{', '.join(map(str, returned)) or '(nothing)'}"
            ),
        )
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

    def run(
        self, fn: Callable[..., Any], configs: Sequence[dict[str, Any]], on_result: Callable[[int, Outcome], None]
    ) -> None:
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

    def run(
        self, fn: Callable[..., Any], configs: Sequence[dict[str, Any]], on_result: Callable[[int, Outcome], None]
    ) -> None:
        self._submit(fn, configs, range(len(configs)), on_result)

    def _submit(
        self,
        fn: Callable[..., Any],
        configs: Sequence[dict[str, Any]],
        which: Sequence[int],
        on_result: Callable[[int, Outcome], None],
    ) -> None:
        self._collect(self._send(fn, configs, which), on_result)

    def _send(self, fn: Callable[..., Any], configs: Sequence[dict[str, Any]], which: Sequence[int]) -> dict[Any, int]:
        """Submit ``configs[i]`` for each ``i`` in ``which``: {future: i}."""
        # Dask pickles task arguments with plain pickle first, which sends a function by reference
        # even when its module is registered for pickling by value (a file-path spec): the workers
        # then fail to import it and the tasks never finish. cloudpickle honours the registration.
        import cloudpickle

        shipped = cloudpickle.dumps(fn)
        return {self.client.submit(_call_shipped, shipped, configs[i], pure=False): i for i in which}

    def _collect(self, sent: dict[Any, int], on_result: Callable[[int, Outcome], None]) -> None:
        """Record each submitted evaluation as it completes; cancel the rest on an error."""
        from distributed import as_completed

        try:
            for future in as_completed(list(sent)):
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker died (KilledWorker) or could not run the task
                    outcome = Outcome(
                        error=f"{type(exc).__name__}: {exc}",
                        lost=True,
                        started_at=time.time(),
                        duration_s=0.0,
                        worker="",
                    )
                on_result(sent[future], outcome)
        finally:
            for f in sent:
                if not f.done():
                    f.cancel()

    def close(self) -> None:
        if self._owned is not None:
            self.client.close()
            self._owned.close()


def make_runner(
    *, workers: int = 1, client: Any = None, scheduler: str | None = None, timeout_s: float = 10.0
) -> SerialRunner | DaskRunner:
    """A runner for ``workers`` local processes, an existing client, or a scheduler address."""
    if client is not None:
        return DaskRunner(getattr(client, "client", client))  # a pymoo DaskParallelization carries .client
    if scheduler is None and workers <= 1:
        return SerialRunner()
    require("distributed", "dask", "Parallel evaluation")
    if scheduler is not None:
        from workbench._dask import dask_client, dask_timeout

        client = dask_client(scheduler, timeout_s=dask_timeout(timeout_s), fix="or use --workers N for a local cluster")
        return DaskRunner(client, owned=_NoCluster())
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise SearchError(f"workers must be a positive integer, got {workers!r}.")
    return LocalDaskRunner(workers)


def _start_local_cluster(workers: int) -> tuple[Any, Any]:
    """A ``LocalCluster`` of ``workers`` processes (one thread each) on 127.0.0.1, and its client,
    with :mod:`workbench.search.evaluate` already imported on every worker."""
    import dask
    from distributed import Client, LocalCluster

    try:
        # forkserver: workers fork from a clean server process that has already imported
        # distributed, numpy and pandas, instead of each spawning a fresh interpreter that imports
        # them again (start-up ~0.8 s -> ~0.15 s once the server runs; safe in a process with
        # threads, unlike fork). The server itself starts once per process.
        with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=50,
            )
    except Exception as exc:  # nanny/worker start-up failures surface as assorted exceptions
        raise SearchError(
            f"Could not start {workers} local Dask worker processes: {type(exc).__name__}: {exc}.\n"
            '  Fix: in a script, run the search under `if __name__ == "__main__":` (worker processes '
            "import the script again); or evaluate serially with workers=1."
        ) from None
    client = Client(cluster)
    try:
        client.run(importlib.import_module, __name__)  # the first task pays no import
    except Exception:  # pragma: no cover - a worker that cannot import us fails its tasks visibly
        pass
    return cluster, client


class LocalDaskRunner(DaskRunner):
    """``workers`` local Dask worker processes, started in the background.

    A local cluster takes 0.2-2 s to start (processes, imports); rather than wait, the search
    process evaluates configurations itself until the workers are up. Every configuration it has
    not started by then goes to them at once (it finishes the one under way, and never starts
    another beside running workers). Each evaluation is recorded with the process that ran it,
    so the evaluations table shows who did what.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.client: Any = None
        self._owned: Any = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._start, name="workbench-dask-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            self._owned, self.client = _start_local_cluster(self.workers)
        except BaseException as exc:  # handed to the search thread by _wait
            self._error = exc
        finally:
            self._ready.set()

    def _wait(self) -> None:
        self._ready.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def run(
        self, fn: Callable[..., Any], configs: Sequence[dict[str, Any]], on_result: Callable[[int, Outcome], None]
    ) -> None:
        if self._ready.is_set():
            self._wait()
            self._submit(fn, configs, range(len(configs)), on_result)
            return
        # This process evaluates configurations one by one until the workers are up. The moment
        # they are, a hand-off thread claims every configuration not yet started and submits it,
        # so the workers do not idle while the evaluation under way here finishes. Results are
        # recorded on this thread only.
        n = len(configs)
        lock = threading.Lock()
        claimed = [0]  # configs[:claimed[0]] are taken, here or by the hand-off
        sent: dict[Any, int] = {}
        failed: list[BaseException] = []

        def hand_off() -> None:
            self._ready.wait()
            if self._error is not None:
                return  # nothing claimed: the search thread raises the start-up error
            with lock:
                first, claimed[0] = claimed[0], n
            if first < n:
                try:
                    sent.update(self._send(fn, configs, range(first, n)))
                except BaseException as exc:  # raised on the search thread, below
                    failed.append(exc)

        thread = threading.Thread(target=hand_off, name="workbench-dask-hand-off", daemon=True)
        thread.start()
        try:
            while not self._ready.is_set():
                with lock:
                    i = claimed[0]
                    if i >= n:
                        return  # all evaluated here before the workers came up; the hand-off claims none
                    claimed[0] += 1
                on_result(i, call(fn, configs[i]))
        except BaseException:
            with lock:
                claimed[0] = n  # a failed search hands nothing on
            raise
        thread.join()
        self._wait()
        if failed:
            raise failed[0]
        self._collect(sent, on_result)

    def close(self) -> None:
        self._thread.join()
        if self.client is not None:
            self.client.close()
        if self._owned is not None:
            self._owned.close()


class _NoCluster:
    def close(self) -> None:
        pass
