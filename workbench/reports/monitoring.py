"""The monitoring review's pieces: the live versions' analysis and the summary's ``monitoring`` section.

Used by the ``monitoring_review`` template; the memo renders the section when a summary has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["live_candidates", "monitoring_section"]


def live_candidates(aggregated: pd.DataFrame, model: Any) -> pd.DataFrame:
    """The versions live in the latest window as candidates (``id`` = version, one column per objective);
    versions with a missing objective value in that window are left out (``detect`` reports them)."""
    from workbench.monitoring.slo import aggregated_frame

    df = aggregated_frame(aggregated)
    latest = df["window_start"].max()
    rows = df[df["window_start"] == latest]
    names = [n for n in model.names if n in rows.columns]
    live = pd.DataFrame(
        {"id": rows["version"].astype(str).to_numpy(), **{n: rows[n].astype("float64").to_numpy() for n in names}}
    )
    return live.dropna().reset_index(drop=True)


def monitoring_section(
    aggregated: pd.DataFrame,
    model: Any,
    triggers: Sequence[Any],
    *,
    champion: str | None = None,
    logs: str = "",
    window: str = "",
    since: str = "",
    panel: Any = None,
) -> dict[str, Any]:
    """The summary's ``monitoring`` section: windows, versions, SLO summary, triggers, the panel's spec."""
    from workbench.analysis.analyze import to_jsonable
    from workbench.monitoring import review_due, slo_compliance, slo_summary
    from workbench.monitoring.slo import aggregated_frame

    df = aggregated_frame(aggregated)
    try:
        slo = slo_summary(slo_compliance(df, model, champion=champion))
        slo_rows = slo.to_dict(orient="records")
        slo_note = ""
    except Exception as exc:  # noqa: BLE001 - e.g. a relative SLO without champion: said in the memo
        slo_rows, slo_note = [], f"{type(exc).__name__}: {exc}"
    starts = sorted(df["window_start"].dropna().unique())
    section = {
        "logs": logs,
        "window": window,
        "since": since,
        "champion": champion,
        "windows": {
            "count": len(starts),
            "first": pd.Timestamp(starts[0]) if starts else None,
            "latest": pd.Timestamp(starts[-1]) if starts else None,
        },
        "versions": sorted(df["version"].unique().tolist()),
        "n_requests": float(df["n_requests"].sum()) if df["n_requests"].notna().any() else None,
        "slo": slo_rows,
        "slo_note": slo_note,
        "triggers": [t.to_dict() if hasattr(t, "to_dict") else dict(t) for t in triggers],
        "review_due": review_due(list(triggers)) if triggers and hasattr(triggers[0], "severity") else False,
        "panel": panel.to_dict() if hasattr(panel, "to_dict") else panel,
    }
    return to_jsonable(section)
