"""Attached datasets: tables that stay in another engine (Spark, PostgreSQL, any Ibis backend)
and are analysed there.

The store keeps only what it says about them (kind, layout, the column plan, counts, filter
values, time range: computed on the engine when attached) in its metadata table, under the
key ``attached``. Reading builds the dataset's roles as Ibis projections of the engine's
table — the same renames, casts and defaults a load applies in DuckDB, and for wide tables
the melt into one row per (record, metric) — so every analytic runs there unchanged and no
row is copied.

Nothing here connects to anything: the store is handed a live Ibis backend (or re-creates
one through :meth:`LocalStore.connect_attached`, which :mod:`axis_jupyter.attach` provides).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from ..errors import IngestError, QueryError
from ..ingest.build import NUMERIC_CANON, TEXT_CANON, plan_kind
from ..ingest.columns import FILTER_COLUMNS, JSONISH, MS_LATENCY_NAMES, normalise_name
from ..ingest.detect import wide_metric_columns
from .metadata import MAX_FILTER_VALUES

# Layouts that are one table of scores; wide ones are melted; unscored inputs and the rest
# (annotations, rules) have nothing for the analytics to run on.
LONG_LAYOUTS = {("evals", "tree_format"), ("evals", "flat_format"), ("evals", "eval_runner"),
                ("monitoring", "long"), ("kpi", "long"), ("signals", "long")}
WIDE_LAYOUTS = {("evals", "wide"), ("monitoring", "wide")}


def duck_type(dtype: dt.DataType) -> str:
    """The DuckDB name of an Ibis type (what a loaded dataset's metadata says)."""
    from ibis.backends.sql.datatypes import DuckDBType

    try:
        return DuckDBType.to_string(dtype).upper()
    except Exception:  # noqa: BLE001 - an engine type DuckDB has no name for
        return str(dtype).upper()


@dataclass
class Plan:
    """How the engine's table becomes the dataset: kind, layout, the rename of each source
    column to its canonical name, the metric columns of a wide table, and the columns a
    load would add (as constants)."""

    kind: str
    layout: str
    rename: dict[str, str]
    metric_columns: list[str]
    defaults: dict[str, Any]
    warnings: list[str]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "layout": self.layout, "rename": self.rename,
                "metric_columns": self.metric_columns, "defaults": self.defaults}

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        return cls(d["kind"], d["layout"], dict(d["rename"]), list(d["metric_columns"]),
                   dict(d.get("defaults") or {}), [])


def make_plan(raw: ibis.Table, kind: str, mapping: dict | None, label: str) -> Plan:
    """Detect kind and layout from the engine table's columns, as a load of a file with
    these columns would (aliases, ``mapping``, required columns)."""
    columns = [(c, duck_type(t)) for c, t in raw.schema().items()]
    kind_, layout, rename = plan_kind(columns, kind, mapping, label)
    if (kind_, layout) not in LONG_LAYOUTS | WIDE_LAYOUTS:
        what = "unscored inputs" if layout == "inputs" else f"{kind_} data ({layout})"
        raise IngestError(f"{label}: {what} cannot be attached: the analytics need scores "
                          "(metric_name and metric_score, or *_score columns). Load it with "
                          "axis.load() instead, or pass kind= and mapping= naming the score "
                          "columns.")
    present = set(rename.values())
    defaults: dict[str, Any] = {}
    warnings: list[str] = []
    if kind_ == "evals" and layout in ("tree_format", "flat_format", "eval_runner"):
        if "dataset_id" not in present:
            defaults["dataset_id"] = "test_case_1"
            warnings.append(f"{label}: no dataset_id column; every row counts as 'test_case_1'.")
        defaults.setdefault("evaluation_name", "Experiment 1")
        defaults.setdefault("metric_type", "metric")
        defaults.setdefault("parent", None)
        defaults.setdefault("weight", 1.0)
        defaults = {k: v for k, v in defaults.items() if k not in present}
    if kind_ == "evals" and layout == "wide" and "evaluation_name" not in present:
        defaults["evaluation_name"] = "Experiment 1"
    if kind_ == "monitoring":
        if "timestamp" not in present:
            raise IngestError(f"{label}: monitoring data needs a timestamp column to be "
                              "attached; map yours with mapping={'your_column': 'timestamp'}.")
        if "metric_category" not in present:
            defaults["metric_category"] = "SCORE"
    metric_cols: list[str] = []
    if layout == "wide":
        types = {rename[c]: t for c, t in columns}
        metric_cols = wide_metric_columns(types, numeric_fallback=(kind_ == "evals"))
        if not metric_cols:
            raise IngestError(f"{label}: no metric columns found.")
    return Plan(kind_, layout, rename, metric_cols, defaults, warnings)


