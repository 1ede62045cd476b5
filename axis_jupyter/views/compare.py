"""The compare view (reference: upstream-ui.md §1.2 Compare, catalogue rows 27-34).

``axis_jupyter.views.compare.CompareView(ds, baseline=..., challenger=...)`` or
``%axis show compare NAME [baseline=X] [challenger=Y]``.

Actions (``action(store, dataset, **params) -> dict``; HTTP and kernel transports run the same):

``payload``    {baseline, challenger, metrics, filters, alpha, tie_band, threshold} ->
               experiments (names, cases, means grid), the chosen pair, the head-to-head
               verdict, per-metric statistics (``analytics.compare.compare``), win/loss and
               charts (grouped bar, radar overlay, win share); with fewer than two experiments
               ``need_experiments`` and the list
``cases``      {baseline, challenger, outcome, sort_by, descending, search, page, page_size,
               case_id, large_threshold, tie_band, metrics, filters} -> one page of the case
               diff (query, both responses, per-metric deltas), total and position
``distribution`` {metric(s), filters} -> box-plot quantiles per experiment and its chart
``scatter``    {baseline, challenger, metric} -> baseline vs challenger per case (<= 2000 points)
``agreement``  {threshold, filters} -> pairwise pass/fail agreement and its heatmap
``export``     {format: csv|json|markdown, ...} -> {filename, mime, text}

Every chart is a Vega-Lite spec built once with Altair as a template over named datasets;
only aggregated rows (or one bounded sample of points) are inlined.
"""

from __future__ import annotations

import copy
import html
import time
from typing import Any, Callable

from ..analytics import compare as C
from ..analytics import evals as E
from ..errors import AxisError, QueryError
from . import ViewSpec, register_view
from .base import AxisView, is_remote, jsonable

VIEW = "compare"
GOOD, WARN = 0.7, 0.5

# ------------------------------------------------------------------ charts (shared with deepdive)
_TEMPLATES: dict[str, dict] = {}
BANDS = {"domain": ["good", "warn", "bad", "none"], "range": ["#16a34a", "#d97706", "#dc2626", "#a8a29e"]}


def _template(key: str, build: Callable[[], object]) -> dict:
    if key not in _TEMPLATES:
        spec = build().to_dict(validate=True)
        spec.pop("datasets", None)
        _TEMPLATES[key] = spec
    return copy.deepcopy(_TEMPLATES[key])


def spec(key: str, build: Callable[[], object], **datasets) -> dict:
    s = _template(key, build)
    s["datasets"] = {k: jsonable(v) for k, v in datasets.items()}
    return s


def grouped_bar(rows: list[dict], title: str = "Mean score per metric") -> dict:
    """rows: {metric_name, group, mean}."""
    def build():
        import altair as alt

        return alt.Chart(alt.NamedData("rows")).mark_bar().encode(
            x=alt.X("metric_name:N", title=None, axis=alt.Axis(labelAngle=-45)),
            xOffset="group:N", y=alt.Y("mean:Q", scale=alt.Scale(domain=[0, 1]), title="Mean score"),
            color=alt.Color("group:N", title="Experiment"),
            tooltip=["group:N", "metric_name:N", alt.Tooltip("mean:Q", format=".3f")],
        ).properties(width="container", height=240, title=title)
    return spec("grouped_bar", build, rows=rows)


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
    return spec("bar_by_band", build, rows=rows, rules=[{"y": 0.7}, {"y": 0.3}])


def radar(rows: list[dict], title: str = "Metric overview") -> dict:
    """Polar overlay of per-metric means (one line per group), rows: {group, metric_name, mean}.
    Vega-Lite has no radar mark; an arc/line in theta/radius gives the same reading."""
    def build():
        import altair as alt

        base = alt.Chart(alt.NamedData("rows")).encode(
            theta=alt.Theta("metric_name:N", sort=None),
            radius=alt.Radius("mean:Q", scale=alt.Scale(domain=[0, 1], zero=True)),
            color=alt.Color("group:N", title=None),
            tooltip=["group:N", "metric_name:N", alt.Tooltip("mean:Q", format=".3f")])
        return base.mark_arc(innerRadius=0, opacity=0.35, stroke="#fff").properties(
            width=260, height=260, title=title)
    return spec("radar", build, rows=rows)


