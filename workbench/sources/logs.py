"""Request/prediction logs of deployed versions (CSV or Parquet: one file, a folder or a glob).

Every row is one served request. The canonical schema (:data:`SCHEMA`) is what the monitoring
aggregation reads; :data:`REQUIRED` columns must be present in every file:

=============  ==========================  ====================================================
column         dtype                       meaning
=============  ==========================  ====================================================
timestamp      ``datetime64[us, UTC]``     when the request was served (naive → taken as UTC)
version        ``string``                  the deployed model version that answered
latency_ms     ``float64`` (>= 0)          serving latency in milliseconds
error          ``bool``                    the request failed
cost_usd       ``float64``                 optional: cost of the request
energy_wh      ``float64``                 optional: energy of the request
prediction     as read                     optional: the model's output
label          as read, nullable           optional: ground truth (may arrive late: missing)
group          ``string``                  optional: fairness attribute
=============  ==========================  ====================================================

Other columns of the files (features, request ids...) are kept, after the canonical ones.

How values are read, and what is excluded (never silently: see ``LogFrame.excluded``):

- **Column names**: ``columns=`` maps canonical names to the file's names, e.g.
  ``{"version": "model_version", "latency_ms": "duration"}``.
- **Latency units**: a ``latency_ms``, ``latency_s`` or ``latency_us`` column is converted to ms
  from its suffix; a column mapped with ``columns={"latency_ms": ...}`` is in ``latency_unit``
  (default ``"ms"``). Two latency columns with different units in one file, a unit that
  contradicts the column's suffix, or a unit other than ms/s/us raise
  :class:`MonitoringDataError`. Files of one read may use different units (each is converted).
- **Timestamps**: ISO 8601 strings or datetime columns; values *without a time zone are taken as
  UTC* (noted in ``LogFrame.notes``); numbers are Unix epoch seconds. Unparseable or missing
  timestamps exclude the row (reason counted); if no timestamp of a file parses, it is an error.
- **error**: booleans, ``0``/``1``, ``true``/``false`` or ``ok``/``error`` (case-insensitive);
  any other value raises, naming the values. Missing values exclude the row.
- **Excluded rows** (counted per reason and file): missing or unparseable timestamp, missing
  version, missing or non-numeric latency, negative latency, missing error value.
- ``since``/``until`` keep ``since <= timestamp < until`` (not counted as exclusions).
"""

from __future__ import annotations

import glob as _glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbench._io import file_sha256
from workbench.errors import (
    MonitoringError,
    SourceNotFoundError,
    UnknownNameError,
    did_you_mean,
    unknown_name,
)

__all__ = [
    "read_logs",
    "serving_energy",
    "resolve_columns",
    "list_log_files",
    "LogFrame",
    "MonitoringDataError",
    "SCHEMA",
    "REQUIRED",
    "OPTIONAL",
    "LATENCY_UNITS",
    "ERROR_TRUE",
    "ERROR_FALSE",
    "EXCLUDED_COLUMNS",
]

#: Canonical columns and their dtypes after :func:`read_logs` ("object" = kept as read).
SCHEMA: Mapping[str, str] = {
    "timestamp": "datetime64[us, UTC]",
    "version": "string",
    "latency_ms": "float64",
    "error": "bool",
    "cost_usd": "float64",
    "energy_wh": "float64",
    "prediction": "object",
    "label": "object",
    "group": "string",
}
#: Columns every log file must have (after ``columns=`` renaming and latency-unit resolution).
REQUIRED: tuple[str, ...] = ("timestamp", "version", "latency_ms", "error")
#: Canonical columns that may be absent.
OPTIONAL: tuple[str, ...] = tuple(c for c in SCHEMA if c not in REQUIRED)
#: Latency units and how many milliseconds one of them is.
LATENCY_UNITS: Mapping[str, float] = {"ms": 1.0, "s": 1000.0, "us": 0.001}
#: Values of ``error`` read as True / False (strings compared lower-cased and stripped).
ERROR_TRUE = frozenset({"1", "1.0", "true", "error"})
ERROR_FALSE = frozenset({"0", "0.0", "false", "ok"})
#: Columns of ``LogFrame.excluded``.
EXCLUDED_COLUMNS = ("reason", "rows", "source", "example")

_SUFFIXES = ("*.parquet", "*.csv")


