"""The deep-dive view (reference: upstream-ui.md §1.2 Deep Dive, catalogue rows 17-26).

``axis_jupyter.views.deepdive.DeepDiveView(ds)`` or ``%axis show deepdive NAME [experiment=X]``.

Actions (``action(store, dataset, **params) -> dict``):

``payload``      {filters, threshold} -> KPI cards (average score, pass rate, test cases,
                 variance), per-metric summary, radar and bar charts, metrics, experiments,
                 metadata keys
``distribution`` {metrics, kind, filters} -> quantiles per metric (and experiment) + box chart;
                 ``kind="violin"`` adds a 20-bin density over [0, 1] per metric and experiment
                 and draws violins from it
``tradeoffs``    {x, y, trendline, metrics, filters} -> scatter (<= 2000 cases) + Pearson heatmap
``length``       {metric, bins, filters} -> response-length bins per experiment + charts
``turns``        {metric, filters} -> conversation-turn bins per experiment + charts
``metadata``     {key, metric, threshold, column, filters} -> breakdown per value + charts
``cases``        {search, evaluation_name, limit | page, page_size} -> test cases to pick from
                 (with ``page``: one page, its total and the mean score of each case)
``case``         {dataset_id, evaluation_name} -> the test-case panel (fields parsed safely)
``tree``         {mode: aggregated|individual, dataset_id, filters} -> the metric tree shared
                 with the scorecard (aggregated: node stats; individual: one case's scores,
                 explanations and signals, and the case ids to pick from)
"""

from __future__ import annotations

import html
import math
import time
from typing import Any

from ..analytics import deepdive as D
from ..analytics import evals as E
from ..analytics.compare import records
from ..errors import QueryError
from . import ViewSpec, register_view
from .base import AxisView, experiment_params, jsonable
from .compare import band, bar_by_band, binned, box, check_params, filters_of, heatmap, radar, read, scatter, \
    spec, value_bars

VIEW = "deepdive"


def payload(store, dataset: str, filters=None, threshold=None, **unknown) -> dict:
    check_params(VIEW, "payload", unknown)
    t0 = time.perf_counter()
    f = filters_of(filters)
    th = E._threshold(threshold)

    def q(ctx):
        summ = E.summary(ctx, threshold=th, filters=f or None)
        t = E.scores_table(ctx, f or None)
        t = t.filter(t.metric_score.notnull())
        agg = {"scores": t.count(), "mean": t.metric_score.mean(), "var": t.metric_score.var(how="sample"),
               "pass_rate": (t.metric_score >= th).ifelse(1, 0).mean()}
        if "dataset_id" in t.columns:
            agg["cases"] = t.dataset_id.nunique()
        k = ctx.execute(t.aggregate(**agg)).iloc[0].to_dict()
        try:
            keys = D.metadata_keys(ctx, filters=f or None)["key"].tolist()
        except QueryError:
            keys = []
        return summ, k, keys

    summ, k, keys = read(store, dataset, q)
    info = store.info(dataset)
    rows = records(summ)
    out: dict[str, Any] = {
        "view": VIEW, "dataset": dataset, "filters": f, "threshold": th,
        "kpis": {"average_score": k.get("mean"), "pass_rate": k.get("pass_rate"),
                 "test_cases": k.get("cases"), "variance": k.get("var"), "scores": k.get("scores")},
        "summary": rows,
        "metrics": [r["metric_name"] for r in rows],
        "experiments": (info.get("filter_values") or {}).get("evaluation_name", []),
        "metadata_keys": keys,
        "charts": {
            "radar": radar([{"group": "Overall", "metric_name": r["metric_name"], "mean": r["mean"]} for r in rows]),
            "bar": bar_by_band([{"metric_name": r["metric_name"], "mean": r["mean"], "band": band(r["mean"])}
                                for r in rows]),
        },
    }
    out["timing"] = {"total_ms": round((time.perf_counter() - t0) * 1000, 2)}
    return jsonable(out)


VIOLIN_BINS = 20


def violin(rows: list[dict], title: str = "Score distribution") -> dict:
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
    return spec("violin", build, rows=rows)


