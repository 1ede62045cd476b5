"""What the compare view shows (reference: upstream-ui.md §1.2 Compare, catalogue rows 27-34).

``payload``      {baseline, challenger, metrics, filters, alpha, tie_band, threshold} ->
                 experiments (names, cases, means grid), the chosen pair, the head-to-head
                 verdict, per-metric statistics (``analytics.compare.compare``), win/loss and
                 charts (grouped bar, radar overlay, win share); with fewer than two
                 experiments ``need_experiments`` and the list
``cases``        {baseline, challenger, outcome, sort_by, descending, search, page, page_size,
                 case_id, large_threshold, tie_band, metrics, filters} -> one page of the case
                 diff (query, both responses, per-metric deltas), total and position
``distribution`` {metric(s), filters} -> box-plot quantiles per experiment and its chart
``scatter``      {baseline, challenger, metric} -> baseline vs challenger per case (<= 2000 points)
``agreement``    {threshold, filters} -> pairwise pass/fail agreement and its heatmap
``export``       {format: csv|json|markdown, ...} -> {filename, mime, text}
``test_cases``, ``test_case``, ``test_cases_export``: the "Test cases" mode for N experiments
                 (``payloads/compare_cases.py``)

Charts inline only aggregated rows (or one bounded sample of points).
"""

from __future__ import annotations

import time
from typing import Any

from ..analytics import compare, evals
from ..errors import QueryError
from ..wire import jsonable, records
from . import compare_cases, params
from .registry import ViewSpec, chart
from .style import ROLE_COLORS, color_scale, dataset_colors

VIEW = "compare"


def _pair(ctx, baseline, challenger, filters) -> tuple[list[str], str | None, str | None]:
    exps = compare.experiments_of(ctx, filters)
    if len(exps) < 2:
        return exps, None, None
    b = baseline or (exps[0] if challenger != exps[0] else exps[1])
    c = challenger or next(e for e in exps if e != b)
    b, c = compare.resolve_pair(ctx, b, c, filters)
    return exps, b, c


def _pair_or_fail(ctx, baseline, challenger, filters) -> tuple[str, str]:
    exps, b, c = _pair(ctx, baseline, challenger, filters)
    if b is None:
        raise QueryError(f"comparing needs at least two experiments (this dataset has {len(exps)}).")
    return b, c


def payload(store, dataset: str, baseline=None, challenger=None, metrics=None, filters=None,
            alpha=0.05, tie_band=0.01, threshold=None, **unknown) -> dict:
    """Everything the compare view shows for one baseline/challenger pair."""
    params.no_unknown(VIEW, "payload", unknown)
    t0 = time.perf_counter()
    f = params.filters(filters)

    def q(ctx):
        exps, b, c = _pair(ctx, baseline, challenger, f)
        if b is None:
            return {"need_experiments": True, "experiments": exps}
        grid = compare.experiments(ctx, metrics=metrics, filters=f, threshold=threshold)
        res = compare.compare(ctx, b, c, metrics=metrics, filters=f, alpha=alpha)
        wins = compare.win_loss(ctx, b, c, metrics=metrics, filters=f, tie_band=tie_band)
        return {"need_experiments": False, "experiments": exps, "grid": grid, "result": res,
                "wins": wins, "baseline": b, "challenger": c}

    r = store.view_read(dataset, q)
    out: dict[str, Any] = {"view": VIEW, "dataset": dataset, "filters": f}
    if r["need_experiments"]:
        out.update(need_experiments=True, experiments=r["experiments"],
                   message="Comparing needs at least two experiments (evaluation_name values); "
                           f"this dataset has {len(r['experiments'])}.")
        return jsonable(out)
    grid, res, wins = r["grid"], r["result"], r["wins"]
    colors = dataset_colors(store.info(dataset), r["experiments"])
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
    # the outcome names the slice (a tie has no experiment: it once showed as "null")
    pie_rows = [{"label": w["experiment"] if w["outcome"] != "tie" else "tie", "role": w["outcome"],
                 "cases": w["cases"]} for w in wins.to_dict("records")]
    out.update(
        need_experiments=False, experiments=r["experiments"],
        experiment_stats=records(per_exp), leading=lead,
        baseline=r["baseline"], challenger=r["challenger"], alpha=float(alpha),
        grid=records(grid), metrics=records(res), verdict=compare.verdict(res) if len(res) else None,
        win_loss=records(wins), colors=colors, role_colors=ROLE_COLORS,
        charts={"bar": chart("grouped_bar", rows=bar_rows, colors=color_scale(colors)),
                "radar": chart("radar", rows=pair_rows, title="Radar: baseline vs challenger",
                               colors=color_scale(colors, [r["baseline"], r["challenger"]])),
                "pie": chart("pie", rows=pie_rows, title="Win share per test case",
                             colors=color_scale({w["label"]: ROLE_COLORS[w["role"]] for w in pie_rows}))},
    )
    out["timing"] = {"total_ms": round((time.perf_counter() - t0) * 1000, 2)}
    return jsonable(out)


