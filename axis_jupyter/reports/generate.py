"""Writing a report: extract the issues, group them by metric, stream the model's Markdown.

The steps, each announced as a ``thought`` event with the reference's fixed ids:

1. ``extract-1`` (planning): extract the issues with the ``issues`` analytic in SQL;
2. ``extract-2`` (observation): how many issues across how many metrics;
3. insight patterns from the pattern pipeline, :mod:`axis_jupyter.patterns` (``insights`` event);
4. ``generate-1`` (reasoning): the model writes the report, streamed as ``text`` events;
5. ``complete-1`` (success).

No issues: the report says so in one line and no model is called.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Callable

from .. import llm
from ..analytics.issues import DEFAULT_FIELDS, _fields, _mode
from ..copilot.answer import Step
from ..copilot.run import LLM_LOOP
from ..errors import AxisError, ParameterError
from . import insights as insight_patterns
from .context import group_by_metric, render_context
from .prompts import KINDS, system_prompt, user_prompt
from .report import Report

Emit = Callable[[str, Any], None]
DEFAULT_MAX_ISSUES = 100
NOT_CONFIGURED = ("Reports are written by a model: set ANTHROPIC_API_KEY (optionally "
                  "ANTHROPIC_BASE_URL, AXIS_REPORT_MODEL). Without one, ds.issues(...) gives "
                  "the extracted issues.")


def check_kind(kind: Any) -> str:
    k = str(kind or "").strip().lower()
    if k not in KINDS:
        raise ParameterError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.", param="kind")
    return k


def make_judge() -> llm.Judge:
    import os

    if not llm.configured():
        raise llm.LLMNotConfigured(NOT_CONFIGURED)
    model = os.environ.get("AXIS_REPORT_MODEL") or None
    return llm.Judge(llm.JudgeConfig.from_env(model=model, cache=False, max_tokens=4096))


def subtree_metrics(store, dataset: str, node: str) -> list[str]:
    """``node`` and every metric below it in the dataset's metric tree (by ``parent``), for
    a report on one branch of the scorecard."""
    from ..ingest.readers import quote_ident

    info = store.info(dataset)
    cols = {c["name"] for c in info.get("columns", [])}
    pairs: list[tuple[str, str | None]] = []
    if "parent" in cols:
        df = store.sql(f"SELECT DISTINCT metric_name, parent FROM {quote_ident(dataset)}")
        pairs = [(m, None if p is None or p != p else p)
                 for m, p in df.itertuples(index=False, name=None)]
    names = {m for m, _ in pairs} | set(info.get("metrics") or [])
    if node not in names:
        raise ParameterError(f"node {node!r} is not a metric or component of {dataset}.",
                             param="node")
    out, todo = [node], [node]
    while todo:
        parent = todo.pop()
        for m, p in pairs:
            if p == parent and m not in out:
                out.append(m)
                todo.append(m)
    return out


def generate_report(store, dataset: str, kind: str = "summary", mode: str = "low",
                    threshold: float = 0.5, metrics=None, sample_rate: float = 1.0,
                    max_issues: int = DEFAULT_MAX_ISSUES, include_nan: bool = False,
                    fields=None, filters: dict | None = None, *, emit: Emit | None = None,
                    cancelled: Callable[[], bool] | None = None,
                    judge: llm.Judge | None = None, insights: bool = True) -> Report:
    """Write a ``kind`` report on the ``mode``-scoring issues of ``dataset`` (see the
    module docstring for the steps). Blocks the calling thread until the report is written
    (the model call runs on the copilot's LLM loop, so any thread may call it)."""
    kind, mode = check_kind(kind), _mode(mode)
    fields = _fields(list(DEFAULT_FIELDS) if fields is None else fields)
    emit = emit or (lambda event, data: None)
    cancelled = cancelled or (lambda: False)
    judge = judge or make_judge()  # refuses before any work without a key
    info = store.info(dataset)
    params = {"threshold": threshold, "metrics": list(metrics) if metrics else None,
              "sample_rate": sample_rate, "max_issues": max_issues, "include_nan": include_nan,
              "fields": fields, "filters": filters or None}
    report = Report(dataset=dataset, kind=kind, mode=mode, params=params, model=judge.model,
                    records=int(info.get("records") or 0),
                    created=datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def thought(id_: str, type_: str, content: str, **meta: Any) -> None:
        step = Step(id=id_, type=type_, content=content, metadata=meta)
        report.thoughts.append(step)
        emit("thought", step.to_dict())

    scope = f", metrics {', '.join(metrics)}" if metrics else ""
    thought("extract-1", "planning",
            f"Extracting {mode}-scoring issues from {report.records:,} records (threshold "
            f"{threshold}, sample {sample_rate:.0%}{scope})")
    issues = store.analytic(dataset, "issues", mode=mode, threshold=threshold, metrics=metrics,
                            sample_rate=sample_rate, max_issues=max_issues,
                            include_nan=include_nan, fields=fields, filters=filters)
    groups = group_by_metric(issues)
    report.issues_analyzed = len(issues)
    report.metrics_covered = sorted(issues["metric_name"].dropna().unique().tolist())
    thought("extract-2", "observation", f"Found {len(issues)} issues across "
            f"{len(report.metrics_covered)} metrics", issues=len(issues))
    if issues.empty:
        report.text = f"No {mode}-scoring issues found with threshold {threshold}."
        thought("complete-1", "success", "Nothing to report")
        return report
    if cancelled():
        raise _cancelled()
    meta = {"dataset": dataset, "mode": mode, "threshold": threshold, "records": report.records,
            "issues": len(issues), "metrics_covered": report.metrics_covered,
            "sample_rate": float(sample_rate), "fields": fields}
    request = {"model": judge.model, "max_tokens": judge.config.max_tokens,
               "system": system_prompt(kind, mode, fields),
               "messages": [{"role": "user", "content": user_prompt(meta, render_context(groups))}]}
    thought("generate-1", "reasoning", f"Writing a {kind} report on {len(issues)} issues "
            f"({len(groups)} metric groups) with {judge.model}")
    text, found = LLM_LOOP.run(_write(judge, request, issues, meta, emit, cancelled,
                                     insights))
    report.text = text.strip()
    if found is not None:
        report.insights = found
        emit("insights", found)
    thought("complete-1", "success", f"Report ready: {report.words} words")
    report.tokens_in, report.tokens_out = judge.usage.tokens_in, judge.usage.tokens_out
    report.cost = judge.usage.cost
    return report


async def _write(judge: llm.Judge, request: dict, issues, meta: dict, emit: Emit,
                 cancelled: Callable[[], bool], with_insights: bool):
    """The report's text (streamed) and, beside it, the insight patterns (a failure there
    leaves the report without them)."""

    def on_text(delta: str) -> None:
        if cancelled():
            raise _cancelled()
        emit("text", {"id": "generate-1", "delta": delta})

    try:
        jobs = [judge.send(request, stream=True, on_text=on_text)]
        if with_insights:
            jobs.append(insight_patterns.discover(judge, issues, meta))
        done = await asyncio.gather(*jobs, return_exceptions=True)
    finally:
        await judge.aclose()
    if isinstance(done[0], BaseException):
        raise done[0]
    reply = done[0]
    text = "".join(getattr(b, "text", "") or "" for b in reply.message.content or []
                   if getattr(b, "type", None) == "text")
    if getattr(reply.message, "stop_reason", None) == "refusal":
        text = text or "The model declined to write this report."
    found = None
    if with_insights and not isinstance(done[1], BaseException):
        found = done[1]
    return text, found


class ReportCancelled(AxisError):
    """The report was cancelled while it was being written (a cancelled job ends so)."""

    status = 409
    code = "cancelled"


def _cancelled() -> Exception:
    return ReportCancelled("the report was cancelled.")
