"""The evaluation scorecard view (reference: upstream-ui.md §1.2 Scorecard, §2 metric tree).

``axis_jupyter.Scorecard(ds)`` or ``%axis show scorecard NAME [experiment=X] [threshold=0.5]``.

Actions (run by the server extension over HTTP, or by the widget in the kernel):

``payload``   {filters, threshold} -> KPI cards, hierarchy rows, tree, experiments (+ a
              small Vega-Lite chart of the overall score per experiment), timing
``cases``     {metric, page, page_size, sort, filters} -> one page of the metric's cases
              (dataset_id, query, metric_score, explanation) and the total, from DuckDB
``case_tree`` {dataset_id, filters, search} -> the metric tree of one test case (its own
              scores, explanations and signals) and a list of case ids to choose from
"""

from __future__ import annotations

import copy
import html
import time
from collections import OrderedDict
from typing import Any

import ibis

from ..analytics import scorecard as sc
from ..analytics.context import SQL_CACHE
from ..analytics.filters import apply_filters
from ..errors import AxisError, QueryError
from ..ingest.jsonish import parse_jsonish
from . import ViewSpec, register_view
from .base import AxisView, experiment_params, is_remote, jsonable, resolve

VIEW = "scorecard"
GOOD, WARN = 0.7, 0.5  # score colours: green >= 0.7, amber >= 0.5, red below
CASE_COLUMNS = ["dataset_id", "query", "metric_score", "explanation"]
SORTS = {"score_desc", "score_asc", "id"}


# ------------------------------------------------------------------ helpers
def _check_params(action: str, unknown: dict) -> None:
    if unknown:
        raise QueryError(f"scorecard {action}: unknown parameter(s) {', '.join(sorted(unknown))}.")


def _filters(filters) -> dict:
    if filters is None or filters == "":
        return {}
    if not isinstance(filters, dict):
        raise QueryError("filters must be an object such as {\"evaluation_name\": \"baseline\"}.")
    return {k: v for k, v in filters.items() if v is not None and v != "" and v != []}


_CACHE_SIZE = 256


def compiled(expr) -> str:
    """DuckDB SQL of an Ibis expression, from the analytics' shared compile cache."""
    return SQL_CACHE.sql(expr)


_EXPR_CACHE: "OrderedDict[Any, Any]" = OrderedDict()
_META_CACHE: dict[Any, list[dict]] = {}


def _key(value) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


def cached_expr(key, build):
    """An Ibis expression built once per key (dataset version, filters, threshold). The
    expressions are unbound (they name the dataset's versioned tables), so a reload, which
    creates new tables, never reuses a stale one."""
    expr = _EXPR_CACHE.get(key)
    if expr is None:
        expr = _EXPR_CACHE[key] = build()
        if len(_EXPR_CACHE) > _CACHE_SIZE:
            _EXPR_CACHE.popitem(last=False)
    else:
        _EXPR_CACHE.move_to_end(key)
    return expr


def _read(store, dataset: str, fn, timing: dict | None = None):
    """Run ``fn(ctx)`` on one cursor of the embedded store that holds ``dataset``.

    Expressions run through a DuckDB runner that caches compiled SQL and, when ``timing``
    is given, adds the time spent compiling (``compile_ms``) and inside DuckDB
    (``duckdb_ms``) to it."""
    if is_remote(store) or not hasattr(store, "read"):
        raise AxisError("scorecard actions run where the data lives; call them through the "
                        "server (store.view_action) for a remote store.")
    timing = timing if timing is not None else {}
    timing.setdefault("compile_ms", 0.0)
    timing.setdefault("duckdb_ms", 0.0)

    def run_on(cur):
        ctx = store.context(cur, dataset)

        def run(expr):
            t0 = time.perf_counter()
            sql = compiled(expr)
            t1 = time.perf_counter()
            df = cur.execute(sql).df()
            timing["compile_ms"] += (t1 - t0) * 1000
            timing["duckdb_ms"] += (time.perf_counter() - t1) * 1000
            return df

        def records(expr) -> list[dict]:
            """Rows as dicts straight from DuckDB (no DataFrame) for small results."""
            t0 = time.perf_counter()
            sql = compiled(expr)
            t1 = time.perf_counter()
            res = cur.execute(sql)
            cols = [d[0] for d in res.description]
            out = [dict(zip(cols, row)) for row in res.fetchall()]
            timing["compile_ms"] += (t1 - t0) * 1000
            timing["duckdb_ms"] += (time.perf_counter() - t1) * 1000
            return out

        ctx.run = run
        ctx.records = records
        return fn(ctx)

    return store.read(run_on)


