"""What the data manager shows: every dataset of the store, staged uploads and their preview.

``payload``  {} -> ``{datasets: [{name, kind, layout, rows, records, columns, time_range,
             size_bytes, source, updated, views}], store, uploads}``; ``views`` are the views
             that show a dataset of that kind, ``size_bytes`` what its tables take in the
             DuckDB file (None for an in-memory store), ``uploads`` says how the browser
             uploads: ``"server"`` (it streams the file to ``POST axis/api/uploads``)
             or ``"kernel"`` (files up to :data:`KERNEL_UPLOAD_LIMIT` sent through the
             widget, base64 in one message)
``stage``    {filename, data} -> the staged upload (the kernel path: ``data`` is base64)
``preview``  {upload, mapping, kind, encoding} -> the first rows of a staged file, each
             column's canonical name and role and the kind/layout detected (nothing loaded)
``commit``   {upload, name, kind, mapping, encoding} -> the new dataset's row (the kernel
             path; the server runs it as an upload job: ``POST axis/api/uploads/{id}/commit``)
``discard``  {upload} -> the staged file removed
``delete``   {name} -> the dataset dropped
``attach``   {name, backend, table, kind, mapping, password_env} -> the attached dataset's
             row (the kernel path; over HTTP the view posts to ``axis/api/attach``, whose
             ``axis:database`` scope this action also needs there: ``guarded``)

The payload's ``sources`` are the configured sync sources' names, which the attach form
offers as backends (a source's connection and password stay in its YAML and environment).
"""

from __future__ import annotations

import base64
import binascii

from ..errors import ParameterError
from ..ingest import staging
from ..store.display import dataset_table
from ..wire import jsonable
from .registry import ViewSpec, views

VIEW = "datasets"
KERNEL_UPLOAD_LIMIT = 25 * 2**20


def views_for(kind: str) -> list[str]:
    return sorted(n for n, s in views().items() if kind in s.kinds)


def dataset_rows(store) -> list[dict]:
    return [{**r, "views": views_for(r["kind"])} for r in dataset_table(store)]


def payload(store, dataset=None) -> dict:
    from ..store.local import LocalStore

    return jsonable({"datasets": dataset_rows(store), "store": getattr(store, "location", None),
                     "uploads": "kernel" if isinstance(store, LocalStore) else "server",
                     "kernel_upload_limit": KERNEL_UPLOAD_LIMIT, "sources": source_names()})


def source_names() -> list[str]:
    """The configured sync sources (attachable by name); none when their folder cannot be
    read (the data manager still lists the datasets)."""
    from ..errors import AxisError
    from ..sync import config as sconfig

    try:
        return sorted(sconfig.list_sources())
    except (AxisError, OSError):
        return []


def stage(store, dataset=None, *, filename, data) -> dict:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ParameterError("data must be the file's bytes in base64.", param="data") from None
    if len(raw) > KERNEL_UPLOAD_LIMIT:
        raise ParameterError(f"files over {KERNEL_UPLOAD_LIMIT >> 20} MB upload through the Jupyter "
                             "server extension; or load the file with %axis load PATH.", param="data")
    return staging.stage_bytes(raw, filename)


def preview(store, dataset=None, *, upload, mapping=None, kind="auto", encoding="utf-8") -> dict:
    return jsonable(staging.preview(upload, mapping=mapping, kind=kind, encoding=encoding or "utf-8"))


def commit_staged(store, upload: str, *, name: str | None = None, kind: str = "auto",
                  mapping: dict | None = None, encoding: str = "utf-8") -> dict:
    """Load a staged file into ``store`` as dataset ``name``; the staged file goes once the
    load succeeded and stays when it fails (nothing is lost: fix the mapping, commit again).
    Returns the dataset's info."""
    from ..store.local import check_name, dataset_name_from

    meta = staging.staged(upload)
    mapping = staging.check_mapping(mapping)
    kind = staging.check_kind(kind)
    name = check_name(name or dataset_name_from(meta["filename"]))
    ds = store.load(meta["path"], name=name, kind=kind, mapping=mapping or None,
                    encoding=encoding or "utf-8")
    staging.finish(upload)
    return store.info(ds.name)


def commit(store, dataset=None, *, upload, name=None, kind="auto", mapping=None,
           encoding="utf-8") -> dict:
    info = commit_staged(store, upload, name=name, kind=kind, mapping=mapping, encoding=encoding)
    return jsonable({"dataset": info["name"], "rows": info["rows"], "kind": info["kind"],
                     "layout": info.get("layout"), "warnings": info.get("warnings", [])})


def discard(store, dataset=None, *, upload) -> dict:
    return staging.discard(upload)


def delete(store, dataset=None, *, name) -> dict:
    store.info(name)  # NotFoundError for an unknown name
    store.drop(name)
    return {"deleted": name}


def attach(store, dataset=None, *, name, backend, table, kind="auto", mapping=None,
           password_env=None) -> dict:
    """Attach an engine's table (``backend``: a URL or a configured source's name); the
    answer is the dataset's row as the list shows it (no URL, no password: the row's
    ``source`` names the engine, host and table only)."""
    from ..store.names import check_name

    name = check_name(name)  # before connecting: a bad name costs no connection
    mapping = staging.check_mapping(mapping)
    ds = store.attach(name, backend, table, kind=staging.check_kind(kind or "auto"),
                      mapping=mapping or None, password_env=password_env or None)
    row = next((r for r in dataset_rows(store) if r["name"] == ds.name), {"name": ds.name})
    return jsonable({"dataset": row})


SPEC = ViewSpec(
    name=VIEW,
    description="the data manager: datasets, uploads with a preview, attach, delete",
    actions={"payload": payload, "stage": stage, "preview": preview, "commit": commit,
             "discard": discard, "delete": delete, "attach": attach},
    guarded={"attach": "axis:database"},
)
