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
``import_table``    {handle, table, schema, name, kind, filters, columns, mapping, limit} -> {dataset,
                    rows, kind}: the import wizard (column mapping, value filters, row limit)
``import_query``    {handle, query, name, kind, mapping, limit} -> {dataset, rows, kind}
                    ``filters``: {column: value or [values]} or [{column, value(s)}]
``sync``            {source, full} -> the source's status after the sync
``reset_watermark`` {source}
"""

from __future__ import annotations

from ..errors import AxisError
from ..wire import jsonable
from .registry import ViewSpec

VIEW = "database"
#: what the import wizard offers to map a column to (AXIS's canonical column names)
CANONICAL_FIELDS = ["dataset_id", "query", "actual_output", "expected_output", "evaluation_name",
                    "metric_name", "metric_score", "metric_type", "parent", "weight", "explanation",
                    "signals", "critique", "timestamp", "source_name", "source_component", "environment",
                    "model_name", "latency", "trace_id", "kpi_name", "numeric_value", "judgment"]
KINDS = ("auto", "evals", "monitoring", "signals", "annotations", "kpi", "rules")


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
    return jsonable({"sources": srcs, "status": _status(store), "config_error": config_error,
                     "handles": browser.stats(), "fields": CANONICAL_FIELDS, "kinds": list(KINDS)})


def _status(store) -> dict:
    """Sync status per source, from the store that syncs: this process's, or the Jupyter
    server's for a kernel's store (the view once asked its own empty state there, so a
    sync it had just run never showed)."""
    from ..sync import client, engine

    if _local(store):
        return engine.status_all(store)
    try:
        return client.sync_status(store)
    except AxisError:
        return {}


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
                 filters=None, columns=None, mapping=None, limit=10000) -> dict:
    """Import (at most ``limit`` rows of) a table: only ``columns`` when given, rows where
    each filter column has one of its values, ``mapping`` {column: canonical name}."""
    from ..sync import browser

    return jsonable(_imported(browser.import_table(store, handle, table, name=name, schema=schema,
                                                   kind=kind, filters=filters, columns=columns,
                                                   mapping=mapping, limit=limit)))


def import_query(store, dataset=None, *, handle, query, name, kind="auto", mapping=None,
                 limit=10000) -> dict:
    from ..sync import browser

    return jsonable(_imported(browser.import_query(store, handle, query, name=name, kind=kind,
                                                   mapping=mapping, limit=limit)))


def sync(store, dataset=None, *, source, full=False) -> dict:
    """Sync ``source`` where the store lives; answers the source's status afterwards (the
    same shape from this process's store and from the server's)."""
    from ..sync import engine

    engine.sync(store, source, full=bool(full))
    return jsonable(dict(_status(store).get(source) or {"source": source, "state": "unknown"}))


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
