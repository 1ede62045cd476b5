"""Continuous quantiles from fine bins, with a stated error bound.

The raw path computes ``quantile_cont``: with the n scores sorted (x_0 <= ... <= x_{n-1}),
q's quantile is x_k + f * (x_{k+1} - x_k) where k + f = (n - 1) * q. Here each order
statistic x_j is estimated from the bin counts: the centre of the bin holding the j-th
score, clamped to the group's exact [min, max] (x_0 and x_{n-1} are min and max exactly).
A score in [0, 1] lies in its bin [b/B, (b+1)/B], so each estimate is off by at most half a
bin, and so is their convex combination:

    |estimate - raw| <= BOUND = 1 / (2 * FINE_BINS)     (0.0005 for 1000 bins)

for groups whose scores lie in [0, 1] (the planner falls back to the raw table otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import FINE_BINS

BOUND = 0.5 / FINE_BINS


def fine_centre(fbin: np.ndarray) -> np.ndarray:
    return (fbin + 0.5) / FINE_BINS


def quantiles(groups: pd.DataFrame, bins: pd.DataFrame, group: list[str],
              qs: dict[str, float], bin_col: str = "_fbin", estimate=fine_centre) -> pd.DataFrame:
    """``groups`` (one row per group: the ``group`` columns, count, min, max) with a column
    per name of ``qs`` (NaN for an empty group): ``quantile_cont`` of the group's scores
    within :data:`BOUND`, from ``bins`` (the ``group`` columns, ``bin_col``, ``n``).
    ``estimate(bin)`` is the estimate of every value in a bin (the fine bins' centre here; the
    log-spaced latency bins give their own, :func:`.latency.estimate`). Vectorised: a view
    may ask for thousands of groups of a thousand bins each."""
    groups = groups.reset_index(drop=True)
    ids = groups[group].assign(_gid=np.arange(len(groups)))
    b = bins.merge(ids, on=group, how="inner")  # pandas matches null keys with null keys
    b = b.sort_values(["_gid", bin_col], kind="stable")
    n = b["n"].to_numpy(dtype="int64")
    cum = np.cumsum(n)
    fbin = b[bin_col].to_numpy(dtype="int64")
    gid = b["_gid"].to_numpy()
    start = np.zeros(len(groups), dtype="int64")  # scores before each group's first bin
    if len(b):
        first = np.r_[True, gid[1:] != gid[:-1]]
        start[gid[first]] = (cum - n)[first]
    count = groups["count"].fillna(0).to_numpy(dtype="int64")
    lo = pd.to_numeric(groups["min"], errors="coerce").to_numpy(dtype="float64")
    hi = pd.to_numeric(groups["max"], errors="coerce").to_numpy(dtype="float64")

    def order_stat(j: np.ndarray) -> np.ndarray:
        """The estimated j-th smallest score of each group (0-based): its bin's centre
        clamped to [min, max]; the first and last are min and max exactly."""
        if len(cum):
            pos = np.searchsorted(cum, start + j, side="right")
            centre = estimate(fbin[np.minimum(pos, len(fbin) - 1)])
        else:
            centre = np.full(len(j), np.nan)
        est = np.minimum(np.maximum(centre, lo), hi)
        est = np.where(j <= 0, lo, est)
        return np.where(j >= count - 1, hi, est)

    out = groups.copy()
    for name, q in qs.items():
        h = (count - 1) * q
        k = np.floor(h).astype("int64")
        f = h - k
        x0 = order_stat(k)
        x1 = order_stat(np.minimum(k + 1, np.maximum(count - 1, 0)))
        value = x0 + f * (x1 - x0)
        out[name] = np.where(count > 0, value, np.nan)
    return out
