"""Reading and shaping Messages-API requests and replies, and describing failed calls.

Kept apart from :class:`axis_jupyter.llm.Judge` so the judge module holds the retry,
cache and accounting logic only; ``check_tool_input`` and ``_describe`` serve every
provider.
"""

from __future__ import annotations

import json
from typing import Any

from .common import schema_errors


def _temperature_kwargs(client: Any, temperature: float) -> dict[str, Any]:
    """``temperature=`` where the SDK still takes it, else the same field via extra_body
    (newer SDKs dropped the named parameter; the API field is unchanged)."""
    import inspect

    try:
        params = inspect.signature(client.messages.create).parameters
    except (TypeError, ValueError, AttributeError):  # pragma: no cover
        params = {}
    if "temperature" in params:
        return {"temperature": temperature}
    return {"extra_body": {"temperature": temperature}}


def _has_temperature(request: dict[str, Any]) -> bool:
    return "temperature" in request or "temperature" in (request.get("extra_body") or {})


def _without_temperature(request: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in request.items() if k != "temperature"}
    if "extra_body" in out:
        extra = {k: v for k, v in out["extra_body"].items() if k != "temperature"}
        out.pop("extra_body")
        if extra:
            out["extra_body"] = extra
    return out


def _usage_of(message: Any) -> tuple[int, int]:
    usage = getattr(message, "usage", None)
    if usage is None:
        return 0, 0
    return int(getattr(usage, "input_tokens", 0) or 0), int(getattr(usage, "output_tokens", 0) or 0)


def _tool_input(message: Any, tool: Any) -> tuple[dict[str, Any], str | None]:
    for block in getattr(message, "content", None) or []:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == tool.name:
            return check_tool_input(block.input, tool)
    stop = getattr(message, "stop_reason", None)
    return {}, f"no {tool.name} tool call in the reply (stop_reason={stop})"


def check_tool_input(data: Any, tool: Any) -> tuple[dict[str, Any], str | None]:
    """A tool call's arguments (a dict, or JSON text as some proxies send) checked against
    the tool's schema: (data, None) or (partial data, what is wrong)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {}, "tool input is not JSON"
    if not isinstance(data, dict):
        return {}, "tool input is not an object"
    errors = schema_errors(data, tool.input_schema)
    return data, ("; ".join(errors[:5]) if errors else None)


def _describe(exc: Exception, attempts: int) -> str:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    detail = ""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            detail = f"{err.get('type', '')}: {err.get('message', '')}".strip(": ")
    detail = detail or getattr(exc, "message", None) or str(exc)
    where = f"HTTP {status}" if status else type(exc).__name__
    return f"judge request failed after {attempts} attempt(s): {where} {detail}".strip()
