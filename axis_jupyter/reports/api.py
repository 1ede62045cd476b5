"""``ds.report(kind, ...)``: a report written where the store lives, followed from here.

For an embedded store the report is a job of the store's runner in this process; for the
Jupyter server's store (``RemoteStore``) it is a server job started with ``POST reports``
and followed through its event stream. Either way ``on_event(event, data)`` sees the
thoughts and the streamed text on the calling thread, and a :class:`~.report.Report` comes
back (``.save(path)`` writes the Markdown file).
"""

from __future__ import annotations

from typing import Any, Callable

from .jobs import start
from .report import Report


def is_remote(store) -> bool:
    """The Jupyter server's store, reached over HTTP (its jobs run in the server)."""
    from ..store.remote import RemoteStore

    return isinstance(store, RemoteStore)


def report(store, dataset: str, kind: str = "summary", *, mode: str = "low",
           threshold: float = 0.5, metrics=None, node: str | None = None,
           sample_rate: float = 1.0, max_issues: int = 100, include_nan: bool = False,
           fields=None, filters: dict | None = None,
           on_event: Callable[[str, Any], None] | None = None) -> Report:
    args = {"mode": mode, "threshold": threshold, "sample_rate": sample_rate,
            "max_issues": max_issues, "include_nan": include_nan, "fields": fields,
            "filters": filters}
    if is_remote(store):
        body = {"dataset": dataset, "kind": kind, "metrics": metrics, "node": node, **args}
        started = store.request_json("POST", "reports",
                                     json={k: v for k, v in body.items() if v is not None})
        job = store.wait_job(started["job"]["id"], on_event)
        return Report.from_dict(job["result"])
    job = start(store, dataset, kind, metrics=metrics, node=node, **args)
    job.follow(on_event)
    return Report.from_dict(job.outcome())
