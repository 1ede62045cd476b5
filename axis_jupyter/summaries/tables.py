"""The summary tables of a dataset version, as portable Ibis expressions over its scores table.

The tables below, named after the scores table (so they are versioned and dropped with it):

``stats``  keys + ``_bin`` (the scorecard's 5-bin histogram bin of the score) -> rows, n
           (non-null scores), total, sumsq, min, max, passes_<i> (scores >= the i-th
           configured threshold). Rows with a null metric_name are left out, as every score
           analytic leaves them out.
``days``   the same per ``day_keys`` (a prefix of the keys) + the day of ``timestamp`` +
           ``_bin``: what answers a whole-day time range. A table of its own, with fewer keys,
           because the day multiplies the groups (30 days: 30 times), and DuckDB aggregates
           ten million rows into 180,000 groups three times slower than into 40,000 (the
           groups stop fitting in cache); built only for a table with a timestamp.
``bins``   ``bin_keys`` (a prefix of the keys that fits; no day) + ``_fbin``
           (:data:`FINE_BINS` equal bins over [0, 1], clamped) -> n: the mergeable sketch
           percentiles come from (:mod:`.percentiles`); left out when nothing fits.
           Neither groups by a key every metric has one value of (metric_type,
           metric_category): the planner computes it from metric_name (:mod:`.implied`).
``cases``  the distinct (keys but the metric's [+ day], dataset_id) of every row: a
           test-case count (distinct ids) over any key filter but metric_name, metric_type
           or metric_category, exactly. Folded by experiment when the stats name every
           experiment (``case_bits``): the experiment leaves the keys and each row gets
           ``mask``, the bits of the experiments its rows appear in (:mod:`.case_masks`).
``case_masks`` key, value, mask -> n: how many test cases appear in exactly the experiments
           of ``mask`` (a bit per experiment), over the whole dataset (key and value NULL)
           and over the rows of each value of each other case key: a test-case count for
           any set of experiments, alone or with one other key equal to one value, as a
           sum over the masks that intersect it, exactly (:mod:`.case_masks`).
``nodes``  metric_name -> parent, weight, metric_type (the scorecard's node attributes).
``lat``    monitoring data with a record-latency index: log-spaced latency bins per
           ``latency_keys`` (the keys the index has), one count per record
           (:mod:`.latency`).

Monitoring data also gets the monitor view's per-day tables (``day_bins``, ``lat_days``:
:mod:`.daily`) and per-hour tables over its newest hours (``hours``, ``hour_bins``,
``lat_hours``: :mod:`.hourly`).

Every aggregate merges by re-aggregating (sum of sums, min of mins), so an increment is
appended as its own rows (:func:`append_rows`) and queries always group again; the case
masks and the latency sketch check the increment's cases and records against the ones
already counted first (:func:`.case_masks.append`, :func:`.latency.append`). Sizes are
decided from the stats table (a group of n scores fills at most min(n, 5) histogram bins and
min(n, 1000) fine bins, and appears on at most every day), never by a trial build: one scan
of the raw rows per table.
"""

from __future__ import annotations

import time

import ibis

from ..ingest.readers import quote_ident
from . import case_masks, daily, duck, hourly, implied, latency
from .building import THRESHOLDS, _bin_keys, _binned, _count, _create, _day_keys, _regroup, _table, stats_expr  # noqa: F401
from .keys import FINE_BINS, TIME_KEY, choose_keys

ROLES = ("stats", "days", "bins", "cases", "nodes", "lat", "case_masks")
LEGACY = ("case_totals",)  # built by earlier versions; dropped by the next append or build
# A summary table gets at most this share of the rows (at least MIN_ROWS): one fiftieth
# of the scan is what makes a filter change fast; keys are given up, widest first, to fit.
MAX_SHARE = 0.02
MIN_ROWS = 5000
# The days table gets at most this many groups: on 10,000,000 rows, 15,000 groups aggregate
# in 0.46 CPU-seconds, 45,000 in 0.9, 180,000 in 1.4 (the hash table outgrows the cache).
DAY_GROUPS = 20_000
# The fine bins get at most this many rows (bound: min(n, 1000) per group): on 100,000,000
# rows, 820,000 fine-bin groups took about as long as the rest of the build together.
BIN_ROWS = 200_000
NODE_ATTRS = ("parent", "weight", "metric_type")