#: The error of every monitoring reader (the same class as :class:`workbench.errors.MonitoringError`).
MonitoringDataError = MonitoringError


@dataclass(frozen=True, repr=False, eq=False)
class LogFrame:
    """Request logs in the canonical schema, with what was excluded and where they came from.

    Attributes
    ----------
    data : DataFrame
        One row per request, canonical columns first (see :data:`SCHEMA`), sorted by timestamp.
    excluded : DataFrame
        ``reason``, ``rows`` (count), ``source`` (file), ``example`` (a bad value).
    files : tuple of dict
        ``{"path", "sha256", "rows"}`` per file read (rows as read, before exclusions).
    source : str
        What was asked for (the path or glob).
    notes : tuple of str
        Assumptions made while reading (e.g. naive timestamps taken as UTC).
    """

    data: pd.DataFrame
    excluded: pd.DataFrame
    files: tuple[Mapping[str, Any], ...]
    source: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def versions(self) -> list[str]:
        """The versions present, sorted."""
        return sorted(self.data["version"].dropna().unique().tolist())

    def __repr__(self) -> str:
        n_ex = int(self.excluded["rows"].sum()) if len(self.excluded) else 0
        return (
            f"LogFrame({len(self.data)} requests, {len(self.versions)} versions, "
            f"{len(self.files)} files from {self.source!r}; {n_ex} rows excluded)"
        )


def list_log_files(path_or_glob: str | os.PathLike[str] | Sequence[Any]) -> list[Path]:
    """The files :func:`read_logs` would read (a file, every CSV/Parquet below a folder, a glob).

    Raises :class:`SourceNotFoundError` when there is none.
    """
    return _list_files(path_or_glob)


def resolve_columns(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    latency_unit: str | None = None,
) -> tuple[dict[str, str], float]:
    """How one log file maps to the canonical schema, reading only its header/schema.

    For engines that read the files themselves (DuckDB, Dask): returns ``(mapping, factor)``
    where ``mapping`` is canonical name → the file's column (required and optional ones present)
    and ``factor`` converts the latency column to milliseconds. Raises the same errors as
    :func:`read_logs` for missing columns and mixed or unknown units.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = f.write_text("timestamp,model,latency_s,error,group\\n")
    >>> mapping, factor = resolve_columns(f, columns={"version": "model"})
    >>> mapping["version"], mapping["latency_ms"], factor
    ('model', 'latency_s', 1000.0)
    """
    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        names = list(pq.read_schema(p).names)
    else:
        names = list(pd.read_csv(p, nrows=0, sep="\t" if p.suffix.lower() == ".tsv" else ",").columns)
    for canon in columns or {}:
        if canon not in SCHEMA:
            raise UnknownNameError(unknown_name("Canonical column", canon, SCHEMA, where="a column of the log schema"))
    if latency_unit is not None:
        _check_unit(latency_unit)
    mapping, unit = _resolve(pd.DataFrame(columns=names), dict(columns or {}), latency_unit, f"log file {str(p)!r}")
    _check_unit(unit)
    return mapping, LATENCY_UNITS[unit]


def _list_files(path_or_glob: str | os.PathLike[str] | Sequence[Any]) -> list[Path]:
    if isinstance(path_or_glob, (list, tuple)):
        out: list[Path] = []
        for item in path_or_glob:
            out.extend(_list_files(item))
        return out
    text = os.fspath(path_or_glob)
    p = Path(text)
    if p.is_dir():
        files = sorted({f for pat in _SUFFIXES for f in p.rglob(pat) if f.is_file()})
        if not files:
            present = sorted(x.name for x in p.iterdir())[:8]
            raise SourceNotFoundError(
                f"Log folder {text!r} has no *.parquet or *.csv file"
                + (f" (it has: {', '.join(present)})." if present else " (it is empty).")
                + "\n  Fix: point at the folder the serving layer writes its request logs to."
            )
        return files
    if p.is_file():
        return [p]
    if _glob.has_magic(text):
        files = sorted(Path(f) for f in _glob.glob(text, recursive=True) if Path(f).is_file())
        if not files:
            raise SourceNotFoundError(f"No log file matches the pattern {text!r}.")
        return files
    msg = f"Log file or folder {text!r} does not exist."
    if p.parent.is_dir():
        near = sorted(x.name for x in p.parent.iterdir())[:20]
        hint = did_you_mean(p.name, near)
        msg += f"\n  In {str(p.parent)!r}: {', '.join(near[:8]) or '(empty)'}." + (f"\n{hint}" if hint else "")
    raise SourceNotFoundError(msg)


