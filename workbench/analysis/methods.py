"""Scoring methods: one class per method, one registry.

Every scoring method turns the candidates' objective values and a weight vector into utilities —
**higher is better** — with one weight semantics: a larger weight means the objective matters
more. :data:`SCORERS` maps each method name (the names ``QualityModel.method`` accepts,
:data:`workbench.quality.METHODS`) to its scorer; ``analyze``, ``rank``/``score``, the
``Reranker`` (a weight move in the explorer), SMAA-2, weight stability, replicate uncertainty, the
explorer's method picker and the CLI's ``--method`` all go through :func:`scorer`.

===============  ==========================================================  ======================
method           utility                                                      reference
===============  ==========================================================  ======================
weighted_sum     ``1 - Σ w_i N_i``                                            (cannot reach concave
                                                                              parts of a front)
tchebycheff      ``1 - max_i w_i N_i``                                        Steuer & Choo 1983
asf              ``-(max_i w_i (N_i - r_i) + ρ Σ_i w_i (N_i - r_i))``, ρ=1e-4  Wierzbicki 1980
topsis           closeness ``D- / (D+ + D-)`` on vector-normalised raw values  Hwang & Yoon 1981
===============  ==========================================================  ======================

``N`` is the min-max normalised, minimised objective matrix (:func:`workbench.analysis.scoring.normalized`)
and ``r`` the model's reference point, normalised. :class:`PseudoWeights` (Deb 2001) lives here too:
it does not rank, it says how a front member effectively weighs the objectives.

To add a method: write a :class:`Scorer` subclass with ``name`` and ``__call__``, add it to
:data:`SCORERS` and its name to ``workbench.quality.model.METHODS`` (the model validates names
without importing the analysis); ``tests/analysis/test_methods.py`` checks the two agree.

>>> sorted(SCORERS)
['asf', 'tchebycheff', 'topsis', 'weighted_sum']
>>> import numpy as np
>>> inputs = ScoringInputs(N=np.array([[0.0, 1.0], [0.5, 0.5]]), reference=np.zeros(2),
...                        X=np.array([[1.0, 9.0], [2.0, 5.0]]), benefit=np.array([False, False]))
>>> scorer("weighted_sum")(inputs, np.array([0.5, 0.5])).tolist()
[0.5, 0.5]
>>> scorer("tchebycheff")(inputs, np.array([0.5, 0.5])).tolist()
[0.5, 0.75]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from workbench.analysis import _kernels as K
from workbench.errors import UnknownNameError, unknown_name

__all__ = [
    "Scorer",
    "ScoringInputs",
    "WeightedSum",
    "Tchebycheff",
    "ASF",
    "TOPSIS",
    "PseudoWeights",
    "SCORERS",
    "scorer",
    "check_method",
]


@dataclass(frozen=True, eq=False)
class ScoringInputs:
    """What a scorer may read, prepared once per problem (and feasible set).

    ``N`` (n, k) normalised minimised values, ``reference`` (k,) the normalised reference point,
    ``X`` (n, k) raw values in the objectives' units, ``benefit`` (k,) True where larger is better.
    """

    N: np.ndarray
    reference: np.ndarray
    X: np.ndarray
    benefit: np.ndarray


class Scorer:
    """A scoring method: ``scorer(inputs, W)`` -> utilities; W (k,) -> (n,), W (s, k) -> (s, n)."""

    name: ClassVar[str]
    reference: ClassVar[str] = ""

    def __call__(self, inputs: ScoringInputs, W: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def bytes_per_score(self, k: int) -> int:
        """Temporary memory one (candidate, weight) utility takes in a batch (SMAA sizes its blocks)."""
        return 8 * (k + 6)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class WeightedSum(Scorer):
    """``1 - Σ w_i N_i``; cannot reach the concave parts of a front."""

    name = "weighted_sum"

    def __call__(self, inputs: ScoringInputs, W: np.ndarray) -> np.ndarray:
        return K.weighted_sum(inputs.N, W)

    def bytes_per_score(self, k: int) -> int:
        return 8 * 6


class Tchebycheff(Scorer):
    """``1 - max_i w_i N_i``: weighted Tchebycheff distance to the ideal; reaches every front point."""

    name = "tchebycheff"
    reference = "Steuer & Choo 1983"

    def __call__(self, inputs: ScoringInputs, W: np.ndarray) -> np.ndarray:
        return K.tchebycheff(inputs.N, W)


class ASF(Scorer):
    """Augmented achievement scalarising function from the reference point (weights multiply)."""

    name = "asf"
    reference = "Wierzbicki 1980"

    def __call__(self, inputs: ScoringInputs, W: np.ndarray) -> np.ndarray:
        return K.asf(inputs.N, W, inputs.reference)


class TOPSIS(Scorer):
    """Closeness ``D- / (D+ + D-)`` to the ideal and anti-ideal on vector-normalised raw values.

    The ideal and anti-ideal are taken over all candidates of ``inputs`` (:meth:`parts`); a batch
    of weights costs two matrix products (:func:`workbench.analysis._kernels.topsis_closeness`).
    """

    name = "topsis"
    reference = "Hwang & Yoon 1981"

    @staticmethod
    def parts(inputs: ScoringInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(R, best, worst)``: vector-normalised values (n, k) and the column ideal/anti-ideal (k,)."""
        return K.topsis_parts(inputs.X, inputs.benefit)

    def __call__(self, inputs: ScoringInputs, W: np.ndarray) -> np.ndarray:
        return K.topsis(inputs.X, W, inputs.benefit)

    def bytes_per_score(self, k: int) -> int:
        return 8 * 6


class PseudoWeights:
    """Deb's pseudo-weights ``(1 - N_i) / Σ_j (1 - N_j)`` of front members (Deb 2001), with N
    normalised by the front's own ideal and nadir: "this candidate effectively weighs the
    objectives as ...". Not a ranking method: it describes the front, so it is not in
    :data:`SCORERS`.
    """

    name = "pseudo_weights"
    reference = "Deb 2001"

    def __call__(self, F_front: np.ndarray) -> np.ndarray:
        """Minimised front values (m, k) -> pseudo-weights (m, k); rows sum to 1."""
        N = K.normalize(F_front, F_front.min(axis=0), F_front.max(axis=0))
        return K.pseudo_weights(N)


#: Method name -> its scorer (an instance; scorers hold no state).
SCORERS: dict[str, Scorer] = {s.name: s for s in (WeightedSum(), Tchebycheff(), ASF(), TOPSIS())}


def scorer(method: str) -> Scorer:
    """The scorer of ``method``; an unknown name raises ``UnknownNameError`` listing the methods."""
    try:
        return SCORERS[method]
    except (KeyError, TypeError):
        raise UnknownNameError(unknown_name("Method", method, list(SCORERS), where="a scoring method")) from None


def check_method(method: str) -> str:
    """``method`` when it names a scoring method (see :func:`scorer`)."""
    return scorer(method).name
