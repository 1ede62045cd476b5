"""Grouped percentiles and equal-width histograms from binned counts.

Both read rows of (group..., bin, n, min, max), where min and max are the exact extremes
of the values in that bin (the per-day tables of :mod:`.daily` keep them). A bin's values
are estimated by the bin's estimate (its centre, or the log-spaced estimate) clamped to
the bin's own [min, max]: a bin holding one value, or ties only, is then exact, and no
estimate leaves its bin, so the bounds of :mod:`.percentiles` and :mod:`.latency` hold.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from . import latency


def quantile_expr(b: ibis.Table, keys: list[str], qs: dict[str, float], estimate,
                  n: str = "n", extra: dict | None = None, extra_cols=()) -> ibis.Table:
    """Per group of ``keys`` in ``b`` (rows: keys, ``bin``, ``n``, min, max; one per bin):
    the keys, count, min, max, the estimated order statistics k and k + 1 of each quantile
    of ``qs`` (``quantile_cont``'s; :func:`finish_quantiles` interpolates them) and the
    ``extra`` aggregates (name -> fn(table)) of the ``extra_cols`` of ``b``.
    ``estimate(bin)`` is the Ibis estimate of every value of a bin before clamping.

    One query: a running count per group finds the bin of each order statistic, so only
    one row per group leaves the engine (the bins of a month of days are ~100,000 rows)."""
    est = ibis.greatest(ibis.least(estimate(b.bin), b["max"]), b["min"])
    # running counts as doubles (exact below 2^53): DuckDB sums integers as 128-bit ones,
    # whose arithmetic in the rank tests below costs more than the windows
    cum = b[n].sum().over(ibis.cumulative_window(group_by=keys, order_by=b.bin)).cast("float64")
    total = b[n].sum().over(ibis.window(group_by=keys)).cast("float64")
    m = b.select(*keys, b[n], b["min"], b["max"], _est=est, _cum=cum, _count=total,
                 **{c: b[c] for c in (extra_cols or ())})
    aggs = {"count": m[n].sum().cast("int64"), "min": m["min"].min(), "max": m["max"].max()}
    ranks = {}
    for name, q in qs.items():
        k = ((m._count - 1) * q).floor()
        # the estimate of the smallest bin whose running count passes rank k (and k + 1)
        ranks[f"_{name}0"] = m._est.min(where=m._cum > k)
        ranks[f"_{name}1"] = m._est.min(where=m._cum > k + 1)
    g = m.group_by(keys).aggregate(**aggs, **ranks, **{c: fn(m) for c, fn in (extra or {}).items()})
    return g.order_by(keys)


def finish_quantiles(df: pd.DataFrame, qs: dict[str, float]) -> pd.DataFrame:
    """The rows of :func:`quantile_expr` with a column per name of ``qs`` (interpolated
    between the estimated order statistics k and k + 1; the first and last are the group's
    min and max exactly; NaN for an empty group) instead of the order statistics. In numpy:
    spelled in SQL, the interpolation made the query three times as long to plan as to run."""
    def floats(c: str) -> np.ndarray:
        return df[c].to_numpy(dtype="float64", na_value=np.nan)

    count, lo, hi = floats("count"), floats("min"), floats("max")
    out = df.drop(columns=[c for name in qs for c in (f"_{name}0", f"_{name}1")])
    for name, q in qs.items():
        h = (count - 1) * q
        k = np.floor(h)
        at = {t: floats(f"_{name}{t}") for t in "01"}
        with np.errstate(invalid="ignore"):
            x0 = np.where(k <= 0, lo, np.where(k >= count - 1, hi, at["0"]))
            x1 = np.where(k + 1 >= count - 1, hi, at["1"])
            out[name] = np.where(count > 0, x0 + (h - k) * (x1 - x0), np.nan)
    return out


def centre_estimate(bins: int):
    """The estimate of ``bins`` equal bins over [0, 1] (their centre), as an Ibis function."""
    return lambda b: (b.cast("float64") + 0.5) / bins


def log_estimate(lbin):
    """The log-spaced bins' estimate (``latency.estimate``), as an Ibis expression."""
    value = 2.0 * ibis.literal(latency.GAMMA) ** lbin.cast("float64") / (latency.GAMMA + 1.0)
    return ibis.ifelse(lbin == latency.ZERO_BIN, 0.0, value)


def histogram(df: pd.DataFrame, bins: int, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts) of the equal-width histogram over [lo, hi] (``numpy.histogram``'s
    edges and rule: [e_i, e_i+1), the last bin closed) of the values summarised by ``df``
    (rows: n, min, max per bin). A bin whose [min, max] lies in one histogram bin counts
    there exactly; one that crosses edges puts a value at its min and its max and spreads
    the rest over the bins it crosses by the share of [min, max] each covers. Each count is
    therefore off by at most the values of the bins crossing its edges (:func:`crossing`);
    the total is exact."""
    edges = np.linspace(lo, hi, bins + 1)
    counts = np.zeros(bins, dtype="int64")
    n = df["n"].to_numpy(dtype="int64")
    mn, mx = df["min"].to_numpy(dtype="float64"), df["max"].to_numpy(dtype="float64")
    a, b = place(edges, mn), place(edges, mx)
    one = a == b
    np.add.at(counts, a[one], n[one])
    for i in np.flatnonzero(~one):
        share = spread(edges, mn[i], mx[i], a[i], b[i], int(n[i]))
        counts[a[i]:b[i] + 1] += share
    return edges, counts


def place(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The histogram bin of each value (numpy.histogram's, the last bin closed)."""
    return np.minimum(np.searchsorted(edges, x, side="right") - 1, len(edges) - 2)


def spread(edges, mn: float, mx: float, a: int, b: int, n: int) -> np.ndarray:
    """n values (one at ``mn`` in bin a, one at ``mx`` in bin b, the rest uniform between)
    over bins a..b, whole numbers (largest remainders)."""
    out = np.zeros(b - a + 1, dtype="int64")
    out[0] += 1
    out[-1] += 1
    rest = n - 2
    if rest <= 0 or mx <= mn:
        return out
    left = np.maximum(edges[a:b + 1], mn)
    right = np.minimum(edges[a + 1:b + 2], mx)
    share = np.clip(right - left, 0, None) / (mx - mn) * rest
    whole = np.floor(share).astype("int64")
    short = rest - int(whole.sum())
    if short:
        whole[np.argsort(-(share - whole), kind="stable")[:short]] += 1
    return out + whole


def crossing(edges: np.ndarray, df: pd.DataFrame) -> np.ndarray:
    """Per histogram bin, the values of the bins of ``df`` whose [min, max] crosses into it
    from or to another bin: the most :func:`histogram` may be off there."""
    bound = np.zeros(len(edges) - 1, dtype="int64")
    n = df["n"].to_numpy(dtype="int64")
    a, b = place(edges, df["min"].to_numpy(dtype="float64")), place(edges, df["max"].to_numpy(dtype="float64"))
    for i in np.flatnonzero(a != b):
        bound[a[i]:b[i] + 1] += n[i]
    return bound
