"""Reports as jobs: the one path of the HTTP API, the report view and ``ds.report``.

:func:`start` checks everything (dataset, kind, mode, the key) and runs
:func:`~.generate.generate_report` as a job of the store's runner; its events are the
report's ``thought``, ``text`` and ``insights`` events, then ``result`` (the report as JSON)
and ``done``. :func:`poll` gives the events after a sequence number.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConflictError
from ..analytics import registry
from .generate import check_kind, generate_report, make_judge, subtree_metrics
from .report import Report

KIND = "report"
ARGS = ("mode", "threshold", "sample_rate", "max_issues", "include_nan", "fields", "filters")


def start(store, dataset: str, kind: str = "summary", *, metrics=None, node: str | None = None,
          owner: str | None = None, runner=None, **args: Any):
    """Start writing a report as a job; returns the job. ``node``: a metric-tree node, the
    report covers it and everything below it (instead of ``metrics``)."""
    store.info(dataset)  # NotFoundError for an unknown dataset
    kind = check_kind(kind)
    unknown = set(args) - set(ARGS)
    if unknown:
        from ..errors import ParameterError

        name = sorted(unknown)[0]
        raise ParameterError(f"reports have no parameter {name!r} (parameters: kind, metrics, "
                             f"node, {', '.join(ARGS)}).", param=name)
    if node:
        metrics = subtree_metrics(store, dataset, node)
    args = {k: v for k, v in args.items() if v is not None}
    # the extraction's parameters are the issues analytic's: a wrong one is named now
    registry.get("issues", store.info(dataset)["kind"]).check({**args, "metrics": metrics})
    make_judge()  # no API key: refused now, before a job starts
    runner = runner if runner is not None else store.jobs

    def work(job):
        report = generate_report(store, dataset, kind=kind, metrics=metrics, **args,
                                 emit=job.emit, cancelled=lambda: job.cancelled)
        return report.to_dict()

    return runner.start(KIND, work, owner=owner,
                        params={"dataset": dataset, "kind": kind, "metrics": metrics, **args})


def report_job(runner, job_id: str):
    """The report job ``job_id`` of ``runner`` (NotFoundError for any other job)."""
    return runner.get(job_id, KIND, "report job")


def poll(job, after: int = 0) -> dict:
    """``{state, events, report (once succeeded), error}`` after sequence ``after``."""
    return job.poll(after, "report")


def markdown(job) -> tuple[str, str]:
    """``(file name, Markdown)`` of a finished report job; ConflictError before it is."""
    if job.state != "succeeded":
        raise ConflictError(f"report {job.id} is {job.state}; download it once it has succeeded.")
    report = Report.from_dict(job.result)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{report.dataset}-{report.kind}-report.md")
    return name, report.to_markdown()
