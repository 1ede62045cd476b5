"""A loopback Anthropic Messages-API server for tests.

The LLM is the one component tests cannot reach, so they point the *real* ``anthropic``
client at this server (``ANTHROPIC_BASE_URL``). It implements ``POST /v1/messages``:
  * non-streaming JSON replies and streaming SSE (message_start, content_block_start,
    content_block_delta, content_block_stop, message_delta, message_stop);
  * tool_use replies when the request forces a tool (``tool_choice.type == "tool"``),
    whose input comes from a pluggable ``responder(request) -> dict``; plain text otherwise;
  * scripted replies for agents: a responder may return a :class:`Scripted` reply with
    any content blocks (text and ``tool_use`` calls the model chose) and stop reason
    (``tool_use``, ``end_turn``, ``refusal``, ...); :func:`script` answers requests with a
    list of such replies in order;
  * scripted failures (e.g. 429 with ``retry-after``, 500, 529) consumed in order;
  * an optional per-request delay (interruptible, so shutdown never hangs);
  * a request log and counter.

Only 127.0.0.1 is bound, on a random free port.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from .loopback import LoopbackHandler, LoopbackServer, serving

Responder = Callable[[dict[str, Any]], Any]

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error",
                500: "api_error", 503: "api_error", 529: "overloaded_error"}


@dataclass
class Failure:
    """One scripted error reply."""

    status: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Scripted:
    """A reply with explicit content blocks, e.g. a model that calls tools of its choosing::

        Scripted([text("Let me look."), tool_use("run_sql", {"query": "SELECT 1"})])

    ``stop_reason`` defaults to ``tool_use`` when a block calls a tool, else ``end_turn``.
    """

    content: list[dict[str, Any]]
    stop_reason: str | None = None
    output_tokens: int | None = None


def text(value: str) -> dict[str, Any]:
    """A text content block."""
    return {"type": "text", "text": value}


def tool_use(name: str, input: dict[str, Any], id: str | None = None) -> dict[str, Any]:
    """A tool_use content block (an id is assigned when none is given)."""
    block = {"type": "tool_use", "name": name, "input": input}
    if id is not None:
        block["id"] = id
    return block


def script(*replies: Any) -> Responder:
    """A responder giving ``replies`` in order, one per request. A callable reply is
    called with the request (to check it or build the answer from it); after the last
    reply every further request gets the last one again."""
    queue = list(replies)
    state = {"i": 0}

    def responder(request: dict[str, Any]) -> Any:
        i = min(state["i"], len(queue) - 1)
        state["i"] += 1
        reply = queue[i]
        return reply(request) if callable(reply) else reply

    return responder


def default_responder(request: dict[str, Any]) -> Any:
    """Fill the forced tool's schema with plausible values (first enum, 1.0, True...)."""
    tool = _forced_tool(request)
    if tool is None:
        return "ok"
    return example_for(tool.get("input_schema", {}))


