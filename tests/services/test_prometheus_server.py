"""A real Prometheus server (Debian's package) scraping the serving exporter, read by `watch --prometheus`.

The same simulated requests go to a Parquet request log and to a :class:`RequestExporter` that the
server scrapes every second; `watch` on the log and `watch --prometheus` on the server must give
the same triggers, the same counts and rates, and quantiles within the histogram's bucket
resolution. The rules `workbench export prometheus` writes pass `promtool check rules`, are loaded
by the server and fire for the degraded version only.

Timing: windows of 10 s aligned to the epoch; requests are sent between 2 s and 7 s into each
window, so every request is scraped (1 s interval) inside the window it was logged in.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest
import yaml

from tests import _services

pytestmark = [pytest.mark.service, pytest.mark.slow]

MODEL = {
    "name": "served",
    "objectives": [
        {
            "name": "latency_p95_ms",
            "direction": "min",
            "unit": "ms",
            "source": "latency_ms",
            "aggregation": "p95",
            "constraint": "<= 4",
        },
        {"name": "error_rate", "direction": "min", "source": "error", "aggregation": "rate", "constraint": "<= 0.02"},
        {"name": "cost_per_1k", "direction": "min", "unit": "USD", "source": "cost_usd", "aggregation": "sum_per_1k"},
    ],
}
WINDOW_S = 10
WINDOWS = 4
PER_WINDOW = 400  # requests per version per window
BATCHES = 10
DEGRADED = "v3"


def _profile(version: str, window: int) -> tuple[float, float]:
    """(median latency ms, error probability): v3 degrades from the second window on."""
    if version == DEGRADED and window >= 1:
        return 6.0, 0.08
    return {"v1": 1.5, "v2": 1.8, "v3": 1.6}[version], 0.002


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    pytest.importorskip("prometheus_client", reason="pip install -e '.[monitoring]'")
    from typer.testing import CliRunner

    import workbench as wb
    from workbench.cli import app
    from workbench.monitoring.exporter import RequestExporter

    folder = tmp_path_factory.mktemp("prom")
    model_file = folder / "q.yaml"
    model_file.write_text(yaml.safe_dump(MODEL, sort_keys=False))
    qm = wb.QualityModel.from_yaml(model_file)
    rules = folder / "rules.yml"
    out = CliRunner().invoke(
        app,
        [
            "export",
            "prometheus",
            "--model",
            str(model_file),
            "--for",
            "2s",
            "--window",
            f"{WINDOW_S}s",
            "-o",
            str(rules),
        ],
    )
    assert out.exit_code == 0, out.output
    if _services.prometheus_binary() is None:
        pytest.skip("the Prometheus server is not installed: apt-get install prometheus (.ci/run does it)")
    exporter = RequestExporter(qm)
    server, _thread = exporter.serve(0)
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["{folder}/rules.yml"],
        "scrape_configs": [
            {"job_name": "serving", "static_configs": [{"targets": [f"127.0.0.1:{server.server_port}"]}]}
        ],
    }
    prom = _services.start_prometheus(yaml.safe_dump(config), rules={"rules.yml": rules.read_text()})
    try:
        rng = np.random.default_rng(7)
        rows = []
        now = time.time()
        t0 = (math.floor(now / WINDOW_S) + 1) * WINDOW_S
        for w in range(WINDOWS):
            start = t0 + w * WINDOW_S
            for b in range(BATCHES):
                at = start + 2 + 5 * b / BATCHES
                time.sleep(max(0.0, at - time.time()))
                for version in ("v1", "v2", "v3"):
                    median, perr = _profile(version, w)
                    n = PER_WINDOW // BATCHES
                    lat = median * np.exp(0.3 * rng.standard_normal(n))
                    err = rng.random(n) < perr
                    for x, e in zip(lat, err, strict=True):
                        ts = time.time()
                        cost = 2e-6 + 1e-5 * float(x)
                        exporter.observe(version, latency_ms=float(x), error=bool(e), cost_usd=cost)
                        rows.append(
                            {
                                "timestamp": ts,
                                "version": version,
                                "latency_ms": float(x),
                                "error": bool(e),
                                "cost_usd": cost,
                            }
                        )
            assert time.time() < start + WINDOW_S - 1.5, "the machine is too slow for 10 s windows"
        end = t0 + WINDOWS * WINDOW_S
        time.sleep(max(0.0, end + 2 - time.time()))
        log = pd.DataFrame(rows)
        log["timestamp"] = pd.to_datetime(log["timestamp"], unit="s", utc=True)
        log_file = folder / "requests.parquet"
        log.to_parquet(log_file)
        yield {
            "url": prom.url,
            "model": qm,
            "model_file": model_file,
            "log": log_file,
            "rules": rules,
            "since": pd.Timestamp(t0, unit="s", tz="UTC"),
            "until": pd.Timestamp(end, unit="s", tz="UTC"),
            "exporter": exporter,
        }
    finally:
        server.shutdown()
        prom.stop()


def _watch_both(served):
    from workbench.monitoring import watch

    kw = {"window": f"{WINDOW_S}s", "since": served["since"], "for_windows": 2}
    by_log = watch(str(served["log"]), served["model"], engine="pandas", **kw)
    by_prom = watch(None, served["model"], prometheus=served["url"], until=served["until"], **kw)
    return by_log, by_prom


def _instant_range(url: str, query: str, start, end, step: float):
    from workbench.sources.prometheus import query_range

    return query_range(url, query, start, end, step)


def test_watch_on_prometheus_matches_watch_on_the_log(served):
    by_log, by_prom = _watch_both(served)
    a = by_log.aggregated.set_index(["version", "window_start"])
    b = by_prom.aggregated.set_index(["version", "window_start"])
    assert len(a) == WINDOWS * 3 and sorted(a.index) == sorted(b.index)
    b = b.loc[a.index]
    # counts and rates: exactly the same requests
    assert (a["error_rate_n"] == b["error_rate_n"]).all() and (a["error_rate_n"] == PER_WINDOW).all()
    assert np.allclose(a["error_rate"], b["error_rate"], rtol=0, atol=1e-12)
    assert np.allclose(a["error_rate_lo"], b["error_rate_lo"], atol=1e-12)
    assert np.allclose(a["error_rate_hi"], b["error_rate_hi"], atol=1e-12)
    assert (a["n_requests"] == b["n_requests"]).all()
    assert np.allclose(a["cost_per_1k"], b["cost_per_1k"], rtol=1e-9)
    # p95: within the bucket resolution, and the bucket interval holds the log's order-statistic interval
    edges = np.array(served["exporter"].buckets["latency_ms"] + (math.inf,))
    bucket = lambda x: int(np.searchsorted(edges, x, side="left"))  # noqa: E731
    for key in a.index:
        pa, pb = a.loc[key], b.loc[key]
        assert abs(bucket(pa["latency_p95_ms"]) - bucket(pb["latency_p95_ms"])) <= 1, key
        assert pb["latency_p95_ms_n"] == pa["latency_p95_ms_n"] == PER_WINDOW
        assert pb["latency_p95_ms_lo"] <= pa["latency_p95_ms_lo"] <= pa["latency_p95_ms_hi"] <= pb["latency_p95_ms_hi"]
    # the degradation is visible in both
    last = a.index.get_level_values(1).max()
    assert b.loc[(DEGRADED, last), "latency_p95_ms_lo"] > 4 and b.loc[("v1", last), "latency_p95_ms_hi"] <= 4


def test_quantiles_equal_the_servers_own_histogram_quantile(served):
    """Prometheus itself, on the same bucket increases between the window edges, is the oracle."""
    _, by_prom = _watch_both(served)
    got = by_prom.aggregated.set_index(["version", "window_end"])["latency_p95_ms"]
    q = f"histogram_quantile(0.95, sum by (version, le) (latency_ms_bucket - latency_ms_bucket offset {WINDOW_S}s))"
    oracle = _instant_range(
        served["url"], q, served["since"] + pd.Timedelta(seconds=WINDOW_S), served["until"], WINDOW_S
    )
    oracle = oracle.set_index(["version", "timestamp"])["value"]
    common = got.index.intersection(oracle.index)
    assert len(common) >= (WINDOWS - 1) * 3  # the first window's series are born in it (no offset sample)
    assert np.allclose(got.loc[common], oracle.loc[common], rtol=1e-9)


def test_triggers_agree(served):
    by_log, by_prom = _watch_both(served)
    key = lambda r: sorted((t.kind, t.severity, t.version or "", t.objective or "") for t in r.triggers)  # noqa: E731
    assert key(by_log) == key(by_prom)
    breaches = {(t.version, t.objective) for t in by_prom.triggers if t.kind == "constraint_violated"}
    assert breaches == {(DEGRADED, "latency_p95_ms"), (DEGRADED, "error_rate")}
    assert by_prom.review_due and by_prom.provenance["prometheus"]["queries"]["latency_p95_ms"] == {
        "buckets": "sum by (version, le) (latency_ms_bucket)"
    }


def test_cli_watch_prometheus(served, tmp_path):
    out = tmp_path / "triggers.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "watch",
            "--prometheus",
            served["url"],
            "-m",
            str(served["model_file"]),
            "--window",
            f"{WINDOW_S}s",
            "--since",
            served["since"].isoformat(),
            "--until",
            served["until"].isoformat(),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1, proc.stderr
    payload = json.loads(out.read_text())
    assert {t["version"] for t in payload["triggers"] if t["kind"] == "constraint_violated"} == {DEGRADED}
    assert "review due" in proc.stdout


def test_exported_rules_pass_promtool_and_fire_for_the_degraded_version_only(served):
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Debian's prometheus package"
    check = subprocess.run([promtool, "check", "rules", str(served["rules"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with urllib.request.urlopen(served["url"] + "/api/v1/rules", timeout=10) as r:
        groups = json.load(r)["data"]["groups"]
    loaded = {rule["name"] for g in groups for rule in g["rules"]}
    assert loaded == {"LatencyP95MsSloBreach", "ErrorRateSloBreach"}
    fired = _instant_range(served["url"], 'ALERTS{alertstate="firing"}', served["since"], served["until"], 1)
    by_alert = {name: set(g["version"]) for name, g in fired.groupby("alertname")} if len(fired) else {}
    assert by_alert == {"LatencyP95MsSloBreach": {DEGRADED}, "ErrorRateSloBreach": {DEGRADED}}


def test_metric_map_and_selector_read_a_metric_named_otherwise(served):
    """An objective in microseconds without source:, mapped onto the exporter's histogram in ms."""
    import workbench as wb
    from workbench.errors import MonitoringError
    from workbench.monitoring.prometheus import aggregate_prometheus

    qm = wb.QualityModel.from_dict(
        {
            "objectives": [
                {"name": "latency_p95_us", "direction": "min", "aggregation": "p95"},
                {"name": "failures", "direction": "min", "aggregation": "rate"},
            ]
        }
    )
    mapping = {
        "latency_p95_us": {"metric": "latency_ms", "scale": 1000},
        "failures": {"metric": "error", "selector": 'instance!=""'},
    }
    kw = {"window": f"{WINDOW_S}s", "since": served["since"], "until": served["until"]}
    mapped = aggregate_prometheus(served["url"], qm, metric_map=mapping, selector='job="serving"', **kw)
    plain = aggregate_prometheus(served["url"], served["model"], **kw)
    a = mapped.aggregated.set_index(["version", "window_start"])
    b = plain.aggregated.set_index(["version", "window_start"]).loc[a.index]
    assert len(a) == WINDOWS * 3
    for col in ("", "_lo", "_hi"):
        assert np.allclose(a[f"latency_p95_us{col}"], 1000 * b[f"latency_p95_ms{col}"], rtol=1e-12, equal_nan=True)
    assert np.allclose(a["failures"], b["error_rate"]) and (a["failures_n"] == b["error_rate_n"]).all()
    assert (
        mapped.queries["failures"]["errors"]
        == 'sum by (version) (error_total{job="serving",instance!="",outcome="error"})'
    )
    with pytest.raises(MonitoringError, match="no observation"):
        from workbench.monitoring import watch

        watch(None, served["model"], prometheus=served["url"], selector='job="elsewhere"', for_windows=2, **kw)


