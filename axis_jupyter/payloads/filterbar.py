"""What every view's filter bar offers, and the Python call that reproduces a view's numbers.

Two actions every view answers (the registry falls back to :data:`SHARED_ACTIONS` for an
action a view does not define itself), so one front-end component serves them all:

``filter_options`` {} -> ``{fields: [{key, label, values}], time_range}``: the dataset's
    filterable columns with their values — source, environment, experiment, any other text
    column with few distinct values — and its time range (None without timestamps). A view
    whose spec names ``filter_keys`` offers only those.
``code``  {analytic, args, filters} -> ``{code}``: ``ds.<analytic>(…)`` with the filters as
    keyword arguments, the call a user runs to get the numbers the view shows for them.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from ..analytics import registry as analytics_registry
from ..errors import ParameterError
from ..ingest.columns import FREE_TEXT, JSONISH
from ..wire import jsonable

# Filter columns that views pick in their own controls, not in the filter bar.
NOT_FILTERS = {"metric_name", "metric_type", "metric_category", "kpi_name", "dataset_id", "trace_id",
               "parent", "run_id", "explanation", "timestamp"}
LABELS = {"evaluation_name": "Experiment", "source_name": "Source", "environment": "Environment",
          "source_component": "Component", "source_type": "Source type", "model_name": "Model",
          "kpi_category": "KPI category", "segment": "Segment"}
MAX_VALUES = 30      # "few values": a column with more is not offered as a filter
MAX_EXTRA_COLUMNS = 40
_EXTRA_CACHE: dict[tuple, list[dict]] = {}


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def _extra_fields(store, dataset: str, info: dict, known: set[str]) -> list[dict]:
    """Other text columns of the dataset with at most MAX_VALUES distinct values (cached by
    the dataset's version: the values only change when the dataset does)."""
    key = (id(store), dataset, info.get("version"), info.get("updated"))
    if key in _EXTRA_CACHE:
        return _EXTRA_CACHE[key]
    cols = [c["name"] for c in info.get("columns", [])
            if str(c.get("type", "")).upper().startswith("VARCHAR") and c["name"] not in known
            and c["name"] not in NOT_FILTERS and c["name"] not in FREE_TEXT
            and c["name"] not in JSONISH and not c["name"].startswith("_")][:MAX_EXTRA_COLUMNS]
    fields: list[dict] = []
    if cols and hasattr(store, "view_read"):
        def q(ctx):
            t = ctx.table("scores")
            present = [c for c in cols if c in t.columns]
            if not present:
                return {}
            counts = ctx.execute(t.aggregate([t[c].nunique().name(c) for c in present]))
            few = [c for c in present if 0 < int(counts[c].iloc[0]) <= MAX_VALUES]
            return {c: sorted(str(v) for v in ctx.execute(t.select(c).distinct())[c].dropna())
                    for c in few}

        for c, values in store.view_read(dataset, q).items():
            fields.append({"key": c, "label": label(c), "values": values})
    if len(_EXTRA_CACHE) > 256:
        _EXTRA_CACHE.clear()
    _EXTRA_CACHE[key] = fields
    return fields


def filter_options(store, dataset=None) -> dict:
    """The fields of the filter bar of ``dataset`` (see the module docstring)."""
    if not dataset:
        return {"fields": [], "time_range": None}
    info = store.info(dataset)
    fields = [{"key": k, "label": label(k), "values": list(v)}
              for k, v in (info.get("filter_values") or {}).items()
              if k not in NOT_FILTERS and v]
    known = {f["key"] for f in fields} | set(info.get("filter_values") or {})
    fields += _extra_fields(store, dataset, info, known)
    return jsonable({"fields": fields, "time_range": info.get("time_range")})


def _restricted(view_keys):
    def options(store, dataset=None) -> dict:
        out = filter_options(store, dataset)
        out["fields"] = [f for f in out["fields"] if f["key"] in view_keys]
        return out
    return options


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _literal(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(x)}" for k, x in v.items()) + "}"
    return repr(v)


def call_code(dataset: str, analytic: str, filters: dict | None = None, args: dict | None = None,
              *, store_var: str = "axis", var: str = "ds") -> str:
    """``ds = axis.dataset(NAME)`` and ``ds.<analytic>(args…, filters…)``: the Python call
    returning the numbers a view shows for these filters. Empty filters are left out;
    filter keys that are not Python names go in a ``**{…}`` mapping. ``var`` names the
    dataset variable (a view spanning several datasets gives each its own)."""
    if not isinstance(analytic, str) or not _IDENT.match(analytic):
        raise ParameterError("analytic must be the name of a dataset method, e.g. summary.",
                             param="analytic")
    parts, odd = [], {}
    for k, v in (args or {}).items():
        if v is not None:
            parts.append(f"{k}={_literal(v)}")
    for k, v in (filters or {}).items():
        if v in (None, "", []):
            continue
        if isinstance(v, (list, tuple)) and len(v) == 1 and k != "time_range":
            v = v[0]
        if _IDENT.match(k) and not keyword.iskeyword(k) and k not in (args or {}):
            parts.append(f"{k}={_literal(v)}")
        else:
            odd[k] = v
    if odd:
        parts.append(f"**{_literal(odd)}")
    return f"{var} = {store_var}.dataset({dataset!r})\n{var}.{analytic}({', '.join(parts)})"


def code(store, dataset=None, *, analytic, args=None, filters=None) -> dict:
    """``{code}``: the call that reproduces a view's numbers (see :func:`call_code`)."""
    if not dataset:
        raise ParameterError("code needs a dataset.", param="dataset")
    if not isinstance(analytic, str) or not _IDENT.match(analytic):
        raise ParameterError("analytic must be the name of a dataset method, e.g. summary.",
                             param="analytic")
    kind = store.info(dataset)["kind"]
    analytics_registry.get(analytic, kind)  # a clear error for an analytic the kind lacks
    if args is not None and not isinstance(args, dict):
        raise ParameterError("args must be an object of the analytic's parameters.", param="args")
    if filters is not None and not isinstance(filters, dict):
        raise ParameterError("filters must be an object {column: value or [values]}.", param="filters")
    return {"code": call_code(dataset, analytic, filters, args)}


SHARED_ACTIONS = {"filter_options": filter_options, "code": code}


def shared_action(spec, action: str):
    """The shared action ``action`` for view ``spec`` (its ``filter_keys`` applied)."""
    fn = SHARED_ACTIONS.get(action)
    if fn is filter_options and getattr(spec, "filter_keys", None):
        return _restricted(set(spec.filter_keys))
    return fn
