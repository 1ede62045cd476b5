"""Test cases across N experiments: the compare view's "Test cases" mode (reference:
upstream-ui.md §1.2 Compare, catalogue rows 28-30), as Ibis expressions that page, sort,
search and filter where the data lives.

Scores
------
A case's *score in an experiment* is the mean, over the metrics shown, of that experiment's
mean score per metric for the case (a metric scored twice for one case counts once). Over
the experiments that scored the case: ``mean`` (their scores' mean), ``std`` (the sample
standard deviation; null with one experiment), ``spread`` (max - min) and ``n_experiments``.
Rows with a null case id, metric name or score (or a NaN score) are ignored, as in
:mod:`.compare`.

Quick filters
-------------
Ranked over every case of the filtered data (before ``search``, so "top 20 %" is a
property of the case, and a search looks inside it):

* ``top`` / ``bottom``: the ceil(n / 5) cases with the highest / lowest ``mean`` (ties: by case id);
* ``variance``: the ceil(m / 5) cases with the highest ``std``, among the m cases that at
  least two experiments scored differently (std > 0);
* ``differ``: cases whose experiments' outputs (``actual_output``, trimmed) are not all the same.

``search`` matches the case id, the query or any shown experiment's output (case-insensitive).
Sorting keys: ``case_id``, ``mean``, ``std``, ``spread``, ``experiments``, ``score:<experiment>``
(that experiment's score) and ``metric:<metric>`` (the mean of that metric over the
experiments); missing values sort last, ties by case id.
"""

from __future__ import annotations

import math

import ibis
import pandas as pd

from ..errors import ParameterError, QueryError
from .compare import MAX_EXPERIMENTS
from .pairing import _valid_scores, experiments_of
from .context import AnalyticContext
from .evals import as_list
from .filters import apply_filters, split_filters

EVAL_KINDS = ("evals", "monitoring", "signals")
QUICK = ("all", "top", "bottom", "variance", "differ")
SHARE = 5  # the top / bottom / high-variance filters keep ceil(n / SHARE) cases: 20 %
CASE_SORTS = ("case_id", "mean", "std", "spread", "experiments")
#: fields the table can show under a case (the field picker), when the dataset has them
DETAIL_FIELDS = ("expected_output", "additional_input", "additional_output", "conversation",
                 "retrieved_content", "acceptance_criteria")
CLIP = 400           # characters of each text in a page (clip / wrap modes)
FULL_CLIP = 20_000   # ... in full-text mode (a bound, not a design)
LONG_COLUMNS = ["position", "case_id", "evaluation_name", "query", "actual_output", "output_length",
                "score", "n_metrics", "metrics", "case_mean", "case_std", "case_spread",
                "n_experiments", "total", "total_rows"]


# ------------------------------------------------------------------ parameters
def chosen_experiments(ctx: AnalyticContext, experiments=None, filters=None) -> list[str]:
    """The experiments shown: those asked for (each must exist), else all of them."""
    if "evaluation_name" not in ctx.table("full").columns:
        raise QueryError("this dataset has no evaluation_name column, so there are no "
                         "experiments to compare.")
    known = experiments_of(ctx, filters)
    asked = as_list(experiments)
    if asked:
        unknown = [e for e in asked if e not in known]
        if unknown and not filters:
            raise ParameterError(f"experiments: {unknown[0]!r} is not an experiment of this dataset "
                                 f"(experiments: {', '.join(known[:20]) or 'none'}).", param="experiments")
        known = [e for e in dict.fromkeys(asked) if e in known]
    if len(known) > MAX_EXPERIMENTS:
        raise ParameterError(f"experiments: the table shows at most {MAX_EXPERIMENTS} experiments; "
                             "pick some with experiments=[...].", param="experiments")
    return known


def _quick(value) -> str:
    q = (value or "all").lower()
    if q not in QUICK:
        raise ParameterError(f"quick must be one of {', '.join(QUICK)}, not {value!r}.", param="quick")
    return q


def _sort(sort_by, exps: list[str], metrics: list[str]) -> tuple[str, str | None]:
    """(kind, argument) of a sort key: ("case_id", None), ("score", experiment), ("metric", name)."""
    s = sort_by or "case_id"
    if s in CASE_SORTS:
        return s, None
    kind, _, arg = s.partition(":")
    if kind == "score" and arg in exps:
        return "score", arg
    if kind == "metric" and arg and (not metrics or arg in metrics):
        return "metric", arg
    raise ParameterError(f"sort_by must be one of {', '.join(CASE_SORTS)}, score:<experiment> or "
                         f"metric:<metric>, not {s!r}.", param="sort_by")


