"""Filters shared by every analytic: equality, IN and a time range.

``filters`` is a dict. ``{"environment": "prod"}`` is equality, ``{"source_name": ["a", "b"]}``
is IN, ``{"time_range": ["2026-01-01", "2026-01-08"]}`` (or ``time_start``/``time_end``) bounds
``timestamp`` (start inclusive, end exclusive). Column names are checked against the
table's columns; values only ever reach SQL as literals built by Ibis, never as SQL text.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import pandas as pd

from ..errors import ParameterError, QueryError
from ..params import shown
from .memo import Lru, plain_key

TIME_KEYS = ("time_range", "time_start", "time_end")


def _to_ts(value: Any, key: str):
    if value is None or (isinstance(value, str) and value == ""):
        return None
    bad = ParameterError(f"{key}: {shown(value)} is not a date/time (use ISO 8601, e.g. "
                         "2026-01-27T14:00).", param=key)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise bad from None
    if ts is pd.NaT or pd.isna(ts):
        raise bad
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
    if not isinstance(filters, dict):
        raise ParameterError("filters must be a JSON object {column: value or [values]}.",
                             param="filters")
    cols = set(t.columns)
    preds = []
    start = end = None
    for key, value in filters.items():
        if key == "time_range":
            if value is None:
                continue
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise ParameterError("filters.time_range must be [start, end] (ISO 8601 "
                                     "times).", param="filters.time_range")
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
                raise ParameterError(f"filters.{key}: the list of values is empty.",
                                     param=f"filters.{key}")
            preds.append(col.isin([_typed(col, key, v) for v in values]))
        else:
            preds.append(col == _typed(col, key, value))
    if start is not None or end is not None:
        if time_column not in cols:
            raise QueryError("this dataset has no timestamp column, so a time range cannot apply.")
        if start is not None:
            preds.append(t[time_column] >= ibis.literal(start))
        if end is not None:
            preds.append(t[time_column] < ibis.literal(end))
    return t.filter(preds) if preds else t


def _typed(col, key: str, value: Any):
    """A filter value as the column's type, so a wrong one is a ParameterError naming the
    filter, not a type error from Ibis or a conversion error from the database."""
    dt = col.type()
    name = f"filters.{key}"
    if isinstance(value, (dict, list, tuple, set)) or value is None:
        raise ParameterError(f"{name} values must be single values (text, numbers, true or "
                             "false), not lists or objects.", param=name)
    if dt.is_numeric():
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                value = None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value):
            raise ParameterError(f"{name}: column {key!r} holds numbers, so its filter values "
                                 "must be numbers.", param=name)
        return value
    if dt.is_string():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ParameterError(f"{name}: column {key!r} holds text, so its filter values "
                                 "must be text.", param=name)
        return value if isinstance(value, str) else str(value)
    if dt.is_boolean():
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ParameterError(f"{name}: column {key!r} holds true/false values.", param=name)
        return value
    if dt.is_timestamp() or dt.is_date():
        ts = _to_ts(value, name)
        if ts is None:
            raise ParameterError(f"{name}: an empty time matches nothing; use null for "
                                 "missing times.", param=name)
        return ibis.literal(ts)
    raise ParameterError(f"cannot filter on {key!r}: its values are not text, numbers, "
                         "true/false or times.", param=name)


def split_filters(filters: dict | None, columns: set[str]) -> bool:
    """True when every filter column exists in ``columns`` (time keys need ``timestamp``)."""
    for key in filters or {}:
        if key in TIME_KEYS:
            if "timestamp" not in columns:
                return False
        elif key not in columns:
            return False
    return True
