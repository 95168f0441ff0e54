"""The scoring registry (workbench/analysis/methods.py): one scorer per method, the names the model accepts."""

import numpy as np
import pytest
from pymcdm import normalizations
from pymcdm.methods import TOPSIS as PymcdmTOPSIS

from workbench.analysis import _kernels as K
from workbench.analysis.methods import SCORERS, TOPSIS, ScoringInputs, scorer
from workbench.errors import UnknownNameError
from workbench.quality import METHODS


def test_registry_holds_exactly_the_methods_a_quality_model_accepts():
    assert tuple(SCORERS) == METHODS
    assert all(SCORERS[m].name == m for m in METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_a_batch_of_weights_scores_as_each_weight_alone(method):
    # SMAA and stability score (s, k) batches; analyze and the reranker score one (k,) vector
    rng = np.random.default_rng(3)
    X = rng.uniform(1, 10, (40, 3))
    benefit = np.array([True, False, False])
    F = X * np.where(benefit, -1.0, 1.0)
    N = K.normalize(F, F.min(axis=0), F.max(axis=0))
    inputs = ScoringInputs(N=N, reference=np.array([0.1, 0.0, 0.2]), X=X, benefit=benefit)
    W = rng.dirichlet(np.ones(3), 25)
    batch = scorer(method)(inputs, W)
    assert batch.shape == (25, 40)
    for s in range(len(W)):
        np.testing.assert_allclose(batch[s], scorer(method)(inputs, W[s]), rtol=0, atol=1e-12)


def test_topsis_batch_equals_pymcdm_for_every_weight():
    rng = np.random.default_rng(11)
    X = rng.uniform(1, 10, (30, 4))
    types = np.array([1, -1, -1, 1])
    R, best, worst = TOPSIS.parts(ScoringInputs(N=X, reference=np.zeros(4), X=X, benefit=types > 0))
    W = rng.dirichlet(np.ones(4), 10)
    ours = K.topsis_closeness(W, R, best, worst)
    for s in range(len(W)):
        peer = PymcdmTOPSIS(normalizations.vector_normalization)(X, W[s], types)
        np.testing.assert_allclose(ours[s], peer, rtol=1e-12)


def test_unknown_method_names_the_valid_ones():
    with pytest.raises(UnknownNameError, match="(?s)Method 'tchebychef'.*Did you mean 'tchebycheff'"):
        scorer("tchebychef")
