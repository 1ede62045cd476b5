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
                  n: str = "n", extra: dict | None = None) -> ibis.Table:
    """Per group of ``keys`` in ``b`` (rows: keys, ``bin``, ``n``, min, max; one per bin):
    the keys, count, min, max, a column per name of ``qs`` (``quantile_cont`` estimated from
    the bins: NULL for an empty group) and the ``extra`` aggregates (name -> fn(table)).
    ``estimate(bin)`` is the Ibis estimate of every value of a bin before clamping.

    One query: a running count per group finds the bin of each order statistic, so only
    one row per group leaves the engine (the bins of a month of days are ~100,000 rows)."""
    est = ibis.greatest(ibis.least(estimate(b.bin), b["max"]), b["min"])
    cum = b[n].sum().over(ibis.cumulative_window(group_by=keys, order_by=b.bin))
    m = b.mutate(_est=est, _cum=cum, _count=b[n].sum().over(ibis.window(group_by=keys)))
    m = m.mutate(_before=m._cum - m[n])
    aggs = {"count": m[n].sum().cast("int64"), "min": m["min"].min(), "max": m["max"].max()}
    ranks = {}
    for name, q in qs.items():
        k = ((m._count - 1) * q).floor()
        for tag, j in (("0", k), ("1", k + 1)):
            ranks[f"_{name}{tag}"] = m._est.max(where=(m._before <= j) & (j < m._cum))
    g = m.group_by(keys).aggregate(**aggs, **ranks, **{c: fn(m) for c, fn in (extra or {}).items()})
    out = {}
    for name, q in qs.items():
        h = (g["count"] - 1) * q
        k = h.floor()
        # the first and last order statistics are the group's min and max exactly
        x0 = ibis.ifelse(k <= 0, g["min"], ibis.ifelse(k >= g["count"] - 1, g["max"], g[f"_{name}0"]))
        x1 = ibis.ifelse(k + 1 >= g["count"] - 1, g["max"], g[f"_{name}1"])
        out[name] = ibis.ifelse(g["count"] > 0, x0 + (h - k) * (x1 - x0), ibis.null("float64"))
    return g.mutate(**out).drop(*ranks).order_by(keys)


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
