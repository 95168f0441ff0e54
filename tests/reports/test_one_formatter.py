"""One analysis printed by every output: the memo, the CLI table, the MADR record, the summary's
rationale and the explorer's table show the recommended candidate's numbers with the same digits
and units (those of :func:`workbench.format.format_number`)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

from workbench import QualityModel, analyze  # noqa: E402
from workbench.format import format_number  # noqa: E402

MODEL = {
    "name": "formatter",
    "objectives": [
        {"name": "recall", "direction": "max", "weight": 3, "constraint": ">= 0.88"},
        {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "weight": 1, "constraint": "<= 200"},
        {"name": "energy_wh", "direction": "min", "unit": "Wh", "weight": 1},
        {"name": "size", "direction": "min", "unit": "B", "weight": 1},
    ],
}
DATA = pd.DataFrame(
    {
        "id": ["svm", "gb", "mlp"],
        "recall": [0.927083333, 0.901041667, 0.932291667],
        "latency_p95_ms": [131.2000001, 35.5, 1520.0],
        "energy_wh": [2.987e-05, 1.0952e-03, 6.35e-05],
        "size": [1919.0, 69238.0, 142541.0],
    }
)


@pytest.fixture(scope="module")
def analysis():
    return analyze(DATA, QualityModel.from_dict(MODEL), seed=0)


@pytest.fixture(scope="module")
def expected(analysis):
    """The recommended candidate's score and values as the formatter prints them."""
    rec = analysis.recommended
    row = analysis.table.loc[rec]
    out = {"score": format_number(row["score"])}
    out |= {o.name: format_number(row[o.name], o.unit) for o in analysis.model.objectives}
    return rec, out


def _cells(html_row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html_row, re.S)]


def test_the_expected_texts_are_the_readable_ones(expected):
    rec, e = expected
    assert rec == "svm"
    assert (e["latency_p95_ms"], e["energy_wh"], e["recall"], e["size"]) == ("131 ms", "29.9 µWh", "0.9271", "1,919 B")


def test_memo(analysis, expected):
    from workbench.reports import Memo

    rec, e = expected
    page = Memo.from_analysis(analysis).to_html()
    row = next(r for r in re.findall(r"<tr class=\"chosen\">.*?</tr>", page, re.S))
    cells = _cells(row)
    assert e["score"] in cells and all(e[o] in cells for o in DATA.columns[1:]), cells


def test_cli_table(analysis, expected):
    from rich.console import Console

    from workbench.cli.analyze import ranked_table

    rec, e = expected
    out = io.StringIO()
    Console(file=out, width=200).print(ranked_table(analysis, 200)[0])
    line = next(x for x in out.getvalue().splitlines() if f" {rec} " in x)
    for key, text in e.items():
        assert text in line, (key, text, line)


def test_madr_record_and_summary_text(analysis, expected):
    from workbench.decisions import DecisionRecord
    from workbench.reports.review import build_summary

    rec, e = expected
    summary = build_summary(analysis, views=False)
    rationale = summary["decision"]["rationale"]
    assert f"({e['score']})" in rationale  # "ranks 1 by the weighted sum score (0.7…)"
    assert f"it has {e['latency_p95_ms']}" in rationale and f"it has {e['recall']}" in rationale
    madr = DecisionRecord.from_summary(summary).to_madr()
    assert f"* {rec} — rank 1, " in madr and f"score {e['score']}" in madr
    consequences = madr[madr.index("### Consequences") :]
    for key in ("energy_wh", "latency_p95_ms"):  # "(29.9 µWh vs 1.1 mWh)": the chosen's value first
        assert f"({e[key]} vs " in consequences, (key, consequences)


def test_widget_table(analysis, expected):
    pytest.importorskip("ipywidgets")
    from widgets._common import candidates_table_html

    rec, e = expected
    html = candidates_table_html(analysis.table, analysis.model, caption="ranked")
    row = re.search(rf'<tr class="[^"]*" data-candidate="{rec}">.*?</tr>', html, re.S).group(0)
    cells = _cells(row)
    assert e["score"] in cells and all(e[o] in cells for o in DATA.columns[1:]), cells
