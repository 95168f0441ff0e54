"""Responsiveness of the TradeoffExplorer end to end: a real JupyterLab and a real Chromium.

``bench_load.py`` times an interaction in the kernel only. Here the explorer runs in JupyterLab
(started by ``tests/browser/_lab.py``) on the load benchmark's data (``candidates(n)``,
``quality_model(relative=False)``, x = latency, y = accuracy), and headless Chromium, driven by
Playwright, moves the controls with the mouse like a user. For every interaction, timed in the
page from the triggering event (``pointerup`` of a slider drag, ``change`` of the method
dropdown):

* ``table_updated_ms``: until the ranked table's text changed;
* ``reply_received_ms``: until the largest kernel websocket message of the interaction (the chart's
  new rows, or its spec when it is drawn anew) was delivered to the page -- the kernel's work plus the transfer;
* ``chart_first_change_ms`` / ``chart_settled_ms``: until the Pareto chart's DOM first changed /
  last changed before ``QUIET_MS`` without a mutation (and an idle kernel);
* ``total_blocking_ms`` / ``longest_task_ms``: the main thread's blocking -- the sum of
  ``duration - 50 ms`` over the long tasks (PerformanceObserver ``longtask``) that end after the
  trigger and start before the chart settled (or the table changed, if later), and the longest of
  them. Chromium's long tasks leave out the rendering of a frame (style, layout, paint), which
  after a chart update is a task of its own; ``frame_blocking_ms`` / ``longest_frame_ms`` are the
  same over long animation frames (``long-animation-frame``: script *and* rendering), where
  Chromium supports them (``null`` otherwise);
* ``bytes_received``: the bytes of the kernel websocket frames the page received (Playwright).

Also the initial render: ``explorer_shown_ms`` from run-all (building the data and the explorer in
the kernel, the widget messages) until the explorer is in the page, then ``table_shown_ms``,
``chart_drawn_ms`` and ``chart_settled_ms`` from there, with the blocking and the bytes as above.
Each size runs in a fresh browser with its own kernel; one warm-up weight move is kept apart. The
page is instrumented by an init script (long-task and long-animation-frame observers, capture
listeners for the triggers, a ``message`` listener on each WebSocket) and, per interaction, mutation
observers on the table and the chart; nothing else.

Run: ``python benchmarks/bench_browser.py`` (100,000 and 10,000 candidates, a few minutes); results
go to ``benchmarks/results/browser.json``. ``--quick``: 2,000 candidates, 3 moves, no results file
unless ``--out`` is given (the smoke test runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # tests.browser._lab and workbench._io of this checkout

from tests.browser._lab import CELL_ERRORS, CHROMIUM, CHROMIUM_ARGS, NOTEBOOK_READY, Lab, start_lab  # noqa: E402
from workbench._io import atomic_write_text  # noqa: E402

RESULTS = HERE / "results" / "browser.json"
SIZES = (100_000, 10_000)
QUICK_SIZE = 2_000
MOVES, QUICK_MOVES = 15, 3  # weight moves; method changes and constraint moves: OTHER_MOVES at most
OTHER_MOVES = 6
QUIET_MS = 300  # the chart has settled when its DOM has not changed for this long
VIEWPORT = {"width": 1600, "height": 1400}
#: Upper bounds (ms) of the waits; nothing sleeps for a fixed time.
OPEN_TIMEOUT = 90_000
RUN_TIMEOUT = 300_000
UPDATE_TIMEOUT = 90_000
METHODS = ("tchebycheff", "weighted_sum", "asf", "weighted_sum")
WEIGHT = "latency_ms"
CONSTRAINT = "latency_ms <="
#: Constraint moves cross this fraction of the limit's range (~100 ms of 5-320 ms): below it the
#: best candidates by latency are cut, so every move changes the ranked table, whatever the method.
LIMIT_CENTRE = 0.3
METRICS = (
    "table_updated_ms",
    "reply_received_ms",
    "chart_first_change_ms",
    "chart_settled_ms",
    "total_blocking_ms",
    "longest_task_ms",
    "long_tasks",
    "frame_blocking_ms",
    "longest_frame_ms",
    "bytes_received",
)

EXPLORER = ".wb-tradeoff-explorer"
TABLE = f"{EXPLORER} .wb-ranked-table"
CHART = f"{EXPLORER} .wb-pareto"

# --- page instrumentation -------------------------------------------------------------------------

#: Runs before JupyterLab's own scripts in every page: records long tasks, the arrival of every
#: websocket message, and the time of the triggering event of the interaction being measured.
PROBE = """(() => {
  const probe = window.__wbProbe = {longTasks: [], longFrames: [], messages: [], current: null};
  const observe = (type, into) => {
    try {
      new PerformanceObserver(list => {
        for (const e of list.getEntries()) {
          into.push({start: e.startTime, duration: e.duration, blocking: e.blockingDuration});
        }
      }).observe({type, buffered: true});
      return true;
    } catch (e) { return false; }
  };
  probe.longTaskSupported = observe('longtask', probe.longTasks);
  probe.longFrameSupported = observe('long-animation-frame', probe.longFrames);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', e => {
        const d = e.data;
        const size = typeof d === 'string' ? d.length : (d.byteLength ?? d.size ?? 0);
        probe.messages.push({t: performance.now(), size});
      });
    }
  };
  for (const type of ['pointerup', 'change']) {
    window.addEventListener(type, () => {
      const s = probe.current;
      if (s && s.trigger === type && s.t0 === null) s.t0 = performance.now();
    }, true);
  }
  const watch = (el, s, fn) => {
    const o = new MutationObserver(fn);
    o.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
    s.observers.push(o);
  };
  const kernelIdle = () => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return !!k && k.status === 'idle';
  };
  const overlapping = (entries, from, to) => entries.filter(t => t.start + t.duration > from && t.start < to);
  const blocking = (from, to) => {
    const tasks = overlapping(probe.longTasks, from, to), frames = overlapping(probe.longFrames, from, to);
    return {total_blocking_ms: tasks.reduce((a, t) => a + Math.max(0, t.duration - 50), 0),
            longest_task_ms: tasks.reduce((a, t) => Math.max(a, t.duration), 0), long_tasks: tasks.length,
            frame_blocking_ms: probe.longFrameSupported ? frames.reduce((a, f) => a + f.blocking, 0) : null,
            longest_frame_ms: probe.longFrameSupported ? frames.reduce((a, f) => Math.max(a, f.duration), 0) : null};
  };
  const largestMessage = (from, to) => probe.messages.filter(m => m.t >= from && m.t <= to)
    .reduce((a, m) => (a === null || m.size > a.size ? m : a), null);

  // One interaction: armed before the mouse or the dropdown acts; t0 is set by the trigger event.
  probe.arm = (trigger, tableSel, chartSel) => {
    const table = document.querySelector(tableSel), chart = document.querySelector(chartSel);
    const s = {trigger, t0: null, tableBefore: table.textContent, tableAt: null, chartFirst: null, chartLast: null,
               observers: []};
    watch(table, s, () => {
      if (s.t0 !== null && s.tableAt === null && table.textContent !== s.tableBefore) s.tableAt = performance.now();
    });
    watch(chart, s, () => {
      if (s.t0 === null) return;
      const now = performance.now();
      if (s.chartFirst === null) s.chartFirst = now;
      s.chartLast = now;
    });
    probe.current = s;
  };
  probe.settled = quiet => {
    const s = probe.current;
    if (!s || s.t0 === null || s.tableAt === null || s.chartLast === null) return false;
    return performance.now() - Math.max(s.chartLast, s.tableAt) >= quiet && kernelIdle();
  };
  probe.state = () => {
    const s = probe.current;
    return s && {trigger: s.trigger, t0: s.t0, tableAt: s.tableAt, chartFirst: s.chartFirst, chartLast: s.chartLast,
                 kernelIdle: kernelIdle()};
  };
  probe.result = () => {
    const s = probe.current;
    s.observers.forEach(o => o.disconnect());
    probe.current = null;
    const end = Math.max(s.chartLast, s.tableAt);
    const reply = largestMessage(s.t0, end);
    return {table_updated_ms: s.tableAt - s.t0, reply_received_ms: reply ? reply.t - s.t0 : null,
            chart_first_change_ms: s.chartFirst - s.t0, chart_settled_ms: s.chartLast - s.t0,
            ...blocking(s.t0, end)};
  };

  // The first render: from run-all until the explorer's table and chart are drawn and quiet.
  probe.armInitial = (explorerSel, tableSel, chartSel) => {
    const s = {t0: performance.now(), explorerAt: null, tableAt: null, chartAt: null, lastAt: null, observers: []};
    watch(document.body, s, records => {
      const ex = document.querySelector(explorerSel);
      if (!ex) return;
      const now = performance.now();
      if (s.explorerAt === null) s.explorerAt = now;
      if (s.tableAt === null && document.querySelector(tableSel + ' table')) s.tableAt = now;
      if (s.chartAt === null && document.querySelector(chartSel + ' svg [aria-roledescription]')) s.chartAt = now;
      if (records.some(r => ex.contains(r.target))) s.lastAt = now;
    });
    probe.initial = s;
  };
  probe.initialSettled = quiet => {
    const s = probe.initial;
    return s.tableAt !== null && s.chartAt !== null && s.lastAt !== null && performance.now() - s.lastAt >= quiet
      && kernelIdle();
  };
  probe.initialResult = () => {
    const s = probe.initial;
    s.observers.forEach(o => o.disconnect());
    return {explorer_shown_ms: s.explorerAt - s.t0, table_shown_ms: s.tableAt - s.explorerAt,
            chart_drawn_ms: s.chartAt - s.explorerAt,
            chart_settled_ms: s.lastAt - s.explorerAt, run_all_to_settled_ms: s.lastAt - s.t0,
            ...blocking(s.explorerAt, s.lastAt)};
  };
})();"""

CHART_ELEMENTS = f"() => document.querySelectorAll('{CHART} svg *').length"


# --- the notebook ---------------------------------------------------------------------------------


def write_notebook(root: Path, n: int) -> str:
    """A two-cell notebook: the load benchmark's data, then the explorer on it (its last value)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from bench_load import candidates, quality_model\n"
            "from widgets import TradeoffExplorer\n\n"
            f"df, qm = candidates({n}), quality_model(relative=False)"
        ),
        nbformat.v4.new_code_cell('explorer = TradeoffExplorer(df, qm, x="latency_ms", y="acc")\nexplorer'),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    name = f"explorer_{n}.ipynb"
    nbformat.write(nb, root / name)
    return name


