"""A *feed*: one query's rows, on their way from PostgreSQL into one DuckDB statement.

A feed is opened on a DuckDB cursor and then names its rows as ``relation`` — SQL that can
stand after ``FROM`` — which that cursor may read once, in one statement (``CREATE TABLE …
AS SELECT … FROM relation``, a join, the canonical build). Nothing is collected first: the
statement pulls the rows while PostgreSQL still produces them, so a sync holds a few
batches in memory, never a table. The read tiers (:mod:`.tiers`) are feeds:

* ``ArrowFeed`` (:mod:`.tier_arrow`) and ``CursorFeed`` (:mod:`.tier_cursor`) hand DuckDB an
  Arrow ``RecordBatchReader``, registered by name on the cursor (the store's sandbox turns off
  DuckDB's scans of Python variables). A :class:`Tap` sits between the source's batches and
  DuckDB: it counts rows, reports progress, stops on cancellation, records what the source
  raised, and measures the time spent waiting on the source.
* ``CopyFeed`` (:mod:`.tier_copy`) streams COPY's CSV through pipes that DuckDB's CSV reader
  reads.

After the statement, :func:`settle` decides what went wrong, if anything: the source's own
error (a query error, a dropped connection, a cancellation) wins over the error DuckDB
reported for the stream it could not finish.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Callable, Iterator

from ..ingest.readers import quote_ident
from .readers import Column, ReadResult, SyncCancelled, SyncError, TierUnsupported, clean_pg_error

Progress = Callable[[int], None]


class Feed:
    """Base of the tiers' feeds: ``open(cur)`` makes ``relation`` readable on ``cur``,
    ``close(failed)`` releases everything (and learns the source's errors)."""

    tier = "?"

    def __init__(self, cancel, progress: Progress | None = None):
        self.cancel = cancel
        self.progress = progress
        self.relation = ""
        self.rows = 0
        self.truncated = False
        self.source_seconds: float | None = None
        self.error: BaseException | None = None  # what the source raised
        self._last_tick = 0.0
        self._tick_lock = threading.Lock()

    def open(self, cur) -> None:  # pragma: no cover - every tier overrides it
        raise NotImplementedError

    def close(self, failed: bool) -> None:  # pragma: no cover - every tier overrides it
        raise NotImplementedError

    def tick(self, rows: int, force: bool = False) -> None:
        """Report ``rows`` read so far, at most five times a second."""
        if self.progress is None:
            return
        now = time.perf_counter()
        with self._tick_lock:
            if not force and now - self._last_tick < 0.2:
                return
            self._last_tick = now
        try:
            self.progress(rows)
        except Exception:  # a broken progress display must not break the read
            pass

    def result(self, seconds: float) -> ReadResult:
        return ReadResult(rows=self.rows, tier=self.tier, truncated=self.truncated,
                          seconds=seconds, source_seconds=self.source_seconds)


class Tap:
    """Between a source's Arrow batches and DuckDB: counting, progress, cancellation, errors.

    ``reader()`` is what DuckDB scans; it pulls the next batch from ``batches`` only when
    DuckDB asks for one, so at most a batch or two are in flight.
    """

    def __init__(self, feed: Feed, schema, batches: Iterator[Any], max_rows: int | None = None):
        self.feed, self.schema, self.batches, self.max_rows = feed, schema, batches, max_rows
        feed.source_seconds = 0.0

    def _generate(self):
        feed = self.feed
        it = iter(self.batches)
        while True:
            if feed.cancel.is_set():
                feed.error = SyncCancelled("the sync was cancelled.")
                raise feed.error
            t0 = time.perf_counter()
            try:
                batch = next(it)
            except StopIteration:
                break
            except BaseException as exc:  # noqa: BLE001 - the source's own error, settled later
                feed.error = exc
                raise
            finally:
                feed.source_seconds += time.perf_counter() - t0
            if self.max_rows is not None and feed.rows + batch.num_rows > self.max_rows:
                batch = batch.slice(0, self.max_rows - feed.rows)
                feed.truncated = True
            feed.rows += batch.num_rows
            feed.tick(feed.rows)
            yield batch
            if feed.truncated:
                break
        feed.tick(feed.rows, force=True)

    def reader(self):
        import pyarrow as pa

        return pa.RecordBatchReader.from_batches(self.schema, self._generate())


def register(cur, reader) -> str:
    """Register an Arrow reader on ``cur`` under a fresh name; returns the quoted name."""
    name = f"_axis_feed_{uuid.uuid4().hex[:12]}"
    cur.register(name, reader)
    return name


def settle(feed: Feed, body: BaseException | None, *, label: str, next_tier: bool) -> None:
    """After the statement over ``feed`` ended (``body``: what it raised): raise what the user
    should see, or nothing when all went well.

    The source's error comes first: DuckDB only saw a stream that broke off. A DuckDB error
    without one means DuckDB could not take the rows in this form: with ``next_tier`` the
    caller tries the next tier (:class:`TierUnsupported`), else the error stands as it is.
    """
    err = feed.error
    if isinstance(err, SyncCancelled) or feed.cancel.is_set():
        raise SyncCancelled("the sync was cancelled; nothing was replaced.") from None
    if err is not None and not isinstance(err, BrokenPipeError):
        raise SyncError(f"{label}: reading from PostgreSQL failed: {clean_pg_error(err)}") from err
    if body is None:
        return
    if next_tier and _from_duckdb(body):
        first = (str(body.__cause__ or body).strip().splitlines() or [type(body).__name__])[0]
        raise TierUnsupported(f"{label}: {first}") from body
    raise body


def _from_duckdb(exc: BaseException) -> bool:
    import duckdb

    return isinstance(exc, duckdb.Error) or isinstance(exc.__cause__, duckdb.Error)


# DuckDB's sizes of a row's values in a hash table (its build-side cost model counts them).
_WIDTH = {"BOOLEAN": 1, "SMALLINT": 2, "INTEGER": 4, "REAL": 4, "DATE": 4}


def _row_width(columns: list[Column]) -> int:
    return 8 + sum(_WIDTH.get(c.duck, 16 if c.duck == "VARCHAR" else 8) for c in columns)


def probe_side(relation: str, columns: list[Column], build_rows: int,
               build_columns: list[Column]) -> str:
    """``relation`` (a feed) made the probe side of a hash join with a table of
    ``build_rows`` rows, so DuckDB builds its hash table on that table, never on the feed.

    DuckDB cannot know how many rows a stream holds; it estimates one, and builds a join's
    hash table on the side it thinks smaller — the whole results table, in memory. A UNION
    ALL with an empty branch whose *estimate* is large (a range filtered by a condition no
    row meets) makes the feed's estimate larger than the table's (DuckDB weighs rows by their
    width). The empty branch costs one pass over the range, about 7 ns a row: ten times the
    table's rows, a small fraction of reading that table.
    """
    ratio = max(1.0, _row_width(build_columns) / _row_width(columns))
    n = max(1000, int(10 * max(build_rows, 1) * ratio))
    nulls = ", ".join(f"CAST(NULL AS {c.duck}) AS {quote_ident(c.name)}" for c in columns)
    return (f"(SELECT * FROM {relation} UNION ALL "
            f"SELECT {nulls} FROM range({n}) AS _axis_none(i) WHERE i < 0)")
