"""AXIS for Jupyter: analytics for AI/LLM evaluation data, inside Jupyter.

    import axis_jupyter
    axis = axis_jupyter.connect()          # the shared store (or ":memory:")
    ds = axis.load("results.csv")          # CSV, Parquet, JSON lines or a frame
    ds.summary()                           # metric_name, count, mean, std, min, max, pass_rate

In a notebook: ``%load_ext axis_jupyter`` then ``%axis help``.
"""

from __future__ import annotations

from .errors import AxisError, IngestError, NotFoundError, QueryError, StoreLockedError
from .store import Dataset, Store
from .workbench import LocalStore, RemoteStore, connect, open_local

__version__ = "0.1.0"

# Inline views, each usable without the magic: ``axis_jupyter.Scorecard(ds)``. Loaded on
# first use: ``import axis_jupyter`` must not import the widget stack (IPython, anywidget).
_VIEWS = {
    "Scorecard": "Scorecard",
    "DeepDive": "DeepDive",
    "Compare": "Compare",
    "Monitor": "Monitor",
    "Production": "Production",
    "Signals": "Signals",
    "Runner": "Runner",
    "Datasets": "Datasets",
    "Database": "Database",
    "Annotate": "Annotate",
    "Calibrate": "Calibrate",
    "Copilot": "Copilot",
    "Report": "Report",
    "RulesDashboard": "RulesDashboard",
    "GraphExplorer": "GraphExplorer",
    # the first names of three views, kept for notebooks that use them
    "DeepDiveView": "DeepDive",
    "CompareView": "Compare",
    "DatabaseView": "Database",
}

__all__ = ["AxisError", "Dataset", "IngestError", "LocalStore", "NotFoundError", "QueryError",
           "RemoteStore", "Store", "StoreLockedError", "connect", "load_ipython_extension",
           "open_local", *_VIEWS]


def __getattr__(name: str):
    if name in _VIEWS:
        from .notebook import widgets

        return getattr(widgets, _VIEWS[name])
    raise AttributeError(f"module 'axis_jupyter' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """``%load_ext axis_jupyter`` registers the ``%axis`` magic."""
    from .notebook import load_ipython_extension as load

    load(ipython)