def example_for(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    t = schema.get("type")
    if t == "object":
        return {k: example_for(v) for k, v in schema.get("properties", {}).items()}
    if t == "array":
        return [example_for(schema.get("items", {}))]
    return {"string": "example", "number": 1.0, "integer": 1, "boolean": True}.get(t, None)


def _forced_tool(request: dict[str, Any]) -> dict[str, Any] | None:
    choice = request.get("tool_choice") or {}
    tools = request.get("tools") or []
    if choice.get("type") == "tool":
        return next((t for t in tools if t.get("name") == choice.get("name")), None)
    if choice.get("type") == "any" and tools:
        return tools[0]
    return None


class LoopbackLLM(LoopbackServer):
    """Start with ``with LoopbackLLM(responder) as srv:`` or ``start()``/``stop()``."""

    thread_name = "loopback-llm"

    def __init__(self, responder: Responder | None = None, *, delay: float = 0.0,
                 input_tokens: int = 100, output_tokens: int = 20):
        self.responder: Responder = responder or default_responder
        self.delay = delay
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.failures: list[Failure] = []
        self.requests: list[dict[str, Any]] = []
        self.request_count = 0  # every POST, including scripted failures
        self._ids = itertools.count(1)
        super().__init__()

    # -- lifecycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.root

    # -- scripting -------------------------------------------------------------------
    def fail_next(self, status: int, *, times: int = 1, message: str | None = None,
                  retry_after: float | str | None = None) -> None:
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        for _ in range(times):
            self.failures.append(Failure(status, message or f"scripted {status}", headers))

    def _take(self, body: dict[str, Any]) -> Failure | None:
        with self._lock:
            self.request_count += 1
            self.requests.append(body)
            return self.failures.pop(0) if self.failures else None

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; returns early (True) when the server is stopping."""
        return self._stopping.wait(seconds) if seconds > 0 else False

    def next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"


class _Handler(LoopbackHandler):
    server_owner: LoopbackLLM

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        raw = self.body() or b"{}"
        if self.path.split("?")[0].rstrip("/") != "/v1/messages":
            return self._json(404, {"type": "error", "error": {"type": "not_found_error",
                                                                "message": f"no route {self.path}"}})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                                "message": "body is not JSON"}})
        owner = self.server_owner
        failure = owner._take(body)
        if owner.wait(owner.delay):
            return
        if failure is not None:
            err = {"type": "error", "error": {"type": _ERROR_TYPES.get(failure.status, "api_error"),
                                              "message": failure.message}}
            return self._json(failure.status, err, failure.headers)
        try:
            answer = owner.responder(body)
        except Exception as exc:  # a broken responder is a 500 the client can see
            return self._json(500, {"type": "error", "error": {"type": "api_error",
                                                                "message": f"responder failed: {exc}"}})
        message = self._message(body, answer)
        if body.get("stream"):
            self._stream(message)
        else:
            self._json(200, message)

    # -- reply builders --------------------------------------------------------------
    def _message(self, body: dict[str, Any], answer: Any) -> dict[str, Any]:
        owner = self.server_owner
        tool = _forced_tool(body)
        if isinstance(answer, Scripted):
            content = [dict(b, id=b.get("id") or owner.next_id("toolu")) if b.get("type") == "tool_use"
                       else dict(b) for b in answer.content]
            stop = answer.stop_reason or ("tool_use" if any(b["type"] == "tool_use" for b in content)
                                          else "end_turn")
            out_tokens = owner.output_tokens if answer.output_tokens is None else answer.output_tokens
            return {"id": owner.next_id("msg"), "type": "message", "role": "assistant",
                    "model": body.get("model", "loopback"), "content": content,
                    "stop_reason": stop, "stop_sequence": None,
                    "usage": {"input_tokens": owner.input_tokens, "output_tokens": out_tokens}}
        if tool is not None and isinstance(answer, dict):
            content = [{"type": "tool_use", "id": owner.next_id("toolu"), "name": tool["name"],
                        "input": answer}]
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": answer if isinstance(answer, str) else json.dumps(answer)}]
            stop = "end_turn"
        return {"id": owner.next_id("msg"), "type": "message", "role": "assistant",
                "model": body.get("model", "loopback"), "content": content,
                "stop_reason": stop, "stop_sequence": None,
                "usage": {"input_tokens": owner.input_tokens, "output_tokens": owner.output_tokens}}

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(payload).encode(), "application/json",
                  {"request-id": self.server_owner.next_id("req"), **(headers or {})})

    def _stream(self, message: dict[str, Any]) -> None:
        events: list[tuple[str, dict[str, Any]]] = []
        start = {**message, "content": [], "stop_reason": None,
                 "usage": {"input_tokens": message["usage"]["input_tokens"], "output_tokens": 1}}
        events.append(("message_start", {"type": "message_start", "message": start}))
        for i, block in enumerate(message["content"]):
            if block["type"] == "tool_use":
                events.append(("content_block_start", {"type": "content_block_start", "index": i,
                               "content_block": {**block, "input": {}}}))
                text = json.dumps(block["input"])
                # Split the JSON mid-token on purpose: the client must accumulate deltas.
                for j in range(0, len(text), 7):
                    events.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                   "delta": {"type": "input_json_delta", "partial_json": text[j:j + 7]}}))
            else:
                events.append(("content_block_start", {"type": "content_block_start", "index": i,
                               "content_block": {"type": "text", "text": ""}}))
                text = block["text"]
                for j in range(0, len(text), 7):
                    events.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                   "delta": {"type": "text_delta", "text": text[j:j + 7]}}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
        events.append(("ping", {"type": "ping"}))
        events.append(("message_delta", {"type": "message_delta",
                       "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                       "usage": {"output_tokens": message["usage"]["output_tokens"]}}))
        events.append(("message_stop", {"type": "message_stop"}))
        try:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")  # body ends when the socket closes
            self.end_headers()
            for name, data in events:
                self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            pass


LoopbackLLM.handler = _Handler  # the handler is written below the server it serves


def tool_name(request: dict[str, Any]) -> str | None:
    """The forced tool's name in a recorded request (handy in responders)."""
    tool = _forced_tool(request)
    return None if tool is None else tool["name"]


def user_payload(request: dict[str, Any]) -> dict[str, Any]:
    """The JSON item a judge sent after 'Input:' in its last user message."""
    content = request["messages"][-1]["content"]
    if isinstance(content, list):
        content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    text = content.split("Input:\n", 1)[-1]
    decoder = json.JSONDecoder()
    obj, _ = decoder.raw_decode(text.strip())
    return obj


from contextlib import contextmanager  # noqa: E402  (helper section)
from typing import Iterator  # noqa: E402


@contextmanager
def serve_loopback(monkeypatch: Any = None, responder: Responder | None = None,
                   **kwargs: Any) -> Iterator[LoopbackLLM]:
    """Run a LoopbackLLM and point the anthropic client at it via env vars (restored
    afterwards, by ``monkeypatch`` when given)."""
    env = lambda s: {"ANTHROPIC_BASE_URL": s.base_url, "ANTHROPIC_API_KEY": "test-key-loopback"}  # noqa: E731
    with serving(LoopbackLLM(responder, **kwargs), env, monkeypatch) as server:
        yield server


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of a request's last user message, each with its ``text``
    (the content as one string) and ``is_error``."""
    content = request["messages"][-1].get("content")
    out = []
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and block.get("type") == "tool_result":
            inner = block.get("content")
            if isinstance(inner, list):
                inner = "".join(b.get("text", "") for b in inner if isinstance(b, dict))
            out.append({**block, "text": inner or "", "is_error": bool(block.get("is_error"))})
    return out
