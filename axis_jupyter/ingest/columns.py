"""Column vocabulary: canonical names, the reference's alias tables and name normalisation.

Names are first normalised (lower-case, trimmed, spaces and hyphens to ``_``), then looked up
in the alias tables; a user mapping (exact source name -> canonical name) wins over both.
A rename is skipped when its target already exists, as in the reference, so a file that has
both ``id`` and ``dataset_id`` keeps its ``dataset_id``.
"""

from __future__ import annotations

import re

# Reference §2.1: legacy names renamed before anything else.
LEGACY = {"experiment_name": "evaluation_name", "experiment_metadata": "evaluation_metadata"}

# Reference §2.6 (evaluation DB) and §2.3 (monitoring). Later entries never override earlier ones.
EVAL_ALIASES = {
    "id": "dataset_id", "record_id": "dataset_id", "eval_id": "dataset_id",
    "input": "query", "prompt": "query", "question": "query", "user_input": "query",
    "output": "actual_output", "response": "actual_output", "completion": "actual_output",
    "answer": "actual_output", "model_output": "actual_output",
    "expected": "expected_output", "ground_truth": "expected_output", "reference": "expected_output",
    "experiment": "evaluation_name", "run_name": "evaluation_name", "eval_name": "evaluation_name",
    "evaluationname": "evaluation_name",
    "metric": "metric_name",
    "score": "metric_score", "metric_value": "metric_score", "value": "metric_score",
}

MONITORING_ALIASES = {
    "id": "dataset_id", "record_id": "dataset_id",
    "time": "timestamp", "created_at": "timestamp", "dataset_created_at": "timestamp",
    "model": "model_name", "agent": "model_name", "agent_name": "model_name",
    "latency_ms": "latency", "response_time": "latency", "duration": "latency",
    "duration_ms": "latency",
    "error": "has_errors",
    "input": "query", "prompt": "query", "user_input": "query",
    "output": "actual_output", "response": "actual_output", "model_output": "actual_output",
    "completion": "actual_output",
    "evaluationname": "evaluation_name", "eval_name": "evaluation_name",
    "experiment": "evaluation_name",
    "env": "environment", "stage": "environment",
}

# Human signals (reference §2.4): names are only lower-cased and underscored, as the reference
# does, except that the reference's own sample calls the source column ``source``.
SIGNALS_ALIASES = {"source": "source_name"}

# Latency columns whose unit is milliseconds; values are kept as given and the unit is
# recorded in the dataset metadata so views can label axes correctly.
MS_LATENCY_NAMES = {"latency_ms", "duration_ms", "time_ms"}

# Columns that hold JSON or Python-literal text. They are stored as text once per record and
# parsed only for the rows a view shows (see jsonish.py).
JSONISH = {
    "signals", "metadata", "data_metadata", "evaluation_metadata", "dataset_metadata",
    "metric_metadata", "retrieved_content", "conversation", "additional_input",
    "additional_output", "tools_called", "expected_tools", "user_tags", "conversation_stats",
    "acceptance_criteria", "tags",
}

# Free text: a line with too many fields may have its extras folded back into one of these
# when it is the last column of the file (see readers.py).
FREE_TEXT = JSONISH | {
    "query", "actual_output", "expected_output", "explanation", "critique", "document_text",
    "actual_reference", "expected_reference", "trace", "notes", "comment", "description",
}

# Record-level columns that are not metrics even when numeric.
NON_METRIC_NUMERIC = {
    "latency", "weight", "threshold", "cost_estimate", "has_errors", "passed", "version",
    "turn_count", "tokens", "input_tokens", "output_tokens", "row", "index", "_axis_rid",
}

# Light columns copied onto every long score row of a wide dataset so that analytics never
# need the record table (reference anchor: store record-level columns once).
LIGHT_DIMENSIONS = [
    "dataset_id", "trace_id", "timestamp", "evaluation_name", "source_name",
    "source_component", "source_type", "environment", "model_name",
]

# Filter columns whose distinct values are kept in metadata (reference §4.2).
FILTER_COLUMNS = [
    "evaluation_name", "environment", "source_name", "source_component", "source_type",
    "metric_name", "metric_category", "metric_type", "model_name", "kpi_name", "kpi_category",
]

_SEP = re.compile(r"[\s\-]+")


def normalise_name(name: str) -> str:
    """``'  Latency-MS '`` -> ``'latency_ms'``."""
    return _SEP.sub("_", str(name).strip()).lower()


def canonical_names(
    columns: list[str], kind: str, mapping: dict[str, str] | None = None
) -> dict[str, str]:
    """Map each original column to its canonical name.

    ``mapping`` keys are exact original names (or their normalised form) and win over the
    alias tables. ``kind`` picks the alias table; ``auto`` uses both (monitoring first for
    time/latency names, evaluation aliases for the rest).
    """
    mapping = dict(mapping or {})
    norm = {c: normalise_name(c) for c in columns}
    result: dict[str, str] = {}
    if kind == "monitoring":
        tables = [MONITORING_ALIASES]
    elif kind in ("evals", "annotations"):
        tables = [EVAL_ALIASES]
    elif kind == "auto":
        tables = [MONITORING_ALIASES, EVAL_ALIASES]
    elif kind == "signals":
        tables = [SIGNALS_ALIASES]
    else:  # kpi, rules: only lower-case/underscore, as the reference does
        tables = []
    taken = set()
    # First pass: user mapping and names that are already canonical keep their place.
    for c in columns:
        if c in mapping or norm[c] in mapping:
            result[c] = normalise_name(mapping.get(c, mapping.get(norm[c])))
        else:
            n = LEGACY.get(norm[c], norm[c])
            if not any(n in t for t in tables):
                result[c] = n
    taken = set(result.values())
    for c in columns:
        if c in result:
            continue
        n = LEGACY.get(norm[c], norm[c])
        target = n
        for t in tables:
            if n in t:
                target = t[n]
                break
        if target in taken:  # the target exists already: keep the original name
            target = n
        result[c] = target
        taken.add(target)
    return result
