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
"""

from __future__ import annotations

import json
import math
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..errors import QueryError
from .context import AnalyticContext
from .evals import _threshold, as_list, scores_table
from .registry import register

EVAL_KINDS = ("evals", "monitoring", "signals")
SMALL_WILCOXON_N = 50  # <= this many pairs: scipy on the fetched differences
MAX_EXPERIMENTS = 20

COMPARE_COLUMNS = [
    "metric_name", "baseline", "challenger", "baseline_mean", "challenger_mean", "delta",
    "pct_change", "mean_diff", "test", "statistic", "df", "p_value", "p_value_adjusted",
    "significant", "stars", "wilcoxon_stat", "wilcoxon_p", "cohens_d", "effect_size", "ci_low",
    "ci_high", "baseline_std", "challenger_std", "n_baseline", "n_challenger", "n_pairs", "note",
]


# ------------------------------------------------------------------ shared building blocks
def case_key(t: ibis.Table) -> str:
    if "dataset_id" in t.columns:
        return "dataset_id"
    if "_axis_rid" in t.columns:
        return "_axis_rid"
    raise QueryError("this dataset has no dataset_id column to identify test cases.")


def experiments_of(ctx: AnalyticContext, filters: dict | None = None) -> list[str]:
    """The experiments (distinct evaluation_name values), sorted."""
    if not filters:
        known = (ctx.info.get("filter_values") or {}).get("evaluation_name")
        if known:
            return list(known)
    t = scores_table(ctx, filters)
    if "evaluation_name" not in t.columns:
        return []
    df = ctx.execute(t.filter(t.evaluation_name.notnull()).select("evaluation_name").distinct())
    return sorted(str(v) for v in df["evaluation_name"])


def resolve_pair(ctx: AnalyticContext, baseline, challenger, filters=None) -> tuple[str, str]:
    """Check (or, with exactly two experiments, choose) the baseline and the challenger."""
    t = ctx.table("scores")
    if "evaluation_name" not in t.columns:
        raise QueryError("this dataset has no evaluation_name column, so there are no experiments "
                         "to compare.")
    exps = experiments_of(ctx, filters)
    if baseline is None and challenger is None and len(exps) == 2:
        return exps[0], exps[1]
    if baseline is None or challenger is None:
        raise QueryError("pass baseline= and challenger= (experiments: "
                         f"{', '.join(exps) or 'none'}).")
    baseline, challenger = str(baseline), str(challenger)
    if baseline == challenger:
        raise QueryError(f"baseline and challenger are both {baseline!r}; pick two different experiments.")
    if exps and not filters:
        for role, name in (("baseline", baseline), ("challenger", challenger)):
            if name not in exps:
                raise QueryError(f"{role} {name!r} is not an experiment of this dataset "
                                 f"(experiments: {', '.join(exps)}).")
    return baseline, challenger


def _valid_scores(ctx, filters, metrics, experiments: list[str], *extra: str) -> tuple[ibis.Table, str]:
    t = scores_table(ctx, filters, *extra)
    key = case_key(t)
    s = t.metric_score
    t = t.filter(t.evaluation_name.isin(experiments), t.metric_name.notnull(), s.notnull(),
                 ~s.isnan(), t[key].notnull())
    metrics = as_list(metrics)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    return t, key


def case_scores(ctx: AnalyticContext, baseline: str, challenger: str, metrics=None,
                filters=None) -> ibis.Table:
    """Ibis table: one row per (metric_name, case_id) with ``b`` and ``c``, the baseline's and
    the challenger's mean score of that case (null when that side did not score it)."""
    t, key = _valid_scores(ctx, filters, metrics, [baseline, challenger])
    is_b = t.evaluation_name == baseline
    return t.group_by(["metric_name", t[key].cast("string").name("case_id")]).aggregate(
        b=t.metric_score.mean(where=is_b), c=t.metric_score.mean(where=~is_b))


