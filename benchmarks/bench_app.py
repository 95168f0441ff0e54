"""The decision app (``workbench app``, Voilà) in a real Chromium: first paint and weight-move latency.

The real command line serves the app on the embedded demo (127.0.0.1, a temporary decision log;
``tests/browser/_app.py`` starts and stops it), and headless Chromium, driven by Playwright, at
1280x720 with every host but 127.0.0.1 blocked:

* ``first_paint_ms``: from the navigation's start (``performance.timeOrigin``) until the
  recommendation headline is in the page -- Voilà's page, a fresh kernel, loading the demo's
  runs from MLflow, the analysis with SMAA-2 (2,000 samples, the app's default) and the widgets'
  messages; ``table_shown_ms`` / ``chart_drawn_ms`` until the ranked table and the chart's marks
  are drawn. One round per fresh browser context (a fresh kernel each time).
* per weight move (the latency weight dragged with the mouse, alternately left and right of the
  middle of its track), from ``pointerup``: ``table_updated_ms`` until the ranked table's text
  changed, ``headline_updated_ms`` until the recommendation/robustness headline changed and
  ``chart_settled_ms`` until the chart's last change before ``QUIET_MS`` without a mutation.

Medians and p90 over the rounds. Run: ``python benchmarks/bench_app.py`` (5 first paints, 15 moves;
about two minutes); results go to ``benchmarks/results/app.json``. ``--quick``: 2 first paints,
3 moves, no results file unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # tests.browser._app and workbench._io of this checkout
sys.path.insert(0, str(HERE))  # bench_browser's machine description and slider drag

from bench_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    alternating,
    drag,
    machine,
    terminated_as_interrupt,
)

from tests.browser._app import APP_READY, start_app  # noqa: E402
from workbench._io import atomic_write_text  # noqa: E402

RESULTS = HERE / "results" / "app.json"
PAINTS, MOVES = 5, 15
QUICK_PAINTS, QUICK_MOVES = 2, 3
QUIET_MS = 300
VIEWPORT = {"width": 1280, "height": 720}
WEIGHT = "latency_p95_ms"
OPEN_TIMEOUT = 240_000
UPDATE_TIMEOUT = 90_000

APP = ".wb-app"
TABLE = f"{APP} .wb-ranked-table"
CHART = f"{APP} .wb-pareto"
HEADLINE = f"{APP} .wb-headline"

#: Before the page's own scripts: the first-paint milestones, and the probe of one weight move.
PROBE = (
    """(() => {
  const probe = window.__wbApp = {ready: null, table: null, chart: null, current: null};
  const ready = __READY__;
  new MutationObserver(() => {
    const now = performance.now();
    if (probe.table === null && document.querySelector('__TABLE__ table')) probe.table = now;
    if (probe.chart === null && document.querySelector('__CHART__ svg [aria-roledescription]')) probe.chart = now;
    if (probe.ready === null && ready()) probe.ready = now;
  }).observe(document, {subtree: true, childList: true, characterData: true});
  window.addEventListener('pointerup', () => {
    const s = probe.current;
    if (s && s.t0 === null) s.t0 = performance.now();
  }, true);
  const watch = (sel, s, fn) => {
    const el = document.querySelector(sel);
    const o = new MutationObserver(() => fn(el));
    o.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
    s.observers.push(o);
  };
  probe.arm = (table, chart, headline) => {
    const s = {t0: null, tableBefore: document.querySelector(table).textContent,
               headBefore: document.querySelector(headline).textContent,
               tableAt: null, headAt: null, chartLast: null, observers: []};
    watch(table, s, el => { if (s.t0 !== null && s.tableAt === null && el.textContent !== s.tableBefore)
                              s.tableAt = performance.now(); });
    watch(headline, s, el => { if (s.t0 !== null && s.headAt === null && el.textContent !== s.headBefore)
                                 s.headAt = performance.now(); });
    watch(chart, s, () => { if (s.t0 !== null) s.chartLast = performance.now(); });
    probe.current = s;
  };
  probe.settled = quiet => {
    const s = probe.current;
    if (!s || s.t0 === null || s.tableAt === null || s.chartLast === null || s.headAt === null) return false;
    return performance.now() - Math.max(s.chartLast, s.tableAt, s.headAt) >= quiet;
  };
  probe.result = () => {
    const s = probe.current;
    s.observers.forEach(o => o.disconnect());
    probe.current = null;
    return {table_updated_ms: s.tableAt - s.t0, headline_updated_ms: s.headAt - s.t0,
            chart_settled_ms: s.chartLast - s.t0};
  };
})();""".replace("__READY__", APP_READY)
    .replace("__TABLE__", TABLE)
    .replace("__CHART__", CHART)
)


def offline_context(browser: Any) -> tuple[Any, list[str]]:
    """A 1280x720 context that reaches 127.0.0.1 only; the list collects what was blocked."""
    blocked: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", route)
    context.add_init_script(PROBE)
    return context, blocked


def open_app(context: Any, url: str) -> tuple[Any, dict[str, float]]:
    """A page of the app, waited on until it is drawn; its first-paint milestones (ms)."""
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded", timeout=OPEN_TIMEOUT)
    page.wait_for_function(
        "() => window.__wbApp.ready !== null && window.__wbApp.table !== null && window.__wbApp.chart !== null",
        timeout=OPEN_TIMEOUT,
        polling=100,
    )
    p = page.evaluate("() => window.__wbApp")
    return page, {
        "first_paint_ms": round(float(p["ready"]), 1),
        "table_shown_ms": round(float(p["table"]), 1),
        "chart_drawn_ms": round(float(p["chart"]), 1),
    }


def weight_move(page: Any, fraction: float) -> dict[str, float]:
    """Drag the weight to ``fraction`` of its track; the times until the page has followed."""
    slider = page.locator(f"{APP} .wb-weight-{WEIGHT}").first
    readout = slider.locator("input").first
    before = readout.input_value()
    page.evaluate("([t, c, h]) => window.__wbApp.arm(t, c, h)", [TABLE, CHART, HEADLINE])
    drag(page, slider, fraction)
    page.wait_for_function("(q) => window.__wbApp.settled(q)", arg=QUIET_MS, timeout=UPDATE_TIMEOUT, polling=50)
    if readout.input_value() == before:
        raise RuntimeError(f"dragging to {fraction:.2f} of the track left the weight at {before}")
    return {k: round(float(v), 1) for k, v in page.evaluate("() => window.__wbApp.result()").items()}


def summarise(runs: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": len(runs)}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = {
            "median": round(statistics.median(values), 1),
            "p90": round(float(np.percentile(values, 90)), 1),
            "all": values,
        }
    return out


def run(paints: int, moves: int, base: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with start_app(base) as app, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        blocked_all: list[str] = []
        try:
            firsts, move_runs = [], []
            for i in range(paints):
                context, blocked = offline_context(browser)
                try:
                    page, first = open_app(context, app.url)
                    firsts.append(first)
                    if i == paints - 1:  # the weight moves, in the last page (its kernel is warm)
                        weight_move(page, 0.5)  # warm-up, kept apart
                        move_runs = [weight_move(page, f) for f in alternating(0.5, moves)]
                finally:
                    context.close()
                    blocked_all += blocked
        except Exception as exc:
            raise RuntimeError(f"{exc}\n--- end of the app's log ---\n{app.log_tail()}") from exc
        finally:
            browser.close()
    if blocked_all:
        raise RuntimeError(f"the app asked for hosts other than 127.0.0.1: {blocked_all[:5]}")
    return {"first_paint": summarise(firsts), "weight_move": summarise(move_runs)}


def summary(results: dict[str, Any]) -> str:
    f, w = results["first_paint"], results["weight_move"]
    cell = lambda s: f"{s['median']:.0f} ms (p90 {s['p90']:.0f})"  # noqa: E731
    return "\n".join(
        [
            f"first paint (navigation → recommendation), {f['runs']} fresh pages: {cell(f['first_paint_ms'])}; "
            f"table {cell(f['table_shown_ms'])}; chart {cell(f['chart_drawn_ms'])}",
            f"weight move (mouse-up →), {w['runs']} moves: table {cell(w['table_updated_ms'])}; headline "
            f"{cell(w['headline_updated_ms'])}; chart settled {cell(w['chart_settled_ms'])}",
        ]
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_PAINTS} first paints, {QUICK_MOVES} moves, no results file unless --out",
    )
    parser.add_argument("--out", type=Path, default=None, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    paints, moves = (QUICK_PAINTS, QUICK_MOVES) if args.quick else (PAINTS, MOVES)
    from importlib.metadata import version

    results: dict[str, Any] = {
        "machine": {**machine(), "voila": version("voila")},
        "quick": args.quick,
        "settings": {
            "quiet_ms": QUIET_MS,
            "viewport": VIEWPORT,
            "weight": WEIGHT,
            "source": "embedded demo",
            "smaa_samples": 2000,
            "first_paints": paints,
            "weight_moves": moves,
        },
    }
    t0 = time.perf_counter()
    with terminated_as_interrupt(), tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        results.update(run(paints, moves, Path(tmp)))
    results["total_benchmark_s"] = round(time.perf_counter() - t0, 1)
    print(summary(results))
    if not args.quick or args.out is not None:
        out = args.out or RESULTS
        atomic_write_text(out, json.dumps(results, indent=1) + "\n")
        print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
