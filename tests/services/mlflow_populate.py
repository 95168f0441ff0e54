"""Write runs into an MLflow tracking database, for the tests and the benchmark.

Run it with the Python that has the MLflow the *server* uses (its store schema must be the
server's): ``python tests/services/mlflow_populate.py sqlite:///server.db EXPERIMENT N SEEDS [--gappy]
[--mixed]``. Candidate ``c<i>`` has ``SEEDS`` runs tagged ``candidate=c<i>`` and ``seed=<s>``
with metrics ``acc`` and ``latency_ms`` drawn from a seeded generator; ``--gappy`` leaves
``latency_ms`` out of seed 1 of candidate ``c0``; ``--mixed`` logs one more run without the
``candidate`` tag.
"""

from __future__ import annotations

import random
import sys
import time


def main(argv: list[str]) -> None:
    import mlflow
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    uri, experiment, n, seeds = argv[0], argv[1], int(argv[2]), int(argv[3])
    gappy, mixed = "--gappy" in argv, "--mixed" in argv
    client = MlflowClient(tracking_uri=uri)
    mlflow.set_tracking_uri(uri)
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    rng = random.Random(0)
    now = int(time.time() * 1000)
    for i in range(n):
        for s in range(seeds):
            run = client.create_run(exp_id, run_name=f"c{i}-s{s}", start_time=now + i * seeds + s)
            metrics = [Metric("acc", 0.7 + 0.2 * rng.random(), now, 0)]
            if not (gappy and i == 0 and s == 1):
                metrics.append(Metric("latency_ms", 10 + 90 * rng.random(), now, 0))
            client.log_batch(
                run.info.run_id,
                metrics=metrics,
                params=[Param("depth", str(i % 7))],
                tags=[RunTag("candidate", f"c{i}"), RunTag("seed", str(s))],
            )
            client.set_terminated(run.info.run_id, end_time=now + 1)
    if mixed:
        run = client.create_run(exp_id, run_name="untagged-run", start_time=now)
        client.log_batch(run.info.run_id, metrics=[Metric("acc", 0.5, now, 0), Metric("latency_ms", 5, now, 0)])
        client.set_terminated(run.info.run_id)


if __name__ == "__main__":
    main(sys.argv[1:])
