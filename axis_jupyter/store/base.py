"""The store interface shared by the embedded (local) and the server-backed (remote) store.

User code only ever sees :class:`Store` and :class:`Dataset`; whether DuckDB runs in this
process or in the Jupyter server is a transport detail.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import pandas as pd


class Store(ABC):
    """A collection of named datasets in one DuckDB file."""

    location: str

    # -- datasets ---------------------------------------------------------------------
    @abstractmethod
    def load(self, source: Any, name: str | None = None, kind: str = "auto",
             mapping: dict[str, str] | None = None, encoding: str = "utf-8") -> "Dataset":
        """Load a file or frame as dataset ``name`` (replacing it atomically)."""

    @abstractmethod
    def datasets(self) -> pd.DataFrame:
        """name, kind, layout, rows, records, columns, updated."""

    @abstractmethod
    def info(self, name: str) -> dict:
        """The dataset's metadata (kind, layout, columns, filter values, time range, ...)."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Delete a dataset."""

    # -- reads ------------------------------------------------------------------------
    @abstractmethod
    def sql(self, query: str) -> pd.DataFrame:
        """Run one read-only SELECT and return the result."""

    @abstractmethod
    def analytic(self, dataset: str, name: str, **params) -> pd.DataFrame:
        """Run analytic ``name`` on ``dataset`` (see axis_jupyter.analytics)."""

    @abstractmethod
    def rows(self, dataset: str, *, page: int = 1, page_size: int = 50, sort_by: str | None = None,
             descending: bool = False, search: str | None = None, filters: dict | None = None,
             columns: list[str] | None = None, parse: bool = False) -> tuple[pd.DataFrame, int]:
        """One page of the dataset's canonical long view and the total matching row count."""

    @abstractmethod
    def table(self, name: str):
        """The dataset's canonical table as an Ibis table expression."""

    @abstractmethod
    def execute(self, expr) -> pd.DataFrame:
        """Run an Ibis expression built on :meth:`table` where the data lives."""

    def close(self) -> None:  # pragma: no cover - trivial default
        pass

    # -- PostgreSQL sources (see axis_jupyter.sync) ---------------------------------------
    def add_source(self, name: str, kind: str, url: str, dataset_query: str,
                   results_query: str | None = None, incremental_column: str | None = None,
                   partition_column: str | None = None, refresh_interval_minutes: float = 0,
                   **options) -> dict:
        """Save a PostgreSQL source as YAML under the config dir (secrets stay in env vars:
        ``password_env="PGPASSWORD_PROD"``). Returns its public description (no secrets)."""
        from .. import sync

        return sync.add_source(self, name, kind, url, dataset_query, results_query=results_query,
                               incremental_column=incremental_column,
                               partition_column=partition_column,
                               refresh_interval_minutes=refresh_interval_minutes, **options)

    def remove_source(self, name: str) -> None:
        """Delete a saved source (its YAML file); the dataset it synced stays. Raises
        ``NotFoundError`` for an unknown source and ``ConflictError`` while it syncs."""
        from .. import sync
        from ..errors import ConflictError

        if sync.is_running(self, name):
            raise ConflictError(f"a sync of {name!r} is running; cancel it or wait, then remove "
                                "the source.")
        sync.remove_source(name)

    def sync(self, name: str | None = None, full: bool = False, progress=None) -> pd.DataFrame:
        """Sync one source (or all enabled ones); returns the status per dataset."""
        from .. import sync

        return sync.sync(self, name, full=full, progress=progress)

    # -- evaluation runs (run where this Python process is; results land in the store) -----
    def metrics(self) -> pd.DataFrame:
        """The metric catalogue: key, name, needs_llm, required_fields, threshold, ..."""
        from ..evals.api import metrics_catalogue

        return metrics_catalogue()

    def evaluate(self, source: Any, metrics: list, mapping: dict[str, str] | None = None,
                 name: str | None = None, **kwargs) -> "Dataset":
        """Score a dataset (by name) or a file/frame with ``metrics`` and load the results
        as evaluation dataset ``name``. See :func:`axis_jupyter.evals.api.evaluate`."""
        from ..evals.api import evaluate

        return evaluate(self, source, metrics, mapping=mapping, name=name, **kwargs)

    # -- convenience shared by both implementations --------------------------------------
    def dataset(self, name: str) -> "Dataset":
        meta = self.info(name)
        return Dataset(self, name, meta["kind"])

    def __getitem__(self, name: str) -> "Dataset":
        return self.dataset(name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Dataset:
    """A handle on one dataset. Analytics run where the data lives and return DataFrames."""

    def __init__(self, store: Store, name: str, kind: str):
        self.store, self.name, self.kind = store, name, kind

    def __repr__(self) -> str:
        return f"<Dataset {self.name!r} kind={self.kind} in {self.store.location}>"

    @property
    def info(self) -> dict:
        return self.store.info(self.name)

    def table(self):
        return self.store.table(self.name)

    def to_pandas(self, limit: int | None = 100_000) -> pd.DataFrame:
        df, _ = self.store.rows(self.name, page=1, page_size=limit or 10**12)
        return df

    def rows(self, **kw) -> tuple[pd.DataFrame, int]:
        return self.store.rows(self.name, **kw)

    def analytic(self, name: str, **params) -> pd.DataFrame:
        return self.store.analytic(self.name, name, **params)

    # Evaluation analytics -------------------------------------------------------------
    def summary(self, threshold: float = 0.5, by=None, **filters) -> pd.DataFrame:
        """metric_name, [by], count, mean, std, min, max, pass_rate (0-1)."""
        return self.analytic("summary", threshold=threshold, by=by, filters=filters or None)

    def distribution(self, metric=None, bins: int = 20, **filters) -> pd.DataFrame:
        """metric_name, bin, bin_start, bin_end, count."""
        return self.analytic("distribution", metric=metric, bins=bins, filters=filters or None)

    def quantiles(self, metric=None, by=None, **filters) -> pd.DataFrame:
        return self.analytic("quantiles", metric=metric, by=by, filters=filters or None)

    def comparison(self, by: str = "evaluation_name", **filters) -> pd.DataFrame:
        """group, metric_name, count, mean, std, min, max, pass_rate."""
        return self.analytic("comparison", by=by, filters=filters or None)

    def correlation(self, metrics=None, **filters) -> pd.DataFrame:
        """metric_x, metric_y, r, n (Pearson, paired by record)."""
        return self.analytic("correlation", metrics=metrics, filters=filters or None)

    def radar(self, by=None, metrics=None, **filters) -> pd.DataFrame:
        """group, metric_name, mean."""
        return self.analytic("radar", by=by, metrics=metrics, filters=filters or None)

    def scatter(self, x: str, y: str, color_by=None, limit: int = 5000, **filters) -> pd.DataFrame:
        """dataset_id, x, y[, color]."""
        return self.analytic("scatter", x=x, y=y, color_by=color_by, limit=limit,
                             filters=filters or None)

    # Comparison (analytics/compare.py) ------------------------------------------------
    def compare(self, baseline=None, challenger=None, metrics=None, alpha: float = 0.05,
                paired=None, **filters) -> pd.DataFrame:
        """Head-to-head per metric: metric_name, baseline_mean, challenger_mean, delta,
        pct_change, test (paired_t | welch), p_value, p_value_adjusted (Holm), significant,
        wilcoxon_p, cohens_d, effect_size, ci_low, ci_high, n_baseline, n_challenger, n_pairs,
        note. Baseline/challenger default to the first two experiments."""
        return self.analytic("compare", baseline=baseline, challenger=challenger, metrics=metrics,
                             alpha=alpha, paired=paired, filters=filters or None)

    def win_loss(self, baseline=None, challenger=None, metrics=None, tie_band: float = 0.01,
                 level: str = "case", **filters) -> pd.DataFrame:
        """[metric_name], outcome, experiment, cases, share, mean_delta, mean_abs_delta."""
        return self.analytic("win_loss", baseline=baseline, challenger=challenger, metrics=metrics,
                             tie_band=tie_band, level=level, filters=filters or None)

    def case_diff(self, baseline=None, challenger=None, outcome: str = "all",
                  sort_by: str = "abs_delta", descending: bool = True, search=None, page: int = 1,
                  page_size: int = 20, metrics=None, **filters) -> pd.DataFrame:
        """One page of cases: position, case_id, query, both responses and scores, delta,
        abs_delta, outcome, n_metrics, metrics, total."""
        return self.analytic("case_diff", baseline=baseline, challenger=challenger, outcome=outcome,
                             sort_by=sort_by, descending=descending, search=search, page=page,
                             page_size=page_size, metrics=metrics, filters=filters or None)

    def experiments(self, threshold: float = 0.5, metrics=None, **filters) -> pd.DataFrame:
        """evaluation_name, metric_name, count, mean, std, min, max, pass_rate, cases, experiment_mean."""
        return self.analytic("experiments", threshold=threshold, metrics=metrics, filters=filters or None)

    def agreement(self, threshold: float = 0.5, metrics=None, **filters) -> pd.DataFrame:
        """Pairwise pass/fail agreement between experiments (2x2 counts, Cohen's kappa)."""
        return self.analytic("agreement", threshold=threshold, metrics=metrics, filters=filters or None)

    def export_comparison(self, baseline=None, challenger=None, format: str = "markdown",
                          metrics=None, alpha: float = 0.05, tie_band: float = 0.01, **filters) -> str:
        """The comparison as CSV, JSON or Markdown text."""
        from ..analytics import compare as C

        res = self.compare(baseline, challenger, metrics=metrics, alpha=alpha, **filters)
        if format == "csv":
            return C.export_csv(res)
        b, c = (res.baseline.iloc[0], res.challenger.iloc[0]) if len(res) else (baseline, challenger)
        wins = self.win_loss(b, c, metrics=metrics, tie_band=tie_band, **filters)
        if format == "json":
            return C.export_json(res, wins, baseline=b, challenger=c, alpha=alpha, tie_band=tie_band,
                                 verdict=C.verdict(res) if len(res) else None)
        if format not in ("markdown", "md"):
            from ..errors import QueryError

            raise QueryError("format must be csv, json or markdown.")
        return C.export_markdown(res, wins)

    # Deep dive (analytics/deepdive.py) -------------------------------------------------
    def length_analysis(self, metric=None, by="evaluation_name", bins=None, **filters) -> pd.DataFrame:
        """Response-length bins: count and mean score."""
        return self.analytic("length_analysis", metric=metric, by=by, bins=bins, filters=filters or None)

    def turn_analysis(self, metric=None, by="evaluation_name", **filters) -> pd.DataFrame:
        """Conversation turns: count and mean score per number of turns."""
        return self.analytic("turn_analysis", metric=metric, by=by, filters=filters or None)

    def metadata_breakdown(self, key: str, metric=None, threshold: float = 0.5, column=None, by=None,
                           **filters) -> pd.DataFrame:
        """Mean and pass rate per value of a metadata key."""
        return self.analytic("metadata_breakdown", key=key, metric=metric, threshold=threshold,
                             column=column, by=by, filters=filters or None)

    def case_detail(self, dataset_id, evaluation_name=None) -> pd.DataFrame:
        """Every field of one test case, JSON-ish fields parsed."""
        return self.analytic("case_detail", dataset_id=dataset_id, evaluation_name=evaluation_name)

    # Monitoring analytics -------------------------------------------------------------
    def trends(self, granularity: str = "day", metric_category: str | None = "SCORE",
               **filters) -> pd.DataFrame:
        """bucket, metric_name, count, avg, p50, p95, p99."""
        return self.analytic("trends", granularity=granularity, metric_category=metric_category,
                             filters=filters or None)

    def latency(self, by=None, **filters) -> pd.DataFrame:
        """[by], count, mean, min, max, p50, p95, p99 (each record once)."""
        return self.analytic("latency", by=by, filters=filters or None)

    def latency_histogram(self, bins: int = 20, by=None, **filters) -> pd.DataFrame:
        """[group], bin, bin_start, bin_end, count."""
        return self.analytic("latency_histogram", bins=bins, by=by, filters=filters or None)

    def pass_rates(self, threshold: float = 0.5, by=None, **filters) -> pd.DataFrame:
        """metric_name, [by], count, pass_rate (0-1), avg."""
        return self.analytic("pass_rates", threshold=threshold, by=by, filters=filters or None)

    # Alerts, health, classification and KPI analytics ---------------------------------
    def alerts(self, granularity: str = "day", scan: bool = False, config: dict | None = None,
               **filters) -> pd.DataFrame:
        """source_name, metric_name, detector, severity, bucket, value, message (+ category,
        group, reference, statistic, limit, count). ``scan=True`` checks every bucket."""
        return self.analytic("alerts", granularity=granularity, scan=scan, config=config,
                             filters=filters or None)

    def health(self, level: str = "metric", **filters) -> pd.DataFrame:
        """[source_name, source_component, metric_name], count, avg, pass_rate, good, pass, health."""
        return self.analytic("health", level=level, filters=filters or None)

    def hierarchy(self, deltas: str = "metric", **filters) -> pd.DataFrame:
        """Source -> component -> metric: level, key, parent, name, score, count, delta, health,
        sparkline."""
        return self.analytic("hierarchy", deltas=deltas, filters=filters or None)

    def classification(self, metric=None, category_source: str = "explanation",
                       **filters) -> pd.DataFrame:
        """metric_name, category, count, share (0-1), total."""
        return self.analytic("classification", metric=metric, category_source=category_source,
                             filters=filters or None)

    def classification_trends(self, metric=None, granularity: str = "day",
                              category_source: str = "explanation", **filters) -> pd.DataFrame:
        """bucket, metric_name, category, count, share."""
        return self.analytic("classification_trends", metric=metric, granularity=granularity,
                             category_source=category_source, filters=filters or None)

    def insights(self, metric=None, page: int = 1, limit: int = 20, search=None,
                 **filters) -> pd.DataFrame:
        """One page of ANALYSIS rows (signals parsed) and total_count."""
        return self.analytic("insights", metric=metric, page=page, limit=limit, search=search,
                             filters=filters or None)

    def kpi_panels(self, kpi_names=None, **filters) -> pd.DataFrame:
        """Per KPI: category, current value, 7/30-day averages, trend direction, sparkline."""
        return self.analytic("kpi_panels", kpi_names=kpi_names, filters=filters or None)

    def kpi_trends(self, kpi_names=None, **filters) -> pd.DataFrame:
        """date, kpi_name, value, avg_7d, avg_30d, count."""
        return self.analytic("kpi_trends", kpi_names=kpi_names, filters=filters or None)

    def kpi_composition(self, history: bool = False, **filters) -> pd.DataFrame:
        """The composition charts of kpi.yaml (shares of their KPIs, optional remainder)."""
        return self.analytic("kpi_composition", history=history, filters=filters or None)

    # Human signals (analytics/signals.py, signal_kpis.py) --------------------------------
    def signal_schema(self) -> pd.DataFrame:
        """role, metric_name, category, signal, type, column, n_values, values."""
        return self.analytic("signal_schema")

    def cases(self, columns=None, search=None, sort_by=None, descending: bool = False, page=None,
              page_size=None, **filters) -> pd.DataFrame:
        """One row per case: case fields, metadata keys, one column per <metric>__<signal>."""
        return self.analytic("cases", columns=columns, search=search, sort_by=sort_by,
                             descending=descending, page=page, page_size=page_size,
                             filters=filters or None)

    def display_config(self, config: dict | None = None) -> dict:
        """The merged display config: kpi_strip, chart_sections, filters, table_columns,
        color_maps (signals_metrics.yaml and ``config`` over the generated one)."""
        from ..signals import api

        return api.display_config(self.store, self.name, config)

    def signal_kpis(self, config: dict | None = None, granularity: str = "week", **filters) -> pd.DataFrame:
        """The KPI strip: key, label, kind, value (rates 0-1), present, total, sparkline, ..."""
        return self.analytic("signal_kpis", config=config, granularity=granularity, filters=filters or None)

    def signal_trends(self, signal=None, granularity: str = "week", config: dict | None = None,
                      **filters) -> pd.DataFrame:
        """bucket, key, label, kind, category, value, count, present."""
        return self.analytic("signal_trends", signal=signal, granularity=granularity, config=config,
                             filters=filters or None)

    def signal_values(self, signal=None, limit=None, recent: bool = False, **filters) -> pd.DataFrame:
        """column, metric_name, signal, value, count, share, latest."""
        return self.analytic("signal_values", signal=signal, limit=limit, recent=recent,
                             filters=filters or None)

    def signal_case(self, case_id) -> pd.DataFrame:
        """Every field, signal and message of one case: part, metric_name, key, type, value."""
        return self.analytic("signal_case", case_id=case_id)
