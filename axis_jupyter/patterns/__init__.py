"""Pattern discovery: cluster people's notes into recurring patterns and distil learnings.

Shared by the alignment workbench (notes people wrote while labelling) and the reports
(explanations of failing records). The API is small on purpose::

    from axis_jupyter import patterns

    result = patterns.discover(
        [{"id": "r1", "text": "too verbose", "metadata": {"score": 0}}, ...],
        method="local",            # or "llm"; "local" needs no network and no key
    )
    result.clusters                # [Cluster(category, description, record_ids, examples, ...)]
    result.uncategorized           # ids in no cluster
    result.learnings               # [Learning(title, content, confidence, supporting_item_ids, ...)]
    result.metadata                # counts of each step (sampled, filtered, repaired, ...)
    result.to_dict()               # JSON-ready: patterns, uncategorized, learnings, metadata

Input: notes with an ``id`` (the record), a ``text`` and optional ``metadata`` (scalars are
summarised for the LLM, PII-like keys never). Output: clusters (largest first, at least
``recurrence`` notes each) and learnings (LLM only; validated, most confident first).
``await patterns.adiscover(...)`` is the same on a running event loop. The steps are
described in :mod:`axis_jupyter.patterns.pipeline`.
"""

from __future__ import annotations

from .clusters import Cluster
from .evidence import Note, as_notes, sample
from .learnings import Learning, normalise_tags
from .local import cluster_local
from .pipeline import METHODS, PatternResult, adiscover, discover, run_coroutine

__all__ = ["METHODS", "Cluster", "Learning", "Note", "PatternResult", "adiscover", "as_notes",
           "cluster_local", "discover", "normalise_tags", "run_coroutine", "sample"]
