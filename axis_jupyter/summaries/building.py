"""Small helpers that build a summary table in DuckDB, shared by :mod:`.tables` and
:mod:`.daily`: the binned score expression, an Ibis table of an existing DuckDB table, and
CREATE ... AS from an Ibis expression (Ibis tables of DuckDB tables: :mod:`.duck`), sorted by its keys."""

from __future__ import annotations

import ibis

from ..config import GOOD_THRESHOLD, PASS_THRESHOLD
from ..ingest.readers import quote_ident
from . import duck
from .keys import FINE_BINS, SCORECARD_BINS, TIME_KEY

THRESHOLDS = (PASS_THRESHOLD, GOOD_THRESHOLD)


def _score(t: ibis.Table):
    return t.metric_score.cast("float64")


def _binned(t: ibis.Table, bins: int):
    s = _score(t)
    # the scorecard's own expression; a null score may land in a bin (GREATEST/LEAST skip
    # NULLs in DuckDB) but adds nothing: n, sums and passes count non-null scores only
    return ibis.greatest(ibis.least((s * bins).floor().cast("int64"), bins - 1), 0)


_table, _count = duck.table, duck.count  # short names used here and by the builders


def _create(cur, name: str, expr: ibis.Table, order: list[str]) -> int:
    """CREATE ``name`` from ``expr``, its rows sorted by ``order`` (so DuckDB skips the row
    groups a key filter excludes); returns its row count."""
    by = f" ORDER BY {', '.join(quote_ident(c) for c in order)}" if order else ""
    cur.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT * FROM "
                f"({ibis.to_sql(expr, dialect='duckdb')}){by}")
    return _count(cur, name)


def _regroup(cur, name: str, make, order: list[str]) -> int:
    """Replace table ``name`` by ``make(its Ibis table)`` (a roll-up of itself)."""
    tmp = f"{name}__regroup"
    n = _create(cur, tmp, make(_table(cur, name)), order)
    cur.execute(f"DROP TABLE {quote_ident(name)}")
    cur.execute(f"ALTER TABLE {quote_ident(tmp)} RENAME TO {quote_ident(name)}")
    return n


def _bin_keys(cur, stats: str, keys: list[str], limit: int) -> list[str] | None:
    """The longest prefix of ``keys`` whose fine-bin table stays under ``limit`` rows, from
    the stats table: a group of n scores fills at most min(n, FINE_BINS) bins (no scan of the
    raw rows, no trial build). None when even metric_name alone does not fit."""
    for i in range(len(keys), 0, -1):
        by = ", ".join(quote_ident(k) for k in keys[:i])
        bound = cur.execute(f"SELECT sum(least(n, {FINE_BINS})) FROM (SELECT sum(n) AS n FROM "
                            f"{quote_ident(stats)} GROUP BY {by})").fetchall()[0][0]
        if (bound or 0) <= limit:
            return keys[:i]
    return None


def _day_keys(cur, stats: str, keys: list[str], days: int, limit: int) -> list[str] | None:
    """The longest prefix of ``keys`` whose days (or hours) table stays under ``limit``
    groups, bounded from the stats table: each (prefix, histogram bin) group in at most
    every one of the ``days`` buckets."""
    for i in range(len(keys), 0, -1):
        by = ", ".join(quote_ident(k) for k in [*keys[:i], "_bin"])
        groups = cur.execute(f"SELECT count(*) FROM (SELECT DISTINCT {by} FROM "
                             f"{quote_ident(stats)})").fetchall()[0][0]
        if groups * max(days, 1) <= limit:
            return keys[:i]
    return None


def stats_expr(t: ibis.Table, keys: list[str], has_time: bool, thresholds=THRESHOLDS,
               node_attrs=(), unit: str = "D") -> ibis.Table:
    """The stats (or, ``has_time``, days; with ``unit="h"``, hours) table; ``node_attrs``
    adds ``_node_<c>`` = min(c) per group, from which the build takes the node attributes
    (no scan of their own)."""
    t = t.filter(t.metric_name.notnull())
    extra = {"_bin": _binned(t, SCORECARD_BINS)}
    if has_time:
        extra[TIME_KEY] = t[TIME_KEY].truncate(unit)
    m = t.mutate(**extra)
    s = _score(m)
    aggs = {"rows": m.count(), "n": s.count(), "total": s.sum(), "sumsq": (s * s).sum(),
            "min": s.min(), "max": s.max()}
    for i, th in enumerate(thresholds):
        aggs[f"passes_{i}"] = ibis.ifelse(s >= th, 1, 0).sum()
    for c in node_attrs:
        aggs[f"_node_{c}"] = m[c].min()
    group = [*keys, *([TIME_KEY] if has_time else []), "_bin"]
    return m.group_by(group).aggregate(**aggs)
