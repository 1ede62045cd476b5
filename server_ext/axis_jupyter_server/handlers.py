"""The core HTTP handlers under ``{base_url}axis/api/`` (the route table is in ``routes``).

Every handler is an :class:`~.base.AxisHandler` with its own ``auth_resource`` and every verb
is decorated with ``@tornado.web.authenticated`` and ``@authorized``. DuckDB work runs on
worker threads (``run_blocking`` / ``store.aread``), never on the event loop.
"""

from __future__ import annotations

import asyncio
import shutil

import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized

from axis_jupyter import errors as axis_errors
from axis_jupyter import params as P
from axis_jupyter import wire
from axis_jupyter.analytics.parameters import FILTERS
from axis_jupyter.alignment.identity import acting_as
from axis_jupyter.errors import AxisError, ParameterError, ResultTooLargeError

from .base import AxisHandler, SSEMixin
from .bounds import BoundedMixin
from .identity import user_name
from .multipart import MultipartStream, UploadError, boundary_from, upload_tempdir
from .params import Body, Param, Spec, described

MAX_JSON_PAGE_SIZE = 500
MAX_ARROW_PAGE_SIZE = 1_000_000
MAX_PAGE = 10**9  # with MAX_ARROW_PAGE_SIZE the offset stays far inside a 64-bit integer
KINDS = ("auto", "evals", "monitoring", "signals", "annotations", "kpi", "rules")


def job_error(job) -> AxisError:
    """The AxisError a failed job stands for (same code as the one raised in the job)."""
    if job.error_type == axis_errors.INTERNAL:
        cls = axis_errors.StoreError
    else:
        cls = axis_errors.error_class(job.error_type)
    if job.state == "cancelled":
        return axis_errors.ConflictError(f"job {job.id} was cancelled.")
    return cls(job.error or "the job failed")


def sql_arrow(store, query: str, limit: int | None = None, cap_rows: bool = True):
    """One read-only SELECT as an Arrow table (runs on the store's read pool); with
    ``cap_rows`` more rows than the request's ``max_result_rows`` is a 413."""
    return store.sql_arrow(query, limit=limit, cap_rows=cap_rows)


def dataset_row(info: dict) -> dict:
    return {"name": info["name"], "kind": info["kind"], "layout": info.get("layout"),
            "rows": info.get("rows"), "records": info.get("records"),
            "columns": len(info.get("columns", [])), "updated": info.get("updated")}


