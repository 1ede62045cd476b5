"""Checks of one value of a source's YAML; each error names the file, section and key."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConfigError
from . import secrets
from .sqltext import strip_sql_literals

IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


def check_secret_env(name: Any, where: str, key: str = "password_env") -> str:
    """``name`` if a source may read its password from that variable (see
    :mod:`.secrets`), else a ConfigError naming ``key``."""
    why = secrets.refusal(name)
    if why:
        raise _err(where, key, why)
    return name


def _port(u) -> int | None:
    try:
        return u.port
    except ValueError:
        return None


def _check_url_port(where: str, u) -> None:
    try:
        u.port
    except ValueError:
        raise _err(where, "url", "has a port that is not a number between 0 and 65535.") from None


def _err(where: str, key: str, msg: str) -> ConfigError:
    return ConfigError(f"{where}: key '{key}' {msg}")


def _as_int(where, key, value, lo=None, hi=None, cap=None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _err(where, key, f"must be a number (got {value!r}).")
    try:
        v = int(float(value))
    except ValueError:
        raise _err(where, key, f"must be a number (got {value!r}).") from None
    if lo is not None and v < lo:
        raise _err(where, key, f"must be >= {lo} (got {v}).")
    if hi is not None and v > hi:
        raise _err(where, key, f"must be <= {hi} (got {v}).")
    if cap is not None:
        v = min(v, cap)
    return v


def _as_bool(where, key, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    raise _err(where, key, f"must be true or false (got {value!r}).")


def _ident(where, key, value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not IDENT_RE.match(value):
        raise _err(where, key, f"must be a plain column name (letters, digits, _), got {value!r}.")
    return value


def _query(where, key, value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _err(where, key, "must be SQL text.")
    q = value.strip().rstrip(";").strip()
    if ";" in strip_sql_literals(q):
        raise _err(where, key, "must be a single SELECT statement (found ';').")
    first = q.split(None, 1)[0].upper() if q else ""
    if first not in ("SELECT", "WITH", "TABLE", "VALUES", "("):
        raise _err(where, key, f"must be a SELECT query (starts with {first or 'nothing'!r}).")
    return q
