"""Where the knowledge graphs live: an embedded FalkorDB (default) or one at a URL.

* **Embedded** (``falkordblite``): a FalkorDB server started on first use as a child of this
  process, listening on a Unix socket only its user may open (no TCP port), saving to
  ``<store file>.falkordb`` beside the DuckDB store (a temporary file for ``":memory:"``
  stores). Like the DuckDB file it has one owner: the process that owns the store — the
  Jupyter server when one runs the AXIS extension, else the Python process itself.
* **External**: ``AXIS_GRAPH_URL`` (``falkor://host:6379``, ``redis://…``, ``unix://…``), or
  ``c.AxisExtension.graph_url``; the password in ``AXIS_GRAPH_PASSWORD`` (or in the
  ``AXIS_GRAPH_URL`` environment variable itself), never in a config file.

One :class:`GraphServer` per store (:func:`server_for`); ``close_for(store)`` stops an
embedded server (the workbench does it when the store closes). The DuckDB store is the
source of truth: a graph is rebuilt from the rules whenever it is missing or stale, so
losing the graph file loses nothing.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from ..errors import StoreError

URL_ENV = "AXIS_GRAPH_URL"
PASSWORD_ENV = "AXIS_GRAPH_PASSWORD"


class GraphUnavailable(StoreError):
    """FalkorDB cannot be started or reached."""

    status = 503
    code = "graph_unavailable"


class GraphServer:
    """One FalkorDB (embedded or external) and the graphs AXIS keeps in it."""

    def __init__(self, *, url: str | None = None, path: str | None = None, namespace: str = "axis"):
        self.url, self.path, self.namespace = url, path, namespace
        self.mode = "external" if url else "embedded"
        self._db: Any = None
        self._lock = threading.RLock()
        self.build_lock = threading.RLock()  # one build or rule change at a time

    def __repr__(self) -> str:
        where = "external" if self.url else (self.path or "temporary file")
        return f"<GraphServer {self.mode} {where}>"

    # ------------------------------------------------------------------ connection
    @property
    def db(self):
        """The FalkorDB client (started or connected on first use)."""
        with self._lock:
            if self._db is None:
                self._db = self._open()
            return self._db

    def _open(self):
        if self.url:
            try:
                from falkordb import FalkorDB
            except ImportError as exc:  # pragma: no cover - a declared dependency
                raise GraphUnavailable("the falkordb package is not installed.") from exc
            extra = {"password": os.environ[PASSWORD_ENV]} if os.environ.get(PASSWORD_ENV) else {}
            try:
                db = FalkorDB.from_url(self.url, **extra)
                db.connection.ping()
            except Exception:
                # The URL may hold a password: name only what the user can check.
                raise GraphUnavailable(f"cannot reach FalkorDB at the URL in {URL_ENV}: check "
                                       "the host, port and password.") from None
            return db
        try:
            from redislite.falkordb_client import FalkorDB as Embedded
        except ImportError:
            raise GraphUnavailable("the embedded graph database needs the falkordblite package "
                                   "(pip install falkordblite), or set AXIS_GRAPH_URL to a "
                                   "FalkorDB server.") from None
        try:
            if self.path:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            return Embedded(self.path) if self.path else Embedded()
        except Exception as exc:
            raise GraphUnavailable(f"cannot start the embedded FalkorDB ({type(exc).__name__}).") from exc

    @property
    def redis(self):
        """The underlying Redis client (pointer keys live beside the graphs)."""
        db = self.db
        return getattr(db, "client", None) or db.connection

    def graph(self, key: str):
        return self.db.select_graph(key)

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except Exception:
            return False

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
        if db is None:
            return
        try:
            if self.mode == "embedded":
                # redislite stops its server only when it is the last client: drop the pool's
                # other connections (one per thread that queried) first
                db.client.connection_pool.disconnect()
                db.close()  # saves the graphs and stops the server
            else:
                db.connection.connection_pool.disconnect()
                db.connection.close()
        except Exception:  # pragma: no cover - best effort at shutdown
            pass

    # ------------------------------------------------------------------ naming
    def pointer_key(self) -> str:
        return f"{self.namespace}:graphs"

    def graph_key(self, dataset: str, tag: str) -> str:
        return f"{self.namespace}:graph:{dataset}:{tag}"


_SERVERS: dict[int, tuple[Any, GraphServer]] = {}
_SERVERS_LOCK = threading.Lock()


def _store_key(store) -> int:
    return id(store)


def _default_path(store) -> str | None:
    loc = getattr(store, "location", ":memory:")
    if loc == ":memory:" or "://" in str(loc):
        return None
    return str(Path(loc).with_suffix(".falkordb"))


def close_all() -> None:
    """Stop every graph server of this process (at exit: an embedded FalkorDB is a
    separate process and would outlive a Python that forgot to close its store)."""
    with _SERVERS_LOCK:
        servers = [srv for _, srv in _SERVERS.values()]
        _SERVERS.clear()
    for srv in servers:
        srv.close()


atexit.register(close_all)


def server_for(store, url: str | None = None) -> GraphServer:
    """The graph server of ``store`` (made on first use; see the module docstring)."""
    with _SERVERS_LOCK:
        hit = _SERVERS.get(_store_key(store))
        if hit is not None and hit[0] is store:
            return hit[1]
        url = url or os.environ.get(URL_ENV) or None
        loc = str(getattr(store, "location", ""))
        # an external FalkorDB may serve several stores: each gets its own key namespace
        ns = "axis:" + hashlib.sha1(loc.encode()).hexdigest()[:10] if url else "axis"
        server = GraphServer(url=url, path=None if url else _default_path(store), namespace=ns)
        _SERVERS[_store_key(store)] = (store, server)
        return server


def existing(store) -> GraphServer | None:
    """``store``'s graph server if one was made (never starts one)."""
    with _SERVERS_LOCK:
        hit = _SERVERS.get(_store_key(store))
    return hit[1] if hit is not None and hit[0] is store else None


def configure(store, url: str | None) -> GraphServer:
    """Use the FalkorDB at ``url`` (None: embedded) for ``store`` from now on."""
    close_for(store)
    return server_for(store, url=url)


def close_for(store) -> None:
    """Stop (embedded) or disconnect (external) ``store``'s graph server, if it has one."""
    with _SERVERS_LOCK:
        hit = _SERVERS.pop(_store_key(store), None)
    if hit is not None:
        hit[1].close()
