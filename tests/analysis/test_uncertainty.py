"""Dominance and rank probabilities from per-seed replicates: hand-made cases and a brute force."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel
from workbench.analysis.scoring import rank
from workbench.analysis.uncertainty import dominance_probability, rank_probability
from workbench.errors import CandidatesError
from workbench.sources import from_frame


def replicated(values: dict, names=("acc",)):
    """{candidate: [(v1, v2, ...) per seed]} -> Candidates with replicates."""
    rows = []
    for cid, seeds in values.items():
        for s, v in enumerate(seeds):
            v = v if isinstance(v, tuple) else (v,)
            rows.append({"id": cid, "seed": s, **dict(zip(names, v, strict=True))})
    return from_frame(pd.DataFrame(rows), replicate_column="seed")


ACC = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
TWO = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min"}]})


def test_all_seeds_better_dominates_with_probability_one():
    c = replicated({"a": [0.9, 0.95, 0.92], "b": [0.8, 0.85]})
    P = dominance_probability(c, ACC)
    assert P.loc["a", "b"] == 1.0 and P.loc["b", "a"] == 0.0
    assert np.isnan(P.loc["a", "a"]) and np.isnan(P.loc["b", "b"])
    assert P.index.name == "candidate" and P.columns.name == "dominates"


def test_overlapping_seeds_give_the_exact_fraction():
    # a: (.90, 10), (.80, 20), (.70, 12); b: (.85, 15), (.75, 11)
    # a1 vs b1: .90 > .85, 10 < 15 -> a dominates; a1 vs b2: .90 > .75, 10 < 11 -> a dominates
    # a2 vs b1: .80 < .85 -> no (20 > 15: b dominates); a2 vs b2: .80 > .75 but 20 > 11 -> neither
    # a3 vs b1: .70 < .85, 12 < 15 -> neither; a3 vs b2: .70 < .75, 12 > 11 -> b dominates
    c = replicated({"a": [(0.90, 10), (0.80, 20), (0.70, 12)], "b": [(0.85, 15), (0.75, 11)]}, ("acc", "ms"))
    P = dominance_probability(c, TWO)
    assert P.loc["a", "b"] == pytest.approx(2 / 6)
    assert P.loc["b", "a"] == pytest.approx(2 / 6)


def test_tolerance_turns_small_differences_into_ties():
    qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max", "tolerance": 0.02}]})
    c = replicated({"a": [0.91, 0.95], "b": [0.90, 0.90]})
    P = dominance_probability(c, qm)
    assert P.loc["a", "b"] == 0.5  # only .95 vs .90 exceeds the tolerance
    assert dominance_probability(c, qm, tolerance=False).loc["a", "b"] == 1.0


def test_dominance_probability_equals_bruteforce():
    rng = np.random.default_rng(0)
    data = {f"c{i}": [tuple(rng.random(2).round(1)) for _ in range(rng.integers(1, 5))] for i in range(9)}
    c = replicated(data, ("acc", "ms"))
    P = dominance_probability(c, TWO)
    for a, b in itertools.permutations(data, 2):
        hits = [(x[0] >= y[0] and x[1] <= y[1] and (x[0] > y[0] or x[1] < y[1])) for x in data[a] for y in data[b]]
        assert P.loc[a, b] == pytest.approx(np.mean(hits)), (a, b)


def test_missing_replicates_are_a_clear_error():
    df = pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.8]})
    for func in (dominance_probability, rank_probability):
        with pytest.raises(CandidatesError, match=r'replicate_column="seed" \(CLI: --replicates seed\)'):
            func(df, ACC)


def test_rank_probability_known_answer_and_sums():
    # combinations (a, b) each 1/4: (.9,.8) a; (.9,.7) a; (.6,.8) b; (.6,.7) b -> P[a first] = 1/2
    c = replicated({"a": [0.9, 0.6], "b": [0.8, 0.7], "z": [0.1, 0.2, 0.3]})
    s = 8000
    P = rank_probability(c, ACC, samples=s, seed=1)
    assert list(P.columns) == [1, 2, 3] and P.columns.name == "rank"
    assert abs(P.loc["a", 1] - 0.5) <= 4 * math.sqrt(0.25 / s)
    assert P.loc["z", 3] == 1.0
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P.sum(axis=0), 1.0)


def test_rank_probability_is_reproducible_by_seed():
    rng = np.random.default_rng(4)
    c = replicated({f"c{i}": [tuple(rng.random(2)) for _ in range(4)] for i in range(6)}, ("acc", "ms"))
    a = rank_probability(c, TWO, samples=300, seed=3)
    pd.testing.assert_frame_equal(a, rank_probability(c, TWO, samples=300, seed=3))
    assert not a.equals(rank_probability(c, TWO, samples=300, seed=4))
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    np.testing.assert_allclose(a.sum(axis=0), 1.0)


def test_rank_probability_applies_constraints_to_each_draw():
    # a is better on accuracy but breaks the energy SLO in one of its two seeds: first half the time
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max"},
                {"name": "kwh", "direction": "min", "weight": 0, "constraint": "<= 5"},
            ]
        }
    )
    c = replicated({"a": [(0.9, 1.0), (0.9, 10.0)], "b": [(0.8, 1.0), (0.8, 1.0)]}, ("acc", "kwh"))
    s = 8000
    P = rank_probability(c, qm, samples=s)
    assert abs(P.loc["a", 1] - 0.5) <= 4 * math.sqrt(0.25 / s)


def test_identical_replicates_reproduce_the_ranking_and_ties_split():
    c = replicated({"a": [0.9, 0.9], "b": [0.7, 0.7], "c": [0.8, 0.8], "d": [0.8, 0.8]})
    P = rank_probability(c, ACC, samples=50)
    ranked = rank(c, ACC)
    assert P.loc["a", 1] == 1.0 and P.loc["b", 4] == 1.0 and ranked.loc["a", "rank"] == 1
    assert P.loc["c"].tolist() == [0.0, 0.5, 0.5, 0.0] == P.loc["d"].tolist()


def test_rank_probability_with_a_stakeholder_and_method():
    qm = TWO.replace(stakeholders={"ops": {"ms": 1}})
    c = replicated({"a": [(0.9, 50.0), (0.95, 60.0)], "b": [(0.7, 10.0), (0.75, 12.0)]}, ("acc", "ms"))
    P = rank_probability(c, qm, samples=200, weights="ops", method="tchebycheff")
    assert P.loc["b", 1] == 1.0
