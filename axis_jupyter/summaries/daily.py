"""Per-day distribution tables: what the monitor view's trends, latency histogram and alerts
read instead of the raw rows.

* ``day_bins`` (monitoring data): per (keys, day of ``timestamp``, ``_fbin``) the n, total,
  min and max of the scores, ``_fbin`` one of :data:`DAY_BINS` equal bins over [0, 1].
  Trends (count, avg, p50/p95/p99 per day or week and metric) come from it, the
  percentiles within :data:`DAY_BOUND` (half a bin: each order statistic is estimated by
  its bin's centre clamped to the bin's own min and max). Coarser than the day-less fine
  bins (1000): a month of days multiplies the rows a filter change reads by 30, and 200
  bins keep a chart's p50/p95/p99 lines within a fraction of a pixel. Keyed by metric_name
  and as many of the other keys as keep it under :data:`DAY_BIN_ROWS` rows (bounded from
  the days table: a group of n scores fills at most min(n, DAY_BINS) bins), the way the
  days table is.
* ``lat_days``: per (keys, day, ``_lbin``) the n, total, min and max of the records'
  latencies in the log-spaced bins of :mod:`.latency`, from the record-latency index (one
  row per record); records without a latency have a row of their own (``_lbin`` NULL), so
  the number of records per day is exact too. The latency histogram and the latency and
  record counts of the alerts come from it (and from ``lat``, its day-less twin, when the
  request has no time range). Keyed by the latency keys that keep it under the row cap.

Both are built with the other summaries (one scan of the scores, one of the record index)
and only for monitoring data: no other view reads them.
"""

from __future__ import annotations

import math
import time

import ibis

from ..ingest.readers import quote_ident
from . import implied, latency
from .keys import TIME_KEY
from .building import _bin_keys, _binned, _create, _regroup, _table

DAY_BINS = 200
DAY_BOUND = 0.5 / DAY_BINS  # 0.0025: the trends' percentiles from the day bins
# A filter change reads the day bins of the filtered keys: at most this many rows (on
# 100,000,000 monitoring rows the keys up to model_name, about 135,000 rows: a filter on
# environment reads a third of them; with source_name too, 540,000, trends took twice as long)
DAY_BIN_ROWS = 250_000
# ...and on small data up to this many (never more than its rows: a group holds one at least)
MIN_DAY_BIN_ROWS = 50_000


def day_bins_expr(t: ibis.Table, keys: list[str], unit: str = "D") -> ibis.Table:
    """The per-day (``unit="h"``: per-hour) fine bins of the scores of ``t`` by ``keys``
    (rows with a metric, a score and a timestamp: what trends and the alerts' score series
    keep)."""
    t = t.filter(t.metric_name.notnull() & t.metric_score.notnull() & t[TIME_KEY].notnull())
    s = t.metric_score.cast("float64")
    m = t.mutate(_day=t[TIME_KEY].truncate(unit), _fbin=_binned(t, DAY_BINS), _s=s)
    g = m.group_by([*keys, m._day.name(TIME_KEY), "_fbin"])
    return g.aggregate(n=m._s.count(), total=m._s.sum(), min=m._s.min(), max=m._s.max())


def lat_days_expr(r: ibis.Table, keys: list[str], unit: str = "D") -> ibis.Table:
    """The per-day latency sketch of ``r`` (one row per record: ``latency``, ``timestamp``
    and ``keys``); a record without a latency counts in the ``_lbin`` NULL row."""
    r = r.filter(r[TIME_KEY].notnull())
    x = r.latency.cast("float64")
    on_log = ibis.ifelse(x > 0, (x.ln() / math.log(latency.GAMMA)).ceil().cast("int64"),
                         latency.ZERO_BIN)
    lbin = ibis.ifelse(x.isnull(), ibis.null("int64"), on_log)
    m = r.mutate(_day=r[TIME_KEY].truncate(unit), _lbin=lbin, _x=x)
    g = m.group_by([*keys, m._day.name(TIME_KEY), "_lbin"])
    return g.aggregate(n=m.count(), total=m._x.sum(), min=m._x.min(), max=m._x.max())


LABEL_SOURCE = "explanation"  # the alerts' default label column (classification.category_column)


def labels_expr(t: ibis.Table, keys: list[str], unit: str = "D") -> ibis.Table:
    """Per (``keys``, day or hour of ``timestamp``, label ``_cat``) the number of
    CLASSIFICATION rows of ``t`` (with a metric, a timestamp and a label): the alerts' label
    shares (``analytics.alerts.class_series``) are sums over it."""
    from ..analytics.classification import category_column  # analytics imports no summaries

    t = t.filter((t.metric_category == "CLASSIFICATION") & t[TIME_KEY].notnull() & t.metric_name.notnull())
    m = t.mutate(_day=t[TIME_KEY].truncate(unit), _cat=category_column(t, LABEL_SOURCE))
    m = m.filter(m._cat.notnull())
    return m.group_by([*keys, m._day.name(TIME_KEY), "_cat"]).aggregate(n=m.count())


