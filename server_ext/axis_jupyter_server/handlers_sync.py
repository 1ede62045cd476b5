"""HTTP API of the PostgreSQL sync and the database browser (reference §1.8, §1.9).

Routes, relative to ``{base_url}axis/api/`` (see :func:`routes`):

Sync (``auth_resource = "axis:sync"``)
  GET    sync                              status of every source {success, enabled, datasets}
  POST   sync?full=false                   start a sync job per enabled source (409 if any runs)
  GET    sync/sources                      configured sources (never a secret)
  POST   sync/sources                      add/replace a source (body = add_source arguments)
  DELETE sync/sources/{source}             remove a source (404 unknown, 409 while it syncs);
                                           the dataset it synced stays
  GET    sync/{source}                     status of one source
  POST   sync/{source}?full=false          start its sync job -> 202 {job, events}; 409 if running
  DELETE sync/{source}                     cancel its running sync
  POST   sync/{source}/reset-watermark     the next sync is a full rebuild
  GET    sync/{source}/events              SSE of its current (or last) sync job

Database browser (``auth_resource = "axis:database"``)
  POST   database/connect                  {host, port, database, username, password, ssl_mode}
                                           or {source} -> {handle, expires_in, version, target}
  GET    database/stats                    {active_handles, max_handles}
  GET    database/{handle}/tables
  GET    database/{handle}/schema?schema=public&table=T
  POST   database/{handle}/distinct-values {table{schema_name,name} | table, schema, column, limit}
  POST   database/{handle}/preview         {table, schema, filters, columns, limit}
  POST   database/{handle}/query           {query, limit<=100}
  POST   database/{handle}/import          {table, schema, name, kind, filters, limit} -> dataset
  POST   database/{handle}/query-import    {query, name, kind, limit<=50000} -> dataset
  DELETE database/{handle}

Expired handles answer 401, too many handles 429, a running sync 409.

Secrets: nothing a request sets is expanded from the environment, and no answer carries a
password or a value read from the environment. A source's password comes only from
``password_env`` naming an allowed variable (``axis_jupyter.sync.secrets``); ``${VAR}`` in a
``url`` is refused (see ``axis_jupyter.sync.config``). Imports from the browser report load
errors without the data's content.

Starting the periodic scheduler (and the startup sync) from the extension — in
``AxisExtension._start_jupyter_server_extension`` after the job runner has its loop::

    from . import handlers_sync
    handlers_sync.start_sync_services(self.state)

and in ``stop_extension`` before the job runner shuts down::

    handlers_sync.stop_sync_services(self.state)
"""

from __future__ import annotations

import logging

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from axis_jupyter.errors import ConflictError, QueryError
from axis_jupyter.ingest import without_contents
from axis_jupyter.sync import browser, engine
from axis_jupyter.sync import config as sconfig
from axis_jupyter.wire import jsonable

from .base import AxisHandler
from .handlers import JobEventsHandler
from .params import Body, Param, Spec, described

log = logging.getLogger("axis_jupyter_server.sync")

SOURCE = r"(?P<source>[A-Za-z][A-Za-z0-9_]{0,62})"
HANDLE = r"(?P<handle>[0-9a-f]{8,64})"


# --------------------------------------------------------------------------- jobs
job_key = engine.job_key


def start_sync_job(state, source: str, *, full: bool = False, reason: str = "manual"):
    """Start the sync of ``source`` as a server job (404 for an unknown source, 409 if one
    is queued or running): a job of the store's runner, which is the server's."""
    return engine.start_sync(state.store, source, full=full, reason=reason)


def start_sync_services(state):
    """Startup sync (``sync_mode: startup`` + sources with ``auto_load``) and the scheduler."""
    from axis_jupyter.sync.scheduler import Scheduler

    try:
        settings = sconfig.load_store_settings()
        if settings.sync_mode == "startup":
            for cfg in engine.eligible_sources("startup"):
                try:
                    start_sync_job(state, cfg.name, reason="startup")
                except Exception as exc:  # noqa: BLE001 - logged; the server starts anyway
                    log.warning("AXIS startup sync of %s not started: %s", cfg.name, exc)
    except Exception as exc:  # noqa: BLE001
        log.warning("AXIS sync config: %s", exc)

    sched = Scheduler(state.store).start()  # each scheduled sync is a job of state.jobs
    state.extras["sync_scheduler"] = sched
    return sched


