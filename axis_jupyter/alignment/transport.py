"""Where alignment work runs: on this process's store, or on the Jupyter server's.

A :class:`~axis_jupyter.store.local.LocalStore` is written directly (``store.write``).
A :class:`~axis_jupyter.store.remote.RemoteStore` (a kernel of a server running the AXIS
extension) is reached through the server's ``axis/api/alignment/...`` routes, so every
notebook of that server reads and writes the same tables, and the server — not the
kernel — decides who the annotator is.
"""

from __future__ import annotations

from typing import Any

from ..store.remote import RemoteStore


def is_remote(store) -> bool:
    return isinstance(store, RemoteStore)


def call(store: RemoteStore, method: str, *path: str, **kw) -> Any:
    """``method`` on ``alignment/<path...>`` of the server; the JSON answer."""
    return store.request_json(method, "alignment", *(str(p) for p in path), **kw)
