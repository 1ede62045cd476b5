"""What ``axis.evaluate`` and ``axis.metrics`` stand on: mapping, checks, storing results.

``evaluate`` itself is in :mod:`axis_jupyter.evals.evaluate`.

The flow: inputs (a dataset of the store, or a file/frame loaded as ``<name>_inputs``) ->
column mapping (suggested from the reference's name patterns, user overrides win) ->
``score_items`` (items x metrics under one concurrency limit) -> the long results table,
loaded as an evaluation dataset that every evaluation view reads.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ..errors import IngestError, QueryError

from .fields import FIELD_PATTERNS  # noqa: F401  (re-exported: the mapping's names)


def suggest_mapping(columns: list[str]) -> dict[str, str]:
    """Canonical field -> source column, from the reference's name patterns."""
    lower = {c.lower(): c for c in columns}
    out: dict[str, str] = {}
    used: set[str] = set()
    for field, names in FIELD_PATTERNS.items():
        for n in names:
            col = lower.get(n)
            if col is not None and col not in used:
                out[field] = col
                used.add(col)
                break
    return out


def metrics_catalogue() -> pd.DataFrame:
    from .registry import list_metrics

    return list_metrics()


# Rows per read when a run reads a whole dataset: the largest page the server's rows route
# serves, so a server's store (RemoteStore) is read in as few requests as it allows.
READ_PAGE = 1_000_000


def all_rows(store, name: str) -> pd.DataFrame:
    """Every row of dataset ``name``, read page by page (local or on a server)."""
    frames, page = [], 1
    while True:
        frame, total = store.rows(name, page=page, page_size=READ_PAGE)
        frames.append(frame)
        if page * READ_PAGE >= total or frame.empty:
            break
        page += 1
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _inputs(store, source: Any, name: str) -> tuple[str, pd.DataFrame]:
    """The dataset name holding the inputs and its rows as a frame."""
    if isinstance(source, str) and not os.path.sep in source and not source.endswith(
            (".csv", ".parquet", ".jsonl", ".json", ".tsv")):
        ds_name = source
        store.info(ds_name)  # NotFoundError with the list of datasets
    else:
        ds_name = f"{name}_inputs"
        store.load(source, name=ds_name)
    info = store.info(ds_name)
    frame = all_rows(store, ds_name)
    if info["layout"] not in ("inputs", "wide") and "metric_name" in frame.columns and "dataset_id" in frame.columns:
        keep = [c for c in frame.columns if c not in ("metric_name", "metric_score", "metric_type", "parent",
                                                       "weight", "explanation", "signals", "passed", "threshold")]
        frame = frame[keep].drop_duplicates(subset=[c for c in ("dataset_id", "evaluation_name") if c in keep])
    return ds_name, frame


def check_metrics(metrics: list, judge: Any = None, thresholds: dict[str, float] | None = None,
                  provider: str | None = None, model: str | None = None) -> list:
    """Resolve the metrics (``MetricNotFound``/``MetricConfigError`` for bad ones) and refuse
    LLM metrics whose provider has no API key (``LLMNotConfigured``, naming the variable)
    before any data is touched."""
    from ..llm.providers import check_configured, check_provider
    from .runner import judge_key, resolve_metrics

    if not metrics or isinstance(metrics, (str, bytes)):
        raise QueryError("give at least one metric key as a list (see axis.metrics()).")
    if provider is not None:
        check_provider(provider)
    specs = resolve_metrics(metrics, thresholds)
    for s in specs:
        if not s.metric.needs_llm or (judge is not None and s.provider is None and s.model is None):
            continue
        check_configured(*judge_key(s, provider, model))
    return specs


def mapped_fields(columns: list[str], mapping: dict[str, str] | None) -> dict[str, str]:
    """Canonical field -> column: the suggested mapping with ``mapping`` over it (``None``
    or ``""`` drops a suggested field)."""
    fields = suggest_mapping(list(columns))
    for field, col in (mapping or {}).items():
        if col is None or col == "":
            fields.pop(field, None)
        else:
            fields[field] = col
    return fields


