"""Stores: the interface (base), the embedded DuckDB store (local) and ``connect``."""

from __future__ import annotations

from .base import Dataset, Store
from .local import LocalStore

__all__ = ["Dataset", "LocalStore", "Store", "connect"]


def connect(path: str | None = None, *, concurrency: int | None = None) -> Store:
    """Open the AXIS store.

    ``path=None``: the shared store — the Jupyter server's when this process was started by
    a server running the AXIS extension, else ``$AXIS_STORE``, else ``~/.axis/axis.duckdb``.
    ``":memory:"`` gives a throwaway store. Any other path opens that DuckDB file here.
    """
    if path is None:
        from . import remote_hook

        remote = remote_hook.find_server()
        if remote is not None:
            return remote
    return LocalStore(path, concurrency=concurrency)
