"""numba's ``njit`` for every compiled kernel of the analysis, imported and applied lazily.

Importing numba and starting its compiler costs about a second in every new process, and a first
compilation several more on a fresh install; small inputs never need it (the kernels' callers
answer them with numpy). So ``njit`` here only records the kernel: the first call of any kernel of
a module imports numba and turns every recorded kernel of that module into a numba dispatcher
(replacing the module's global, so compiled kernels find each other), then numba compiles the
called one as usual. Everything else is numba's ``njit``: same arguments, same cache.

Kernels ask for ``cache=True`` (compiled once per machine). Where numba finds no writable cache folder
(a read-only install run by a user without a writable home), numba raises on decoration; here the
kernel is compiled on each run instead, so the package still works.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Any

__all__ = ["compile_all", "njit"]

#: Kernels not yet handed to numba, by module name.
_PENDING: dict[str, list[_LazyKernel]] = {}
_LOCK = threading.RLock()


def _njit(*args: Any, **kwargs: Any):
    """numba's own ``njit`` (imported here, on first use)."""
    from numba import njit as numba_njit

    return numba_njit(*args, **kwargs)


def _decorate(fn, args: tuple, kwargs: dict):
    """``numba.njit(*args, **kwargs)(fn)``, without the cache where numba cannot write one."""
    try:
        return _njit(*args, **kwargs)(fn)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available for file ..."
        if "cannot cache" not in str(exc):
            raise
        return _njit(*args, **{**kwargs, "cache": False})(fn)


class _LazyKernel:
    """A recorded kernel: calls go to its numba dispatcher, created on the first call."""

    def __init__(self, fn, args: tuple, kwargs: dict) -> None:
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self._args, self._kwargs = args, kwargs
        self._dispatcher = None
        with _LOCK:
            _PENDING.setdefault(fn.__module__, []).append(self)

    @property
    def dispatcher(self):
        if self._dispatcher is None:
            _materialise(self.py_func.__module__)
        return self._dispatcher

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.dispatcher(*args, **kwargs)


def _materialise(module_name: str) -> None:
    """Hand every recorded kernel of ``module_name`` to numba and put the dispatchers in the
    module's globals (numba resolves a kernel's callees there when it compiles)."""
    with _LOCK:
        module = sys.modules.get(module_name)
        for kernel in _PENDING.pop(module_name, []):
            kernel._dispatcher = _decorate(kernel.py_func, kernel._args, kernel._kwargs)
            name = kernel.py_func.__name__
            if module is not None and getattr(module, name, None) is kernel:
                setattr(module, name, kernel._dispatcher)


def njit(*args: Any, **kwargs: Any):
    """``numba.njit`` applied on the kernel's first call (see the module docstring)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:  # bare @njit
        return _LazyKernel(args[0], (), {})

    def apply(fn):
        return _LazyKernel(fn, args, kwargs)

    return apply


def compile_all() -> None:
    """Hand every recorded kernel to numba now (numba still compiles each on its first call)."""
    with _LOCK:
        for name in list(_PENDING):
            _materialise(name)