def box(rows: list[dict], title: str = "Distribution") -> dict:
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
    return spec("box", build, rows=rows)


def binned(rows: list[dict], x_title: str, title: str) -> dict:
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
    return spec("binned", build, rows=rows)


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
    return spec("value_bars", build, rows=rows)


def scatter(rows: list[dict], x_title: str, y_title: str, title: str, trend: bool = False,
            diagonal: bool = False) -> dict:
    """rows: {x, y, id}; optional least-squares trend line and y = x diagonal."""
    key = f"scatter:{trend}:{diagonal}"

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
    s = spec(key, build, rows=rows, diag=[{"x": 0, "y": 0}, {"x": 1, "y": 1}])
    s["title"] = title
    for layer in s.get("layer", []):
        enc = layer.get("encoding", {})
        if "x" in enc and isinstance(enc["x"], dict) and enc["x"].get("field") == "x":
            enc["x"]["title"] = x_title
        if "y" in enc and isinstance(enc["y"], dict) and enc["y"].get("field") == "y":
            enc["y"]["title"] = y_title
    return s


def heatmap(rows: list[dict], x: str, y: str, value: str, title: str, domain=(-1, 1)) -> dict:
    """Annotated heatmap (correlation or agreement), rows: {<x>, <y>, <value>}."""
    def build():
        import altair as alt

        base = alt.Chart(alt.NamedData("rows")).encode(
            x=alt.X("a:N", title=None), y=alt.Y("b:N", title=None))
        rect = base.mark_rect().encode(color=alt.Color(
            "v:Q", title=None, scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1])),
            tooltip=["a:N", "b:N", alt.Tooltip("v:Q", format=".2f")])
        text = base.mark_text(fontSize=10).encode(text=alt.Text("v:Q", format=".2f"))
        return (rect + text).properties(width=260, height=260, title="heatmap")
    data = [{"a": r.get(x), "b": r.get(y), "v": r.get(value)} for r in rows]
    s = spec("heatmap", build, rows=data)
    s["title"] = title
    for layer in s.get("layer", []):
        col = layer.get("encoding", {}).get("color")
        if isinstance(col, dict) and "scale" in col:
            col["scale"]["domain"] = list(domain)
    return s


def pie(rows: list[dict], title: str = "Win share") -> dict:
    """rows: {label, cases}."""
    def build():
        import altair as alt

        return alt.Chart(alt.NamedData("rows")).mark_arc(innerRadius=40).encode(
            theta="cases:Q", color=alt.Color("label:N", title=None),
            tooltip=["label:N", "cases:Q"]).properties(width=200, height=200, title="pie")
    s = spec("pie", build, rows=rows)
    s["title"] = title
    return s



# ------------------------------------------------------------------ helpers
def band(v) -> str:
    if v is None:
        return "none"
    return "good" if v >= GOOD else "warn" if v >= WARN else "bad"


def filters_of(filters) -> dict:
    if filters is None or filters == "":
        return {}
    if not isinstance(filters, dict):
        raise QueryError("filters must be an object such as {\"evaluation_name\": \"baseline\"}.")
    return {k: v for k, v in filters.items() if v is not None and v != "" and v != []}


def check_params(view: str, action: str, unknown: dict) -> None:
    if unknown:
        raise QueryError(f"{view} {action}: unknown parameter(s) {', '.join(sorted(unknown))}.")


def read(store, dataset: str, fn):
    """Run ``fn(ctx)`` on one cursor of the embedded store that holds ``dataset``."""
    if is_remote(store) or not hasattr(store, "read"):
        raise AxisError("view actions run where the data lives; call them through the server "
                        "(store.view_action) for a remote store.")
    return store.read(lambda cur: fn(store.context(cur, dataset)))


