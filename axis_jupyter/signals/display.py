"""The human-signals display config: generated from the schema, overridable in YAML
(reference §8.6).

The config has five parts: ``kpi_strip`` (rate KPIs for boolean ``is_*``/``has_*`` signals,
median KPIs for numeric signals not named ``*_score``, then average message count and total
cases), ``chart_sections`` (string signals with 2-20 values as charts: the first a full-width
stacked bar "Outcome Distribution", the next two "Root Cause Analysis" (or one
"Breakdown"), the next two "Additional Metrics"; ``suggested_action``, ``requests``,
``learnings`` and ``categories`` in "Insights"), ``filters`` (source fields and string
signals with 2-20 values), ``table_columns`` (case id, source, business, each metric's first
string signal, messages, timestamp) and ``color_maps`` (each string signal's values in
sorted order over a ten-colour palette). :mod:`.settings` holds the YAML overrides.
"""

from __future__ import annotations

import json
from typing import Any

from .cases import MAX_VALUES, column_name

PALETTE = ("#8B9F4F", "#D4AF37", "#B8C5D3", "#A4B86C", "#6B7A3A", "#F39C12", "#E74C3C",
           "#7F8C8D", "#34495E", "#B8C78A")
SOURCE_LABELS = {"source_name": "Source", "source_component": "Component",
                 "source_type": "Source Type", "environment": "Environment"}
TIME_WORDS = ("time", "duration", "latency", "elapsed", "wait", "ttq", "tat")
TEXT_ARRAYS = ("requests", "learnings")
RANKED_ARRAYS = ("categories",)
TEXT_STRINGS = ("suggested_action",)
MIN_OPTIONS, MAX_OPTIONS = 2, 20
PARTS = ("kpi_strip", "chart_sections", "filters", "table_columns", "color_maps")
ROW_COLUMNS = ["part", "position", "spec"]


def title(name: str) -> str:
    return str(name).replace("_", " ").title()


def visible(schema: dict, overrides: dict) -> dict:
    """``schema`` narrowed to the metrics ``visible_metrics`` lists (all when empty)."""
    names = overrides.get("visible_metrics") or []
    if not names:
        return schema
    return {**schema, "metrics": {m: s for m, s in schema["metrics"].items() if m in names}}


def generate(schema: dict, overrides: dict | None = None) -> dict:
    """The display config for ``schema`` with ``overrides`` (from :mod:`.settings`) applied."""
    overrides = overrides or {}
    schema = visible(schema, overrides)
    metrics = schema["metrics"]
    config = {
        "kpi_strip": _kpi_strip(metrics, overrides.get("visible_kpis") or []),
        "chart_sections": _chart_sections(metrics),
        "filters": _filters(metrics, schema["source_fields"]),
        "table_columns": _table_columns(metrics, schema["source_fields"], schema["has_timestamp"]),
        "color_maps": _color_maps(metrics),
    }
    for key in ("kpi_strip", "chart_sections", "filters", "table_columns"):
        if key in overrides:
            config[key] = [dict(x) for x in overrides[key]]
    for col, colors in (overrides.get("color_maps") or {}).items():
        config["color_maps"][col] = {**config["color_maps"].get(col, {}), **colors}
    for k in config["kpi_strip"]:  # the column each KPI reads (what the analytics need)
        if "metric" in k:
            k["key"] = column_name(k["metric"], k["signal"])
        else:
            k["key"] = k["aggregate"]
    return config


def _signals(metrics: dict, kind: str | None = None):
    for m, spec in metrics.items():
        for s in spec["signals"]:
            if kind is None or spec["signal_types"].get(s) == kind:
                yield m, s, spec


def _kpi_strip(metrics: dict, allowed: list[str]) -> list[dict]:
    ok = (lambda name: name in allowed) if allowed else (lambda name: True)
    out: list[dict[str, Any]] = []
    for m, s, _ in _signals(metrics, "boolean"):
        if s.startswith(("is_", "has_")) and ok(s):
            out.append({"metric": m, "signal": s, "label": title(s), "format": "percent",
                        "icon": _rate_icon(s), "highlight": "complian" in s})
    for m, s, _ in _signals(metrics, "number"):
        if not s.endswith("_score") and ok(s):
            low = s.lower()
            is_time = any(w in low for w in TIME_WORDS)
            out.append({"metric": m, "signal": s, "label": title(s), "aggregation": "median",
                        "format": "duration" if is_time else "number",
                        "icon": "clock" if is_time else _number_icon(low)})
    if ok("avg_message_count"):
        out.append({"aggregate": "avg_message_count", "label": "Avg Messages", "icon": "message-square"})
    if ok("total_cases"):
        out.append({"aggregate": "total_cases", "label": "Total Cases", "icon": "database"})
    return out


def _rate_icon(signal: str) -> str:
    for word, icon in (("complian", "shield-check"), ("intervention", "target"),
                       ("escalat", "alert-triangle"), ("actionable", "check-circle"),
                       ("override", "rotate-ccw")):
        if word in signal:
            return icon
    return "target"


