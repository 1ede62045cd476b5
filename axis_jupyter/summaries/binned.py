"""Grouped percentiles and equal-width histograms from binned counts.

Both read rows of (group..., bin, n, min, max) sorted by group then bin, where min and max
are the exact extremes of the values in that bin (the per-day tables of :mod:`.daily` keep
them). A bin's values are estimated by the bin's estimate (its centre, or the log-spaced
estimate) clamped to the bin's own [min, max]: a bin holding one value, or ties only, is
then exact, and no estimate leaves the bin, so the bounds of :mod:`.percentiles` and
:mod:`.latency` hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def runs(df: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """The start of each run of equal ``keys`` in ``df`` (sorted by them), with len(df)
    appended; nulls equal nulls."""
    n = len(df)
    if not n:
        return np.array([0], dtype="int64")
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for k in keys:
        c = df[k].to_numpy()
        same = c[1:] == c[:-1]
        both_null = pd.isna(c[1:]) & pd.isna(c[:-1])
        new[1:] |= ~(same | both_null)
    return np.r_[np.flatnonzero(new), n]


def quantiles(df: pd.DataFrame, keys: list[str], bin_estimate, qs: dict[str, float]) -> pd.DataFrame:
    """Per run of ``keys`` in ``df`` (rows: keys, bin, n, min, max; sorted): the keys, count,
    min, max and a column per name of ``qs``: ``quantile_cont`` estimated from the bins.
    ``bin_estimate(bins)`` is the estimate of every value of each bin before clamping."""
    starts = runs(df, keys)
    first = starts[:-1]
    n = df["n"].to_numpy(dtype="int64")
    lo_bin = df["min"].to_numpy(dtype="float64")
    hi_bin = df["max"].to_numpy(dtype="float64")
    est = np.minimum(np.maximum(bin_estimate(df["bin"].to_numpy(dtype="int64")), lo_bin), hi_bin)
    cum = np.cumsum(n)
    before = (cum - n)[first] if len(df) else np.zeros(0, dtype="int64")
    count = np.add.reduceat(n, first) if len(df) else np.zeros(0, dtype="int64")
    lo = np.minimum.reduceat(lo_bin, first) if len(df) else np.zeros(0)
    hi = np.maximum.reduceat(hi_bin, first) if len(df) else np.zeros(0)
    out = df.iloc[first][keys].reset_index(drop=True)
    out["count"], out["min"], out["max"] = count, lo, hi

    def order_stat(j: np.ndarray) -> np.ndarray:
        """The estimated j-th smallest value (0-based) of each group; the first and last are
        its min and max exactly."""
        pos = np.searchsorted(cum, before + j, side="right")
        value = est[np.minimum(pos, len(est) - 1)] if len(est) else np.zeros(len(j))
        value = np.where(j <= 0, lo, value)
        return np.where(j >= count - 1, hi, value)

    for name, q in qs.items():
        h = (count - 1) * q
        k = np.floor(h).astype("int64")
        x0, x1 = order_stat(k), order_stat(np.minimum(k + 1, count - 1))
        out[name] = x0 + (h - k) * (x1 - x0)
    return out


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