def _pair(ctx, baseline, challenger, filters) -> tuple[list[str], str | None, str | None]:
    exps = C.experiments_of(ctx, filters)
    if len(exps) < 2:
        return exps, None, None
    b = baseline or (exps[0] if challenger != exps[0] else exps[1])
    c = challenger or next(e for e in exps if e != b)
    b, c = C.resolve_pair(ctx, b, c, filters)
    return exps, b, c


def _pair_or_fail(ctx, baseline, challenger, filters) -> tuple[str, str]:
    exps, b, c = _pair(ctx, baseline, challenger, filters)
    if b is None:
        raise QueryError(f"comparing needs at least two experiments (this dataset has {len(exps)}).")
    return b, c


# ------------------------------------------------------------------ actions
def payload(store, dataset: str, baseline=None, challenger=None, metrics=None, filters=None,
            alpha=0.05, tie_band=0.01, threshold=None, **unknown) -> dict:
    """Everything the compare view shows for one baseline/challenger pair."""
    check_params(VIEW, "payload", unknown)
    t0 = time.perf_counter()
    f = filters_of(filters)

    def q(ctx):
        exps, b, c = _pair(ctx, baseline, challenger, f)
        if b is None:
            return {"need_experiments": True, "experiments": exps}
        grid = C.experiments(ctx, metrics=metrics, filters=f, threshold=threshold)
        res = C.compare(ctx, b, c, metrics=metrics, filters=f, alpha=alpha)
        wins = C.win_loss(ctx, b, c, metrics=metrics, filters=f, tie_band=tie_band)
        return {"need_experiments": False, "experiments": exps, "grid": grid, "result": res,
                "wins": wins, "baseline": b, "challenger": c}

    r = read(store, dataset, q)
    out: dict[str, Any] = {"view": VIEW, "dataset": dataset, "filters": f}
    if r["need_experiments"]:
        out.update(need_experiments=True, experiments=r["experiments"],
                   message="Comparing needs at least two experiments (evaluation_name values); "
                           f"this dataset has {len(r['experiments'])}.")
        return jsonable(out)
    grid, res, wins = r["grid"], r["result"], r["wins"]
    per_exp = (grid.groupby("evaluation_name", sort=True)
               .agg(cases=("cases", "first"), mean=("experiment_mean", "first")).reset_index())
    ranked = per_exp.sort_values("mean", ascending=False).to_dict("records")
    lead = None
    if ranked:
        nxt = ranked[1]["mean"] if len(ranked) > 1 else None
        lead = {"experiment": ranked[0]["evaluation_name"], "mean": ranked[0]["mean"],
                "vs_next": (ranked[0]["mean"] - nxt) / abs(nxt) if nxt else None}
    bar_rows = [{"metric_name": m, "group": g, "mean": v}
                for m, g, v in zip(grid.metric_name, grid.evaluation_name, grid["mean"])]
    pair_rows = [row for row in bar_rows if row["group"] in (r["baseline"], r["challenger"])]
    pie_rows = [{"label": w["experiment"] or "tie", "cases": w["cases"]} for w in wins.to_dict("records")]
    out.update(
        need_experiments=False, experiments=r["experiments"],
        experiment_stats=C.records(per_exp), leading=lead,
        baseline=r["baseline"], challenger=r["challenger"], alpha=float(alpha),
        grid=C.records(grid), metrics=C.records(res), verdict=C.verdict(res) if len(res) else None,
        win_loss=C.records(wins),
        charts={"bar": grouped_bar(bar_rows), "radar": radar(pair_rows, "Radar: baseline vs challenger"),
                "pie": pie(pie_rows, "Win share per test case")},
    )
    out["timing"] = {"total_ms": round((time.perf_counter() - t0) * 1000, 2)}
    return jsonable(out)