# --------------------------------------------------------------------------- health/meta
class HealthHandler(AxisHandler):
    auth_resource = "axis:health"
    _track_activity = False  # polled by kernels and front ends; must not defeat idle culling

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Server status: version, store path and number of datasets."""
        await self.store.aread(lambda cur: cur.execute("SELECT 1").fetchone())
        self.write_json({"status": "ok", "version": self.axis.version,
                         "store": self.store.location, "datasets": len(self.store.datasets())})


# --------------------------------------------------------------------------- datasets
@tornado.web.stream_request_body
class DatasetsHandler(AxisHandler):
    auth_resource = "axis:datasets"
    params = {"post": Spec(
        query=(Param("wait", P.BOOL, "wait for the load and answer 201 {dataset}"),
               Param("name", P.STRING, "dataset name (else the form field or the file name)"),
               Param("kind", P.STRING, f"dataset kind: {', '.join(KINDS)} (default auto)")),
        body=Body({"file": {"type": "string", "format": "binary",
                            "description": "the CSV, Parquet or JSON-lines file"},
                   "name": described(P.STRING, "dataset name"),
                   "kind": described(P.STRING, f"{', '.join(KINDS)} (default auto)"),
                   "mapping": described(P.STRING, "JSON object {your_column: canonical_column}"),
                   "encoding": described(P.STRING, "text encoding of a CSV (default utf-8)")},
                  required=("file",), content_type="multipart/form-data"))}
    openapi = {"post": {"responses": {"202": "the upload job {job, events}",
                                      "201": "with ?wait=1: {dataset}"}}}

    _upload: MultipartStream | None = None
    _tmpdir: str | None = None
    _upload_error: Exception | None = None

    async def prepare(self):  # type: ignore[override]
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        # The body is streamed: authenticate and authorize before reading any of it.
        if not self.current_user:
            raise tornado.web.HTTPError(403)
        allowed = await ensure_async(self.authorizer.is_authorized(
            self, self.current_user, "write", self.auth_resource))
        if not allowed:
            raise tornado.web.HTTPError(
                403, f"User is not authorized to write on resource: {self.auth_resource}.")
        if self.request.connection is not None and hasattr(self.request.connection,
                                                           "set_max_body_size"):
            self.request.connection.set_max_body_size(self.axis.max_upload_bytes)
        boundary = boundary_from(self.request.headers.get("Content-Type", ""))
        self._tmpdir = upload_tempdir(self.axis.upload_dir)
        self._upload = MultipartStream(boundary, self._tmpdir)

    def data_received(self, chunk: bytes) -> None:
        if self._upload is None or self._upload_error is not None:
            return
        try:
            self._upload.feed(chunk)
        except Exception as exc:  # noqa: BLE001 - reported by post()
            self._upload_error = exc
            self._upload.abort()

    def on_finish(self) -> None:
        self._cleanup_upload()

    def on_connection_close(self) -> None:
        self._cleanup_upload()
        super().on_connection_close()

    def _cleanup_upload(self) -> None:
        if self._upload is not None:
            self._upload.abort()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def write_error(self, status_code: int, **kwargs) -> None:
        if self.request.method == "POST":
            # A refused upload (403, a bad header) is answered before its body is read, and
            # tornado then closes the connection without saying so: say it, or a proxy in
            # front (JupyterHub's) reuses the connection and the next request gets a 503.
            self.set_header("Connection", "close")
        super().write_error(status_code, **kwargs)

    def _received_upload(self):
        """The streamed multipart body, closed, with its file on disk; or the error that ended
        it (too large, malformed, no ``file`` field)."""
        if self._upload_error is not None:
            raise self._upload_error
        up = self._upload
        if up is None:  # pragma: no cover - prepare always sets it for POST
            raise UploadError("upload the file as multipart/form-data.")
        up.close()
        if up.file_path is None:
            raise UploadError("the upload has no file: send it in a multipart field named 'file'.")
        return up

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """List datasets: name, kind, layout, rows, records, columns, updated."""
        infos = [self.store.info(n) for n in self.store.datasets()["name"]]
        self.write_json({"datasets": [dataset_row(i) for i in infos]})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Upload a file (multipart field ``file``) as a dataset; runs as an ``upload`` job."""
        from axis_jupyter.store.local import check_name, dataset_name_from

        up = self._received_upload()
        fields = up.fields
        args = self.query_args()
        name = args.get("name") or fields.get("name") or dataset_name_from(up.filename)
        check_name(name)
        kind = args.get("kind") or fields.get("kind") or "auto"
        mapping = None
        if fields.get("mapping"):
            mapping = P.parse_text("mapping", fields["mapping"],
                                   {"type": "object", "additionalProperties": P.STRING})
        encoding = fields.get("encoding") or "utf-8"
        _check_encoding(encoding)
        path, tmpdir, store = up.file_path, self._tmpdir, self.store
        nbytes, filename = up.file_bytes, up.filename

        def work(job):
            from axis_jupyter.ingest import without_contents

            try:
                job.progress(stage="loading", filename=filename, bytes=nbytes)
                with without_contents():  # the error is read over HTTP: no file content
                    ds = store.load(str(path), name=name, kind=kind, mapping=mapping,
                                    encoding=encoding)
                info = store.info(ds.name)
                for w in info.get("warnings") or []:
                    job.log(w, level="warning")
                job.progress(stage="done", rows=info.get("rows"))
                return info
            finally:
                shutil.rmtree(tmpdir, ignore_errors=True)

        job = self.jobs.start("upload", work, key=f"dataset:{name}",
                              params={"name": name, "kind": kind, "filename": filename,
                                      "bytes": nbytes},
                              owner=getattr(self.current_user, "username", None))
        self._tmpdir = None  # the job owns (and removes) the file now
        if args.get("wait"):
            await job.wait()
            if job.state != "succeeded":
                raise job_error(job)
            self.set_header("Location", f"{self.axis.api_path}datasets/{name}")
            self.write_json({"dataset": job.result}, status=201)
        else:
            self.job_accepted(job)


def _check_encoding(encoding: str) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParameterError(f"encoding {P.shown(encoding)} is not a known text encoding "
                             "(e.g. utf-8, latin-1, utf-16).", param="encoding") from None


class DatasetHandler(AxisHandler):
    auth_resource = "axis:datasets"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """The dataset's metadata: kind, layout, columns, filter values, time range, counts."""
        self.write_json(self.store.info(name))

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str):
        """Delete the dataset."""
        self.store.info(name)  # 404 early
        if self.jobs.running(f"dataset:{name}") is not None:
            raise axis_errors.ConflictError(f"dataset {name!r} is being loaded; try again after "
                                            "the upload job finishes.")
        await self.run_blocking(self.store.drop, name)
        self.set_status(204)
        self.finish()


