"""Head-to-head comparison of two experiments (``evaluation_name`` values) with statistics.

Everything that touches rows is an Ibis expression run where the data lives (DuckDB, or any
other Ibis backend); Python only evaluates closed-form formulas on one small row per metric.

Unit of analysis
----------------
The *test case* (``dataset_id``). Scores are first averaged per (metric, case, experiment), so
a case scored twice by the same experiment counts once. Rows with a null ``dataset_id``,
metric name or score (or a NaN score) are ignored. Datasets without a ``dataset_id`` column
use their record id, which never pairs, so they get Welch's test.

Which test
----------
``paired=None`` (default) decides from the data: the comparison is *paired* when at least two
cases were scored by both experiments and those shared cases are at least half of the
larger group; then

* ``p_value`` is the paired t-test on the per-case differences (challenger - baseline) of
  the shared cases (``scipy.stats.ttest_rel``); ``ci_low``/``ci_high`` is the paired CI of the
  mean difference ``mean_diff``;
* ``wilcoxon_p`` is the Wilcoxon signed-rank test on the same differences (zeros dropped,
  Wilcoxon's method; ranks of |d| with ties averaged). The signed-rank sum W+ and the tie
  term sum(t^3 - t) are computed in SQL (a group-by on |d| and a running sum gives the average
  ranks without sorting every row twice). For more than 50 pairs the p-value is the normal
  approximation with the tie correction, without continuity correction - what
  ``scipy.stats.wilcoxon`` does by default for n > 50. For 50 pairs or fewer the (at most 50)
  differences are fetched and ``scipy.stats.wilcoxon`` runs on them (exact distribution, or
  an exhaustive permutation test when there are ties or zeros).

Otherwise ``test`` is ``"welch"``: Welch's unequal-variance t-test on all cases of each side
(``scipy.stats.ttest_ind(equal_var=False)``) with the Welch-Satterthwaite CI.

``p_value_adjusted`` is Holm's step-down correction across the metrics that have a p-value;
``significant`` is ``p_value_adjusted < alpha``. ``cohens_d`` is (challenger_mean -
baseline_mean) / pooled sample standard deviation for both tests, so its size labels
(|d| < 0.2 negligible, < 0.5 small, < 0.8 medium, else large) mean the same thing whichever test
ran. ``pct_change`` is a fraction (0.05 = +5 %) of |baseline_mean|, like every rate in AXIS.

Degenerate inputs never raise: a metric scored by one experiment only, a single case, or
zero variance give null statistics (or p = 1 when both sides are identical, p = 0 for a
constant non-zero difference) and say why in ``note``.

Modules: :mod:`.pairing` (the pair and its per-case scores), :mod:`.compare_stats` (the
tests), :mod:`.compare_cases` (win/loss, case diff), :mod:`.compare_export` (text
formats); this module holds the ``compare``, ``experiments``, ``agreement`` and ``export``
analytics and keeps the names of the others importable from here.
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd

from ..errors import QueryError
from .compare_cases import OUTCOMES, SORTS, case_diff, paired_scores, win_loss  # noqa: F401
from .compare_export import (export_csv, export_json, export_markdown, records,  # noqa: F401
                             verdict)
from .compare_stats import (COMPARE_COLUMNS, SMALL_WILCOXON_N, _i, effect_label, finish,  # noqa: F401
                            holm, stars)
from .context import AnalyticContext, dialect_of
from .evals import _threshold, as_list
from .pairing import (_int, _num, _ones, _valid_scores, case_key, case_overall,  # noqa: F401
                      case_scores, experiments_of, outcome_expr, resolve_pair)

MAX_EXPERIMENTS = 20


MAX_WIDE_METRICS = 64  # the one-pass pivot by case holds two aggregates per metric


def metric_names(ctx: AnalyticContext, experiments: list[str], metrics=None, filters=None) -> list[str]:
    """The metrics to compare: those requested, else every metric of the experiments."""
    metrics = as_list(metrics)
    if metrics:
        return sorted(dict.fromkeys(str(m) for m in metrics))
    known = ctx.info.get("metrics") if not filters else None
    if known and len(known) < 200:  # the metadata keeps at most 200 values
        return sorted(str(m) for m in known)
    t, _ = _valid_scores(ctx, filters, None, experiments)
    df = ctx.execute(t.select("metric_name").distinct())
    return sorted(str(m) for m in df["metric_name"])


def paired_long(ctx: AnalyticContext, baseline: str, challenger: str, metrics: list[str],
                filters=None) -> ibis.Table:
    """(metric_name, b, c): one row per metric and case, like :func:`case_scores` without the
    case id, built the fast way for up to MAX_WIDE_METRICS metrics.

    Grouping 10M rows by (metric, case) means millions of groups keyed by two strings. Instead
    each row gets its metric's index and the rows are grouped by (case, side), with one
    filtered mean per metric; the two sides are joined by case (an outer join: a case that
    one side did not score gets NULLs there) and unpivoted with UNION ALL. Grouping by case
    alone with one filtered mean per (metric, side) evaluates twice the filters per row and
    was about 15% slower on 10 M rows.

    On Spark the plain (metric, case) grouping is used instead: Spark does not materialise
    a relation that the unpivot branches share, so each UNION ALL branch repeats the
    grouping and the outer join (20 of each for 10 metrics, and a plan Spark takes seconds
    to optimise). There the long form was 7x faster (2 M rows, local[2]: 4.8 s against
    33 s; the wide form's 10 M-row compare ran more than 4 minutes)."""
    if not metrics or len(metrics) > MAX_WIDE_METRICS or \
            dialect_of(ctx.table("scores")) == "pyspark":
        k = case_scores(ctx, baseline, challenger, metrics or None, filters)
        return k.select("metric_name", "b", "c")
    t, key = _valid_scores(ctx, filters, metrics, [baseline, challenger])
    n = len(metrics)
    idx = ibis.cases(*[(t.metric_name == m, i) for i, m in enumerate(metrics)], else_=-1)
    t = t.select(case_id=t[key], s=t.metric_score, m=idx,
                 side=ibis.ifelse(t.evaluation_name == challenger, 1, 0))
    p = t.group_by(["case_id", "side"]).aggregate(**{f"a{i}": t.s.mean(where=t.m == i) for i in range(n)})
    pb = p.filter(p.side == 0)
    pc = p.filter(p.side == 1)
    pb = pb.select("case_id", **{f"b{i}": pb[f"a{i}"] for i in range(n)})
    pc = pc.select(cid=pc.case_id, **{f"c{i}": pc[f"a{i}"] for i in range(n)})
    # The projection after the join makes it one relation that every unpivot branch reads
    # (the compiler then emits it once, as a CTE, instead of one join per branch).
    j = pb.join(pc, pb.case_id == pc.cid, how="outer")
    j = j.select(*[f"b{i}" for i in range(n)], *[f"c{i}" for i in range(n)])
    parts = [j.select(metric_name=ibis.literal(m, "string"), b=j[f"b{i}"], c=j[f"c{i}"])
             for i, m in enumerate(metrics)]
    return ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]


