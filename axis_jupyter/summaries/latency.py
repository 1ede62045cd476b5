"""Latency percentiles from log-spaced bins, with a stated relative error bound.

Latencies span orders of magnitude (tens of milliseconds to minutes), so equal bins would
be either too coarse for the fast records or too many for the slow ones. Log-spaced bins
(as DDSketch) give every value the same *relative* error: with ``GAMMA = (1 + ALPHA) /
(1 - ALPHA)``, a latency x > 0 falls in bin ``i = ceil(ln x / ln GAMMA)``, which covers
(GAMMA^(i-1), GAMMA^i], and is estimated by ``2 GAMMA^i / (GAMMA + 1)``: for every x in the
bin the estimate is within ``ALPHA * x`` of it. A latency of 0 has a bin of its own
(:data:`ZERO_BIN`, estimated 0 exactly).

Percentiles are ``quantile_cont`` as the raw path computes them: with n latencies sorted,
q's percentile is x_k + f (x_{k+1} - x_k), k + f = (n - 1) q. Each order statistic is
estimated by its bin's estimate, clamped to the group's exact [min, max] (the first and last
are min and max exactly), so each is within ALPHA of its value, relatively, and so is their
convex combination:

    |estimate - raw| <= BOUND * raw          (BOUND = ALPHA = 0.01)

for groups whose latencies are >= 0 (the planner reads the raw rows otherwise). Counts, min
and max are exact; means equal the raw ones to floating-point summation order.

The table (``lat`` role) holds, per (keys, ``_lbin``): n, total, min, max of each record's
latency (one row per record: the dataset's record-latency index). 1% over 50 ms .. 5 min is
about 440 bins per key combination.
"""

from __future__ import annotations

import math

import ibis
import numpy as np

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
BOUND = ALPHA
ZERO_BIN = -(2 ** 31)  # far below any ceil(ln x / ln GAMMA) of a positive double (about -35,600)


def bins_expr(r: ibis.Table, keys: list[str]) -> ibis.Table:
    """The latency sketch of ``r`` (one row per record, with a ``latency`` column) by
    ``keys``: keys, _lbin, n, total, min, max. Negative latencies get no bin of their own
    (ZERO_BIN too), and their group's min says so; the planner then reads the raw rows."""
    r = r.filter(r.latency.notnull())
    x = r.latency.cast("float64")
    lbin = ibis.ifelse(x > 0, (x.ln() / math.log(GAMMA)).ceil().cast("int64"), ZERO_BIN)
    m = r.mutate(_lbin=lbin, _x=x)
    return m.group_by([*keys, "_lbin"]).aggregate(n=m._x.count(), total=m._x.sum(),
                                                  min=m._x.min(), max=m._x.max())


def estimate(lbin: np.ndarray) -> np.ndarray:
    """The estimate of every latency in bin ``lbin``: 2 GAMMA^i / (GAMMA + 1), 0 for ZERO_BIN."""
    lbin = np.asarray(lbin, dtype="int64")
    with np.errstate(over="ignore", under="ignore"):
        value = 2.0 * np.power(GAMMA, lbin.astype("float64")) / (GAMMA + 1.0)
    return np.where(lbin == ZERO_BIN, 0.0, value)