class RowsHandler(BoundedMixin, AxisHandler):
    auth_resource = "axis:rows"
    params = {"get": Spec(query=(
        Param("page", P.integer(1, MAX_PAGE), "1-based page (default 1)"),
        Param("page_size", P.integer(1, MAX_ARROW_PAGE_SIZE),
              f"rows per page (default 50, at most {MAX_JSON_PAGE_SIZE} as JSON, and at most "
              "AxisExtension.max_result_rows as Arrow)"),
        Param("sort_by", P.STRING, "column to sort by"),
        Param("descending", P.BOOL, "sort descending"),
        Param("search", P.STRING, "case-insensitive text search in string columns"),
        Param("filters", FILTERS, "filters (equality, IN, time_range)"),
        Param("columns", P.STRINGS, "columns to return"),
        Param("parse", P.BOOL, "parse JSON-ish columns (signals, ...)")))}
    openapi = {"get": {
        "responses": {"200": "{rows: [{...}], total, page, page_size}; with Accept: "
                             f"{wire.ARROW_STREAM} the page as Arrow IPC and the total in "
                             f"the {wire.TOTAL_HEADER} header"},
        "arrow": True,
    }}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """One page of the dataset's rows (paged, sorted, searched, filtered)."""
        self.store.info(name)
        args = self.query_args()
        page, page_size = args.get("page", 1), args.get("page_size", 50)
        arrow = self.wants_arrow
        if not arrow and page_size > MAX_JSON_PAGE_SIZE:
            raise ParameterError(f"page_size must be at most {MAX_JSON_PAGE_SIZE} (got {page_size}); "
                                 f"ask for Accept: {wire.ARROW_STREAM} for bigger pages.",
                                 param="page_size")
        columns = args.get("columns") or None
        if columns and len(set(columns)) != len(columns):
            twice = sorted({c for c in columns if columns.count(c) > 1})
            raise ParameterError(f"columns names {', '.join(map(repr, twice))} more than once.",
                                 param="columns")
        cap = self.axis.max_result_rows
        if cap and page_size > cap:
            raise ResultTooLargeError(
                f"page_size must be at most {cap:,} (got {page_size:,}), the most rows one "
                "answer may carry; ask for smaller pages or raise AxisExtension.max_result_rows.")
        async with self.bounded():
            df, total = await self.run_bounded(
                self.store.rows, name, page=page, page_size=page_size,
                sort_by=args.get("sort_by"), descending=args.get("descending", False),
                search=args.get("search"), filters=args.get("filters"), columns=columns,
                parse=args.get("parse", False) and not arrow)
            if arrow:
                payload = await self.run_blocking(wire.to_ipc, df)
                self.check_answer_size(len(payload))
                self.set_header(wire.TOTAL_HEADER, str(total))
                self.finish(payload, set_content_type=wire.ARROW_STREAM)
                return
            body = await self.run_blocking(lambda: wire.dumps(
                {"rows": wire.records(df), "total": total, "page": page,
                 "page_size": page_size}))
            self.check_answer_size(len(body))
            self.finish(body)


