"""Objective names and candidate ids with Vega expression / field-path syntax -> the Altair views.

A Vega-Lite ``field`` reads ``.`` and ``[...]`` as nested access, and Vega expressions evaluate
what they are given: a name such as ``a['b']`` or ``')+alert(1)+('`` must stay a plain column
name. Oracle: each view is rendered to SVG by Vega itself (vl-convert, no browser) for an
analysis with hostile names and for the same analysis with harmless names; the values in the
marks' ARIA descriptions (what the tooltips show) must be the same numbers in both, the same
number of marks must be drawn, and the hostile text must appear in the titles literally.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.hardening import _evil, _tally, attacks

vlc = pytest.importorskip("vl_convert")

AREA = "hostile_views"
PAYLOADS = [p for p in attacks.VEGA + attacks.HTML[:4] + attacks.TEMPLATE[3:5]] + ["a\\[0]", "\\", "x\\'y"]
VALUE = re.compile(r": (-?[0-9][0-9.e+-]*%?|null|true|false|NaN|undefined)(?=;|$)")


def _views(analysis):
    import workbench.views as v

    x, y = analysis.model.names
    return {
        "pareto_scatter": v.pareto_scatter(analysis, x, y),
        "parallel_coordinates": v.parallel_coordinates(analysis),
        "scatter_matrix": v.scatter_matrix(analysis),
        "ranking_bars": v.ranking_bars(analysis),
    }


def _render(chart) -> tuple[list[str], int, str]:
    svg = vlc.vegalite_to_svg(chart.to_dict())
    labels = [html.unescape(s) for s in re.findall(r'aria-label="([^"]*)"', svg)]
    values = sorted(v for lab in labels if not lab.startswith(("X-axis", "Y-axis")) for v in VALUE.findall(lab))
    return values, svg.count("<path"), html.unescape(svg)


@pytest.fixture(scope="module")
def baseline():
    a = _evil.evil_analysis(_evil.BENIGN)
    return {name: _render(chart) for name, chart in _views(a).items()}


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_views_read_hostile_names_as_plain_columns(payload, baseline):
    a = _evil.evil_analysis(payload)
    acc = _evil.objective_names(payload)[0]
    for name, chart in _views(a).items():
        try:
            values, marks, svg = _render(chart)
            ok = (values, marks) == baseline[name][:2] and (name == "ranking_bars" or acc in svg)
        except Exception:  # noqa: BLE001 - a spec Vega cannot run is an attack that got through
            ok = False
        _tally.assert_blocked(AREA, payload, not ok, f"{name} (fields, tooltips, titles)")
