"""One metric's distribution for the metric tree's leaf popup (reference: upstream-ui.md §2.4,
catalogue row 21): sample size, mean, median and standard deviation, the five-number summary
(min, 25th, median, 75th, max) and a 10-bin histogram over [0, 1]. An action of the
scorecard and of the deep dive (both trees open the same popup); ``dataset`` is the view's.

``metric_stats`` {metric, filters} -> {metric, count, mean, std, min, q25, median, q75, max,
                 hist: [10 counts], bins: [{bin_start, bin_end, count, band}], critiques}
"""

from __future__ import annotations

import ibis

from ..analytics import evals
from ..errors import QueryError
from ..wire import jsonable, records
from . import params

HIST_BINS = 10


def metric_stats(store, dataset: str, *, metric, filters=None, **unknown) -> dict:
    """The popup's numbers for ``metric`` under ``filters`` (quantiles are continuous,
    linear; a score of exactly 1 counts in the last bin, scores outside [0, 1] in the end
    bins)."""
    params.no_unknown("metric tree", "metric_stats", unknown)
    if not metric:
        raise QueryError("metric_stats needs a metric name.")
    f = params.filters(filters)

    def q(ctx):
        stats = evals.quantiles(ctx, metric=[str(metric)], filters=f or None)
        t = evals.scores_table(ctx, f or None)
        t = t.filter(t.metric_name == str(metric), t.metric_score.notnull(), ~t.metric_score.isnan())
        b = (t.metric_score * HIST_BINS).floor().cast("int64")
        b = ibis.ifelse(b >= HIST_BINS, HIST_BINS - 1, ibis.ifelse(b < 0, 0, b))
        hist = ctx.execute(t.group_by(b.name("bin")).aggregate(count=t.count()))
        critiques = None
        full = ctx.table("full")
        if "critique" in full.columns:
            c = evals.scores_table(ctx, f or None, "critique")
            c = c.filter(c.metric_name == str(metric), c.metric_score.notnull(), ~c.metric_score.isnan(),
                         c.critique.notnull(), c.critique.strip() != "")
            critiques = int(ctx.execute(c.aggregate(n=c.count()))["n"].iloc[0])
        return stats, hist, critiques

    stats, hist, critiques = store.view_read(dataset, q)
    if stats.empty:
        raise QueryError(f"no scores of metric {metric!r} under these filters.")
    row = records(stats)[0]
    counts = [0] * HIST_BINS
    for b, n in zip(hist["bin"], hist["count"]):
        counts[int(b)] = int(n)
    bins = [{"bin_start": i / HIST_BINS, "bin_end": (i + 1) / HIST_BINS, "count": counts[i],
             "band": params.band((i + 0.5) / HIST_BINS)} for i in range(HIST_BINS)]
    return jsonable({"metric": str(metric), **{k: row.get(k) for k in
                                                ("count", "mean", "std", "min", "q25", "median", "q75", "max")},
                     "hist": counts, "bins": bins, "critiques": critiques})
