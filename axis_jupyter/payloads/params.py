"""View parameters, checked and parsed in one place.

A view's parameters arrive as JSON from the front end (HTTP or the kernel transport) or as
the ``key=value`` text of ``%axis show``. :func:`check` (run by the registry's
``call_action`` for every action) checks each known name against its schema, so a wrong one
is a ParameterError naming it: view actions take many of the analytics' parameters
(``filters``, ``metric``, ``threshold``, ``page`` ...: the same schemas, from
:mod:`axis_jupyter.analytics.parameters`) and a few of their own, listed in
:data:`VIEW_PARAMS`; a name whose meaning differs for one action has an entry in
:data:`OVERRIDES`, and names no table knows pass through to the action, which refuses
unknown ones itself. The helpers below turn the checked values into what a payload uses
(filters without empty entries, the threshold, a page), so a parameter means the same
thing, and fails with the same message, on every path.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import pandas as pd

from .. import config, monitoring_config
from .. import params as schemas
from ..analytics import parameters as analytics_params
from ..errors import QueryError

# ----------------------------------------------------------------------------- schemas
_TEXT = schemas.STRING
VIEW_PARAMS: dict[str, dict] = {
    "anchor": schemas.one_of("data", "now"),
    "time": _TEXT,
    "time_range": {"type": "array", "items": schemas.nullable(schemas.STRING), "minItems": 2, "maxItems": 2},
    "group_by": schemas.STRING,
    "sort": _TEXT,
    "format": _TEXT,
    "mode": _TEXT,
    "layout": schemas.one_of("side", "classic"),
    "kind": _TEXT,
    "kpi": _TEXT,
    "kpi_name": _TEXT,
    "metric_name": _TEXT,
    "source_name": _TEXT,
    "source_component": _TEXT,
    "title": _TEXT,
    "trace_id": _TEXT,
    "trendline": schemas.BOOL,
    "run_id": _TEXT,
    "handle": _TEXT,
    "table": {"anyOf": [schemas.STRING, schemas.OBJECT]},
    "schema": _TEXT,
    "query": _TEXT,
    "name": _TEXT,
    "source": _TEXT,
    "host": _TEXT,
    "port": schemas.integer(1, 65535),
    "database": _TEXT,
    "username": _TEXT,
    "password": _TEXT,
    "url": _TEXT,
    "ssl_mode": _TEXT,
    "full": schemas.BOOL,
    "columns": {"anyOf": [schemas.STRINGS, schemas.OBJECT]},
    "mapping": schemas.OBJECT,
    "metric_params": {"type": "object", "additionalProperties": schemas.OBJECT},
    "concurrency": schemas.integer(1, 256),
    "page_size": schemas.integer(1, 500),
    "limit": schemas.integer(1, 100_000),
    # decision memory and the knowledge graph (payloads/memory.py, payloads/graph.py)
    "rule_id": {"type": "string", "minLength": 1, "maxLength": 600},
    "node_id": {"type": "string", "minLength": 3, "maxLength": 600},
    "depth": schemas.integer(1, 3),
    "text": {"type": "string", "minLength": 1, "maxLength": 200},
    "types": {"type": "array", "items": schemas.one_of("RiskFactor", "Rule", "Outcome", "Mitigant", "Source")},
}

# (view, action, parameter) -> schema where an action reads a shared name its own way.
OVERRIDES: dict[tuple[str, str, str], dict] = {
    ("deepdive", "length", "bins"): analytics_params.OVERRIDES[("length_analysis", "bins")],
    ("database", "preview", "filters"): {"anyOf": [schemas.OBJECT, {"type": "array"}]},
    ("database", "import_table", "filters"): {"anyOf": [schemas.OBJECT, {"type": "array"}]},
    # ``fields`` is a list of field names everywhere (the analytics' meaning: compare's
    # field picker, a report's context fields) except in the rule editor, where it is the rule
    **{("memory", a, "fields"): schemas.OBJECT for a in ("create", "update")},
    # the production view's human-signals dataset (a name)
    **{("production", a, "signals"): _TEXT for a in ("payload", "code")},
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
        raise schemas.ParameterError(f"{view} {action} needs {', '.join(missing)}.", param=missing[0])
    if not any(p.kind == p.VAR_KEYWORD for p in sig):
        known = {p.name for p in named}
        unknown = [str(k) for k in params if k not in known]
        if unknown:
            raise schemas.ParameterError(f"{view} {action} has no parameter {schemas.shown(unknown[0])} "
                                         f"(parameters: {', '.join(sorted(known)) or 'none'}).",
                                         param=unknown[0])


def schema_of(view: str, action: str, name: str) -> dict | None:
    """The schema a view action checks parameter ``name`` against (None: the action's own)."""
    return (OVERRIDES.get((view, action, name)) or VIEW_PARAMS.get(name)
            or analytics_params.PARAMS.get(name))


def check(view: str, action: str, params: dict, fn=None) -> dict:
    """``params`` with every known name checked; ``None`` means "not given". With the
    action ``fn``: its required parameters must be there, and unknown ones are refused
    unless it takes ``**kwargs`` (then it refuses them itself)."""
    if not isinstance(params, dict):
        raise schemas.ParameterError(f"the parameters of {view} {action} must be a JSON object.")
    if fn is not None:
        _check_names(view, action, params, fn)
    out = {}
    for key, value in params.items():
        rule = schema_of(view, action, key) if isinstance(key, str) else None
        if rule is None:
            out[key] = value
        elif value is None:
            if rule.get("type") not in ("integer", "number", "boolean"):
                out[key] = value  # null may mean "all" (time, metric); a null number: the default
        else:
            out[key] = schemas.check(key, value, rule)
            if value in RESERVED.get((view, action, key), ()):
                raise schemas.ParameterError(f"{key} cannot be {value!r} here.", param=key)
    return out


# ----------------------------------------------------------------------------- values
# Score bands shared by the views (config: green >= 0.7, amber >= the pass threshold).
GOOD, WARN = config.GOOD_THRESHOLD, config.PASS_THRESHOLD
EXPERIMENT_COLUMN = "evaluation_name"


def band(score, missing: str = "none") -> str:
    """``good`` / ``warn`` / ``bad`` for a score or rate in 0-1; ``missing`` when None."""
    if score is None:
        return missing
    return "good" if score >= GOOD else "warn" if score >= WARN else "bad"


def no_unknown(view: str, action: str, unknown: dict) -> None:
    """An action's ``**unknown`` keyword arguments are an error that names them."""
    if unknown:
        raise QueryError(f"{view} {action}: unknown parameter(s) {', '.join(sorted(unknown))}.")


def filters(value, *, allowed: tuple[str, ...] | None = None,
            example: str = '{"evaluation_name": "baseline"}') -> dict:
    """A filter object without its empty entries (None, "", []); with ``allowed``, only
    those keys are kept."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise QueryError(f"filters must be an object such as {example}.")
    return {k: v for k, v in value.items()
            if v is not None and v != "" and v != [] and (allowed is None or k in allowed)}


def threshold(value) -> float:
    """The pass threshold: a finite number (text such as "0.6" too); the default when empty."""
    try:
        th = float(config.PASS_THRESHOLD if value is None or value == "" else value)
    except (TypeError, ValueError):
        raise QueryError(f"threshold must be a number, got {value!r}.") from None
    if not math.isfinite(th):
        raise QueryError("threshold must be finite.")
    return th


def integer(value, name: str, lo: int, hi: int) -> int:
    """An integer from ``lo`` to ``hi`` (text such as "20" too)."""
    return schemas.coerce(name, value, schemas.integer(lo, hi))


def page(page, page_size, max_size: int) -> tuple[int, int]:
    """(page, page_size) of a paged table: page >= 1, page_size from 1 to ``max_size``."""
    try:
        page, page_size = int(page), int(page_size)
    except (TypeError, ValueError):
        raise QueryError("page and page_size must be integers.") from None
    if page < 1 or not 1 <= page_size <= max_size:
        raise QueryError(f"page must be >= 1 and page_size between 1 and {max_size}.")
    return page, page_size


def experiment_params(experiment=None, pass_threshold=None, preset: dict | None = None) -> dict:
    """The first ``params`` of an evaluation view: ``filters``, with ``experiment`` (a name,
    a list or "a,b") preselecting experiments over the ``preset`` filters, and
    ``threshold`` the pass threshold."""
    f = dict(preset or {})
    if experiment not in (None, "", []):
        if isinstance(experiment, str) and "," in experiment:
            experiment = [e.strip() for e in experiment.split(",") if e.strip()]
        f[EXPERIMENT_COLUMN] = experiment
    out: dict[str, Any] = {"filters": f}
    if pass_threshold not in (None, ""):
        out["threshold"] = threshold(pass_threshold)
    return out


# ----------------------------------------------------------------------------- monitoring
MONITOR_FILTERS = ("environment", "source_name", "source_component", "source_type", "model_name")
TIME_PRESETS = {"1h": pd.Timedelta(hours=1), "6h": pd.Timedelta(hours=6), "24h": pd.Timedelta(hours=24),
                "7d": pd.Timedelta(days=7), "30d": pd.Timedelta(days=30)}
TIME_OPTIONS = (*TIME_PRESETS, "all", "custom")


def time_scope(info: dict, raw_filters=None, time: str | None = "24h", time_range=None,
               anchor: str = "data") -> dict:
    """The analytics filter dict of a monitoring view's filters and time window.

    ``time`` is a preset (1h ... 30d) counted back from the end of the hour of the newest
    timestamp of the data (``anchor="data"``, so a historical dataset still shows its last
    day) or of now (``anchor="now"``), ``all``, or ``custom`` with ``time_range`` =
    [start, end]. Presets snap to whole hours: every hourly bucket of the window is a whole
    hour (none cut at the window's start), and the summaries' hour tables answer it."""
    if raw_filters not in (None, "") and not isinstance(raw_filters, dict):
        raise QueryError("filters must be an object such as {\"environment\": \"prod\"}.")
    out = {}
    for k, v in (raw_filters or {}).items():
        if v in (None, "", []):
            continue
        if k not in MONITOR_FILTERS and k != "metric_name":
            raise QueryError(f"monitor filters are {', '.join(MONITOR_FILTERS)} (got {k!r}).")
        out[k] = v
    time = time or "all"
    if time not in TIME_OPTIONS:
        raise QueryError(f"time must be one of {', '.join(TIME_OPTIONS)}, got {time!r}.")
    if time == "custom":
        if not isinstance(time_range, (list, tuple)) or len(time_range) != 2:
            raise QueryError("a custom time window needs time_range = [start, end].")
        out["time_range"] = [time_range[0] or None, time_range[1] or None]
    elif time != "all":
        if anchor == "now":
            end = pd.Timestamp.now(tz="UTC").tz_localize(None)
        elif anchor == "data":
            tr = info.get("time_range") or [None, None]
            end = pd.Timestamp(tr[1]) if tr[1] else pd.Timestamp.now(tz="UTC").tz_localize(None)
        else:
            raise QueryError("anchor must be data or now.")
        end = end.floor("h") + pd.Timedelta(hours=1)  # exclusive: the newest row's hour is in
        out["time_range"] = [(end - TIME_PRESETS[time]).isoformat(), end.isoformat()]
    return out


def source_bands(scope: dict | None) -> tuple[dict, dict]:
    """(monitoring.yaml, the ``{good, pass}`` lines of the one source ``scope`` selects,
    else the defaults)."""
    cfg = monitoring_config.load_monitoring()
    src = (scope or {}).get("source_name")
    return cfg, monitoring_config.source_thresholds(cfg, src if isinstance(src, str) else None)
