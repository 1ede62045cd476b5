"""Database browser: connect once, browse, preview and import (reference §1.9, §9).

``connect(...)`` checks the credentials (``SELECT version()``) and returns a *handle*: a
random id that stands for the connection details, kept in this process's memory only and
expiring 15 minutes after it was made (absolute, not sliding). Credentials are never
returned, logged or written anywhere; an error that might contain them is replaced by a
generic message. At most 100 handles exist at once.

Everything user-supplied is checked: schema, table and column names must exist (looked up
in ``information_schema`` with parameters) before they are quoted into SQL; filter values
are quoted as literals by psycopg. An ad-hoc query must be one SELECT; it runs wrapped as
``SELECT * FROM (<query>) LIMIT n`` in a ``READ ONLY`` transaction with a statement timeout
(previews over the extended protocol, which refuses a second statement outright).

Imports (``import_table``, ``import_query``) into the embedded store stream through the
sync's read tiers (:mod:`.imports`): the rows go from PostgreSQL straight into the dataset's
canonical tables, never through Python objects (ADBC's Arrow batches or COPY, by the same
``sync_tier`` setting as syncs).
"""

from __future__ import annotations

import decimal
import hashlib
import logging
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

import psycopg
from psycopg import sql as pgsql

from ..errors import AxisError, NotFoundError, QueryError
from ..store.local import LocalStore
from ..wire import jsonable
from . import config as sconfig
from . import imports
from .readers import SyncError, clean_pg_error
from .sqltext import strip_sql_literals

log = logging.getLogger("axis_jupyter.sync.browser")

HANDLE_TTL_S = 15 * 60
MAX_HANDLES = 100
SAMPLE_ROWS = 5
MAX_QUERY_ROWS = 100
MAX_IMPORT_ROWS = 50_000
STATEMENT_TIMEOUT_S = 30
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class HandleExpired(AxisError):
    """The browser handle expired (15 minutes) or was closed; connect again."""

    status = 401


class TooManyHandles(AxisError):
    status = 429


@dataclass
class _Handle:
    id: str
    conninfo: dict = field(repr=False)  # holds the password; never leaves this module
    created: float
    expires: float
    target: str  # host:port/db, safe to show
    requests: int = 0

    def __repr__(self) -> str:
        return f"<browser handle {self.id[:8]}… {self.target}>"


