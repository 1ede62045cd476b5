"""What the report generator shows (reference: upstream-ui.md §1.2 "Report modal").

The report view (``%axis show report DATASET``) and the scorecard's "Generate report"
modal use these actions (the scorecard under the names ``report_setup``, ...: see
:data:`SCORECARD_ACTIONS`). A report is a job of the store's runner
(:mod:`axis_jupyter.reports.jobs`), followed by polling ``events``.

``setup``     {node?} -> {configured, note, kinds, modes, fields, metrics (the dataset's metric
              names), preselected (``node`` and what is below it), counts {metrics,
              components, cases, low, high}, defaults}
``start``     {kind, mode, threshold, metrics | node, sample_rate, max_issues, include_nan,
              fields} -> {job_id}
``events``    {job_id, after} -> {state, events, report, error}
``cancel``    {job_id} -> {state}
``markdown``  {job_id} -> {filename, text}
"""

from __future__ import annotations

from .. import llm
from ..analytics.issues import CONTEXT_FIELDS, DEFAULT_FIELDS
from ..reports import KINDS, jobs
from ..reports.generate import NOT_CONFIGURED, subtree_metrics
from .registry import ViewSpec

VIEW = "report"
THRESHOLD = 0.5


def _counts(store, dataset: str) -> dict:
    """Metrics, components, test cases, and leaf metrics whose mean is below / above the
    report threshold (the scorecard's report bar)."""
    info = store.info(dataset)
    summary = store.analytic(dataset, "summary")
    types: dict[str, str] = {}
    if any(c["name"] == "metric_type" for c in info.get("columns", [])):
        from ..ingest.readers import quote_ident

        df = store.sql(f"SELECT DISTINCT metric_name, metric_type FROM {quote_ident(dataset)}")
        types = {m: str(t or "metric").lower() for m, t in df.itertuples(index=False, name=None)}
    leaves = summary[[types.get(m, "metric") == "metric" for m in summary["metric_name"]]]
    return {"metrics": int(len(leaves)),
            "components": sum(1 for t in types.values() if "component" in t),
            "cases": int(info.get("records") or 0),
            "low": int((leaves["mean"] < THRESHOLD).sum()),
            "high": int((leaves["mean"] >= THRESHOLD).sum())}


def setup(store, dataset: str, node: str | None = None) -> dict:
    configured = llm.configured()
    return {"configured": configured, "note": None if configured else NOT_CONFIGURED,
            "kinds": list(KINDS), "modes": ["low", "high", "overall"],
            "fields": list(CONTEXT_FIELDS), "default_fields": list(DEFAULT_FIELDS),
            "metrics": list(store.info(dataset).get("metrics") or []),
            "preselected": subtree_metrics(store, dataset, node) if node else [],
            "counts": _counts(store, dataset),
            "defaults": {"kind": "summary", "mode": "low", "threshold": THRESHOLD,
                         "max_issues": 100, "sample_rate": 1.0, "include_nan": False}}


def start(store, dataset: str, kind: str = "summary", mode: str = "low",
          threshold: float = THRESHOLD, metrics=None, node: str | None = None,
          sample_rate: float = 1.0, max_issues: int = 100, include_nan: bool = False,
          fields=None) -> dict:
    job = jobs.start(store, dataset, kind, metrics=metrics or None, node=node, mode=mode,
                     threshold=threshold, sample_rate=sample_rate, max_issues=max_issues,
                     include_nan=include_nan, fields=fields)
    return {"job_id": job.id}


def events(store, dataset: str, job_id: str | None = None, after: int = 0) -> dict:
    return jobs.poll(jobs.report_job(store.jobs, job_id or ""), after)


def cancel(store, dataset: str, job_id: str | None = None) -> dict:
    job = jobs.report_job(store.jobs, job_id or "")
    if not job.done:
        job.cancel()
    return {"state": job.state}


def markdown(store, dataset: str, job_id: str | None = None) -> dict:
    filename, text = jobs.markdown(jobs.report_job(store.jobs, job_id or ""))
    return {"filename": filename, "text": text}


ACTIONS = {"setup": setup, "start": start, "events": events, "cancel": cancel,
           "markdown": markdown}
#: The same actions for the scorecard's "Generate report" modal.
SCORECARD_ACTIONS = {f"report_{name}": fn for name, fn in ACTIONS.items()}
#: Writing a report over HTTP also needs write on axis:reports, as POST reports does.
GUARDED = {"start": "axis:reports", "cancel": "axis:reports"}
SCORECARD_GUARDED = {f"report_{name}": resource for name, resource in GUARDED.items()}
SPEC = ViewSpec(VIEW, "an AI report on the issues of an evaluation: configure, stream, export",
                actions=ACTIONS, kinds=("evals",), guarded=GUARDED)
