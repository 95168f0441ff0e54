"""The candidates table and the cleaning every reader shares.

A :class:`Candidates` holds, for one review:

- ``table``: one row per candidate, index ``candidate`` (string ids), numeric metric columns only;
- ``provenance``: same index, everything that is not a metric (source, run id, params, tags);
- ``replicates``: per-seed rows (index ``candidate``, ``replicate``) when a replicate column was
  declared; ``table`` then holds their summary (mean by default) and ``spread`` their std;
- ``exclusions``: every row left out, with the reason — nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.errors import CandidatesError, UnknownNameError, UnknownObjectiveError, unknown_name

#: Largest objective magnitude the analysis compares: beyond it, squares (TOPSIS) and differences
#: (normalisation, violations) of values overflow float64, so such rows are excluded like NaN/inf.
from workbench.quality.objective import MAX_MAGNITUDE

if TYPE_CHECKING:
    from workbench.quality import QualityModel

__all__ = [
    "Candidates",
    "from_frame",
    "non_numeric_cells",
    "ID_COLUMNS",
    "SUMMARIES",
    "REPLICATE_COLUMNS",
    "replicate_groups",
]

#: Column names tried, in order, when no id column is given.
ID_COLUMNS = ("id", "candidate", "candidate_id", "name", "version", "model_version", "run_id", "run_name")
#: Column names taken as the replicate column, in order, when ids repeat and none is given.
REPLICATE_COLUMNS = ("seed", "replicate", "random_seed", "rep")
#: Parameter names that tell replicates apart rather than configurations.
SEED_PARAMETERS = ("seed", "random_seed", "random_state", "replicate", "rep")
#: How replicates are summarised into the candidates table.
SUMMARIES = ("mean", "median")

_EXCLUSION_COLUMNS = ["candidate", "reason", "source"]


def _empty_exclusions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in _EXCLUSION_COLUMNS})


@dataclass(frozen=True, repr=False, eq=False)
class Candidates:
    """Candidates of one review: metrics, provenance, replicates and what was excluded.

    Build it with :func:`workbench.load` or :func:`from_frame`, not directly.

    Examples
    --------
    >>> import pandas as pd
    >>> c = from_frame(pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.8], "team": ["x", "y"]}))
    >>> c
    Candidates(2 candidates from DataFrame; metrics: acc; provenance: team)
    >>> c.table
               acc
    candidate
    a          0.9
    b          0.8
    """

    table: pd.DataFrame
    provenance: pd.DataFrame
    replicates: pd.DataFrame | None = None
    spread: pd.DataFrame | None = None
    exclusions: pd.DataFrame = field(default_factory=_empty_exclusions)
    source: str = "DataFrame"
    source_ref: Mapping[str, Any] = field(default_factory=dict)

    # --- views ---------------------------------------------------------------------------------

    @property
    def ids(self) -> pd.Index:
        return self.table.index

    @property
    def metrics(self) -> list[str]:
        """Numeric metric columns available as objectives."""
        return list(self.table.columns)

    def __len__(self) -> int:
        return len(self.table)

    def to_frame(self) -> pd.DataFrame:
        """Metrics and provenance side by side (a copy)."""
        return self.table.join(self.provenance, how="left")

    def evidence(self) -> pd.DataFrame:
        """Long-form evidence: one row per (candidate, metric[, replicate]) with its value and source."""
        if self.replicates is not None:
            long = self.replicates.reset_index().melt(
                id_vars=["candidate", "replicate"], var_name="metric", value_name="value"
            )
        else:
            long = self.table.reset_index().melt(id_vars=["candidate"], var_name="metric", value_name="value")
            long["replicate"] = pd.NA
        long["source"] = self.source
        return long[["candidate", "metric", "value", "replicate", "source"]]

    @property
    def data_hash(self) -> str:
        """SHA-256 of the metric table (ids, column names, values): same data, same hash."""
        digest = hashlib.sha256()
        t = self.table.sort_index(axis=1)
        digest.update("\x1f".join(map(str, t.columns)).encode())
        digest.update("\x1f".join(map(str, t.index)).encode())
        digest.update(np.ascontiguousarray(t.to_numpy(dtype="float64")).tobytes())
        return digest.hexdigest()

    def __repr__(self) -> str:
        parts = [f"{len(self)} candidates from {self.source}", "metrics: " + ", ".join(self.metrics)]
        if len(self.provenance.columns):
            cols = list(self.provenance.columns)
            parts.append("provenance: " + ", ".join(cols[:6]) + (", ..." if len(cols) > 6 else ""))
        if self.replicates is not None:
            parts.append(f"{len(self.replicates)} replicates")
        if len(self.exclusions):
            parts.append(f"{len(self.exclusions)} excluded")
        return f"Candidates({'; '.join(parts)})"

    # --- model-aware cleaning ----------------------------------------------------------------

    def check_objectives(self, names: Sequence[str]) -> None:
        """Raise :class:`UnknownObjectiveError` if a name is not a numeric column."""
        for name in names:
            if name not in self.table.columns:
                if name in self.provenance.columns:
                    raise UnknownObjectiveError(
                        f"Objective {name!r} is a column of the candidates table, but not a numeric one.\n  "
                        + non_numeric_cells(self.provenance[name])
                        + "\n  Fix: correct or remove those cells (an empty cell excludes the candidate,"
                        " with the reason)."
                    )
                raise UnknownObjectiveError(
                    unknown_name("Objective", name, self.metrics, where="a numeric column of the candidates table")
                )

    def for_model(self, model: QualityModel) -> Candidates:
        """Check the model's objectives exist and exclude, with a reason, rows with NaN/inf in them
        (or a magnitude beyond ``MAX_MAGNITUDE``, which the analysis cannot compare).

        Raises
        ------
        UnknownObjectiveError
            An objective is not a numeric column (the message lists the numeric columns).
        CandidatesError
            No candidate is left with finite values for every objective.
        """
        names = model.names
        self.check_objectives(names)
        values = self.table[names].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            huge = np.abs(values) > MAX_MAGNITUDE
        bad = ~np.isfinite(values) | huge
        if not bad.any():
            return self
        rows = bad.any(axis=1)
        reasons = []
        for i in np.flatnonzero(rows):
            parts = []
            cols = [f"{names[j]}={float(values[i, j])!r}" for j in np.flatnonzero(bad[i] & ~huge[i])]
            if cols:
                parts.append("missing or non-finite objective value: " + ", ".join(cols))
            cols = [f"{names[j]}={float(values[i, j])!r}" for j in np.flatnonzero(huge[i])]
            if cols:
                parts.append(f"objective value beyond ±{MAX_MAGNITUDE:g}, too large to compare: " + ", ".join(cols))
            reasons.append("; ".join(parts))
        dropped = self.table.index[rows]
        excl = pd.DataFrame({"candidate": dropped.astype(str), "reason": reasons, "source": self.source})
        kept = ~rows
        if not kept.any():
            raise CandidatesError(
                f"No candidate has finite values for every objective ({', '.join(names)}); "
                f"all {len(self)} were excluded, e.g. {dropped[0]!r}: {reasons[0]}.\n"
                "  Fix: check the metric names in the quality model against the source's columns."
            )
        return replace(
            self,
            table=self.table[kept],
            provenance=self.provenance[kept],
            replicates=None
            if self.replicates is None
            else self.replicates[self.replicates.index.get_level_values("candidate").isin(self.table.index[kept])],
            spread=None if self.spread is None else self.spread[kept],
            exclusions=pd.concat([self.exclusions, excl], ignore_index=True),
        )

    def join(self, metrics: pd.DataFrame, *, source: str, how: str = "left") -> Candidates:
        """Add metric columns (index = candidate id) from another source, e.g. CodeCarbon energy."""
        overlap = [c for c in metrics.columns if c in self.table.columns]
        if overlap:
            raise CandidatesError(
                f"Columns {overlap} from {source} already exist in the candidates table; rename them first."
            )
        table = self.table.join(metrics, how=how)
        return replace(
            self, table=table, source_ref={**self.source_ref, "joined": [*self.source_ref.get("joined", []), source]}
        )


def _pick_id_column(df: pd.DataFrame, id_column: str | None, source: str = "DataFrame") -> str | None:
    if id_column is not None:
        if not isinstance(id_column, str) or id_column not in df.columns:
            if isinstance(id_column, str) and id_column == df.index.name:
                return None
            raise UnknownNameError(
                unknown_name(
                    "Id column",
                    id_column,
                    list(map(str, df.columns)),
                    where="a column of the table",
                    fix="pass id_column= (CLI: --id) naming the column with candidate ids.",
                )
            )
        return id_column
    for name in ID_COLUMNS:
        if name in df.columns:
            return name
    if df.index.name is not None or not isinstance(df.index, pd.RangeIndex):
        return None
    raise CandidatesError(
        f"The table from {source} has no candidate id column. Looked for: " + ", ".join(ID_COLUMNS) + ".\n"
        f"  Columns: {', '.join(map(str, df.columns))}.\n"
        "  Fix: pass id_column= (CLI: --id) naming the column that identifies each candidate."
    )


def non_numeric_cells(column: pd.Series, limit: int = 3) -> str:
    """Say which cells of a column are not numbers: row id, column and value, the first ``limit``.

    >>> s = pd.Series([0.9, "n/a", 0.8, "0.7x"], index=pd.Index(["a", "b", "c", "d"], name="candidate"),
    ...               name="accuracy")
    >>> non_numeric_cells(s)
    "Column 'accuracy' is not numeric: 2 of 4 cells are not numbers: row 'b' has 'n/a', row 'd' has '0.7x'."
    """
    values = column.astype(object)
    bad = values[np.array([not _is_real(v) for v in values], dtype=bool) & values.notna().to_numpy()]
    if not len(bad):
        return f"Column {column.name!r} is not numeric (dtype {column.dtype})."
    shown = ", ".join(f"row {str(i)!r} has {v!r}" for i, v in bad.head(limit).items())
    more = f" (and {len(bad) - limit} more)" if len(bad) > limit else ""
    return (
        f"Column {column.name!r} is not numeric: {len(bad)} of {values.notna().sum()} cells are not numbers: "
        f"{shown}{more}."
    )


def _is_real(value: Any) -> bool:
    """A real number, or text that reads as one (complex and boolean values are not metrics)."""
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating)):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _numeric_columns(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Split columns into numeric metrics and the rest; strings that are all numbers count as numeric.
    Complex numbers are not metrics (casting them to float would drop the imaginary part)."""
    numeric, other = [], []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_complex_dtype(s):
            other.append(col)
        elif pd.api.types.is_numeric_dtype(s):
            numeric.append(col)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            converted = pd.to_numeric(s, errors="coerce")
            if pd.api.types.is_complex_dtype(converted):
                other.append(col)
            elif s.notna().any() and converted.notna().sum() == s.notna().sum():
                numeric.append(col)
            else:
                other.append(col)
        else:
            other.append(col)
    return numeric, other


