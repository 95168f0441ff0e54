"""`export mlflow` against an unreachable tracking server fails within seconds with the MLflow
reader's message (it used to retry with MLflow's defaults for minutes, then show a traceback)."""

from __future__ import annotations

import socket

import pytest

from workbench.decisions import DecisionRecord
from workbench.errors import SourceUnreachableError

pytest.importorskip("mlflow")


@pytest.mark.slow
def test_mlflow_alias_fails_fast_on_a_closed_port():
    from workbench.decisions.pushdown import mlflow_alias

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        SourceUnreachableError,
        match=rf"(?s)'http://127.0.0.1:{port}'.*Fix: .*"
        r"WORKBENCH_MLFLOW_TIMEOUT",
    ):
        mlflow_alias(DecisionRecord(chosen="a", candidates=("a",)), f"http://127.0.0.1:{port}", "m", version=1)
