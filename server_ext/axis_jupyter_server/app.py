"""The AXIS server extension: owns the DuckDB store of this Jupyter server.

Configuration (``jupyter_server_config.py``, ``--AxisExtension.store_path=...``)::

    c.AxisExtension.store_path = "/data/axis.duckdb"   # else $AXIS_STORE, else ~/.axis/axis.duckdb
    c.AxisExtension.job_workers = 4
    c.AxisExtension.max_upload_bytes = 20 * 2**30
    c.AxisExtension.query_timeout = 60            # seconds per heavy request; 0 = no limit
    c.AxisExtension.max_result_rows = 5_000_000   # rows of one answer (Arrow; JSON: max_json_rows)
    c.AxisExtension.max_result_bytes = 256 * 2**20
    c.AxisExtension.max_user_requests = 4         # heavy requests one user runs at once
    c.AxisExtension.max_user_queue = 16           # ... and how many more may wait

Heavy requests (query, analytics, rows, view actions) are bounded (see ``bounds``): their
DuckDB work is interrupted after ``query_timeout`` or when the client disconnects, their
answers are capped, and each user runs at most ``max_user_requests`` of them at once. The
store's database is a DuckDB sandbox (``axis_jupyter.store.sandbox``): no file, extension or
network access from SQL.

How kernels find the server: when the extension starts (after the HTTP port is bound, so
``--port=0`` works) it sets, in the server's own environment that every kernel inherits,

* ``AXIS_SERVER_URL`` = ``http://127.0.0.1:{port}{base_url}axis/api/`` (``https`` with a
  certificate, then also ``AXIS_SERVER_VERIFY=0`` since the certificate does not name
  127.0.0.1; with ``--sock`` the URL host is ``localhost`` and ``AXIS_SERVER_SOCKET`` holds
  the socket path),
* ``AXIS_SERVER_TOKEN`` = a random secret of this server process, accepted on
  ``/axis/api`` only, as ``Authorization: axis-token <secret>``.

Under JupyterHub a kernel can also send ``Authorization: token $JUPYTERHUB_API_TOKEN``.
The variables are removed again when the extension stops.
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, Int, TraitError, Unicode, validate

from . import __version__
from .base import AxisState
from .bounds import SERVER_HINTS, UserSlots
from .multipart import clean_orphans
from .routes import API_PREFIX, all_routes

ENV_URL, ENV_TOKEN = "AXIS_SERVER_URL", "AXIS_SERVER_TOKEN"
ENV_SOCKET, ENV_VERIFY = "AXIS_SERVER_SOCKET", "AXIS_SERVER_VERIFY"
STATE_KEY = "axis_state"


def server_api_url(serverapp) -> tuple[str, dict[str, str]]:
    """The URL of ``axis/api/`` that a kernel on this machine can reach, and extra env vars."""
    base = serverapp.base_url or "/"
    if not base.endswith("/"):
        base += "/"
    extra: dict[str, str] = {}
    if getattr(serverapp, "sock", ""):
        extra[ENV_SOCKET] = serverapp.sock
        return f"http://localhost{base}{API_PREFIX}", extra
    ip = (serverapp.ip or "").strip()
    if ip in ("", "*", "0.0.0.0", "localhost"):
        host = "127.0.0.1"
    elif ip in ("::", "[::]"):
        host = "[::1]"
    elif ":" in ip and not ip.startswith("["):
        host = f"[{ip}]"
    else:
        host = ip
    scheme = "https" if getattr(serverapp, "certfile", "") else "http"
    if scheme == "https":
        extra[ENV_VERIFY] = "0"
    return f"{scheme}://{host}:{serverapp.port}{base}{API_PREFIX}", extra


class AxisExtension(ExtensionApp):
    """Serves ``{base_url}axis/api/`` and runs AXIS jobs next to the shared store."""

    name = "axis"
    description = "AXIS for Jupyter: the shared analytics store and its HTTP API"
    load_other_extensions = True

    store_path = Unicode(None, allow_none=True, config=True,
                         help="DuckDB file of the shared store (default: $AXIS_STORE, else "
                              "~/.axis/axis.duckdb).")
    job_workers = Int(4, config=True, help="Jobs (uploads, sync, eval runs, ...) run at once.")
    call_workers = Int(8, config=True, help="Threads for blocking work of HTTP requests.")
    upload_dir = Unicode(None, allow_none=True, config=True,
                         help="Folder for uploads in flight (default: the store's staging folder, "
                              "the one place its sandboxed DuckDB may read files from; elsewhere "
                              "each upload is linked or copied there to be loaded).")
    max_upload_bytes = Int(20 << 30, config=True, help="Largest accepted upload in bytes.")
    sse_heartbeat = Float(15.0, config=True, help="Seconds between SSE heartbeat comments.")
    max_json_rows = Int(10_000, config=True,
                        help="Most rows a JSON query answer carries (the rest is cut off and the "
                             "answer says truncated; Arrow answers: max_result_rows).")
    query_timeout = Float(60.0, config=True,
                          help="Seconds the DuckDB work of one heavy request (query, analytics, "
                               "rows, view action) may run before it is interrupted and the "
                               "request answers 422; 0 means no limit.")
    max_result_rows = Int(5_000_000, config=True,
                          help="Most rows one answer carries (Arrow query answers and Arrow pages "
                               "of rows); more is a 413. 0 means no cap.")
    max_result_bytes = Int(256 << 20, config=True,
                           help="Most bytes one answer of a heavy request carries (JSON or Arrow); "
                                "more is a 413. 0 means no cap.")
    max_user_requests = Int(4, config=True,
                            help="Heavy requests (query, analytics, rows, view actions) one user "
                                 "may run at once (more wait, see max_user_queue). 0 means no "
                                 "limit. Keep it below call_workers and AXIS_QUERY_CONCURRENCY so "
                                 "other users always find a free worker.")
    max_user_queue = Int(16, config=True,
                         help="Heavy requests of one user that may wait for a free slot (in order, "
                              "holding no worker thread); one more answers 429.")
    graph_url = Unicode(None, allow_none=True, config=True,
                        help="FalkorDB of the knowledge graphs (falkor://host:6379; the password "
                             "in $AXIS_GRAPH_PASSWORD). Default: $AXIS_GRAPH_URL, else an "
                             "embedded FalkorDB owned by this server.")
    set_kernel_env = Bool(True, config=True,
                          help="Put AXIS_SERVER_URL/AXIS_SERVER_TOKEN in the environment kernels "
                               "inherit, so axis_jupyter.connect() in a notebook uses this server.")

    @validate("query_timeout", "max_result_rows", "max_result_bytes", "max_user_requests",
              "max_user_queue")
    def _not_negative(self, proposal):
        if proposal["value"] < 0:
            raise TraitError(f"AxisExtension.{proposal['trait'].name} must be 0 (no limit) or "
                             f"positive, not {proposal['value']}.")
        return proposal["value"]

    state: AxisState | None = None
    store_error: str | None = None
    _env_set: dict[str, str]

    def initialize_settings(self):
        from axis_jupyter import config, open_local
        from axis_jupyter.errors import AxisError
        from axis_jupyter.jobs import JobRunner
        from axis_jupyter.store.budget import job_reads

        self._env_set = {}
        path = self.store_path or config.default_store_path()
        # Every long task on the store (uploads, syncs, eval runs) is a job of this runner;
        # shared=True: connect() in this process returns this store (no HTTP to itself).
        jobs = JobRunner(max_workers=self.job_workers, executor="job", around=job_reads)
        try:
            store = open_local(path, jobs=jobs, shared=True, query_timeout=self.query_timeout)
            store.budget_hints = dict(SERVER_HINTS)
        except AxisError as exc:
            # Keep the server up; the API answers 503 with this message.
            self.store_error = str(exc)
            self.log.error("AXIS: %s", exc)
            store = _UnavailableStore(path, str(exc))
        clean_orphans(self.upload_dir)  # uploads cut off by a kill -9 of an earlier server
        routes = all_routes()
        api_path = url_path_join(self.serverapp.base_url, API_PREFIX)
        self.state = AxisState(
            store=store, jobs=jobs,
            secret=secrets.token_urlsafe(32), api_path=api_path, version=__version__,
            call_pool=ThreadPoolExecutor(max_workers=self.call_workers,
                                         thread_name_prefix="axis-call"),
            upload_dir=self.upload_dir or _staging_uploads(store),
            max_upload_bytes=self.max_upload_bytes,
            sse_heartbeat=self.sse_heartbeat, max_json_rows=self.max_json_rows,
            extras={"routes": routes, "extension": self},
            query_timeout=self.query_timeout, max_result_rows=self.max_result_rows,
            max_result_bytes=self.max_result_bytes,
            user_slots=UserSlots(self.max_user_requests, self.max_user_queue))
        self.settings[STATE_KEY] = self.state
        if self.store_error is None and self.graph_url:
            from axis_jupyter.graph import connection

            connection.configure(store, self.graph_url)
        if self.store_error is None:
            self._export_env()
        self.log.info("AXIS: store %s, API at %s", path, api_path)

    def initialize_handlers(self):
        for item in self.state.extras["routes"]:
            pattern, handler, *rest = item
            self.handlers.append((url_path_join(API_PREFIX, pattern), handler, *rest))

    async def _start_jupyter_server_extension(self, serverapp):
        """After the port is bound: publish the final URL (``--port=0`` picks it late)."""
        import asyncio

        if self.state is not None:
            self.state.jobs.loop = asyncio.get_running_loop()
        if self.store_error is None:
            self._export_env()
            # Periodic sync scheduler (sources with refresh_interval_minutes) and the
            # startup sync of sources with auto_load; each sync runs as a server job.
            from . import handlers_sync

            handlers_sync.start_sync_services(self.state)

    def _export_env(self) -> None:
        if not self.set_kernel_env or self.state is None:
            return
        url, extra = server_api_url(self.serverapp)
        values = {ENV_URL: url, ENV_TOKEN: self.state.secret, **extra}
        for k, v in values.items():
            os.environ[k] = v
        self._env_set = values

    async def stop_extension(self):
        if self.state is None:
            return
        for k, v in getattr(self, "_env_set", {}).items():
            if os.environ.get(k) == v:
                del os.environ[k]
        self._env_set = {}
        if self.store_error is None:
            from . import handlers_sync

            handlers_sync.stop_sync_services(self.state)
        self.state.jobs.shutdown(wait=False)
        self.state.call_pool.shutdown(wait=False, cancel_futures=True)
        from axis_jupyter.graph import connection

        connection.close_for(self.state.store)  # the embedded FalkorDB goes with the store
        self.state.store.close()


def _staging_uploads(store) -> str | None:
    """Uploads land in the store's staging folder, where its sandboxed DuckDB reads them in
    place (no copy); the store clears leftovers of a killed server there at start."""
    if isinstance(store, _UnavailableStore):
        return None
    folder = getattr(store, "staging_dir", None)
    return str(folder) if folder is not None else None


class _UnavailableStore:
    """Stands in for a store that could not be opened: every use raises its error (503)."""

    def __init__(self, path: str, message: str):
        self.location = path
        self._message = message

    def close(self) -> None:
        pass

    def __getattr__(self, name):
        from axis_jupyter.errors import StoreError

        class StoreUnavailable(StoreError):
            status = 503

        raise StoreUnavailable(self._message)
