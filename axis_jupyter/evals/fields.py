"""Coercion of canonical item fields into the shapes metrics compute on.

Items arrive from CSV, Parquet, JSON lines and DataFrames, so the same logical value
shows up as a Python list, a numpy array, a JSON string or a plain string. Metrics call
these helpers instead of guessing, so a tool list stored as text in a CSV scores the same
as one built in Python (the reference system dropped such rows instead).
"""

from __future__ import annotations

import json
import math
from typing import Any

from .base import is_missing


# Reference §2.7: canonical field <- first case-insensitive exact match from these names.
FIELD_PATTERNS: dict[str, list[str]] = {
    "dataset_id": ["dataset_id", "record_id", "item_id", "row_id", "id", "index"],
    "query": ["query", "question", "input", "prompt", "user_input", "user_message"],
    "actual_output": ["actual_output", "output", "response", "answer", "assistant_response",
                      "completion", "generated"],
    "expected_output": ["expected_output", "expected", "ground_truth", "reference", "target", "gold"],
    "retrieved_content": ["retrieved_content", "context", "retrieved", "documents", "chunks", "sources"],
    "conversation": ["conversation", "messages", "chat_history", "dialog"],
    "latency": ["latency", "response_time", "duration", "time_ms"],
    "tools_called": ["tools_called", "tools", "function_calls", "actions"],
    "expected_tools": ["expected_tools", "required_tools", "target_tools"],
    "acceptance_criteria": ["acceptance_criteria", "criteria", "requirements"],
    "additional_input": ["additional_input", "metadata", "extra_input"],
    "document_text": ["document_text", "document", "doc_text"],
    "actual_reference": ["actual_reference", "citations"],
    "expected_reference": ["expected_reference", "expected_citations"],
    "trace_id": ["trace_id", "traceid", "span_id"],
    "observation_id": ["observation_id", "observationid", "langfuse_id"],
}


def as_text(value: Any) -> str:
    """A string for text fields; missing values become ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _maybe_json(value: str) -> Any:
    text = value.strip()
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


def as_list(value: Any) -> list[Any]:
    """A list from a list/tuple/array, a JSON array string, or a single scalar."""
    if is_missing(value):
        return []
    if isinstance(value, str):
        parsed = _maybe_json(value)
        if isinstance(parsed, list):
            return parsed
        return [value]
    if isinstance(value, dict):
        return [value]
    if hasattr(value, "tolist"):  # numpy arrays from Parquet list columns
        value = value.tolist()
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def as_str_list(value: Any) -> list[str]:
    return [as_text(v) for v in as_list(value) if not is_missing(v)]


def as_tool_calls(value: Any) -> list[dict[str, Any]]:
    """Tool calls as ``[{name, args}]``; plain strings are names with no args."""
    calls: list[dict[str, Any]] = []
    for raw in as_list(value):
        if isinstance(raw, str):
            parsed = _maybe_json(raw)
            raw = parsed if isinstance(parsed, dict) else {"name": raw.strip()}
        if isinstance(raw, dict):
            name = raw.get("name") or raw.get("tool") or raw.get("tool_name") or ""
            args = raw.get("args", raw.get("arguments", raw.get("input", {})))
            if isinstance(args, str):
                parsed = _maybe_json(args)
                args = parsed if isinstance(parsed, dict) else {"_raw": args}
            calls.append({"name": str(name), "args": dict(args or {})})
        else:  # objects with attributes (e.g. pydantic ToolCall)
            name = getattr(raw, "name", None)
            if name is not None:
                calls.append({"name": str(name), "args": dict(getattr(raw, "args", {}) or {})})
    return calls


def as_ids(value: Any) -> list[str]:
    """Ranked ids from ``[id, ...]`` or ``[{id, score}, ...]`` (order preserved)."""
    out: list[str] = []
    for raw in as_list(value):
        if isinstance(raw, dict):
            raw = raw.get("id", raw.get("doc_id"))
        if not is_missing(raw):
            out.append(str(raw))
    return out


def as_relevance(value: Any) -> dict[str, float]:
    """Graded relevance by id from ``[id]``, ``[{id, relevance}]`` or ``{id: rel}``.

    A plain id list means every listed id has relevance 1.
    """
    if isinstance(value, str):
        value = _maybe_json(value)
    if isinstance(value, dict) and "id" not in value:
        return {str(k): float(v) for k, v in value.items()}
    rel: dict[str, float] = {}
    for raw in as_list(value):
        if isinstance(raw, dict):
            key = raw.get("id", raw.get("doc_id"))
            grade = raw.get("relevance", raw.get("score", 1.0))
            if not is_missing(key):
                rel[str(key)] = float(1.0 if grade is None else grade)
        elif not is_missing(raw):
            rel[str(raw)] = 1.0
    return rel


def as_messages(value: Any) -> list[dict[str, str]]:
    """Conversation messages as ``[{role, content}]`` with roles user/assistant/tool."""
    if isinstance(value, str):
        value = _maybe_json(value)
    if isinstance(value, dict):
        value = value.get("messages", [])
    out: list[dict[str, str]] = []
    for raw in as_list(value):
        if isinstance(raw, dict):
            role = str(raw.get("role", raw.get("type", ""))).lower()
            role = {"human": "user", "ai": "assistant", "bot": "assistant"}.get(role, role)
            out.append({"role": role, "content": as_text(raw.get("content", raw.get("text")))})
    return out


def assistant_texts(item: dict[str, Any]) -> list[str]:
    """The assistant's text: every assistant turn of a conversation, else actual_output."""
    texts = [m["content"] for m in as_messages(item.get("conversation")) if m["role"] == "assistant"]
    if texts:
        return texts
    actual = as_text(item.get("actual_output"))
    return [actual] if actual else []


def criteria_list(value: Any) -> list[str]:
    """acceptance_criteria as a list; a newline/bullet string splits into lines."""
    if isinstance(value, str) and not value.strip().startswith("["):
        lines = [ln.strip().lstrip("-*•").strip() for ln in value.splitlines()]
        return [ln for ln in lines if ln]
    return as_str_list(value)