def _read_raw(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".tsv", ".txt"):
            # read as text: versions like "1.10" stay strings; numbers are converted below
            return pd.read_csv(path, dtype=str, sep="\t" if suffix == ".tsv" else ",")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MonitoringDataError(f"Cannot read log file {str(path)!r}: {first}") from None
    raise MonitoringDataError(
        f"Log file {str(path)!r} is neither CSV nor Parquet (suffix {suffix!r}).\n"
        "  Fix: pass .csv or .parquet files, or a folder of them."
    )


def _check_unit(unit: str) -> None:
    if unit not in LATENCY_UNITS:
        raise MonitoringDataError(
            unknown_name(
                "Latency unit",
                unit,
                LATENCY_UNITS,
                where="a supported unit",
                fix="latency_unit= is one of 'ms', 's', 'us'.",
            )
        )


def _resolve(
    raw: pd.DataFrame, columns: Mapping[str, str], latency_unit: str | None, src: str
) -> tuple[dict[str, str], str]:
    """Canonical name -> file column, and the latency unit of the latency column."""
    present = [str(c) for c in raw.columns]
    mapping: dict[str, str] = {}
    for canon, theirs in columns.items():
        if theirs not in present:
            raise UnknownNameError(
                unknown_name(
                    "Column",
                    theirs,
                    present,
                    where=f"a column of {src}",
                    fix=f"columns={{{canon!r}: <one of the columns above>}}.",
                )
            )
        mapping[canon] = theirs
    for canon in SCHEMA:
        if canon not in mapping and canon in present and canon != "latency_ms":
            mapping[canon] = canon
    # latency
    if "latency_ms" in mapping:
        unit = latency_unit or "ms"
    else:
        found = [c for c in ("latency_ms", "latency_s", "latency_us") if c in present]
        if len(found) > 1:
            raise MonitoringDataError(
                f"{src} has latency columns in different units: {', '.join(found)}.\n"
                "  Fix: keep one, or choose with columns={'latency_ms': "
                f"{found[0]!r}}} (and latency_unit=...)."
            )
        if found:
            implied = found[0].rsplit("_", 1)[1]
            if latency_unit is not None and latency_unit != implied:
                raise MonitoringDataError(
                    f"latency_unit={latency_unit!r} contradicts the column {found[0]!r} of {src} "
                    f"(in {implied!r}).\n  Fix: drop latency_unit=, or map the column explicitly "
                    f"with columns={{'latency_ms': {found[0]!r}}}."
                )
            mapping["latency_ms"], unit = found[0], implied
        else:
            unit = latency_unit or "ms"
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        guesses = {c: _guess(c, present, set(mapping.values())) for c in missing}
        hints = [f"  Did you mean {g!r} for {c!r}?" for c, g in guesses.items() if g]
        fix = ", ".join(f"{c!r}: {g or '<file column>'!r}" for c, g in guesses.items())
        raise UnknownNameError(
            f"{src} has no {' / '.join(repr(m) for m in missing)} column (required: "
            f"{', '.join(REQUIRED)}).\n  Columns: {', '.join(present)}.\n"
            + "".join(h + "\n" for h in hints)
            + f"  Fix: columns={{{fix}}}"
            + (" (latency_unit= 'ms', 's' or 'us')." if "latency_ms" in missing else ".")
        )
    return mapping, unit


_SYNONYMS = {
    "timestamp": ("ts", "time", "datetime", "date", "created_at", "event_time", "request_time"),
    "version": ("model_version", "model", "version_id", "deployment", "variant"),
    "latency_ms": ("latency", "duration", "elapsed", "response_time", "duration_ms", "elapsed_ms"),
    "error": ("status", "outcome", "is_error", "failed", "failure", "errors"),
}


def _guess(canon: str, present: Sequence[str], taken: set[str]) -> str | None:
    """The file column most likely meant for a canonical name (a close spelling or a synonym)."""
    free = [c for c in present if c not in taken]
    hint = did_you_mean(canon, free)
    if hint:
        return hint.split("'")[1]
    lower = {c.lower(): c for c in free}
    for syn in _SYNONYMS.get(canon, ()):
        if syn in lower:
            return lower[syn]
    return None


