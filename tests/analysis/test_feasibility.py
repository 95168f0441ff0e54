import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel, analyze
from workbench.analysis import feasibility
from workbench.errors import UnknownNameError

DF = pd.DataFrame({"id": ["champ", "v7", "v8"], "ms": [100.0, 105.0, 130.0], "acc": [0.90, 0.92, 0.95]})


def model(*constraints, champion=None):
    return QualityModel.from_dict(
        {
            "objectives": [{"name": "ms", "direction": "min"}, {"name": "acc", "direction": "max"}],
            "constraints": list(constraints),
            "champion": champion,
        }
    )


def test_relative_constraint_uses_champion():
    f = feasibility(DF, model("ms <= 1.1 * champion", "acc >= 0.91"), champion="champ")
    assert f["feasible"].tolist() == [False, True, False]
    # champ: acc short by 0.01/0.91; v8: ms over by (130 - 110)/110
    np.testing.assert_allclose(f["violation"], [0.01 / 0.91, 0.0, 20 / 110])
    assert list(f.columns[2:]) == ["ms <= 110", "acc >= 0.91"]


def test_champion_from_model_and_named_baseline():
    f1 = feasibility(DF, model("ms <= champion + 10", champion="champ"))
    f2 = feasibility(DF, model("ms <= champ + 10"))
    assert f1["feasible"].tolist() == f2["feasible"].tolist() == [True, True, False]


def test_missing_champion_and_unknown_baseline():
    with pytest.raises(UnknownNameError, match="no champion was given"):
        feasibility(DF, model("ms <= 1.1 * champion"))
    with pytest.raises(UnknownNameError, match="(?s)'v77'.*Valid: champ, v7, v8.*Did you mean 'v7'"):
        feasibility(DF, model("ms <= 1.1 * v77"))
    with pytest.raises(UnknownNameError, match="(?s)Champion 'chomp'.*Did you mean 'champ'"):
        analyze(DF, model(), champion="chomp")


def test_strict_and_zero_limits():
    f = feasibility(DF, model("ms < 105", "acc > 0"))
    assert f["feasible"].tolist() == [True, False, False]
    assert f.loc["v7", "violation"] == 0.0  # at equality: infeasible, no measurable violation


def test_constraint_domination_order_in_analysis():
    a = analyze(DF, model("ms <= 120", "ms <= champion + 1"), champion="champ")
    assert a.limits["limit"].tolist() == [120, 101]
    t = a.to_frame()
    assert t.loc["v8", "feasible"] == False  # noqa: E712
    assert t.loc["v8", "rank"] == 3
    assert t.loc["v8", "pareto"]  # non-dominated when constraints are ignored


def test_subnormal_relative_limit_does_not_overflow_the_violation():
    # 'acc >= 0.9 * champion' with a champion at 2.2e-308 gave a subnormal limit; dividing the
    # shortfall by it overflowed (RuntimeWarning, infinite violation).
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max", "constraint": "<= 0.9 * champion"}]}
    )
    df = pd.DataFrame({"id": ["champ", "big"], "acc": [2.2250738585072014e-308, 4.0]})
    f = feasibility(df, qm, champion="champ")
    assert f["feasible"].tolist() == [False, False]
    assert np.isfinite(f["violation"]).all() and f.loc["big", "violation"] > 1e150


def test_limits_differing_beyond_six_digits_keep_their_own_columns():
    # ':g' labels made both columns 'x <= 0.123457': one silently overwrote the other
    qm = QualityModel.from_dict(
        {
            "objectives": [{"name": "x", "direction": "min"}, {"name": "y", "direction": "max"}],
            "constraints": ["x <= 0.1234567", "x <= 0.1234568"],
        }
    )
    df = pd.DataFrame({"id": ["a", "b"], "x": [0.12345675, 0.1], "y": [1, 2]})
    out = feasibility(df, qm)
    assert list(out.columns) == ["feasible", "violation", "x <= 0.1234567", "x <= 0.1234568"]
    assert out.loc["a", "x <= 0.1234567"] > 0 and out.loc["a", "x <= 0.1234568"] == 0
    assert out["feasible"].tolist() == [False, True]
