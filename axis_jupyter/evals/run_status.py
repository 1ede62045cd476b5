"""The status dict of an evaluation run, from its job (``Job.to_dict()`` shape)::

    run_id, state (queued|running|succeeded|failed|cancelled), stage (preparing|agent|
    scoring|storing), done, total (items x metrics; items to fill while stage is agent), fraction, means {metric: running mean},
    errors (rows without a score), metric_errors {metric: n}, first_errors {metric: text},
    dataset (results dataset name), source, metrics, summary (metric_name, count, mean, std,
    min, max, pass_rate per metric, once finished), rows, records, llm (requests, cache_hits,
    retries, tokens, cost; by_model per provider/model), agent (called, filled, failed,
    kept, p50_ms, max_ms, once finished), provider, model, error, error_type, cancel_requested, created, started, finished,
    elapsed, executor (thread | job | server), log
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Mapping


def status_from_job(d: Mapping[str, Any], executor: str = "job", logs: list | None = None) -> dict:
    """The run status dict from a job dict (``Job.to_dict()`` shape)."""
    p = d.get("progress") or {}
    r = d.get("result") or {}
    params = d.get("params") or {}
    state = d.get("state")
    done, total = p.get("done") or 0, p.get("total")
    if total:
        fraction = min(1.0, done / total)
    else:
        fraction = 1.0 if state == "succeeded" else 0.0
    started, finished = d.get("started"), d.get("finished")
    elapsed = None
    if started:
        end = datetime.fromisoformat(finished) if finished else datetime.now(timezone.utc)
        elapsed = round((end - datetime.fromisoformat(started)).total_seconds(), 3)
    means = {k: (v if v is None or math.isfinite(v) else None) for k, v in (p.get("means") or {}).items()}
    return {
        "run_id": d.get("id"), "state": state, "stage": p.get("stage"),
        "done": done, "total": total, "fraction": fraction, "means": means,
        "errors": p.get("errors", 0), "metric_errors": p.get("metric_errors") or {},
        "first_errors": p.get("first_errors") or {},
        "dataset": r.get("dataset") or params.get("name"), "source": params.get("source"),
        "metrics": params.get("metrics") or [], "summary": r.get("summary") or [],
        "rows": r.get("rows"), "records": r.get("records"), "llm": r.get("llm"),
        "agent": r.get("agent"), "provider": params.get("provider"), "model": params.get("model"),
        "error": d.get("error"), "error_type": d.get("error_type"),
        "cancel_requested": bool(d.get("cancel_requested")),
        "created": d.get("created"), "started": started, "finished": finished,
        "elapsed": elapsed, "executor": executor, "log": list(logs or [])[-100:],
    }
