"""Where numba finds no writable cache folder (a read-only install, a user without a writable home),
``cache=True`` used to fail ``import workbench.analysis`` with "cannot cache function ...: no
locator available"; the kernels now compile without the cache instead."""

from __future__ import annotations

from workbench.analysis import _pareto


def test_kernels_fall_back_to_no_cache(monkeypatch):
    seen = []

    def fake_njit(*args, **kwargs):
        seen.append(kwargs.get("cache"))

        def decorate(fn):
            if kwargs.get("cache"):
                raise RuntimeError(f"cannot cache function {fn.__name__!r}: no locator available for file 'x.py'")
            return fn

        return decorate

    monkeypatch.setattr(_pareto, "_njit", fake_njit)

    @_pareto.njit(cache=True)
    def kernel(x):
        return x + 1

    assert kernel(1) == 2 and seen == [True, False]
