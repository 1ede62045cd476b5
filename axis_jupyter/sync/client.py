"""Sources and sync of a store served by the Jupyter server: the same calls over its HTTP API.

The server owns the store and runs each sync as a server job; this side saves sources
through ``POST sync/sources``, starts syncs with ``POST sync[/{source}]`` and follows the
jobs' events (progress reaches ``progress`` as it does for an embedded store).
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from .. import wire
from ..errors import AxisError
from ..store.remote import RemoteStore


def add_source(store: RemoteStore, name: str, kind: str, url: str, dataset_query: str,
               results_query: str | None = None, incremental_column: str | None = None,
               partition_column: str | None = None, refresh_interval_minutes: float = 0,
               **options) -> dict:
    """Save a source on the server (its YAML lives in the server's config dir)."""
    body = dict(name=name, kind=kind, url=url, dataset_query=dataset_query,
                results_query=results_query, incremental_column=incremental_column,
                partition_column=partition_column,
                refresh_interval_minutes=refresh_interval_minutes, **options)
    body = {k: v for k, v in body.items() if v is not None}
    return store.request_json("POST", "sync", "sources", content=wire.dumps(body),
                              headers={"Content-Type": "application/json"})["source"]


def sources(store: RemoteStore) -> list[dict]:
    """The sources saved on the server (no secrets): what the server syncs."""
    return store.request_json("GET", "sync", "sources")["sources"]


def delete_source(store: RemoteStore, name: str) -> None:
    """Delete a source saved on the server (404 unknown, 409 while it syncs)."""
    store.request_json("DELETE", "sync", "sources", name)


def sync(store: RemoteStore, name: str | None = None, full: bool = False,
         progress: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Run the sync as server jobs, following their events; the status per dataset."""
    path = ("sync", name) if name else ("sync",)
    started = store.request_json("POST", *path, params={"full": "true" if full else "false"},
                                 content=b"")
    jobs = [started["job"]] if "job" in started else started.get("jobs", [])
    for job in jobs:
        def on_event(event: str, data: Any, _p=progress) -> None:
            if _p is not None and event == "progress" and isinstance(data, dict) and "phase" in data:
                _p(data)  # the sync's steps, not the job's queued/running notices
        try:
            store.wait_job(job["id"], on_event)
        except AxisError:
            if name:  # one source: its failure is the answer
                raise
    status = store.request_json("GET", "sync")["datasets"]
    rows = [dict(v, source=k) if "source" not in v else v for k, v in status.items()]
    if name:
        rows = [r for r in rows if r.get("source") == name]
    return pd.DataFrame(rows)


def sync_status(store: RemoteStore) -> dict[str, dict]:
    """The server's sync status per source ({name: {state, rows, last_sync, ...}})."""
    return store.request_json("GET", "sync")["datasets"]
