"""The COPY tier: ``COPY (query) TO STDOUT (FORMAT csv)`` through pipes into DuckDB's CSV reader.

Used when the ADBC driver is missing (or cannot carry a query's types). Each PostgreSQL
connection's CSV stream is written by a thread into an OS pipe, and DuckDB's own CSV reader
reads the pipe (``read_csv('/dev/fd/N')``; for the store's sandboxed database, which reads
files only in its staging folder, a named pipe created there) with the column types taken
from PostgreSQL's description of the query. Rows never become Python objects, parsing runs in
DuckDB's C++ reader, and PostgreSQL, the pipe writers and DuckDB work at the same time.
libpq hands COPY data over one row per call, so the writer's per-row work is kept to one
buffered write (see ``_pump``).
"""

from __future__ import annotations

import os
import select
import threading
from dataclasses import dataclass, field

import psycopg

from ..ingest.readers import quote_literal
from ..store import sandbox
from .feeds import Feed
from .readers import Column, SyncCancelled

# DuckDB read_csv options for PostgreSQL's CSV: an unquoted empty field is NULL, a quoted
# one ("") is the empty string.
CSV_OPTIONS = "new_line='\\n', allow_quoted_nulls=false, auto_detect=false"

PIPE_BYTES = 4 << 20


class _Stopped(Exception):
    """The statement reading the pipe failed first; its pump stopped (not an error itself)."""


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


class CopyFeed(Feed):
    """One query (or its partitions, one connection each) as CSV streams read by DuckDB."""

    def __init__(self, streams: list[tuple[psycopg.Connection, str]], columns: list[Column],
                 cancel, progress=None):
        super().__init__(cancel, progress)
        self.tier = "parallel_copy" if len(streams) > 1 else "copy"
        self.streams = [_Stream(conn, q) for conn, q in streams]
        self.columns = columns
        self.stop = threading.Event()  # set when the reading statement failed

    def open(self, cur) -> None:
        # The store's sandboxed DuckDB reads files only in its staging folder: there the
        # streams are named pipes, which the pump opens for writing once DuckDB opens them.
        fifo_dir = sandbox.pipe_folder(cur)
        for s in self.streams:
            if fifo_dir is None:
                s.rfd, s.wfd = os.pipe()
                s.extra["path"] = f"/dev/fd/{s.rfd}"
                _grow_pipe(s.wfd)
            else:
                s.extra["fifo"] = sandbox.new_pipe(fifo_dir)
                s.extra["path"] = str(s.extra["fifo"])
        spec = "{" + ", ".join(f"{quote_literal(c.name)}: {quote_literal(c.duck)}" for c in self.columns) + "}"
        opts = f"header=false, columns={spec}, delim=',', quote='\"', escape='\"', {CSV_OPTIONS}"
        self.relation = "(" + " UNION ALL ".join(
            f"SELECT * FROM read_csv({quote_literal(s.extra['path'])}, {opts})" for s in self.streams) + ")"
        for s in self.streams:
            s.thread = threading.Thread(target=self._pump, args=(s,), daemon=True, name="axis-copy")
            s.thread.start()

    def close(self, failed: bool) -> None:
        if failed:
            self.stop.set()
        for s in self.streams:
            try:
                if "fifo" in s.extra:
                    # If DuckDB never opened the pipe, the pump waits in open(): let it in and
                    # leave at once, so its first write fails (EPIPE) and it stops.
                    os.close(os.open(s.extra["fifo"], os.O_RDONLY | os.O_NONBLOCK))
                elif s.rfd >= 0:
                    os.close(s.rfd)  # a writer still blocked on a full pipe gets EPIPE and stops
            except OSError:
                pass
        for s in self.streams:
            if s.thread is not None:
                s.thread.join()
            if "fifo" in s.extra:
                try:
                    os.unlink(s.extra["fifo"])
                except OSError:
                    pass
        self.rows = sum(s.rows for s in self.streams)
        errors = [s.error for s in self.streams if s.error is not None and not isinstance(s.error, _Stopped)]
        if errors:
            self.error = next((e for e in errors if not isinstance(e, (BrokenPipeError, SyncCancelled))),
                              errors[0])
        self.tick(self.rows, force=True)

    def _halted(self) -> bool:
        if self.cancel.is_set():
            raise SyncCancelled("the sync was cancelled.")
        if self.stop.is_set():
            raise _Stopped()
        return False

    def _pump(self, stream: _Stream) -> None:
        """Write one COPY stream into its pipe.

        libpq hands COPY data over one row per call, so this loop is the per-row cost of the
        tier: each row goes straight into a 1 MB buffered writer (a C-level copy) and its libpq
        buffer is freed at once. (Collecting rows in a list and joining them cost 3x the CPU:
        thousands of live libpq allocations per batch.) Progress and cancellation are checked
        while waiting for the server and every 64k rows.
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
                # Non-blocking read: a blocking PQgetCopyData would hold the GIL while
                # PostgreSQL computes the next row, freezing every other thread (the server's
                # event loop, concurrent reads). select() waits without the GIL.
                nb, data = gcd(1)
                if nb > 0:
                    write(data)
                    rows += 1
                    if not rows & 0xFFFF:
                        stream.rows = rows
                        self.tick(sum(s.rows for s in self.streams))
                        self._halted()
                    continue
                if nb == 0:
                    stream.rows = rows
                    self.tick(sum(s.rows for s in self.streams))
                    self._halted()
                    select.select([fd], [], [], 0.5)
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
        except BaseException as exc:  # noqa: BLE001 - settled by the feed's reader
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
