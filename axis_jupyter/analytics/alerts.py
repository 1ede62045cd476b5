"""Alerts, health and the executive hierarchy for monitoring data (reference §3.2, UI §1.3-1.4).

Everything heavy is one Ibis aggregation per call (per source x metric x time bucket, per
source x bucket for latency, per source x metric x category x bucket for labels); the
detectors then run in Python on those few points.

* **Threshold alerts**, per source with its own ``good``/``pass`` thresholds from
  ``monitoring.yaml``: average score below *good* -> warning; pass rate (share of scores
  >= the source's *pass*) below 70 % -> error; error rate (``has_errors``) above 5 % ->
  error; p95 latency above 1000 ms -> warning.
* **Anomaly detectors** over the trend buckets of each (source, metric) series - the mean
  score per bucket, and the share of each label per bucket for CLASSIFICATION metrics -
  with the reference's parameters: z-score (window = last ``lookback_window`` buckets
  including the newest, population std, |z| > 2.0), moving average (mean of the
  ``window_size`` buckets before the newest, capped at n-1; |value - MA| > 0.15) and rate
  of change (|value - previous| > 0.3). A series needs ``min_data_points`` buckets.
* ``scan=False`` (default, as the reference) checks each series' newest bucket;
  ``scan=True`` checks every bucket against the buckets before it (a backtest).

Health and the executive hierarchy are in :mod:`.health`; per-source thresholds in
:mod:`.sources`. :func:`status_section` is the alerts part of ``%axis status``.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from .. import monitoring_config
from ..errors import QueryError
from . import sources
from .context import AnalyticContext
from .evals import as_list, scores_table
# health and hierarchy lived here; kept importable from this module
from .health import LEVELS, health, health_status, hierarchy  # noqa: F401
from .memo import memo_expr
from .monitoring import _category, _unit, records_table
from .sources import DEFAULT_COMPONENT, UNKNOWN_SOURCE  # noqa: F401

ALERT_COLUMNS = ["source_name", "metric_name", "detector", "severity", "bucket", "value", "message",
                 "category", "group", "reference", "statistic", "limit", "count"]
DETECTORS = ("z_score", "moving_average", "rate_of_change")


# ----------------------------------------------------------------------------- detectors
# Comparisons ignore differences at rounding level: a share that moves from 0.25 to 0.4
# moved by 0.15 exactly, not by 0.15000000000000002.
EPS = 1e-9

def _std_is_zero(std: float, mean: float) -> bool:
    # Equal values aggregated in a different order can differ in the last bits; treat a
    # spread at rounding level as zero (the reference skips std == 0).
    return not np.isfinite(std) or std <= 1e-12 * max(1.0, abs(mean))


def z_score(values: np.ndarray, i: int, threshold: float = 2.0, lookback: int = 20):
    """(z, mean) of point ``i`` against the window of the last ``lookback`` points up to and
    including ``i`` (0 = all), or None when the spread is zero or |z| <= threshold."""
    lo = 0 if lookback <= 0 else max(0, i + 1 - lookback)
    window = values[lo:i + 1]
    mean = float(window.mean())
    std = float(window.std())  # population
    if _std_is_zero(std, mean):
        return None
    z = (float(values[i]) - mean) / std
    return (z, mean) if abs(z) > threshold + EPS else None


def moving_average(values: np.ndarray, i: int, window_size: int = 5, deviation: float = 0.15):
    """(deviation, MA) of point ``i`` against the mean of the ``window_size`` points before it
    (capped at the points available), or None when within ``deviation`` (absolute)."""
    w = min(window_size, i)
    if w < 1:
        return None
    ma = float(values[i - w:i].mean())
    dev = float(values[i]) - ma
    return (dev, ma) if abs(dev) > deviation + EPS else None


def rate_of_change(values: np.ndarray, i: int, threshold: float = 0.3):
    """(change, previous) of point ``i`` or None when |change| <= threshold (absolute)."""
    if i < 1:
        return None
    prev = float(values[i - 1])
    change = float(values[i]) - prev
    return (change, prev) if abs(change) > threshold + EPS else None


def detect(values, metric: str, ad: dict, scan: bool = False) -> list[dict]:
    """Run the enabled detectors on one series (values in time order).

    Returns dicts with index, detector, severity, value, reference, statistic, limit.
    ``ad`` is the ``anomaly_detection`` section of the monitoring settings. The same rules
    as :func:`z_score`, :func:`moving_average` and :func:`rate_of_change`, evaluated for
    all points at once (``scan``) or for the newest only.
    """
    v = np.asarray(values, dtype="float64")
    n = len(v)
    if not ad.get("enabled") or n < ad["min_data_points"]:
        return []
    first = ad["min_data_points"] - 1 if scan else n - 1
    idx = np.arange(first, n)
    out = []

    def emit(det, hits, ref, stat, limit):
        for j in np.flatnonzero(hits):
            i = int(idx[j])
            out.append({"index": i, "detector": det, "severity": ad[det]["severity"], "value": float(v[i]),
                        "reference": float(ref[j]), "statistic": float(stat[j]), "limit": limit})

    def on(det):
        spec = ad[det]
        return spec["enabled"] and not (spec["metrics"] and metric not in spec["metrics"])

    if on("z_score"):
        spec = ad["z_score"]
        lb = spec["lookback_window"] or n
        if scan:
            padded = np.concatenate([np.full(lb - 1, np.nan), v])
            win = np.lib.stride_tricks.sliding_window_view(padded, lb)[idx]  # window ending at each i
        else:  # the same row for the newest point alone, without building every window
            win = (v[n - lb:] if n >= lb else np.concatenate([np.full(lb - n, np.nan), v]))[None, :]
        mean = np.nanmean(win, axis=1)
        std = np.sqrt(np.nanmean((win - mean[:, None]) ** 2, axis=1))
        ok = std > 1e-12 * np.maximum(1.0, np.abs(mean))
        z = np.divide(v[idx] - mean, std, out=np.zeros_like(mean), where=ok)
        emit("z_score", ok & (np.abs(z) > spec["threshold"] + EPS), mean, z, spec["threshold"])
    if on("moving_average"):
        spec = ad["moving_average"]
        w = spec["window_size"]
        csum = np.concatenate([[0.0], np.cumsum(v)])
        k = np.minimum(w, idx)  # points before i, capped at what exists
        ma = np.divide(csum[idx] - csum[idx - k], k, out=np.full(len(idx), np.nan), where=k > 0)
        dev = v[idx] - ma
        emit("moving_average", (k > 0) & (np.abs(dev) > spec["deviation_threshold"] + EPS), ma, dev,
             spec["deviation_threshold"])
    if on("rate_of_change"):
        spec = ad["rate_of_change"]
        prev = np.where(idx > 0, v[np.maximum(idx - 1, 0)], np.nan)
        change = v[idx] - prev
        emit("rate_of_change", (idx > 0) & (np.abs(change) > spec["threshold"] + EPS), prev, change,
             spec["threshold"])
    order = {d: i for i, d in enumerate(DETECTORS)}
    return sorted(out, key=lambda h: (h["index"], order[h["detector"]]))


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 10 else f"{x:,.0f}"


def _message(src, metric, category, det, value, ref, stat, limit, what="average score",
             granularity="bucket") -> str:
    name = f"{src} · {metric}" + (f" = {category}" if category else "")
    if det == "z_score":
        return (f"{name}: {what} {_fmt(value)} is {stat:+.1f} standard deviations from the recent "
                f"mean {_fmt(ref)} (limit ±{limit:g}).")
    if det == "moving_average":
        return (f"{name}: {what} {_fmt(value)} deviates {stat:+.3f} from the moving average "
                f"{_fmt(ref)} (limit {limit:g}).")
    if det == "rate_of_change":
        return (f"{name}: {what} changed {stat:+.3f} from {_fmt(ref)} to {_fmt(value)} in one "
                f"{granularity} (limit {limit:g}).")
    raise ValueError(det)


# ----------------------------------------------------------------------------- series
def score_series(ctx: AnalyticContext, granularity="day", filters=None, metrics=None, config=None,
                 cfg: dict | None = None, exact: bool = False) -> pd.DataFrame:
    """Per source, metric and bucket: source_name, metric_name, bucket, count, avg,
    pass_rate (share >= the source's pass threshold), good, pass. Daily and weekly buckets
    from the days summary when it covers the request (the same counts and rates)."""
    cfg = cfg or sources.resolve(config)
    unit, metrics = _unit(granularity), as_list(metrics)
    sub = {k: cfg[k] for k in ("thresholds", "visible_metrics")}
    df = ctx.answer("score_series", lambda: ctx.execute(_score_series_expr(ctx, unit, filters, metrics, sub)),
                    exact=exact, unit=unit, filters=filters, metrics=metrics, cfg=sub)
    th = {x: monitoring_config.source_thresholds(cfg, x) for x in set(df["source_name"].tolist())}
    names = df["source_name"].tolist()
    df["good"] = np.array([th[x]["good"] for x in names], dtype="float64")
    df["pass"] = np.array([th[x]["pass"] for x in names], dtype="float64")
    return df


@memo_expr
def _score_series_expr(ctx, unit, filters, metrics, cfg):
    t = _category(scores_table(ctx, filters, "timestamp"), "SCORE")
    t = sources.visible(t, cfg, metrics)
    t = t.filter(t.timestamp.notnull() & t.metric_score.notnull() & t.metric_name.notnull())
    t = t.mutate(_src=sources.source_name(t), _pass=sources.per_source(t, cfg, "pass"))
    s = t.metric_score
    expr = t.group_by(source_name=t._src, metric_name=t.metric_name,
                      bucket=t.timestamp.truncate(unit)).aggregate(
        count=s.count(), avg=s.mean(), pass_rate=(s >= t._pass).mean())
    return expr.order_by(["source_name", "metric_name", "bucket"])


def record_series(ctx: AnalyticContext, granularity="day", filters=None, exact: bool = False,
                  limit: float | None = None) -> pd.DataFrame:
    """Per source and bucket, each record once: source_name, bucket, records, p95 (latency),
    error_rate (share of records with has_errors; NaN without the column). Daily and
    weekly buckets from the per-day latency sketch when it covers the request (the same
    record counts, p95 within 1%) and the dataset has no has_errors; ``limit`` (the latency
    alert's): the raw rows also when an estimated p95 lies within 1% of it."""
    unit = _unit(granularity)

    def raw() -> pd.DataFrame:
        expr = _record_series_expr(ctx, unit, filters)
        if expr is None:
            return pd.DataFrame(columns=["source_name", "bucket", "records", "p95", "error_rate"])
        return ctx.execute(expr)

    df = ctx.answer("record_series", raw, exact=exact, unit=unit, filters=filters, limit=limit)
    for c in ("p95", "error_rate"):
        if c not in df:
            df[c] = np.nan
    return df


@memo_expr
def _record_series_expr(ctx, unit, filters):
    """None when the dataset has neither latency nor has_errors (or no record id)."""
    cols = set(ctx.table("full").columns)
    if "latency" not in cols and "has_errors" not in cols:
        return None
    dims = ["timestamp"] + (["source_name"] if "source_name" in cols else [])
    if "has_errors" not in cols:
        r = records_table(ctx, filters, "latency", *dims)
    else:
        need = [c for c in ("latency", "has_errors") if c in cols]
        t = scores_table(ctx, filters, *need, *dims)
        key = [c for c in ("_axis_rid", "dataset_id", "trace_id") if c in t.columns][:1]
        if not key:
            return None
        h = t.has_errors
        if h.type().is_boolean():
            err = h.cast("float64")
        elif h.type().is_numeric():
            err = (h != 0).cast("float64")
        else:
            err = h.cast("string").lower().isin(["true", "1", "1.0", "yes", "y", "t", "error"]).cast("float64")
        aggs = {"_err": err.max()}
        if "latency" in cols:
            aggs["latency"] = t.latency.max()
        r = t.group_by([*key, *dims]).aggregate(**aggs)
    r = r.filter(r.timestamp.notnull())
    src = r.source_name.fill_null(UNKNOWN_SOURCE) if "source_name" in r.columns else ibis.literal(UNKNOWN_SOURCE)
    aggs = {"records": ibis._.count()}
    if "latency" in r.columns:
        aggs["p95"] = r.latency.quantile(0.95)
    if "_err" in r.columns:
        aggs["error_rate"] = r._err.mean()
    return (r.group_by(source_name=src, bucket=r.timestamp.truncate(unit)).aggregate(**aggs)
            .order_by(["source_name", "bucket"]))


def class_series(ctx: AnalyticContext, granularity="day", filters=None, metrics=None,
                 category_source="explanation", cfg: dict | None = None, exact: bool = False) -> pd.DataFrame:
    """Per source, CLASSIFICATION metric, bucket and label: count, total, share (every label
    of a series in every bucket of that series; sorted by source, metric, label, bucket).
    From the summaries' label counts (per day, or per hour of the newest 24) when they cover
    the request and the labels are the default ``explanation`` ones."""
    cfg = cfg or {"visible_metrics": []}
    unit = _unit(granularity)
    metrics, visible = as_list(metrics), cfg["visible_metrics"]
    df = ctx.answer("class_series", lambda: ctx.execute(_class_series_expr(
        ctx, unit, filters, metrics, category_source, visible)),
        exact=exact, filters=filters, unit=unit, metrics=tuple(metrics or ()),
        category_source=category_source, visible=tuple(visible or ()))
    # DuckDB sums integers as HUGEINT (float64 in pandas), and the counts from the summaries'
    # label counts came as float64 too: both paths give int64. One column set costs a tenth
    # of DataFrame.astype, which rebuilds every column
    df["count"] = df["count"].to_numpy(dtype="int64")
    df["total"] = df["total"].to_numpy(dtype="int64")
    return df


@memo_expr
def _class_series_expr(ctx, unit, filters, metrics, category_source, visible):
    from .classification import category_column, label_grid

    t = _category(scores_table(ctx, filters, "timestamp"), "CLASSIFICATION")
    col = category_column(t, category_source)
    t = sources.visible(t, {"visible_metrics": visible}, metrics)
    t = t.filter(t.timestamp.notnull() & t.metric_name.notnull())
    t = t.mutate(_cat=col)
    t = t.filter(t._cat.notnull())
    counts = t.group_by(source_name=sources.source_name(t), metric_name=t.metric_name,
                        bucket=t.timestamp.truncate(unit), category=t._cat).aggregate(n=ibis._.count())
    return label_grid(counts)


# ----------------------------------------------------------------------------- alerts
def alerts(ctx: AnalyticContext, granularity: str = "day", scan: bool = False, config=None,
           filters=None, metrics=None, category_source: str = "explanation",
           classification: bool = True, exact: bool = False) -> pd.DataFrame:
    """Threshold and anomaly alerts: source_name, metric_name, detector, severity, bucket,
    value, message, category, group, reference, statistic, limit, count.

    ``detector`` is ``threshold_score``, ``threshold_pass_rate``, ``threshold_error_rate``,
    ``threshold_latency``, ``z_score``, ``moving_average`` or ``rate_of_change``;
    ``group`` is ``threshold`` or ``anomaly``. ``scan=True`` checks every bucket, otherwise
    only each series' newest. ``config`` overrides monitoring.yaml settings for this call.
    Daily and weekly series come from the summaries when they cover the request (the same
    alerts; a latency alert's p95 within 1%, and when a p95 lies that close to its limit the
    series is read from the raw rows); ``exact=True`` reads the raw rows.
    """
    cfg = sources.resolve(config)
    scan = _bool(scan, "scan")
    unit_word = {"h": "hour", "D": "day", "W": "week"}[_unit(granularity)]
    ad, ta = cfg["anomaly_detection"], cfg["threshold_alerts"]
    rows: list[dict] = []

    def add(src, metric, det, sev, bucket, value, msg, category=None, group="threshold", ref=None,
            stat=None, limit=None, count=None):
        rows.append({"source_name": src, "metric_name": metric, "detector": det, "severity": sev,
                     "bucket": bucket, "value": value, "message": msg, "category": category,
                     "group": group, "reference": ref, "statistic": stat, "limit": limit, "count": count})

    # The series are a few hundred points: plain arrays and loops over the series, not
    # pandas (a groupby, boolean mask or itertuples costs 1-3 ms each, 25 ms per update).
    sc = score_series(ctx, granularity, filters, metrics, cfg=cfg, exact=exact)
    col = {c: sc[c].to_numpy() for c in ("bucket", "count", "avg", "pass_rate", "good", "pass")}
    series = list(_runs(sc, ["source_name", "metric_name"]))
    for (src, metric), a, b in series:
        for i in range(a if scan else b - 1, b):
            avg, good, rate = float(col["avg"][i]), float(col["good"][i]), float(col["pass_rate"][i])
            bucket, n = pd.Timestamp(col["bucket"][i]), int(col["count"][i])
            if avg < good:
                add(src, metric, "threshold_score", "warning", bucket, avg,
                    f"{src} · {metric}: average score {avg:.3f} is below good ({good:g}).",
                    ref=good, stat=avg - good, limit=good, count=n)
            if rate < ta["pass_rate_min"]:
                add(src, metric, "threshold_pass_rate", "error", bucket, rate,
                    f"{src} · {metric}: pass rate {rate:.1%} (scores >= {float(col['pass'][i]):g}) is "
                    f"below {ta['pass_rate_min']:.0%}.",
                    ref=ta["pass_rate_min"], stat=rate - ta["pass_rate_min"], limit=ta["pass_rate_min"], count=n)
    for (src, metric), a, b in series:
        for hit in detect(col["avg"][a:b], metric, ad, scan):
            i = a + hit["index"]
            add(src, metric, hit["detector"], hit["severity"], pd.Timestamp(col["bucket"][i]), hit["value"],
                _message(src, metric, None, hit["detector"], hit["value"], hit["reference"],
                         hit["statistic"], hit["limit"], granularity=unit_word),
                group="anomaly", ref=hit["reference"], stat=hit["statistic"], limit=hit["limit"],
                count=int(col["count"][i]))

    try:
        rec = record_series(ctx, granularity, filters, exact=exact, limit=ta["latency_p95_max"])
    except QueryError:
        rec = pd.DataFrame()
    if not rec.empty:
        rcol = {c: rec[c].to_numpy() for c in ("bucket", "records", "p95", "error_rate")}
        lat_max, err_max = ta["latency_p95_max"], ta["error_rate_max"]
        for (src,), a, b in _runs(rec, ["source_name"]):
            for i in range(a if scan else b - 1, b):
                p95, err = float(rcol["p95"][i]), float(rcol["error_rate"][i])
                bucket, n = pd.Timestamp(rcol["bucket"][i]), int(rcol["records"][i])
                if p95 > lat_max:  # False for NaN
                    add(src, "latency", "threshold_latency", "warning", bucket, p95,
                        f"{src}: p95 latency {p95:,.0f} is above {lat_max:,.0f}.",
                        ref=lat_max, stat=p95 - lat_max, limit=lat_max, count=n)
                if err > err_max:
                    add(src, "errors", "threshold_error_rate", "error", bucket, err,
                        f"{src}: error rate {err:.1%} is above {err_max:.0%}.",
                        ref=err_max, stat=err - err_max, limit=err_max, count=n)

    if classification:
        cs = class_series(ctx, granularity, filters, metrics, category_source, cfg=cfg, exact=exact)
        share, buckets, totals = cs["share"].to_numpy(), cs["bucket"].to_numpy(), cs["total"].to_numpy()
        for (src, metric, cat), a, b in _runs(cs, ["source_name", "metric_name", "category"]):
            for hit in detect(share[a:b], metric, ad, scan):
                i = a + hit["index"]
                add(src, metric, hit["detector"], hit["severity"], pd.Timestamp(buckets[i]), hit["value"],
                    _message(src, metric, cat, hit["detector"], hit["value"], hit["reference"],
                             hit["statistic"], hit["limit"], what="share", granularity=unit_word),
                    category=cat, group="anomaly", ref=hit["reference"], stat=hit["statistic"],
                    limit=hit["limit"], count=int(totals[i]))

    # Errors first, then by source, metric, bucket and detector (a stable sort: ties keep
    # the order they were found in).
    rows.sort(key=lambda r: (r["severity"] != "error", r["source_name"], r["metric_name"], r["bucket"],
                             r["detector"]))
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def _runs(df: pd.DataFrame, keys: list[str]):
    """(key values, start, stop) of each run of equal ``keys`` in ``df``, which is sorted by
    them: the series of a frame without a pandas groupby per series (1-2 ms each)."""
    n = len(df)
    if not n:
        return
    cols = [df[k].to_numpy() for k in keys]
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for c in cols:
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    for a, b in zip(starts, [*starts[1:], n]):
        yield tuple(c[a] for c in cols), int(a), int(b)


def _bool(value, name) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.lower() in ("true", "1", "yes")
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise QueryError(f"{name} must be true or false, got {value!r}.")


def status_section(store) -> pd.DataFrame | str | None:
    """Alerts of every monitoring dataset, for ``%axis status``."""
    ds = store.datasets()
    names = ds.loc[ds["kind"] == "monitoring", "name"].tolist() if len(ds) else []
    if not names:
        return None
    frames = []
    for name in names:
        a = store.analytic(name, "alerts")
        if len(a):
            frames.append(a.assign(dataset=name)[["dataset", "source_name", "metric_name", "detector",
                                                  "severity", "bucket", "value", "message"]])
    if not frames:
        return f"All systems nominal ({len(names)} monitoring dataset(s) checked)."
    return pd.concat(frames, ignore_index=True)
