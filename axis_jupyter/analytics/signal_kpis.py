"""Human-signals KPIs, weekly trends and value counts over the cases table (the reference
dashboard's rules; see :mod:`.signals` for the cases table).

Rates are fractions in 0-1. The rules:

* a rate KPI (a boolean ``is_*``/``has_*`` signal, or one with ``match_value``) is the share
  of *all* filtered cases whose value is true (``"true"``/``"1"`` text counts, numbers count
  when not 0) or equals ``match_value`` (case-insensitive); it has no value when no case has
  the signal. With a format other than ``percent`` it is the count of such cases;
* a numeric KPI aggregates the cases that have the signal (median by default; mean, sum,
  min, max, count, p95 - the linear 95th percentile, as the monitoring analytics);
* ``avg_message_count`` averages the message counts of all filtered cases (missing = 0);
  ``total_cases`` counts them;
* trends bucket cases by the week (Monday) of their timestamp (or by day or month); a
  KPI's sparkline keeps the buckets where some case has the signal;
* value counts count the cases per value of a string signal (blank values are left out)
  and per item of an array signal (string items); shares are of all filtered cases.
"""

from __future__ import annotations

import ibis
import pandas as pd

from ..errors import ParameterError, QueryError
from ..signals import schema as schema_mod
from .context import AnalyticContext
from .signals import _config, _schema, filtered

KPI_COLUMNS = ["key", "label", "kind", "metric_name", "signal", "column", "aggregation", "format",
               "icon", "highlight", "polarity", "value", "true_count", "present", "total", "sparkline"]
TREND_COLUMNS = ["bucket", "key", "label", "kind", "category", "value", "count", "present"]
VALUE_COLUMNS = ["column", "metric_name", "signal", "value", "count", "share", "latest"]
GRANULARITY = {"day": "D", "week": "W", "month": "M"}


# ----------------------------------------------------------------------------- helpers
def _present(col: ibis.Column) -> ibis.BooleanValue:
    if col.type().is_string():
        return col.notnull() & (col.strip() != "")
    return col.notnull()


def _truthy(col: ibis.Column, match: str | None = None) -> ibis.BooleanValue:
    """The reference's truth test of a signal value (or equality with ``match``)."""
    dt = col.type()
    if match is not None:
        text = col.cast("string").lower() if not dt.is_boolean() else \
            ibis.ifelse(col, ibis.literal("true"), ibis.literal("false"))
        pred = text == str(match).lower()
    elif dt.is_boolean():
        pred = col
    elif dt.is_numeric():
        pred = col != 0
    else:
        pred = col.cast("string").strip().lower().isin(["true", "1"])
    return pred.fill_null(False)


def _count_if(pred) -> ibis.Value:
    return ibis.ifelse(pred, 1, 0).sum()


def _aggregate(col: ibis.Column, how: str) -> ibis.Value:
    if how == "p95":
        return col.quantile(0.95)
    if how == "count":
        return col.count()
    return getattr(col, how)()


def _kpi_kind(k: dict) -> str:
    if "aggregate" in k:
        return "aggregate"
    return "aggregation" if "aggregation" in k else ("rate" if k.get("format") == "percent" else "count")


def _kpi_exprs(t: ibis.Table, k: dict, i: int) -> dict:
    """The aggregates one KPI needs (named ``_<i>_*``), or {} when its column is missing."""
    col = k.get("key")
    if "aggregate" in k or col not in t.columns:
        return {}
    c = t[col]
    out = {f"_{i}_present": _count_if(_present(c))}
    if "aggregation" in k:
        if not c.type().is_numeric():
            return {}
        out[f"_{i}_value"] = _aggregate(c, k["aggregation"])
    else:
        out[f"_{i}_true"] = _count_if(_truthy(c, k.get("match_value")))
    return out


