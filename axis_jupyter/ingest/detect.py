"""Kind and layout detection, in the reference's order (reference §2.1, §2.3, §2.4, §2.5).

Kinds: evals, monitoring, signals, annotations, kpi, rules.
Layouts: tree_format, flat_format, eval_runner, wide, inputs (evals); long, wide (monitoring);
simple_judgment, fresh_annotation (annotations); long (signals, kpi); table (rules).
"""

from __future__ import annotations

from typing import Callable

from ..errors import IngestError
from .columns import NON_METRIC_NUMERIC

KINDS = ("evals", "monitoring", "signals", "annotations", "kpi", "rules")

NUMERIC_TYPES = ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT",
                 "DECIMAL", "REAL", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")

# Columns that are neither metrics nor dimensions of a wide evaluation record.
RECORD_TEXT = {"dataset_id", "query", "actual_output", "expected_output", "evaluation_name",
               "evaluation_metadata", "data_metadata", "conversation", "retrieved_content"}


def is_numeric(duck_type: str) -> bool:
    t = duck_type.upper()
    return any(t.startswith(n) for n in NUMERIC_TYPES)


def wide_metric_columns(columns: dict[str, str], *, numeric_fallback: bool) -> list[str]:
    """Metric columns of a wide layout: every ``*_score`` column except ``metric_score``;
    for evaluation files without any, numeric columns that are not record attributes."""
    scores = [c for c in columns if c.endswith("_score") and c != "metric_score"]
    if scores or not numeric_fallback:
        return scores
    return [c for c, t in columns.items()
            if is_numeric(t) and c not in NON_METRIC_NUMERIC and c not in RECORD_TEXT
            and not c.startswith("_axis")]


# Human signals (reference §2.4): one row per (case, metric) with a ``signals`` object.
SIGNALS_CORE = {"metric_name", "dataset_id", "signals"}


def detect(columns: dict[str, str], kind: str, label: str,
           scored: Callable[[], bool] | None = None) -> tuple[str, str]:
    """Return (kind, layout) for canonical ``columns`` (name -> DuckDB type).

    ``scored()`` says whether the ``metric_score`` column holds any number. Human-signal
    exports carry the evaluation columns too (``metric_score``, ``parent``, ``run_id``,
    ``passed``) but leave the scores empty: rows with ``metric_name``, ``dataset_id`` and
    ``signals`` and no score are signals, not evaluation results. Without ``scored`` a
    ``metric_score`` column counts as scored."""
    names = set(columns)
    has_time = "timestamp" in names
    has_source = bool(names & {"source_name", "source_component", "environment", "source_type"})
    long_scores = {"metric_name", "metric_score"} <= names
    if kind not in ("auto", *KINDS):
        raise IngestError(f"kind={kind!r} is not one of auto, {', '.join(KINDS)}.")

    if kind == "auto":
        if SIGNALS_CORE <= names and not (long_scores and (scored is None or scored())):
            return "signals", "long"
        if {"kpi_name", "numeric_value"} <= names:
            return "kpi", "long"
        if "rule_name" in names and "action" in names:
            return "rules", "table"
        if long_scores:
            if has_time and has_source and "parent" not in names:
                return "monitoring", "long"
            return "evals", _eval_long_layout(names)
        if wide_metric_columns(columns, numeric_fallback=False):
            return ("monitoring", "wide") if has_time else ("evals", "wide")
        if "judgment" in names:
            return "annotations", "simple_judgment"
        if {"dataset_id", "evaluation_name", "query", "actual_output"} <= names:
            return "annotations", "fresh_annotation"
        # Numeric columns count as metrics only beside evaluation record columns.
        if (names & {"dataset_id", "query", "actual_output"} and not has_time
                and wide_metric_columns(columns, numeric_fallback=True)):
            return "evals", "wide"
        if names & {"query", "actual_output"}:
            return "evals", "inputs"
        advice = ("Evaluation results need metric_name and metric_score (long) or *_score "
                  "columns (wide); monitoring records also need a timestamp. Pass kind='evals' or "
                  "kind='monitoring' and a mapping={...} of your column names.")
        raise IngestError(
            f"{label}: cannot tell what kind of data this is from its columns "
            f"({', '.join(sorted(names)[:12])}). {advice}",
            public=f"{label}: cannot tell what kind of data this is from its {len(names)} "
                   f"column(s). {advice}")

    if kind == "evals":
        if long_scores:
            return kind, _eval_long_layout(names)
        if wide_metric_columns(columns, numeric_fallback=True):
            return kind, "wide"
        if names & {"query", "actual_output"}:
            return kind, "inputs"
        raise IngestError(f"{label}: evaluation results need metric_name and metric_score "
                          "columns, or numeric/*_score metric columns. Rename your columns or "
                          "pass mapping={'your_column': 'metric_score', ...}.")
    if kind == "monitoring":
        if long_scores:
            return kind, "long"
        if wide_metric_columns(columns, numeric_fallback=False):
            return kind, "wide"
        raise IngestError(f"{label}: monitoring records need metric_name and metric_score "
                          "columns (long) or *_score columns (wide).")
    if kind == "annotations":
        if "judgment" in names:
            return kind, "simple_judgment"
        return kind, "fresh_annotation"
    if kind == "kpi":
        return kind, "long"
    if kind == "signals":
        return kind, "long"
    return kind, "table"


def _eval_long_layout(names: set[str]) -> str:
    if {"run_id", "dataset_id", "passed"} <= names:
        return "eval_runner"
    if {"parent", "metric_type"} <= names:
        return "tree_format"
    return "flat_format"


# Columns each kind cannot do without (after defaults are applied).
REQUIRED = {
    ("monitoring", "long"): [("dataset_id", "trace_id")],
    ("monitoring", "wide"): [("dataset_id", "trace_id")],
    ("signals", "long"): ["metric_name", "dataset_id", "signals", "source_name"],
    ("kpi", "long"): ["kpi_name", "numeric_value", "created_at"],
    ("annotations", "simple_judgment"): ["dataset_id", "judgment"],
    ("annotations", "fresh_annotation"): ["dataset_id", "query", "actual_output"],
    ("rules", "table"): [],  # roles, checked by ingest/rules.py with memory.yaml's names
}


# Other names a required column may have (renamed to the canonical name on ingest).
ALSO_ACCEPTED = {("signals", "source_name"): "source"}


def check_required(kind: str, layout: str, names: set[str], label: str) -> None:
    """Raise one IngestError naming every required column that is missing."""
    missing = []
    for req in REQUIRED.get((kind, layout), []):
        options = req if isinstance(req, tuple) else (req,)
        if not names & set(options):
            want = " or ".join(repr(o) for o in options)
            also = ALSO_ACCEPTED.get((kind, options[0]))
            missing.append((f"{want} (or {also!r})" if also else want, options[0]))
    if len(missing) == 1:
        want, first = missing[0]
        raise IngestError(
            f"{label}: {kind} data needs a column {want}, which is missing. Add it, or map "
            f"your column to it with mapping={{'your_column': '{first}'}}."
        )
    if missing:
        wants = [w for w, _ in missing]
        raise IngestError(
            f"{label}: {kind} data needs the columns {', '.join(wants[:-1])} and {wants[-1]}, "
            f"which are missing. Add them, or map your columns to them with "
            f"mapping={{'your_column': '{missing[0][1]}', ...}}."
        )
