"""The Vega-Lite specs of the views' charts, by name.

A view payload names its charts (``payloads.registry.chart(name, **data)`` under the result's
``chart`` or ``charts`` key); :func:`attach` replaces each request with the spec built here
by the function of that name. Altair charts are built once per shape as templates over named
datasets, and each request deep-copies its template and inlines only its own (aggregated)
rows. Altair is imported on first use: importing it imports anywidget and IPython, which is
why charts belong to the faces and not to the engine.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ..payloads.registry import CHART_KEY

VEGA_LITE = "https://vega.github.io/schema/vega-lite/v5.json"
BANDS = {"domain": ["good", "warn", "bad", "none"], "range": ["#16a34a", "#d97706", "#dc2626", "#a8a29e"]}
COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f", "#be185d"]

_TEMPLATES: dict[str, dict] = {}


def _spec(key: str, build: Callable[[], Any], **datasets) -> dict:
    """A copy of the template ``key`` (built once by ``build()``, an Altair chart) with
    ``datasets`` inlined."""
    if key not in _TEMPLATES:
        spec = build().to_dict(validate=True)
        spec.pop("datasets", None)
        _TEMPLATES[key] = spec
    s = copy.deepcopy(_TEMPLATES[key])
    s["datasets"] = datasets
    return s


def _with_colors(spec: dict, colors: dict | None, fields=("group", "label")) -> dict:
    """``spec`` with the colour scale of every ``fields`` encoding set to ``colors``
    ({domain, range}: the experiments' or roles' fixed colours, ``payloads.style``)."""
    if not colors or not colors.get("domain"):
        return spec

    def visit(node):
        if isinstance(node, dict):
            enc = node.get("encoding")
            col = enc.get("color") if isinstance(enc, dict) else None
            if isinstance(col, dict) and col.get("field") in fields:
                col["scale"] = {"domain": list(colors["domain"]), "range": list(colors["range"])}
            for k in ("layer", "hconcat", "vconcat", "concat", "spec"):
                child = node.get(k)
                for c in (child if isinstance(child, list) else [child] if child else []):
                    visit(c)
    visit(spec)
    return spec


# ----------------------------------------------------------------------------- evaluation views
def experiments(rows: list[dict]) -> dict:
    """The overall weighted score per experiment, coloured by score band, the selected ones
    opaque, rows: {experiment, overall_score, band, cases, selected}.
    ``usermeta.axis.click`` tells the front end which field a click selects."""
    def build():
        import altair as alt

        base = alt.Chart(alt.NamedData("experiments")).encode(y=alt.Y("experiment:N", sort=None, title=None))
        bars = base.mark_bar(cursor="pointer", height={"band": 0.7}).encode(
            x=alt.X("overall_score:Q", scale=alt.Scale(domain=[0, 1]), title="Overall weighted score"),
            color=alt.Color("band:N", legend=None, scale=alt.Scale(**BANDS)),
            opacity=alt.condition("datum.selected", alt.value(1.0), alt.value(0.35)),
            tooltip=[alt.Tooltip("experiment:N", title="Experiment"),
                     alt.Tooltip("overall_score:Q", format=".3f", title="Overall score"),
                     alt.Tooltip("cases:Q", title="Scores")],
        )
        labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
            x="overall_score:Q", text=alt.Text("overall_score:Q", format=".3f"))
        return (bars + labels).properties(width="container", height=alt.Step(22),
                                          title="Overall score by experiment")
    s = _spec("experiments", build, experiments=rows)
    s["usermeta"] = {"axis": {"click": "experiment"}}
    return s


def grouped_bar(rows: list[dict], title: str = "Mean score per metric", colors: dict | None = None) -> dict:
    """rows: {metric_name, group, mean}; ``colors`` the experiments' fixed colours."""
    def build():
        import altair as alt

        return alt.Chart(alt.NamedData("rows")).mark_bar().encode(
            x=alt.X("metric_name:N", title=None, axis=alt.Axis(labelAngle=-45)),
            xOffset="group:N", y=alt.Y("mean:Q", scale=alt.Scale(domain=[0, 1]), title="Mean score"),
            color=alt.Color("group:N", title="Experiment"),
            tooltip=["group:N", "metric_name:N", alt.Tooltip("mean:Q", format=".3f")],
        ).properties(width="container", height=240, title=title)
    return _with_colors(_spec(f"grouped_bar:{title}", build, rows=rows), colors)


