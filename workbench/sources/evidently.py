"""Drift results exported by Evidently, read from its JSON (Evidently itself is not imported).

Two export shapes are recognised, both ``{"metrics": [...], "tests": [...]}``:

- **Evidently ≥ 0.6 snapshots** (``snapshot.json()``/``snapshot.dict()``): each metric is
  ``{"id", "metric_name", "config": {"type", "column"?, "method"?, "threshold"?...}, "value"}``
  where ``value`` is a number (e.g. ``ValueDrift``: the column's drift score or p-value) or a dict
  (e.g. ``DriftedColumnsCount``: ``{"count", "share"}``); tests are
  ``{"id", "name", "description", "status", "metric_config", "test_config"}``.
- **Legacy reports** (Evidently 0.4, ``report.as_dict()``/``json()``): each metric is
  ``{"metric": "DatasetDriftMetric", "result": {...}}``; ``DataDriftTable``'s
  ``result.drift_by_columns`` gives per-column ``drift_score``, ``drift_detected``,
  ``stattest_name``, ``stattest_threshold``; tests are ``{"name", "description", "status",
  "group", "parameters"}``.

Numbers are flattened to one row each (``field`` is the key path, booleans become 1.0/0.0);
anything else (lists, strings, unknown shapes) is kept, JSON-encoded, in ``raw`` with a NaN
``value``: an unexpected metric never makes reading fail.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.errors import SourceNotFoundError, did_you_mean
from workbench.sources.logs import MonitoringDataError

__all__ = ["read_evidently", "EVIDENTLY_COLUMNS", "DRIFT_METHODS", "drift_rule", "drift_detected"]

#: Columns of :func:`read_evidently`.
EVIDENTLY_COLUMNS = (
    "kind",
    "metric_id",
    "metric_name",
    "metric_type",
    "column",
    "field",
    "value",
    "drift_detected",
    "stattest",
    "threshold",
    "status",
    "raw",
)
_COLUMN_KEYS = ("column", "column_name")
_DRIFT_SCALARS = {"drift_score": "drift_score", "p_value": "p_value"}

#: Evidently's drift methods (its ``stattests`` registry, 0.4 to 0.7), by short name, with the
#: display name a report may carry instead, and the rule each applies to its score: a p-value
#: test detects drift when the p-value is below the threshold (``<=`` for K-S and
#: Cramér–von Mises), a distance when the distance reaches it (``>`` for the energy distance).
DRIFT_METHODS: dict[str, tuple[str, str]] = {
    "ks": ("K-S p_value", "<="),
    "chisquare": ("chi-square p_value", "<"),
    "z": ("Z-test p_value", "<"),
    "anderson": ("Anderson-Darling", "<"),
    "cramer_von_mises": ("Cramer-von Mises", "<="),
    "es": ("Epps-Singleton", "<"),
    "fisher_exact": ("Fisher's Exact test", "<"),
    "g_test": ("g_test", "<"),
    "mannw": ("Mann-Whitney U-rank test", "<"),
    "empirical_mmd": ("empirical_mmd", "<"),
    "t_test": ("t_test", "<"),
    "TVD": ("Total-Variation-Distance", "<"),
    "wasserstein": ("Wasserstein distance (normed)", ">="),
    "psi": ("PSI", ">="),
    "jensenshannon": ("Jensen-Shannon distance", ">="),
    "kl_div": ("Kullback-Leibler divergence", ">="),
    "hellinger": ("Hellinger distance", ">="),
    "ed": ("Energy-distance", ">"),
}
_BY_NAME = {k.lower(): (k, v) for k, v in DRIFT_METHODS.items()} | {
    v[0].lower(): (k, v) for k, v in DRIFT_METHODS.items()
}


def drift_rule(method: str | None) -> str | None:
    """The comparison Evidently's ``method`` applies to its score: ``"<"``, ``"<="``, ``">="``
    or ``">"`` (drift when ``score <op> threshold``); None for a method it does not know.

    >>> drift_rule("psi"), drift_rule("K-S p_value"), drift_rule("my_test")
    ('>=', '<=', None)
    """
    found = _BY_NAME.get(str(method).strip().lower()) if method is not None else None
    return None if found is None else found[1][1]


def drift_detected(score: float | None, method: str | None, threshold: float | None) -> bool | None:
    """Whether Evidently's ``method`` calls ``score`` drift at ``threshold`` (None when unknown).

    This is the rule Evidently applies itself (``DataDriftTable``'s ``drift_detected``); a
    ``ValueDrift`` metric exports only the score, so it is recomputed here.

    >>> drift_detected(0.70, "psi", 0.1), drift_detected(0.2, "K-S p_value", 0.05)
    (True, False)
    """
    rule = drift_rule(method)
    if rule is None or score is None or threshold is None or not math.isfinite(score):
        return None
    return {"<": score < threshold, "<=": score <= threshold, ">=": score >= threshold, ">": score > threshold}[rule]


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _raw(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):  # pragma: no cover - json.loads output always dumps
        return repr(value)


def _row(**kw: Any) -> dict[str, Any]:
    row = dict.fromkeys(EVIDENTLY_COLUMNS)
    row["value"] = math.nan
    row.update(kw)
    return row


def _walk(value: Any, path: str, base: dict[str, Any], out: list[dict[str, Any]], depth: int = 0) -> None:
    """Numeric leaves → rows; other leaves → one raw row."""
    number = _num(value)
    if number is not None:
        out.append(_row(**base, field=path or "value", value=number))
    elif value is None:
        out.append(_row(**base, field=path or "value"))
    elif isinstance(value, Mapping) and depth < 4:
        if not value:
            out.append(_row(**base, field=path or "value", raw="{}"))
        for key, sub in value.items():
            _walk(sub, f"{path}.{key}" if path else str(key), base, out, depth + 1)
    else:
        out.append(_row(**base, field=path or "value", raw=_raw(value)))


def _drift_by_columns(table: Mapping[str, Any], base: dict[str, Any], out: list[dict[str, Any]]) -> None:
    for name, entry in table.items():
        if not isinstance(entry, Mapping):
            out.append(_row(**base, column=str(name), field="drift", raw=_raw(entry)))
            continue
        common = {
            **base,
            "column": str(entry.get("column_name", name)),
            "drift_detected": _bool(entry.get("drift_detected")),
            "stattest": _str(entry.get("stattest_name")),
            "threshold": _num(entry.get("stattest_threshold")),
        }
        found = False
        for key, field in _DRIFT_SCALARS.items():
            if _num(entry.get(key)) is not None:
                out.append(_row(**common, field=field, value=_num(entry[key])))
                found = True
        if not found:
            out.append(_row(**common, field="drift_score", raw=_raw(entry.get("drift_score"))))


def _metric_rows(i: int, entry: Any, out: list[dict[str, Any]]) -> None:
    if not isinstance(entry, Mapping):
        out.append(_row(kind="metric", metric_id=f"#{i}", field="value", raw=_raw(entry)))
        return
    if "result" in entry and "metric" in entry:  # legacy report
        name = str(entry["metric"])
        base = {"kind": "metric", "metric_id": f"{name}#{i}", "metric_name": name, "metric_type": name}
        result = entry["result"]
        if not isinstance(result, Mapping):
            _walk(result, "", base, out)
            return
        column = next((result[k] for k in _COLUMN_KEYS if isinstance(result.get(k), str)), None)
        if column is not None:  # ColumnDriftMetric-like
            base = {
                **base,
                "column": column,
                "drift_detected": _bool(result.get("drift_detected")),
                "stattest": _str(result.get("stattest_name")),
                "threshold": _num(result.get("stattest_threshold")),
            }
        for key, sub in result.items():
            if key == "drift_by_columns" and isinstance(sub, Mapping):
                _drift_by_columns(sub, base, out)
            elif key in _COLUMN_KEYS or key in ("stattest_name", "column_type"):
                continue
            elif column is not None and key in ("stattest_threshold", "drift_detected"):
                continue  # carried by the row's threshold / drift_detected
            elif key in ("current", "reference") and isinstance(sub, Mapping):
                continue  # distributions for plots, not results
            else:
                _walk(sub, str(key), base, out)
        return
    config = entry.get("config") if isinstance(entry.get("config"), Mapping) else {}
    mtype = str(config.get("type", "")).rsplit(":", 1)[-1] or None
    name = entry.get("metric_name") or mtype or entry.get("id") or f"#{i}"
    column = next((config[k] for k in _COLUMN_KEYS if isinstance(config.get(k), str)), None)
    base = {
        "kind": "metric",
        "metric_id": str(entry.get("id", f"#{i}")),
        "metric_name": str(name),
        "metric_type": mtype,
        "column": column,
        "stattest": _str(config.get("method")),
        "threshold": _num(config.get("threshold")),
    }
    if "value" not in entry:
        rest = {k: v for k, v in entry.items() if k != "id"}
        out.append(_row(**base, field="value", raw=_raw(rest)))
        return
    score = _num(entry["value"])
    if mtype == "ValueDrift" and score is not None:  # the score only: drift_detected by the method's rule
        out.append(
            _row(
                **base,
                field="drift_score",
                value=score,
                drift_detected=drift_detected(score, base["stattest"], base["threshold"]),
            )
        )
        return
    _walk(entry["value"], "", base, out)


def _test_rows(i: int, entry: Any, out: list[dict[str, Any]]) -> None:
    if not isinstance(entry, Mapping):
        out.append(_row(kind="test", metric_id=f"#{i}", field="status", raw=_raw(entry)))
        return
    params = entry.get("parameters") if isinstance(entry.get("parameters"), Mapping) else {}
    mconf = entry.get("metric_config") if isinstance(entry.get("metric_config"), Mapping) else {}
    tconf = entry.get("test_config") if isinstance(entry.get("test_config"), Mapping) else {}
    column = None
    mparams = mconf.get("params") if isinstance(mconf.get("params"), Mapping) else {}
    for source in (params, mparams, mconf, tconf):
        column = next((source[k] for k in _COLUMN_KEYS if isinstance(source.get(k), str)), None)
        if column:
            break
    value = _num(params.get("value")) if "value" in params else None
    status = entry.get("status")
    out.append(
        _row(
            kind="test",
            metric_id=str(entry.get("id", f"{entry.get('name', 'test')}#{i}")),
            metric_name=entry.get("name"),
            metric_type=entry.get("group")
            or (str(mparams.get("type") or mconf.get("metric") or tconf.get("type") or "").rsplit(":", 1)[-1] or None),
            column=column,
            field="status",
            value=math.nan if value is None else value,
            status=None if status is None else str(status).upper(),
            raw=entry.get("description"),
        )
    )


def read_evidently(source: str | os.PathLike[str] | Mapping[str, Any]) -> pd.DataFrame:
    """Read an Evidently report/snapshot JSON export into a long table of results.

    Produce the export with Evidently (``Report([DataDriftPreset()]).run(current, reference)``
    then ``snapshot.save_json("drift.json")``); Evidently is not needed to read it. Every
    ``ValueDrift`` gets ``drift_detected`` from its score, method and threshold
    (:func:`drift_detected`); :func:`workbench.monitoring.drift_triggers` turns drifted columns
    into reopen evidence for ``watch``/``detect``.

    Parameters
    ----------
    source : path or dict
        The exported JSON file (or its parsed dict).

    Returns
    -------
    DataFrame
        Columns :data:`EVIDENTLY_COLUMNS`: ``kind`` (``"metric"`` or ``"test"``), ``metric_id``,
        ``metric_name``, ``metric_type`` (e.g. ``DataDriftTable``, ``ValueDrift``), ``column``
        (the data column a result is about, when any), ``field`` (``drift_score``, ``share``,
        ``share_of_drifted_columns``, ``status``...), ``value`` (float; NaN when not numeric),
        ``drift_detected``, ``stattest`` and ``threshold`` (where the export gives them;
        ``ValueDrift``'s ``drift_detected`` by :func:`drift_detected`, NA for an unknown method),
        ``status`` (tests: ``SUCCESS``, ``FAIL``, ``WARNING``, ``ERROR``) and ``raw`` (non-numeric
        values JSON-encoded; a test's description).

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    MonitoringDataError
        The file is not valid JSON, or not an Evidently export (no ``metrics``/``tests``).

    Examples
    --------
    >>> doc = {"metrics": [{"id": "m1", "metric_name": "DriftedColumnsCount(drift_share=0.5)",
    ...     "config": {"type": "evidently:metric_v2:DriftedColumnsCount", "drift_share": 0.5},
    ...     "value": {"count": 1.0, "share": 0.25}}], "tests": []}
    >>> read_evidently(doc)[["metric_type", "field", "value"]]
               metric_type  field  value
    0  DriftedColumnsCount  count   1.00
    1  DriftedColumnsCount  share   0.25
    >>> drift = {"metrics": [{"id": "m2", "metric_name": "ValueDrift(column=amount,method=psi,threshold=0.1)",
    ...     "config": {"type": "evidently:metric_v2:ValueDrift", "column": "amount", "method": "psi",
    ...                "threshold": 0.1}, "value": 0.70}]}
    >>> read_evidently(drift)[["column", "field", "value", "stattest", "threshold", "drift_detected"]]
       column        field  value stattest  threshold  drift_detected
    0  amount  drift_score    0.7      psi        0.1            True
    """
    if isinstance(source, Mapping):
        doc: Any = source
        label = "the Evidently export"
    else:
        path = Path(source)
        label = f"Evidently export {str(path)!r}"
        if not path.is_file():
            msg = f"{label} does not exist."
            if path.parent.is_dir():
                near = sorted(x.name for x in path.parent.glob("*.json"))
                hint = did_you_mean(path.name, near)
                msg += f"\n  JSON files there: {', '.join(near[:8]) or '(none)'}." + (f"\n{hint}" if hint else "")
            raise SourceNotFoundError(msg)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MonitoringDataError(
                f"{label} is not valid JSON: {exc}.\n  Fix: export with snapshot.json() / report.json() (or save_json)."
            ) from None
    if not isinstance(doc, Mapping) or not ({"metrics", "tests"} & set(doc)):
        keys = ", ".join(map(str, doc)) if isinstance(doc, Mapping) else type(doc).__name__
        raise MonitoringDataError(
            f"{label} is not an Evidently report or snapshot: it has no 'metrics' or 'tests' "
            f"(found: {keys or 'nothing'})."
        )
    out: list[dict[str, Any]] = []
    metrics = doc.get("metrics") or []
    tests = doc.get("tests") or []
    for i, entry in enumerate(metrics if isinstance(metrics, list) else [metrics]):
        _metric_rows(i, entry, out)
    for i, entry in enumerate(tests if isinstance(tests, list) else [tests]):
        _test_rows(i, entry, out)
    df = pd.DataFrame(out, columns=list(EVIDENTLY_COLUMNS))
    df["value"] = df["value"].astype("float64")
    df["threshold"] = df["threshold"].astype("float64")
    df["drift_detected"] = df["drift_detected"].astype("boolean")
    for col in ("kind", "metric_id", "metric_name", "metric_type", "column", "field", "stattest", "status"):
        df[col] = df[col].astype("string")
    return df
