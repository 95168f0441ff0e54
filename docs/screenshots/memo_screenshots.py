"""Screenshots of a decision memo at 1280x720 (the first screen) with what the page measured.

    python docs/screenshots/memo_screenshots.py MEMO.html NAME     # e.g. ... demo-output/review/memo.html after
    python docs/screenshots/memo_screenshots.py --demo NAME        # builds the quick demo first

writes ``docs/screenshots/NAME-memo-1280x720.png`` (the first screen) and
``docs/screenshots/NAME-memo.json``: for 1280x720 and 1920x1080, ``scrollWidth`` against
``innerWidth``, the elements wider than the viewport, whether the decision box ends inside the
first screen, and how many charts rendered. The "before" pair was taken from main's ``make demo``
output before the memo layout changed; rerun with "after" on a fresh demo to compare.
Uses Debian's Chromium (/usr/bin/chromium) through Playwright, offline (file://).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser._lab import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

#: JavaScript: what a reader sees at this size (see tests/browser/test_memo_layout.py).
MEASURE = """() => {
  const W = window.innerWidth, H = window.innerHeight;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > W + 1;
  }).map(e => (e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined
                                                              ? '.' + String(e.className).split(' ')[0] : '')));
  const box = document.querySelector('#decision');
  const charts = [...document.querySelectorAll('[data-spec]')];
  return {
    innerWidth: W, innerHeight: H,
    scrollWidth: document.documentElement.scrollWidth,
    wider_than_viewport: [...new Set(wide)].slice(0, 20),
    decision_box_bottom: box ? Math.round(box.getBoundingClientRect().bottom) : null,
    charts: charts.length,
    charts_rendered: charts.filter(e => e.dataset.rendered === 'true').length,
  };
}"""


def _demo_memo(work: Path) -> Path:
    subprocess.run([sys.executable, "-m", "workbench", "demo", "--quick", "--out", str(work)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return next(work.rglob("memo.html"))


def shoot(memo: Path, name: str, out_dir: Path = HERE) -> dict:
    from playwright.sync_api import sync_playwright

    measured = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for w, h in ((1280, 720), (1920, 1080)):
                page = browser.new_page(viewport={"width": w, "height": h})
                page.goto(memo.resolve().as_uri())
                page.wait_for_function("() => [...document.querySelectorAll('[data-spec]')]"
                                       ".every(e => e.dataset.rendered)", timeout=60_000)
                measured[f"{w}x{h}"] = page.evaluate(MEASURE)
                if w == 1280:
                    page.screenshot(path=str(out_dir / f"{name}-memo-1280x720.png"))
                page.close()
        finally:
            browser.close()
    (out_dir / f"{name}-memo.json").write_text(json.dumps(measured, indent=2) + "\n", encoding="utf-8")
    return measured


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("memo", nargs="?", type=Path, help="memo.html to photograph")
    ap.add_argument("name", help="file name prefix, e.g. before / after")
    ap.add_argument("--demo", action="store_true", help="run the quick demo and use its memo")
    args = ap.parse_args()
    if args.demo:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(shoot(_demo_memo(Path(tmp)), args.name), indent=2))
    elif args.memo is None:
        ap.error("give a memo.html or --demo")
    else:
        print(json.dumps(shoot(args.memo, args.name), indent=2))


if __name__ == "__main__":
    main()
