"""Where an analytic's Ibis expressions run.

Analytics are functions ``fn(ctx, **params) -> DataFrame`` that build Ibis expressions over
``ctx.table(role)`` and run them with ``ctx.execute(expr)``. The embedded store compiles the
expression to DuckDB SQL and runs it on its own cursor (one cursor per read; no per-call Ibis
backend, which costs ~60 ms to create). Tests run the same functions on a PostgreSQL-backed
Ibis connection, which keeps the expressions backend-portable.

``ctx.answer(what, raw, exact=..., **request)`` lets an analytic be answered from the
dataset's pre-aggregated summaries when ``ctx.planner`` (``axis_jupyter.summaries``, set by the
store) can, else by ``raw()``; ``ctx.paths`` records which one answered each request, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Callable

import ibis
import ibis.common.exceptions
import pandas as pd

from ..errors import QueryError
from .memo import Lru

# Roles of a dataset's tables:
#   scores  - the long table (one row per record x metric) with the light dimensions
#   records - one row per record (wide layouts); for long layouts the same as scores
#   full    - the canonical long view with every column (joins records when wide)
ROLES = ("scores", "records", "full")


@dataclass
class AnalyticContext:
    tables: dict[str, ibis.Table]
    run: Callable[[Any], pd.DataFrame]
    info: dict = field(default_factory=dict)  # the dataset's metadata (kind, layout, ...)
    #: rows of a result as dicts straight from the engine (no DataFrame), when it can
    run_records: Callable[[Any], list[dict]] | None = None
    #: columns of a result as numpy arrays (masked where NULL) straight from the engine
    run_arrays: Callable[[Any], dict] | None = None
    #: the results of :meth:`arrays` in this context, by expression
    fetched: dict = field(default_factory=dict)
    #: answers requests from the summaries (``summaries.Planner``); None: always the raw table
    planner: Any = None
    #: one entry per :meth:`answer`: {what, path ("summary" or "raw"), reason, ms}
    paths: list = field(default_factory=list)

    def table(self, role: str = "scores") -> ibis.Table:
        try:
            return self.tables[role]
        except KeyError:
            raise QueryError(f"this dataset has no {role} table") from None

    def execute(self, expr) -> pd.DataFrame:
        return self.run(expr)

    def records(self, expr) -> list[dict]:
        """The rows of a small result as dicts."""
        if self.run_records is not None:
            return self.run_records(expr)
        return self.run(expr).to_dict("records")

    def arrays(self, expr) -> dict:
        """The columns of a result as numpy arrays (masked arrays where the engine gives them:
        NULLs masked), without a DataFrame: for results of thousands of rows that numpy
        reduces (a DataFrame of them costs more than the query). The same expression object
        (a planner-memoised one) is fetched once per context: two answers of one read that
        reduce the same bins share them; the arrays are not to be changed in place."""
        hit = self.fetched.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        if self.run_arrays is not None:
            out = self.run_arrays(expr)
        else:
            df = self.run(expr)
            out = {c: df[c].to_numpy() for c in df.columns}
        self.fetched[id(expr)] = (expr, out)  # the expression kept: its id stays its own
        return out

    def answer(self, what: str, raw: Callable[[], Any], *, exact: bool = False, **request):
        """``what`` (e.g. ``"scorecard_binned"``) from the summaries when the planner can
        answer ``request`` from them and ``exact`` is false, else ``raw()``."""
        t0 = perf_counter()
        reason = "exact=True asks for the raw table" if exact else "the dataset has no summaries"
        if self.planner is not None and not exact:
            value, reason = self.planner.answer(self, what, **request)
            if reason is None:
                self.paths.append({"what": what, "path": "summary", "reason": None,
                                   "ms": round((perf_counter() - t0) * 1000, 2)})
                return value
        value = raw()
        self.paths.append({"what": what, "path": "raw", "reason": reason,
                           "ms": round((perf_counter() - t0) * 1000, 2)})
        return value

    @property
    def path(self) -> str | None:
        """"summary" when every answer so far came from summaries, "raw" when none did,
        "mixed" otherwise (None before any)."""
        return path_of(self.paths)

    @property
    def record_level(self) -> bool:
        """True when the records table holds one row per record (wide layouts)."""
        return self.info.get("records_table") is not None


def dialect_of(expr) -> str:
    """The SQL dialect ``expr`` will run in: its backend's name (``"pyspark"``,
    ``"postgres"``, ...), or ``duckdb`` for unbound tables (the embedded store compiles those
    for DuckDB). For the few analytics whose fastest plan differs by engine."""
    try:
        return ibis.get_backend(expr).name
    except ibis.common.exceptions.IbisError:
        return "duckdb"


class _SqlCache(Lru):
    """Compiled SQL by Ibis expression. Compiling costs 5-30 ms, as much as running a query
    on a few million rows; views ask the same questions again and again (a filter toggled
    back, a refresh). Ibis nodes hash structurally, and the key names the dataset's
    versioned tables, so a reload never reuses a stale entry."""

    def sql(self, expr) -> str:
        return self.get_or_make(expr.op(), lambda: ibis.to_sql(expr, dialect="duckdb"))


SQL_CACHE = _SqlCache(512)


def path_of(paths: list[dict]) -> str | None:
    """The one path of answers ``paths`` (:attr:`AnalyticContext.paths` entries): "summary"
    or "raw" when all took it, "mixed" otherwise, None for no answers."""
    used = {p["path"] for p in paths}
    return None if not used else used.pop() if len(used) == 1 else "mixed"


def duckdb_runner(cur, fetch=lambda res: res.df()) -> Callable[[Any], Any]:
    """Compile an Ibis expression to DuckDB SQL (cached), run it on ``cur`` and ``fetch`` the
    result (a DataFrame by default)."""

    def run(expr):
        return fetch(cur.execute(SQL_CACHE.sql(expr)))

    return run


def ibis_runner(backend) -> Callable[[Any], pd.DataFrame]:
    """Run on any Ibis backend (used for the PostgreSQL portability tests)."""

    def run(expr) -> pd.DataFrame:
        return backend.execute(expr)

    return run
