"""An independent pandas implementation of the reference's human-signals rules (reference
§8.5, §8.6 and its dashboard's KPI code), row by row as the reference does, with the
documented AXIS conventions (snake_case case fields, typed signal columns, values capped at
100 with a count, null category -> classification, agent falls back to the source name).

It imports nothing from ``axis_jupyter.signals``: the tests compare the engine against it.
"""

from __future__ import annotations

import ast
import json
import math
import re

import numpy as np
import pandas as pd

MAX_VALUES = 100
SOURCE_FIELDS = ["source_name", "source_component", "source_type", "environment"]
CASE_FIELDS = ["dataset_id", *SOURCE_FIELDS, "agent_name", "business", "message_count", "timestamp",
               "message_url"]


# ----------------------------------------------------------------------------- parsing
def parse(text):
    """JSON, then a Python literal; a dict or a list, else None."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if isinstance(text, (dict, list)):
        return text
    raw = str(text).strip()
    try:
        out = json.loads(raw)
        return out if isinstance(out, (dict, list)) else None
    except ValueError:
        pass
    try:
        out = ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return out if isinstance(out, (dict, list)) else None


def expand(signals: dict) -> dict:
    out = {}
    for key, val in signals.items():
        if isinstance(val, str):
            p = parse(val)
            if p is not None:
                val = p
        is_cat = isinstance(val, dict) and bool(val) and all(
            isinstance(v, list) and all(isinstance(i, dict) and "name" in i for i in v) for v in val.values())
        if is_cat:
            for items in val.values():
                for item in items:
                    name = item.get("name", "")
                    if name:
                        out[name] = item.get("value", item.get("score"))
        else:
            out[key] = val
    return out


def _kind(v) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "string"


def _null(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _rows(df: pd.DataFrame):
    for row in df.to_dict("records"):
        m = row.get("metric_name")
        if _null(m) or not str(m).strip():
            continue
        sig = parse(row.get("signals"))
        yield row, str(m).strip(), expand(sig) if isinstance(sig, dict) else None


# ----------------------------------------------------------------------------- schema
def schema(df: pd.DataFrame) -> dict:
    keys: dict[str, dict[str, None]] = {}
    values: dict[str, dict[str, list]] = {}
    category: dict[str, str] = {}
    for row, m, sig in _rows(df):
        keys.setdefault(m, {})
        values.setdefault(m, {})
        if m not in category:
            cat = row.get("metric_category")
            category[m] = "classification" if _null(cat) else str(cat).strip().lower()
        if sig is None:
            continue
        for k, v in sig.items():
            if k == "":
                continue
            keys[m].setdefault(k, None)
            values[m].setdefault(k, []).append(v)
    metrics = sorted(keys)
    counts: dict[str, int] = {}
    for m in metrics:
        for k in keys[m]:
            counts[k] = counts.get(k, 0) + 1
    common = {k for k, n in counts.items() if n / len(metrics) > 0.5} if len(metrics) >= 2 else set()
    out = {}
    for m in metrics:
        sigs = [k for k in keys[m] if k not in common]
        types, vals, nvals = {}, {}, {}
        for k in sigs:
            nn = [v for v in values[m][k] if not _null(v)]
            types[k] = _kind(nn[0]) if nn else "unknown"
            if types[k] == "string":
                u = sorted({v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                            for v in nn} - {""}, key=str)
                u = [x for x in u if x.strip()]
                if u:
                    vals[k], nvals[k] = u[:MAX_VALUES], len(u)
        out[m] = {"category": category[m], "signals": sigs, "signal_types": types, "values": vals,
                  "n_values": nvals}
    meta_types = {}
    for k in sorted(common):
        first = [v for m in metrics for v in values[m].get(k, []) if not _null(v)]
        meta_types[k] = _kind(first[0]) if first else "unknown"
    return {"metrics": out, "metadata_keys": sorted(common), "metadata_types": meta_types,
            "source_fields": [f for f in SOURCE_FIELDS if f in df.columns],
            "has_timestamp": "timestamp" in df.columns}


# ----------------------------------------------------------------------------- cases
LABEL = re.compile(r"New\s+\w+\s+case:\s*(.+?)(?:\n|$)")


def label(content) -> str:
    if not content or not isinstance(content, str):
        return "Unknown"
    m = LABEL.search(content)
    if m:
        return m.group(1).strip()
    for line in content.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "Unknown"


def _typed(v, kind):
    if _null(v):
        return None
    if kind == "boolean":
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return v.strip().lower() == "true"
        return None
    if kind == "number":
        if isinstance(v, bool):
            return None
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None
        return f if math.isfinite(f) else None
    if kind == "string":
        return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def cases(df: pd.DataFrame, sch: dict) -> pd.DataFrame:
    """One row per case, columns as the engine names them (signal values typed)."""
    df = df.reset_index(drop=True)
    out = []
    for cid, g in df[df.dataset_id.notna()].groupby("dataset_id", sort=True):
        first = g.iloc[0]
        case = {"dataset_id": str(cid)}
        for f in SOURCE_FIELDS:
            if f in df.columns:
                case[f] = None if _null(first[f]) else str(first[f])
        ai = parse(first.get("additional_input")) if "additional_input" in df.columns else None
        sender = ai.get("sender") if isinstance(ai, dict) else None
        case["agent_name"] = sender if sender is not None else case.get("source_name")
        conv = parse(first.get("conversation")) if "conversation" in df.columns else None
        msgs = conv.get("messages", []) if isinstance(conv, dict) else []
        case["business"] = label(msgs[0].get("content", "")) if msgs else "Unknown"
        stats = parse(first.get("conversation_stats")) if "conversation_stats" in df.columns else None
        if isinstance(stats, dict):
            n = stats["turn_count"] if "turn_count" in stats else \
                (stats.get("user_message_count") or 0) + (stats.get("ai_message_count") or 0)
        else:
            n = 0
        case["message_count"] = n
        if "timestamp" in df.columns:
            case["timestamp"] = first["timestamp"]
        case["message_url"] = ai.get("message_url") if isinstance(ai, dict) else None
        meta = {}
        vals = {}
        for row, m, sig in _rows(g):
            if sig is None:
                continue
            for k, v in sig.items():
                if k in sch["metadata_keys"]:
                    if k not in meta and not _null(v):
                        meta[k] = v
                    continue
                vals[f"{m}__{k}"] = v
        for k in sch["metadata_keys"]:
            case[k] = _typed(meta.get(k), sch["metadata_types"][k])
        for m, spec in sch["metrics"].items():
            for k in spec["signals"]:
                col = f"{m}__{k}"
                case[col] = _typed(vals.get(col), spec["signal_types"][k])
        out.append(case)
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------- dashboard rules
def truthy(v) -> bool:
    if _null(v):
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1")
    return bool(v)


def present(v) -> bool:
    if _null(v):
        return False
    if isinstance(v, str):
        return v.strip() != ""
    return True


def aggregate(values: list[float], how: str):
    a = np.asarray(values, dtype=float)
    if how == "p95":
        return float(np.quantile(a, 0.95))
    if how == "count":
        return float(len(a))
    return float({"mean": np.mean, "median": np.median, "sum": np.sum, "min": np.min, "max": np.max}[how](a))


def kpi(cs: pd.DataFrame, k: dict):
    """(value, true_count, present) of one KPI over cases ``cs`` (rates as fractions)."""
    total = len(cs)
    if "aggregate" in k:
        if k["aggregate"] == "total_cases":
            return float(total), None, total
        return (float(cs.message_count.fillna(0).sum()) / total if total else 0.0), None, total
    col = f"{k['metric']}__{k['signal']}"
    if col not in cs.columns:
        return None, None, 0
    vals = cs[col].tolist()
    pres = [v for v in vals if present(v)]
    if "aggregation" in k:
        nums = [float(v) for v in pres if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return (aggregate(nums, k["aggregation"]) if nums else None), None, len(pres)
    if "match_value" in k:
        true = sum(1 for v in vals if not _null(v) and _text(v).lower() == k["match_value"].lower())
    else:
        true = sum(1 for v in vals if truthy(v))
    if not pres:
        return None, true, 0
    if k.get("format") == "percent":
        return (true / total if total else 0.0), true, len(pres)
    return float(true), true, len(pres)


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def week(ts: pd.Series) -> pd.Series:
    """Monday of each timestamp's week."""
    ts = pd.to_datetime(ts)
    return (ts - pd.to_timedelta(ts.dt.weekday, unit="D")).dt.normalize()


def kpi_weeks(cs: pd.DataFrame, k: dict) -> list[tuple]:
    """[(week, value, count, present)] for the weeks with cases (timestamps present)."""
    cs = cs[cs.timestamp.notna()]
    out = []
    for w, g in cs.groupby(week(cs.timestamp), sort=True):
        value, _true, pres = kpi(g, k)
        out.append((pd.Timestamp(w), value, len(g), pres))
    return out


def value_counts(cs: pd.DataFrame, col: str, array: bool = False) -> pd.DataFrame:
    rows = []
    for v, ts in zip(cs[col], cs.timestamp if "timestamp" in cs.columns else [None] * len(cs)):
        if array:
            items = json.loads(v) if isinstance(v, str) else []
            rows += [(i, ts) for i in items if isinstance(i, str) and i.strip()]
        elif present(v):
            rows.append((v, ts))
    f = pd.DataFrame(rows, columns=["value", "ts"])
    g = f.groupby("value").agg(count=("ts", "size"), latest=("ts", "max")).reset_index()
    return g
