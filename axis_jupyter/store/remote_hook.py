"""Finds the Jupyter server that owns the shared store (filled in by the server extension).

Kernels started by a server running the AXIS extension inherit ``AXIS_SERVER_URL`` and
``AXIS_SERVER_TOKEN``; under JupyterHub ``JUPYTERHUB_SERVICE_URL`` and
``JUPYTERHUB_API_TOKEN`` work too. When no server answers, this returns None and
``connect()`` opens the embedded store.
"""

from __future__ import annotations

import os


def find_server():
    hub = os.environ.get("JUPYTERHUB_SERVICE_URL") and os.environ.get("JUPYTERHUB_API_TOKEN")
    if not os.environ.get("AXIS_SERVER_URL") and not hub:
        return None
    try:
        from .remote import RemoteStore
    except ImportError:  # remote store not available in this build
        return None
    return RemoteStore.from_env()