def stop_sync_services(state) -> None:
    sched = state.extras.pop("sync_scheduler", None)
    if sched is not None:
        sched.stop(timeout=2)
    for job in state.jobs.list(engine.JOB_KIND):
        if not job.done:
            job.cancel()


# --------------------------------------------------------------------------- sync
class _SyncBase(AxisHandler):
    auth_resource = "axis:sync"


class SyncHandler(_SyncBase):
    params = {"post": Spec(query=(Param("full", P.BOOL, "full rebuild instead of incremental"),))}
    openapi = {"post": {"responses": {"202": "one job per source", "409": "a sync is running"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Sync status of every source: state, rows, last_sync, error, incremental rows, watermark."""
        datasets = await self.run_blocking(engine.status_all, self.store)
        self.write_json({"success": True, "enabled": True, "datasets": jsonable(datasets)})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Start a sync job for every enabled source (409 if any of them is running)."""
        full = self.query_args().get("full", False)
        cfgs = await self.run_blocking(engine.eligible_sources)
        running = [c.name for c in cfgs if self.jobs.running(job_key(c.name))
                   or engine.is_running(self.store, c.name)]
        if running:
            raise ConflictError(f"a sync is already running for {', '.join(running)}.")
        jobs = [start_sync_job(self.axis, c.name, full=full) for c in cfgs]
        self.write_json({"success": True, "message": f"started {len(jobs)} sync job(s)",
                         "jobs": [j.to_dict() for j in jobs]}, status=202)


class SourcesHandler(_SyncBase):
    params = {"post": Spec(body=Body({
        "name": described(P.STRING, "source (and dataset) name"),
        "kind": described(P.STRING, "evals, monitoring, signals or kpi"),
        "url": described(P.STRING, "postgresql://user@host:5432/db (no password: use "
                                   "password_env)"),
        "dataset_query": described(P.STRING, "SELECT ..."),
        "results_query": described(P.STRING, "SELECT ... (optional)"),
        "incremental_column": described(P.STRING, "optional"),
        "partition_column": described(P.STRING, "optional"),
        "refresh_interval_minutes": described(P.number(0, 525_600), "0 = no schedule"),
        "columns": described({"type": "object", "additionalProperties": P.STRING},
                             "rename map {source_column: dataset_column}"),
        "query_timeout": described(P.integer(1, 86_400), "seconds"),
        "password_env": described(P.STRING, "env var with the password: AXIS_SOURCE_*, *_PASSWORD, PG* or "
                                            "the server's AXIS_SOURCE_ENV_ALLOW patterns; never the "
                                            "server's own secrets"),
        "enabled": P.BOOL},
        required=("name", "kind", "url", "dataset_query")))}
    openapi = {"post": {"responses": {"200": "{success, source}", "400": "invalid field (named), a ${VAR} in "
                                      "url, or a password_env that sources may not read"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The configured sources (no secrets)."""
        srcs = await self.run_blocking(lambda: [c.public() for c in sconfig.list_sources().values()])
        self.write_json({"sources": jsonable(srcs)})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Add or replace a source (written as YAML; a URL password is never written)."""
        body = self.body_args()
        allowed = {"name", "kind", "url", "dataset_query", "results_query", "incremental_column",
                   "partition_column", "refresh_interval_minutes", "columns", "query_timeout",
                   "password_env", "enabled"}
        unknown = set(body) - allowed
        if unknown:
            raise QueryError(f"unknown field(s) {', '.join(sorted(unknown))}.")
        for key in ("name", "kind", "url", "dataset_query"):
            if not body.get(key):
                raise QueryError(f"{key} is required.")
        pub = await self.run_blocking(lambda: engine.add_source(self.store, **body))
        sched = self.axis.extras.get("sync_scheduler")
        if sched is not None:
            sched.wake()
        self.write_json({"success": True, "source": jsonable(pub)})


class SourceHandler(_SyncBase):
    openapi = {"delete": {"responses": {"200": "{success, message}", "404": "unknown source",
                                        "409": "its sync is running"}}}

    @tornado.web.authenticated
    @authorized
    async def delete(self, source: str):
        """Remove a source (its YAML file, even one that no longer validates); the dataset it
        synced stays."""
        if self.jobs.running(job_key(source)) is not None or engine.is_running(self.store, source):
            raise ConflictError(f"a sync of {source!r} is running; cancel it (DELETE sync/{source}) "
                                "or wait, then remove the source.")
        await self.run_blocking(sconfig.remove_source, source)
        sched = self.axis.extras.get("sync_scheduler")
        if sched is not None:
            sched.wake()
        self.write_json({"success": True, "message": f"source {source!r} removed; its dataset "
                                                     "stays."})


class SourceSyncHandler(_SyncBase):
    params = {"post": Spec(query=(Param("full", P.BOOL, "full rebuild instead of incremental"),))}
    openapi = {"post": {"responses": {"202": "the sync job", "404": "unknown source",
                                      "409": "already running"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self, source: str):
        """Sync status of one source."""
        await self.run_blocking(sconfig.get_source, source)
        st = await self.run_blocking(engine.status_dict, self.store, source)
        job = self.jobs.running(job_key(source))
        self.write_json({"success": True, "status": jsonable(st),
                         "job": job.to_dict(result=False) if job else None})

    @tornado.web.authenticated
    @authorized
    async def post(self, source: str):
        """Start the sync of one source as a job; progress streams from its events URL."""
        full = self.query_args().get("full", False)
        if engine.is_running(self.store, source):
            raise ConflictError(f"a sync of {source!r} is already running.")
        job = await self.run_blocking(start_sync_job, self.axis, source, full=full)
        self.job_accepted(job)

    @tornado.web.authenticated
    @authorized
    async def delete(self, source: str):
        """Cancel the running sync of one source (its previous data stays)."""
        job = self.jobs.running(job_key(source))
        if job is not None:
            self.jobs.cancel(job.id)
        ok = engine.cancel(self.store, source) or job is not None
        self.write_json({"success": ok, "message": "cancel requested" if ok else "no sync running"})


class ResetWatermarkHandler(_SyncBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, source: str):
        """Clear the watermarks: the next sync of this source is a full rebuild."""
        self.write_json(await self.run_blocking(engine.reset_watermark, self.store, source))


class SourceEventsHandler(JobEventsHandler):
    """Server-Sent Events of a source's current (or most recent) sync job.

    Authorized as ``axis:sync`` by its own decorated ``get``, which streams through the
    undecorated ``stream_job``: calling ``JobEventsHandler.get`` (decorated) would make
    jupyter_server's ``@authorized`` remember ``axis:sync`` for every later job stream."""

    auth_resource = "axis:sync"

    @tornado.web.authenticated
    @authorized
    async def get(self, source: str):  # type: ignore[override]
        """Stream the events of the source's current or last sync job (404 if none)."""
        last_seq = self.last_event_id()
        job = self.jobs.running(job_key(source))
        if job is None:
            jobs = [j for j in self.jobs.list("sync") if j.key == job_key(source)]
            if not jobs:
                from axis_jupyter.errors import NotFoundError

                raise NotFoundError(f"no sync job for {source!r} yet; POST sync/{source} starts one.")
            job = jobs[0]
        await self.stream_job(job, last_seq)


# --------------------------------------------------------------------------- browser
class _DbBase(AxisHandler):
    auth_resource = "axis:database"


class ConnectHandler(_DbBase):
    params = {"post": Spec(body=Body({
        "host": P.STRING, "port": described(P.integer(1, 65535), "default 5432"),
        "database": P.STRING, "username": P.STRING,
        "password": described(P.STRING, "never stored"),
        "ssl_mode": P.one_of(*sconfig.SSL_MODES),
        "source": described(P.STRING, "or: a configured source"),
        "db_type": P.one_of("postgres", "postgresql"), "store": P.STRING}))}
    openapi = {"post": {
        "responses": {"200": "{handle, expires_in, version, target}", "429": "too many handles"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Check the credentials once and get a handle that expires after 15 minutes."""
        b = self.body_args()
        allowed = {"host", "port", "database", "username", "password", "ssl_mode", "source", "db_type", "store"}
        unknown = set(b) - allowed
        if unknown:
            raise QueryError(f"unknown field(s) {', '.join(sorted(unknown))}.")
        if b.get("db_type", "postgres") not in ("postgres", "postgresql"):
            raise QueryError("only db_type postgres is supported.")
        if b.get("source"):
            res = await self.run_blocking(browser.connect, source=b["source"])
        else:
            res = await self.run_blocking(
                browser.connect, host=b.get("host"), port=int(b.get("port") or 5432),
                database=b.get("database"), username=b.get("username"),
                password=b.get("password"), ssl_mode=b.get("ssl_mode") or "prefer")
        self.write_json({"success": True, "message": "connected", **res})


class StatsHandler(_DbBase):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Open handles and the cap."""
        self.write_json(browser.stats())


class HandleHandler(_DbBase):
    @tornado.web.authenticated
    @authorized
    async def delete(self, handle: str):
        """Close a handle."""
        self.write_json(browser.disconnect(handle))


class TablesHandler(_DbBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, handle: str):
        """Tables and views (outside system schemas) with row estimates."""
        self.write_json({"success": True, "tables": await self.run_blocking(browser.tables, handle)})


class SchemaHandler(_DbBase):
    params = {"get": Spec(query=(Param("schema", P.STRING, "default public"),
                                 Param("table", P.STRING, "table", required=True)))}

    @tornado.web.authenticated
    @authorized
    async def get(self, handle: str):
        """Columns and the first 5 rows of a table."""
        args = self.query_args()
        res = await self.run_blocking(browser.schema, handle, args["table"],
                                      schema=args.get("schema") or "public")
        self.write_json({"success": True, **jsonable(res)})


TABLE = {"anyOf": [P.STRING, {"type": "object", "properties": {
    "name": P.STRING, "schema_name": P.STRING}, "required": ["name"]}],
    "description": "table name, or {name, schema_name}"}
FILTER_VALUES = {"type": "object", "additionalProperties": {
    "anyOf": [P.STRING, P.NUMBER, P.BOOL, {"type": "array", "items": {
        "anyOf": [P.STRING, P.NUMBER, P.BOOL]}}], "nullable": True}}
NAME_KIND = {"name": described(P.STRING, "dataset name"), "kind": P.STRING,
             "mapping": {"type": "object", "additionalProperties": P.STRING}}


def _table_args(b: dict) -> tuple[str, str]:
    t = b.get("table")
    if isinstance(t, dict):
        return str(t.get("name") or ""), str(t.get("schema_name") or "public")
    if not t:
        raise QueryError("table is required.")
    return str(t), str(b.get("schema") or "public")


class DistinctHandler(_DbBase):
    params = {"post": Spec(body=Body({
        "table": TABLE, "schema": P.STRING, "column": P.STRING,
        "limit": P.integer(1, 10_000)}, required=("table", "column")))}
    @tornado.web.authenticated
    @authorized
    async def post(self, handle: str):
        """Distinct values of one column (for filter dropdowns)."""
        b = self.body_args()
        table, schema = _table_args(b)
        vals = await self.run_blocking(browser.distinct_values, handle, table, str(b.get("column") or ""),
                                       schema=schema, limit=b.get("limit", 100))
        self.write_json({"success": True, "values": jsonable(vals)})


class PreviewHandler(_DbBase):
    params = {"post": Spec(body=Body({
        "table": TABLE, "schema": P.STRING, "filters": FILTER_VALUES, "columns": P.STRINGS,
        "limit": P.integer(1, browser.MAX_QUERY_ROWS)}, required=("table",)))}
    @tornado.web.authenticated
    @authorized
    async def post(self, handle: str):
        """A few rows of a table with equality filters (values are parameters)."""
        b = self.body_args()
        table, schema = _table_args(b)
        res = await self.run_blocking(browser.preview, handle, table, schema=schema,
                                      filters=b.get("filters"), columns=b.get("columns"),
                                      limit=b.get("limit", 10))
        self.write_json({"success": True, **jsonable(res)})


class QueryPreviewHandler(_DbBase):
    params = {"post": Spec(body=Body({
        "query": P.STRING, "limit": P.integer(1, browser.MAX_QUERY_ROWS)},
        required=("query",)))}
    @tornado.web.authenticated
    @authorized
    async def post(self, handle: str):
        """Preview one read-only SELECT (read-only transaction, timeout, at most 100 rows)."""
        b = self.body_args()
        res = await self.run_blocking(browser.query, handle, str(b.get("query") or ""),
                                      limit=b.get("limit", 10))
        self.write_json({"success": True, **jsonable(res)})


def _without_contents(fn, *args, **kwargs):
    """``fn(...)`` with load errors reported without the data's content (answered over HTTP)."""
    with without_contents():
        return fn(*args, **kwargs)


def _imported(ds) -> dict:
    info = ds.info
    return {"success": True, "dataset": ds.name, "rows": info["rows"], "kind": info["kind"],
            "layout": info["layout"], "warnings": info.get("warnings", [])}


class ImportHandler(_DbBase):
    params = {"post": Spec(body=Body({
        "table": TABLE, "schema": P.STRING, "filters": FILTER_VALUES, **NAME_KIND,
        "limit": P.integer(1, browser.MAX_IMPORT_ROWS)}, required=("table",)))}
    @tornado.web.authenticated
    @authorized
    async def post(self, handle: str):
        """Import (at most ``limit`` rows of) a table as a dataset."""
        b = self.body_args()
        table, schema = _table_args(b)
        ds = await self.run_blocking(_without_contents, browser.import_table, self.store, handle,
                                     table, name=b.get("name"), schema=schema,
                                     kind=b.get("kind") or "auto", filters=b.get("filters"),
                                     mapping=b.get("mapping"), limit=b.get("limit", 10000))
        self.write_json(jsonable(_imported(ds)))


class QueryImportHandler(_DbBase):
    params = {"post": Spec(body=Body({
        "query": P.STRING, **NAME_KIND, "limit": P.integer(1, browser.MAX_IMPORT_ROWS)},
        required=("query", "name")))}
    @tornado.web.authenticated
    @authorized
    async def post(self, handle: str):
        """Import the result of one read-only SELECT as a dataset."""
        b = self.body_args()
        if not b.get("name"):
            raise QueryError("name is required (the dataset name).")
        ds = await self.run_blocking(_without_contents, browser.import_query, self.store, handle,
                                     str(b.get("query") or ""), name=b["name"],
                                     kind=b.get("kind") or "auto", mapping=b.get("mapping"),
                                     limit=b.get("limit", 10000))
        self.write_json(jsonable(_imported(ds)))


def routes() -> list[tuple[str, type]]:
    return [
        (r"sync", SyncHandler),
        (r"sync/sources", SourcesHandler),
        (rf"sync/sources/{SOURCE}", SourceHandler),
        (rf"sync/{SOURCE}", SourceSyncHandler),
        (rf"sync/{SOURCE}/reset-watermark", ResetWatermarkHandler),
        (rf"sync/{SOURCE}/events", SourceEventsHandler),
        (r"database/connect", ConnectHandler),
        (r"database/stats", StatsHandler),
        (rf"database/{HANDLE}", HandleHandler),
        (rf"database/{HANDLE}/tables", TablesHandler),
        (rf"database/{HANDLE}/schema", SchemaHandler),
        (rf"database/{HANDLE}/distinct-values", DistinctHandler),
        (rf"database/{HANDLE}/preview", PreviewHandler),
        (rf"database/{HANDLE}/query", QueryPreviewHandler),
        (rf"database/{HANDLE}/import", ImportHandler),
        (rf"database/{HANDLE}/query-import", QueryImportHandler),
    ]
