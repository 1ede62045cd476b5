"""Grouped percentiles and equal-width histograms from binned counts.

Both read rows of (group..., bin, n, min, max), where min and max are the exact extremes
of the values in that bin (the per-day tables of :mod:`.daily` keep them). A bin's values
are estimated by the bin's estimate (its centre, or the log-spaced estimate) clamped to
the bin's own [min, max]: a bin holding one value, or ties only, is then exact, and no
estimate leaves its bin, so the bounds of :mod:`.percentiles` and :mod:`.latency` hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd



def quantile_rows(cols, keys: list[str], qs: dict[str, float], estimate,
                  n: str = "n", sums=()) -> pd.DataFrame:
    """Per group of ``keys``: the keys, count (the sum of ``n``), min, max, a column per name
    of ``qs`` (``quantile_cont``'s estimate; NaN for an empty group) and the sum of each
    column of ``sums``, from ``cols`` (``ctx.arrays``: column -> numpy array, masked where
    NULL; or a DataFrame): binned rows (keys, ``bin``, ``n``, min, max, sums) sorted by the
    keys, then the bin (the query's ORDER BY), one row per bin.

    Each order statistic is the estimate (``estimate(bin)``, numpy) of the bin where the
    group's running count passes its rank, clamped to the bin's [min, max]; the first and
    last are the group's min and max exactly; quantile k + f interpolates k and k + 1. A bin
    with a null ``bin`` (values without one) counts nowhere but in min and max. In numpy, not
    SQL: the running counts are window functions, and DuckDB's windows cost ~8-10 ms on the
    ten thousand bins of a month (the whole query without them: 4-6 ms); and on arrays, not
    a DataFrame, whose building cost as much again."""
    out_cols = [*keys, "count", "min", "max", *qs, *sums]
    rows = len(cols[n])
    if not rows:
        return pd.DataFrame(columns=out_cols)
    new = np.zeros(rows, dtype=bool)
    new[0] = True
    key_data = {}
    for k in keys:  # the sort puts equal keys side by side; nulls equal nulls
        data, null = _split(cols[k])
        key_data[k] = data, null
        with np.errstate(invalid="ignore"):
            differ = np.asarray(data[1:] != data[:-1], dtype=bool)
        new[1:] |= np.where(null[1:] | null[:-1], null[1:] != null[:-1], differ)
    starts = np.flatnonzero(new)
    counts = np.nan_to_num(floats(cols[n])).astype("int64")
    cum = np.cumsum(counts)
    before = (cum - counts)[starts]  # the values of the groups before each group
    count = np.add.reduceat(counts, starts)
    bmin, bmax = floats(cols["min"]), floats(cols["max"])
    with np.errstate(invalid="ignore"):  # all-null groups: NaN, as SQL's NULL
        lo, hi = np.fmin.reduceat(bmin, starts), np.fmax.reduceat(bmax, starts)
    b = floats(cols["bin"])
    est = np.full(rows, np.nan)
    has = ~np.isnan(b)
    est[has] = np.maximum(np.minimum(estimate(b[has].astype("int64")), bmax[has]), bmin[has])

    def order_stat(j: np.ndarray) -> np.ndarray:  # j: a 0-based rank per group
        return est[np.minimum(np.searchsorted(cum, before + j, side="right"), rows - 1)]

    out = {k: _nulls(data[starts], null[starts]) for k, (data, null) in key_data.items()}
    out.update({"count": count, "min": lo, "max": hi})
    for name, q in qs.items():
        h = (count - 1) * q
        k = np.floor(h).astype("int64")
        with np.errstate(invalid="ignore"):
            x0 = np.where(k <= 0, lo, np.where(k >= count - 1, hi, order_stat(np.maximum(k, 0))))
            x1 = np.where(k + 1 >= count - 1, hi, order_stat(np.maximum(k + 1, 0)))
            out[name] = np.where(count > 0, x0 + (h - k) * (x1 - x0), np.nan)
    for c in sums:
        v = floats(cols[c])
        seen = np.add.reduceat((~np.isnan(v)).astype("int64"), starts)
        out[c] = np.where(seen > 0, np.add.reduceat(np.nan_to_num(v), starts), np.nan)
    return pd.DataFrame(out, columns=out_cols)


def frame(cols) -> pd.DataFrame:
    """The columns of ``ctx.arrays`` as a DataFrame (NULLs as NaN, NaT or None)."""
    out = {}
    for c, x in cols.items():
        data, null = _split(x)
        out[c] = np.where(null, np.nan, data.astype("float64")) if data.dtype.kind in "iuf" and null.any() \
            else _nulls(data, null)
    return pd.DataFrame(out)


def _split(x) -> tuple[np.ndarray, np.ndarray]:
    """(values, null mask) of a column: a masked array's, or any array's (NaN, NaT, None)."""
    if isinstance(x, np.ma.MaskedArray):
        return np.ma.getdata(x), np.ma.getmaskarray(x)
    x = np.asarray(x)
    return x, np.asarray(pd.isna(x), dtype=bool)


def floats(x) -> np.ndarray:
    """A column of ``ctx.arrays`` as float64, NULLs as NaN."""
    data, null = _split(x)
    out = pd.to_numeric(pd.Series(data), errors="coerce").to_numpy(dtype="float64", na_value=np.nan) \
        if data.dtype.kind not in "iuf" else data.astype("float64")
    return np.where(null, np.nan, out)


def _nulls(data: np.ndarray, null: np.ndarray) -> np.ndarray:
    """``data`` with its nulls back: NaT in a time column, None elsewhere."""
    if not null.any():
        return data
    if data.dtype.kind == "M":
        return np.where(null, np.datetime64("NaT"), data)
    out = data.astype(object)
    out[null] = None
    return out


def centre(bins: int):
    """The estimate of ``bins`` equal bins over [0, 1] (their centre), numpy."""
    return lambda b: (b.astype("float64") + 0.5) / bins


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
