"""CodeCarbon emissions: files written by the real tracker and hand-written older layouts."""

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.errors import CandidatesError, SourceNotFoundError, UnknownNameError
from workbench.sources import from_frame
from workbench.sources.codecarbon import join_emissions, read_emissions

# codecarbon 2021 layout (12 columns): experiment_id was the run's own id then.
HEADER_2021 = (
    "timestamp,experiment_id,project_name,duration,emissions,energy_consumed,country_name,"
    "country_iso_code,region,on_cloud,cloud_provider,cloud_region"
)
# codecarbon 2.x layout (31 columns), as in codecarbon 2.1's
# tests/test_data/emissions_valid_headers.csv.
HEADER_2X = (
    "timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,"
    "cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,"
    "cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,"
    "gpu_model,longitude,latitude,ram_total_size,tracking_mode,on_cloud,pue"
)


def row_2x(run_id, project, duration, emissions, cpu, gpu, ram):
    total = cpu + gpu + ram
    return (
        f"2023-05-01T10:00:00,{project},{run_id},{duration},{emissions},{emissions / duration},"
        "42.5,0.0,"
        f"5.9,{cpu},{gpu},{ram},{total},Sweden,SWE,,,,Linux,3.11.4,2.3.4,8,Intel Xeon,,,18.0,59.3,"
        "15.6,machine,N,1.0"
    )


def test_column_lists_match_the_installed_codecarbon():
    cc = pytest.importorskip("codecarbon")
    from dataclasses import fields

    from codecarbon.output_methods.emissions_data import EmissionsData

    names = [f.name for f in fields(EmissionsData)]
    assert len(names) == 38 and cc.__version__.startswith("3.")
    assert len(HEADER_2X.split(",")) == 31 and set(HEADER_2X.split(",")) <= set(names)
    assert len(row_2x("r", "p", 1.0, 0.1, 0.1, 0.0, 0.1).split(",")) == 31
    assert len(HEADER_2021.split(",")) == 12


