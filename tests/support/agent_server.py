"""A loopback "user's agent" for tests and benchmarks: a real HTTP server the runner calls.

Routes (POST, JSON body; every request is logged with its headers):

  /chat      {"choices": [{"message": {"content": "<answer>"}}], "usage": {...}}  (nested path)
  /flat      {"response": "<answer>"}
  /text      the answer as text/plain
  /echo      the request body back as JSON (checks template substitution)
  /status/N  status N with a JSON error body
  /hang      never answers within a test's timeout (interruptible on stop)

The answer is ``answer_for(body)``: by default ``"answer: " + body["query"]`` (or the
``messages``' last content). ``delay`` (seconds) applies to every reply; ``fail_next``
scripts failures (status, headers such as ``Retry-After``) consumed in order by any route.
Only 127.0.0.1 is bound, on a random free port.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .loopback import LoopbackHandler, LoopbackServer


def default_answer(body: Any) -> str:
    if isinstance(body, dict):
        if "query" in body:
            return f"answer: {body['query']}"
        msgs = body.get("messages")
        if isinstance(msgs, list) and msgs and isinstance(msgs[-1], dict):
            return f"answer: {msgs[-1].get('content')}"
        if "input" in body and isinstance(body["input"], dict):
            return f"answer: {body['input'].get('text')}"
    return f"answer: {body}"


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"error": "scripted"}'


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any
    at: float


class LoopbackAgent(LoopbackServer):
    thread_name = "loopback-agent"
    request_queue_size = 128  # a run's concurrency bursts at once

    def __init__(self, *, delay: float = 0.0, answer_for: Callable[[Any], str] | None = None):
        self.delay = delay
        self.answer_for = answer_for or default_answer
        self.scripted: list[Scripted] = []
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        super().__init__()

    @property
    def url(self) -> str:
        return self.root

    def fail_next(self, status: int, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        for _ in range(times):
            self.scripted.append(Scripted(status, dict(headers or {})))

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


class _Handler(LoopbackHandler):
    agent: LoopbackAgent

    def do_POST(self) -> None:  # noqa: N802
        a = self.server_owner
        raw = self.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = self.path.split("?")[0]
        with a._lock:
            a.seen.append(Seen(path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()))
            scripted = a.scripted.pop(0) if a.scripted else None
            a.in_flight += 1
            a.max_in_flight = max(a.max_in_flight, a.in_flight)
        try:
            if path == "/hang":
                a._stopping.wait(60)
                return
            if a.delay > 0 and a._stopping.wait(a.delay):
                return
            if scripted is not None:
                return self._send(scripted.status, scripted.body, "application/json", scripted.headers)
            if path.startswith("/status/"):
                return self._send(int(path.rsplit("/", 1)[1]), '{"error": "agent failed"}', "application/json")
            answer = a.answer_for(body)
            if path == "/chat":
                return self._send(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": answer}}],
                                                   "usage": {"total_tokens": 7}}), "application/json")
            if path == "/flat":
                return self._send(200, json.dumps({"response": answer}), "application/json")
            if path == "/text":
                return self._send(200, answer, "text/plain; charset=utf-8")
            if path == "/echo":
                return self._send(200, json.dumps(body), "application/json")
            return self._send(404, '{"error": "no route"}', "application/json")
        finally:
            with a._lock:
                a.in_flight -= 1

    def _send(self, status: int, text: str, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send(status, text.encode("utf-8"), ctype, headers)


LoopbackAgent.handler = _Handler  # the handler is written below the server it serves


