"""The compare view's "Test cases" mode: N experiments side by side, one case at a time
(reference: upstream-ui.md §1.2 Compare, catalogue rows 28-30). Actions of the compare view
(``payloads/compare.py`` lists them in its SPEC):

``test_cases``        {experiments, metrics, filters, search, quick, sort_by, descending, page,
                      page_size, full_text, fields} -> one page of cases, each with one cell per
                      experiment (score, output, per-metric scores, detail fields), the totals
                      (cases and case x experiment rows, filtered and all), the metrics and
                      detail fields there are, and the experiments' colours
``test_case``         {case_id, experiments, metrics, filters} -> everything about one case, per
                      experiment (the detail dialog), and its metric x experiment grid
``test_cases_export`` {layout: side|classic, ...the table's filters} -> {filename, mime, text,
                      rows}: a CSV of every case the filters keep (not just the page)

The numbers are :mod:`axis_jupyter.analytics.testcases`' (``ds.analytic("test_cases", ...)``).
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from ..analytics import deepdive, testcases
from ..analytics.compare import metric_names
from ..errors import QueryError
from ..wire import jsonable, records
from . import params
from .style import dataset_colors

VIEW = "compare"
EXPORT_MAX_CASES = 50_000
EXPORT_CLIP = 1_000_000  # a whole output, for all practical purposes


def _page_rows(df: pd.DataFrame, exps: list[str], extra: list[str]) -> list[dict]:
    """The long page (one row per case and experiment) as one row per case with a cell per
    experiment."""
    out: list[dict] = []
    by_case: dict[str, dict] = {}
    for r in records(df):
        row = by_case.get(r["case_id"])
        if row is None:
            row = by_case[r["case_id"]] = {
                "position": r["position"], "case_id": r["case_id"], "query": r["query"],
                "mean": r["case_mean"], "std": r["case_std"], "spread": r["case_spread"],
                "n_experiments": r["n_experiments"], "cells": {}}
            out.append(row)
        row["cells"][r["evaluation_name"]] = {
            "score": r["score"], "n_metrics": r["n_metrics"], "metrics": r["metrics"],
            "output": r["actual_output"], "output_length": r["output_length"],
            "fields": {f: r.get(f) for f in extra if r.get(f) is not None}}
    return out


def test_cases(store, dataset: str, experiments=None, metrics=None, filters=None, search=None,
               quick="all", sort_by=None, descending=None, page=1, page_size=20, full_text=False,
               fields=None, **unknown) -> dict:
    """One page of the test-case table (see the module docstring)."""
    params.no_unknown(VIEW, "test_cases", unknown)
    f = params.filters(filters)

    def q(ctx):
        every = testcases.chosen_experiments(ctx, None, f)
        exps = testcases.chosen_experiments(ctx, experiments, f)
        df = testcases.test_cases(ctx, experiments=exps, metrics=metrics, filters=f or None, search=search,
                                  quick=quick, sort_by=sort_by, descending=descending, page=page,
                                  page_size=page_size, full_text=bool(full_text), fields=fields)
        counts = testcases.case_counts(ctx, exps, metrics, f or None)
        names = metric_names(ctx, exps, None, f or None)
        cols = set(testcases.text_table(ctx, f or None, testcases.DETAIL_FIELDS).columns)
        return every, exps, df, counts, names, testcases.detail_fields(cols, None)

    every, exps, df, counts, names, available = store.view_read(dataset, q)
    extra = [c for c in df.columns if c in testcases.DETAIL_FIELDS]
    total = int(df["total"].iloc[0]) if len(df) else 0
    total_rows = int(df["total_rows"].iloc[0]) if len(df) else 0
    shown = [m for m in params_list(metrics) if m in names] or names
    return jsonable({
        "experiments": exps, "all_experiments": every, "colors": dataset_colors(store.info(dataset), every),
        "metrics": names, "shown_metrics": shown, "fields": available, "shown_fields": extra,
        "total": total, "total_rows": total_rows, "all_cases": counts["cases"], "all_rows": counts["rows"],
        "page": int(page), "page_size": int(page_size), "quick": quick or "all", "search": search or "",
        "sort_by": sort_by or "case_id", "descending": descending, "full_text": bool(full_text),
        "clip": testcases.FULL_CLIP if full_text else testcases.CLIP,
        "rows": _page_rows(df, exps, extra)})


def params_list(value) -> list[str]:
    from ..analytics.evals import as_list

    return [str(v) for v in as_list(value)]


def test_case(store, dataset: str, *, case_id, experiments=None, metrics=None, filters=None,
              **unknown) -> dict:
    """One case in full for the detail dialog: per experiment its fields (JSON-ish ones
    parsed) and metric rows, the experiments' scores and the metric x experiment grid."""
    params.no_unknown(VIEW, "test_case", unknown)
    if case_id in (None, ""):
        raise QueryError("test_case needs a case_id.")
    f = params.filters(filters)

    def q(ctx):
        exps = testcases.chosen_experiments(ctx, experiments, f)
        detail = deepdive.case_detail(ctx, str(case_id), filters=f or None)
        cm, ce = testcases.case_tables(ctx, exps, metrics, f or None)
        grid = ctx.execute(cm.filter(cm.case_id == str(case_id)))
        scores = ctx.execute(ce.filter(ce.case_id == str(case_id)))
        return exps, detail, grid, scores

    exps, df, grid, scores = store.view_read(dataset, q)
    case_cols = [c for c in deepdive.CASE_FIELDS if c in df.columns]
    metric_cols = [c for c in deepdive.METRIC_FIELDS if c in df.columns]
    per_exp = []
    for name, g in df.groupby("evaluation_name", sort=False) if "evaluation_name" in df.columns else []:
        if name not in exps:
            continue
        first = g.iloc[0]
        per_exp.append({"evaluation_name": name, "fields": {c: first[c] for c in case_cols},
                        "metrics": records(g[metric_cols]) if metric_cols else []})
    per_exp.sort(key=lambda e: exps.index(e["evaluation_name"]))
    cells = {(r["metric_name"], r["evaluation_name"]): r["s"] for r in records(grid)}
    mets = sorted({m for m, _ in cells})
    return jsonable({
        "case_id": str(case_id), "experiments": per_exp, "order": exps,
        "scores": {r["evaluation_name"]: r["score"] for r in records(scores)},
        "grid": [{"metric_name": m, **{e: cells.get((m, e)) for e in exps}} for m in mets]})