def aggregates_expr(k: ibis.Table) -> ibis.Table:
    """Per metric, everything the tests need, in one Ibis expression over (metric_name, b, c).

    Two groupings of the same pairs, joined by metric: the moments of b, c and d = c - b per
    metric, and the Wilcoxon rank statistics from one grouping by (metric, |d|) of the
    non-zero differences, where a window adds the running count (average rank of a tie
    group = running count - (ties - 1) / 2) before the last grouping sums W+ and the tie
    term sum(t^3 - t). (Carrying the moments through the |d| grouping instead, merged with
    Chan's formula, reads the pairs once but took 25% longer on 10 M rows.)"""
    d = k.c - k.b
    mo = k.group_by("metric_name").aggregate(
        n_b=k.b.count(), mean_b=k.b.mean(), var_b=k.b.var(),
        n_c=k.c.count(), mean_c=k.c.mean(), var_c=k.c.var(),
        n_p=d.count(), mean_d=d.mean(), var_d=d.var())
    nz = k.filter(k.c != k.b)  # both scored and different (NULLs drop out)
    g = nz.group_by(["metric_name", (nz.c - nz.b).abs().name("ad")]).aggregate(
        t=nz.count(), npos=_ones(nz.c > nz.b).sum())
    cum = ibis.window(group_by="metric_name", order_by="ad", rows=(None, 0))
    g = g.mutate(cum=g.t.sum().over(cum), tf=g.t.cast("float64"))
    rank = g.cum.cast("float64") - (g.tf - 1.0) / 2.0
    w = g.group_by("metric_name").aggregate(
        n_nz=g.t.sum(), w_plus=(g.npos.cast("float64") * rank).sum(),
        ties=(g.tf * g.tf * g.tf - g.tf).sum())
    out = mo.left_join(w, "metric_name")
    return out.select(
        "metric_name", "n_b", "mean_b", "var_b", "n_c", "mean_c", "var_c", "n_p", "mean_d", "var_d",
        n_nz=out.n_nz.fill_null(0), w_plus=out.w_plus, ties=out.ties).order_by("metric_name")