def test_2021_layout_sums_runs_per_candidate(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text(
        "\n".join(
            [
                HEADER_2021,
                "2021-03-23T09:26:11,e1,rf,34,0.0008,0.0020,Sweden,SWE,,N,,",
                # a second tracker for the same project
                "2021-03-24T09:26:11,e2,rf,10,0.0002,0.0005,Sweden,SWE,,N,,",
                "2021-03-25T09:26:11,e3,lr,5,0.0001,0.0001,Sweden,SWE,,N,,",
                "2021-03-26T09:26:11,e4,other,7,0.0001,0.0003,Sweden,SWE,,N,,",  # another project
            ]
        )
        + "\n"
    )
    runs = read_emissions(path)
    assert runs["run_id"].tolist() == [
        "e1",
        "e2",
        "e3",
        "e4",
    ]  # experiment_id was the run id in 2021
    assert "cpu_energy_wh" not in runs  # not in that layout: not invented
    cands = from_frame(pd.DataFrame({"id": ["rf", "lr", "svm"], "acc": [0.9, 0.8, 0.7]}))
    c = join_emissions(cands, path)
    assert c.metrics == ["acc", "energy_wh", "emissions_kg", "duration_s"]
    assert c.table.loc["rf", "energy_wh"] == pytest.approx((0.0020 + 0.0005) * 1000)  # kWh -> Wh, summed
    assert c.table.loc["rf", "emissions_kg"] == pytest.approx(0.0010)
    assert c.table.loc["lr", "duration_s"] == pytest.approx(5)
    assert np.isnan(c.table.loc["svm", "energy_wh"])  # not dropped here
    ref = c.source_ref["emissions"]
    assert ref["on"] == "project_name -> the candidate ids"
    assert ref["unmatched_runs"] == 1 and ref["unmatched_keys"] == ["other"]
    assert ref["candidates_without_emissions"] == ["svm"]
    assert len(ref["sha256"]) == 64 and c.source_ref["joined"] == [f"codecarbon:{path}"]
    assert len(c.exclusions) == 0
    kwh = join_emissions(cands, path, energy_unit="kWh")
    assert kwh.table.loc["rf", "energy_kwh"] == pytest.approx(0.0025)
    assert join_emissions(cands, path, energy_unit="J").table.loc["lr", "energy_j"] == pytest.approx(360.0)


def test_2x_layout_per_seed_runs_are_replicates(tmp_path):
    """Per-seed MLflow runs tracked with run_id = MLflow run id: mean over seeds, as metrics."""
    path = tmp_path / "emissions.csv"
    path.write_text(
        "\n".join(
            [
                HEADER_2X,
                row_2x("r-rf-0", "fraud", 100.0, 0.002, 0.010, 0.0, 0.002),
                row_2x("r-rf-1", "fraud", 120.0, 0.003, 0.012, 0.0, 0.004),
                row_2x("r-lr-0", "fraud", 10.0, 0.0002, 0.001, 0.0, 0.0002),
                row_2x("r-lr-0", "fraud", 20.0, 0.0004, 0.002, 0.0, 0.0004),  # a later snapshot of the same run
            ]
        )
        + "\n"
    )
    runs = read_emissions(path)
    assert runs.set_index("run_id").loc["r-lr-0", "rows"] == 2
    df = pd.DataFrame({"candidate": ["rf", "rf", "lr", "lr"], "seed": [0, 1, 0, 1], "acc": [0.9, 0.92, 0.8, 0.82]})
    cands = from_frame(df, replicate_column="seed")
    runs_map = {
        "r-rf-0": ["rf", "0"],
        "r-rf-1": ["rf", "1"],
        "r-lr-0": ["lr", "0"],
        "r-lr-1": ["lr", "1"],
    }
    cands = replace(cands, source_ref={**cands.source_ref, "runs": runs_map})  # as read_mlflow does
    c = join_emissions(cands, path)
    assert c.source_ref["emissions"]["on"] == "run_id -> the candidates' run ids"
    rf = [(0.010 + 0.002) * 1000, (0.012 + 0.004) * 1000]
    assert c.table.loc["rf", "energy_wh"] == pytest.approx(np.mean(rf))
    assert c.spread.loc["rf", "energy_wh"] == pytest.approx(np.std(rf, ddof=1))
    assert c.table.loc["rf", "cpu_energy_wh"] == pytest.approx(11.0)
    assert c.table.loc["rf", "ram_energy_wh"] == pytest.approx(3.0)
    # the last snapshot of r-lr-0 counts, not the sum; r-lr-1 was not tracked: mean of the others
    assert c.table.loc["lr", "energy_wh"] == pytest.approx((0.002 + 0.0004) * 1000)
    assert np.isnan(c.replicates.loc[("lr", "1"), "energy_wh"])
    assert c.replicates.loc[("rf", "1"), "duration_s"] == pytest.approx(120.0)
    median = replace(cands, source_ref={**cands.source_ref, "summary": "median"})
    assert join_emissions(median, path).table.loc["rf", "energy_wh"] == pytest.approx(np.median(rf))
    # keyed by candidate id (project_name) while candidates have replicates: per replicate run
    by_project = path.with_name("by_project.csv")
    by_project.write_text("\n".join([HEADER_2X, row_2x("x1", "rf", 200.0, 0.005, 0.020, 0.0, 0.004)]) + "\n")
    d = join_emissions(cands, by_project)
    assert d.table.loc["rf", "energy_wh"] == pytest.approx(24.0 / 2)
    assert "divided by the candidate's number of replicates" in d.source_ref["emissions"]["aggregation"]
    assert np.isnan(d.replicates.loc[("rf", "0"), "energy_wh"])


def test_explicit_key_column_and_errors(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text("\n".join([HEADER_2X, row_2x("rf", "lr", 1.0, 0.001, 0.001, 0.0, 0.0)]) + "\n")
    cands = from_frame(pd.DataFrame({"id": ["rf", "lr"], "acc": [0.9, 0.8]}))
    assert join_emissions(cands, path, on="project_name").table["energy_wh"].isna().tolist() == [
        True,
        False,
    ]
    assert join_emissions(cands, path, on="run_id").table["energy_wh"].isna().tolist() == [
        False,
        True,
    ]
    with pytest.raises(UnknownNameError, match="(?s)Join column 'projectname'.*Did you mean 'project_name'"):
        join_emissions(cands, path, on="projectname")
    with pytest.raises(UnknownNameError, match="(?s)Energy unit 'wh'.*Valid: Wh, kWh, J"):
        join_emissions(cands, path, energy_unit="wh")
    other = from_frame(pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.8]}))
    with pytest.raises(
        CandidatesError,
        match=r"(?s)No CodeCarbon run in codecarbon:.* matches a candidate.*"
        r"run_id: 'rf'.*the candidate ids: 'a', 'b'.*Fix: create the tracker",
    ):
        join_emissions(other, path)
    twice = join_emissions(cands, path, on="run_id")  # same values again: kept, nothing added
    again = join_emissions(twice, path, on="run_id")
    assert again.metrics == twice.metrics
    assert again.source_ref["emissions"]["kept_from_source"] == [
        "energy_wh",
        "cpu_energy_wh",
        "gpu_energy_wh",
        "ram_energy_wh",
        "emissions_kg",
        "duration_s",
    ]
    logged = from_frame(pd.DataFrame({"id": ["rf", "lr"], "acc": [0.9, 0.8], "energy_wh": [5.0, 1.0]}))
    with pytest.raises(
        CandidatesError,
        match=r"(?s)Column 'energy_wh' is in the candidates table "
        r".*different values \('rf': 5 vs 1\).*Fix:",
    ):
        join_emissions(logged, path, on="run_id")
    with pytest.raises(
        SourceNotFoundError,
        match="(?s)'.*emisions.csv' does not exist.*Did you mean 'emissions.csv'",
    ):
        join_emissions(cands, tmp_path / "emisions.csv")
    not_cc = tmp_path / "runs.csv"
    not_cc.write_text("id,acc\na,1\n")
    with pytest.raises(CandidatesError, match="not a CodeCarbon emissions file.*energy_consumed"):
        read_emissions(not_cc)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER_2021 + "\n2021-03-23T09:26:11,e1,rf,34,0.0008,lots,Sweden,SWE,,N,,\n")
    with pytest.raises(CandidatesError, match="'energy_consumed' has non-numeric values \\(line 2: 'lots'\\)"):
        read_emissions(bad)