def _as_float(x: ibis.Value) -> ibis.Value:
    """A score column as float64 with NaN as NULL (NaN is not a value: counts, means and
    percentiles must ignore it, as they do for a load)."""
    t = x.type()
    if t.is_floating():
        return ibis.ifelse(x.isnan(), ibis.null("float64"), x.cast("float64"))
    if t.is_numeric() or t.is_boolean():
        return x.cast("float64")
    return x.try_cast("float64")


def _canonical(x: ibis.Value, canon: str) -> ibis.Value:
    """Source column ``x`` as canonical column ``canon`` (the Ibis form of the load's SQL)."""
    t = x.type()
    if canon.endswith("_score") or canon in NUMERIC_CANON:
        return _as_float(x)
    if canon in ("timestamp", "created_at"):
        if t.is_timestamp():
            return x.cast(dt.Timestamp(scale=t.scale)) if t.timezone else x
        if t.is_date():
            return x.cast("timestamp")
        return x.cast("string").try_cast("timestamp") if not t.is_string() else x.try_cast("timestamp")
    if canon == "parent":
        return x.cast("string").strip().nullif("")
    if canon == "metric_category":
        return x.cast("string").strip().nullif("").fill_null("SCORE").upper()
    if canon in TEXT_CANON or canon in JSONISH:
        return x if t.is_string() or not t.is_primitive() else x.cast("string")
    return x


def _literal(value: Any, canon: str) -> ibis.Value:
    if canon == "weight":
        return ibis.literal(float(value), "float64")
    if value is None:
        return ibis.null("string")
    return ibis.literal(value, "string")


def project(raw: ibis.Table, plan: Plan) -> dict[str, ibis.Table]:
    """The dataset's roles (``scores``, ``records``, ``full``) as projections of ``raw``."""
    missing = [c for c in plan.rename if c not in raw.columns]
    if missing:
        raise QueryError(f"the attached table has no column(s) {', '.join(missing)} any more; "
                         "attach it again.")
    cols = {canon: _canonical(raw[orig], canon).name(canon) for orig, canon in plan.rename.items()}
    for canon, value in plan.defaults.items():
        cols[canon] = _literal(value, canon).name(canon)
    base = raw.select(**cols)
    if plan.layout != "wide":
        return {"scores": base, "records": base, "full": base}
    # Wide: one row per (record, metric), every other column carried along (an engine reads
    # only the columns a query uses). The melt unnests the metric's position and picks name
    # and score by it (CASE): one pass over the table where a UNION ALL per metric would
    # scan it once per metric, and no struct (PostgreSQL's come back as JSON text).
    keep = [c for c in base.columns if c not in plan.metric_columns]
    positions = ibis.array(list(range(len(plan.metric_columns)))).unnest()
    spread = base.mutate(_axis_i=positions)
    i = spread._axis_i
    name = ibis.cases(*[(i == k, ibis.literal(c[:-6] if c.endswith("_score") else c))
                        for k, c in enumerate(plan.metric_columns)])
    score = ibis.cases(*[(i == k, _as_float(spread[c])) for k, c in enumerate(plan.metric_columns)])
    melted = spread.select(*keep, _axis_n=name, _axis_v=score)
    extra = {}
    if plan.kind == "evals":
        extra = {"metric_type": ibis.literal("metric"), "parent": ibis.null("string"),
                 "weight": ibis.literal(1.0, "float64")}
    scores = melted.select(*keep, **{k: v for k, v in extra.items() if k not in keep},
                           metric_name=melted._axis_n, metric_score=melted._axis_v)
    scores = scores.filter(scores.metric_score.notnull())
    return {"scores": scores, "records": base, "full": scores}