def from_frame(
    df: pd.DataFrame,
    *,
    id_column: str | None = None,
    replicate_column: str | None = None,
    summary: str = "mean",
    metrics: Sequence[str] | None = None,
    source: str = "DataFrame",
    source_ref: Mapping[str, Any] | None = None,
) -> Candidates:
    """Turn a DataFrame into :class:`Candidates`, validating as it goes.

    Parameters
    ----------
    df : DataFrame
        One row per candidate, or per (candidate, replicate) when ``replicate_column`` is given.
        Never modified.
    id_column : str, optional
        Column with candidate ids; default: the first of ``ID_COLUMNS`` present, else the index.
    replicate_column : str, optional
        Column that tells replicates apart (e.g. ``"seed"``); rows sharing an id are then
        summarised by ``summary`` and kept in ``replicates``. Default, when ids repeat: the first
        of :data:`REPLICATE_COLUMNS` present (``source_ref["replicate_column_detected"]`` says so).
        Without one a repeated id is an error.
    summary : {"mean", "median"}
        How replicates are summarised into the candidates table.
    metrics : sequence of str, optional
        Restrict the metric columns to these (others go to provenance).

    Raises
    ------
    CandidatesError
        Empty table, duplicate ids without a replicate column, a metric column with text in it.

    Examples
    --------
    >>> df = pd.DataFrame({"run": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1], "acc": [0.8, 0.9, 0.7, 0.7]})
    >>> c = from_frame(df, id_column="run", replicate_column="seed")
    >>> c.table["acc"].round(3).to_dict(), c.spread["acc"].round(3).to_dict()
    ({'a': 0.85, 'b': 0.7}, {'a': 0.071, 'b': 0.0})
    >>> from_frame(df.drop(columns="seed"), id_column="run")
    Traceback (most recent call last):
    ...
    workbench.errors.CandidatesError: Candidate ids repeat without a replicate column: 'a' (2 rows), 'b' (2 rows)...
    """
    if not isinstance(df, pd.DataFrame):
        raise CandidatesError(f"Expected a pandas DataFrame, got {type(df).__name__}.")
    if summary not in SUMMARIES:
        raise UnknownNameError(unknown_name("Summary", summary, SUMMARIES, where="a replicate summary"))
    if df.empty or len(df.columns) == 0:
        raise CandidatesError(
            f"The candidates table from {source} is empty ({len(df)} rows, {len(df.columns)} columns).\n"
            "  Fix: check the file, the experiment name or the filter."
        )
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    repeated = df.columns[df.columns.duplicated()].unique().tolist()
    if repeated:
        raise CandidatesError(
            f"Column names repeat in the table from {source}: {', '.join(map(repr, repeated[:5]))}"
            + (f" and {len(repeated) - 5} more" if len(repeated) > 5 else "")
            + ".\n"
            "  Fix: rename or drop the duplicates (column names are compared as text, so 1 and '1' clash)."
        )
    id_col = _pick_id_column(df, id_column, source)
    if id_col is None:
        ids = df.index.to_series().astype(str)
        df = df.reset_index(drop=True)
    else:
        ids = df[id_col]
        df = df.drop(columns=[id_col]).reset_index(drop=True)
    ids = pd.Series(ids.to_numpy(), dtype="object")
    missing_id = ids.isna() | (ids.astype(str).str.strip() == "")
    exclusions = [_empty_exclusions()]
    if missing_id.any():
        exclusions.append(
            pd.DataFrame(
                {
                    "candidate": [f"<row {i}>" for i in np.flatnonzero(missing_id)],
                    "reason": "missing candidate id",
                    "source": source,
                }
            )
        )
        df, ids = df[~missing_id.to_numpy()].reset_index(drop=True), ids[~missing_id].reset_index(drop=True)
        if df.empty:
            raise CandidatesError(f"No row of the table from {source} has a candidate id.")
    ids = ids.astype(str)

    if replicate_column is not None and (not isinstance(replicate_column, str) or replicate_column not in df.columns):
        raise UnknownNameError(
            unknown_name("Replicate column", replicate_column, list(df.columns), where="a column of the table")
        )
    detected = False
    if replicate_column is None and ids.duplicated().any():
        found = [c for c in REPLICATE_COLUMNS if c in df.columns]
        if found:
            replicate_column, detected = found[0], True
    rep = df.pop(replicate_column) if replicate_column is not None else None

    numeric, other = _numeric_columns(df)
    if isinstance(metrics, str):
        metrics = [metrics]
    if metrics is not None:
        for m in metrics:
            if m not in df.columns:
                raise UnknownObjectiveError(unknown_name("Metric", m, numeric, where="a column of the table"))
            if m not in numeric:
                col = df[m].copy()
                col.index = pd.Index(ids, name="candidate")
                raise CandidatesError(
                    f"Metric {m!r}: "
                    + non_numeric_cells(col)
                    + "\n  Fix: clean those values or leave the column out of the quality model."
                )
        other = [c for c in df.columns if c not in metrics]
        numeric = list(metrics)
    values = df[numeric].apply(pd.to_numeric).astype("float64")
    values.index = pd.Index(ids, name="candidate")
    prov = df[other].copy()
    prov.index = pd.Index(ids, name="candidate")

    if rep is None:
        dup = ids[ids.duplicated(keep=False)]
        if len(dup):
            counts = dup.value_counts()
            listing = ", ".join(f"{k!r} ({v} rows)" for k, v in counts.head(5).items())
            raise CandidatesError(
                f"Candidate ids repeat without a replicate column: {listing}"
                + (f" and {len(counts) - 5} more" if len(counts) > 5 else "")
                + f" in the table from {source}.\n"
                "  Fix: if the rows are per-seed replicates, pass replicate_column='seed' "
                "(CLI: --replicates seed); otherwise make the ids unique."
            )
        return Candidates(
            values,
            prov,
            exclusions=pd.concat(exclusions, ignore_index=True),
            source=source,
            source_ref=dict(source_ref or {}),
        )

    rep = rep.reset_index(drop=True)
    key = pd.MultiIndex.from_arrays([ids, rep.astype(str)], names=["candidate", "replicate"])
    if key.duplicated().any():
        first = key[key.duplicated()][0]
        raise CandidatesError(
            f"Candidate {first[0]!r} has replicate {first[1]!r} twice in column {replicate_column!r}; "
            "each (candidate, replicate) pair must be unique."
        )
    replicates = values.copy()
    replicates.index = key
    grouped = replicates.groupby(level="candidate", sort=False)
    table = grouped.mean() if summary == "mean" else grouped.median()
    spread = grouped.std(ddof=1)
    prov = prov[~prov.index.duplicated(keep="first")]
    return Candidates(
        table,
        prov,
        replicates=replicates,
        spread=spread,
        exclusions=pd.concat(exclusions, ignore_index=True),
        source=source,
        source_ref={
            **(source_ref or {}),
            "replicate_column": replicate_column,
            "summary": summary,
            **({"replicate_column_detected": True} if detected else {}),
        },
    )


