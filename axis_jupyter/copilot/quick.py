"""Quick insights without a model: the reference's rule-based analysis, computed in SQL.

Without ``ANTHROPIC_API_KEY`` the copilot still answers, with the rules of the reference's
``/ai/analyze``, per metric of each dataset (from the ``summary`` analytic, one SQL query per
dataset): a mean below 0.5 is a warning, a mean above 0.8 a success, a standard deviation
above 0.3 a note on the spread. A human-signals dataset has no scores to judge: it gets its
KPI strip instead (the ``signal_kpis`` analytic: rates of boolean signals, medians of
numeric ones, average messages and total cases). The answer says in one line that answers in words need the
key, and it records its queries like any other answer (``answer.code()`` works).
"""

from __future__ import annotations

import math

from ..errors import AxisError
from .answer import Answer, QueryRecord, Step
from .quoting import frame_rows

LOW_MEAN, HIGH_MEAN, HIGH_SPREAD = 0.5, 0.8, 0.3
NO_KEY_NOTE = ("Answers in words need `ANTHROPIC_API_KEY` (and optionally "
               "`ANTHROPIC_BASE_URL`); meanwhile, these are rule-based quick insights computed "
               "in SQL.")
KINDS = ("evals", "monitoring", "signals")


def insights_for(summary_rows: list[dict]) -> list[dict]:
    """``[{type, metric, message}]`` for the rows of a summary (metric_name, count, mean,
    std): warning for a low mean, success for a high one, info for a wide spread."""
    out = []
    for r in summary_rows:
        metric, mean, std, n = r.get("metric_name"), r.get("mean"), r.get("std"), r.get("count")
        if mean is None or not math.isfinite(mean):
            continue
        if mean < LOW_MEAN:
            out.append({"type": "warning", "metric": metric,
                        "message": f"low mean {mean:.3f} (n={n}): below {LOW_MEAN}"})
        elif mean > HIGH_MEAN:
            out.append({"type": "success", "metric": metric,
                        "message": f"high mean {mean:.3f} (n={n}): above {HIGH_MEAN}"})
        if std is not None and math.isfinite(std) and std > HIGH_SPREAD:
            out.append({"type": "info", "metric": metric,
                        "message": f"high spread: std {std:.3f} above {HIGH_SPREAD}"})
    return out


def kpi_lines(kpis: list[dict]) -> list[str]:
    """One Markdown line per KPI of a human-signals dataset that has a value: a rate as a
    percentage of all cases (with the count), a numeric KPI with its aggregation and the
    cases that have it, the totals as they are."""
    out = []
    for k in kpis:
        value = k.get("value")
        if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        label, total, present = k.get("label") or k.get("key"), k.get("total"), k.get("present")
        if k.get("kind") == "rate" and k.get("format") == "percent":
            count = k.get("true_count")
            shown = f" ({int(count):,})" if isinstance(count, (int, float)) and \
                math.isfinite(count) else ""
            out.append(f"- `{label}`: {value * 100:.1f}% of {int(total or 0):,} cases{shown}")
        elif k.get("kind") == "aggregation":
            out.append(f"- `{label}`: {k.get('aggregation') or 'median'} {value:,.4g} "
                       f"({int(present or 0):,} cases have it)")
        else:
            out.append(f"- `{label}`: {value:,.4g}")
    return out


_ICON = {"warning": "⚠️", "success": "✅", "info": "ℹ️"}


def quick_insights(store, question: str, datasets: list[str] | None = None) -> Answer:
    """The rule-based answer for ``question`` over ``datasets`` (default: every evaluation,
    monitoring and signals dataset)."""
    answer = Answer(question=question, mode="rules", model=None)
    names = list(store.datasets()["name"]) if datasets is None else list(datasets)
    infos = [(n, store.info(n)) for n in names]
    infos = [(n, i) for n, i in infos if i.get("kind") in KINDS]
    lines = [NO_KEY_NOTE, ""]
    if not infos:
        lines.append("No evaluation, monitoring or human-signals data is loaded yet: `axis.load(...)` a file "
                     "first.")
    for name, info in infos:
        analytic = "signal_kpis" if info.get("kind") == "signals" else "summary"
        query = QueryRecord(kind="analytic", tool="quick_insights", dataset=name,
                            analytic=analytic, params={})
        step = Step(id=f"q{len(answer.steps) + 1}", type="tool_use", tool="run_analytic",
                    content=f"Running {analytic} on {name}", metadata={"input": {
                        "dataset": name, "analytic": analytic, "params": {}}})
        answer.steps.append(step)
        try:
            df = store.analytic(name, analytic)
        except AxisError as exc:
            query.error = str(exc)
            answer.queries.append(query)
            lines.append(f"**{name}**: cannot summarise ({exc})")
            continue
        query.columns, query.preview = frame_rows(df, 200)
        query.rows = len(query.preview)
        answer.queries.append(query)
        if analytic == "signal_kpis":
            found = kpi_lines(df.to_dict("records"))
            lines.append(f"**{name}** (human signals, {info.get('records', 0):,} cases)")
            lines += found or ["- no KPI has a value yet."]
            lines.append("")
            answer.steps.append(Step(id=f"q{len(answer.steps) + 1}", type="observation",
                                     tool="run_analytic", content=f"{len(found)} KPIs"))
            continue
        found = insights_for(df.to_dict("records"))
        lines.append(f"**{name}** ({info.get('kind')}, {info.get('records', 0):,} records, "
                     f"{len(df)} metrics)")
        if not found:
            lines.append("- no metric is below 0.5, above 0.8 or widely spread.")
        lines += [f"- {_ICON[i['type']]} `{i['metric']}`: {i['message']}" for i in found]
        lines.append("")
        answer.steps.append(Step(id=f"q{len(answer.steps) + 1}", type="observation",
                                 tool="run_analytic", content=f"{len(found)} insights"))
    answer.text = "\n".join(lines).strip()
    answer.steps.append(Step(id=f"q{len(answer.steps) + 1}", type="success",
                             content="Quick insights (no API key)"))
    return answer
