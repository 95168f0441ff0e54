"""Hostile strings in candidate ids, objective names, units, stakeholder names, versions and error
messages -> the HTML the widgets build (headless).

Oracle: every ``ipywidgets.HTML`` value of a widget tree built from hostile data is parsed and
compared, widget by widget, with the same tree built from harmless data: same elements, same
attribute names (an injected ``<img onerror>`` or ``<script>`` shows as a difference). The hostile
text must come back literally in the HTML's text, and no widget may render its description as HTML.
"""

from __future__ import annotations

import pytest

from tests.hardening import _evil, _tally, attacks
from tests.hardening.test_hostile_memo import parse

W = pytest.importorskip("ipywidgets")
pytest.importorskip("altair")

AREA = "hostile_widgets"
#: Payloads tried on the widgets (each builds an explorer, a recorder, a sensitivity panel and a loader).
PAYLOADS = [p for p in attacks.HTML + attacks.MARKDOWN + attacks.TEMPLATE[:2] + attacks.VEGA[:5] if "\x00" not in p]


def _walk(w):
    yield w
    for c in getattr(w, "children", ()) or ():
        yield from _walk(c)


def _missing(payload: str) -> str:
    """A file name (no folder part) that does not exist."""
    return f"missing {payload}.csv".replace("/", "_").replace("\\", "_")


def _trees(payload: str, tmp_path) -> dict:
    from widgets import DecisionRecorder, SensitivityPanel, SourceLoader, TradeoffExplorer

    ex = TradeoffExplorer(_evil.evil_frame(payload), _evil.evil_model(payload))
    ex.focus = _evil.ids(payload)[1]
    rec = DecisionRecorder(ex)
    rec.rationale.value = f"because {payload}"
    panel = SensitivityPanel(ex, samples=100, seed=0)
    panel.run()
    folder = tmp_path / ("evil" if payload != _evil.BENIGN else "benign")
    folder.mkdir()
    frame = _evil.evil_frame(payload)
    frame.loc[len(frame)] = [f"bad {payload}", float("nan"), 1.0]  # an excluded row, with its id
    frame.to_csv(folder / "c.csv", index=False)
    # without the constraint: a model-level constraint whose objective name holds '<' or '>' does
    # not parse back from YAML (a clear ConstraintSyntaxError, left to the quality-model fuzzing)
    _evil.evil_model(payload).replace(constraints=()).to_yaml(folder / "q.yaml")
    loader = SourceLoader(str(folder / "c.csv"), model=str(folder / "q.yaml"))
    loader.load()
    missing = SourceLoader(str(folder / _missing(payload)))
    missing.load()
    assert rec.candidate.value == _evil.ids(payload)[0]
    return {
        "explorer": ex,
        "recorder": rec,
        "sensitivity panel": panel,
        "loader preview": loader,
        "loader error": missing,
    }


def _html_of(tree) -> list[str]:
    return [w.value for w in _walk(tree) if isinstance(w, W.HTML)]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    trees = _trees(_evil.BENIGN, tmp_path_factory.mktemp("benign"))
    return {k: [parse(v).structure for v in _html_of(t)] for k, t in trees.items()}


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_widgets_escape_hostile_text(payload, baseline, tmp_path):
    trees = _trees(payload, tmp_path)
    expected = {
        "explorer": [_evil.ids(payload)[0], _evil.ids(payload)[1]],
        "recorder": [],  # the ids are in a Dropdown (plain text); its HTML must stay intact
        "sensitivity panel": [_evil.ids(payload)[0]],
        "loader preview": [_evil.objective_names(payload)[0], f"bad {payload}"],
        "loader error": [_missing(payload)],
    }
    for name, tree in trees.items():
        pages = [parse(v) for v in _html_of(tree)]
        injected = [p.structure for p in pages] != baseline[name]
        text = "\x00".join("".join(p.text) for p in pages)
        html_descriptions = [w for w in _walk(tree) if getattr(w, "description_allow_html", False)]
        for want in expected[name] or [""]:
            flat = " ".join(text.split())
            # error messages quote values with repr(), which escapes U+2028 and the like
            shown = any(" ".join(w.split()) in flat for w in (want, repr(want)[1:-1]))
            _tally.assert_blocked(AREA, payload, injected or bool(html_descriptions) or not shown, f"{name} HTML")
