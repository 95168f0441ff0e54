"""Prometheus: real exposition text from prometheus_client, quantiles checked by hand, API JSON."""

import json
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import SourceNotFoundError, UnknownNameError
from workbench.sources.logs import MonitoringDataError
from workbench.sources.prometheus import (
    bucket_quantile,
    histogram_quantiles,
    parse_exposition,
    read_range_query,
)

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics  # noqa: E402

BOUNDS = (0.1, 0.25, 0.5, 1.0)
OBS = {
    "v1": [0.02, 0.07, 0.08, 0.2, 0.3, 0.4, 0.6, 0.9, 2.0, 3.0],
    "v2": [0.01, 0.05, 0.06, 0.09, 0.12, 0.15, 0.3, 0.45],
}


def by_hand(q, observations, bounds=BOUNDS):
    """histogram_quantile written out plainly: linear inside the bucket, from 0 in the first."""
    n = len(observations)
    rank = q * n
    cum = [sum(o <= b for o in observations) for b in bounds]
    for i, c in enumerate(cum):
        if c >= rank:
            lower = bounds[i - 1] if i else 0.0
            prev = cum[i - 1] if i else 0
            if c == prev:  # only for q = 0 with an empty first bucket: its lower bound
                return lower
            return lower + (bounds[i] - lower) * (rank - prev) / (c - prev)
    return bounds[-1]  # the rank falls in the +Inf bucket


@pytest.fixture
def registry():
    reg = prometheus_client.CollectorRegistry()
    hist = prometheus_client.Histogram(
        "request_latency_seconds",
        "Serving latency",
        ["version", "instance"],
        buckets=BOUNDS,
        registry=reg,
    )
    requests = prometheus_client.Counter("requests", "Requests served", ["version", "outcome"], registry=reg)
    gauge = prometheus_client.Gauge("model_loaded", "Model in memory", ["version"], registry=reg)
    for version, values in OBS.items():
        for i, v in enumerate(values):  # spread over two instances: quantiles sum them first
            hist.labels(version, f"pod-{i % 2}").observe(v)
        requests.labels(version, "ok").inc(len(values) - 1)
        requests.labels(version, "error").inc()
        gauge.labels(version).set(1)
    return reg


def test_parse_classic_exposition(registry):
    text = prometheus_client.generate_latest(registry).decode()
    df = parse_exposition(text)
    assert set(df["family"]) == {"request_latency_seconds", "requests", "model_loaded"}
    assert not df["metric"].str.endswith("_created").any()
    counter = df[df["family"] == "requests"]
    assert set(counter["metric"]) == {"requests_total"} and set(counter["type"]) == {"counter"}
    errors = counter.set_index(["version", "outcome"])["value"]
    assert errors[("v1", "error")] == 1 and errors[("v1", "ok")] == 9
    buckets = df[df["metric"] == "request_latency_seconds_bucket"]
    assert sorted(set(buckets["le"])) == [*BOUNDS, math.inf]
    assert "le" not in buckets["labels"].iloc[0] and buckets["labels"].iloc[0]["version"] in OBS
    count = df[df["metric"] == "request_latency_seconds_count"].groupby("version")["value"].sum()
    assert count.to_dict() == {"v1": 10, "v2": 8}
    assert df["timestamp"].isna().all()


def test_classic_and_openmetrics_give_the_same_table_and_quantiles(registry):
    classic = parse_exposition(prometheus_client.generate_latest(registry))
    om_text = generate_openmetrics(registry).decode()
    assert om_text.rstrip().endswith("# EOF")
    om = parse_exposition(om_text)
    key = ["family", "metric", "le", "version", "instance", "outcome"]
    a = classic.sort_values(key).reset_index(drop=True).drop(columns="labels")
    b = om.sort_values(key).reset_index(drop=True).drop(columns="labels")
    pd.testing.assert_frame_equal(a[b.columns], b, check_dtype=False)
    qa = histogram_quantiles(classic, "request_latency_seconds")
    qb = histogram_quantiles(om, "request_latency_seconds")
    pd.testing.assert_frame_equal(qa, qb)


