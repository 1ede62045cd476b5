"""The metric catalogue: decorator registration, plugin discovery, declarative judges.

Three ways in, one dict out:
  * ``@metric`` on a ``Metric`` subclass (built-ins and user code in a notebook);
  * the ``axis_jupyter.metrics`` entry-point group (installed plugins; each entry point
    names a Metric subclass, a list of them, or a module that registers on import);
  * ``load_rubrics(yaml)`` for LLM rubric judges declared as data. Config is only ever
    *data*: we build a subclass with validated attributes and never execute code from it.

The catalogue is what the UI and ``axis.metrics()`` show, so every attribute read here
is declared by the metric (``needs_llm`` in particular is never inferred from tags).
"""

from __future__ import annotations

import logging
import warnings
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Iterable, Mapping

from .base import Metric, MetricConfigError, MetricNotFound, is_missing
from .metric_table import _registry, metric, register, unregister  # noqa: F401

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "axis_jupyter.metrics"

_loaded = {"builtins": False, "entry_points": False}


# ---------------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------------
def _ensure_loaded() -> None:
    if not _loaded["builtins"]:
        _loaded["builtins"] = True
        # Imported on first use: the LLM judges bring the Anthropic SDK (seconds to import).
        from . import heuristics, judges  # noqa: F401
    if not _loaded["entry_points"]:
        _loaded["entry_points"] = True
        load_entry_points()


def load_entry_points(group: str = ENTRY_POINT_GROUP) -> list[str]:
    """Import installed plugins. A broken plugin warns instead of breaking the catalogue."""
    added: list[str] = []
    for ep in entry_points(group=group):
        try:
            obj = ep.load()
        except Exception as exc:
            warnings.warn(f"metric plugin {ep.name!r} failed to load: {exc}", stacklevel=2)
            continue
        items = obj if isinstance(obj, (list, tuple)) else [obj]
        for cls in items:
            if isinstance(cls, type) and issubclass(cls, Metric):
                register(cls)
                added.append(cls.key)
            # a module object registered its metrics with @metric on import
    return added


# ---------------------------------------------------------------------------------
# lookup
# ---------------------------------------------------------------------------------
def get(key: str) -> type[Metric]:
    _ensure_loaded()
    try:
        return _registry[key]
    except KeyError:
        close = [k for k in _registry if key.replace("-", "_").lower() in k]
        hint = f"; did you mean {', '.join(sorted(close)[:5])}?" if close else ""
        raise MetricNotFound(f"unknown metric {key!r}{hint} (see axis.metrics())") from None


def create(spec: str | Metric | Mapping[str, Any], **params: Any) -> Metric:
    """An instance from a key, an instance (returned as is) or ``{key, params...}``."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, Mapping):
        spec = dict(spec)
        key = spec.pop("key", None) or spec.pop("metric", None)
        merged = {**spec.pop("params", {}), **spec, **params}
        merged.pop("name", None)
        return get(str(key))(**merged)
    return get(spec)(**params)


def keys() -> list[str]:
    _ensure_loaded()
    return sorted(_registry)


def list_metrics():
    """The catalogue as a DataFrame, one row per metric, sorted by key."""
    import pandas as pd

    _ensure_loaded()
    rows = []
    for key in sorted(_registry):
        cls = _registry[key]
        rows.append({
            "key": key,
            "name": cls.name,
            "needs_llm": bool(cls.needs_llm),
            "required_fields": list(cls.required_fields),
            "optional_fields": list(cls.optional_fields),
            "threshold": float(cls.default_threshold),
            "direction": "higher" if cls.higher_is_better else "lower",
            "score_range": tuple(cls.score_range),
            "version": str(cls.version),
            "tags": list(cls.tags),
            "description": cls.description,
        })
    return pd.DataFrame(rows, columns=[
        "key", "name", "needs_llm", "required_fields", "optional_fields", "threshold",
        "direction", "score_range", "version", "tags", "description"])


def compatible(fields: Iterable[str] | Mapping[str, Any]) -> list[str]:
    """Keys of metrics whose required fields are all available.

    ``fields`` is a collection of field names (e.g. a frame's columns) or an item dict,
    in which case empty values do not count as present.
    """
    _ensure_loaded()
    if isinstance(fields, Mapping):
        present = {k for k, v in fields.items() if not is_missing(v)}
    else:
        present = set(fields)
    return sorted(k for k, cls in _registry.items() if set(cls.required_fields) <= present)


# ---------------------------------------------------------------------------------
# declarative rubric judges
# ---------------------------------------------------------------------------------
def load_rubrics(source: str | Path | Mapping[str, Any] | list[Mapping[str, Any]]) -> list[str]:
    """Register LLM rubric judges declared in YAML (a path, YAML text, or parsed data).

    Accepts one mapping, a list, or ``{metrics: [...]}``. Returns the registered keys.
    """
    from .judges.rubric import rubric_class  # on first use, as the built-ins

    data = _read_yaml(source)
    if isinstance(data, Mapping) and "metrics" in data:
        data = data["metrics"]
    specs = data if isinstance(data, list) else [data]
    added = []
    for spec in specs:
        if not isinstance(spec, Mapping):
            raise MetricConfigError(f"rubric entry must be a mapping, got {type(spec).__name__}")
        cls = rubric_class(spec)
        register(cls)
        added.append(cls.key)
    return added


def _read_yaml(source: Any) -> Any:
    import yaml

    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.endswith((".yaml", ".yml", ".json"))):
        path = Path(source).expanduser()
        if not path.exists():
            raise MetricConfigError(f"metric definition file not found: {path}")
        source = path.read_text(encoding="utf-8")
    if isinstance(source, str):
        try:
            return yaml.safe_load(source)  # safe_load: no object construction from tags
        except yaml.YAMLError as exc:
            raise MetricConfigError(f"invalid YAML: {exc}") from exc
    return source


def describe_spec(spec: Any) -> Any:
    """A metric as given to a run, as JSON-ready data that :func:`create` accepts again: a
    key stays a key, an instance becomes ``{key, **params}``, a mapping is kept."""
    import json

    if isinstance(spec, Metric):
        data: Any = {"key": spec.key, **spec.params}
    elif isinstance(spec, Mapping):
        data = dict(spec)
    else:
        return str(spec)
    return json.loads(json.dumps(data, default=str))


def describe(key: str) -> dict[str, Any]:
    """How metric ``key`` works: its fields, threshold, and for LLM judges each step's
    prompt (instruction) and output schema, and how the score is derived."""
    cls = get(key)
    out: dict[str, Any] = {
        "key": cls.key, "name": cls.name, "description": cls.description, "needs_llm": bool(cls.needs_llm),
        "required_fields": list(cls.required_fields), "optional_fields": list(cls.optional_fields),
        "threshold": float(cls.default_threshold), "score_range": list(cls.score_range),
        "direction": "higher" if cls.higher_is_better else "lower", "version": str(cls.version),
        "scoring": getattr(cls, "scoring", "") or (cls.compute.__doc__ or "").strip() or cls.description,
        "prompts": [],
    }
    for step, instruction, tool in getattr(cls, "prompts", ()) or ():
        out["prompts"].append({"step": step, "instruction": instruction, "tool": tool.name,
                               "output_schema": tool.input_schema})
    rubric = getattr(cls, "instruction", None)
    if isinstance(rubric, str) and rubric and out["prompts"]:
        out["prompts"][0]["instruction"] = rubric
    return out
