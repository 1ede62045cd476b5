"""HTTP API of reports (``auth_resource = "axis:reports"``).

Routes, relative to ``{base_url}axis/api/``:

  GET   reports                        status: configured, kinds, modes, context fields,
                                       the model, whether insight patterns are available
  POST  reports                        {dataset, kind, mode, threshold, metrics | node,
                                       sample_rate, max_issues, include_nan, fields, filters}
                                       -> 202 {job, events}: the report is written by a server
                                       job; its SSE stream at jobs/{id}/events carries
                                       ``thought`` (extract-1, extract-2, generate-1,
                                       complete-1), ``text`` ({id, delta}: the Markdown as it
                                       streams), ``insights`` when available, ``result``
  GET   reports/{job_id}               the job and, once finished, the report
  GET   reports/{job_id}/markdown      the report as a Markdown file (download)

``node`` reports on one branch of the metric tree (the node and every metric below it; the
scorecard's per-row "Report" button), ``metrics`` on a list of metrics. Issue extraction
alone, without a model, is the ``issues`` analytic (``POST
datasets/{name}/analytics/issues``, read access). Without ``ANTHROPIC_API_KEY`` a report is
refused with 400 before any job starts.

Authorization: GET needs ``read``; writing a report (POST) is a ``write`` (it spends the
server owner's model budget, like an evaluation run).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P

from .base import AxisHandler
from .params import Body, Spec, described

_FIELDS = ("query", "actual_output", "expected_output", "retrieved_content", "conversation",
           "signals", "critique")


class _ReportsBase(AxisHandler):
    auth_resource = "axis:reports"


class ReportsHandler(_ReportsBase):
    params = {"post": Spec(body=Body({
        "dataset": described(P.STRING, "the evaluation dataset"),
        "kind": described(P.one_of("summary", "detailed", "grouped", "recommendations"),
                          "the report's shape (default summary)"),
        "mode": described(P.one_of("low", "high", "overall"), "which scores: low (<= "
                          "threshold), high (> threshold) or overall (default low)"),
        "threshold": described(P.number(-1e12, 1e12), "score threshold (default 0.5)"),
        "metrics": described(P.STRINGS, "only these metrics"),
        "node": described(P.STRING, "a metric-tree node: it and every metric below it"),
        "sample_rate": described(P.number(0.001, 1), "share of records, picked by md5 of "
                                                     "the record id (default 1)"),
        "max_issues": described(P.integer(1, 500), "issues sent to the model (default 100)"),
        "include_nan": described(P.BOOL, "include missing scores (default false)"),
        "fields": described({"type": "array", "items": P.one_of(*_FIELDS)},
                            "context fields of each issue"),
        "filters": described(P.OBJECT, "row filters, as for analytics")},
        required=("dataset",)))}
    openapi = {"post": {"responses": {"202": "the report's job and its events URL",
                                      "400": "a parameter is wrong, or no API key is set",
                                      "404": "unknown dataset"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Report status: whether reports can be written, the kinds, modes and fields."""
        from axis_jupyter import llm
        from axis_jupyter.reports import KINDS, insights

        self.write_json({"configured": llm.configured(), "kinds": list(KINDS),
                         "modes": ["low", "high", "overall"], "fields": list(_FIELDS),
                         "insights_available": insights.available()})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Write a report as a server job (events: thought, text, insights, result)."""
        from axis_jupyter.reports import jobs

        body = self.body_args()
        user = self.current_user
        job = await self.run_blocking(
            jobs.start, self.store, body["dataset"], body.get("kind", "summary"),
            metrics=body.get("metrics"), node=body.get("node"), runner=self.jobs,
            owner=getattr(user, "username", None), **{k: body[k] for k in jobs.ARGS if k in body})
        self.job_accepted(job)


class ReportHandler(_ReportsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str):
        """A report's job and, once it has finished, the report."""
        from axis_jupyter.reports import jobs

        job = jobs.report_job(self.jobs, job_id)
        self.write_json({"job": job.to_dict(result=False),
                         "report": job.result if job.state == "succeeded" else None})


class ReportMarkdownHandler(_ReportsBase):
    openapi = {"get": {"content": "text/markdown",
                       "responses": {"200": "the report as a Markdown file",
                                     "409": "the report is not finished"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str):
        """Download a finished report as Markdown."""
        from axis_jupyter.reports import jobs

        name, text = jobs.markdown(jobs.report_job(self.jobs, job_id))
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish(text, set_content_type="text/markdown; charset=utf-8")


def routes():
    return [
        (r"reports", ReportsHandler),
        (r"reports/(?P<job_id>[0-9a-f]+)", ReportHandler),
        (r"reports/(?P<job_id>[0-9a-f]+)/markdown", ReportMarkdownHandler),
    ]
