"""Which columns key the summaries, and whether a request's filters are among them.

Keys are the columns the views filter and group on (``ingest.columns.FILTER_COLUMNS``:
experiment, metric, source, environment, ...) that the scores table has, with at most
:data:`MAX_KEY_VALUES` distinct values each (and a twentieth of the rows, at least
:data:`MIN_KEY_VALUES`), plus the day of ``timestamp``
(:data:`TIME_KEY`, truncated to midnight). A time range is answerable from the day tables
only when both of its ends fall on midnight (a day bucket is then wholly in or out), and from
the hour tables of monitoring data (the last :data:`.daily.RECENT_HOURS` hours) when both
fall on the hour and it starts inside them.
"""

from __future__ import annotations

import pandas as pd

from ..ingest.columns import FILTER_COLUMNS
from ..ingest.readers import quote_ident

SCORECARD_BINS = 5  # analytics.scorecard.BINS (tests check they agree)
FINE_BINS = 1000  # equal bins over [0, 1] for percentiles (see percentiles.BOUND)
MAX_KEY_VALUES = 1000
MIN_KEY_VALUES = 50
TIME_KEY = "timestamp"
EXPERIMENT = "evaluation_name"
TIME_FILTERS = ("time_range", "time_start", "time_end")
REQUIRED = ("metric_name", "metric_score")
SAMPLE_ABOVE = 2_000_000


def choose_keys(cur, table: str) -> dict | None:
    """The candidate keys of the DuckDB table ``table``: {rows, unnamed_rows (without a
    metric_name: the summaries leave them out), keys, has_time, days}; None
    when the table has no rows, or no metric_name and numeric metric_score. ``days`` bounds
    the number of distinct days of ``timestamp`` (from its min and max; 0 without one).

    It counts each filter column's values (approximately; on a tenth of the row vectors of
    a table over :data:`SAMPLE_ABOVE` rows: a column with few values shows them all there,
    one with many still shows more than the limit, and one that slips through is the widest
    key, the first the stats give up) and keeps those with few; keys are metric_name, the
    experiment, then the others fewest values first, so the widest is the first given up
    when a summary has too many groups (``tables``)."""
    cols = {r[0]: r[1] for r in cur.execute(f"DESCRIBE {quote_ident(table)}").fetchall()}
    if any(c not in cols for c in REQUIRED) or not _numeric(cols["metric_score"]):
        return None
    candidates = [c for c in FILTER_COLUMNS if c in cols and c != "metric_name"]
    has_time = TIME_KEY in cols and cols[TIME_KEY].upper().startswith("TIMESTAMP")
    ts = quote_ident(TIME_KEY)
    # the time span rides along the same scan (two cheap aggregates, no per-row day)
    span = f"date_diff('day', min({ts}), max({ts})) + 1" if has_time else "0"
    rows, named, days = cur.execute(f"SELECT count(*), count(metric_name), {span} "
                                    f"FROM {quote_ident(table)}").fetchall()[0]
    if not rows:
        return None
    sample = " USING SAMPLE 10% (system)" if rows > SAMPLE_ABOVE else ""
    counts = [0] * len(candidates)
    if candidates:
        sel = ", ".join(f"approx_count_distinct({quote_ident(c)})" for c in candidates)
        counts = cur.execute(f"SELECT {sel} FROM {quote_ident(table)}{sample}").fetchall()[0]
    # a key with about as many values as rows would make the summary as big as the table
    most = min(MAX_KEY_VALUES, max(MIN_KEY_VALUES, rows // 20))
    # the experiment next (the scorecard groups by it), then the others, fewest values first
    kept = sorted(((c != EXPERIMENT, n or 0, i), c) for i, (c, n) in enumerate(zip(candidates, counts))
                  if (n or 0) <= most)
    return {"rows": int(rows), "unnamed_rows": int(rows) - int(named),
            "keys": ["metric_name", *(c for _, c in kept)],
            "has_time": has_time and bool(days), "days": int(days or 0)}


def _numeric(duck_type: str) -> bool:
    t = duck_type.upper()
    return any(t.startswith(p) for p in ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "INT", "BIGINT",
                                         "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"))


def _time(value):
    """The naive UTC timestamp of a time filter's end; None when missing, False when it is
    not a time (the raw path then reports the bad value)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return False
    if ts is pd.NaT or pd.isna(ts):
        return False
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


UNITS = {"D": "day", "h": "hour"}


def time_unanswerable(filters: dict | None, unit: str = "D", since=None) -> str | None:
    """Why the time filters of ``filters`` do not fall on whole ``unit`` buckets ("D" or
    "h") from ``since`` on (a timestamp: the first bucket a table holds; None: all);
    None when they do (or there is none)."""
    if filters is not None and not isinstance(filters, dict):
        return "filters are not an object"
    filters = filters or {}
    starts = []
    for key in TIME_FILTERS:
        value = filters.get(key)
        if value is None:
            continue
        ends = value if key == "time_range" else [value]
        if not isinstance(ends, (list, tuple)) or len(ends) != (2 if key == "time_range" else 1):
            return f"{key} is not a time range"
        times = [_time(v) for v in ends]
        if any(ts is False or (ts is not None and ts != ts.floor(unit)) for ts in times):
            return f"{key} does not fall on {UNITS[unit]} boundaries"
        if key != "time_end":
            starts.append(times[0])
    if since is not None:
        first = pd.Timestamp(since)
        if not starts or any(ts is None or ts < first for ts in starts):
            return f"the time range starts before the hour tables ({first.isoformat()}) or has no start"
    return None


def unanswerable(filters: dict | None, keys: list[str], has_time: bool,
                 by: tuple[str, ...] = (), unit: str = "D", since=None) -> str | None:
    """Why ``filters`` (and groupings ``by``) cannot be answered from summaries keyed by
    ``keys`` (with a time bucket of ``unit`` from ``since`` on when ``has_time``); None when
    they can."""
    for col in by:
        if col not in keys:
            return f"grouping by {col} (not a summary key)"
    if filters is not None and not isinstance(filters, dict):
        return "filters are not an object"
    for key, value in (filters or {}).items():
        if key in TIME_FILTERS:
            if value is not None and not has_time:
                return "a time range (the summaries have no time bucket)"
        elif key not in keys:
            return f"a filter on {key} (not a summary key)"
    return time_unanswerable(filters, unit, since) if has_time else None