def test_quantiles_match_the_interpolation_by_hand(registry):
    text = prometheus_client.generate_latest(registry).decode()
    qs = (0.25, 0.5, 0.9, 0.95, 0.99)
    out = histogram_quantiles(text, "request_latency_seconds", q=qs)
    assert len(out) == 2 * len(qs)
    for row in out.itertuples():
        assert row.value == pytest.approx(by_hand(row.q, OBS[row.version])), (row.version, row.q)
        assert row.buckets == (*BOUNDS, math.inf)
        assert row.observations == len(OBS[row.version])
    v1 = out[out["version"] == "v1"].set_index("q")
    # written out: v1 cumulative counts 3, 4, 6, 8, 10; median rank 5 lies in (0.25, 0.5]
    assert v1.loc[0.5, "value"] == pytest.approx(0.25 + 0.25 * (5 - 4) / (6 - 4))
    assert (v1.loc[0.5, "bucket_lower"], v1.loc[0.5, "bucket_upper"]) == (0.25, 0.5)
    assert v1.loc[0.25, "value"] == pytest.approx(0.1 * 2.5 / 3)  # first bucket: from 0
    # rank 9.5 > 8 lies in +Inf: Prometheus returns the last finite bound (1.0), flagged
    assert v1.loc[0.95, "value"] == 1.0 and bool(v1.loc[0.95, "in_inf_bucket"])
    assert not out[out["version"] == "v2"]["in_inf_bucket"].any()


def test_grouping_options(registry):
    df = parse_exposition(prometheus_client.generate_latest(registry))
    overall = histogram_quantiles(df, "request_latency_seconds_bucket", q=0.5, by=())
    assert overall["value"].iloc[0] == pytest.approx(by_hand(0.5, OBS["v1"] + OBS["v2"]))
    per_pod = histogram_quantiles(df, "request_latency_seconds", q=0.5, by=["version", "instance"])
    assert len(per_pod) == 4
    with pytest.raises(UnknownNameError, match=r"(?s)Label 'verion'.*Did you mean 'version'"):
        histogram_quantiles(df, "request_latency_seconds", by="verion")
    with pytest.raises(UnknownNameError, match=r"(?s)Histogram 'request_latency'.*request_latency_seconds"):
        histogram_quantiles(df, "request_latency")
    with pytest.raises(MonitoringDataError, match=r"Quantile 1.5 is not in \[0, 1\]"):
        histogram_quantiles(df, "request_latency_seconds", q=1.5)


def test_prometheus_edge_cases():
    inf = math.inf
    assert math.isnan(bucket_quantile(0.5, [0.1, 0.5], [1, 2])[0])  # no +Inf bucket
    assert math.isnan(bucket_quantile(0.5, [inf], [3])[0])  # fewer than two buckets
    assert math.isnan(bucket_quantile(0.5, [0.1, inf], [0, 0])[0])  # no observation
    assert bucket_quantile(0.5, [-1.0, 0.5, inf], [2, 3, 4])[0] == -1.0  # lowest bound <= 0
    # decreasing counts (after summing rates) are made monotonic
    # (running max: 2, 2, 4; rank 2 is reached in the first bucket)
    assert bucket_quantile(0.5, [0.1, 0.2, inf], [2, 1, 4])[0] == pytest.approx(0.1)
    assert bucket_quantile(0.0, [0.1, 0.2, inf], [0, 1, 1])[0] == 0.0  # Prometheus: NaN
    # unsorted buckets are sorted by bound
    assert bucket_quantile(0.5, [inf, 0.1, 0.2], [4, 1, 3])[0] == pytest.approx(0.15)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=0.001, max_value=5.0), min_size=1, max_size=40),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_quantile_matches_the_plain_algorithm(observations, q):
    bounds = [*BOUNDS, math.inf]
    counts = [sum(o <= b for o in observations) for b in bounds]
    value = bucket_quantile(q, bounds, counts)[0]
    assert value == pytest.approx(by_hand(q, observations))
    assert 0.0 <= value <= BOUNDS[-1]


