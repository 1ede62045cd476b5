"""Safe parsing of JSON-ish text columns (signals, metadata, retrieved_content, conversation).

Real exports hold JSON, Python literals (``{'a': True, 'b': None}``), bare strings or NaN.
We never ``eval``: JSON first, then ``ast.literal_eval`` (literals only) with a size cap,
then the text itself. Parsing happens only for the rows a view shows, never per row on
ingest, so a million-row load does not pay for it.
"""

from __future__ import annotations

import ast
import json
import math
from typing import Any

MAX_LITERAL_CHARS = 1_000_000  # literal_eval on huge strings is slow and deeply recursive


def parse_jsonish(value: Any) -> Any:
    """Parse one cell; return the original value when it is not a JSON/Python literal."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    if text[0] not in "[{\"'" and text not in ("null", "None", "true", "false", "True", "False"):
        return value
    try:
        return json.loads(text)
    except ValueError:
        pass
    if len(text) > MAX_LITERAL_CHARS:
        return value
    try:
        return _json_safe(ast.literal_eval(text))
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return value


def _json_safe(obj: Any) -> Any:
    """Turn tuples/sets into lists and NaN into None so the result serialises as JSON."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return obj


def as_list(value: Any) -> list:
    """A list-valued cell (``retrieved_content``) as a list: scalars become one-element lists."""
    parsed = parse_jsonish(value)
    if parsed is None:
        return []
    if isinstance(parsed, list):
        return parsed
    return [parsed]


def parse_container(value: Any) -> dict | list | None:
    """A cell that holds an object or a list (JSON or Python-literal text, or the object
    itself) as JSON-safe Python; ``None`` for anything else (scalars, bad text)."""
    parsed = parse_jsonish(value)
    return _json_safe(parsed) if isinstance(parsed, (dict, list)) else None
