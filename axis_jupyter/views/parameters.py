"""The schema of view-action parameters, so a wrong one is a ParameterError naming it.

View actions (what a view's front end asks for) take many of the analytics' parameters
(``filters``, ``metric``, ``threshold``, ``page`` ...: the same schemas, from
:mod:`axis_jupyter.analytics.parameters`) and a few of their own, listed here. A name whose
meaning differs for one action has an entry in :data:`OVERRIDES`. Names no table knows pass
through to the action, which refuses unknown ones itself.
"""

from __future__ import annotations

import inspect

from .. import params as P
from ..analytics import parameters as analytics_params

_TEXT = P.STRING
VIEW_PARAMS: dict[str, dict] = {
    "anchor": P.one_of("data", "now"),
    "time": _TEXT,
    "time_range": {"type": "array", "items": P.nullable(P.STRING), "minItems": 2, "maxItems": 2},
    "group_by": P.STRING,
    "sort": _TEXT,
    "format": _TEXT,
    "mode": _TEXT,
    "kind": _TEXT,
    "kpi": _TEXT,
    "kpi_name": _TEXT,
    "metric_name": _TEXT,
    "source_name": _TEXT,
    "source_component": _TEXT,
    "title": _TEXT,
    "trace_id": _TEXT,
    "trendline": P.BOOL,
    "run_id": _TEXT,
    "handle": _TEXT,
    "table": {"anyOf": [P.STRING, P.OBJECT]},
    "schema": _TEXT,
    "query": _TEXT,
    "name": _TEXT,
    "source": _TEXT,
    "host": _TEXT,
    "port": P.integer(1, 65535),
    "database": _TEXT,
    "username": _TEXT,
    "password": _TEXT,
    "url": _TEXT,
    "ssl_mode": _TEXT,
    "full": P.BOOL,
    "columns": {"anyOf": [P.STRINGS, P.OBJECT]},
    "mapping": P.OBJECT,
    "concurrency": P.integer(1, 256),
    "page_size": P.integer(1, 500),
    "limit": P.integer(1, 100_000),
}

# (view, action, parameter) -> schema where an action reads a shared name its own way.
OVERRIDES: dict[tuple[str, str, str], dict] = {
    ("deepdive", "length", "bins"): analytics_params.OVERRIDES[("length_analysis", "bins")],
    ("database", "preview", "filters"): {"anyOf": [P.OBJECT, {"type": "array"}]},
    ("database", "import_table", "filters"): {"anyOf": [P.OBJECT, {"type": "array"}]},
}


# (view, action, parameter) -> values the action already groups by (a second one clashes).
RESERVED: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("monitor", "payload", "group_by"): ("latency",),
}


def _check_names(view: str, action: str, params: dict, fn) -> None:
    sig = list(inspect.signature(fn).parameters.values())[2:]  # after (store, dataset)
    named = [p for p in sig if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    missing = [p.name for p in named if p.default is p.empty and params.get(p.name) is None]
    if missing:
        raise P.ParameterError(f"{view} {action} needs {', '.join(missing)}.", param=missing[0])
    if not any(p.kind == p.VAR_KEYWORD for p in sig):
        known = {p.name for p in named}
        unknown = [str(k) for k in params if k not in known]
        if unknown:
            raise P.ParameterError(f"{view} {action} has no parameter {P.shown(unknown[0])} "
                                   f"(parameters: {', '.join(sorted(known)) or 'none'}).",
                                   param=unknown[0])


def schema_of(view: str, action: str, name: str) -> dict | None:
    return (OVERRIDES.get((view, action, name)) or VIEW_PARAMS.get(name)
            or analytics_params.PARAMS.get(name))


def check_params(view: str, action: str, params: dict, fn=None) -> dict:
    """``params`` with every known name checked; ``None`` means "not given". With the
    action ``fn``: its required parameters must be there, and unknown ones are refused
    unless it takes ``**kwargs`` (then it refuses them itself)."""
    if not isinstance(params, dict):
        raise P.ParameterError(f"the parameters of {view} {action} must be a JSON object.")
    if fn is not None:
        _check_names(view, action, params, fn)
    out = {}
    for key, value in params.items():
        schema = schema_of(view, action, key) if isinstance(key, str) else None
        if schema is None:
            out[key] = value
        elif value is None:
            if schema.get("type") not in ("integer", "number", "boolean"):
                out[key] = value  # null may mean "all" (time, metric); a null number: the default
        else:
            out[key] = P.check(key, value, schema)
            if value in RESERVED.get((view, action, key), ()):
                raise P.ParameterError(f"{key} cannot be {value!r} here.", param=key)
    return out
