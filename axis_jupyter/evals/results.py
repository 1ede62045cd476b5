"""A finished evaluation run: its results dataset plus what the run was.

``axis.evaluate(...)`` returns an :class:`EvalRun`, and ``axis.run(name)`` re-opens one
later (the run's settings travel with its rows, in the ``run_config`` column). It is a
:class:`~axis_jupyter.store.dataset.Dataset`, so ``summary()`` and every view work on it,
and adds::

    run.config               source, mapping, metrics, thresholds, provider/model, agent
                             (literal header values shown as ***)
    run.export(path)         CSV, Parquet, JSON or JSON lines, by the file's extension
    run.failed()             the rows without a score (metric errors) or without an answer
                             (agent errors)
    run.rerun_failed()       score only those again (and ask the agent again for the items
                             it failed on); the fixed rows replace the failed ones
    run.compare_with(other)  both runs in one dataset, one experiment each, for the compare
                             view (runs of the same source dataset only)
"""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import QueryError
from ..store.dataset import Dataset
from .base import EvalError

EXPORT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".json": "json", ".jsonl": "jsonl"}
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "json": "application/json",
        "jsonl": "application/x-ndjson"}
# Columns a run adds to its items; the rest of a result row is the item itself.
RESULT_COLUMNS = ("metric_name", "metric_key", "metric_score", "passed", "threshold", "explanation",
                  "signals", "metric_metadata", "metric_type", "parent", "weight", "cost_estimate",
                  "tokens_in", "tokens_out", "model_name", "llm_provider", "source", "version", "error",
                  "run_id", "evaluation_name", "timestamp", "run_config")


def is_run(store: Any, name: str) -> bool:
    cols = {c["name"] if isinstance(c, dict) else str(c) for c in store.info(name).get("columns", [])}
    return {"run_config", "metric_name", "run_id"} <= cols


def open_run(store: Any, name: str) -> "EvalRun":
    """The run whose results are dataset ``name`` (``NotFoundError`` if there is none,
    ``EvalError`` if that dataset is not the result of a run)."""
    info = store.info(name)
    if not is_run(store, name):
        raise EvalError(f"dataset {name!r} is not the result of an evaluation run.")
    return EvalRun(store, name, info["kind"])


def list_runs(store: Any) -> pd.DataFrame:
    """The stored runs: name, source, run_id, metrics, rows, records, updated (newest first)."""
    rows = []
    for _, d in store.datasets().iterrows():
        if d["kind"] != "evals" or not is_run(store, d["name"]):
            continue
        cfg = EvalRun(store, d["name"], "evals").config
        rows.append({"name": d["name"], "source": cfg.get("source"), "run_id": cfg.get("_run_id"),
                     "metrics": [m if isinstance(m, str) else m.get("name") or m.get("key")
                                 for m in cfg.get("metrics") or []],
                     "agent": bool(cfg.get("agent")), "rows": d["rows"], "records": d["records"],
                     "updated": d["updated"]})
    out = pd.DataFrame(rows, columns=["name", "source", "run_id", "metrics", "agent", "rows", "records",
                                      "updated"])
    return out.sort_values("updated", ascending=False, ignore_index=True)


class EvalRun(Dataset):
    """The results dataset of one evaluation run, with its settings (see module doc)."""

    def __repr__(self) -> str:
        return f"<EvalRun {self.name!r} in {self.store.location}>"

    @property
    def config(self) -> dict:
        frame, _ = self.store.rows(self.name, page=1, page_size=1)
        if not len(frame) or "run_config" not in frame.columns:
            return {}
        raw = frame["run_config"].iloc[0]
        try:
            cfg = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            cfg = {}
        cfg["_run_id"] = frame["run_id"].iloc[0] if "run_id" in frame.columns else None
        return cfg

    def frame(self) -> pd.DataFrame:
        """Every result row (one per item x metric), item fields included."""
        from .api import all_rows

        return all_rows(self.store, self.name)

    # -- results out ---------------------------------------------------------------------
    def export(self, path: str | Path, format: str | None = None) -> Path:
        """Write the results to ``path`` as CSV, Parquet, JSON (an array of rows) or JSON
        lines, chosen by ``format`` or the extension. Returns the path."""
        path = Path(path).expanduser()
        fmt = format or EXPORT_FORMATS.get(path.suffix.lower())
        if fmt not in MIME:
            raise QueryError(f"export: format must be csv, parquet, json or jsonl (from the file "
                             f"extension or format=), not {format or path.suffix!r}.")
        path.write_bytes(export_bytes(self.frame(), fmt))
        return path

    def failed(self) -> pd.DataFrame:
        """Rows whose metric could not score, or whose item the agent did not answer."""
        df = self.frame()
        bad = df["error"].notna() if "error" in df.columns else pd.Series(False, index=df.index)
        if "agent_error" in df.columns:
            bad |= df["agent_error"].notna()
        return df[bad].reset_index(drop=True)

    def rerun_failed(self, name: str | None = None, *, agent: Any = None, judge: Any = None,
                     provider: str | None = None, model: str | None = None,
                     max_concurrent: int | None = None) -> "EvalRun":
        """Score the failed rows again; the results (all rows, the fixed ones replaced) are
        stored as ``name`` (default: this run's name, a new version of it).

        Items the agent did not answer are sent to the agent again first — the run's agent,
        or ``agent`` (needed when the run's agent had literal ``headers``, which are never
        stored). ``provider``/``model``/``judge`` override the run's judges."""
        from .rerun import rerun_failed

        out = rerun_failed(self, name, result_columns=RESULT_COLUMNS, run_id=new_run_id(), agent=agent,
                           judge=judge, provider=provider, model=model, max_concurrent=max_concurrent)
        return out if isinstance(out, EvalRun) else EvalRun(self.store, out.name, out.kind)

    def compare_with(self, earlier: "str | EvalRun", name: str | None = None) -> Dataset:
        """Both runs in one evaluation dataset (``name``, default ``<this>_vs_<earlier>``),
        one experiment (``evaluation_name``) each, for ``ds.compare`` and the compare view.
        Only runs of the same source dataset compare."""
        other = earlier if isinstance(earlier, EvalRun) else open_run(self.store, str(earlier))
        if other.name == self.name:
            raise QueryError("compare_with: pick an earlier run, not this one.")
        mine, theirs = self.config.get("source"), other.config.get("source")
        if mine != theirs:
            raise QueryError(f"compare_with: {self.name} scored {mine!r} and {other.name} scored "
                             f"{theirs!r}; only runs of the same dataset compare.")
        a, b = other.frame(), self.frame()
        a["evaluation_name"], b["evaluation_name"] = other.name, self.name
        both = pd.concat([a, b], ignore_index=True)
        target = name or f"{self.name}_vs_{other.name}"
        ds = self.store.load(both.drop(columns=["run_config"], errors="ignore"), name=target, kind="evals")
        return ds


def export_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """The rows of ``frame`` in ``fmt`` (csv | parquet | json | jsonl)."""
    import io

    frame = frame.copy()
    for col in frame.columns:  # timestamps as ISO text in the text formats
        if fmt != "parquet" and pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].map(lambda v: None if pd.isna(v) else v.isoformat())
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    records = [{k: _json_value(v) for k, v in r.items()} for r in frame.to_dict("records")]
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, default=str).encode("utf-8")
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records).encode("utf-8")


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return _json_value(v.item())
        except (ValueError, AttributeError):
            return str(v)
    return v


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]
