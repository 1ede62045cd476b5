"""Analytics by name: the one table the Python API, the magic and the HTTP API dispatch on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import QueryError
from . import evals, monitoring, parameters


@dataclass(frozen=True)
class Analytic:
    name: str
    fn: Callable
    kinds: tuple[str, ...]
    doc: str

    def check(self, params: dict) -> dict:
        """``params`` checked (names, types, ranges); a wrong one raises ParameterError
        naming it. ``None`` values mean "not given" and are dropped."""
        return parameters.check_params(self.name, self.fn, params)

    def param_schemas(self) -> dict[str, dict]:
        """Parameter name -> JSON schema (the form ``openapi.json`` shows)."""
        return parameters.schemas_of(self.name, self.fn)

    def required(self) -> tuple[str, ...]:
        return parameters.signature_params(self.fn)[1]


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


# Modules that register more analytics when imported (each capability in its own module).
EXTRA_MODULES = [
    "axis_jupyter.analytics.scorecard",
    "axis_jupyter.analytics.compare",
    "axis_jupyter.analytics.deepdive",
    "axis_jupyter.analytics.testcases",
    "axis_jupyter.analytics.alerts",
    "axis_jupyter.analytics.classification",
    "axis_jupyter.analytics.kpi",
]
_loaded = False


def load_all() -> dict[str, Analytic]:
    """Import the extra analytics modules once (those not built yet are skipped)."""
    global _loaded
    if not _loaded:
        _loaded = True
        import_optional(EXTRA_MODULES)
    return ANALYTICS


def import_optional(modules: list[str]) -> None:
    """Import each module; skip one only if the module itself does not exist."""
    import importlib

    for mod in modules:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            # Skip only a capability that is not built; a missing import inside it is a bug.
            if not (exc.name and (mod == exc.name or mod.startswith(exc.name + "."))):
                raise


def get(name: str, kind: str) -> Analytic:
    load_all()
    a = ANALYTICS.get(name)
    if a is None:
        raise QueryError(f"unknown analytic {name!r}; available: {', '.join(sorted(ANALYTICS))}.")
    if kind not in a.kinds:
        raise QueryError(f"{name} does not apply to {kind} datasets (it works on "
                         f"{', '.join(a.kinds)}).")
    return a
