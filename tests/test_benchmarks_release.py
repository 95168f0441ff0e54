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
