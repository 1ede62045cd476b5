"""What the evaluation scorecard shows (reference: upstream-ui.md §1.2 Scorecard, §2 metric tree).

``payload``   {filters, threshold} -> KPI cards, hierarchy rows, tree, experiments (+ the
              chart of the overall score per experiment), timing
``cases``     {metric, page, page_size, sort, search, filters} -> one page of the metric's
              cases (dataset_id, query, metric_score, explanation) and the total, from
              DuckDB; worst first by default, ``search`` in id, query and explanation
``case_tree`` {dataset_id, filters, search, limit} -> the metric tree of one test case (its
              own scores, explanations, signals and critiques) and a list of case ids to
              choose from
``metric_stats`` {metric, filters} -> a metric's five-number summary and 10-bin histogram,
              for the tree's leaf popup (``payloads/metric_stats.py``)
"""

from __future__ import annotations

import json
import time
from typing import Any

import ibis

from ..analytics import scorecard
from ..analytics.filters import apply_filters
from ..analytics.memo import Lru
from ..errors import QueryError
from ..ingest.jsonish import parse_jsonish
from ..wire import jsonable
from . import params
from .metric_stats import metric_stats
from .report import SCORECARD_ACTIONS, SCORECARD_GUARDED
from .registry import ViewSpec, chart

VIEW = "scorecard"
CASE_COLUMNS = ["dataset_id", "query", "metric_score", "explanation"]
SORTS = {"score_desc", "score_asc", "id"}

# Expressions and node attributes per dataset version of a store. The expressions are
# unbound (they name the dataset's versioned tables), so a reload, which creates new
# tables, never reuses a stale one.
_EXPRS = Lru(256)
_NODE_META = Lru(64)


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def payload(store, dataset: str, filters=None, threshold=None, exact=False, **unknown) -> dict:
    """Everything the scorecard shows for ``filters``; see the module docstring. The numbers
    come from the dataset's summaries when they cover the filters (``exact``: always from
    the raw rows); ``timing.path`` says which ("summary", "raw" or "mixed")."""
    params.no_unknown(VIEW, "payload", unknown)
    t_start = time.perf_counter()
    filters = params.filters(filters)
    exact = bool(exact)  # checked as a boolean by params.check (registry.call_action)
    info = store.info(dataset)
    th = params.threshold(threshold)
    version = (store.location, id(store), info.get("scores_table"), info.get("version"),
               info.get("updated"))

    def query(ctx):
        t0 = time.perf_counter()
        sql_filters, selected = scorecard.split_experiment_filter(filters, ctx.table("full").columns)
        p_expr = _EXPRS.get_or_make(("binned", version, _key(sql_filters), th),
                                    lambda: scorecard.binned_expr(ctx, sql_filters, th))
        c_expr = _EXPRS.get_or_make(("cases", version, _key(filters)),
                                    lambda: scorecard.case_count_expr(ctx, filters))
        meta = _NODE_META.get_or_make(version, lambda: ctx.answer(
            "node_meta", lambda: ctx.records(scorecard.node_meta_expr(ctx)), exact=exact))
        binned = ctx.answer("scorecard_binned", lambda: ctx.records(p_expr), exact=exact,
                            filters=sql_filters, threshold=th)
        partials = scorecard.clean_partials(scorecard.merge_binned(binned, meta))
        cases = ctx.answer("case_count", lambda: int(ctx.records(c_expr)[0]["n"] or 0),
                           exact=exact, filters=filters)
        return partials, cases, selected, (time.perf_counter() - t0) * 1000, ctx.path, ctx.paths

    timing: dict[str, float] = {}
    partials, cases, selected, query_ms, path, paths = store.view_read(dataset, query, timing)
    rows = scorecard.build_hierarchy(scorecard.combine(partials, selected))
    k = scorecard.kpis(rows, cases)
    leaves = [r for r in rows if not r["children"] and r["mean"] is not None]
    k["low"] = sum(1 for r in leaves if r["mean"] < th)
    k["high"] = len(leaves) - k["low"]

    exp_values = [str(e) for e in info.get("filter_values", {}).get(scorecard.EXPERIMENT_COLUMN, [])]
    per_exp = []
    present = sorted({str(r[scorecard.EXPERIMENT_COLUMN]) for r in partials
                      if scorecard._present(r.get(scorecard.EXPERIMENT_COLUMN))})
    for e in present[:50]:
        score = scorecard.overall_score(scorecard.build_hierarchy(scorecard.combine(partials, [e])))
        per_exp.append({"experiment": e, "overall_score": score, "band": params.band(score),
                        "cases": sum(int(r["n"]) for r in partials if str(r[scorecard.EXPERIMENT_COLUMN]) == e),
                        "selected": selected is None or e in selected})
    if present:
        exp_values = exp_values or present
    out = {
        "view": VIEW, "dataset": dataset,
        "filters": filters, "threshold": th,
        "kpis": k,
        "rows": rows,
        "tree": scorecard.tree(rows),
        "experiments": {"column": scorecard.EXPERIMENT_COLUMN if exp_values else None,
                        "values": exp_values, "selected": selected, "scores": per_exp},
        "chart": chart("experiments", rows=per_exp) if len(per_exp) > 1 else None,
        "columns": [c["name"] for c in info.get("columns", [])],
    }
    out["timing"] = {"query_ms": round(query_ms, 2), "duckdb_ms": round(timing["duckdb_ms"], 2),
                     "compile_ms": round(timing["compile_ms"], 2),
                     "total_ms": round((time.perf_counter() - t_start) * 1000, 2),
                     "path": path, "paths": paths}
    return jsonable(out)


