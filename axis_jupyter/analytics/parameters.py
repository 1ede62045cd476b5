"""The schema of every analytic parameter, shared by name.

Analytics take keyword parameters with the same meaning everywhere (``filters``, ``by``,
``metric``, ``threshold``, ``limit``, ...), so one table describes them and
:func:`check_params` checks a call against it before any Ibis expression is built: a wrong
type or range is a :class:`~axis_jupyter.errors.ParameterError` naming the parameter, never
a TypeError or a database error from deep inside. A parameter whose meaning differs per
analytic (``level``, ``sort_by``, ``limit``) has an entry in :data:`OVERRIDES`. The same
schemas describe the analytics in ``openapi.json`` and in ``GET analytics``.
"""

from __future__ import annotations

import inspect
from typing import Callable

from .. import params as P
from ..errors import ParameterError

_SCALAR = {"anyOf": [P.STRING, P.NUMBER, P.BOOL]}
_FILTER_VALUE = {"anyOf": [P.STRING, P.NUMBER, P.BOOL,
                           {"type": "array", "items": _SCALAR, "minItems": 1, "maxItems": 10_000}],
                 "nullable": True}
FILTERS = {"type": "object", "additionalProperties": _FILTER_VALUE,
           "description": "column -> value (equality), [values] (IN) or null (IS NULL); "
                          "time_range [start, end], time_start, time_end (ISO 8601)"}
# Any case and a few spellings are accepted; the analytic's own check names the choices.
GRANULARITY = {"type": "string", "description": "hour, day or week"}
_LIMIT = P.integer(1, 100_000)

PARAMS: dict[str, dict] = {
    "filters": FILTERS,
    "threshold": P.number(-1e12, 1e12),
    "by": P.NAMES,
    "metric": P.STRING,
    "metrics": P.NAMES,
    "bins": P.integer(1, 1000),
    "granularity": GRANULARITY,
    "metric_category": P.STRING,
    "x": P.STRING,
    "y": P.STRING,
    "color_by": P.STRING,
    "limit": _LIMIT,
    "page": P.integer(1, 10**9),
    "page_size": P.integer(1, 500),
    "search": P.STRING,
    "sort_by": P.STRING,
    "descending": P.BOOL,
    "parse": P.BOOL,
    "baseline": P.STRING,
    "challenger": P.STRING,
    "alpha": P.number(1e-9, 0.5),
    "paired": P.BOOL,
    "tie_band": P.number(0, 1e9),
    "large_threshold": P.number(0, 1e9),
    "outcome": P.one_of("all", "wins", "losses", "ties", "large", "challenger", "baseline", "tie"),
    "case_id": P.STRING,
    "dataset_id": P.STRING,
    "evaluation_name": P.STRING,
    "experiments": P.NAMES,
    "level": P.STRING,
    "config": P.OBJECT,
    "category_source": P.one_of("explanation", "actual_output", "metric_score"),
    "classification": P.BOOL,
    "scan": P.BOOL,
    "deltas": P.one_of("metric", "all", "none"),
    "sparkline_days": P.integer(1, 3660),
    "sparkline_points": P.integer(1, 1000),
    "kpi_names": P.NAMES,
    "history": P.BOOL,
    "column": P.STRING,
    "key": P.STRING,
    "sample": P.integer(1, 5000),
    "rule_id": {"type": "string", "minLength": 1, "maxLength": 600},
    "quick": P.one_of("all", "top", "bottom", "variance", "differ"),
    "full_text": P.BOOL,
    "fields": P.NAMES,
    "signal": P.STRING,
    "columns": P.NAMES,
    "recent": P.BOOL,
    # true: read the raw rows even when the dataset's summaries could answer (summaries/)
    "exact": P.BOOL,
}

# (analytic, parameter) -> schema, where one analytic reads a name differently.
OVERRIDES: dict[tuple[str, str], dict] = {
    ("health", "level"): P.one_of("source", "component", "metric"),
    ("win_loss", "level"): P.one_of("case", "metric"),
    ("case_diff", "sort_by"): P.one_of("abs_delta", "delta", "case_id", "dataset_id",
                                       "baseline_score", "challenger_score"),
    ("insights", "limit"): P.integer(1, 100),
    ("metadata_breakdown", "limit"): P.integer(1, 1000),
    ("case_list", "limit"): P.integer(1, 5000),
    ("case_detail", "limit"): P.integer(1, 100_000),
    ("length_analysis", "bins"): {"anyOf": [
        {"type": "array", "items": P.number(-1e15, 1e15), "minItems": 1, "maxItems": 50},
        P.STRING], "description": "ascending bin edges, e.g. [0, 100, 300]"},
    # issue extraction (analytics/issues.py)
    ("issues", "mode"): P.one_of("low", "high", "overall"),
    ("issues", "sample_rate"): P.number(0.001, 1),
    ("issues", "max_issues"): P.integer(1, 500),
    ("issues", "include_nan"): P.BOOL,
    ("issues", "fields"): {"anyOf": [P.STRING, {"type": "array", "items": P.one_of(
        "query", "actual_output", "expected_output", "retrieved_content", "conversation",
        "signals", "critique")}]},
}


# Columns an analytic already groups its result by: naming one in ``by`` again would
# make two result columns of one name.
GROUPED_BY: dict[str, tuple[str, ...]] = {
    name: ("metric_name",) for name in ("summary", "comparison", "quantiles", "radar",
                                        "pass_rates")}
GROUPED_BY["latency_histogram"] = ("latency",)


def _check_by(analytic: str, by) -> None:
    names = [b.strip() for b in by.split(",")] if isinstance(by, str) else list(by)
    names = [b for b in names if b]
    twice = sorted({b for b in names if names.count(b) > 1})
    if twice:
        raise ParameterError(f"by names {', '.join(map(repr, twice))} more than once.", param="by")
    clash = [b for b in names if b in GROUPED_BY.get(analytic, ())]
    if clash:
        raise ParameterError(f"by cannot be {clash[0]!r}: {analytic} already gives one row per "
                             f"{clash[0]}.", param="by")


def schema_of(analytic: str, param: str) -> dict | None:
    return OVERRIDES.get((analytic, param)) or PARAMS.get(param)


def signature_params(fn: Callable) -> tuple[dict[str, inspect.Parameter], tuple[str, ...]]:
    """An analytic's keyword parameters (after ``ctx``) and the required ones."""
    ps = list(inspect.signature(fn).parameters.values())[1:]
    named = {p.name: p for p in ps if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    required = tuple(n for n, p in named.items() if p.default is inspect.Parameter.empty)
    return named, required


def schemas_of(analytic: str, fn: Callable) -> dict[str, dict]:
    """Parameter name -> schema for one analytic (every parameter has one; a new analytic
    with a parameter this table does not know fails the registry test)."""
    named, _ = signature_params(fn)
    return {n: schema_of(analytic, n) or {} for n in named}


def check_params(analytic: str, fn: Callable, params: dict) -> dict:
    """``params`` checked against the analytic's signature and the shared schemas."""
    named, required = signature_params(fn)
    if not isinstance(params, dict):
        raise ParameterError(f"the parameters of {analytic} must be a JSON object.")
    for key in params:
        if not isinstance(key, str) or key not in named:
            raise ParameterError(f"{analytic} has no parameter {P.shown(str(key))} (parameters: "
                                 f"{', '.join(named) or 'none'}).", param=str(key))
    checked = P.check_fields(analytic, params, schemas_of(analytic, fn), required=required)
    if checked.get("by") is not None:
        _check_by(analytic, checked["by"])
    return checked
