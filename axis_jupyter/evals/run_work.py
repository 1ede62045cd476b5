"""The work of one evaluation run: prepare the items, score them, store the results.

:func:`execute` is the body of an ``eval_run`` job (:mod:`axis_jupyter.evals.runs` starts
it): it reports ``stage`` (preparing | scoring | storing), ``done``/``total`` (items x
metrics) and the running mean of each metric as the job's progress, stops promptly when
the job is cancelled (in-flight judge requests included), and returns the summary that
becomes the job's result.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .. import wire
from ..errors import AxisError
from .runner import _CACHES, shared_cache  # noqa: F401  (_CACHES re-exported: runs.py, benchmarks)

PROGRESS_INTERVAL = 0.1  # seconds between progress events (the last one is always sent)
CANCEL_POLL = 0.05  # seconds between checks of the cancel flag while scoring
DETAIL_MAX_ITEMS = 20_000  # above this, heuristic metrics use the column fast path


class RunCancelled(AxisError):
    """The run was cancelled."""

    status = 409


# ------------------------------------------------------------------ judges
def make_judge(concurrency: int = 8, provider: str | None = None, model: str | None = None):
    """A Judge for ``provider``/``model`` (default: config and environment) with
    ``concurrency`` requests in flight and the shared verdict cache. Raises
    ``LLMNotConfigured`` without the provider's key."""
    from ..llm.providers import build_judge

    judge = build_judge(provider, model, concurrency=concurrency)
    judge.cache = shared_cache(judge.config.cache_path) if judge.config.cache else None
    return judge


# ------------------------------------------------------------------ the plan and its execution
@dataclass
class RunPlan:
    """What a run scores, checked before its job starts."""

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
    agent: Any = None  # an AgentConfig: fill empty outputs first
    provider: str | None = None
    model: str | None = None
    specs: list = field(default_factory=list)


class Tracker:
    """Turns the scorer's callbacks into throttled job progress with running means."""

    def __init__(self, job: Any, total: int, names: list[str]):
        self.job, self.total = job, total
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
        self.job.progress(**self.snapshot())


def llm_usage(judges: Any) -> dict | None:
    """Requests, cache hits, retries, tokens and cost of a run's judges: in total, and per
    provider and model under ``by_model`` ("provider/model")."""
    if judges is None:
        return None
    if not isinstance(judges, (list, tuple)):
        judges = [judges]
    judges = list({id(j): j for j in judges if j is not None}.values())
    if not judges:
        return None
    keys = ("requests", "cache_hits", "retries", "tokens_in", "tokens_out", "cost")
    total = {k: 0 for k in keys}
    by_model: dict[str, dict] = {}
    for j in judges:
        u = {k: getattr(j.usage, k) for k in keys}
        label = f"{getattr(j, 'provider', 'anthropic')}/{j.model}"
        slot = by_model.setdefault(label, {k: 0 for k in keys})
        for k in keys:
            total[k] += u[k]
            slot[k] += u[k]
    return {**total, "model": judges[0].model, "provider": getattr(judges[0], "provider", None),
            "by_model": by_model}


async def cancellable(coro: Any, cancel_event: threading.Event) -> Any:
    """Await ``coro``, cancelling it (and every request it has in flight) within
    ``CANCEL_POLL`` seconds of ``cancel_event`` being set (then ``RunCancelled``)."""
    task = asyncio.ensure_future(coro)
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=CANCEL_POLL)
            if cancel_event.is_set() and not task.done():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                raise RunCancelled("cancelled")
        return task.result()
    finally:
        if not task.done():
            task.cancel()


async def _score(items: Any, plan: RunPlan, judge: Any, detail: bool, tracker: Tracker,
                 cancel_event: threading.Event, pool: dict) -> list[dict[str, Any]]:
    from .runner import ascore_items

    try:
        return await cancellable(ascore_items(
            items, plan.metrics, judge=judge, thresholds=plan.thresholds,
            max_concurrent=plan.concurrency, detail=detail, on_progress=tracker.progress,
            on_rows=tracker.rows, provider=plan.provider, model=plan.model, judge_pool=pool,
            shared_cache=True),
            cancel_event)
    finally:
        for j in [judge, *pool.values()]:
            if j is None:
                continue
            try:
                await j.aclose()  # the HTTP client belongs to this run's event loop
            except Exception:  # noqa: BLE001
                pass