def text_table(ctx: AnalyticContext, filters, columns) -> ibis.Table:
    """The rows holding the case texts: one per record when the layout keeps records apart
    (wide data), else the long table; with the filters applied."""
    for role in ("records", "full"):
        t = ctx.tables.get(role)
        if t is None:
            continue
        if set(columns) <= set(t.columns) and split_filters(filters, set(t.columns)):
            return apply_filters(t, filters)
    return apply_filters(ctx.table("full"), filters)


# ------------------------------------------------------------------ expressions
def case_tables(ctx: AnalyticContext, exps: list[str], metrics=None, filters=None):
    """(cm, ce): per (case_id, evaluation_name, metric_name) the mean score ``s``, and per
    (case_id, evaluation_name) the ``score`` (mean of its metric means) and ``n_metrics``."""
    t, key = _valid_scores(ctx, filters, metrics, exps)
    cm = t.group_by([t[key].cast("string").name("case_id"), "evaluation_name", "metric_name"]).aggregate(
        s=t.metric_score.mean())
    ce = cm.group_by(["case_id", "evaluation_name"]).aggregate(score=cm.s.mean(), n_metrics=cm.count())
    return cm, ce


def case_stats(ce: ibis.Table, exps: list[str]) -> ibis.Table:
    """Per case: mean, std, spread and n_experiments, and ``x{i}`` the score of experiment i."""
    aggs = {"mean": ce.score.mean(), "std": ce.score.std(how="sample"), "lo": ce.score.min(),
            "hi": ce.score.max(), "n_experiments": ce.count()}
    for i, e in enumerate(exps):
        aggs[f"x{i}"] = ce.score.max(where=ce.evaluation_name == e)  # one row per (case, e)
    cs = ce.group_by("case_id").aggregate(**aggs)
    return cs.mutate(spread=cs.hi - cs.lo).drop("lo", "hi")


def _ranked_share(cs: ibis.Table, column: str, descending: bool) -> ibis.Table:
    """The ceil(n / SHARE) rows of ``cs`` first by ``column`` (ties by case id)."""
    key = cs[column]
    order = [key.desc() if descending else key.asc(), cs.case_id.asc()]
    r = cs.mutate(_rn=ibis.row_number().over(ibis.window(order_by=order)),
                  _n=cs.count().over(ibis.window()))
    # rank (1-based) <= ceil(n / SHARE)  <=>  SHARE * (rank - 1) < n  (integers only)
    return r.filter(r._rn * SHARE < r._n).drop("_rn", "_n")


def differing_cases(ctx: AnalyticContext, exps: list[str], filters=None) -> ibis.Table:
    """case_id of the cases whose experiments' outputs are not all the same."""
    tt = text_table(ctx, filters, ["dataset_id", "evaluation_name", "actual_output"])
    if "actual_output" not in tt.columns or "dataset_id" not in tt.columns:
        raise QueryError("the 'outputs differ' filter needs an actual_output column.")
    tt = tt.filter(tt.evaluation_name.isin(exps), tt.actual_output.notnull(), tt.dataset_id.notnull())
    g = tt.group_by(tt.dataset_id.cast("string").name("case_id")).aggregate(
        n=tt.actual_output.strip().nunique())
    return g.filter(g.n > 1).select("case_id")


def search_hits(ctx: AnalyticContext, exps: list[str], text: str, filters=None) -> ibis.Table:
    """case_id of the cases whose id, query or an output contains ``text`` (any case)."""
    tt = text_table(ctx, filters, ["dataset_id", "evaluation_name", "query", "actual_output"])
    if "dataset_id" not in tt.columns:
        raise QueryError("this dataset has no dataset_id column to search test cases by.")
    tt = tt.filter(tt.evaluation_name.isin(exps), tt.dataset_id.notnull())
    s = str(text).lower()
    pred = tt.dataset_id.cast("string").lower().contains(s)
    for c in ("query", "actual_output"):
        if c in tt.columns:
            pred = pred | tt[c].lower().contains(s)
    return tt.filter(pred).select(case_id=tt.dataset_id.cast("string")).distinct()


