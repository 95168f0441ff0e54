"""Executed review notebooks as HTML that draws its charts offline.

Altair's notebook outputs need the network once exported: the default renderer leaves a Vega-Lite
mimetype that nbconvert's HTML cannot draw, and the ``html`` renderer loads Vega from a CDN. The
``workbench`` nbconvert template shipped with this package fixes both::

    jupyter nbconvert --to html --template workbench review.ipynb
    workbench export notebook review.ipynb -o review.html      # the same, through export_notebook()

Its preprocessor (:class:`OfflineVega`) rewrites every Vega / Vega-Lite output (the mimetype, or
the CDN-loading HTML of Altair's ``html`` renderer) into a ``<div>`` plus its spec, and the template
puts one copy of the Vega / Vega-Lite / vega-embed bundle -- the one the decision memo inlines,
:func:`workbench.reports.memo.javascript_bundle` -- in the page head. The template also leaves out
what nbconvert's ``lab`` page fetches from a CDN (require.js, MathJax, Mermaid, the widget
manager), so the page makes no request beyond itself.

This module imports no Jupyter library at import time; :func:`export_notebook` imports nbconvert
and nbformat when called.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError, require

__all__ = [
    "TEMPLATE",
    "NotebookExport",
    "NotebookExportError",
    "OfflineVega",
    "chart_html",
    "export_notebook",
    "offline_charts",
    "template_dir",
]

#: Name of the shipped nbconvert template (``--template workbench``).
TEMPLATE = "workbench"
#: ``resources`` key under which :class:`OfflineVega` hands the bundle ``<script>`` to the template.
RESOURCE = "workbench_vega_bundle"

_VEGA_MIME = re.compile(r"^application/vnd\.vega(lite)?\.v\d+\+json$")
#: Altair's ``html`` renderer: ``(function(spec, embedOpt){ ... cdn ... })({spec}, {opt});``
_CDN_VEGA = re.compile(r"https?://[^\"'\s]*/npm/vega")


class NotebookExportError(WorkbenchError, ValueError):
    """The notebook to export is missing or is not a Jupyter notebook."""


@dataclass(frozen=True)
class NotebookExport:
    """What :func:`export_notebook` wrote."""

    #: The HTML file.
    path: Path
    #: Number of Vega / Vega-Lite outputs rewritten to draw with the inline bundle.
    charts: int
    #: Size of the HTML file in bytes.
    size: int


def bundle_script() -> str:
    """The Vega bundle as one ``<script>`` (run once per page), then the charts that waited for it."""
    from workbench.reports.memo import javascript_bundle

    return (
        "<script>if (!window.vegaEmbed) { (function () {\n" + javascript_bundle() + "\n})(); }\n"
        "(window.__wbVegaQueue || []).forEach(function (f) { f(); }); window.__wbVegaQueue = [];</script>"
    )


def chart_html(spec: dict[str, Any]) -> str:
    """HTML that draws one Vega or Vega-Lite ``spec`` with the page's ``vegaEmbed`` (SVG, no actions).

    A chart placed before the bundle waits in a queue that the bundle drains. The element gets
    ``data-rendered="true"`` once drawn (``"error"`` and a message when vega-embed refuses the spec).
    """
    from workbench.reports.memo import script_json

    key = f"wb-vega-{uuid.uuid4().hex[:12]}"
    draw = (
        "<script>(function () {\n"
        f"  var el = document.getElementById({json.dumps(key)});\n"
        f"  var spec = JSON.parse(document.getElementById({json.dumps(key + '-spec')}).textContent);\n"
        "  function draw() {\n"
        "    vegaEmbed(el, spec, {renderer: 'svg', actions: false})\n"
        "      .then(function () { el.setAttribute('data-rendered', 'true'); })\n"
        "      .catch(function (err) { el.setAttribute('data-rendered', 'error');"
        " el.textContent = 'This chart could not be drawn: ' + err; });\n"
        "  }\n"
        "  if (window.vegaEmbed) { draw(); } else { (window.__wbVegaQueue = window.__wbVegaQueue || []).push(draw); }\n"
        "})();</script>"
    )
    return "\n".join(
        [
            f'<div class="wb-vega" id="{key}"></div>',
            f'<script type="application/json" id="{key}-spec">{script_json(spec)}</script>',
            draw,
        ]
    )


def _spec_of_cdn_html(html: str) -> dict[str, Any] | None:
    """The spec inside the HTML of Altair's ``html`` renderer (which loads Vega from a CDN), or None."""
    if not _CDN_VEGA.search(html):
        return None
    start = html.rfind("})({")
    if start < 0:
        return None
    try:
        spec, _ = json.JSONDecoder().raw_decode(html, start + 3)
    except ValueError:
        return None
    return spec if isinstance(spec, dict) else None