def bins_expr(t: ibis.Table, keys: list[str]) -> ibis.Table:
    t = t.filter(t.metric_name.notnull() & t.metric_score.notnull())
    m = t.mutate(_fbin=_binned(t, FINE_BINS))
    return m.group_by([*keys, "_fbin"]).aggregate(n=m.count())


# properties of a metric, not of a case: keying cases by them would copy each case per value
METRIC_ATTRS = ("metric_name", "metric_type", "metric_category")


def case_keys(keys: list[str]) -> list[str]:
    return [k for k in keys if k not in METRIC_ATTRS]


def cases_expr(t: ibis.Table, keys: list[str], has_time: bool,
               bits: list[str] | None = None) -> ibis.Table | None:
    """The cases table; folded by the experiments ``bits`` (``meta["case_bits"]``) when
    given: (the other case keys, day, dataset_id) -> mask."""
    if "dataset_id" not in t.columns:
        return None
    cols = {k: t[k] for k in case_keys(keys) if bits is None or k != case_masks.EXPERIMENT}
    if has_time:
        cols[TIME_KEY] = t[TIME_KEY].truncate("D")
    cols["dataset_id"] = t.dataset_id
    if bits is None:
        return t.select(**cols).distinct()
    return t.group_by(**cols).aggregate(mask=case_masks.row_bit(t[case_masks.EXPERIMENT], bits).bit_or())


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
    keys, day_keys = meta["keys"], meta.get("day_keys")
    out = {"stats": stats_expr(t, keys, False, meta["thresholds"]), "nodes": nodes_expr(t)}
    if day_keys:
        out["days"] = stats_expr(t, implied.grouped(day_keys, meta), True, meta["thresholds"])
    if meta.get("bin_keys"):
        out["bins"] = bins_expr(t, implied.grouped(meta["bin_keys"], meta))
    if meta.get("day_bin_keys"):
        out["day_bins"] = daily.day_bins_expr(t, meta["day_bin_keys"])
    if meta.get("class_days_keys"):
        out["class_days"] = daily.labels_expr(t, meta["class_days_keys"])
    out.update(hourly.exprs(t, meta))
    cases = cases_expr(t, keys, bool(meta.get("cases_day")), meta.get("case_bits"))
    if cases is not None:
        out["cases"] = cases
    return out


def max_rows(rows: int) -> int:
    return max(MIN_ROWS, int(rows * MAX_SHARE))


def stats_rollup(s: ibis.Table, keys: list[str], has_time: bool, thresholds) -> ibis.Table:
    """The stats table ``s`` re-grouped by fewer keys (or without the day): exact, since
    every column merges."""
    aggs = {"rows": s["rows"].sum(), "n": s.n.sum(), "total": s.total.sum(),
            "sumsq": s.sumsq.sum(), "min": s["min"].min(), "max": s["max"].max(),
            **{f"passes_{i}": s[f"passes_{i}"].sum() for i in range(len(thresholds))},
            **{c: s[c].min() for c in s.columns if c.startswith("_node_")}}
    return s.group_by([*keys, *([TIME_KEY] if has_time else []), "_bin"]).aggregate(**aggs)




_sql = duck.sql  # short name used below


def _nodes_from_stats(cur, nodes: str, stats: str, attrs: list[str], carried: list[str]) -> None:
    """The nodes table from the stats (min of mins: what :func:`nodes_expr` gives on the raw
    rows): the ``_node_<c>`` columns of the ``carried`` attributes, which then leave the
    stats, and the key columns of the others."""
    cols = ", ".join(f"min({quote_ident('_node_' + c if c in carried else c)}) AS {quote_ident(c)}"
                     for c in attrs)
    sel = f"metric_name, {cols}" if attrs else "metric_name"
    cur.execute(f"CREATE OR REPLACE TABLE {quote_ident(nodes)} AS SELECT {sel} FROM "
                f"{quote_ident(stats)} GROUP BY metric_name ORDER BY metric_name")
    for c in carried:
        cur.execute(f"ALTER TABLE {quote_ident(stats)} DROP COLUMN {quote_ident('_node_' + c)}")


