"""Non-dominated filtering and sorting kernels.

Pure numerical kernels: NumPy arrays in, NumPy arrays out, every objective already
**minimised** (the caller negates maximised ones). ``F`` has shape ``(n, k)``: one row per
candidate, one column per objective.

Dominance
    ``a`` dominates ``b`` iff ``a_i <= b_i`` for every objective ``i`` and ``a_i < b_i`` for
    at least one. Identical rows do not dominate each other, so duplicates of a
    non-dominated row are all non-dominated.

Dominance with a tolerance ``tol`` (shape ``(k,)``, ``>= 0``)
    ``a`` dominates ``b`` iff ``a_i <= b_i + tol_i`` for every ``i`` and
    ``a_i < b_i - tol_i`` for at least one ``i``: differences within the tolerance are ties.
    The relation is irreflexive and asymmetric but not transitive, and for ``k >= 3`` it can
    even contain cycles, so that every row is dominated (see :func:`nondominated_ranks`).

Algorithms (chosen per call, all exact; a dominating row never has a larger value in any
objective, which every sort order below relies on):

* Mask, ``k >= 2``: one streaming pass first drops every row that a handful of running
  "pivots" (the best rows by a few weighted sums) dominates. Dropping is safe because
  dominance is transitive: whatever a dropped row dominates, its pivot dominates too. On
  typical data a small fraction of the rows survives; when most rows survive (large fronts)
  the pass notices early and stops filtering. For ``k == 3`` with more than a few pivots the
  pass looks each row up in a grid over the first two objectives holding the pivots' smallest
  third objective at or below each cell (one lookup per row, however many pivots). The
  survivors then go to:

  - ``k == 2``: sort by the first objective, sweep the running minimum of the second.
    O(n log n).
  - ``k == 3``: sweep in lexicographic order; a Fenwick tree over the ranks of the second
    objective holds prefix minima of the third. O(n log n).
  - ``k >= 4``: sort-filter-skyline (sort by normalised sum, compare each row with the
    running front) while the front stays small; when the scans grow long, a k-d tree that
    answers "does any row dominate this one?" with box pruning, which stays far below
    O(n^2) when most rows are non-dominated.

* Ranks, ``k == 2``: a lexicographic sweep that places each row in the first front whose
  smallest second objective so far exceeds the row's (binary search). O(n log n).
* Ranks, ``k >= 3``: fronts are peeled with the mask while a front holds a sizeable share of
  the remaining rows. For ``k == 3`` the rest is sorted in one lexicographic sweep that puts
  each row in the first front (binary search) whose staircase of (second, third) objective
  minima does not dominate it. For ``k >= 4`` (and the rare three-objective inputs that make
  the staircase shift too much) the rest is sorted by efficient non-dominated sorting: in
  lexicographic order, a binary search over the fronts built so far, each front a balanced
  tree that answers "does any of your rows dominate this one?" (:func:`_ens_ranks`).
  With a depth, only the fronts asked for get trees; a depth of 0 is the mask. Large inputs
  with few fronts of continuous values (a sample tells) are instead peeled front by front
  with the k-d tree below, which is faster there (see ``_KD_PEEL_MIN_ROWS``).
* Tolerance: the k-d tree with tolerance-aware bounds. Ranks peel fronts with it, re-querying
  a row only once the dominator found for it has been peeled (the per-front sorting needs a
  transitive relation, which dominance with a tolerance is not); a stalled peel (tolerance
  cycle) is broken by one query per row without tolerance. Its nodes split the objective
  widest in units of its spread: in raw units a latency in ms took every split from an
  accuracy in [0.8, 0.95] (ML-shaped 1e6 x 5, full peel: 15.5 s raw, 4.1 s scaled).

All compiled kernels use ``cache=True``; every call passes C-contiguous, writeable
``float64`` / ``int64`` arrays, so each kernel compiles once (the k-d tree search once per
child order).
"""

from __future__ import annotations

import numpy as np

from workbench.analysis._jit import njit
from workbench.errors import CandidatesError

__all__ = ["nondominated_mask", "nondominated_ranks"]

#: Rows per k-d tree leaf: small leaves prune better, large ones build faster.
_LEAF = 8
#: Sort-filter-skyline gives up (and the k-d tree takes over) when the rows of one block
#: need on average more than this many comparisons against the running front.
_SFS_BLOCK = 1024
_SFS_MAX_AVG_SCAN = 256
#: ... in blocks of an eighth of the rows when that is smaller, but at least this many: a
#: pivot sample of 1,024 rows that all lie on the front (a sphere) would otherwise be sorted
#: to the end before the first check (2.8 ms where the k-d tree takes 0.4 ms).
_SFS_MIN_BLOCK = 128
#: The three-objective sort falls back to the k-d tree after shifting this many staircase
#: entries per row (only adversarial inputs get there).
_RANKS_3D_MOVES_PER_ROW = 256
#: Ranks peel fronts with the mask while a front holds at least 1/16 of the remaining rows,
#: and start only if the front of a sample of about ``_PEEL_SAMPLE`` rows holds half of it
#: (curved ML-shaped fronts: ~30 % of such a sample; uniform rows in five objectives: ~20 %).
_PEEL_MIN_FRONT_FRACTION = 16
_PEEL_SAMPLE = 512
_PEEL_SAMPLE_SHARE = 2
#: The per-front trees of :func:`_ens_ranks`: rows per leaf, and the share of a node's rows
#: one child may hold before the node is rebuilt balanced.
_ENS_LEAF = 32
_ENS_BALANCE = 0.8
#: Full ranks in four or more objectives come from the k-d tree peel instead of the per-front
#: trees when there are at least ``_KD_PEEL_MIN_ROWS`` rows, at least ``_KD_PEEL_MIN_DEPTH``
#: fronts are asked for, and a sample of about ``_KD_PEEL_SAMPLE`` rows has at most
#: ``_KD_PEEL_SAMPLE_FRONTS`` fronts with at least ``_KD_PEEL_MIN_DISTINCT`` of its values
#: distinct in every objective: few, large fronts of continuous values. Measured at 1e6 rows,
#: per-front trees against the peel: uniform k = 4, 5, 6 4.3-4.8 / 3.0, 5.6-6.4 / 4.1,
#: 8.9 / 6.1 s (sample fronts 17, 10, 8); ML-shaped k = 5 4.9-5.2 / 4.1-4.3 s (9); correlated
#: 2.3-3.6 / 4.8-5.6 s (29-48 sample fronts); ten tied values per objective 0.3-4.1 / 3.0-6.3 s
#: (the trees skip duplicates; the peel's median splits stall on ties). At 3e5 rows the two are
#: within 5 % (uniform, ML), below that the trees win; asked for 10 fronts or fewer, the trees
#: win at any size.
_KD_PEEL_MIN_ROWS = 1 << 19
_KD_PEEL_MIN_DEPTH = 32
_KD_PEEL_SAMPLE = 4096
_KD_PEEL_SAMPLE_FRONTS = 20
_KD_PEEL_MIN_DISTINCT = 0.5
_NO_LIMIT = np.iinfo(np.int64).max
#: Up to this many rows the mask and the ranks come from a numpy dominance matrix: as fast as
#: the compiled kernels there, and a first small analysis never starts numba's compiler.
_SMALL = 256
#: The pivot pass stops filtering after this many rows if more than half of them survived.
_PREFILTER_PROBE = 16384
#: Pivots come from the front of a sample of about n / 16 rows, at least
#: ``_PIVOT_MIN_SAMPLE`` (inputs up to twice that skip the pass) and at most
#: ``_PIVOT_SAMPLE``; at most ``_PIVOT_MAX`` of its front are used.
_PIVOT_SAMPLE = 4096
_PIVOT_MIN_SAMPLE = 1024
#: When more than this share of the pivot sample is on the sample's front, the pivot pass is
#: skipped: it would keep nearly every row (a sphere: all of them).
_CROWDED_SAMPLE = 0.5
#: In four or more objectives, when at least this many rows of the pivot sample are on its front,
#: the pivot pass's survivors go straight to the k-d tree. Their front is then large: survivors
#: and their front, measured, ML-shaped 1e4-1e6 x 5 1,851 / 542 to 131,551 / 2,068 (sample
#: fronts 214-437; the tree 1.0-2.1x faster than the other paths, on par at 1e6); uniform
#: k = 6, 8 (660-1,526; the tree 1.0-1.6x faster). Correlated objectives, whose sample fronts
#: hold 73-96 rows, keep few survivors with small fronts, where the other paths are 2-8x faster.
_LARGE_SAMPLE_FRONT = 200
#: :func:`_running_pass` reads rows in blocks of ``_RUNNING_BLOCK`` and gives up when more than
#: 3 in 8 of a block's rows survive, from row ``_RUNNING_PROBE`` on (the first block's pivots are
#: still weak). Measured per block of 4,096 rows at 1e6: uniform 0.36 then <= 0.27 (k = 5) and
#: <= 0.10 (k <= 3); tied <= 0.19; ML-shaped 0.43-0.74 throughout; a sphere 1.0. So on a
#: curved front (ML candidates) it costs about 8,000 cheap comparisons. Its survivors are kept
#: when they are at most ``_RUNNING_KEEP_SHARE`` of the rows (a quarter lost uniform 1e4 x 5,
#: where 27 % survived: 2.3 ms against 1.2 ms; no other cell measured moved).
_RUNNING_PROBE = 4096
_RUNNING_BLOCK = 4096
_RUNNING_KEEP_SHARE = 0.5
#: The survivors of a pivot pass crowd around the front: filtering them again only pays above
#: this many (at 6,000 survivors of 1e5 uniform rows in five objectives a second pass took 7.1 ms
#: where the exact mask takes 4.4 ms).
_REFILTER_MIN = 2 * _PIVOT_SAMPLE
#: Slices of the first objective in the tabulated two-objective staircase.
_STAIR_SLICES = 4096
#: Cells per objective of the grid over the first two objectives in the three-objective pass.
_GRID_CELLS = 128
#: With this many pivots or fewer, scanning them is as cheap as the grid's lookup.
_GRID_MIN_PIVOTS = 8
#: The three-objective pass checks the strongest pivots first for this many rows, and for the
#: rest only if they dominated most of those.
_STRONG_PROBE = 1024
_PIVOT_MAX = 256
#: Runs of ties in the first objective at least this long are sorted by the second with
#: numpy's (SIMD) argsort rather than in compiled code.
_LONG_TIE_RUN = 4096
#: Above ``_WINDOW_MIN`` rows, the mask without tolerance first tries one block-nested-loops
#: pass (:func:`_window_pass`), which wins when few distinct rows are ever non-dominated (ties,
#: a dominant row, a short front): it gives up when its window of distinct rows would exceed
#: ``_WINDOW_CAP`` or it compares more window rows per row read than ``_WINDOW_WORK_2D`` (two
#: objectives, where a curved front of a few dozen rows costs 2-3 and the staircase pass is
#: faster) or ``_WINDOW_WORK``, plus a start-up allowance (``_WINDOW_SLACK*``). Ties in five
#: objectives cost ~10 comparisons per row until a dominant row turns up (thousands of rows
#: in), then ~1; a curved three-objective front costs 10-20 throughout and gives up after
#: about 2,000 rows.
_WINDOW_MIN = 2048
_WINDOW_CAP = 128
_WINDOW_WORK_2D = 1.5
_WINDOW_SLACK_2D = 4096
_WINDOW_WORK = 4.0
_WINDOW_SLACK = 32768


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def nondominated_mask(F: np.ndarray, tolerance: np.ndarray | None = None) -> np.ndarray:
    """Flag the rows of ``F`` that no other row dominates (all objectives minimised).

    Parameters
    ----------
    F : numpy.ndarray, shape (n, k)
        Objective values, one row per candidate; converted to ``float64``. ``±inf`` is
        allowed, NaN is not.
    tolerance : numpy.ndarray, shape (k,), optional
        Non-negative per-objective tolerance: differences within it are ties (see the module
        docstring). ``None`` or all zeros means plain Pareto dominance.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        ``True`` where no other row dominates the row. Duplicated rows do not dominate each
        other. With a tolerance and ``k >= 3`` every row can be dominated (the relation can
        have cycles), so the mask can be all ``False``; see :func:`nondominated_ranks`.

    Raises
    ------
    ValueError
        If ``F`` is not two-dimensional or contains NaN, or ``tolerance`` has the wrong
        shape or a negative or NaN entry (raised as
        :class:`~workbench.errors.CandidatesError`, a ``ValueError``).

    Examples
    --------
    >>> import numpy as np
    >>> F = np.array([[1.0, 4.0], [2.0, 2.0], [2.0, 2.0], [2.5, 1.9], [3.0, 3.0]])
    >>> nondominated_mask(F)  # the duplicates [2, 2] are both kept
    array([ True,  True,  True,  True, False])

    Within a tolerance of 0.2, 1.9 ties with 2, so [2, 2] dominates [2.5, 1.9]:

    >>> nondominated_mask(F, tolerance=np.array([0.2, 0.2]))
    array([ True,  True,  True, False, False])
    """
    F = _as_points(F)
    n, k = F.shape
    tol = _as_tolerance(tolerance, k)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if n <= _SMALL and k >= 2:
        _check_no_nan(F)
        return ~_dominance(F, tol).any(axis=0)
    if tol is not None:
        _check_no_nan(F)
        query = np.ones(n, dtype=bool)
        if n > 2 * _PIVOT_MIN_SAMPLE and k >= 2:
            # A row that a pivot (a real row) dominates is dominated: only the others need a
            # query, but against every row (tolerance dominance is not transitive).
            P, strong, front_share, _ = _pivots(F)
            if front_share <= _CROWDED_SAMPLE:  # else the pivots would remove (almost) nothing
                keep, crowded, _ = _pivot_pass(F, P, strong, _PREFILTER_PROBE, tol)
                if not crowded:
                    query[:] = False
                    query[keep] = True
        return _kd_mask(F, tol, _LEAF, query, _inverse_spread(F))
    if k <= 1:
        _check_no_nan(F)
        if k == 0:  # no objectives: every row ties with every other
            return np.ones(n, dtype=bool)
        column = F[:, 0]
        return column == column.min()

    # the running pivots first: where they answer (uncorrelated or tied objectives) they are
    # faster than the window pass (uniform 1e6 x 3: 7 ms against 16 ms), and they give up on a
    # curved front after a few thousand rows
    if n > 2 * _PIVOT_MIN_SAMPLE:
        mask = _running_mask(F)
        if mask is not None:
            return mask
    if n > _WINDOW_MIN:
        mask, done = _window_mask(F)
        if done:
            return mask
    return _mask_plain(F, running=False)


