"""Cross-metric insight patterns and learnings for a report, from the pattern pipeline.

The pattern pipeline (evidence -> clusters -> learnings, reference §5 "EvidencePipeline")
is built once, in :mod:`axis_jupyter.patterns` (the alignment workbench clusters people's
critiques with it too). A report turns each issue into an evidence item (its critique and
query, see :func:`evidence`; its source is the record id, so recurrence counts distinct
test cases) and asks the pipeline for patterns: ``{patterns: [{category,
description, count, issue_ids, metrics_involved, is_cross_metric, distinct_test_cases,
examples, confidence, ...}], learnings: [...], metadata: {...}}``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from .. import patterns


def available() -> bool:
    """Whether reports carry insight patterns (``GET reports`` says so): the pattern
    pipeline ships with AXIS, so always."""
    return True


def evidence(issues) -> list[dict[str, Any]]:
    """Each issue as an evidence item (reference §8.1): id = the first 16 hex digits of
    sha256(record id, metric, score), source = the record id, metadata = metric, score and
    experiment (the LLM steps see them summarised per cluster). The text is the critique
    and "Query: ..."; the reference's "[metric / score: value]" goes in only when there is
    no critique: the same bracket on every note outweighs short critiques in the local
    (lexical) clustering and merged unrelated themes into one pattern."""
    items = []
    for r in issues.to_dict("records"):
        score = r.get("metric_score")
        shown = "n/a" if score is None or (isinstance(score, float) and math.isnan(score)) \
            else f"{score:.3f}"
        critique = str(r.get("critique") or "").strip()
        parts = [critique or f"[{r['metric_name']} / score: {shown}]"]
        if r.get("query"):
            parts.append(f"Query: {r['query']}")
        key = f"{r['record_id']}|{r['metric_name']}|{shown}"
        items.append({"id": hashlib.sha256(key.encode()).hexdigest()[:16],
                      "text": " ".join(parts), "source": r["record_id"],
                      "metadata": {"metric": r["metric_name"], "score": score,
                                   "experiment": r.get("evaluation_name")}})
    return items


async def discover(judge, issues, meta: dict[str, Any], method: str = "local") -> dict[str, Any]:
    """Patterns and learnings of ``issues`` from the pattern pipeline. Clusters are found
    with ``method`` (``local``: TF-IDF, no model call; ``llm``) and learnings distilled by
    the model; a pattern (and its learnings) needs issues from at least two distinct test
    cases (the reference counts recurrence per test case)."""
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
    # the learnings of a dropped pattern go with it
    categories = {pat["category"] for pat in kept}
    result["learnings"] = [l for l in result.get("learnings", []) if l.get("category") in categories]
    return result
