"""What the loopback test servers (Messages API, Chat Completions, a user's agent) share: an
HTTP server on 127.0.0.1 in a daemon thread, started and stopped with ``with``.

A subclass sets ``handler`` (a ``BaseHTTPRequestHandler`` that reads its server object as
``self.server_owner``) and ``thread_name``, and calls ``super().__init__()``."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator


class LoopbackHandler(BaseHTTPRequestHandler):
    """What the loopback servers' request handlers share: HTTP/1.1 keep-alive, no logging,
    the request body, and one way to answer."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, the client's
    # delayed ACK stalls every reply by ~40 ms on loopback (a real API does not do that).
    disable_nagle_algorithm = True

    def log_message(self, fmt: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client went away (cancelled)
            pass


class LoopbackServer:
    handler: type[BaseHTTPRequestHandler]
    thread_name = "loopback"
    request_queue_size = 5  # socketserver's default; the agent server takes bursts

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def root(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        handler = type("Handler", (self.handler,), {"server_owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
        self._server.request_queue_size = self.request_queue_size
        self._server.server_bind()
        self._server.server_activate()
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextmanager
def serving(server: LoopbackServer, env_for: Callable[[Any], dict[str, str]],
            monkeypatch: Any = None) -> Iterator[Any]:
    """Start ``server`` with the environment variables ``env_for(server)`` set (the ones that
    point a client at it; its address is known once it runs), and stop it afterwards. With a
    pytest ``monkeypatch`` pytest restores the variables; without one (scripts, benchmarks)
    they are restored here."""
    env = env_for(server.start())
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if monkeypatch is not None:
                monkeypatch.setenv(k, v)
            else:
                os.environ[k] = v
        yield server
    finally:
        server.stop()
        if monkeypatch is None:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
