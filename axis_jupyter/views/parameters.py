"""The schema of view-action parameters, so a wrong one is a ParameterError naming it.

View actions (what a view's front end asks for) take many of the analytics' parameters
(``filters``, ``metric``, ``threshold``, ``page`` ...: the same schemas, from
:mod:`axis_jupyter.analytics.parameters`) and a few of their own, listed here. A name whose
meaning differs for one action has an entry in :data:`OVERRIDES`. Names no table knows pass
through to the action, which refuses unknown ones itself.
"""

from __future__ import annotations

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


def schema_of(view: str, action: str, name: str) -> dict | None:
    return (OVERRIDES.get((view, action, name)) or VIEW_PARAMS.get(name)
            or analytics_params.PARAMS.get(name))


def check_params(view: str, action: str, params: dict) -> dict:
    """``params`` with every known name checked; ``None`` means "not given"."""
    if not isinstance(params, dict):
        raise P.ParameterError(f"the parameters of {view} {action} must be a JSON object.")
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