def _densities(ctx, names: list[str], f: dict, by: str | None) -> list[dict]:
    """Share of scores per bin of [0, 1] (``VIOLIN_BINS`` bins) per metric and group."""
    t = E.scores_table(ctx, f or None, *([by] if by else []))
    t = t.filter(t.metric_name.isin(names), t.metric_score.notnull(), ~t.metric_score.isnan())
    parts = E.bin_parts(t.metric_score.clip(0.0, 1.0), 0.0, 1.0, VIOLIN_BINS)
    keys = ["metric_name", *([by] if by else [])]
    df = ctx.execute(t.group_by([*keys, parts.pop("raw").name("raw")]).aggregate(**parts))
    df = E.settle_bins(df, keys).rename(columns={"count": "n"})
    if df.empty:
        return []
    df["group"] = df[by].astype(str) if by else "Overall"
    tot = df.groupby(["metric_name", "group"])["n"].transform("sum")
    df["density"] = df["n"] / tot
    have = {(m, g, int(i)): d for m, g, i, d in zip(df["metric_name"], df["group"], df["bin"], df["density"])}
    out = []
    for m, g in sorted({(m, g) for m, g, _ in have}):
        # zero-density ends close the outline at 0 and 1
        out.append({"metric_name": m, "group": g, "y": 0.0, "density": 0.0})
        for i in range(VIOLIN_BINS):
            out.append({"metric_name": m, "group": g, "y": (i + 0.5) / VIOLIN_BINS,
                        "density": float(have.get((m, g, i), 0.0))})
        out.append({"metric_name": m, "group": g, "y": 1.0, "density": 0.0})
    return out


def distribution(store, dataset: str, metrics=None, kind="box", filters=None, **unknown) -> dict:
    check_params(VIEW, "distribution", unknown)
    f = filters_of(filters)
    chosen = E.as_list(metrics)
    kind = str(kind or "box").lower()
    if kind not in ("box", "violin"):
        raise QueryError("kind must be 'box' or 'violin'.")

    def q(ctx):
        names = chosen or E.summary(ctx, filters=f or None)["metric_name"].tolist()[:5]
        by = "evaluation_name" if "evaluation_name" in ctx.table("scores").columns else None
        dens = _densities(ctx, names, f, by) if kind == "violin" and names else None
        return names, E.quantiles(ctx, metric=names, filters=f or None, by=by), dens

    names, df, dens = read(store, dataset, q)
    df = df.rename(columns={"evaluation_name": "group"})
    if "group" not in df.columns:
        df["group"] = "Overall"
    rows = records(df)
    out = {"metrics": names, "kind": kind, "rows": rows}
    if kind == "violin":
        out["density"] = dens
        out["chart"] = violin(dens or [], "Score distribution")
    else:
        out["chart"] = box(rows, "Score distribution")
    return jsonable(out)


def tradeoffs(store, dataset: str, x=None, y=None, trendline=False, metrics=None, filters=None,
              **unknown) -> dict:
    check_params(VIEW, "tradeoffs", unknown)
    f = filters_of(filters)

    def q(ctx):
        names = E.summary(ctx, filters=f or None)["metric_name"].tolist()
        if len(names) < 2:
            return names, None, None, None, None
        xx, yy = x or names[0], y or names[1]
        pts = E.scatter(ctx, x=xx, y=yy, filters=f or None, limit=2000)
        corr = E.correlation(ctx, metrics=E.as_list(metrics) or names[:8], filters=f or None)
        return names, xx, yy, pts, corr

    names, xx, yy, pts, corr = read(store, dataset, q)
    if pts is None:
        return jsonable({"metrics": names, "message": "tradeoffs need at least two metrics."})
    ids = pts["dataset_id"] if "dataset_id" in pts.columns else range(len(pts))
    rows = [{"x": a, "y": b, "id": str(i)} for a, b, i in zip(pts["x"], pts["y"], ids)]
    crow = records(corr)
    return jsonable({"metrics": names, "x": xx, "y": yy, "points": len(rows), "correlation": crow,
                     "charts": {"scatter": scatter(rows, xx, yy, f"{yy} vs {xx}", trend=bool(trendline)),
                                "correlation": heatmap(crow, "metric_x", "metric_y", "r", "Pearson correlation")}})


def length(store, dataset: str, metric=None, bins=None, filters=None, **unknown) -> dict:
    check_params(VIEW, "length", unknown)
    f = filters_of(filters)
    df = read(store, dataset, lambda ctx: D.length_analysis(ctx, metric=metric, bins=bins, filters=f or None))
    rows = records(df)
    return jsonable({"metric": metric, "rows": rows,
                     "chart": binned(rows, "Response length (characters)", "Response length")})


