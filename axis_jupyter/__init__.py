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

# Inline views, each usable without the magic: ``axis_jupyter.Scorecard(ds)``.
# Imported lazily so ``import axis_jupyter`` stays light (no widget stack for scripts).
_VIEWS = {
    "Scorecard": ("views.scorecard", "Scorecard"),
    "DeepDive": ("views.deepdive", "DeepDiveView"),
    "Compare": ("views.compare", "CompareView"),
    "Monitor": ("views.monitor", "Monitor"),
    "Production": ("views.production", "Production"),
    "Runner": ("views.runner", "Runner"),
    "Database": ("views.database", "DatabaseView"),
}

__all__ = ["AxisError", "Dataset", "IngestError", "LocalStore", "NotFoundError", "QueryError",
           "RemoteStore", "Store", "StoreLockedError", "connect", "load_ipython_extension",
           "open_local", *_VIEWS]


def __getattr__(name: str):
    if name in _VIEWS:
        import importlib

        module, cls = _VIEWS[name]
        return getattr(importlib.import_module(f".{module}", __name__), cls)
    raise AttributeError(f"module 'axis_jupyter' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """``%load_ext axis_jupyter`` registers the ``%axis`` magic."""
    from .magic import AxisMagic

    magic = AxisMagic(shell=ipython)
    ipython.register_magics(magic)

