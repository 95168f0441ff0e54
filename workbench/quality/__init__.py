"""Declare what "better" means: objectives, hard constraints, stakeholder weights."""

from workbench.quality.attributes import ATTRIBUTES, TACTIC_IMPACT, prior_relation
from workbench.quality.model import METHODS, QualityModel
from workbench.quality.objective import AGGREGATIONS, Constraint, Objective

__all__ = [
    "ATTRIBUTES",
    "AGGREGATIONS",
    "METHODS",
    "TACTIC_IMPACT",
    "Constraint",
    "Objective",
    "QualityModel",
    "prior_relation",
]