def band(score) -> str:
    if score is None:
        return "none"
    return "good" if score >= GOOD else ("warn" if score >= WARN else "bad")


_CHART_TEMPLATE: dict | None = None


def experiments_chart(rows: list[dict]) -> dict:
    """Vega-Lite spec (built with Altair once; only the aggregated rows are inlined):
    the overall weighted score per experiment, coloured by score band, the selected ones
    opaque. ``usermeta.axis.click`` tells the front end which field a click selects."""
    global _CHART_TEMPLATE
    if _CHART_TEMPLATE is None:
        import altair as alt

        base = alt.Chart(alt.NamedData("experiments")).encode(
            y=alt.Y("experiment:N", sort=None, title=None),
        )
        bars = base.mark_bar(cursor="pointer", height={"band": 0.7}).encode(
            x=alt.X("overall_score:Q", scale=alt.Scale(domain=[0, 1]), title="Overall weighted score"),
            color=alt.Color("band:N", legend=None,
                            scale=alt.Scale(domain=["good", "warn", "bad", "none"],
                                            range=["#16a34a", "#d97706", "#dc2626", "#a8a29e"])),
            opacity=alt.condition("datum.selected", alt.value(1.0), alt.value(0.35)),
            tooltip=[alt.Tooltip("experiment:N", title="Experiment"),
                     alt.Tooltip("overall_score:Q", format=".3f", title="Overall score"),
                     alt.Tooltip("cases:Q", title="Scores")],
        )
        labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
            x="overall_score:Q", text=alt.Text("overall_score:Q", format=".3f"))
        chart = (bars + labels).properties(width="container", height=alt.Step(22),
                                           title="Overall score by experiment")
        _CHART_TEMPLATE = chart.to_dict(validate=True)
        _CHART_TEMPLATE["usermeta"] = {"axis": {"click": "experiment"}}
    spec = copy.deepcopy(_CHART_TEMPLATE)
    spec["datasets"] = {"experiments": rows}
    return spec


