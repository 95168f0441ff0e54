"""Reviews: papermill templates, the runner, the decision memo.

The flow::

    template notebook (templates/*.ipynb, annotated parameters)
        --> run_review() (runner.py: validate, papermill, render; outputs.py: the set, staged and committed)
        --> summary.json (review.py: analysis + decision + provenance + views)
        --> memo.html (memo.py: summary -> Jinja2 -> one offline HTML page) and decision.md (MADR)

Needs the ``reports`` extra (papermill, jinja2, vl-convert-python, altair).
"""

from workbench.reports.memo import Memo, render_memo
from workbench.reports.outputs import OutputSet, ReviewError, ReviewOutputsError, check_outputs, recover_outputs
from workbench.reports.runner import (
    ParameterError,
    ReviewFailed,
    ReviewResult,
    available_templates,
    run_review,
    template_parameters,
    template_path,
    validate_parameters,
)

__all__ = [
    "Memo",
    "OutputSet",
    "ParameterError",
    "ReviewError",
    "ReviewFailed",
    "ReviewOutputsError",
    "ReviewResult",
    "available_templates",
    "check_outputs",
    "recover_outputs",
    "render_memo",
    "run_review",
    "template_parameters",
    "template_path",
    "validate_parameters",
]
