"""Which columns key the summaries, and whether a request's filters are among them.

Keys are the columns the views filter and group on (``ingest.columns.FILTER_COLUMNS``:
experiment, metric, source, environment, ...) that the scores table has, with at most
:data:`MAX_KEY_VALUES` distinct values each (and a twentieth of the rows, at least
:data:`MIN_KEY_VALUES`), plus the day of ``timestamp``
(:data:`TIME_KEY`, truncated to midnight). A time range is answerable from the summaries
only when both of its ends fall on midnight (a day bucket is then wholly in or out).
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from ..errors import AxisError
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


class SummaryError(AxisError):
    """A summary could not be built (the dataset stays usable on the raw path)."""


def choose_keys(cur, table: str, max_rows: Callable[[int], int]) -> dict | None:
    """How to key the summaries of the DuckDB table ``table``: {rows, keys, time_bucket,
    bin_keys}; None when the table has no rows, or no metric_name and numeric metric_score.

    Two scans. The first counts each candidate column's values (approximately) and keeps
    those with few; keys are ordered by that count (metric_name first), so the widest goes
    first when there are too many groups. The second estimates, for every prefix of the
    keys, how many rows the stats table (with and without the day) and the fine-bin table
    would have; each table takes the longest prefix whose estimate is under
    ``max_rows(rows)``: no trial builds."""
    cols = {r[0]: r[1] for r in cur.execute(f"DESCRIBE {quote_ident(table)}").fetchall()}
    if any(c not in cols for c in REQUIRED) or not _numeric(cols["metric_score"]):
        return None
    candidates = [c for c in FILTER_COLUMNS if c in cols and c != "metric_name"]
    sel = ", ".join(["count(*)", *(f"approx_count_distinct({quote_ident(c)})" for c in candidates)])
    rows, *counts = cur.execute(f"SELECT {sel} FROM {quote_ident(table)}").fetchall()[0]
    if not rows:
        return None
    # a key with about as many values as rows would make the summary as big as the table
    most = min(MAX_KEY_VALUES, max(MIN_KEY_VALUES, rows // 20))
    # the experiment next (the scorecard groups by it), then the others, fewest values first
    kept = sorted(((c != EXPERIMENT, n or 0, i), c) for i, (c, n) in enumerate(zip(candidates, counts))
                  if (n or 0) <= most)
    keys = ["metric_name", *(c for _, c in kept)]
    has_time = TIME_KEY in cols and cols[TIME_KEY].upper().startswith("TIMESTAMP")

    score = "CAST(metric_score AS DOUBLE)"
    coarse = f"greatest(least(CAST(floor({score} * {SCORECARD_BINS}) AS BIGINT), {SCORECARD_BINS - 1}), 0)"
    fine = f"greatest(least(CAST(floor({score} * {FINE_BINS}) AS BIGINT), {FINE_BINS - 1}), 0)"
    day = f"date_trunc('day', {quote_ident(TIME_KEY)})"
    probes = []
    for i in range(1, len(keys) + 1):
        prefix = [quote_ident(k) for k in keys[:i]]
        probes.append(f"approx_count_distinct(hash({', '.join([*prefix, coarse])}))")
        probes.append(f"approx_count_distinct(hash({', '.join([*prefix, fine])}))")
        if has_time:
            probes.append(f"approx_count_distinct(hash({', '.join([*prefix, day, coarse])}))")
    est = cur.execute(f"SELECT {', '.join(probes)} FROM {quote_ident(table)} "
                      "WHERE metric_name IS NOT NULL").fetchall()[0]
    step = 3 if has_time else 2
    limit = max_rows(int(rows))
    stats_options = []  # (keys, with day), most detailed first
    for i in range(len(keys), 0, -1):
        if has_time:
            stats_options.append((i, True, est[(i - 1) * step + 2]))
        stats_options.append((i, False, est[(i - 1) * step]))
    n_stats, with_day = next(((i, d) for i, d, e in stats_options if (e or 0) <= limit), (0, False))
    n_bins = next((i for i in range(len(keys), 0, -1) if (est[(i - 1) * step + 1] or 0) <= limit), 0)
    if not n_stats:
        return None
    return {"rows": int(rows), "keys": keys[:n_stats], "time_bucket": "day" if with_day else None,
            "bin_keys": keys[:n_bins] if n_bins else None}


def _numeric(duck_type: str) -> bool:
    t = duck_type.upper()
    return any(t.startswith(p) for p in ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "INT", "BIGINT",
                                         "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"))


def _midnight(value) -> bool:
    """True for a missing end or a time exactly at midnight (unparseable: False, so the raw
    path reports the bad value)."""
    if value is None or value == "":
        return True
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return False
    if ts is pd.NaT or pd.isna(ts):
        return False
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts == ts.normalize()


def unanswerable(filters: dict | None, keys: list[str], has_time: bool,
                 by: tuple[str, ...] = ()) -> str | None:
    """Why ``filters`` (and groupings ``by``) cannot be answered from summaries keyed by
    ``keys``; None when they can."""
    for col in by:
        if col not in keys:
            return f"grouping by {col} (not a summary key)"
    if filters is not None and not isinstance(filters, dict):
        return "filters are not an object"
    for key, value in (filters or {}).items():
        if key in TIME_FILTERS:
            if value is None:
                continue
            if not has_time:
                return "a time range (the summaries have no time bucket)"
            ends = value if key == "time_range" else [value]
            if not isinstance(ends, (list, tuple)) or \
                    not all(_midnight(v) for v in ends):
                return f"{key} does not fall on day boundaries"
        elif key not in keys:
            return f"a filter on {key} (not a summary key)"
    return None
