"""The Arrow tier: Apache Arrow's ADBC PostgreSQL driver, record batches straight into DuckDB.

The driver reads ``COPY (query) TO STDOUT (FORMAT binary)`` and decodes it into Arrow record
batches in C++ (no Python object per value, no text to parse again); DuckDB scans the
batches as they arrive (:class:`~.feeds.Tap`). It is the fastest tier measured on the
sync benchmark (benchmarks/README.md) and the default when the ``adbc-driver-postgresql``
package is installed.

* **Snapshot.** Each ADBC connection opens ``REPEATABLE READ READ ONLY`` and joins the sync's
  exported snapshot (``SET TRANSACTION SNAPSHOT``), like the COPY tier's connections. A
  snapshot that cannot be exported (some replicas) rules this tier out. A read that ends
  well hands its connection back to the snapshot, and the sync's next read (the results
  after the dataset) runs on it: one connection per sync where it used to open one per read
  (an incremental sync's fixed cost). Connections use the driver's built-in type table, not
  one read from ``pg_type`` on every connect (15 ms a connection instead of 45 here).
* **Types.** The query is wrapped so every column arrives as an Arrow type DuckDB reads the
  same way the other tiers would: ``numeric`` as ``float8``, ``oid`` as ``int8`` and every type
  without a DuckDB counterpart (json, uuid, arrays, intervals, bytea, …) as its text form.
* **Read ahead.** Each connection is drained by its own thread (the driver releases the GIL
  while it reads and decodes), a batch or two ahead of DuckDB: decoding the next batch
  overlaps DuckDB's work on the last one instead of waiting for it (on the sync benchmark,
  1–2 s of a 5M-row read).
* **Partitions** (``partition_column`` and ``sync_workers`` > 1): one connection per range,
  their batches merged into the one stream DuckDB reads.
* **Cancellation.** A watcher cancels the running statements (``adbc_cancel``) when the sync
  is cancelled, so a read waiting on a slow query stops at once.
"""

from __future__ import annotations

import queue
import threading

from .feeds import Feed, Tap, register
from .readers import Column, Snapshot, SyncError, clean_pg_error, quote_pg_ident

try:  # optional at run time; the project's dependencies install it
    import adbc_driver_postgresql.dbapi as adbc_pg
except ImportError:  # pragma: no cover - exercised where the package is missing
    adbc_pg = None

# Batches of about this size: small enough that PostgreSQL, the decoder and DuckDB overlap
# (and that memory stays low), large enough that the per-batch overhead does not count.
BATCH_BYTES = 4 << 20

# Text, varchar and char arrive as Arrow strings already.
_NATIVE_TEXT = {25, 1042, 1043}


def available() -> bool:
    return adbc_pg is not None


def arrow_query(query: str, columns: list[Column]) -> str:
    """``query`` with each column cast to a type the driver and DuckDB agree on."""
    parts = []
    for c in columns:
        q = quote_pg_ident(c.name)
        if c.oid == 1700:
            expr = f"{q}::float8"
        elif c.oid == 26:
            expr = f"{q}::int8"
        elif c.duck == "VARCHAR" and c.oid not in _NATIVE_TEXT:
            expr = f"{q}::text"
        else:
            expr = q
        parts.append(f"{expr} AS {q}")
    return f"SELECT {', '.join(parts)} FROM ({query}\n) AS _axis_q"


# The driver resolves result types from a catalog it reads from ``pg_type`` on every
# connect (30 ms on an empty database, more on a large one) unless told to use its built-in
# table. ``arrow_query`` casts every column to a built-in type, so the built-in table is
# enough. None: not tried yet; False: this driver does not know the option.
_RESOLVER = {"adbc.postgresql.type_resolver_mode": "builtin"}
_builtin_resolver: bool | None = None


def _connect(conninfo: str):
    global _builtin_resolver
    if _builtin_resolver is not False:
        try:
            conn = adbc_pg.connect(conninfo, db_kwargs=dict(_RESOLVER), autocommit=True)
            _builtin_resolver = True
            return conn
        except Exception as exc:  # an older driver: "unknown database option"
            if _builtin_resolver or "option" not in str(exc).lower():
                raise
            _builtin_resolver = False
    return adbc_pg.connect(conninfo, autocommit=True)