def _kpi_value(k: dict, row: dict, i: int, total: int, msg_sum) -> tuple:
    """(value, true_count, present) of KPI ``k`` from one aggregate row."""
    kind = _kpi_kind(k)
    if kind == "aggregate":
        if k["aggregate"] == "total_cases":
            return float(total), None, total
        return (float(msg_sum or 0) / total if total else 0.0), None, total
    if f"_{i}_present" not in row:
        return None, None, 0
    present = int(row[f"_{i}_present"] or 0)
    if kind == "aggregation":
        v = row.get(f"_{i}_value")
        return (None if present == 0 or v is None or pd.isna(v) else float(v)), None, present
    true = int(row.get(f"_{i}_true") or 0)
    if present == 0:
        return None, true, present
    if kind == "rate":
        return (true / total if total else 0.0), true, present
    return float(true), true, present


def _bucket(t: ibis.Table, granularity: str):
    unit = GRANULARITY.get(str(granularity).lower())
    if unit is None:
        raise ParameterError(f"granularity must be one of {', '.join(GRANULARITY)}, not {granularity!r}.",
                             param="granularity")
    if "timestamp" not in t.columns:
        raise QueryError("this signals dataset has no timestamp column, so it has no trends.")
    return t.timestamp.truncate(unit)



# ----------------------------------------------------------------------------- KPIs
def signal_kpis(ctx: AnalyticContext, filters=None, config=None, granularity: str = "week") -> pd.DataFrame:
    """The KPI strip of the display config, one row per KPI: key (its column, or
    total_cases / avg_message_count), label, kind (rate, count, aggregation, aggregate),
    metric_name, signal, column, aggregation, format, icon, highlight, polarity, value
    (rates as fractions in 0-1), true_count, present (cases with the signal), total (filtered
    cases) and sparkline ([{date, value}] per week where some case has the signal)."""
    strip = _config(ctx, config)["kpi_strip"]
    t = filtered(ctx, filters)
    aggs = {"_total": t.count(), "_msg": t.message_count.fill_null(0).sum()}
    for i, k in enumerate(strip):
        aggs.update(_kpi_exprs(t, k, i))
    row = ctx.execute(t.aggregate(**aggs)).iloc[0].to_dict()
    total = int(row["_total"] or 0)
    spark = _sparklines(ctx, t, strip, granularity)
    out = []
    for i, k in enumerate(strip):
        value, true, present = _kpi_value(k, row, i, total, row["_msg"])
        out.append({"key": k["key"], "label": k.get("label"), "kind": _kpi_kind(k),
                    "metric_name": k.get("metric"), "signal": k.get("signal"),
                    "column": k["key"] if "metric" in k else None, "aggregation": k.get("aggregation"),
                    "format": k.get("format", "number"), "icon": k.get("icon"),
                    "highlight": bool(k.get("highlight", False)),
                    "polarity": k.get("polarity", "higher_better"), "value": value,
                    "true_count": true, "present": present, "total": total,
                    "sparkline": spark.get(i, [])})
    return pd.DataFrame(out, columns=KPI_COLUMNS)


def _sparklines(ctx, t, strip, granularity) -> dict[int, list[dict]]:
    if "timestamp" not in t.columns:
        return {}
    trend = _kpi_trends(ctx, t, strip, granularity)
    out: dict[int, list[dict]] = {}
    for i, rows in trend.items():
        out[i] = [{"date": pd.Timestamp(r["bucket"]).strftime("%Y-%m-%d"), "value": r["value"]}
                  for r in rows if r["present"] > 0]
    return out


