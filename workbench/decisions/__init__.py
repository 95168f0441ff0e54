"""Decisions: records, the append-only decision log, MADR export and push-down artefacts.

The flow::

    Analysis / review summary.json
          --> DecisionRecord (record.py)  --> to_madr() (MADR 4.0 Markdown)
          --> DecisionLog.append() (log.py: SQLite file or any SQLAlchemy URL, append-only)
          --> pushdown.py: MLflow alias + tags, CI gate, Prometheus rules, Optuna directions

SQLAlchemy (the log), MLflow and Optuna are imported only when used.
"""

from workbench.decisions.record import STATUSES, DecisionRecord, render_madr

__all__ = [
    "DecisionRecord",
    "DecisionLog",
    "STATUSES",
    "GateResult",
    "gate",
    "render_madr",
    "mlflow_alias",
    "prometheus_rules",
    "optuna_directions",
    "constraints_func",
    "constraint_values",
    "set_constraints",
]

_LAZY = {
    "DecisionLog": "workbench.decisions.log",
    "GateResult": "workbench.decisions.pushdown",
    "gate": "workbench.decisions.pushdown",
    "mlflow_alias": "workbench.decisions.pushdown",
    "prometheus_rules": "workbench.decisions.pushdown",
    "optuna_directions": "workbench.decisions.pushdown",
    "constraints_func": "workbench.decisions.pushdown",
    "constraint_values": "workbench.decisions.pushdown",
    "set_constraints": "workbench.decisions.pushdown",
}


def __getattr__(name: str):
    # The log needs SQLAlchemy; import it (and the push-down helpers) on first use.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'workbench.decisions' has no attribute {name!r}")
