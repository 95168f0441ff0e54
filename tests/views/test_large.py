"""Above max_points: the front and the boundary one by one, the rest as density, and said so."""

import altair as alt
import numpy as np
import pandas as pd
import pytest

import workbench
from workbench import QualityModel
from workbench.analysis._pareto import nondominated_mask
from workbench.views import ChartError, linked_views, parallel_coordinates, pareto_scatter, scatter_matrix

N = 100_000
MODEL = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max", "constraint": ">= 0.5"},
            {"name": "ms", "direction": "min", "unit": "ms", "constraint": "<= 60"},
            {"name": "kb", "direction": "min", "unit": "KB"},
        ]
    }
)


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "id": [f"c{i:06d}" for i in range(N)],
            "acc": rng.beta(5, 2, N),
            "ms": rng.gamma(3, 10, N),
            "kb": rng.uniform(10, 500, N),
        }
    )
    return workbench.analyze(df, MODEL, champion="c000000", stability=False)


def transformer_state():
    return alt.data_transformers.active, dict(alt.data_transformers.options)


def test_100k_candidates_fit_under_the_row_limit_and_nothing_is_dropped(big):
    before = transformer_state()
    spec = pareto_scatter(big, "ms", "acc").to_dict()  # default transformer, default max_rows=5000
    assert transformer_state() == before == ("default", {})
    rows, density = spec["datasets"]["candidates"], spec["datasets"]["density"]
    assert len(rows) <= 5000 and len(density) <= 40 * 40
    assert len(rows) + sum(d["count"] for d in density) == N  # every candidate is a point or in a bin
    t = big.table
    drawn = {r["candidate"] for r in rows}
    assert set(big.front) <= drawn
    assert set(t.index[t["knee"]]) <= drawn and {big.recommended, "c000000"} <= drawn
    infeasible = t[~t["feasible"]]
    sign = np.array([o.sign for o in MODEL.objectives])
    boundary = infeasible.index[nondominated_mask(infeasible[MODEL.names].to_numpy() * sign)]
    assert set(boundary) <= drawn
    binned = N - len(rows)
    (note,) = [s for s in spec["title"]["subtitle"] if "shown as density" in s]
    assert note.startswith(f"{binned:,} of {N:,} candidates (") and note.endswith("(40×40 bins).")
    (dens,) = [lay for lay in spec["layer"] if lay["data"]["name"] == "density"]
    assert dens["mark"]["type"] == "rect" and dens["encoding"]["opacity"]["field"] == "count"


def test_density_bins_cover_the_data_and_share_the_axes(big):
    spec = pareto_scatter(big, "ms", "acc").to_dict()
    density = spec["datasets"]["density"]
    t = big.table
    assert min(d["x_start"] for d in density) == pytest.approx(t["ms"].min())
    assert max(d["y_end"] for d in density) == pytest.approx(t["acc"].max())
    (dens,) = [lay for lay in spec["layer"] if lay["data"]["name"] == "density"]
    assert dens["encoding"]["x"]["title"] == "ms [ms] (↓ better)"


def test_every_large_view_stays_small_and_says_so(big):
    for chart in (scatter_matrix(big), parallel_coordinates(big), linked_views(big, "ms", "acc")):
        spec = chart.to_dict()
        sizes = {k: len(v) for k, v in spec["datasets"].items()}
        assert sizes["candidates"] <= 5000 and all(v <= 5000 for v in sizes.values())
        assert any("shown as density" in s for s in spec["title"]["subtitle"])
    spec = parallel_coordinates(big).to_dict()
    per_axis = pd.DataFrame(spec["datasets"]["axis_density"]).groupby("axis_objective")["count"].sum()
    assert (per_axis == N - len(spec["datasets"]["candidates"])).all()  # every binned candidate, on every axis
    spec = scatter_matrix(big).to_dict()
    per_cell = pd.DataFrame(spec["datasets"]["density"]).groupby("cell")["count"].sum()
    assert len(per_cell) == 3 and (per_cell == N - len(spec["datasets"]["candidates"])).all()


def test_a_small_max_points_keeps_the_best_and_says_front_members_were_binned(big):
    spec = pareto_scatter(big, "ms", "acc", max_points=20).to_dict()
    rows = spec["datasets"]["candidates"]
    assert len(rows) == 20
    assert {big.recommended, "c000000"} <= {r["candidate"] for r in rows}
    (note,) = [s for s in spec["title"]["subtitle"] if s.startswith("Drawn one by one")]
    assert "the first 20 of them by that priority, then rank" in note
    assert len(rows) + sum(d["count"] for d in spec["datasets"]["density"]) == N
    with pytest.raises(ChartError, match="max_points must be a positive integer, got 0"):
        pareto_scatter(big, "ms", "acc", max_points=0)


def test_at_max_points_exactly_everything_is_drawn():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(300)],
            "acc": rng.uniform(size=300),
            "ms": rng.uniform(size=300),
            "kb": rng.uniform(size=300),
        }
    )
    a = workbench.analyze(df, MODEL, stability=False)
    spec = pareto_scatter(a, "ms", "acc", max_points=300).to_dict()
    assert len(spec["datasets"]["candidates"]) == 300 and "density" not in spec["datasets"]
    assert not any("density" in s for s in spec["title"]["subtitle"])
