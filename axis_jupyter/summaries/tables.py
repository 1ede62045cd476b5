"""The summary tables of a dataset version, as portable Ibis expressions over its scores table.

Four tables, named after the scores table (so they are versioned and dropped with it):

``stats``  keys [+ day] + ``_bin`` (the scorecard's 5-bin histogram bin of the score) ->
           rows, n (non-null scores), total, sumsq, min, max, passes_<i> (scores >= the
           i-th configured threshold). Rows with a null metric_name are left out, as every
           score analytic leaves them out.
``bins``   keys (no day) + ``_fbin`` (:data:`FINE_BINS` equal bins over [0, 1], clamped) ->
           n: the mergeable sketch percentiles come from (:mod:`.percentiles`).
``cases``  the distinct (keys but metric_name [+ day], dataset_id) of every row: a test-case
           count (distinct ids) over any key filter but metric_name, exactly.
``nodes``  metric_name -> parent, weight, metric_type (the scorecard's node attributes).

Every aggregate merges by re-aggregating (sum of sums, min of mins), so an increment is
appended as its own rows (:func:`append_rows`) and queries always group again.
"""

from __future__ import annotations

import ibis

from ..config import GOOD_THRESHOLD, PASS_THRESHOLD
from ..ingest.readers import quote_ident
from .keys import TIME_KEY, choose_keys

SCORECARD_BINS = 5  # analytics.scorecard.BINS (tests check they agree)
FINE_BINS = 1000
THRESHOLDS = (PASS_THRESHOLD, GOOD_THRESHOLD)
ROLES = ("stats", "bins", "cases", "nodes")
# A summary larger than this share of the rows saves little: drop the widest key and retry.
MAX_SHARE = 0.2
MIN_ROWS = 5000
NODE_ATTRS = ("parent", "weight", "metric_type")


def _score(t: ibis.Table):
    return t.metric_score.cast("float64")


def _binned(t: ibis.Table, bins: int):
    s = _score(t)
    # the scorecard's own expression; a null score may land in a bin (GREATEST/LEAST skip
    # NULLs in DuckDB) but adds nothing: n, sums and passes count non-null scores only
    return ibis.greatest(ibis.least((s * bins).floor().cast("int64"), bins - 1), 0)


def stats_expr(t: ibis.Table, keys: list[str], has_time: bool, thresholds=THRESHOLDS) -> ibis.Table:
    t = t.filter(t.metric_name.notnull())
    extra = {"_bin": _binned(t, SCORECARD_BINS)}
    if has_time:
        extra[TIME_KEY] = t[TIME_KEY].truncate("D")
    m = t.mutate(**extra)
    s = _score(m)
    aggs = {"rows": m.count(), "n": s.count(), "total": s.sum(), "sumsq": (s * s).sum(),
            "min": s.min(), "max": s.max()}
    for i, th in enumerate(thresholds):
        aggs[f"passes_{i}"] = ibis.ifelse(s >= th, 1, 0).sum()
    group = [*keys, *([TIME_KEY] if has_time else []), "_bin"]
    return m.group_by(group).aggregate(**aggs)


def bins_expr(t: ibis.Table, keys: list[str]) -> ibis.Table:
    t = t.filter(t.metric_name.notnull() & t.metric_score.notnull())
    m = t.mutate(_fbin=_binned(t, FINE_BINS))
    return m.group_by([*keys, "_fbin"]).aggregate(n=m.count())


def case_keys(keys: list[str]) -> list[str]:
    return [k for k in keys if k != "metric_name"]


def cases_expr(t: ibis.Table, keys: list[str], has_time: bool) -> ibis.Table | None:
    if "dataset_id" not in t.columns:
        return None
    cols = {k: t[k] for k in case_keys(keys)}
    if has_time:
        cols[TIME_KEY] = t[TIME_KEY].truncate("D")
    return t.select(**cols, dataset_id=t.dataset_id).distinct()