def cases(store, dataset: str, baseline=None, challenger=None, outcome="all", sort_by="abs_delta",
          descending=True, search=None, page=1, page_size=10, case_id=None, large_threshold=0.1,
          tie_band=0.01, metrics=None, filters=None, **unknown) -> dict:
    """One page of the case-level diff."""
    check_params(VIEW, "cases", unknown)
    f = filters_of(filters)
    df = read(store, dataset, lambda ctx: C.case_diff(
        ctx, *_pair_or_fail(ctx, baseline, challenger, f), metrics=metrics, filters=f, outcome=outcome,
        large_threshold=large_threshold, tie_band=tie_band, sort_by=sort_by, descending=descending,
        search=search, page=page, page_size=page_size, case_id=case_id))
    total = int(df["total"].iloc[0]) if len(df) else 0
    first = int(df["position"].iloc[0]) if len(df) else 0
    size = int(page_size)
    return jsonable({"rows": C.records(df.drop(columns=["total"])), "total": total,
                     "page": (first - 1) // size + 1 if first else int(page), "page_size": size,
                     "outcome": outcome, "sort_by": sort_by})


def distribution(store, dataset: str, metric=None, metrics=None, filters=None, **unknown) -> dict:
    check_params(VIEW, "distribution", unknown)
    f = filters_of(filters)
    chosen = metric or metrics
    df = read(store, dataset, lambda ctx: E.quantiles(ctx, metric=chosen, filters=f, by="evaluation_name"))
    df = df.rename(columns={"evaluation_name": "group"})
    rows = C.records(df)
    return jsonable({"rows": rows, "chart": box(rows, "Distribution per experiment")})


def scatter_action(store, dataset: str, metric=None, baseline=None, challenger=None, filters=None,
                   limit=2000, **unknown) -> dict:
    check_params(VIEW, "scatter", unknown)
    f = filters_of(filters)

    def q(ctx):
        exps, b, c = _pair(ctx, baseline, challenger, f)
        if b is None:
            raise QueryError("scatter needs two experiments.")
        m = metric or C.metric_names(ctx, [b, c], None, f)[0]
        return b, c, m, C.paired_scores(ctx, m, b, c, filters=f, limit=limit)

    b, c, m, df = read(store, dataset, q)
    rows = [{"x": x, "y": y, "id": i} for x, y, i in zip(df["baseline"], df["challenger"], df["case_id"])]
    return jsonable({"metric": m, "baseline": b, "challenger": c, "points": len(rows),
                     "chart": scatter(rows, b, c, f"{m}: {c} vs {b} per case", diagonal=True)})


def agreement_action(store, dataset: str, threshold=None, metrics=None, filters=None, **unknown) -> dict:
    check_params(VIEW, "agreement", unknown)
    f = filters_of(filters)
    df = read(store, dataset, lambda ctx: C.agreement(ctx, threshold=threshold, metrics=metrics, filters=f))
    rows = C.records(df)
    return jsonable({"rows": rows, "chart": heatmap(rows, "experiment_a", "experiment_b", "agreement",
                                                    "Pass/fail agreement", domain=(0, 1))})


def export_action(store, dataset: str, format="markdown", baseline=None, challenger=None, metrics=None,
                  filters=None, alpha=0.05, tie_band=0.01, **unknown) -> dict:
    check_params(VIEW, "export", unknown)
    f = filters_of(filters)
    fmt = str(format or "markdown").lower()
    text = read(store, dataset, lambda ctx: C.export(ctx, *_pair_or_fail(ctx, baseline, challenger, f), format=fmt, metrics=metrics,
                                                     filters=f or None, alpha=alpha, tie_band=tie_band))
    ext, mime = {"csv": ("csv", "text/csv"), "json": ("json", "application/json")}.get(fmt, ("md", "text/markdown"))
    return {"filename": f"{dataset}_comparison.{ext}", "mime": mime, "format": fmt, "text": text}


