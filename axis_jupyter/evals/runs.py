"""Evaluation runs in the background: start, watch, cancel.

One code path for every caller — ``POST evals/runs`` (the HTTP API), the runner widget's
``start`` action and Python::

    run_id = start_run(store, "inputs", ["exact_match", "token_f1"], name="run1")
    run_status(run_id)   # {"state": "running", "done": 12, "total": 20, "means": {...}, ...}
    cancel_run(run_id)   # stops promptly: the scoring task is cancelled (in-flight judge
                         # requests included) within ~50 ms
    wait_run(run_id)     # block until it finished; returns the final status

Where the work runs:

* **Server job** — in the Jupyter server process, when the extension's
  :class:`~axis_jupyter_server.jobs.JobRunner` is known (``use_job_runner(runner)``, or
  found on the running ServerApp whose store is the one given). The run is then an
  ``eval_run`` job: it appears in ``GET axis/api/jobs`` and streams progress over SSE.
* **Remote** — ``store`` is a client of the server's store (a kernel under JupyterLab): the
  run is started there through ``POST evals/runs`` and watched through ``GET evals/runs/{id}``.
* **Thread** — otherwise (plain Python, a kernel with an embedded store): a daemon worker
  thread with the same status dict.

The status dict (:func:`run_status`)::

    run_id, state (queued|running|succeeded|failed|cancelled), stage (preparing|scoring|
    storing), done, total (items x metrics), fraction, means {metric: running mean},
    errors (rows without a score), metric_errors {metric: n}, first_errors {metric: text},
    dataset (results dataset name), source, metrics, summary (metric_name, count, mean, std,
    min, max, pass_rate per metric, once finished), rows, records, llm (requests, cache_hits,
    retries, tokens, cost), error, error_type, created, started, finished, elapsed, executor

LLM metrics without an API key are refused by :func:`start_run` itself (``LLMNotConfigured``),
before any job or thread exists. Judge verdicts are cached per process (plus the SQLite file
of ``AXIS_JUDGE_CACHE`` when set), so re-running the same metrics on the same items makes no
new LLM requests.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import AxisError, ConflictError, NotFoundError, QueryError
from .run_handles import RUN_KIND, RunCancelled, _JobRun, _LocalRun, _RemoteRun, status_from_job

log = logging.getLogger("axis_jupyter.evals.runs")

PROGRESS_INTERVAL = 0.1  # seconds between progress events (the last one is always sent)
CANCEL_POLL = 0.05  # seconds between checks of the cancel flag while scoring
DETAIL_MAX_ITEMS = 20_000  # above this, heuristic metrics use the column fast path
MAX_CONCURRENCY = 64


# ------------------------------------------------------------------ job runner discovery
_lock = threading.RLock()
_JOB_RUNNER: Any = None
_RUNS: dict[str, Any] = {}  # run id -> _LocalRun | _RemoteRun | _JobRun
_KEEP_RUNS = 200


def use_job_runner(runner: Any) -> None:
    """Run evaluations as jobs of this :class:`JobRunner` (``None`` to stop).

    The server extension calls this when it starts, so runs started in the server process
    (HTTP API, the runner view's actions) are server jobs with SSE progress."""
    global _JOB_RUNNER
    with _lock:
        _JOB_RUNNER = runner


def _usable(runner: Any) -> bool:
    return runner is not None and not getattr(runner, "_closed", False)


def _server_runner(store: Any = None) -> Any:
    """The JobRunner of the Jupyter server running in this process, if any (and, when
    ``store`` is given, only if that server owns ``store``)."""
    if _usable(_JOB_RUNNER):
        return _JOB_RUNNER
    mod = sys.modules.get("jupyter_server.serverapp")
    if mod is None:  # not a server process: nothing to find
        return None
    try:
        if not mod.ServerApp.initialized():
            return None
        settings = mod.ServerApp.instance().web_app.settings
    except Exception:  # noqa: BLE001 - half-initialised app: no runner
        return None
    state = settings.get("axis_state")
    if state is None or not _usable(getattr(state, "jobs", None)):
        return None
    if store is not None and state.store is not store:
        return None
    return state.jobs


# ------------------------------------------------------------------ judges and their cache
_CACHES: dict[Any, Any] = {}


def shared_cache(path: str | None = None):
    """The process-wide JudgeCache for ``path`` (in-memory when None)."""
    from ..llm import JudgeCache

    with _lock:
        cache = _CACHES.get(path)
        if cache is None:
            cache = _CACHES[path] = JudgeCache(path)
        return cache


def make_judge(concurrency: int = 8):
    """A Judge from the environment with ``concurrency`` requests in flight and the shared
    verdict cache. Raises ``LLMNotConfigured`` without a key."""
    from ..llm import Judge, JudgeConfig

    cfg = JudgeConfig.from_env(max_concurrency=max(1, int(concurrency)))
    cache = shared_cache(cfg.cache_path) if cfg.cache else None
    return Judge(cfg, cache=cache)


# ------------------------------------------------------------------ the plan and its execution
@dataclass
class _Plan:
    run_id: str
    source: Any
    metrics: list
    metric_names: list[str]
    mapping: dict | None
    name: str
    concurrency: int
    needs_llm: bool
    judge: Any = None
    thresholds: dict | None = None
    detail: bool | None = None
    params: dict = field(default_factory=dict)
    public_errors: bool = False  # load errors without the data's content (HTTP callers)


class _Tracker:
    """Turns the runner's callbacks into throttled progress with running means."""

    def __init__(self, ctx: Any, total: int, names: list[str]):
        self.ctx, self.total = ctx, total
        self.sums = {n: 0.0 for n in names}
        self.counts = {n: 0 for n in names}
        self.errors = {n: 0 for n in names}
        self.first_errors: dict[str, str] = {}
        self.done = 0
        self._last = 0.0

    def rows(self, rows: list[dict[str, Any]]) -> None:
        sums, counts, errors = self.sums, self.counts, self.errors
        for r in rows:
            name = r["metric_name"]
            s = r["metric_score"]
            if s is not None and s == s:  # not NaN
                sums[name] = sums.get(name, 0.0) + s
                counts[name] = counts.get(name, 0) + 1
            elif r.get("error"):
                errors[name] = errors.get(name, 0) + 1
                if name not in self.first_errors:
                    self.first_errors[name] = str(r["error"])[:300]

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if done >= total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.emit()

    def snapshot(self) -> dict[str, Any]:
        means = {n: (self.sums[n] / c if c else None) for n, c in self.counts.items()}
        return {"done": self.done, "total": self.total, "stage": "scoring", "means": means,
                "errors": sum(self.errors.values()),
                "metric_errors": {k: v for k, v in self.errors.items() if v},
                "first_errors": dict(self.first_errors)}

    def emit(self) -> None:
        self.ctx.progress(**self.snapshot())


def _llm_usage(judge: Any) -> dict | None:
    if judge is None:
        return None
    u = judge.usage
    return {"requests": u.requests, "cache_hits": u.cache_hits, "retries": u.retries,
            "tokens_in": u.tokens_in, "tokens_out": u.tokens_out, "cost": u.cost,
            "model": judge.model}


async def _score(items: Any, plan: _Plan, judge: Any, detail: bool, tracker: _Tracker,
                 cancel_event: threading.Event) -> list[dict[str, Any]]:
    from .runner import ascore_items

    task = asyncio.ensure_future(ascore_items(
        items, plan.metrics, judge=judge, thresholds=plan.thresholds,
        max_concurrent=plan.concurrency, detail=detail, on_progress=tracker.progress,
        on_rows=tracker.rows))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=CANCEL_POLL)
            if cancel_event.is_set() and not task.done():
                task.cancel()  # cancels every in-flight judge request with it
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                raise RunCancelled("cancelled")
        return task.result()
    finally:
        if not task.done():
            task.cancel()
        if judge is not None:
            try:
                await judge.aclose()  # the HTTP client belongs to this run's event loop
            except Exception:  # noqa: BLE001
                pass