def bar_by_band(rows: list[dict], title: str = "Metric comparison") -> dict:
    """rows: {metric_name, mean, band}; dashed rules at 0.7 and 0.3."""
    def build():
        import altair as alt

        bars = alt.Chart(alt.NamedData("rows")).mark_bar().encode(
            x=alt.X("metric_name:N", title=None, sort=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("mean:Q", scale=alt.Scale(domain=[0, 1]), title="Mean score"),
            color=alt.Color("band:N", legend=None, scale=alt.Scale(**BANDS)),
            tooltip=["metric_name:N", alt.Tooltip("mean:Q", format=".3f")])
        rules = alt.Chart(alt.NamedData("rules")).mark_rule(strokeDash=[4, 4], color="#64748b").encode(y="y:Q")
        return (bars + rules).properties(width="container", height=220, title=title)
    return _spec(f"bar_by_band:{title}", build, rows=rows, rules=[{"y": 0.7}, {"y": 0.3}])


RADAR_RINGS = (0.25, 0.5, 0.75, 1.0)


def radar(rows: list[dict], title: str = "Metric overview", colors: dict | None = None) -> dict:
    """Per-metric means as a labelled radar: one closed polygon per group over spokes named
    by their metric, rings at 0.25-1.0; rows: {group, metric_name, mean}. Fewer than three
    metrics make no readable radar, so those draw as grouped bars instead."""
    import math

    metrics = list(dict.fromkeys(r["metric_name"] for r in rows))
    if len(metrics) < 3:
        return grouped_bar(rows, title=title, colors=colors)
    k = len(metrics)
    ang = {m: 2 * math.pi * i / k for i, m in enumerate(metrics)}

    def at(r, m):
        return round(r * math.sin(ang[m]), 6), round(r * math.cos(ang[m]), 6)

    rings = [{"ring": g, "i": i, "x": at(g, m)[0], "y": at(g, m)[1]}
             for g in RADAR_RINGS for i, m in enumerate([*metrics, metrics[0]])]
    spokes = [{"metric_name": m, "x": at(1, m)[0], "y": at(1, m)[1], "x0": 0, "y0": 0} for m in metrics]
    labels = [{"metric_name": m, "x": at(1.14, m)[0], "y": at(1.14, m)[1],
               "align": "center" if abs(at(1, m)[0]) < 0.2 else "left" if at(1, m)[0] > 0 else "right"}
              for m in metrics]
    ticks = [{"ring": g, "x": 0.02, "y": g, "label": f"{g:g}"} for g in RADAR_RINGS]
    pts = []
    for g in dict.fromkeys(r["group"] for r in rows):
        mine = {r["metric_name"]: r["mean"] for r in rows if r["group"] == g}
        for i, m in enumerate([*metrics, metrics[0]]):  # closed: back to the first spoke
            v = mine.get(m)
            r = 0.0 if v is None else max(0.0, min(1.0, float(v)))
            x, y = at(r, m)
            pts.append({"group": g, "metric_name": m, "mean": v, "i": i, "x": x, "y": y, "last": i == k})
    xs = {"type": "quantitative", "axis": None, "scale": {"domain": [-1.45, 1.45]}}
    color = {"field": "group", "type": "nominal", "title": None}
    spec = {
        "$schema": VEGA_LITE, "width": 320, "height": 300, "title": title,
        "datasets": {"rings": rings, "spokes": spokes, "labels": labels, "ticks": ticks, "pts": pts},
        "layer": [
            {"data": {"name": "rings"}, "mark": {"type": "line", "color": "#cbd5e1", "strokeWidth": 1},
             "encoding": {"x": {"field": "x", **xs}, "y": {"field": "y", **xs}, "detail": {"field": "ring"},
                          "order": {"field": "i"}}},
            {"data": {"name": "spokes"}, "mark": {"type": "rule", "color": "#cbd5e1"},
             "encoding": {"x": {"field": "x0", **xs}, "y": {"field": "y0", **xs}, "x2": {"field": "x"},
                          "y2": {"field": "y"}}},
            {"data": {"name": "ticks"}, "mark": {"type": "text", "align": "left", "fontSize": 9, "color": "#94a3b8"},
             "encoding": {"x": {"field": "x", **xs}, "y": {"field": "y", **xs}, "text": {"field": "label"}}},
            {"data": {"name": "labels"}, "mark": {"type": "text", "fontSize": 11},
             "encoding": {"x": {"field": "x", **xs}, "y": {"field": "y", **xs}, "text": {"field": "metric_name"},
                          "align": {"field": "align", "type": "nominal", "scale": None}}},
            {"data": {"name": "pts"}, "mark": {"type": "line", "strokeWidth": 2, "point": True},
             "encoding": {"x": {"field": "x", **xs}, "y": {"field": "y", **xs}, "order": {"field": "i"},
                          "color": color,
                          "tooltip": [{"field": "group", "title": "Experiment"}, {"field": "metric_name", "title": "Metric"},
                                      {"field": "mean", "format": ".3f", "title": "Mean"}]}},
        ],
    }
    return _with_colors(spec, colors)


def box(rows: list[dict], title: str = "Distribution", colors: dict | None = None) -> dict:
    """Box plots from quantiles, rows: {metric_name, group, min, q25, median, q75, max, mean}."""
    def build():
        import altair as alt

        base = alt.Chart(alt.NamedData("rows")).encode(
            x=alt.X("metric_name:N", title=None), xOffset="group:N", color=alt.Color("group:N", title=None))
        whisk = base.mark_rule().encode(y=alt.Y("min:Q", title="Score"), y2="max:Q")
        bx = base.mark_bar(size=12).encode(y="q25:Q", y2="q75:Q", tooltip=[
            "group:N", "metric_name:N", alt.Tooltip("median:Q", format=".3f"), alt.Tooltip("mean:Q", format=".3f")])
        med = base.mark_tick(color="white", size=12).encode(y="median:Q")
        return (whisk + bx + med).properties(width="container", height=240, title=title)
    return _with_colors(_spec(f"box:{title}", build, rows=rows), colors)


def violin(rows: list[dict], title: str = "Score distribution", colors: dict | None = None) -> dict:
    """Violins from binned densities, rows: {metric_name, group, y (bin centre), density}:
    one panel per metric (columns) and experiment (rows)."""
    def build():
        import altair as alt

        return alt.Chart(alt.NamedData("rows")).mark_area(orient="horizontal", interpolate="monotone",
                                                         opacity=0.7).encode(
            y=alt.Y("y:Q", title="Score", scale=alt.Scale(domain=[0, 1])),
            x=alt.X("density:Q", stack="center", title=None,
                    axis=alt.Axis(labels=False, ticks=False, grid=False)),
            color=alt.Color("group:N", title=None),
            column=alt.Column("metric_name:N", title=None, header=alt.Header(labelAngle=0)),
            row=alt.Row("group:N", title=None),
            tooltip=["group:N", "metric_name:N", alt.Tooltip("y:Q", format=".2f", title="score"),
                     alt.Tooltip("density:Q", format=".3f")],
        ).properties(width=90, height=140, title=title)
    return _with_colors(_spec(f"violin:{title}", build, rows=rows), colors)


def binned(rows: list[dict], x_title: str, title: str, colors: dict | None = None) -> dict:
    """Count bars and a mean-score line per bin and group, rows from length/turn analysis."""
    def build():
        import altair as alt

        base = alt.Chart(alt.NamedData("rows")).encode(
            x=alt.X("bin_label:N", sort=None, title=x_title), color=alt.Color("group:N", title=None))
        bars = base.mark_bar().encode(xOffset="group:N", y=alt.Y("count:Q", title="Records"),
                                      tooltip=["group:N", "bin_label:N", "count:Q"])
        line = base.mark_line(point=True).encode(
            y=alt.Y("mean_score:Q", title="Mean score", scale=alt.Scale(domain=[0, 1])),
            tooltip=["group:N", "bin_label:N", alt.Tooltip("mean_score:Q", format=".3f")])
        return alt.hconcat(bars.properties(width=260, height=200, title=f"{title}: records"),
                           line.properties(width=260, height=200, title=f"{title}: mean score"))
    return _with_colors(_spec(f"binned:{x_title}:{title}", build, rows=rows), colors)


def value_bars(rows: list[dict], title: str) -> dict:
    """Mean and pass rate per metadata value, rows: {value, mean, pass_rate, band}."""
    def build():
        import altair as alt

        base = alt.Chart(alt.NamedData("rows")).encode(
            x=alt.X("value:N", sort=None, title=None, axis=alt.Axis(labelAngle=-45)))
        mean = base.mark_bar().encode(
            y=alt.Y("mean:Q", scale=alt.Scale(domain=[0, 1]), title="Mean score"),
            color=alt.Color("band:N", legend=None, scale=alt.Scale(**BANDS)),
            tooltip=["value:N", alt.Tooltip("mean:Q", format=".3f"), "count:Q"])
        rate = base.mark_bar(color="#6366f1").encode(
            y=alt.Y("pass_rate:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]), title="Pass rate"),
            tooltip=["value:N", alt.Tooltip("pass_rate:Q", format=".1%")])
        return alt.hconcat(mean.properties(width=260, height=200, title=f"{title}: mean"),
                           rate.properties(width=260, height=200, title=f"{title}: pass rate"))
    return _spec(f"value_bars:{title}", build, rows=rows)


def scatter(rows: list[dict], x_title: str, y_title: str, title: str, trend: bool = False,
            diagonal: bool = False) -> dict:
    """rows: {x, y, id}; optional least-squares trend line and y = x diagonal."""
    def build():
        import altair as alt

        pts = alt.Chart(alt.NamedData("rows")).mark_circle(size=28, opacity=0.55).encode(
            x=alt.X("x:Q", title="X"), y=alt.Y("y:Q", title="Y"),
            tooltip=["id:N", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")])
        layers = [pts]
        if trend:
            layers.append(pts.transform_regression("x", "y").mark_line(strokeDash=[5, 3], color="#dc2626"))
        if diagonal:
            layers.append(alt.Chart(alt.NamedData("diag")).mark_line(color="#94a3b8").encode(x="x:Q", y="y:Q"))
        return alt.layer(*layers).properties(width=320, height=300, title="scatter")
    s = _spec(f"scatter:{trend}:{diagonal}", build, rows=rows, diag=[{"x": 0, "y": 0}, {"x": 1, "y": 1}])
    s["title"] = title
    for layer in s.get("layer", []):  # the axis titles name the two metrics or experiments
        enc = layer.get("encoding", {})
        if isinstance(enc.get("x"), dict) and enc["x"].get("field") == "x":
            enc["x"]["title"] = x_title
        if isinstance(enc.get("y"), dict) and enc["y"].get("field") == "y":
            enc["y"]["title"] = y_title
    return s


def heatmap(rows: list[dict], x: str, y: str, value: str, title: str, domain=(-1, 1)) -> dict:
    """Annotated heatmap (correlation or agreement) of the fields ``x``, ``y`` and ``value``
    of ``rows``, coloured over ``domain``."""
    def build():
        import altair as alt

        base = alt.Chart(alt.NamedData("rows")).encode(x=alt.X("a:N", title=None), y=alt.Y("b:N", title=None))
        rect = base.mark_rect().encode(color=alt.Color(
            "v:Q", title=None, scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1])),
            tooltip=["a:N", "b:N", alt.Tooltip("v:Q", format=".2f")])
        text = base.mark_text(fontSize=10).encode(text=alt.Text("v:Q", format=".2f"))
        return (rect + text).properties(width=260, height=260, title="heatmap")
    s = _spec("heatmap", build, rows=[{"a": r.get(x), "b": r.get(y), "v": r.get(value)} for r in rows])
    s["title"] = title
    for layer in s.get("layer", []):
        col = layer.get("encoding", {}).get("color")
        if isinstance(col, dict) and "scale" in col:
            col["scale"]["domain"] = list(domain)
    return s


def pie(rows: list[dict], title: str = "Win share", colors: dict | None = None) -> dict:
    """rows: {label, cases}; ``colors`` the roles' fixed colours (baseline, challenger, tie)."""
    def build():
        import altair as alt

        return alt.Chart(alt.NamedData("rows")).mark_arc(innerRadius=40).encode(
            theta="cases:Q", color=alt.Color("label:N", title=None),
            tooltip=["label:N", "cases:Q"]).properties(width=200, height=200, title="pie")
    s = _spec("pie", build, rows=rows)
    s["title"] = title
    return _with_colors(s, colors)


# ----------------------------------------------------------------------------- monitoring views
# Written as Vega-Lite directly: the monitor redraws on every filter change, and these few
# dicts cost nothing to build.
def trend(rows: list[dict], good: float, passing: float, granularity: str) -> dict:
    """Score per metric over time: a p50-p95 band and the mean line per metric, dashed
    good/pass reference lines; the legend toggles metrics."""
    fmt = "%b %d %H:%M" if granularity == "hour" else "%b %d"
    color = {"field": "metric_name", "type": "nominal", "title": "Metric", "scale": {"range": COLORS}}
    x = {"field": "bucket", "type": "temporal", "title": None, "axis": {"format": fmt}}
    sel = {"name": "legend", "select": {"type": "point", "fields": ["metric_name"]}, "bind": "legend"}
    op = {"condition": {"param": "legend", "value": 1}, "value": 0.12}
    return {
        "$schema": VEGA_LITE, "width": "container", "height": 220, "title": "Score trend",
        "datasets": {"trends": rows, "refs": [{"y": good, "label": f"good {good:g}"},
                                               {"y": passing, "label": f"pass {passing:g}"}]},
        "layer": [
            # one path per segment: a missing bucket leaves a gap instead of a bridging line
            {"data": {"name": "trends"}, "mark": {"type": "area", "opacity": 0.15},
             "encoding": {"x": x, "y": {"field": "p50", "type": "quantitative"},
                          "y2": {"field": "p95"}, "color": color, "detail": {"field": "segment"}}},
            {"data": {"name": "trends"}, "params": [sel], "mark": {"type": "line", "point": True},
             "encoding": {"x": x, "y": {"field": "avg", "type": "quantitative", "title": "Mean score",
                                        "scale": {"domain": [0, 1]}},
                          "color": color, "opacity": op, "detail": {"field": "segment"},
                          "tooltip": [{"field": "metric_name", "title": "Metric"},
                                      {"field": "bucket", "type": "temporal", "format": fmt},
                                      {"field": "avg", "format": ".3f", "title": "Avg"},
                                      {"field": "p50", "format": ".3f", "title": "P50"},
                                      {"field": "p95", "format": ".3f", "title": "P95"},
                                      {"field": "p99", "format": ".3f", "title": "P99"},
                                      {"field": "count", "title": "n"}]}},
            # a bucket the window only partly covers: a hollow ring around its point
            {"data": {"name": "trends"}, "transform": [{"filter": "datum.partial"}],
             "mark": {"type": "point", "filled": False, "size": 140, "strokeWidth": 1.5},
             "encoding": {"x": x, "y": {"field": "avg", "type": "quantitative"}, "color": color,
                          "tooltip": [{"field": "metric_name", "title": "Metric"},
                                      {"field": "bucket", "type": "temporal", "format": fmt},
                                      {"field": "coverage", "format": ".0%", "title": "Partial bucket: covered"},
                                      {"field": "count", "title": "n"}]}},
            {"data": {"name": "refs"}, "mark": {"type": "rule", "strokeDash": [4, 4]},
             "encoding": {"y": {"field": "y", "type": "quantitative"},
                          "color": {"value": "#9ca3af"}, "tooltip": [{"field": "label"}]}},
        ],
    }


def latency(bins: list[dict], percentiles: dict, grouped: bool, unit: str) -> dict:
    """The latency histogram (one colour per group when grouped) with p50/p95/p99 rules."""
    enc = {"x": {"field": "bin_start", "type": "quantitative", "bin": {"binned": True},
                 "title": f"Latency ({unit})"},
           "x2": {"field": "bin_end"},
           "y": {"field": "count", "type": "quantitative", "title": "Records"},
           "tooltip": [{"field": "bin_start", "format": ",.0f", "title": "from"},
                       {"field": "bin_end", "format": ",.0f", "title": "to"}, {"field": "count"}]}
    if grouped:
        enc["color"] = {"field": "group", "type": "nominal", "title": None, "scale": {"range": COLORS}}
        enc["y"]["stack"] = None
        enc["opacity"] = {"value": 0.6}
    marks = [{"p": "p50", "c": "#16a34a"}, {"p": "p95", "c": "#d97706"}, {"p": "p99", "c": "#dc2626"}]
    return {
        "$schema": VEGA_LITE, "width": "container", "height": 180, "title": "Latency distribution",
        "datasets": {"bins": bins,
                     "pct": [{"name": m["p"].upper(), "value": percentiles.get(m["p"]), "color": m["c"]}
                             for m in marks if percentiles.get(m["p"]) is not None]},
        "layer": [
            {"data": {"name": "bins"}, "mark": {"type": "bar"}, "encoding": enc},
            {"data": {"name": "pct"}, "mark": {"type": "rule", "strokeDash": [2, 2], "strokeWidth": 2},
             "encoding": {"x": {"field": "value", "type": "quantitative"},
                          "color": {"field": "color", "type": "nominal", "scale": None},
                          "tooltip": [{"field": "name"}, {"field": "value", "format": ",.0f"}]}},
        ],
    }


def pass_rates(rows: list[dict]) -> dict:
    """Pass rate per metric, coloured by band, with rules at 0.5 and 0.7."""
    return {
        "$schema": VEGA_LITE, "width": "container", "height": {"step": 22}, "title": "Metric pass rates",
        "datasets": {"rates": rows, "refs": [{"x": 0.5}, {"x": 0.7}]},
        "layer": [
            {"data": {"name": "rates"}, "mark": {"type": "bar"},
             "encoding": {"y": {"field": "metric_name", "type": "nominal", "title": None},
                          "x": {"field": "pass_rate", "type": "quantitative", "title": "Pass rate",
                                "axis": {"format": "%"}, "scale": {"domain": [0, 1]}},
                          "color": {"field": "band", "type": "nominal", "legend": None,
                                    "scale": {"domain": ["good", "warn", "bad"],
                                              "range": ["#16a34a", "#d97706", "#dc2626"]}},
                          "tooltip": [{"field": "metric_name"}, {"field": "pass_rate", "format": ".1%"},
                                      {"field": "avg", "format": ".3f"}, {"field": "count", "title": "n"}]}},
            {"data": {"name": "refs"}, "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#9ca3af"},
             "encoding": {"x": {"field": "x", "type": "quantitative"}}},
        ],
    }


KPI_AXIS = {"percent": {"format": "%"}}
KPI_UNIT_LABEL = {"percent_points": " (%)", "seconds": " (s)"}


def kpi_trend(rows: list[dict], name: str, lines: list[str], unit: str = "score") -> dict:
    """A KPI's daily values (line filled to zero; one path per run of consecutive days, so
    a day without data is a gap) and its dashed 7- and 30-day averages; a percent KPI's
    axis in percent (fractions: 0.12 -> 12%)."""
    layers = []
    fractions = all(abs(r.get("value") or 0) <= 1.5 for r in rows)  # else already in percent
    if unit == "percent" and not fractions:
        unit = "percent_points"
    fmt = ".1%" if unit == "percent" else ",.3f"
    detail = {"detail": {"field": "segment"}} if rows and "segment" in rows[0] else {}
    if "daily" in lines:
        layers.append({"mark": {"type": "area", "line": True, "point": True, "opacity": 0.15},
                       "encoding": {"x": {"field": "date", "type": "temporal", "title": None},
                                    "y": {"field": "value", "type": "quantitative",
                                          "title": name + KPI_UNIT_LABEL.get(unit, ""),
                                          "axis": KPI_AXIS.get(unit, {})},
                                    **detail,
                                    "tooltip": [{"field": "date", "type": "temporal"},
                                                {"field": "value", "format": fmt}, {"field": "count"}]}})
    for key, dash, color in (("avg_7d", [6, 3], "#d97706"), ("avg_30d", [2, 2], "#6b7280")):
        if key in lines:
            layers.append({"mark": {"type": "line", "strokeDash": dash, "color": color},
                           "encoding": {"x": {"field": "date", "type": "temporal"},
                                        "y": {"field": key, "type": "quantitative"}, **detail}})
    return {"$schema": VEGA_LITE, "width": "container", "height": 180,
            "title": name, "data": {"name": "series"}, "datasets": {"series": rows}, "layer": layers}


# ----------------------------------------------------------------------------- human signals
# Plain Vega-Lite: the dashboard redraws them on every filter change.
SIGNAL_PALETTE = ["#8B9F4F", "#D4AF37", "#B8C5D3", "#A4B86C", "#6B7A3A", "#F39C12", "#E74C3C", "#7F8C8D"]


def signal_lines(rows: list[dict], title: str, percent: bool = True) -> dict:
    """Weekly lines with markers, one per series (rates in 0-1 shown as percentages),
    rows: {week, series, value, count, present}; one hover rule shows every series."""
    y = {"field": "value", "type": "quantitative", "title": "% of cases" if percent else None,
         "axis": {"format": ".0%"} if percent else {}}
    tip = [{"field": "week", "type": "temporal", "title": "Week of"}, {"field": "series", "title": "Signal"},
           {"field": "value", "format": ".1%" if percent else ",.2f", "title": "Value"},
           {"field": "count", "title": "Cases"}]
    return {"$schema": VEGA_LITE, "width": "container", "height": 200, "title": title,
            "data": {"name": "rows"}, "datasets": {"rows": rows},
            "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "week", "type": "temporal", "title": None}, "y": y,
                         "color": {"field": "series", "type": "nominal", "title": None,
                                   "legend": {"orient": "bottom"}},
                         "tooltip": tip}}