def compare(ctx: AnalyticContext, baseline=None, challenger=None, metrics=None, filters=None,
            alpha: float = 0.05, paired: bool | None = None) -> pd.DataFrame:
    """Per metric, challenger vs baseline: metric_name, baseline, challenger, baseline_mean,
    challenger_mean, delta, pct_change, mean_diff, test, statistic, df, p_value,
    p_value_adjusted (Holm), significant, stars, wilcoxon_stat, wilcoxon_p, cohens_d,
    effect_size, ci_low, ci_high, baseline_std, challenger_std, n_baseline, n_challenger,
    n_pairs, note. See the module docstring for the tests and their conventions."""
    alpha = _num(alpha, "alpha", 1e-9, 0.5)
    if isinstance(paired, str):
        paired = {"auto": None, "true": True, "false": False}.get(paired.lower(), paired)
    if paired not in (None, True, False):
        raise QueryError("paired must be true, false or null (auto).")
    baseline, challenger = resolve_pair(ctx, baseline, challenger, filters)
    names = metric_names(ctx, [baseline, challenger], metrics, filters)
    agg = ctx.execute(aggregates_expr(paired_long(ctx, baseline, challenger, names, filters)))
    small: dict[str, np.ndarray] = {}
    if paired is not False:
        need = agg[(agg["n_p"].fillna(0) >= 1) & (agg["n_p"].fillna(0) <= SMALL_WILCOXON_N)
                   & (agg["n_nz"].fillna(0) > 0)]["metric_name"].tolist()
        if need:
            k = case_scores(ctx, baseline, challenger, need, filters)
            d = k.c - k.b
            rows = ctx.execute(k.filter(k.metric_name.isin(need), d.notnull()).select(
                "metric_name", "case_id", d=d).order_by(["metric_name", "case_id"]))
            small = {m: g["d"].to_numpy(dtype="float64") for m, g in rows.groupby("metric_name")}
    requested = as_list(metrics)
    return finish(agg, baseline, challenger, alpha=alpha, paired=paired, small_diffs=small,
                  all_metrics=requested)


def experiments(ctx: AnalyticContext, threshold=None, metrics=None, filters=None) -> pd.DataFrame:
    """Experiment summary grid: evaluation_name, metric_name, count, mean, std, min, max,
    pass_rate (0-1), and per experiment cases (distinct test cases) and experiment_mean (the
    mean over its cases of each case's mean score)."""
    from .evals import summary

    th = _threshold(threshold)
    grid = summary(ctx, threshold=th, by=["evaluation_name"], filters=filters, metrics=metrics)
    exps = experiments_of(ctx, filters)
    t, key = _valid_scores(ctx, filters, metrics, exps or [""])
    per_case = t.group_by(["evaluation_name", key]).aggregate(s=t.metric_score.mean())
    tot = ctx.execute(per_case.group_by("evaluation_name").aggregate(
        cases=per_case.count(), experiment_mean=per_case.s.mean()))
    grid = grid.merge(tot, on="evaluation_name", how="left")
    grid["cases"] = grid["cases"].fillna(0).astype("int64")
    return grid[["evaluation_name", "metric_name", "count", "mean", "std", "min", "max", "pass_rate",
                 "cases", "experiment_mean"]].sort_values(["evaluation_name", "metric_name"],
                                                          ignore_index=True)