def replicate_groups(
    frame: pd.DataFrame,
    labels: pd.Series,
    *,
    params: Sequence[str] = (),
    replicate_of: str | None = None,
    require_seed: bool = True,
) -> tuple[pd.Series, str] | None:
    """Group runs or trials that are replicates of one configuration; None when none are.

    A row whose ``replicate_of`` column (e.g. MLflow's ``tags.replicate_of``) holds a value belongs
    to that candidate. Otherwise rows whose ``params`` are identical, apart from seed-like ones
    (:data:`SEED_PARAMETERS`, matched on the name after the last dot), form one candidate named
    after its first row's label — with ``require_seed`` only when a seed-like parameter tells them
    apart (identical parameters without a seed are not assumed to be replicates).

    Returns
    -------
    (ids, rule) or None
        ``ids``: the candidate id of every row (aligned with ``labels``); ``rule``: how.

    Examples
    --------
    >>> runs = pd.DataFrame({"params.depth": ["4", "4", "8"], "params.seed": ["0", "1", "0"]})
    >>> ids, rule = replicate_groups(runs, pd.Series(["r1", "r2", "r3"]), params=["params.depth", "params.seed"])
    >>> ids.tolist(), rule
    (['r1', 'r1', 'r3'], 'runs with identical parameters apart from params.seed are replicates')
    """
    labels = pd.Series(labels.astype(str).to_numpy(), index=frame.index)
    ids = labels.copy()
    rules = []
    tagged = pd.Series(False, index=frame.index)
    if replicate_of is not None and replicate_of in frame.columns:
        tag = frame[replicate_of]
        tagged = tag.notna() & (tag.astype(str).str.strip() != "")
        if tagged.any():
            ids[tagged] = tag[tagged].astype(str).str.strip()
            rules.append(f"runs tagged {replicate_of} are replicates of that candidate")
    seeds = [p for p in params if p in frame.columns and p.rsplit(".", 1)[-1].lower() in SEED_PARAMETERS]
    config = [p for p in params if p in frame.columns and p not in seeds]
    if config:
        rest = frame.loc[~tagged, config].map(lambda v: "" if pd.isna(v) else str(v))
        key = rest.apply(lambda r: "\x1f".join(r), axis=1) if len(rest) else pd.Series(dtype=str)
        groups = key.groupby(key, sort=False).groups
        for members in groups.values():
            if len(members) < 2:
                continue
            if require_seed and (
                not seeds
                or frame.loc[members, seeds].map(lambda v: "" if pd.isna(v) else str(v)).drop_duplicates().shape[0] < 2
            ):
                continue
            ids[members] = labels[members[0]]
            if not rules or "identical" not in rules[-1]:
                apart = f" apart from {', '.join(seeds)}" if seeds else ""
                rules.append(f"runs with identical parameters{apart} are replicates")
    if not rules or not ids.duplicated().any():
        return None
    return ids, "; ".join(rules)


def is_finite_number(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
