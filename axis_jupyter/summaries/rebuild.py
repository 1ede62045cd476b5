"""Build (again) the summaries of a dataset already in the store.

Datasets loaded before summaries existed (or by a version whose tables had another layout)
have none, or old ones; :func:`rebuild` builds them from the dataset's current tables in
one write transaction, as a load would, and drops the ones they replace. ``%axis summaries
build NAME`` calls it. Attached datasets (``axis.attach``) are left out: their rows live in
another database, which AXIS reads but does not write to, and a copy of their aggregates
here would go stale without AXIS seeing the source change.
"""

from __future__ import annotations

from ..errors import QueryError
from ..ingest.readers import quote_ident
from .planner import _EXPRS
from .tables import build_summaries, summary_tables


def rebuild(store, name: str) -> dict | None:
    """Build the summaries of dataset ``name`` in ``store`` (a LocalStore) from its tables;
    returns their metadata (None when it has nothing to summarise)."""
    info = store.info(name)
    if info.get("attached"):
        raise QueryError(f"{name} is attached: its rows stay in their own database, so AXIS "
                         "keeps no summaries of it (its queries run there).")

    def tx(cur):
        fresh = store.info(name)  # inside the write lock: the dataset as it is now
        old = set(summary_tables(fresh))
        latency = fresh.get("latency_table") if fresh.get("latency_unique") else None
        meta = build_summaries(cur, fresh["scores_table"], cases=fresh.get("kind") != "monitoring",
                               latency_table=latency, per_day=fresh.get("kind") == "monitoring")
        new = set(summary_tables({"summary": meta}))
        for t in old - new:
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
        kept = [t for t in fresh.get("tables", []) if t not in old or t in new]
        store.save_info(cur, name, dict(fresh, summary=meta, tables=kept + sorted(new - set(kept))))
        return meta

    meta = store.write(tx)
    # the rebuilt tables keep their names: forget what was cached about the old ones
    schemas = getattr(store, "_schemas", None)
    for t in summary_tables({"summary": meta}):
        if schemas is not None:
            schemas.pop(t, None)
    with _EXPRS.lock:
        _EXPRS.entries.clear()
    return meta
