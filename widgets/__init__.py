"""Interactive trade-off widgets for Jupyter, composed over the ``workbench`` engine.

This package is the only place that imports ipywidgets or IPython; ``workbench`` never imports it.
Each widget wraps the engine's pure objects, keeps its state in traitlets and hands its results
back as plain values::

    SourceLoader ──> TradeoffExplorer(candidates, model) ──> .quality_model, .selected, .analysis
                          │                 ▲
                          ▼                 │ adopt(analysis with SMAA)
                     DecisionRecorder   SensitivityPanel

Charts come from ``workbench.views``; the explorer keeps its Pareto view drawn and updates its rows in
place (``widgets._vega.LiveChart``). Vega comes from vl-convert, never a CDN.

>>> import widgets
>>> widgets.__all__
['DecisionRecorder', 'MonitoringBoard', 'SensitivityPanel', 'SourceLoader', 'TradeoffExplorer']
"""

from widgets.explorer import TradeoffExplorer
from widgets.loader import SourceLoader
from widgets.monitoring import MonitoringBoard
from widgets.recorder import DecisionRecorder
from widgets.sensitivity import SensitivityPanel

__all__ = ["DecisionRecorder", "MonitoringBoard", "SensitivityPanel", "SourceLoader", "TradeoffExplorer"]
