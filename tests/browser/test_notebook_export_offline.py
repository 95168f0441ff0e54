"""An executed review notebook exported by ``workbench export notebook`` in a real Chromium
(Playwright), opened from file:// with every other request aborted: each chart draws SVG marks, no
request fails, no console error. Uses the ``chromium`` and ``browser_page`` fixtures of this folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
for _module in ("papermill", "nbconvert", "jinja2", "vl_convert"):
    pytest.importorskip(_module)

ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT = 30_000
ALL_DONE = "() => [...document.querySelectorAll('.wb-vega')].every(e => e.dataset.rendered)"


def _is_chart(data: dict) -> bool:
    """An Altair output as the kernel left it: a Vega mimetype, or HTML that loads Vega from a CDN."""
    html = "".join(data.get("text/html", ""))
    return any(re.match(r"application/vnd\.vega(lite)?\.v\d+\+json", k) for k in data) or (
        "vegaEmbed" in html and "cdn.jsdelivr.net/npm/vega" in html
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, int]:
    """The HTML export of a real trade_off_review run (papermill, a Python kernel) of five
    candidates, and the number of Vega outputs the executed notebook holds."""
    from workbench.reports import run_review
    from workbench.reports.notebook import export_notebook

    base = tmp_path_factory.mktemp("nbexport")
    pd.DataFrame(
        {"id": ["a", "b", "c", "d", "e"], "acc": [0.91, 0.93, 0.95, 0.90, 0.97], "ms": [12.0, 20.0, 31.0, 9.0, 55.0]}
    ).to_csv(base / "c.csv", index=False)
    (base / "q.yaml").write_text(
        "objectives:\n  - {name: acc, direction: max, weight: 2}\n"
        "  - {name: ms, direction: min, unit: ms, constraint: '<= 50'}\n"
    )
    review = run_review(
        "trade_off_review",
        {"candidates": str(base / "c.csv"), "quality_model": str(base / "q.yaml"), "smaa_samples": 200, "seed": 0},
        base / "out",
        progress=False,
    )
    nb = json.loads(review.notebook.read_text(encoding="utf-8"))
    charts = sum(1 for c in nb["cells"] for o in c.get("outputs", []) if _is_chart(o.get("data", {})))
    result = export_notebook(review.notebook, base / "review.html")
    assert result.charts == charts
    return result.path, charts


def test_exported_review_draws_every_chart_with_the_network_blocked(browser_page, exported):
    path, charts = exported
    page = browser_page
    aborted: list[str] = []
    failed: list[str] = []
    problems: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    page.route("**/*", only_files)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.goto(path.as_uri())
    page.wait_for_function(ALL_DONE, timeout=TIMEOUT)

    assert charts >= 3  # the review displays its views: linked Pareto/parallel, ranking, acceptability...
    states = page.eval_on_selector_all(".wb-vega", "els => els.map(e => e.dataset.rendered)")
    assert states == ["true"] * charts, states
    marks = page.eval_on_selector_all(
        ".wb-vega",
        "els => els.map(e => e.querySelectorAll('svg .mark-symbol path, svg .mark-rect path, "
        "svg .mark-line path, svg .mark-rule line, svg .mark-area path, canvas').length)",
    )
    assert all(n >= 1 for n in marks), marks  # every chart drew marks, not only an empty frame
    assert aborted == [] and failed == [] and problems == []
    assert page.requests == [path.as_uri()]  # nothing but the file itself
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-notebook-export.png"), full_page=True)
