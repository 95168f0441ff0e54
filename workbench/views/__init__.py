"""Charts of an analysis: pure functions that return Altair charts (nothing is displayed here).

Every function takes an :class:`~workbench.Analysis`, checks the names it is given before
building anything (a misspelled objective raises :class:`~workbench.errors.UnknownObjectiveError`
with the valid names, where Altair would draw an empty chart) and returns a self-contained,
themed chart whose data is inline as named datasets: ``chart.to_dict()``, ``to_json()`` and
``to_html(inline=True)`` work offline, whatever altair data transformer is enabled.

=============================== =========================================================
view                            shows
=============================== =========================================================
:func:`pareto_scatter`          two objectives: front, dominated, infeasible, SLOs, knees
:func:`scatter_matrix`          every pair of objectives, one brush across the cells
:func:`parallel_coordinates`    every objective, normalised so that up is better
:func:`linked_views`            the scatter and the parallel coordinates sharing a brush
:func:`ranking_bars`            scores in rank order
:func:`acceptability_bars`      SMAA rank acceptability
:func:`stability_tornado`       weight ranges over which the top choice stays first
:func:`rates_chart`             trade-off rates along the two-objective front
:func:`conflict_heatmap`        observed conflicts and synergies vs the literature prior
:func:`replicate_spread`        mean ± std over seeds
:func:`monitoring_timeseries`   one objective per version over monitoring windows, SLO, triggers
:func:`monitoring_panel`        the time series of every monitored objective, stacked
=============================== =========================================================

For a page that keeps a chart drawn (the explorer), :func:`pareto_live` gives the Pareto scatter
as a :class:`LiveView` and :func:`pareto_reweighted` the rows that change on a weight move, so the
page updates the drawn data in place instead of redrawing (see ``workbench.views.live``); its
candidate marks carry their rows as tooltips, for the page to format on hover
(:func:`hover_tooltips`).

Views with a ``brush`` param (an interval selection on x and y) read the same ``candidates``
dataset, one row per drawn candidate with stable columns: ``candidate``, the objectives under
their own names, ``rank``, ``score``, ``feasible``, ``violation``, ``front``, ``status``,
``knee``, ``role``, ``label`` (and ``acceptability``, ``confidence`` with SMAA).

>>> import workbench.views as views
>>> views.__all__[:3]
['pareto_scatter', 'scatter_matrix', 'parallel_coordinates']
"""

from workbench.views._data import ChartError, MissingResultError
from workbench.views.conflicts import conflict_heatmap
from workbench.views.live import (
    HOVER_TOOLTIPS,
    LiveView,
    brush_objectives,
    hover_tooltips,
    pareto_live,
    pareto_reweighted,
    to_spec,
)
from workbench.views.monitoring import monitoring_panel, monitoring_timeseries
from workbench.views.pareto import linked_views, parallel_coordinates, pareto_scatter, scatter_matrix
from workbench.views.ranking import acceptability_bars, ranking_bars
from workbench.views.rates import rates_chart
from workbench.views.robustness import replicate_spread, stability_tornado

__all__ = [
    "pareto_scatter",
    "scatter_matrix",
    "parallel_coordinates",
    "linked_views",
    "ranking_bars",
    "acceptability_bars",
    "stability_tornado",
    "rates_chart",
    "conflict_heatmap",
    "replicate_spread",
    "monitoring_timeseries",
    "monitoring_panel",
    "pareto_live",
    "pareto_reweighted",
    "brush_objectives",
    "hover_tooltips",
    "HOVER_TOOLTIPS",
    "LiveView",
    "to_spec",
    "ChartError",
    "MissingResultError",
]