class Browser:
    """The handle registry. One per process (:data:`BROWSER`); tests inject ``clock``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = HANDLE_TTL_S,
                 max_handles: int = MAX_HANDLES):
        self.clock, self.ttl, self.max_handles = clock, ttl, max_handles
        self._handles: dict[str, _Handle] = {}
        self._lock = threading.Lock()

    # -- handles --------------------------------------------------------------------------
    def _purge(self) -> None:
        now = self.clock()
        for k in [k for k, h in self._handles.items() if h.expires <= now]:
            del self._handles[k]

    def connect(self, host: str | None = None, port: int = 5432, database: str | None = None,
                username: str | None = None, password: str | None = None,
                ssl_mode: str = "prefer", *, url: str | None = None, source: str | None = None) -> dict:
        """Check the credentials and return ``{handle, expires_in, version, target}``.

        ``source``: reuse a configured source's connection (its password from the env).
        """
        if source:
            cfg = sconfig.get_source(source)
            info = cfg.conninfo()
            target = cfg.describe_target()
        else:
            if ssl_mode not in sconfig.SSL_MODES:
                raise QueryError(f"ssl_mode must be one of {', '.join(sconfig.SSL_MODES)}.")
            info = {"conninfo": url or ""}
            if host:
                info["host"] = str(host)
            if port:
                info["port"] = int(port)
            if database:
                info["dbname"] = str(database)
            if username:
                info["user"] = str(username)
            if password:
                info["password"] = str(password)
            if ssl_mode != "prefer":
                info["sslmode"] = ssl_mode
            target = f"{host or 'localhost'}:{port}/{database or ''}" if not url else "url"
        with self._lock:
            self._purge()
            if len(self._handles) >= self.max_handles:
                raise TooManyHandles(f"too many open database handles ({self.max_handles}); close "
                                     "some (disconnect) or wait for them to expire.")
        conn = _open(info, target)
        try:
            version = conn.execute("SELECT version()").fetchone()[0]
        finally:
            conn.close()
        now = self.clock()
        h = _Handle(id=uuid.uuid4().hex + secrets.token_hex(4), conninfo=info, created=now,
                    expires=now + self.ttl, target=target)
        with self._lock:
            self._handles[h.id] = h
        log.info("AXIS browser: handle for host %s", hashlib.sha256(target.encode()).hexdigest()[:8])
        return {"handle": h.id, "expires_in": int(self.ttl), "version": version, "target": target}

    def _get(self, handle: str) -> _Handle:
        with self._lock:
            self._purge()
            h = self._handles.get(str(handle))
            if h is None:
                raise HandleExpired("this database handle has expired (15 minutes) or was closed; "
                                    "connect again.")
            h.requests += 1
            return h

    def disconnect(self, handle: str) -> dict:
        with self._lock:
            existed = self._handles.pop(str(handle), None) is not None
        return {"success": True, "message": "disconnected" if existed else "no such handle"}

    def stats(self) -> dict:
        with self._lock:
            self._purge()
            return {"active_handles": len(self._handles), "max_handles": self.max_handles}

    def _conn(self, handle: str, timeout_s: int = STATEMENT_TIMEOUT_S) -> psycopg.Connection:
        h = self._get(handle)
        conn = _open(h.conninfo, h.target)
        conn.execute(pgsql.SQL("SET statement_timeout = {}").format(pgsql.Literal(int(timeout_s * 1000))))
        conn.execute("SET default_transaction_read_only = on")
        return conn

    # -- browsing ---------------------------------------------------------------------------
    def tables(self, handle: str) -> list[dict]:
        """Tables and views outside the system schemas, with the planner's row estimate."""
        with self._conn(handle) as conn:
            rows = conn.execute(
                "SELECT n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint, "
                "CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'v', 'm', 'p') AND n.nspname <> ALL(%s) "
                "AND n.nspname NOT LIKE 'pg_temp%%' ORDER BY 1, 2", [list(SYSTEM_SCHEMAS)]).fetchall()
        return [{"schema_name": s, "name": t, "row_count_estimate": int(n), "type": k}
                for s, t, n, k in rows]

    def _columns(self, conn, schema: str, table: str) -> list[dict]:
        rows = conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
            "AND c.relkind IN ('r', 'v', 'm', 'p') ORDER BY a.attnum", [schema, table]).fetchall()
        if not rows:
            raise NotFoundError(f"no table or view {schema}.{table} (names are case-sensitive).")
        return [{"name": n, "data_type": t, "nullable": bool(nl)} for n, t, nl in rows]

    def schema(self, handle: str, table: str, schema: str = "public") -> dict:
        """Columns (name, data_type, nullable) and the first rows."""
        with self._conn(handle) as conn:
            cols = self._columns(conn, schema, table)
            rel = pgsql.SQL("{}.{}").format(pgsql.Identifier(schema), pgsql.Identifier(table))
            cur = conn.execute(pgsql.SQL("SELECT * FROM {} LIMIT %s").format(rel), [SAMPLE_ROWS])
            names = [d.name for d in cur.description]
            rows = [_jsonable_row(r) for r in cur.fetchall()]
        return {"columns": cols, "sample_rows": [dict(zip(names, r)) for r in rows],
                "sample_values": {n: [r[i] for r in rows] for i, n in enumerate(names)}}

    def distinct_values(self, handle: str, table: str, column: str, schema: str = "public",
                        limit: int = 100) -> list:
        limit = _cap(limit, 1, 1000, "limit")
        with self._conn(handle) as conn:
            cols = {c["name"] for c in self._columns(conn, schema, table)}
            if column not in cols:
                raise QueryError(f"{schema}.{table} has no column {column!r}.")
            q = pgsql.SQL("SELECT DISTINCT {c} FROM {s}.{t} WHERE {c} IS NOT NULL ORDER BY 1 LIMIT %s").format(
                c=pgsql.Identifier(column), s=pgsql.Identifier(schema), t=pgsql.Identifier(table))
            return [_jsonable(r[0]) for r in conn.execute(q, [limit]).fetchall()]

    def _table_select(self, conn, schema, table, filters, columns, limit, offset=0):
        return conn.execute(self._table_query(conn, schema, table, filters, columns, limit, offset))

    def _table_query(self, conn, schema, table, filters, columns, limit, offset=0) -> str:
        """SELECT of (some columns of) a checked table, filter values as quoted literals."""
        cols = [c["name"] for c in self._columns(conn, schema, table)]
        known = set(cols)
        proj = pgsql.SQL("*")
        if columns:
            bad = [c for c in columns if c not in known]
            if bad:
                raise QueryError(f"{schema}.{table} has no column {bad[0]!r}.")
            proj = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
        where = []
        for f in _filters(filters):
            if f["column"] not in known:
                raise QueryError(f"filter column {f['column']!r} is not a column of {schema}.{table}.")
            if isinstance(f["value"], (list, tuple)):  # one of several values (the wizard's filters)
                # compared as text, so a value of any type matches the column it came from
                # (distinct values travel as JSON) and never raises a type error
                where.append(pgsql.SQL("{}::text = ANY({}::text[])").format(
                    pgsql.Identifier(f["column"]), pgsql.Literal([_filter_value(v) for v in f["value"]])))
            else:
                where.append(pgsql.SQL("{} = {}").format(pgsql.Identifier(f["column"]),
                                                          pgsql.Literal(f["value"])))
        q = pgsql.SQL("SELECT {p} FROM {s}.{t}").format(p=proj, s=pgsql.Identifier(schema),
                                                         t=pgsql.Identifier(table))
        if where:
            q = q + pgsql.SQL(" WHERE ") + pgsql.SQL(" AND ").join(where)
        q = q + pgsql.SQL(" LIMIT {} OFFSET {}").format(pgsql.Literal(int(limit)), pgsql.Literal(int(offset)))
        return q.as_string(conn)

    def preview(self, handle: str, table: str, schema: str = "public", filters=None,
                columns: list[str] | None = None, limit: int = 10) -> dict:
        limit = _cap(limit, 1, MAX_QUERY_ROWS, "limit")
        with self._conn(handle) as conn:
            cur = self._table_select(conn, schema, table, filters, columns, limit)
            return _result(cur)

    def query(self, handle: str, query: str, limit: int = 10) -> dict:
        """Preview one read-only SELECT (at most 100 rows)."""
        limit = _cap(limit, 1, MAX_QUERY_ROWS, "limit")
        with self._conn(handle, timeout_s=60) as conn:
            return _result(_run_select(conn, query, limit))

    # -- imports ------------------------------------------------------------------------------
    def fetch_table(self, handle: str, table: str, schema: str = "public", filters=None,
                    columns: list[str] | None = None, limit: int = 10000):
        limit = _cap(limit, 1, MAX_IMPORT_ROWS, "limit")
        with self._conn(handle, timeout_s=60) as conn:
            return _arrow(self._table_select(conn, schema, table, filters, columns, limit))

    def fetch_query(self, handle: str, query: str, limit: int = 10000):
        limit = _cap(limit, 1, MAX_IMPORT_ROWS, "limit")
        with self._conn(handle, timeout_s=60) as conn:
            return _arrow(_run_select(conn, query, limit))

    def import_table(self, store, handle: str, table: str, name: str | None = None,
                     schema: str = "public", kind: str = "auto", filters=None,
                     mapping: dict | None = None, limit: int = 10000, columns: list[str] | None = None):
        """Load (at most ``limit`` rows, only ``columns`` when given) of a table as dataset
        ``name``; returns the Dataset."""
        name = name or _safe_name(table)
        if not isinstance(store, LocalStore):  # a store served elsewhere: send it the rows
            data = self.fetch_table(handle, table, schema, filters, columns or None, limit)
            return store.load(data, name=name, kind=kind, mapping=mapping)
        limit = _cap(limit, 1, MAX_IMPORT_ROWS, "limit")
        with self._conn(handle) as conn:
            query = self._table_query(conn, schema, table, filters, columns or None, limit)
        return self._import(store, handle, query, name, kind, mapping)

    def import_query(self, store, handle: str, query: str, name: str, kind: str = "auto",
                     mapping: dict | None = None, limit: int = 10000):
        """Load (at most ``limit`` rows of) one read-only SELECT as dataset ``name``."""
        if not isinstance(store, LocalStore):
            data = self.fetch_query(handle, query, limit)
            return store.load(data, name=name, kind=kind, mapping=mapping)
        limit = _cap(limit, 1, MAX_IMPORT_ROWS, "limit")
        wrapped = f"SELECT * FROM (\n{check_select(query)}\n) AS _axis_q LIMIT {limit}"
        return self._import(store, handle, wrapped, name, kind, mapping)

    def _import(self, store, handle: str, query: str, name: str, kind: str, mapping):
        h = self._get(handle)
        try:
            return imports.import_rows(store, h.conninfo, query, name=name, kind=kind,
                                       mapping=mapping, label=f"database import ({h.target})",
                                       timeout_s=60)
        except SyncError as exc:
            raise QueryError(f"the import failed: {exc}") from None


