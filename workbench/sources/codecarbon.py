"""Energy and emissions measured by CodeCarbon, joined to the candidates.

CodeCarbon appends one row to ``emissions.csv`` each time a tracker stops (and each time it is
flushed). Its columns changed over the years — 12 in 2021 (where ``experiment_id`` was the run's
id), 31 in 2.x, 38 in 3.x — so columns are read by name and missing ones tolerated. Reading needs
only pandas; the ``codecarbon`` package is needed only to produce the file.

How rows become numbers (:func:`read_emissions`, then :func:`join_emissions`):

1. **Rows of one CodeCarbon run are snapshots, not sessions**: ``flush()`` and ``stop()`` both write
   the tracker's *cumulative* totals, so a run's last row is its total and earlier rows are
   ignored (summing them would count the energy twice).
2. **Several CodeCarbon runs matching one key are summed**: e.g. a tracker for training and another
   for evaluation, both tagged with the same MLflow run id.
3. **Replicates are summarised like the metrics**: when the key is an MLflow run id of a candidate
   with replicates (one run per seed), the per-run totals are replicates and the candidate gets
   their mean (or median, the candidates' ``summary``), with their std in ``spread``. When the key
   is the candidate id itself and the candidate has replicates, the total is divided by the number
   of replicates (energy per replicate run, the same scale as the per-run case).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._io import file_sha256, is_file
from workbench.errors import (
    CandidatesError,
    SourceNotFoundError,
    UnknownNameError,
    did_you_mean,
    unknown_name,
)
from workbench.sources.candidates import Candidates

__all__ = ["read_emissions", "join_emissions", "ENERGY_UNITS", "KEY_COLUMNS"]

#: Energy units and how many of them make one kWh.
ENERGY_UNITS: Mapping[str, float] = {"Wh": 1000.0, "kWh": 1.0, "J": 3.6e6}
#: CodeCarbon columns that can identify what a row measured, tried in this order.
KEY_COLUMNS = ("run_id", "experiment_id", "project_name")

# CodeCarbon column -> (output column stem, is energy in kWh)
_MEASURES = {
    "energy_consumed": ("energy", True),
    "cpu_energy": ("cpu_energy", True),
    "gpu_energy": ("gpu_energy", True),
    "ram_energy": ("ram_energy", True),
    "emissions": ("emissions_kg", False),
    "duration": ("duration_s", False),
    "water_consumed": ("water_l", False),
}
_KEEP = ("timestamp", "country_iso_code", "codecarbon_version")


def _unit_factor(energy_unit: str) -> float:
    if energy_unit not in ENERGY_UNITS:
        raise UnknownNameError(unknown_name("Energy unit", energy_unit, ENERGY_UNITS, where="a supported unit"))
    return ENERGY_UNITS[energy_unit]


def _out_name(stem: str, is_energy: bool, energy_unit: str) -> str:
    return f"{stem}_{energy_unit.lower()}" if is_energy else stem


def _per_run(raw: pd.DataFrame, source: str, energy_unit: str) -> pd.DataFrame:
    """Normalise CodeCarbon rows (any layout) into one row per CodeCarbon run."""
    raw = raw.rename(columns=lambda c: str(c).strip())
    if "energy_consumed" not in raw.columns:
        raise CandidatesError(
            f"{source} is not a CodeCarbon emissions file: it has no 'energy_consumed' column.\n"
            f"  Columns: {', '.join(map(str, raw.columns))}.\n"
            "  Fix: pass the emissions.csv CodeCarbon wrote (EmissionsTracker(output_dir=...))."
        )
    if raw.empty:
        raise CandidatesError(f"{source} has no rows: no tracker has finished yet.")
    factor = _unit_factor(energy_unit)
    key_col = "run_id" if "run_id" in raw.columns else "experiment_id" if "experiment_id" in raw.columns else None
    out = pd.DataFrame(index=raw.index)
    if key_col is None:
        out["run_id"] = [f"row-{i + 1}" for i in range(len(raw))]
    else:
        out["run_id"] = raw[key_col].astype("string").str.strip()
        missing = out["run_id"].isna() | (out["run_id"] == "")
        out.loc[missing, "run_id"] = [f"row-{i + 1}" for i in np.flatnonzero(missing)]
    for col in ("project_name", "experiment_id"):
        if col in raw.columns:
            out[col] = raw[col].astype("string").str.strip()
    for col, (stem, is_energy) in _MEASURES.items():
        if col not in raw.columns:
            continue
        values = pd.to_numeric(raw[col], errors="coerce")
        bad = values.isna() & raw[col].notna() & (raw[col].astype("string").str.strip() != "")
        if bad.any():
            lines = ", ".join(f"line {i + 2}: {raw[col][i]!r}" for i in np.flatnonzero(bad)[:3])
            raise CandidatesError(f"{source}: column {col!r} has non-numeric values ({lines}).")
        out[_out_name(stem, is_energy, energy_unit)] = values * (factor if is_energy else 1.0)
    for col in _KEEP:
        if col in raw.columns:
            out[col] = raw[col]
    out["rows"] = out.groupby("run_id", sort=False)["run_id"].transform("size")
    # a run's rows are cumulative snapshots (flush/stop): the last one is the total
    last = out.groupby("run_id", sort=False).tail(1)
    return last.reset_index(drop=True)


def read_emissions(path: str | os.PathLike[str] | Any, *, energy_unit: str = "Wh") -> pd.DataFrame:
    r"""Read a CodeCarbon ``emissions.csv`` (any layout) into one row per CodeCarbon run.

    Parameters
    ----------
    path : path or file-like
        The CSV CodeCarbon wrote.
    energy_unit : {"Wh", "kWh", "J"}
        Unit of the energy columns (CodeCarbon writes kWh).

    Returns
    -------
    DataFrame
        ``run_id`` (CodeCarbon's run id; in the 2021 layout its ``experiment_id``, which was the
        run's id then), ``project_name`` and ``experiment_id`` when present, ``energy_wh`` (from
        ``energy_consumed``), ``cpu_energy_wh``/``gpu_energy_wh``/``ram_energy_wh`` and
        ``water_l`` when the layout has them, ``emissions_kg`` (kg CO2eq), ``duration_s``,
        ``timestamp``, ``country_iso_code``, ``codecarbon_version`` and ``rows`` (rows written
        for that run). Rows of one run are cumulative snapshots: the last is kept.

    Examples
    --------
    >>> import io
    >>> csv = io.StringIO(  # the 2021 layout, with two snapshots of run 'a1' (flush, then stop)
    ...     "timestamp,experiment_id,project_name,duration,emissions,energy_consumed,country_name,"
    ...     "country_iso_code,region,on_cloud,cloud_provider,cloud_region\n"
    ...     "2021-03-23T09:26:11,a1,rf,10,0.0002,0.001,Sweden,SWE,,N,,\n"
    ...     "2021-03-23T09:26:35,a1,rf,34,0.0008,0.002,Sweden,SWE,,N,,\n")
    >>> runs = read_emissions(csv)
    >>> runs[["run_id", "project_name", "energy_wh", "emissions_kg", "duration_s", "rows"]]
      run_id project_name  energy_wh  emissions_kg  duration_s  rows
    0     a1           rf        2.0        0.0008        34.0     2
    """
    if hasattr(path, "read"):  # an open file or buffer
        try:
            raw = pd.read_csv(path, dtype=str)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise CandidatesError(f"Cannot read the CodeCarbon data as CSV: {exc}") from None
        return _per_run(raw, "the CodeCarbon data", energy_unit)
    p = Path(path)
    if not is_file(p):
        near = sorted(x.name for x in p.parent.glob("*.csv"))[:8] if p.parent.is_dir() else []
        msg = f"CodeCarbon file {str(p)!r} does not exist."
        if near:
            msg += f"\n  CSV files in {str(p.parent)!r}: {', '.join(near)}."
            hint = did_you_mean(p.name, near)
            msg += f"\n{hint}" if hint else ""
        raise SourceNotFoundError(msg + "\n  Fix: CodeCarbon writes 'emissions.csv' into its output_dir.")
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=True)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CandidatesError(f"Cannot read {str(p)!r} as CSV: {first}") from None
    return _per_run(raw, f"CodeCarbon file {str(p)!r}", energy_unit)


def _targets(candidates: Candidates) -> dict[str, tuple[dict[str, tuple[str, str | None]], str]]:
    """Candidate-side keys: name -> (key -> (candidate, replicate or None), description)."""
    out: dict[str, tuple[dict[str, tuple[str, str | None]], str]] = {}
    runs = candidates.source_ref.get("runs") if isinstance(candidates.source_ref, Mapping) else None
    if runs:
        out["run id"] = (
            {str(k): (str(v[0]), None if v[1] is None else str(v[1])) for k, v in runs.items()},
            "the candidates' run ids",
        )
    elif "run_id" in candidates.provenance.columns:
        prov = candidates.provenance["run_id"].dropna().astype(str)
        out["run id"] = (
            {v: (str(c), None) for c, v in prov.items()},
            "the provenance column 'run_id'",
        )
    out["candidate id"] = ({str(c): (str(c), None) for c in candidates.ids}, "the candidate ids")
    if "trial_number" in candidates.provenance.columns:
        nums = candidates.provenance["trial_number"].dropna()
        out["trial number"] = (
            {str(int(v)): (str(c), None) for c, v in nums.items()},
            "the Optuna trial numbers",
        )
    return out


def _from_frame(emissions: pd.DataFrame, energy_unit: str) -> pd.DataFrame:
    """Accept a raw CodeCarbon frame or the output of :func:`read_emissions` (any energy unit)."""
    if "energy_consumed" in emissions.columns:
        return _per_run(emissions, "the emissions DataFrame", energy_unit)
    units = [u for u in ENERGY_UNITS if f"energy_{u.lower()}" in emissions.columns]
    if "run_id" not in emissions.columns or not units:
        raise CandidatesError(
            "The emissions DataFrame is neither CodeCarbon's emissions.csv nor the output of "
            "read_emissions() "
            f"(columns: {', '.join(map(str, emissions.columns))}).\n"
            "  Fix: pass the path of emissions.csv, or read_emissions(path)."
        )
    have = units[0]
    scale = _unit_factor(energy_unit) / ENERGY_UNITS[have]
    rename = {
        f"{stem}_{have.lower()}": f"{stem}_{energy_unit.lower()}" for stem, is_energy in _MEASURES.values() if is_energy
    }
    out = emissions.rename(columns=rename).copy()
    for col in set(rename.values()) & set(out.columns):
        out[col] = out[col] * scale
    return out


def join_emissions(
    candidates: Candidates,
    emissions: str | os.PathLike[str] | pd.DataFrame,
    *,
    on: str | None = None,
    energy_unit: str = "Wh",
) -> Candidates:
    """Add CodeCarbon's energy, emissions and duration to the candidates as metric columns.

    Parameters
    ----------
    candidates : Candidates
        From any reader. MLflow candidates carry their run ids (``source_ref["runs"]``).
    emissions : path or DataFrame
        CodeCarbon's ``emissions.csv``, or a frame from :func:`read_emissions`.
    on : {"run_id", "experiment_id", "project_name"}, optional
        The CodeCarbon column that identifies what was measured. Default: the column, of those
        present, whose values match the most candidate-side keys. Candidate-side keys, tried
        together: MLflow run ids (``source_ref["runs"]`` or a provenance ``run_id``), candidate
        ids, Optuna trial numbers. So the tracker should be created with e.g.
        ``project_name=<candidate id>`` or ``experiment_id=<mlflow run id>``.
    energy_unit : {"Wh", "kWh", "J"}
        Unit of the energy columns: ``energy_wh`` etc. (CodeCarbon writes kWh).

    Returns
    -------
    Candidates
        New metric columns ``energy_<unit>``, ``emissions_kg``, ``duration_s`` and, when the
        layout has them, ``cpu_energy_<unit>``, ``gpu_energy_<unit>``, ``ram_energy_<unit>``,
        ``water_l``. Candidates without a matching row get NaN (they are not dropped here; a
        quality model using these objectives excludes them with a reason). CodeCarbon runs that
        match no candidate are counted in ``source_ref["emissions"]``, with the first keys. See
        the module docstring for how rows and replicates are aggregated.

    Raises
    ------
    CandidatesError
        No CodeCarbon run matches any candidate (the message shows keys from both sides), or a
        column the candidates already have (e.g. ``energy_wh`` logged to MLflow) disagrees with
        CodeCarbon's value; when it agrees, the candidates' own column is kept.

    Examples
    --------
    ``join_emissions(wb.load("mlflow:sqlite:///mlflow.db#fraud"), "emissions.csv")`` adds
    ``energy_wh`` per candidate, the mean over its seeds when each seed's run was tracked with
    ``experiment_id=run.info.run_id``; ``wb.load(..., emissions="emissions.csv")`` does the same.
    """
    _unit_factor(energy_unit)
    if isinstance(emissions, pd.DataFrame):
        runs, label, ref_file = _from_frame(emissions, energy_unit), "codecarbon:DataFrame", {}
    else:
        path = Path(emissions)
        runs = read_emissions(path, energy_unit=energy_unit)
        label = f"codecarbon:{path}"
        ref_file = {"path": str(path.resolve()), "sha256": file_sha256(path)}
    keys = [c for c in KEY_COLUMNS if c in runs.columns]
    if on is not None:
        if on not in keys:
            raise UnknownNameError(unknown_name("Join column", on, keys, where=f"a key column of {label}"))
        keys = [on]
    targets = _targets(candidates)

    best: tuple[int, str, str] | None = None
    for col in keys:
        values = set(runs[col].dropna().astype(str))
        for name, (mapping, _) in targets.items():
            n = len(values & set(mapping))
            if n and (best is None or n > best[0]):
                best = (n, col, name)
    if best is None:
        sample = {col: list(dict.fromkeys(runs[col].dropna().astype(str)))[:3] for col in keys}
        theirs = "; ".join(f"{c}: {', '.join(map(repr, v)) or '(empty)'}" for c, v in sample.items())
        ours = "; ".join(f"{desc}: {', '.join(map(repr, list(m)[:3]))}" for m, desc in targets.values())
        raise CandidatesError(
            f"No CodeCarbon run in {label} matches a candidate.\n"
            f"  CodeCarbon keys — {theirs}.\n  Candidate keys — {ours}.\n"
            "  Fix: create the tracker with project_name=<candidate id> or "
            "experiment_id=<MLflow run id>, "
            "or pass on= naming the CodeCarbon column to match."
        )
    _, col, target = best
    mapping, desc = targets[target]
    measures = [c for c in runs.columns if c in {_out_name(s, e, energy_unit) for s, e in _MEASURES.values()}]
    key = runs[col].astype("string")
    matched = runs[key.isin(list(mapping)).fillna(False).to_numpy()].copy()
    unmatched = runs.loc[~runs.index.isin(matched.index), col].astype(str)
    pairs = [mapping[str(k)] for k in matched[col]]
    matched["candidate"] = [p[0] for p in pairs]
    matched["replicate"] = [p[1] for p in pairs]

    table, spread, replicates = candidates.table, candidates.spread, candidates.replicates
    summary = candidates.source_ref.get("summary", "mean")
    per_replicate = replicates is not None and matched["replicate"].notna().all()
    rep_values = spread_values = None
    if per_replicate:
        per_rep = matched.groupby(["candidate", "replicate"], sort=False)[measures].sum(min_count=1)
        rep_values = per_rep.reindex(replicates.index)
        grouped = rep_values.groupby(level="candidate", sort=False)
        values = (grouped.mean() if summary == "mean" else grouped.median()).reindex(table.index)
        spread_values = grouped.std(ddof=1).reindex(table.index)
        how = f"per-run totals summarised by the {summary} over each candidate's replicates"
    else:
        values = matched.groupby("candidate", sort=False)[measures].sum(min_count=1).reindex(table.index)
        how = "sum of the matching CodeCarbon runs"
        if replicates is not None:
            n = replicates.groupby(level="candidate", sort=False).size().reindex(table.index)
            values = values.div(n, axis=0)
            how += ", divided by the candidate's number of replicates (energy per replicate run)"
            rep_values = pd.DataFrame(np.nan, index=replicates.index, columns=measures)
            spread_values = pd.DataFrame(np.nan, index=table.index, columns=measures)
    # a column the source already has (e.g. energy_wh logged to MLflow) is kept if it agrees
    kept = [c for c in measures if c in table.columns]
    for c in kept:
        ours, theirs = table[c], values[c]
        both = ours.notna() & theirs.notna()
        bad = both & ~np.isclose(ours.fillna(0.0), theirs.fillna(0.0), rtol=1e-6, atol=0.0)
        if bad.any():
            shown = ", ".join(f"{i!r}: {ours[i]:.6g} vs {theirs[i]:.6g}" for i in table.index[bad.to_numpy()][:3])
            raise CandidatesError(
                f"Column {c!r} is in the candidates table ({candidates.source}) and in {label}, "
                f"with different values ({shown}).\n"
                "  Fix: drop one of them (e.g. do not pass emissions=), or check that the "
                "CodeCarbon rows belong to these runs (on=)."
            )
    new = [c for c in measures if c not in kept]
    without = [str(c) for c in table.index[values[measures[0]].isna().to_numpy()]]
    table = table.join(values[new])
    if replicates is not None and rep_values is not None:
        replicates = replicates.join(rep_values[new])
    if spread is not None and spread_values is not None:
        spread = spread.join(spread_values[new])
    detail = {
        **ref_file,
        "on": f"{col} -> {desc}",
        "aggregation": how,
        "energy_unit": energy_unit,
        "columns": new,
        "kept_from_source": kept,
        "matched_runs": len(matched),
        "unmatched_runs": len(unmatched),
        "unmatched_keys": list(dict.fromkeys(unmatched))[:20],
        "candidates_without_emissions": without,
    }
    ref = dict(candidates.source_ref)
    ref["joined"] = [*ref.get("joined", []), label]
    ref["emissions"] = detail
    return replace(candidates, table=table, spread=spread, replicates=replicates, source_ref=ref)