def test_explicit_promql_in_the_metric_map(served, tmp_path):
    """A team's own PromQL: the value and its n from explicit queries equal the generated read on the
    same edges (the server's own histogram_quantile on the edge differences); without an interval the
    breach is judged by the point estimate, still for the degraded version only; the same map renders
    the alert expression for export prometheus, which promtool accepts."""
    import workbench as wb
    from workbench.decisions.pushdown import prometheus_rules
    from workbench.errors import MonitoringError
    from workbench.monitoring import watch
    from workbench.monitoring.prometheus import aggregate_prometheus

    qm = wb.QualityModel.from_dict(
        {"objectives": [{"name": "latency_p95_ms", "direction": "min", "unit": "ms", "constraint": "<= 4"}]}
    )
    mapping = {
        "latency_p95_ms": {
            "query": "histogram_quantile(0.95, sum by (version, le) (latency_ms_bucket - latency_ms_bucket offset $window))",
            "count": "sum by (version) (latency_ms_count - latency_ms_count offset $window)",
        }
    }
    kw = {"window": f"{WINDOW_S}s", "since": served["since"], "until": served["until"]}
    explicit = aggregate_prometheus(served["url"], qm, metric_map=mapping, **kw)
    generated = aggregate_prometheus(served["url"], served["model"], **kw)
    a = explicit.aggregated.set_index(["version", "window_start"])
    b = generated.aggregated.set_index(["version", "window_start"])
    assert "latency_p95_ms_lo" not in a.columns and explicit.queries["latency_p95_ms"]["value"].startswith("histogram")
    assert len(a) >= (WINDOWS - 1) * 3  # the first window's series are born in it (no offset sample)
    b = b.loc[a.index]
    assert np.allclose(a["latency_p95_ms"], b["latency_p95_ms"], rtol=1e-9)
    assert (a["latency_p95_ms_n"] == b["latency_p95_ms_n"]).all() and (a["latency_p95_ms_n"] == PER_WINDOW).all()
    assert any("explicit PromQL" in note for note in explicit.notes)

    report = watch(None, qm, prometheus=served["url"], metric_map=mapping, for_windows=2, **kw)
    hits = [t for t in report.triggers if t.kind == "constraint_violated"]
    assert {t.version for t in hits} == {DEGRADED}
    assert all("point estimate" in t.evidence["rule"] for t in hits)

    rules = prometheus_rules(qm, metric_map=mapping, window="30s")
    expr = yaml.safe_load(rules)["groups"][0]["rules"][0]["expr"]
    assert "offset 30s" in expr and "$window" not in expr and expr.endswith("> 4")
    path = tmp_path / "rules.yml"
    path.write_text(rules)
    check = subprocess.run([shutil.which("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    with pytest.raises(MonitoringError, match=r"needs both 'query'.*'count' is missing"):
        aggregate_prometheus(served["url"], qm, metric_map={"latency_p95_ms": {"query": "up"}}, **kw)
    with pytest.raises(MonitoringError, match="without a 'version' label"):
        aggregate_prometheus(
            served["url"],
            qm,
            metric_map={"latency_p95_ms": {"query": "sum(latency_ms_count)", "count": "sum(latency_ms_count)"}},
            **kw,
        )
