"""Per-hour tables over the newest hours of monitoring data: what the monitor view's default
window (the last 24 hours, hourly buckets) reads instead of the raw rows.

The day tables (:mod:`.daily`, the days table) answer day-aligned windows with day or week
buckets. The monitor opens on the last 24 hours in hourly buckets, its presets counted back
from the newest timestamp and snapped to whole hours (``payloads.params.time_scope``). The
same three tables per hour, for the last :data:`RECENT_HOURS` hours of the data only (a month
of hours would be 24 times the day tables), answer that window and any hour-aligned window
inside it:

* ``hours``      the days table per hour (keys ``hour_keys``): the KPIs, pass rates and the
                 alerts' score series, exactly;
* ``hour_bins``  the day bins per hour (``hour_bin_keys``): trends, percentiles within
                 :data:`.daily.DAY_BOUND`;
* ``lat_hours``  the per-day latency sketch per hour (``lat_hour_keys``): latency
                 percentiles, histogram and the alerts' record series.

``hours_from`` (metadata) is the first hour they hold. An incremental sync appends its rows
from that hour on to ``hours`` and ``hour_bins`` (the hours move on with the data; older
ones stay) and drops ``lat_hours`` until the next load, as it drops ``lat_days``. Each key
set is the longest prefix of the summary keys that keeps its table under the day tables'
row caps, bounded from the stats and the latency sketch as the day tables are.
"""

from __future__ import annotations

import time

import ibis
import pandas as pd

from ..ingest.readers import quote_ident
from .building import _create, _table, stats_expr
from .daily import DAY_BIN_ROWS, DAY_BINS, MIN_DAY_BIN_ROWS, day_bins_expr, lat_days_expr
from .keys import TIME_KEY

RECENT_HOURS = 24  # the monitor's default window ("24h"), and every shorter preset
HOUR_GROUPS = 20_000  # as the days table's DAY_GROUPS


def _recent(t: ibis.Table, since) -> ibis.Table:
    return t.filter(t[TIME_KEY] >= ibis.literal(pd.Timestamp(since).to_pydatetime(), type="timestamp"))


def exprs(t: ibis.Table, meta: dict) -> dict[str, ibis.Table]:
    """role -> the expression that builds (over new rows: extends) ``hours`` and
    ``hour_bins`` (both need ``hours_from``); the latency sketch is built from the record
    index, not from these rows."""
    since = meta.get("hours_from")
    if not since:
        return {}
    out = {}
    if meta.get("hour_keys"):
        out["hours"] = stats_expr(_recent(t, since), meta["hour_keys"], True, meta["thresholds"], unit="h")
    if meta.get("hour_bin_keys"):
        out["hour_bins"] = day_bins_expr(_recent(t, since), meta["hour_bin_keys"], unit="h")
    return out


def _prefix(cur, table: str, keys: list[str], cells: str, col: str = "n", within: tuple = (),
            per_prefix: int = 0, limit: int = 0, empty: bool = False) -> list[str] | None:
    """The longest prefix of ``keys`` (the empty one too when ``empty``) whose hour table
    stays under ``limit`` rows, bounded from ``table``: each (prefix, *within) group of
    ``col`` rows fills at most least(rows, ``cells``) rows, plus ``per_prefix`` per prefix."""
    for i in range(len(keys), -1 if empty else 0, -1):
        prefix = [quote_ident(k) for k in keys[:i]]
        inner = ", ".join([*prefix, *(quote_ident(c) for c in within)])
        sel, by = (", ".join(prefix) + ", ", " GROUP BY " + ", ".join(prefix)) if prefix else ("", "")
        groups = f"SELECT {sel}sum({quote_ident(col)}) AS n FROM {quote_ident(table)}" + \
            (f" GROUP BY {inner}" if inner else "")
        bound = cur.execute(f"SELECT sum(b) FROM (SELECT sum(least(n, {cells})) + {per_prefix} AS b "
                            f"FROM ({groups}){by})").fetchall()[0][0]
        if (bound or 0) <= limit:
            return keys[:i]
    return None


def build(cur, scores_table: str, t: ibis.Table, meta: dict, tables: dict,
          latency_table: str | None, limit: int) -> None:
    """Build ``hours``, ``hour_bins`` and (with a latency sketch) ``lat_hours`` of the last
    :data:`RECENT_HOURS` hours of ``scores_table`` on ``cur``; adds their names to
    ``tables``, and hours_from, hour_keys, hour_bin_keys, lat_hour_keys and their build
    seconds to ``meta``."""
    meta["hours_from"] = meta["hour_keys"] = meta["hour_bin_keys"] = meta["lat_hour_keys"] = None
    timings = meta.setdefault("build_s", {})
    if TIME_KEY not in t.columns:
        return
    newest = cur.execute(f"SELECT max({quote_ident(TIME_KEY)}) FROM {quote_ident(scores_table)}").fetchall()[0][0]
    if newest is None:
        return
    since = pd.Timestamp(newest).floor("h") - pd.Timedelta(hours=RECENT_HOURS - 1)
    meta["hours_from"] = since.isoformat()
    t0 = time.perf_counter()
    cap = min(DAY_BIN_ROWS, max(limit, MIN_DAY_BIN_ROWS))
    h = RECENT_HOURS
    # a group of n rows fills at most n (hour, bin) cells, and at most every hour of each bin
    keys = _prefix(cur, tables["stats"], list(meta["keys"]), str(h), "rows", ("_bin",), limit=min(cap, HOUR_GROUPS))
    if keys:
        meta["hour_keys"] = keys
        name = f"{scores_table}_sum_hours"
        _create(cur, name, exprs(t, meta)["hours"], [*keys, TIME_KEY, "_bin"])
        tables["hours"] = name
    keys = _prefix(cur, tables["stats"], list(meta["keys"]), str(DAY_BINS * h), limit=cap)
    if keys:
        meta["hour_bin_keys"] = keys
        name = f"{scores_table}_sum_hour_bins"
        _create(cur, name, exprs(t, meta)["hour_bins"], [*keys, TIME_KEY, "_fbin"])
        tables["hour_bins"] = name
    timings["hours"] = round(time.perf_counter() - t0, 3)
    if latency_table and "lat" in tables and meta.get("latency_keys") is not None:
        t0 = time.perf_counter()
        # ...and the records without a latency, one row per prefix and hour
        keys = _prefix(cur, tables["lat"], list(meta["latency_keys"]), str(h), within=("_lbin",),
                       per_prefix=h, limit=cap, empty=True)
        if keys is not None:
            name = f"{scores_table}_sum_lat_hours"
            r = _recent(_table(cur, latency_table), since)
            _create(cur, name, lat_days_expr(r, keys, unit="h"), [*keys, TIME_KEY, "_lbin"])
            tables["lat_hours"], meta["lat_hour_keys"] = name, keys
            timings["lat_hours"] = round(time.perf_counter() - t0, 3)
