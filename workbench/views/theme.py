"""The views' look: a colour-blind-safe palette and readable defaults, applied per chart.

Nothing here touches altair's global state: :func:`apply` returns a copy of a chart carrying the
theme in its own ``config``, so a notebook's ``alt.themes`` setting stays as the analyst left it
(and still fills in whatever the chart does not set).

The palette is Okabe & Ito's (2008), distinguishable under the common colour-vision deficiencies.
Candidates keep the same colour for the same meaning in every view:

========== ======================= =====================================
status     colour                  mark
========== ======================= =====================================
front      blue ``#0072B2``        filled circle, connected by a line
dominated  grey ``#8C8C8C``        faded circle
infeasible vermillion ``#D55E00``  cross
========== ======================= =====================================

>>> STATUS_COLORS["front"], STATUS_SHAPES["infeasible"]
('#0072B2', 'cross')
>>> import altair as alt
>>> chart = apply(alt.Chart().mark_point())
>>> chart.to_dict()["config"]["range"]["category"][:2]
['#0072B2', '#E69F00']
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

import altair as alt

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "STATUSES",
    "STATUS_COLORS",
    "STATUS_SHAPES",
    "STATUS_OPACITY",
    "ROLE_COLORS",
    "SLO_COLOR",
    "DENSITY_COLOR",
    "INTERVAL_COLOR",
    "UNSELECTED",
    "config",
    "apply",
]

#: Okabe & Ito's eight colours.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Categorical order: the most distinguishable colours first (yellow late: poor on white).
PALETTE = [
    OKABE_ITO[c]
    for c in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
]

#: A candidate's status in every view, in drawing order (later ones are drawn on top).
STATUSES = ("dominated", "infeasible", "front")
STATUS_COLORS = {"front": OKABE_ITO["blue"], "dominated": "#8C8C8C", "infeasible": OKABE_ITO["vermillion"]}
STATUS_SHAPES = {"front": "circle", "dominated": "circle", "infeasible": "cross"}
STATUS_OPACITY = {"front": 1.0, "dominated": 0.35, "infeasible": 0.6}
#: Rings around the candidates a decision is about.
ROLE_COLORS = {"recommended": OKABE_ITO["black"], "champion": OKABE_ITO["orange"], "knee": OKABE_ITO["bluish_green"]}
#: Constraint (SLO) rules.
SLO_COLOR = OKABE_ITO["vermillion"]
#: Binned density of candidates not drawn one by one.
DENSITY_COLOR = "#5A5A5A"
#: Seed-interval bars behind the points: quieter than the points, visible on white.
INTERVAL_COLOR = "#9A9A9A"
#: Marks outside a brush.
UNSELECTED = "#D9D9D9"

_CONFIG: dict[str, Any] = {
    "font": "Helvetica, Arial, sans-serif",
    "background": "white",
    "padding": 8,
    "view": {"stroke": "#DDDDDD", "continuousWidth": 420, "continuousHeight": 320},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "titleColor": "#333333",
        "labelColor": "#333333",
        "gridColor": "#EBEBEB",
        "domainColor": "#888888",
        "tickColor": "#888888",
        "labelLimit": 220,
    },
    "legend": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal", "symbolSize": 80},
    "header": {"labelFontSize": 11, "titleFontSize": 12},
    "title": {
        "fontSize": 14,
        "fontWeight": "bold",
        "anchor": "start",
        "subtitleFontSize": 11,
        "subtitleColor": "#555555",
        "offset": 10,
    },
    "range": {
        "category": PALETTE,
        "ordinal": {"scheme": "viridis"},
        "ramp": {"scheme": "viridis"},
        "diverging": {"scheme": "blueorange"},
    },
    "text": {"fontSize": 11},
}

C = TypeVar("C", bound=alt.TopLevelMixin)


def config() -> dict[str, Any]:
    """The theme as a Vega-Lite ``config`` mapping (a fresh copy each call)."""
    return copy.deepcopy(_CONFIG)


def apply(chart: C) -> C:
    """Return a copy of a top-level ``chart`` with the workbench theme as its ``config``.

    The chart's own settings win over the theme; altair's active global theme fills in the rest.
    """
    out = chart.copy(deep=False)
    out.config = alt.Config.from_dict(config())
    return out
