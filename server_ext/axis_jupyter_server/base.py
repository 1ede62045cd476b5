"""Base class of every AXIS handler: auth for kernels, error mapping, JSON/Arrow replies.

Handlers written in other modules (``handlers_sync``, ``handlers_evals``, ...) subclass
:class:`AxisHandler` and decorate each verb::

    class SyncStatusHandler(AxisHandler):
        auth_resource = "axis:sync"

        @tornado.web.authenticated
        @authorized
        async def get(self):
            \"\"\"Status of every sync source.\"\"\"
            status = await self.run_blocking(compute_status, self.store)
            self.write_json({"sources": status})

What a subclass gets:

* ``self.store`` (the server's LocalStore), ``self.jobs`` (the engine's
  :class:`~axis_jupyter.jobs.JobRunner`, also ``self.store.jobs``),
  ``self.axis`` (the :class:`AxisState` with the extension's settings).
* ``await self.run_blocking(fn, *args, **kw)`` runs blocking work on a bounded thread pool;
  ``await self.store.aread(fn)`` runs ``fn(cursor)`` on the store's read pool.
* ``self.json_body()`` (a dict; 400 on bad JSON), ``self.write_json(obj, status=200)``
  (strict JSON), ``self.write_table(df)`` (JSON ``{columns, data}`` or Arrow IPC bytes,
  depending on the ``Accept`` header), ``self.job_accepted(job)`` (202 with the job and its
  ``Location``/events URL).
* Parameters: declare them per verb in ``params`` (see :mod:`.params`) and read them with
  ``self.query_args()`` / ``self.body_args()``: a wrong one is a 400 naming it, and the
  OpenAPI document shows each one's schema.
* Errors: raise any :class:`~axis_jupyter.errors.AxisError`; it becomes its ``.status``
  with ``{"error": message, "type": code}`` (``code`` a stable word such as
  ``bad_parameter``). Anything else is a 500 whose body only says "internal error (logged
  on the server, id ...)"; the traceback is in the server log under that id.
* Kernels authenticate with ``Authorization: axis-token <AXIS_SERVER_TOKEN>`` (or
  ``token``/``bearer`` with that secret), on ``/axis/api`` only. The secret stands for this
  server's own token: the request is authenticated by the server's identity provider exactly
  as one carrying the server's token (under JupyterHub: the server's API token, i.e. its
  owner with that token's scopes), so it counts as token-authenticated (no XSRF, no origin
  check) and acts as the server's owner. It is authorized by the configured authorizer like
  every other request — it never bypasses it. A JupyterHub API token is checked by
  JupyterHub's own identity provider, not here.
* For Server-Sent Events subclass :class:`SSEMixin` too (see ``handlers.JobEventsHandler``).
* For heavy work (queries, analytics, rows, view actions) mix in
  :class:`~.bounds.BoundedMixin` and run it as ``async with self.bounded():`` /
  ``await self.run_bounded(fn, ...)``: a time limit, interruption when the client goes away,
  answer caps (``write_table`` checks the byte cap) and a per-user limit.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import tornado.web
from jupyter_server.base.call_context import CallContext
from jupyter_server.base.handlers import APIHandler
from tornado.iostream import StreamClosedError

from axis_jupyter import params, wire
from axis_jupyter.errors import INTERNAL, AxisError, QueryError, error_code
from axis_jupyter.jobs import Job, JobRunner

log = logging.getLogger("axis_jupyter_server")


@dataclass
class AxisState:
    """Everything the handlers share; lives in ``web_app.settings["axis_state"]``."""

    store: Any
    jobs: JobRunner
    secret: str
    api_path: str  # "{base_url}axis/api/"
    version: str
    call_pool: ThreadPoolExecutor
    upload_dir: str | None = None
    max_upload_bytes: int = 20 << 30
    sse_heartbeat: float = 15.0
    max_json_rows: int = 10_000
    extras: dict = field(default_factory=dict)  # room for other modules (sync scheduler, ...)
    # Bounds of heavy requests (see ``bounds``): time limit, answer caps, slots per user.
    query_timeout: float = 60.0
    max_result_rows: int = 5_000_000
    max_result_bytes: int = 256 << 20
    user_slots: Any = None


def wants_arrow(accept: str | None) -> bool:
    return bool(accept) and wire.ARROW_STREAM in accept


class AxisHandler(APIHandler):
    """Base class: set ``auth_resource = "axis:<area>"`` and decorate every verb."""

    auth_resource = "axis"
    _kernel_request = False  # authenticated by the kernel secret

    # -- state ---------------------------------------------------------------------------
    @property
    def axis(self) -> AxisState:
        return self.settings["axis_state"]

    @property
    def store(self):
        return self.axis.store

    @property
    def jobs(self) -> JobRunner:
        return self.axis.jobs

    async def run_blocking(self, fn, *args, **kwargs):
        """Run blocking work (DuckDB through the store, file I/O) off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.axis.call_pool,
                                          functools.partial(fn, *args, **kwargs))

    # -- authentication for kernels --------------------------------------------------------
    def _kernel_secret_ok(self) -> bool:
        """True if the request carries this server's kernel secret (AXIS_SERVER_TOKEN)."""
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        value = value.strip()
        secret = self.axis.secret
        if not value or not secret or scheme.lower() not in ("axis-token", "token", "bearer"):
            return False
        return hmac.compare_digest(value.encode(), secret.encode())

    async def prepare(self):  # type: ignore[override]
        if self._kernel_secret_ok():
            self._kernel_request = True
            server_token = getattr(self.identity_provider, "token", "") or ""
            if server_token:
                # Present the server's own token instead: the identity provider then finds
                # the server's owner (and JupyterHub that token's scopes), and the
                # configured authorizer judges every verb as for any other request.
                self.request.headers["Authorization"] = f"token {server_token}"
            else:
                return self._prepare_tokenless_owner()
        return await super().prepare()

    def _prepare_tokenless_owner(self) -> None:
        """A server with no token (password login, or auth disabled): its users are the
        identity provider's anonymous users, and so is the kernel."""
        CallContext.set(CallContext.JUPYTER_HANDLER, self)
        if not self.check_host():
            self.current_user = self._jupyter_current_user = None
            raise tornado.web.HTTPError(403)
        user = self.identity_provider.generate_anonymous_user(self)
        self.current_user = self._jupyter_current_user = user
        self._token_authenticated = True
        return None

    def set_cookie(self, name, value, *args, **kwargs):  # type: ignore[override]
        # jupyter_server answers a token-authenticated request with a login cookie valid for
        # the whole server; the kernel secret opens /axis/api only, so it never gets one.
        if self._kernel_request:
            return None
        return super().set_cookie(name, value, *args, **kwargs)

    # -- requests ---------------------------------------------------------------------------
    def json_body(self) -> dict:
        if not self.request.body or not self.request.body.strip():
            return {}
        try:
            body = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise QueryError(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise QueryError("the request body must be a JSON object.")
        return body

    def int_arg(self, name: str, default: int, minimum: int | None = None,
                maximum: int | None = None) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        return params.parse_text(name, raw, params.integer(minimum, maximum))

    def bool_arg(self, name: str, default: bool = False) -> bool:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        return params.parse_text(name, raw, params.BOOL)

    def json_arg(self, name: str, schema: dict | None = None):
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return None
        return params.parse_text(name, raw, schema or {"type": "object"})

    def query_args(self) -> dict:
        """The query parameters this verb declares (see :mod:`.params`), converted and
        checked; a wrong one is a 400 naming it."""
        from .params import spec_of

        return spec_of(type(self), self.request.method).read_query(self)

    def body_args(self) -> dict:
        """The JSON body, checked against the fields this verb declares."""
        from .params import spec_of

        return spec_of(type(self), self.request.method).read_body(self.json_body())

    @property
    def wants_arrow(self) -> bool:
        return wants_arrow(self.request.headers.get("Accept"))

    # -- replies ----------------------------------------------------------------------------
    def write_json(self, obj: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(wire.dumps(obj))

    def write_arrow(self, data: Any, status: int = 200, headers: dict | None = None) -> None:
        payload = wire.to_ipc(data)
        self.set_status(status)
        for k, v in (headers or {}).items():
            self.set_header(k, v)
        self.finish(payload, set_content_type=wire.ARROW_STREAM)

    async def write_table(self, df: Any, extra: dict | None = None) -> None:
        """A result table as Arrow IPC (``Accept: application/vnd.apache.arrow.stream``) or
        JSON ``{columns, data, **extra}``. Encoding runs off the event loop."""
        if self.wants_arrow:
            payload = await self.run_blocking(wire.to_ipc, df)
            self.check_answer_size(len(payload))
            self.finish(payload, set_content_type=wire.ARROW_STREAM)
        else:
            if not hasattr(df, "itertuples"):  # an Arrow table
                df = await self.run_blocking(df.to_pandas)
            body = await self.run_blocking(lambda: wire.dumps(
                {**wire.frame_split(df), **(extra or {})}))
            self.check_answer_size(len(body))
            self.finish(body)

    def check_answer_size(self, nbytes: int) -> None:
        """413 when the answer of a bounded request (``bounds``) passes its byte cap."""
        budget = getattr(self, "_axis_budget", None)
        if budget is not None and budget.max_bytes and nbytes > budget.max_bytes:
            raise budget.too_large("bytes")

    def job_accepted(self, job: Job) -> None:
        url = f"{self.axis.api_path}jobs/{job.id}"
        self.set_header("Location", url)
        self.write_json({"job": job.to_dict(), "events": f"{url}/events"}, status=202)

    # -- errors -------------------------------------------------------------------------------
    # An error body is {"error": message, "message": message, "type": code} where code is a
    # stable word (bad_parameter, not_found, conflict, forbidden, internal, ...). A message
    # never holds a class name, a traceback or compiled SQL: an unexpected exception is
    # logged here with its traceback under a short id, and the reply only quotes the id.
    _axis_error_id: str | None = None

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], AxisError):
            status_code = exc_info[1].status
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, AxisError):
            log.info("AXIS %s %s -> %s: %s", self.request.method, self.request.path,
                     value.status, value)
            return
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)
            return
        self._axis_error_id = secrets.token_hex(4)
        log.error("AXIS internal error %s on %s %s", self._axis_error_id, self.request.method,
                  self.request.path, exc_info=(typ, value, tb))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.clear_header("Content-Disposition")
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, AxisError):  # written for people: its message is the answer
            msg, code = str(exc), error_code(exc)
        elif isinstance(exc, tornado.web.HTTPError):
            msg, code = _http_message(exc, self._reason), HTTP_CODES.get(status_code, "http_error")
        elif exc is not None or status_code >= 500:
            ref = self._axis_error_id or secrets.token_hex(4)
            if self._axis_error_id is None:  # not logged yet (send_error without log_exception)
                log.error("AXIS internal error %s on %s %s", ref, self.request.method,
                          self.request.path, exc_info=kwargs.get("exc_info"))
            msg, code = f"internal error (logged on the server, id {ref}).", INTERNAL
        else:
            msg, code = self._reason, HTTP_CODES.get(status_code, "http_error")
        self.finish(json.dumps({"error": msg, "message": msg, "type": code}))