def _number_icon(low: str) -> str:
    for words, icon in ((("cost", "price", "revenue"), "dollar-sign"), (("count", "total"), "bar-chart-3"),
                        (("rate", "ratio"), "percent"), (("efficiency", "performance"), "activity")):
        if any(w in low for w in words):
            return icon
    return "hash"


def _options(spec: dict, s: str) -> list[str] | None:
    """The values of a string signal when it has 2-20 of them (a chart or a filter)."""
    n = spec.get("n_values", {}).get(s, 0)
    return list(spec["values"][s]) if MIN_OPTIONS <= n <= MAX_OPTIONS else None


def _chart_sections(metrics: dict) -> list[dict]:
    charts, insights = [], []
    for m, spec in metrics.items():
        for s in spec["signals"]:
            kind = spec["signal_types"].get(s)
            if kind == "string" and spec["values"].get(s):
                if s in TEXT_STRINGS:
                    insights.append({"metric": m, "signal": s, "type": "text_list", "title": f"Top {title(s)}s"})
                elif _options(spec, s):
                    charts.append({"metric": m, "signal": s, "type": "bar", "title": title(s)})
            elif kind == "array" and s in TEXT_ARRAYS:
                insights.append({"metric": m, "signal": s, "type": "text_list", "title": f"Top {title(s)}"})
            elif kind == "array" and s in RANKED_ARRAYS:
                insights.append({"metric": m, "signal": s, "type": "ranked_list", "title": f"{title(s)} Breakdown"})
    sections = []
    if charts:
        sections.append({"title": "Outcome Distribution", "layout": "full",
                         "charts": [{**charts[0], "type": "stacked_bar"}]})
        rest = charts[1:]
        if len(rest) >= 2:
            sections.append({"title": "Root Cause Analysis", "layout": "grid_2", "charts": rest[:2]})
        elif rest:
            sections.append({"title": "Breakdown", "layout": "full", "charts": rest})
        if len(rest) > 2:
            sections.append({"title": "Additional Metrics", "layout": "grid_2", "charts": rest[2:4]})
    if insights:
        sections.append({"title": "Insights", "layout": "full" if len(insights) == 1 else "grid_2",
                         "charts": insights})
    return sections


def _filters(metrics: dict, source_fields: list[str]) -> list[dict]:
    out = [{"type": "source", "field": f, "label": SOURCE_LABELS.get(f, title(f))} for f in source_fields]
    for m, s, spec in _signals(metrics, "string"):
        options = _options(spec, s)
        if options:
            out.append({"type": "metric", "metric": m, "signal": s, "label": title(s), "options": options})
    return out


def _table_columns(metrics: dict, source_fields: list[str], has_timestamp: bool) -> list[dict]:
    cols = [{"key": "dataset_id", "label": "Case ID", "sortable": True}]
    if "source_name" in source_fields:
        cols.append({"key": "source_name", "label": "Source", "sortable": True})
    cols.append({"key": "business", "label": "Business", "sortable": True})
    for m, spec in metrics.items():
        first = next((s for s in spec["signals"]
                      if spec["signal_types"].get(s) == "string" and spec["values"].get(s)), None)
        if first:
            cols.append({"key": column_name(m, first), "label": title(first), "sortable": True})
    cols.append({"key": "message_count", "label": "Messages", "sortable": True})
    if has_timestamp:
        cols.append({"key": "timestamp", "label": "Timestamp", "sortable": True})
    return cols


def _color_maps(metrics: dict) -> dict[str, dict[str, str]]:
    """Colours for every string signal whose values are all known (at most MAX_VALUES)."""
    maps = {}
    for m, spec in metrics.items():
        for s, vals in spec["values"].items():
            if vals and spec.get("n_values", {}).get(s, len(vals)) <= MAX_VALUES:
                maps[column_name(m, s)] = {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(vals)}
    return maps


def to_rows(config: dict) -> list[dict]:
    """The config as table rows (part, position, spec as JSON): how it travels as an
    analytic's result."""
    rows = []
    for part in PARTS[:-1]:
        rows += [{"part": part, "position": i, "spec": json.dumps(x)} for i, x in enumerate(config[part])]
    rows += [{"part": "color_maps", "position": i, "spec": json.dumps({"column": col, "colors": colors})}
             for i, (col, colors) in enumerate(config["color_maps"].items())]
    return rows


def from_rows(rows: list[dict]) -> dict:
    """The config back from :func:`to_rows`' rows."""
    config: dict = {p: [] for p in PARTS[:-1]} | {"color_maps": {}}
    for row in sorted(rows, key=lambda r: (PARTS.index(r["part"]), int(r["position"]))):
        spec = json.loads(row["spec"])
        if row["part"] == "color_maps":
            config["color_maps"][spec["column"]] = spec["colors"]
        else:
            config[row["part"]].append(spec)
    return config
