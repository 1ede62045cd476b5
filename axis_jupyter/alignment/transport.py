"""Where alignment work runs: on this process's store, or on the Jupyter server's.

A :class:`~axis_jupyter.store.local.LocalStore` is written directly (``store.write``).
A remote store (a kernel of a server running the AXIS extension) is reached through the
server's ``axis/api/alignment/...`` routes, so every notebook of that server reads and
writes the same tables, and the server — not the kernel — decides who the annotator is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def is_remote(store) -> bool:
    return not hasattr(store, "write") and (hasattr(store, "request_json") or hasattr(store, "_json"))


def call(store, method: str, *path: str, **kw) -> Any:
    """``method`` on ``alignment/<path...>`` of the server; the JSON answer."""
    parts = ("alignment",) + tuple(str(p) for p in path)
    if hasattr(store, "request_json"):
        return store.request_json(method, *parts, **kw)
    return store._json(method, "/".join(quote(p, safe="") for p in parts), **kw)


def follow_job(store, job_id: str, on_event=None) -> dict:
    """Wait for a server job, passing its events on; its final dict (raises if it failed)."""
    return store.wait_job(job_id, on_event=on_event)