def test_optuna_trial_numbers_are_keys(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text("\n".join([HEADER_2021, "2021-03-23T09:26:11,e1,3,3,0.001,0.004,Sweden,SWE,,N,,"]) + "\n")
    df = pd.DataFrame({"trial": ["trial-3", "trial-4"], "trial_number": [3, 4], "value": [0.1, 0.2]})
    c = join_emissions(from_frame(df, id_column="trial", metrics=["value"]), path)
    assert c.source_ref["emissions"]["on"] == "project_name -> the Optuna trial numbers"
    assert c.table["energy_wh"].tolist()[0] == pytest.approx(4.0) and np.isnan(c.table["energy_wh"].iloc[1])


def test_load_joins_emissions_and_accepts_frames(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text("\n".join([HEADER_2021, "2021-03-23T09:26:11,e1,a,3,0.001,0.004,Sweden,SWE,,N,,"]) + "\n")
    df = pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.8]})
    c = wb.load(df, emissions=path)
    assert c.table.loc["a", "energy_wh"] == pytest.approx(4.0)
    d = join_emissions(from_frame(df), read_emissions(path, energy_unit="kWh"))  # read_emissions output
    assert d.table.loc["a", "energy_wh"] == pytest.approx(4.0)
    e = join_emissions(from_frame(df), pd.read_csv(path))  # a raw CodeCarbon frame
    assert e.table.loc["a", "energy_wh"] == pytest.approx(4.0)