# ------------------------------------------------------------------ actions
def payload(store, dataset: str, filters=None, threshold=None, **unknown) -> dict:
    """Everything the scorecard shows for ``filters``; see the module docstring."""
    _check_params("payload", unknown)
    t_start = time.perf_counter()
    filters = _filters(filters)
    info = store.info(dataset)
    th = sc._threshold(threshold)

    def query(ctx):
        t0 = time.perf_counter()
        sql_filters, selected = sc.split_experiment_filter(filters, ctx.table("full").columns)
        # node attributes are cached per dataset version of this store
        version = (store.location, id(store), info.get("scores_table"), info.get("version"),
                   info.get("updated"))
        p_expr = cached_expr(("binned", version, _key(sql_filters), th),
                             lambda: sc.binned_expr(ctx, sql_filters, th))
        c_expr = cached_expr(("cases", version, _key(filters)),
                             lambda: sc.case_count_expr(ctx, filters))
        meta = _META_CACHE.get(version)
        if meta is None:  # node attributes: once per dataset version
            meta = _META_CACHE[version] = ctx.records(sc.node_meta_expr(ctx))
            while len(_META_CACHE) > 64:
                _META_CACHE.pop(next(iter(_META_CACHE)))
        partials = sc.clean_partials(sc.merge_binned(ctx.records(p_expr), meta))
        cases = int(ctx.records(c_expr)[0]["n"] or 0)
        return partials, cases, selected, (time.perf_counter() - t0) * 1000

    timing: dict[str, float] = {}
    partials, cases, selected, query_ms = _read(store, dataset, query, timing)
    rows = sc.build_hierarchy(sc.combine(partials, selected))
    k = sc.kpis(rows, cases)
    leaves = [r for r in rows if not r["children"] and r["mean"] is not None]
    k["low"] = sum(1 for r in leaves if r["mean"] < th)
    k["high"] = len(leaves) - k["low"]

    exp_values = [str(e) for e in info.get("filter_values", {}).get(sc.EXPERIMENT_COLUMN, [])]
    per_exp = []
    present = sorted({str(r[sc.EXPERIMENT_COLUMN]) for r in partials
                      if sc._present(r.get(sc.EXPERIMENT_COLUMN))})
    for e in present[:50]:
        rows_e = sc.build_hierarchy(sc.combine(partials, [e]))
        score = sc.overall_score(rows_e)
        per_exp.append({"experiment": e, "overall_score": score, "band": band(score),
                        "cases": sum(int(r["n"]) for r in partials if str(r[sc.EXPERIMENT_COLUMN]) == e),
                        "selected": selected is None or e in selected})
    if present:
        exp_values = exp_values or present
    out = {
        "view": VIEW, "dataset": dataset,
        "filters": filters, "threshold": th,
        "kpis": k,
        "rows": rows,
        "tree": sc.tree(rows),
        "experiments": {"column": sc.EXPERIMENT_COLUMN if exp_values else None,
                        "values": exp_values, "selected": selected, "scores": per_exp},
        "chart": experiments_chart(per_exp) if len(per_exp) > 1 else None,
        "columns": [c["name"] for c in info.get("columns", [])],
    }
    out["timing"] = {"query_ms": round(query_ms, 2), "duckdb_ms": round(timing["duckdb_ms"], 2),
                     "compile_ms": round(timing["compile_ms"], 2),
                     "total_ms": round((time.perf_counter() - t_start) * 1000, 2)}
    return jsonable(out)