def compute_info(name: str, run, tables: dict[str, ibis.Table], plan: Plan,
                 attached: dict) -> dict:
    """The metadata of an attached dataset, its counts computed on the engine (``run``
    executes an expression there): two or three small queries."""
    scores, full = tables["scores"], tables["full"]
    cols = scores.columns
    aggs = {"rows": scores.count()}
    if plan.layout != "wide" and "dataset_id" in cols:
        aggs["records"] = scores.dataset_id.nunique()
    if "timestamp" in cols:
        aggs["t_min"] = scores.timestamp.min()
        aggs["t_max"] = scores.timestamp.max()
    counts = run(scores.aggregate(**aggs)).iloc[0]
    rows = int(counts["rows"])
    if plan.layout == "wide":
        records = int(run(tables["records"].aggregate(n=tables["records"].count())).iloc[0]["n"])
    else:
        records = int(counts["records"]) if "records" in aggs else rows
    time_range = None
    if "t_min" in aggs and rows:
        lo, hi = counts["t_min"], counts["t_max"]
        time_range = [None if pd.isna(lo) else pd.Timestamp(lo).isoformat(),
                      None if pd.isna(hi) else pd.Timestamp(hi).isoformat()]
    filter_values = _filter_values(run, scores, [c for c in FILTER_COLUMNS if c in cols]) if rows else {}
    return {
        "name": name, "kind": plan.kind, "layout": plan.layout,
        "source": f"attached: {attached.get('engine')} {attached.get('target', '')} "
                  f"{attached.get('table', '')}".strip(),
        "version": 1, "tables": [], "scores_table": None,
        # record_level analytics (latency counts each record once) read the records role
        "records_table": attached.get("table") if plan.layout == "wide" else None,
        "metric_columns": plan.metric_columns, "rows": rows, "records": records,
        "columns": [{"name": c, "type": duck_type(t)} for c, t in full.schema().items()],
        "filter_values": filter_values, "time_range": time_range,
        "metrics": filter_values.get("metric_name", []),
        "jsonish": sorted(c for c in full.columns if c in JSONISH),
        "warnings": plan.warnings,
        **_latency_unit(plan),
        "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "attached": {**attached, "plan": plan.to_dict()},
    }


def _latency_unit(plan: Plan) -> dict:
    """What a load says of the latency column's unit: ms when its name says so."""
    orig = [o for o, c in plan.rename.items() if c == "latency"]
    if not orig:
        return {}
    return {"latency_unit": "ms" if normalise_name(orig[0]) in MS_LATENCY_NAMES else "s?"}


def _filter_values(run, t: ibis.Table, columns: list[str]) -> dict[str, list[str]]:
    """The distinct values of each filter column (at most MAX_FILTER_VALUES each), in one
    query: the per-column distinct sets stacked and numbered."""
    if not columns:
        return {}
    parts = [t.select(column=ibis.literal(c), value=t[c].cast("string")).distinct()
             for c in columns]
    u = ibis.union(*parts) if len(parts) > 1 else parts[0]
    u = u.filter(u.value.notnull())
    u = u.mutate(_n=ibis.row_number().over(group_by=u.column, order_by=u.value))
    df = run(u.filter(u._n < MAX_FILTER_VALUES).select("column", "value"))
    out: dict[str, list[str]] = {c: [] for c in columns}
    for c, v in zip(df["column"], df["value"]):
        out[str(c)].append(str(v))
    return {c: sorted(v) for c, v in out.items()}


# --------------------------------------------------------------------------- running
class EngineReads:
    """Runs expressions on one attached engine, and stops them when a read budget says so
    (:meth:`interrupter`): Spark cancels the read's job group, PostgreSQL cancels the
    running statement; other engines finish what they run (their time limits are their own)."""

    def __init__(self, backend, engine: str):
        self.backend, self.engine = backend, engine

    def execute(self, expr) -> pd.DataFrame:
        return self.backend.execute(expr)

    def records(self, expr) -> list[dict]:
        return self.backend.to_pyarrow(expr).to_pylist()

    def interrupter(self) -> "_Interrupt":
        return _Interrupt(self)


class _Interrupt:
    """What a read budget's watchdog calls ``interrupt()`` on for an engine read."""

    def __init__(self, reads: EngineReads):
        self.reads = reads
        self.group = f"axis-{uuid.uuid4().hex[:12]}"
        self.thread = threading.get_ident()

    def __enter__(self):
        if self.reads.engine == "pyspark":
            sc = self.reads.backend._session.sparkContext
            sc.setJobGroup(self.group, "AXIS read", interruptOnCancel=True)
        return self

    def __exit__(self, *exc):
        if self.reads.engine == "pyspark":
            self.reads.backend._session.sparkContext.setLocalProperty("spark.jobGroup.id", None)

    def interrupt(self) -> None:
        b = self.reads.backend
        if self.reads.engine == "pyspark":
            b._session.sparkContext.cancelJobGroup(self.group)
        elif self.reads.engine == "postgres":
            con = getattr(b, "con", None)
            cancel = getattr(con, "cancel_safe", None) or getattr(con, "cancel", None)
            if cancel is not None:
                cancel()
