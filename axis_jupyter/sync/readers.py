"""Consistent reads from PostgreSQL: connections, the shared snapshot, query descriptions.

How rows then travel into DuckDB is a *read tier* (:mod:`.feeds`): Arrow record batches
from the ADBC driver (:mod:`.tier_arrow`), ``COPY … (FORMAT csv)`` through pipes
(:mod:`.tier_copy`), or a server-side cursor (:mod:`.tier_cursor`).

Consistency: every table of one sync comes from one snapshot. A coordinator connection
opens a ``REPEATABLE READ READ ONLY`` transaction and exports its snapshot
(``pg_export_snapshot``); every reader connection (psycopg or ADBC) starts its transaction
with ``SET TRANSACTION SNAPSHOT``. Where exporting is impossible (some replicas), all reads
run one after another on the coordinator's own transaction — still one snapshot, no
parallelism, and no ADBC (its connections cannot join the coordinator's transaction).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql as pgsql

from ..errors import AxisError

APP_NAME = "axis-sync"

# PostgreSQL type OID -> DuckDB type. Anything else is read as VARCHAR (its text form).
PG_TO_DUCKDB = {
    16: "BOOLEAN", 20: "BIGINT", 21: "SMALLINT", 23: "INTEGER", 26: "BIGINT", 700: "REAL",
    701: "DOUBLE", 1700: "DOUBLE", 1082: "DATE", 1114: "TIMESTAMP", 1184: "TIMESTAMPTZ",
    1083: "TIME",
}
NUMERIC_OIDS = {20, 21, 23, 26, 700, 701, 1700}
TIME_OIDS = {1082, 1114, 1184}


class SyncError(AxisError):
    """A sync could not read its source; the message says which table and why."""


class SyncCancelled(SyncError):
    """The sync was cancelled; nothing was replaced."""

    status = 409


class TierUnsupported(SyncError):
    """This read tier cannot carry the query's rows (DuckDB could not take them in: an
    exotic type); the next tier is tried."""


# ADBC wraps the server's message: "[libpq] Execution error [PGRES_FATAL_ERROR]: ERROR:  …"
_SERVER_MESSAGE = re.compile(r"\bERROR:\s+(.*)$")


def clean_pg_error(exc: BaseException) -> str:
    """A one-line message without credentials (reference §9 scrubs '@' and 'password')."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    server = _SERVER_MESSAGE.search(msg)
    if server and server.group(1).strip():
        msg = server.group(1).strip()
    low = msg.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return "authentication failed: check the user name and the password environment variable."
    if "could not connect" in low or "failed to connect" in low or "connection refused" in low or "could not translate host" in low \
            or "no such file or directory" in low and "socket" in low:
        return ("cannot reach the database server: check host, port, network access and that the "
                "server is running.")
    if "does not exist" in low and "database" in low:
        return "the database does not exist: check the database name."
    if "password" in low or "@" in msg and "://" in msg:
        return "the database connection failed (details hidden because they may contain credentials)."
    return msg


# ----------------------------------------------------------------------------------
# Connections and snapshots


def connect(conninfo: dict[str, Any], *, timeout_s: int | None = None,
            app: str = APP_NAME) -> psycopg.Connection:
    kw = dict(conninfo)
    text = kw.pop("conninfo", "")
    kw.setdefault("connect_timeout", 10)
    kw["application_name"] = app
    try:
        conn = psycopg.connect(text, autocommit=True, **kw)
    except psycopg.Error as exc:
        raise SyncError(clean_pg_error(exc)) from None
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SET DateStyle = 'ISO, YMD'")
    conn.execute("SET client_encoding = 'UTF8'")
    conn.execute("SET extra_float_digits = 1")  # shortest exact float text
    if timeout_s is not None:
        conn.execute(pgsql.SQL("SET statement_timeout = {}").format(pgsql.Literal(int(timeout_s) * 1000)))
    return conn


