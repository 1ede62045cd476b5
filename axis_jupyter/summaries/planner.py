"""The planner: answer an analytic's request from the summary tables when it can.

``Planner.answer(ctx, what, **request)`` returns ``(value, None)`` when the summaries answer
``what`` and ``(None, reason)`` when they cannot (``reason`` says why, for the timing the views
show); :meth:`AnalyticContext.answer` then runs the raw query. A request is answerable when

* the summaries cover every row of the dataset (a writer that appended rows without
  extending them makes them stale: the raw table answers until the next build);
* every filter is on a key column and every grouping is a key (with a time range on day
  boundaries, the keys of the days table; on hour boundaries within the newest hours of
  monitoring data, those of the hours table: :mod:`.hourly`);
* what it asks is summarised (a pass threshold among the configured ones; percentiles of
  scores within [0, 1], whose fine bins give the error :data:`.percentiles.BOUND`).

What it answers (each the same records the raw expression would give):

``scorecard_binned`` (filters, threshold)  rows of ``analytics.scorecard.binned_expr``
``case_count``       (filters)             distinct dataset_id among the filtered rows (any set of
                                           experiments from the case masks; else the cases)
``node_meta``        ()                    metric_name, parent, weight, metric_type
``quantiles``        (metric, filters, by) the frame of ``analytics.evals.quantiles``
``pass_rates``       (threshold, by, filters, metric_category)
                                           the frame of ``analytics.monitoring.pass_rates``
``score_summary``    (filters, threshold)  n, avg, pass_rate of the SCORE rows (the monitor's
                                           KPIs), when no row lacks a metric_name
``latency``          (by, filters)         the frame of ``analytics.monitoring.latency``
                                           (percentiles within :data:`.latency.BOUND`, relative)
``trends``, ``latency_histogram``, ``score_series``, ``record_series``, ``class_series``
                                           the monitor view's: :mod:`.monitor_answers`
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import ibis
import numpy as np

from ..analytics.evals import as_list
from ..analytics.filters import apply_filters
from ..analytics.memo import Lru, plain_key
from .keys import TIME_FILTERS, time_unanswerable, unanswerable
from . import binned, case_masks, implied, monitor_answers
from .percentiles import quantiles
from .tables import case_keys

EXPERIMENT = "evaluation_name"
QUARTILES = {"q25": 0.25, "median": 0.5, "q75": 0.75}
P50_95_99 = {"p50": 0.5, "p95": 0.95, "p99": 0.99}  # analytics.monitoring.P50_95_99
_EXPRS = Lru(512)  # summary expressions by (tables, request); the tables are versioned


class Planner:
    """The summaries of one dataset version: ``tables`` (role -> Ibis table, bound to the
    context's engine) and their metadata ``meta`` (``info["summary"]``)."""

    def __init__(self, tables: dict[str, ibis.Table], meta: dict):
        self.tables = dict(tables)
        self.meta = meta
        for role in implied.ROLES:  # their implied keys back, as lookups of metric_name
            if role in self.tables:
                self.tables[role] = implied.restore(self.tables[role], meta)
        self.keys: list[str] = list(meta["keys"])
        self.has_time = bool(meta.get("time_bucket"))
        if "day_keys" not in meta:  # built before the days table had its own: stats keyed by day
            if self.has_time:
                self.tables["days"] = self.tables["stats"]
            self.day_keys = self.keys if self.has_time else []
            self.cases_day = self.has_time
        else:
            self.day_keys = list(meta["day_keys"] or [])
            self.cases_day = bool(meta.get("cases_day"))
        self.hour_keys = list(meta.get("hour_keys") or [])
        self.hours_from = meta.get("hours_from")

    @classmethod
    def for_info(cls, info: dict, table: Callable[[str], ibis.Table]) -> "Planner | None":
        """The planner of a dataset's metadata (None without summaries); ``table(name)``
        gives the engine's table of that name."""
        meta = info.get("summary")
        if not meta or not meta.get("tables"):
            return None
        return cls({role: table(name) for role, name in meta["tables"].items()}, meta)

    # ------------------------------------------------------------------ dispatch
    def answer(self, ctx, what: str, **request) -> tuple[Any, str | None]:
        fn = getattr(self, f"_{what}", None)
        if fn is None and what in monitor_answers.ANSWERS:  # the monitor view's (trends, ...)
            fn = functools.partial(monitor_answers.ANSWERS[what], self)
        if fn is None:
            return None, f"{what} is not summarised"
        rows = ctx.info.get("rows")
        if rows is not None and int(rows) != int(self.meta.get("source_rows", -1)):
            return None, "the summaries do not cover every row (stale)"
        return fn(ctx, **request)

    def _memo(self, key: tuple, make: Callable[[], Any]):
        # the tables' names and schemas (Ibis nodes hash by structure): two stores may hold
        # a dataset of the same name and version with other columns
        names = tuple(sorted((r, t.op()) for r, t in self.tables.items()))
        try:
            return _EXPRS.get_or_make((names, *[plain_key(k) for k in key]), make)
        except TypeError:  # an unusual filter value: build it every time
            return make()

    # ------------------------------------------------------------------ answers
    def _stats_for(self, filters) -> tuple[str, list[str]]:
        """The stats table that can answer ``filters`` and its keys: for a time range the
        days table (on day boundaries) or the hours table (on hour boundaries, inside its
        hours), else the stats table (which has no time)."""
        timed = isinstance(filters, dict) and any(filters.get(k) is not None for k in TIME_FILTERS)
        if timed:
            if "hours" in self.tables and not ("days" in self.tables and time_unanswerable(filters, "D") is None) \
                    and time_unanswerable(filters, "h", self.hours_from) is None:
                return "hours", self.hour_keys
            if "days" in self.tables:
                return "days", self.day_keys
        return "stats", self.keys

    def unanswerable(self, filters, role: str, keys: list[str], by=()) -> str | None:
        """Why ``filters`` (grouped ``by``) cannot be answered from the table of ``role``
        (stats, days or hours) keyed by ``keys``; None when they can."""
        hours = role in ("hours", "hour_bins", "lat_hours", "class_hours")
        why = unanswerable(filters, keys, role != "stats", tuple(by), "h" if hours else "D",
                           self.hours_from if hours else None)
        if why and role == "days" and "hours" in self.tables and "day boundaries" in why:
            why += "; " + time_unanswerable(filters, "h", self.hours_from)  # nor the hour tables
        return why

    def _scorecard_binned(self, ctx, filters=None, threshold=None):
        if EXPERIMENT in ctx.table("scores").columns and EXPERIMENT not in self.keys:
            return None, f"{EXPERIMENT} has too many values to be a summary key"
        role, keys = self._stats_for(filters)
        why = self.unanswerable(filters, role, keys)
        if why:
            return None, why
        if EXPERIMENT in ctx.table("scores").columns and EXPERIMENT not in keys:
            return None, f"{EXPERIMENT} is not a key of the days table"
        col = self._passes(threshold)
        if col is None:
            return None, f"threshold {threshold} is not summarised"

        def make():
            s = apply_filters(self.tables[role], filters)
            keys = [EXPERIMENT, "metric_name"] if EXPERIMENT in self.keys else ["metric_name"]
            return s.group_by([*keys, "_bin"]).aggregate(
                n=s.n.sum(), total=s.total.sum(), sumsq=s.sumsq.sum(), min=s["min"].min(),
                max=s["max"].max(), passes=s[col].sum())

        return ctx.records(self._memo(("binned", role, filters, col), make)), None

    def _passes(self, threshold) -> str | None:
        for i, th in enumerate(self.meta["thresholds"]):
            if threshold is not None and float(threshold) == float(th):
                return f"passes_{i}"
        return None

    def _case_count(self, ctx, filters=None):
        total = self._case_masks(ctx, filters)
        if total is None:
            total = self._case_total(ctx, filters)  # a store built before the masks
        if total is not None:
            return total, None
        if "cases" not in self.tables:
            # no dataset_id, or an increment took the experiments past the case bits
            return None, "no distinct-cases table"
        why = unanswerable(filters, case_keys(self.keys), self.cases_day)
        if why:
            return None, why
        c, rest = self.tables["cases"], filters
        if "mask" in c.columns and EXPERIMENT in (filters or {}):  # folded cases: a bit test
            sel = case_masks.selection(filters[EXPERIMENT], self.meta["case_bits"])
            if sel is None:
                return None, f"filters.{EXPERIMENT} is not text or a list of text"
            rest = {k: v for k, v in filters.items() if k != EXPERIMENT}

        def make():
            t = c if rest is filters else c.filter((c.mask & sel) != 0)
            t = apply_filters(t, rest)
            return t.aggregate(n=t.dataset_id.nunique())

        return int(ctx.records(self._memo(("cases", filters), make))[0]["n"] or 0), None

    def _case_masks(self, ctx, filters) -> int | None:
        """The count from the case masks (:mod:`.case_masks`): any set of experiments (when
        they have bits), with at most one other key equal to one text value or NULL."""
        if "case_masks" not in self.tables or not isinstance(filters, (dict, type(None))):
            return None
        meta = self.meta.get("case_masks") or {}
        exps = meta.get("experiments")
        items = {k: v for k, v in (filters or {}).items() if not (k in TIME_FILTERS and v is None)}
        sel = None
        if exps and EXPERIMENT in items:
            # an empty list is the raw path's error; NULL has no bit in the masks
            sel = case_masks.selection(items.pop(EXPERIMENT), exps, null_bit=False)
            if sel is None:
                return None
        if len(items) > 1:
            return None
        key = value = None
        if items:
            ((key, value),) = items.items()
            if isinstance(value, (list, tuple)) and len(value) == 1:
                value = value[0]
            if key not in meta.get("keys", ()) or not (value is None or isinstance(value, str)):
                return None
            if not ctx.table("scores")[key].type().is_string():
                return None  # a text value would not compare as the raw path's typed one
        t = self.tables["case_masks"]

        def make():
            cond = t.key.isnull() if key is None else (
                (t.key == key) & (t.value.isnull() if value is None else t.value == value))
            if sel is not None:
                cond = cond & ((t.mask & sel) != 0)
            return t.filter(cond).aggregate(n=t.n.sum())

        rows = ctx.records(self._memo(("case_masks", key, value, sel), make))
        n = rows[0]["n"] if rows else None
        return 0 if n is None or n != n else int(n)  # the sum of no rows: NULL (NaN in pandas)

    def _case_total(self, ctx, filters) -> int | None:
        """The count from the case totals of a store built before the case masks: no
        filter, or one key equal to one string (``%axis summaries build`` replaces them)."""
        if "case_totals" not in self.tables or not isinstance(filters, (dict, type(None))):
            return None
        items = [(k, v) for k, v in (filters or {}).items() if not (k in TIME_FILTERS and v is None)]
        if len(items) > 1:
            return None
        key = value = None
        if items:
            key, value = items[0]
            if isinstance(value, (list, tuple)) and len(value) == 1:
                value = value[0]
            if key in TIME_FILTERS or not isinstance(value, str):
                return None
        t = self.tables["case_totals"]
        cond = (t.key.isnull() & t.value.isnull()) if key is None else ((t.key == key) & (t.value == value))
        rows = ctx.records(self._memo(("case_total", key, value), lambda: t.filter(cond).select("n")))
        return int(rows[0]["n"]) if rows else 0

    def _node_meta(self, ctx):
        return ctx.records(self.tables["nodes"]), None

    def _quantiles(self, ctx, metric=None, filters=None, by=None):
        by, metrics = as_list(by), as_list(metric)
        if "bins" not in self.tables:
            return None, "no fine bins (too many groups)"
        # the fine bins have their own keys (those that keep them small) and no day
        why = unanswerable(filters, list(self.meta["bin_keys"]), False, tuple(by))
        if why:
            return None, why
        group = [*by, "metric_name"]

        def narrowed(role):
            t = apply_filters(self.tables[role], filters)
            return t.filter(t.metric_name.isin(metrics)) if metrics else t

        def make():
            s = narrowed("stats")
            b = narrowed("bins")
            stats = s.group_by(group).aggregate(count=s.n.sum(), total=s.total.sum(),
                                                sumsq=s.sumsq.sum(), min=s["min"].min(),
                                                max=s["max"].max())
            return stats, b.group_by([*group, "_fbin"]).aggregate(n=b.n.sum())

        stats_expr, bins_expr = self._memo(("quantiles", filters, metrics, by), make)
        stats = ctx.execute(stats_expr)
        counted = stats[stats["count"].fillna(0).astype("int64") > 0]
        if ((counted["min"].astype(float) < 0) | (counted["max"].astype(float) > 1)).any():
            return None, "scores outside [0, 1] (the fine bins cover [0, 1])"
        stats["count"] = stats["count"].fillna(0).astype("int64")
        n = stats["count"].to_numpy()
        total = stats["total"].astype(float).fillna(0).to_numpy()
        sumsq = stats["sumsq"].astype(float).fillna(0).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(n > 0, total / n, np.nan)
            var = np.maximum((sumsq - total * total / n) / (n - 1), 0.0)
        stats["mean"] = mean  # NaN for an empty group, as the raw frame has
        stats["std"] = np.where(n > 1, np.sqrt(var), np.nan)
        stats["min"] = stats["min"].astype(float)
        stats["max"] = stats["max"].astype(float)
        out = quantiles(stats, ctx.execute(bins_expr), group, QUARTILES)
        cols = ["metric_name", *by, "count", "mean", "std", "min", *QUARTILES, "max"]
        return out[cols].sort_values([*by, "metric_name"], na_position="last", kind="stable",
                                     ignore_index=True), None

    def _scores(self, ctx, filters, by, category):
        """(the stats or days table filtered as the raw score analytics filter the rows:
        ``filters`` and the metric category, SCORE matching NULL), None) or (None, why)."""
        role, keys = self._stats_for(filters)
        why = self.unanswerable(filters, role, keys, by)
        if why:
            return None, why
        t = apply_filters(self.tables[role], filters)
        if category and "metric_category" in ctx.table("scores").columns:
            if "metric_category" not in keys:
                return None, "metric_category is not a summary key"
            c = str(category).upper()
            t = t.filter(t.metric_category.isnull() | (t.metric_category == "SCORE")) \
                if c == "SCORE" else t.filter(t.metric_category == c)
        elif category and str(category).upper() != "SCORE":
            return None, f"no metric_category column for {category}"
        return t, None

    def _pass_rates(self, ctx, threshold=None, by=None, filters=None, metric_category="SCORE"):
        by = as_list(by)
        col = self._passes(threshold)
        if col is None:
            return None, f"threshold {threshold} is not summarised"
        t, why = self._scores(ctx, filters, by, metric_category)
        if why:
            return None, why
        df = binned.frame(self._metric_sums(ctx, t, filters, col, metric_category, by))
        n = df["count"].fillna(0).astype("int64")
        with np.errstate(divide="ignore", invalid="ignore"):
            df["pass_rate"] = np.where(n > 0, df["passes"].astype(float) / n, np.nan)
            df["avg"] = np.where(n > 0, df["total"].astype(float) / n, np.nan)
        df["count"] = n
        out = df[["metric_name", *by, "count", "pass_rate", "avg"]]
        return out.sort_values(["metric_name", *by], kind="stable", ignore_index=True), None

    def _score_summary(self, ctx, filters=None, threshold=None):
        if int(self.meta.get("unnamed_rows", -1)) != 0:  # the KPIs count rows without a metric too
            return None, "rows without a metric_name (the summaries leave them out)"
        col = self._passes(threshold)
        if col is None:
            return None, f"threshold {threshold} is not summarised"
        t, why = self._scores(ctx, filters, (), "SCORE")
        if why:
            return None, why
        sums = self._metric_sums(ctx, t, filters, col, "SCORE")
        n = int(np.nansum(binned.floats(sums["count"])))
        total, passes = (float(np.nansum(binned.floats(sums[c]))) for c in ("total", "passes"))
        return {"scores": n, "avg_score": total / n if n else None,
                "pass_rate": passes / n if n else None}, None

    def _metric_sums(self, ctx, t, filters, col: str, category, by=()) -> dict:
        """Per metric (and ``by``) of the filtered stats ``t``: count, passes (``col``),
        total. One memoised expression for the KPIs and the pass rates, so a payload showing
        both reads it once (``ctx.arrays``)."""
        key = ("metric_sums", filters, tuple(by), col, str(category or "").upper())
        return ctx.arrays(self._memo(key, lambda: t.group_by(["metric_name", *by]).aggregate(
            count=t.n.sum(), passes=t[col].sum(), total=t.total.sum())))


class _Off:
    """The planner of a store whose summaries are switched off (``AXIS_SUMMARIES=off``):
    every request reads the raw rows, and the timing says why."""

    def answer(self, ctx, what: str, **request) -> tuple[Any, str | None]:
        return None, "AXIS_SUMMARIES is off"


OFF = _Off()
