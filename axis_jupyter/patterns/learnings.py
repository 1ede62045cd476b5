"""Learning artifacts: what a cluster of notes teaches, checked before anyone trusts it.

Validation rules (a model's answer is a proposal, not a fact):
  * supporting ids must belong to the cluster the learning was distilled from; others are
    dropped, each counted as a repair;
  * a learning needs at least ``recurrence`` distinct supporting ids (one note is an
    anecdote, not a pattern), else it is dropped;
  * a confidence of 0.7 or more needs recommended actions; without them it is lowered to
    0.69 (a repair), because a confident learning nobody can act on is not confident;
  * confidence is clamped to 0-1; tags are normalised (:func:`normalise_tags`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

CONFIDENT = 0.7
DEMOTED = 0.69
MAX_PER_CLUSTER = 3


@dataclass
class Learning:
    title: str
    content: str
    confidence: float
    supporting_item_ids: list[str]
    tags: list[str] = field(default_factory=list)
    recommended_actions: list[str] = field(default_factory=list)
    counterexamples: list[str] = field(default_factory=list)
    scope: str = ""
    when_not_to_apply: str = ""
    category: str = ""  # the cluster it came from

    def to_dict(self) -> dict:
        return asdict(self)


def normalise_tags(tags: Iterable[Any], limit: int = 10, max_len: int = 50) -> list[str]:
    """Lower case, trimmed, inner spaces as ``_``; longer than ``max_len`` dropped;
    duplicates dropped (first kept); at most ``limit``."""
    out: list[str] = []
    for t in tags or []:
        if not isinstance(t, str):
            continue
        tag = "_".join(t.strip().lower().split())
        if not tag or len(tag) > max_len or tag in out:
            continue
        out.append(tag)
        if len(out) >= limit:
            break
    return out


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if isinstance(v, (str, int, float)) and str(v).strip()]


def validate(raw: dict, cluster_ids: list[str], category: str = "", *,
             recurrence: int = 2) -> tuple[Learning | None, int]:
    """(the learning or None if it must be dropped, repairs made)."""
    repairs = 0
    allowed = set(cluster_ids)
    ids: list[str] = []
    for rid in raw.get("supporting_item_ids") or []:
        rid = str(rid)
        if rid not in allowed:
            repairs += 1
        elif rid not in ids:
            ids.append(rid)
    title = str(raw.get("title") or "").strip()
    content = str(raw.get("content") or "").strip()
    if len(ids) < max(1, recurrence) or not (title or content):
        return None, repairs
    try:
        confidence = float(raw.get("confidence"))
    except (TypeError, ValueError):
        confidence = 0.0
    if math.isnan(confidence):
        confidence = 0.0
    confidence = min(1.0, max(0.0, confidence))
    actions = _strings(raw.get("recommended_actions"))
    if confidence >= CONFIDENT and not actions:
        confidence = DEMOTED
        repairs += 1
    return Learning(
        title=title or content[:60], content=content or title, confidence=confidence,
        supporting_item_ids=ids, tags=normalise_tags(raw.get("tags") or []),
        recommended_actions=actions, counterexamples=_strings(raw.get("counterexamples")),
        scope=str(raw.get("scope") or "").strip(),
        when_not_to_apply=str(raw.get("when_not_to_apply") or "").strip(),
        category=category), repairs


def select(raws: list[dict], cluster_ids: list[str], category: str = "", *,
           recurrence: int = 2, keep: int = MAX_PER_CLUSTER) -> tuple[list[Learning], int, int]:
    """Validate a cluster's proposals and keep the ``keep`` most confident:
    (learnings, repairs, dropped)."""
    out: list[Learning] = []
    repairs = dropped = 0
    for raw in raws:
        learning, fixed = validate(raw, cluster_ids, category, recurrence=recurrence)
        repairs += fixed
        if learning is None:
            dropped += 1
        else:
            out.append(learning)
    out.sort(key=lambda l: -l.confidence)
    return out[:keep], repairs, dropped
