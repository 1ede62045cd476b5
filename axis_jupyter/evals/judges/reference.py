"""Answer-vs-reference metrics: factual_accuracy and completeness."""

from __future__ import annotations

from typing import Any

from ..base import MetricResult, Signal
from ..fields import as_text, criteria_list
from ..metric_table import metric
from .base import LLMMetric, tool

FACTS_INSTRUCTION = (
    "List the factual statements in the answer (actual_output), dropping filler, opinions and "
    "questions. For each, decide whether the reference answer (expected_output) supports it. Be strict "
    "with numbers, names and dates: a different value is not supported."
)
FACTS_TOOL = tool("record_facts", "Record each fact in the answer and whether the reference supports it.", {
    "facts": {"type": "array", "items": {"type": "object", "properties": {
        "fact": {"type": "string"}, "supported": {"type": "boolean"}, "reason": {"type": "string"}},
        "required": ["fact", "supported", "reason"]}}})


@metric
class FactualAccuracy(LLMMetric):
    key = "factual_accuracy"
    name = "Factual Accuracy"
    description = "Share of the answer's facts supported by the reference answer (no facts: 1)."
    required_fields = ("query", "actual_output", "expected_output")
    tags = ("llm", "reference")
    default_threshold = 0.8
    prompts = (("facts", FACTS_INSTRUCTION, FACTS_TOOL),)
    scoring = "supported facts / facts of the answer; no facts: 1."

    async def verdicts(self, item, session):
        payload = {k: as_text(item.get(k)) for k in self.required_fields}
        data = await session.ask("facts", FACTS_INSTRUCTION, payload, FACTS_TOOL)
        return {"facts": data.get("facts", [])}

    def formula(self, verdicts):
        facts = verdicts.get("facts", [])
        if not facts:
            return MetricResult(score=1.0, explanation="no factual statements to check")
        ok = sum(bool(f["supported"]) for f in facts)
        wrong = [f for f in facts if not f["supported"]]
        expl = f"{ok} of {len(facts)} facts supported by the reference"
        if wrong:
            expl += f". First unsupported: {wrong[0]['fact']!r} ({wrong[0]['reason']})"
        return MetricResult(score=ok / len(facts), explanation=expl, signals=[
            Signal("facts", f["fact"], bool(f["supported"]), float(bool(f["supported"])),
                   headline=not f["supported"]) for f in facts])


COVERAGE_INSTRUCTION = {
    "criteria": ("For each acceptance criterion, decide whether the answer (actual_output) fully "
                 "addresses it. Judge coverage, not style."),
    "reference": ("List the key points of the reference answer (expected_output) that a complete answer "
                  "must contain, then decide for each whether the answer (actual_output) addresses it."),
}
COVERAGE_TOOL = tool("record_coverage", "Record each point and whether the answer addresses it.", {
    "points": {"type": "array", "items": {"type": "object", "properties": {
        "point": {"type": "string"}, "addressed": {"type": "boolean"}, "reason": {"type": "string"}},
        "required": ["point", "addressed", "reason"]}}})


@metric
class Completeness(LLMMetric):
    key = "completeness"
    name = "Answer Completeness"
    description = ("Share of key points (acceptance_criteria if given, else points of the reference "
                   "answer) that the answer addresses.")
    required_fields = ("query", "actual_output", "expected_output")
    optional_fields = ("acceptance_criteria",)
    tags = ("llm", "reference")
    prompts = (("coverage_criteria", COVERAGE_INSTRUCTION["criteria"], COVERAGE_TOOL),
               ("coverage_reference", COVERAGE_INSTRUCTION["reference"], COVERAGE_TOOL))
    scoring = ("addressed points / points (the acceptance criteria when given, else the reference "
               "answer's key points); no points: not scored.")

    def missing_fields(self, item):
        # Criteria can stand in for the reference answer.
        missing = super().missing_fields(item)
        if "expected_output" in missing and criteria_list(item.get("acceptance_criteria")):
            missing.remove("expected_output")
        return missing

    async def verdicts(self, item, session):
        criteria = criteria_list(item.get("acceptance_criteria"))
        mode = "criteria" if criteria else "reference"
        payload: dict[str, Any] = {"query": as_text(item.get("query")),
                                   "actual_output": as_text(item.get("actual_output"))}
        if criteria:
            payload["acceptance_criteria"] = criteria
        else:
            payload["expected_output"] = as_text(item.get("expected_output"))
        data = await session.ask(f"coverage_{mode}", COVERAGE_INSTRUCTION[mode], payload, COVERAGE_TOOL)
        return {"mode": mode, "points": data.get("points", [])}

    def formula(self, verdicts):
        points = verdicts.get("points", [])
        if not points:
            return MetricResult(score=None, explanation="the judge found no key points to check",
                                error="no key points")
        done = sum(bool(p["addressed"]) for p in points)
        missed = [p["point"] for p in points if not p["addressed"]]
        expl = f"{done} of {len(points)} key points addressed ({verdicts.get('mode')})"
        if missed:
            expl += f"; missing: {missed[:3]}"
        return MetricResult(score=done / len(points), explanation=expl, signals=[
            Signal("points", p["point"], bool(p["addressed"]), float(bool(p["addressed"])),
                   headline=not p["addressed"]) for p in points])
