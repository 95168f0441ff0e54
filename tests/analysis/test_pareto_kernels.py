"""Non-dominated filtering and sorting kernels (workbench.analysis._pareto).

The kernels use no peer library, so every result is checked against an O(n^2) brute-force
numpy oracle written here, and against moocore, pymoo (its own pure-Python sort, plus its
default path, which wraps moocore) and paretoset where they apply. The kernels have several
internal paths (pivot pre-filter, 2-D sweep, 3-D Fenwick sweep, sort-filter-skyline, k-d tree
mask, 3-D staircase sort, k-d tree peeling, sorting over per-front trees, tolerance cycles); the
``paths`` fixture forces each of them on small inputs.
"""

import moocore
import numpy as np
import paretoset
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymoo.util.dominator import Dominator
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from workbench.analysis import _pareto
from workbench.analysis._pareto import nondominated_mask, nondominated_ranks
from workbench.errors import CandidatesError

# --- brute-force oracle ------------------------------------------------------------------------


def dominance_matrix(F, tol=None):
    """D[a, b]: row a dominates row b (with tolerance: a <= b + tol everywhere and
    a < b - tol somewhere)."""
    F = np.asarray(F, dtype=float)
    tol = np.zeros(F.shape[1]) if tol is None else np.asarray(tol, dtype=float)
    A, B = F[:, None, :], F[None, :, :]
    with np.errstate(invalid="ignore"):  # inf - inf in the bounds of infinite values
        return (B + tol >= A).all(axis=-1) & (B - tol > A).any(axis=-1)


def brute_mask(F, tol=None):
    return ~dominance_matrix(F, tol).any(axis=0)


def brute_ranks(F, tol=None, stalls=None):
    """Peel fronts; when every remaining row is dominated (a tolerance cycle; appended to
    ``stalls`` if given), the front is the remaining rows that no remaining row dominates
    without tolerance."""
    D = dominance_matrix(F, tol)
    plain = dominance_matrix(F)
    ranks = np.full(len(D), -1)
    remaining = np.arange(len(D))
    level = 0
    while remaining.size:
        front = ~D[np.ix_(remaining, remaining)].any(axis=0)
        if not front.any():
            if stalls is not None:
                stalls.append(level)
            front = ~plain[np.ix_(remaining, remaining)].any(axis=0)
        ranks[remaining[front]] = level
        remaining = remaining[~front]
        level += 1
    return ranks


def check_exact(F, tol=None):
    F = np.asarray(F, dtype=float)
    mask, ranks = nondominated_mask(F, tol), nondominated_ranks(F, tol)
    assert mask.dtype == bool and mask.shape == (len(F),)
    assert ranks.dtype == np.int64 and ranks.shape == (len(F),)
    np.testing.assert_array_equal(mask, brute_mask(F, tol))
    np.testing.assert_array_equal(ranks, brute_ranks(F, tol))
    return mask, ranks


def sphere(rng, n, k):
    """Points on the positive orthant of the unit sphere, flipped so that all are non-dominated."""
    x = np.abs(rng.standard_normal((n, k)))
    return 1.0 - x / np.linalg.norm(x, axis=1, keepdims=True)


def random_data(rng, kind, n, k):
    if kind == "uniform":
        return rng.random((n, k))
    if kind == "grid":  # integer grid: many ties and duplicates
        return rng.integers(0, 4, (n, k)).astype(float)
    if kind == "sphere":
        return sphere(rng, n, k)
    if kind == "correlated":  # long chains of fronts
        return rng.random((n, 1)) + 0.05 * rng.random((n, k))
    if kind == "ml":  # the shape of ML candidates (benchmarks/bench_pareto.py): curved fronts
        acc = rng.uniform(0.80, 0.95, n)
        latency = 5.0 * np.exp(18 * (acc - 0.80)) * rng.lognormal(0, 0.35, n)
        size = 20.0 * np.exp(12 * (acc - 0.80)) * rng.lognormal(0, 0.5, n)
        energy = 0.01 * latency * size**0.3 * rng.lognormal(0, 0.2, n)
        gap = 0.10 - 0.4 * (acc - 0.80) + rng.normal(0, 0.02, n)
        F = np.column_stack([-acc, latency, size, energy, gap, latency * gap])
        return np.ascontiguousarray(F[:, :k]) if k <= 6 else np.tile(F, (1, 2))[:, :k]
    if kind == "infinite":
        F = rng.integers(0, 4, (n, k)).astype(float)
        F[rng.random((n, k)) < 0.1] = np.inf
        F[rng.random((n, k)) < 0.05] = -np.inf
        return F
    raise AssertionError(kind)


PIVOT_THRESHOLDS = (
    "_PIVOT_SAMPLE",
    "_PIVOT_MIN_SAMPLE",
    "_PIVOT_MAX",
    "_PREFILTER_PROBE",
    "_GRID_CELLS",
    "_GRID_MIN_PIVOTS",
    "_STRONG_PROBE",
    "_SMALL",
    "_WINDOW_MIN",
    "_RUNNING_PROBE",
    "_RUNNING_BLOCK",
)


def _setter(target):
    """``setter(module, name, value)`` through ``target``: a pytest monkeypatch, or a module
    (then plainly set)."""
    return target.setattr if hasattr(target, "setattr") else (lambda m, a, v: setattr(m, a, v))


def forbid_pivot_passes(monkeypatch):
    """Make every pivot pass fail the test if it runs."""

    def not_here(*args):
        raise AssertionError("a pivot pass ran on a crowded sample")

    for name in ("_pivot_pass", "_pivot_pass_2d", "_stair_pass", "_grid_pass_3d"):
        monkeypatch.setattr(_pareto, name, not_here)