def kernel_env() -> dict[str, str]:
    """PYTHONPATH for JupyterLab and its kernels: this checkout (over any installed copy), then
    ``benchmarks/`` for ``bench_load``."""
    paths = [str(REPO), str(HERE), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in paths if p)}


# --- driving the page -----------------------------------------------------------------------------


class FrameCounter:
    """Bytes of the kernel websocket frames a page received, as Playwright sees them."""

    def __init__(self, page: Any) -> None:
        self.bytes = 0
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        if "/api/kernels/" in ws.url:
            ws.on("framereceived", self._count)

    def _count(self, payload: str | bytes) -> None:
        self.bytes += len(payload.encode("utf-8") if isinstance(payload, str) else payload)


def open_notebook(page: Any, lab: Lab, name: str) -> None:
    """Open the notebook and wait until its kernel is idle."""
    page.goto(lab.notebook_url(name), wait_until="domcontentloaded", timeout=OPEN_TIMEOUT)
    page.wait_for_function(NOTEBOOK_READY, timeout=OPEN_TIMEOUT, polling=250)


def initial_render(page: Any, frames: FrameCounter) -> dict[str, Any]:
    """Run all cells; time the explorer's appearance and first drawing (see ``probe.armInitial``)."""
    before = frames.bytes
    page.evaluate("([e, t, c]) => window.__wbProbe.armInitial(e, t, c)", [EXPLORER, TABLE, CHART])
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(
        f"(q) => window.__wbProbe.initialSettled(q) || ({CELL_ERRORS})().length > 0",
        arg=QUIET_MS,
        timeout=RUN_TIMEOUT,
        polling=100,
    )
    errors = page.evaluate(CELL_ERRORS)
    if errors:
        raise RuntimeError(f"the notebook failed: {'; '.join(errors)}")
    result = rounded(page.evaluate("() => window.__wbProbe.initialResult()"))
    result["bytes_received"] = frames.bytes - before
    result["chart_svg_elements"] = page.evaluate(CHART_ELEMENTS)
    return result


