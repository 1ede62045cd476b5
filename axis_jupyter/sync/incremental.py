"""Incremental sync: only rows past the watermark are read and appended, in one transaction.

Used when the source has an ``incremental_column``, a watermark is stored and nothing about
the queries changed (see ``engine.sync_one``). The new rows are read, built into canonical
rows and appended to the live tables, and the metadata (counts, watermarks) saved, all in
one write transaction: a failure changes nothing (and the engine then clears the
watermarks, so the next sync is a full rebuild).
"""

from __future__ import annotations

import uuid

from ..ingest import build
from ..ingest.readers import quote_ident
from ..summaries import append_rows
from . import readers as rd
from .full import now_iso
from .join import join_source, watermarks
from .readers import SyncCancelled, SyncError
from .run import SyncRun, open_snapshot, read_table, subqueries


def incremental_sync(store, run: SyncRun, info: dict) -> dict:
    """Append the rows past the watermarks; returns {rows, sync_type, incremental_rows}."""
    cfg = run.cfg
    meta = info["sync"]
    marks = meta["watermarks"]
    col = cfg.incremental_column
    subs = subqueries(cfg)
    tag = uuid.uuid4().hex[:6]
    label = info.get("source") or f"postgres {cfg.describe_target()} ({cfg.name})"
    snap = open_snapshot(cfg, run.settings)
    try:
        queries, cols = {}, {}
        for sub, q in subs:
            c = rd.describe(snap, q, f"source {cfg.name!r}, {sub}_query")
            if [[x.name, x.duck] for x in c] != (meta.get("columns") or {}).get(sub):
                raise SyncError(f"source {cfg.name!r}: the {sub} query's columns changed since "
                                "the last full sync; run a full sync (full=True).")
            cols[sub] = c
            wm = marks.get(sub)
            if any(x.name == col for x in c):
                if wm is None:
                    raise SyncError(f"source {cfg.name!r}: no watermark for the {sub} query; "
                                    "run a full sync.")
                with snap.lock:
                    queries[sub] = rd.incremental_query(snap.coord, q, col, wm)
            else:  # a dataset query without the column is small: it is re-read whole
                queries[sub] = q
        before = info["rows"]

        def tx(cur):
            inc: dict[str, str] = {}
            read = {}
            for sub, _q in subs:
                t = f"_axis_t_{cfg.name}_inc{tag}_{sub}"
                read[sub] = read_table(store, snap, run, sub, queries[sub], cols[sub], t, cur=cur)
                inc[sub] = t
            if run.cancelled():
                raise SyncCancelled("the sync was cancelled; nothing was changed.")
            run.emit("appending", rows={s: r.rows for s, r in read.items()})
            raw_live = meta.get("raw_tables") or {}
            if "dataset" in inc:
                if queries["dataset"] is dict(subs)["dataset"]:  # re-read whole: replace
                    cur.execute(f"DELETE FROM {quote_ident(raw_live['dataset'])}")
                cur.execute(f"INSERT INTO {quote_ident(raw_live['dataset'])} SELECT * FROM "
                            f"{quote_ident(inc['dataset'])}")
            new_rows_main = inc.get("results") or inc.get("data")
            n_new = cur.execute(f"SELECT count(*) FROM {quote_ident(new_rows_main)}").fetchall()[0][0] \
                if new_rows_main else 0
            changed: dict = {}
            if n_new:
                src_raw = {"data": inc["data"]} if "data" in inc else \
                    {"results": inc["results"], "dataset": raw_live["dataset"]}
                src = join_source(cur, cfg, src_raw, label)
                tmp = build.build_records(cur, src, kind=cfg.kind, mapping=cfg.columns or None,
                                          prefix=f"_axis_t_{cfg.name}_inc{tag}_b")
                try:
                    changed.update(_append_built(cur, info, tmp))
                finally:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(tmp.records_table or tmp.scores_table)}")
            new_marks = watermarks(cur, cfg, inc, marks)
            for t in inc.values():
                cur.execute(f"DROP TABLE {quote_ident(t)}")
            built = build.Built(info["kind"], info["layout"], info.get("records_table"),
                                info["scores_table"], info.get("metric_columns") or [],
                                extras={**{k: info[k] for k in ("latency_table", "latency_unique", "latency_unit")
                                           if k in info}, **changed})
            sync_meta = dict(meta, sync_type="incremental", last_sync=now_iso(), watermarks=new_marks,
                             rows_read=sum(r.rows for r in read.values()),
                             tier="+".join(sorted({r.tier for r in read.values()})) or meta.get("tier"))
            new_info = store.commit_dataset(cur, cfg.name, built, label, info["version"],
                                            extra={"tables": info["tables"], "sync": sync_meta})
            sync_meta["incremental_rows"] = new_info["rows"] - before
            new_info["sync"] = sync_meta
            store.save_info(cur, cfg.name, new_info)
            return new_info

        run.emit("reading", tables={sub: {"rows": 0} for sub, _ in subs})
        new_info = store.write(tx)
    finally:
        snap.close()
    return {"rows": new_info["rows"], "sync_type": "incremental",
            "incremental_rows": new_info["sync"]["incremental_rows"]}


def _append_built(cur, info: dict, tmp: build.Built) -> dict:
    """Append a freshly built increment (long layout) to the live canonical table (and the
    record-latency index and the summaries); returns the metadata that changed."""
    if tmp.records_table is not None or tmp.layout != info["layout"] or info.get("records_table"):
        raise SyncError("the new rows have a different layout than the synced dataset; run a "
                        "full sync (full=True).")
    cur.execute(f"INSERT INTO {quote_ident(info['scores_table'])} BY NAME SELECT * FROM "
                f"{quote_ident(tmp.scores_table)}")
    changed = {}
    if info.get("latency_table"):
        changed["latency_unique"] = build.append_record_latency(cur, info["latency_table"], tmp.scores_table)
    if info.get("summary"):  # the summaries take the new rows only
        changed["summary"] = append_rows(cur, info["summary"], tmp.scores_table)
    return changed
