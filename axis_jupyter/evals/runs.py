"""Evaluation runs in the background: start, watch, cancel.

One code path for every caller — ``POST evals/runs`` (the HTTP API), the runner widget's
``start`` action and Python::

    run_id = start_run(store, "inputs", ["exact_match", "token_f1"], name="run1")
    run_status(run_id)   # {"state": "running", "done": 12, "total": 20, "means": {...}, ...}
    follow_run(run_id, on_event)  # block, calling on_event(event, data) for each job event
    cancel_run(run_id)   # stops promptly: the scoring task is cancelled (in-flight judge
                         # requests included) within ~50 ms
    wait_run(run_id)     # block until it finished; returns the final status

Where the work runs: a run is an ``eval_run`` job (:mod:`axis_jupyter.jobs`, the work in
:mod:`.run_work`) of the store's runner, ``store.jobs`` — in a plain Python process the
store's own worker threads (status ``executor: "thread"``); in the Jupyter server the
server's runner, which the extension opened its store with (``executor: "job"``: listed in
``GET axis/api/jobs``, progress over SSE). ``start_run(..., runner=)`` or
:func:`use_job_runner` pick another runner. When ``store`` is a client of the server's
store (a kernel under JupyterLab) the run is started there through ``POST evals/runs`` and
watched through ``GET evals/runs/{id}`` (``executor: "server"``).

The status dict is described in :mod:`.run_status`. LLM metrics without an API key are
refused by :func:`start_run` itself (``LLMNotConfigured``), before any job exists. Judge
verdicts are cached per process (plus the SQLite file of ``AXIS_JUDGE_CACHE`` when set), so
re-running the same metrics on the same items makes no new LLM requests.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from typing import Any, Callable, Mapping

from .. import wire
from ..errors import AxisError, ConflictError, NotFoundError, QueryError
from ..jobs import Job, JobRunner
from ..store.remote import RemoteStore
from .run_status import status_from_job
from .run_work import _CACHES, RunCancelled, RunPlan, execute, make_judge, shared_cache  # noqa: F401

RUN_KIND = "eval_run"
MAX_CONCURRENCY = 64
FINAL = ("succeeded", "failed", "cancelled")

_lock = threading.RLock()
_JOB_RUNNER: JobRunner | None = None
_RUNS: dict[str, Any] = {}  # run id -> _JobRun | _RemoteRun, the runs this process started
_KEEP_RUNS = 200


def use_job_runner(runner: JobRunner | None) -> None:
    """Run every evaluation this process starts as a job of ``runner`` (``None``: each on
    its store's runner again)."""
    global _JOB_RUNNER
    with _lock:
        _JOB_RUNNER = runner


def _usable(runner: Any) -> bool:
    return runner is not None and not runner.closed


class _JobRun:
    """A run that is a job of a runner in this process."""

    def __init__(self, runner: JobRunner, job: Job):
        self.runner, self.job, self.id = runner, job, job.id

    @property
    def done(self) -> bool:
        return self.job.done

    def cancel(self) -> None:
        if not self.job.done:
            self.job.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        return self.job.wait_sync(timeout)

    def status(self) -> dict:
        return status_from_job(self.job.to_dict(), executor=self.runner.executor,
                               logs=self.job.logs(100))


class _RemoteRun:
    """A run started on the Jupyter server through its HTTP API (``store`` is remote)."""

    executor = "server"
    done = False  # never kept back from pruning

    def __init__(self, store: RemoteStore, job_id: str):
        self.store, self.id = store, job_id

    def cancel(self) -> None:
        if self.status()["state"] not in FINAL:
            self.store.request_json("DELETE", "evals", "runs", self.id)

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.status()["state"] in FINAL:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def status(self) -> dict:
        body = self.store.request_json("GET", "evals", "runs", self.id)
        if "status" in body:
            return dict(body["status"], executor=self.executor)
        return status_from_job(body["run"], executor=self.executor)


def _remember(run_id: str, handle: Any) -> None:
    with _lock:
        _RUNS[run_id] = handle
        if len(_RUNS) > _KEEP_RUNS:
            for rid in list(_RUNS)[: len(_RUNS) - _KEEP_RUNS]:
                h = _RUNS[rid]
                if isinstance(h, _JobRun) and not h.done:
                    continue
                _RUNS.pop(rid, None)


def start_run(store: Any, source: Any, metrics: list, mapping: dict | None = None,
              name: str | None = None, concurrency: int = 8, *, judge: Any = None,
              thresholds: dict | None = None, detail: bool | None = None,
              runner: JobRunner | None = None, allow_files: bool = True,
              public_errors: bool = False, agent: Any = None, provider: str | None = None,
              model: str | None = None) -> str:
    """Start scoring ``source`` (a dataset name, file path or frame) with ``metrics`` in the
    background; the results become evaluation dataset ``name``. Returns the run id.

    ``allow_files=False``: ``source`` must be a dataset of the store (the runner view, whose
    actions also answer HTTP requests, never loads a path it is sent). ``public_errors``:
    load errors carry no content of the data (for runs started over HTTP, whose caller has
    vetted any path: see ``axis_jupyter_server.server_files``).

    Raises before anything starts: ``QueryError`` for bad arguments, ``MetricNotFound`` for
    unknown metrics, ``LLMNotConfigured`` for LLM metrics without an API key (unless a
    ``judge`` is given), ``ConflictError`` when a run with that name is already running.
    ``runner``: the JobRunner to use (default: the store's, ``store.jobs``).
    ``detail``: explanations/signals for heuristic metrics (default: up to 20,000 items).
    ``agent``: fill empty outputs from the user's agent first (``AgentConfigError`` for bad
    settings, before anything starts; see :mod:`.agent_config`), reached from the process
    that runs the job. ``provider``/``model``: the judges' (see :mod:`axis_jupyter.llm.providers`).
    A metric whose required field is not mapped is refused up front (``MissingFields``).
    """
    from .api import check_metrics

    if not isinstance(metrics, (list, tuple)) or not metrics:
        raise QueryError("metrics must be a non-empty list of metric keys (see axis.metrics()).")
    metrics = list(metrics)
    if mapping is not None and not isinstance(mapping, Mapping):
        raise QueryError("mapping must be an object {canonical_field: column}.")
    try:
        concurrency = max(1, min(MAX_CONCURRENCY, int(concurrency)))
    except (TypeError, ValueError):
        raise QueryError("concurrency must be an integer.") from None
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise QueryError("name must be a non-empty string.")
    if not allow_files and not (isinstance(source, str) and _looks_like_name(source)):
        raise QueryError("source must be the name of a dataset (load or upload the file first).")
    name = name.strip() if name else f"eval_{uuid.uuid4().hex[:8]}"
    mapping = dict(mapping) if mapping else None

    if isinstance(store, RemoteStore):
        return _start_on_server(store, source, metrics, mapping, name, concurrency, judge,
                                thresholds, detail, agent, provider, model)

    from .agent_config import AgentConfig
    from .api import check_fields, mapped_fields

    specs = check_metrics(metrics, judge, thresholds, provider, model)  # LLMNotConfigured, up front
    agent_cfg = AgentConfig.parse(agent)
    if agent_cfg is not None and agent_cfg.mode == "prompt":
        from ..llm.providers import check_configured

        check_configured(agent_cfg.provider, agent_cfg.model)
    info = _info_or_none(store, source) if isinstance(source, str) and _looks_like_name(source) else None
    if info is not None:  # a missing dataset fails the run's job, with its message
        cols = [c["name"] if isinstance(c, dict) else str(c) for c in info.get("columns", [])]
        present = set(mapped_fields(cols, mapping)) | {"dataset_id"}
        if agent_cfg is not None:
            present |= {"actual_output", "latency"}
        check_fields(specs, present)  # MissingFields naming the field, before any job
    params = {"source": source if isinstance(source, str) else str(getattr(source, "name", "frame")),
              "metrics": [m if isinstance(m, str) else (m.get("name") or m.get("key")) if isinstance(m, Mapping)
                          else getattr(m, "key", str(m)) for m in metrics],  # names, not settings
              "name": name, "mapping": mapping, "concurrency": concurrency,
              "agent": agent_cfg.public() if agent_cfg is not None else None,
              "provider": provider, "model": model}
    plan = RunPlan(source=source, metrics=metrics, metric_names=[s.name for s in specs],
                   mapping=mapping, name=name, concurrency=concurrency,
                   needs_llm=any(s.metric.needs_llm for s in specs), judge=judge,
                   thresholds=thresholds, detail=detail, params=params,
                   public_errors=public_errors, agent=agent_cfg, provider=provider, model=model,
                   specs=specs)
    jobs = runner if _usable(runner) else _JOB_RUNNER if _usable(_JOB_RUNNER) else store.jobs
    key = f"eval:{name}"
    current = jobs.running(key)
    if current is not None:
        raise ConflictError(f"an evaluation run named {name!r} is already {current.state} "
                            f"(run {current.id}); wait for it or cancel it first.")
    job = jobs.start(RUN_KIND, lambda job: execute(store, plan, job), key=key, params=params)
    _remember(job.id, _JobRun(jobs, job))
    return job.id


def start_rerun(store: Any, name: str, *, agent: Any = None, runner: JobRunner | None = None) -> str:
    """Score the failed rows of stored run ``name`` again in the background (see
    ``EvalRun.rerun_failed``), as an ``eval_run`` job followed like any run. Returns its id.
    On a client of the server's store the re-run is started there (``POST
    evals/results/{name}/rerun``)."""
    from .results import open_run

    if isinstance(store, RemoteStore):
        body = {"agent": agent} if agent is not None else {}
        reply = store.request_json("POST", "evals", "results", name, "rerun",
                                   content=json.dumps(body).encode(),
                                   headers={"Content-Type": "application/json"})
        job_id = reply["job"]["id"]
        _remember(job_id, _RemoteRun(store, job_id))
        return job_id
    run = open_run(store, name)  # NotFoundError / EvalError before any job
    jobs = runner if _usable(runner) else _JOB_RUNNER if _usable(_JOB_RUNNER) else store.jobs
    key = f"eval:{name}"
    current = jobs.running(key)
    if current is not None:
        raise ConflictError(f"an evaluation run named {name!r} is already {current.state} "
                            f"(run {current.id}); wait for it or cancel it first.")
    n_failed = len(run.failed())

    def work(job):
        job.progress(stage="scoring", done=0, total=n_failed)
        job.log(f"re-running {n_failed:,} failed row(s) of {name!r}")
        out = run.rerun_failed(agent=agent)
        summary = out.summary()
        left = len(out.failed())
        job.progress(stage="storing", done=n_failed, total=n_failed)
        job.log(f"results stored as dataset {name!r}; {left:,} row(s) still without a score")
        info = out.info
        return wire.jsonable({"dataset": name, "run_id": job.id, "rows": info["rows"],
                              "records": info["records"], "metrics": list(summary["metric_name"]),
                              "errors": left, "summary": summary.to_dict("records")})

    params = {"source": run.config.get("source"), "name": name, "rerun_of": name, "metrics": []}
    job = jobs.start(RUN_KIND, work, key=key, params=params)
    _remember(job.id, _JobRun(jobs, job))
    return job.id


def _start_on_server(store: RemoteStore, source, metrics, mapping, name, concurrency, judge,
                     thresholds, detail, agent=None, provider=None, model=None) -> str:
    if judge is not None:
        raise QueryError("a judge object cannot be sent to the server; configure the "
                         "server's ANTHROPIC_API_KEY / AXIS_JUDGE_MODEL instead.")
    if not isinstance(source, str) or not _looks_like_name(source):
        source = store.load(source, name=f"{name}_inputs").name
    body = {"source": source, "metrics": metrics, "mapping": mapping, "name": name,
            "concurrency": concurrency}
    if thresholds:
        body["thresholds"] = thresholds
    if detail is not None:
        body["detail"] = bool(detail)
    if agent is not None:
        body["agent"] = agent if isinstance(agent, Mapping) else {
            k: v for k, v in vars(agent).items() if v is not None}
    if provider:
        body["provider"] = provider
    if model:
        body["model"] = model
    reply = store.request_json("POST", "evals", "runs", content=json.dumps(body).encode(),
                               headers={"Content-Type": "application/json"})
    job_id = reply["job"]["id"]
    _remember(job_id, _RemoteRun(store, job_id))
    return job_id


def _info_or_none(store: Any, name: str) -> dict | None:
    try:
        return store.info(name)
    except NotFoundError:
        return None


def _looks_like_name(source: str) -> bool:
    return os.path.sep not in source and not source.endswith(
        (".csv", ".parquet", ".jsonl", ".json", ".tsv"))


def _handle(run_id: str) -> Any:
    if not isinstance(run_id, str) or not run_id:
        raise QueryError("run_id is required.")
    with _lock:
        h = _RUNS.get(run_id)
    if h is None:
        raise NotFoundError(f"no evaluation run {run_id!r} in this process.")
    return h


def run_status(run_id: str) -> dict:
    """The status dict of a run (see :mod:`.run_status`)."""
    return _handle(run_id).status()


def cancel_run(run_id: str) -> dict:
    """Ask a run to stop (no-op once finished); returns its status."""
    h = _handle(run_id)
    h.cancel()
    return h.status()


def wait_run(run_id: str, timeout: float | None = None) -> dict:
    """Block until the run finished (or ``timeout`` seconds passed); returns its status."""
    h = _handle(run_id)
    h.wait(timeout)
    return h.status()


def follow_run(run_id: str, on_event: Callable[[str, Any], None] | None = None) -> dict:
    """Block until the run ended, calling ``on_event(event, data)`` on this thread for each
    of its job's events in order (``progress`` carries done/total and the running means: what
    a progress bar shows); a KeyboardInterrupt cancels the run. Returns the final status."""
    h = _handle(run_id)
    if isinstance(h, _JobRun):
        h.job.follow(on_event)
    else:  # on the server: its job's Server-Sent Events
        try:
            h.store.wait_job(run_id, on_event)
        except AxisError:  # failed or cancelled: the status says so
            pass
    return h.status()


def list_runs(limit: int = 20) -> list[dict]:
    """Statuses of the runs this process started (in the server: those of every caller),
    newest first, without their logs."""
    with _lock:
        handles = [h for h in _RUNS.values() if isinstance(h, _JobRun)]
    out = []
    for h in handles[-limit * 2:]:
        try:
            out.append(h.status())
        except AxisError:
            continue
    out.sort(key=lambda s: s.get("created") or "", reverse=True)
    for s in out:
        s.pop("log", None)
    return out[:limit]


__all__ = ["RUN_KIND", "RunCancelled", "cancel_run", "follow_run", "list_runs", "make_judge",
           "run_status", "shared_cache", "start_rerun", "start_run", "status_from_job",
           "use_job_runner", "wait_run"]
