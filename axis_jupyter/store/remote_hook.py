"""Finds the Jupyter server that owns the shared store (filled in by the server extension).

Kernels started by a server running the AXIS extension inherit ``AXIS_SERVER_URL`` and
``AXIS_SERVER_TOKEN``. Until the remote store exists this returns None, so ``connect()``
opens the embedded store.
"""

from __future__ import annotations

import os


def find_server():
    if not os.environ.get("AXIS_SERVER_URL"):
        return None
    try:
        from .remote import RemoteStore
    except ImportError:  # remote store not available in this build
        return None
    return RemoteStore.from_env()
