"""What a dataset's metadata says, computed when a version is committed: kind, layout,
tables, columns, counts, filter values, time range (stored in the ``_axis_datasets`` table)."""

from __future__ import annotations

from datetime import datetime, timezone

from ..ingest import build
from ..ingest.columns import FILTER_COLUMNS, JSONISH
from ..ingest.readers import quote_ident

MAX_FILTER_VALUES = 200


def view_sql(cur, built: build.Built) -> str:
    """The SELECT of the dataset's view: the scores table, or scores JOIN records (wide)."""
    if built.records_table is None:
        return f"SELECT * FROM {quote_ident(built.scores_table)}"
    if built.layout == "inputs":  # unscored inputs: the records are the dataset
        return f"SELECT * FROM {quote_ident(built.records_table)}"
    rcols = [r[0] for r in cur.execute(f"DESCRIBE {quote_ident(built.records_table)}").fetchall()]
    scols = [r[0] for r in cur.execute(f"DESCRIBE {quote_ident(built.scores_table)}").fetchall()]
    from_scores = [c for c in scols if c not in rcols or c in ("metric_name", "metric_score")]
    rkeep = [c for c in rcols if c not in built.metric_columns and c not in from_scores]
    cols = [f"r.{quote_ident(c)}" for c in rkeep] + [f"s.{quote_ident(c)}" for c in from_scores]
    return (f"SELECT {', '.join(cols)} FROM {quote_ident(built.scores_table)} s "
            f"JOIN {quote_ident(built.records_table)} r ON s._axis_rid = r.rowid")


def compute_info(cur, name, built: build.Built, label: str, version: int) -> dict:
    """The metadata of a freshly built dataset version (its view already points at it)."""
    st = quote_ident(built.scores_table)
    cols = [(r[0], r[1]) for r in cur.execute(f"DESCRIBE {quote_ident(name)}").fetchall()]
    colnames = {c for c, _ in cols}
    # Count the base table, not the view: a wide dataset's view is a join.
    counted = built.records_table if built.layout == "inputs" else built.scores_table
    rows = cur.execute(f"SELECT count(*) FROM {quote_ident(counted)}").fetchone()[0]
    if built.records_table:
        records = cur.execute(f"SELECT count(*) FROM {quote_ident(built.records_table)}").fetchone()[0]
    elif "dataset_id" in colnames:
        records = cur.execute(f"SELECT count(DISTINCT dataset_id) FROM {st}").fetchone()[0]
    else:
        records = rows
    scols = {r[0] for r in cur.execute(f"DESCRIBE {st}").fetchall()}
    fcols = [c for c in FILTER_COLUMNS if c in scols]
    filter_values: dict[str, list] = {}
    if fcols and rows:
        sel = ", ".join(
            f"list(DISTINCT {quote_ident(c)} ORDER BY {quote_ident(c)}) FILTER (WHERE {quote_ident(c)} IS NOT NULL)"
            for c in fcols)
        vals = cur.execute(f"SELECT {sel} FROM {st}").fetchone()
        for c, v in zip(fcols, vals):
            filter_values[c] = [str(x) for x in (v or [])][:MAX_FILTER_VALUES]
    time_range = None
    tcol = "timestamp" if "timestamp" in scols else None
    if tcol and rows:
        lo, hi = cur.execute(f"SELECT min({tcol}), max({tcol}) FROM {st}").fetchone()
        time_range = [lo.isoformat() if lo else None, hi.isoformat() if hi else None]
    tables = built.tables
    return {
        "name": name, "kind": built.kind, "layout": built.layout, "source": label,
        "version": version, "tables": tables, "scores_table": built.scores_table,
        "records_table": built.records_table, "metric_columns": built.metric_columns,
        "rows": int(rows), "records": int(records),
        "columns": [{"name": c, "type": t} for c, t in cols if not c.startswith("_axis")],
        "filter_values": filter_values, "time_range": time_range,
        "metrics": filter_values.get("metric_name", []),
        "jsonish": sorted(c for c in colnames if c in JSONISH),
        "warnings": built.warnings, **built.extras,
        "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
