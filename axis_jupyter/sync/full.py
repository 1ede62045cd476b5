"""Full sync: every query read again into fresh tables, swapped in by one short transaction.

Raw and canonical tables are written under fresh names, outside the store's write lock
(readers and other writers keep working), then swapped in by one write transaction (view +
metadata). A failed or cancelled sync drops what it wrote and leaves the previous data as it
was; the previous tables stay listed for a grace period, then are dropped.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

from ..ingest import build
from ..ingest.readers import quote_ident
from . import readers as rd
from .join import join_source, query_hash, watermarks
from .readers import SyncCancelled
from .run import AnyEvent, SyncRun, check_columns, open_snapshot, read_table, subqueries

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


def _rebuild(store, run: SyncRun, created: list[str]) -> dict:
    cfg = run.cfg
    subs = subqueries(cfg)
    tag = uuid.uuid4().hex[:6]
    version = store.next_prefix(cfg.name)[1]
    prefix = f"_axis_t_{cfg.name}_{version}{tag}"
    raw = {sub: f"{prefix}_src_{sub}" for sub, _ in subs}
    snap = open_snapshot(cfg, run.settings)
    try:
        cols = {}
        for sub, q in subs:
            cols[sub] = rd.describe(snap, q, f"source {cfg.name!r}, {sub}_query")
            check_columns(cfg, sub, cols[sub])
        run.emit("reading", tables={sub: {"rows": 0} for sub, _ in subs})
        results: dict[str, rd.ReadResult] = {}
        errors: list[BaseException] = []
        abort = threading.Event()  # one sub-table failed: stop the other one
        user_cancel = run.cancel
        run.cancel = AnyEvent(user_cancel, abort)

        def read(sub, q):
            try:
                created.append(raw[sub])
                results[sub] = read_table(store, snap, run, sub, q, cols[sub], raw[sub])
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                abort.set()

        threads = [threading.Thread(target=read, args=(sub, q), name=f"axis-sync-{sub}")
                   for sub, q in subs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        run.cancel = user_cancel
        if errors:
            real = [e for e in errors if not isinstance(e, SyncCancelled)]
            raise (real or errors)[0]
        if run.cancelled():
            raise SyncCancelled("the sync was cancelled; nothing was replaced.")
    finally:
        snap.close()

    # Canonical tables, in their own transactions (outside the store's write lock).
    run.emit("building", rows={s: r.rows for s, r in results.items()})
    label = f"postgres {cfg.describe_target()} ({cfg.name})"
    with store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            src = join_source(cur, cfg, raw, label)
            built = build.build_records(cur, src, kind=cfg.kind, mapping=cfg.columns or None,
                                        prefix=prefix)
            marks = watermarks(cur, cfg, raw)
            for sub in list(raw):
                if sub != "dataset":  # the dataset side is kept to join future increments
                    cur.execute(f"DROP TABLE {quote_ident(raw[sub])}")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        created.append(built.records_table or built.scores_table)
        if built.records_table is not None:
            # Wide layouts: the long scores table in a second transaction (record ids are
            # DuckDB row ids, final only after COMMIT).
            cur.execute("BEGIN TRANSACTION")
            try:
                build.build_scores(cur, built)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            created.append(built.scores_table)
    if run.cancelled():
        raise SyncCancelled("the sync was cancelled; nothing was replaced.")
    kept_raw = {k: v for k, v in raw.items() if k == "dataset"}
    sync_meta = {
        "source": cfg.name, "sync_type": "full", "last_sync": now_iso(),
        "incremental_column": cfg.incremental_column, "watermarks": marks,
        "raw_tables": kept_raw, "query_hash": query_hash(cfg),
        "rows_read": sum(r.rows for r in results.values()),
        "incremental_rows": 0, "truncated": any(r.truncated for r in results.values()),
        "tier": "+".join(sorted({r.tier for r in results.values()})),
        "read_seconds": {s: round(r.seconds, 3) for s, r in results.items()},
        "columns": {s: [[c.name, c.duck] for c in cols[s]] for s in cols},
    }
    tables = [t for t in (built.records_table, built.scores_table) if t] + list(kept_raw.values())
    run.emit("swapping")
    old_tables = list((store.infos().get(cfg.name) or {}).get("tables", []))

    def swap(wcur):
        v = store.next_prefix(cfg.name)[1]
        # The previous tables stay (listed) for a grace period: a reader that looked up
        # the dataset's tables just before this commit can still run its query.
        return store.commit_dataset(wcur, cfg.name, built, label, v,
                                    extra={"tables": tables + [t for t in old_tables if t not in tables],
                                           "sync": sync_meta})

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
