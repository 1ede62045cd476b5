"""What every judge provider shares: its errors and defaults, the verdict cache, the verdict schema check and the
rate-limit headers that say how long to wait.

Kept apart from the providers so the Anthropic and OpenAI-compatible judges compute the
same cache key for the same question, check verdicts with the same rules and honour the
same headers.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from ..errors import AxisError

PROVIDERS = ("anthropic", "openai", "azure")
DEFAULT_MODELS = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-4o", "azure": "gpt-4o"}
DEFAULT_MODEL = DEFAULT_MODELS["anthropic"]
DEFAULT_AZURE_API_VERSION = "2024-10-21"


class LLMError(AxisError):
    """Base class for judge-client errors (user-facing: missing key, failed calls)."""


class LLMNotConfigured(LLMError):
    """No API key: raised when a Judge is built, before any request is sent."""


class JudgeError(LLMError):
    """A judge call failed for good (retries exhausted, bad request, unusable output)."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 0):
        super().__init__(message)
        self.status = status
        self.attempts = attempts


NOT_CONFIGURED_MESSAGE = (
    "Set ANTHROPIC_API_KEY to use LLM-judged metrics (optionally ANTHROPIC_BASE_URL for a "
    "proxy and AXIS_JUDGE_MODEL for the model, default " + DEFAULT_MODEL + "). "
    "Heuristic metrics work without it."
)


def not_configured_message(provider: str) -> str:
    """What to set to use ``provider``'s judges (raised as ``LLMNotConfigured``)."""
    if provider == "anthropic":
        return NOT_CONFIGURED_MESSAGE
    if provider == "openai":
        return ("Set OPENAI_API_KEY to use LLM-judged metrics with provider openai (optionally "
                "OPENAI_BASE_URL for Azure-style proxies, vLLM or Ollama, and AXIS_JUDGE_MODEL for "
                "the model, default " + DEFAULT_MODELS["openai"] + "). Heuristic metrics work "
                "without it.")
    return ("Set AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT (and OPENAI_API_VERSION, default "
            + DEFAULT_AZURE_API_VERSION + ") to use LLM-judged metrics with provider azure; the "
            "model is your deployment's name. Heuristic metrics work without it.")


# ---------------------------------------------------------------------------------
def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(metric_key: str, metric_version: str, model: str, prompt: str, item_content: str) -> str:
    """Content address of one judge call: changing any part misses the cache."""
    return sha(json.dumps([metric_key, metric_version, model, sha(prompt), sha(item_content)]))


class JudgeCache:
    """In-memory dict in front of an optional SQLite file.

    SQLite (not DuckDB) because the store's DuckDB file has a single writer process,
    while a verdict cache may be shared by kernels and the server at the same time.
    """

    def __init__(self, path: str | Path | None = None):
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.path = Path(path).expanduser() if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.execute("CREATE TABLE IF NOT EXISTS judge_cache (key TEXT PRIMARY KEY, "
                            "value TEXT NOT NULL, created REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._memory.get(key)
        if hit is not None or self.path is None:
            return hit
        with self._connect() as con:
            row = con.execute("SELECT value FROM judge_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        with self._lock:
            self._memory[key] = value
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._memory[key] = value
        if self.path is not None:
            with self._connect() as con:
                con.execute("INSERT OR REPLACE INTO judge_cache VALUES (?, ?, ?)",
                            (key, json.dumps(value), time.time()))

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
        if self.path is not None:
            with self._connect() as con:
                con.execute("DELETE FROM judge_cache")

    def __len__(self) -> int:
        return len(self._memory)


# ---------------------------------------------------------------------------------
# output checking
# ---------------------------------------------------------------------------------
_JSON_TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool,
               "array": list, "object": dict}


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """A small JSON-schema check (type, required, properties, items, enum) — enough to
    reject a malformed verdict before a formula reads it."""
    errors: list[str] = []
    typ = schema.get("type")
    if typ:
        expected = _JSON_TYPES.get(typ)
        bad_bool = typ in ("number", "integer") and isinstance(value, bool)
        if expected and (not isinstance(value, expected) or bad_bool):
            return [f"{path}: expected {typ}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for req in schema.get("required", []):
            if req not in value:
                errors.append(f"{path}: missing {req!r}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                errors.extend(schema_errors(value[name], sub, f"{path}.{name}"))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errors.extend(schema_errors(v, schema["items"], f"{path}[{i}]"))
    return errors


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``retry-after`` as seconds or HTTP date."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _reset_seconds(value: str) -> float | None:
    """A reset header's wait: OpenAI's durations (``20ms``, ``1s``, ``6m0s``), plain seconds,
    or Anthropic's RFC 3339 time of the reset."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(value)
    if parts and "".join(n + u for n, u in parts) == value:
        return sum(float(n) * _UNIT[u] for n, u in parts)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def rate_limit_wait(headers: Mapping[str, str] | None) -> float | None:
    """How long a rate-limited reply asks us to wait: ``retry-after`` when sent, else the
    reset time of the exhausted limit (``x-ratelimit-reset-requests``/``-tokens`` of OpenAI
    and compatible servers, ``anthropic-ratelimit-*-reset``). None: nothing said."""
    wait = parse_retry_after(headers)
    if wait is not None or not headers:
        return wait
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    waits: list[float] = []
    for key, value in lower.items():
        if not key.endswith("-reset") and "-reset-" not in key:
            continue
        remaining_key = key.replace("-reset", "-remaining")
        if remaining_key in lower and lower[remaining_key].strip() not in ("0", "0.0"):
            continue  # that limit is not the one we hit
        seconds = _reset_seconds(value)
        if seconds is not None:
            waits.append(seconds)
    return max(waits) if waits else None
