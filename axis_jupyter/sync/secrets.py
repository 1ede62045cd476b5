"""Which environment variables a source may read its password from.

A source names its password's variable (``password_env: VAR``); anyone allowed to write
sources can also choose the host the password is sent to, so the variable must be one meant
for database passwords:

* it matches a pattern of :data:`DEFAULT_ALLOW` (``AXIS_SOURCE_*``, ``*_PASSWORD``, ``PG*``)
  or of the server's ``AXIS_SOURCE_ENV_ALLOW`` (comma-separated shell patterns, matched
  case-sensitively), and
* it is never one of the server's own secrets (:data:`NEVER`: its kernel token, Jupyter and
  JupyterHub tokens, the LLM key), whatever the allow-list says.

The allow-list is read from this process's environment only: no request can change it.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase

ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_ALLOW = ("AXIS_SOURCE_*", "*_PASSWORD", "PG*")
ALLOW_VAR = "AXIS_SOURCE_ENV_ALLOW"
NEVER = ("AXIS_SERVER_*", "JUPYTER_*", "JUPYTERHUB_*", "JPY_*", "ANTHROPIC_*")


def allow_patterns() -> tuple[str, ...]:
    """The default patterns plus those of ``$AXIS_SOURCE_ENV_ALLOW``."""
    extra = [p.strip() for p in os.environ.get(ALLOW_VAR, "").split(",") if p.strip()]
    return DEFAULT_ALLOW + tuple(extra)


def refusal(name: object) -> str | None:
    """Why a source may not read variable ``name`` (a phrase to follow the key), or None."""
    if not isinstance(name, str) or not ENV_NAME_RE.fullmatch(name):
        return f"must be an environment variable name (got {name!r})."
    if any(fnmatchcase(name, p) for p in NEVER):
        return (f"names {name}, one of the server's own secrets ({', '.join(NEVER)}); a source "
                "cannot use it. Put the database password in a variable such as "
                "AXIS_SOURCE_<NAME>_PASSWORD.")
    allow = allow_patterns()
    if not any(fnmatchcase(name, p) for p in allow):
        return (f"names {name}, which sources may not read: use a variable matching "
                f"{', '.join(allow)} (the server's {ALLOW_VAR} can allow more patterns).")
    return None