# --------------------------------------------------------------------------- analytics
class AnalyticsListHandler(AxisHandler):
    auth_resource = "axis:analytics"

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The analytics by name: name, kinds (dataset kinds it applies to), doc."""
        from axis_jupyter.analytics import registry

        items = registry.load_all()
        self.write_json({"analytics": [{"name": a.name, "kinds": list(a.kinds), "doc": a.doc}
                                       | {"parameters": a.param_schemas(), "required": list(a.required())}
                                       for a in sorted(items.values(), key=lambda a: a.name)]})


def analytic_fields() -> dict:
    """Every analytic parameter (each analytic takes some of them; ``GET analytics`` says
    which)."""
    from axis_jupyter.analytics import parameters

    return dict(parameters.PARAMS)


def analytic_names() -> list[str]:
    from axis_jupyter.analytics import registry

    return sorted(registry.load_all())


class AnalyticHandler(BoundedMixin, AxisHandler):
    auth_resource = "axis:analytics"
    params = {"post": Spec(body=Body(
        analytic_fields, description="the analytic's parameters (GET analytics lists which "
                                     "ones each analytic takes), e.g. {\"threshold\": 0.5, "
                                     "\"by\": \"evaluation_name\", \"filters\": {...}}"))}
    path_enums = {"analytic": analytic_names}
    openapi = {"post": {
        "responses": {"200": "{columns, data} or Arrow IPC (Accept header)"},
        "arrow": True,
    }}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, analytic: str):
        """Run an analytic on the dataset with JSON parameters."""
        params = self.json_body()  # checked by the analytic itself (the engine's schemas)
        if "dataset" in params or "name" in params:
            raise ParameterError("'dataset' and 'name' are not analytic parameters (they come "
                                 "from the URL).", param="dataset" if "dataset" in params else "name")
        self.store.info(name)
        async with self.bounded():
            df = await self.run_bounded(lambda: self.store.analytic(name, analytic, **params))
            await self.write_table(df)


# --------------------------------------------------------------------------- query
class QueryHandler(BoundedMixin, AxisHandler):
    auth_resource = "axis:query"
    params = {"post": Spec(body=Body({
        "sql": described(P.STRING, "one SELECT over the store's datasets"),
        "query": described(P.STRING, "the same as sql"),
        "limit": described(P.integer(1, 10**12), "at most this many rows")}))}
    openapi = {"post": {
        "responses": {"200": "{columns, data, truncated} or Arrow IPC (Accept header)",
                      "400": "not exactly one SELECT, unknown table, SQL error",
                      "413": "the answer passes AxisExtension.max_result_rows or max_result_bytes",
                      "422": "the query ran longer than AxisExtension.query_timeout",
                      "429": "the user already runs AxisExtension.max_user_requests heavy requests"},
        "arrow": True,
    }}

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Run one read-only SELECT over the store's datasets."""
        body = self.body_args()
        sql = body.get("sql") or body.get("query")
        if not sql or not sql.strip():
            raise ParameterError("sql is required: send {\"sql\": \"SELECT ...\"}.", param="sql")
        limit = body.get("limit")
        async with self.bounded():
            if self.wants_arrow:  # more rows than max_result_rows: 413
                table = await self.run_bounded(sql_arrow, self.store, sql, limit)
                await self.write_table(table)
                return
            cap = self.axis.max_json_rows  # JSON: the first rows, marked truncated
            fetch = min(limit, cap + 1) if limit else cap + 1
            table = await self.run_bounded(sql_arrow, self.store, sql, fetch, False)
            truncated = table.num_rows > cap
            if truncated:
                table = table.slice(0, cap)
            await self.write_table(table, extra={"truncated": truncated, "rows": table.num_rows})


# --------------------------------------------------------------------------- views
def view_names() -> list[str]:
    from axis_jupyter.payloads import views

    return sorted(views())


def view_actions() -> list[str]:
    from axis_jupyter.payloads import views

    from axis_jupyter.payloads.filterbar import SHARED_ACTIONS

    return sorted({a for v in views().values() for a in v.actions} | set(SHARED_ACTIONS))


class ViewActionHandler(BoundedMixin, AxisHandler):
    auth_resource = "axis:views"
    params = {"post": Spec(body=Body(extra=True, description="the action's parameters"))}
    path_enums = {"view": view_names, "action": view_actions}
    openapi = {"post": {
        "responses": {"200": "the action's JSON result"},
    }}

    @tornado.web.authenticated
    @authorized
    async def post(self, view: str, action: str, name: str | None = None):
        """Run a view action (what an inline view shows) and return its JSON."""
        from axis_jupyter.ingest import without_contents
        from axis_jupyter.notebook.widgets import call_action

        params = self.json_body()
        await self.authorize_guarded(view, action)
        if name is not None:
            self.store.info(name)

        user = user_name(self)  # who the action acts for: never a field of the request

        def run():
            with without_contents(), acting_as(user):  # imports of the database view: no data in errors
                return wire.dumps(call_action(self.store, name, view, action, params))

        # Run and encode in the thread pool: a payload's JSON costs a few ms, not the loop's.
        async with self.bounded():
            body = await self.run_bounded(run)
            self.check_answer_size(len(body))
            self.finish(body)


    async def authorize_guarded(self, view: str, action: str) -> None:
        """An action that acts (connects to a database, syncs, starts a run) also needs
        ``write`` on its own resource (``ViewSpec.guarded``), asked of the same authorizer."""
        from axis_jupyter.payloads.registry import get_view

        resource = get_view(view).guarded.get(action)
        if resource is None:
            return
        allowed = await ensure_async(self.authorizer.is_authorized(
            self, self.current_user, "write", resource))
        if not allowed:
            raise tornado.web.HTTPError(
                403, f"User is not authorized to write on resource: {resource}.")


