"""Cross-metric insight patterns and learnings for a report, from the pattern pipeline.

The pattern pipeline (evidence -> clusters -> learnings, reference §5 "EvidencePipeline")
is built in :mod:`axis_jupyter.patterns` by the alignment feature. When that package is
installed, a report turns each issue into an evidence item (its critique, "[metric /
score]" and the query; its source is the record id, so recurrence counts distinct test
cases) and asks the pipeline for patterns: ``{patterns: [{category, description, count,
issue_ids, metrics_involved, is_cross_metric, distinct_test_cases, examples,
confidence, ...}], learnings: [...], metadata: {...}}``. Without it, reports carry no
insights (``report.insights is None``) and say nothing about patterns.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from typing import Any


def available() -> bool:
    """True when the pattern pipeline (``axis_jupyter.patterns``) is installed."""
    return importlib.util.find_spec("axis_jupyter.patterns") is not None


def evidence(issues) -> list[dict[str, Any]]:
    """Each issue as an evidence item (reference §8.1): text = critique + "[metric / score:
    value]" + "Query: ...", id = the first 16 hex digits of sha256(record id, metric,
    score), source = the record id."""
    items = []
    for r in issues.to_dict("records"):
        score = r.get("metric_score")
        shown = "n/a" if score is None or (isinstance(score, float) and math.isnan(score)) \
            else f"{score:.3f}"
        parts = [str(r.get("critique") or "").strip(), f"[{r['metric_name']} / score: {shown}]"]
        if r.get("query"):
            parts.append(f"Query: {r['query']}")
        key = f"{r['record_id']}|{r['metric_name']}|{shown}"
        items.append({"id": hashlib.sha256(key.encode()).hexdigest()[:16],
                      "text": " ".join(p for p in parts if p), "source": r["record_id"],
                      "metadata": {"metric": r["metric_name"], "score": score,
                                   "experiment": r.get("evaluation_name")}})
    return items


async def discover(judge, issues, meta: dict[str, Any], method: str = "local") -> dict[str, Any] | None:
    """Patterns and learnings of ``issues`` from the pattern pipeline, or None when it is
    not installed. Clusters are found with ``method`` (``local``: TF-IDF, no model call;
    ``llm``) and learnings distilled by the model; a pattern needs issues from at least two
    distinct test cases (the reference counts recurrence per test case)."""
    if not available():
        return None
    import importlib

    patterns = importlib.import_module("axis_jupyter.patterns")  # optional: the alignment feature

    items = evidence(issues)
    by_id = {e["id"]: e for e in items}
    domain = (f"Evaluation: {meta['records']} test cases, {meta['issues']} issues across "
              f"{len(meta['metrics_covered'])} metrics ({', '.join(meta['metrics_covered'])})")
    found = await patterns.adiscover(items, method=method, judge=judge, distill="auto",
                                     domain_context=domain)
    result = found.to_dict()
    kept = []
    for pat in result.get("patterns", []):
        ids = [i for i in pat.get("record_ids", []) if i in by_id]
        cases = sorted({by_id[i]["source"] for i in ids})
        if len(cases) < 2:
            continue
        metrics = sorted({by_id[i]["metadata"]["metric"] for i in ids})
        kept.append({**pat, "issue_ids": ids, "count": len(ids), "metrics_involved": metrics,
                     "is_cross_metric": len(metrics) >= 2, "distinct_test_cases": len(cases)})
    result["patterns"] = kept
    return result