def agreement(ctx: AnalyticContext, threshold=None, metrics=None, filters=None,
              experiments=None) -> pd.DataFrame:
    """Pairwise pass/fail agreement between experiments over the (case, metric) pairs both
    scored: experiment_a, experiment_b, n, agreement (0-1), both_pass, both_fail, a_only,
    b_only, kappa (Cohen's). Pass means score >= ``threshold`` (default 0.5); the diagonal is
    included (agreement 1) so the rows draw a full heatmap."""
    th = _threshold(threshold)
    exps = as_list(experiments) or experiments_of(ctx, filters)
    if exps and "evaluation_name" not in ctx.table("full").columns:
        raise QueryError("this dataset has no evaluation_name column, so there are no "
                         "experiments to compare.")
    if len(exps) > MAX_EXPERIMENTS:
        raise QueryError(f"agreement takes at most {MAX_EXPERIMENTS} experiments; pass experiments=[...].")
    cols = ["experiment_a", "experiment_b", "n", "agreement", "both_pass", "both_fail", "a_only",
            "b_only", "kappa"]
    if len(exps) < 2:
        return pd.DataFrame(columns=cols)
    t, key = _valid_scores(ctx, filters, metrics, exps)
    p = t.group_by(["metric_name", key]).aggregate(
        **{f"e{i}": t.metric_score.mean(where=t.evaluation_name == e) for i, e in enumerate(exps)})
    aggs = {}
    for i in range(len(exps)):
        for j in range(i + 1, len(exps)):
            a, b = p[f"e{i}"], p[f"e{j}"]
            both = a.notnull() & b.notnull()
            pa, pb = a >= th, b >= th
            aggs[f"pp_{i}_{j}"] = _ones(both & pa & pb).sum()
            aggs[f"ff_{i}_{j}"] = _ones(both & ~pa & ~pb).sum()
            aggs[f"pf_{i}_{j}"] = _ones(both & pa & ~pb).sum()
            aggs[f"fp_{i}_{j}"] = _ones(both & ~pa & pb).sum()
    row = ctx.execute(p.aggregate(**aggs)).iloc[0]
    out = []
    for i, ea in enumerate(exps):
        for j, eb in enumerate(exps):
            if i == j:
                out.append({"experiment_a": ea, "experiment_b": eb, "n": None, "agreement": 1.0,
                            "both_pass": None, "both_fail": None, "a_only": None, "b_only": None,
                            "kappa": 1.0})
                continue
            lo, hi = min(i, j), max(i, j)
            pp, ff = _i(row[f"pp_{lo}_{hi}"]), _i(row[f"ff_{lo}_{hi}"])
            pf, fp = _i(row[f"pf_{lo}_{hi}"]), _i(row[f"fp_{lo}_{hi}"])
            if i > j:
                pf, fp = fp, pf
            n = pp + ff + pf + fp
            agree = (pp + ff) / n if n else math.nan
            pa, pb = ((pp + pf) / n, (pp + fp) / n) if n else (math.nan, math.nan)
            pe = pa * pb + (1 - pa) * (1 - pb) if n else math.nan
            kappa = (agree - pe) / (1 - pe) if n and pe < 1 else (1.0 if n and agree == 1 else math.nan)
            out.append({"experiment_a": ea, "experiment_b": eb, "n": n, "agreement": agree,
                        "both_pass": pp, "both_fail": ff, "a_only": pf, "b_only": fp, "kappa": kappa})
    return pd.DataFrame(out, columns=cols)


def export(ctx: AnalyticContext, baseline=None, challenger=None, format: str = "markdown",
           metrics=None, filters=None, alpha: float = 0.05, tie_band: float = 0.01) -> str:
    """The comparison as text: ``format`` csv | json | markdown."""
    fmt = (format or "").lower()
    if fmt in ("md",):
        fmt = "markdown"
    if fmt not in ("csv", "json", "markdown"):
        raise QueryError("format must be csv, json or markdown.")
    res = compare(ctx, baseline, challenger, metrics=metrics, filters=filters, alpha=alpha)
    if fmt == "csv":
        return export_csv(res)
    wins = win_loss(ctx, baseline, challenger, metrics=metrics, filters=filters, tie_band=tie_band)
    if fmt == "json":
        b, c = res["baseline"].iloc[0] if len(res) else baseline, res["challenger"].iloc[0] if len(res) else challenger
        return export_json(res, wins, baseline=b, challenger=c, alpha=alpha, tie_band=tie_band,
                           verdict=verdict(res) if len(res) else None)
    return export_markdown(res, wins)
