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
* Errors: raise any :class:`~axis_jupyter.errors.AxisError`; it becomes its ``.status``
  with ``{"error": message, "type": class name}``. Anything else is a 500.
* Kernels authenticate with ``Authorization: axis-token <AXIS_SERVER_TOKEN>`` (or
  ``token <...>`` with that secret or the JupyterHub API token of this server); such
  requests count as token-authenticated (no XSRF, no origin check) and are authorized as
  the server's owner.
* For Server-Sent Events subclass :class:`SSEMixin` too (see ``handlers.JobEventsHandler``).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import tornado.web
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import User
from jupyter_server.base.call_context import CallContext
from jupyter_server.base.handlers import APIHandler
from tornado.iostream import StreamClosedError

from axis_jupyter.errors import AxisError, QueryError
from axis_jupyter.jobs import Job, JobRunner
from axis_jupyter.store import arrow_ipc

log = logging.getLogger("axis_jupyter_server")

KERNEL_USERNAME = "axis-kernel"


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


class _AllowAll(Authorizer):
    """Authorizer for requests carrying this server's own kernel secret."""

    def is_authorized(self, handler, user, action, resource) -> bool:  # noqa: ARG002
        return True


_KERNEL_AUTHORIZER = _AllowAll()


def wants_arrow(accept: str | None) -> bool:
    return bool(accept) and arrow_ipc.ARROW_STREAM in accept


class AxisHandler(APIHandler):
    """Base class: set ``auth_resource = "axis:<area>"`` and decorate every verb."""

    auth_resource = "axis"
    _axis_kernel_auth = False

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
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if not value:
            return False
        scheme = scheme.lower()
        candidates = []
        if scheme in ("axis-token", "token", "bearer"):
            candidates.append(self.axis.secret)
            if scheme != "axis-token" and os.environ.get("JUPYTERHUB_API_TOKEN"):
                candidates.append(os.environ["JUPYTERHUB_API_TOKEN"])
        return any(c and hmac.compare_digest(value.encode(), c.encode()) for c in candidates)

    async def prepare(self):  # type: ignore[override]
        if self._kernel_secret_ok():
            CallContext.set(CallContext.JUPYTER_HANDLER, self)
            if not self.check_host():
                self.current_user = self._jupyter_current_user = None
                raise tornado.web.HTTPError(403)
            user = User(username=KERNEL_USERNAME, name="AXIS kernel client")
            self.current_user = self._jupyter_current_user = user
            self._token_authenticated = True
            self._axis_kernel_auth = True
            return None
        return await super().prepare()

    @property
    def authorizer(self):
        if self._axis_kernel_auth:
            return _KERNEL_AUTHORIZER
        return super().authorizer

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

    def int_arg(self, name: str, default: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise QueryError(f"{name} must be an integer, not {raw!r}.") from None

    def bool_arg(self, name: str, default: bool = False) -> bool:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise QueryError(f"{name} must be true or false, not {raw!r}.")

    def json_arg(self, name: str):
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise QueryError(f"{name} must be JSON: {exc}") from None

    @property
    def wants_arrow(self) -> bool:
        return wants_arrow(self.request.headers.get("Accept"))

    # -- replies ----------------------------------------------------------------------------
    def write_json(self, obj: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(arrow_ipc.dumps(obj))

    def write_arrow(self, data: Any, status: int = 200, headers: dict | None = None) -> None:
        payload = arrow_ipc.to_ipc(data)
        self.set_status(status)
        for k, v in (headers or {}).items():
            self.set_header(k, v)
        self.finish(payload, set_content_type=arrow_ipc.ARROW_STREAM)

    async def write_table(self, df: Any, extra: dict | None = None) -> None:
        """A result table as Arrow IPC (``Accept: application/vnd.apache.arrow.stream``) or
        JSON ``{columns, data, **extra}``. Encoding runs off the event loop."""
        if self.wants_arrow:
            payload = await self.run_blocking(arrow_ipc.to_ipc, df)
            self.finish(payload, set_content_type=arrow_ipc.ARROW_STREAM)
        else:
            if not hasattr(df, "itertuples"):  # an Arrow table
                df = await self.run_blocking(df.to_pandas)
            body = await self.run_blocking(lambda: arrow_ipc.dumps(
                {**arrow_ipc.frame_split(df), **(extra or {})}))
            self.finish(body)

    def job_accepted(self, job: Job) -> None:
        url = f"{self.axis.api_path}jobs/{job.id}"
        self.set_header("Location", url)
        self.write_json({"job": job.to_dict(), "events": f"{url}/events"}, status=202)

    # -- errors -------------------------------------------------------------------------------
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
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, AxisError):
            msg, typ = str(exc), type(exc).__name__
        elif isinstance(exc, tornado.web.HTTPError):
            msg, typ = exc.log_message or exc.reason or self._reason, "HTTPError"
            if exc.log_message and exc.args:
                try:
                    msg = exc.log_message % exc.args
                except TypeError:
                    pass
        elif exc is not None:
            msg, typ = f"internal error: {type(exc).__name__}: {exc}", "InternalError"
        else:
            msg, typ = self._reason, "HTTPError"
        self.finish(json.dumps({"error": msg, "message": msg, "type": typ}))


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
        for part in arrow_ipc.dumps(data).splitlines() or [""]:
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
