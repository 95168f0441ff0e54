"""CSV / Parquet / JSON / DataFrame sources: clean reading, clear errors, reported exclusions."""

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import QualityModel
from workbench.errors import CandidatesError, SourceNotFoundError, UnknownNameError, UnknownObjectiveError

QM = QualityModel.from_dict(
    {"objectives": [{"name": "acc", "direction": "max"}, {"name": "latency_ms", "direction": "min", "unit": "ms"}]}
)
DF = pd.DataFrame(
    {"id": ["a", "b", "c"], "acc": [0.9, 0.8, 0.85], "latency_ms": [20.0, 10.0, 15.0], "team": ["x", "y", "z"]}
)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".jsonl", ".tsv"])
def test_formats_round_trip(tmp_path, suffix):
    path = tmp_path / f"runs{suffix}"
    if suffix == ".csv":
        DF.to_csv(path, index=False)
    elif suffix == ".tsv":
        DF.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        DF.to_parquet(path)
    elif suffix == ".json":
        DF.to_json(path, orient="records")
    else:
        DF.to_json(path, orient="records", lines=True)
    c = wb.load(path, model=QM)
    assert c.table.index.tolist() == ["a", "b", "c"]
    assert c.metrics == ["acc", "latency_ms"]
    assert c.provenance["team"].tolist() == ["x", "y", "z"]
    assert len(c.source_ref["sha256"]) == 64
    pd.testing.assert_frame_equal(c.table, wb.load(DF).table)


def test_missing_file_and_unknown_type(tmp_path):
    (tmp_path / "runs.csv").write_text("id,acc\na,1\n")
    with pytest.raises(SourceNotFoundError, match="(?s)'.*run.csv' does not exist.*runs.csv"):
        wb.load(tmp_path / "run.csv")
    (tmp_path / "runs.xlsx").write_text("x")
    with pytest.raises(CandidatesError, match="unknown file type '.xlsx'"):
        wb.load(tmp_path / "runs.xlsx")


def test_corrupt_files_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(CandidatesError, match="Cannot read .*bad.parquet' as parquet"):
        wb.load(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CandidatesError, match="Cannot read|empty"):
        wb.load(empty)


def test_missing_objective_column_suggests_the_closest():
    with pytest.raises(
        UnknownObjectiveError, match="(?s)Objective 'latency_ms'.*Valid: acc, latncy_ms.*Did you mean 'latncy_ms'"
    ):
        wb.load(DF.rename(columns={"latency_ms": "latncy_ms"}), model=QM)


def test_non_numeric_objective_is_named():
    df = DF.assign(latency_ms=["20", "fast", "15"])
    with pytest.raises(
        UnknownObjectiveError,
        match="(?s)'latency_ms' is a column of the candidates table, but "
        "not a numeric one.*1 of 3 cells are not numbers: row 'b' has 'fast'",
    ):
        wb.load(df, model=QM)


def test_every_bad_cell_is_named_with_its_row_and_value_from_a_csv(tmp_path):
    """From a file as a user writes it: the message names each bad cell (row id, column, value)."""
    path = tmp_path / "runs.csv"
    path.write_text("id,acc,latency_ms\nv1,0.9,20\nv2,0.8,slow\nv3,0.85,15\nv4,0.7,12ms\n", encoding="utf-8")
    with pytest.raises(UnknownObjectiveError) as err:
        wb.load(str(path), model=QM)
    text = str(err.value)
    assert "2 of 4 cells are not numbers: row 'v2' has 'slow', row 'v4' has '12ms'" in text
    assert "Did you mean" not in text  # the column exists: no spelling hint


def test_nan_and_inf_are_excluded_with_a_reason():
    df = DF.assign(latency_ms=[20.0, np.nan, np.inf])
    c = wb.load(df, model=QM)
    assert c.table.index.tolist() == ["a"]
    assert c.exclusions["candidate"].tolist() == ["b", "c"]
    assert "latency_ms=nan" in c.exclusions["reason"][0] and "latency_ms=inf" in c.exclusions["reason"][1]
    with pytest.raises(CandidatesError, match="No candidate has finite values"):
        wb.load(DF.assign(acc=np.nan), model=QM)


def test_duplicates_empty_and_missing_ids():
    with pytest.raises(
        CandidatesError, match="(?s)repeat without a replicate column: 'a' \\(2 rows\\).*--replicates seed"
    ):
        wb.load(pd.concat([DF, DF.iloc[:1]]))
    with pytest.raises(CandidatesError, match="is empty"):
        wb.load(DF.iloc[:0])
    with pytest.raises(CandidatesError, match="(?s)no candidate id column.*Columns: acc"):
        wb.load(DF.drop(columns=["id"]).reset_index(drop=True))
    with pytest.raises(UnknownNameError, match="(?s)Id column 'iid'.*Did you mean 'id'"):
        wb.load(DF, id="iid")
    c = wb.load(DF.assign(id=["a", None, "c"]))
    assert c.exclusions["reason"].tolist() == ["missing candidate id"]


