"""The prompt context of a report: the extracted issues grouped by metric (reference §8.1).

At most :data:`MAX_GROUPS` metrics (the most issues first), each with its average score,
issue count, count of missing scores and :data:`EXAMPLES` examples whose text is cut
(query and output to 200 characters; expected output, retrieved content and critique to
150; the first 5 signals). Record text is quoted (JSON strings), so the model reads it as
data: a record cannot speak to the model as its instructions.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

MAX_GROUPS = 20
EXAMPLES = 3
LONG_FIELDS = {"query": 200, "actual_output": 200}
SHORT_FIELDS = {"expected_output": 150, "retrieved_content": 150, "critique": 150,
                "conversation": 150}
MAX_SIGNALS = 5


def _cut(value: Any, limit: int) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _signals(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dict):
        return dict(list(value.items())[:MAX_SIGNALS])
    if isinstance(value, list):
        return value[:MAX_SIGNALS]
    return [value]


def group_by_metric(issues: pd.DataFrame) -> list[dict[str, Any]]:
    """``[{metric, average_score, count, nan_count, examples: [...]}]``, most issues first."""
    if issues.empty:
        return []
    groups = []
    for metric, g in issues.groupby("metric_name", sort=False, dropna=False):
        scores = pd.to_numeric(g["metric_score"], errors="coerce")
        examples = []
        for r in g.head(EXAMPLES).to_dict("records"):
            ex: dict[str, Any] = {"id": r.get("record_id"),
                                  "score": None if pd.isna(r.get("metric_score")) else
                                  round(float(r["metric_score"]), 4)}
            if r.get("evaluation_name") is not None:
                ex["experiment"] = r["evaluation_name"]
            for f, limit in {**LONG_FIELDS, **SHORT_FIELDS}.items():
                if f in r and _cut(r[f], limit) is not None:
                    ex[f] = _cut(r[f], limit)
            if "signals" in r and _signals(r["signals"]) is not None:
                ex["signals"] = _signals(r["signals"])
            examples.append(ex)
        mean = scores.mean()
        groups.append({"metric": str(metric), "count": int(len(g)),
                       "nan_count": int(scores.isna().sum()),
                       "average_score": None if pd.isna(mean) else round(float(mean), 4),
                       "examples": examples})
    groups.sort(key=lambda g: (-g["count"], g["metric"]))
    return groups[:MAX_GROUPS]


def render_context(groups: list[dict[str, Any]]) -> str:
    """The groups as the prompt shows them: a heading per metric, its numbers, then each
    example as one JSON object (record text quoted)."""
    parts = []
    for g in groups:
        avg = "n/a" if g["average_score"] is None else f"{g['average_score']:.4f}"
        parts.append(f"### {g['metric']}\nissues: {g['count']}, average score: {avg}, "
                     f"missing scores: {g['nan_count']}")
        for ex in g["examples"]:
            parts.append("- " + json.dumps(ex, ensure_ascii=False, default=str))
    return "\n".join(parts)