def quote_pg_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


@dataclass
class Column:
    name: str
    oid: int
    duck: str


class Snapshot:
    """One consistent view of the source for every read of a sync (or of a browser import:
    ``app`` names the connections in ``pg_stat_activity``)."""

    def __init__(self, conninfo: dict, *, probe_timeout_s: int, copy_timeout_s: int,
                 app: str = APP_NAME):
        self.conninfo = conninfo
        self.app = app
        self.probe_timeout_s = probe_timeout_s
        self.copy_timeout_s = copy_timeout_s
        self.coord = connect(conninfo, timeout_s=probe_timeout_s, app=app)
        self.coord.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self.lock = threading.Lock()  # guards the coordinator connection
        self._conns: list[psycopg.Connection] = []
        # Reader connections a finished read handed back, already inside the snapshot, by
        # kind (``"arrow"``): the next read of the same sync takes one instead of connecting
        # again (an ADBC connection costs 15-45 ms; an incremental sync reads twice).
        self._idle: dict[str, list[Any]] = {}
        self._idle_lock = threading.Lock()
        try:
            self.snapshot_id = self.coord.execute("SELECT pg_export_snapshot()").fetchone()[0]
        except psycopg.Error:
            self.coord.execute("ROLLBACK")
            self.coord.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self.snapshot_id = None

    @property
    def shareable(self) -> bool:
        return self.snapshot_id is not None

    def reader(self) -> psycopg.Connection:
        """A new connection inside the same snapshot (only when the snapshot is shareable)."""
        conn = connect(self.conninfo, timeout_s=self.copy_timeout_s or None, app=self.app)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute(pgsql.SQL("SET TRANSACTION SNAPSHOT {}").format(pgsql.Literal(self.snapshot_id)))
        self._conns.append(conn)
        return conn

    def park(self, kind: str, conn) -> None:
        """Keep ``conn`` (a reader connection of ``kind``, inside this snapshot, idle) for the
        next read; :meth:`close` closes it if none takes it."""
        with self._idle_lock:
            self._idle.setdefault(kind, []).append(conn)

    def unpark(self, kind: str):
        """An idle reader connection of ``kind`` inside this snapshot, or None."""
        with self._idle_lock:
            idle = self._idle.get(kind)
            return idle.pop() if idle else None

    def libpq_conninfo(self) -> str:
        """The connection as one libpq string (for the ADBC driver; holds the password, so it
        is built when a connection opens and never kept or shown)."""
        kw = dict(self.conninfo)
        text = kw.pop("conninfo", "")
        kw.setdefault("connect_timeout", 10)
        kw["application_name"] = self.app
        return psycopg.conninfo.make_conninfo(text, **kw)

    def literal(self, value) -> str:
        """``value`` as an SQL literal, quoted by psycopg for this server."""
        with self.lock:
            return pgsql.Literal(value).as_string(self.coord)

    def probe(self, query: str, params=None):
        with self.lock:
            try:
                return self.coord.execute(query, params).fetchall()
            except psycopg.Error as exc:
                raise SyncError(clean_pg_error(exc)) from None

    def cancel_all(self) -> None:
        for c in [self.coord, *self._conns]:
            try:
                c.cancel_safe(timeout=2)
            except Exception:
                pass

    def close(self) -> None:
        with self._idle_lock:
            idle = [c for conns in self._idle.values() for c in conns]
            self._idle.clear()
        for c in [*idle, *self._conns, self.coord]:
            try:
                c.close()
            except Exception:
                pass
        self._conns.clear()


