"""``signals_metrics.yaml``: overrides of the human-signals display config (reference §8.6).

The file lives in the config folder (``~/.axis/config/``, or ``$AXIS_CONFIG_DIR``); its
top-level key is ``signals_metrics`` (a file without it is read as the section itself).
``kpi_strip``, ``chart_sections``, ``filters`` and ``table_columns`` replace the generated
ones wholesale; ``color_maps`` are merged value by value over the generated ones (the file
wins); ``visible_metrics`` and ``visible_kpis`` narrow what is shown (empty: everything).
Every value is checked and an error names the key, e.g.
``signals_metrics.yaml: kpi_strip[1].format must be one of duration, number, compact,
percent, got 'pct'``::

    signals_metrics:
      visible_metrics: [escalation, sentiment]
      visible_kpis: [is_escalated, total_cases]
      kpi_strip:
        - {metric: escalation, signal: is_escalated, label: Escalated, format: percent,
           icon: alert-triangle, polarity: lower_better}
        - {metric: resolution, signal: time_to_resolution_seconds, label: Time to resolve,
           aggregation: median, format: duration}
        - {metric: resolution, signal: final_status, label: Resolved, match_value: resolved,
           format: percent}
        - {aggregate: total_cases, label: Cases}
      chart_sections:
        - title: Outcomes
          layout: grid_2                       # full | grid_2 | grid_3
          collapsible: true
          charts:
            - {metric: resolution, signal: final_status, type: donut, title: Status}
      filters:
        - {type: source, field: environment, label: Environment}
        - {type: metric, metric: sentiment, signal: sentiment_category, label: Sentiment}
      table_columns:
        - {key: dataset_id, label: Case, sortable: true}
      color_maps:
        sentiment__sentiment_category: {positive: "#8B9F4F", negative: "#E74C3C"}

Table-column keys may use the reference's names (``Case_ID``, ``Business``,
``Message_Count``, ``Timestamp``, ``Agent_Name``, ``Slack_URL``); they are read as the
cases table's columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import monitoring_config as mc
from ..errors import ConfigError

FILE = "signals_metrics.yaml"
SECTIONS = ("signals_metrics",)
REPLACED = ("kpi_strip", "chart_sections", "filters", "table_columns")
KEYS = (*REPLACED, "color_maps", "visible_metrics", "visible_kpis")

AGGREGATIONS = ("mean", "median", "sum", "min", "max", "count", "p95")
FORMATS = ("duration", "number", "compact", "percent")
AGGREGATES = ("total_cases", "avg_message_count")
POLARITIES = ("higher_better", "lower_better")
CHART_TYPES = ("bar", "stacked_bar", "horizontal_bar", "donut", "line", "ranked_list",
               "text_list", "single_stat")
LAYOUTS = ("full", "grid_2", "grid_3")
FILTER_TYPES = ("source", "metric")

# The reference's case field names -> the cases table's columns.
CASE_KEY_ALIASES = {"Case_ID": "dataset_id", "Business": "business", "Message_Count": "message_count",
                    "Timestamp": "timestamp", "Agent_Name": "agent_name", "Slack_URL": "message_url"}


def validate(cfg: Any, file: str = FILE) -> dict:
    """The checked overrides: only the keys given (ConfigError naming a bad one)."""
    v = mc._V(file)
    cfg = v.mapping(cfg, "signals_metrics")
    v.keys(cfg, "", set(KEYS))
    out: dict[str, Any] = {}
    for key in ("visible_metrics", "visible_kpis"):
        if key in cfg:
            out[key] = v.strings(cfg[key], key)
    if "kpi_strip" in cfg:
        out["kpi_strip"] = [_kpi(v, k, f"kpi_strip[{i}]") for i, k in enumerate(_list(v, cfg["kpi_strip"], "kpi_strip"))]
    if "chart_sections" in cfg:
        out["chart_sections"] = [_section(v, s, f"chart_sections[{i}]")
                                 for i, s in enumerate(_list(v, cfg["chart_sections"], "chart_sections"))]
    if "filters" in cfg:
        out["filters"] = [_filter(v, f, f"filters[{i}]") for i, f in enumerate(_list(v, cfg["filters"], "filters"))]
    if "table_columns" in cfg:
        out["table_columns"] = [_column(v, c, f"table_columns[{i}]")
                                for i, c in enumerate(_list(v, cfg["table_columns"], "table_columns"))]
    if "color_maps" in cfg:
        maps = v.mapping(cfg["color_maps"], "color_maps")
        out["color_maps"] = {}
        for col, colors in maps.items():
            colors = v.mapping(colors, f"color_maps.{col}")
            out["color_maps"][str(col)] = {str(val): v.text(c, f"color_maps.{col}.{val}")
                                           for val, c in colors.items()}
    return out


def _list(v, value, key) -> list:
    if not isinstance(value, list):
        v.fail(key, f"must be a list, got {value!r}")
    return value


def _name(v, d: dict, key: str, field: str) -> str:
    if field not in d:
        v.fail(f"{key}.{field}", "is required")
    value = d[field]
    if not isinstance(value, str) or not value:
        v.fail(f"{key}.{field}", f"must be a name, got {value!r}")
    return value


def _kpi(v, k, key) -> dict:
    k = v.mapping(k, key)
    if "aggregate" in k:
        v.keys(k, key, {"aggregate", "label", "icon", "highlight", "polarity"})
        agg = v.choice(k["aggregate"], f"{key}.aggregate", AGGREGATES)
        out = {"aggregate": agg,
               "label": v.text(k.get("label", mc._title(agg)), f"{key}.label")}
    else:
        v.keys(k, key, {"metric", "signal", "label", "format", "icon", "highlight", "polarity",
                        "aggregation", "match_value"})
        out = {"metric": _name(v, k, key, "metric"), "signal": _name(v, k, key, "signal")}
        out["label"] = v.text(k.get("label", mc._title(out["signal"])), f"{key}.label")
        if "aggregation" in k:
            out["aggregation"] = v.choice(k["aggregation"], f"{key}.aggregation", AGGREGATIONS)
        if "match_value" in k:
            if k["match_value"] is None or isinstance(k["match_value"], (dict, list)):
                v.fail(f"{key}.match_value", f"must be a value, got {k['match_value']!r}")
            out["match_value"] = str(k["match_value"])
        out["format"] = v.choice(k.get("format", "number" if "aggregation" in out else "percent"),
                                 f"{key}.format", FORMATS)
    if "icon" in k:
        out["icon"] = v.text(k["icon"], f"{key}.icon")
    if "highlight" in k:
        out["highlight"] = v.boolean(k["highlight"], f"{key}.highlight")
    if "polarity" in k:
        out["polarity"] = v.choice(k["polarity"], f"{key}.polarity", POLARITIES)
    return out


def _section(v, s, key) -> dict:
    s = v.mapping(s, key)
    v.keys(s, key, {"title", "layout", "collapsible", "charts"})
    charts = _list(v, s.get("charts", []), f"{key}.charts")
    out = {"title": v.text(s.get("title", ""), f"{key}.title"),
           "layout": v.choice(s.get("layout", "full"), f"{key}.layout", LAYOUTS),
           "charts": [_chart(v, c, f"{key}.charts[{i}]") for i, c in enumerate(charts)]}
    if "collapsible" in s:
        out["collapsible"] = v.boolean(s["collapsible"], f"{key}.collapsible")
    return out


def _chart(v, c, key) -> dict:
    c = v.mapping(c, key)
    v.keys(c, key, {"metric", "signal", "type", "title", "limit"})
    out = {"metric": _name(v, c, key, "metric"), "signal": _name(v, c, key, "signal"),
           "type": v.choice(c.get("type", "bar"), f"{key}.type", CHART_TYPES)}
    out["title"] = v.text(c.get("title", mc._title(out["signal"])), f"{key}.title")
    if "limit" in c:
        out["limit"] = v.integer(c["limit"], f"{key}.limit", lo=1)
    return out


def _filter(v, f, key) -> dict:
    f = v.mapping(f, key)
    kind = v.choice(f.get("type", "metric"), f"{key}.type", FILTER_TYPES)
    if kind == "source":
        v.keys(f, key, {"type", "field", "label"})
        field = _name(v, f, key, "field")
        return {"type": "source", "field": field, "label": v.text(f.get("label", mc._title(field)), f"{key}.label")}
    v.keys(f, key, {"type", "metric", "signal", "label", "options"})
    out = {"type": "metric", "metric": _name(v, f, key, "metric"), "signal": _name(v, f, key, "signal")}
    out["label"] = v.text(f.get("label", mc._title(out["signal"])), f"{key}.label")
    if "options" in f:
        opts = _list(v, f["options"], f"{key}.options")
        out["options"] = [v.text(o, f"{key}.options[{i}]") if isinstance(o, str) else str(o)
                          for i, o in enumerate(opts)]
    return out


def _column(v, c, key) -> dict:
    c = v.mapping(c, key)
    v.keys(c, key, {"key", "label", "sortable"})
    name = _name(v, c, key, "key")
    name = CASE_KEY_ALIASES.get(name, name)
    return {"key": name, "label": v.text(c.get("label", mc._title(name)), f"{key}.label"),
            "sortable": v.boolean(c.get("sortable", True), f"{key}.sortable")}


def load(directory: str | Path | None = None) -> dict:
    """The checked overrides of ``<config_dir>/signals_metrics.yaml`` ({} without a file)."""
    return mc._load(FILE, SECTIONS, validate, Path(directory) if directory else None)


def resolve(config: dict | None = None) -> dict:
    """The file's overrides with ``config`` (same keys, per call) over them."""
    base = load()
    if not config:
        return base
    if not isinstance(config, dict):
        raise ConfigError("config must be a mapping with the keys of signals_metrics.yaml "
                          f"({', '.join(KEYS)}).")
    over = validate(config, "config")
    merged = {**base, **{k: val for k, val in over.items() if k != "color_maps"}}
    if "color_maps" in over:
        maps = {k: dict(val) for k, val in base.get("color_maps", {}).items()}
        for col, colors in over["color_maps"].items():
            maps.setdefault(col, {}).update(colors)
        merged["color_maps"] = maps
    return merged
