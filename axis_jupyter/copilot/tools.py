"""The copilot's tools: read-only, and run where the data lives.

=================  =====================================================================
list_datasets      the store's datasets (name, kind, layout, rows, records, metrics)
describe_dataset   columns and their roles, metrics, filter values, time range, example rows
run_sql            one read-only SELECT through the store's guard (only the store's own
                   tables, no file/network functions), at most ``row_cap`` rows returned
run_analytic       any registered analytic by name with parameters (summary, compare, ...)
sample_cases       the lowest- or highest-scoring cases of a metric with their text
use_skill          the instructions of a skill (see :mod:`.skills`)
=================  =====================================================================

No tool writes to the store, reads a file or reaches the network: SQL goes through the same
guard as ``axis.sql`` (one SELECT, the store's tables only, file and network functions
refused) and analytics are the registry's read-only expressions. Every query a tool runs is
recorded as a :class:`~.answer.QueryRecord`, in order, so the answer can show and re-run it.
Results reach the model as quoted JSON data (:mod:`.quoting`).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import AxisError, NotFoundError, QueryError
from .answer import QueryRecord
from .quoting import as_data, frame_rows

log = logging.getLogger("axis_jupyter.copilot")

DEFAULT_ROW_CAP = 50
MAX_SAMPLE = 20
SAMPLE_FIELDS = ("query", "actual_output", "expected_output", "critique")
EXAMPLE_ROWS = 3


def row_cap_from_env() -> int:
    try:
        return max(1, min(1000, int(os.environ.get("AXIS_COPILOT_ROW_CAP", DEFAULT_ROW_CAP))))
    except ValueError:
        return DEFAULT_ROW_CAP


@dataclass
class ToolOutcome:
    """What one tool call gave: the text the model gets, whether it failed, a one-line
    summary for the user, and the query it ran (if any)."""

    text: str
    is_error: bool = False
    summary: str = ""
    query: QueryRecord | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _schema(props: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


class Toolbox:
    """The tools of one question, bound to a store (and optionally to some datasets)."""

    def __init__(self, store, datasets: list[str] | None = None, skills=None,
                 row_cap: int | None = None):
        self.store = store
        self.allowed = None if datasets is None else [str(d) for d in datasets]
        self.skills = skills
        self.row_cap = row_cap or row_cap_from_env()
        self._query: QueryRecord | None = None  # the query of the call running now
        if self.allowed is not None:
            for name in self.allowed:
                store.info(name)  # NotFoundError for an unknown dataset, before any call

    # -- what the model sees ---------------------------------------------------------------
    def specs(self) -> list[dict[str, Any]]:
        from ..analytics import registry

        analytics = registry.load_all()
        listing = "; ".join(f"{a.name}({', '.join(a.param_schemas())}) [{', '.join(a.kinds)}]"
                            for a in sorted(analytics.values(), key=lambda a: a.name))
        specs = [
            {"name": "list_datasets", "description": "List the datasets in the store: name, "
             "kind (evals, monitoring, ...), layout, rows, records and metric count.",
             "input_schema": _schema({})},
            {"name": "describe_dataset", "description": "Describe one dataset: its SQL table "
             "name, columns with types and roles, metrics, filter values (experiments, "
             "environments, ...), time range and a few example rows.",
             "input_schema": _schema({"name": {"type": "string"}}, ("name",))},
            {"name": "run_sql", "description": "Run ONE read-only SELECT (DuckDB SQL) on the "
             "store. Each dataset is a table named like the dataset, one row per record x "
             "metric (metric_name, metric_score, dataset_id, evaluation_name, ...). At most "
             f"{self.row_cap} rows come back: aggregate in SQL rather than fetching rows.",
             "input_schema": _schema({"query": {"type": "string"}}, ("query",))},
            {"name": "run_analytic", "description": "Run a registered analytic on a dataset "
             "and get its table. Prefer it to SQL for statistics (compare gives p-values and "
             f"effect sizes). Analytics and their parameters: {listing}. Any other parameter "
             "filters rows via params.filters, e.g. {\"filters\": {\"evaluation_name\": \"v2\"}}.",
             "input_schema": _schema({"dataset": {"type": "string"},
                                      "analytic": {"type": "string"},
                                      "params": {"type": "object"}}, ("dataset", "analytic"))},
            {"name": "sample_cases", "description": "The lowest- (or highest-) scoring cases "
             "of a metric with their text fields (query, output, expected output, critique), "
             f"at most {MAX_SAMPLE}.",
             "input_schema": _schema({
                 "dataset": {"type": "string"}, "metric": {"type": "string"},
                 "which": {"type": "string", "enum": ["low", "high"]},
                 "n": {"type": "integer", "minimum": 1, "maximum": MAX_SAMPLE},
                 "evaluation_name": {"type": "string"}}, ("dataset",))},
        ]
        if self.skills:
            specs.append({"name": "use_skill", "description": "Read the instructions of one "
                          "of the skills listed in the system prompt, then follow them with "
                          "the other tools.",
                          "input_schema": _schema({"name": {"type": "string"},
                                                   "arguments": {"type": "object"}}, ("name",))})
        return specs

    # -- running a call ----------------------------------------------------------------------
    def run(self, name: str, args: dict[str, Any]) -> ToolOutcome:
        """Run tool ``name``; a user-level failure (bad SQL, unknown dataset, write attempt)
        is an error result the model can read and correct, never an exception."""
        method = getattr(self, f"_tool_{name}", None)
        if method is None or not isinstance(args, dict):
            return ToolOutcome(f"unknown tool {name!r}" if method is None else
                               "the tool input must be a JSON object", True, "unknown tool")
        started = time.perf_counter()
        self._query = None
        try:
            out = method(**args)
        except TypeError as exc:
            out = ToolOutcome(f"bad arguments for {name}: {exc}", True, "bad arguments")
        except AxisError as exc:
            out = ToolOutcome(str(exc), True, str(exc).splitlines()[0][:200])
            if self._query is not None:  # the failed query is part of the record too
                self._query.error = str(exc)
                out.query = self._query
        except Exception:  # noqa: BLE001 - a tool bug must not end the conversation
            log.exception("AXIS copilot: tool %s failed", name)
            out = ToolOutcome(f"the {name} tool failed unexpectedly (logged on the server).",
                              True, "tool failed")
        seconds = time.perf_counter() - started
        if out.query is not None:
            out.query.seconds = seconds
        out.metadata["seconds"] = seconds
        return out

    # -- the tools ---------------------------------------------------------------------------
    def _names(self) -> list[str]:
        names = list(self.store.datasets()["name"])
        return names if self.allowed is None else [n for n in names if n in self.allowed]

    def _check_dataset(self, name: Any) -> dict:
        if not isinstance(name, str) or not name:
            raise QueryError("dataset must be a dataset name (list_datasets lists them).")
        if self.allowed is not None and name not in self.allowed:
            raise NotFoundError(f"no dataset named {name!r} in this conversation "
                                f"(it covers {', '.join(self.allowed)}).")
        return self.store.info(name)

    def _tool_list_datasets(self) -> ToolOutcome:
        rows = []
        for name in self._names():
            info = self.store.info(name)
            rows.append({"name": name, "kind": info.get("kind"), "layout": info.get("layout"),
                         "rows": info.get("rows"), "records": info.get("records"),
                         "metrics": len(info.get("metrics") or [])})
        return ToolOutcome(as_data({"datasets": rows}, records=False),
                           summary=f"{len(rows)} datasets")

    def _tool_describe_dataset(self, name: str) -> ToolOutcome:
        info = self._check_dataset(name)
        filters = {k: v[:20] for k, v in (info.get("filter_values") or {}).items()
                   if k != "metric_name"}
        cols = [{"name": c["name"], "type": c["type"], "role": _role(c["name"], c["type"], info)}
                for c in info.get("columns", [])]
        text_cols = [c["name"] for c in cols if c["role"] in ("text", "json")]
        example, _ = self.store.rows(name, page=1, page_size=EXAMPLE_ROWS)
        ex_cols, ex_rows = frame_rows(example, EXAMPLE_ROWS)
        payload = {"dataset": name, "sql_table": name, "kind": info.get("kind"),
                   "layout": info.get("layout"), "rows": info.get("rows"),
                   "records": info.get("records"), "columns": cols,
                   "metrics": (info.get("metrics") or [])[:100], "filter_values": filters,
                   "time_range": info.get("time_range"),
                   "data": {"example_rows": {"columns": ex_cols, "rows": ex_rows},
                            "text_columns": text_cols}}
        if info.get("kind") == "signals" and info.get("cases_table"):
            payload["cases"] = self._cases_part(name, info)
        return ToolOutcome(as_data(payload), summary=f"{len(cols)} columns, "
                           f"{len(info.get('metrics') or [])} metrics")

    def _cases_part(self, name: str, info: dict) -> dict:
        """A human-signals dataset's cases table: what the model needs to query it (the
        long table above has one row per case and metric, with signals as JSON text)."""
        schema = self.store.analytic(name, "signal_schema")
        signals = schema[schema["role"] == "signal"] if "role" in schema else schema
        types = {c: t for c, t in zip(signals.get("column", []), signals.get("type", []))}
        table = info["cases_table"]
        cols = self.store.read(lambda cur: cur.execute(
            f'SELECT * FROM "{table}" LIMIT 0').description)
        return {"sql_table": table,
                "about": "one row per case (dataset_id): case fields and one column per "
                         "<metric>__<signal>. Prefer run_analytic signal_kpis (rates 0-1, "
                         "medians, totals), signal_trends, signal_values or cases on this "
                         "dataset; run_sql on this table for anything else.",
                "columns": [{"name": d[0], "signal_type": types.get(d[0])} for d in cols]}

    def _tool_run_sql(self, query: str) -> ToolOutcome:
        if not isinstance(query, str):
            raise QueryError("query must be one SELECT statement as text.")
        record = self._query = QueryRecord(kind="sql", tool="run_sql", sql=query.strip())
        if self.allowed is not None:
            self._check_tables(query)
        df = self.store.sql_arrow(query, limit=self.row_cap + 1).to_pandas()
        return self._table_outcome(df, record)

    def _check_tables(self, query: str) -> None:
        from ..store.sqlguard import check_select

        tables: set[str] = set()
        for name in self.allowed or []:
            tables.add(name)
            tables.update(self.store.info(name).get("tables", []))
        self.store.read(lambda cur: check_select(cur, query, tables))

    def _tool_run_analytic(self, dataset: str, analytic: str, params: dict | None = None) -> ToolOutcome:
        self._check_dataset(dataset)
        params = dict(params or {})
        if not isinstance(analytic, str):
            raise QueryError("analytic must be the name of a registered analytic.")
        record = self._query = QueryRecord(kind="analytic", tool="run_analytic", dataset=dataset,
                                           analytic=analytic, params=params)
        df = self.store.analytic(dataset, analytic, **params)
        if not isinstance(df, pd.DataFrame):  # e.g. a comparison result object
            df = pd.DataFrame(df)
        return self._table_outcome(df, record)

    def _tool_sample_cases(self, dataset: str, metric: str | None = None, which: str = "low",
                           n: int = 5, evaluation_name: str | None = None) -> ToolOutcome:
        self._check_dataset(dataset)
        if which not in ("low", "high"):
            raise QueryError("which must be low or high.")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLE:
            raise QueryError(f"n must be an integer from 1 to {MAX_SAMPLE}.")
        params: dict[str, Any] = {"mode": which, "threshold": 1e12 if which == "low" else -1e12,
                                  "max_issues": n, "fields": list(SAMPLE_FIELDS)}
        if metric:
            params["metrics"] = [metric]
        if evaluation_name:
            params["filters"] = {"evaluation_name": evaluation_name}
        record = self._query = QueryRecord(kind="analytic", tool="sample_cases", dataset=dataset,
                                           analytic="issues", params=params)
        df = self.store.analytic(dataset, "issues", **params)
        return self._table_outcome(df, record)

    def _tool_use_skill(self, name: str, arguments: dict | None = None) -> ToolOutcome:
        skill = self.skills.get(name) if self.skills else None
        if skill is None:
            known = ", ".join(self.skills.names()) if self.skills else "none"
            raise NotFoundError(f"no skill named {name!r} (skills: {known}).")
        text = skill.render(arguments or {})
        return ToolOutcome(as_data({"skill": skill.name, "instructions": text}, records=False),
                           summary=f"skill {skill.name}", metadata={"skill": skill.name})

    # -- results -------------------------------------------------------------------------------
    def _table_outcome(self, df: pd.DataFrame, record: QueryRecord) -> ToolOutcome:
        truncated = len(df) > self.row_cap
        cols, rows = frame_rows(df, self.row_cap)
        record.columns, record.preview = cols, rows
        record.rows, record.truncated = len(rows), truncated
        payload = {"columns": cols, "row_count": len(rows), "truncated": truncated,
                   "data": rows}
        if truncated:
            payload["hint"] = (f"only the first {self.row_cap} rows are shown; aggregate or "
                               "filter to see the rest.")
        summary = f"{len(rows)}{'+' if truncated else ''} rows × {len(cols)} columns"
        return ToolOutcome(as_data(payload), summary=summary, query=record)


def _role(name: str, dtype: str, info: dict) -> str:
    from ..ingest.columns import FILTER_COLUMNS, JSONISH

    if name in ("metric_score",) or name in (info.get("metric_columns") or []):
        return "metric score"
    if name == "metric_name":
        return "metric name"
    if name in ("dataset_id", "trace_id", "id"):
        return "record id"
    if name in FILTER_COLUMNS:
        return "dimension (filter)"
    if name in JSONISH:
        return "json"
    if "TIMESTAMP" in dtype.upper() or "DATE" in dtype.upper():
        return "time"
    if "VARCHAR" in dtype.upper() or "TEXT" in dtype.upper():
        return "text"
    return "number" if any(t in dtype.upper() for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL")) \
        else "other"