def case_overall(k: ibis.Table) -> ibis.Table:
    """Per case: the mean over the metrics both sides scored (``baseline_score``,
    ``challenger_score``), their difference and the number of shared metrics."""
    both = k.b.notnull() & k.c.notnull()
    o = k.group_by("case_id").aggregate(
        baseline_score=k.b.mean(where=both), challenger_score=k.c.mean(where=both),
        n_metrics=_ones(both).sum(),
        baseline_only=_ones(k.b.notnull() & k.c.isnull()).sum(),
        challenger_only=_ones(k.c.notnull() & k.b.isnull()).sum())
    return o.mutate(delta=o.challenger_score - o.baseline_score)


def outcome_expr(delta, tie_band: float):
    """'challenger' when delta > tie_band, 'baseline' when delta < -tie_band, else 'tie'."""
    return ibis.cases((delta > tie_band, "challenger"), (delta < -tie_band, "baseline"),
                      else_="tie")


def _ones(cond):
    """1 where ``cond`` holds, else 0 (portable: PostgreSQL cannot cast boolean to bigint)."""
    return ibis.ifelse(cond, 1, 0)


def _num(value, name: str, lo: float | None = None, hi: float | None = None) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise QueryError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        raise QueryError(f"{name} must be between {lo} and {hi}, got {value!r}.")
    return v


def _int(value, name: str, lo: int, hi: int) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise QueryError(f"{name} must be an integer, got {value!r}.") from None
    if not lo <= v <= hi:
        raise QueryError(f"{name} must be between {lo} and {hi}, got {v}.")
    return v


# ------------------------------------------------------------------ statistics
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
    was about 15% slower on 10 M rows."""
    if not metrics or len(metrics) > MAX_WIDE_METRICS:
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


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and is not counted)."""
    p = np.asarray(p_values, dtype="float64")
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="mergesort")]
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        out[idx] = running
    return out


def effect_label(d) -> str | None:
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return None
    a = abs(d)
    return "negligible" if a < 0.2 else "small" if a < 0.5 else "medium" if a < 0.8 else "large"