def cases(store, dataset: str, baseline=None, challenger=None, outcome="all", sort_by="abs_delta",
          descending=True, search=None, page=1, page_size=10, case_id=None, large_threshold=0.1,
          tie_band=0.01, metrics=None, filters=None, **unknown) -> dict:
    """One page of the case-level diff."""
    params.no_unknown(VIEW, "cases", unknown)
    f = params.filters(filters)
    df = store.view_read(dataset, lambda ctx: compare.case_diff(
        ctx, *_pair_or_fail(ctx, baseline, challenger, f), metrics=metrics, filters=f, outcome=outcome,
        large_threshold=large_threshold, tie_band=tie_band, sort_by=sort_by, descending=descending,
        search=search, page=page, page_size=page_size, case_id=case_id))
    total = int(df["total"].iloc[0]) if len(df) else 0
    first = int(df["position"].iloc[0]) if len(df) else 0
    size = int(page_size)
    return jsonable({"rows": records(df.drop(columns=["total"])), "total": total,
                     "page": (first - 1) // size + 1 if first else int(page), "page_size": size,
                     "outcome": outcome, "sort_by": sort_by})


def distribution(store, dataset: str, metric=None, metrics=None, filters=None, **unknown) -> dict:
    """Box-plot quantiles of the chosen metrics per experiment."""
    params.no_unknown(VIEW, "distribution", unknown)
    f = params.filters(filters)
    chosen = metric or metrics
    df = store.view_read(dataset, lambda ctx: evals.quantiles(ctx, metric=chosen, filters=f, by="evaluation_name"))
    rows = records(df.rename(columns={"evaluation_name": "group"}))
    colors = color_scale(dataset_colors(store.info(dataset), [r["group"] for r in rows]),
                         sorted({r["group"] for r in rows}))
    return jsonable({"rows": rows, "chart": chart("box", rows=rows, title="Distribution per experiment",
                                                  colors=colors)})


def scatter(store, dataset: str, metric=None, baseline=None, challenger=None, filters=None,
            limit=2000, **unknown) -> dict:
    """One metric's baseline score against its challenger score, per case."""
    params.no_unknown(VIEW, "scatter", unknown)
    f = params.filters(filters)

    def q(ctx):
        exps, b, c = _pair(ctx, baseline, challenger, f)
        if b is None:
            raise QueryError("scatter needs two experiments.")
        m = metric or compare.metric_names(ctx, [b, c], None, f)[0]
        return b, c, m, compare.paired_scores(ctx, m, b, c, filters=f, limit=limit)

    b, c, m, df = store.view_read(dataset, q)
    rows = [{"x": x, "y": y, "id": i} for x, y, i in zip(df["baseline"], df["challenger"], df["case_id"])]
    return jsonable({"metric": m, "baseline": b, "challenger": c, "points": len(rows),
                     "chart": chart("scatter", rows=rows, x_title=b, y_title=c,
                                    title=f"{m}: {c} vs {b} per case", diagonal=True)})


def agreement(store, dataset: str, threshold=None, metrics=None, filters=None, **unknown) -> dict:
    """Pairwise pass/fail agreement between experiments."""
    params.no_unknown(VIEW, "agreement", unknown)
    f = params.filters(filters)
    df = store.view_read(dataset, lambda ctx: compare.agreement(ctx, threshold=threshold, metrics=metrics, filters=f))
    rows = records(df)
    return jsonable({"rows": rows, "chart": chart("heatmap", rows=rows, x="experiment_a", y="experiment_b",
                                                  value="agreement", title="Pass/fail agreement",
                                                  domain=[0, 1])})


def export(store, dataset: str, format="markdown", baseline=None, challenger=None, metrics=None,
           filters=None, alpha=0.05, tie_band=0.01, **unknown) -> dict:
    """The comparison as a file to download: CSV, JSON or Markdown text."""
    params.no_unknown(VIEW, "export", unknown)
    f = params.filters(filters)
    fmt = str(format or "markdown").lower()
    text = store.view_read(dataset, lambda ctx: compare.export(
        ctx, *_pair_or_fail(ctx, baseline, challenger, f), format=fmt, metrics=metrics,
        filters=f or None, alpha=alpha, tie_band=tie_band))
    ext, mime = {"csv": ("csv", "text/csv"), "json": ("json", "application/json")}.get(fmt, ("md", "text/markdown"))
    return {"filename": f"{dataset}_comparison.{ext}", "mime": mime, "format": fmt, "text": text}


SPEC = ViewSpec(
    name=VIEW,
    description="Compare experiments: head-to-head statistics, win/loss, case diff, export",
    actions={"payload": payload, "cases": cases, "distribution": distribution, "scatter": scatter,
             "agreement": agreement, "export": export, "test_cases": compare_cases.test_cases,
             "test_case": compare_cases.test_case, "test_cases_export": compare_cases.test_cases_export},
    kinds=("evals",),
    requires=("metric_name", "metric_score"),
    data="evaluation data: a score per test case and metric",
)
