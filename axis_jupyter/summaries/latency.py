"""Latency percentiles from log-spaced bins, with a stated relative error bound.

Latencies span orders of magnitude (tens of milliseconds to minutes), so equal bins would
be either too coarse for the fast records or too many for the slow ones. Log-spaced bins
(as DDSketch) give every value the same *relative* error: with ``GAMMA = (1 + ALPHA) /
(1 - ALPHA)``, a latency x > 0 falls in bin ``i = ceil(ln x / ln GAMMA)``, which covers
(GAMMA^(i-1), GAMMA^i], and is estimated by ``2 GAMMA^i / (GAMMA + 1)``: for every x in the
bin the estimate is within ``ALPHA * x`` of it. A latency of 0 has a bin of its own
(:data:`ZERO_BIN`, estimated 0 exactly).

Percentiles are ``quantile_cont`` as the raw path computes them: with n latencies sorted,
q's percentile is x_k + f (x_{k+1} - x_k), k + f = (n - 1) q. Each order statistic is
estimated by its bin's estimate, clamped to the group's exact [min, max] (the first and last
are min and max exactly), so each is within ALPHA of its value, relatively, and so is their
convex combination:

    |estimate - raw| <= BOUND * raw          (BOUND = ALPHA = 0.01)

for groups whose latencies are >= 0 (the planner reads the raw rows otherwise). Counts, min
and max are exact; means equal the raw ones to floating-point summation order.

The table (``lat`` role) holds, per (keys, ``_lbin``): n, total, min, max of each record's
latency (one row per record: the dataset's record-latency index). 1% over 50 ms .. 5 min is
about 440 bins per key combination.
"""

from __future__ import annotations

import math

import ibis
import numpy as np

from ..ingest.readers import quote_ident
from . import duck

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
BOUND = ALPHA
ZERO_BIN = -(2 ** 31)  # far below any ceil(ln x / ln GAMMA) of a positive double (about -35,600)


def bins_expr(r: ibis.Table, keys: list[str]) -> ibis.Table:
    """The latency sketch of ``r`` (one row per record, with a ``latency`` column) by
    ``keys``: keys, _lbin, n, total, min, max. Negative latencies get no bin of their own
    (ZERO_BIN too), and their group's min says so; the planner then reads the raw rows."""
    r = r.filter(r.latency.notnull())
    x = r.latency.cast("float64")
    lbin = ibis.ifelse(x > 0, (x.ln() / math.log(GAMMA)).ceil().cast("int64"), ZERO_BIN)
    m = r.mutate(_lbin=lbin, _x=x)
    return m.group_by([*keys, "_lbin"]).aggregate(n=m._x.count(), total=m._x.sum(),
                                                  min=m._x.min(), max=m._x.max())


def estimate(lbin: np.ndarray) -> np.ndarray:
    """The estimate of every latency in bin ``lbin``: 2 GAMMA^i / (GAMMA + 1), 0 for ZERO_BIN."""
    lbin = np.asarray(lbin, dtype="int64")
    with np.errstate(over="ignore", under="ignore"):
        value = 2.0 * np.power(GAMMA, lbin.astype("float64")) / (GAMMA + 1.0)
    return np.where(lbin == ZERO_BIN, 0.0, value)


def append(cur, name: str, index: str, new_long: str, keys: list[str]) -> bool:
    """Add the records of the increment ``new_long`` (long rows) to the sketch ``name`` of the
    record-latency index ``index``, before the index takes them; False when the sketch
    cannot stay exact (the caller drops it: the raw rows answer until the next load).

    A record is counted once, with the max latency of its rows per id and requested
    dimensions (the raw path groups so); the sketch answers dimensions among its ``keys``
    only. An id the index does not hold is a new record: its bin is added (n, total, min,
    max merge by re-aggregating). An id it holds is already counted: unchanged when its new
    rows carry the same ``keys`` values and no larger latency (metric rows arriving late for
    a known record), else its old bin would have to lose a value, which min and max cannot
    do: False. So is an id with two sets of ``keys`` values in the increment. Cost: the
    increment's records and a probe of the index by id."""
    from ..ingest.build import _latency_columns  # the index's id and dimensions

    found = _latency_columns(cur, index)
    cols = {r[0] for r in cur.execute(f"DESCRIBE {quote_ident(new_long)}").fetchall()}
    if found is None or not {found[0], *keys, "latency"} <= cols or not set(keys) <= set(found[1]):
        return False
    key, dims = found[0], [d for d in keys if d != found[0]]
    k = quote_ident(key)
    rec = f"{new_long}__records"
    keep = ", ".join(quote_ident(c) for c in (key, *dims))
    cur.execute(f"CREATE TEMP TABLE {quote_ident(rec)} AS SELECT {keep}, max(latency) AS latency "
                f"FROM {quote_ident(new_long)} GROUP BY ALL")
    try:
        same = " AND ".join(["TRUE", *(f"i.{quote_ident(d)} IS NOT DISTINCT FROM r.{quote_ident(d)}"
                                       for d in dims)])
        one_each = (f"(SELECT count(*) FROM {quote_ident(rec)}) = "
                    f"(SELECT count(*) FROM (SELECT DISTINCT {k} FROM {quote_ident(rec)}))")
        bad = cur.execute(
            f"SELECT NOT {one_each} OR EXISTS (SELECT 1 FROM {quote_ident(rec)} r WHERE EXISTS "
            f"(SELECT 1 FROM {quote_ident(index)} i WHERE i.{k} IS NOT DISTINCT FROM r.{k}) AND NOT "
            f"EXISTS (SELECT 1 FROM {quote_ident(index)} i WHERE i.{k} IS NOT DISTINCT FROM r.{k} "
            f"AND {same} AND (r.latency IS NULL OR r.latency <= i.latency)))").fetchone()[0]
        if bad:
            return False
        fresh = f"{rec}__new"
        cur.execute(f"CREATE TEMP TABLE {quote_ident(fresh)} AS SELECT * FROM {quote_ident(rec)} r "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {quote_ident(index)} i "
                    f"WHERE i.{k} IS NOT DISTINCT FROM r.{k})")
        r = duck.table(cur, fresh)
        cur.execute(f"INSERT INTO {quote_ident(name)} BY NAME {duck.sql(bins_expr(r, keys))}")
        cur.execute(f"DROP TABLE {quote_ident(fresh)}")
        return True
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {quote_ident(rec)}")