def _parse_time(values: pd.Series) -> tuple[pd.Series, bool]:
    """Parse to UTC; returns (parsed with NaT for failures, whether naive values were seen)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), False
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.tz_localize("UTC").astype("datetime64[us, UTC]"), values.notna().any()
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        out = pd.to_datetime(values.astype("float64"), unit="s", utc=True, errors="coerce")
        return out.astype("datetime64[us, UTC]"), False
    text = values.astype("string").str.strip()
    naive = text.str.contains(r"^\d{4}-\d\d-\d\d(?:[T ][\d:.]+)?$", regex=True, na=False).any()
    out = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if out.isna().sum() > text.isna().sum():  # other formats (e.g. "01/02/2026 10:00")
        retry = pd.to_datetime(text[out.isna()], utc=True, errors="coerce", format="mixed")
        out = out.fillna(retry) if len(retry) else out
    return out.astype("datetime64[us, UTC]"), bool(naive)


def _parse_error(values: pd.Series, src: str, col: str) -> pd.Series:
    """Nullable boolean; raises on values that are not 0/1, true/false, ok/error."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    text = values.astype("string").str.strip().str.lower()
    true, false = text.isin(list(ERROR_TRUE)), text.isin(list(ERROR_FALSE))
    bad = text.notna() & ~true & ~false
    if bad.any():
        shown = list(dict.fromkeys(values[bad].astype(str)))[:5]
        raise MonitoringDataError(
            f"Column {col!r} of {src} has values that are not a boolean outcome: "
            f"{', '.join(map(repr, shown))} ({int(bad.sum())} rows).\n"
            "  Valid: true/false, 1/0, 'error'/'ok' (any case).\n"
            "  Fix: map the outcome to one of these before reading, or name another column "
            "with columns={'error': ...}."
        )
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[true.fillna(False).to_numpy()] = True
    out[false.fillna(False).to_numpy()] = False
    return out


def _numeric(values: pd.Series, src: str, col: str) -> pd.Series:
    out = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = out.isna() & values.notna() & (values.astype("string").str.strip() != "")
    if bad.any():
        shown = list(dict.fromkeys(values[bad].astype(str)))[:3]
        raise MonitoringDataError(f"Column {col!r} of {src} has non-numeric values: {', '.join(map(repr, shown))}.")
    return out


def _normalise(
    raw: pd.DataFrame,
    src: str,
    columns: Mapping[str, str],
    latency_unit: str | None,
) -> tuple[pd.DataFrame, list[dict[str, Any]], bool]:
    mapping, unit = _resolve(raw, columns, latency_unit, src)
    _check_unit(unit)
    out = pd.DataFrame(index=raw.index)
    excluded: list[dict[str, Any]] = []
    drop = pd.Series(False, index=raw.index)

    def exclude(mask: pd.Series, reason: str, column: str) -> None:
        mask = mask.fillna(False) & ~drop
        if mask.any():
            example = raw.loc[mask, column].iloc[0]
            excluded.append(
                {
                    "reason": reason,
                    "rows": int(mask.sum()),
                    "source": src,
                    "example": None if pd.isna(example) else str(example),
                }
            )
            drop[mask.to_numpy()] = True

    ts_col = mapping["timestamp"]
    ts, naive = _parse_time(raw[ts_col])
    if len(raw) and ts.isna().all():
        shown = list(dict.fromkeys(raw[ts_col].dropna().astype(str)))[:3]
        raise MonitoringDataError(
            f"No timestamp in column {ts_col!r} of {src} could be parsed "
            f"(e.g. {', '.join(map(repr, shown)) or 'all missing'}).\n"
            "  Fix: write ISO 8601 timestamps (2026-01-31T12:00:00Z), or map another column with "
            "columns={'timestamp': ...}."
        )
    exclude(raw[ts_col].isna(), "missing timestamp", ts_col)
    exclude(ts.isna(), "unparseable timestamp", ts_col)
    out["timestamp"] = ts

    v_col = mapping["version"]
    version = raw[v_col].astype("string").str.strip()
    exclude(version.isna() | (version == ""), "missing version", v_col)
    out["version"] = version

    l_col = mapping["latency_ms"]
    lat = pd.to_numeric(raw[l_col], errors="coerce").astype("float64")
    exclude(raw[l_col].isna(), "missing latency", l_col)
    exclude(lat.isna(), "non-numeric latency", l_col)
    exclude(lat < 0, "negative latency", l_col)
    out["latency_ms"] = lat * LATENCY_UNITS[unit]

    e_col = mapping["error"]
    err = _parse_error(raw[e_col], src, e_col)
    exclude(err.isna(), "missing error value", e_col)
    out["error"] = err

    for col in ("cost_usd", "energy_wh"):
        if col in mapping:
            out[col] = _numeric(raw[mapping[col]], src, mapping[col])
    for col in ("prediction", "label"):
        if col in mapping:
            out[col] = raw[mapping[col]]
    if "group" in mapping:
        out["group"] = raw[mapping["group"]].astype("string")
    used = set(mapping.values())
    for col in raw.columns:
        if col not in used and col not in out.columns:
            out[col] = raw[col]
    kept = out[~drop.to_numpy()].copy()
    kept["error"] = kept["error"].astype(bool)
    return kept, excluded, naive


