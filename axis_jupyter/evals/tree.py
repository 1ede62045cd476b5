"""Metric trees: hierarchical scores from weighted groups of metrics.

Config (YAML text, a path, or a dict)::

    name: quality
    aggregation: mean            # mean (weighted) | min | max
    children:
      - name: retrieval
        weight: 2
        children:
          - {metric: recall_at_k, params: {k: 5}}
          - {metric: ndcg_at_k}
      - {name: answer, metric: token_f1, weight: 1}

Leaves name a metric key (``params``/``threshold`` optional; ``name`` defaults to the
key). Aggregation is bottom-up per item over children that scored: a failed (None)
child is dropped and the remaining weights are renormalised, so one broken judge
call lowers coverage, not the score. Output rows carry ``parent``, the renormalised
``weight`` (0 for a child that did not score) and ``metric_type`` — "component" for
inner nodes, "metric" for leaves.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .base import MetricConfigError
from .registry import _read_yaml
from .runner import ROW_COLUMNS, ascore_items, rows_to_frame, run_sync

AGGREGATIONS = ("mean", "min", "max")


@dataclass
class TreeNode:
    name: str
    weight: float = 1.0
    aggregation: str = "mean"
    threshold: float | None = None
    metric: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    children: list["TreeNode"] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return self.metric is not None

    def walk(self) -> Iterable["TreeNode"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def leaves(self) -> list["TreeNode"]:
        return [n for n in self.walk() if n.is_leaf]


def parse_node(spec: Mapping[str, Any], path: str = "") -> TreeNode:
    if not isinstance(spec, Mapping):
        raise MetricConfigError(f"tree node at {path or 'root'} must be a mapping")
    allowed = {"name", "weight", "aggregation", "children", "metric", "params", "threshold"}
    unknown = set(spec) - allowed
    if unknown:
        raise MetricConfigError(f"tree node {spec.get('name', path)!r}: unknown field(s) {sorted(unknown)}")
    metric = spec.get("metric")
    children = spec.get("children")
    if (metric is None) == (children is None):
        raise MetricConfigError(f"tree node {spec.get('name', path)!r} needs exactly one of "
                                "'metric' (a leaf) or 'children' (a component)")
    name = str(spec.get("name") or metric or "")
    if not name:
        raise MetricConfigError(f"tree component at {path or 'root'} needs a name")
    weight = float(spec.get("weight", 1.0))
    if weight < 0 or math.isnan(weight):
        raise MetricConfigError(f"tree node {name!r}: weight must be >= 0")
    aggregation = str(spec.get("aggregation", "mean"))
    if aggregation not in AGGREGATIONS:
        raise MetricConfigError(f"tree node {name!r}: aggregation must be one of {AGGREGATIONS}")
    node = TreeNode(name=name, weight=weight, aggregation=aggregation,
                    threshold=None if spec.get("threshold") is None else float(spec["threshold"]),
                    metric=None if metric is None else str(metric), params=dict(spec.get("params") or {}))
    if children is not None:
        if not isinstance(children, list) or not children:
            raise MetricConfigError(f"tree component {name!r} needs a non-empty children list")
        node.children = [parse_node(c, f"{path}/{name}") for c in children]
    return node


def aggregate(scores: list[float | None], weights: list[float], how: str) -> tuple[float | None, list[float]]:
    """(aggregate, renormalised weights). None scores are excluded and get weight 0."""
    valid = [(s, w) for s, w in zip(scores, weights) if s is not None and not math.isnan(s)]
    total = sum(w for _, w in valid)
    norm = [(w / total if total > 0 else 1.0 / len(valid)) if s is not None and not math.isnan(s) else 0.0
            for s, w in zip(scores, weights)] if valid else [0.0] * len(scores)
    if not valid:
        return None, norm
    if how == "min":
        return min(s for s, _ in valid), norm
    if how == "max":
        return max(s for s, _ in valid), norm
    if total <= 0:  # all-zero weights: fall back to a plain mean rather than divide by zero
        return sum(s for s, _ in valid) / len(valid), norm
    return sum(s * w for s, w in valid) / total, norm


class MetricTree:
    def __init__(self, root: TreeNode):
        self.root = root
        names = [n.name for n in root.walk()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise MetricConfigError(f"tree node names must be unique: {dupes}")

    @classmethod
    def from_config(cls, config: str | Mapping[str, Any]) -> "MetricTree":
        data = _read_yaml(config)
        if isinstance(data, Mapping) and "tree" in data and "name" not in data:
            data = data["tree"]
        return cls(parse_node(data))

    def metric_specs(self) -> list[dict[str, Any]]:
        """Leaf metrics in the form the runner accepts (name = leaf name)."""
        out = []
        for leaf in self.root.leaves():
            spec: dict[str, Any] = {"key": leaf.metric, "name": leaf.name, **leaf.params}
            if leaf.threshold is not None:
                spec["threshold"] = leaf.threshold
            out.append(spec)
        return out

    def aggregate_rows(self, leaf_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add component rows and fill parent/weight on leaf rows, per item."""
        by_item: dict[Any, dict[str, dict[str, Any]]] = {}
        for r in leaf_rows:
            by_item.setdefault(r["dataset_id"], {})[r["metric_name"]] = r
        out: list[dict[str, Any]] = []
        for item_id, leaves in by_item.items():
            self._node_rows(self.root, None, 1.0, item_id, leaves, out)
        return out

    def _node_rows(self, node: TreeNode, parent: str | None, weight: float, item_id: Any,
                   leaves: dict[str, dict[str, Any]], out: list[dict[str, Any]]) -> float | None:
        if node.is_leaf:
            row = dict(leaves.get(node.name) or _missing_leaf(item_id, node))
            row.update(parent=parent, weight=weight, metric_type="metric")
            out.append(row)
            s = row["metric_score"]
            return None if s is None or (isinstance(s, float) and math.isnan(s)) else float(s)
        # Score children first with placeholder weights, then patch in renormalised ones.
        component = {c: None for c in ROW_COLUMNS}
        out.append(component)
        child_scores, child_rows = [], []
        for child in node.children:
            child_rows.append(len(out))
            child_scores.append(self._node_rows(child, node.name, child.weight, item_id, leaves, out))
        score, norm = aggregate(child_scores, [c.weight for c in node.children], node.aggregation)
        for idx, w in zip(child_rows, norm):
            out[idx]["weight"] = w
        threshold = 0.5 if node.threshold is None else node.threshold
        scored = sum(s is not None for s in child_scores)
        component.update({
            "dataset_id": item_id, "metric_name": node.name, "metric_key": None,
            "metric_score": float("nan") if score is None else score,
            "passed": None if score is None else score >= threshold, "threshold": threshold,
            "explanation": f"{node.aggregation} of {scored}/{len(node.children)} scored children",
            "signals": json.dumps([]), "metric_metadata": json.dumps({"aggregation": node.aggregation}),
            "metric_type": "component", "parent": parent, "weight": weight,
            "cost_estimate": sum(out[i]["cost_estimate"] or 0.0 for i in child_rows),
            "tokens_in": sum(out[i]["tokens_in"] or 0 for i in child_rows),
            "tokens_out": sum(out[i]["tokens_out"] or 0 for i in child_rows),
            "source": "axis", "version": None, "error": None if score is not None else "no child scored",
        })
        return score

    async def ascore(self, items: Any, **kwargs: Any) -> list[dict[str, Any]]:
        rows = await ascore_items(items, self.metric_specs(), **kwargs)
        return self.aggregate_rows(rows)

    def score(self, items: Any, **kwargs: Any):
        """Score items through the tree; a DataFrame of leaf and component rows."""
        return rows_to_frame(run_sync(self.ascore(items, **kwargs)))


def _missing_leaf(item_id: Any, node: TreeNode) -> dict[str, Any]:
    row = {c: None for c in ROW_COLUMNS}
    row.update(dataset_id=item_id, metric_name=node.name, metric_key=node.metric,
               metric_score=float("nan"), explanation="leaf was not scored", error="not scored",
               cost_estimate=0.0, tokens_in=0, tokens_out=0)
    return row