def interaction(page: Any, frames: FrameCounter, trigger: str, act: Callable[[], None]) -> dict[str, Any]:
    """Arm the probe, ``act`` (whose ``trigger`` event starts the clock), wait until the table and
    the chart have changed and the chart is quiet; the timings and bytes of this interaction."""
    page.evaluate("([t, table, chart]) => window.__wbProbe.arm(t, table, chart)", [trigger, TABLE, CHART])
    before = frames.bytes
    act()
    try:
        page.wait_for_function("(q) => window.__wbProbe.settled(q)", arg=QUIET_MS, timeout=UPDATE_TIMEOUT, polling=50)
    except Exception as exc:
        state = page.evaluate("() => window.__wbProbe.state()") or {}
        missing = [
            what
            for what, key in (
                ("the trigger event", "t0"),
                ("a change of the ranked table", "tableAt"),
                ("a change of the chart", "chartLast"),
            )
            if state.get(key) is None
        ]
        raise RuntimeError(
            f"the explorer did not settle within {UPDATE_TIMEOUT / 1000:.0f} s "
            f"(never seen: {', '.join(missing) or 'nothing missing, kernel busy or chart not quiet'}; "
            f"probe {state}): {exc}"
        ) from exc
    result = rounded(page.evaluate("() => window.__wbProbe.result()"))
    result["bytes_received"] = frames.bytes - before
    return result