def check_fields(specs: list, present: set[str]) -> None:
    """Refuse, before scoring, a metric whose required field is not among ``present`` (the
    fields mapped and not empty everywhere): ``MissingFields`` names the metric and field."""
    from .base import MissingFields

    probe = {f: "x" for f in present}
    for s in specs:
        missing = s.metric.missing_fields(probe)
        if missing:
            raise MissingFields(s.name, missing)


def present_fields(items: pd.DataFrame, needed: set[str], *, agent: bool = False) -> set[str]:
    """The fields of ``needed`` that have a value in at least one item (``actual_output``
    and ``latency`` count as present when an agent fills them)."""
    from .base import is_missing

    out = {"actual_output", "latency"} if agent else set()
    for f in needed:
        if f in items.columns and any(not is_missing(v) for v in items[f]):
            out.add(f)
    return out


def required_of(specs: list) -> set[str]:
    return {f for s in specs for f in (*s.metric.required_fields, *s.metric.optional_fields)}


def prepare_items(store, source: Any, mapping: dict[str, str] | None, name: str) -> tuple[str, pd.DataFrame]:
    """The items of a run: (inputs dataset name, frame of canonical fields).

    ``mapping`` (canonical field -> column) is merged over the suggested mapping; a value of
    ``None`` or ``""`` removes a suggested field (the runner widget's "not mapped").
    Without a ``dataset_id`` column the items are numbered ``item_0, item_1, ...``.
    """
    ds_name, frame = _inputs(store, source, name)
    for field, col in (mapping or {}).items():
        if col not in (None, "") and col not in frame.columns:
            raise IngestError(f"mapping: column {col!r} (for {field!r}) is not in {ds_name} "
                              f"(columns: {', '.join(frame.columns)}).")
    fields = mapped_fields(list(frame.columns), mapping)
    items = pd.DataFrame({field: frame[col] for field, col in fields.items()})
    if "dataset_id" not in items:
        items["dataset_id"] = [f"item_{i}" for i in range(len(items))]
    items["dataset_id"] = items["dataset_id"].astype(str)
    return ds_name, items


def store_results(store, results: pd.DataFrame, items: pd.DataFrame, name: str, run_id: str,
                  run_config: dict | None = None):
    """Join the scored rows with their item fields and load them as evaluation dataset ``name``.
    ``run_config`` (what the run was: source, mapping, metrics, agent without secrets, ...)
    is kept in a ``run_config`` JSON column so the run can be re-opened and re-run."""
    import json

    results = results.copy()
    results["run_id"] = run_id
    if run_config is not None:
        results["run_config"] = json.dumps(run_config, default=str, sort_keys=True)
    results["evaluation_name"] = name
    results["timestamp"] = datetime.now(timezone.utc).replace(tzinfo=None)
    inputs = items.drop(columns=[c for c in items.columns if c in results.columns and c != "dataset_id"])
    merged = results.merge(inputs, on="dataset_id", how="left")
    # Non-scalar fields (lists from Parquet, dicts) are stored as JSON text.
    for col in merged.columns:
        if merged[col].dtype == object and merged[col].map(lambda v: isinstance(v, (list, dict))).any():
            import json

            merged[col] = merged[col].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return store.load(merged, name=name, kind="evals")


def run_config(source: Any, metrics: list, mapping: dict | None, thresholds: dict | None,
               agent: Any, provider: str | None, model: str | None, concurrency: int) -> dict:
    """What a run was, JSON-ready and without secrets (kept with its results)."""
    from .registry import describe_spec

    return {"source": source if isinstance(source, str) else str(getattr(source, "name", "frame")),
            "metrics": [describe_spec(m) for m in metrics], "mapping": mapping or None,
            "thresholds": thresholds or None, "provider": provider, "model": model,
            "concurrency": concurrency, "agent": agent.public() if agent is not None else None}
