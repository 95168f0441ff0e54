"""The previous release's Pareto kernels, timed in the same run as today's, on the same data.

A regression check is only as good as its comparison. Medians stored by an earlier run come from
other data (its seeds), another benchmark and often another machine or load: at 1e6 x 5 the stored
medians made today's mask look 8x slower than a release that, run next to it, is as fast.
:class:`Release` instead extracts ``workbench/`` at a git commit (``git archive``) into a
temporary folder and serves its ``nondominated_mask`` / ``nondominated_ranks`` from a worker
process, so the benchmark can time it as one more contender, in the same interleaved rounds:

- the array is handed over once per cell (an ``.npy`` file), not timed;
- the worker times the call itself (``perf_counter`` around the call only), and returns its
  output on request so the parent checks it agrees with today's row for row;
- while the worker runs, the parent waits on a pipe: the two never compete for the CPU.

Other scenarios (``analyze``, a re-rank) run through :meth:`Release.exec` (set up, untimed) and
:meth:`Release.time` (one timed expression). The worker compiles the release's numba kernels into its own temporary folder (its warm-up call
pays that, untimed) and leaves the project's cache alone.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["PREVIOUS_RELEASE", "Release", "ReleaseUnavailable"]

ROOT = Path(__file__).resolve().parent.parent
#: The release the benchmarks' regression checks run next to today's code: the state issues 15-20
#: were filed against (the last commit before the work on them began, 2026-12-02), whose kernels and
#: ``analyze`` issue 20 measured.
PREVIOUS_RELEASE = "577a502"

_WORKER = r"""
import json, sys, time
import numpy as np
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import workbench
assert workbench.__file__.startswith(sys.argv[1]), workbench.__file__
space = {"np": np}
reply, sys.stdout = sys.stdout, sys.stderr  # what the code prints goes to stderr, not into the replies
def answer(message):
    reply.write(json.dumps(message) + "\n")
    reply.flush()
answer({"ready": workbench.__file__})
for line in sys.stdin:
    request = json.loads(line)
    if "exec" in request:
        exec(request["exec"], space)
        answer({"ok": True})
        continue
    t0 = time.perf_counter()
    space["_"] = eval(request["time"], space)
    answer({"s": time.perf_counter() - t0})
"""


class ReleaseUnavailable(RuntimeError):
    """The commit cannot be extracted (not in this clone, e.g. a shallow one)."""


class Release:
    """The kernels of ``workbench/`` at commit ``ref``, in a worker process.

    >>> with Release("577a502") as old:                        # doctest: +SKIP
    ...     seconds, mask = old.tool("mask").timed(F)
    ...     old.exec("import workbench as wb; small = wb.QualityModel.from_dict(...)")
    ...     seconds = old.time("wb.analyze(df, small)")
    """

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.commit = self._resolve(ref)
        self._dir = Path(tempfile.mkdtemp(prefix="wb-release-"))
        self._extract()
        env = {**os.environ, "NUMBA_CACHE_DIR": str(self._dir / ".numba"), "PYTHONDONTWRITEBYTECODE": "1"}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(self._dir), str(Path(__file__).resolve().parent)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=self._dir,
        )
        self._read()  # the worker imported the release's package
        self._array: np.ndarray | None = None

    def _resolve(self, ref: str) -> str:
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise ReleaseUnavailable(
                f"Commit {ref!r} is not in this clone (a shallow clone has no history); "
                "fetch it (git fetch --unshallow) or pass --before with a commit that is here."
            )
        return out.stdout.strip()

    def _extract(self) -> None:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", self.commit, "workbench"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(self._dir, filter="data")

    def _read(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker for release {self.ref} stopped (exit code {self._proc.wait()})")
        return json.loads(line)

    def exec(self, code: str) -> None:
        """Run ``code`` in the worker (its names persist; ``np`` is numpy, ``_`` the last timed value).
        The benchmarks folder is importable there (``_shapes``), ``workbench`` is the release's."""
        self._send({"exec": code})

    def time(self, expression: str) -> float:
        """Seconds the worker takes to evaluate ``expression`` (its value is kept as ``_``)."""
        return self._send({"time": expression})["s"]

    def _send(self, request: dict) -> dict:
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        return self._read()

    def _call(self, table: str, F: np.ndarray, save: bool) -> tuple[float, np.ndarray | None]:
        if F is not self._array:  # a new cell: hand its array over once (one file, overwritten)
            self._array = F
            path = self._dir / "F.npy"
            np.save(path, F)
            self.exec(
                f"from workbench.analysis._pareto import nondominated_mask, nondominated_ranks\nF = np.load({str(path)!r})"
            )
        seconds = self.time({"mask": "nondominated_mask(F)", "ranks": "nondominated_ranks(F)"}[table])
        if not save:
            return seconds, None
        out_path = self._dir / "out.npy"
        self.exec(f"np.save({str(out_path)!r}, _)")
        return seconds, np.load(out_path)

    def tool(self, table: str) -> _ReleaseTool:
        """A contender for ``bench_pareto.run_cell``: ``.timed(F)`` -> (seconds, output)."""
        return _ReleaseTool(self, table)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Release:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _ReleaseTool:
    def __init__(self, release: Release, table: str) -> None:
        self.release, self.table = release, table

    def timed(self, F: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The release's time for one call on ``F``; its output on the first call with ``F`` (the
        warm-up, whose output is checked), ``None`` after."""
        return self.release._call(self.table, F, save=F is not self.release._array)