def _window_mask(F: np.ndarray) -> tuple[np.ndarray, bool]:
    """:func:`_window_pass` with the budget for ``F``'s number of objectives."""
    if F.shape[1] == 2:
        return _window_pass(F, _WINDOW_CAP, _WINDOW_WORK_2D, _WINDOW_SLACK_2D)
    return _window_pass(F, _WINDOW_CAP, _WINDOW_WORK, _WINDOW_SLACK)


def nondominated_ranks(F: np.ndarray, tolerance: np.ndarray | None = None, depth: int | None = None) -> np.ndarray:
    """Number of the non-dominated front of each row, by repeated peeling (0 = best).

    Front 0 holds the rows no other row dominates; remove it, and front 1 holds the rows no
    remaining row dominates; and so on. Duplicated rows always share a front.

    Parameters
    ----------
    F : numpy.ndarray, shape (n, k)
        Objective values, all minimised; converted to ``float64``. NaN is not allowed.
    tolerance : numpy.ndarray, shape (k,), optional
        Non-negative per-objective tolerance, as in :func:`nondominated_mask`.
    depth : int, optional
        Rank only fronts ``0..depth``: every row behind them gets ``depth + 1`` ("beyond").
        Fronts are peeled one at a time, so a small depth costs a fraction of the full sort
        on large inputs with many fronts. ``None`` (default) ranks every front.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        0-based front index of each row. For ``k == 1`` this is the dense rank of the value.
        With ``depth``, ``numpy.minimum(full_ranks, depth + 1)``.

    Notes
    -----
    With a tolerance and ``k >= 3`` the relation can contain cycles (``a`` dominates ``b``
    dominates ``c`` dominates ``a``; on dense fronts this is common), and peeling can stall:
    every remaining row is dominated by another remaining row. The stall is broken with plain
    Pareto dominance: the next front is the remaining rows that no remaining row dominates
    without tolerance; then peeling with the tolerance continues. So ``ranks == 0`` equals
    ``nondominated_mask(F, tolerance)`` unless that mask is all ``False`` (only a cycle can
    cause that), in which case front 0 is the plain Pareto front. Without a tolerance (or
    for ``k <= 2``) there are no cycles.

    Examples
    --------
    >>> import numpy as np
    >>> F = np.array([[1.0, 4.0], [2.0, 2.0], [2.0, 2.0], [2.5, 1.9], [3.0, 3.0]])
    >>> nondominated_ranks(F)
    array([0, 0, 0, 0, 1])
    >>> nondominated_ranks(F, tolerance=np.array([0.2, 0.2]))
    array([0, 0, 0, 1, 2])
    >>> nondominated_ranks(F, tolerance=np.array([0.2, 0.2]), depth=0)  # 1 = beyond front 0
    array([0, 0, 0, 1, 1])
    """
    F = _as_points(F)
    n, k = F.shape
    tol = _as_tolerance(tolerance, k)
    max_level = _as_depth(depth)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    _check_no_nan(F)
    if n <= _SMALL and k >= 2:
        return _ranks_small(F, tol, max_level)
    if tol is not None:
        return _kd_ranks_peel(F, tol, _LEAF, max_level, _inverse_spread(F))
    if k == 0:
        ranks = np.zeros(n, dtype=np.int64)
    elif k == 1:
        ranks = np.unique(F[:, 0], return_inverse=True)[1].astype(np.int64).reshape(n)
    elif k == 2:
        ranks = _ranks_2d(F, _lex_order(F))
    elif max_level == 0:  # front 0 is the mask
        return np.where(_mask_plain(F), 0, 1).astype(np.int64)
    else:
        ranks = _ranks_plain(F, max_level)
    return ranks if max_level == _NO_LIMIT else np.minimum(ranks, max_level + 1)


# --------------------------------------------------------------------------------------
# Validation and dispatch
# --------------------------------------------------------------------------------------


def _as_points(F: np.ndarray) -> np.ndarray:
    F = np.asarray(F, dtype=np.float64)
    if F.ndim != 2:
        raise CandidatesError(
            f"Objective values must be a 2-D array of shape (n, k); got shape {F.shape}.\n"
            "  Fix: pass one row per candidate and one column per objective "
            "(reshape a single objective with F.reshape(-1, 1))."
        )
    F = np.ascontiguousarray(F)
    # numba compiles separate code for read-only arrays; a copy keeps one signature each.
    return F if F.flags.writeable else F.copy()


def _as_tolerance(tolerance: np.ndarray | None, k: int) -> np.ndarray | None:
    if tolerance is None:
        return None
    tol = np.ascontiguousarray(tolerance, dtype=np.float64)
    if tol.shape != (k,):
        raise CandidatesError(f"tolerance must have shape ({k},), one entry per objective; got shape {tol.shape}.")
    if np.isnan(tol).any() or (tol < 0).any():
        raise CandidatesError(f"tolerance must be >= 0 for every objective; got {tol.tolist()!r}.")
    return tol if tol.any() else None


def _as_depth(depth: int | None) -> int:
    if depth is None:
        return _NO_LIMIT
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
        raise CandidatesError(
            f"depth must be a whole number >= 0 (the last front to rank) or None (every front); got {depth!r}."
        )
    return int(depth)


def _check_no_nan(F: np.ndarray) -> None:
    # ``min`` propagates NaN: one pass, no temporary (``isnan(F).any(axis=1)`` took 0.14 ms of a
    # 0.9 ms two-objective sort at 1e4 rows); the row is only looked for when there is one
    if F.size and np.isnan(F.min()):
        _raise_nan(F, int(np.flatnonzero(np.isnan(F).any(axis=1))[0]))


def _raise_nan(F: np.ndarray, row: int) -> None:
    column = int(np.flatnonzero(np.isnan(F[row]))[0])
    raise CandidatesError(
        f"Objective values contain NaN (first at row {row}, column {column}); "
        "dominance is undefined for missing values.\n"
        "  Fix: drop or impute the candidates with missing objective values first."
    )


def _dominance(F: np.ndarray, tol: np.ndarray | None) -> np.ndarray:
    """``D[a, b]``: row ``a`` dominates row ``b`` (with tolerance ``tol``), for small inputs."""
    A, B = F[:, None, :], F[None, :, :]
    if tol is None:
        return (A <= B).all(axis=2) & (A < B).any(axis=2)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, which compares False
        return (B + tol >= A).all(axis=2) & (B - tol > A).any(axis=2)


