"""The store's scratch database: an in-memory database attached beside the store's file.

Work that never outlives one operation — an incremental sync's new rows, landed and built
before one transaction appends them to the live tables — is written here instead of the
store's file. Rows written to the file go through its write-ahead log, and DuckDB
checkpoints the file (rewrites its changed blocks) on the commit that takes the log past
16 MB; staging an increment of 50,000 rows in the file logged it three times (11 MB on the
sync benchmark) and made the append's commit a checkpoint (0.15 s of a 0.49 s sync). Here
the rows go to memory (spilled to the store's temporary folder under pressure, like any
DuckDB work) and only the append is logged.

The scratch database is DuckDB's, attached once when the store opens (``ATTACH ':memory:'``
needs no file access, so the sandbox allows it); every cursor of the store sees it.
:func:`cursor_sql` makes a cursor create its tables there while still reading the store's
tables by their plain names; :func:`reader_sql` lets a cursor of the store (a write
transaction) read the scratch tables by their plain names too, the store's own first.
"""

from __future__ import annotations

from ..ingest.readers import quote_ident

NAME = "_axis_scratch"


def attach(con) -> str:
    """Attach the scratch database to ``con``'s instance; returns the store's own name."""
    main = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute(f"ATTACH ':memory:' AS {quote_ident(NAME)}")
    return main


def _path(*dbs: str) -> str:
    return ",".join(f"{quote_ident(db)}.main" for db in dbs).replace("'", "''")


def cursor_sql(main: str) -> list[str]:
    """The statements that make a cursor write new tables to the scratch database."""
    return [f"USE {quote_ident(NAME)}", f"SET search_path = '{_path(NAME, main)}'"]


def reader_sql(main: str) -> str:
    """The statement that lets a store cursor read scratch tables by their plain names."""
    return f"SET search_path = '{_path(main, NAME)}'"
