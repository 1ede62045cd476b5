"""A loopback OpenAI Chat-Completions server for tests (the twin of ``llm_server.py``).

The real ``openai`` client is pointed at it (``OPENAI_BASE_URL``). It serves
``POST /v1/chat/completions`` and Azure's ``POST /openai/deployments/{name}/chat/completions``:
  * a forced function call (``tool_choice: {"type": "function", ...}``) is answered with a
    ``tool_calls`` message whose arguments come from ``responder(request)``; plain text
    otherwise (a str from the responder, or "ok");
  * ``"stream": true`` answers Server-Sent Events: ``chat.completion.chunk`` objects whose
    function arguments (or text) arrive in small pieces, a usage chunk when
    ``stream_options.include_usage`` asks for it, then ``data: [DONE]``;
  * scripted failures consumed in order (429 with ``retry-after`` or
    ``x-ratelimit-reset-*`` headers, 500, 400 with a message);
  * an optional delay per request (interruptible), a request log and a counter.

Only 127.0.0.1 is bound, on a random free port.
"""

from __future__ import annotations

import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .loopback import LoopbackHandler, LoopbackServer, serving

try:  # tests/ on sys.path (most suites) or the repository root (tests/evals)
    from support.llm_server import example_for
except ImportError:  # pragma: no cover
    from tests.support.llm_server import example_for

Responder = Callable[[dict[str, Any]], Any]


@dataclass
class Failure:
    status: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)


def forced_function(request: dict[str, Any]) -> dict[str, Any] | None:
    """The function a request forces (its ``tools`` entry), or None."""
    choice = request.get("tool_choice")
    tools = request.get("tools") or []
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = choice.get("function", {}).get("name")
        return next((t["function"] for t in tools if t.get("function", {}).get("name") == name), None)
    if choice == "required" and tools:
        return tools[0]["function"]
    return None


def function_name(request: dict[str, Any]) -> str | None:
    fn = forced_function(request)
    return None if fn is None else fn["name"]


def default_responder(request: dict[str, Any]) -> Any:
    fn = forced_function(request)
    return "ok" if fn is None else example_for(fn.get("parameters", {}))


def user_payload(request: dict[str, Any]) -> dict[str, Any]:
    """The JSON item a judge sent after 'Input:' in its user message."""
    text = request["messages"][-1]["content"].split("Input:\n", 1)[-1]
    obj, _ = json.JSONDecoder().raw_decode(text.strip())
    return obj


class LoopbackChat(LoopbackServer):
    """``with LoopbackChat(responder) as srv:``; ``srv.base_url`` ends in ``/v1``."""

    thread_name = "loopback-chat"

    def __init__(self, responder: Responder | None = None, *, delay: float = 0.0,
                 prompt_tokens: int = 50, completion_tokens: int = 10):
        self.responder: Responder = responder or default_responder
        self.delay = delay
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens
        self.failures: list[Failure] = []
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.request_count = 0
        self._ids = itertools.count(1)
        super().__init__()

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    def fail_next(self, status: int, *, times: int = 1, message: str | None = None,
                  headers: dict[str, str] | None = None) -> None:
        for _ in range(times):
            self.failures.append(Failure(status, message or f"scripted {status}", dict(headers or {})))

    def _take(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Failure | None:
        with self._lock:
            self.request_count += 1
            self.requests.append(body)
            self.paths.append(path)
            self.headers.append(headers)
            return self.failures.pop(0) if self.failures else None

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"


class _Handler(LoopbackHandler):
    server_owner: LoopbackChat

    def do_POST(self) -> None:  # noqa: N802
        raw = self.body() or b"{}"
        path = self.path.split("?")[0].rstrip("/")
        if not (path == "/v1/chat/completions" or
                (path.startswith("/openai/deployments/") and path.endswith("/chat/completions"))):
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
        owner = self.server_owner
        failure = owner._take(path, {k.lower(): v for k, v in self.headers.items()}, body)
        if owner.delay > 0 and owner._stopping.wait(owner.delay):
            return
        if failure is not None:
            kind = "rate_limit_exceeded" if failure.status == 429 else "server_error"
            return self._json(failure.status, {"error": {"message": failure.message, "type": kind,
                                                         "code": kind}}, failure.headers)
        try:
            answer = owner.responder(body)
        except Exception as exc:  # noqa: BLE001
            return self._json(500, {"error": {"message": f"responder failed: {exc}", "type": "server_error"}})
        fn = forced_function(body)
        model = body.get("model", "loopback")
        if body.get("stream"):
            return self._stream(body, fn, answer, model)
        if fn is not None and isinstance(answer, dict):
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": owner.next_id("call"), "type": "function",
                "function": {"name": fn["name"], "arguments": json.dumps(answer)}}]}
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": answer if isinstance(answer, str) else json.dumps(answer)}
            finish = "stop"
        self._json(200, {"id": owner.next_id("chatcmpl"), "object": "chat.completion", "created": 0,
                         "model": model, "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                         "usage": self._usage()})

    def _usage(self) -> dict[str, int]:
        o = self.server_owner
        return {"prompt_tokens": o.prompt_tokens, "completion_tokens": o.completion_tokens,
                "total_tokens": o.prompt_tokens + o.completion_tokens}

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(payload).encode(), "application/json", headers)

    def _stream(self, body: dict[str, Any], fn: dict[str, Any] | None, answer: Any, model: str) -> None:
        owner = self.server_owner
        cid = owner.next_id("chatcmpl")

        def chunk(delta: dict[str, Any], finish: str | None = None, usage: dict | None = None,
                  choices: bool = True) -> bytes:
            obj = {"id": cid, "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []}
            if usage is not None:
                obj["usage"] = usage
            return f"data: {json.dumps(obj)}\n\n".encode()

        parts = [chunk({"role": "assistant", "content": ""})]
        if fn is not None and isinstance(answer, dict):
            text = json.dumps(answer)
            parts.append(chunk({"tool_calls": [{"index": 0, "id": owner.next_id("call"), "type": "function",
                                                "function": {"name": fn["name"], "arguments": ""}}]}))
            for j in range(0, len(text), 7):  # split mid-token: the client must join the pieces
                parts.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": text[j:j + 7]}}]}))
            parts.append(chunk({}, "tool_calls"))
        else:
            text = answer if isinstance(answer, str) else json.dumps(answer)
            for j in range(0, len(text), 5):
                parts.append(chunk({"content": text[j:j + 5]}))
            parts.append(chunk({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            parts.append(chunk({}, usage=self._usage(), choices=False))
        parts.append(b"data: [DONE]\n\n")
        try:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            for p in parts:
                self.wfile.write(p)
                self.wfile.flush()
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            pass


LoopbackChat.handler = _Handler  # the handler is written below the server it serves


@contextmanager
def serve_chat(monkeypatch: Any = None, responder: Responder | None = None,
               **kwargs: Any) -> Iterator[LoopbackChat]:
    """Run a LoopbackChat and select it as the judge provider through the environment
    (``AXIS_JUDGE_PROVIDER=openai``, ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``)."""
    env = lambda s: {"OPENAI_BASE_URL": s.base_url, "OPENAI_API_KEY": "test-key-loopback",  # noqa: E731
                     "AXIS_JUDGE_PROVIDER": "openai"}
    with serving(LoopbackChat(responder, **kwargs), env, monkeypatch) as server:
        yield server