class _Reader:
    """One ADBC connection inside the snapshot, running one query.

    The connection comes from the snapshot's idle ones when an earlier read of the same sync
    finished with it (:meth:`done`), else it is opened and joins the snapshot.
    """

    def __init__(self, snap: Snapshot, query: str, label: str):
        self.snap = snap
        self.conn = self.cur = self.reader = None
        self.drained = False  # every batch was read: the connection can serve another read
        try:
            self.conn = snap.unpark("arrow")
            if self.conn is None:
                self.conn = _connect(snap.libpq_conninfo())
                setup = self.conn.cursor()
                try:
                    for stmt in ("SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'",
                                 "SET extra_float_digits = 1",
                                 f"SET statement_timeout = {int(snap.copy_timeout_s or 0) * 1000}",
                                 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                 f"SET TRANSACTION SNAPSHOT {snap.literal(snap.snapshot_id)}"):
                        setup.execute(stmt)
                finally:
                    setup.close()
            self.cur = self.conn.cursor()
            self.cur.adbc_statement.set_options(
                **{"adbc.postgresql.batch_size_hint_bytes": str(BATCH_BYTES)})
            self.cur.execute(query)
            self.reader = self.cur.fetch_record_batch()
        except Exception as exc:  # the driver's errors are OSError/ADBC errors: one message
            self.close()
            raise SyncError(f"{label}: reading from PostgreSQL failed: {clean_pg_error(exc)}") from None

    def cancel(self) -> None:
        try:
            self.cur.adbc_cancel()
        except Exception:
            pass

    def close(self, reuse: bool = False) -> None:
        """Close the read; with ``reuse`` (and every batch read) hand the connection back to
        the snapshot, still inside its transaction, for the sync's next read."""
        for obj in (self.reader, self.cur):
            if obj is not None:
                try:
                    obj.close()
                except Exception:
                    reuse = False
        self.reader = self.cur = None
        if self.conn is not None:
            if reuse and self.drained:
                self.snap.park("arrow", self.conn)
            else:
                try:
                    self.conn.close()
                except Exception:
                    pass
            self.conn = None


_DONE = object()


class ArrowFeed(Feed):
    """One query (or its partitions) through ADBC, as one Arrow stream for DuckDB."""

    def __init__(self, snap: Snapshot, queries: list[str], columns: list[Column], *, label: str,
                 cancel, progress=None):
        super().__init__(cancel, progress)
        self.tier = "parallel_arrow" if len(queries) > 1 else "arrow"
        self.snap, self.queries, self.columns, self.label = snap, queries, columns, label
        self.readers: list[_Reader] = []
        self._duck = None
        self.finished = threading.Event()
        self.threads: list[threading.Thread] = []

    def open(self, cur) -> None:
        try:
            for q in self.queries:
                self.readers.append(_Reader(self.snap, arrow_query(q, self.columns), self.label))
        except BaseException:
            for r in self.readers:
                r.close()
            raise
        schema = self.readers[0].reader.schema
        batches = self._merged()
        self._duck = cur
        self._name = register(cur, Tap(self, schema, batches).reader())
        self.relation = self._name
        watcher = threading.Thread(target=self._watch, daemon=True, name="axis-arrow-cancel")
        watcher.start()
        self.threads.append(watcher)

    def _watch(self) -> None:
        while not self.finished.wait(0.2):
            if self.cancel.is_set():
                for r in self.readers:
                    r.cancel()
                return

    def _merged(self):
        """The readers' batches as one stream, each reader drained by its own thread."""
        q: queue.Queue = queue.Queue(maxsize=2 * len(self.readers))

        def put(item) -> bool:
            while not self.finished.is_set():
                try:
                    q.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def pump(reader: _Reader) -> None:
            try:
                for batch in reader.reader:
                    if not put(batch):
                        return
                reader.drained = True
                put(_DONE)
            except BaseException as exc:  # noqa: BLE001 - handed to the stream's consumer
                put(exc)

        for r in self.readers:
            t = threading.Thread(target=pump, args=(r,), daemon=True, name="axis-arrow-part")
            t.start()
            self.threads.append(t)
        done = 0
        while done < len(self.readers):
            item = q.get()
            if item is _DONE:
                done += 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item

    def close(self, failed: bool) -> None:
        self.finished.set()
        if failed:
            for r in self.readers:
                r.cancel()
        if self._duck is not None:
            try:
                self._duck.unregister(self._name)
            except Exception:
                pass
        for t in self.threads:
            t.join()
        for r in self.readers:
            r.close(reuse=not failed)
