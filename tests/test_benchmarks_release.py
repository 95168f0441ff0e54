"""The regression check's contender (``benchmarks/_release.py``): a commit's ``workbench`` in a
worker process, timed on the arrays it is handed, with its output back for the agreement check."""

from __future__ import annotations

import numpy as np
import pytest

from tests._scripts import script
from workbench.analysis._pareto import nondominated_mask, nondominated_ranks


@pytest.fixture(scope="module")
def release_module():
    with script("_release") as module:
        yield module


def test_a_commit_runs_in_its_own_process_on_the_arrays_it_is_handed(release_module, tmp_path):
    # 200 rows: the small-input path, no compiled kernel to build in the worker's empty cache
    F = np.random.default_rng(3).random((200, 3))
    with release_module.Release("HEAD") as old:
        assert len(old.commit) == 40
        old.exec("import workbench, os\nhome = os.path.dirname(os.path.dirname(workbench.__file__))")
        old.exec(f"open({str(tmp_path / 'home')!r}, 'w').write(home)")
        home = (tmp_path / "home").read_text()
        assert home.startswith(str(old._dir)), "the worker imported this checkout's workbench, not the commit's"
        mask_tool, ranks_tool = old.tool("mask"), old.tool("ranks")
        seconds, mask = mask_tool.timed(F)
        assert seconds > 0 and np.array_equal(mask, nondominated_mask(F))
        again, nothing = mask_tool.timed(F)  # the same array again: timed, its output not sent back
        assert again > 0 and nothing is None
        G = F[:150] * 2.0
        _, ranks = ranks_tool.timed(G)
        assert np.array_equal(ranks, nondominated_ranks(G))
        old.exec("print('printed by the release')")  # a print does not break the replies
        assert old.time("sum(range(10))") >= 0
        folder = old._dir
    assert not folder.exists(), "the extracted release is removed"


def test_a_commit_that_is_not_here_is_named_with_the_fix(release_module):
    with pytest.raises(release_module.ReleaseUnavailable, match=r"'0{12}' is not in this clone.*--before"):
        release_module.Release("0" * 12)


class _Timed:
    """A contender that reports a fixed time (as the release's worker does, through ``timed``)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.calls = seconds, 0

    def timed(self, F: np.ndarray) -> tuple[float, np.ndarray]:
        self.calls += 1
        return self.seconds, np.zeros(len(F), dtype=bool)


def test_a_cell_whose_warm_ups_all_exceed_10_s_is_reported_by_them():
    # No tool is timed again (and the round-robin over none does not divide by zero); with one
    # fast tool, that one gets a warm call and the slow ones keep their warm-up.
    with script("bench_pareto") as bench:
        slow = {"a": _Timed(12.0), "b": _Timed(11.0)}
        cells = bench.run_cell(slow, np.zeros((3, 2)), {}, rounds=5)
        assert {t: c["runs_s"] for t, c in cells.items()} == {"a": [12.0], "b": [11.0]}
        assert [t.calls for t in slow.values()] == [1, 1]
        mixed = {"a": _Timed(12.0), "fast": _Timed(2.0)}
        cells = bench.run_cell(mixed, np.zeros((3, 2)), {}, rounds=5)
        assert cells["a"]["runs_s"] == [12.0] and cells["fast"]["runs_s"] == [2.0]
        assert [t.calls for t in mixed.values()] == [1, 2]
