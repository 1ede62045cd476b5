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
  POST   evals/agent/test       {agent, query?} -> one call to the agent: raw reply, answer, latency
  GET    evals/results          the stored runs (results datasets), newest first
  GET    evals/results/{name}/export?format=csv|parquet|json|jsonl   the results as a download
  POST   evals/results/{name}/rerun    {name?, agent?} -> 202 job scoring only the failed rows again
  POST   evals/results/{name}/compare  {earlier, name?} -> both runs as one dataset to compare

``agent`` (``POST evals/runs`` and ``evals/agent/test``) is called *from the Jupyter server*:
the URL must be reachable from it, link-local and cloud-metadata addresses are refused, and
``headers_env`` may name only variables agents may read (``AXIS_AGENT_*`` or the server's
``AXIS_AGENT_ENV_ALLOW``; never the server's tokens, LLM keys or database passwords), see
``axis_jupyter.evals.agent_config``.

A run with LLM metrics and no API key is refused with 400 before a job starts; one run per
results name at a time (409). The runs are started by ``axis_jupyter.evals.runs.start_run``
(the same code path as the runner widget and Python), as jobs of this server's JobRunner.

``source`` is a dataset of the store (an uploaded file is one: ``POST datasets``) or a file
path that the requesting user could read through the contents API — relative to the Jupyter
root (or absolute inside it), no ``..``, not hidden, symlinks resolved inside the root (see
``server_files``). A file that fails to load is reported without any of its content: line
numbers and column positions only (``IngestError.public``).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from axis_jupyter.errors import NotFoundError, QueryError
from axis_jupyter.wire import jsonable

from axis_jupyter.llm.providers import PROVIDERS

from .base import AxisHandler
from .server_files import readable_file
from .params import Body, Param, Spec, described


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
    params = {"post": Spec(body=Body({"columns": described(P.STRINGS, "the dataset's column names")},
                                     required=("columns",)))}

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Suggest a canonical-field mapping for the given columns."""
        from axis_jupyter.evals.api import suggest_mapping

        cols = self.body_args().get("columns")
        if not isinstance(cols, list):
            raise QueryError("columns must be a list of column names.")
        self.write_json({"mapping": suggest_mapping([str(c) for c in cols])})


class RunsHandler(_EvalsBase):
    params = {"post": Spec(body=Body({
        "source": described(P.STRING, "dataset name, or a file path inside the Jupyter root that you may read "
                                   "through the contents API"),
        "metrics": described({"type": "array", "items": {"anyOf": [P.STRING, P.OBJECT]}, "minItems": 1},
                             "list of metric keys, or {key, name?, threshold?, provider?, model?, "
                             "params...}"),
        "mapping": described({"type": "object", "additionalProperties": P.nullable(P.STRING)},
                             "optional {canonical_field: column} (null/\"\" unmaps a "
                             "suggested field)"),
        "name": described(P.STRING, "results dataset name"),
        "concurrency": described(P.integer(1, 256), "items x metrics scored at once (default 8)"),
        "thresholds": described({"type": "object", "additionalProperties": P.NUMBER},
                                "optional {metric_name: pass threshold}"),
        "detail": described(P.BOOL, "explanations for heuristic metrics (default: up to 20k "
                                    "items)"),
        "agent": described(P.OBJECT, "fill empty outputs first from your agent, called from the "
                                     "server: {url, body, answer_path, headers, headers_env, timeout, "
                                     "retries} or {mode: prompt, system_prompt, prompt_template, "
                                     "provider, model}"),
        "provider": described(P.one_of(*PROVIDERS), "the judges' LLM provider (default: the server's "
                                                    "configuration)"),
        "model": described(P.STRING, "the judges' model")},
        required=("source", "metrics")))}
    openapi = {"post": {
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
        """Start an evaluation run as a job (``axis_jupyter.evals.runs.start_run``)."""
        from axis_jupyter.evals.runs import start_run

        body = self.body_args()
        source, metrics = body.get("source"), body.get("metrics")
        if not source or not isinstance(source, str):
            raise QueryError("source (a dataset name) is required.")
        source = await self._dataset_or_file(source)
        if not metrics or not isinstance(metrics, list):
            raise QueryError("metrics must be a non-empty list of metric keys.")
        mapping = body.get("mapping") or None
        if mapping is not None and not isinstance(mapping, dict):
            raise QueryError("mapping must be an object {canonical_field: column}.")
        thresholds = body.get("thresholds") or None
        if thresholds is not None and not isinstance(thresholds, dict):
            raise QueryError("thresholds must be an object {metric_name: threshold}.")
        detail = body.get("detail")
        if detail is not None and not isinstance(detail, bool):
            raise QueryError("detail must be true or false.")
        concurrency = body.get("concurrency", 8)
        if isinstance(concurrency, bool):
            raise QueryError("concurrency must be an integer.")
        run_id = await self.run_blocking(
            start_run, self.store, source, metrics, mapping=mapping, name=body.get("name") or None,
            concurrency=concurrency, thresholds=thresholds, detail=detail, runner=self.jobs,
            public_errors=True, agent=body.get("agent"), provider=body.get("provider"),
            model=body.get("model"))
        self.job_accepted(self.jobs.get(run_id))

    async def _dataset_or_file(self, source: str) -> str:
        """A dataset name as it is; otherwise the vetted OS path of a readable file."""
        names = await self.run_blocking(lambda: set(self.store.datasets()["name"]))
        if source in names:
            return source
        return await readable_file(self, source, "source")


class RunHandler(_EvalsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str):
        """One run: the job (state, progress, result summary) and its run status
        (running means, error counts, log)."""
        from axis_jupyter.evals.runs import RUN_KIND, status_from_job

        job = self.jobs.get(job_id)
        if job.kind != RUN_KIND:
            raise NotFoundError(f"job {job_id} is a {job.kind} job, not an evaluation run.")
        d = job.to_dict()
        logs = [e.data for e in job.events_after(0) if e.event == "log"]
        self.write_json({"run": d, "status": jsonable(status_from_job(d, "job", logs))})

    @tornado.web.authenticated
    @authorized
    async def delete(self, job_id: str):
        """Cancel a run."""
        self.write_json({"run": self.jobs.cancel(job_id).to_dict(result=False)})


class AgentTestHandler(_EvalsBase):
    params = {"post": Spec(body=Body({
        "agent": described(P.OBJECT, "the agent's settings, as for POST evals/runs"),
        "query": described(P.STRING, "the sample question (default 'Hello, how are you?')")},
        required=("agent",)))}

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Call the agent once from the server: ok, status, latency_ms, the request sent, the
        raw reply (first 2,000 characters), the extracted answer and the error."""
        from axis_jupyter.evals.agent import test_connection

        body = self.body_args()
        out = await self.run_blocking(test_connection, body["agent"],
                                      body.get("query") or "Hello, how are you?")
        self.write_json(jsonable(out))


class ResultsHandler(_EvalsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The stored runs: name, source, run_id, metrics, agent, rows, records, updated."""
        from axis_jupyter.evals.results import list_runs

        df = await self.run_blocking(list_runs, self.store)
        self.write_json({"runs": jsonable(df.to_dict("records"))})


class ExportHandler(_EvalsBase):
    params = {"get": Spec(query=(Param("format", P.one_of("csv", "parquet", "json", "jsonl"),
                                       "file format (default csv)"),))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """The run's results as a file download."""
        from axis_jupyter.evals.results import MIME, export_bytes, open_run

        fmt = self.query_args().get("format", "csv")

        def build():
            return export_bytes(open_run(self.store, name).frame(), fmt)

        data = await self.run_blocking(build)
        self.check_answer_size(len(data))
        self.set_header("Content-Disposition", f'attachment; filename="{name}.{fmt}"')
        self.finish(data, set_content_type=MIME[fmt])


class RerunHandler(_EvalsBase):
    params = {"post": Spec(body=Body({
        "agent": described(P.OBJECT, "the agent to ask again for unanswered items (default: the run's)")}))}
    openapi = {"post": {"responses": {"202": "the re-run job", "409": "a run with that name is running"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Score the run's failed rows again (and ask the agent again for unanswered items),
        as a job."""
        from axis_jupyter.evals.runs import start_rerun

        body = self.body_args()
        job_id = await self.run_blocking(start_rerun, self.store, name, agent=body.get("agent"),
                                         runner=self.jobs)
        job = self.jobs.get(job_id)
        self.job_accepted(job)


class CompareHandler(_EvalsBase):
    params = {"post": Spec(body=Body({
        "earlier": described(P.STRING, "the earlier run's results dataset"),
        "name": described(P.STRING, "dataset to write (default <run>_vs_<earlier>)")},
        required=("earlier",)))}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Both runs in one evaluation dataset, one experiment each (for the compare view)."""
        from axis_jupyter.evals.results import open_run

        body = self.body_args()

        def build():
            return open_run(self.store, name).compare_with(body["earlier"], body.get("name") or None).name

        self.write_json({"dataset": await self.run_blocking(build), "baseline": body["earlier"],
                         "challenger": name})


def routes():
    return [
        (r"evals/metrics", MetricsHandler),
        (r"evals/mapping", MappingHandler),
        (r"evals/runs", RunsHandler),
        (r"evals/runs/(?P<job_id>[0-9a-f]+)", RunHandler),
        (r"evals/agent/test", AgentTestHandler),
        (r"evals/results", ResultsHandler),
        (r"evals/results/(?P<name>[A-Za-z0-9_]+)/export", ExportHandler),
        (r"evals/results/(?P<name>[A-Za-z0-9_]+)/rerun", RerunHandler),
        (r"evals/results/(?P<name>[A-Za-z0-9_]+)/compare", CompareHandler),
    ]