def build_summaries(cur, scores_table: str, cases: bool = True,
                    latency_table: str | None = None, per_day: bool = False) -> dict | None:
    """Build the summary tables of ``scores_table`` on the DuckDB cursor ``cur`` (inside the
    caller's transaction) and return their metadata (``info["summary"]``): keys,
    time_bucket ("day" when there is a days table), day_keys, bin_keys, cases_day,
    thresholds, fine_bins, tables (role -> name), source_rows; None when the table has
    nothing to summarise. ``cases=False`` leaves the distinct-cases table out (monitoring
    data: each record is its own case, so the table would be as long as the records, and
    no monitoring view counts test cases). ``latency_table``: the dataset's record-latency
    index (one row per record), from which the latency sketch is built
    (:mod:`.latency`, role ``lat``). ``per_day``: also the per-day score bins and latency
    sketch of the monitor view (:mod:`.daily`; monitoring data).

    The stats are built from the raw rows once, with every candidate key, and while they
    have more than :func:`max_rows` rows rolled up from themselves (the widest key given up
    first); the days table and the fine bins take the keys the stats say fit. One scan of
    the raw rows per table (key counts, stats with the node attributes, days, bins, cases)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    mark = [started]

    def lap(step: str) -> None:  # the seconds of each step, for `%axis summaries show`
        now = time.perf_counter()
        timings[step] = round(now - mark[0], 3)
        mark[0] = now

    layout = choose_keys(cur, scores_table)
    if layout is None:
        return None
    lap("keys")
    limit = max_rows(layout["rows"])
    t = _table(cur, scores_table)
    names = {role: f"{scores_table}_sum_{role}" for role in ROLES}
    keys = list(layout["keys"])

    attrs = [c for c in NODE_ATTRS if c in t.columns]
    # an attribute that is a key is its own min per group; only the others ride along (a
    # min over text costs the scan as much as a key)
    carried = [c for c in attrs if c not in keys]
    n = _create(cur, names["stats"], stats_expr(t, keys, False, THRESHOLDS, carried), [*keys, "_bin"])
    _nodes_from_stats(cur, names["nodes"], names["stats"], attrs, carried)  # before any roll-up
    while n > limit and len(keys) > 1:
        keys = keys[:-1]
        n = _regroup(cur, names["stats"], lambda s: stats_rollup(s, keys, False, THRESHOLDS),
                     [*keys, "_bin"])
    # the keys a metric implies leave the days' and fine bins' scans (see implied.py)
    meta = {"keys": keys, "implied": implied.find(cur, names["stats"], keys)}
    lap("stats")
    tables = {"stats": names["stats"]}
    day_keys = None
    if layout["has_time"]:
        day_keys = _day_keys(cur, names["stats"], keys, layout["days"], min(limit, DAY_GROUPS))
    if day_keys:
        by = implied.grouped(day_keys, meta)
        _create(cur, names["days"], stats_expr(t, by, True, THRESHOLDS), [*by, TIME_KEY, "_bin"])
        tables["days"] = names["days"]
        lap("days")
    bin_keys = _bin_keys(cur, names["stats"], keys, min(limit, BIN_ROWS))
    if bin_keys:
        by = implied.grouped(bin_keys, meta)
        _create(cur, names["bins"], bins_expr(t, by), [*by, "_fbin"])
        tables["bins"] = names["bins"]
        lap("bins")
    meta.update({"time_bucket": "day" if day_keys else None, "day_keys": day_keys,
                 "bin_keys": bin_keys, "cases_day": bool(day_keys), "thresholds": list(THRESHOLDS),
                 "fine_bins": FINE_BINS, "source_rows": layout["rows"],
                 "unnamed_rows": layout["unnamed_rows"]})
    bits = case_masks.bits_of(cur, names["stats"], keys, layout["unnamed_rows"]) if cases else None
    cases = cases_expr(t, keys, bool(day_keys), bits) if cases else None
    if cases is not None:
        meta["case_bits"] = bits
        # sorted by the first key only (the experiment, or with folded cases the next key:
        # the filter it serves most): sorting by every key costs a third more than the scan
        _create(cur, names["cases"], cases, [k for k in case_keys(keys) if k in cases.columns][:1])
        tables["cases"] = names["cases"]
        lap("cases")
        meta["case_masks"] = case_masks.build(cur, names["case_masks"], names["cases"],
                                              case_keys(keys), limit, bits)
        if meta["case_masks"] is not None:
            tables["case_masks"] = names["case_masks"]
        lap("case_masks")
    tables["nodes"] = names["nodes"]
    meta["latency_keys"] = None
    if latency_table:
        meta["latency_keys"] = _build_latency(cur, names["lat"], latency_table, keys, limit)
        if meta["latency_keys"] is not None:
            tables["lat"] = names["lat"]
        lap("lat")
    meta["build_s"] = timings
    if per_day:
        lat = latency_table if meta["latency_keys"] is not None else None
        daily.build_daily(cur, scores_table, t, meta, tables, lat, layout["days"] if layout["has_time"] else 0, limit)
        hourly.build(cur, scores_table, t, meta, tables, lat, limit)
    meta["tables"] = tables
    timings["total"] = round(time.perf_counter() - started, 3)
    return meta


def _build_latency(cur, name: str, index: str, keys: list[str], limit: int) -> list[str] | None:
    """The latency sketch of the record-latency index ``index``, keyed by the summary keys it
    has (the widest given up while it has more than ``limit`` rows); its keys, or None."""
    r = _table(cur, index)
    lat_keys = [k for k in case_keys(keys) if k in r.columns]
    n = _create(cur, name, latency.bins_expr(r, lat_keys), [*lat_keys, "_lbin"])
    while n > limit and lat_keys:
        lat_keys = lat_keys[:-1]

        def rollup(s, by=tuple(lat_keys)):
            return s.group_by([*by, "_lbin"]).aggregate(n=s.n.sum(), total=s.total.sum(),
                                                        min=s["min"].min(), max=s["max"].max())
        n = _regroup(cur, name, rollup, [*lat_keys, "_lbin"])
    if n > limit:
        cur.execute(f"DROP TABLE {quote_ident(name)}")
        return None
    return lat_keys


def append_rows(cur, summary: dict, new_table: str, latency_table: str | None = None) -> dict:
    """Extend the summaries described by ``summary`` with the rows of ``new_table`` (an
    increment with the scores table's columns) on ``cur``; returns the new metadata. Every
    table takes the new rows only (no scan of the rows already summarised).
    ``latency_table``: the record-latency index, before it takes the increment's records
    (the sketch counts the records it does not hold yet)."""
    t = _table(cur, new_table)
    tables = dict(summary["tables"])
    summary = dict(summary, tables=tables)
    for role in LEGACY:  # an earlier layout's table, which cannot take new rows
        if role in tables:
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(tables.pop(role))}")
    if "lat" in tables and not (latency_table and latency.append(
            cur, tables["lat"], latency_table, new_table, list(summary.get("latency_keys") or []))):
        # a known record's latency changed (see latency.append): the raw rows answer
        cur.execute(f"DROP TABLE IF EXISTS {quote_ident(tables.pop('lat'))}")
    if "lat" not in tables:
        summary["latency_keys"] = None
    if summary.get("implied"):
        lookup = implied.extend(cur, summary["implied"], new_table)
        if lookup is None:  # a metric took a second value of an implied key (see implied.py)
            for role in implied.ROLES:
                if role in tables:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(tables.pop(role))}")
        summary["implied"] = lookup or {}
    for role, keys in (("lat_days", "lat_day_keys"), ("lat_hours", "lat_hour_keys")):
        if role in tables:  # the per-day and per-hour latency sketches wait for the next load
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(tables.pop(role))}")
        summary[keys] = None
    if summary.get("case_bits") is not None and "cases" in tables:
        bits = case_masks.extend_bits(cur, summary["case_bits"], new_table)
        if bits is None:  # past the last bit: the raw rows count cases until the next build
            for role in ("cases", "case_masks"):
                if role in tables:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(tables.pop(role))}")
            summary["case_masks"] = None
        summary["case_bits"] = bits
    limit = max_rows(int(summary["source_rows"]))
    for role, expr in exprs(t, summary).items():
        name = tables.get(role)
        if not name:
            continue
        if role == "cases" and "case_masks" in tables:
            inc = f"{new_table}__cases"
            cur.execute(f"CREATE TEMP TABLE {quote_ident(inc)} AS {_sql(expr)}")
            summary["case_masks"] = case_masks.append(
                cur, tables["case_masks"], name, inc, summary["case_masks"],
                case_keys(summary["keys"]), limit, summary.get("case_bits"))
            if summary["case_masks"] is None:
                tables.pop("case_masks")
            cur.execute(f"DROP TABLE {quote_ident(inc)}")
            continue
        cur.execute(f"INSERT INTO {quote_ident(name)} BY NAME {_sql(expr)}")
    return dict(summary, source_rows=int(summary["source_rows"]) + _count(cur, new_table))


def summary_tables(info: dict) -> list[str]:
    """The names of a dataset's summary tables (none without a summary)."""
    return list(((info.get("summary") or {}).get("tables") or {}).values())
