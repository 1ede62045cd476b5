"""Full sync: every query read again into fresh tables, swapped in by one short transaction.

The reads land in fresh, versioned tables, outside the store's write lock (readers and other
writers keep working), in one pass (:mod:`.land`):

1. a split source's dataset rows land as they are (the kept table later increments join);
2. the results rows (or a single-query source's rows) stream straight into the canonical
   table, each joined with its dataset row on the way;
3. the watermarks are read from PostgreSQL in the same snapshot;
4. wide layouts get their long scores table (a second transaction: record ids are DuckDB row
   ids, final only after COMMIT);
5. one write transaction swaps the dataset in (view + metadata).

A failed or cancelled sync drops what it wrote and leaves the previous data as it was; the
previous tables stay listed for a grace period, then are dropped. The time of each step is
kept in the sync's metadata (``stages``), and the CPU time the process spent in it
(``stages_cpu``: every thread of the process, the driver's decoding and DuckDB's workers
included, so on a busy server it also counts other work done meanwhile).
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone

from ..ingest import build
from ..ingest.readers import quote_ident
from . import land
from . import readers as rd
from .join import plan_join, query_hash, watermarks
from .readers import SyncCancelled
from .run import SyncRun, check_columns, open_snapshot, progress_for, reading, subqueries

DROP_GRACE_S = 5.0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def full_sync(store, run: SyncRun) -> dict:
    """Rebuild dataset ``run.cfg.name``; returns {rows, sync_type, incremental_rows}."""
    created: list[str] = []
    try:
        return _rebuild(store, run, created)
    finally:
        if created:  # failed or cancelled: drop everything this run wrote
            _drop_tables(store, created)


class Stages:
    """Seconds per step of a sync, and the process's CPU seconds in it, for its metadata
    (``stages``, ``stages_cpu``) and the benchmark: on a machine with few cores the CPU the
    steps need, not the wait on PostgreSQL, bounds how fast a sync can be."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._t = time.perf_counter()
        self._c = time.process_time()

    def mark(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._t, 3)
        self.cpu[name] = round(self.cpu.get(name, 0.0) + cpu - self._c, 3)
        self._t, self._c = now, cpu


def _rebuild(store, run: SyncRun, created: list[str]) -> dict:
    cfg = run.cfg
    subs = dict(subqueries(cfg))
    tag = uuid.uuid4().hex[:6]
    version = store.next_prefix(cfg.name)[1]
    prefix = f"_axis_t_{cfg.name}_{version}{tag}"
    label = f"postgres {cfg.describe_target()} ({cfg.name})"
    stages = Stages()
    snap = open_snapshot(cfg, run.settings)
    results: dict[str, rd.ReadResult] = {}
    kept: dict[str, str] = {}
    try:
        cols = {}
        for sub, q in subs.items():
            cols[sub] = rd.describe(snap, q, f"source {cfg.name!r}, {sub}_query")
            check_columns(cfg, sub, cols[sub])
        stages.mark("describe")
        run.emit("reading", tables={sub: {"rows": 0} for sub in subs})
        how = reading(run, snap)
        main = "results" if cfg.split else "data"
        with store.cursor() as cur:
            side = None
            if cfg.split:
                kept["dataset"] = f"{prefix}_src_dataset"
                created.append(kept["dataset"])
                results["dataset"] = land.land_raw(
                    cur, how, subs["dataset"], cols["dataset"], kept["dataset"],
                    label=f"source {cfg.name!r}, dataset query",
                    progress=progress_for(run, snap, "dataset", subs["dataset"]))
                side = land.DatasetSide(plan_join(cfg, cols["results"], cols["dataset"]),
                                        quote_ident(kept["dataset"]), results["dataset"].rows,
                                        cols["dataset"])
                stages.mark("dataset")
            built, results[main] = land.land_canonical(
                cur, how, subs[main], cols[main], kind=cfg.kind, mapping=cfg.columns or None,
                prefix=prefix, label=f"source {cfg.name!r}, {main} query", build_label=label,
                dataset=side, progress=progress_for(run, snap, main, subs[main]),
                partition=cfg.partition_column)
            created.append(built.records_table or built.scores_table)
            stages.mark(main)
            if results[main].source_seconds is not None:
                stages.seconds[f"{main}_source"] = round(results[main].source_seconds, 3)
        if run.cancelled():
            raise SyncCancelled("the sync was cancelled; nothing was replaced.")
        run.emit("building", rows={s: r.rows for s, r in results.items()})
        marks = watermarks(snap, cfg, subs, cols)
        stages.mark("watermarks")
    finally:
        snap.close()

    if built.records_table is not None:
        # Wide layouts: the long scores table (record ids are row ids, final after COMMIT).
        with store.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                build.build_scores(cur, built)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        created.append(built.scores_table)
    stages.mark("build")
    if run.cancelled():
        raise SyncCancelled("the sync was cancelled; nothing was replaced.")
    sync_meta = {
        "source": cfg.name, "sync_type": "full", "last_sync": now_iso(),
        "incremental_column": cfg.incremental_column, "watermarks": marks,
        "raw_tables": kept, "query_hash": query_hash(cfg),
        "rows_read": sum(r.rows for r in results.values()),
        "incremental_rows": 0, "truncated": any(r.truncated for r in results.values()),
        "tier": "+".join(sorted({r.tier for r in results.values()})),
        "read_seconds": {s: round(r.seconds, 3) for s, r in results.items()},
        "columns": {s: [[c.name, c.duck] for c in cols[s]] for s in cols},
    }
    tables = [t for t in (built.records_table, built.scores_table) if t] + list(kept.values())
    run.emit("swapping")
    old_tables = list((store.infos().get(cfg.name) or {}).get("tables", []))

    def swap(wcur):
        v = store.next_prefix(cfg.name)[1]
        # The previous tables stay (listed) for a grace period: a reader that looked up
        # the dataset's tables just before this commit can still run its query.
        info = store.commit_dataset(wcur, cfg.name, built, label, v,
                                    extra={"tables": tables + [t for t in old_tables if t not in tables],
                                           "sync": sync_meta})
        stages.mark("swap")
        info["sync"]["stages"] = dict(stages.seconds)
        info["sync"]["stages_cpu"] = dict(stages.cpu)
        store.save_info(wcur, cfg.name, info)
        return info

    info = store.write(swap)
    created.clear()
    if old_tables:
        drop_later(store, cfg.name, [t for t in old_tables if t not in tables])
    return {"rows": info["rows"], "sync_type": "full", "incremental_rows": 0}


def drop_later(store, name: str, tables: list[str], delay: float | None = None) -> None:
    """Drop a dataset's previous tables after a grace period (and unlist them)."""
    def work():
        try:
            if store.closed:
                return

            def tx(cur):
                info = store.infos().get(name)
                if info is None:
                    return
                for t in tables:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
                store.save_info(cur, name, dict(info, tables=[t for t in info.get("tables", [])
                                                              if t not in tables]))

            store.write(tx)
        except Exception:  # the next sync or drop() cleans up
            pass

    t = threading.Timer(DROP_GRACE_S if delay is None else delay, work)
    t.daemon = True
    t.start()


def _drop_tables(store, tables: list[str]) -> None:
    if store.closed:
        return
    with store.cursor() as c:
        for t in tables:
            try:
                c.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
            except Exception:
                pass
