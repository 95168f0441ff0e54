"""Offline HTML of executed notebooks (workbench.reports.notebook, `workbench export notebook`,
`jupyter nbconvert --template workbench`) and the review notebook's recorded paths."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")
pytest.importorskip("vl_convert")

import nbformat  # noqa: E402

from workbench.reports.memo import javascript_bundle  # noqa: E402
from workbench.reports.notebook import NotebookExportError, export_notebook  # noqa: E402
from workbench.reports.outputs import STAGE_PREFIX  # noqa: E402

#: A network reference the browser would fetch: script/img/iframe src, link href, CSS url()/@import.
NETWORK_REF = re.compile(r"""(?:\bsrc\s*=\s*|\bhref\s*=\s*|url\(\s*|@import\s+)["']?\s*(?:https?:)?//""", re.I)
SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "mark": "point",
    "data": {"values": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]},
    "encoding": {"x": {"field": "a", "type": "quantitative"}, "y": {"field": "b", "type": "quantitative"}},
}


def _network_refs(html: str) -> list[str]:
    """Every network reference of the page outside the inline Vega bundle's code."""
    page = html.replace(javascript_bundle(), "")
    return [page[m.start() : m.start() + 80] for m in NETWORK_REF.finditer(page)]


def _is_chart(data: dict) -> bool:
    """An Altair output as the kernel left it: a Vega mimetype, or HTML that loads Vega from a CDN."""
    html = "".join(data.get("text/html", ""))
    return any(re.match(r"application/vnd\.vega(lite)?\.v\d+\+json", k) for k in data) or (
        "vegaEmbed" in html and "cdn.jsdelivr.net/npm/vega" in html
    )


def _altair_cdn_html() -> dict:
    """The output Altair's own ``html`` renderer produces (it loads Vega from a CDN)."""
    import altair as alt
    import pandas as pd

    chart = alt.Chart(pd.DataFrame({"a": [1.5, 2.5], "b": [7, 8]})).mark_point().encode(x="a", y="b")
    with alt.renderers.enable("html"):
        bundle = chart._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "cdn.jsdelivr.net" in bundle["text/html"]  # the case this module exists for
    return bundle


@pytest.fixture
def chart_notebook(tmp_path) -> Path:
    """A notebook with a Vega-Lite mimetype output, an Altair CDN-html output and a plain output."""
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Charts"),
            v4.new_code_cell(
                "chart",
                outputs=[
                    v4.new_output(
                        "display_data",
                        data={"application/vnd.vegalite.v5+json": SPEC, "text/plain": "<VegaLite 5 object>"},
                    )
                ],
            ),
            v4.new_code_cell("html_chart", outputs=[v4.new_output("display_data", data=_altair_cdn_html())]),
            v4.new_code_cell(
                "1 + 1",
                execution_count=1,
                outputs=[v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)],
            ),
        ]
    )
    path = tmp_path / "charts.ipynb"
    nbformat.write(nb, path)
    return path


def test_export_inlines_vega_once_and_references_no_network(chart_notebook, tmp_path):
    result = export_notebook(chart_notebook, tmp_path / "out" / "charts.html")
    html = result.path.read_text(encoding="utf-8")
    assert result.charts == 2 and result.size == len(html.encode("utf-8"))
    assert html.count(javascript_bundle()) == 1  # the memo's bundle, once, whatever the number of charts
    assert html.count('class="wb-vega"') == 2
    assert "cdn.jsdelivr" not in html and "require.min.js" not in html and "mathjax" not in html.lower()
    assert _network_refs(html) == []
    assert '"values": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]' in html  # the mimetype spec
    assert '{"a": 1.5, "b": 7}' in html  # the spec recovered from Altair's CDN html
    assert "<pre>2</pre>" in html  # other outputs unchanged
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["charts.html"]  # no temp file left


def test_the_network_grep_finds_what_nbconvert_lab_page_fetches(chart_notebook):
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter(template_name="lab").from_filename(str(chart_notebook))
    assert _network_refs(html)  # require.js from a CDN: the grep is not blind


