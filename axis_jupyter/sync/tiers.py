"""Which read tier carries a query into DuckDB, and the read itself (with fallback).

Tiers, fastest first (benchmarks/README.md has the measurements):

1. ``arrow`` — the ADBC PostgreSQL driver's Arrow batches (:mod:`.tier_arrow`); needs the
   ``adbc-driver-postgresql`` package and a snapshot that can be exported.
2. ``copy`` — COPY's CSV through pipes into DuckDB's CSV reader (:mod:`.tier_copy`); needs
   pipes (POSIX).
3. ``cursor`` — a server-side cursor in chunks (:mod:`.tier_cursor`), capped at
   ``max_sync_rows``.

``auto`` (the default ``sync_tier``) tries them in that order: when DuckDB cannot take a
query's rows from one tier (:class:`~.readers.TierUnsupported`), the next one reads the query
again (same snapshot, so the same rows) and the sync reports the fallback. ``sync_tier: arrow
| copy | cursor`` in ``duckdb.yaml`` (or ``AXIS_SYNC_TIER``) forces one tier, with no fallback.
With a ``partition_column`` and ``sync_workers`` > 1, the arrow and copy tiers read ranges of
that column on parallel connections (``parallel_arrow``, ``parallel_copy``).
"""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from . import tier_arrow, tier_copy
from .feeds import Feed, Progress, settle
from .readers import Column, ReadResult, Snapshot, SyncError, TierUnsupported, partition_queries
from .tier_arrow import ArrowFeed
from .tier_copy import CopyFeed
from .tier_cursor import CursorFeed

T = TypeVar("T")
TIERS = ("arrow", "copy", "cursor")


@dataclass
class Reading:
    """What every read of one sync (or one browser import) shares."""

    snap: Snapshot
    tier: str = "auto"
    workers: int = 1
    chunk_size: int = 10000
    max_rows: int = 2_000_000
    cancel: Any = field(default_factory=threading.Event)
    notice: Callable[[str], None] | None = None  # told when a tier gives way to the next

    @classmethod
    def of(cls, snap: Snapshot, settings, cancel, notice=None) -> "Reading":
        return cls(snap, tier=settings.sync_tier, workers=settings.sync_workers,
                   chunk_size=settings.sync_chunk_size, max_rows=settings.max_sync_rows,
                   cancel=cancel, notice=notice)


def usable(tier: str, snap: Snapshot) -> str | None:
    """Why ``tier`` cannot be used here, or None."""
    if tier == "arrow" and not tier_arrow.available():
        return "the adbc-driver-postgresql package is not installed"
    if tier == "arrow" and not snap.shareable:
        return "the source cannot export its snapshot (pg_export_snapshot), which ADBC needs"
    if tier == "copy" and not tier_copy.pipes_supported():
        return "this platform has no pipes DuckDB can read"
    return None


def order(reading: Reading) -> list[str]:
    """The tiers to try, in order."""
    if reading.tier != "auto":
        why = usable(reading.tier, reading.snap)
        if why is not None:
            raise SyncError(f"sync_tier is {reading.tier}, but {why}; set sync_tier: auto "
                            "(duckdb.yaml or AXIS_SYNC_TIER) to use another tier.")
        return [reading.tier]
    return [t for t in TIERS if usable(t, reading.snap) is None]


def _feed(tier: str, reading: Reading, query: str, columns: list[Column], partition: str | None,
          label: str, progress: Progress | None) -> Feed:
    snap = reading.snap
    parts = [query]
    pcol = next((c for c in columns if c.name == partition), None) if partition else None
    if pcol is not None and tier != "cursor" and reading.workers > 1 and snap.shareable:
        parts = partition_queries(snap, query, pcol, reading.workers)
    if tier == "arrow":
        return ArrowFeed(snap, parts, columns, label=label, cancel=reading.cancel, progress=progress)
    if tier == "copy":
        streams = [(snap.reader(), q) for q in parts] if snap.shareable else [(snap.coord, query)]
        return CopyFeed(streams, columns, reading.cancel, progress)
    conn = snap.reader() if snap.shareable else snap.coord
    return CursorFeed(conn, query, columns, chunk_size=reading.chunk_size, max_rows=reading.max_rows,
                      cancel=reading.cancel, progress=progress)


def read(cur, reading: Reading, query: str, columns: list[Column], use: Callable[[str], T], *,
         label: str, partition: str | None = None,
         progress: Progress | None = None) -> tuple[T, ReadResult]:
    """Run ``use(relation)`` — one DuckDB statement (or transaction) on ``cur`` that reads the
    query's rows from ``relation`` — through the first tier that can carry them.

    ``use`` must leave nothing behind when it fails (one statement, or its own transaction):
    the next tier runs it again.
    """
    tiers = order(reading)
    for i, tier in enumerate(tiers):
        feed = _feed(tier, reading, query, columns, partition, label, progress)
        # Without an exported snapshot every read shares the coordinator: one at a time.
        serial = nullcontext() if reading.snap.shareable else reading.snap.lock
        t0 = time.perf_counter()
        body: BaseException | None = None
        out = None
        with serial:
            try:
                feed.open(cur)
            except BaseException:
                feed.close(failed=True)
                raise
            try:
                out = use(feed.relation)
            except BaseException as exc:  # noqa: BLE001 - settled below, with the source's errors
                body = exc
            finally:
                feed.close(failed=body is not None)
        try:
            settle(feed, body, label=label, next_tier=i < len(tiers) - 1)
        except TierUnsupported as exc:
            if reading.notice is not None:
                reading.notice(f"the {tier} tier could not read this query ({exc}); reading it "
                               f"again with the {tiers[i + 1]} tier.")
            continue
        return out, feed.result(time.perf_counter() - t0)
    raise AssertionError("unreachable: the last tier raises")  # pragma: no cover
