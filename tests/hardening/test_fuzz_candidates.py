"""Fuzzed candidate tables through ``workbench.load`` and ``workbench.analyze``.

Hypothesis builds malformed tables (wrong types, NaN/inf, None, duplicated or missing ids, empty
tables, single rows, identical rows, huge and tiny values, unicode ids, missing or extra columns),
as DataFrames and as CSV / Parquet / JSON files. Each one is either rejected with a
:class:`~workbench.errors.WorkbenchError` that names the problem, or accepted; an accepted table's
analysis is checked against properties computed independently here (brute-force dominance,
``moocore`` as an oracle for the unconstrained front).
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import moocore
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

import workbench as wb
from tests.hardening._tally import assert_invariant, attempt
from workbench.errors import WorkbenchError
from workbench.quality import METHODS

AREA = "candidates"

OBJECTIVES = [
    {"name": "acc", "direction": "max"},
    {"name": "ms", "direction": "min", "unit": "ms"},
    {"name": "cost", "direction": "min"},
]

# --- strategies ----------------------------------------------------------------------------------

ODD_IDS = [
    "",
    " ",
    "\u200b",
    "\u202eevil",
    "مرحبا",
    "😀",
    "a\nb",
    "a,b",
    '"q"',
    "nan",
    "None",
    "NaN",
    "0",
    "1.0",
    "-1",
    "1e5",
    "é",
    "e\u0301",
    "\t",
    "candidate",
    "rank",
    "\x00",
    "🏳️‍🌈",
    "a" * 300,
]

ids_st = st.one_of(
    st.sampled_from(ODD_IDS),
    st.text(max_size=6),
    st.integers(-10, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
)

SPECIAL = [
    0.0,
    -0.0,
    1.0,
    1e308,
    -1e308,
    5e-324,
    -5e-324,
    1.7976931348623157e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e-300,
    1e300,
]

number_st = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**63), 2**63 - 1),
)

cell_st = st.one_of(
    number_st,
    st.none(),
    st.text(max_size=5),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(["1.5", "nan", "inf", "-inf", " 3 ", "1,5", "1e309", "0x10", "", "NA", "null"]),
)


@st.composite
def column_st(draw, n: int) -> list:
    """One column: mostly numbers, or all of one odd type, or mixed."""
    kind = draw(
        st.sampled_from(
            ["numbers", "numbers", "numbers", "mixed", "text", "bool", "datetime", "numeric_text", "constant"]
        )
    )
    if kind == "numbers":
        return draw(st.lists(number_st, min_size=n, max_size=n))
    if kind == "mixed":
        return draw(st.lists(cell_st, min_size=n, max_size=n))
    if kind == "text":
        return draw(st.lists(st.text(max_size=4), min_size=n, max_size=n))
    if kind == "bool":
        return draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if kind == "datetime":
        return draw(
            st.lists(
                st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1)),
                min_size=n,
                max_size=n,
            )
        )
    if kind == "numeric_text":
        return [repr(x) for x in draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n))]
    value = draw(number_st)
    return [value] * n


@st.composite
def table_st(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 7))
    data: dict = {}
    id_kind = draw(st.sampled_from(["unique", "unique", "odd", "duplicated", "none", "other_name"]))
    if id_kind == "unique":
        data["id"] = [f"c{i}" for i in range(n)]
    elif id_kind == "odd":
        data["id"] = draw(st.lists(ids_st, min_size=n, max_size=n))
    elif id_kind == "duplicated":
        data["id"] = [f"c{i % 2}" for i in range(n)]
    elif id_kind == "other_name":
        data["run_name"] = draw(st.lists(st.text(min_size=1, max_size=4), min_size=n, max_size=n, unique=True))
    for o in OBJECTIVES:
        if draw(st.integers(0, 9)) == 0:  # a missing objective column now and then
            continue
        data[o["name"]] = draw(column_st(n))
    for extra in draw(st.lists(st.sampled_from(["team", "notes", "seed", "💥", "1"]), max_size=2, unique=True)):
        data[extra] = draw(column_st(n))
    if draw(st.booleans()) and n > 1:  # identical rows apart from the id
        for col in data:
            if col not in ("id", "run_name"):
                data[col] = [data[col][0]] * n
    df = pd.DataFrame(data)
    for _ in range(draw(st.integers(0, 2))):  # odd dtypes and odd structure
        twist = draw(
            st.sampled_from(
                [
                    "nullable",
                    "category",
                    "complex",
                    "timedelta",
                    "string",
                    "dup_column",
                    "int_column_name",
                    "named_index",
                    "object_numbers",
                    "decimal",
                    "uint64",
                ]
            )
        )
        cols = [c for c in df.columns if c in ("acc", "ms", "cost")]
        col = draw(st.sampled_from(cols)) if cols else None
        try:
            if twist == "nullable" and col:
                df[col] = pd.array(
                    [None if draw(st.booleans()) else draw(st.integers(-5, 5)) for _ in range(n)], dtype="Int64"
                )
            elif twist == "category" and col:
                df[col] = df[col].astype("category")
            elif twist == "complex" and col:
                df[col] = [complex(draw(st.floats(-5, 5)), draw(st.sampled_from([0.0, 1.0]))) for _ in range(n)]
            elif twist == "timedelta" and col:
                df[col] = pd.to_timedelta([draw(st.integers(0, 10**6)) for _ in range(n)], unit="s")
            elif twist == "string" and col:
                df[col] = df[col].astype(str).astype("string")
            elif twist == "dup_column" and col:
                df = pd.concat([df, df[[col]]], axis=1)
            elif twist == "int_column_name" and col:
                df = df.rename(columns={col: 7})
            elif twist == "named_index":
                df.index = pd.Index([f"r{i}" for i in range(n)], name=draw(st.sampled_from(["id", "x", None])))
            elif twist == "object_numbers" and col:
                df[col] = pd.Series([draw(number_st) for _ in range(n)], dtype="object")
            elif twist == "decimal" and col:
                import decimal

                df[col] = [
                    decimal.Decimal(draw(st.sampled_from(["1.5", "NaN", "1e400", "-0", "-1e-400"]))) for _ in range(n)
                ]
            elif twist == "uint64" and col:
                df[col] = pd.array([2**64 - 1 - draw(st.integers(0, 3)) for _ in range(n)], dtype="uint64")
        except (ValueError, TypeError):  # pandas cannot build that column: not an input a user can have
            pass
    return df


@st.composite
def numeric_table_st(draw) -> pd.DataFrame:
    """A well-formed table of numbers (special values included): most of these reach the analysis."""
    n = draw(st.integers(1, 9))
    data = {"id": [f"c{i}" for i in range(n)]}
    for o in OBJECTIVES:
        data[o["name"]] = draw(
            st.lists(st.one_of(st.floats(-10, 10), st.sampled_from(SPECIAL)), min_size=n, max_size=n)
        )
    return pd.DataFrame(data)


@st.composite
def model_st(draw) -> wb.QualityModel:
    k = draw(st.integers(1, 3))
    objectives = [dict(o) for o in OBJECTIVES[:k]]
    for o in objectives:
        o["weight"] = draw(st.sampled_from([0.0, 1.0, 2.5, 1e-9]))
    if all(o["weight"] == 0 for o in objectives):
        objectives[0]["weight"] = 1.0
    if k >= 2 and draw(st.booleans()):
        objectives[1]["constraint"] = draw(st.sampled_from(["<= 100", "< 0", ">= -1e150", "<= 1e150", "<= 5e-324"]))
    if draw(st.booleans()):
        objectives[0]["constraint"] = ">= 0.9 * champion"
    if draw(st.booleans()):
        objectives[0]["tolerance"] = draw(st.sampled_from([0.0, 0.01, 1.0]))
    if draw(st.booleans()):  # declared bounds, from ordinary to the largest accepted
        j = draw(st.integers(0, k - 1))
        lo, hi = draw(st.sampled_from([(0.0, 1.0), (-1e150, 1e150), (0.0, 5e-324), (1e-300, 1e-299), (-1.0, 1e150)]))
        objectives[j]["bounds"] = [hi, lo] if objectives[j]["direction"] == "max" else [lo, hi]
    data = {"objectives": objectives, "method": draw(st.sampled_from(METHODS))}
    if draw(st.booleans()):
        data["reference_point"] = {objectives[0]["name"]: draw(st.sampled_from([0.0, 1e150, -1e150, 0.5, 5e-324]))}
    if k >= 2 and draw(st.booleans()):
        data["constraints"] = [
            draw(
                st.sampled_from(
                    [
                        "ms <= 1e150 * champion",
                        "ms >= -1e150",
                        "ms <= champion - 1e150",
                        "ms < 5e-324",
                        "ms <= 1e-300 * champion + 1e150",
                    ]
                )
            )
        ]
    return wb.QualityModel.from_dict(data)


# --- oracle checks ---------------------------------------------------------------------------------


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def _dominates_tol(a: np.ndarray, b: np.ndarray, tol: np.ndarray) -> bool:
    return bool(np.all(a <= b + tol) and np.any(a < b - tol))


def check_analysis(analysis, cands, df: pd.DataFrame, model) -> None:
    t = analysis.table
    names = model.names
    # Labelled by candidate id, in the candidates' order.
    assert_invariant(
        AREA,
        t.index.name == "candidate" and list(t.index) == list(cands.ids),
        f"result index {list(t.index)!r} is not the candidate ids {list(cands.ids)!r}",
    )
    assert_invariant(AREA, all(isinstance(i, str) for i in t.index), "candidate ids are not all strings")
    # Nothing silently lost: each input row is analysed or excluded with a reason.
    excl = analysis.candidates.exclusions
    assert_invariant(
        AREA, len(t) + len(excl) == len(df), f"{len(df)} input rows but {len(t)} analysed + {len(excl)} excluded"
    )
    assert_invariant(
        AREA, excl["reason"].astype(str).str.len().gt(0).all() if len(excl) else True, "an exclusion has no reason"
    )
    # Values are the caller's values, unchanged.
    X = t[names].to_numpy(dtype=float)
    assert_invariant(AREA, np.isfinite(X).all(), "an analysed candidate has a non-finite objective value")
    # Scores are finite.
    assert_invariant(
        AREA,
        np.isfinite(t["score"].to_numpy(dtype=float)).all(),
        f"non-finite scores: {t['score'].tolist()!r} for values {X.tolist()!r}",
    )
    # Ranks: 1..n, feasible ones first, consistent with the scores (ties share the smaller rank).
    ranks = t["rank"].to_numpy()
    feasible = t["feasible"].to_numpy(dtype=bool)
    assert_invariant(AREA, ranks.min() == 1 and ranks.max() <= len(t), f"ranks {ranks.tolist()} outside 1..{len(t)}")
    if feasible.any() and (~feasible).any():
        assert_invariant(
            AREA, ranks[feasible].max() < ranks[~feasible].min(), "an infeasible candidate outranks a feasible one"
        )
    if feasible.any():
        expect = rankdata(-np.round(t["score"].to_numpy(dtype=float)[feasible], 12), method="min")
        assert_invariant(
            AREA,
            np.array_equal(ranks[feasible], expect),
            f"feasible ranks {ranks[feasible].tolist()} do not follow scores {expect.tolist()}",
        )
    # Fronts: brute-force (tolerance-free) dominance among the feasible candidates.
    sign = np.array([o.sign for o in model.objectives])
    F = X * sign
    front = t["front"].to_numpy()
    tol = np.array([o.tolerance for o in model.objectives])
    if not analysis.parameters.get("tolerance", True):
        tol = np.zeros_like(tol)
    feas_idx = np.flatnonzero(feasible)
    if not tol.any():
        for i in feas_idx:
            dominated = any(_dominates(F[j], F[i]) for j in feas_idx if j != i)
            assert_invariant(
                AREA,
                (front[i] == 0) != dominated,
                f"candidate {t.index[i]!r}: front {front[i]} but dominated={dominated} ({F.tolist()})",
            )
        # The unconstrained Pareto flag against moocore.
        oracle = moocore.is_nondominated(F, keep_weakly=True) if len(F) else np.zeros(0, bool)
        assert_invariant(
            AREA,
            np.array_equal(t["pareto"].to_numpy(dtype=bool), oracle),
            f"pareto flags {t['pareto'].tolist()} differ from moocore {oracle.tolist()}",
        )
    else:
        # With tolerances (differences within tolerance are ties), a candidate is off the front only
        # when another feasible one dominates it beyond tolerance (or plainly, where tolerance
        # dominance cycles are broken).
        for i in feas_idx:
            if front[i] != 0:
                assert_invariant(
                    AREA,
                    any(_dominates_tol(F[j], F[i], tol) or _dominates(F[j], F[i]) for j in feas_idx if j != i),
                    f"candidate {t.index[i]!r} is off the front but nothing dominates it",
                )
    # Every method is Pareto-monotone: a candidate that dominates another scores at least as high.
    score = t["score"].to_numpy(dtype=float)
    for i in range(len(F)):
        for j in range(len(F)):
            if i != j and _dominates(F[i], F[j]):
                assert_invariant(
                    AREA,
                    score[i] >= score[j] - 1e-12,
                    f"{t.index[i]!r} dominates {t.index[j]!r} but scores {score[i]!r} < {score[j]!r} "
                    f"({analysis.method})",
                )
    # Infeasible candidates never sit on front 0 when something is feasible.
    if feasible.any():
        assert_invariant(AREA, (front[~feasible] > 0).all(), "an infeasible candidate is on front 0")
    # Hypervolume is finite and non-negative.
    assert_invariant(
        AREA, math.isfinite(analysis.hypervolume) and analysis.hypervolume >= 0, f"hypervolume {analysis.hypervolume!r}"
    )
    # SMAA: each rank's acceptabilities sum to 1 over the competitors (full matrix).
    if analysis.smaa is not None:
        acc = analysis.smaa.acceptability
        comp = analysis.smaa.competing.to_numpy()
        A = acc.to_numpy()[comp]
        if A.shape[1] == comp.sum():
            assert_invariant(AREA, np.allclose(A.sum(axis=0), 1.0, atol=1e-9), f"rank sums {A.sum(axis=0).tolist()}")
            assert_invariant(
                AREA, np.allclose(A.sum(axis=1), 1.0, atol=1e-9), f"candidate sums {A.sum(axis=1).tolist()}"
            )
        assert_invariant(AREA, np.allclose(acc.to_numpy()[~comp], 0.0), "a non-competing candidate has acceptability")
    # The JSON summary is valid (no NaN leaks as bare NaN).
    attempt(AREA, analysis.to_json, names=names)


def _names_for(df: pd.DataFrame) -> list[str]:
    return [*map(str, df.columns), "id", "candidate", "empty", *[o["name"] for o in OBJECTIVES]]


def run_one(source, df: pd.DataFrame, model, options: dict) -> None:
    names = _names_for(df)
    before = df.copy(deep=True)
    cands = attempt(AREA, wb.load, source, model=model, names=names)
    if isinstance(source, pd.DataFrame):
        assert_invariant(AREA, _frames_identical(before, df), "load() changed the caller's DataFrame")
    if isinstance(cands, WorkbenchError):
        return
    champion = options.pop("champion_pick", None)
    if champion is not None and len(cands):
        options["champion"] = str(cands.ids[champion % len(cands)])
    result = attempt(AREA, wb.analyze, cands, model, names=[*names, "champion", *map(str, cands.ids)], **options)
    if isinstance(result, WorkbenchError):
        return
    check_analysis(result, cands, df, model)
    again = wb.analyze(cands, model, **options)
    assert_invariant(AREA, _frames_identical(result.to_frame(), again.to_frame()), "same seed, different result")
    if isinstance(source, pd.DataFrame):
        direct = attempt(AREA, wb.analyze, df, model, names=names, **options)
        assert_invariant(AREA, _frames_identical(before, df), "analyze() changed the caller's DataFrame")
        if not isinstance(direct, WorkbenchError):
            assert_invariant(
                AREA, list(direct.table.index) == list(result.table.index), "load+analyze differs from analyze"
            )


def _frames_identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError:
        return False
    return True


options_st = st.fixed_dictionaries(
    {},
    optional={
        "method": st.sampled_from(METHODS),
        "smaa": st.sampled_from([0, 1, 7, 50]),
        "seed": st.integers(0, 2**32 - 1),
        "champion_pick": st.integers(0, 10),
        "tolerance": st.booleans(),
    },
)


@given(df=table_st() | numeric_table_st(), model=model_st(), options=options_st)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
def test_fuzz_dataframes(df, model, options):
    run_one(df, df, model, options)


@given(
    df=table_st(),
    model=model_st(),
    fmt=st.sampled_from([".csv", ".tsv", ".json", ".jsonl", ".parquet"]),
    options=options_st,
)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
def test_fuzz_files(df, model, fmt, options):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"runs{fmt}"
        try:
            if fmt in (".csv", ".tsv"):
                df.to_csv(path, index=False, sep="\t" if fmt == ".tsv" else ",")
            elif fmt == ".parquet":
                df.to_parquet(path)
            else:
                df.to_json(path, orient="records", lines=fmt == ".jsonl", date_format="iso")
        except Exception:  # the writer cannot store this table (e.g. mixed types in Parquet)
            assume(False)
        cands = attempt(AREA, wb.load, path, model=model, names=[*_names_for(df), str(path)])
        if isinstance(cands, WorkbenchError):
            return
        result = attempt(
            AREA,
            wb.analyze,
            cands,
            model,
            names=[*_names_for(df), *map(str, cands.ids)],
            **{k: v for k, v in options.items() if k != "champion_pick"},
        )
        if not isinstance(result, WorkbenchError):
            # Rows the reader saw (blank lines aside) are analysed or excluded.
            check_analysis(result, cands, cands_rows(path, fmt, len(cands), result), model)


ODD_OPTION = [None, "id", "seed", "acc", "nope", "", ["id"], 5, "team", "run_name"]


@given(
    df=table_st() | numeric_table_st(),
    model=model_st(),
    seeds=st.lists(st.sampled_from([0, 1, 2, "0", None, 1.5]), min_size=1, max_size=7),
    id_column=st.sampled_from(ODD_OPTION + [None] * 12),
    replicate=st.sampled_from(ODD_OPTION + ["seed"] * 12),
    summary=st.sampled_from(["mean", "median", "max", None, None]),
    metrics=st.sampled_from([None] * 6 + [["acc", "ms"], "acc", ["nope"], ["team"], []]),
    weights=st.sampled_from(
        [None] * 6
        + [
            {"acc": 1},
            {"acc": 0},
            {"ms": 2, "acc": 1},
            {"zz": 1},
            {"acc": -1},
            {"acc": "x"},
            "ops",
            "nobody",
            [1],
            {"acc": 1e150},
            {"acc": 1e150, "ms": 1e150},
        ]
    ),
    options=options_st,
)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
def test_fuzz_load_options_and_replicates(df, model, seeds, id_column, replicate, summary, metrics, weights, options):
    """Per-seed replicates (repeated ids), id/replicate/metric options and weights given to analyze()."""
    if len(df) and "id" in df.columns and replicate == "seed":
        df = df.assign(seed=[seeds[i % len(seeds)] for i in range(len(df))])
        df["id"] = [f"c{i % 3}" for i in range(len(df))]
    load_options = {
        k: v
        for k, v in {
            "id_column": id_column,
            "replicate_column": replicate,
            "summary": summary,
            "metrics": metrics,
        }.items()
        if v is not None
    }
    names = [
        *_names_for(df),
        *map(repr, load_options.values()),
        *map(str, load_options.values()),
        "Summary",
        "replicate",
        "Metric",
    ]
    before = df.copy(deep=True)
    cands = attempt(AREA, wb.load, df, model=model, names=names, **load_options)
    assert_invariant(AREA, _frames_identical(before, df), "load() changed the caller's DataFrame")
    if isinstance(cands, WorkbenchError):
        return
    if cands.replicates is not None:
        assert_invariant(
            AREA,
            set(cands.replicates.index.get_level_values("candidate")) == set(cands.ids),
            "replicates and the candidates table disagree on ids",
        )
        lost = len(df) - len(cands.replicates) - cands.exclusions["reason"].str.contains("missing candidate id").sum()
        assert_invariant(AREA, lost >= 0, "more replicates than rows")
    champion = options.pop("champion_pick", None)
    if champion is not None:
        options["champion"] = str(cands.ids[champion % len(cands)])
    result = attempt(
        AREA,
        wb.analyze,
        cands,
        model,
        weights=weights,
        names=[*names, "champion", "Weights", "Stakeholder", "weight", *map(str, cands.ids)],
        **options,
    )
    if isinstance(result, WorkbenchError):
        return
    w = np.array(list(result.weights.values()))
    assert_invariant(
        AREA, np.isfinite(w).all() and abs(w.sum() - 1) < 1e-9, f"weights {result.weights!r} do not sum to 1"
    )
    assert_invariant(AREA, np.isfinite(result.table["score"].to_numpy(dtype=float)).all(), "non-finite scores")
    assert_invariant(AREA, list(result.table.index) == list(cands.ids), "result not labelled by candidate id")
    if result.dominance is not None:
        D = result.dominance.to_numpy(dtype=float)
        assert_invariant(AREA, np.all((D >= 0) & (D <= 1) | np.isnan(D)), "dominance probabilities outside [0, 1]")
    attempt(AREA, result.to_json, names=model.names)


@given(
    source=st.one_of(
        st.integers(),
        st.none(),
        st.lists(st.integers(), max_size=2),
        st.binary(max_size=5),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.text(max_size=40),
        st.sampled_from(
            [
                "mlflow:",
                "optuna:#",
                "mlflow:#x",
                "optuna:sqlite:///nope.db#s",
                "x.csv",
                "mlflow:sqlite:///nope.db#a,b",
                "optuna:#",
                ":",
                "#",
                "a" * 300,
            ]
        ),
    )
)
def test_fuzz_source_specs(source):
    out = attempt(
        AREA,
        wb.load,
        source,
        names=[
            repr(source)[:30],
            str(source)[:30],
            type(source).__name__,
            "does not exist",
            "mlflow",
            "optuna",
            "MLflow",
            "Optuna",
        ],
    )
    assert isinstance(out, WorkbenchError), f"{source!r} loaded as candidates"  # none names a readable source


def cands_rows(path, fmt, n, result) -> pd.DataFrame:
    """The table as the file reader returned it (the file, not the generator's frame, is the input)."""
    if fmt in (".csv", ".tsv"):
        return pd.read_csv(path, sep="\t" if fmt == ".tsv" else ",")
    if fmt == ".parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, orient="records", lines=fmt == ".jsonl")


@given(
    raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    fmt=st.sampled_from([".csv", ".tsv", ".json", ".jsonl", ".parquet"]),
)
def test_fuzz_file_bytes(raw, fmt):
    """Arbitrary bytes in a file of each type: rejected cleanly or read."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"runs{fmt}"
        path.write_bytes(raw)
        out = attempt(AREA, wb.load, path, names=[str(path), "empty", "id", "candidate"])
    # refused, or a usable table: at least one candidate, each id once
    assert isinstance(out, WorkbenchError) or (len(out) > 0 and out.ids.is_unique), out