@pytest.mark.slow
def test_jupyter_nbconvert_finds_the_installed_template(chart_notebook, tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "html",
            "--template",
            "workbench",
            str(chart_notebook),
            "--output-dir",
            str(tmp_path / "nbc"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    html = (tmp_path / "nbc" / "charts.html").read_text(encoding="utf-8")
    assert html.count('class="wb-vega"') == 2 and html.count(javascript_bundle()) == 1
    assert _network_refs(html) == []


def test_a_notebook_without_charts_carries_no_bundle(tmp_path):
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("text only")]), path)
    result = export_notebook(path)
    assert result.path == tmp_path / "plain.html" and result.charts == 0
    html = result.path.read_text(encoding="utf-8")
    assert "vegaEmbed" not in html and _network_refs(html) == []


@pytest.mark.parametrize(
    "content, why",
    [
        (None, "No notebook at"),
        ("id,acc\na,0.9\n", "is not a Jupyter notebook"),
        ('{"cells": "not a list"}', "is not a Jupyter notebook"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, content, why):
    path = tmp_path / "bad.ipynb"
    if content is not None:
        path.write_text(content)
    with pytest.raises(NotebookExportError, match=why) as info:
        export_notebook(path, tmp_path / "bad.html")
    assert str(path) in str(info.value) and "Fix:" in str(info.value)
    assert not (tmp_path / "bad.html").exists()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "export", "notebook", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_cli_export_notebook(chart_notebook, tmp_path):
    r = _cli(str(chart_notebook), "-o", "page.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2 charts drawn offline" in r.stderr
    assert _network_refs((tmp_path / "page.html").read_text(encoding="utf-8")) == []
    r = _cli("missing.ipynb", cwd=tmp_path)
    assert r.returncode == 2 and "No notebook at 'missing.ipynb'" in r.stderr
    (tmp_path / "data.csv").write_text("id,acc\na,0.9\n")
    r = _cli("data.csv", "-o", "x.html", cwd=tmp_path)
    assert r.returncode == 2 and "is not a Jupyter notebook" in r.stderr and not (tmp_path / "x.html").exists()
    r = _cli(str(chart_notebook), "-o", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "it is a folder" in r.stderr


@pytest.mark.slow
def test_the_review_notebook_records_the_output_folder_not_the_staging_folder(review):
    out = review.output_dir
    for name in ("review.ipynb", "summary.json", "decision.md", "memo.html"):
        assert STAGE_PREFIX not in (out / name).read_text(encoding="utf-8"), name
    nb = json.loads(review.notebook.read_text(encoding="utf-8"))
    meta = nb["metadata"]["papermill"]
    assert meta["parameters"]["output_dir"] == str(out)
    assert meta["output_path"] == str(out / "review.ipynb")
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert f"output_dir = {str(out)!r}" in "".join(injected["source"]).replace('"', "'")


@pytest.mark.slow
def test_an_executed_review_exports_offline(review, tmp_path):
    nb = json.loads(review.notebook.read_text(encoding="utf-8"))
    vega = [o for c in nb["cells"] for o in c.get("outputs", []) if _is_chart(o.get("data", {}))]
    assert len(vega) >= 3  # linked views, ranking, acceptability, tornado: what the kernel displayed
    result = export_notebook(review.notebook, tmp_path / "review.html")
    assert result.charts == len(vega)
    html = result.path.read_text(encoding="utf-8")
    assert html.count(javascript_bundle()) == 1 and _network_refs(html) == []


def test_a_hostile_value_in_a_chart_stays_data(tmp_path):
    evil = "</script><script>alert(1)</script>"
    spec = {**SPEC, "data": {"values": [{"a": 1, "b": 2, "id": evil}]}}
    v4 = nbformat.v4
    path = tmp_path / "evil.ipynb"
    nbformat.write(
        v4.new_notebook(
            cells=[
                v4.new_code_cell(
                    "chart", outputs=[v4.new_output("display_data", data={"application/vnd.vegalite.v5+json": spec})]
                )
            ]
        ),
        path,
    )
    html = export_notebook(path).path.read_text(encoding="utf-8")
    assert evil not in html and "alert(1)" in html  # present, escaped inside the spec's JSON
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in html
