"""Who is labelling: the annotator name.

In Python (and the magic) the default annotator is the Jupyter user: JupyterHub's user name
when the process runs under a hub (``JUPYTERHUB_USER``), else the operating-system user.
Over HTTP the server decides (``axis_jupyter_server.handlers_alignment``): the
authenticated user, never a field of the request.
"""

from __future__ import annotations

import getpass
import os
from contextlib import contextmanager
from contextvars import ContextVar

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


# Who the current call acts for, when a face decided it (the server extension sets the
# authenticated user around a view action it runs); unset: the default annotator.
_ACTING: ContextVar[str | None] = ContextVar("axis_acting_user", default=None)


@contextmanager
def acting_as(name: str | None):
    """Within the block, :func:`current_annotator` is ``name`` (None: the default)."""
    token = _ACTING.set(name)
    try:
        yield
    finally:
        _ACTING.reset(token)


def current_annotator() -> str:
    """The user the current call acts for: set by :func:`acting_as`, else the default."""
    return _ACTING.get() or default_annotator()