def stars(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _f(v) -> float:
    """A value from an aggregate row as float (None/NA -> NaN)."""
    if v is None or v is pd.NA:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _i(v) -> int:
    f = _f(v)
    return 0 if math.isnan(f) else int(f)


def _t_test(diff: float, se: float, df: float, alpha: float):
    """(statistic, p, ci_low, ci_high) of a t-test with standard error ``se``."""
    from scipy import stats

    if se == 0 or math.isnan(se):
        if math.isnan(se):
            return math.nan, math.nan, math.nan, math.nan
        if diff == 0:
            return 0.0, 1.0, diff, diff
        return math.copysign(math.inf, diff), 0.0, diff, diff
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    h = float(stats.t.ppf(1 - alpha / 2, df)) * se
    return t, min(p, 1.0), diff - h, diff + h


def _wilcoxon_normal(n_nz: int, w_plus: float, ties: float) -> tuple[float, float]:
    """(min(W+, W-), two-sided p) by the normal approximation with the tie correction."""
    from scipy import stats

    mn = n_nz * (n_nz + 1) / 4.0
    var = (n_nz * (n_nz + 1) * (2 * n_nz + 1) - ties / 2.0) / 24.0
    w_minus = n_nz * (n_nz + 1) / 2.0 - w_plus
    if var <= 0:
        return min(w_plus, w_minus), 1.0
    z = (w_plus - mn) / math.sqrt(var)
    return min(w_plus, w_minus), float(min(1.0, 2 * stats.norm.sf(abs(z))))


def finish(agg: pd.DataFrame, baseline: str, challenger: str, *, alpha: float = 0.05,
           paired: bool | None = None, small_diffs: dict[str, np.ndarray] | None = None,
           all_metrics: list[str] | None = None) -> pd.DataFrame:
    """The closed-form part: one output row per metric from the aggregates of
    :func:`aggregates_expr` (also used by the benchmark's hand-written SQL path)."""
    from scipy import stats

    small_diffs = small_diffs or {}
    rows = []
    by_name = {r["metric_name"]: r for r in agg.to_dict("records")}
    names = sorted(set(by_name) | set(all_metrics or []))
    for name in names:
        r = by_name.get(name, {})
        n_b, n_c, n_p = _i(r.get("n_b")), _i(r.get("n_c")), _i(r.get("n_p"))
        m_b, m_c = _f(r.get("mean_b")), _f(r.get("mean_c"))
        v_b, v_c = _f(r.get("var_b")), _f(r.get("var_c"))
        notes: list[str] = []
        out = {"metric_name": name, "baseline": baseline, "challenger": challenger,
               "baseline_mean": m_b if n_b else math.nan, "challenger_mean": m_c if n_c else math.nan,
               "n_baseline": n_b, "n_challenger": n_c, "n_pairs": n_p,
               "baseline_std": math.sqrt(v_b) if n_b > 1 and v_b >= 0 else math.nan,
               "challenger_std": math.sqrt(v_c) if n_c > 1 and v_c >= 0 else math.nan}
        nan_stats = dict(delta=math.nan, pct_change=math.nan, mean_diff=math.nan, test=None,
                         statistic=math.nan, df=math.nan, p_value=math.nan, wilcoxon_stat=math.nan,
                         wilcoxon_p=math.nan, cohens_d=math.nan, ci_low=math.nan, ci_high=math.nan)
        out.update(nan_stats)
        if n_b == 0 or n_c == 0:
            missing = [f"baseline {baseline!r}" if n_b == 0 else None,
                       f"challenger {challenger!r}" if n_c == 0 else None]
            missing = [m for m in missing if m]
            if len(missing) == 2:
                notes.append("no scores in either experiment")
            else:
                notes.append(f"metric scored by one experiment only: no scores in {missing[0]}")
            out["note"] = "; ".join(notes)
            rows.append(out)
            continue
        delta = m_c - m_b
        out["delta"] = delta
        out["pct_change"] = delta / abs(m_b) if m_b != 0 else math.nan
        # Cohen's d with the pooled sample standard deviation (a single case adds no spread).
        dof = n_b + n_c - 2
        if dof > 0:
            ss = (n_b - 1) * (v_b if n_b > 1 else 0.0) + (n_c - 1) * (v_c if n_c > 1 else 0.0)
            sp = math.sqrt(max(ss, 0.0) / dof)
            if sp > 0:
                out["cohens_d"] = delta / sp
            elif delta == 0:
                out["cohens_d"] = 0.0
            else:
                notes.append("no variance in either experiment: Cohen's d is undefined")
        use_paired = paired
        if use_paired is None:
            use_paired = n_p >= 2 and n_p >= 0.5 * max(n_b, n_c)
        elif use_paired and n_p < 2:
            notes.append(f"only {n_p} shared case(s): fell back to Welch's test")
            use_paired = False
        if use_paired:
            out["test"] = "paired_t"
            m_d, v_d = _f(r.get("mean_d")), _f(r.get("var_d"))
            out["mean_diff"] = m_d
            se = math.sqrt(v_d / n_p) if v_d >= 0 else math.nan
            t, p, lo, hi = _t_test(m_d, se, n_p - 1, alpha)
            out.update(statistic=t, df=float(n_p - 1), p_value=p, ci_low=lo, ci_high=hi)
            if se == 0:
                notes.append("identical scores in both experiments" if m_d == 0 else
                             "every case differs by the same amount (zero variance of the differences)")
            if n_p < max(n_b, n_c):
                notes.append(f"paired on the {n_p} cases scored by both")
            # Wilcoxon signed-rank
            n_nz = _i(r.get("n_nz"))
            if n_nz == 0:
                out["wilcoxon_stat"], out["wilcoxon_p"] = 0.0, 1.0
            elif n_p > SMALL_WILCOXON_N:
                out["wilcoxon_stat"], out["wilcoxon_p"] = _wilcoxon_normal(
                    n_nz, _f(r.get("w_plus")), _f(r.get("ties")) if not math.isnan(_f(r.get("ties"))) else 0.0)
            elif name in small_diffs:
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = stats.wilcoxon(small_diffs[name])
                out["wilcoxon_stat"], out["wilcoxon_p"] = float(res.statistic), float(res.pvalue)
        else:
            out["test"] = "welch"
            out["mean_diff"] = delta
            if n_b < 2 or n_c < 2:
                notes.append("Welch's test needs at least 2 cases in each experiment "
                             f"(baseline has {n_b}, challenger {n_c})")
            else:
                a, b = v_b / n_b, v_c / n_c
                se = math.sqrt(a + b)
                denom = (a * a / (n_b - 1) if a else 0.0) + (b * b / (n_c - 1) if b else 0.0)
                df = (a + b) ** 2 / denom if denom > 0 else math.nan
                t, p, lo, hi = _t_test(delta, se, df, alpha)
                out.update(statistic=t, df=df, p_value=p, ci_low=lo, ci_high=hi)
                if se == 0:
                    notes.append("no variance in either experiment")
        out["note"] = "; ".join(notes) or None
        rows.append(out)
    if not rows:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    df = pd.DataFrame(rows)
    df["p_value_adjusted"] = holm(df["p_value"].to_numpy(dtype="float64"))
    df["significant"] = (df["p_value_adjusted"] < alpha).fillna(False).astype(bool)
    df["stars"] = [stars(p) for p in df["p_value"]]
    df["effect_size"] = [effect_label(d) for d in df["cohens_d"]]
    return df[COMPARE_COLUMNS].reset_index(drop=True)


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


# ------------------------------------------------------------------ case level
def win_loss(ctx: AnalyticContext, baseline=None, challenger=None, metrics=None, filters=None,
             tie_band: float = 0.01, level: str = "case") -> pd.DataFrame:
    """Who wins each test case: outcome (challenger | baseline | tie), experiment, cases,
    share (0-1), mean_delta, mean_abs_delta; with ``level="metric"`` also per metric_name.

    A case's score is the mean over the metrics both experiments scored for it; the
    challenger wins when its score beats the baseline's by more than ``tie_band``."""
    tie_band = _num(tie_band, "tie_band", 0.0, 1e9)
    if level not in ("case", "metric"):
        raise QueryError("level must be 'case' or 'metric'.")
    baseline, challenger = resolve_pair(ctx, baseline, challenger, filters)
    k = case_scores(ctx, baseline, challenger, metrics, filters)
    if level == "case":
        o = case_overall(k)
        o = o.filter(o.n_metrics > 0)
        keys: list[str] = []
    else:
        o = k.filter(k.b.notnull() & k.c.notnull())
        o = o.mutate(delta=o.c - o.b)
        keys = ["metric_name"]
    o = o.mutate(outcome=outcome_expr(o.delta, tie_band))
    df = ctx.execute(o.group_by([*keys, "outcome"]).aggregate(
        cases=o.count(), mean_delta=o.delta.mean(), mean_abs_delta=o.delta.abs().mean()))
    names = {"challenger": challenger, "baseline": baseline, "tie": None}
    out = []
    groups = df.groupby(keys) if keys else [((), df)]
    for key, g in groups:
        total = int(g["cases"].sum())
        by = {r["outcome"]: r for r in g.to_dict("records")}
        for oc in ("challenger", "baseline", "tie"):
            r = by.get(oc, {})
            n = int(r.get("cases", 0) or 0)
            row = {"outcome": oc, "experiment": names[oc], "cases": n,
                   "share": n / total if total else math.nan,
                   "mean_delta": _f(r.get("mean_delta")), "mean_abs_delta": _f(r.get("mean_abs_delta"))}
            if keys:
                row = {"metric_name": key[0] if isinstance(key, tuple) else key, **row}
            out.append(row)
    cols = [*keys, "outcome", "experiment", "cases", "share", "mean_delta", "mean_abs_delta"]
    if not out:
        out = [{"outcome": oc, "experiment": names[oc], "cases": 0, "share": math.nan,
                "mean_delta": math.nan, "mean_abs_delta": math.nan} for oc in names] if not keys else []
    return pd.DataFrame(out, columns=cols)


SORTS = {"abs_delta", "delta", "case_id", "dataset_id", "baseline_score", "challenger_score"}
OUTCOMES = {"all", "wins", "losses", "ties", "large", "challenger", "baseline", "tie"}


def _text_cols(t: ibis.Table) -> dict[str, str | None]:
    return {c: (c if c in t.columns else None) for c in ("query", "actual_output")}


def case_diff(ctx: AnalyticContext, baseline=None, challenger=None, metrics=None, filters=None,
              outcome: str = "all", large_threshold: float = 0.1, tie_band: float = 0.01,
              sort_by: str = "abs_delta", descending: bool = True, search: str | None = None,
              page: int = 1, page_size: int = 20, case_id: str | None = None) -> pd.DataFrame:
    """One page of the case-level diff: position, case_id, query, baseline_response,
    challenger_response, baseline_score, challenger_score, delta, abs_delta, outcome,
    n_metrics, metrics (list of {metric_name, baseline, challenger, delta}), total.

    ``outcome``: all | wins (challenger wins) | losses (baseline wins) | ties | large
    (|delta| >= ``large_threshold``). ``search`` matches the case id, query or either response
    (case-insensitive). ``total`` is the number of matching cases; ``position`` the 1-based
    rank in the sort order (so page_size=1 gives prev/next). ``case_id`` jumps to the page
    holding that case."""
    outcome = (outcome or "all").lower()
    if outcome not in OUTCOMES:
        raise QueryError(f"outcome must be one of {', '.join(sorted(OUTCOMES))}.")
    if sort_by not in SORTS:
        raise QueryError(f"sort_by must be one of {', '.join(sorted(SORTS))}.")
    sort_by = "case_id" if sort_by == "dataset_id" else sort_by
    large_threshold = _num(large_threshold, "large_threshold", 0.0, 1e9)
    tie_band = _num(tie_band, "tie_band", 0.0, 1e9)
    page, page_size = _int(page, "page", 1, 10**9), _int(page_size, "page_size", 1, 500)
    descending = descending if isinstance(descending, bool) else str(descending).lower() == "true"
    baseline, challenger = resolve_pair(ctx, baseline, challenger, filters)
    k = case_scores(ctx, baseline, challenger, metrics, filters)
    o = case_overall(k)
    o = o.filter(o.n_metrics > 0)
    o = o.mutate(abs_delta=o.delta.abs(), outcome=outcome_expr(o.delta, tie_band))
    want = {"wins": "challenger", "losses": "baseline", "ties": "tie"}.get(outcome, outcome)
    if want in ("challenger", "baseline", "tie"):
        o = o.filter(o.outcome == want)
    elif want == "large":
        o = o.filter(o.abs_delta >= large_threshold)
    full = scores_table(ctx, filters)
    if not set(_text_cols(full).values()) - {None}:
        full = ctx.table("full")
        from .filters import apply_filters

        full = apply_filters(full, filters)
    tc = _text_cols(full)
    key = case_key(full)
    if search:
        s = str(search).lower()
        tt, _ = _valid_scores(ctx, filters, None, [baseline, challenger],
                              *[c for c in tc.values() if c])
        pred = tt[key].cast("string").lower().contains(s)
        for c in tc.values():
            if c:
                pred = pred | tt[c].lower().contains(s)
        hits = tt.filter(pred).select(case_id=tt[key].cast("string")).distinct()
        o = o.semi_join(hits, "case_id") if hasattr(o, "semi_join") else o.filter(o.case_id.isin(hits.case_id))
    order = [ibis.desc(sort_by) if descending else ibis.asc(sort_by), ibis.asc("case_id")]
    o = o.mutate(total=o.count().over(ibis.window()),
                 position=ibis.row_number().over(ibis.window(order_by=order)) + 1)
    if case_id is not None:
        pos = ctx.execute(o.filter(o.case_id == str(case_id)).select("position"))
        if len(pos):
            page = (int(pos["position"].iloc[0]) - 1) // page_size + 1
    expr = o.filter((o.position > (page - 1) * page_size) & (o.position <= page * page_size))
    df = ctx.execute(expr.select("position", "case_id", "baseline_score", "challenger_score", "delta",
                                 "abs_delta", "outcome", "n_metrics", "total").order_by("position"))
    cols = ["position", "case_id", "query", "baseline_response", "challenger_response",
            "baseline_score", "challenger_score", "delta", "abs_delta", "outcome", "n_metrics",
            "metrics", "total"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    ids = df["case_id"].astype(str).tolist()
    per_metric = ctx.execute(k.filter(k.case_id.isin(ids)).order_by(["case_id", "metric_name"]))
    mets: dict[str, list] = {i: [] for i in ids}
    for r in per_metric.to_dict("records"):
        b, c = _f(r["b"]), _f(r["c"])
        mets[str(r["case_id"])].append({
            "metric_name": r["metric_name"], "baseline": None if math.isnan(b) else b,
            "challenger": None if math.isnan(c) else c,
            "delta": None if math.isnan(b) or math.isnan(c) else c - b})
    texts: dict[tuple[str, str], dict] = {}
    if any(tc.values()):
        ft = full.filter(full.evaluation_name.isin([baseline, challenger]),
                         full[key].cast("string").isin(ids))
        aggs = {c: ft[c].min() for c in tc.values() if c}
        tx = ctx.execute(ft.group_by([ft[key].cast("string").name("case_id"), "evaluation_name"])
                         .aggregate(**aggs))
        for r in tx.to_dict("records"):
            texts[(str(r["case_id"]), r["evaluation_name"])] = r
    out = df.copy()
    out["case_id"] = out["case_id"].astype(str)
    out["n_metrics"] = out["n_metrics"].astype("int64")

    def txt(cid, exp, col):
        v = texts.get((cid, exp), {}).get(col)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    out["query"] = [txt(i, baseline, "query") or txt(i, challenger, "query") for i in out["case_id"]]
    out["baseline_response"] = [txt(i, baseline, "actual_output") for i in out["case_id"]]
    out["challenger_response"] = [txt(i, challenger, "actual_output") for i in out["case_id"]]
    out["metrics"] = [mets.get(i, []) for i in out["case_id"]]
    return out[cols].reset_index(drop=True)


def paired_scores(ctx: AnalyticContext, metric: str, baseline=None, challenger=None, filters=None,
                  limit: int = 5000) -> pd.DataFrame:
    """Scatter of baseline vs challenger per case for one metric: case_id, baseline, challenger,
    delta (at most ``limit`` cases, a deterministic sample by case id)."""
    if not metric:
        raise QueryError("paired_scores needs a metric.")
    limit = _int(limit, "limit", 1, 100_000)
    baseline, challenger = resolve_pair(ctx, baseline, challenger, filters)
    k = case_scores(ctx, baseline, challenger, [metric], filters)
    k = k.filter(k.b.notnull() & k.c.notnull())
    return ctx.execute(k.select("case_id", baseline=k.b, challenger=k.c, delta=k.c - k.b)
                       .order_by("case_id").limit(limit))


# ------------------------------------------------------------------ experiments
def experiments(ctx: AnalyticContext, metrics=None, filters=None, threshold=None) -> pd.DataFrame:
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


# ------------------------------------------------------------------ export
def _clean(v: Any):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe list of row dicts (NaN/inf -> None, numpy scalars -> Python)."""
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def export_csv(result: pd.DataFrame) -> str:
    """The per-metric comparison as CSV text."""
    return result.to_csv(index=False)


def export_json(result: pd.DataFrame, wins: pd.DataFrame | None = None, **meta) -> str:
    """The full comparison as JSON: {meta, metrics: [...], win_loss: [...]}."""
    doc = {"meta": {k: _clean(v) for k, v in meta.items()}, "metrics": records(result)}
    if wins is not None:
        doc["win_loss"] = records(wins)
    return json.dumps(doc, indent=2, default=str)


def _fmt(v, spec: str = ".3f") -> str:
    v = _clean(v)
    if v is None:
        return "–"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def verdict(result: pd.DataFrame) -> dict:
    """Head-to-head summary: winner (challenger | baseline | tie, by significant metric wins),
    mean pct change, metrics won by the challenger, significant wins/losses."""
    ok = result[result["delta"].notna()]
    sig = ok[ok["significant"]]
    up, down = int((sig["delta"] > 0).sum()), int((sig["delta"] < 0).sum())
    winner = "challenger" if up > down else "baseline" if down > up else "tie"
    pct = ok["pct_change"].dropna()
    return {"winner": winner, "mean_pct_change": float(pct.mean()) if len(pct) else None,
            "metrics_won": int((ok["delta"] > 0).sum()), "metrics": int(len(ok)),
            "significant_wins": up, "significant_losses": down}


def export_markdown(result: pd.DataFrame, wins: pd.DataFrame | None = None) -> str:
    """A shareable Markdown summary: verdict, per-metric table and win/loss counts."""
    if result.empty:
        return "# Comparison\n\nNo metrics to compare.\n"
    b, c = result["baseline"].iloc[0], result["challenger"].iloc[0]
    v = verdict(result)
    name = {"challenger": c, "baseline": b, "tie": "tie"}[v["winner"]]
    pct = "–" if v["mean_pct_change"] is None else f"{v['mean_pct_change'] * 100:+.1f} %"
    lines = [f"# {c} vs {b}", "",
             f"- **Winner:** {name} ({v['significant_wins']} significant wins, "
             f"{v['significant_losses']} significant losses after Holm's correction)",
             f"- **Overall change:** {pct} (mean of per-metric % change)",
             f"- **Metrics won:** {v['metrics_won']}/{v['metrics']}", "",
             "| Metric | Baseline | Challenger | Δ | Δ % | Test | p | p (Holm) | Cohen's d | 95% CI | n pairs |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|"]
    for r in result.to_dict("records"):
        pc = "–" if _clean(r["pct_change"]) is None else f"{r['pct_change'] * 100:+.1f} %"
        d = "–" if _clean(r["cohens_d"]) is None else f"{r['cohens_d']:.2f} ({r['effect_size']})"
        ci = "–" if _clean(r["ci_low"]) is None else f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        p = "–" if _clean(r["p_value"]) is None else f"{r['p_value']:.3g}{r['stars']}"
        lines.append(f"| {r['metric_name']} | {_fmt(r['baseline_mean'])} | {_fmt(r['challenger_mean'])} | "
                     f"{_fmt(r['delta'], '+.3f')} | {pc} | {r['test'] or '–'} | {p} | "
                     f"{_fmt(r['p_value_adjusted'], '.3g')} | {d} | {ci} | {r['n_pairs']} |")
    notes = [f"- {r['metric_name']}: {r['note']}" for r in result.to_dict("records") if r.get("note")]
    if notes:
        lines += ["", "Notes:", *notes]
    if wins is not None and not wins.empty and "metric_name" not in wins.columns:
        lines += ["", "## Win/loss per test case", "", "| Outcome | Cases | Share |", "|---|---:|---:|"]
        for r in wins.to_dict("records"):
            label = r["experiment"] or "tie"
            lines.append(f"| {label} | {r['cases']} | {_fmt(r['share'] * 100 if _clean(r['share']) is not None else None, '.1f')} % |")
    return "\n".join(lines) + "\n"


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


register("compare", compare, EVAL_KINDS)
register("win_loss", win_loss, EVAL_KINDS)
register("case_diff", case_diff, EVAL_KINDS)
register("experiments", experiments, EVAL_KINDS)
register("agreement", agreement, EVAL_KINDS)
register("paired_scores", paired_scores, EVAL_KINDS)