def _kpi_trends(ctx, t, strip, granularity) -> dict[int, list[dict]]:
    """Per KPI index: [{bucket, value, count, present}] for every bucket with cases."""
    t = t.filter(t.timestamp.notnull())
    t = t.mutate(_bucket=_bucket(t, granularity))
    aggs: dict = {"_total": t.count()}
    keep = []
    for i, k in enumerate(strip):
        e = _kpi_exprs(t, k, i)
        if e:
            aggs.update(e)
            keep.append(i)
    if not keep:
        return {}
    df = ctx.execute(t.group_by("_bucket").aggregate(**aggs).order_by("_bucket"))
    out: dict[int, list[dict]] = {i: [] for i in keep}
    for row in df.to_dict("records"):
        total = int(row["_total"] or 0)
        for i in keep:
            value, _true, present = _kpi_value(strip[i], row, i, total, None)
            if present == 0 and _kpi_kind(strip[i]) in ("rate", "count"):
                value = 0.0  # the trend chart shows empty weeks at 0, sparklines leave them out
            out[i].append({"bucket": row["_bucket"], "value": value, "count": total, "present": present})
    return out


# ----------------------------------------------------------------------------- trends
def signal_trends(ctx: AnalyticContext, signal: str | None = None, granularity: str = "week",
                  filters=None, config=None) -> pd.DataFrame:
    """Trends per week (or day, month): bucket, key, label, kind, category, value, count
    (cases in the bucket), present (cases with the signal). Without ``signal``: every rate
    and numeric KPI of the strip (value = rate, count or aggregate). With ``signal`` (a
    ``<metric>__<signal>`` column): a boolean signal's rate, a numeric signal's median, or a
    string signal's share of each value (category) per bucket."""
    t = filtered(ctx, filters)
    if signal is None:
        strip = _config(ctx, config)["kpi_strip"]
        rows = []
        for i, items in _kpi_trends(ctx, t, strip, granularity).items():
            k = strip[i]
            rows += [{"bucket": r["bucket"], "key": k["key"], "label": k.get("label"),
                      "kind": _kpi_kind(k), "category": None, "value": r["value"],
                      "count": r["count"], "present": r["present"]} for r in items]
        df = pd.DataFrame(rows, columns=TREND_COLUMNS)
        return df.sort_values(["key", "bucket"], ignore_index=True) if len(df) else df
    m, s, kind = _signal(ctx, signal)
    label = s.replace("_", " ").title()
    if kind == "boolean":
        k = {"metric": m, "signal": s, "key": signal, "label": label, "format": "percent"}
        items = _kpi_trends(ctx, t, [k], granularity).get(0, [])
        return pd.DataFrame([{"bucket": r["bucket"], "key": signal, "label": label, "kind": "rate",
                              "category": None, "value": r["value"], "count": r["count"],
                              "present": r["present"]} for r in items], columns=TREND_COLUMNS)
    if kind == "number":
        k = {"metric": m, "signal": s, "key": signal, "label": label, "aggregation": "median"}
        items = _kpi_trends(ctx, t, [k], granularity).get(0, [])
        return pd.DataFrame([{"bucket": r["bucket"], "key": signal, "label": label, "kind": "aggregation",
                              "category": None, "value": r["value"], "count": r["count"],
                              "present": r["present"]} for r in items], columns=TREND_COLUMNS)
    if kind != "string":
        raise ParameterError(f"signal: {signal!r} is a {kind} signal; trends show boolean, "
                             "number and string signals.", param="signal")
    t = t.filter(t.timestamp.notnull())
    t = t.mutate(_bucket=_bucket(t, granularity))
    totals = t.group_by("_bucket").aggregate(count=t.count(), present=_count_if(_present(t[signal])))
    has = t.filter(_present(t[signal]))
    per = has.group_by(["_bucket", signal]).aggregate(n=has.count())
    j = per.join(totals, "_bucket")
    expr = j.select(bucket=j._bucket, category=j[signal], n=j.n, count=j["count"], present=j.present)
    df = ctx.execute(expr.order_by(["bucket", "category"]))
    return pd.DataFrame({"bucket": df["bucket"], "key": signal, "label": label, "kind": "share",
                         "category": df["category"], "value": df["n"] / df["count"],
                         "count": df["count"].astype("int64"), "present": df["present"].astype("int64")},
                        columns=TREND_COLUMNS)


