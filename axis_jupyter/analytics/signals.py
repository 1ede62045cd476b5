"""Human-signals analytics: the schema, the display config, the cases and one case
(reference §8.5, §8.6 and the reference UI's human-signals page). KPIs, trends and value
counts are in :mod:`.signal_kpis`.

The cases table (one row per case, ``<metric>__<signal>`` columns; built by
:mod:`axis_jupyter.signals.cases`) is the ``cases`` table of the analytic context. Every
analytic here is an Ibis expression over it, so the same code runs on DuckDB and PostgreSQL,
and takes the usual ``filters`` (source fields, signal columns such as
``{"sentiment__sentiment_category": ["negative"]}``, ``time_range``).
"""

from __future__ import annotations

import json

import ibis
import numpy as np
import pandas as pd

from ..errors import NotFoundError, ParameterError
from ..signals import cases as case_build
from ..signals import display, rules, settings
from ..signals import schema as schema_mod
from .context import AnalyticContext
from .filters import apply_filters

CASE_COLUMNS = ["part", "metric_name", "key", "type", "value", "position"]
SEARCHED = ("dataset_id", "business", "agent_name", "source_name")


# ----------------------------------------------------------------------------- helpers
def _schema(ctx: AnalyticContext, overrides: dict | None = None) -> dict:
    overrides = settings.load() if overrides is None else overrides
    return display.visible(schema_mod.of(ctx.info), overrides)


def _config(ctx: AnalyticContext, config: dict | None) -> dict:
    overrides = settings.resolve(config)
    return display.generate(schema_mod.of(ctx.info), overrides)


def _cases_table(ctx: AnalyticContext) -> ibis.Table:
    schema_mod.of(ctx.info)
    return ctx.table("cases")


def filtered(ctx: AnalyticContext, filters: dict | None = None, search: str | None = None) -> ibis.Table:
    """The cases matching ``filters`` and ``search`` (case id, business, agent, source)."""
    t = apply_filters(_cases_table(ctx), filters)
    if search:
        s = str(search).lower()
        preds = [t[c].cast("string").lower().contains(s) for c in SEARCHED if c in t.columns]
        pred = preds[0]
        for p in preds[1:]:
            pred = pred | p
        t = t.filter(pred.fill_null(False))
    return t


# ----------------------------------------------------------------------------- schema, config
def signal_schema(ctx: AnalyticContext) -> pd.DataFrame:
    """The discovered schema, one row per field: role (signal, metadata, source, timestamp),
    metric_name, category, signal, type (boolean, number, string, array, object, unknown),
    column (the cases table's column), n_values and values (the sorted distinct values of a
    string signal, at most 100). ``visible_metrics`` of signals_metrics.yaml applies."""
    return schema_mod.to_frame(_schema(ctx))


def display_config(ctx: AnalyticContext, config: dict | None = None) -> pd.DataFrame:
    """The display config (generated from the schema, signals_metrics.yaml and ``config``
    over it) as rows: part (kpi_strip, chart_sections, filters, table_columns, color_maps),
    position, spec (JSON). ``ds.display_config()`` returns it as a dict."""
    return pd.DataFrame(display.to_rows(_config(ctx, config)), columns=display.ROW_COLUMNS)


def case_count(ctx: AnalyticContext, filters=None, search=None) -> pd.DataFrame:
    """The number of cases matching ``filters`` and ``search``: one row, column ``cases``."""
    t = filtered(ctx, filters, search)
    return ctx.execute(t.aggregate(cases=t.count()))


# ----------------------------------------------------------------------------- cases
def case_columns(ctx: AnalyticContext) -> list[str]:
    """The cases table's columns that are shown: case fields, metadata, visible signals."""
    t = _cases_table(ctx)
    sch = _schema(ctx)
    shown = [c for c in case_build.CASE_FIELDS if c in t.columns]
    shown += [c for c in sch.get("metadata_keys", []) if c in t.columns]
    shown += [c for c in schema_mod.signal_columns(sch) if c in t.columns]
    return shown