def read_logs(
    path_or_glob: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
    since: Any = None,
    until: Any = None,
    latency_unit: str | None = None,
) -> LogFrame:
    """Read request/prediction logs into the canonical schema (see the module docstring).

    Parameters
    ----------
    path_or_glob : path, glob or list of them
        A CSV or Parquet file, a folder (every ``*.parquet``/``*.csv`` below it) or a glob.
    columns : mapping, optional
        Canonical name → the files' column name, e.g. ``{"version": "model_version"}``.
    since, until : timestamp-like, optional
        Keep ``since <= timestamp < until`` (naive values are UTC).
    latency_unit : {"ms", "s", "us"}, optional
        Unit of a latency column mapped with ``columns={"latency_ms": ...}`` (default ms).
        Columns named ``latency_s``/``latency_us`` are converted from their suffix.

    Returns
    -------
    LogFrame
        ``data`` sorted by timestamp, ``excluded`` (reason counts), ``files`` (with sha256).

    Raises
    ------
    SourceNotFoundError
        Nothing at the path, or no log file in the folder / matching the glob.
    UnknownNameError
        A required column is missing (the message lists the columns and the ``columns=`` fix).
    MonitoringDataError
        Mixed or unknown latency units, non-boolean error values, no parseable timestamp.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_text(
    ...     "ts,model_version,latency_s,status\\n"
    ...     "2026-01-01T00:00:00Z,v1,0.120,ok\\n"
    ...     "2026-01-01T00:00:01Z,v1,-1,ok\\n"
    ...     "2026-01-01T00:00:02Z,v2,0.080,error\\n")
    >>> names = {"timestamp": "ts", "version": "model_version", "error": "status"}
    >>> logs = read_logs(d, columns=names)
    >>> logs.data[["version", "latency_ms", "error"]]
      version  latency_ms  error
    0      v1       120.0  False
    1      v2        80.0   True
    >>> logs.excluded[["reason", "rows"]]
                 reason  rows
    0  negative latency     1
    """
    columns = dict(columns or {})
    for canon in columns:
        if canon not in SCHEMA:
            raise UnknownNameError(
                unknown_name(
                    "Canonical column",
                    canon,
                    SCHEMA,
                    where="a column of the log schema",
                    fix="columns= maps canonical names (keys) to the files' names.",
                )
            )
    if latency_unit is not None:
        _check_unit(latency_unit)
    files = _list_files(path_or_glob)
    frames, excluded, records, notes = [], [], [], []
    for path in files:
        raw = _read_raw(path)
        src = f"log file {str(path)!r}"
        frame, excl, naive = _normalise(raw, src, columns, latency_unit)
        if naive:
            notes.append(f"timestamps without a time zone in {str(path)!r} were taken as UTC")
        frames.append(frame)
        excluded.extend(excl)
        records.append({"path": str(path.resolve()), "sha256": file_sha256(path), "rows": len(raw)})
    data = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if since is not None or until is not None:
        keep = pd.Series(True, index=data.index)
        for bound, op in ((since, "ge"), (until, "lt")):
            if bound is None:
                continue
            t = pd.Timestamp(bound)
            t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
            keep &= getattr(data["timestamp"], op)(t)
        data = data[keep.to_numpy()]
    data = data.sort_values("timestamp", kind="stable").reset_index(drop=True)
    excl = pd.DataFrame(excluded, columns=list(EXCLUDED_COLUMNS))
    excl["rows"] = excl["rows"].astype("int64")
    label = (
        os.fspath(path_or_glob)
        if not isinstance(path_or_glob, (list, tuple))
        else (", ".join(map(os.fspath, path_or_glob)))
    )
    return LogFrame(data=data, excluded=excl, files=tuple(records), source=label, notes=tuple(notes))


