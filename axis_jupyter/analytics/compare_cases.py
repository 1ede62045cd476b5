"""Case-level comparison: who wins each test case, the paged case diff, paired scores."""

from __future__ import annotations

import math

import ibis
import pandas as pd

from ..errors import QueryError
from .context import AnalyticContext
from .evals import scores_table
from .compare_stats import _f
from .pairing import _int, _num, _valid_scores, case_key, case_overall, case_scores, outcome_expr, resolve_pair


def win_loss(ctx: AnalyticContext, baseline=None, challenger=None, metrics=None, filters=None,
             tie_band: float = 0.01, level: str = "case") -> pd.DataFrame:
    """Who wins each test case: outcome (challenger | baseline | tie), experiment, cases,
    share (0-1), mean_delta, mean_abs_delta; with ``level="metric"`` also per metric_name.

    A case's score is the mean over the metrics both experiments scored for it; the
    challenger wins when its score beats the baseline's by more than ``tie_band``."""
    tie_band = _num(tie_band, "tie_band", 0.0, 1e9)
    if level not in ("case", "metric"):
        raise QueryError("level must be 'case' or 'metric'.")
    baseline, challenger = resolve_pair(ctx, baseline, challenger, filters)
    k = case_scores(ctx, baseline, challenger, metrics, filters)
    if level == "case":
        o = case_overall(k)
        o = o.filter(o.n_metrics > 0)
        keys: list[str] = []
    else:
        o = k.filter(k.b.notnull() & k.c.notnull())
        o = o.mutate(delta=o.c - o.b)
        keys = ["metric_name"]
    o = o.mutate(outcome=outcome_expr(o.delta, tie_band))
    df = ctx.execute(o.group_by([*keys, "outcome"]).aggregate(
        cases=o.count(), mean_delta=o.delta.mean(), mean_abs_delta=o.delta.abs().mean()))
    names = {"challenger": challenger, "baseline": baseline, "tie": None}
    out = []
    groups = df.groupby(keys) if keys else [((), df)]
    for key, g in groups:
        total = int(g["cases"].sum())
        by = {r["outcome"]: r for r in g.to_dict("records")}
        for oc in ("challenger", "baseline", "tie"):
            r = by.get(oc, {})
            n = int(r.get("cases", 0) or 0)
            row = {"outcome": oc, "experiment": names[oc], "cases": n,
                   "share": n / total if total else math.nan,
                   "mean_delta": _f(r.get("mean_delta")), "mean_abs_delta": _f(r.get("mean_abs_delta"))}
            if keys:
                row = {"metric_name": key[0] if isinstance(key, tuple) else key, **row}
            out.append(row)
    cols = [*keys, "outcome", "experiment", "cases", "share", "mean_delta", "mean_abs_delta"]
    if not out:
        out = [{"outcome": oc, "experiment": names[oc], "cases": 0, "share": math.nan,
                "mean_delta": math.nan, "mean_abs_delta": math.nan} for oc in names] if not keys else []
    return pd.DataFrame(out, columns=cols)


SORTS = {"abs_delta", "delta", "case_id", "dataset_id", "baseline_score", "challenger_score"}
OUTCOMES = {"all", "wins", "losses", "ties", "large", "challenger", "baseline", "tie"}


def _text_cols(t: ibis.Table) -> dict[str, str | None]:
    return {c: (c if c in t.columns else None) for c in ("query", "actual_output")}


