"""The cursor tier, the last resort: a server-side cursor read in chunks.

``fetchmany(sync_chunk_size)`` rows become one Arrow batch each, which DuckDB pulls through a
:class:`~.feeds.Tap` like the Arrow tier's — one statement, no table in memory — capped at
``max_sync_rows`` (``truncated``). Every value passes through Python, so this is the slow
tier: it is used when neither ADBC nor COPY through a pipe can carry the query (no pipes on
this platform, a type DuckDB cannot parse).
"""

from __future__ import annotations

import uuid

import psycopg

from .feeds import Feed, Tap, register
from .readers import Column


def arrow_type(col: Column):
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


class CursorFeed(Feed):
    """One query through a named cursor on ``conn`` (already inside the sync's snapshot)."""

    tier = "cursor"

    def __init__(self, conn: psycopg.Connection, query: str, columns: list[Column], *,
                 chunk_size: int, max_rows: int, cancel, progress=None):
        super().__init__(cancel, progress)
        self.conn, self.query, self.columns = conn, query, columns
        self.chunk_size, self.max_rows = chunk_size, max_rows
        self._batches = None
        self._cur = None
        self._cur_duck = None
        self._name = None

    def _generate(self):
        import pyarrow as pa

        types = [arrow_type(c) for c in self.columns]
        schema = pa.schema([(c.name, t) for c, t in zip(self.columns, types)])
        pc = self.conn.cursor(name=f"axis_sync_{uuid.uuid4().hex[:12]}")
        self._cur = pc
        pc.itersize = self.chunk_size
        pc.execute(self.query)
        while True:
            rows = pc.fetchmany(self.chunk_size)
            if not rows:
                return
            arrays = []
            for i, (c, t) in enumerate(zip(self.columns, types)):
                vals = [r[i] for r in rows]
                if t == pa.string():
                    vals = [_to_text(v) for v in vals]
                elif c.oid == 1700:
                    vals = [None if v is None else float(v) for v in vals]
                arrays.append(pa.array(vals, type=t, from_pandas=True))
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    def open(self, cur) -> None:
        import pyarrow as pa

        schema = pa.schema([(c.name, arrow_type(c)) for c in self.columns])
        self._batches = self._generate()
        tap = Tap(self, schema, self._batches, max_rows=self.max_rows)
        self._cur_duck = cur
        self._name = register(cur, tap.reader())
        self.relation = self._name

    def close(self, failed: bool) -> None:
        if self._cur_duck is not None:
            try:
                self._cur_duck.unregister(self._name)
            except Exception:
                pass
        if self._batches is not None:
            self._batches.close()  # runs nothing more; the cursor is closed below
        if self._cur is not None:
            try:
                self._cur.close()
            except psycopg.Error:
                pass
