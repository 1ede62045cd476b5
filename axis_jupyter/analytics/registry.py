"""Analytics by name: the one table the Python API, the magic and the HTTP API dispatch on.

An analytic is a function ``fn(ctx, **params) -> DataFrame`` (see :mod:`.context`). Its
parameters are declared once, on the function: :class:`~axis_jupyter.store.base.Dataset`
turns every entry below into a method with the same parameters and docstring
(``ds.trends(granularity="hour")``), and the HTTP API takes them as JSON.

``method`` is the Dataset method's name (``None``: only through ``ds.analytic(name)``,
for analytics that serve a view rather than a person at a prompt).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Callable

from ..errors import QueryError
from . import (alerts, classification, compare, deepdive, evals, health, issues, kpi, monitoring,
               rules, scorecard, signal_kpis, signals, testcases)
from .parameters import check_params, schemas_of, signature_params


@dataclass(frozen=True)
class Analytic:
    name: str
    fn: Callable
    kinds: tuple[str, ...]
    method: str | None = None
    doc: str = field(default="", compare=False)

    def parameters(self) -> list[inspect.Parameter]:
        """The analytic's parameters after the context, annotations evaluated."""
        try:
            sig = inspect.signature(self.fn, eval_str=True)
        except (NameError, TypeError):  # an annotation that only exists for type checkers
            sig = inspect.signature(self.fn)
        return list(sig.parameters.values())[1:]

    def check(self, params: dict) -> dict:
        """``params`` checked (names, types, ranges); a wrong one raises ParameterError
        naming it. ``None`` values mean "not given" and are dropped."""
        return check_params(self.name, self.fn, params)

    def param_schemas(self) -> dict[str, dict]:
        """Parameter name -> JSON schema (the form ``openapi.json`` shows)."""
        return schemas_of(self.name, self.fn)

    def required(self) -> tuple[str, ...]:
        return signature_params(self.fn)[1]


def _a(name: str, fn: Callable, kinds: tuple[str, ...], method: str | None = "") -> Analytic:
    doc = ((fn.__doc__ or "").strip().splitlines() or [""])[0]
    return Analytic(name, fn, kinds, name if method == "" else method, doc)


EVAL_KINDS = ("evals", "monitoring", "signals")
MONITORING = ("monitoring",)
RULES = ("rules",)
ANALYTICS: dict[str, Analytic] = {a.name: a for a in [
    # evaluation results (analytics/evals.py)
    _a("summary", evals.summary, EVAL_KINDS),
    _a("comparison", evals.comparison, EVAL_KINDS),
    _a("distribution", evals.distribution, EVAL_KINDS),
    _a("quantiles", evals.quantiles, EVAL_KINDS),
    _a("correlation", evals.correlation, EVAL_KINDS),
    _a("radar", evals.radar, EVAL_KINDS),
    _a("scatter", evals.scatter, EVAL_KINDS),
    _a("scorecard", scorecard.scorecard, EVAL_KINDS, method=None),
    # two experiments head to head (analytics/compare.py)
    _a("compare", compare.compare, EVAL_KINDS),
    _a("win_loss", compare.win_loss, EVAL_KINDS),
    _a("case_diff", compare.case_diff, EVAL_KINDS),
    _a("experiments", compare.experiments, EVAL_KINDS),
    _a("agreement", compare.agreement, EVAL_KINDS),
    _a("paired_scores", compare.paired_scores, EVAL_KINDS, method=None),
    # N experiments side by side, one test case at a time (analytics/testcases.py)
    _a("test_cases", testcases.test_cases, EVAL_KINDS),
    # one experiment in depth (analytics/deepdive.py)
    _a("length_analysis", deepdive.length_analysis, EVAL_KINDS),
    _a("turn_analysis", deepdive.turn_analysis, EVAL_KINDS),
    _a("metadata_breakdown", deepdive.metadata_breakdown, EVAL_KINDS),
    _a("metadata_keys", deepdive.metadata_keys, EVAL_KINDS, method=None),
    _a("case_detail", deepdive.case_detail, EVAL_KINDS),
    _a("case_list", deepdive.case_list, EVAL_KINDS, method=None),
    # production monitoring (analytics/monitoring.py, alerts.py, health.py, classification.py)
    _a("trends", monitoring.trends, ("monitoring", "signals")),
    _a("latency", monitoring.latency, ("monitoring", "evals", "signals")),
    _a("latency_histogram", monitoring.latency_histogram, ("monitoring", "evals", "signals")),
    _a("pass_rates", monitoring.pass_rates, EVAL_KINDS),
    _a("alerts", alerts.alerts, MONITORING),
    _a("health", health.health, MONITORING),
    _a("hierarchy", health.hierarchy, MONITORING),
    _a("classification", classification.classification, MONITORING),
    _a("classification_trends", classification.classification_trends, MONITORING),
    _a("insights", classification.insights, MONITORING),
    # business KPIs (analytics/kpi.py)
    _a("kpi_panels", kpi.kpi_panels, ("kpi",)),
    _a("kpi_trends", kpi.kpi_trends, ("kpi",)),
    _a("kpi_composition", kpi.kpi_composition, ("kpi",)),
    # issue extraction for reports and the copilot (analytics/issues.py)
    _a("issues", issues.issues, ("evals", "signals")),
    # human signals (analytics/signals.py, signal_kpis.py) over the cases table
    _a("signal_schema", signals.signal_schema, ("signals",)),
    _a("display_config", signals.display_config, ("signals",), method=None),  # ds.display_config() -> dict
    _a("cases", signals.cases, ("signals",)),
    _a("case_count", signals.case_count, ("signals",), method=None),
    _a("signal_case", signals.signal_case, ("signals",)),
    _a("signal_kpis", signal_kpis.signal_kpis, ("signals",)),
    _a("signal_trends", signal_kpis.signal_trends, ("signals",)),
    _a("signal_values", signal_kpis.signal_values, ("signals",)),
    # decision memory (analytics/rules.py)
    _a("rules_summary", rules.rules_summary, RULES),
    _a("rules_by_action", rules.rules_by_action, RULES),
    _a("rules_by_product", rules.rules_by_product, RULES),
    _a("hard_stops", rules.hard_stops, RULES),
    _a("decision_quality", rules.decision_quality, RULES),
    _a("soft_thresholds", rules.soft_thresholds, RULES),
    _a("status_counts", rules.status_counts, RULES),
    _a("batches", rules.batches, RULES),
    _a("rule_trace", rules.rule_trace, RULES),
    _a("conflicts", rules.conflicts, RULES),
    _a("rule_options", rules.rule_options, RULES, method=None),
]}


