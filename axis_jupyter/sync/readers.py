"""Fast, consistent reads from PostgreSQL into DuckDB.

Tiers (reference §4.4, rebuilt):

1. **Parallel COPY** — when a ``partition_column`` is set and ``sync_workers`` > 1: the query's
   MIN/MAX of that column split it into ranges, one connection per range.
2. **Single COPY** — ``COPY (query) TO STDOUT (FORMAT csv)``.
3. **Server-side cursor** — ``fetchmany(sync_chunk_size)`` into Arrow chunks, capped at
   ``max_sync_rows`` (``truncated``). Used when COPY cannot be parsed (exotic types) or
   when this platform has no ``/dev/fd``.

The COPY tiers never write a file: each PostgreSQL connection's CSV stream is written by a
thread into an OS pipe, and DuckDB's own CSV reader reads the pipe (``read_csv('/dev/fd/N')``;
for the store's sandboxed database, which reads files only in its staging folder, a named
pipe created there) with the column types taken from PostgreSQL's description of the query. Rows never become
Python objects, parsing runs in DuckDB's C++ reader, and PostgreSQL, the pipe writers and
DuckDB work at the same time. libpq hands COPY data over one row per call, so the writer's
per-row work is kept to one buffered write (see ``_pump``). Measured alternatives for the
5 M-row benchmark table (benchmarks/README.md): Arrow's streaming CSV reader and binary
COPY decoded in Python were slower; asyncpg's batched COPY into the same pipe (10.7 s) and
psql's C client (10.2 s) were no faster than this path (about 11 s into an in-memory
table); the ADBC PostgreSQL driver (binary COPY decoded to Arrow in C++) took 7.4-7.9 s but
would add a second PostgreSQL driver next to psycopg.

Consistency: every table of one sync comes from one snapshot. A coordinator connection
opens a ``REPEATABLE READ READ ONLY`` transaction and exports its snapshot
(``pg_export_snapshot``); every reader connection starts its transaction with ``SET
TRANSACTION SNAPSHOT``. Where exporting is impossible (some replicas), all reads run one
after another on the coordinator's own transaction — still one snapshot, no parallelism.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import select
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import psycopg
from psycopg import sql as pgsql

from ..errors import AxisError
from ..ingest.readers import quote_ident, quote_literal
from ..store import sandbox

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


class CopyFormatError(SyncError):
    """DuckDB could not parse the COPY stream (an exotic type); the cursor tier is used."""


def clean_pg_error(exc: BaseException) -> str:
    """A one-line message without credentials (reference §9 scrubs '@' and 'password')."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = msg.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return "authentication failed: check the user name and the password environment variable."
    if "could not connect" in low or "connection refused" in low or "could not translate host" in low \
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
    """One consistent view of the source for every read of a sync."""

    def __init__(self, conninfo: dict, *, probe_timeout_s: int, copy_timeout_s: int):
        self.conninfo = conninfo
        self.probe_timeout_s = probe_timeout_s
        self.copy_timeout_s = copy_timeout_s
        self.coord = connect(conninfo, timeout_s=probe_timeout_s)
        self.coord.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self.lock = threading.Lock()  # guards the coordinator connection
        self._conns: list[psycopg.Connection] = []
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
        conn = connect(self.conninfo, timeout_s=self.copy_timeout_s or None)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute(pgsql.SQL("SET TRANSACTION SNAPSHOT {}").format(pgsql.Literal(self.snapshot_id)))
        self._conns.append(conn)
        return conn

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
        for c in [*self._conns, self.coord]:
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


def incremental_query(conn_for_quoting, query: str, column: str, watermark: str) -> str:
    lit = pgsql.Literal(str(watermark)).as_string(conn_for_quoting)
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
# COPY through pipes into DuckDB


@dataclass
class ReadResult:
    rows: int
    tier: str
    truncated: bool = False
    seconds: float = 0.0


@dataclass
class _Stream:
    conn: psycopg.Connection
    query: str
    rfd: int = -1
    wfd: int = -1
    rows: int = 0
    error: BaseException | None = None
    thread: threading.Thread | None = None
    extra: dict = field(default_factory=dict)


# DuckDB read_csv options for PostgreSQL's CSV: an unquoted empty field is NULL, a quoted
# one ("") is the empty string.
CSV_OPTIONS = "new_line='\\n', allow_quoted_nulls=false, auto_detect=false"


PIPE_BYTES = 4 << 20