BROWSER = Browser()


# ----------------------------------------------------------------------------------
# Helpers


class ConnectFailed(AxisError):
    """The database could not be reached or refused the login (one message for every cause)."""

    code = "cannot_connect"


def _open(info: dict, target: str) -> psycopg.Connection:
    """A connection, or one uniform error: whether the port was closed, answered something
    other than PostgreSQL, or refused the login is logged here, never answered, so the
    browser cannot be used to scan which hosts and ports are open."""
    kw = dict(info)
    text = kw.pop("conninfo", "")
    kw.setdefault("connect_timeout", 10)
    kw["application_name"] = "axis-browser"
    try:
        return psycopg.connect(text, autocommit=True, **kw)
    except (psycopg.Error, ValueError, OverflowError, UnicodeError) as exc:
        log.info("AXIS browser: connection to host %s failed: %s",
                 hashlib.sha256(target.encode()).hexdigest()[:8], clean_pg_error(exc))
        raise ConnectFailed(f"cannot connect to {target}: check the host, port, database, user "
                            "and password.") from None


def _cap(v, lo, hi, name) -> int:
    try:
        v = int(v)
    except (TypeError, ValueError):
        raise QueryError(f"{name} must be an integer.") from None
    if v < lo:
        raise QueryError(f"{name} must be >= {lo}.")
    return min(v, hi)


