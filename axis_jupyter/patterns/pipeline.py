"""The evidence pipeline: notes -> evidence -> sample -> clusters -> recurrence filter ->
learnings per cluster -> validation -> merged.

Step by step (what :func:`discover` does):

1. keep the notes with text, one per id (duplicates counted in ``deduplicated_count``);
2. sample at most ``max_items`` (50) deterministically: lowest sha256 of the id first;
3. cluster: ``"local"`` (TF-IDF + agglomerative, :mod:`.local`, no network) or ``"llm"``
   (one structured call, :mod:`.llm_steps`);
4. drop clusters with fewer than ``recurrence`` (2) notes; their ids become uncategorised
   (``filtered_count`` clusters dropped);
5. distil learnings per cluster with the LLM, at most ``max_concurrent`` (5) clusters at a
   time, and 6. validate them (:mod:`.learnings`: ids from the cluster only, recurrence,
   confident needs actions; repairs counted in ``validation_repairs``);
7. merge: all learnings by confidence, highest first, tags normalised.

Without an API key the ``llm`` method is refused before any work
(:class:`~axis_jupyter.llm.LLMNotConfigured`); the ``local`` method still runs and
returns clusters, and learnings are skipped (``metadata["learnings_skipped"]`` says why)
unless ``distill=True`` asked for them, which is refused up front too.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..errors import ParameterError
from ..llm import Judge, JudgeConfig, LLMNotConfigured
from ..params import coerce, integer
from .clusters import Cluster
from .evidence import as_notes, dedupe, sample, with_text
from .learnings import Learning, select
from .llm_steps import cluster_with_llm, distill_cluster
from .local import DEFAULT_DISTANCE, cluster_local

METHODS = ("local", "llm")
Progress = Callable[[str, int, int], None]


@dataclass
class PatternResult:
    """``clusters`` (largest first), ``uncategorized`` ids, ``learnings`` (most confident
    first) and ``metadata``: total_notes, with_text, deduplicated_count, total_analyzed,
    filtered_count, validation_repairs, dropped_learnings, clustering_method, distilled,
    learnings_skipped (why, when they were)."""

    clusters: list[Cluster] = field(default_factory=list)
    uncategorized: list[str] = field(default_factory=list)
    learnings: list[Learning] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"patterns": [c.to_dict() for c in self.clusters],
                "uncategorized": list(self.uncategorized),
                "learnings": [l.to_dict() for l in self.learnings],
                "metadata": dict(self.metadata)}

    def frame(self):
        """The clusters as a DataFrame: category, count, description, record_ids, ..."""
        import pandas as pd

        cols = ["category", "count", "description", "record_ids", "examples", "keywords",
                "confidence", "method"]
        return pd.DataFrame([c.to_dict() for c in self.clusters], columns=cols)


KEY_MESSAGE = ("Set ANTHROPIC_API_KEY (optionally ANTHROPIC_BASE_URL and AXIS_JUDGE_MODEL) to "
               "cluster notes or distil learnings with an LLM; method='local' clusters "
               "without it.")


def _judge(judge: Judge | None) -> Judge:
    if judge is not None:
        return judge
    config = JudgeConfig.from_env()
    if not config.api_key:
        raise LLMNotConfigured(KEY_MESSAGE)
    return Judge(config)


def prepare(notes: Iterable[Any], method: str, distill: bool | str | None,
            judge: Judge | None) -> tuple[list, Judge | None, bool, str | None]:
    """Check the arguments and the key before any work: (notes, judge, distil?, why not)."""
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(map(repr, METHODS))}, not "
                             f"{method!r}.", param="method")
    if distill not in (True, False, None, "auto"):
        raise ParameterError("distill must be true, false or 'auto'.", param="distill")
    parsed = as_notes(notes)
    configured = judge is not None or bool(JudgeConfig.from_env().api_key)
    if method == "llm" or distill is True:
        judge = _judge(judge)
    elif distill in (None, "auto") and configured:
        judge = _judge(judge)
    skipped = None
    do_distill = judge is not None and distill is not False
    if distill is False:
        skipped = "not asked for (distill=False)"
    elif judge is None:
        skipped = KEY_MESSAGE
    return parsed, judge, do_distill, skipped


async def adiscover(notes: Iterable[Any], method: str = "local", *, judge: Judge | None = None,
                    distill: bool | str | None = "auto", max_items: int | None = 50,
                    seed: int | None = None, recurrence: int = 2, max_concurrent: int = 5,
                    distance_threshold: float = DEFAULT_DISTANCE,
                    domain_context: str | None = None,
                    on_progress: Progress | None = None) -> PatternResult:
    """:func:`discover` on the running event loop."""
    parsed, judge, do_distill, skipped = prepare(notes, method, distill, judge)
    recurrence = coerce("recurrence", recurrence, integer(1))
    max_concurrent = coerce("max_concurrent", max_concurrent, integer(1))
    tell = on_progress or (lambda stage, done, total: None)

    texts = with_text(parsed)
    unique, duplicates = dedupe(texts)
    evidence = sample(unique, max_items, seed)
    meta: dict[str, Any] = {
        "total_notes": len(parsed), "with_text": len(texts), "deduplicated_count": duplicates,
        "total_analyzed": len(evidence), "clustering_method": method, "filtered_count": 0,
        "validation_repairs": 0, "dropped_learnings": 0, "distilled": False,
        "recurrence_threshold": recurrence}
    if skipped:
        meta["learnings_skipped"] = skipped
    tell("cluster", 0, 1)
    if not evidence:
        return PatternResult(metadata=meta)
    if method == "llm":
        clusters, uncategorised, repairs = await cluster_with_llm(
            evidence, judge, min_size=recurrence, domain_context=domain_context)
        meta["validation_repairs"] += repairs
    else:
        clusters, uncategorised = await asyncio.to_thread(
            cluster_local, evidence, distance_threshold=distance_threshold, min_size=2)
    tell("cluster", 1, 1)

    kept = [c for c in clusters if c.count >= recurrence]
    meta["filtered_count"] = len(clusters) - len(kept)
    dropped_ids = {i for c in clusters if c.count < recurrence for i in c.record_ids}
    loose = set(uncategorised) | dropped_ids
    uncategorised = [n.id for n in evidence if n.id in loose]

    learnings: list[Learning] = []
    if do_distill and kept:
        learnings = await _distil_all(kept, evidence, judge, recurrence, max_concurrent,
                                      domain_context, meta, tell)
        meta["distilled"] = True
    return PatternResult(clusters=kept, uncategorized=uncategorised, learnings=learnings,
                         metadata=meta)


async def _distil_all(clusters, evidence, judge, recurrence, max_concurrent, domain_context,
                      meta, tell) -> list[Learning]:
    limit = asyncio.Semaphore(max_concurrent)
    done = 0
    tell("distill", 0, len(clusters))

    async def one(cluster: Cluster):
        nonlocal done
        async with limit:
            raws = await distill_cluster(cluster, evidence, judge, domain_context=domain_context)
        done += 1
        tell("distill", done, len(clusters))
        return select(raws, cluster.record_ids, cluster.category, recurrence=recurrence)

    results = await asyncio.gather(*(one(c) for c in clusters))
    merged: list[Learning] = []
    for learnings, repairs, dropped in results:
        merged.extend(learnings)
        meta["validation_repairs"] += repairs
        meta["dropped_learnings"] += dropped
    merged.sort(key=lambda l: -l.confidence)  # stable: cluster order breaks ties
    return merged


def run_coroutine(coro):
    """Run ``coro`` to the end from synchronous code, also inside a notebook (whose event
    loop is already running: then on a fresh loop in a helper thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="axis-patterns") as pool:
        return pool.submit(asyncio.run, coro).result()