def _chart_spec(data: dict[str, Any]) -> dict[str, Any] | None:
    for mime, value in data.items():
        if _VEGA_MIME.match(mime):
            return json.loads(value) if isinstance(value, str) else value
    html = data.get("text/html")
    if html is not None:
        return _spec_of_cdn_html(html if isinstance(html, str) else "".join(html))
    return None


def offline_charts(nb: Any) -> int:
    """Rewrite, in place, every Vega / Vega-Lite output of notebook ``nb`` (a dict or nbformat node)
    as :func:`chart_html`; returns how many were rewritten. Other outputs are left alone."""
    n = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = output.get("data", {})
            spec = _chart_spec(data)
            if spec is None:
                continue
            plain = data.get("text/plain", "<Vega chart>")
            data.clear()
            data.update({"text/html": chart_html(spec), "text/plain": plain})
            meta = output.get("metadata")
            if isinstance(meta, dict):
                for key in [k for k in meta if k not in data]:
                    del meta[key]
            n += 1
    return n


class OfflineVega:
    """nbconvert preprocessor of the ``workbench`` template: :func:`offline_charts`, and the bundle
    ``<script>`` in ``resources[RESOURCE]`` when there is a chart (the template puts it in the head)."""

    def __init__(self, enabled: bool = True, **_: Any) -> None:
        self.enabled = enabled

    def __call__(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if not self.enabled:
            return nb, resources
        count = offline_charts(nb)
        resources["workbench_charts"] = count
        resources[RESOURCE] = bundle_script() if count else ""
        return nb, resources


def template_dir() -> Path:
    """The folder holding the ``workbench`` nbconvert template. ``pip install`` also copies it to
    ``share/jupyter/nbconvert/templates/workbench``, where ``jupyter nbconvert`` finds it."""
    return Path(__file__).parent / "nbconvert"


def _read_notebook(path: Path) -> Any:
    nbformat = require("nbformat", "reports", "Exporting a notebook")
    if not path.exists():
        raise NotebookExportError(
            f"No notebook at {str(path)!r}.\n"
            "  Fix: pass the path of an executed notebook (.ipynb), e.g. OUTDIR/review.ipynb."
        )
    if path.is_dir():
        raise NotebookExportError(
            f"{str(path)!r} is a folder, not a notebook.\n"
            "  Fix: pass the .ipynb file inside it, e.g. OUTDIR/review.ipynb."
        )
    try:
        text = path.read_text(encoding="utf-8")
        top = json.loads(text)
        if not isinstance(top, dict):
            raise ValueError(f"its JSON is a {type(top).__name__}, not an object with 'cells'")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except (OSError, UnicodeDecodeError, ValueError, nbformat.ValidationError, AttributeError, KeyError) as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookExportError(
            f"{str(path)!r} is not a Jupyter notebook (nbformat 4 JSON): {why}.\n"
            "  Fix: pass an .ipynb file written by Jupyter or papermill, e.g. OUTDIR/review.ipynb."
        ) from None
    return nb


def export_notebook(notebook: str | os.PathLike[str], output: str | os.PathLike[str] | None = None) -> NotebookExport:
    """Export an executed notebook to one self-contained HTML file whose charts draw offline.

    Parameters
    ----------
    notebook : path
        The ``.ipynb`` file (for example a review's ``review.ipynb``).
    output : path, optional
        The HTML file (default: the notebook's path with ``.html``); written through a temporary
        file and a rename.

    Raises
    ------
    NotebookExportError
        When ``notebook`` is missing, a folder, or not a Jupyter notebook.
    OutputError
        When the OS refuses the write.
    """
    src = Path(notebook)
    nb = _read_notebook(src)
    nbconvert = require("nbconvert", "reports", "Exporting a notebook")
    exporter = nbconvert.HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(template_dir())])
    html, resources = exporter.from_notebook_node(nb, resources={"metadata": {"name": src.stem}})
    from workbench._io import atomic_write_text

    target = atomic_write_text(Path(output) if output is not None else src.with_suffix(".html"), html)
    return NotebookExport(target, int(resources.get("workbench_charts", 0)), target.stat().st_size)
