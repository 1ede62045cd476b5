"""The store of a Jupyter server, used over HTTP from a kernel (or any program).

``axis_jupyter.connect()`` returns a :class:`RemoteStore` when this process was started by a
Jupyter server running the AXIS extension: the server owns the DuckDB file (one read-write
process per file) and kernels are its clients, so any number of notebooks share one store
without touching DuckDB's file lock. The interface is :class:`~axis_jupyter.store.base.Store`;
only the transport differs:

* tables travel as Arrow IPC streams (analytics, SQL, pages of rows), metadata as JSON;
* ``load`` uploads the file (frames as Parquet bytes) and waits for the server's upload job,
  following its Server-Sent Events;
* ``table(name)`` is an unbound Ibis table with the dataset's schema; run expressions with
  :meth:`RemoteStore.execute` (compiled to DuckDB SQL, run by the read-only query endpoint);
* errors come back as the same :class:`~axis_jupyter.errors.AxisError` subclasses with the
  server's message.

Environment (set by the extension in every kernel it starts): ``AXIS_SERVER_URL`` (the
``.../axis/api/`` URL), ``AXIS_SERVER_TOKEN`` (sent as ``Authorization: axis-token ...``),
optional ``AXIS_SERVER_SOCKET`` (a Unix socket) and ``AXIS_SERVER_VERIFY=0``. Under JupyterHub
``JUPYTERHUB_API_TOKEN`` works as the token and ``JUPYTERHUB_SERVICE_URL`` as the server.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import httpx
import pandas as pd

from .. import errors, wire
from ..errors import AxisError, IngestError, QueryError, StoreError
from .base import Dataset, Store

HEALTH_TIMEOUT = 2.0


def _error_for(resp: httpx.Response) -> AxisError:
    """The AxisError for an error response ({error, type} from AXIS handlers, ``type`` a
    code such as ``bad_parameter``; an older server sent the class name, understood too)."""
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = (body.get("error") or body.get("message") or resp.reason_phrase
               or f"HTTP {resp.status_code}")
    by_status = {400: QueryError, 404: errors.NotFoundError, 409: errors.ConflictError}.get(
        resp.status_code, StoreError if resp.status_code >= 500 else AxisError)
    code = str(body.get("type") or "")
    cls = by_status if code == errors.INTERNAL else errors.error_class(code, by_status)
    if resp.status_code == 403:
        message = (f"the AXIS server refused the request ({message}); the token in "
                   "AXIS_SERVER_TOKEN is not valid for this server.")
    err = cls(message)
    err.status = resp.status_code
    return err


class RemoteStore(Store):
    """A store served by the AXIS extension of a Jupyter server."""

    def __init__(self, url: str, token: str | None = None, *, token_scheme: str = "axis-token",
                 timeout: float = 300.0, socket_path: str | None = None, verify: bool = True,
                 client: httpx.Client | None = None):
        if not url.endswith("/"):
            url += "/"
        self.location = url
        self.url = url
        headers = {"User-Agent": "axis-jupyter-remote"}
        if token:
            headers["Authorization"] = f"{token_scheme} {token}"
        if client is None:
            transport = httpx.HTTPTransport(uds=socket_path) if socket_path else None
            client = httpx.Client(base_url=url, headers=headers, timeout=timeout,
                                  transport=transport, verify=verify, trust_env=False)
        self._client = client
        self._info_cache: dict[str, dict] = {}

    def __repr__(self) -> str:
        return f"<RemoteStore {self.location}>"

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(cls, timeout: float = HEALTH_TIMEOUT) -> Store | None:
        """The server's store if this process can reach it, else None (use the embedded one)."""
        url = os.environ.get("AXIS_SERVER_URL")
        token = os.environ.get("AXIS_SERVER_TOKEN")
        scheme = "axis-token"
        if not token and os.environ.get("JUPYTERHUB_API_TOKEN"):
            token, scheme = os.environ["JUPYTERHUB_API_TOKEN"], "token"
        if not url and os.environ.get("JUPYTERHUB_SERVICE_URL") and token:
            url = os.environ["JUPYTERHUB_SERVICE_URL"].rstrip("/") + "/axis/api/"
        if not url:
            return None
        verify = os.environ.get("AXIS_SERVER_VERIFY", "1").lower() not in ("0", "false", "no")
        store = cls(url, token, token_scheme=scheme, socket_path=os.environ.get("AXIS_SERVER_SOCKET"),
                    verify=verify)
        try:
            store.health(timeout=timeout)
        except (httpx.HTTPError, AxisError, ValueError):
            store.close()
            return None
        return store

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ HTTP
    def _request(self, method: str, path: str, *, arrow: bool = False, **kw) -> httpx.Response:
        headers = kw.pop("headers", {}) or {}
        if arrow:
            headers["Accept"] = wire.ARROW_STREAM
        try:
            resp = self._client.request(method, path, headers=headers, **kw)
        except httpx.TransportError as exc:
            raise StoreError(f"cannot reach the AXIS server at {self.url}: {exc}") from None
        if resp.status_code >= 400:
            raise _error_for(resp)
        return resp

    def _json(self, method: str, path: str, **kw) -> Any:
        resp = self._request(method, path, **kw)
        return resp.json() if resp.content else None

    def _table(self, method: str, path: str, **kw) -> pd.DataFrame:
        resp = self._request(method, path, arrow=True, **kw)
        return wire.from_ipc(resp.content).to_pandas()

    @staticmethod
    def _q(name: str) -> str:
        return quote(str(name), safe="")

    def request_json(self, method: str, *path: str, **kw) -> Any:
        """Call the server's API: ``request_json("GET", "evals", "runs", run_id)`` (each
        path segment is quoted); the JSON answer, or the error as an AxisError."""
        return self._json(method, "/".join(self._q(p) for p in path), **kw)

    def health(self, timeout: float | None = None) -> dict:
        kw = {"timeout": timeout} if timeout is not None else {}
        return self._json("GET", "health", **kw)

    # ------------------------------------------------------------------ datasets
    def datasets(self) -> pd.DataFrame:
        rows = self._json("GET", "datasets")["datasets"]
        return pd.DataFrame(rows, columns=["name", "kind", "layout", "rows", "records", "columns",
                                           "updated"])

    def info(self, name: str) -> dict:
        info = self._json("GET", f"datasets/{self._q(name)}")
        self._info_cache[name] = info
        return info

    def drop(self, name: str) -> None:
        self._request("DELETE", f"datasets/{self._q(name)}")
        self._info_cache.pop(name, None)

    def load(self, source: Any, name: str | None = None, kind: str = "auto",
             mapping: dict[str, str] | None = None, encoding: str = "utf-8",
             on_event: Callable[[str, Any], None] | None = None) -> Dataset:
        """Upload ``source`` (a path or a frame) and wait for the server to load it."""
        from .names import check_name, dataset_name_from

        name = check_name(name or dataset_name_from(source))
        if mapping is not None and not isinstance(mapping, dict):
            raise IngestError("mapping must be a dict of {your_column: canonical_column}.")
        data = {"name": name, "kind": kind, "encoding": encoding}
        if mapping is not None:
            data["mapping"] = json.dumps(mapping)
        if isinstance(source, (str, os.PathLike)):
            path = Path(source).expanduser()
            if not path.exists():
                raise IngestError(f"{source}: no such file. Check the path (relative paths start "
                                  f"at {os.getcwd()}).")
            if path.is_dir():
                raise IngestError(f"{source}: is a folder, not a file.")
            with open(path, "rb") as fh:
                resp = self._json("POST", "datasets", data=data, files={"file": (path.name, fh)})
        else:
            payload = _frame_to_parquet(source)
            resp = self._json("POST", "datasets", data=data,
                              files={"file": (f"{name}.parquet", payload)})
        job = self.wait_job(resp["job"]["id"], on_event=on_event)
        info = job["result"]
        self._info_cache[name] = info
        for w in info.get("warnings") or []:
            warnings.warn(w, UserWarning, stacklevel=2)
        return Dataset(self, name, info["kind"])

    # ------------------------------------------------------------------ jobs
    def job(self, job_id: str) -> dict:
        return self._json("GET", f"jobs/{self._q(job_id)}")

    def jobs(self, kind: str | None = None) -> list[dict]:
        return self._json("GET", "jobs", params={"kind": kind} if kind else None)["jobs"]

    def cancel_job(self, job_id: str) -> dict:
        return self._json("DELETE", f"jobs/{self._q(job_id)}")

    def job_events(self, job_id: str) -> Iterator[tuple[str, Any]]:
        """The job's Server-Sent Events as (event, data) pairs, ending with ``done``."""
        last = 0
        for _attempt in range(20):  # reconnect with Last-Event-ID if the stream drops
            headers = {"Accept": "text/event-stream", "Last-Event-ID": str(last)}
            try:
                with self._client.stream("GET", f"jobs/{self._q(job_id)}/events", headers=headers,
                                         timeout=httpx.Timeout(30.0, read=None)) as resp:
                    if resp.status_code >= 400:
                        resp.read()
                        raise _error_for(resp)
                    for ev_id, event, data in _parse_sse(resp.iter_lines()):
                        if ev_id is not None:
                            last = ev_id
                        yield event, data
                        if event == "done":
                            return
            except httpx.TransportError:
                continue
            if self.job(job_id)["state"] in ("succeeded", "failed", "cancelled"):
                return
        raise StoreError(f"lost the event stream of job {job_id}.")

    def wait_job(self, job_id: str, on_event: Callable[[str, Any], None] | None = None) -> dict:
        """Follow the job's events until it ends; its final dict (raises if it failed)."""
        try:
            for event, data in self.job_events(job_id):
                if on_event is not None:
                    on_event(event, data)
        except KeyboardInterrupt:
            try:
                self.cancel_job(job_id)
            finally:
                raise
        job = self.job(job_id)
        if job["state"] == "succeeded":
            return job
        if job["state"] == "cancelled":
            raise errors.ConflictError(f"job {job_id} was cancelled.")
        code = str(job.get("error_type") or "")
        cls = StoreError if code in (errors.INTERNAL, "InternalError") else errors.error_class(code)
        raise cls(job.get("error") or "the job failed")

    # ------------------------------------------------------------------ reads
    def sql(self, query: str) -> pd.DataFrame:
        return self._table("POST", "query", json={"sql": query})

    def sql_arrow(self, query: str, limit: int | None = None):
        body = {"sql": query, **({"limit": int(limit)} if limit else {})}
        resp = self._request("POST", "query", arrow=True, json=body)
        return wire.from_ipc(resp.content)

    def analytic(self, dataset: str, name: str, **params) -> pd.DataFrame:
        params = {k: v for k, v in params.items() if v is not None}
        body = wire.dumps(params)
        return self._table("POST", f"datasets/{self._q(dataset)}/analytics/{self._q(name)}",
                           content=body, headers={"Content-Type": "application/json"})

    def rows(self, dataset: str, *, page: int = 1, page_size: int = 50, sort_by: str | None = None,
             descending: bool = False, search: str | None = None, filters: dict | None = None,
             columns: list[str] | None = None, parse: bool = False) -> tuple[pd.DataFrame, int]:
        params: dict[str, Any] = {"page": page, "page_size": page_size,
                                  "descending": "true" if descending else "false"}
        if sort_by:
            params["sort_by"] = sort_by
        if search:
            params["search"] = search
        if filters:
            params["filters"] = wire.dumps(filters)
        if columns:
            params["columns"] = ",".join(columns)
        resp = self._request("GET", f"datasets/{self._q(dataset)}/rows", arrow=True, params=params)
        df = wire.from_ipc(resp.content).to_pandas()
        total = int(resp.headers.get(wire.TOTAL_HEADER, len(df)))
        if parse:
            from ..ingest.jsonish import parse_jsonish

            jsonish = (self._info_cache.get(dataset) or self.info(dataset)).get("jsonish", [])
            for c in df.columns:
                if c in jsonish:
                    df[c] = df[c].map(parse_jsonish)
        return df, total

    def table(self, name: str):
        """An unbound Ibis table named like the dataset; run it with :meth:`execute`."""
        import ibis
        from ibis.backends.sql.datatypes import DuckDBType

        info = self.info(name)
        schema = ibis.schema({c["name"]: DuckDBType.from_string(c["type"])
                              for c in info["columns"]})
        return ibis.table(schema, name=name)

    def execute(self, expr, limit: int | None = None) -> pd.DataFrame:
        """Run an Ibis expression over this store's tables on the server."""
        import ibis

        sql = ibis.to_sql(expr, dialect="duckdb")
        body = {"sql": str(sql), **({"limit": int(limit)} if limit else {})}
        df = self._table("POST", "query", json=body)
        return df

    # ------------------------------------------------------------------ views
    def view_action(self, view: str, action: str, dataset: str | None = None, **params) -> dict:
        """Run a view action on the server (what a widget front end fetches)."""
        path = (f"datasets/{self._q(dataset)}/views/{self._q(view)}/{self._q(action)}"
                if dataset else f"views/{self._q(view)}/{self._q(action)}")
        return self._json("POST", path, content=wire.dumps(params),
                          headers={"Content-Type": "application/json"})

    def view_read(self, dataset: str, fn, timing: dict | None = None):
        """View payloads read where the data lives: the server runs them (:meth:`view_action`)."""
        raise AxisError("view actions run where the data lives; call them through the server "
                        "(store.view_action) for a remote store.")


def _frame_to_parquet(frame: Any) -> bytes:
    import pyarrow.parquet as pq

    try:
        table = wire.frame_to_arrow(frame)
    except TypeError:
        raise IngestError(f"cannot load a {type(frame).__name__}: pass a file path or a pandas, "
                          "polars or Arrow frame.") from None
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _parse_sse(lines: Iterator[str]) -> Iterator[tuple[int | None, str, Any]]:
    event, data, ev_id = "message", [], None
    for line in lines:
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    payload = json.loads(text)
                except ValueError:
                    payload = text
                yield ev_id, event, payload
            event, data, ev_id = "message", [], None
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            try:
                ev_id = int(value)
            except ValueError:
                ev_id = None