# --- the real tracker ------------------------------------------------------------------------


def _track(output_dir, *, flush=False, **ids):
    from codecarbon import OfflineEmissionsTracker
    from codecarbon.output_methods.base_output import OutputMethod

    tracker = OfflineEmissionsTracker(
        country_iso_code="SWE",
        output_methods=[OutputMethod.CSV],
        output_dir=str(output_dir),
        log_level="error",
        **ids,
    )
    tracker.start()
    sum(i * i for i in range(200_000))
    if flush:
        tracker.flush()
        sum(i * i for i in range(200_000))
    tracker.stop()
    return str(tracker.run_id)


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """An MLflow store with two candidates x two seeds, each run measured by its own tracker."""
    pytest.importorskip("codecarbon")
    mlflow = pytest.importorskip("mlflow")
    folder = tmp_path_factory.mktemp("tracked")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = mlflow.MlflowClient(tracking_uri=uri)
        exp = client.create_experiment("energy")
        cc_runs = {}
        for i, (cand, seed) in enumerate([("rf", 0), ("rf", 1), ("lr", 0), ("lr", 1)]):
            run = client.create_run(exp, tags={"candidate": cand, "seed": str(seed)}, start_time=1_700_000_000_000 + i)
            rid = run.info.run_id
            cc_runs[rid] = _track(folder, flush=(i == 0), project_name=cand, experiment_id=rid)
            client.log_metric(rid, "acc", 0.9 - i / 100)
            client.set_terminated(rid)
    return uri, folder / "emissions.csv", cc_runs


def test_real_tracker_file_joined_to_mlflow_replicates(tracked):
    uri, path, cc_runs = tracked
    raw = pd.read_csv(path)
    assert len(raw.columns) == 38 and len(raw) == 5  # 4 runs, the first flushed once before stopping
    runs = read_emissions(path)
    assert len(runs) == 4 and runs["rows"].tolist() == [2, 1, 1, 1]
    first = raw[raw["run_id"] == runs["run_id"][0]]
    assert runs["energy_wh"][0] == pytest.approx(first["energy_consumed"].iloc[-1] * 1000)  # last snapshot
    assert first["energy_consumed"].iloc[-1] >= first["energy_consumed"].iloc[0]  # snapshots are cumulative
    assert set(runs["country_iso_code"]) == {"SWE"}
    c = wb.load(f"mlflow:{uri}#energy", emissions=path)
    assert c.replicates is not None and set(c.metrics) >= {
        "acc",
        "energy_wh",
        "emissions_kg",
        "duration_s",
        "cpu_energy_wh",
        "gpu_energy_wh",
        "ram_energy_wh",
    }
    # auto key: CodeCarbon's experiment_id holds the MLflow run id -> per-run replicates
    ref = c.source_ref["emissions"]
    assert ref["on"] == "experiment_id -> the candidates' run ids" and ref["unmatched_runs"] == 0
    per_run = raw.groupby("experiment_id")["energy_consumed"].last() * 1000
    for cand in ("rf", "lr"):
        mine = [rid for rid, (cid, _) in c.source_ref["runs"].items() if cid == cand]
        assert c.table.loc[cand, "energy_wh"] == pytest.approx(per_run[mine].mean())
    assert (c.table["energy_wh"] > 0).all()
    # keyed by project_name (= candidate tag): total over the candidate's trackers per replicate run
    d = join_emissions(wb.load(f"mlflow:{uri}#energy"), path, on="project_name")
    assert d.table.loc["lr", "energy_wh"] == pytest.approx(
        per_run[[r for r, (cid, _) in c.source_ref["runs"].items() if cid == "lr"]].sum() / 2
    )