def cases(store, dataset: str, metric: str | None = None, page=1, page_size=10, sort="score_asc",
          filters=None, search=None, **unknown) -> dict:
    """One page of the cases scored by ``metric``: dataset_id, query, metric_score,
    explanation (+ evaluation_name when several experiments are shown) and the total.
    Worst first unless ``sort`` says otherwise (a drill-down is opened to find what fails);
    ``search`` keeps cases whose id, query or explanation contains it (any case)."""
    params.no_unknown(VIEW, "cases", unknown)
    if not metric:
        raise QueryError("cases needs a metric name.")
    page, page_size = params.page(page, page_size, 500)
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(sorted(SORTS))}.")
    filters = params.filters(filters)

    def query(ctx):
        t = apply_filters(ctx.table("full"), filters)
        t = t.filter(t.metric_name == str(metric))
        if search:
            needle = str(search).lower()
            hits = [t[c].cast("string").lower().contains(needle)
                    for c in ("dataset_id", "query", "explanation") if c in t.columns]
            t = t.filter(ibis.or_(*hits).fill_null(False))
        total = int(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0])
        cols = [c for c in CASE_COLUMNS if c in t.columns]
        sel = filters.get(scorecard.EXPERIMENT_COLUMN)
        if scorecard.EXPERIMENT_COLUMN in t.columns and (sel is None or isinstance(sel, (list, tuple))):
            cols.append(scorecard.EXPERIMENT_COLUMN)
        tie = [ibis.asc(c) for c in ("dataset_id", scorecard.EXPERIMENT_COLUMN) if c in t.columns]
        if sort == "score_desc":
            order = [ibis.desc(t.metric_score), *tie]
        elif sort == "score_asc":
            order = [ibis.asc(t.metric_score), *tie]
        else:
            order = tie or [ibis.desc(t.metric_score)]
        expr = t.order_by(order).select(*cols).limit(page_size, offset=(page - 1) * page_size)
        return total, ctx.execute(expr)

    total, df = store.view_read(dataset, query)
    rows = df.to_dict("records")
    for c in CASE_COLUMNS:
        for r in rows:
            r.setdefault(c, None)
    return jsonable({"metric": metric, "total": total, "page": page, "page_size": page_size,
                     "pages": max(1, -(-total // page_size)), "sort": sort, "search": search or "",
                     "rows": rows})


def case_tree(store, dataset: str, dataset_id: str | None = None, filters=None, search=None,
              limit=200, **unknown) -> dict:
    """The metric tree of one test case: each node's score is that case's score (the mean
    over the selected experiments when several are shown), with its explanation and signals."""
    params.no_unknown(VIEW, "case_tree", unknown)
    filters = params.filters(filters)
    try:
        limit = max(1, min(int(limit), 1000))
    except (TypeError, ValueError):
        raise QueryError("limit must be an integer.") from None

    def query(ctx):
        t = apply_filters(ctx.table("full"), filters)
        if "dataset_id" not in t.columns:
            raise QueryError("the per-case tree needs a dataset_id column.")
        ids_t = t.select("dataset_id").distinct()
        if search:
            ids_t = ids_t.filter(ids_t.dataset_id.lower().contains(str(search).lower()))
        ids = [str(x) for x in ctx.execute(ids_t.order_by("dataset_id").limit(limit))["dataset_id"]
               if x is not None]
        case = dataset_id if dataset_id else (ids[0] if ids else None)
        if case is None:
            return ids, None, None
        c = t.filter((t.dataset_id == str(case)) & t.metric_name.notnull())
        aggs: dict[str, Any] = {"mean": c.metric_score.mean(), "min": c.metric_score.min(),
                                "max": c.metric_score.max(), "count": c.metric_score.count()}
        for col in ("parent", "weight", "metric_type", "explanation", "signals", "critique"):
            if col in c.columns:
                aggs[col] = c[col].arbitrary()
        return ids, case, ctx.execute(c.group_by("metric_name").aggregate(**aggs))

    ids, case, df = store.view_read(dataset, query)
    if case is None or df is None or df.empty:
        return jsonable({"dataset_id": case, "case_ids": ids, "rows": [], "tree": None})
    for col in ("parent", "weight", "metric_type"):
        if col not in df.columns:
            df[col] = None
    df["std"] = None
    df["pass_rate"] = None
    df["hist"] = [[0] * scorecard.BINS] * len(df)
    rows = scorecard.build_hierarchy(df)
    extra = df.set_index("metric_name")
    for r in rows:
        for col in ("explanation", "signals", "critique"):
            if col in extra.columns:
                v = extra.at[r["name"], col]
                r[col] = parse_jsonish(v) if col == "signals" else v
    return jsonable({"dataset_id": case, "case_ids": ids, "rows": rows, "tree": scorecard.tree(rows),
                     "filters": filters})


SPEC = ViewSpec(
    name=VIEW,
    description="Evaluation scorecard: KPIs, weighted metric hierarchy, metric tree, drill-down",
    # report_setup, report_start, ...: the "Generate report" modal (payloads/report.py)
    actions={"payload": payload, "cases": cases, "case_tree": case_tree, "metric_stats": metric_stats,
             **SCORECARD_ACTIONS},
    kinds=("evals",),
    guarded=SCORECARD_GUARDED,
    requires=("metric_name", "metric_score"),
    data="evaluation data: a score per test case and metric",
)
