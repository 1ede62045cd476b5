"""HTTP API of evaluation runs (issue: evaluation runner, live runs).

Routes, relative to ``{base_url}axis/api/`` (``auth_resource = "axis:evals"``):

  GET    evals/metrics          the metric catalogue (key, name, needs_llm, required fields, ...)
  POST   evals/mapping          {columns: [...]} -> suggested canonical-field mapping
  GET    evals/runs             eval-run jobs, newest first
  POST   evals/runs             {source, metrics, mapping?, name?, concurrency?} -> 202 {job, events}
                                (the scoring runs as a server job; its SSE stream at
                                jobs/{id}/events reports done/total items x metrics)
  GET    evals/runs/{job_id}    one run (state, progress, result summary)
  DELETE evals/runs/{job_id}    cancel a run

A run with LLM metrics and no API key is refused with 400 before a job starts; one run per
results name at a time (409).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter.errors import QueryError
from axis_jupyter.views.base import jsonable

from .base import AxisHandler


class _EvalsBase(AxisHandler):
    auth_resource = "axis:evals"


class MetricsHandler(_EvalsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The metric catalogue."""
        from axis_jupyter.evals.api import metrics_catalogue

        df = await self.run_blocking(metrics_catalogue)
        self.write_json({"metrics": jsonable(df.to_dict("records"))})


class MappingHandler(_EvalsBase):
    openapi = {"post": {"body": {"application/json": {"columns": "the dataset's column names"}}}}

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Suggest a canonical-field mapping for the given columns."""
        from axis_jupyter.evals.api import suggest_mapping

        cols = self.json_body().get("columns")
        if not isinstance(cols, list):
            raise QueryError("columns must be a list of column names.")
        self.write_json({"mapping": suggest_mapping([str(c) for c in cols])})


def _check_llm(metric_keys: list) -> None:
    """Refuse LLM metrics without a key before a job exists (clear 400)."""
    from axis_jupyter import evals
    from axis_jupyter.llm import Judge

    specs = evals.resolve_metrics(metric_keys)
    if any(s.metric.needs_llm for s in specs):
        Judge.from_env()  # raises LLMNotConfigured (an AxisError, 400)


class RunsHandler(_EvalsBase):
    openapi = {"post": {"body": {"application/json": {
        "source": "dataset name (or a file path on the server)", "metrics": "list of metric keys",
        "mapping": "optional {canonical_field: column}", "name": "results dataset name",
        "concurrency": "items x metrics scored at once (default 8)"}},
        "responses": {"202": "the run job", "400": "bad request or LLM key missing",
                      "409": "a run with that name is running"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Eval-run jobs, newest first."""
        self.write_json({"runs": [j.to_dict(result=False) for j in self.jobs.list("eval_run")]})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Start an evaluation run as a job."""
        import uuid

        from axis_jupyter.evals.api import evaluate

        body = self.json_body()
        source, metrics = body.get("source"), body.get("metrics")
        if not source or not isinstance(source, str):
            raise QueryError("source (a dataset name) is required.")
        if not metrics or not isinstance(metrics, list):
            raise QueryError("metrics must be a non-empty list of metric keys.")
        mapping = body.get("mapping") or None
        if mapping is not None and not isinstance(mapping, dict):
            raise QueryError("mapping must be an object {canonical_field: column}.")
        name = body.get("name") or f"eval_{uuid.uuid4().hex[:8]}"
        try:
            concurrency = max(1, min(64, int(body.get("concurrency", 8))))
        except (TypeError, ValueError):
            raise QueryError("concurrency must be an integer.") from None
        await self.run_blocking(_check_llm, metrics)
        store = self.store

        def work(job):
            def on_progress(done: int, total: int) -> None:
                if job.cancelled:
                    job.check_cancelled()
                job.progress(done=done, total=total, stage="scoring")

            job.progress(done=0, total=None, stage="preparing")
            ds = evaluate(store, source, metrics, mapping=mapping, name=name,
                          max_concurrent=concurrency, on_progress=on_progress)
            summary = ds.summary()
            job.log(f"results stored as dataset {name!r}")
            return {"dataset": name, "rows": ds.info["rows"], "records": ds.info["records"],
                    "summary": jsonable(summary.to_dict("records"))}

        job = self.jobs.start("eval_run", work, key=f"eval:{name}",
                              params={"source": source, "metrics": metrics, "name": name})
        self.job_accepted(job)


class RunHandler(_EvalsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str):
        """One run: state, progress, result summary."""
        self.write_json({"run": self.jobs.get(job_id).to_dict()})

    @tornado.web.authenticated
    @authorized
    async def delete(self, job_id: str):
        """Cancel a run."""
        self.write_json({"run": self.jobs.cancel(job_id).to_dict(result=False)})


def routes():
    return [
        (r"evals/metrics", MetricsHandler),
        (r"evals/mapping", MappingHandler),
        (r"evals/runs", RunsHandler),
        (r"evals/runs/(?P<job_id>[0-9a-f]+)", RunHandler),
    ]