def case_page(ctx: AnalyticContext, filters=None, columns=None, search=None, sort_by=None,
              descending: bool = False, page: int | None = None, page_size: int | None = None):
    """(one page of cases, the number of matching cases)."""
    t = filtered(ctx, filters, search)
    shown = case_columns(ctx)
    cols = list(shown) if not columns else ([columns] if isinstance(columns, str) else list(columns))
    unknown = [c for c in cols if c not in shown]
    if unknown:
        raise ParameterError(f"columns: {unknown[0]!r} is not a column of the cases (columns: "
                             f"{', '.join(shown[:30])}).", param="columns")
    if sort_by is not None and sort_by not in shown:
        raise ParameterError(f"sort_by: {sort_by!r} is not a column of the cases.", param="sort_by")
    order = []
    if sort_by:
        order.append(ibis.desc(t[sort_by], nulls_first=False) if descending
                     else ibis.asc(t[sort_by], nulls_first=False))
    order.append(ibis.asc(t.dataset_id))
    expr = t.order_by(order).select(*(["dataset_id"] if "dataset_id" not in cols else []), *cols)
    if "dataset_id" not in cols:
        expr = expr.drop("dataset_id")
    total = None
    if page_size is not None:
        page = page or 1
        expr = expr.limit(int(page_size), offset=(int(page) - 1) * int(page_size))
        total = int(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0])
    df = ctx.execute(expr)
    return df, (len(df) if total is None else total)


def cases(ctx: AnalyticContext, filters=None, columns=None, search=None, sort_by=None,
          descending: bool = False, page: int | None = None, page_size: int | None = None) -> pd.DataFrame:
    """One row per case: dataset_id (the case), source fields, agent_name, business (label
    of the first message), message_count, timestamp, message_url, the common metadata keys
    and one column per ``<metric>__<signal>``. Sorted by ``sort_by`` (then case id);
    ``page_size`` gives one page (``page`` from 1); ``search`` matches the case id,
    business, agent and source (case-insensitive)."""
    return case_page(ctx, filters, columns, search, sort_by, descending, page, page_size)[0]


def signal_case(ctx: AnalyticContext, case_id: str) -> pd.DataFrame:
    """Everything about one case, as rows: part (field, metadata, signal, message),
    metric_name, key, type, value (text; arrays and objects as JSON) and position. Messages
    are the case's conversation in order (key = role, value = content)."""
    if case_id is None or str(case_id) == "":
        raise ParameterError("signal_case needs a case_id (a dataset_id of the cases).", param="case_id")
    t = _cases_table(ctx)
    row = ctx.execute(t.filter(t.dataset_id == str(case_id)).limit(1))
    if row.empty:
        raise NotFoundError(f"no case with dataset_id {str(case_id)!r}.")
    rec = row.iloc[0].to_dict()
    sch = _schema(ctx)
    out = []
    for c in case_build.CASE_FIELDS:
        if c in rec:
            out.append({"part": "field", "metric_name": None, "key": c,
                        "type": "timestamp" if c == "timestamp" else ("number" if c == "message_count" else "string"),
                        "value": _text(rec[c]), "position": len(out)})
    for k in sch.get("metadata_keys", []):
        if k in rec:
            out.append({"part": "metadata", "metric_name": None, "key": k,
                        "type": sch["metadata_types"].get(k, "unknown"), "value": _text(rec[k]),
                        "position": len(out)})
    for col, (m, s, kind) in schema_mod.signal_columns(sch).items():
        if col in rec:
            out.append({"part": "signal", "metric_name": m, "key": s, "type": kind,
                        "value": _text(rec[col]), "position": len(out)})
    for i, msg in enumerate(_conversation(ctx, str(case_id))):
        if isinstance(msg, dict):
            content = msg.get("content")
            out.append({"part": "message", "metric_name": None, "key": str(msg.get("role") or ""),
                        "type": "string", "value": content if isinstance(content, str) else _text(content),
                        "position": i})
    return pd.DataFrame(out, columns=CASE_COLUMNS)


def _conversation(ctx: AnalyticContext, case_id: str) -> list:
    long = ctx.table("scores")
    if "conversation" not in long.columns:
        return []
    rows = long.filter((long.dataset_id == case_id) & long.conversation.notnull())
    df = ctx.execute(rows.select("metric_name", "conversation").order_by("metric_name").limit(1))
    return rules.messages_of(df["conversation"].iloc[0]) if len(df) else []


def _text(value) -> str | None:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)