# Codes of errors raised by tornado or jupyter_server itself (authentication, routing, size).
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 429: "too_many_requests", 503: "unavailable"}


def _http_message(exc: tornado.web.HTTPError, reason: str) -> str:
    msg = exc.log_message or exc.reason or reason
    if exc.log_message and exc.args:
        try:
            msg = exc.log_message % exc.args
        except TypeError:
            pass
    return msg


class SSEMixin:
    """Helpers to stream Server-Sent Events from an :class:`AxisHandler`.

    Long streams must not keep the server "active" for the idle culler
    (``_track_activity = False``) and never call ``finish`` until the stream ends.
    """

    _track_activity = False

    def sse_headers(self) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-cache, no-transform")
        self.set_header("X-Accel-Buffering", "no")
        self.set_header("Connection", "keep-alive")

    async def sse_send(self, event: str | None, data: Any, event_id: int | None = None,
                       retry_ms: int | None = None) -> bool:
        """Write one event and flush; False if the client went away."""
        lines = []
        if retry_ms is not None:
            lines.append(f"retry: {retry_ms}")
        if event_id is not None:
            lines.append(f"id: {event_id}")
        if event:
            lines.append(f"event: {event}")
        for part in wire.dumps(data).splitlines() or [""]:
            lines.append(f"data: {part}")
        return await self._sse_write("\n".join(lines) + "\n\n")

    async def sse_comment(self, text: str = "heartbeat") -> bool:
        return await self._sse_write(f": {text}\n\n")

    async def _sse_write(self, text: str) -> bool:
        try:
            self.write(text)
            await self.flush()
            return True
        except StreamClosedError:
            return False
