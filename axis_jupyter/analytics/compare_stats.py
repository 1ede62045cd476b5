"""The statistics of a head-to-head comparison, from one small row of aggregates per metric.

:func:`finish` turns the per-metric aggregates of :func:`.compare.aggregates_expr` into the
comparison table (the tests are described in :mod:`.compare`): paired t-test or Welch's,
Wilcoxon signed-rank, Holm's correction, Cohen's d and its label, significance stars.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SMALL_WILCOXON_N = 50  # <= this many pairs: scipy on the fetched differences

COMPARE_COLUMNS = [
    "metric_name", "baseline", "challenger", "baseline_mean", "challenger_mean", "delta",
    "pct_change", "mean_diff", "test", "statistic", "df", "p_value", "p_value_adjusted",
    "significant", "stars", "wilcoxon_stat", "wilcoxon_p", "cohens_d", "effect_size", "ci_low",
    "ci_high", "baseline_std", "challenger_std", "n_baseline", "n_challenger", "n_pairs", "note",
]


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
