"""False alarms and detection of the monitoring triggers, side by side with two simpler rules.

Simulated deployments (seeded), each a few days of request logs cut into 6 h windows:

* 2–6 live versions with different trade-offs (faster versions err more and are less accurate,
  cost follows latency); traffic 200–20,000 requests a day in total (the champion serves 70 %);
  heavy-tailed latency (log-normal body, 5 % Pareto tail); rare errors (0.1–1 %); labels for a
  30 % subset (accuracy); SLOs set 1.2–1.6× beyond the worst healthy version's true value.
* **healthy** deployments: nothing changes; every 6 h window is checked as a cron job would
  (``watch`` after each window); a deployment-day with any "review due" is a false alarm.
* **degraded** deployments: from window 4 on, one version changes: latency ×1.5 or ×3, error
  rate ×2 or ×10, accuracy −2 or −5 points (each applied to the version nearest that SLO), or a
  challenger that becomes dominant (faster, fewer errors, more accurate, cheaper than the champion). Detection = "review due" at or after the
  onset; delay = windows from the onset window (0 = the onset window itself).

Rules compared on the same aggregated windows:

* ``workbench`` -- :func:`workbench.monitoring.detect` as ``workbench watch`` runs it: 95 %
  intervals, a breach needs the whole interval beyond the limit in 2 consecutive windows (or in
  the latest window alone when it is beyond the limit by more than its half-width), too
  little data is informational, decision checks with probability / bootstrap / relative
  references (SMAA samples 1,000 and bootstrap draws 100 here, to keep the run short);
* ``naive`` -- the point estimate beyond the SLO in the latest window (what ``watch`` did for
  constraints before; it also raised the absolute-acceptability, hypervolume and conflict alarms,
  which only add false alarms, so this row is a lower bound of its noise);
* ``prometheus_for2`` -- a Prometheus alert rule ``expr: value > SLO`` with ``for: 2`` windows.

A "large breach" is one whose true value lies beyond the SLO by at least twice the healthy
margin (|SLO − healthy value|); it "has enough data" when the degraded version's windows hold at
least the objective's minimum n (``workbench.monitoring.triggers.minimum_n``: at 200 requests a
day a challenger with 10 % of the traffic sees 5 requests per window, and no rule can tell a
10 % error rate from a 1 % one on 5 requests -- the point rules that "detect" it are as often
wrong on healthy versions). Enough data is not enough power: an error rate of 2 % against an SLO
of 1.3 % is a "large" breach (healthy 1 %, margin 0.3 points), yet on 1,000 requests a window's
standard error is 0.44 points and no 95 % rule sees it in most windows. The campaign therefore also
reports breaches that are *detectable*: beyond the limit by at least 3.6 standard errors of one
window (z_0.975 + z_0.95, i.e. 95 % power for a one-window test at the 95 % level; the standard error
from the median half-width of the degraded version's intervals). Targets: ≤ 1 false review-due per 100 healthy deployment-days,
≥ 95 % of large breaches with enough data detected within 2 windows, a detection delay no worse than the
Prometheus rule. The SLO rules (naive, Prometheus) cannot see a dominant challenger (no SLO is
crossed); their rows say so. For the large breaches with enough data the campaign also reports the
expected detection rate of the most powerful test any rule could use within 2 windows (the two
windows pooled, a one-sided z-test), at the workbench rule's own false-alarm rate per check and at
a lenient 2.5 % per check: no rule with that false-alarm rate can expect to detect more.

Run: ``python benchmarks/bench_triggers.py`` (about 3 minutes on 2 cores) or ``--quick`` (a
smoke run); results go to ``benchmarks/results/triggers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
RESULTS = HERE / "results" / "triggers.json"

T0 = pd.Timestamp("2026-01-05", tz="UTC")
WINDOW_H = 6
PER_DAY = 24 // WINDOW_H
ONSET = 4  # degraded deployments change from this window on
KINDS = ("latency_x1.5", "latency_x3", "errors_x2", "errors_x10", "accuracy_-2", "accuracy_-5", "dominant_challenger")
RULES = ("workbench", "naive", "prometheus_for2")
TAIL = 0.05


def _latency(rng, scale, n):
    body = rng.lognormal(np.log(scale), 0.45, n)
    tail = rng.random(n) < TAIL
    body[tail] = scale * (1.5 + rng.pareto(2.5, tail.sum()))
    return body


def _true_p95(scale):
    rng = np.random.default_rng(12345)
    return float(np.quantile(_latency(rng, scale, 400_000), 0.95))


def scenario(seed: int, kind: str | None, days: int) -> dict:
    """One deployment: simulate its logs, aggregate them, and the ground truth."""
    rng = np.random.default_rng(seed)
    n_versions = int(rng.integers(2, 7))
    traffic = int(np.exp(rng.uniform(np.log(200), np.log(20_000))))
    versions = [f"v{i + 1}" for i in range(n_versions)]
    t = np.linspace(0, 1, n_versions)
    prof = {
        v: {
            "lat": 20 + 60 * t[i] * rng.uniform(0.9, 1.1),
            "err": 0.01 - 0.009 * t[i] * rng.uniform(0.9, 1.0),
            "acc": 0.86 + 0.08 * t[i] * rng.uniform(0.95, 1.0),
        }
        for i, v in enumerate(versions)
    }
    champion = versions[int(rng.integers(0, n_versions))]
    share = {v: (0.7 if v == champion else 0.3 / max(1, n_versions - 1)) for v in versions}
    if n_versions == 1:
        share[champion] = 1.0
    p95 = {v: _true_p95(p["lat"]) for v, p in prof.items()}
    slo = {
        "latency_p95_ms": max(p95.values()) * rng.uniform(1.2, 1.6),
        "error_rate": max(p["err"] for p in prof.values()) * rng.uniform(1.2, 1.6),
        "accuracy": min(p["acc"] for p in prof.values()) - rng.uniform(0.02, 0.04),
    }
    target = None
    if kind is not None:
        # an SLO degradation hits the version nearest its SLO (the one it is set from), so the size of
        # the change decides whether the SLO is breached and by how much
        key = {"latency": lambda v: p95[v], "errors": lambda v: prof[v]["err"], "accuracy": lambda v: -prof[v]["acc"]}
        if kind != "dominant_challenger":
            target = max(versions, key=key[kind.split("_")[0]])
        else:
            others = [v for v in versions if v != champion]
            target = others[int(rng.integers(0, len(others)))] if others else None
    n_windows = days * PER_DAY
    frames = []
    for w in range(n_windows):
        hour = (w * WINDOW_H) % 24
        rate = traffic / PER_DAY * (1 + 0.5 * np.sin(2 * np.pi * (hour + 3 - 8) / 24))
        for v in versions:
            p = dict(prof[v])
            if kind is not None and v == target and w >= ONSET:
                if kind == "latency_x1.5":
                    p["lat"] *= 1.5
                elif kind == "latency_x3":
                    p["lat"] *= 3
                elif kind == "errors_x2":
                    p["err"] *= 2
                elif kind == "errors_x10":
                    p["err"] *= 10
                elif kind == "accuracy_-2":
                    p["acc"] -= 0.02
                elif kind == "accuracy_-5":
                    p["acc"] -= 0.05
                elif kind == "dominant_challenger":
                    c = prof[champion]
                    p = {"lat": c["lat"] * 0.6, "err": c["err"] * 0.5, "acc": min(0.99, c["acc"] + 0.04)}
            n = int(rng.poisson(rate * share[v]))
            if n == 0:
                continue
            lat = _latency(rng, p["lat"], n)
            label = (rng.random(n) < 0.4).astype(float)
            correct = rng.random(n) < p["acc"]
            pred = np.where(correct, label, 1 - label)
            label[rng.random(n) >= 0.3] = np.nan
            frames.append(
                pd.DataFrame(
                    {
                        "timestamp": (
                            T0
                            + pd.Timedelta(hours=w * WINDOW_H)
                            + pd.to_timedelta(rng.uniform(0, WINDOW_H * 3600, n), unit="s")
                        ).floor("us"),
                        "version": v,
                        "latency_ms": lat,
                        "error": rng.random(n) < p["err"],
                        "cost_usd": 2e-6 + 1e-5 * lat,
                        "prediction": pred,
                        "label": label,
                    }
                )
            )
    logs = pd.concat(frames, ignore_index=True)
    truth = {}
    if kind is not None and target is not None and kind != "dominant_challenger":
        h = prof[target]
        if kind.startswith("latency"):
            name, healthy, now = "latency_p95_ms", p95[target], _true_p95(h["lat"] * float(kind.split("x")[1]))
        elif kind.startswith("errors"):
            name, healthy, now = "error_rate", h["err"], h["err"] * float(kind.split("x")[1])
        else:
            name, healthy, now = "accuracy", h["acc"], h["acc"] - float(kind.split("-")[1]) / 100
        limit = slo[name]
        upper = name != "accuracy"
        margin = abs(limit - healthy)
        excess = (now - limit) if upper else (limit - now)
        truth = {
            "objective": name,
            "healthy": healthy,
            "degraded": now,
            "limit": limit,
            "margin": margin,
            "breach": excess > 0,
            "large_breach": excess >= 2 * margin,
        }
    return {
        "seed": seed,
        "kind": kind,
        "versions": versions,
        "champion": champion,
        "target": target,
        "traffic_per_day": traffic,
        "slo": slo,
        "logs": logs,
        "truth": truth,
        "n_windows": n_windows,
    }


def model(slo):
    from workbench import QualityModel

    return QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": "latency_p95_ms",
                    "direction": "min",
                    "unit": "ms",
                    "source": "latency_ms",
                    "aggregation": "p95",
                    "tolerance": 2,
                    "constraint": f"<= {slo['latency_p95_ms']:.6g}",
                },
                {
                    "name": "error_rate",
                    "direction": "min",
                    "source": "error",
                    "aggregation": "rate",
                    "tolerance": 0.0005,
                    "constraint": f"<= {slo['error_rate']:.6g}",
                },
                {"name": "accuracy", "direction": "max", "tolerance": 0.005, "constraint": f">= {slo['accuracy']:.6g}"},
                {"name": "cost_per_1k", "direction": "min", "unit": "USD", "tolerance": 0.01},
            ]
        }
    )


def evaluate(args) -> dict:
    """Run the three rules after every window of one deployment (what a 6-hourly cron sees)."""
    seed, kind, days, smaa, boot = args
    from workbench.decisions import DecisionRecord
    from workbench.monitoring import aggregate, detect, review_due, slo_compliance
    from workbench.monitoring.triggers import Thresholds

    sc = scenario(seed, kind, days)
    qm = model(sc["slo"])
    agg = aggregate(sc["logs"], qm, window=f"{WINDOW_H}h")
    truth = dict(sc["truth"])
    if truth:
        from workbench.monitoring.triggers import minimum_n

        c = next(c for c in qm.constraints if c.objective == truth["objective"])
        rows = agg[
            (agg["version"] == sc["target"]) & (agg["window_start"] >= sorted(agg["window_start"].unique())[ONSET])
        ]
        truth["n_per_window"] = float(rows[f"{c.objective}_n"].median()) if len(rows) else 0.0
        truth["minimum_n"] = minimum_n(qm, c)
        truth["enough_data"] = truth["n_per_window"] >= truth["minimum_n"]
        # statistical power: the standard error of the degraded version's figure in one window, from
        # the median half-width of its 95 % intervals after the onset; a breach is "detectable" in one
        # window at 95 % power when it exceeds the limit by (z_0.975 + z_0.95) = 3.6 standard errors
        half = (rows[f"{c.objective}_hi"] - rows[f"{c.objective}_lo"]) / 2
        se = float(half.median()) / 1.959964 if half.notna().any() else float("inf")
        excess = (truth["degraded"] - truth["limit"]) * (1 if truth["objective"] != "accuracy" else -1)
        truth["se_per_window"] = se
        truth["excess_se"] = excess / se if 0 < se < float("inf") else None
        truth["detectable"] = bool(truth["enough_data"] and excess >= 3.605 * se)
    windows = sorted(agg["window_start"].unique())
    decision = DecisionRecord(chosen=sc["champion"], candidates=tuple(sc["versions"]))
    th = Thresholds(for_windows=2, smaa_samples=smaa, bootstrap=boot)
    comp = slo_compliance(agg, qm, champion=sc["champion"])
    point_breach = comp.assign(bad=~comp["met"].fillna(True).astype(bool))
    bad = point_breach.groupby("window_start")["bad"].any()
    by_key = point_breach.groupby(["version", "constraint", "window_start"])["bad"].any()
    start = ONSET if kind is not None else 0
    fired = {r: [] for r in RULES}
    kinds_fired = []
    for i, w in enumerate(windows):
        if i < start or (kind is not None and i > ONSET + 3):
            continue
        keep = {windows[0], *windows[max(0, i - 1) : i + 1]}  # the reference window and the last two
        sub = agg[agg["window_start"].isin(keep)]
        trig = detect(sub, qm, decision=decision, thresholds=th)
        due = review_due(trig)
        fired["workbench"].append(due)
        kinds_fired.append(sorted({t.kind for t in trig if t.severity in ("warning", "critical")}))
        fired["naive"].append(bool(bad.get(w, False)))
        prev = windows[i - 1] if i > 0 else None
        pers = False
        if prev is not None:
            now = by_key.xs(w, level="window_start")
            before = by_key.xs(prev, level="window_start")
            both = now & before.reindex(now.index, fill_value=False)
            pers = bool(both.any())
        fired["prometheus_for2"].append(pers)
    return {
        "seed": seed,
        "kind": kind,
        "n_versions": len(sc["versions"]),
        "traffic_per_day": sc["traffic_per_day"],
        "truth": truth,
        "fired": fired,
        "workbench_kinds": kinds_fired,
        "n_windows": len(windows),
    }


def summarise(healthy: list[dict], degraded: list[dict], days: int) -> dict:
    out: dict = {"healthy": {}, "degraded": {}}
    n_days = sum(len(r["fired"]["workbench"]) // PER_DAY for r in healthy)
    for rule in RULES:
        false_days = 0
        for r in healthy:
            f = r["fired"][rule]
            false_days += sum(any(f[d * PER_DAY : (d + 1) * PER_DAY]) for d in range(len(f) // PER_DAY))
        out["healthy"][rule] = {
            "deployment_days": n_days,
            "false_review_due_days": false_days,
            "per_100_days": 100 * false_days / n_days if n_days else None,
        }
    for kind in KINDS:
        rows = [r for r in degraded if r["kind"] == kind]
        entry = {}
        for rule in RULES:
            delays = [next((i for i, x in enumerate(r["fired"][rule]) if x), None) for r in rows]
            large = [d for d, r in zip(delays, rows, strict=True) if r["truth"].get("large_breach")]
            testable = [
                d
                for d, r in zip(delays, rows, strict=True)
                if r["truth"].get("large_breach") and r["truth"].get("enough_data")
            ]
            entry[rule] = {
                "n": len(rows),
                "detected_within_2": sum(d is not None and d <= 1 for d in delays),
                "detected_within_4": sum(d is not None for d in delays),
                "median_delay_windows": statistics.median([d for d in delays if d is not None])
                if any(d is not None for d in delays)
                else None,
                "large_breaches": len(large),
                "large_detected_within_2": sum(d is not None and d <= 1 for d in large),
                "large_with_enough_data": len(testable),
                "large_with_enough_data_detected_within_2": sum(d is not None and d <= 1 for d in testable),
                "large_detectable": sum(
                    1 for r in rows if r["truth"].get("large_breach") and r["truth"].get("detectable")
                ),
                "large_detectable_detected_within_2": sum(
                    d is not None and d <= 1
                    for d, r in zip(delays, rows, strict=True)
                    if r["truth"].get("large_breach") and r["truth"].get("detectable")
                ),
            }
        out["degraded"][kind] = entry
    for key, num, den in (
        ("large_breach_detection_within_2", "large_detected_within_2", "large_breaches"),
        (
            "large_breach_enough_data_detection_within_2",
            "large_with_enough_data_detected_within_2",
            "large_with_enough_data",
        ),
        ("large_breach_detectable_detection_within_2", "large_detectable_detected_within_2", "large_detectable"),
    ):
        tot = {rule: [0, 0] for rule in RULES}
        for entry in out["degraded"].values():
            for rule in RULES:
                tot[rule][0] += entry[rule][num]
                tot[rule][1] += entry[rule][den]
        out[key] = {r: (a / b if b else None) for r, (a, b) in tot.items()}
        out[key + "_counts"] = {r: [a, b] for r, (a, b) in tot.items()}
    # The most powerful test any rule could use within 2 windows: the two windows pooled (a one-sided
    # z-test on their mean; Neyman-Pearson for a normal mean shift). Its expected detection rate at a
    # given false-alarm rate per check (truth at the SLO) bounds every rule with that rate: at the
    # workbench rule's own rate (both windows' 95 % intervals beyond the limit, 0.025^2, or one window
    # beyond by its half-width, 4.4e-5) and at a lenient 2.5 % per check.
    from scipy.stats import norm

    shifts = [
        r["truth"]["excess_se"]
        for r in degraded
        if r["truth"].get("large_breach") and r["truth"].get("enough_data") and r["truth"].get("excess_se") is not None
    ]
    sizes = {"workbench_rule": 0.025**2 + float(norm.sf(2 * norm.ppf(0.975))), "lenient": 0.025}
    out["large_breach_enough_data_best_test_power"] = {
        "test": "the two windows pooled, one-sided z-test",
        "cases": len(shifts),
        "excess_in_window_standard_errors": sorted(round(d, 2) for d in shifts),
        "by_size": {
            name: {
                "false_alarm_per_check": a,
                "expected_detected": sum(float(norm.cdf(d * 2**0.5 - norm.isf(a))) for d in shifts),
            }
            for name, a in sizes.items()
        },
    }
    delays = {}
    for rule in RULES:
        ds = [
            next((i for i, x in enumerate(r["fired"][rule]) if x), None) for r in degraded if r["truth"].get("breach")
        ]
        ds = [d for d in ds if d is not None]
        delays[rule] = statistics.mean(ds) if ds else None
    out["mean_delay_breaches_windows"] = delays
    wb = out["healthy"]["workbench"]["per_100_days"]
    out["targets_met"] = {
        "at_most_1_false_per_100_days": wb is not None and wb <= 1.0,
        "95pct_large_breaches_with_enough_data_within_2_windows": (
            out["large_breach_enough_data_detection_within_2"]["workbench"] or 0
        )
        >= 0.95,
        "95pct_large_detectable_breaches_within_2_windows": (
            out["large_breach_detectable_detection_within_2"]["workbench"] or 0
        )
        >= 0.95,
        "delay_no_worse_than_prometheus": (
            delays["workbench"] is not None
            and delays["prometheus_for2"] is not None
            and delays["workbench"] <= delays["prometheus_for2"] + 1e-9
        ),
    }
    return out


def _days_by_kind(healthy: list[dict]) -> dict:
    """Healthy deployment-days on which each trigger kind said "review due" (a day can count twice)."""
    out: dict = {}
    for r in healthy:
        ks = r["workbench_kinds"]
        for d in range(len(ks) // PER_DAY):
            for kind in sorted({k for w in ks[d * PER_DAY : (d + 1) * PER_DAY] for k in w}):
                out[kind] = out.get(kind, 0) + 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (a few deployments)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    t0 = time.perf_counter()
    days = 4
    n_healthy = 6 if args.quick else 52  # x 4 days = 208 healthy deployment-days
    n_each = 2 if args.quick else 14  # degraded deployments per kind
    smaa, boot = (300, 30) if args.quick else (1000, 100)
    jobs = [(1000 + i, None, days, smaa, boot) for i in range(n_healthy)]
    jobs += [(5000 + 100 * k + i, kind, 2, smaa, boot) for k, kind in enumerate(KINDS) for i in range(n_each)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(evaluate, jobs))
    healthy = [r for r in results if r["kind"] is None]
    degraded = [r for r in results if r["kind"] is not None]
    out = {
        "quick": args.quick,
        "days_per_healthy_deployment": days,
        "window_hours": WINDOW_H,
        "n_healthy_deployments": n_healthy,
        "n_degraded_per_kind": n_each,
        "smaa_samples": smaa,
        "bootstrap": boot,
        "level": 0.95,
        "for_windows": 2,
        "cpus": os.cpu_count(),
        **summarise(healthy, degraded, days),
        "false_alarm_kinds": sorted({k for r in healthy for ks in r["workbench_kinds"] for k in ks}),
        "false_alarm_days_by_kind": _days_by_kind(healthy),
        "traffic_per_day": [min(r["traffic_per_day"] for r in results), max(r["traffic_per_day"] for r in results)],
        "versions": [min(r["n_versions"] for r in results), max(r["n_versions"] for r in results)],
    }
    out["total_benchmark_s"] = time.perf_counter() - t0
    from workbench._io import atomic_write_text

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(out, indent=1, default=float) + "\n")
    print(
        json.dumps(
            {
                k: out[k]
                for k in (
                    "healthy",
                    "false_alarm_days_by_kind",
                    "large_breach_detection_within_2",
                    "large_breach_enough_data_detection_within_2",
                    "large_breach_detectable_detection_within_2",
                    "mean_delay_breaches_windows",
                    "targets_met",
                )
            },
            indent=1,
            default=float,
        )
    )
    print(f"wrote {RESULTS} in {out['total_benchmark_s']:.0f} s")


if __name__ == "__main__":
    main()