def _fill(items: Any, plan: RunPlan, job: Any) -> Any:
    """The agent stage: fill empty outputs, with progress and a warning per failed item."""
    from .agent import AgentCaller, afill_outputs, to_fill

    n = len(to_fill(items))
    job.progress(stage="agent", done=0, total=n)
    job.log(f"calling the agent ({plan.agent.mode}) for {n:,} item(s) without an output")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            job.progress(stage="agent", done=done, total=total)

    async def go():
        caller = AgentCaller(plan.agent, plan.concurrency)
        try:
            return await cancellable(afill_outputs(items, plan.agent, concurrency=plan.concurrency,
                                                   on_progress=progress, caller=caller),
                                     job.cancel_event)
        finally:
            await caller.aclose()

    items, stats = asyncio.run(go())
    for w in stats["warnings"][:20]:
        job.log(f"agent: item {w['dataset_id']}: {w['message']}", "warning")
    if stats["failed"] > 20:
        job.log(f"agent: {stats['failed'] - 20:,} more item(s) without an answer", "warning")
    job.log(f"agent answered {stats['filled']:,} of {stats['called']:,} item(s)"
            + (f" (median {stats['p50_ms']:.0f} ms)" if stats["p50_ms"] is not None else ""))
    return items, {k: v for k, v in stats.items() if k != "warnings"}


def execute(store: Any, plan: RunPlan, job: Any) -> dict[str, Any]:
    """The work of one run as job ``job``; the results become dataset ``plan.name`` with
    the job's id as their ``run_id``."""
    if plan.public_errors:
        from ..ingest import without_contents

        with without_contents():
            return _execute(store, plan, job)
    return _execute(store, plan, job)


def _execute(store: Any, plan: RunPlan, job: Any) -> dict[str, Any]:
    from .api import check_fields, prepare_items, present_fields, required_of, store_results
    from .runner import rows_to_frame

    job.progress(stage="preparing", done=0, total=None)
    ds_name, items = prepare_items(store, plan.source, plan.mapping, plan.name)
    if plan.specs:
        check_fields(plan.specs, present_fields(items, required_of(plan.specs), agent=plan.agent is not None))
    job.check_cancelled()
    agent_stats = None
    if plan.agent is not None:
        items, agent_stats = _fill(items, plan, job)
        job.check_cancelled()
    n = len(items)
    total = n * len(plan.metric_names)
    job.log(f"scoring {n:,} items x {len(plan.metric_names)} metrics from {ds_name!r}")
    tracker = Tracker(job, total, plan.metric_names)
    job.progress(**tracker.snapshot())
    judge = plan.judge
    if plan.needs_llm:
        # The SDK imports take seconds on a cold start; do them here, not on the scoring
        # loop, where they would block the cancel watcher.
        import anthropic  # noqa: F401
        import openai  # noqa: F401

        job.check_cancelled()
    detail = plan.detail if plan.detail is not None else n <= DETAIL_MAX_ITEMS
    pool: dict = {}
    rows = asyncio.run(_score(items, plan, judge, detail, tracker, job.cancel_event, pool))
    tracker.emit()
    job.check_cancelled()
    for name, count in tracker.errors.items():
        if count:
            job.log(f"{name}: {count:,} item(s) without a score — {tracker.first_errors.get(name, '')}",
                    "warning")
    job.progress(stage="storing")
    from .api import run_config

    config = run_config(plan.source, plan.metrics, plan.mapping, plan.thresholds, plan.agent,
                        plan.provider, plan.model, plan.concurrency)
    ds = store_results(store, rows_to_frame(rows), items, plan.name, job.id, config)
    info = ds.info
    summary = ds.summary()
    job.log(f"results stored as dataset {plan.name!r}")
    return wire.jsonable({"dataset": plan.name, "inputs": ds_name, "run_id": job.id,
                               "rows": info["rows"], "records": info["records"],
                               "metrics": plan.metric_names, "errors": sum(tracker.errors.values()),
                               "summary": summary.to_dict("records"), "agent": agent_stats,
                               "llm": llm_usage([judge, *pool.values()])})