# --------------------------------------------------------------------------- jobs
class JobsHandler(AxisHandler):
    auth_resource = "axis:jobs"
    _track_activity = False  # polled
    params = {"get": Spec(query=(Param("kind", P.STRING, "only jobs of this kind"),))}

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Known jobs, newest first (without their results)."""
        kind = self.query_args().get("kind")
        self.write_json({"jobs": [j.to_dict(result=False) for j in self.jobs.list(kind)]})


class JobHandler(AxisHandler):
    auth_resource = "axis:jobs"

    @property
    def _track_activity(self) -> bool:  # type: ignore[override]
        return self.request.method != "GET"  # polling is not user activity

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str):
        """One job: state, progress, result, error, times."""
        self.write_json(self.jobs.get(job_id).to_dict())

    @tornado.web.authenticated
    @authorized
    async def delete(self, job_id: str):
        """Cancel the job (409 if it already finished); answers the job."""
        self.write_json(self.jobs.cancel(job_id).to_dict())


class JobEventsHandler(SSEMixin, AxisHandler):
    """Server-Sent Events of one job.

    Works with a browser ``EventSource`` (cookie auth, plus ``?_xsrf=`` under JupyterHub)
    and with a token header. ``Last-Event-ID`` (or ``?last_event_id=``) resumes.
    """

    auth_resource = "axis:jobs"
    params = {"get": Spec(query=(
        Param("last_event_id", P.integer(0, 2**62), "resume after this event id"),
        Param("_xsrf", P.STRING, "the _xsrf cookie value (needed by JupyterHub for "
                                 "EventSource requests)")))}
    openapi = {"get": {
        "responses": {"200": "text/event-stream: job (snapshot, first), progress, log, "
                             "result, error, custom events, and done (last); ': heartbeat' "
                             "comments"},
        "content": "text/event-stream",
    }}

    _client_gone = False
    _flag: asyncio.Event | None = None

    def on_connection_close(self) -> None:
        self._client_gone = True
        if self._flag is not None:
            self._flag.set()  # stop waiting now, not at the next heartbeat
        super().on_connection_close()

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str):
        """Stream the job's events as Server-Sent Events until it is done."""
        last_seq = self.last_event_id()  # a bad parameter is a 400 before any lookup
        await self.stream_job(self.jobs.get(job_id), last_seq)

    def last_event_id(self) -> int:
        """Where to resume: ``Last-Event-ID`` (an EventSource reconnecting) or
        ``?last_event_id=``; 0 for the whole stream."""
        header = self.request.headers.get("Last-Event-ID")
        if header:
            return P.parse_text("Last-Event-ID", header, P.integer(0, 2**62))
        return self.query_args().get("last_event_id", 0)

    async def stream_job(self, job, last_seq: int = 0) -> None:
        """Stream ``job``'s events after ``last_seq`` (undecorated: subclasses with their own
        ``auth_resource`` call this from their own decorated verb, never ``super().get`` —
        jupyter_server's ``@authorized`` keeps the first resource it sees for every later
        call)."""
        self.sse_headers()
        flag = self._flag = job.subscribe_async()
        heartbeat = self.axis.sse_heartbeat
        try:
            # First event at once (a proxy or browser may wait for the first bytes).
            ok = await self.sse_send("job", job.to_dict(result=False), retry_ms=3000)
            finished = False
            while ok and not finished:
                flag.clear()
                events = job.events_after(last_seq)
                for ev in events:
                    ok = await self.sse_send(ev.event, ev.data, event_id=ev.seq)
                    if not ok:
                        break
                    last_seq = ev.seq
                    if ev.event == "done":
                        finished = True
                        break
                if not ok or finished:
                    break
                if job.complete and not job.events_after(last_seq):
                    break  # resumed after the end
                try:
                    await asyncio.wait_for(flag.wait(), timeout=heartbeat)
                except asyncio.TimeoutError:
                    ok = await self.sse_comment("heartbeat")
                if self._client_gone:
                    ok = False
        finally:
            job.unsubscribe(flag)
        if ok:
            self.finish(set_content_type="text/event-stream; charset=utf-8")


__all__ = ["AnalyticHandler", "AnalyticsListHandler", "DatasetHandler", "DatasetsHandler",
           "HealthHandler", "JobEventsHandler", "JobHandler", "JobsHandler", "QueryHandler",
           "RowsHandler", "ViewActionHandler", "sql_arrow"]
