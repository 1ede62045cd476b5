"""Evaluation metrics and the scoring runner.

Entry points for callers:
    list_metrics()                      -> catalogue DataFrame
    get(key) / create(key, **params)    -> metric class / instance
    compatible(fields)                  -> keys whose required fields are present
    score_items(items, metrics, ...)    -> long results DataFrame (ROW_COLUMNS)
    await ascore_items(items, metrics, ...) -> list of row dicts
    MetricTree.from_config(yaml|dict).score(items, ...) -> leaf + component rows
    load_rubrics(yaml) / binary_judge(...) -> declarative LLM judges
"""

from .base import (EvalError, HeuristicMetric, Metric, MetricConfigError, MetricContext,
                   MetricNotFound, MetricResult, MissingFields, Signal)
from .registry import (ENTRY_POINT_GROUP, compatible, create, describe, get, keys, list_metrics,
                       load_entry_points, load_rubrics, metric, register, unregister)
from .runner import ROW_COLUMNS, MetricSpec, ascore_items, resolve_metrics, score_items
from .tree import MetricTree

__all__ = [
    "ENTRY_POINT_GROUP", "EvalError", "HeuristicMetric", "Metric", "MetricConfigError",
    "MetricContext", "MetricNotFound", "MetricResult", "MetricSpec", "MetricTree",
    "MissingFields", "ROW_COLUMNS", "Signal", "ascore_items", "binary_judge", "compatible",
    "create", "describe", "get", "keys", "list_metrics", "load_entry_points", "load_rubrics", "metric",
    "register", "resolve_metrics", "score_items", "unregister",
]


def binary_judge(*args, **kwargs):
    """See ``axis_jupyter.evals.judges.rubric.binary_judge`` (imported lazily)."""
    from .judges.rubric import binary_judge as _binary_judge

    return _binary_judge(*args, **kwargs)