def _execute(store: Any, plan: _Plan, ctx: Any) -> dict[str, Any]:
    """The work of one run; ``ctx`` is a server Job or a _LocalRun (progress, log,
    cancel_event, check_cancelled)."""
    if plan.public_errors:
        from ..ingest import without_contents

        with without_contents():
            return _execute_plan(store, plan, ctx)
    return _execute_plan(store, plan, ctx)


def _execute_plan(store: Any, plan: _Plan, ctx: Any) -> dict[str, Any]:
    from ..wire import jsonable
    from .api import prepare_items, store_results
    from .runner import rows_to_frame

    ctx.progress(stage="preparing", done=0, total=None)
    ds_name, items = prepare_items(store, plan.source, plan.mapping, plan.name)
    ctx.check_cancelled()
    n = len(items)
    total = n * len(plan.metric_names)
    ctx.log(f"scoring {n:,} items x {len(plan.metric_names)} metrics from {ds_name!r}")
    tracker = _Tracker(ctx, total, plan.metric_names)
    ctx.progress(**tracker.snapshot())
    judge = plan.judge
    if plan.needs_llm:
        # The SDK import takes seconds on a cold start; do it here, not on the scoring
        # loop, where it would block the cancel watcher.
        import anthropic  # noqa: F401

        ctx.check_cancelled()
        if judge is None:
            judge = make_judge(plan.concurrency)
    detail = plan.detail if plan.detail is not None else n <= DETAIL_MAX_ITEMS
    rows = asyncio.run(_score(items, plan, judge, detail, tracker, ctx.cancel_event))
    tracker.emit()
    ctx.check_cancelled()
    for name, count in tracker.errors.items():
        if count:
            ctx.log(f"{name}: {count:,} item(s) without a score — {tracker.first_errors.get(name, '')}",
                    "warning")
    ctx.progress(stage="storing")
    ds = store_results(store, rows_to_frame(rows), items, plan.name, plan.run_id)
    info = ds.info
    summary = ds.summary()
    ctx.log(f"results stored as dataset {plan.name!r}")
    return jsonable({"dataset": plan.name, "inputs": ds_name, "run_id": plan.run_id,
                     "rows": info["rows"], "records": info["records"],
                     "metrics": plan.metric_names, "errors": sum(tracker.errors.values()),
                     "summary": summary.to_dict("records"), "llm": _llm_usage(judge)})


