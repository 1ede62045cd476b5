"""Human signals for callers that hold a store and a dataset name (the Dataset methods, the
HTTP handlers, the dashboard's payload). Everything goes through ``store.analytic``, so it
works the same on the embedded store and on a server's store."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from . import display
from . import schema as schema_mod


def display_config(store, dataset: str, config: dict | None = None) -> dict:
    """The merged display config: kpi_strip, chart_sections, filters, table_columns, color_maps."""
    rows = store.analytic(dataset, "display_config", config=config)
    return display.from_rows(rows.to_dict("records"))


def signal_schema(store, dataset: str) -> dict:
    """The discovered schema in the reference's nested form (metrics, metadata_keys,
    source_fields, has_timestamp)."""
    return schema_mod.from_frame(store.analytic(dataset, "signal_schema"))


def case_page(store, dataset: str, *, filters: dict | None = None, search: str | None = None,
              sort_by: str | None = None, descending: bool = False, page: int = 1,
              page_size: int = 25, columns: list[str] | None = None) -> tuple[pd.DataFrame, int]:
    """(one page of cases, the number of cases matching ``filters`` and ``search``)."""
    rows = store.analytic(dataset, "cases", filters=filters, search=search, sort_by=sort_by,
                          descending=descending, page=page, page_size=page_size, columns=columns)
    total = store.analytic(dataset, "case_count", filters=filters, search=search)
    return rows, int(total["cases"].iloc[0])


def case_detail(store, dataset: str, case_id: str) -> dict[str, Any]:
    """One case for a detail view: ``fields`` and ``metadata`` ({key: text}), ``metrics``
    ([{metric_name, signals: [{key, type, value}]}], values parsed: booleans, numbers,
    lists and objects), ``messages`` ([{role, content}])."""
    rows = store.analytic(dataset, "signal_case", case_id=case_id).to_dict("records")
    out: dict[str, Any] = {"case_id": str(case_id), "fields": {}, "metadata": {}, "metrics": [],
                           "messages": []}
    by_metric: dict[str, list] = {}
    for r in rows:
        value = None if _missing(r["value"]) else r["value"]
        if r["part"] == "field":
            out["fields"][r["key"]] = value
        elif r["part"] == "metadata":
            out["metadata"][r["key"]] = _typed(value, r["type"])
        elif r["part"] == "signal":
            by_metric.setdefault(r["metric_name"], []).append(
                {"key": r["key"], "type": r["type"], "value": _typed(value, r["type"])})
        elif r["part"] == "message":
            out["messages"].append({"role": r["key"], "content": value or ""})
    out["metrics"] = [{"metric_name": m, "signals": s} for m, s in by_metric.items()]
    return out


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v))


def _typed(text: str | None, kind: str):
    """A value of :func:`case_detail` as what it is (the analytic sends text)."""
    if text is None:
        return None
    if kind == "boolean":
        return text == "true"
    if kind == "number":
        try:
            f = float(text)
        except ValueError:
            return text
        return int(f) if f.is_integer() else f
    if kind in ("array", "object"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def case_columns(store, dataset: str) -> list[str]:
    """The columns ``cases`` answers with (case fields, metadata, visible signals)."""
    return list(store.analytic(dataset, "cases", page=1, page_size=1).columns)
