"""Interactive trade-off widgets for Jupyter, composed over the ``workbench`` engine.

The widgets themselves (TradeoffExplorer, SourceLoader, SensitivityPanel, DecisionRecorder) arrive
with the views; this package is the only place that imports ipywidgets or IPython.
"""

__all__: list[str] = []