def cases(store, dataset: str, metric: str | None = None, page=1, page_size=10, sort="score_desc",
          filters=None, **unknown) -> dict:
    """One page of the cases scored by ``metric``: dataset_id, query, metric_score,
    explanation (+ evaluation_name when several experiments are shown) and the total."""
    _check_params("cases", unknown)
    if not metric:
        raise QueryError("cases needs a metric name.")
    try:
        page, page_size = int(page), int(page_size)
    except (TypeError, ValueError):
        raise QueryError("page and page_size must be integers.") from None
    if page < 1 or not 1 <= page_size <= 500:
        raise QueryError("page must be >= 1 and page_size between 1 and 500.")
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(sorted(SORTS))}.")
    filters = _filters(filters)

    def query(ctx):
        t = apply_filters(ctx.table("full"), filters)
        t = t.filter(t.metric_name == str(metric))
        total = int(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0])
        cols = [c for c in CASE_COLUMNS if c in t.columns]
        sel = filters.get(sc.EXPERIMENT_COLUMN)
        if sc.EXPERIMENT_COLUMN in t.columns and (sel is None or isinstance(sel, (list, tuple))):
            cols.append(sc.EXPERIMENT_COLUMN)
        tie = [ibis.asc(c) for c in ("dataset_id", sc.EXPERIMENT_COLUMN) if c in t.columns]
        if sort == "score_desc":
            order = [ibis.desc(t.metric_score), *tie]
        elif sort == "score_asc":
            order = [ibis.asc(t.metric_score), *tie]
        else:
            order = tie or [ibis.desc(t.metric_score)]
        expr = t.order_by(order).select(*cols).limit(page_size, offset=(page - 1) * page_size)
        df = ctx.execute(expr)
        return total, df

    total, df = _read(store, dataset, query)
    rows = df.to_dict("records")
    for c in CASE_COLUMNS:
        for r in rows:
            r.setdefault(c, None)
    return jsonable({"metric": metric, "total": total, "page": page, "page_size": page_size,
                     "pages": max(1, -(-total // page_size)), "sort": sort, "rows": rows})


def case_tree(store, dataset: str, dataset_id: str | None = None, filters=None, search=None,
              limit=200, **unknown) -> dict:
    """The metric tree of one test case: each node's score is that case's score (the mean
    over the selected experiments when several are shown), with its explanation and signals."""
    _check_params("case_tree", unknown)
    filters = _filters(filters)
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
        for col in ("parent", "weight", "metric_type", "explanation", "signals"):
            if col in c.columns:
                aggs[col] = c[col].arbitrary()
        return ids, case, ctx.execute(c.group_by("metric_name").aggregate(**aggs))

    ids, case, df = _read(store, dataset, query)
    if case is None or df is None or df.empty:
        return jsonable({"dataset_id": case, "case_ids": ids, "rows": [], "tree": None})
    df = df.rename(columns={"metric_name": "metric_name"})
    for col in ("parent", "weight", "metric_type"):
        if col not in df.columns:
            df[col] = None
    df["std"] = None
    df["pass_rate"] = None
    df["hist"] = [[0] * sc.BINS] * len(df)
    rows = sc.build_hierarchy(df)
    extra = df.set_index("metric_name")
    for r in rows:
        for col in ("explanation", "signals"):
            if col in extra.columns:
                v = extra.at[r["name"], col]
                r[col] = parse_jsonish(v) if col == "signals" else v
    return jsonable({"dataset_id": case, "case_ids": ids, "rows": rows, "tree": sc.tree(rows),
                     "filters": filters})


# ------------------------------------------------------------------ widget
class Scorecard(AxisView):
    """The evaluation scorecard of a dataset: KPI cards, the weighted metric hierarchy
    (expand/collapse, sort, 5-bin sparklines), a tidy metric tree (aggregated or per case),
    a drill-down into each metric's cases and an experiment filter.

    ``Scorecard(ds)``, ``Scorecard("name")`` (shared store) or ``Scorecard("name", store=s)``;
    ``experiment="baseline"`` (or a list) preselects experiments, ``threshold`` sets the pass
    threshold (default 0.5). ``w.params["filters"]`` is the filter the user picked;
    ``w.call("cases", {"metric": "tone"})`` runs the same action the front end does.
    """

    view_name = VIEW

    def __init__(self, ds_or_name=None, store=None, *, experiment=None, threshold=None,
                 filters: dict | None = None, **kwargs):
        super().__init__(ds_or_name, store, params=experiment_params(experiment, threshold, filters),
                         **kwargs)

    def payload_params(self) -> dict:
        return {k: self.params[k] for k in ("filters", "threshold") if k in self.params}

    @property
    def kpis(self) -> dict:
        return dict(self.snapshot.get("kpis", {}))

    def static_html(self) -> str:
        return static_html(self.snapshot)


def _fmt(v, pct=False) -> str:
    if v is None:
        return "—"
    if pct:
        return f"{v * 100:.1f}%"
    if isinstance(v, float):
        return f"{v:.3f}"
    return f"{v:,}"


COLOURS = {"good": "#16a34a", "warn": "#d97706", "bad": "#dc2626", "none": "#a8a29e"}


def _spark(hist: list[int], mean) -> str:
    top = max(hist or [0]) or 1
    bars = "".join(
        f"<rect x='{i * 20 + 1}' y='{24 - 22 * c / top:.1f}' width='18' height='{22 * c / top:.1f}' "
        f"fill='#94a3b8'/>" for i, c in enumerate(hist))
    line = "" if mean is None else (f"<line x1='{mean * 100:.1f}' x2='{mean * 100:.1f}' y1='0' y2='24' "
                                    "stroke='#dc2626' stroke-dasharray='2,2'/>")
    return f"<svg width='100' height='24' viewBox='0 0 100 24'>{bars}{line}</svg>"


def static_html(snap: dict) -> str:
    """A self-contained HTML rendering of a payload (the notebook's text/html fallback)."""
    if not snap:
        return "<div>AXIS scorecard (no data rendered yet)</div>"
    k = snap.get("kpis", {})
    e = html.escape
    cards = [("Overall weighted score", _fmt(k.get("overall_score")), band(k.get("overall_score"))),
             ("Score variance", _fmt(k.get("score_variance")), "none"),
             ("Test cases", _fmt(k.get("test_cases")), "none"),
             ("Metrics", _fmt(k.get("metrics")), "none"),
             ("Components", _fmt(k.get("components")), "none")]
    card_html = "".join(
        f"<div style='border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px;min-width:120px'>"
        f"<div style='font-size:11px;color:#6b7280'>{e(t)}</div>"
        f"<div style='font-size:20px;font-weight:600;color:{COLOURS[b] if b != 'none' else '#111827'}'>{e(v)}</div></div>"
        for t, v, b in cards)
    body = []
    for r in snap.get("rows", []):
        rng = ""
        if r.get("count", 0) > 1 and r.get("min") is not None:
            rng = f" <span style='color:#9ca3af'>({r['min']:.2f} - {r['max']:.2f})</span>"
        body.append(
            f"<tr><td style='padding-left:{(r['level'] - 1) * 24 + 4}px'>{e(r['name'])}</td>"
            f"<td>{e(r['type'].upper())}</td>"
            f"<td style='color:{COLOURS[band(r['mean'])]}'>{_fmt(r['mean'])}{rng}</td>"
            f"<td>{r['weight']:.2f}</td><td>{_fmt(r['norm_weight'], pct=True)}</td>"
            f"<td>{_fmt(r['pass_rate'], pct=True)}</td><td>{_spark(r['hist'], r['mean'])}</td></tr>")
    sel = (snap.get("experiments") or {}).get("selected")
    title = f"AXIS scorecard — {e(snap.get('dataset', ''))}"
    if sel:
        title += f" — {e(', '.join(sel))}"
    return (
        "<div class='axis-static axis-scorecard' style='font-family:system-ui,sans-serif;font-size:13px'>"
        f"<div style='font-weight:600;margin-bottom:6px'>{title}</div>"
        f"<div style='display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px'>{card_html}</div>"
        "<table style='border-collapse:collapse'><thead><tr><th>Hierarchy</th><th>Type</th><th>Score</th>"
        "<th>Weight</th><th>Norm. weight</th><th>Pass rate</th><th>Distribution</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>")


OPTIONS = {"experiment", "threshold"}


def widget(store, dataset=None, **options):
    """Factory for ``%axis show scorecard [DATASET] [experiment=X] [threshold=T]``."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise QueryError(f"scorecard options are {', '.join(sorted(OPTIONS))} "
                         f"(got {', '.join(sorted(unknown))}).")
    if dataset is None:
        ds = store.datasets()
        evals = ds[ds["kind"] == "evals"]["name"].tolist() if len(ds) else []
        if len(evals) != 1:
            raise QueryError("name the dataset: %axis show scorecard NAME "
                             f"(evaluation datasets: {', '.join(evals) or 'none'}).")
        dataset = evals[0]
    return Scorecard(dataset, store=store, **options)


register_view(ViewSpec(
    name=VIEW,
    description="Evaluation scorecard: KPIs, weighted metric hierarchy, metric tree, drill-down",
    widget=widget,
    actions={"payload": payload, "cases": cases, "case_tree": case_tree},
    kinds=("evals",),
))

__all__ = ["Scorecard", "payload", "cases", "case_tree", "static_html", "resolve"]