def force_pivot_pass(target, sample=2, pivots=4, probe=10**9, cells=3, strong_probe=2):
    """Set the pivot pre-filter's thresholds on ``target`` (monkeypatch or module) so that
    it runs on inputs of more than ``2 * sample`` rows; for three objectives with the grid
    lookup (``cells`` per objective; the strongest pivots checked for ``strong_probe`` rows)."""
    setter = _setter(target)
    setter(_pareto, "_PIVOT_SAMPLE", sample)
    setter(_pareto, "_PIVOT_MIN_SAMPLE", sample)
    setter(_pareto, "_PIVOT_MAX", pivots)
    setter(_pareto, "_PREFILTER_PROBE", probe)
    setter(_pareto, "_GRID_CELLS", cells)
    setter(_pareto, "_GRID_MIN_PIVOTS", 0)
    setter(_pareto, "_STRONG_PROBE", strong_probe)
    setter(_pareto, "_WINDOW_MIN", 10**18)  # the window pass would answer first
    setter(_pareto, "_CROWDED_SAMPLE", 1.0)  # a tiny sample is often all front: pass anyway
    setter(_pareto, "_LARGE_SAMPLE_FRONT", 10**9)  # the survivors are filtered again
    running_pass_off(target)  # so would the running pivots on uniform and tied data


def running_pass_off(target):
    """Make the running-pivot pass give up at its first row (it only keeps survivors it found
    with fewer than 3 in 8 of a block surviving; a block of one row always survives)."""
    setter = _setter(target)
    setter(_pareto, "_RUNNING_PROBE", 0)
    setter(_pareto, "_RUNNING_BLOCK", 1)


def force_running_pass(target, block=4):
    """Let the running-pivot pass filter every mask input of more than four rows, in blocks of
    ``block`` rows (it gives up on a block where more than 3 in 8 survive, from the second on)."""
    setter = _setter(target)
    setter(_pareto, "_PIVOT_MIN_SAMPLE", 2)
    setter(_pareto, "_RUNNING_PROBE", block)
    setter(_pareto, "_RUNNING_BLOCK", block)
    setter(_pareto, "_WINDOW_MIN", 10**18)


def force_kd_tree_ranks(target):
    """Rank in four or more objectives with the k-d tree peel, whatever the input and depth."""
    setter = _setter(target)
    setter(_pareto, "_KD_PEEL_MIN_ROWS", 0)
    setter(_pareto, "_KD_PEEL_MIN_DEPTH", 0)
    setter(_pareto, "_KD_PEEL_SAMPLE_FRONTS", 10**9)
    setter(_pareto, "_KD_PEEL_MIN_DISTINCT", 0.0)


WINDOW_THRESHOLDS = ("_WINDOW_CAP", "_WINDOW_WORK", "_WINDOW_WORK_2D", "_WINDOW_SLACK", "_WINDOW_SLACK_2D")


def force_window_pass(target, cap=128, work=4.0, slack=4096):
    """Let the block-nested-loops window pass answer the mask on inputs of any size."""
    setter = _setter(target)
    setter(_pareto, "_WINDOW_MIN", 0)
    setter(_pareto, "_WINDOW_CAP", cap)
    setter(_pareto, "_WINDOW_WORK", work)
    setter(_pareto, "_WINDOW_WORK_2D", work)
    setter(_pareto, "_WINDOW_SLACK", slack)
    setter(_pareto, "_WINDOW_SLACK_2D", slack)


@pytest.fixture(
    params=[
        "numpy",
        "compiled",
        "small-thresholds",
        "pivot-pass",
        "running-pass",
        "window-pass",
        "peel-every-front",
        "kd-tree-ranks",
    ]
)
def paths(request, monkeypatch):
    """Run a test with the default thresholds, where small inputs take the numpy dominance
    matrix; with the compiled kernels on every input; with thresholds that force, on small
    inputs, the crowded pre-filter exit, the pivot pass's survivors sent to the k-d tree
    (k >= 4), the sort-filter-skyline abort, one-row k-d tree leaves and, for ranks, no peeling
    with the mask and per-front trees of two-row leaves rebuilt on nearly every insertion; with
    the pivot pre-filter (and its recursion on the survivors) on every input of more than four
    rows; with the running-pivot pass on every input of more than four rows (blocks of four);
    with the block-nested-loops window pass answering every mask it can (a window of up to
    three distinct rows, so larger fronts exercise its give-up); with pure peeling by the mask;
    and with every ranking in four or more objectives by the k-d tree peel."""
    if request.param != "numpy":
        monkeypatch.setattr(_pareto, "_SMALL", 0)
    if request.param == "pivot-pass":
        force_pivot_pass(monkeypatch)
    elif request.param == "small-thresholds":
        force_pivot_pass(monkeypatch, sample=2, pivots=3, probe=8)
        monkeypatch.setattr(_pareto, "_LARGE_SAMPLE_FRONT", 1)  # the survivors go to the k-d tree
        monkeypatch.setattr(_pareto, "_SFS_BLOCK", 4)
        monkeypatch.setattr(_pareto, "_SFS_MAX_AVG_SCAN", 1)
        monkeypatch.setattr(_pareto, "_LEAF", 1)
        monkeypatch.setattr(_pareto, "_RANKS_3D_MOVES_PER_ROW", 0)
        monkeypatch.setattr(_pareto, "_PEEL_MIN_FRONT_FRACTION", 1)
        monkeypatch.setattr(_pareto, "_ENS_LEAF", 2)
        monkeypatch.setattr(_pareto, "_ENS_BALANCE", 0.5)
        monkeypatch.setattr(_pareto, "_LONG_TIE_RUN", 2)
    elif request.param == "running-pass":
        force_running_pass(monkeypatch)
    elif request.param == "window-pass":
        force_window_pass(monkeypatch, cap=3)
    elif request.param == "peel-every-front":
        monkeypatch.setattr(_pareto, "_PEEL_MIN_FRONT_FRACTION", 10**9)
    elif request.param == "kd-tree-ranks":
        force_kd_tree_ranks(monkeypatch)
    return request.param


