"""One page of a dataset's canonical long view, on whatever engine the dataset lives."""

from __future__ import annotations

import ibis
import pandas as pd

from ..analytics import AnalyticContext
from ..analytics.filters import apply_filters
from ..errors import QueryError


def page_of(ctx: AnalyticContext, filters, search, columns, sort_by, descending: bool,
            page: int, page_size: int) -> tuple[pd.DataFrame, int]:
    """Rows ``page`` (1-based) of ``page_size`` of the ``full`` role, filtered, searched
    (case-insensitive, in every text column) and sorted; and the matching row count.
    Without ``sort_by`` the rows come in the engine's order (DuckDB: load order)."""
    t = apply_filters(ctx.table("full"), filters)
    if search:
        text_cols = [c for c, dt in t.schema().items() if dt.is_string()]
        if text_cols:
            pred = None
            for c in text_cols:
                p = t[c].lower().contains(str(search).lower())
                pred = p if pred is None else (pred | p)
            t = t.filter(pred)
    if columns:
        unknown = [c for c in columns if c not in t.columns]
        if unknown:
            raise QueryError(f"unknown column(s) {unknown}; columns are "
                             f"{', '.join(c for c in t.columns if not c.startswith('_axis'))}.")
    total = int(ctx.execute(t.aggregate(n=ibis._.count()))["n"].iloc[0])
    if sort_by:
        if sort_by not in t.columns:
            raise QueryError(f"cannot sort by {sort_by!r}: no such column.")
        t = t.order_by(ibis.desc(sort_by) if descending else ibis.asc(sort_by))
    keep = columns or [c for c in t.columns if not c.startswith("_axis")]
    return ctx.execute(t.select(*keep).limit(page_size, offset=(page - 1) * page_size)), total
