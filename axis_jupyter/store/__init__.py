"""Stores: the interface (base), the embedded DuckDB store (local) and ``connect``."""

from __future__ import annotations

from .base import Dataset, Store
from .local import LocalStore, live_store

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
    return open_local(path, concurrency=concurrency)


_OPEN: dict[str, LocalStore] = {}


def open_local(path: str | None = None, *, concurrency: int | None = None) -> LocalStore:
    """One LocalStore per file per process, so the magic and ``connect()`` share metadata."""
    from pathlib import Path

    from .. import config

    path = str(path) if path is not None else config.default_store_path()
    if path == ":memory:":
        return LocalStore(path, concurrency=concurrency)
    key = str(Path(path).expanduser().resolve())
    store = _OPEN.get(key)
    if store is None or store._closed:
        # A store this process opened directly (the server's own) is the one on this file.
        store = _OPEN[key] = live_store(key) or LocalStore(key, concurrency=concurrency)
    return store
