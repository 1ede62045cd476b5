"""Where an analytic's Ibis expressions run.

Analytics are functions ``fn(ctx, **params) -> DataFrame`` that build Ibis expressions over
``ctx.table(role)`` and run them with ``ctx.execute(expr)``. The embedded store compiles the
expression to DuckDB SQL and runs it on its own cursor (one cursor per read; no per-call Ibis
backend, which costs ~60 ms to create). Tests run the same functions on a PostgreSQL-backed
Ibis connection, which keeps the expressions backend-portable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import ibis
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

    @property
    def record_level(self) -> bool:
        """True when the records table holds one row per record (wide layouts)."""
        return self.info.get("records_table") is not None


class _SqlCache(Lru):
    """Compiled SQL by Ibis expression. Compiling costs 5-30 ms, as much as running a query
    on a few million rows; views ask the same questions again and again (a filter toggled
    back, a refresh). Ibis nodes hash structurally, and the key names the dataset's
    versioned tables, so a reload never reuses a stale entry."""

    def sql(self, expr) -> str:
        return self.get_or_make(expr.op(), lambda: ibis.to_sql(expr, dialect="duckdb"))


SQL_CACHE = _SqlCache(512)


def duckdb_runner(cur) -> Callable[[Any], pd.DataFrame]:
    """Compile an Ibis expression to DuckDB SQL (cached) and run it on ``cur``."""

    def run(expr) -> pd.DataFrame:
        return cur.execute(SQL_CACHE.sql(expr)).df()

    return run


def ibis_runner(backend) -> Callable[[Any], pd.DataFrame]:
    """Run on any Ibis backend (used for the PostgreSQL portability tests)."""

    def run(expr) -> pd.DataFrame:
        return backend.execute(expr)

    return run
