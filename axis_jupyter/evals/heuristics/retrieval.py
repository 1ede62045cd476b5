"""Information-retrieval metrics over ids: retrieved_ids (rank order) vs expected_ids.

expected_ids may carry graded relevance (``[{id, relevance}]`` or ``{id: rel}``); an
id counts as relevant when its relevance is > 0. ``k`` may be an int or a list; the
score uses ``main_k`` (default: the largest k) and every k is reported as a signal.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..base import HeuristicMetric, MetricConfigError, MetricResult, Signal
from ..fields import as_ids, as_relevance
from ..metric_table import metric

R, X = "retrieved_ids", "expected_ids"


def hit_at_k(ranked: Sequence[str], rel: dict[str, float], k: int) -> float:
    return float(any(rel.get(d, 0) > 0 for d in ranked[:k]))


def precision_at_k(ranked: Sequence[str], rel: dict[str, float], k: int) -> float:
    top = ranked[:k]
    return sum(rel.get(d, 0) > 0 for d in top) / len(top) if top else 0.0


def recall_at_k(ranked: Sequence[str], rel: dict[str, float], k: int) -> float:
    total = sum(1 for v in rel.values() if v > 0)
    if total == 0:
        return 1.0  # nothing to find: vacuously complete
    return sum(rel.get(d, 0) > 0 for d in set(ranked[:k])) / total


def reciprocal_rank(ranked: Sequence[str], rel: dict[str, float], k: int | None = None) -> float:
    for i, d in enumerate(ranked[:k] if k else ranked, 1):
        if rel.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], rel: dict[str, float], k: int) -> float:
    """Linear-gain DCG = sum rel_i / log2(i + 1), i from 1, over the top k; ideal DCG
    from the relevances sorted descending. 0 when nothing is relevant."""
    seen: set[str] = set()
    dcg = 0.0
    for i, d in enumerate(ranked[:k], 1):
        if d not in seen:  # a duplicate id earns no second gain
            seen.add(d)
            dcg += rel.get(d, 0.0) / math.log2(i + 1)
    ideal = sorted((v for v in rel.values() if v > 0), reverse=True)[:k]
    idcg = sum(v / math.log2(i + 1) for i, v in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


class _RankMetric(HeuristicMetric):
    required_fields = (R, X)
    tags = ("heuristic", "retrieval")
    _fn = staticmethod(hit_at_k)
    _default_k: int | list[int] = 10

    def __init__(self, k: int | list[int] | None = None, main_k: int | None = None, **kw: Any):
        k = self._default_k if k is None else k
        super().__init__(k=k, main_k=main_k, **kw)
        self.ks = sorted({int(x) for x in (k if isinstance(k, (list, tuple)) else [k])})
        if not self.ks or self.ks[0] < 1:
            raise MetricConfigError(f"{self.key}: k must be positive integers")
        self.main_k = int(main_k) if main_k is not None else self.ks[-1]

    def missing_fields(self, item):
        # An empty retrieved list is a legitimate (bad) ranking, not a missing field.
        return [] if item.get(R) is not None and item.get(X) is not None else super().missing_fields(item)

    def _value(self, ranked, rel) -> float:
        return self._fn(ranked, rel, self.main_k)

    def compute(self, item):
        ranked, rel = as_ids(item.get(R)), as_relevance(item.get(X))
        score = self._value(ranked, rel)
        signals = [Signal("at_k", f"@{k}", v, v, headline=(k == self.main_k))
                   for k in self.ks for v in [self._fn(ranked, rel, k)]]
        return MetricResult(score=score, signals=signals,
                            explanation=f"{self.key.removesuffix('_at_k')}@{self.main_k} = {score:.4f} "
                                        f"({len(ranked)} retrieved, {sum(v > 0 for v in rel.values())} relevant)")

    def score_columns(self, columns, n):
        if R not in columns or X not in columns:
            return [None] * n
        return [None if r is None or x is None else self._value(as_ids(r), as_relevance(x))
                for r, x in zip(columns[R], columns[X])]


@metric
class HitAtK(_RankMetric):
    key = "hit_at_k"
    name = "Hit Rate"
    description = "1 if any relevant id is in the top k retrieved ids."
    _fn = staticmethod(hit_at_k)


@metric
class MRR(_RankMetric):
    key = "mrr"
    name = "Mean Reciprocal Rank"
    description = "1 / rank of the first relevant retrieved id (0 if none within k)."
    _fn = staticmethod(reciprocal_rank)
    _default_k = 100


@metric
class PrecisionAtK(_RankMetric):
    key = "precision_at_k"
    name = "Precision@k"
    description = "Relevant ids among the top k retrieved / number retrieved in the top k."
    _fn = staticmethod(precision_at_k)


@metric
class RecallAtK(_RankMetric):
    key = "recall_at_k"
    name = "Recall@k"
    description = "Relevant ids found in the top k / all relevant ids (1 if none are relevant)."
    _fn = staticmethod(recall_at_k)


@metric
class NDCGAtK(_RankMetric):
    key = "ndcg_at_k"
    name = "NDCG@k"
    description = "Normalised discounted cumulative gain over the top k with graded relevance."
    _fn = staticmethod(ndcg_at_k)
