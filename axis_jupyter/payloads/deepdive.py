"""What the deep-dive view shows (reference: upstream-ui.md §1.2 Deep Dive, catalogue rows 17-26).

``payload``      {filters, threshold} -> KPI cards (average score, pass rate, test cases,
                 std dev and variance of every score), per-metric summary, radar and bar charts, metrics, experiments,
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

import time
from typing import Any

from ..analytics import deepdive, evals
from ..errors import QueryError
from ..wire import jsonable, records
from . import params, scorecard
from .metric_stats import metric_stats
from .registry import ViewSpec, chart
from .style import color_scale, dataset_colors

VIEW = "deepdive"
VIOLIN_BINS = 20
TREE_STATS = ("name", "mean", "std", "min", "max", "count", "hist", "weight", "norm_weight", "type", "level")


def payload(store, dataset: str, filters=None, threshold=None, **unknown) -> dict:
    """The overview: KPI cards, per-metric summary and its charts."""
    params.no_unknown(VIEW, "payload", unknown)
    t0 = time.perf_counter()
    f = params.filters(filters)
    th = params.threshold(threshold)

    def q(ctx):
        summ = evals.summary(ctx, threshold=th, filters=f or None)
        t = evals.scores_table(ctx, f or None)
        t = t.filter(t.metric_score.notnull())
        agg = {"scores": t.count(), "mean": t.metric_score.mean(), "var": t.metric_score.var(how="sample"),
               "pass_rate": (t.metric_score >= th).ifelse(1, 0).mean()}
        if "dataset_id" in t.columns:
            agg["cases"] = t.dataset_id.nunique()
        k = ctx.execute(t.aggregate(**agg)).iloc[0].to_dict()
        try:
            keys = deepdive.metadata_keys(ctx, filters=f or None)["key"].tolist()
        except QueryError:
            keys = []
        return summ, k, keys

    summ, k, keys = store.view_read(dataset, q)
    info = store.info(dataset)
    rows = records(summ)
    out: dict[str, Any] = {
        "view": VIEW, "dataset": dataset, "filters": f, "threshold": th,
        "kpis": {"average_score": k.get("mean"), "pass_rate": k.get("pass_rate"),
                 "test_cases": k.get("cases"), "variance": k.get("var"), "scores": k.get("scores"),
                 "std": None if k.get("var") is None or k.get("var") != k.get("var") else float(k["var"]) ** 0.5},
        "summary": rows,
        "metrics": [r["metric_name"] for r in rows],
        "experiments": (info.get("filter_values") or {}).get("evaluation_name", []),
        "metadata_keys": keys,
        "charts": {
            "radar": chart("radar", rows=[{"group": "Overall", "metric_name": r["metric_name"], "mean": r["mean"]}
                                          for r in rows]),
            "bar": chart("bar_by_band", rows=[{"metric_name": r["metric_name"], "mean": r["mean"],
                                               "band": params.band(r["mean"])} for r in rows]),
        },
    }
    out["timing"] = {"total_ms": round((time.perf_counter() - t0) * 1000, 2)}
    return jsonable(out)


def _densities(ctx, names: list[str], f: dict, by: str | None) -> list[dict]:
    """Share of scores per bin of [0, 1] (``VIOLIN_BINS`` bins) per metric and group."""
    t = evals.scores_table(ctx, f or None, *([by] if by else []))
    t = t.filter(t.metric_name.isin(names), t.metric_score.notnull(), ~t.metric_score.isnan())
    parts = evals.bin_parts(t.metric_score.clip(0.0, 1.0), 0.0, 1.0, VIOLIN_BINS)
    keys = ["metric_name", *([by] if by else [])]
    df = ctx.execute(t.group_by([*keys, parts.pop("raw").name("raw")]).aggregate(**parts))
    df = evals.settle_bins(df, keys).rename(columns={"count": "n"})
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


def _colors(store, dataset: str, groups) -> dict:
    """The fixed colour of each experiment among ``groups`` (every view colours it alike)."""
    shown = sorted({str(g) for g in groups if g is not None})
    return color_scale(dataset_colors(store.info(dataset), shown), shown)


def distribution(store, dataset: str, metrics=None, kind="box", filters=None, **unknown) -> dict:
    """Quantiles per metric and experiment, drawn as boxes or violins."""
    params.no_unknown(VIEW, "distribution", unknown)
    f = params.filters(filters)
    chosen = evals.as_list(metrics)
    kind = str(kind or "box").lower()
    if kind not in ("box", "violin"):
        raise QueryError("kind must be 'box' or 'violin'.")

    def q(ctx):
        names = chosen or evals.summary(ctx, filters=f or None)["metric_name"].tolist()[:5]
        by = "evaluation_name" if "evaluation_name" in ctx.table("scores").columns else None
        dens = _densities(ctx, names, f, by) if kind == "violin" and names else None
        return names, evals.quantiles(ctx, metric=names, filters=f or None, by=by), dens

    names, df, dens = store.view_read(dataset, q)
    df = df.rename(columns={"evaluation_name": "group"})
    if "group" not in df.columns:
        df["group"] = "Overall"
    rows = records(df)
    out = {"metrics": names, "kind": kind, "rows": rows}
    colors = _colors(store, dataset, [r["group"] for r in rows])
    if kind == "violin":
        out["density"] = dens
        out["chart"] = chart("violin", rows=dens or [], title="Score distribution", colors=colors)
    else:
        out["chart"] = chart("box", rows=rows, title="Score distribution", colors=colors)
    return jsonable(out)


def tradeoffs(store, dataset: str, x=None, y=None, trendline=False, metrics=None, filters=None,
              **unknown) -> dict:
    """One metric against another per case, and the Pearson correlation of the metrics."""
    params.no_unknown(VIEW, "tradeoffs", unknown)
    f = params.filters(filters)

    def q(ctx):
        names = evals.summary(ctx, filters=f or None)["metric_name"].tolist()
        if len(names) < 2:
            return names, None, None, None, None
        xx, yy = x or names[0], y or names[1]
        pts = evals.scatter(ctx, x=xx, y=yy, filters=f or None, limit=2000)
        corr = evals.correlation(ctx, metrics=evals.as_list(metrics) or names[:8], filters=f or None)
        return names, xx, yy, pts, corr

    names, xx, yy, pts, corr = store.view_read(dataset, q)
    if pts is None:
        return jsonable({"metrics": names, "message": "tradeoffs need at least two metrics."})
    ids = pts["dataset_id"] if "dataset_id" in pts.columns else range(len(pts))
    rows = [{"x": a, "y": b, "id": str(i)} for a, b, i in zip(pts["x"], pts["y"], ids)]
    crow = records(corr)
    return jsonable({"metrics": names, "x": xx, "y": yy, "points": len(rows), "correlation": crow,
                     "charts": {"scatter": chart("scatter", rows=rows, x_title=xx, y_title=yy,
                                                 title=f"{yy} vs {xx}", trend=bool(trendline)),
                                "correlation": chart("heatmap", rows=crow, x="metric_x", y="metric_y",
                                                     value="r", title="Pearson correlation")}})


def length(store, dataset: str, metric=None, bins=None, filters=None, **unknown) -> dict:
    """Records and mean score per response-length bin."""
    params.no_unknown(VIEW, "length", unknown)
    f = params.filters(filters)
    df = store.view_read(dataset, lambda ctx: deepdive.length_analysis(ctx, metric=metric, bins=bins, filters=f or None))
    rows = records(df)
    return jsonable({"metric": metric, "rows": rows,
                     "chart": chart("binned", rows=rows, x_title="Response length (characters)",
                                    title="Response length",
                                    colors=_colors(store, dataset, [r.get("group") for r in rows]))})


def turns(store, dataset: str, metric=None, filters=None, **unknown) -> dict:
    """Records and mean score per number of conversation turns."""
    params.no_unknown(VIEW, "turns", unknown)
    f = params.filters(filters)
    df = store.view_read(dataset, lambda ctx: deepdive.turn_analysis(ctx, metric=metric, filters=f or None))
    rows = records(df)
    if not rows or sum(r["count"] for r in rows) == 0:
        return {"metric": metric, "rows": rows, "chart": None,
                "message": "No multi-turn conversation data found in this dataset."}
    return jsonable({"metric": metric, "rows": rows,
                     "chart": chart("binned", rows=rows, x_title="Turns", title="Conversation turns",
                                    colors=_colors(store, dataset, [r.get("group") for r in rows]))})


def metadata(store, dataset: str, key=None, metric=None, threshold=None, column=None, filters=None,
             **unknown) -> dict:
    """Mean and pass rate per value of a metadata key."""
    params.no_unknown(VIEW, "metadata", unknown)
    f = params.filters(filters)
    th = params.threshold(threshold)

    def q(ctx):
        try:
            keys = deepdive.metadata_keys(ctx, column=column, filters=f or None)["key"].tolist()
        except QueryError:
            if column:
                raise
            return [], None, None
        k = key or (keys[0] if keys else None)
        if k is None:
            return keys, None, None
        return keys, k, deepdive.metadata_breakdown(ctx, key=k, metric=metric, threshold=th, column=column,
                                             filters=f or None)

    keys, k, df = store.view_read(dataset, q)
    if df is None:
        return {"keys": keys, "rows": [], "chart": None, "message": "No metadata keys found."}
    rows = records(df)
    for r in rows:
        r["band"] = params.band(r["mean"])
    return jsonable({"keys": keys, "key": k, "metric": metric, "threshold": th,
                     "rows": rows, "chart": chart("value_bars", rows=rows, title=f"By {k}")})


def cases(store, dataset: str, search=None, evaluation_name=None, limit=200, page=None, page_size=None,
          **unknown) -> dict:
    """Test cases to pick from. Without ``page``: up to ``limit`` ids (and queries). With
    ``page``: one page of ``page_size`` cases sorted by id, the total, and per case the
    mean score (over the metrics and experiments shown) and the number of experiments."""
    params.no_unknown(VIEW, "cases", unknown)
    if page is None:
        df = store.view_read(dataset, lambda ctx: deepdive.case_list(ctx, search=search, evaluation_name=evaluation_name,
                                                               limit=limit))
        return jsonable({"rows": records(df)})
    try:
        page, size = max(1, int(page)), max(1, min(int(page_size or 20), 200))
    except (TypeError, ValueError):
        raise QueryError("page and page_size must be integers.") from None

    def q(ctx):
        t, aggs = deepdive.case_rows(ctx, search=search, evaluation_name=evaluation_name)
        aggs["metrics"] = t.metric_name.nunique()
        aggs["mean_score"] = t.metric_score.mean(where=~t.metric_score.isnan())
        g = t.group_by("dataset_id").aggregate(**aggs)
        total = int(ctx.execute(g.count().name("n").as_table())["n"].iloc[0])
        rows = ctx.execute(g.order_by("dataset_id").limit(size, offset=(page - 1) * size))
        return total, rows

    total, df = store.view_read(dataset, q)
    if "dataset_id" in df.columns:
        df["dataset_id"] = df["dataset_id"].astype(str)
    return jsonable({"rows": records(df), "total": total, "page": page, "page_size": size})


def case(store, dataset: str, dataset_id=None, evaluation_name=None, **unknown) -> dict:
    """The test-case panel: the case fields once per experiment, and its metric rows."""
    params.no_unknown(VIEW, "case", unknown)
    df = store.view_read(dataset, lambda ctx: deepdive.case_detail(ctx, dataset_id, evaluation_name=evaluation_name))
    case_cols = [c for c in deepdive.CASE_FIELDS if c in df.columns]
    metric_cols = [c for c in deepdive.METRIC_FIELDS if c in df.columns]
    by = "evaluation_name" if "evaluation_name" in df.columns else None
    experiments = []
    for name, g in (df.groupby(by, sort=True) if by else [(None, df)]):
        first = g.iloc[0]
        experiments.append({"evaluation_name": name,
                            "fields": {c: first[c] for c in case_cols},
                            "metrics": records(g[metric_cols]) if metric_cols else []})
    return jsonable({"dataset_id": str(dataset_id), "experiments": experiments})


def tree(store, dataset: str, mode="aggregated", dataset_id=None, filters=None, search=None, **unknown) -> dict:
    """The metric tree (the scorecard's hierarchy): ``aggregated`` node means with their
    stats, or ``individual`` — one case's scores with explanations and signals."""
    params.no_unknown(VIEW, "tree", unknown)
    f = params.filters(filters)
    mode = str(mode or "aggregated").lower()
    if mode not in ("aggregated", "individual"):
        raise QueryError("mode must be 'aggregated' or 'individual'.")
    if mode == "aggregated":
        p = scorecard.payload(store, dataset, filters=f)
        rows = [{k: r.get(k) for k in TREE_STATS} for r in p.get("rows", [])]
        return jsonable({"mode": mode, "tree": p.get("tree"), "rows": rows, "kpis": p.get("kpis")})
    c = scorecard.case_tree(store, dataset, dataset_id=dataset_id or None, filters=f, search=search)
    return jsonable({"mode": mode, "tree": c.get("tree"), "rows": c.get("rows"),
                     "dataset_id": c.get("dataset_id"), "case_ids": c.get("case_ids")})


SPEC = ViewSpec(
    name=VIEW,
    description="Deep dive: overview, distributions, tradeoffs, length, turns, metadata, test-case panel",
    actions={"payload": payload, "distribution": distribution, "tradeoffs": tradeoffs, "length": length,
             "turns": turns, "metadata": metadata, "cases": cases, "case": case, "tree": tree,
             "metric_stats": metric_stats},
    kinds=("evals",),
    requires=("metric_name", "metric_score"),
    data="evaluation data: a score per test case and metric",
)
