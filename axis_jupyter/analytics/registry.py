"""Analytics by name: the one table the Python API, the magic and the HTTP API dispatch on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import QueryError
from . import evals, monitoring


@dataclass(frozen=True)
class Analytic:
    name: str
    fn: Callable
    kinds: tuple[str, ...]
    doc: str


def _a(name, fn, kinds) -> Analytic:
    return Analytic(name, fn, kinds, (fn.__doc__ or "").strip().splitlines()[0])


EVAL_KINDS = ("evals", "monitoring", "signals")
ANALYTICS: dict[str, Analytic] = {a.name: a for a in [
    _a("summary", evals.summary, EVAL_KINDS),
    _a("comparison", evals.comparison, EVAL_KINDS),
    _a("distribution", evals.distribution, EVAL_KINDS),
    _a("quantiles", evals.quantiles, EVAL_KINDS),
    _a("correlation", evals.correlation, EVAL_KINDS),
    _a("radar", evals.radar, EVAL_KINDS),
    _a("scatter", evals.scatter, EVAL_KINDS),
    _a("trends", monitoring.trends, ("monitoring", "signals")),
    _a("latency", monitoring.latency, ("monitoring", "evals", "signals")),
    _a("latency_histogram", monitoring.latency_histogram, ("monitoring", "evals", "signals")),
    _a("pass_rates", monitoring.pass_rates, EVAL_KINDS),
]}


def register(name: str, fn: Callable, kinds: tuple[str, ...]) -> None:
    """Add an analytic (later modules: compare, alerts, scorecard tree, KPI panels)."""
    ANALYTICS[name] = _a(name, fn, kinds)


def get(name: str, kind: str) -> Analytic:
    a = ANALYTICS.get(name)
    if a is None:
        raise QueryError(f"unknown analytic {name!r}; available: {', '.join(sorted(ANALYTICS))}.")
    if kind not in a.kinds:
        raise QueryError(f"{name} does not apply to {kind} datasets (it works on "
                         f"{', '.join(a.kinds)}).")
    return a
