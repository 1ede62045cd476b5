"""Pre-aggregated summaries of a dataset's scores and the planner that answers from them.

A filter change in a view re-runs aggregations over every row of the long scores table. The
same answers can come from small tables aggregated once, when the dataset is loaded or
synced, keyed by the low-cardinality columns the views filter on:

* :mod:`.keys`        which columns key the summaries (filter columns with few values, the
                      day of ``timestamp``) and when a request's filters are among them;
* :mod:`.tables`      the summary tables as portable Ibis expressions (stats, fine bins,
                      distinct cases, node attributes), built at commit and extended by
                      incremental sync from the new rows only;
* :mod:`.planner`     :class:`~.planner.Planner`: answers a request from the summaries when
                      its filters and groupings are keys, else says why not (the caller then
                      reads the raw table); ``exact=True`` always reads the raw table;
* :mod:`.implied`     metric_type and metric_category: left out of two scans when each
                      metric has one value, put back as a lookup of metric_name;
* :mod:`.percentiles` quantiles from the fine bins, within :data:`~.percentiles.BOUND`;
* :mod:`.case_masks`  test cases per set of experiments (a bitmask each): exact case counts
                      of any set of experiments, kept exact by incremental sync;
* :mod:`.latency`     log-spaced latency bins (monitoring), within :data:`~.latency.BOUND`;
* :mod:`.duck`        Ibis tables of the store's DuckDB tables and their SQL.

Counts, min, max and pass counts from summaries are the raw path's exactly; sums, means
and standard deviations equal it up to floating-point summation order (relative 1e-9).
"""

from .planner import Planner
from .tables import append_rows, build_summaries, summary_tables

__all__ = ["Planner", "append_rows", "build_summaries", "summary_tables"]
