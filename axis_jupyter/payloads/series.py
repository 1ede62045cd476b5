"""Time series as a chart should draw them: gaps left open, partial buckets marked.

A line through the buckets that have data joins the two ends of a gap (no data for a day)
as if values had been measured in between; and the first and last buckets of a window are
often cut by it (a 24-hour window starting at 14:37 holds 23 minutes of its first hour), so
their means rest on fewer records. :func:`mark_series` gives each row a ``segment`` (a new
one after every missing bucket: the chart draws one path per segment) and ``partial`` /
``coverage`` (the share of the bucket the window covers; under 90 % is partial).
"""

from __future__ import annotations

import pandas as pd

STEPS = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1), "week": pd.Timedelta(weeks=1)}
FULL = 0.9  # a bucket the window covers less than this share of is partial


def _ts(v) -> pd.Timestamp | None:
    if v is None or v == "":
        return None
    t = pd.Timestamp(v)
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t


def mark_series(rows: list[dict], granularity: str, start=None, end=None, key: str = "metric_name",
                at: str = "bucket") -> list[dict]:
    """``rows`` (one per series ``key`` and bucket ``at``), in their order, with ``segment``,
    ``partial`` and ``coverage`` added; ``start``/``end`` bound the window (end exclusive; None: unbounded)."""
    step = STEPS.get(str(granularity).lower())
    if step is None or not rows:
        return [dict(r, segment=0, partial=False, coverage=1.0) for r in rows]
    lo, hi = _ts(start), _ts(end)
    out: list[dict] = [{} for _ in rows]  # in the rows' own order (the payload's order)
    last: dict = {}
    seg: dict = {}
    for i, r in sorted(enumerate(rows), key=lambda ir: (str(ir[1].get(key)), _ts(ir[1][at]))):
        k, b = r.get(key), _ts(r[at])
        prev = last.get(k)
        if prev is None:
            seg[k] = 0
        elif b - prev > step * 1.5:  # a missing bucket between the two: a new path
            seg[k] += 1
        last[k] = b
        lo_b, hi_b = b, b + step
        covered = (min(hi_b, hi) if hi is not None else hi_b) - (max(lo_b, lo) if lo is not None else lo_b)
        coverage = max(0.0, min(1.0, covered / step))
        out[i] = dict(r, segment=seg[k], partial=coverage < FULL, coverage=round(coverage, 4))
    return out


def window(scope: dict | None, info: dict) -> tuple:
    """(start, end) of what a view shows: the filters' time range, else the data's."""
    tr = (scope or {}).get("time_range") or [None, None]
    data = info.get("time_range") or [None, None]
    start = tr[0] if tr[0] is not None else data[0]
    end = tr[1] if tr[1] is not None else (
        (pd.Timestamp(data[1]) + pd.Timedelta(microseconds=1)).isoformat() if data[1] else None)
    return start, end
