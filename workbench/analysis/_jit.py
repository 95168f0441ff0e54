"""numba's ``njit`` for every compiled kernel of the analysis.

Kernels ask for ``cache=True`` (compiled once per machine). Where numba finds no writable cache folder
(a read-only install run by a user without a writable home), numba raises at import; here the kernel
is compiled on each run instead, so the package still imports.
"""

from __future__ import annotations

from numba import njit as _njit

__all__ = ["njit"]


def njit(*args, **kwargs):
    """``numba.njit`` with a fallback to ``cache=False`` when no cache folder is writable."""
    decorate = _njit(*args, **kwargs)

    def apply(fn):
        try:
            return decorate(fn)
        except RuntimeError as exc:  # "cannot cache function ...: no locator available for file ..."
            if "cannot cache" not in str(exc):
                raise
            return _njit(*args, **{**kwargs, "cache": False})(fn)

    return apply
