"""Settings shared by the Python API, the magic and the server extension.

Resolution order for each value: explicit argument > environment variable > default.
Secrets (database passwords, API keys) are read from the environment only and are never
written to config files, logs or notebooks.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = Path("~/.axis")


def axis_home() -> Path:
    """Folder for the default store and YAML config (``$AXIS_HOME`` or ``~/.axis``)."""
    return Path(os.environ.get("AXIS_HOME", str(DEFAULT_HOME))).expanduser()


def default_store_path() -> str:
    """``$AXIS_STORE`` if set, else ``~/.axis/axis.duckdb``."""
    env = os.environ.get("AXIS_STORE")
    if env:
        return env if env == ":memory:" else str(Path(env).expanduser())
    return str(axis_home() / "axis.duckdb")


def config_dir() -> Path:
    """Folder of the YAML config files (sources, thresholds, themes)."""
    return Path(os.environ.get("AXIS_CONFIG_DIR", str(axis_home() / "config"))).expanduser()


def query_concurrency() -> int:
    """Size of the worker pool that runs DuckDB reads (bounded limiter)."""
    try:
        return max(1, int(os.environ.get("AXIS_QUERY_CONCURRENCY", "8")))
    except ValueError:
        return 8


DEFAULT_QUERY_TIMEOUT = 60.0


def query_timeout() -> float:
    """Seconds one read of the embedded store may run before DuckDB interrupts it
    (``AXIS_QUERY_TIMEOUT``, default 60; 0 means no limit). The server extension has its own
    setting, ``AxisExtension.query_timeout``."""
    raw = os.environ.get("AXIS_QUERY_TIMEOUT", "")
    try:
        return max(0.0, float(raw)) if raw.strip() else DEFAULT_QUERY_TIMEOUT
    except ValueError:
        return DEFAULT_QUERY_TIMEOUT


# Thresholds shared by every view (reference: PASSING_RATE 0.5, GREEN 0.7, RED 0.3).
PASS_THRESHOLD = 0.5
GOOD_THRESHOLD = 0.7
RED_THRESHOLD = 0.3