def test_parse_errors_are_clear():
    with pytest.raises(MonitoringDataError, match=r"classic text format"):
        parse_exposition("this is { not exposition")
    with pytest.raises(MonitoringDataError, match="OpenMetrics"):
        parse_exposition("# TYPE a gauge\na{x=1} 1\n# EOF\n")


def test_sample_timestamps_are_utc():
    df = parse_exposition('# TYPE up gauge\nup{job="api"} 1 1767225600000\n')
    assert df["timestamp"].iloc[0] == pd.Timestamp("2026-01-01T00:00:00Z")
    om = parse_exposition('# TYPE up gauge\nup{job="api"} 1 1767225600.5\n# EOF\n')
    assert om["timestamp"].iloc[0] == pd.Timestamp("2026-01-01T00:00:00.5Z")


MATRIX = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [
            {
                "metric": {"__name__": "http_requests_total", "version": "v1", "code": "200"},
                "values": [[1767225600, "10"], [1767225660, "12.5"]],
            },
            {
                "metric": {"__name__": "http_requests_total", "version": "v2", "code": "500"},
                "values": [[1767225600, "NaN"], [1767225660, "+Inf"]],
            },
        ],
    },
}


def test_range_query_matrix_from_dict_file_and_text(tmp_path):
    df = read_range_query(MATRIX)
    assert list(df.columns) == ["metric", "version", "code", "timestamp", "value"]
    assert len(df) == 4 and str(df["timestamp"].dtype).endswith("UTC]")
    assert df["timestamp"].iloc[1] == pd.Timestamp("2026-01-01T00:01:00Z")
    assert df["value"].iloc[1] == 12.5 and math.isnan(df["value"].iloc[2]) and df["value"].iloc[3] == math.inf
    path = tmp_path / "range.json"
    path.write_text(json.dumps(MATRIX))
    pd.testing.assert_frame_equal(read_range_query(path), df)
    pd.testing.assert_frame_equal(read_range_query(str(path)), df)
    pd.testing.assert_frame_equal(read_range_query(json.dumps(MATRIX)), df)


def test_range_query_vector_and_scalar():
    vec = {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {"version": "v1"}, "value": [1767225600.25, "0.42"]}]},
    }
    df = read_range_query(vec)
    assert df["metric"].isna().all() and df["value"].tolist() == [0.42]
    sc = read_range_query({"status": "success", "data": {"resultType": "scalar", "result": [1767225600, "3"]}})
    assert sc["value"].tolist() == [3.0]


def test_range_query_errors(tmp_path):
    err = {
        "status": "error",
        "errorType": "bad_data",
        "error": 'invalid parameter "query": 1:5: parse error: unexpected end of input',
    }
    with pytest.raises(MonitoringDataError, match=r"status 'error': bad_data: invalid parameter \"query\""):
        read_range_query(err)
    with pytest.raises(MonitoringDataError, match="not supported"):
        read_range_query({"status": "success", "data": {"resultType": "string", "result": [0, "x"]}})
    with pytest.raises(MonitoringDataError, match="no data.resultType"):
        read_range_query({"status": "success"})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MonitoringDataError, match="is not valid JSON"):
        read_range_query(bad)
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        read_range_query(tmp_path / "missing.json")


def test_range_query_of_buckets_gives_quantiles_per_timestamp():
    def series(le, values):
        return {
            "metric": {"version": "v1", "le": le},
            "values": [[1767225600 + 60 * i, str(v)] for i, v in enumerate(values)],
        }

    doc = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [series("0.1", [3, 1]), series("0.5", [6, 2]), series("+Inf", [10, 4])],
        },
    }
    out = histogram_quantiles(read_range_query(doc), None, q=0.5)
    assert len(out) == 2 and out["timestamp"].is_monotonic_increasing
    assert out["value"].iloc[0] == pytest.approx(0.1 + 0.4 * (5 - 3) / (6 - 3))
    assert out["value"].iloc[1] == pytest.approx(0.5)  # rank 2 reaches the 0.5 bucket's count
