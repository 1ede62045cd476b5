"""Filters shared by every analytic: equality, IN and a time range.

``filters`` is a dict. ``{"environment": "prod"}`` is equality, ``{"source_name": ["a", "b"]}``
is IN, ``{"time_range": ["2026-01-01", "2026-01-08"]}`` (or ``time_start``/``time_end``) bounds
``timestamp`` (start inclusive, end exclusive). Column names are checked against the
table's columns; values only ever reach SQL as literals built by Ibis, never as SQL text.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from ..errors import QueryError
from .memo import Lru, plain_key

TIME_KEYS = ("time_range", "time_start", "time_end")


def _to_ts(value: Any, key: str):
    if value is None or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise QueryError(f"{key}: {value!r} is not a date/time (use ISO 8601, e.g. 2026-01-27T14:00).") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


_FILTERED = Lru(256)


def apply_filters(t: ibis.Table, filters: dict | None, *, time_column: str = "timestamp") -> ibis.Table:
    """``t`` restricted by ``filters`` (equality, IN lists, NULL, time_range/time_start/time_end).

    Memoised: one view update asks many analytics for the same filtered table, and building
    the predicates through Ibis costs a few ms a time on wide tables. Tables and filtered
    expressions are immutable, so sharing them is safe."""
    if not filters:
        return t
    try:
        key = (t.op(), plain_key(filters), time_column)
    except TypeError:
        return _apply_filters(t, filters, time_column)
    return _FILTERED.get_or_make(key, lambda: _apply_filters(t, filters, time_column))


def _apply_filters(t: ibis.Table, filters: dict, time_column: str) -> ibis.Table:
    cols = set(t.columns)
    preds = []
    start = end = None
    for key, value in filters.items():
        if key == "time_range":
            if value is None:
                continue
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise QueryError("time_range must be [start, end].")
            start, end = _to_ts(value[0], "time_range"), _to_ts(value[1], "time_range")
            continue
        if key == "time_start":
            start = _to_ts(value, key)
            continue
        if key == "time_end":
            end = _to_ts(value, key)
            continue
        if key not in cols:
            raise QueryError(f"cannot filter on {key!r}: the dataset has no such column "
                             f"(columns: {', '.join(sorted(cols)[:20])}).")
        col = t[key]
        if value is None:
            preds.append(col.isnull())
        elif isinstance(value, (list, tuple, set)):
            values = list(value)
            if not values:
                raise QueryError(f"filter {key!r}: the list of values is empty.")
            preds.append(col.isin(values))
        else:
            preds.append(col == value)
    if start is not None or end is not None:
        if time_column not in cols:
            raise QueryError("this dataset has no timestamp column, so a time range cannot apply.")
        if start is not None:
            preds.append(t[time_column] >= ibis.literal(start))
        if end is not None:
            preds.append(t[time_column] < ibis.literal(end))
    return t.filter(preds) if preds else t


def split_filters(filters: dict | None, columns: set[str]) -> bool:
    """True when every filter column exists in ``columns`` (time keys need ``timestamp``)."""
    for key in filters or {}:
        if key in TIME_KEYS:
            if "timestamp" not in columns:
                return False
        elif key not in columns:
            return False
    return True