def drag(page: Any, slider: Any, fraction: float) -> None:
    """Drag the slider's handle with the mouse to ``fraction`` of its track and release it."""
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    hb, tb = handle.bounding_box(), slider.locator(".noUi-target").first.bounding_box()
    if hb is None or tb is None:
        raise RuntimeError("the slider is not visible")
    y = hb["y"] + hb["height"] / 2
    page.mouse.move(hb["x"] + hb["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(tb["x"] + tb["width"] * fraction, y, steps=8)
    page.mouse.up()


def slider_moves(page: Any, frames: FrameCounter, slider: Any, fractions: list[float]) -> list[dict[str, Any]]:
    """One measured interaction per drag; each must change the slider's value (its typed box)."""
    readout = slider.locator("input").first
    runs = []
    for fraction in fractions:
        before = readout.input_value()
        runs.append(interaction(page, frames, "pointerup", lambda f=fraction: drag(page, slider, f)))
        if readout.input_value() == before:
            raise RuntimeError(f"dragging to {fraction:.2f} of the track left the value at {before}")
    return runs


def alternating(centre: float, count: int) -> list[float]:
    """Track positions on alternate sides of ``centre`` (below it first) at varying distances, so
    that every move changes the value and crosses ``centre``."""
    return [centre + (0.12 + 0.04 * (i % 4)) * (-1 if i % 2 == 0 else 1) for i in range(count)]


def measure_size(browser_type: Any, lab: Lab, n: int, moves: int) -> dict[str, Any]:
    """Everything for one size, in a fresh browser: initial render, weight moves, method changes and
    constraint moves."""
    name = write_notebook(lab.root, n)
    others = min(moves, OTHER_MOVES)
    browser = browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    try:
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.add_init_script(PROBE)
        frames = FrameCounter(page)
        try:
            open_notebook(page, lab, name)
            if not page.evaluate("() => window.__wbProbe.longTaskSupported"):
                raise RuntimeError("this Chromium does not report long tasks (PerformanceObserver 'longtask')")
            out: dict[str, Any] = {"candidates": n, "initial_render": initial_render(page, frames)}
            weight = page.locator(f"{EXPLORER} .wb-weight-{WEIGHT}").first
            warmup, *runs = slider_moves(page, frames, weight, alternating(0.5, moves + 1))
            out["warmup_weight_move"] = warmup
            out["weight_move"] = summarise(runs)
            select = (
                page.locator(f"{EXPLORER} .widget-dropdown")
                .filter(has=page.get_by_text("method", exact=True))
                .locator("select")
                .first
            )
            out["method_change"] = summarise(
                [
                    interaction(page, frames, "change", lambda m=m: select.select_option(value=m))
                    for m in (METHODS * others)[:others]
                ]
            )
            limit = (
                page.locator(f"{EXPLORER} .wb-constraint").filter(has=page.get_by_text(CONSTRAINT, exact=True)).first
            )
            out["constraint_move"] = summarise(slider_moves(page, frames, limit, alternating(LIMIT_CENTRE, others)))
            out["chart_svg_elements"] = page.evaluate(CHART_ELEMENTS)
            return out
        except Exception as exc:
            raise RuntimeError(f"{n:,} candidates: {exc} ({screenshot(page, n)})") from exc
        finally:
            shutdown_kernels(lab)
    finally:
        browser.close()


def screenshot(page: Any, n: int) -> str:
    """Keep a picture of the page for a failure report; says where it is, or why there is none."""
    shot = Path(tempfile.gettempdir()) / f"bench-browser-failure-{n}.png"
    try:
        page.screenshot(path=str(shot), full_page=True, timeout=30_000)
    except Exception as exc:  # noqa: BLE001 - the page may be gone; the original error matters
        return f"no screenshot: {exc}"
    return f"screenshot {shot}"


def shutdown_kernels(lab: Lab) -> None:
    """Stop every kernel of the server, so the next size starts from a free machine (a server that
    no longer answers is stopped with its kernels by ``start_lab`` anyway)."""
    try:
        for kernel in lab.api("/api/kernels"):
            lab.api(f"/api/kernels/{kernel['id']}", method="DELETE")
    except OSError:
        pass


# --- results --------------------------------------------------------------------------------------


def rounded(timings: dict[str, Any]) -> dict[str, Any]:
    """Page timings to 0.1 ms (``performance.now()`` is coarsened to 0.1 ms or more anyway)."""
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in timings.items()}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and p90 of every metric over the runs, and the runs themselves."""
    import numpy as np

    out: dict[str, Any] = {"runs": len(runs)}
    for metric in METRICS:
        values = [r[metric] for r in runs if r.get(metric) is not None]
        if values:
            out[metric] = {
                "median": round(statistics.median(values), 1),
                "p90": round(float(np.percentile(values, 90)), 1),
                "all": [round(v, 1) for v in values],
            }
    return out


def chromium_version() -> str:
    """``chromium --version`` (its wrapper script writes noise to stderr, ignored)."""
    run = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=60)
    return run.stdout.strip()


def machine() -> dict[str, Any]:
    """What the figures depend on: CPUs, memory, load, and the browser and Jupyter versions."""
    from importlib.metadata import version

    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "chromium": chromium_version(),
        **{pkg: version(pkg) for pkg in ("jupyterlab", "ipywidgets", "altair", "playwright")},
        "run_at_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_1min_at_start": round(os.getloadavg()[0], 2),
        "note": "2 cores shared with other work: times vary with the load",
    }


#: Columns of the summary table: heading, metric of an interaction, metric of the initial render.
COLUMNS = (
    ("table", "table_updated_ms", "table_shown_ms"),
    ("reply", "reply_received_ms", None),
    ("chart settled", "chart_settled_ms", "chart_settled_ms"),
    ("TBT", "total_blocking_ms", "total_blocking_ms"),
    ("longest task", "longest_task_ms", "longest_task_ms"),
    ("frame TBT", "frame_blocking_ms", "frame_blocking_ms"),
    ("longest frame", "longest_frame_ms", "longest_frame_ms"),
)


def summary_table(results: dict[str, Any]) -> str:
    """The readable table printed at the end: medians (p90) in ms per size and interaction."""
    width = 14
    head = (
        f"{'candidates':>10}  {'interaction':<16}" + "".join(f"{h:>{width}}" for h, _, _ in COLUMNS) + f"{'MB in':>8}"
    )
    lines = [head, "-" * len(head)]

    def cell(value: Any) -> str:
        if value is None:
            return f"{'—':>{width}}"
        if isinstance(value, dict):
            return f"{value['median']:.0f} ({value['p90']:.0f})".rjust(width)
        return f"{value:>{width}.0f}"

    for size in results["sizes"].values():
        n, first = size["candidates"], size["initial_render"]
        lines.append(
            f"{n:>10,}  {'initial render':<16}"
            + "".join(cell(first.get(m) if m else None) for _, _, m in COLUMNS)
            + f"{first['bytes_received'] / 1e6:>8.2f}"
        )
        for kind in ("weight_move", "method_change", "constraint_move"):
            r = size[kind]
            lines.append(
                f"{n:>10,}  {kind:<16}"
                + "".join(cell(r.get(m)) for _, m, _ in COLUMNS)
                + f"{r['bytes_received']['median'] / 1e6:>8.2f}"
            )
    to_explorer = ", ".join(
        f"{s['candidates']:,}: {s['initial_render']['explorer_shown_ms'] / 1000:.1f} s"
        for s in results["sizes"].values()
    )
    lines += [
        f"median (p90), ms from the mouse-up or the dropdown's change until: the ranked table changed (table); "
        f"the chart spec reached the page (reply); the chart's last change before {QUIET_MS} ms of quiet.",
        "TBT: total blocking time, the long tasks' time beyond 50 ms (longtask: script only); frame TBT: the "
        "same over long animation frames (script and rendering); MB in: kernel websocket bytes received.",
        f"initial render: from the explorer's appearance in the page (run-all to the explorer: {to_explorer}).",
    ]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so JupyterLab and the browser are shut down as on Ctrl-C."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(sizes: tuple[int, ...], moves: int, base: Path) -> dict[str, dict[str, Any]]:
    """Start JupyterLab, measure every size, stop JupyterLab (always); a failure raises RuntimeError
    with the end of JupyterLab's log."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    root = base / "root"
    root.mkdir()
    with start_lab(root, base, env_extra=kernel_env()) as lab, sync_playwright() as p:
        out = {}
        for n in sizes:
            started = time.monotonic()
            try:
                out[str(n)] = measure_size(p.chromium, lab, n, moves)
            except Exception as exc:
                raise RuntimeError(f"{exc}\n--- end of the JupyterLab log ---\n{lab.log_tail()}") from exc
            print(f"{n:,} candidates measured in {time.monotonic() - started:.0f} s", flush=True)
        return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the summary table, write the results (not in ``--quick`` unless ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_SIZE:,} candidates, {QUICK_MOVES} moves, no results file unless --out",
    )
    parser.add_argument("--out", type=Path, default=None, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    sizes, moves = ((QUICK_SIZE,), QUICK_MOVES) if args.quick else (SIZES, MOVES)
    results: dict[str, Any] = {
        "machine": machine(),
        "quick": args.quick,
        "settings": {
            "quiet_ms": QUIET_MS,
            "viewport": VIEWPORT,
            "weight_moves": moves,
            "other_moves": min(moves, OTHER_MOVES),
            "weight": WEIGHT,
            "constraint": CONSTRAINT,
            "methods": list(METHODS),
        },
    }
    t0 = time.perf_counter()
    with terminated_as_interrupt(), tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        results["sizes"] = run(sizes, moves, Path(tmp))
    results["total_benchmark_s"] = round(time.perf_counter() - t0, 1)
    print(summary_table(results))
    if not args.quick or args.out is not None:
        out = args.out or RESULTS
        atomic_write_text(out, json.dumps(results, indent=1) + "\n")
        print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