def _ranks_small(F: np.ndarray, tol: np.ndarray | None, max_level: int) -> np.ndarray:
    """Fronts of a small ``F`` (no NaN) by peeling the dominance matrix, tolerance cycles
    broken by plain dominance (as :func:`_kd_ranks_peel` does); behind ``max_level``,
    ``max_level + 1``."""
    n = F.shape[0]
    D = _dominance(F, tol)
    count = D.sum(axis=0)  # remaining dominators of each row
    ranks = np.full(n, -1, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    level = 0
    while alive.any():
        if level > max_level:
            ranks[alive] = level
            break
        front = alive & (count == 0)
        if not front.any():  # a tolerance cycle: plain dominance among the remaining rows
            plain = _dominance(F[alive], None).any(axis=0)
            front = np.zeros(n, dtype=bool)
            front[np.flatnonzero(alive)[~plain]] = True
        ranks[front] = level
        alive &= ~front
        count -= D[front].sum(axis=0)
        level += 1
    return ranks


def _running_mask(F: np.ndarray) -> np.ndarray | None:
    """The mask of ``F`` (no tolerance, n > 2 ``_PIVOT_MIN_SAMPLE``) through the running pivots,
    or ``None`` when they gave up or more than ``_RUNNING_KEEP_SHARE`` of the rows survived them."""
    n = F.shape[0]
    keep, gave_up, nan_row = _running_pass(F, _RUNNING_PROBE, _RUNNING_BLOCK)
    if nan_row >= 0:
        _check_no_nan(F)  # names the first row with NaN
    if gave_up or _RUNNING_KEEP_SHARE * n < keep.shape[0]:
        return None
    mask = np.zeros(n, dtype=bool)
    # straight to the exact mask: filtering the survivors again was slower at every size
    # measured (1e6 x 5 uniform: 46,000 survivors, 38 ms exact against 55 ms)
    mask[keep] = _mask_exact(np.ascontiguousarray(F[keep]), False)
    return mask


def _mask_plain(F: np.ndarray, running: bool = True) -> np.ndarray:
    """Non-dominated mask of ``F`` (shape (n, k), n >= 1, k >= 2) without tolerance; ``running``:
    try the running pivots first (the caller has not)."""
    n = F.shape[0]
    if n <= 2 * _PIVOT_MIN_SAMPLE:
        _check_no_nan(F)
        return _mask_exact(F, False)
    if running:
        mask = _running_mask(F)
        if mask is not None:
            return mask
    P, strong, front_share, sample_front = _pivots(F)
    if front_share > _CROWDED_SAMPLE:
        # most of the sample is on its front, so the pivots would remove (almost) nothing: a
        # sphere 1e4 x 5 spent 8 ms in the pass before the exact mask's 9 ms
        _check_no_nan(F)
        return _mask_exact(F, True)
    if F.shape[1] == 2 and P.shape[0] and np.isfinite(P).all() and P[-1, 0] > P[0, 0]:
        # A table of the staircase's height per slice of the first objective: a row is dropped
        # when the staircase at the start of its slice is strictly below it (conservative
        # within a slice; the survivors are checked exactly).
        lo, hi = P[0, 0], P[-1, 0]
        edges = lo + (hi - lo) * np.arange(_STAIR_SLICES) / _STAIR_SLICES
        step = np.ascontiguousarray(P[np.searchsorted(P[:, 0], edges, side="right") - 1])
        keep, crowded, nan_row = _stair_pass(F, lo, _STAIR_SLICES / (hi - lo), step, _PREFILTER_PROBE)
    elif F.shape[1] == 2:
        keep, crowded, nan_row = _pivot_pass_2d(F, P, _PREFILTER_PROBE)
    elif F.shape[1] == 3 and P.shape[0] > _GRID_MIN_PIVOTS and np.isfinite(P[:, :2]).all():
        # A table of the smallest third objective among the pivots at or below each cell of a
        # grid over the first two: a row is dropped when the table at its cell's lower corner
        # is strictly below its third objective (conservative within a cell). One lookup per
        # row, however many pivots there are.
        lo, hi = P[:, :2].min(axis=0), P[:, :2].max(axis=0)
        span = hi - lo
        scale = np.divide(_GRID_CELLS, span, out=np.zeros(2), where=span > 0)
        edges = lo + span * (np.arange(_GRID_CELLS) / _GRID_CELLS)[:, None]
        table = _grid_table(P, np.ascontiguousarray(edges[:, 0]), np.ascontiguousarray(edges[:, 1]))
        keep, crowded, nan_row = _grid_pass_3d(
            F,
            P,
            strong,
            np.ascontiguousarray(edges[:, 0]),
            scale[0],
            np.ascontiguousarray(edges[:, 1]),
            scale[1],
            table,
            _PREFILTER_PROBE,
        )
    else:
        keep, crowded, nan_row = _pivot_pass(F, P, strong, _PREFILTER_PROBE, np.zeros(F.shape[1]))
    if nan_row >= 0:
        _check_no_nan(F)  # names the first row with NaN
    if keep.shape[0] == n:
        return _mask_exact(F, crowded)
    mask = np.zeros(n, dtype=bool)
    rest = np.ascontiguousarray(F[keep])
    if F.shape[1] >= 4 and sample_front >= _LARGE_SAMPLE_FRONT:
        # a large front among the survivors (curved fronts in several objectives): the k-d tree
        # answers them faster than filtering again or sort-filter-skyline (ML-shaped 1e5 x 5:
        # 14,000 survivors, 6.9 ms against 12.6 ms)
        mask[keep] = _mask_exact(rest, True)
        return mask
    # The survivors crowd around the front, so pivots sampled from them are closer to it:
    # filter again while that still removes most rows.
    again = 2 * keep.shape[0] < n and keep.shape[0] > _REFILTER_MIN
    mask[keep] = _mask_plain(rest) if again else _mask_exact(rest, crowded)
    return mask


def _pivots(F: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Pivots for :func:`_pivot_pass`: the exact front of an evenly strided sample of ``F``
    (at most ``_PIVOT_MAX`` of its rows, evenly spaced in column 0), sorted by column 0; the
    pivots minimising the normalised sum and the sum plus each objective (the front's centre
    and extremes, which dominate most rows of uniform-like data); the share of the sample on
    its front (0 for an empty sample); and the number of rows on it. When a quarter of the
    sample shows a crowded front, there are no pivots and the share and number are that
    quarter's."""
    n, k = F.shape
    sample = min(_PIVOT_SAMPLE, max(_PIVOT_MIN_SAMPLE, n // 16))  # a cheap share of small inputs
    S = np.ascontiguousarray(F[:: max(1, n // sample)])
    S = S[~np.isnan(S).any(axis=1)]  # NaN rows are reported by the pass
    if S.shape[0] == 0:
        return np.empty((0, k)), np.empty(0, dtype=np.int64), 0.0, 0
    if S.shape[0] >= 2 * _PIVOT_MIN_SAMPLE:
        # a crowded front shows in a quarter of the sample already (its front is a larger share
        # of fewer rows): the caller will not use the pivots (a sphere 1e5 x 5: 4.7 -> 0.8 ms)
        first = np.ascontiguousarray(S[:: S.shape[0] // _PIVOT_MIN_SAMPLE])
        front_size = int(np.count_nonzero(_mask_exact(first, False)))
        if front_size > _CROWDED_SAMPLE * first.shape[0]:
            return np.empty((0, k)), np.empty(0, dtype=np.int64), front_size / first.shape[0], front_size
    on_front = _mask_exact(S, False)
    front_size = int(np.count_nonzero(on_front))
    P = S[on_front]
    P = P[np.argsort(P[:, 0], kind="stable")]
    if P.shape[0] > _PIVOT_MAX:
        P = P[np.linspace(0, P.shape[0] - 1, _PIVOT_MAX).round().astype(np.int64)]
    P = np.ascontiguousarray(P)
    with np.errstate(invalid="ignore"):
        lo, hi = P.min(axis=0), P.max(axis=0)
        span = hi - lo
        ok = np.isfinite(span) & (span > 0)
        Z = np.where(ok, (P - lo) / np.where(ok, span, 1.0), 0.0)
    Z[~np.isfinite(Z)] = 0.0
    total = Z.sum(axis=1)
    strong = np.unique(np.concatenate([[np.argmin(total)], np.argmin(total[:, None] + Z, axis=0)]))
    return P, strong.astype(np.int64), front_size / S.shape[0], front_size


def _ranks_plain(F: np.ndarray, max_level: int) -> np.ndarray:
    """Front index of each row of ``F`` (shape (n, k), n >= 1, k >= 3, no NaN); rows behind
    front ``max_level`` may get any larger index (the caller caps them)."""
    n, k = F.shape
    ranks = np.empty(n, dtype=np.int64)
    rows = np.arange(n)
    level = 0
    # While fronts are large, peel them with the (fast) mask: the rows a front dominates
    # rank exactly one below their rank among themselves. Large fronts are what makes the
    # full sorts below slow, and they are often the whole answer; many small fronts
    # (correlated objectives) would make peeling slow. A strided sample tells the two apart
    # before the first full mask (a sample's front is a larger share than the whole's).
    peel = True
    if n > 2 * _PEEL_SAMPLE:
        sample = np.ascontiguousarray(F[:: n // _PEEL_SAMPLE])
        peel = int(np.count_nonzero(_mask_plain(sample))) * _PEEL_SAMPLE_SHARE >= sample.shape[0]
    while peel:
        front = _mask_plain(F)
        n_front = int(np.count_nonzero(front))
        if n_front == F.shape[0]:
            ranks[rows] = level
            return ranks
        if n_front * _PEEL_MIN_FRONT_FRACTION < F.shape[0]:
            break
        ranks[rows[front]] = level
        rows, F = rows[~front], F[~front]
        level += 1
        if level > max_level:
            ranks[rows] = level
            return ranks
    if k >= 4 and _deeper(max_level, level) >= _KD_PEEL_MIN_DEPTH and _few_continuous_fronts(F):
        ranks[rows] = level + _kd_ranks_peel(F, np.zeros(k), _LEAF, _deeper(max_level, level), _inverse_spread(F))
        return ranks
    order = _lex_order(F)
    if k == 3:
        sorted_ranks, finished = _ranks_3d(F[order], _RANKS_3D_MOVES_PER_ROW * F.shape[0])
        if finished:
            ranks[rows[order]] = level + sorted_ranks
            return ranks
    ranks[rows[order]] = level + _ens_ranks(
        np.ascontiguousarray(F[order]), _ENS_LEAF, _ENS_BALANCE, _deeper(max_level, level), _inverse_spread(F[:, 1:])
    )
    return ranks


def _few_continuous_fronts(F: np.ndarray) -> bool:
    """Whether ``F`` (no NaN) is large, and an evenly strided sample of it has few fronts and
    mostly distinct values in every objective: where the k-d tree peel ranks faster than the
    per-front trees (see ``_KD_PEEL_MIN_ROWS``)."""
    n = F.shape[0]
    if n < _KD_PEEL_MIN_ROWS:
        return False
    S = np.ascontiguousarray(F[:: max(1, n // _KD_PEEL_SAMPLE)])
    C = np.sort(S, axis=0)  # each column's distinct values: the steps between sorted neighbours
    distinct = 1 + np.count_nonzero(C[1:] != C[:-1], axis=0)
    if (distinct < _KD_PEEL_MIN_DISTINCT * S.shape[0]).any():
        return False
    order = _lex_order(S)
    fronts = _ens_ranks(
        np.ascontiguousarray(S[order]), _ENS_LEAF, _ENS_BALANCE, _KD_PEEL_SAMPLE_FRONTS, _inverse_spread(S[:, 1:])
    )
    return int(fronts.max()) < _KD_PEEL_SAMPLE_FRONTS


def _deeper(max_level: int, level: int) -> int:
    """The depth left to rank once ``level`` fronts are peeled (no limit stays no limit)."""
    return max_level if max_level == _NO_LIMIT else max_level - level


def _inverse_spread(F: np.ndarray) -> np.ndarray:
    """One over each column's standard deviation in an evenly strided sample of ``F`` (at most
    about ``_PIVOT_SAMPLE`` rows; 1 where it is 0 or not finite). The trees (:func:`_kd_build`,
    :func:`_ens_ranks`) compare the objectives' widths in these units: in raw units a
    small-valued objective is never split (a fairness gap or an accuracy next to a latency in
    ms: the ML-shaped full k-d tree peel at 1e6 x 5 took 15.5 s in raw units, 4.1 s in these),
    and spread rather than range keeps a heavy tail from claiming every split."""
    with np.errstate(invalid="ignore", over="ignore"):
        spread = np.std(F[:: max(1, F.shape[0] // _PIVOT_SAMPLE)], axis=0)
    ok = np.isfinite(spread) & (spread > 0)
    return np.ascontiguousarray(np.where(ok, 1.0 / np.where(ok, spread, 1.0), 1.0))


def _mask_exact(P: np.ndarray, crowded: bool) -> np.ndarray:
    """Exact non-dominated mask of ``P`` (shape (m, k), k >= 2, no NaN)."""
    k = P.shape[1]
    if k == 2:
        return _mask_2d(P, np.argsort(P[:, 0]))
    if k == 3:
        order = _lex_order(P)
        S = P[order]
        ranks, n_ranks = _dense_ranks(S, 1, np.argsort(S[:, 1]))
        mask = np.empty(P.shape[0], dtype=bool)
        mask[order] = _mask_3d(S, ranks, n_ranks)
        return mask
    if not crowded:
        lo, hi = P.min(axis=0), P.max(axis=0)
    if not crowded and np.isfinite(lo).all() and np.isfinite(hi).all():
        span = hi - lo
        scale = np.divide(1.0, span, out=np.zeros(k), where=span > 0)
        sums = ((P - lo) * scale).sum(axis=1)
        mask, finished = _mask_sfs(P, np.argsort(sums), sums, _sfs_block(P.shape[0]), _SFS_MAX_AVG_SCAN)
        if finished:
            return mask
    return _kd_mask(P, np.zeros(k), _LEAF, np.ones(P.shape[0], dtype=np.bool_), _inverse_spread(P))


def _sfs_block(m: int) -> int:
    """Rows per budget check of :func:`_mask_sfs` on ``m`` rows (``_SFS_BLOCK``, or an eighth of
    a small input, at least ``_SFS_MIN_BLOCK``)."""
    return min(_SFS_BLOCK, max(_SFS_MIN_BLOCK, m // 8))


def _lex_order(P: np.ndarray) -> np.ndarray:
    """Row order of ``P`` sorted lexicographically (first column first)."""
    # numpy's argsort is SIMD-accelerated; ties in the first column are then resolved by the
    # remaining columns: long runs of ties (heavily tied data) by numpy's argsort of the second
    # column too, the rest, and deeper ties, in compiled code.
    order = np.argsort(P[:, 0])
    long_run = _LONG_TIE_RUN
    if P.shape[1] >= 2:
        first = P[order, 0]
        bounds = np.flatnonzero(first[1:] != first[:-1]) + 1
        bounds = np.concatenate(([0], bounds, [len(first)]))
        lengths = np.diff(bounds)
        for r in np.flatnonzero(lengths >= long_run):
            segment = order[bounds[r] : bounds[r + 1]]
            order[bounds[r] : bounds[r + 1]] = segment[np.argsort(P[segment, 1])]
        if P.shape[1] == 2 and not ((lengths > 1) & (lengths < long_run)).any():
            return order  # every tie is resolved (rows equal in both columns are alike)
    _sort_tie_runs(P, order, long_run)
    return order


# --------------------------------------------------------------------------------------
# Compiled kernels
# --------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _dominates(A, a, B, b):
    """Row ``a`` of ``A`` dominates row ``b`` of ``B``."""
    strictly = False
    for j in range(A.shape[1]):
        if not A[a, j] <= B[b, j]:  # written so that a NaN never looks dominated
            return False
        if A[a, j] < B[b, j]:
            strictly = True
    return strictly


@njit(cache=True, inline="always")
def _dominates_tol(A, a, B, b, tol):
    """Row ``a`` of ``A`` dominates row ``b`` of ``B`` with tolerance ``tol``."""
    strictly = False
    for j in range(A.shape[1]):
        if not A[a, j] <= B[b, j] + tol[j]:  # a NaN never looks dominated
            return False
        if A[a, j] < B[b, j] - tol[j]:
            strictly = True
    return strictly


@njit(cache=True)
def _running_pass(F, probe, block):
    """Drop the rows that one of ``k + 1`` running pivots dominates, in one pass.

    Pivot 0 is the row read so far with the smallest normalised sum of objectives, pivot
    ``j + 1`` the one with the smallest sum plus objective ``j`` (scales from a strided sample of
    1,024 rows): together they sit at the front's centre and ends. Where few rows are near the
    front (uncorrelated or tied objectives: 0.001-5 % of 1e6 rows survive in five objectives)
    this is the cheapest filter there is, O(n k^2); on a curved front most rows survive, and
    the pass gives up once more than 3 in 8 of a block's rows survive, ``probe`` rows in at the
    earliest (:data:`_RUNNING_PROBE`; the pivots of the first rows are still weak).

    Returns ``(keep, gave_up, nan_row)``: the surviving rows (ascending; none when it gave up),
    whether it gave up, and a row holding NaN (``-1`` if none was met).
    """
    n, k = F.shape
    step = max(1, n // 1024)
    lo = np.full(k, np.inf)
    hi = np.full(k, -np.inf)
    for i in range(0, n, step):
        for j in range(k):
            v = F[i, j]
            if np.isfinite(v):
                lo[j] = min(lo[j], v)
                hi[j] = max(hi[j], v)
    scale = np.zeros(k)
    for j in range(k):
        if hi[j] > lo[j] and np.isfinite(hi[j] - lo[j]):
            scale[j] = 1.0 / (hi[j] - lo[j])
        elif not lo[j] <= hi[j]:
            lo[j] = 0.0
    n_pivots = k + 1
    pivots = np.full((n_pivots, k), np.inf)
    best = np.full(n_pivots, np.inf)
    z = np.empty(k)
    keep = np.empty(n, dtype=np.int64)
    m = 0
    for start in range(0, n, block):
        before = m
        for i in range(start, min(n, start + block)):
            if _dominated_by_a_pivot(pivots, F, i):  # never true for a row with NaN
                continue
            keep[m] = i
            m += 1
            total = 0.0
            for j in range(k):
                z[j] = (F[i, j] - lo[j]) * scale[j]
                total += z[j]
            if np.isnan(total):
                for j in range(k):
                    if np.isnan(F[i, j]):
                        return keep[:0], True, i
                continue  # inf - inf from infinite values: not a pivot
            if total < best[0]:
                best[0] = total
                pivots[0, :] = F[i, :]
            for j in range(k):
                if total + z[j] < best[j + 1]:
                    best[j + 1] = total + z[j]
                    pivots[j + 1, :] = F[i, :]
        if start >= probe and 8 * (m - before) > 3 * block:
            return keep[:0], True, -1  # the pivots still let more than 3 rows in 8 through
    # the first rows met only the first pivots: check them against the final ones
    kept = 0
    for u in range(m):
        if not _dominated_by_a_pivot(pivots, F, keep[u]):
            keep[kept] = keep[u]
            kept += 1
    return keep[:kept], False, -1


@njit(cache=True, inline="always")
def _dominated_by_a_pivot(pivots, F, i):
    for t in range(pivots.shape[0]):
        if _dominates(pivots, t, F, i):
            return True
    return False


@njit(cache=True)
def _window_pass(F, cap, work_per_row, slack):
    """Block-nested-loops (Börzsönyi, Kossmann and Stocker, ICDE 2001) while its window stays
    small: one pass keeps the distinct non-dominated rows seen so far (at most ``cap``), the
    one that dominated the last row first. Returns the exact mask and True; or False as soon
    as the window would exceed ``cap``, the comparisons exceed ``slack`` plus ``work_per_row``
    per row read (a front that is large or reached late), or a row holds a NaN: then the
    caller's other path runs, having lost at most that budget.

    A row is compared with a window row on all objectives without branching (random ties
    would defeat the branch predictor). The rows kept (``kept``) point to the window entry they
    created or equal; an entry dominated later takes its duplicates with it (``alive``)."""
    n, k = F.shape
    mask = np.zeros(n, dtype=np.bool_)
    window = np.empty(cap, dtype=np.int64)  # row of each window slot
    ids = np.empty(cap, dtype=np.int64)  # entry of each window slot
    kept = np.empty(n, dtype=np.int64)  # rows kept so far ...
    kept_entry = np.empty(n, dtype=np.int64)  # ... and their entries
    alive = np.empty(n, dtype=np.bool_)
    for j in range(k):
        if np.isnan(F[0, j]):
            return mask, False
    window[0], ids[0], alive[0], kept[0], kept_entry[0] = 0, 0, True, 0, 0
    m, fresh, c, work = 1, 1, 1, 0
    for i in range(1, n):
        if (i & 255) == 0 and work > work_per_row * i + slack:
            return mask, False
        total = 0.0
        for j in range(k):
            total += F[i, j]
        if total != total:  # NaN, or +inf and -inf in one row
            for j in range(k):
                if np.isnan(F[i, j]):
                    return mask, False
        same = -1
        s = 0
        while s < m:
            w = window[s]
            work += 1
            w_le = True  # the window row is <= row i everywhere
            w_lt = False  # ... and < somewhere
            r_lt = False  # row i is < the window row somewhere
            for j in range(k):
                a, b = F[w, j], F[i, j]
                w_le &= a <= b
                w_lt |= a < b
                r_lt |= a > b
            if w_le:
                if w_lt:
                    same = -2  # dominated
                    if s > 0:  # move to front: the next rows are likely dominated by it too
                        window[s], window[0] = window[0], window[s]
                        ids[s], ids[0] = ids[0], ids[s]
                else:
                    same = ids[s]
                break
            if r_lt and not w_lt:  # row i dominates the window row: drop it and its duplicates
                alive[ids[s]] = False
                m -= 1
                window[s], ids[s] = window[m], ids[m]
                continue
            s += 1
        if same == -2:
            continue
        if same < 0:
            if m == cap:
                return mask, False
            window[m], ids[m] = i, fresh
            alive[fresh] = True
            same = fresh
            fresh += 1
            m += 1
        kept[c], kept_entry[c] = i, same
        c += 1
    for u in range(c):
        if alive[kept_entry[u]]:
            mask[kept[u]] = True
    return mask, True


@njit(cache=True)
def _stair_pass(F, lo, scale, step, probe):
    """:func:`_pivot_pass_2d` with the staircase tabulated: slice ``s`` of the first objective
    starts at about ``lo + s / scale`` and ``step[s]`` is the last pivot at or before that
    start. A row whose first objective is at least the pivot's and whose second is strictly
    above it is dominated by the pivot."""
    n = F.shape[0]
    last = step.shape[0] - 1
    keep = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if i == probe and 2 * m > probe:
            for r in range(n):
                if np.isnan(F[r, 0]) or np.isnan(F[r, 1]):
                    return keep[:0], True, r
            for r in range(n):
                keep[r] = r
            return keep, True, -1
        a = F[i, 0]
        if a >= lo:  # False for NaN
            x = (a - lo) * scale
            s = last if x >= last else int(x)
            if step[s, 0] <= a and step[s, 1] < F[i, 1]:
                continue
        keep[m] = i
        m += 1
    for u in range(m):
        if np.isnan(F[keep[u], 0]) or np.isnan(F[keep[u], 1]):
            return keep[:0], False, keep[u]
    return keep[:m], False, -1


@njit(cache=True)
def _grid_table(P, edge0, edge1):
    """``table[s, t]``: the smallest third objective among the pivots (rows of ``P``) whose
    first objective is at most ``edge0[s]`` and whose second is at most ``edge1[t]``
    (``+inf`` if none)."""
    g0, g1 = edge0.shape[0], edge1.shape[0]
    table = np.full((g0, g1), np.inf)
    for u in range(P.shape[0]):
        s = np.searchsorted(edge0, P[u, 0], side="left")  # first edge at or above the pivot
        t = np.searchsorted(edge1, P[u, 1], side="left")
        if s < g0 and t < g1 and P[u, 2] < table[s, t]:
            table[s, t] = P[u, 2]
    for s in range(g0):
        for t in range(g1):
            best = table[s, t]
            if s > 0 and table[s - 1, t] < best:
                best = table[s - 1, t]
            if t > 0 and table[s, t - 1] < best:
                best = table[s, t - 1]
            table[s, t] = best
    return table


@njit(cache=True)
def _grid_pass_3d(F, P, strong, edge0, scale0, edge1, scale1, table, probe):
    """Drop the rows of ``F`` (three objectives) that a pivot dominates, per :func:`_grid_table`.

    A row falls in the cell whose lower corner ``(edge0[s], edge1[t])`` is the last one at or
    below it; every pivot counted in ``table[s, t]`` is then at or below the row in the first
    two objectives, so a table value strictly below the row's third objective is a dominating
    pivot, and so is an equal one when the corner is strictly below the row in the first or
    second objective. The pivots ``P[strong]`` are checked first while they dominate at least
    63 in 64 of the first ``_STRONG_PROBE`` rows (then they are cheaper than the lookup).
    Returns ``(keep, crowded, nan_row)`` as :func:`_pivot_pass` does.
    """
    n = F.shape[0]
    last0 = edge0.shape[0] - 1
    last1 = edge1.shape[0] - 1
    lo0, lo1 = edge0[0], edge1[0]
    keep = np.empty(n, dtype=np.int64)
    m = 0
    use_strong = True
    hits = 0
    for i in range(n):
        if i == probe and 2 * m > probe:
            for r in range(n):
                if np.isnan(F[r, 0]) or np.isnan(F[r, 1]) or np.isnan(F[r, 2]):
                    return keep[:0], True, r
            for r in range(n):
                keep[r] = r
            return keep, True, -1
        if i == _STRONG_PROBE and hits * 64 < 63 * _STRONG_PROBE:
            use_strong = False  # they rarely dominate: the lookup alone is cheaper
        if use_strong:
            dominated = False
            for u in range(strong.shape[0]):
                if _dominates(P, strong[u], F, i):  # never true for a row with NaN
                    dominated = True
                    break
            if dominated:
                hits += 1
                continue
        a, b = F[i, 0], F[i, 1]
        if a >= lo0 and b >= lo1:  # False for NaN
            x = (a - lo0) * scale0
            s = last0 if x >= last0 else int(x)
            while edge0[s] > a:  # rounding: the corner must not be above the row
                s -= 1
            y = (b - lo1) * scale1
            t = last1 if y >= last1 else int(y)
            while edge1[t] > b:
                t -= 1
            c, best = F[i, 2], table[s, t]
            # A pivot at the table's value is at or below the corner: it dominates the row if
            # it is strictly below in the third objective or the corner is strictly below in
            # one of the first two. (False for NaN.)
            if best < c or (best == c and (edge0[s] < a or edge1[t] < b)):
                continue
        keep[m] = i
        m += 1
    for u in range(m):
        r = keep[u]
        if np.isnan(F[r, 0]) or np.isnan(F[r, 1]) or np.isnan(F[r, 2]):
            return keep[:0], False, r
    return keep[:m], False, -1


@njit(cache=True)
def _pivot_pass_2d(F, P, probe):
    """:func:`_pivot_pass` for two objectives, where the pivots (a front sorted by column 0)
    form a staircase: only the pivot closest below a row in column 0 can dominate it (the
    others below have a larger column 1; with a duplicate of the row there, none does)."""
    n = F.shape[0]
    p = P.shape[0]
    keep = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if i == probe and 2 * m > probe:
            for r in range(n):
                if np.isnan(F[r, 0]) or np.isnan(F[r, 1]):
                    return keep[:0], True, r
            for r in range(n):
                keep[r] = r
            return keep, True, -1
        a, b = F[i, 0], F[i, 1]
        lo, hi = 0, p
        while lo < hi:
            mid = (lo + hi) // 2
            if P[mid, 0] <= a:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0 and P[lo - 1, 1] <= b and (P[lo - 1, 0] < a or P[lo - 1, 1] < b):
            continue
        keep[m] = i
        m += 1
    for u in range(m):
        if np.isnan(F[keep[u], 0]) or np.isnan(F[keep[u], 1]):
            return keep[:0], False, keep[u]
    return keep[:m], False, -1


@njit(cache=True)
def _pivot_pass(F, P, strong, probe, tol):
    """Drop the rows of ``F`` that a pivot (a row of ``P``) dominates with tolerance ``tol``
    (zeros for plain dominance); report a row with NaN.

    ``P`` is sorted by column 0 and ``strong`` lists a few pivots checked first for every row.
    A row can only be dominated by pivots whose column 0 is at most its own, so the rest of
    the pivots are checked from the one closest below the row in column 0 downwards: on a
    curved front the nearest pivots are the likeliest dominators. Returns ``(keep, crowded,
    nan_row)``: the surviving rows (ascending), whether filtering stopped after ``probe`` rows
    because most rows survived (then ``keep`` is every row), and a row containing NaN (``-1``
    if none; a NaN row is never dominated, so it survives to be found here).
    """
    n, k = F.shape
    p = P.shape[0]
    keep = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if i == probe and 2 * m > probe:
            # Most rows survive: filtering costs more than it saves. Only look for NaN.
            for r in range(n):
                for j in range(k):
                    if np.isnan(F[r, j]):
                        return keep[:0], True, r
            for r in range(n):
                keep[r] = r
            return keep, True, -1
        dominated = False
        for s in range(strong.shape[0]):
            if _dominates_tol(P, strong[s], F, i, tol):  # never true for a row with NaN
                dominated = True
                break
        if dominated:
            continue
        a = F[i, 0] + tol[0]
        lo, hi = 0, p
        while lo < hi:
            mid = (lo + hi) // 2
            if P[mid, 0] <= a:
                lo = mid + 1
            else:
                hi = mid
        for t in range(lo - 1, -1, -1):
            if _dominates_tol(P, t, F, i, tol):
                dominated = True
                break
        if not dominated:
            keep[m] = i
            m += 1
    for u in range(m):
        for j in range(k):
            if np.isnan(F[keep[u], j]):
                return keep[:0], False, keep[u]
    return keep[:m], False, -1


@njit(cache=True, inline="always")
def _push_tie_runs(P, order, lo, hi, col, runs, top):
    """Push each run of equal column-``col`` values in ``order[lo:hi]`` to sort by ``col + 1``."""
    start = lo
    for t in range(lo + 1, hi + 1):
        if t == hi or P[order[t], col] != P[order[start], col]:
            if t - start > 1:
                runs[top, 0] = start
                runs[top, 1] = t
                runs[top, 2] = col + 1
                top += 1
            start = t
    return top


@njit(cache=True)
def _sort_tie_runs(P, order, presorted):
    """Turn ``order`` (sorted by column 0) into a lexicographic order of the rows, in place.
    Runs of equal column-0 values at least ``presorted`` long are already sorted by column 1."""
    n, k = P.shape
    if k < 2:
        return
    # Pending runs are disjoint and at least 2 long, so at most n // 2 are pending at once.
    runs = np.empty((n // 2 + 1, 3), dtype=np.int64)
    top = _push_tie_runs(P, order, 0, n, 0, runs, 0)
    while top > 0:
        top -= 1
        lo, hi, col = runs[top, 0], runs[top, 1], runs[top, 2]
        if col == 1 and hi - lo >= presorted:
            if col + 1 < k:
                top = _push_tie_runs(P, order, lo, hi, col, runs, top)
            continue
        values = np.empty(hi - lo)
        for t in range(lo, hi):
            values[t - lo] = P[order[t], col]
        perm = np.argsort(values, kind="mergesort")
        segment = order[lo:hi].copy()
        for t in range(hi - lo):
            order[lo + t] = segment[perm[t]]
        if col + 1 < k:
            top = _push_tie_runs(P, order, lo, hi, col, runs, top)


@njit(cache=True, inline="always")
def _same_row(P, a, b):
    for j in range(P.shape[1]):
        if P[a, j] != P[b, j]:
            return False
    return True


@njit(cache=True)
def _mask_2d(P, order):
    """Non-dominated mask for two objectives; ``order`` sorts the rows by column 0."""
    m = P.shape[0]
    mask = np.zeros(m, dtype=np.bool_)
    best = np.inf  # smallest column-1 value among rows with a smaller column-0 value
    t = 0
    while t < m:
        first = P[order[t], 0]
        group_min = np.inf
        end = t
        while end < m and P[order[end], 0] == first:
            group_min = min(group_min, P[order[end], 1])
            end += 1
        # Within a group of equal first values only the smallest second value survives
        # (all its duplicates too), and only if no earlier group reached it.
        if t == 0 or group_min < best:
            for u in range(t, end):
                if P[order[u], 1] == group_min:
                    mask[order[u]] = True
            best = group_min
        t = end
    return mask


@njit(cache=True)
def _dense_ranks(S, col, order):
    """0-based dense ranks of ``S[:, col]`` (equal values share a rank) and their count;
    ``order`` sorts that column."""
    n = S.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    r = 0
    for t in range(n):
        if t > 0 and S[order[t], col] != S[order[t - 1], col]:
            r += 1
        ranks[order[t]] = r
    return ranks, r + 1


@njit(cache=True)
def _mask_3d(S, col1_rank, n_ranks):
    """Non-dominated mask for three objectives, rows ``S`` in lexicographic order.

    In lexicographic order every row that dominates a row comes before it, and duplicates
    are adjacent. So a row is dominated iff an earlier row has a column-1 rank <= its own
    and a column-2 value <= its own: a prefix-minimum query, answered by a Fenwick tree over
    the column-1 ranks. NaN marks empty slots, so ``+inf`` values still count as present.
    """
    m = S.shape[0]
    tree = np.full(n_ranks + 1, np.nan)
    mask = np.zeros(m, dtype=np.bool_)
    t = 0
    while t < m:
        end = t + 1
        while end < m and _same_row(S, end, t):
            end += 1
        c = S[t, 2]
        dominated = False
        r = col1_rank[t] + 1
        while r > 0:
            if tree[r] <= c:
                dominated = True
                break
            r -= r & -r
        if not dominated:
            mask[t:end] = True
            # Dominated rows need not be inserted: whatever they dominate, so does their
            # dominator, which is already in the tree.
            r = col1_rank[t] + 1
            while r <= n_ranks:
                if not tree[r] <= c:
                    tree[r] = c
                r += r & -r
        t = end
    return mask


@njit(cache=True)
def _mask_sfs(P, order, sums, block, max_avg_scan):
    """Sort-filter-skyline: compare rows in order of their normalised sum to the running front.

    A dominating row never has a larger (rounded) sum, so every row's dominators come
    before it, except ones with an exactly equal sum; those are caught when they join the
    front. Returns ``(mask, finished)``; ``finished`` is False when a block of rows needed
    too many comparisons on average (the front is large and the k-d tree is faster).
    """
    m, k = P.shape
    mask = np.zeros(m, dtype=np.bool_)
    front = np.empty((m, k))
    front_sum = np.empty(m)
    front_row = np.empty(m, dtype=np.int64)
    size = 0
    scans = 0
    for t in range(m):
        if t % block == 0 and t > 0:
            if scans > max_avg_scan * block:
                return mask, False
            scans = 0
        i = order[t]
        dominated = False
        for u in range(size):
            if _dominates(front, u, P, i):
                dominated = True
                scans += u + 1
                break
        if dominated:
            continue
        scans += size
        u = size - 1
        while u >= 0 and front_sum[u] == sums[i]:
            if _dominates(P, i, front, u):
                mask[front_row[u]] = False
                for v in range(u, size - 1):
                    front[v, :] = front[v + 1, :]
                    front_sum[v] = front_sum[v + 1]
                    front_row[v] = front_row[v + 1]
                size -= 1
            u -= 1
        front[size, :] = P[i, :]
        front_sum[size] = sums[i]
        front_row[size] = i
        size += 1
        mask[i] = True
    return mask, True


@njit(cache=True)
def _ranks_2d(P, order):
    """Front index for two objectives; ``order`` is lexicographic.

    ``tails[r]`` is the smallest column-1 value in front ``r`` so far; the tails are
    non-decreasing, so each row's front is found by binary search.
    """
    n = P.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    tails = np.empty(n)
    n_fronts = 0
    t = 0
    while t < n:
        i = order[t]
        end = t + 1
        while end < n and _same_row(P, order[end], i):
            end += 1
        b = P[i, 1]
        lo, hi = 0, n_fronts
        while lo < hi:
            mid = (lo + hi) // 2
            if tails[mid] <= b:  # an earlier row of front `mid` dominates this one
                lo = mid + 1
            else:
                hi = mid
        if lo == n_fronts:
            n_fronts += 1
        tails[lo] = b
        for u in range(t, end):
            ranks[order[u]] = lo
        t = end
    return ranks


@njit(cache=True)
def _ranks_3d(S, max_moves):
    """Front index for three objectives, rows ``S`` in lexicographic order.

    Efficient non-dominated sort: every row that dominates a row comes before it, so each
    row goes to the first front that does not yet dominate it, found by binary search over
    the fronts (a front that dominates the row implies all earlier ones do). Each front
    keeps the staircase of its rows' (column 1, column 2) minima, sorted by column 1, which
    answers "does this front dominate the row?" by binary search. Staircases are sorted
    arrays in one pool. Returns ``(ranks, False)`` (the caller falls back to the k-d tree)
    when the entries shifted by insertions exceed ``max_moves`` (quadratic in adversarial
    cases) or when very many fronts exhaust the pool.
    """
    m = S.shape[0]
    ranks = np.empty(m, dtype=np.int64)
    pool_b = np.empty(4 * m + 64)
    pool_c = np.empty(4 * m + 64)
    first = np.empty(m, dtype=np.int64)  # each front's staircase: pool[first : first + size]
    size = np.empty(m, dtype=np.int64)
    capacity = np.empty(m, dtype=np.int64)
    used = 0
    n_fronts = 0
    moves = 0
    t = 0
    while t < m:
        end = t + 1
        while end < m and _same_row(S, end, t):
            end += 1
        b, c = S[t, 1], S[t, 2]
        lo, hi = 0, n_fronts
        while lo < hi:
            mid = (lo + hi) // 2
            # the staircase entry with the largest column-1 value <= b has the smallest
            # column-2 value among them
            f, n_f = first[mid], size[mid]
            x = np.searchsorted(pool_b[f : f + n_f], b, side="right") - 1
            if x >= 0 and pool_c[f + x] <= c:
                lo = mid + 1
            else:
                hi = mid
        r = lo
        if r == n_fronts:
            if used + 8 > pool_b.shape[0]:
                return ranks, False
            first[r], size[r], capacity[r] = used, 0, 8
            used += 8
            n_fronts += 1
        f, n_f = first[r], size[r]
        pos = np.searchsorted(pool_b[f : f + n_f], b, side="left")
        stop = pos  # entries the new row dominates in projection: a contiguous run
        while stop < n_f and pool_c[f + stop] >= c:
            stop += 1
        if n_f - (stop - pos) + 1 > capacity[r]:  # grow: move to the end of the pool
            if used + 2 * capacity[r] > pool_b.shape[0]:
                return ranks, False
            pool_b[used : used + n_f] = pool_b[f : f + n_f]
            pool_c[used : used + n_f] = pool_c[f : f + n_f]
            moves += n_f
            first[r] = f = used
            used += 2 * capacity[r]
            capacity[r] *= 2
        shift = 1 - (stop - pos)
        if shift > 0:
            for x in range(n_f - 1, stop - 1, -1):
                pool_b[f + x + 1] = pool_b[f + x]
                pool_c[f + x + 1] = pool_c[f + x]
        elif shift < 0:
            for x in range(stop, n_f):
                pool_b[f + x + shift] = pool_b[f + x]
                pool_c[f + x + shift] = pool_c[f + x]
        moves += n_f - stop
        if moves > max_moves:
            return ranks, False
        pool_b[f + pos] = b
        pool_c[f + pos] = c
        size[r] = n_f + shift
        ranks[t:end] = r
        t = end
    return ranks, True


# --------------------------------------------------------------------------------------
# k-d tree: "is this row dominated by any row in the tree?", with deletions
# --------------------------------------------------------------------------------------
#
# A balanced tree in heap layout (children of node i are 2i+1 and 2i+2) over a copy ``Q`` of
# the rows, reordered so that every node covers a contiguous range ``start..stop``. Each node
# keeps its tight bounding box, ``box[node, :k]`` (minima) and ``box[node, k:]`` (maxima).
# A row q dominates p (with tolerance tol; zero for plain dominance) iff q <= p + tol in every
# objective and q_j < p_j - tol_j in some objective j. So a node is skipped when its box
# starts above p + tol in some objective; and a node whose box lies entirely at or below
# p + tol either reaches below p - tol somewhere (then the row attaining that minimum
# dominates p) or holds no dominating row at all. Deleted rows are overwritten with +inf,
# which dominates nothing, and the boxes are shrunk to the remaining rows.


@njit(cache=True, inline="always")
def _swap_rows(Q, rows, a, b):
    for j in range(Q.shape[1]):
        Q[a, j], Q[b, j] = Q[b, j], Q[a, j]
    rows[a], rows[b] = rows[b], rows[a]


@njit(cache=True, inline="always")
def _select(Q, rows, lo, hi, kth, d):
    """Quickselect on column ``d``: rows ``lo..kth-1`` <= row ``kth`` <= rows ``kth+1..hi-1``."""
    while hi - lo > 1:
        a, b, c = Q[lo, d], Q[(lo + hi) // 2, d], Q[hi - 1, d]
        pivot = max(min(a, b), min(max(a, b), c))  # median of three
        i, j = lo, hi - 1
        while i <= j:
            while Q[i, d] < pivot:
                i += 1
            while Q[j, d] > pivot:
                j -= 1
            if i <= j:
                _swap_rows(Q, rows, i, j)
                i += 1
                j -= 1
        if kth <= j:
            hi = j + 1
        elif kth >= i:
            lo = i
        else:
            return


@njit(cache=True)
def _kd_build(P, leaf, scale):
    """Build the tree over the rows of ``P``; a node splits its widest objective in units of
    ``scale`` (shape (k,), > 0) at the median.

    Returns ``(Q, rows, start, stop, box, leaf_of, depth)``: the reordered copy of the rows,
    the row of ``P`` at each tree position, each node's position range, each node's box,
    the leaf holding each position, and the depth of the tree.
    """
    m, k = P.shape
    depth = 0
    size = m
    while size > leaf:
        size = (size + 1) // 2
        depth += 1
    n_nodes = 2 ** (depth + 1) - 1
    Q = P.copy()
    rows = np.arange(m)
    start = np.zeros(n_nodes, dtype=np.int64)
    stop = np.zeros(n_nodes, dtype=np.int64)  # empty range: the node does not exist
    stop[0] = m
    # Parents precede their children in heap order: split top-down in index order...
    for node in range(n_nodes):
        lo, hi = start[node], stop[node]
        if hi - lo <= leaf:
            continue
        # Split the widest objective (estimated on a sample of the node) at the median.
        stride = max(1, (hi - lo) // 64)
        d = 0
        widest = -1.0
        for j in range(k):
            vmin, vmax = np.inf, -np.inf
            for t in range(lo, hi, stride):
                vmin = min(vmin, Q[t, j])
                vmax = max(vmax, Q[t, j])
            width = (vmax - vmin) * scale[j]
            if width > widest:  # False for inf - inf: such columns are not split
                widest = width
                d = j
        mid = (lo + hi) // 2
        if widest > 0.0:  # any split is correct (boxes come from the rows); this one prunes
            _select(Q, rows, lo, hi, mid, d)
        start[2 * node + 1], stop[2 * node + 1] = lo, mid
        start[2 * node + 2], stop[2 * node + 2] = mid, hi
    # ...and compute the boxes bottom-up in reverse order.
    box = np.empty((n_nodes, 2 * k))
    box[:, :k] = np.inf
    box[:, k:] = -np.inf
    leaf_of = np.empty(m, dtype=np.int64)
    for node in range(n_nodes - 1, -1, -1):
        lo, hi = start[node], stop[node]
        if hi == lo:
            continue
        if hi - lo <= leaf:
            for t in range(lo, hi):
                leaf_of[t] = node
                for j in range(k):
                    box[node, j] = min(box[node, j], Q[t, j])
                    box[node, k + j] = max(box[node, k + j], Q[t, j])
        else:
            for j in range(2 * k):
                a, b = box[2 * node + 1, j], box[2 * node + 2, j]
                box[node, j] = min(a, b) if j < k else max(a, b)
    return Q, rows, start, stop, box, leaf_of, depth


@njit(cache=True)
def _kd_find_dominator(Q, start, stop, box, leaf, upper, lower, stack, near_first):
    """Tree position of a row dominating the row with bounds ``upper = p + tol`` and
    ``lower = p - tol``, or -1 if there is none.

    The search visits the lower child of each node first, where rows dominating the most
    are; with ``near_first`` the upper one, so that it finds dominators close to the row.
    """
    k = Q.shape[1]
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        lo, hi = start[node], stop[node]
        if hi - lo <= leaf:
            for u in range(lo, hi):
                strictly = False
                for j in range(k):
                    if Q[u, j] > upper[j]:
                        strictly = False
                        break
                    if Q[u, j] < lower[j]:
                        strictly = True
                if strictly:
                    return u
            continue
        lower_child, upper_child = 2 * node + 1, 2 * node + 2
        first, second = (upper_child, lower_child) if near_first else (lower_child, upper_child)
        for child in (second, first):  # the child pushed last is explored first
            reachable = True
            for j in range(k):
                if box[child, j] > upper[j]:
                    reachable = False
                    break
            if not reachable:
                continue
            inside = True
            for j in range(k):
                if box[child, k + j] > upper[j]:
                    inside = False
                    break
            if inside:
                for j in range(k):
                    if box[child, j] < lower[j]:
                        return _kd_witness(Q, start, stop, box, leaf, child, j)
                continue  # every row of the child is at or above p - tol: none dominates
            stack[top] = child
            top += 1
    return -1


@njit(cache=True)
def _kd_witness(Q, start, stop, box, leaf, node, j):
    """Tree position of a row of ``node`` attaining the node's minimum in objective ``j``."""
    target = box[node, j]
    while stop[node] - start[node] > leaf:
        left = 2 * node + 1
        node = left if box[left, j] == target else left + 1
    for u in range(start[node], stop[node]):
        if Q[u, j] == target:
            return u
    return -1  # unreachable while the boxes are tight


@njit(cache=True)
def _kd_remove(Q, alive, start, stop, box, leaf_of, t):
    """Delete tree position ``t``, keeping the boxes tight."""
    k = Q.shape[1]
    alive[t] = False
    Q[t, :] = np.inf
    node = leaf_of[t]
    box[node, :k] = np.inf
    box[node, k:] = -np.inf
    for u in range(start[node], stop[node]):
        if alive[u]:
            for j in range(k):
                box[node, j] = min(box[node, j], Q[u, j])
                box[node, k + j] = max(box[node, k + j], Q[u, j])
    while node > 0:
        node = (node - 1) // 2
        for j in range(2 * k):
            a, b = box[2 * node + 1, j], box[2 * node + 2, j]
            box[node, j] = min(a, b) if j < k else max(a, b)


@njit(cache=True)
def _kd_mask(P, tol, leaf, query, scale):
    """Non-dominated mask (with tolerance ``tol``; zeros for plain dominance); only the rows
    flagged in ``query`` are searched, the others are known to be dominated. ``scale``: as in
    :func:`_kd_build`."""
    m, k = P.shape
    Q, rows, start, stop, box, leaf_of, depth = _kd_build(P, leaf, scale)
    stack = np.empty(2 * depth + 4, dtype=np.int64)
    upper = np.empty(k)
    lower = np.empty(k)
    mask = np.empty(m, dtype=np.bool_)
    for t in range(m):  # tree order: consecutive queries walk the same nodes
        if not query[rows[t]]:
            mask[rows[t]] = False
            continue
        if t > 0 and query[rows[t - 1]] and _same_row(Q, t, t - 1):  # same dominators
            mask[rows[t]] = mask[rows[t - 1]]
            continue
        for j in range(k):
            upper[j] = Q[t, j] + tol[j]
            lower[j] = Q[t, j] - tol[j]
        found = _kd_find_dominator(Q, start, stop, box, leaf, upper, lower, stack, False)
        mask[rows[t]] = found < 0
    return mask


@njit(cache=True)
def _kd_ranks_peel(P, tol, leaf, max_level, scale):
    """Front index of every row by peeling, for dominance with tolerance ``tol`` (zeros for
    plain dominance), front by front: fronts ``0..max_level`` are peeled and the rows left
    after them get ``max_level + 1``.

    Each round queries the remaining rows against the tree of remaining rows, then deletes
    the new front from the tree. A row keeps the dominator found for it (its witness): while
    the witness remains, so does the row's domination, and the row is not queried again.
    When a round finds no front (a tolerance cycle), the front is the rows that no remaining
    row dominates without tolerance.
    """
    m, k = P.shape
    Q, rows, start, stop, box, leaf_of, depth = _kd_build(P, leaf, scale)
    alive = np.ones(m, dtype=np.bool_)
    stack = np.empty(2 * depth + 4, dtype=np.int64)
    upper = np.empty(k)
    lower = np.empty(k)
    rank = np.full(m, -1, dtype=np.int64)
    witness = np.full(m, -1, dtype=np.int64)
    remaining = np.arange(m)
    n_remaining = m
    front = np.empty(m, dtype=np.int64)
    level = 0
    while n_remaining > 0:
        n_front = 0
        for idx in range(n_remaining):
            t = remaining[idx]
            if witness[t] >= 0 and alive[witness[t]]:
                continue
            for j in range(k):
                upper[j] = Q[t, j] + tol[j]
                lower[j] = Q[t, j] - tol[j]
            # Every query looks for a dominator close to the row, which is likely peeled late
            # and so stays a witness for long: most rows never need a second query. (Taking any
            # dominator first, found fastest among the low rows, and a close one only on a
            # re-query was 3-25 % slower in 26 of 27 cases measured: full or to depth 8, with or
            # without tolerance, 1e5-1e6 rows, uniform, ML-shaped, tied and correlated data.
            # Uniform 1e6 x 3 with tolerance to depth 8 was 6 % faster.)
            witness[t] = _kd_find_dominator(Q, start, stop, box, leaf, upper, lower, stack, True)
            if witness[t] < 0:
                front[n_front] = t
                n_front += 1
        if n_front == 0:
            # Every remaining row is dominated: the tolerance relation has a cycle. Break the
            # stall with plain dominance (zero tolerance) among the remaining rows.
            for idx in range(n_remaining):
                t = remaining[idx]
                if _kd_find_dominator(Q, start, stop, box, leaf, Q[t], Q[t], stack, False) < 0:
                    front[n_front] = t
                    n_front += 1
        for f in range(n_front):
            rank[front[f]] = level
        for f in range(n_front):
            _kd_remove(Q, alive, start, stop, box, leaf_of, front[f])
        kept = 0
        for idx in range(n_remaining):
            if rank[remaining[idx]] < 0:
                remaining[kept] = remaining[idx]
                kept += 1
        n_remaining = kept
        level += 1
        if level > max_level:
            for idx in range(n_remaining):
                rank[remaining[idx]] = level
            break
    out = np.empty(m, dtype=np.int64)
    for t in range(m):
        out[rows[t]] = rank[t]
    return out


# --------------------------------------------------------------------------------------
# Ranks by efficient non-dominated sorting over per-front trees
# --------------------------------------------------------------------------------------


@njit(cache=True)
def _grown(a, size):
    """``a`` copied into a new array of ``size`` rows (the rest uninitialised)."""
    out = np.empty((size,) + a.shape[1:], dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, inline="always")
def _allocate(free, n_free, n_used, width):
    """The last id on a free list, else the next of ``width`` fresh ids (a leaf, or a pair of
    sibling nodes): ``(id, n_free, n_used)`` updated."""
    if n_free > 0:
        return free[n_free - 1], n_free - 1, n_used
    return n_used, n_free, n_used + width


@njit(cache=True)
def _ens_has_dominator(p, root, split_dim, child, box, leaf_of, leaf_cnt, leaf_val, stack):
    """Whether the tree at ``root`` holds a row ``<= p`` in every objective of ``p``."""
    kk = p.shape[0]
    stack[0] = root
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        beyond = 0  # objectives where every row of the node exceeds p
        exceeds = 0  # objectives where some row of the node exceeds p
        for j in range(kk):
            beyond += box[node, j] > p[j]
            exceeds += box[node, kk + j] > p[j]
        if beyond:
            continue
        if exceeds == 0:
            return True
        if split_dim[node] >= 0:
            c = child[node]
            stack[top] = c + 1
            stack[top + 1] = c
            top += 2
            continue
        lf = leaf_of[node]
        for u in range(leaf_cnt[lf]):
            above = 0
            for j in range(kk):
                above += leaf_val[lf, u, j] > p[j]
            if above == 0:
                return True
    return False


@njit(cache=True)
def _ens_ranks(S, leaf_cap, balance, max_level, scale):
    """Front index of each row of ``S`` (sorted lexicographically; shape (m, k), k >= 2, no
    NaN) for plain dominance, by position in ``S``; fronts behind ``max_level`` get
    ``max_level + 1``. ``scale`` (shape (k - 1,), > 0) weighs the objectives after the first
    when a node picks the widest one to split.

    Efficient non-dominated sorting (Zhang et al., 2015) with a tree per front (as in
    ENS-NDT, Gustavsson and Syberfeldt, 2018). In lexicographic order every row dominating a
    row comes before it, and so does every row of a front that holds one: if a row of front
    ``f`` dominates ``p``, so does a row of front ``f - 1`` (which dominates that row). So the
    fronts holding a dominator of ``p`` are exactly ``0..rank(p) - 1``, and a binary search
    over the fronts built so far finds ``rank(p)`` with one "any row <= p?" query per step.
    Earlier rows never exceed ``p`` in the first objective, so the trees index the others.

    A front's rows are mutually non-dominated and (duplicates are ranked with their first copy
    and not stored) distinct in the objectives indexed, so every leaf can be split. Rows come
    in sorted order, which would grow lopsided trees; as in a scapegoat tree, the highest node
    on an insertion path with a child holding more than ``balance`` of its rows is rebuilt
    balanced (median splits of the widest objective, in units of ``scale``), and so is a full
    leaf. Leaves hold at most ``leaf_cap`` rows (>= 2).
    """
    m, k = S.shape
    kk = k - 1
    cap = 256
    split_dim = np.empty(cap, dtype=np.int64)  # -1 for a leaf
    split_val = np.empty(cap)
    child = np.empty(cap, dtype=np.int64)  # children child[n] (<= split) and child[n] + 1 (>)
    size = np.empty(cap, dtype=np.int64)
    box = np.empty((cap, 2 * kk))  # each node's smallest values, then its largest
    leaf_of = np.empty(cap, dtype=np.int64)
    free_pairs = np.empty(cap, dtype=np.int64)
    stack = np.empty(cap + 2, dtype=np.int64)  # a search holds at most depth + 1 nodes
    path = np.empty(cap + 2, dtype=np.int64)
    build = np.empty((cap + 2, 3), dtype=np.int64)
    lcap = 128
    leaf_cnt = np.zeros(lcap, dtype=np.int64)
    leaf_val = np.empty((lcap, leaf_cap, kk))
    free_leaves = np.empty(lcap, dtype=np.int64)
    n_nodes = n_leaves = n_free_pairs = n_free_leaves = 0
    roots = np.empty(min(m, max_level) + 1, dtype=np.int64)  # max_level + 1 may overflow
    n_fronts = 0
    buf = np.empty((leaf_cap, kk))
    ranks = np.empty(m, dtype=np.int64)
    for i in range(m):
        if i > 0 and _same_row(S, i, i - 1):  # a duplicate shares the front of its first copy
            ranks[i] = ranks[i - 1]
            continue
        p = S[i, 1:]
        lo, hi = 0, n_fronts
        while lo < hi:
            mid = (lo + hi) // 2
            if _ens_has_dominator(p, roots[mid], split_dim, child, box, leaf_of, leaf_cnt, leaf_val, stack):
                lo = mid + 1
            else:
                hi = mid
        ranks[i] = lo
        if lo > max_level:
            continue  # fronts behind the last one asked for are not needed
        # room for the worst case below: a new front, or the rebuild of a whole front
        need = n_nodes + 2 * (size[roots[lo]] if lo < n_fronts else 0) + 4
        if need > cap:
            cap = max(2 * cap, need)
            split_dim = _grown(split_dim, cap)
            split_val = _grown(split_val, cap)
            child = _grown(child, cap)
            size = _grown(size, cap)
            box = _grown(box, cap)
            leaf_of = _grown(leaf_of, cap)
            free_pairs = _grown(free_pairs, cap)
            stack = _grown(stack, cap + 2)
            path = _grown(path, cap + 2)
            build = _grown(build, cap + 2)
        need = n_leaves + (size[roots[lo]] if lo < n_fronts else 0) + 2
        if need > lcap:
            lcap = max(2 * lcap, need)
            leaf_cnt = _grown(leaf_cnt, lcap)
            leaf_val = _grown(leaf_val, lcap)
            free_leaves = _grown(free_leaves, lcap)
        if lo == n_fronts:  # a new front: an empty leaf
            node = n_nodes
            n_nodes += 1
            roots[lo] = node
            n_fronts += 1
            split_dim[node] = -1
            size[node] = 0
            leaf_of[node], n_free_leaves, n_leaves = _allocate(free_leaves, n_free_leaves, n_leaves, 1)
            leaf_cnt[leaf_of[node]] = 0
            box[node, :kk] = np.inf
            box[node, kk:] = -np.inf
        # insert p, recording the path
        node = roots[lo]
        depth = 0
        while True:
            path[depth] = node
            depth += 1
            size[node] += 1
            for j in range(kk):
                box[node, j] = min(box[node, j], p[j])
                box[node, kk + j] = max(box[node, kk + j], p[j])
            if split_dim[node] < 0:
                break
            node = child[node] + (1 if p[split_dim[node]] > split_val[node] else 0)
        lf = leaf_of[node]
        c = leaf_cnt[lf]
        leaf_val[lf, c, :] = p
        leaf_cnt[lf] = c + 1
        goat = -1
        for t in range(depth - 1):
            nd = path[t]
            larger = max(size[child[nd]], size[child[nd] + 1])
            if size[nd] > 2 * leaf_cap and larger > balance * size[nd]:
                goat = nd
                break
        if goat < 0:
            if c + 1 < leaf_cap:
                continue
            goat = node  # a full leaf
        # Collect the rows under goat, freeing its nodes and leaves...
        n_rows = size[goat]
        if buf.shape[0] < n_rows:
            buf = np.empty((2 * n_rows, kk))
        got = 0
        stack[0] = goat
        top = 1
        while top > 0:
            top -= 1
            nd = stack[top]
            if split_dim[nd] < 0:
                lf = leaf_of[nd]
                buf[got : got + leaf_cnt[lf]] = leaf_val[lf, : leaf_cnt[lf]]
                got += leaf_cnt[lf]
                free_leaves[n_free_leaves] = lf
                n_free_leaves += 1
            else:
                free_pairs[n_free_pairs] = child[nd]
                n_free_pairs += 1
                stack[top] = child[nd] + 1
                stack[top + 1] = child[nd]
                top += 2
        # ...and build them again balanced in its place, leaves half full.
        build[0, 0], build[0, 1], build[0, 2] = goat, 0, n_rows
        top = 1
        while top > 0:
            top -= 1
            nd, a, b = build[top, 0], build[top, 1], build[top, 2]
            size[nd] = b - a
            for j in range(kk):
                lo_v, hi_v = np.inf, -np.inf
                for u in range(a, b):
                    lo_v = min(lo_v, buf[u, j])
                    hi_v = max(hi_v, buf[u, j])
                box[nd, j] = lo_v
                box[nd, kk + j] = hi_v
            if b - a <= max(1, leaf_cap // 2):
                split_dim[nd] = -1
                lf, n_free_leaves, n_leaves = _allocate(free_leaves, n_free_leaves, n_leaves, 1)
                leaf_of[nd] = lf
                leaf_val[lf, : b - a] = buf[a:b]
                leaf_cnt[lf] = b - a
                continue
            d = 0
            widest = -1.0
            for j in range(kk):
                width = (box[nd, kk + j] - box[nd, j]) * scale[j]
                if width > widest:  # False for inf - inf (a tie)
                    widest = width
                    d = j
            column = buf[a:b, d].copy()
            column.sort()
            top_value = column[b - a - 1]
            v = column[(b - a) // 2 - 1]
            if v == top_value:  # the upper half ties: split below the largest value
                t = b - a - 1
                while column[t] == top_value:
                    t -= 1
                v = column[t]
            # rows with x_d <= v first (stable), the others after
            rows = buf[a:b].copy()
            n_low = 0
            for u in range(b - a):
                if rows[u, d] <= v:
                    buf[a + n_low] = rows[u]
                    n_low += 1
            t = a + n_low
            for u in range(b - a):
                if rows[u, d] > v:
                    buf[t] = rows[u]
                    t += 1
            c, n_free_pairs, n_nodes = _allocate(free_pairs, n_free_pairs, n_nodes, 2)
            split_dim[nd] = d
            split_val[nd] = v
            child[nd] = c
            build[top, 0], build[top, 1], build[top, 2] = c, a, a + n_low
            build[top + 1, 0], build[top + 1, 1], build[top + 1, 2] = c + 1, a + n_low, b
            top += 2
    return ranks
