"""The reference's rules for one human-signals row and one case, in plain Python
(reference §2.4, §8.5).

The cases table is built in DuckDB (:mod:`.cases`); Python runs these rules only where SQL
cannot: rows whose ``signals`` are Python-literal text, rows with a category dict or a
string that holds a JSON/Python container, and the one case a detail view shows. Parsing
goes through the project's safe parser (JSON first, then ``ast.literal_eval``; never
``eval``).

* A row's ``signals`` is an object of signal key -> value. A string value that holds an
  object or a list (JSON or Python literal) is read as that object or list.
* The *category dict* form: a value that is a non-empty object whose values are all lists
  of objects, each with a ``name``, stands for its items: every item with a non-empty name
  becomes signal ``name`` = its ``value`` (or its ``score`` when it has no ``value``).
  Later keys of a row overwrite earlier ones of the same name.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..ingest.jsonish import parse_container

# "New support case: ORDER-1" -> "ORDER-1" (reference: the business label of a case).
_CASE_LINE = re.compile(r"New\s+\w+\s+case:\s*(.+?)(?:\n|$)")
LABEL_CHARS = 80
UNKNOWN = "Unknown"


def is_category_dict(value: Any) -> bool:
    """``{category: [{"name": ..., "value": ...}, ...], ...}`` (non-empty; every value a
    list of objects that each have a ``name`` key)."""
    if not isinstance(value, dict) or not value:
        return False
    return all(isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)
               for items in value.values())


def expand(signals: dict) -> dict:
    """One row's signals with string containers parsed and category dicts flattened."""
    out: dict[str, Any] = {}
    for key, value in signals.items():
        if isinstance(value, str):
            parsed = parse_container(value)
            if parsed is not None:
                value = parsed
        if is_category_dict(value):
            for items in value.values():
                for item in items:
                    name = item.get("name")
                    if name:  # items without a name are dropped, as the reference does
                        out[str(name)] = item["value"] if "value" in item else item.get("score")
        else:
            out[str(key)] = value
    return out


def row_signals(cell: Any) -> dict | None:
    """A ``signals`` cell as its expanded object, or None when it is not an object."""
    parsed = parse_container(cell)
    return expand(parsed) if isinstance(parsed, dict) else None


def normalized_json(cell: Any) -> str | None:
    """``signals`` text rewritten as flat JSON (what the SQL build reads), or None."""
    expanded = row_signals(cell)
    if expanded is None:
        return None
    return json.dumps(expanded, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def container_json(cell: Any) -> str | None:
    """A JSON-ish case field (conversation, conversation_stats, additional_input) as JSON
    text when it holds an object or a list, else None."""
    parsed = parse_container(cell)
    if parsed is None:
        return None
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def case_label(content: Any) -> str:
    """The business label of a case from its first message: the text after
    ``New <word> case:``, else the first non-empty line (at most 80 characters)."""
    if not isinstance(content, str) or not content:
        return UNKNOWN
    m = _CASE_LINE.search(content)
    if m:
        return m.group(1).strip()
    for line in content.splitlines():
        if line.strip():
            return line.strip()[:LABEL_CHARS]
    return UNKNOWN


def messages_of(conversation: Any) -> list:
    """The ``messages`` list of a conversation cell (``{"messages": [...]}``), else []."""
    parsed = parse_container(conversation)
    if isinstance(parsed, dict) and isinstance(parsed.get("messages"), list):
        return parsed["messages"]
    return []


def message_count(stats: Any) -> int | None:
    """``turn_count`` of the conversation stats, else ``user_message_count`` +
    ``ai_message_count`` (missing ones count 0); 0 without stats."""
    parsed = parse_container(stats)
    if not isinstance(parsed, dict):
        return 0
    if "turn_count" in parsed:
        return _count(parsed["turn_count"])
    return (_count(parsed.get("user_message_count")) or 0) + (_count(parsed.get("ai_message_count")) or 0)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