def case_diff(ctx: AnalyticContext, baseline=None, challenger=None, outcome: str = "all",
              sort_by: str = "abs_delta", descending: bool = True, search: str | None = None,
              page: int = 1, page_size: int = 20, metrics=None, filters=None,
              large_threshold: float = 0.1, tie_band: float = 0.01,
              case_id: str | None = None) -> pd.DataFrame:
    """One page of the case-level diff: position, case_id, query, baseline_response,
    challenger_response, baseline_score, challenger_score, delta, abs_delta, outcome,
    n_metrics, metrics (list of {metric_name, baseline, challenger, delta}), total.

    ``outcome``: all | wins (challenger wins) | losses (baseline wins) | ties | large
    (|delta| >= ``large_threshold``). ``search`` matches the case id, query or either response
    (case-insensitive). ``total`` is the number of matching cases; ``position`` the 1-based
    rank in the sort order (so page_size=1 gives prev/next). ``case_id`` jumps to the page
    holding that case."""
    outcome = (outcome or "all").lower()
    if outcome not in OUTCOMES:
        raise QueryError(f"outcome must be one of {', '.join(sorted(OUTCOMES))}.")
    if sort_by not in SORTS:
        raise QueryError(f"sort_by must be one of {', '.join(sorted(SORTS))}.")
    sort_by = "case_id" if sort_by == "dataset_id" else sort_by
    large_threshold = _num(large_threshold, "large_threshold", 0.0, 1e9)
    tie_band = _num(tie_band, "tie_band", 0.0, 1e9)
    page, page_size = _int(page, "page", 1, 10**9), _int(page_size, "page_size", 1, 500)
    descending = descending if isinstance(descending, bool) else str(descending).lower() == "true"
    baseline, challenger = resolve_pair(ctx, baseline, challenger, filters)
    k = case_scores(ctx, baseline, challenger, metrics, filters)
    o = case_overall(k)
    o = o.filter(o.n_metrics > 0)
    o = o.mutate(abs_delta=o.delta.abs(), outcome=outcome_expr(o.delta, tie_band))
    want = {"wins": "challenger", "losses": "baseline", "ties": "tie"}.get(outcome, outcome)
    if want in ("challenger", "baseline", "tie"):
        o = o.filter(o.outcome == want)
    elif want == "large":
        o = o.filter(o.abs_delta >= large_threshold)
    full = scores_table(ctx, filters)
    if not set(_text_cols(full).values()) - {None}:
        full = ctx.table("full")
        from .filters import apply_filters

        full = apply_filters(full, filters)
    tc = _text_cols(full)
    key = case_key(full)
    if search:
        s = str(search).lower()
        tt, _ = _valid_scores(ctx, filters, None, [baseline, challenger],
                              *[c for c in tc.values() if c])
        pred = tt[key].cast("string").lower().contains(s)
        for c in tc.values():
            if c:
                pred = pred | tt[c].lower().contains(s)
        hits = tt.filter(pred).select(case_id=tt[key].cast("string")).distinct()
        o = o.semi_join(hits, "case_id") if hasattr(o, "semi_join") else o.filter(o.case_id.isin(hits.case_id))
    order = [ibis.desc(sort_by) if descending else ibis.asc(sort_by), ibis.asc("case_id")]
    o = o.mutate(total=o.count().over(ibis.window()),
                 position=ibis.row_number().over(ibis.window(order_by=order)) + 1)
    if case_id is not None:
        pos = ctx.execute(o.filter(o.case_id == str(case_id)).select("position"))
        if len(pos):
            page = (int(pos["position"].iloc[0]) - 1) // page_size + 1
    expr = o.filter((o.position > (page - 1) * page_size) & (o.position <= page * page_size))
    df = ctx.execute(expr.select("position", "case_id", "baseline_score", "challenger_score", "delta",
                                 "abs_delta", "outcome", "n_metrics", "total").order_by("position"))
    cols = ["position", "case_id", "query", "baseline_response", "challenger_response",
            "baseline_score", "challenger_score", "delta", "abs_delta", "outcome", "n_metrics",
            "metrics", "total"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    ids = df["case_id"].astype(str).tolist()
    per_metric = ctx.execute(k.filter(k.case_id.isin(ids)).order_by(["case_id", "metric_name"]))
    mets: dict[str, list] = {i: [] for i in ids}
    for r in per_metric.to_dict("records"):
        b, c = _f(r["b"]), _f(r["c"])
        mets[str(r["case_id"])].append({
            "metric_name": r["metric_name"], "baseline": None if math.isnan(b) else b,
            "challenger": None if math.isnan(c) else c,
            "delta": None if math.isnan(b) or math.isnan(c) else c - b})
    texts: dict[tuple[str, str], dict] = {}
    if any(tc.values()):
        ft = full.filter(full.evaluation_name.isin([baseline, challenger]),
                         full[key].cast("string").isin(ids))
        aggs = {c: ft[c].min() for c in tc.values() if c}
        tx = ctx.execute(ft.group_by([ft[key].cast("string").name("case_id"), "evaluation_name"])
                         .aggregate(**aggs))
        for r in tx.to_dict("records"):
            texts[(str(r["case_id"]), r["evaluation_name"])] = r
    out = df.copy()
    out["case_id"] = out["case_id"].astype(str)
    out["n_metrics"] = out["n_metrics"].astype("int64")

    def txt(cid, exp, col):
        v = texts.get((cid, exp), {}).get(col)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    out["query"] = [txt(i, baseline, "query") or txt(i, challenger, "query") for i in out["case_id"]]
    out["baseline_response"] = [txt(i, baseline, "actual_output") for i in out["case_id"]]
    out["challenger_response"] = [txt(i, challenger, "actual_output") for i in out["case_id"]]
    out["metrics"] = [mets.get(i, []) for i in out["case_id"]]
    return out[cols].reset_index(drop=True)


def paired_scores(ctx: AnalyticContext, metric: str, baseline=None, challenger=None, filters=None,
                  limit: int = 5000) -> pd.DataFrame:
    """Scatter of baseline vs challenger per case for one metric: case_id, baseline, challenger,
    delta (at most ``limit`` cases, a deterministic sample by case id)."""
    if not metric:
        raise QueryError("paired_scores needs a metric.")
    limit = _int(limit, "limit", 1, 100_000)
    baseline, challenger = resolve_pair(ctx, baseline, challenger, filters)
    k = case_scores(ctx, baseline, challenger, [metric], filters)
    k = k.filter(k.b.notnull() & k.c.notnull())
    return ctx.execute(k.select("case_id", baseline=k.b, challenger=k.c, delta=k.c - k.b)
                       .order_by("case_id").limit(limit))