def filtered_cases(ctx: AnalyticContext, exps: list[str], metrics=None, filters=None, search=None,
                   quick="all", sort_by=None, descending=None) -> tuple[ibis.Table, ibis.Table, ibis.Table]:
    """(cases, cm, ce): the cases after the quick filter and the search, with ``position``
    in the sort order, ``total`` (cases) and ``total_rows`` (case x experiment rows)."""
    quick = _quick(quick)
    kind, arg = _sort(sort_by, exps, as_list(metrics))
    cm, ce = case_tables(ctx, exps, metrics, filters)
    cs = case_stats(ce, exps)
    if quick in ("top", "bottom"):
        cs = _ranked_share(cs, "mean", descending=quick == "top")
    elif quick == "variance":
        cs = _ranked_share(cs.filter(cs["std"].notnull() & (cs["std"] > 0)), "std", descending=True)
    elif quick == "differ":
        cs = cs.filter(cs.case_id.isin(differing_cases(ctx, exps, filters).case_id))
    if search not in (None, ""):
        cs = cs.filter(cs.case_id.isin(search_hits(ctx, exps, search, filters).case_id))
    if kind == "metric":
        mm = cm.filter(cm.metric_name == arg)
        mm = mm.group_by(mm.case_id.name("_mid")).aggregate(_key=mm.s.mean())
        cs = cs.left_join(mm, cs.case_id == mm._mid).drop("_mid")
        key = cs._key
    elif kind == "score":
        key = cs[f"x{exps.index(arg)}"]
    else:
        key = cs[{"experiments": "n_experiments"}.get(kind, kind)]
    desc = (kind != "case_id") if descending is None else bool(descending)
    order = [key.isnull().asc(), key.desc() if desc else key.asc(), cs.case_id.asc()]
    every = ibis.window()
    cs = cs.mutate(position=ibis.row_number().over(ibis.window(order_by=order)) + 1,
                   total=cs.count().over(every), total_rows=cs.n_experiments.sum().over(every))
    if "_key" in cs.columns:
        cs = cs.drop("_key")
    return cs, cm, ce


# ------------------------------------------------------------------ the analytic
def test_cases(ctx: AnalyticContext, experiments=None, metrics=None, filters=None, search=None,
               quick="all", sort_by=None, descending=None, page: int = 1, page_size: int = 20,
               full_text: bool = False, fields=None) -> pd.DataFrame:
    """One page of test cases across experiments, one row per (case, experiment): position,
    case_id, evaluation_name, query, actual_output, output_length, score, n_metrics, metrics
    ({metric: score}), case_mean, case_std, case_spread, n_experiments, [fields], total
    (cases matching), total_rows.

    ``quick``: all | top | bottom | variance | differ (see the module docstring); ``search``
    matches the case id, query or an output; ``sort_by``: case_id, mean, std, spread,
    experiments, score:<experiment>, metric:<metric>. Texts are cut at 400 characters
    (20,000 with ``full_text``); ``output_length`` is the full length. ``fields``: detail
    fields to add (expected_output, additional_input, additional_output, conversation,
    retrieved_content, acceptance_criteria)."""
    exps = chosen_experiments(ctx, experiments, filters)
    page = _int(page, "page", 1, 10**9)
    page_size = _int(page_size, "page_size", 1, 500)
    return case_rows(ctx, exps, metrics=metrics, filters=filters, search=search, quick=quick,
                     sort_by=sort_by, descending=descending, first=(page - 1) * page_size + 1,
                     last=page * page_size, clip=FULL_CLIP if full_text else CLIP, fields=fields)


def _int(value, name: str, lo: int, hi: int) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be an integer, not {value!r}.", param=name) from None
    if not lo <= v <= hi:
        raise ParameterError(f"{name} must be from {lo} to {hi}, not {v}.", param=name)
    return v


def detail_fields(columns, fields) -> list[str]:
    """The asked detail fields the dataset has (all of them when ``fields`` is None)."""
    asked = list(DETAIL_FIELDS) if fields is None else as_list(fields)
    bad = [f for f in asked if f not in DETAIL_FIELDS]
    if bad:
        raise ParameterError(f"fields must be among {', '.join(DETAIL_FIELDS)}, not {bad[0]!r}.",
                             param="fields")
    return [f for f in asked if f in columns]