# ------------------------------------------------------------------ public API
def _is_remote(store: Any) -> bool:
    from ..store.local import LocalStore

    return not isinstance(store, LocalStore) and hasattr(store, "_json")


def _remember(run_id: str, handle: Any) -> None:
    with _lock:
        _RUNS[run_id] = handle
        if len(_RUNS) > _KEEP_RUNS:
            for rid in list(_RUNS)[: len(_RUNS) - _KEEP_RUNS]:
                h = _RUNS[rid]
                if isinstance(h, _LocalRun) and not h.done:
                    continue
                _RUNS.pop(rid, None)


def start_run(store: Any, source: Any, metrics: list, mapping: dict | None = None,
              name: str | None = None, concurrency: int = 8, *, judge: Any = None,
              thresholds: dict | None = None, detail: bool | None = None,
              runner: Any = None, allow_files: bool = True, public_errors: bool = False) -> str:
    """Start scoring ``source`` (a dataset name, file path or frame) with ``metrics`` in the
    background; the results become evaluation dataset ``name``. Returns the run id.

    ``allow_files=False``: ``source`` must be a dataset of the store (the runner view, whose
    actions also answer HTTP requests, never loads a path it is sent). ``public_errors``:
    load errors carry no content of the data (for runs started over HTTP, whose caller has
    vetted any path: see ``axis_jupyter_server.server_files``).

    Raises before anything starts: ``QueryError`` for bad arguments, ``MetricNotFound`` for
    unknown metrics, ``LLMNotConfigured`` for LLM metrics without an API key (unless a
    ``judge`` is given), ``ConflictError`` when a run with that name is already running.
    ``runner``: a JobRunner to use (default: the server's when in a server process).
    ``detail``: explanations/signals for heuristic metrics (default: up to 20,000 items).
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
    run_id = uuid.uuid4().hex[:12]
    name = name.strip() if name else f"eval_{run_id[:8]}"
    mapping = dict(mapping) if mapping else None

    if _is_remote(store):
        if judge is not None:
            raise QueryError("a judge object cannot be sent to the server; configure the "
                             "server's ANTHROPIC_API_KEY / AXIS_JUDGE_MODEL instead.")
        if not isinstance(source, str) or not _looks_like_name(source):
            ds = store.load(source, name=f"{name}_inputs")
            source = ds.name
        body = {"source": source, "metrics": metrics, "mapping": mapping, "name": name,
                "concurrency": concurrency}
        if thresholds:
            body["thresholds"] = thresholds
        if detail is not None:
            body["detail"] = bool(detail)
        import json

        reply = store._json("POST", "evals/runs", content=json.dumps(body).encode(),
                            headers={"Content-Type": "application/json"})
        job_id = reply["job"]["id"]
        _remember(job_id, _RemoteRun(store, job_id))
        return job_id

    specs = check_metrics(metrics, judge, thresholds)  # LLMNotConfigured here, up front
    needs_llm = any(s.metric.needs_llm for s in specs)
    params = {"source": source if isinstance(source, str) else str(getattr(source, "name", "frame")),
              "metrics": [m if isinstance(m, str) else m.get("key") if isinstance(m, Mapping)
                          else getattr(m, "key", str(m)) for m in metrics],  # names, not settings
              "name": name, "mapping": mapping, "concurrency": concurrency}
    plan = _Plan(run_id=run_id, source=source, metrics=metrics, metric_names=[s.name for s in specs],
                 mapping=mapping, name=name, concurrency=concurrency, needs_llm=needs_llm,
                 judge=judge, thresholds=thresholds, detail=detail, params=params,
                 public_errors=public_errors)
    key = f"eval:{name}"
    jobs = runner if _usable(runner) else _server_runner(store)
    if jobs is not None:
        job = jobs.start(RUN_KIND, lambda job: _execute(store, plan, job), key=key, params=params)
        _remember(job.id, _JobRun(jobs, job.id))
        return job.id
    with _lock:
        for h in _RUNS.values():
            if isinstance(h, _LocalRun) and h.key == key and not h.done:
                raise ConflictError(f"an evaluation run named {name!r} is already {h.state} "
                                    f"(run {h.id}); wait for it or cancel it first.")
        run = _LocalRun(run_id, key, params)
        _remember(run_id, run)
    run.thread = threading.Thread(target=run.run, args=(lambda ctx: _execute(store, plan, ctx),),
                                  daemon=True,
                                  name=f"axis-eval-{run_id}")
    run.thread.start()
    return run_id


def _looks_like_name(source: str) -> bool:
    import os

    return os.path.sep not in source and not source.endswith(
        (".csv", ".parquet", ".jsonl", ".json", ".tsv"))


def _handle(run_id: str) -> Any:
    if not isinstance(run_id, str) or not run_id:
        raise QueryError("run_id is required.")
    with _lock:
        h = _RUNS.get(run_id)
    if h is not None:
        return h
    jobs = _server_runner()
    if jobs is not None:  # e.g. a run started over HTTP, watched from a view action
        job = jobs.get(run_id)  # NotFoundError
        if job.kind != RUN_KIND:
            raise NotFoundError(f"job {run_id} is a {job.kind} job, not an evaluation run.")
        h = _JobRun(jobs, run_id)
        _remember(run_id, h)
        return h
    raise NotFoundError(f"no evaluation run {run_id!r} in this process.")


def run_status(run_id: str) -> dict:
    """The status dict of a run (see the module docstring)."""
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


def list_runs(limit: int = 20) -> list[dict]:
    """Statuses of the runs known to this process (and its server's eval-run jobs), newest first."""
    seen: dict[str, dict] = {}
    jobs = _server_runner()
    if jobs is not None:
        for job in jobs.list(RUN_KIND)[:limit]:
            seen[job.id] = status_from_job(job.to_dict(), executor="job")
    with _lock:
        handles = list(_RUNS.items())
    for rid, h in reversed(handles):
        if rid in seen or isinstance(h, _RemoteRun) or len(seen) >= limit * 2:
            continue
        try:
            seen[rid] = h.status()
        except AxisError:
            continue
    out = sorted(seen.values(), key=lambda s: s.get("created") or "", reverse=True)
    for s in out:
        s.pop("log", None)
    return out[:limit]


__all__ = ["RUN_KIND", "RunCancelled", "cancel_run", "list_runs", "make_judge", "run_status",
           "shared_cache", "start_run", "status_from_job", "use_job_runner", "wait_run"]