def build_labels(cur, scores_table: str, t: ibis.Table, meta: dict, role: str, unit: str,
                 limit: int, narrow=None) -> str | None:
    """CREATE the label counts ``role`` (``class_days`` or ``class_hours``) of the
    CLASSIFICATION rows of ``t`` (``narrow(t)``: the rows it covers) keyed by metric_name,
    source_name and as many other summary keys as keep it under ``limit`` rows; sets
    ``meta[role keys]``; its name, or None (no such rows, or too many labels)."""
    meta[f"{role}_keys"] = None
    if "metric_category" not in t.columns or not cur.execute(
            f"SELECT 1 FROM {quote_ident(scores_table)} WHERE metric_category = 'CLASSIFICATION' LIMIT 1").fetchall():
        return None
    required = ["metric_name", *(["source_name"] if "source_name" in t.columns else [])]
    keys = [*required, *(k for k in meta["keys"] if k not in required and k != "metric_category")]
    name = f"{scores_table}_sum_{role}"
    rows = t if narrow is None else narrow(t)
    n = _create(cur, name, labels_expr(rows, keys, unit), [*keys, TIME_KEY, "_cat"])
    while n > limit and len(keys) > len(required):
        keys = keys[:-1]
        by = [*keys, TIME_KEY, "_cat"]
        n = _regroup(cur, name, lambda s, by=by: s.group_by(by).aggregate(n=s.n.sum().cast("int64")), by)
    if n > limit:
        cur.execute(f"DROP TABLE {quote_ident(name)}")
        return None
    meta[f"{role}_keys"] = keys
    return name


def _distinct(cur, table: str, cols: list[str]) -> int:
    if not cols:
        return 1
    sel = ", ".join(quote_ident(c) for c in cols)
    return int(cur.execute(f"SELECT count(*) FROM (SELECT DISTINCT {sel} FROM "
                           f"{quote_ident(table)})").fetchall()[0][0])


def _day_bin_keys(cur, tables: dict, meta: dict, days: int, limit: int) -> list[str] | None:
    """The longest prefix of the keys whose day bins stay under ``limit`` rows: each
    (prefix, day) group of n scores fills at most min(n, DAY_BINS) bins, counted from the
    days table for the prefixes it has, else bounded from the stats table on every day."""
    keys, day_keys = list(meta["keys"]), list(meta.get("day_keys") or [])
    for i in range(len(keys), 0, -1):
        if i <= len(day_keys) and "days" in tables:
            by = ", ".join(quote_ident(k) for k in [*implied.grouped(keys[:i], meta), TIME_KEY])
            bound = cur.execute(f"SELECT sum(least(n, {DAY_BINS})) FROM (SELECT sum(n) AS n FROM "
                                f"{quote_ident(tables['days'])} WHERE {quote_ident(TIME_KEY)} IS NOT NULL "
                                f"GROUP BY {by})").fetchall()[0][0]
            if (bound or 0) <= limit:
                return keys[:i]
        elif _bin_keys(cur, tables["stats"], keys[:i], limit // max(days, 1)) == keys[:i]:
            return keys[:i]
    return None


def _lat_day_keys(cur, lat: str, keys: list[str], days: int, limit: int) -> list[str] | None:
    """The longest prefix of the latency sketch's ``keys`` whose per-day sketch stays under
    ``limit`` rows, bounded from the sketch: each (prefix, bin) on at most every day, plus
    one row per prefix and day for the records without a latency."""
    for i in range(len(keys), -1, -1):
        bound = _distinct(cur, lat, [*keys[:i], "_lbin"]) + _distinct(cur, lat, keys[:i])
        if bound * max(days, 1) <= limit:
            return keys[:i]
    return None


def build_daily(cur, scores_table: str, t: ibis.Table, meta: dict, tables: dict,
                latency_table: str | None, days: int, limit: int) -> None:
    """Build the day bins (and, with a latency sketch, the per-day sketch) of
    ``scores_table`` on ``cur`` beside the stats; adds their names to ``tables`` and
    day_bin_keys, lat_day_keys and their build seconds (``build_s``) to ``meta``."""
    meta["day_bin_keys"] = meta["lat_day_keys"] = meta["class_days_keys"] = None
    timings = meta.setdefault("build_s", {})
    if not days or TIME_KEY not in t.columns:
        return
    t0 = time.perf_counter()
    keys = _day_bin_keys(cur, tables, meta, days, min(DAY_BIN_ROWS, max(limit, MIN_DAY_BIN_ROWS)))
    if keys:
        name = f"{scores_table}_sum_day_bins"
        _create(cur, name, day_bins_expr(t, keys), [*keys, TIME_KEY, "_fbin"])
        tables["day_bins"], meta["day_bin_keys"] = name, keys
        timings["day_bins"] = round(time.perf_counter() - t0, 3)
    if latency_table and "lat" in tables and meta.get("latency_keys") is not None:
        t0 = time.perf_counter()
        keys = _lat_day_keys(cur, tables["lat"], list(meta["latency_keys"]), days, limit)
        if keys is not None:
            name = f"{scores_table}_sum_lat_days"
            _create(cur, name, lat_days_expr(_table(cur, latency_table), keys),
                    [*keys, TIME_KEY, "_lbin"])
            tables["lat_days"], meta["lat_day_keys"] = name, keys
            timings["lat_days"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    name = build_labels(cur, scores_table, t, meta, "class_days", "D", min(DAY_BIN_ROWS, max(limit, MIN_DAY_BIN_ROWS)))
    if name:
        tables["class_days"] = name
    timings["class_days"] = round(time.perf_counter() - t0, 3)