def case_rows(ctx: AnalyticContext, exps: list[str], *, metrics=None, filters=None, search=None,
              quick="all", sort_by=None, descending=None, first: int = 1, last: int = 20,
              clip: int = CLIP, fields=None) -> pd.DataFrame:
    """The rows of the cases at positions ``first``..``last`` (see :func:`test_cases`)."""
    cs, cm, ce = filtered_cases(ctx, exps, metrics, filters, search, quick, sort_by, descending)
    pg = cs.filter((cs.position >= first) & (cs.position <= last))
    pg = pg.select("case_id", "position", "total", "total_rows", case_mean=pg["mean"], case_std=pg["std"],
                   case_spread=pg.spread, n_experiments=pg.n_experiments)
    rows = ctx.execute(ce.inner_join(pg, "case_id").order_by(["position", "evaluation_name"]))
    if rows.empty:
        return pd.DataFrame(columns=LONG_COLUMNS)
    mets = ctx.execute(cm.filter(cm.case_id.isin(pg.case_id)))
    by_row: dict[tuple[str, str], dict] = {}
    for c, e, m, s in zip(mets["case_id"], mets["evaluation_name"], mets["metric_name"], mets["s"]):
        by_row.setdefault((str(c), e), {})[m] = None if s is None or pd.isna(s) else float(s)
    texts = _texts(ctx, exps, pg, filters, clip, fields)
    out = rows.copy()
    out["case_id"] = out["case_id"].astype(str)
    out["metrics"] = [dict(sorted(by_row.get((c, e), {}).items()))
                      for c, e in zip(out["case_id"], out["evaluation_name"])]
    keys = list(zip(out["case_id"], out["evaluation_name"]))
    tcols = [c for c in texts.columns if c not in ("case_id", "evaluation_name")] if len(texts) else []
    tx = {(str(r["case_id"]), r["evaluation_name"]): r for r in texts.to_dict("records")}
    for col in ["query", "actual_output", "output_length", *tcols]:
        out[col] = [_clean(tx.get(k, {}).get(col)) for k in keys]
    # the query of a case is the same in every experiment; fill an experiment's missing one
    first_q = {}
    for c, q in zip(out["case_id"], out["query"]):
        if q is not None:
            first_q.setdefault(c, q)
    out["query"] = [q if q is not None else first_q.get(c) for c, q in zip(out["case_id"], out["query"])]
    for col in ("position", "n_metrics", "n_experiments", "total", "total_rows"):
        out[col] = out[col].astype("int64")
    extra = [c for c in tcols if c not in LONG_COLUMNS]
    return out[[*LONG_COLUMNS[:-2], *extra, "total", "total_rows"]].reset_index(drop=True)


def _clean(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _texts(ctx, exps, pg, filters, clip: int, fields) -> pd.DataFrame:
    """Per (case_id, evaluation_name) of the page: query, actual_output (cut at ``clip``),
    output_length and the asked detail fields (cut too)."""
    tt = text_table(ctx, filters, ["dataset_id", "evaluation_name", "query", "actual_output",
                                   *DETAIL_FIELDS])
    if "dataset_id" not in tt.columns:
        return pd.DataFrame()
    cols = [c for c in ("query", "actual_output") if c in tt.columns]
    extra = detail_fields(tt.columns, fields)
    cid = tt.dataset_id.cast("string")
    tt = tt.filter(tt.evaluation_name.isin(exps), cid.isin(pg.case_id))
    aggs = {}
    for c in [*cols, *extra]:
        col = tt[c] if tt[c].type().is_string() else tt[c].cast("string")
        aggs[c] = col.min().substr(0, clip)
    if "actual_output" in tt.columns:
        aggs["output_length"] = tt.actual_output.cast("string").length().max()
    if not aggs:
        return pd.DataFrame()
    return ctx.execute(tt.group_by([cid.name("case_id"), "evaluation_name"]).aggregate(**aggs))


def case_counts(ctx: AnalyticContext, exps: list[str], metrics=None, filters=None) -> dict:
    """{cases, rows}: every case (and case x experiment row) before quick filters and search."""
    _, ce = case_tables(ctx, exps, metrics, filters)
    df = ctx.execute(ce.aggregate(rows=ce.count(), cases=ce.case_id.nunique()))
    r = df.iloc[0]
    return {"cases": int(r["cases"] or 0), "rows": int(r["rows"] or 0)}