def _json_text(item: ibis.StringValue) -> ibis.StringValue:
    """The text of a JSON string literal (``"a \\"b\\""`` -> ``a "b"``). Ibis's JSON unwrap
    does not compile for PostgreSQL, so the quotes and the common escapes are undone by
    hand (the cases table's JSON is written by DuckDB: raw UTF-8, few escapes)."""
    text = item.substr(1, item.length() - 2)
    for esc, char in (('\\"', '"'), ("\\n", "\n"), ("\\t", "\t"), ("\\r", "\r"), ("\\/", "/"),
                      ("\\\\", "\\")):
        text = text.replace(esc, char)
    return text


def _signal(ctx, column: str) -> tuple[str, str, str]:
    cols = schema_mod.signal_columns(_schema(ctx))
    if column not in cols:
        raise ParameterError(f"signal: {column!r} is not a signal column of this dataset (they are "
                             f"named <metric>__<signal>, e.g. {next(iter(cols), 'escalation__is_escalated')!r}).",
                             param="signal")
    return cols[column]


# ----------------------------------------------------------------------------- value counts
def signal_values(ctx: AnalyticContext, signal: str | None = None, filters=None, limit: int | None = None,
                  recent: bool = False) -> pd.DataFrame:
    """Cases per value: column, metric_name, signal, value, count, share (of all filtered
    cases) and latest (the newest case's timestamp with the value). Without ``signal``:
    every string signal with known values; with ``signal``: that string signal, or the
    string items of an array signal. Sorted by count (``recent=True``: by latest), at most
    ``limit`` values per signal."""
    t = filtered(ctx, filters)
    cols = schema_mod.signal_columns(_schema(ctx))
    if signal is None:
        sch = _schema(ctx)
        wanted = [c for c, (m, s, kind) in cols.items()
                  if kind == "string" and sch["metrics"][m]["values"].get(s) and c in t.columns]
    else:
        m, s, kind = _signal(ctx, signal)
        if kind not in ("string", "array"):
            raise ParameterError(f"signal: {signal!r} is a {kind} signal; value counts need a string "
                                 "or array signal.", param="signal")
        wanted = [signal]
    if not wanted:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    total = int(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0])
    has_time = "timestamp" in t.columns
    parts = []
    for c in wanted:
        if cols[c][2] == "array":
            items = t.mutate(_item=t[c].cast("json").unwrap_as("array<json>").unnest().cast("string"))
            items = items.filter(items._item.startswith('"')).mutate(_value=_json_text(items._item))
            v = items.filter(items._value.strip() != "")
        else:
            v = t.filter(_present(t[c])).mutate(_value=t[c])
        aggs = {"count": v.count()}
        if has_time:
            aggs["latest"] = v.timestamp.max()
        parts.append(v.group_by("_value").aggregate(**aggs).mutate(column=ibis.literal(c)))
    expr = parts[0] if len(parts) == 1 else ibis.union(*parts)
    df = ctx.execute(expr)
    df = df.rename(columns={"_value": "value"})
    if "latest" not in df.columns:
        df["latest"] = pd.NaT
    by = ["latest", "value"] if recent else ["count", "value"]
    df = df.sort_values(["column", *by], ascending=[True, False, True], na_position="last")
    order = {c: i for i, c in enumerate(wanted)}
    df = df.assign(_o=df["column"].map(order)).sort_values("_o", kind="stable")
    if limit:
        df = df.groupby("column", sort=False).head(int(limit))
    df["metric_name"] = df["column"].map(lambda c: cols[c][0])
    df["signal"] = df["column"].map(lambda c: cols[c][1])
    df["count"] = df["count"].astype("int64")
    df["share"] = df["count"] / total if total else 0.0
    return df[VALUE_COLUMNS].reset_index(drop=True)
