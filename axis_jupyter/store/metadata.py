"""What a dataset's metadata says, computed when a version is committed: kind, layout,
tables, columns, counts, filter values, time range (stored in the ``_axis_datasets`` table)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class Growth:
    """Rows appended to a dataset's live table (an incremental sync): its metadata follows
    from the previous metadata and the new rows alone, so an increment costs what it adds,
    not a scan of the whole table. ``added`` is a table holding just the new rows;
    ``new_records`` the number of their ``dataset_id`` values not in the table before."""

    previous: dict
    added: str
    new_records: int


def compute_info(cur, name, built: build.Built, label: str, version: int,
                 grown: Growth | None = None) -> dict:
    """The metadata of a freshly built dataset version (its view already points at it), or of
    a grown one (``grown``: the same values, from the previous metadata and the new rows)."""
    st = quote_ident(built.scores_table)
    cols = [(r[0], r[1]) for r in cur.execute(f"DESCRIBE {quote_ident(name)}").fetchall()]
    colnames = {c for c, _ in cols}
    # Count the base table, not the view: a wide dataset's view is a join.
    counted = built.records_table if built.layout == "inputs" else built.scores_table
    rows = cur.execute(f"SELECT count(*) FROM {quote_ident(counted)}").fetchone()[0]
    stypes = dict((r[0], r[1]) for r in cur.execute(f"DESCRIBE {st}").fetchall())
    fcols = [c for c in FILTER_COLUMNS if c in stypes]
    tcol = "timestamp" if "timestamp" in stypes else None
    if grown is not None and (built.records_table or any(stypes[c] != "VARCHAR" for c in fcols)):
        grown = None  # only long tables of text keys merge exactly (the sort order of strings)
    if built.records_table:
        records = cur.execute(f"SELECT count(*) FROM {quote_ident(built.records_table)}").fetchone()[0]
    elif "dataset_id" in colnames:
        records = (grown.previous["records"] + grown.new_records if grown is not None else
                   cur.execute(f"SELECT count(DISTINCT dataset_id) FROM {st}").fetchone()[0])
    else:
        records = rows
    if grown is None:
        filter_values = _filter_values(cur, st, fcols) if rows else {}
        time_range = _time_range(cur, st, tcol) if tcol and rows else None
    else:
        added = quote_ident(grown.added)
        before = grown.previous.get("filter_values") or {}
        filter_values = {c: sorted(set(before.get(c, [])) | set(v))[:MAX_FILTER_VALUES]
                         for c, v in _filter_values(cur, added, fcols).items()}
        time_range = _merged_range(grown.previous.get("time_range"),
                                   _time_range(cur, added, tcol) if tcol else None)
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


def _filter_values(cur, table: str, fcols: list[str]) -> dict[str, list]:
    """The sorted distinct values of each filter column (the first MAX_FILTER_VALUES)."""
    if not fcols:
        return {}
    sel = ", ".join(
        f"list(DISTINCT {quote_ident(c)} ORDER BY {quote_ident(c)}) FILTER (WHERE {quote_ident(c)} IS NOT NULL)"
        for c in fcols)
    vals = cur.execute(f"SELECT {sel} FROM {table}").fetchone()
    return {c: [str(x) for x in (v or [])][:MAX_FILTER_VALUES] for c, v in zip(fcols, vals)}


def _time_range(cur, table: str, tcol: str) -> list | None:
    lo, hi = cur.execute(f"SELECT min({tcol}), max({tcol}) FROM {table}").fetchone()
    return [lo.isoformat() if lo else None, hi.isoformat() if hi else None]


def _merged_range(a: list | None, b: list | None) -> list | None:
    """The time range covering both (ISO strings of naive UTC timestamps, None for none)."""
    if not a or not b:
        return a or b
    def pick(x, y, f):
        if x is None or y is None:
            return x or y
        return f(x, y, key=datetime.fromisoformat)
    return [pick(a[0], b[0], min), pick(a[1], b[1], max)]
