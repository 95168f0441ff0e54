"""Evaluation functions for the search tests.

They are loaded with the ``path/to/problems.py:function`` spec (tests/ is not a package), which
also registers this module with cloudpickle by value, so Dask workers can run them. Behaviour that
a test toggles (call logs, crashes) is driven by environment variables, which survive the module
being executed again by another ``resolve`` and reach worker processes.
"""

from __future__ import annotations

import math
import os

import numpy as np
from pymoo.problems import get_problem

_PROBLEMS: dict[tuple[str, int, int | None], object] = {}


def _problem(name: str, n_var: int, n_obj: int | None = None):
    key = (name, n_var, n_obj)
    if key not in _PROBLEMS:
        kwargs = {"n_var": n_var} if n_obj is None else {"n_var": n_var, "n_obj": n_obj}
        _PROBLEMS[key] = get_problem(name, **kwargs)
    return _PROBLEMS[key]


def _x(config: dict) -> np.ndarray:
    return np.array([config[f"x{i}"] for i in range(len(config))], dtype=float)


def _log_call(config: dict) -> None:
    """Append the configuration's key to $WB_SEARCH_CALL_LOG; crash (KeyboardInterrupt, which the
    search does not catch) instead once $WB_SEARCH_CRASH_AFTER calls are logged."""
    path = os.environ.get("WB_SEARCH_CALL_LOG")
    if not path:
        return
    crash_after = int(os.environ.get("WB_SEARCH_CRASH_AFTER", "0"))
    if crash_after and os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            if sum(1 for _ in fh) >= crash_after:
                raise KeyboardInterrupt(f"simulated crash after {crash_after} calls")
    from workbench.search.space import _sha

    with open(path, "a", encoding="utf-8") as fh:
        fh.write(_sha(dict(config))[:16] + "\n")


def zdt1(config: dict) -> dict:
    _log_call(config)
    x = _x(config)
    f = _problem("zdt1", len(x)).evaluate(x[None, :])[0]
    return {"f1": float(f[0]), "f2": float(f[1])}


def zdt2(config: dict) -> dict:
    x = _x(config)
    f = _problem("zdt2", len(x)).evaluate(x[None, :])[0]
    return {"f1": float(f[0]), "f2": float(f[1])}


def dtlz2_4(config: dict) -> dict:
    x = _x(config)
    f = _problem("dtlz2", len(x), 4).evaluate(x[None, :])[0]
    return {f"f{i + 1}": float(v) for i, v in enumerate(f)}


def other(config: dict) -> dict:
    """Same values as zdt1 under another name (a different evaluation function)."""
    return zdt1(config)


def flaky(config: dict):
    """ZDT1 on two variables, failing in five different ways depending on x0."""
    x0 = config["x0"]
    if x0 < 0.1:
        raise RuntimeError(f"boom at x0={x0:.3f}")
    good = {"f1": x0, "f2": 1 + 9 * config["x1"] - math.sqrt(x0)}
    if x0 < 0.15:
        return {**good, "f2": float("nan")}
    if x0 < 0.2:
        return {"f1": x0}
    if x0 < 0.25:
        return {**good, "f2": "fast"}
    if x0 < 0.3:
        return [1.0, 2.0]
    return good


def easy(config: dict) -> dict:
    """Front: x1 = 0, f2 = 1 - f1 on f1 in [0, 1]; found within a few generations."""
    return {"f1": config["x0"], "f2": 1.0 - config["x0"] + config["x1"]}


def replicated(config: dict) -> dict:
    """Three replicates per metric; the median of f1 is x0 + 0.1, the mean is not."""
    x0, x1 = config["x0"], config["x1"]
    return {"f1": [x0, x0 + 0.1, x0 + 1.0], "f2": [1 - x0 + x1, 1 - x0 + x1, 1 - x0 + x1]}


def discrete(config: dict) -> dict:
    _log_call(config)
    a = {"a": 0.0, "b": 1.0, "c": 2.0}[config["kind"]]
    n = float(config["n"])
    return {"f1": a + n, "f2": (2.0 - a) + (3.0 - n) ** 2}


def zdt1_slow(config: dict) -> dict:
    """zdt1 after 100 ms of waiting (a remote job): long enough for Dask workers to start meanwhile."""
    import time

    time.sleep(0.1)
    return zdt1(config)


def zdt1_hand_off(config: dict) -> dict:
    """zdt1, but an evaluation in the search process (``WB_TEST_SEARCH_PID``) waits, up to 60 s,
    until a worker process has started an evaluation (it leaves a file in ``WB_TEST_MARKS``): it
    returns ``waited_s`` only once the workers took over while it was still running."""
    import os
    import time
    from pathlib import Path

    marks = Path(os.environ["WB_TEST_MARKS"])
    if os.getpid() != int(os.environ["WB_TEST_SEARCH_PID"]):
        (marks / f"{os.getpid()}-{time.perf_counter_ns()}").touch()
        return zdt1(config)
    t0 = time.perf_counter()
    while not any(marks.iterdir()) and time.perf_counter() - t0 < 60:
        time.sleep(0.01)
    return {**zdt1(config), "waited_s": time.perf_counter() - t0}


def zdt1_keywords(x0, x1, x2=0.0):
    """zdt1 taking the parameters as keyword arguments."""
    return zdt1({"x0": x0, "x1": x1, "x2": x2} if x2 else {"x0": x0, "x1": x1})


def broken(config: dict) -> dict:
    """Always raises the same exception (a bug in the evaluation function)."""
    return {"f1": config["x0"], "f2": config["no_such_parameter"]}