def test_replicates_are_summarised_and_kept():
    df = pd.DataFrame(
        {
            "id": ["a"] * 3 + ["b"] * 2,
            "seed": [0, 1, 2, 0, 1],
            "acc": [0.8, 0.9, 1.0, 0.5, 0.7],
            "latency_ms": [10, 12, 14, 5, 5],
        }
    )
    c = wb.load(df, model=QM, replicate_column="seed")
    assert c.table.loc["a", "acc"] == pytest.approx(0.9)
    assert c.spread.loc["a", "acc"] == pytest.approx(0.1)
    assert len(c.replicates) == 5
    med = wb.load(df, replicate_column="seed", summary="median")
    assert med.table.loc["b", "acc"] == pytest.approx(0.6)
    ev = c.evidence()
    assert set(ev.columns) == {"candidate", "metric", "value", "replicate", "source"} and len(ev) == 10
    with pytest.raises(CandidatesError, match="replicate '0' twice"):
        wb.load(pd.concat([df, df.iloc[:1]]), replicate_column="seed")


def test_data_hash_is_stable_and_sensitive():
    a, b = wb.load(DF), wb.load(DF.copy())
    assert a.data_hash == b.data_hash
    assert wb.load(DF.assign(acc=[0.9, 0.8, 0.86])).data_hash != a.data_hash


def test_source_spec_without_name_is_explained():
    with pytest.raises(CandidatesError, match="(?s)names no experiment.*#"):
        wb.load("mlflow:sqlite:///x.db")


def test_values_too_large_to_compare_are_excluded_with_a_reason():
    # 1e308 used to reach the analysis and overflow (TOPSIS squares, normalisation ranges): now the
    # row is excluded like NaN/inf, with the value in the reason; the largest accepted magnitude works.
    df = pd.DataFrame(
        {"id": ["huge", "neg", "ok", "edge"], "acc": [1e308, 0.5, 0.9, 1e150], "latency_ms": [1.0, -1e308, 2.0, -1e150]}
    )
    c = wb.load(df, model=QM)
    assert c.table.index.tolist() == ["ok", "edge"]
    assert c.exclusions["candidate"].tolist() == ["huge", "neg"]
    assert "too large to compare: acc=1e+308" in c.exclusions["reason"][0]
    assert "latency_ms=-1e+308" in c.exclusions["reason"][1]
    for method in ("weighted_sum", "tchebycheff", "asf", "topsis"):
        a = wb.analyze(c, QM, method=method, smaa=50)
        assert np.isfinite(a.table["score"]).all(), method


def test_names_the_system_cannot_look_up_do_not_exist(tmp_path):
    # a 300-character name raised OSError (File name too long) from Path.exists() on Python 3.11
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        wb.load(str(tmp_path / ("a" * 300 + ".csv")))
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        QualityModel.from_yaml(str(tmp_path / ("q" * 300 + ".yaml")))
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        wb.load("runs\x00.csv")


def test_repeated_column_names_are_a_clear_error():
    # a repeated name (also 1 and '1', compared as text) used to raise AttributeError deep in pandas
    df = pd.concat([DF, DF[["acc"]]], axis=1)
    with pytest.raises(CandidatesError, match=r"Column names repeat in the table from DataFrame: 'acc'"):
        wb.load(df)
    with pytest.raises(CandidatesError, match=r"Column names repeat .*'1'"):
        wb.load(DF.assign(**{"1": 1.0}).rename(columns={"team": 1}))


def test_complex_values_are_not_metrics():
    # complex values were cast to float with a ComplexWarning, silently dropping the imaginary part
    df = DF.assign(acc=[0.9 + 1j, 0.8, 0.85])
    with pytest.raises(
        UnknownObjectiveError, match=r"(?s)'acc' is a column .*but not a numeric one.*row 'a' has \(0.9\+1j\)"
    ):
        wb.load(df, model=QM)
    assert "acc" in wb.load(df).provenance.columns


@pytest.mark.parametrize("source", [5, None, [1, 2], b"runs.csv", {"id": ["a"]}])
def test_a_source_of_the_wrong_type_is_named(source):
    # used to escape as TypeError from os.fspath
    with pytest.raises(CandidatesError, match=rf"Cannot load candidates from {type(source).__name__} "):
        wb.load(source)


def test_column_options_of_the_wrong_type_are_named():
    # a list as id/replicate column raised "unhashable type: 'list'"; a string as metrics was split
    # into characters ("Metric 'a' is not a column")
    with pytest.raises(UnknownNameError, match=r"Id column \['id'\] is not a column"):
        wb.load(DF, id=["id"])
    with pytest.raises(UnknownNameError, match=r"Replicate column \['team'\] is not a column"):
        wb.load(DF, replicate_column=["team"])
    assert wb.load(DF, metrics="acc").metrics == ["acc"]


def test_table_errors_name_the_source(tmp_path):
    # which file had repeated ids, or no id column, was not said
    path = tmp_path / "dup.csv"
    pd.DataFrame({"id": ["a", "a"], "acc": [1, 2]}).to_csv(path, index=False)
    with pytest.raises(CandidatesError, match=r"'a' \(2 rows\) in the table from csv:.*dup.csv"):
        wb.load(path)
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(CandidatesError, match=r"The table from json:.*list.json has no candidate id column"):
        wb.load(path)