def turns(store, dataset: str, metric=None, filters=None, **unknown) -> dict:
    check_params(VIEW, "turns", unknown)
    f = filters_of(filters)
    df = read(store, dataset, lambda ctx: D.turn_analysis(ctx, metric=metric, filters=f or None))
    rows = records(df)
    if not rows or sum(r["count"] for r in rows) == 0:
        return {"metric": metric, "rows": rows, "chart": None,
                "message": "No multi-turn conversation data found in this dataset."}
    return jsonable({"metric": metric, "rows": rows, "chart": binned(rows, "Turns", "Conversation turns")})


def metadata(store, dataset: str, key=None, metric=None, threshold=None, column=None, filters=None,
             **unknown) -> dict:
    check_params(VIEW, "metadata", unknown)
    f = filters_of(filters)

    def q(ctx):
        try:
            keys = D.metadata_keys(ctx, column=column, filters=f or None)["key"].tolist()
        except QueryError:
            if column:
                raise
            return [], None, None
        k = key or (keys[0] if keys else None)
        if k is None:
            return keys, None, None
        return keys, k, D.metadata_breakdown(ctx, key=k, metric=metric, threshold=threshold, column=column,
                                             filters=f or None)

    keys, k, df = read(store, dataset, q)
    if df is None:
        return {"keys": keys, "rows": [], "chart": None, "message": "No metadata keys found."}
    rows = records(df)
    for r in rows:
        r["band"] = band(r["mean"])
    return jsonable({"keys": keys, "key": k, "metric": metric, "threshold": E._threshold(threshold),
                     "rows": rows, "chart": value_bars(rows, f"By {k}")})


def cases(store, dataset: str, search=None, evaluation_name=None, limit=200, page=None, page_size=None,
          **unknown) -> dict:
    """Test cases to pick from. Without ``page``: up to ``limit`` ids (and queries). With
    ``page``: one page of ``page_size`` cases sorted by id, the total, and per case the
    mean score (over the metrics and experiments shown) and the number of experiments."""
    check_params(VIEW, "cases", unknown)
    if page is None:
        df = read(store, dataset, lambda ctx: D.case_list(ctx, search=search, evaluation_name=evaluation_name,
                                                          limit=limit))
        return jsonable({"rows": records(df)})
    try:
        page, size = max(1, int(page)), max(1, min(int(page_size or 20), 200))
    except (TypeError, ValueError):
        raise QueryError("page and page_size must be integers.") from None

    def q(ctx):
        t, aggs = D.case_rows(ctx, search=search, evaluation_name=evaluation_name)
        aggs["metrics"] = t.metric_name.nunique()
        aggs["mean_score"] = t.metric_score.mean(where=~t.metric_score.isnan())
        g = t.group_by("dataset_id").aggregate(**aggs)
        total = int(ctx.execute(g.count().name("n").as_table())["n"].iloc[0])
        rows = ctx.execute(g.order_by("dataset_id").limit(size, offset=(page - 1) * size))
        return total, rows

    total, df = read(store, dataset, q)
    if "dataset_id" in df.columns:
        df["dataset_id"] = df["dataset_id"].astype(str)
    return jsonable({"rows": records(df), "total": total, "page": page, "page_size": size})


def case(store, dataset: str, dataset_id=None, evaluation_name=None, **unknown) -> dict:
    """The test-case panel: the case fields once per experiment, and its metric rows."""
    check_params(VIEW, "case", unknown)
    df = read(store, dataset, lambda ctx: D.case_detail(ctx, dataset_id, evaluation_name=evaluation_name))
    case_cols = [c for c in D.CASE_FIELDS if c in df.columns]
    metric_cols = [c for c in D.METRIC_FIELDS if c in df.columns]
    by = "evaluation_name" if "evaluation_name" in df.columns else None
    experiments = []
    for name, g in (df.groupby(by, sort=True) if by else [(None, df)]):
        first = g.iloc[0]
        experiments.append({"evaluation_name": name,
                            "fields": {c: first[c] for c in case_cols},
                            "metrics": records(g[metric_cols]) if metric_cols else []})
    return jsonable({"dataset_id": str(dataset_id), "experiments": experiments})


TREE_STATS = ("name", "mean", "std", "min", "max", "count", "hist", "weight", "norm_weight", "type", "level")


