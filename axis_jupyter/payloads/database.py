"""What the database view shows: configured sources, sync status and the PostgreSQL browser.

The browser's handles live in the process that answers the actions (the kernel, for the
widget), so the widget runs every action in its kernel. Credentials travel once, in the
``connect`` call, and are never returned: a notebook never holds them. ``dataset`` is
unused.

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

from ..errors import AxisError
from ..wire import jsonable
from .registry import ViewSpec

VIEW = "database"


def _local(store) -> bool:
    from ..store.local import LocalStore

    return isinstance(store, LocalStore)


def payload(store, dataset=None) -> dict:
    from ..sync import browser, client, engine

    try:
        if _local(store):
            srcs = [c.public() for c in engine.sconfig.list_sources().values()]
        else:
            # the server's sources (those a kernel added with axis.add_source included),
            # not this kernel's config folder
            srcs = client.sources(store)
        config_error = None
    except AxisError as exc:
        srcs, config_error = [], str(exc)
    if _local(store):
        status = engine.status_all(store)
    else:
        try:
            status = client.sync_status(store)
        except AxisError:
            status = {}
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


SPEC = ViewSpec(
    name=VIEW,
    description="PostgreSQL sources, sync status and database browser",
    actions={"payload": payload, "connect": connect, "disconnect": disconnect, "tables": tables,
             "schema": schema, "distinct": distinct, "preview": preview, "query": query,
             "import_table": import_table, "import_query": import_query, "sync": sync,
             "reset_watermark": reset_watermark},
    guarded={**{a: "axis:database" for a in ("connect", "disconnect", "tables", "schema",
                                             "distinct", "preview", "query")},
             "import_table": "axis:database", "import_query": "axis:database",
             "sync": "axis:sync", "reset_watermark": "axis:sync"},
)