def describe(snap: Snapshot, query: str, label: str) -> list[Column]:
    with snap.lock:
        try:
            cur = snap.coord.execute(f"SELECT * FROM ({query}\n) AS _axis_q LIMIT 0")
        except psycopg.Error as exc:
            raise SyncError(f"{label}: the query failed in PostgreSQL: {clean_pg_error(exc)}") from None
        cols = [Column(d.name, d.type_code, PG_TO_DUCKDB.get(d.type_code, "VARCHAR"))
                for d in cur.description]
    seen: set[str] = set()
    for c in cols:
        if c.name in seen:
            raise SyncError(f"{label}: the query returns two columns named {c.name!r}; give one an "
                            "alias (AS other_name).")
        seen.add(c.name)
    return cols


def estimate_rows(snap: Snapshot, query: str) -> int | None:
    try:
        plan = snap.probe(f"EXPLAIN (FORMAT JSON) SELECT * FROM ({query}\n) AS _axis_q")[0][0]
        return int(plan[0]["Plan"]["Plan Rows"])
    except Exception:
        return None


def incremental_query(snap: Snapshot, query: str, column: str, watermark: str) -> str:
    """The rows of ``query`` past ``watermark`` (PostgreSQL's text of the column's last MAX)."""
    lit = snap.literal(str(watermark))
    return f"SELECT * FROM ({query}\n) AS _axis_inc WHERE {quote_pg_ident(column)} > {lit}"


def partition_queries(snap: Snapshot, query: str, column: Column, n: int) -> list[str]:
    """Split ``query`` into ``n`` ranges of a numeric or date/time column (NULLs in the first)."""
    col = quote_pg_ident(column.name)
    lo, hi = snap.probe(f"SELECT min({col}), max({col}) FROM ({query}\n) AS _axis_q")[0]
    if lo is None or hi is None or lo == hi or n < 2:
        return [query]
    with snap.lock:
        lit = lambda v: pgsql.Literal(v).as_string(snap.coord)  # noqa: E731
    bounds: list[Any]
    if isinstance(lo, int) and isinstance(hi, int):
        step = max(1, (hi - lo + 1) // n)
        bounds = [lo + i * step for i in range(n)] + [hi]
        bounds = sorted(set(bounds))
    elif isinstance(lo, (float, decimal.Decimal)) or isinstance(hi, (float, decimal.Decimal)):
        lo_f, hi_f = float(lo), float(hi)
        bounds = [lo_f + (hi_f - lo_f) * i / n for i in range(n)] + [hi_f]
    elif isinstance(lo, (dt.datetime, dt.date)):
        span = hi - lo
        bounds = [lo + span * i / n if isinstance(lo, dt.datetime) else lo + dt.timedelta(days=(span.days * i) // n)
                  for i in range(n)] + [hi]
        bounds = sorted(set(bounds))
    else:
        return [query]
    parts = []
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        last = i == len(bounds) - 2
        cond = f"{col} >= {lit(a)} AND {col} {'<=' if last else '<'} {lit(b)}"
        if i == 0:
            cond = f"({cond}) OR {col} IS NULL"
        parts.append(f"SELECT * FROM ({query}\n) AS _axis_p WHERE {cond}")
    return parts


# ----------------------------------------------------------------------------------
# What a read returns


@dataclass
class ReadResult:
    """One query read into DuckDB: rows read from PostgreSQL, the tier, and where the time
    went (``source_seconds``: waiting on PostgreSQL and the decoder, where the tier can tell)."""

    rows: int
    tier: str
    truncated: bool = False
    seconds: float = 0.0
    source_seconds: float | None = None


def max_text(snap: Snapshot, query: str, column: str, label: str) -> str | None:
    """MAX(column) of the query as PostgreSQL's own text, in the sync's snapshot.

    This is the watermark: the exact value the next incremental query compares against
    (``column > 'text'``), with the source's precision and time zone (the sessions run in
    UTC), whatever the column became in the canonical table.
    """
    try:
        rows = snap.probe(f"SELECT max({quote_pg_ident(column)})::text FROM ({query}\n) AS _axis_q")
    except SyncError as exc:
        raise SyncError(f"{label}: reading the watermark failed: {exc}") from None
    return rows[0][0]