def test_cases_export(store, dataset: str, layout="side", experiments=None, metrics=None, filters=None,
                      search=None, quick="all", sort_by=None, descending=None, fields=None,
                      **unknown) -> dict:
    """Every case the table's filters keep, as CSV: ``side`` one row per case with columns
    per experiment, ``classic`` one row per case and experiment; the metrics shown."""
    params.no_unknown(VIEW, "test_cases_export", unknown)
    if layout not in ("side", "classic"):
        raise QueryError("layout must be side or classic.")
    f = params.filters(filters)

    def q(ctx):
        exps = testcases.chosen_experiments(ctx, experiments, f)
        df = testcases.case_rows(ctx, exps, metrics=metrics, filters=f or None, search=search, quick=quick,
                                 sort_by=sort_by, descending=descending, first=1,
                                 last=EXPORT_MAX_CASES + 1, clip=EXPORT_CLIP, fields=fields or [])
        return exps, df, metric_names(ctx, exps, metrics, f or None)

    exps, df, names = store.view_read(dataset, q)
    if len(df) and int(df["total"].iloc[0]) > EXPORT_MAX_CASES:
        raise QueryError(f"the filters keep {int(df['total'].iloc[0]):,} test cases; a CSV holds at "
                         f"most {EXPORT_MAX_CASES:,}: narrow them (a quick filter, a search or filters).")
    frame = _classic_frame(df, names) if layout == "classic" else _side_frame(df, exps, names)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return {"filename": f"{dataset}_test_cases_{layout}.csv", "mime": "text/csv", "layout": layout,
            "rows": int(len(frame)), "cases": int(df["case_id"].nunique()) if len(df) else 0,
            "text": buf.getvalue()}


def _classic_frame(df: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    extra = [c for c in df.columns if c in testcases.DETAIL_FIELDS]
    cols = ["case_id", "evaluation_name", "query", "actual_output", *extra, "score", *metrics,
            "case_mean", "case_std"]
    rows: list[dict[str, Any]] = []
    for r in df.to_dict("records"):
        row = {c: r.get(c) for c in ("case_id", "evaluation_name", "query", "actual_output", *extra,
                                     "score", "case_mean", "case_std")}
        for m in metrics:
            row[m] = r["metrics"].get(m)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def _side_frame(df: pd.DataFrame, exps: list[str], metrics: list[str]) -> pd.DataFrame:
    cols = ["case_id", "query", "mean", "std", "spread", "experiments"]
    for e in exps:
        cols += [f"{e} score", f"{e} output", *[f"{e} {m}" for m in metrics]]
    rows: dict[str, dict[str, Any]] = {}
    for r in df.to_dict("records"):
        row = rows.setdefault(r["case_id"], {
            "case_id": r["case_id"], "query": r["query"], "mean": r["case_mean"], "std": r["case_std"],
            "spread": r["case_spread"], "experiments": r["n_experiments"]})
        e = r["evaluation_name"]
        row[f"{e} score"] = r["score"]
        row[f"{e} output"] = r["actual_output"]
        for m in metrics:
            row[f"{e} {m}"] = r["metrics"].get(m)
    return pd.DataFrame(list(rows.values()), columns=cols)
