"""Scoring items x metrics into the long results table.

One row per (item, metric) with the reference system's column names, so the ingest /
analytics layer treats a fresh run exactly like an uploaded evaluation file. A metric
failure is a row with a NaN score and the error text; the run never aborts on one.

Heuristic metrics run in worker threads (whole columns at a time) so the event loop of
a Jupyter server stays responsive; LLM metrics run as tasks under one concurrency limit.
Cancelling the awaiting task cancels every in-flight judge request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from .base import HeuristicMetric, Metric, MetricContext, MetricResult
from .registry import create

ROW_COLUMNS = [
    "dataset_id", "metric_name", "metric_key", "metric_score", "passed", "threshold",
    "explanation", "signals", "metric_metadata", "metric_type", "parent", "weight",
    "cost_estimate", "tokens_in", "tokens_out", "model_name", "llm_provider", "source",
    "version", "error",
]
_HEURISTIC_CHUNK = 5000  # rows per worker-thread hop: big enough to amortise, small enough to cancel

# The process-wide verdict caches of background runs and judges built per metric: one per
# cache file (None: in memory), so a re-run is answered from the cache.
_lock = threading.Lock()
_CACHES: dict[Any, Any] = {}


def shared_cache(path: str | None = None):
    """The process-wide JudgeCache for ``path`` (in-memory when None)."""
    from ..llm import JudgeCache

    with _lock:
        cache = _CACHES.get(path)
        if cache is None:
            cache = _CACHES[path] = JudgeCache(path)
        return cache



@dataclass
class MetricSpec:
    """A metric as used in one run: its row name, instance and effective threshold, and the
    judge provider/model it asked for (None: the run's)."""

    name: str
    metric: Metric
    threshold: float
    provider: str | None = None
    model: str | None = None


def resolve_metrics(metrics: Iterable[str | Metric | Mapping[str, Any]],
                    thresholds: Mapping[str, float] | None = None) -> list[MetricSpec]:
    """Keys, instances or ``{key, name?, threshold?, params...}`` -> MetricSpecs.

    ``thresholds`` is keyed by metric name (= key unless renamed) and overrides defaults.
    """
    thresholds = dict(thresholds or {})
    specs: list[MetricSpec] = []
    for entry in metrics:
        name = threshold = provider = model = None
        if isinstance(entry, Mapping):
            entry = dict(entry)
            name = entry.pop("name", None)
            threshold = entry.pop("threshold", None)
            provider = entry.pop("provider", None)
            model = entry.pop("model", None)
        m = create(entry)
        name = name or m.key
        threshold = thresholds.get(name, threshold if threshold is not None else m.default_threshold)
        if provider is not None:
            from ..llm.providers import check_provider

            check_provider(provider, f"{name}: provider")
        specs.append(MetricSpec(name=name, metric=m, threshold=float(threshold),
                                provider=provider, model=str(model) if model else None))
    names = [s.name for s in specs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        from .base import MetricConfigError
        raise MetricConfigError(f"metric names must be unique in one run: {sorted(dupes)} "
                                "(give repeated metrics a 'name')")
    return specs


def result_row(item_id: Any, spec: MetricSpec, result: MetricResult, judge: Any = None) -> dict[str, Any]:
    m = spec.metric
    score = result.score
    if score is not None and (not isinstance(score, (int, float)) or math.isnan(score)):
        score = None
    return {
        "dataset_id": item_id,
        "metric_name": spec.name,
        "metric_key": m.key,
        "metric_score": float("nan") if score is None else float(score),
        "passed": m.passed(score, spec.threshold),
        "threshold": spec.threshold,
        "explanation": result.explanation,
        "signals": json.dumps(result.signals_as_dicts(), default=str),
        "metric_metadata": json.dumps(result.metadata, default=str),
        "metric_type": "metric",
        "parent": None,
        "weight": 1.0,
        "cost_estimate": float(result.cost),
        "tokens_in": int(result.tokens_in),
        "tokens_out": int(result.tokens_out),
        "model_name": getattr(judge, "model", None) if m.needs_llm else None,
        "llm_provider": getattr(judge, "provider", None) if m.needs_llm else None,
        "source": "axis",
        "version": str(m.version),
        "error": result.error,
    }


def _fast_rows(ids: Sequence[Any], spec: MetricSpec, scores: Sequence[float | None]) -> list[dict[str, Any]]:
    """Rows for the column fast path: one template copied per row, no JSON per row."""
    m = spec.metric
    template = result_row(None, spec, MetricResult(score=None))
    template["error"] = None
    nan = float("nan")
    passed = m.passed
    out = []
    for item_id, score in zip(ids, scores):
        row = template.copy()
        row["dataset_id"] = item_id
        if score is None:
            row["error"] = row["explanation"] = "could not score (missing or invalid fields)"
            row["metric_score"] = nan
        else:
            row["metric_score"] = score
            row["passed"] = passed(score, spec.threshold)
        out.append(row)
    return out


def _item_ids(items: Sequence[Mapping[str, Any]], id_field: str) -> list[Any]:
    ids = []
    for i, item in enumerate(items):
        v = item.get(id_field)
        ids.append(str(i) if v is None or (isinstance(v, float) and math.isnan(v)) else v)
    return ids


class _Rows:
    """Stand-in for the record list when only columns are used: has a length and slices."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, sl: slice) -> "_Rows":
        return _Rows(len(range(self.n)[sl]))


def _frame_columns(items: Any) -> dict[str, list[Any]] | None:
    if hasattr(items, "columns") and hasattr(items, "__getitem__") and hasattr(items, "to_dict"):
        return {str(c): items[c].tolist() for c in items.columns}
    return None


def _as_records(items: Any) -> list[dict[str, Any]]:
    if hasattr(items, "to_dict") and hasattr(items, "columns"):  # pandas DataFrame
        return items.to_dict("records")
    if hasattr(items, "to_dicts"):  # polars
        return items.to_dicts()
    return [dict(it) for it in items]


def judge_key(spec: MetricSpec, provider: str | None, model: str | None) -> tuple[str, str]:
    """The (provider, model) that judges ``spec``: its own, else the run's, else config/env."""
    from ..llm.providers import resolve

    return resolve(spec.provider or provider, spec.model or (model if not spec.provider or
                                                              spec.provider == provider else None))


def judges_for(specs: Sequence[MetricSpec], *, judge: Any = None, provider: str | None = None,
               model: str | None = None, concurrency: int = 8,
               pool: dict | None = None, shared: bool = False) -> dict[str, Any]:
    """The judge of each LLM metric, by metric name, one Judge per (provider, model).

    ``judge``: the run's judge object, used for metrics that name no provider/model of their
    own. ``pool``: (provider, model) -> Judge, filled here (the caller closes them).
    ``shared``: the judges use the process-wide verdict cache (background runs) instead of
    one of their own.
    Raises ``LLMNotConfigured`` for a provider without its key, before any request.
    """
    from ..llm.providers import build_judge

    pool = {} if pool is None else pool
    out: dict[str, Any] = {}
    for spec in specs:
        if not spec.metric.needs_llm:
            continue
        if judge is not None and spec.provider is None and spec.model is None:
            out[spec.name] = judge
            continue
        key = judge_key(spec, provider, model)
        if key not in pool:
            built = build_judge(*key, concurrency=concurrency)
            if shared:
                built.cache = shared_cache(built.config.cache_path) if built.config.cache else None
            pool[key] = built
        out[spec.name] = pool[key]
    return out


async def ascore_items(items: Any, metrics: Iterable[str | Metric | Mapping[str, Any]], *,
                       judge: Any = None, thresholds: Mapping[str, float] | None = None,
                       max_concurrent: int = 8, id_field: str = "dataset_id", detail: bool = True,
                       on_progress: Callable[[int, int], None] | None = None,
                       on_rows: Callable[[list[dict[str, Any]]], None] | None = None,
                       provider: str | None = None, model: str | None = None,
                       judge_pool: dict | None = None, shared_cache: bool = False) -> list[dict[str, Any]]:
    """Score every item with every metric; returns result rows (see ``ROW_COLUMNS``).

    ``on_progress(done, total)`` is called as (item x metric) results complete;
    ``on_rows(rows)`` receives each batch of finished rows (for running means) just before.
    LLM metrics are judged by ``judge`` when given, else by a judge per (provider, model)
    (:func:`judges_for`: a metric's own ``provider``/``model``, then ``provider``/``model``,
    then config and environment) with ``max_concurrency=max_concurrent``, so the judge's own
    request limit never caps the run. ``judge_pool`` collects the judges built (the caller
    closes them; without it they are closed here); ``shared_cache``: they share the
    process-wide verdict cache.

    ``detail=False`` lets heuristic metrics use their column fast path (scores only,
    empty explanation/signals) — for 100k-row runs.
    Raises ``LLMNotConfigured`` before any work if an LLM metric is asked for without a key.
    """
    specs = resolve_metrics(metrics, thresholds)
    llm_specs = [s for s in specs if s.metric.needs_llm]
    own_pool = judge_pool is None
    judge_pool = {} if own_pool else judge_pool
    # raises LLMNotConfigured up front
    spec_judges = judges_for(llm_specs, judge=judge, provider=provider, model=model,
                             concurrency=max_concurrent, pool=judge_pool, shared=shared_cache)
    try:
        return await _score_all(items, specs, llm_specs, spec_judges, max_concurrent, id_field,
                                detail, on_progress, on_rows)
    finally:
        if own_pool:
            for j in judge_pool.values():
                try:
                    await j.aclose()
                except Exception:  # noqa: BLE001
                    pass


async def _score_all(items, specs, llm_specs, spec_judges, max_concurrent, id_field, detail,
                     on_progress, on_rows) -> list[dict[str, Any]]:
    # A DataFrame's columns feed the heuristic fast path directly (no per-row dicts).
    frame_columns = _frame_columns(items) if not detail else None
    all_fast = not detail and all(isinstance(s.metric, HeuristicMetric) for s in specs)
    if frame_columns is not None and all_fast:
        # Pure column path: never materialise 100k row dicts.
        n = len(next(iter(frame_columns.values()), []))
        records = _Rows(n)
        raw_ids = frame_columns.get(id_field) or [None] * n
        ids = _item_ids([{id_field: v} for v in raw_ids], id_field)
    else:
        records = _as_records(items)
        ids = _item_ids(records, id_field)
    total = len(records) * len(specs)
    done = 0
    rows: list[dict[str, Any]] = []

    def progress(n: int, new_rows: list[dict[str, Any]] | None = None) -> None:
        nonlocal done
        done += n
        if on_rows is not None and new_rows:
            on_rows(new_rows)
        if on_progress is not None:
            on_progress(done, total)

    # -- heuristic metrics: column-wise in worker threads ----------------------------
    columns: dict[str, list[Any]] | None = frame_columns
    for spec in specs:
        m = spec.metric
        if m.needs_llm:
            continue
        for start in range(0, len(records), _HEURISTIC_CHUNK):
            chunk = records[start:start + _HEURISTIC_CHUNK]
            chunk_ids = ids[start:start + _HEURISTIC_CHUNK]
            if isinstance(m, HeuristicMetric) and not detail:
                if columns is None:
                    keys = {k for r in records for k in r}
                    columns = {k: [r.get(k) for r in records] for k in keys}
                part = {k: v[start:start + _HEURISTIC_CHUNK] for k, v in columns.items()}
                scores = await asyncio.to_thread(m.score_columns, part, len(chunk))
                new = _fast_rows(chunk_ids, spec, scores)
                rows.extend(new)
                progress(len(chunk), new)
                continue
            elif isinstance(m, HeuristicMetric):
                results = await asyncio.to_thread(m.score_batch, chunk)
            else:  # a user metric that only implements the async contract
                results = [await _safe_score(m, r, MetricContext(threshold=spec.threshold,
                                                                 config=m.params)) for r in chunk]
            new = [result_row(i, spec, r) for i, r in zip(chunk_ids, results)]
            rows.extend(new)
            progress(len(chunk), new)

    # -- LLM metrics: one task per (item, metric), bounded ---------------------------
    if llm_specs and records:
        sem = asyncio.Semaphore(max_concurrent)
        shared = [dict() for _ in records]  # per-item cache shared by sibling metrics

        async def one(idx: int, spec: MetricSpec) -> dict[str, Any]:
            judge = spec_judges[spec.name]
            async with sem:
                ctx = MetricContext(judge=judge, shared=shared[idx], threshold=spec.threshold,
                                    config=spec.metric.params)
                res = await _safe_score(spec.metric, records[idx], ctx)
            row = result_row(ids[idx], spec, res, judge)
            progress(1, [row])
            return row

        tasks = [one(i, s) for s in llm_specs for i in range(len(records))]
        rows.extend(await asyncio.gather(*tasks))
    return rows


async def _safe_score(m: Metric, item: Mapping[str, Any], ctx: MetricContext) -> MetricResult:
    """Any Exception becomes a failed result; cancellation (BaseException) propagates."""
    from ..llm import LLMNotConfigured

    try:
        result = await m.score(item, ctx)
    except LLMNotConfigured:
        raise
    except Exception as exc:
        return MetricResult.failed(exc)
    if not isinstance(result, MetricResult):
        return MetricResult.failed(f"{m.key} returned {type(result).__name__}, not MetricResult")
    return result


def run_sync(coro: Any) -> Any:
    """Run a coroutine from sync code, also inside Jupyter where a loop is already running
    (then it runs on a fresh loop in a helper thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="axis-eval") as pool:
        return pool.submit(asyncio.run, coro).result()


def rows_to_frame(rows: list[dict[str, Any]]):
    import pandas as pd

    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def score_items(items: Any, metrics: Iterable[str | Metric | Mapping[str, Any]], **kwargs: Any):
    """Synchronous ``ascore_items`` returning a pandas DataFrame with ``ROW_COLUMNS``."""
    frame = _columnar(items, metrics, **kwargs)
    if frame is not None:
        return frame
    return rows_to_frame(run_sync(ascore_items(items, metrics, **kwargs)))


def _columnar(items: Any, metrics: Any, *, detail: bool = True, thresholds=None,
              id_field: str = "dataset_id", on_progress=None, on_rows=None, **_ignored):
    """The all-heuristic, ``detail=False`` run over a DataFrame, built column by column.

    Same rows as :func:`ascore_items` (its ``_fast_rows``), but the result frame is made from
    arrays instead of one dict per row, which at 100k items x 6 metrics was a third of the
    run. Returns None when the run needs the general path (LLM metrics, detail, row hooks).
    """
    import numpy as np
    import pandas as pd

    if detail or on_rows is not None:
        return None
    columns = _frame_columns(items)
    if columns is None:
        return None
    specs = resolve_metrics(metrics, thresholds)
    if not specs or not all(isinstance(s.metric, HeuristicMetric) for s in specs):
        return None
    n = len(next(iter(columns.values()), []))
    ids = _item_ids([{id_field: v} for v in (columns.get(id_field) or [None] * n)], id_field)
    total, done, parts = n * len(specs), 0, []
    for spec in specs:
        m = spec.metric
        scores: list = []
        for start in range(0, n, _HEURISTIC_CHUNK):
            size = min(_HEURISTIC_CHUNK, n - start)
            part = {k: v[start:start + size] for k, v in columns.items()}
            scores.extend(m.score_columns(part, size))
            done += size
            if on_progress is not None:
                on_progress(done, total)
        template = result_row(None, spec, MetricResult(score=None))
        arr = np.array([np.nan if v is None else v for v in scores], dtype="float64")
        missing = np.isnan(arr)
        th = m.default_threshold if spec.threshold is None else spec.threshold
        ok = (arr >= th) if m.higher_is_better else (arr < th)
        passed = pd.array(np.where(missing, None, ok), dtype="boolean").astype(object)
        passed[missing] = None
        note = "could not score (missing or invalid fields)"
        frame = pd.DataFrame({"dataset_id": ids, "metric_score": arr, "passed": passed,
                              "explanation": np.where(missing, note, template.get("explanation")),
                              "error": np.where(missing, note, None)})
        for key in ROW_COLUMNS:
            if key not in frame.columns:
                frame[key] = template.get(key)
        parts.append(frame[ROW_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROW_COLUMNS)