def _filter_value(v) -> str | None:
    """One value of an IN filter as PostgreSQL writes it as text (true/false, numbers as
    themselves); never a list or object."""
    if isinstance(v, (dict, list, tuple)):
        raise QueryError("a filter's values must be single values (text, numbers, true or false).")
    if isinstance(v, bool):
        return "true" if v else "false"
    return None if v is None else str(v)


def _filters(filters) -> list[dict]:
    if not filters:
        return []
    if isinstance(filters, dict):
        filters = [{"column": k, "value": v} for k, v in filters.items()]
    out = []
    for f in filters:
        if not isinstance(f, dict) or "column" not in f:
            raise QueryError("filters must be [{column, value}, ...] or {column: value}.")
        value = f["values"] if "values" in f else f.get("value")
        out.append({"column": str(f["column"]), "value": value})
    return out


_FIRST_WORD = re.compile(r"^\s*(\(\s*)*([A-Za-z]+)")


def check_select(query: str) -> str:
    """One SELECT (or WITH ... SELECT / VALUES / TABLE), without a trailing ';'."""
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the query is empty.")
    q = query.strip().rstrip(";").strip()
    bare = strip_sql_literals(q)
    if ";" in bare:
        raise QueryError("send exactly one statement (found ';').")
    m = _FIRST_WORD.match(bare)
    word = m.group(2).upper() if m else ""
    if word not in ("SELECT", "WITH", "VALUES", "TABLE"):
        raise QueryError(f"only SELECT queries are allowed here (got {word or 'nothing'}).")
    if re.search(r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|DROP|ALTER|CREATE|GRANT|COPY)\b", bare,
                 re.IGNORECASE) and word == "WITH":
        raise QueryError("data-modifying statements are not allowed in a read-only query.")
    return q


def _run_select(conn, query: str, limit: int):
    q = check_select(query)
    conn.execute("BEGIN READ ONLY")
    try:
        # Extended protocol (a parameter): PostgreSQL rejects a second statement outright.
        return conn.execute(f"SELECT * FROM (\n{q}\n) AS _axis_q LIMIT %s", [limit])
    except psycopg.Error as exc:
        raise QueryError(f"the query failed: {clean_pg_error(exc)}") from None


def _jsonable(v):
    """A PostgreSQL value as JSON: bytea as its hex text (as psql shows it), anything else as
    the wire encodes it."""
    if isinstance(v, (bytes, memoryview)):
        return "\\x" + bytes(v).hex()
    return jsonable(v)


def _jsonable_row(r):
    return [_jsonable(v) for v in r]


def _result(cur) -> dict:
    names = [d.name for d in cur.description]
    rows = cur.fetchall()
    return {"columns": names, "data": [dict(zip(names, _jsonable_row(r))) for r in rows],
            "row_count": len(rows)}


def _arrow(cur):
    import pyarrow as pa

    names = [d.name for d in cur.description]
    rows = cur.fetchall()
    cols = {}
    for i, n in enumerate(names):
        vals = [r[i] for r in rows]
        try:
            cols[n] = pa.array([float(v) if isinstance(v, decimal.Decimal) else v for v in vals])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            cols[n] = pa.array([None if v is None else str(_jsonable(v)) for v in vals], pa.string())
    return pa.table(cols) if cols else pa.table({})


def _safe_name(table: str) -> str:
    n = re.sub(r"[^A-Za-z0-9_]+", "_", table).strip("_").lower() or "imported"
    return n if n[0].isalpha() else "t_" + n


# Module-level functions on the shared registry (the Python API and the HTTP handlers).
connect = BROWSER.connect
disconnect = BROWSER.disconnect
tables = BROWSER.tables
schema = BROWSER.schema
distinct_values = BROWSER.distinct_values
preview = BROWSER.preview
query = BROWSER.query
import_table = BROWSER.import_table
import_query = BROWSER.import_query
stats = BROWSER.stats