# --- exactness against the oracle ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["uniform", "grid", "sphere", "correlated", "ml", "infinite"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 6])
def test_random_data_matches_brute_force(paths, kind, k):
    rng = np.random.default_rng(k * 100 + len(kind))
    for n in (2, 3, 7, 40, 250):
        check_exact(random_data(rng, kind, n, k))


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_tolerance_matches_brute_force(paths, k):
    rng = np.random.default_rng(k)
    for n in (2, 9, 60, 200):
        for kind in ("uniform", "grid", "infinite"):
            F = random_data(rng, kind, n, k)
            scale = 1.0 if kind == "uniform" else 4.0
            for tol in (rng.random(k) * 0.1 * scale, rng.random(k) * 0.5 * scale):
                check_exact(F, tol)


@pytest.mark.parametrize("kind", ["uniform", "grid", "correlated", "ml", "infinite"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_depth_ranks_the_first_fronts_exactly(paths, kind, k):
    # Fronts 0..depth as the full brute-force peel has them, everything behind is depth + 1;
    # with and without tolerance (whose cycles are broken the same way).
    rng = np.random.default_rng(k * 7 + len(kind))
    for n in (1, 6, 80, 300):
        F = random_data(rng, kind, n, k)
        for tol in (None, rng.random(k) * (0.1 if kind in ("uniform", "ml") else 1.5)):
            if kind == "ml" and tol is not None:
                tol = tol * np.abs(F).mean(axis=0)
            full = brute_ranks(F, tol)
            for depth in (0, 1, 2, 5, 40):
                np.testing.assert_array_equal(nondominated_ranks(F, tol, depth=depth), np.minimum(full, depth + 1))


@pytest.mark.parametrize("depth", [-1, 1.5, "2", True])
def test_invalid_depth(depth):
    with pytest.raises(CandidatesError, match="depth must be a whole number"):
        nondominated_ranks(np.ones((3, 2)), depth=depth)


def test_zero_tolerance_is_plain_dominance():
    F = np.random.default_rng(0).random((300, 3))
    np.testing.assert_array_equal(nondominated_mask(F, np.zeros(3)), nondominated_mask(F))
    np.testing.assert_array_equal(nondominated_ranks(F, np.zeros(3)), nondominated_ranks(F))


def test_partial_zero_tolerance():
    F = np.random.default_rng(1).integers(0, 5, (200, 3)).astype(float)
    check_exact(F, np.array([0.0, 1.0, 0.0]))


def test_tolerance_cycle_is_broken_by_plain_dominance():
    # a dominates b dominates c dominates a under tol = 1 (possible for k >= 3).
    a, b, c = [0.0, 0.0, 0.0], [1.2, -0.6, -0.6], [0.6, 0.6, -1.2]
    tol = np.ones(3)
    D = dominance_matrix([a, b, c], tol)
    assert D[0, 1] and D[1, 2] and D[2, 0]
    mask, ranks = check_exact([a, b, c], tol)
    assert not mask.any()  # everyone is dominated...
    np.testing.assert_array_equal(ranks, [0, 0, 0])  # ...and plain Pareto cannot separate them
    # An undominated row keeps front 0 (no stall there); the cycle stalls front 1, which
    # plain dominance resolves to a, b, c; `near` (within tolerance of a) and `far` follow.
    far = [10.0, 10.0, 10.0]
    near = [0.5, 0.5, 0.5]
    apart = [-5.0, 5.0, 5.0]
    mask, ranks = check_exact([a, b, c, far, near, apart], tol)
    np.testing.assert_array_equal(mask, [False, False, False, False, False, True])
    np.testing.assert_array_equal(ranks, [1, 1, 1, 3, 2, 0])


def test_tolerance_cycles_in_random_data_match_brute_force():
    # Many random rows with a wide tolerance: some sets contain cycles that stall peeling.
    rng = np.random.default_rng(7)
    stalls = []
    for n in (5, 12, 30, 60):
        for _ in range(10):
            F = rng.normal(size=(n, 3))
            tol = np.full(3, 1.0)
            np.testing.assert_array_equal(nondominated_ranks(F, tol), brute_ranks(F, tol, stalls))
            np.testing.assert_array_equal(nondominated_mask(F, tol), brute_mask(F, tol))
    assert len(stalls) > 10  # the case is actually exercised


# --- degenerate inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
def test_zero_one_and_all_equal_candidates(k):
    empty = np.empty((0, k))
    assert nondominated_mask(empty).shape == (0,)
    assert nondominated_ranks(empty).shape == (0,)
    assert nondominated_mask(empty, np.ones(k)).shape == (0,)
    np.testing.assert_array_equal(nondominated_mask(np.ones((1, k))), [True])
    np.testing.assert_array_equal(nondominated_ranks(np.ones((1, k))), [0])
    same = np.full((50, k), 3.5)
    assert nondominated_mask(same).all()
    assert (nondominated_ranks(same) == 0).all()
    assert nondominated_mask(same, np.ones(k)).all()
    assert (nondominated_ranks(same, np.ones(k)) == 0).all()


def test_duplicates_do_not_dominate_each_other():
    F = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(nondominated_mask(F), [True, True, True, False, False, False])
    np.testing.assert_array_equal(nondominated_ranks(F), [0, 0, 0, 1, 1, 2])
    F3 = np.repeat(np.random.default_rng(0).random((30, 3)), 3, axis=0)
    mask, ranks = check_exact(F3)
    assert (mask.reshape(-1, 3) == mask.reshape(-1, 3)[:, :1]).all()
    assert (ranks.reshape(-1, 3) == ranks.reshape(-1, 3)[:, :1]).all()


def test_single_objective():
    F = np.array([[3.0], [1.0], [2.0], [1.0], [np.inf]])
    np.testing.assert_array_equal(nondominated_mask(F), [False, True, False, True, False])
    np.testing.assert_array_equal(nondominated_ranks(F), [2, 0, 1, 0, 3])  # dense rank
    within_one = [False, True, True, True, False]
    np.testing.assert_array_equal(nondominated_mask(F, np.array([1.0])), within_one)


def test_no_objectives_means_everything_ties():
    assert nondominated_mask(np.empty((4, 0))).all()
    assert (nondominated_ranks(np.empty((4, 0))) == 0).all()


def test_integer_grid_with_many_ties(paths):
    grid = np.array(np.meshgrid(*[np.arange(4.0)] * 3)).reshape(3, -1).T
    F = np.vstack([grid, grid[::7]])  # every point plus some duplicates
    mask, ranks = check_exact(F)
    np.testing.assert_array_equal(mask, (F == 0).all(axis=1))  # the origin, twice
    np.testing.assert_array_equal(ranks, F.sum(axis=1).astype(int))  # fronts: coordinate sums


def test_accepts_lists_integers_and_non_contiguous_arrays():
    rng = np.random.default_rng(3)
    F = rng.integers(0, 10, (40, 6))
    view = F[::2, ::2]  # non-contiguous int view
    np.testing.assert_array_equal(nondominated_mask(view), brute_mask(view))
    np.testing.assert_array_equal(nondominated_ranks(np.asfortranarray(view)), brute_ranks(view))
    np.testing.assert_array_equal(nondominated_mask(view.tolist()), brute_mask(view))


# --- invalid input -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("row", [0, 17, 99])
def test_nan_raises_value_error(k, row):
    F = np.random.default_rng(0).random((100, k))
    F[row] = 10.0  # a row that would be dominated if its NaN were ignored
    F[row, -1] = np.nan
    for call in (nondominated_mask, nondominated_ranks):
        with pytest.raises(ValueError, match="NaN"):
            call(F)
        with pytest.raises(CandidatesError, match=f"row {row}"):
            call(F, np.full(k, 0.1))


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("row", [0, 5, 4_321, 39_999])
def test_nan_found_by_the_pivot_pass(k, row):
    # ML-shaped data: the pass removes most rows, and a NaN row (never dominated) survives it.
    F = random_data(np.random.default_rng(row), "ml", 40_000, k)
    F[row, k - 1] = np.nan
    if row < 39_999:
        F[row + 1 :: 997, 0] = np.nan  # later ones too: the error names the first
    with pytest.raises(CandidatesError, match=f"first at row {row},"):
        nondominated_mask(F)


@pytest.mark.slow  # real-size inputs (the pivot pass engages only at this size)
@pytest.mark.parametrize("k", [2, 3, 5])
def test_tolerance_mask_with_the_pivot_pass_at_its_real_size(k):
    # 12,000 ML-shaped rows: the pivots drop most rows before the k-d tree; the survivors are
    # checked against every row. Brute force over all pairs, in blocks.
    rng = np.random.default_rng(k)
    F = random_data(rng, "ml", 12_000, k)
    tol = np.abs(F).mean(axis=0) * rng.uniform(0.0, 0.05, k)
    expected = np.ones(len(F), bool)
    for lo in range(0, len(F), 500):
        block = F[lo : lo + 500]
        with np.errstate(invalid="ignore"):
            dominated = (
                (F[:, None, :] <= block[None, :, :] + tol).all(-1) & (F[:, None, :] < block[None, :, :] - tol).any(-1)
            ).any(axis=0)
        expected[lo : lo + 500] = ~dominated
    np.testing.assert_array_equal(nondominated_mask(F, tol), expected)


@pytest.mark.slow  # real-size inputs (the pivot pass engages only at this size)
@pytest.mark.parametrize("kind", ["ml", "uniform", "grid", "correlated", "infinite"])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_pivot_pass_at_its_real_size_matches_moocore(kind, k, monkeypatch):
    # Big enough for the default thresholds: the pass, its recursion on the survivors and
    # (for crowded data) its early exit, against moocore and a brute-force check of survivors.
    # (The window pass and the running pivots, which answer some of these first, are tested at
    # their real size below.)
    monkeypatch.setattr(_pareto, "_WINDOW_MIN", 10**18)
    running_pass_off(monkeypatch)
    rng = np.random.default_rng(k)
    F = random_data(rng, kind, 30_000, k)
    mask = nondominated_mask(F)
    finite = np.isfinite(F).all()
    if finite:
        np.testing.assert_array_equal(mask, moocore.is_nondominated(F, keep_weakly=True))
    front = F[mask]
    np.testing.assert_array_equal(brute_mask(front), np.ones(len(front), bool))
    sample = rng.choice(len(F), 400, replace=False)  # each sampled dominated row has a dominator
    for i in sample[~mask[sample]]:
        assert dominance_matrix(np.vstack([front, F[i]]))[:-1, -1].any()


@pytest.mark.slow  # real-size inputs (the running pivots engage from 2,049 rows, decide at 4,096)
@pytest.mark.parametrize("kind", ["uniform", "grid", "ml", "correlated", "infinite"])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_running_pass_at_its_real_size(kind, k):
    # Uncorrelated and tied objectives: few rows survive the running pivots, and every front row
    # is among them; a curved front (ML-shaped) lets most rows through, and the pass gives up.
    F = random_data(np.random.default_rng(k), kind, 30_000, k)
    keep, gave_up, nan_row = _pareto._running_pass(F, _pareto._RUNNING_PROBE, _pareto._RUNNING_BLOCK)
    assert nan_row == -1
    mask = nondominated_mask(F)
    if kind in ("uniform", "grid"):
        assert not gave_up and 4 * len(keep) <= len(F)
    if kind == "ml":
        assert gave_up
    if not gave_up:
        assert set(np.flatnonzero(mask)) <= set(keep.tolist())
        assert np.all(np.diff(keep) > 0)
    if np.isfinite(F).all():
        np.testing.assert_array_equal(mask, moocore.is_nondominated(F, keep_weakly=True))


@pytest.mark.parametrize("row", [3, 9_000, 29_999])
def test_nan_met_by_the_running_pass(row):
    F = random_data(np.random.default_rng(row), "uniform", 30_000, 4)
    F[row, 2] = np.nan
    F[row + 1 :: 1_001, 0] = np.nan  # later ones too: the error names the first
    assert _pareto._running_pass(F, _pareto._RUNNING_PROBE, _pareto._RUNNING_BLOCK)[2] == row
    with pytest.raises(CandidatesError, match=f"first at row {row},"):
        nondominated_mask(F)


def test_nan_found_after_the_prefilter_gives_up():
    F = sphere(np.random.default_rng(0), 40_000, 3)  # all non-dominated: pre-filter stops
    F[-1, 1] = np.nan
    with pytest.raises(ValueError, match="row 39999"):
        nondominated_mask(F)


@pytest.mark.parametrize(
    "F, tol, match",
    [
        (np.ones(3), None, "2-D"),
        (np.ones((2, 2, 2)), None, "2-D"),
        (np.ones((3, 2)), np.ones(3), r"shape \(2,\)"),
        (np.ones((3, 2)), np.array([0.1, -1.0]), ">= 0"),
        (np.ones((3, 2)), np.array([0.1, np.nan]), ">= 0"),
    ],
)
def test_invalid_shapes_and_tolerances(F, tol, match):
    for call in (nondominated_mask, nondominated_ranks):
        with pytest.raises(ValueError, match=match):
            call(F, tol)


# --- agreement with peer libraries (none of them is a building block here) ------------------------


@pytest.mark.parametrize("k", [2, 3, 4, 5])
@pytest.mark.parametrize("kind", ["uniform", "grid", "sphere", "correlated", "ml"])
def test_agrees_with_moocore_paretoset_and_pymoo(kind, k):
    rng = np.random.default_rng(k)
    F = random_data(rng, kind, 3000, k)
    mask, ranks = nondominated_mask(F), nondominated_ranks(F)
    np.testing.assert_array_equal(mask, moocore.is_nondominated(F, keep_weakly=True))
    np.testing.assert_array_equal(mask, paretoset.paretoset(F, sense=["min"] * k, distinct=False))
    np.testing.assert_array_equal(ranks, moocore.pareto_rank(F))
    _, pymoo_ranks = NonDominatedSorting().do(F, return_rank=True)  # wraps moocore.pareto_rank
    np.testing.assert_array_equal(ranks, pymoo_ranks)
    small = F[:300]  # pymoo's own O(n^2) Python sort, independent of moocore
    _, own_ranks = NonDominatedSorting(dominator=Dominator()).do(small, return_rank=True)
    np.testing.assert_array_equal(nondominated_ranks(small), own_ranks)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_large_front_uses_the_crowded_paths(k):
    # 20 000 non-dominated sphere points (enough to stop the pre-filter), plus shifted copies
    # of some of them, each dominated by its original. The answer is known exactly.
    rng = np.random.default_rng(k)
    front = sphere(rng, 20_000, k)
    dominated = front[rng.choice(20_000, 2_000, replace=False)] + rng.uniform(0.0, 0.1, (2_000, k))
    dominated[np.arange(2_000), rng.integers(0, k, 2_000)] += 0.01  # strictly worse somewhere
    F = np.vstack([front, dominated])
    perm = rng.permutation(len(F))
    expected = np.r_[np.ones(20_000, bool), np.zeros(2_000, bool)][perm]
    F = F[perm]
    mask = nondominated_mask(F)
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(mask, moocore.is_nondominated(F, keep_weakly=True))
    ranks = nondominated_ranks(F)
    np.testing.assert_array_equal(ranks == 0, expected)
    if k <= 3:  # moocore's peeling is quick enough here
        np.testing.assert_array_equal(ranks, moocore.pareto_rank(F))
    assert nondominated_mask(front).all()


@pytest.mark.parametrize("k", [2, 3, 5])
def test_crowded_sample_goes_straight_to_the_exact_mask(k, monkeypatch):
    # When most of the pivot sample is on its front the pivot passes would keep nearly every
    # row: they are skipped (here they would fail the test), and the answer stays exact.
    forbid_pivot_passes(monkeypatch)
    rng = np.random.default_rng(k)
    front = sphere(rng, 9_000, k)
    dominated = front[:1_000] + 0.01  # a tenth of the rows are off the front
    F = np.vstack([front, dominated])[rng.permutation(10_000)]
    assert _pareto._pivots(F)[2] > _pareto._CROWDED_SAMPLE
    mask = nondominated_mask(F)
    np.testing.assert_array_equal(mask, moocore.is_nondominated(F, keep_weakly=True))
    assert mask.sum() == 9_000
    F[-1, k - 1] = np.nan
    with pytest.raises(CandidatesError, match="first at row 9999,"):
        nondominated_mask(F)


def test_tolerance_mask_of_a_crowded_front_skips_the_pivots(monkeypatch):
    # 40,000 sphere rows and 3,000 shifted copies: the quarter of the pivot sample is mostly
    # front, so no pivots are taken; every row is queried in the k-d tree, as without the pass.
    rng = np.random.default_rng(1)
    front = sphere(rng, 40_000, 5)
    F = np.vstack([front, front[:3_000] + 0.02])[rng.permutation(43_000)]
    tol = np.full(5, 0.01)
    P, _, share, _ = _pareto._pivots(F)
    assert len(P) == 0 and share > _pareto._CROWDED_SAMPLE
    forbid_pivot_passes(monkeypatch)
    expected = _pareto._kd_mask(F, tol, 1, np.ones(len(F), dtype=bool), np.ones(5))
    np.testing.assert_array_equal(nondominated_mask(F, tol), expected)
    assert not expected.all()


def test_sfs_gives_up_early_on_a_small_crowded_input():
    # 1,024 rows all on the front: the budget is checked every 128 rows, so sort-filter-skyline
    # hands over to the k-d tree long before comparing every pair.
    F = sphere(np.random.default_rng(0), 1_024, 5)
    lo, hi = F.min(axis=0), F.max(axis=0)
    sums = ((F - lo) / (hi - lo)).sum(axis=1)
    order = np.argsort(sums)
    assert _pareto._sfs_block(len(F)) == 128
    mask, finished = _pareto._mask_sfs(F, order, sums, _pareto._sfs_block(len(F)), _pareto._SFS_MAX_AVG_SCAN)
    assert not finished and mask.sum() < len(F) // 2
    assert _pareto._mask_sfs(F, order, sums, len(F), _pareto._SFS_MAX_AVG_SCAN)[1]  # one block: no check
    assert _pareto._mask_exact(F, False).all()


@pytest.mark.parametrize(
    "kind, k, peel",
    [("uniform", 4, True), ("uniform", 6, True), ("ml", 5, True), ("correlated", 5, False), ("grid", 5, False)],
)
def test_full_ranks_choose_the_kd_tree_peel_on_few_continuous_fronts(kind, k, peel):
    # At its real size the choice reads a sample: uniform and ML-shaped objectives have few
    # fronts (the peel ranks them faster); correlated ones many; a grid's ties stall the
    # peel's median splits.
    F = random_data(np.random.default_rng(k), kind, _pareto._KD_PEEL_MIN_ROWS, k)
    assert _pareto._few_continuous_fronts(F) is peel
    assert not _pareto._few_continuous_fronts(F[:-1])  # below the size where it pays


@pytest.mark.parametrize("kind", ["uniform", "ml", "grid", "infinite"])
def test_kd_tree_ranks_at_a_real_size_match_moocore(kind, monkeypatch):
    force_kd_tree_ranks(monkeypatch)
    F = random_data(np.random.default_rng(3), kind, 40_000, 5)
    ranks = nondominated_ranks(F)
    if np.isfinite(F).all():
        np.testing.assert_array_equal(ranks, moocore.pareto_rank(F))
    monkeypatch.setattr(_pareto, "_KD_PEEL_MIN_ROWS", 10**18)
    np.testing.assert_array_equal(ranks, nondominated_ranks(F))  # the per-front trees agree
    np.testing.assert_array_equal(nondominated_ranks(F, depth=3), np.minimum(ranks, 4))


def test_ranks_fronts_are_consistent():
    F = random_data(np.random.default_rng(5), "grid", 400, 4)
    ranks = nondominated_ranks(F)
    D = dominance_matrix(F)
    np.testing.assert_array_equal(ranks == 0, nondominated_mask(F))
    for r in range(1, ranks.max() + 1):
        prev, cur = ranks == r - 1, ranks == r
        assert not D[np.ix_(cur, cur)].any()  # each front is mutually non-dominated
        assert D[np.ix_(prev, cur)].any(axis=0).all()  # and dominated by the previous one


# --- properties (hypothesis) ----------------------------------------------------------------------

# Dyadic values make 3x + 7 exact, so rescaling cannot create or break ties.
values = st.integers(-16, 16).map(lambda v: v / 4.0)


@st.composite
def objective_sets(draw, max_n=30, max_k=5, with_tolerance=False):
    n = draw(st.integers(0, max_n))
    k = draw(st.integers(1, max_k))
    F = np.array(draw(st.lists(st.lists(values, min_size=k, max_size=k), min_size=n, max_size=n)))
    F = F.reshape(n, k)
    tol = None
    if with_tolerance:
        steps = st.integers(0, 8).map(lambda v: v / 4.0)
        tol = np.array(draw(st.lists(steps, min_size=k, max_size=k)))
    return F, tol


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(objective_sets(with_tolerance=True))
def test_property_matches_brute_force(data):
    check_exact(*data)  # the numpy dominance matrix (small inputs)
    saved = _pareto._SMALL
    try:
        _pareto._SMALL = 0  # the compiled kernels
        check_exact(*data)
    finally:
        _pareto._SMALL = saved


@fast
@given(
    objective_sets(max_n=60),
    st.integers(1, 8),
    st.integers(1, 6),
    st.integers(1, 5),
    st.integers(0, 70),
)
def test_property_pivot_pass_matches_brute_force(data, sample, pivots, cells, strong_probe):
    # The pivot pre-filter on small tied inputs, with any sample size and pivot count (and,
    # for three objectives, any grid size, with and without the strongest pivots first).
    F, _ = data
    saved = {name: getattr(_pareto, name) for name in PIVOT_THRESHOLDS}
    try:
        force_pivot_pass(_pareto, sample=sample, pivots=pivots, cells=cells, strong_probe=strong_probe)
        _pareto._SMALL = 0
        check_exact(F)
    finally:
        for name, value in saved.items():
            setattr(_pareto, name, value)


@fast
@given(
    objective_sets(max_n=60), st.integers(1, 8), st.sampled_from([0.0, 1.0, 4.0, 1e9]), st.sampled_from([0, 5, 4096])
)
def test_property_window_pass_matches_brute_force(data, cap, work, slack):
    # The window pass on tied inputs with any window size and work budget: exact when it
    # answers, and the other paths answer (exactly) when it gives up.
    F, _ = data
    if F.shape[0] >= 1 and F.shape[1] >= 1:
        mask, done = _pareto._window_pass(np.ascontiguousarray(F), cap, work, slack)
        if done:
            np.testing.assert_array_equal(mask, brute_mask(F))
        distinct = np.unique(F, axis=0).shape[0]  # the window holds distinct rows
        if distinct <= cap and work >= 1e9 and not np.isnan(F).any():  # nothing to make it give up
            assert done
    saved = {name: getattr(_pareto, name) for name in PIVOT_THRESHOLDS + WINDOW_THRESHOLDS}
    try:
        force_window_pass(_pareto, cap=cap, work=work, slack=slack)
        _pareto._SMALL = 0
        if F.shape[1] >= 2:
            np.testing.assert_array_equal(nondominated_mask(F), brute_mask(F))
    finally:
        for name, value in saved.items():
            setattr(_pareto, name, value)


@fast
@given(objective_sets(max_n=60), st.integers(1, 5))
def test_property_lexicographic_order(data, long_run):
    # The row order the sorts and sweeps start from: rows in lexicographic order, whichever
    # runs of ties numpy sorts and whichever the compiled code does.
    F, _ = data
    if F.shape[0] == 0:
        return
    saved = _pareto._LONG_TIE_RUN
    try:
        _pareto._LONG_TIE_RUN = long_run
        order = _pareto._lex_order(np.ascontiguousarray(F))
    finally:
        _pareto._LONG_TIE_RUN = saved
    np.testing.assert_array_equal(np.sort(order), np.arange(len(F)))
    np.testing.assert_array_equal(F[order], F[np.lexsort(F.T[::-1])])


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("row", [1, 2_500, 39_999])
def test_nan_is_never_hidden_by_the_window_pass(k, row):
    # Tied data, where the window pass answers; a NaN row would be dominated if its NaN were
    # read as a tie. The pass gives up at it and the error names the row.
    F = np.random.default_rng(row).integers(0, 5, (40_000, k)).astype(float)
    assert _pareto._window_mask(F)[1]
    F[row] = 4.0
    F[row, 0] = np.nan
    assert not _pareto._window_mask(F)[1]
    with pytest.raises(CandidatesError, match=f"row {row}"):
        nondominated_mask(F)


@pytest.mark.slow  # real-size inputs
@pytest.mark.parametrize("kind", ["tied", "uniform", "ml"])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_window_pass_at_its_real_size_matches_moocore(kind, k):
    rng = np.random.default_rng(k)
    F = rng.integers(0, 10, (60_000, k)).astype(float) if kind == "tied" else random_data(rng, kind, 60_000, k)
    mask, done = _pareto._window_mask(F)
    if done:
        np.testing.assert_array_equal(mask, moocore.is_nondominated(F, keep_weakly=True))
    if kind == "tied":
        assert done  # the case it is there for
    np.testing.assert_array_equal(nondominated_mask(F), moocore.is_nondominated(F, keep_weakly=True))


three_objectives = st.lists(
    st.lists(st.sampled_from([-np.inf, -1.0, 0.0, 0.25, 0.5, 1.0, 2.0, np.inf]), min_size=3, max_size=3),
    min_size=5,
    max_size=80,
)


@fast
@given(three_objectives, st.integers(1, 6), st.integers(1, 5), st.integers(0, 90))
def test_property_grid_pass_matches_brute_force(rows, sample, cells, strong_probe):
    # The three-objective grid lookup, with ties on the cell edges and infinite values.
    F = np.array(rows)
    saved = {name: getattr(_pareto, name) for name in PIVOT_THRESHOLDS}
    try:
        force_pivot_pass(_pareto, sample=sample, pivots=64, cells=cells, strong_probe=strong_probe)
        _pareto._SMALL = 0
        np.testing.assert_array_equal(nondominated_mask(F), brute_mask(F))
    finally:
        for name, value in saved.items():
            setattr(_pareto, name, value)


def per_front_tree_ranks(F, leaf, balance, max_level, scale=None):
    """Ranks of ``F``'s rows from the per-front tree kernel alone (lexicographic order in,
    ranks mapped back to the rows)."""
    F = np.ascontiguousarray(F, dtype=float)
    order = _pareto._lex_order(F)
    scale = _pareto._inverse_spread(F[:, 1:]) if scale is None else scale
    ranks = np.empty(len(F), dtype=np.int64)
    ranks[order] = _pareto._ens_ranks(np.ascontiguousarray(F[order]), leaf, balance, max_level, scale)
    return ranks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    objective_sets(max_n=80),
    st.integers(2, 6),
    st.sampled_from([0.5, 0.6, 0.8, 0.95, 1.0]),
    st.one_of(st.none(), st.integers(0, 5)),
)
def test_property_sorting_over_per_front_trees_matches_brute_force(data, leaf, balance, depth):
    # The kernel itself on tied, duplicated inputs: any leaf size, any balance (1.0 never
    # rebuilds a node, only splits full leaves; 0.5 rebuilds on nearly every insertion), any depth.
    F, _ = data
    if F.shape[0] == 0 or F.shape[1] < 2:
        return
    max_level = _pareto._NO_LIMIT if depth is None else depth
    got = per_front_tree_ranks(F, leaf, balance, max_level)
    expected = brute_ranks(F)
    np.testing.assert_array_equal(got, expected if depth is None else np.minimum(expected, depth + 1))


def test_per_front_tree_splits_below_a_tied_upper_half():
    # One front whose widest objective is 0, 4, 4, 4 fills a leaf of four rows: the median
    # split would leave the upper child empty, so the split goes below the largest value. The
    # last row (behind the first in every objective) must land in front 1.
    F = np.array([[0, 0, 3, 3], [0, 4, 0, 2], [0, 4, 1, 1], [0, 4, 2, 0], [1, 1, 4, 4]], dtype=float)
    got = per_front_tree_ranks(F, 4, 0.8, _pareto._NO_LIMIT, scale=np.ones(3))
    np.testing.assert_array_equal(got, [0, 0, 0, 0, 1])


@pytest.mark.parametrize("kind", ["ml", "grid", "correlated", "infinite"])
@pytest.mark.parametrize("k", [3, 4, 5])
def test_sorting_over_per_front_trees_at_scale_matches_moocore(kind, k):
    # 30 000 rows: fronts of thousands of rows, so the trees split and rebalance many times
    # (the three-objective staircase is bypassed to reach the same kernel). moocore crashes on
    # infinite values, so those 3,000 rows are checked against the brute-force oracle.
    F = random_data(np.random.default_rng(k), kind, 3_000 if kind == "infinite" else 30_000, k)
    got = per_front_tree_ranks(F, 32, 0.8, _pareto._NO_LIMIT)
    np.testing.assert_array_equal(got, brute_ranks(F) if kind == "infinite" else moocore.pareto_rank(F))
    if k >= 4:
        np.testing.assert_array_equal(nondominated_ranks(F), got)


@fast
@given(objective_sets(max_n=40, with_tolerance=True), st.integers(0, 6))
def test_property_depth_caps_the_full_ranks(data, depth):
    F, tol = data
    saved = _pareto._SMALL
    try:
        for small in (saved, 0):  # numpy and compiled
            _pareto._SMALL = small
            for t in (None, tol):
                np.testing.assert_array_equal(
                    nondominated_ranks(F, t, depth=depth), np.minimum(brute_ranks(F, t), depth + 1)
                )
    finally:
        _pareto._SMALL = saved


@fast
@given(objective_sets(with_tolerance=True))
def test_property_dominance_is_irreflexive_and_asymmetric(data):
    F, tol = data
    D = dominance_matrix(F, tol)
    assert not D.diagonal().any()
    assert not (D & D.T).any()


@fast
@given(objective_sets(with_tolerance=True), st.data())
def test_property_monotone_rescaling_changes_nothing(data, draw):
    F, tol = data
    if F.shape[0] == 0:
        return
    j = draw.draw(st.integers(0, F.shape[1] - 1))
    G = F.copy()
    G[:, j] = 3.0 * G[:, j] + 7.0  # exact on dyadic values
    np.testing.assert_array_equal(nondominated_mask(G), nondominated_mask(F))
    np.testing.assert_array_equal(nondominated_ranks(G), nondominated_ranks(F))
    H = F.copy()
    H[:, j] = np.exp(H[:, j])  # strictly increasing and injective on these values
    np.testing.assert_array_equal(nondominated_mask(H), nondominated_mask(F))
    np.testing.assert_array_equal(nondominated_ranks(H), nondominated_ranks(F))
    # With a tolerance, an affine rescaling must rescale the tolerance too.
    scaled = tol.copy()
    scaled[j] *= 3.0
    np.testing.assert_array_equal(nondominated_mask(G, scaled), nondominated_mask(F, tol))
    np.testing.assert_array_equal(nondominated_ranks(G, scaled), nondominated_ranks(F, tol))


@fast
@given(objective_sets(), st.data())
def test_property_adding_a_dominated_point_keeps_the_front(data, draw):
    F, _ = data
    if F.shape[0] == 0:
        return
    mask = nondominated_mask(F)
    member = draw.draw(st.sampled_from(np.flatnonzero(mask).tolist()))
    worse = F[member] + np.array(
        draw.draw(st.lists(st.sampled_from([0.0, 0.25, 1.0]), min_size=F.shape[1], max_size=F.shape[1]))
    )
    worse[draw.draw(st.integers(0, F.shape[1] - 1))] += 0.5  # strictly worse somewhere
    G = np.vstack([F, worse])
    new_mask = nondominated_mask(G)
    np.testing.assert_array_equal(new_mask[:-1], mask)
    assert not new_mask[-1]


@fast
@given(objective_sets(with_tolerance=True), st.randoms(use_true_random=False))
def test_property_permutation_invariance(data, rnd):
    F, tol = data
    perm = np.array(rnd.sample(range(len(F)), len(F)), dtype=int)
    for t in (None, tol):
        for call in (nondominated_mask, nondominated_ranks):
            np.testing.assert_array_equal(call(F[perm], t), call(F, t)[perm])