def nodes_expr(t: ibis.Table) -> ibis.Table:
    t = t.filter(t.metric_name.notnull())
    # min, not arbitrary: portable (PostgreSQL has no FIRST) and the same on every build;
    # the attributes are properties of a metric, equal on its rows
    aggs = {c: t[c].min() for c in NODE_ATTRS if c in t.columns}
    if not aggs:
        return t.select("metric_name").distinct()
    return t.group_by("metric_name").aggregate(**aggs)


def exprs(t: ibis.Table, meta: dict) -> dict[str, ibis.Table]:
    """role -> the expression that builds (or, over new rows only, extends) that table."""
    keys, has_time = meta["keys"], bool(meta["time_bucket"])
    out = {"stats": stats_expr(t, keys, has_time, meta["thresholds"]),
           "bins": bins_expr(t, keys), "nodes": nodes_expr(t)}
    cases = cases_expr(t, keys, has_time)
    if cases is not None:
        out["cases"] = cases
    return out


def _table(cur, name: str) -> ibis.Table:
    schema = cur.sql(f"SELECT * FROM {quote_ident(name)} LIMIT 0").to_arrow_table().schema
    return ibis.table(ibis.Schema.from_pyarrow(schema), name=name)


def _count(cur, name: str) -> int:
    return int(cur.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0])


def build_summaries(cur, scores_table: str) -> dict | None:
    """Build the summary tables of ``scores_table`` on the DuckDB cursor ``cur`` (inside the
    caller's transaction) and return their metadata (``info["summary"]``): keys,
    time_bucket, thresholds, fine_bins, tables (role -> name), source_rows; None when the
    table has nothing to summarise or no key set keeps the summary small."""
    chosen = choose_keys(cur, scores_table)
    if chosen is None:
        return None
    keys, has_time = chosen
    source_rows = _count(cur, scores_table)
    limit = max(MIN_ROWS, int(source_rows * MAX_SHARE))
    t = _table(cur, scores_table)
    names = {role: f"{scores_table}_sum_{role}" for role in ROLES}
    while True:
        meta = {"keys": keys, "time_bucket": "day" if has_time else None,
                "thresholds": list(THRESHOLDS), "fine_bins": FINE_BINS, "source_rows": source_rows}
        stats = stats_expr(t, keys, has_time, meta["thresholds"])
        cur.execute(f"CREATE OR REPLACE TABLE {quote_ident(names['stats'])} AS "
                    f"{ibis.to_sql(stats, dialect='duckdb')}")
        if _count(cur, names["stats"]) <= limit:
            break
        # too many groups: first give up the day bucket, then the last-chosen key
        if has_time:
            has_time = False
        elif len(keys) > 1:
            keys = keys[:-1]
        else:
            cur.execute(f"DROP TABLE {quote_ident(names['stats'])}")
            return None
    built = exprs(t, meta)
    for role, expr in built.items():
        if role != "stats":
            cur.execute(f"CREATE OR REPLACE TABLE {quote_ident(names[role])} AS "
                        f"{ibis.to_sql(expr, dialect='duckdb')}")
    meta["tables"] = {role: names[role] for role in built}
    return meta


def append_rows(cur, summary: dict, new_table: str) -> dict:
    """Extend the summaries described by ``summary`` with the rows of ``new_table`` (an
    increment with the scores table's columns) on ``cur``; returns the new metadata."""
    t = _table(cur, new_table)
    for role, expr in exprs(t, summary).items():
        name = summary["tables"].get(role)
        if name:
            cur.execute(f"INSERT INTO {quote_ident(name)} BY NAME {ibis.to_sql(expr, dialect='duckdb')}")
    return dict(summary, source_rows=int(summary["source_rows"]) + _count(cur, new_table))


def summary_tables(info: dict) -> list[str]:
    """The names of a dataset's summary tables (none without a summary)."""
    return list(((info.get("summary") or {}).get("tables") or {}).values())
