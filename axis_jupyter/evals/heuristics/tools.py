"""tool_correctness: did the agent call the expected tools (with the right arguments)?"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from ..base import HeuristicMetric, MetricConfigError, MetricResult, Signal
from ..fields import as_tool_calls
from ..metric_table import metric


def _similarity(a: Any, b: Any) -> float:
    """Fuzzy similarity of two argument values in 0-1."""
    if a == b:
        return 1.0
    if isinstance(a, bool) or isinstance(b, bool):
        return 0.0
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        top = max(abs(a), abs(b))
        return max(0.0, 1.0 - abs(a - b) / top) if top else 1.0
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) | set(b)
        if not keys:
            return 1.0
        shared = set(a) & set(b)
        jaccard = len(shared) / len(keys)
        values = sum(_similarity(a[k], b[k]) for k in shared) / len(shared) if shared else 0.0
        return jaccard * values
    return SequenceMatcher(None, str(a).casefold(), str(b).casefold()).ratio()


def _subset(expected: Any, actual: Any) -> bool:
    """Every expected key/value is present in actual (recursively for dicts)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    return expected == actual


def args_match(expected: dict, actual: dict, mode: str, fuzzy_threshold: float = 0.8) -> bool:
    if mode == "exact":
        return expected == actual
    if mode == "subset":
        return _subset(expected, actual)
    if not expected:  # fuzzy: mean per-key similarity over the expected keys
        return True
    sims = [_similarity(v, actual[k]) if k in actual else 0.0 for k, v in expected.items()]
    return sum(sims) / len(sims) >= fuzzy_threshold


@metric
class ToolCorrectness(HeuristicMetric):
    key = "tool_correctness"
    name = "Tool Correctness"
    description = ("Match of tools_called against expected_tools by name (and optionally args: "
                   "exact|subset|fuzzy), strict or flexible order; scored as recall, precision or F1.")
    required_fields = ("expected_tools",)
    optional_fields = ("tools_called",)
    tags = ("heuristic", "agent")

    def __init__(self, order: str = "flexible", check_args: str | bool = False,
                 scoring: str = "f1", fuzzy_threshold: float = 0.8, **kw: Any):
        super().__init__(order=order, check_args=check_args, scoring=scoring,
                         fuzzy_threshold=fuzzy_threshold, **kw)
        if check_args is True:
            check_args = "exact"
        if order not in ("strict", "flexible"):
            raise MetricConfigError("tool_correctness order must be strict or flexible")
        if check_args not in (False, None, "exact", "subset", "fuzzy"):
            raise MetricConfigError("tool_correctness check_args must be false, exact, subset or fuzzy")
        if scoring not in ("recall", "precision", "f1"):
            raise MetricConfigError("tool_correctness scoring must be recall, precision or f1")
        self.order, self.check_args, self.scoring = order, check_args or None, scoring
        self.fuzzy_threshold = fuzzy_threshold

    def missing_fields(self, item):
        # "No tools expected" is a valid expectation; only an absent column is missing.
        return [] if item.get("expected_tools") is not None else ["expected_tools"]

    def _match(self, exp: dict, act: dict) -> bool:
        if exp["name"] != act["name"]:
            return False
        return self.check_args is None or args_match(exp["args"], act["args"], self.check_args,
                                                     self.fuzzy_threshold)

    def compute(self, item):
        expected = as_tool_calls(item.get("expected_tools"))
        called = as_tool_calls(item.get("tools_called"))
        if not expected:
            ok = not called
            return MetricResult(score=float(ok), explanation=(
                "no tools expected and none called" if ok else f"no tools expected but {len(called)} called"))
        if self.order == "strict":
            pairs = list(zip(expected, called))
            matched = sum(self._match(e, a) for e, a in pairs)
            ok = len(expected) == len(called) and matched == len(expected)
            signals = [Signal("calls", e["name"], self._match(e, a), float(self._match(e, a)))
                       for e, a in pairs]
            return MetricResult(score=float(ok), signals=signals, explanation=(
                "tools called in the expected order" if ok else
                f"strict order: {matched}/{len(expected)} positions match, {len(called)} called"))
        # flexible: each expected call consumes the first unused matching call (greedy)
        used = [False] * len(called)
        signals, matched = [], 0
        for e in expected:
            hit = next((i for i, a in enumerate(called) if not used[i] and self._match(e, a)), None)
            if hit is not None:
                used[hit] = True
                matched += 1
            signals.append(Signal("expected", e["name"], hit is not None, float(hit is not None),
                                  headline=hit is None))
        recall = matched / len(expected)
        precision = matched / len(called) if called else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        score = {"recall": recall, "precision": precision, "f1": f1}[self.scoring]
        extra = [a["name"] for a, u in zip(called, used) if not u]
        missing = [s.name for s in signals if not s.value]
        return MetricResult(score=score, signals=signals, explanation=(
            f"matched {matched}/{len(expected)} expected call(s) among {len(called)} called "
            f"(recall {recall:.2f}, precision {precision:.2f})"
            + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else "")))