def _grow_pipe(fd: int) -> None:
    """Bigger pipe buffer (Linux): fewer wake-ups between the writer and DuckDB."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (OSError, ImportError):
        try:
            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except Exception:
            pass


def pipes_supported() -> bool:
    return os.name == "posix" and os.path.isdir("/dev/fd")


def _pump(stream: _Stream, cancel: threading.Event, tick: Callable[[], None]) -> None:
    """Write one COPY stream into the pipe.

    libpq hands COPY data over one row per call, so this loop is the per-row cost of a sync:
    each row goes straight into a 1 MB buffered writer (a C-level copy) and its libpq buffer
    is freed at once. (Collecting rows in a list and joining them cost 3x the CPU: thousands
    of live libpq allocations per batch.) Progress and cancellation are checked while waiting
    for the server and every 64k rows.
    """
    pg = stream.conn.pgconn
    gcd = pg.get_copy_data
    if "fifo" in stream.extra:  # a named pipe: open() returns once DuckDB opened it to read
        try:
            stream.wfd = os.open(stream.extra["fifo"], os.O_WRONLY)
        except OSError as exc:
            stream.error = exc
            return
        _grow_pipe(stream.wfd)
    out = os.fdopen(stream.wfd, "wb", buffering=1 << 20, closefd=True)
    stream.wfd = -1  # owned by ``out`` now
    write = out.write
    try:
        pg.send_query(f"COPY ({stream.query}\n) TO STDOUT (FORMAT csv)".encode())
        res = pg.get_result()
        if res is None or res.status != psycopg.pq.ExecStatus.COPY_OUT:
            msg = (res.error_message.decode(errors="replace") if res is not None else pg.error_message.decode())
            while pg.get_result() is not None:
                pass
            raise psycopg.OperationalError(msg or "COPY did not start")
        rows = 0
        fd = pg.socket
        consume = pg.consume_input
        while True:
            # Non-blocking read: a blocking PQgetCopyData would hold the GIL while PostgreSQL
            # computes the next row, freezing every other thread (the server's event loop,
            # concurrent reads). select() waits without the GIL.
            nb, data = gcd(1)
            if nb > 0:
                write(data)
                rows += 1
                if not rows & 0xFFFF:
                    stream.rows = rows
                    tick()
                    if cancel.is_set():
                        raise SyncCancelled("the sync was cancelled.")
                continue
            if nb == 0:
                stream.rows = rows
                tick()
                if cancel.is_set():
                    raise SyncCancelled("the sync was cancelled.")
                select.select([fd], [], [], 1.0)
                consume()
                continue
            if nb == -1:
                break
            raise psycopg.OperationalError(pg.error_message.decode(errors="replace") or "COPY failed")
        res = pg.get_result()
        if res is not None and res.status != psycopg.pq.ExecStatus.COMMAND_OK:
            raise psycopg.OperationalError(res.error_message.decode(errors="replace"))
        while pg.get_result() is not None:
            pass
        out.flush()
        stream.rows = rows
        tick()
    except BaseException as exc:  # noqa: BLE001 - reported by the reader
        stream.error = exc
        try:
            stream.conn.cancel_safe(timeout=2)
        except Exception:
            pass
    finally:
        try:
            out.close()
        except OSError:  # the reader is gone (broken pipe): already reported
            pass


def copy_into_duckdb(cur, table: str, streams: list[tuple[psycopg.Connection, str]], columns: list[Column],
                     *, label: str, cancel: threading.Event | None = None,
                     progress: Callable[[int], None] | None = None) -> ReadResult:
    """``CREATE TABLE table`` from one or more COPY streams read at the same time."""
    cancel = cancel or threading.Event()
    t0 = time.perf_counter()
    ss = [_Stream(conn, q) for conn, q in streams]
    last = [0.0]
    lock = threading.Lock()

    def tick():
        if progress is None:
            return
        now = time.perf_counter()
        with lock:
            if now - last[0] < 0.2:
                return
            last[0] = now
        progress(sum(s.rows for s in ss))

    # The store's sandboxed DuckDB reads files only in its staging folder: there the streams
    # are named pipes, which the pump opens for writing once DuckDB opens them for reading.
    fifo_dir = sandbox.pipe_folder(cur)
    for s in ss:
        if fifo_dir is None:
            s.rfd, s.wfd = os.pipe()
            s.extra["path"] = f"/dev/fd/{s.rfd}"
            _grow_pipe(s.wfd)
        else:
            s.extra["fifo"] = sandbox.new_pipe(fifo_dir)
            s.extra["path"] = str(s.extra["fifo"])
    spec = "{" + ", ".join(f"{quote_literal(c.name)}: {quote_literal(c.duck)}" for c in columns) + "}"
    opts = f"header=false, columns={spec}, delim=',', quote='\"', escape='\"', {CSV_OPTIONS}"
    selects = " UNION ALL ".join(f"SELECT * FROM read_csv({quote_literal(s.extra['path'])}, {opts})"
                                 for s in ss)
    for s in ss:
        s.thread = threading.Thread(target=_pump, args=(s, cancel, tick), daemon=True,
                                    name=f"axis-copy-{table}")
        s.thread.start()
    duck_error: BaseException | None = None
    try:
        cur.execute(f"CREATE TABLE {quote_ident(table)} AS {selects}")
    except BaseException as exc:  # noqa: BLE001
        duck_error = exc
    finally:
        for s in ss:
            try:
                if "fifo" in s.extra:
                    # If DuckDB never opened the pipe, the pump waits in open(): let it in and
                    # leave at once, so its first write fails (EPIPE) and it stops.
                    os.close(os.open(s.extra["fifo"], os.O_RDONLY | os.O_NONBLOCK))
                else:
                    os.close(s.rfd)  # a writer still blocked on a full pipe gets EPIPE and stops
            except OSError:
                pass
        for s in ss:
            s.thread.join()
            if "fifo" in s.extra:
                try:
                    os.unlink(s.extra["fifo"])
                except OSError:
                    pass
    errors = [s.error for s in ss if s.error is not None]
    if errors:
        err = next((e for e in errors if not isinstance(e, (BrokenPipeError, SyncCancelled))), errors[0])
        if isinstance(err, SyncCancelled) or cancel.is_set():
            raise SyncCancelled("the sync was cancelled; nothing was replaced.")
        if isinstance(err, BrokenPipeError) and duck_error is not None:
            raise CopyFormatError(f"{label}: {str(duck_error).splitlines()[0]}") from duck_error
        raise SyncError(f"{label}: reading from PostgreSQL failed: {clean_pg_error(err)}") from err
    if duck_error is not None:
        if cancel.is_set():
            raise SyncCancelled("the sync was cancelled; nothing was replaced.")
        raise CopyFormatError(f"{label}: {str(duck_error).splitlines()[0]}") from duck_error
    rows = sum(s.rows for s in ss)
    if progress:
        progress(rows)
    return ReadResult(rows=rows, tier="parallel_copy" if len(ss) > 1 else "copy",
                      seconds=time.perf_counter() - t0)


# ----------------------------------------------------------------------------------
# Tier 3: server-side cursor


def _arrow_type(col: Column):
    import pyarrow as pa

    return {
        "BOOLEAN": pa.bool_(), "BIGINT": pa.int64(), "SMALLINT": pa.int16(), "INTEGER": pa.int32(),
        "REAL": pa.float32(), "DOUBLE": pa.float64(), "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    }.get(col.duck, pa.string())


def _to_text(v):
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        import json

        return json.dumps(v, default=str)
    if isinstance(v, (bytes, memoryview)):
        return "\\x" + bytes(v).hex()
    return str(v)


def cursor_into_duckdb(cur, table: str, conn: psycopg.Connection, query: str, columns: list[Column],
                       *, label: str, chunk_size: int, max_rows: int,
                       cancel: threading.Event | None = None,
                       progress: Callable[[int], None] | None = None) -> ReadResult:
    """Tier 3: a named (server-side) cursor read in chunks, capped at ``max_rows``."""
    import pyarrow as pa

    cancel = cancel or threading.Event()
    t0 = time.perf_counter()
    types = [_arrow_type(c) for c in columns]
    schema = pa.schema([(c.name, t) for c, t in zip(columns, types)])
    cur.execute(f"CREATE TABLE {quote_ident(table)} ("
                + ", ".join(f"{quote_ident(c.name)} {c.duck if t != pa.string() else 'VARCHAR'}"
                            for c, t in zip(columns, types)) + ")")
    rows = 0
    truncated = False
    try:
        with conn.cursor(name=f"axis_sync_{table[-20:]}") as pc:
            pc.itersize = chunk_size
            pc.execute(query)
            while True:
                if cancel.is_set():
                    raise SyncCancelled("the sync was cancelled; nothing was replaced.")
                batch = pc.fetchmany(chunk_size)
                if not batch:
                    break
                if rows + len(batch) > max_rows:
                    batch = batch[: max_rows - rows]
                    truncated = True
                arrays = []
                for i, (c, t) in enumerate(zip(columns, types)):
                    vals = [r[i] for r in batch]
                    if t == pa.string():
                        vals = [_to_text(v) for v in vals]
                    elif c.oid == 1700:
                        vals = [None if v is None else float(v) for v in vals]
                    arrays.append(pa.array(vals, type=t, from_pandas=True))
                chunk = pa.Table.from_arrays(arrays, schema=schema)
                # Registered by name: the store's sandbox turns off DuckDB's scans of Python
                # variables.
                cur.register("_axis_sync_chunk", chunk)
                try:
                    cur.execute(f"INSERT INTO {quote_ident(table)} SELECT * FROM _axis_sync_chunk")
                finally:
                    cur.unregister("_axis_sync_chunk")
                rows += len(batch)
                if progress:
                    progress(rows)
                if truncated:
                    break
    except SyncCancelled:
        raise
    except psycopg.Error as exc:
        raise SyncError(f"{label}: reading from PostgreSQL failed: {clean_pg_error(exc)}") from exc
    return ReadResult(rows=rows, tier="cursor", truncated=truncated, seconds=time.perf_counter() - t0)