def register(name: str, fn: Callable, kinds: tuple[str, ...], method: str | None = None) -> Analytic:
    """Add an analytic (a plugin's). ``method``: also expose it as ``ds.<method>(...)``."""
    a = ANALYTICS[name] = _a(name, fn, tuple(kinds), method)
    return a


def load_all() -> dict[str, Analytic]:
    """Every analytic by name."""
    return ANALYTICS


def by_method() -> dict[str, Analytic]:
    """The analytics that are Dataset methods, by method name."""
    return {a.method: a for a in ANALYTICS.values() if a.method}


def get(name: str, kind: str) -> Analytic:
    a = ANALYTICS.get(name)
    if a is None:
        raise QueryError(f"unknown analytic {name!r}; available: {', '.join(sorted(ANALYTICS))}.")
    if kind not in a.kinds:
        raise QueryError(f"{name} does not apply to {kind} datasets (it works on "
                         f"{', '.join(a.kinds)}).")
    return a


_NO_COLUMN = re.compile(r"'Table' object has no attribute '(\w+)'")


def call(fn: Callable, ctx, params: dict):
    """Run analytic ``fn`` on ``ctx``; a call it cannot take, or a column the dataset
    lacks, is a :class:`QueryError` that says so (never an AttributeError: a 500)."""
    try:
        return fn(ctx, **params)
    except TypeError as exc:
        if "unexpected keyword" in str(exc) or "missing" in str(exc):
            raise QueryError(f"{fn.__name__}: {exc}") from None
        raise
    except AttributeError as exc:
        # An analytic of the dataset's kind that needs a column this dataset lacks (summary
        # on human signals loaded without metric_score): the user's data, not a bug.
        missing = _NO_COLUMN.search(str(exc))
        if missing is None:
            raise
        info = getattr(ctx, "info", None) or {}
        hint = ""
        if info.get("kind") == "signals":
            hint = (" A human-signals dataset without scores has the analytics "
                    "signal_kpis, signal_trends, signal_values, cases and signal_schema.")
        raise QueryError(f"{fn.__name__} needs the column {missing.group(1)}, which dataset "
                         f"{info.get('name')!r} does not have.{hint}") from None


def import_optional(modules: list[str]) -> None:
    """Import each module; skip one only if the module itself does not exist (a missing
    import inside it is a bug and is raised). Used by the view and magic registries."""
    import importlib

    for mod in modules:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if not (exc.name and (mod == exc.name or mod.startswith(exc.name + "."))):
                raise