ACTIONS = {"payload": payload, "cases": cases, "distribution": distribution, "scatter": scatter_action,
           "agreement": agreement_action, "export": export_action}


# ------------------------------------------------------------------ widget
class CompareView(AxisView):
    """Head-to-head comparison of two experiments: verdict, per-metric statistics (paired t /
    Wilcoxon or Welch, Cohen's d, 95% CI, Holm), win/loss, the case diff, charts and export.

    ``CompareView(ds, baseline="a", challenger="b")``; ``w.call("cases", {"outcome": "wins"})``
    runs the same action as the front end."""

    view_name = VIEW

    def __init__(self, ds_or_name=None, store=None, *, baseline=None, challenger=None, metrics=None,
                 filters: dict | None = None, alpha=None, **kwargs):
        params: dict[str, Any] = {"filters": dict(filters or {})}
        for k, v in (("baseline", baseline), ("challenger", challenger), ("metrics", metrics), ("alpha", alpha)):
            if v not in (None, "", []):
                params[k] = float(v) if k == "alpha" else v
        super().__init__(ds_or_name, store, params=params, **kwargs)

    def payload_params(self) -> dict:
        return {k: self.params[k] for k in ("baseline", "challenger", "metrics", "filters", "alpha",
                                              "tie_band", "threshold") if k in self.params}

    def static_html(self) -> str:
        return static_html(self.snapshot)


def static_html(snap: dict) -> str:
    e = html.escape
    if not snap:
        return "<div class='axis-static'>AXIS compare</div>"
    if snap.get("need_experiments"):
        return f"<div class='axis-static'>AXIS compare: {e(snap.get('message', ''))}</div>"
    v = snap.get("verdict") or {}
    rows = "".join(
        f"<tr><td>{e(str(m['metric_name']))}</td><td>{_f(m['baseline_mean'])}</td><td>{_f(m['challenger_mean'])}</td>"
        f"<td>{_f(m['delta'], '+.3f')}</td><td>{e(str(m['test'] or '–'))}</td><td>{_f(m['p_value'], '.3g')}{e(m['stars'] or '')}</td>"
        f"<td>{_f(m['p_value_adjusted'], '.3g')}</td><td>{_f(m['cohens_d'], '.2f')} {e(str(m['effect_size'] or ''))}</td></tr>"
        for m in snap.get("metrics", []))
    return ("<div class='axis-static axis-compare' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<b>{e(str(snap.get('challenger')))} vs {e(str(snap.get('baseline')))}</b> — winner: "
            f"{e(str(v.get('winner')))}<table><tr><th>Metric</th><th>Baseline</th><th>Challenger</th><th>Δ</th>"
            f"<th>Test</th><th>p</th><th>p (Holm)</th><th>Cohen's d</th></tr>{rows}</table></div>")


def _f(v, spec=".3f") -> str:
    return "–" if v is None else format(v, spec)


OPTIONS = {"baseline", "challenger", "metrics", "alpha"}


def widget(store, dataset=None, **options):
    """Factory for ``%axis show compare [DATASET] [baseline=X] [challenger=Y]``."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise QueryError(f"compare options are {', '.join(sorted(OPTIONS))} (got {', '.join(sorted(unknown))}).")
    if dataset is None:
        ds = store.datasets()
        evals = ds[ds["kind"] == "evals"]["name"].tolist() if len(ds) else []
        if len(evals) != 1:
            raise QueryError("name the dataset: %axis show compare NAME "
                             f"(evaluation datasets: {', '.join(evals) or 'none'}).")
        dataset = evals[0]
    return CompareView(dataset, store=store, **options)


register_view(ViewSpec(name=VIEW, description="Compare experiments: head-to-head statistics, win/loss, case diff, export",
                       widget=widget, actions=ACTIONS, kinds=("evals",)))

__all__ = ["ACTIONS", "CompareView", "widget", "static_html"]
_ = (copy, Callable)
