"""What the human-signals dashboard shows (reference: upstream-ui.md §1.5, catalogue rows
53-58; the display config of reference §8.6).

``payload``    the KPI strip (values, weekly sparklines), the filters (source fields and
               string signals, with their options), the trend chart (the KPI strip's rates
               by week, or one chosen signal), the chart sections of the display config
               (bar, stacked bar, horizontal bar, donut and line charts; ranked lists, text
               lists, single stats) and the first page of the case table
``cases``      {filters, page, page_size, sort_by, descending} -> one page of the case table
``case``       {case_id} -> one case: fields, status badges, metadata, every signal by
               metric, the conversation's messages
``trend``      {signal, filters} -> the trend chart of one signal (none: the KPI strip's rates)
``kpi_trend``  {key, filters} -> one KPI's weekly trend chart
``filter_options`` {} -> the shared filter bar's fields: the display config's filters (source
               fields with the dataset's values, signals with their options) and the time range

Everything comes from the signals analytics (``store.analytic``), so the dashboard answers
the same from the kernel and from the server. Filters are the cases' columns: source fields,
``<metric>__<signal>`` columns (a list of values) and ``time_range``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..branding import agents_for
from ..errors import ParameterError, QueryError
from ..signals import api
from ..wire import jsonable, records
from . import params
from .registry import ViewSpec, chart

VIEW = "signals"
DEFAULT_COLUMNS = 7  # the table shows this many columns until the user picks others
RANKED, TEXTS = 8, 15  # items of a ranked list and of a text list
MAX_PAGE_SIZE = 100


def _signals_dataset(store, dataset: str | None) -> str:
    if not dataset:
        raise QueryError("the signals view needs a human-signals dataset: %axis show signals NAME.")
    kind = store.info(dataset)["kind"]
    if kind != "signals":
        raise QueryError(f"the signals view shows human-signals datasets; {dataset!r} is {kind}.")
    return dataset


def _filters(value: Any) -> dict | None:
    return params.filters(value, example='{"environment": "prod"}') or None


def _label(name: str) -> str:
    return str(name).replace("_", " ").title()


# ----------------------------------------------------------------------------- payload
def payload(store, dataset: str | None, filters=None, trend=None, page: int = 1, page_size: int = 25,
            sort_by=None, descending: bool = False, **unknown) -> dict:
    ds = _signals_dataset(store, dataset)
    _no_unknown("payload", unknown)
    filters = _filters(filters)
    config = api.display_config(store, ds)
    schema = api.signal_schema(store, ds)
    kpis = store.analytic(ds, "signal_kpis", filters=filters)
    total = int(kpis["total"].iloc[0]) if len(kpis) else _count(store, ds, filters)
    charts: dict[str, Any] = {"trend": _trend_chart(store, ds, trend, filters)}
    sections = _sections(store, ds, config, schema, filters, charts, total)
    info = store.info(ds)
    newest = (info.get("time_range") or [None, None])[1]
    return {
        "dataset": ds,
        "total": total,
        "newest": newest,
        "kpis": records(kpis),
        "filters": _filter_options(config, info),
        "trend": {"signal": trend, "options": _trend_options(schema)},
        "sections": sections,
        "table": _table(store, ds, config, filters, page, page_size, sort_by, descending),
        "color_maps": config["color_maps"],
        "charts": charts,
    }


def _no_unknown(action: str, unknown: dict) -> None:
    params.no_unknown(VIEW, action, unknown)


def _count(store, ds: str, filters) -> int:
    return int(store.analytic(ds, "case_count", filters=filters)["cases"].iloc[0])


def _filter_options(config: dict, info: dict) -> list[dict]:
    """The filters of the display config with their options (source fields from the
    dataset's values, signals from the config)."""
    values = info.get("filter_values") or {}
    out = []
    for f in config["filters"]:
        if f.get("type") == "source":
            opts = values.get(f["field"]) or []
            if opts:
                out.append({"kind": "source", "key": f["field"], "label": f.get("label") or _label(f["field"]),
                            "options": opts})
        else:
            out.append({"kind": "metric", "key": f"{f['metric']}__{f['signal']}", "label": f.get("label"),
                        "options": list(f.get("options") or [])})
    return out


def filter_options(store, dataset: str | None, **unknown) -> dict:
    """The filter bar's fields (see the module docstring): one multi-select per filter of
    the display config, so a source field takes several values as a signal does."""
    ds = _signals_dataset(store, dataset)
    _no_unknown("filter_options", unknown)
    info = store.info(ds)
    fields = [{"key": f["key"], "label": f["label"] or _label(f["key"]), "values": [str(v) for v in f["options"]]}
              for f in _filter_options(api.display_config(store, ds), info)]
    return jsonable({"fields": fields, "time_range": info.get("time_range")})


def _trend_options(schema: dict) -> list[list[str]]:
    out = []
    for m, spec in schema["metrics"].items():
        for s in spec["signals"]:
            if spec["signal_types"].get(s) in ("boolean", "number", "string") and (
                    spec["signal_types"][s] != "string" or 2 <= spec.get("n_values", {}).get(s, 0) <= 20):
                out.append([f"{m}__{s}", f"{_label(m)} · {_label(s)}"])
    return out


def _trend_chart(store, ds: str, signal, filters) -> dict | None:
    if not store.info(ds)["signals"]["has_timestamp"]:
        return None
    rows = store.analytic(ds, "signal_trends", signal=signal or None, filters=filters)
    if signal is None:
        rows = rows[rows.kind == "rate"]
    if rows.empty:
        return None
    data = [{"week": pd.Timestamp(r["bucket"]).strftime("%Y-%m-%d"), "series": r["category"] or r["label"],
             "value": jsonable(r["value"]), "count": int(r["count"]), "present": int(r["present"])}
            for r in rows.to_dict("records")]
    kind = str(rows["kind"].iloc[0])
    title = "Rates by week" if signal is None else f"{rows['label'].iloc[0]} by week"
    if kind == "share":
        return chart("signal_shares", rows=data, title=title)
    return chart("signal_lines", rows=data, title=title, percent=kind == "rate")


# ----------------------------------------------------------------------------- sections
def _sections(store, ds: str, config: dict, schema: dict, filters, charts: dict, total: int) -> list[dict]:
    types = {f"{m}__{s}": t for m, spec in schema["metrics"].items() for s, t in spec["signal_types"].items()}
    # one query counts the values of every string signal; lists and arrays ask on their own
    counts = {col: g for col, g in store.analytic(ds, "signal_values", filters=filters).groupby("column", sort=False)}
    out = []
    for i, sec in enumerate(config["chart_sections"]):
        items = []
        for j, c in enumerate(sec.get("charts", [])):
            col = f"{c['metric']}__{c['signal']}"
            cid = f"s{i}_{j}"
            item = {"id": cid, "type": c.get("type", "bar"), "title": c.get("title") or _label(c["signal"]),
                    "column": col, "total": 0, "items": []}
            if col not in types:
                items.append(item)  # a signal this dataset does not have: shown as empty
                continue
            _fill(store, ds, item, types[col], c, config["color_maps"].get(col, {}), filters, charts, total,
                  counts.get(col))
            items.append(item)
        out.append({"title": sec.get("title", ""), "layout": sec.get("layout", "full"),
                    "collapsible": bool(sec.get("collapsible", False)), "charts": items})
    return out


def _fill(store, ds, item: dict, kind: str, c: dict, colors: dict, filters, charts: dict, total: int,
          counted: pd.DataFrame | None) -> None:
    col, typ = item["column"], item["type"]
    if typ == "single_stat":
        k = store.analytic(ds, "signal_kpis", filters=filters, config={"kpi_strip": [
            {"metric": c["metric"], "signal": c["signal"], "format": "percent"}]}).iloc[0]
        item.update(total=int(k["total"]), true_count=jsonable(k["true_count"]), rate=jsonable(k["value"]))
        return
    if typ == "line":
        charts[item["id"]] = _trend_chart(store, ds, col, filters)
        item["total"] = 1 if charts[item["id"]] else 0
        return
    if kind not in ("string", "array"):
        raise QueryError(f"chart {item['title']!r}: a {typ} chart needs a string or array signal; "
                         f"{col} is {kind} (signals_metrics.yaml, chart_sections).")
    limit = c.get("limit") or (TEXTS if typ == "text_list" else (RANKED if typ == "ranked_list" else None))
    if kind == "string" and typ != "text_list" and counted is not None:
        vals = counted.head(limit) if limit else counted
    else:
        vals = store.analytic(ds, "signal_values", signal=col, filters=filters, limit=limit,
                              recent=typ == "text_list")
    item["total"] = total if len(vals) else 0
    item["items"] = [{"value": str(r["value"]), "count": int(r["count"]), "share": jsonable(r["share"]),
                      "color": colors.get(str(r["value"]))} for r in vals.to_dict("records")]
    if typ in ("bar", "stacked_bar", "horizontal_bar", "donut") and item["items"]:
        charts[item["id"]] = chart("signal_categories", rows=item["items"], kind=typ, title=item["title"],
                                   total=total)


# ----------------------------------------------------------------------------- the table
def _table(store, ds: str, config: dict, filters, page, page_size, sort_by, descending) -> dict:
    shown = store.analytic(ds, "signal_schema")
    cols = [{"key": c["key"], "label": c.get("label") or _label(c["key"]), "sortable": c.get("sortable", True)}
            for c in config["table_columns"]]
    known = {c["key"] for c in cols}
    base = ["dataset_id", "source_name", "source_component", "source_type", "environment", "agent_name",
            "business", "message_count", "timestamp", "message_url"]
    extra = [c for c in base if c not in known] + [c for c in shown[shown.role.isin(["metadata", "signal"])].column
                                                   if c not in known]
    page_rows = _page(store, ds, filters, page, page_size, sort_by, descending)
    available = set(page_rows.pop("columns"))
    cols = [c for c in cols if c["key"] in available]
    # seven columns at first: the case fields of the config, then its first signal columns
    fields = [c["key"] for c in cols if "__" not in c["key"]]
    signals = [c["key"] for c in cols if "__" in c["key"]][:max(0, DEFAULT_COLUMNS - len(fields))]
    defaults = [c["key"] for c in cols if c["key"] in fields or c["key"] in signals][:max(DEFAULT_COLUMNS, len(fields))]
    cols += [{"key": k, "label": _label(k), "sortable": True} for k in extra if k in available]
    return {"columns": cols, "defaults": defaults, **page_rows}


def _page(store, ds, filters, page, page_size, sort_by, descending) -> dict:
    page, page_size = params.page(page or 1, page_size or 25, MAX_PAGE_SIZE)
    df, total = api.case_page(store, ds, filters=filters, sort_by=sort_by or None, descending=bool(descending),
                              page=page, page_size=page_size)
    agents = agents_for(df["source_name"].unique()) if "source_name" in df.columns else {}
    return {"rows": records(df), "total": total, "page": page, "page_size": page_size,
            "sort_by": sort_by or None, "descending": bool(descending), "columns": list(df.columns),
            "agents": agents}


def cases(store, dataset: str | None, filters=None, page: int = 1, page_size: int = 25, sort_by=None,
          descending: bool = False, **unknown) -> dict:
    ds = _signals_dataset(store, dataset)
    _no_unknown("cases", unknown)
    out = _page(store, ds, _filters(filters), page, page_size, sort_by, descending)
    del out["columns"]
    return out


# ----------------------------------------------------------------------------- one case
def case(store, dataset: str | None, case_id=None, **unknown) -> dict:
    ds = _signals_dataset(store, dataset)
    _no_unknown("case", unknown)
    if case_id in (None, ""):
        raise ParameterError("case needs a case_id.", param="case_id")
    detail = api.case_detail(store, ds, str(case_id))
    config = api.display_config(store, ds)
    badges = []
    for m in detail["metrics"]:
        for s in m["signals"]:
            col = f"{m['metric_name']}__{s['key']}"
            colors = config["color_maps"].get(col)
            if colors and s["value"] not in (None, "") and len(badges) < 6:
                badges.append({"column": col, "label": _label(s["key"]), "value": str(s["value"]),
                               "color": colors.get(str(s["value"]), "#9ca3af")})
    return jsonable({**detail, "badges": badges})


# ----------------------------------------------------------------------------- trends
def trend(store, dataset: str | None, signal=None, filters=None, **unknown) -> dict:
    ds = _signals_dataset(store, dataset)
    _no_unknown("trend", unknown)
    return {"signal": signal or None, "chart": _trend_chart(store, ds, signal or None, _filters(filters))}


def kpi_trend(store, dataset: str | None, key=None, filters=None, **unknown) -> dict:
    ds = _signals_dataset(store, dataset)
    _no_unknown("kpi_trend", unknown)
    if not key:
        raise ParameterError("kpi_trend needs the key of a KPI of the strip.", param="key")
    rows = store.analytic(ds, "signal_trends", filters=_filters(filters))
    rows = rows[rows.key == key]
    kpis = api.display_config(store, ds)["kpi_strip"]
    k = next((x for x in kpis if x.get("key") == key), None)
    if k is None:
        raise ParameterError(f"key: {key!r} is not a KPI of the strip with a weekly trend.", param="key")
    data = [{"week": pd.Timestamp(r["bucket"]).strftime("%Y-%m-%d"), "series": k.get("label"),
             "value": jsonable(r["value"]), "count": int(r["count"]), "present": int(r["present"])}
            for r in rows.to_dict("records")]
    spec = chart("signal_lines", rows=data, title=f"{k.get('label')} by week",
                 percent=k.get("format") == "percent" and "aggregation" not in k) if data else None
    return {"key": key, "label": k.get("label"), "chart": spec}


# ----------------------------------------------------------------------------- production
PRODUCTION_CARDS = 5
SOURCE_FILTERS = ("source_name", "source_component", "source_type", "environment")


def production_filters(store, ds: str, filters) -> dict | None:
    """The filters of the production view that apply to signals dataset ``ds``: its source
    fields and the time range (the other datasets' columns are left out)."""
    ds = _signals_dataset(store, ds)
    present = set(store.info(ds)["signals"]["source_fields"]) | {"time_range"}
    return params.filters(filters, allowed=tuple(k for k in (*SOURCE_FILTERS, "time_range") if k in present)) or None


def production_section(store, dataset: str, filters=None) -> dict:
    """The production view's Human Signals section: the first five KPI cards of the strip
    (value, weekly sparkline, cases), filtered by the source fields of ``filters``."""
    ds = _signals_dataset(store, dataset)
    f = production_filters(store, ds, filters)
    kpis = store.analytic(ds, "signal_kpis", filters=f)
    cards = records(kpis.head(PRODUCTION_CARDS))
    return {"dataset": ds, "total": int(kpis.total.iloc[0]) if len(kpis) else _count(store, ds, f), "cards": cards}


SPEC = ViewSpec(
    name=VIEW,
    description="Human signals: KPI strip, filters, trends, chart sections, cases and one case",
    actions={"payload": payload, "cases": cases, "case": case, "trend": trend, "kpi_trend": kpi_trend,
             "filter_options": filter_options},
    kinds=("signals",),
)