def serving_energy(
    emissions: str | os.PathLike[str] | Any,
    *,
    by: str = "project_name",
    version_map: Mapping[str, str] | None = None,
    window: str | None = None,
    energy_unit: str = "Wh",
) -> pd.DataFrame:
    """Energy measured by CodeCarbon while serving, per deployed version (and window).

    Built on :func:`workbench.sources.codecarbon.read_emissions` (one row per CodeCarbon run: its
    last, cumulative snapshot). Divide by the request counts of the logs for energy per request.

    Parameters
    ----------
    emissions : path or file-like
        CodeCarbon's ``emissions.csv`` written by the serving processes.
    by : {"project_name", "run_id", "experiment_id"}
        The CodeCarbon column that names what was served: the tracker is created e.g. with
        ``project_name=<model version>``.
    version_map : mapping, optional
        Value of ``by`` → model version (e.g. run ids to versions). Runs whose key is not in the
        map are left out and listed in ``result.attrs["unmatched"]``.
    window : str, optional
        A pandas frequency (``"1h"``, ``"1D"``): a run is counted in the window of its
        ``timestamp`` (when CodeCarbon wrote it, i.e. the end of the run), so track one run per
        window (stop and restart the tracker) for per-window energy.
    energy_unit : {"Wh", "kWh", "J"}

    Returns
    -------
    DataFrame
        ``version``, ``window`` (UTC start, when ``window`` is given), ``energy_<unit>``,
        ``duration_s``, ``emissions_kg`` (when present) and ``runs``.

    Examples
    --------
    >>> import io
    >>> csv = io.StringIO(
    ...     "timestamp,project_name,run_id,duration,emissions,energy_consumed\\n"
    ...     "2026-01-01T10:59:00,v1,r1,3600,0.002,0.010\\n"
    ...     "2026-01-01T11:59:00,v1,r2,3600,0.003,0.012\\n"
    ...     "2026-01-01T10:59:00,v2,r3,3600,0.001,0.005\\n")
    >>> serving_energy(csv)[["version", "energy_wh", "runs"]]
      version  energy_wh  runs
    0      v1       22.0     2
    1      v2        5.0     1
    """
    from workbench.sources.codecarbon import KEY_COLUMNS, read_emissions

    runs = read_emissions(emissions, energy_unit=energy_unit)
    keys = [c for c in KEY_COLUMNS if c in runs.columns]
    if by not in keys:
        raise UnknownNameError(
            unknown_name(
                "Key column",
                by,
                keys,
                where="a key column of the emissions file",
                fix="by= names the CodeCarbon column holding the version or run id.",
            )
        )
    energy = f"energy_{energy_unit.lower()}"
    key = runs[by].astype("string")
    if version_map is not None:
        mapping = {str(k): str(v) for k, v in version_map.items()}
        version = key.map(mapping)
        unmatched = sorted(set(key[version.isna()].dropna()))
        if version.isna().all():
            raise MonitoringDataError(
                f"No CodeCarbon run's {by!r} is a key of version_map.\n"
                f"  {by} values: {', '.join(map(repr, sorted(set(key.dropna()))[:5]))}; "
                f"version_map keys: {', '.join(map(repr, list(mapping)[:5]))}."
            )
    else:
        version, unmatched = key, []
    runs = runs.assign(version=version)[version.notna().to_numpy()]
    group = ["version"]
    if window is not None:
        if "timestamp" not in runs.columns:
            raise MonitoringDataError("The emissions file has no 'timestamp' column: no windows.")
        ts, _ = _parse_time(runs["timestamp"])
        try:
            runs = runs.assign(window=ts.dt.floor(window))
        except ValueError as exc:
            raise MonitoringDataError(f"window={window!r} is not a pandas frequency: {exc}") from None
        group.append("window")
    measures = [c for c in (energy, "duration_s", "emissions_kg") if c in runs.columns]
    out = runs.groupby(group, sort=True)[measures].sum()
    out["runs"] = runs.groupby(group, sort=True).size()
    out = out.reset_index()
    out.attrs["unmatched"] = unmatched
    return out
