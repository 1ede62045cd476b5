"""Who is labelling: the annotator name.

In Python (and the magic) the default annotator is the Jupyter user: JupyterHub's user name
when the process runs under a hub (``JUPYTERHUB_USER``), else the operating-system user.
Over HTTP the server decides (``axis_jupyter_server.handlers_alignment``): the
authenticated user, never a field of the request.
"""

from __future__ import annotations

import getpass
import os

from ..errors import ParameterError

MAX_NAME = 128


def default_annotator() -> str:
    """``$JUPYTERHUB_USER`` if set, else the OS user (``"unknown"`` if neither is known)."""
    hub = (os.environ.get("JUPYTERHUB_USER") or "").strip()
    if hub:
        return hub
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # noqa: BLE001 - no passwd entry (some containers)
        return os.environ.get("USER") or "unknown"


def check_annotator(name: object, param: str = "annotator") -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or "\x00" in name:
        raise ParameterError(f"{param} must be a non-empty name of at most {MAX_NAME} "
                             "characters.", param=param)
    return name.strip()