def discover(notes: Iterable[Any], method: str = "local", *, judge: Judge | None = None,
             distill: bool | str | None = "auto", max_items: int | None = 50,
             seed: int | None = None, recurrence: int = 2, max_concurrent: int = 5,
             distance_threshold: float = DEFAULT_DISTANCE, domain_context: str | None = None,
             on_progress: Progress | None = None) -> PatternResult:
    """Find recurring patterns in ``notes`` and distil learnings from them.

    ``notes``: a list of ``{id, text, metadata?}`` dicts, :class:`~.evidence.Note` objects
    or ``(id, text)`` pairs. ``method``: ``"local"`` (no network) or ``"llm"``.
    ``distill``: ``"auto"`` (when a key is set), True (refused without a key) or False.
    ``max_items``: the sample size (``None``: all notes). ``seed``: a seeded random sample
    instead of the sha256 order. ``on_progress(stage, done, total)`` is called with stages
    ``cluster`` and ``distill`` (raise in it to stop). See the module docstring.
    """
    # Argument and key checks happen here, before a loop or thread is started.
    parsed, judge, _, _ = prepare(list(notes), method, distill, judge)
    return run_coroutine(adiscover(
        parsed, method, judge=judge, distill=distill, max_items=max_items, seed=seed,
        recurrence=recurrence, max_concurrent=max_concurrent,
        distance_threshold=distance_threshold, domain_context=domain_context,
        on_progress=on_progress))
