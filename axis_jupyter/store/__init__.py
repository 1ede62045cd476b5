"""Stores: the interface (base), datasets (dataset), the embedded DuckDB store (local) and
the Jupyter server's store over HTTP (remote). ``axis_jupyter.connect`` opens one."""

from __future__ import annotations

from .base import Store
from .dataset import Dataset
from .local import LocalStore

__all__ = ["Dataset", "LocalStore", "Store"]
