"""Prometheus read and export failures a user meets first: a wrong URL, a hung server, nothing to export."""

import socket
import subprocess
import sys

import pytest

from workbench.errors import DecisionError, SourceUnreachableError
from workbench.sources.prometheus import query_range


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_names_the_url_and_the_fix():
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(SourceUnreachableError) as info:
        query_range(url, "up", 0, 60, 15, timeout=2)
    text = str(info.value)
    assert url in text and "Fix:" in text and "/-/ready" in text and "--timeout" in text


def test_a_server_that_never_answers_times_out_with_the_limit_named():
    # a listening socket that never accepts: the TCP connect succeeds, the HTTP answer never comes
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        with pytest.raises(SourceUnreachableError) as info:
            query_range(url, "up", 0, 60, 15, timeout=0.5)
    assert url in str(info.value) and "timeout 0.5 s" in str(info.value)


@pytest.mark.parametrize("bad", ["0", "-3", "soon"])
def test_bad_timeout_from_the_environment_is_named(monkeypatch, bad):
    monkeypatch.setenv("WORKBENCH_PROMETHEUS_TIMEOUT", bad)
    with pytest.raises(SourceUnreachableError, match="WORKBENCH_PROMETHEUS_TIMEOUT"):
        query_range("http://127.0.0.1:9", "up", 0, 60, 15)


def test_not_an_http_url_is_refused():
    with pytest.raises(SourceUnreachableError, match="not an http"):
        query_range("127.0.0.1:9090", "up", 0, 60, 15)


def test_nothing_to_export_raises_with_the_reason():
    from workbench import QualityModel
    from workbench.decisions.pushdown import prometheus_rules

    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "recall", "direction": "max", "constraint": ">= 0.9"},
                {"name": "latency_p95_ms", "direction": "min", "source": "latency_ms", "aggregation": "p95"},
            ]
        }
    )
    with pytest.raises(DecisionError) as info:
        prometheus_rules(qm)
    text = str(info.value)
    assert "Nothing to export" in text and "recall" in text and "source:" in text and "Fix:" in text


def test_cli_export_with_nothing_to_export_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "q.yaml").write_text("objectives:\n  - {name: recall, direction: max, constraint: '>= 0.9'}\n")
    out = tmp_path / "rules.yml"
    r = subprocess.run(
        [sys.executable, "-m", "workbench", "export", "prometheus", "-m", "q.yaml", "-o", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 2, r.stderr
    assert "Nothing to export" in r.stderr and "without a monitored metric" in " ".join(r.stderr.split())
    assert not out.exists()


def test_cli_watch_without_logs_or_url_exits_2(tmp_path):
    (tmp_path / "q.yaml").write_text("objectives:\n  - {name: recall, direction: max, constraint: '>= 0.9'}\n")
    r = subprocess.run(
        [sys.executable, "-m", "workbench", "watch", "-m", "q.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 2 and "--prometheus" in r.stderr and "Traceback" not in r.stderr


def test_cli_watch_unreachable_prometheus_exits_2(tmp_path):
    (tmp_path / "q.yaml").write_text(
        "objectives:\n  - {name: lat, direction: min, source: latency_ms, aggregation: p95, constraint: '<= 4'}\n"
    )
    url = f"http://127.0.0.1:{_free_port()}"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "watch",
            "-m",
            "q.yaml",
            "--prometheus",
            url,
            "--window",
            "1m",
            "--timeout",
            "2",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert url in r.stderr and "Fix:" in r.stderr and "Traceback" not in r.stderr


def test_too_many_windows_for_one_range_query_is_refused_before_querying():
    from workbench import QualityModel
    from workbench.errors import MonitoringError
    from workbench.monitoring.prometheus import aggregate_prometheus

    qm = QualityModel.from_dict(
        {"objectives": [{"name": "lat", "direction": "min", "source": "latency_ms", "aggregation": "p95"}]}
    )
    with pytest.raises(MonitoringError, match="11,000 points"):  # no server needed: refused first
        aggregate_prometheus("http://127.0.0.1:9", qm, window="1s", since="2026-01-01", until="2026-01-02")


def test_model_without_monitored_objective_is_refused():
    from workbench import QualityModel
    from workbench.errors import MonitoringError
    from workbench.monitoring.prometheus import aggregate_prometheus

    qm = QualityModel.from_dict({"objectives": [{"name": "recall", "direction": "max"}]})
    with pytest.raises(MonitoringError, match="no objective with source"):
        aggregate_prometheus("http://127.0.0.1:9", qm, window="1m")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"nope": "latency_ms"}, "metric_map: objective 'nope'"),
        ({"lat": {"expr": "up"}}, "alert rules only"),
        ({"lat": {"metric": "x", "scale": 0}}, "positive finite"),
        (["lat"], "must map objective names"),
    ],
)
def test_bad_metric_map_is_named_before_querying(mapping, message):
    from workbench import QualityModel
    from workbench.errors import WorkbenchError
    from workbench.monitoring.prometheus import aggregate_prometheus

    qm = QualityModel.from_dict(
        {"objectives": [{"name": "lat", "direction": "min", "source": "latency_ms", "aggregation": "p95"}]}
    )
    with pytest.raises(WorkbenchError, match=message):
        aggregate_prometheus("http://127.0.0.1:9", qm, window="1m", metric_map=mapping)
