"""One sync in progress: its job, cancel flag and progress, and the reads it makes.

A sync runs as a job (:mod:`axis_jupyter.jobs`); :class:`SyncRun` turns the engine's steps
into the job's progress (``phase`` plus step fields, merged into the job's progress dict)
and reads one query of the source into a DuckDB table with the best tier available
(:mod:`.readers`).
"""

from __future__ import annotations

import threading
from contextlib import nullcontext

from .. import wire
from ..errors import ConfigError
from ..ingest.readers import quote_ident
from ..jobs import Job
from . import config as sconfig
from . import readers as rd
from .readers import SyncError


class AnyEvent:
    """Set when any of its events is set (readers only call is_set())."""

    def __init__(self, *events):
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)

    def set(self) -> None:
        self.events[0].set()


class SyncRun:
    """The state of one sync: source, settings, job, cancel flag and per-table progress."""

    def __init__(self, cfg: sconfig.SourceConfig, settings: sconfig.StoreSettings, job: Job,
                 cancel_event: threading.Event | None = None):
        self.cfg, self.settings, self.job = cfg, settings, job
        self.cancel = job.cancel_event if cancel_event is None else AnyEvent(job.cancel_event,
                                                                               cancel_event)
        self.phase = "starting"
        self.tables: dict[str, dict] = {}

    def emit(self, phase: str, **fields) -> None:
        """Report a step: the job's progress becomes ``{source, phase, **fields}`` merged."""
        self.phase = phase
        self.job.progress(**wire.jsonable({"source": self.cfg.name, "phase": phase, **fields}))

    def cancelled(self) -> bool:
        return self.cancel.is_set()


def subqueries(cfg: sconfig.SourceConfig) -> list[tuple[str, str]]:
    """(role, query) of the source: ``dataset`` and ``results`` for a split source, else ``data``."""
    if cfg.split:
        return [("dataset", cfg.dataset_query), ("results", cfg.results_query)]
    return [("data", cfg.dataset_query)]


def check_columns(cfg, sub: str, cols: list[rd.Column]) -> None:
    names = {c.name for c in cols}
    for key in ("incremental_column", "partition_column"):
        col = getattr(cfg, key)
        if col and col not in names and sub != "dataset":
            raise ConfigError(
                f"source {cfg.name!r}: key '{key}' names column {col!r}, which the {sub} query "
                f"does not return (it returns {', '.join(sorted(names))}).")


def open_snapshot(cfg, settings) -> rd.Snapshot:
    try:
        return rd.Snapshot(cfg.conninfo(), probe_timeout_s=cfg.query_timeout,
                           copy_timeout_s=settings.sync_timeout)
    except SyncError as exc:
        raise SyncError(f"source {cfg.name!r} ({cfg.describe_target()}): {exc}") from None


def read_table(store, snap: rd.Snapshot, run: SyncRun, sub: str, query: str, cols: list[rd.Column],
               table: str, cur=None) -> rd.ReadResult:
    """Read one sub-query into DuckDB ``table`` (on ``cur``, else a cursor of its own)."""
    cfg, settings = run.cfg, run.settings
    label = f"source {cfg.name!r}, {sub} query"
    estimate = rd.estimate_rows(snap, query)

    def prog(rows):
        run.tables[sub] = {"rows": rows, "estimate": estimate}
        run.emit("reading", table=sub, rows=rows, estimate=estimate, tables=dict(run.tables))

    # One reader connection per stream when the snapshot can be shared; else every read
    # runs on the coordinator, one at a time.
    serial = nullcontext() if snap.shareable else snap.lock
    with (store.cursor() if cur is None else nullcontext(cur)) as c:
        if rd.pipes_supported():
            parts = [query]
            pcol = next((x for x in cols if x.name == cfg.partition_column), None)
            if pcol is not None and settings.sync_workers > 1 and snap.shareable:
                parts = rd.partition_queries(snap, query, pcol, settings.sync_workers)
            try:
                if snap.shareable:
                    streams = [(snap.reader(), q) for q in parts]
                else:
                    streams = [(snap.coord, query)]
                with serial:
                    return rd.copy_into_duckdb(c, table, streams, cols, label=label,
                                               cancel=run.cancel, progress=prog)
            except rd.CopyFormatError as exc:
                run.emit("fallback", table=sub, message=f"COPY could not be parsed ({exc}); "
                         "reading through a cursor.")
                c.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        conn = snap.reader() if snap.shareable else snap.coord
        with serial:
            return rd.cursor_into_duckdb(c, table, conn, query, cols, label=label,
                                         chunk_size=settings.sync_chunk_size,
                                         max_rows=settings.max_sync_rows, cancel=run.cancel,
                                         progress=prog)
