"""The DuckDB side of building summaries: Ibis tables of the store's tables and their SQL.

The summary tables are Ibis expressions (portable: the tests build them on PostgreSQL too);
the store builds them on a DuckDB cursor inside its write transaction, from here.
"""

from __future__ import annotations

import warnings

import ibis

from ..ingest.readers import quote_ident


def table(cur, name: str) -> ibis.Table:
    """The unbound Ibis table of DuckDB table ``name`` (its schema read on ``cur``)."""
    # execute, not the relation API: the caller's cursor may hold an unfinished result
    # (a fetchone), which relations refuse to run beside. DuckDB warns that Arrow output of
    # an executed statement copies its rows; there are none here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        schema = cur.execute(f"SELECT * FROM {quote_ident(name)} LIMIT 0").to_arrow_table().schema
    return ibis.table(ibis.Schema.from_pyarrow(schema), name=name)


def sql(expr) -> str:
    """``expr`` compiled for DuckDB."""
    return ibis.to_sql(expr, dialect="duckdb")


def count(cur, name: str) -> int:
    return int(cur.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0])
