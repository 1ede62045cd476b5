"""One sync in progress: its job, cancel flag and progress, and how it reads.

A sync runs as a job (:mod:`axis_jupyter.jobs`); :class:`SyncRun` turns the engine's steps
into the job's progress (``phase`` plus step fields, merged into the job's progress dict).
:func:`reading` gives its reads their tier settings (:mod:`.tiers`).
"""

from __future__ import annotations

import threading

from .. import wire
from ..errors import ConfigError
from ..jobs import Job
from . import config as sconfig
from . import readers as rd
from . import tiers
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


def reading(run: SyncRun, snap: rd.Snapshot) -> tiers.Reading:
    """How this sync's reads go: its tier setting, workers, cancel flag; fallbacks reported."""
    def notice(message: str) -> None:
        run.job.log(message)
        run.emit("fallback", message=message)

    return tiers.Reading.of(snap, run.settings, run.cancel, notice)


class Progress:
    """The progress callback of one sub-query's read: called with the rows read so far;
    ``estimate`` is PostgreSQL's guess of the rows it will give (None without one)."""

    def __init__(self, run: SyncRun, sub: str, estimate: int | None):
        self.run, self.sub, self.estimate = run, sub, estimate

    def __call__(self, rows: int) -> None:
        self.run.tables[self.sub] = {"rows": rows, "estimate": self.estimate}
        self.run.emit("reading", table=self.sub, rows=rows, estimate=self.estimate,
                      tables=dict(self.run.tables))


def progress_for(run: SyncRun, snap: rd.Snapshot, sub: str, query: str) -> Progress:
    """The progress callback of one sub-query's read (rows so far, PostgreSQL's estimate)."""
    return Progress(run, sub, rd.estimate_rows(snap, query))