def signal_shares(rows: list[dict], title: str) -> dict:
    """The share of each value of a string signal per week, stacked to 100 %,
    rows: {week, series (the value), value (share), count}."""
    return {"$schema": VEGA_LITE, "width": "container", "height": 200, "title": title,
            "data": {"name": "rows"}, "datasets": {"rows": rows}, "mark": "bar",
            "encoding": {"x": {"field": "week", "type": "temporal", "timeUnit": "yearweek", "title": None},
                         "y": {"field": "value", "type": "quantitative", "stack": "normalize",
                               "axis": {"format": ".0%"}, "title": "% of cases"},
                         "color": {"field": "series", "type": "nominal", "title": None,
                                   "scale": {"range": SIGNAL_PALETTE}},
                         "tooltip": [{"field": "week", "type": "temporal", "title": "Week of"},
                                     {"field": "series", "title": "Value"},
                                     {"field": "value", "format": ".1%", "title": "Share"}]}}


def signal_categories(rows: list[dict], kind: str, title: str, total: int) -> dict:
    """Cases per value of a signal, rows: {value, count, share, color}, drawn as ``kind``:
    bar (counts), horizontal_bar (% of cases, for long labels), stacked_bar (one bar, part
    of the whole) or donut (the total in the centre). Colours from the display config."""
    order = [r["value"] for r in rows]
    colors = [r.get("color") or SIGNAL_PALETTE[i % len(SIGNAL_PALETTE)] for i, r in enumerate(rows)]
    color = {"field": "value", "type": "nominal", "title": None, "sort": order,
             "scale": {"domain": order, "range": colors}}
    tip = [{"field": "value", "title": "Value"}, {"field": "count", "title": "Cases"},
           {"field": "share", "format": ".1%", "title": "Share"}]
    base = {"$schema": VEGA_LITE, "title": title, "data": {"name": "rows"}, "datasets": {"rows": rows}}
    if kind == "horizontal_bar":
        return {**base, "width": "container", "height": {"step": 22}, "mark": "bar",
                "encoding": {"y": {"field": "value", "type": "nominal", "sort": order, "title": None},
                             "x": {"field": "share", "type": "quantitative", "axis": {"format": ".0%"},
                                   "title": "% of cases"}, "color": {**color, "legend": None}, "tooltip": tip}}
    if kind == "stacked_bar":
        return {**base, "width": "container", "height": 60, "mark": "bar",
                "encoding": {"x": {"field": "count", "type": "quantitative", "stack": "normalize",
                                   "axis": {"format": ".0%"}, "title": None},
                             "color": {**color, "legend": {"orient": "bottom"}},
                             "order": {"field": "count", "sort": "descending"}, "tooltip": tip}}
    if kind == "donut":
        return {**base, "width": 220, "height": 220, "layer": [
            {"mark": {"type": "arc", "innerRadius": 60},
             "encoding": {"theta": {"field": "count", "type": "quantitative"}, "color": color, "tooltip": tip}},
            {"mark": {"type": "text", "fontSize": 20, "fontWeight": "bold"}, "data": {"values": [{"t": total}]},
             "encoding": {"text": {"field": "t", "type": "quantitative", "format": ","}}}]}
    return {**base, "width": "container", "height": 200, "mark": "bar",
            "encoding": {"x": {"field": "value", "type": "nominal", "sort": order, "title": None,
                               "axis": {"labelAngle": -30}},
                         "y": {"field": "count", "type": "quantitative", "title": "Cases"},
                         "color": {**color, "legend": None}, "tooltip": tip}}


# ----------------------------------------------------------------------------- requests
CHARTS: dict[str, Callable[..., dict]] = {f.__name__: f for f in (
    experiments, grouped_bar, bar_by_band, radar, box, violin, binned, value_bars, scatter, heatmap, pie,
    trend, latency, pass_rates, kpi_trend, signal_lines, signal_shares, signal_categories)}


def build(request: dict) -> dict:
    """The Vega-Lite spec of one chart request."""
    args = dict(request)
    name = args.pop(CHART_KEY)
    return CHARTS[name](**args)


def attach(result: Any) -> Any:
    """``result`` with the chart requests under its ``chart`` / ``charts`` keys replaced by
    their specs (in place; other results pass through)."""
    if not isinstance(result, dict):
        return result
    one = result.get("chart")
    if isinstance(one, dict) and CHART_KEY in one:
        result["chart"] = build(one)
    many = result.get("charts")
    if isinstance(many, dict):
        for key, req in many.items():
            if isinstance(req, dict) and CHART_KEY in req:
                many[key] = build(req)
    return result
