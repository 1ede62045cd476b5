"""The database view: configured sources, sync status and the PostgreSQL browser.

``%axis show database`` or ``axis_jupyter.views.database.DatabaseView(store)``.

The browser's handles live in the process that answers the actions (this kernel for the
widget), so every action runs through the kernel transport. Credentials typed into the
widget travel once, in the ``connect`` call, and are never put into a synced trait, the
snapshot or a reply: the notebook file never holds them.

Actions (``action(store, dataset, **params) -> dict``; ``dataset`` is unused):

``payload``         {} -> sources (no secrets), sync status per source, open handles
``connect``         {host, port, database, username, password, ssl_mode} or {url} or
                    {source} -> {handle, expires_in, version, target}
``disconnect``      {handle}
``tables``          {handle} -> {tables: [{schema_name, name, row_count_estimate, type}]}
``schema``          {handle, table, schema} -> {columns, sample_rows}
``distinct``        {handle, table, column, schema, limit} -> {values}
``preview``         {handle, table, schema, filters, columns, limit} -> {columns, data, row_count}
``query``           {handle, query, limit} -> {columns, data, row_count}
``import_table``    {handle, table, schema, name, kind, filters, limit} -> {dataset, rows, kind}
``import_query``    {handle, query, name, kind, limit} -> {dataset, rows, kind}
``sync``            {source, full} -> the source's status after the sync
``reset_watermark`` {source}
"""

from __future__ import annotations

import html

import traitlets

from ..errors import AxisError, QueryError
from . import ViewSpec, register_view
from .base import AxisView, jsonable

VIEW = "database"


def _local(store) -> bool:
    from ..store.local import LocalStore

    return isinstance(store, LocalStore)


def payload(store, dataset=None) -> dict:
    from ..sync import browser, engine

    try:
        srcs = [c.public() for c in engine.sconfig.list_sources().values()]
        config_error = None
    except AxisError as exc:
        srcs, config_error = [], str(exc)
    status = engine.status_all(store) if _local(store) else {}
    return jsonable({"sources": srcs, "status": status, "config_error": config_error,
                     "handles": browser.stats()})


def connect(store, dataset=None, *, host=None, port=5432, database=None, username=None,
            password=None, ssl_mode="prefer", url=None, source=None) -> dict:
    from ..sync import browser

    return browser.connect(host=host, port=int(port or 5432), database=database,
                           username=username, password=password, ssl_mode=ssl_mode or "prefer",
                           url=url, source=source)


def disconnect(store, dataset=None, *, handle) -> dict:
    from ..sync import browser

    return browser.disconnect(handle)


def tables(store, dataset=None, *, handle) -> dict:
    from ..sync import browser

    return {"tables": browser.tables(handle)}


def schema(store, dataset=None, *, handle, table, schema="public") -> dict:
    from ..sync import browser

    return jsonable(browser.schema(handle, table, schema=schema))


def distinct(store, dataset=None, *, handle, table, column, schema="public", limit=100) -> dict:
    from ..sync import browser

    return jsonable({"values": browser.distinct_values(handle, table, column, schema=schema,
                                                       limit=limit)})


def preview(store, dataset=None, *, handle, table, schema="public", filters=None, columns=None,
            limit=10) -> dict:
    from ..sync import browser

    return jsonable(browser.preview(handle, table, schema=schema, filters=filters,
                                    columns=columns, limit=limit))


def query(store, dataset=None, *, handle, query, limit=10) -> dict:
    from ..sync import browser

    return jsonable(browser.query(handle, query, limit=limit))


def _imported(ds) -> dict:
    info = ds.info
    return {"dataset": ds.name, "rows": info["rows"], "kind": info["kind"],
            "layout": info["layout"], "warnings": info.get("warnings", [])}


def import_table(store, dataset=None, *, handle, table, schema="public", name=None, kind="auto",
                 filters=None, limit=10000) -> dict:
    from ..sync import browser

    return jsonable(_imported(browser.import_table(store, handle, table, name=name, schema=schema,
                                                   kind=kind, filters=filters, limit=limit)))


def import_query(store, dataset=None, *, handle, query, name, kind="auto", limit=10000) -> dict:
    from ..sync import browser

    return jsonable(_imported(browser.import_query(store, handle, query, name=name, kind=kind,
                                                   limit=limit)))


def sync(store, dataset=None, *, source, full=False) -> dict:
    from ..sync import engine

    if not _local(store):
        if hasattr(store, "sync"):
            return jsonable({"status": store.sync(source, full=bool(full)).to_dict("records")})
        raise AxisError("this store has no sync; run %axis sync in a notebook of the server.")
    engine.sync(store, source, full=bool(full))
    return jsonable(engine.status_dict(store, source))


def reset_watermark(store, dataset=None, *, source) -> dict:
    from ..sync import engine

    return engine.reset_watermark(store, source)


ACTIONS = {"payload": payload, "connect": connect, "disconnect": disconnect, "tables": tables,
           "schema": schema, "distinct": distinct, "preview": preview, "query": query,
           "import_table": import_table, "import_query": import_query, "sync": sync,
           "reset_watermark": reset_watermark}


class DatabaseView(AxisView):
    """Sources, sync status and a PostgreSQL browser (no dataset needed)."""

    view_name = VIEW

    def __init__(self, store=None, **kwargs):
        if store is None:
            from .. import connect as _connect

            store = _connect()
        self._store = store
        # AxisView.__init__ wants a dataset; this view has none, and its calls always go
        # through the kernel (the browser's handles live in this process).
        import anywidget

        anywidget.AnyWidget.__init__(self, view=VIEW, dataset="", params={}, transport="kernel",
                                     server_base="", **kwargs)
        self.on_msg(self._on_custom_msg)
        self.refresh()

    def call(self, action: str, params: dict | None = None) -> dict:
        from . import call_action

        return call_action(self._store, None, VIEW, action, params or {})

    def static_html(self) -> str:
        snap = self.snapshot or {}
        rows = "".join(
            f"<tr><td>{html.escape(str(s.get('name')))}</td><td>{html.escape(str(s.get('kind')))}</td>"
            f"<td>{html.escape(str(s.get('target')))}</td>"
            f"<td>{html.escape(str((snap.get('status') or {}).get(s.get('name'), {}).get('state', '')))}</td></tr>"
            for s in snap.get("sources", []))
        return ("<div class='axis-static'><b>AXIS database</b><table><tr><th>source</th><th>kind</th>"
                f"<th>target</th><th>state</th></tr>{rows}</table></div>")


def widget(store, dataset=None, **options):
    """Factory for ``%axis show database``."""
    if dataset is not None or options:
        raise QueryError("%axis show database takes no dataset or options.")
    return DatabaseView(store)


register_view(ViewSpec(name=VIEW, description="PostgreSQL sources, sync status and database browser",
                       widget=widget, actions=ACTIONS))

__all__ = ["ACTIONS", "DatabaseView", "widget"] + list(ACTIONS)
_ = traitlets  # traits come from AxisView