def tree(store, dataset: str, mode="aggregated", dataset_id=None, filters=None, search=None, **unknown) -> dict:
    """The metric tree (the scorecard's hierarchy): ``aggregated`` node means with their
    stats, or ``individual`` — one case's scores with explanations and signals."""
    check_params(VIEW, "tree", unknown)
    from . import scorecard as S

    f = filters_of(filters)
    mode = str(mode or "aggregated").lower()
    if mode not in ("aggregated", "individual"):
        raise QueryError("mode must be 'aggregated' or 'individual'.")
    if mode == "aggregated":
        p = S.payload(store, dataset, filters=f)
        rows = [{k: r.get(k) for k in TREE_STATS} for r in p.get("rows", [])]
        return jsonable({"mode": mode, "tree": p.get("tree"), "rows": rows, "kpis": p.get("kpis")})
    c = S.case_tree(store, dataset, dataset_id=dataset_id or None, filters=f, search=search)
    return jsonable({"mode": mode, "tree": c.get("tree"), "rows": c.get("rows"),
                     "dataset_id": c.get("dataset_id"), "case_ids": c.get("case_ids")})


ACTIONS = {"payload": payload, "distribution": distribution, "tradeoffs": tradeoffs, "length": length,
           "turns": turns, "metadata": metadata, "cases": cases, "case": case, "tree": tree}


class DeepDiveView(AxisView):
    """Deep dive into one evaluation dataset: overview KPIs and charts, distributions,
    tradeoffs (scatter + correlation), response length, conversation turns, metadata
    breakdown and the test-case panel. ``w.call("length", {"metric": "tone"})`` runs the same
    action the front end does."""

    view_name = VIEW

    def __init__(self, ds_or_name=None, store=None, *, experiment=None, threshold=None,
                 filters: dict | None = None, **kwargs):
        super().__init__(ds_or_name, store, params=experiment_params(experiment, threshold, filters),
                         **kwargs)

    def payload_params(self) -> dict:
        return {k: self.params[k] for k in ("filters", "threshold") if k in self.params}

    def static_html(self) -> str:
        return static_html(self.snapshot)


def static_html(snap: dict) -> str:
    e = html.escape
    if not snap:
        return "<div class='axis-static'>AXIS deep dive</div>"
    k = snap.get("kpis", {})

    def fmt(v, pct=False):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "–"
        return f"{v * 100:.1f}%" if pct else (f"{v:.3f}" if isinstance(v, float) else f"{v:,}")

    rows = "".join(f"<tr><td>{e(str(r['metric_name']))}</td><td>{fmt(r['mean'])}</td><td>{fmt(r['std'])}</td>"
                   f"<td>{fmt(r['pass_rate'], True)}</td><td>{fmt(r['count'])}</td></tr>" for r in snap.get("summary", []))
    return ("<div class='axis-static axis-deepdive' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<b>AXIS deep dive — {e(str(snap.get('dataset')))}</b><div>Average {fmt(k.get('average_score'), True)} · "
            f"pass rate {fmt(k.get('pass_rate'), True)} · {fmt(k.get('test_cases'))} test cases · variance "
            f"{fmt(k.get('variance'))}</div><table><tr><th>Metric</th><th>Mean</th><th>Std</th><th>Pass rate</th>"
            f"<th>Count</th></tr>{rows}</table></div>")


OPTIONS = {"experiment", "threshold"}


def widget(store, dataset=None, **options):
    """Factory for ``%axis show deepdive [DATASET] [experiment=X] [threshold=T]``."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise QueryError(f"deepdive options are {', '.join(sorted(OPTIONS))} (got {', '.join(sorted(unknown))}).")
    if dataset is None:
        ds = store.datasets()
        evals = ds[ds["kind"] == "evals"]["name"].tolist() if len(ds) else []
        if len(evals) != 1:
            raise QueryError("name the dataset: %axis show deepdive NAME "
                             f"(evaluation datasets: {', '.join(evals) or 'none'}).")
        dataset = evals[0]
    return DeepDiveView(dataset, store=store, **options)


register_view(ViewSpec(name=VIEW, description="Deep dive: overview, distributions, tradeoffs, length, turns, "
                       "metadata, test-case panel", widget=widget, actions=ACTIONS, kinds=("evals",)))

__all__ = ["ACTIONS", "DeepDiveView", "widget", "static_html"]
