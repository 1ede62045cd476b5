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


def memory_limit() -> str | None:
    """DuckDB's ``memory_limit`` for the store (``AXIS_MEMORY_LIMIT``, e.g. ``4GB``; unset:
    DuckDB's default, 80% of the machine's RAM). DuckDB keeps the pages a load or sync wrote
    cached up to this limit, so on a shared JupyterHub host set it per user."""
    raw = os.environ.get("AXIS_MEMORY_LIMIT", "").strip()
    return raw or None


def summaries_enabled() -> bool:
    """False when ``AXIS_SUMMARIES`` is ``off`` (or 0, false, no): every analytic then reads
    the raw rows, as with ``exact=True`` on each call (to compare the two paths, or to rule
    the summaries out when a number looks wrong). Summaries are still built and kept."""
    return os.environ.get("AXIS_SUMMARIES", "").strip().lower() not in ("off", "0", "false", "no")


# Thresholds shared by every view (reference: PASSING_RATE 0.5, GREEN 0.7, RED 0.3).
PASS_THRESHOLD = 0.5
GOOD_THRESHOLD = 0.7
RED_THRESHOLD = 0.3


# LLM prices, USD per million tokens (input, output), by provider and model-name prefix (the
# longest matching prefix wins). Token counts come from each reply's usage; a run's cost is
# tokens x these prices. Override or extend them with ``$AXIS_LLM_PRICES`` (JSON) or
# ``<config dir>/llm_prices.yaml``, both shaped like this table; unknown models cost 0.
LLM_PRICES: dict[str, dict[str, tuple[float, float]]] = {
    "anthropic": {
        "claude-opus-4-5": (5.0, 25.0),
        "claude-opus-4": (15.0, 75.0),
        "claude-sonnet-4": (3.0, 15.0),
        "claude-3-7-sonnet": (3.0, 15.0),
        "claude-3-5-sonnet": (3.0, 15.0),
        "claude-haiku-4-5": (1.0, 5.0),
        "claude-3-5-haiku": (0.8, 4.0),
        "claude-3-haiku": (0.25, 1.25),
    },
    "openai": {
        "gpt-4o-mini": (0.15, 0.6),
        "gpt-4o": (2.5, 10.0),
        "gpt-4.1-nano": (0.1, 0.4),
        "gpt-4.1-mini": (0.4, 1.6),
        "gpt-4.1": (2.0, 8.0),
        "o3-mini": (1.1, 4.4),
        "o3": (2.0, 8.0),
        "o1-mini": (1.1, 4.4),
        "o1": (15.0, 60.0),
    },
}
LLM_PRICES["azure"] = LLM_PRICES["openai"]  # Azure deployments are named by the user; same models


def llm_prices(provider: str) -> dict[str, tuple[float, float]]:
    """The price table of ``provider``: the defaults, then the file, then the variable."""
    import json

    table = dict(LLM_PRICES.get(provider, {}))
    overrides: list[dict] = []
    path = config_dir() / "llm_prices.yaml"
    if path.is_file():
        import yaml

        try:
            overrides.append(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError):
            pass  # a broken price file costs nothing but the prices; never a failed run
    raw = os.environ.get("AXIS_LLM_PRICES", "").strip()
    if raw:
        try:
            overrides.append(json.loads(raw))
        except ValueError:
            pass
    for extra in overrides:
        for prefix, pair in (extra.get(provider) or {}).items() if isinstance(extra, dict) else ():
            try:
                table[str(prefix)] = (float(pair[0]), float(pair[1]))
            except (TypeError, ValueError, IndexError, KeyError):
                continue
    return table
