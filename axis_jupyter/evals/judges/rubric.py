"""Rubric-style judges: criteria, conciseness, tone, and user-declared rubric judges.

``RubricJudge`` is the generic single-call judge (instruction + few-shot examples +
a scale). The custom binary judge (``binary_judge``, the calibration workflow's metric)
and YAML-declared rubrics are both RubricJudge configurations — data, never code.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Mapping

from ..base import MetricConfigError, MetricResult, Signal
from ..fields import as_text, criteria_list
from ..metric_table import metric
from .base import LLMMetric, clamp01, render_examples, str_list, tool

# ---------------------------------------------------------------------------------
# criteria
# ---------------------------------------------------------------------------------
CRITERIA_LABELS = {"met": 1.0, "partial": 0.5, "not_met": 0.0}
CRITERIA_INSTRUCTION = (
    "Judge the answer (actual_output) to the query against each acceptance criterion. met: fully "
    "satisfied. partial: partly satisfied. not_met: not satisfied, or contradicted."
)
CRITERIA_TOOL = tool("record_criteria", "Record one verdict per criterion.", {
    "verdicts": {"type": "array", "items": {"type": "object", "properties": {
        "criterion_index": {"type": "integer"},
        "verdict": {"type": "string", "enum": list(CRITERIA_LABELS)},
        "reason": {"type": "string"}}, "required": ["criterion_index", "verdict", "reason"]}}})


@metric
class Criteria(LLMMetric):
    key = "criteria"
    name = "Answer Criteria"
    description = "Mean verdict over acceptance_criteria (met 1, partial 0.5, not met 0)."
    required_fields = ("query", "actual_output", "acceptance_criteria")
    tags = ("llm", "rubric")
    prompts = (("criteria", CRITERIA_INSTRUCTION, CRITERIA_TOOL),)
    scoring = "mean over the criteria of met 1, partial 0.5, not_met 0 (a criterion without a verdict: not_met)."

    async def verdicts(self, item, session):
        criteria = criteria_list(item.get("acceptance_criteria"))
        payload = {"query": as_text(item.get("query")), "actual_output": as_text(item.get("actual_output")),
                   "acceptance_criteria": criteria}
        data = await session.ask("criteria", CRITERIA_INSTRUCTION, payload, CRITERIA_TOOL)
        by_index = {v["criterion_index"]: v for v in data.get("verdicts", [])
                    if isinstance(v.get("criterion_index"), int)}
        # A criterion the judge skipped counts as not met: silence is not a pass.
        return {"criteria": [{"criterion": c,
                              "verdict": by_index.get(i, {}).get("verdict", "not_met"),
                              "reason": by_index.get(i, {}).get("reason", "no verdict returned")}
                             for i, c in enumerate(criteria)]}

    def formula(self, verdicts):
        rows = verdicts.get("criteria", [])
        if not rows:
            return MetricResult(score=None, explanation="no acceptance criteria", error="no criteria")
        score = sum(CRITERIA_LABELS[r["verdict"]] for r in rows) / len(rows)
        unmet = [r["criterion"] for r in rows if r["verdict"] != "met"]
        return MetricResult(
            score=score,
            explanation=f"{len(rows) - len(unmet)} of {len(rows)} criteria fully met"
                        + (f"; not fully met: {unmet[:3]}" if unmet else ""),
            signals=[Signal("criteria", r["criterion"], r["verdict"], CRITERIA_LABELS[r["verdict"]],
                            headline=r["verdict"] != "met") for r in rows])


# ---------------------------------------------------------------------------------
# conciseness and tone: one scored call each
# ---------------------------------------------------------------------------------
CONCISE_INSTRUCTION = (
    "Rate how concise the answer (actual_output) is compared with the reference answer "
    "(expected_output), for the query. Scale: 1.0 concise, nothing superfluous; 0.8 slightly wordy; "
    "0.5 about twice as long as needed or noticeably repetitive; 0.0 bloated, mostly filler. "
    "List the redundant segments verbatim."
)
CONCISE_TOOL = tool("record_conciseness", "Record the conciseness rating.", {
    "score": {"type": "number", "description": "0.0 to 1.0"},
    "redundant_segments": str_list("verbatim redundant parts of the answer"),
    "reason": {"type": "string"}})


@metric
class Conciseness(LLMMetric):
    key = "conciseness"
    name = "Answer Conciseness"
    description = "Judge's 0-1 rating of how free of redundancy the answer is, relative to the reference."
    required_fields = ("actual_output", "expected_output")
    optional_fields = ("query",)
    tags = ("llm", "style")
    default_threshold = 0.8
    prompts = (("conciseness", CONCISE_INSTRUCTION, CONCISE_TOOL),)
    scoring = "the judge's score, clamped to 0-1; the redundant segments are signals."

    async def verdicts(self, item, session):
        payload = {k: as_text(item.get(k)) for k in ("query", "actual_output", "expected_output")}
        return await session.ask("conciseness", CONCISE_INSTRUCTION, payload, CONCISE_TOOL)

    def formula(self, verdicts):
        segs = verdicts.get("redundant_segments", [])
        return MetricResult(score=clamp01(float(verdicts["score"])), explanation=verdicts.get("reason", ""),
                            signals=[Signal("redundant", f"segment_{i}", s, headline=True)
                                     for i, s in enumerate(segs)])


TONE_INSTRUCTION = (
    "Compare the tone (formality, warmth, confidence) and style (structure, length of sentences, "
    "vocabulary) of the answer (actual_output) with the reference answer (expected_output), and with "
    "persona_description when given. Score 1.0 for a match, 0.0 for a clash; list the differences."
)
TONE_TOOL = tool("record_tone", "Record the tone/style comparison.", {
    "score": {"type": "number", "description": "0.0 to 1.0"},
    "tone_match": {"type": "boolean"}, "style_match": {"type": "boolean"},
    "differences": str_list("concrete differences"), "reason": {"type": "string"}})


@metric
class Tone(LLMMetric):
    key = "tone"
    name = "Tone & Style Consistency"
    description = "Judge's 0-1 rating of how well the answer's tone and style match the reference/persona."
    required_fields = ("actual_output", "expected_output")
    optional_fields = ("persona_description",)
    tags = ("llm", "style")
    default_threshold = 0.8
    prompts = (("tone", TONE_INSTRUCTION, TONE_TOOL),)
    scoring = "the judge's score, clamped to 0-1; tone/style matches and the differences are signals."

    async def verdicts(self, item, session):
        payload = {k: as_text(item.get(k)) for k in ("actual_output", "expected_output")}
        if as_text(item.get("persona_description")):
            payload["persona_description"] = as_text(item.get("persona_description"))
        return await session.ask("tone", TONE_INSTRUCTION, payload, TONE_TOOL)

    def formula(self, verdicts):
        diffs = verdicts.get("differences", [])
        signals = [Signal("match", "tone", bool(verdicts.get("tone_match")), float(bool(verdicts.get("tone_match")))),
                   Signal("match", "style", bool(verdicts.get("style_match")), float(bool(verdicts.get("style_match"))))]
        signals += [Signal("differences", f"difference_{i}", d, headline=True) for i, d in enumerate(diffs)]
        return MetricResult(score=clamp01(float(verdicts["score"])), explanation=verdicts.get("reason", ""),
                            signals=signals)


# ---------------------------------------------------------------------------------
# generic rubric judge (custom binary judge, YAML rubrics)
# ---------------------------------------------------------------------------------
SCALES = {
    # scale -> (JSON schema of "score", normaliser to 0-1)
    "binary": ({"type": "integer", "enum": [0, 1]}, lambda s: float(s)),
    "0-1": ({"type": "number", "description": "0.0 to 1.0"}, lambda s: clamp01(float(s))),
    "1-5": ({"type": "integer", "enum": [1, 2, 3, 4, 5]}, lambda s: (float(s) - 1.0) / 4.0),
}
_SCALE_TEXT = {"binary": "Score 1 if the criteria are met, else 0.",
               "0-1": "Score from 0.0 (fails completely) to 1.0 (fully meets the criteria).",
               "1-5": "Score on a 1-5 scale: 1 very poor, 3 acceptable, 5 excellent."}
_FIELD_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


class RubricJudge(LLMMetric):
    """One judge call: instruction + examples -> {score on the scale, explanation}."""

    key = "binary_judge"
    name = "Custom Binary Judge"
    description = ("A judge defined by an instruction and few-shot examples (params instruction=, "
                   "examples=[{input, output: {score, explanation}}], scale=binary|0-1|1-5).")
    required_fields = ("query", "actual_output")
    optional_fields = ("expected_output",)
    tags = ("llm", "custom")
    instruction: ClassVar[str] = ""
    scale: ClassVar[str] = "binary"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ()
    prompts = (("judgment", "(the judge's instruction, the scale's sentence and the examples)",
                tool("record_judgment", "Record the score and a short explanation.",
                     {"score": SCALES["binary"][0], "explanation": {"type": "string"}})),)
    scoring = "the score normalised to 0-1: binary as is, 0-1 clamped, 1-5 as (score - 1) / 4."

    def __init__(self, instruction: str | None = None, examples: list[Mapping[str, Any]] | None = None,
                 scale: str | None = None, required_fields: list[str] | None = None, **kw: Any):
        params = {k: v for k, v in {"instruction": instruction, "examples": examples, "scale": scale,
                                    "required_fields": required_fields}.items() if v is not None}
        super().__init__(**params, **kw)
        self.instruction = instruction or type(self).instruction
        self.examples = tuple(examples if examples is not None else type(self).examples)
        self.scale = scale or type(self).scale
        if required_fields is not None:
            self.required_fields = tuple(required_fields)
        _check_rubric(self.key, self.instruction, self.scale, self.examples, self.required_fields)

    def _tool(self):
        schema, _ = SCALES[self.scale]
        return tool("record_judgment", "Record the score and a short explanation.",
                    {"score": schema, "explanation": {"type": "string"}})

    async def verdicts(self, item, session):
        fields = (*self.required_fields, *self.optional_fields)
        payload = {f: item.get(f) if f in ("retrieved_content", "acceptance_criteria", "conversation",
                                            "tools_called", "expected_tools") else as_text(item.get(f))
                   for f in fields if item.get(f) is not None}
        text = f"{self.instruction.strip()}\n\n{_SCALE_TEXT[self.scale]}{render_examples(list(self.examples))}"
        return await session.ask("judgment", text, payload, self._tool())

    def formula(self, verdicts):
        raw = verdicts["score"]
        score = SCALES[self.scale][1](raw)
        return MetricResult(score=score, explanation=str(verdicts.get("explanation", "")),
                            signals=[Signal("judgment", "raw_score", raw, score, headline=True)],
                            metadata={"scale": self.scale})


def _check_rubric(key: str, instruction: str, scale: str, examples: Any, fields: Any) -> None:
    if not isinstance(instruction, str) or not instruction.strip():
        raise MetricConfigError(f"{key}: a judge needs a non-empty instruction")
    if scale not in SCALES:
        raise MetricConfigError(f"{key}: scale must be one of {sorted(SCALES)}, got {scale!r}")
    for f in fields:
        if not isinstance(f, str) or not _FIELD_RE.match(f):
            raise MetricConfigError(f"{key}: invalid field name {f!r}")
    for i, ex in enumerate(examples):
        if not (isinstance(ex, Mapping) and isinstance(ex.get("input"), Mapping)
                and isinstance(ex.get("output"), Mapping) and "score" in ex["output"]):
            raise MetricConfigError(f"{key}: example {i} must be {{input: {{...}}, output: {{score, explanation}}}}")


metric(RubricJudge)

_RUBRIC_KEYS = {"key", "name", "description", "instruction", "required_fields", "optional_fields",
                "scale", "examples", "threshold", "tags", "version", "higher_is_better"}


def rubric_class(spec: Mapping[str, Any]) -> type[RubricJudge]:
    """A RubricJudge subclass from declarative data. Unknown keys are rejected (a typo
    or an attempt to smuggle code, e.g. a ``heuristic:`` snippet, fails loudly)."""
    unknown = set(spec) - _RUBRIC_KEYS
    if unknown:
        raise MetricConfigError(f"rubric {spec.get('key')!r}: unknown field(s) {sorted(unknown)}; "
                                f"allowed: {sorted(_RUBRIC_KEYS)}")
    key = spec.get("key")
    if not isinstance(key, str):
        raise MetricConfigError("rubric: 'key' (snake_case) is required")
    scale = str(spec.get("scale", "binary"))
    examples = tuple(spec.get("examples") or ())
    required = tuple(spec.get("required_fields") or ("query", "actual_output"))
    optional = tuple(spec.get("optional_fields") or ())
    _check_rubric(key, spec.get("instruction", ""), scale, examples, (*required, *optional))
    attrs = {
        "key": key,
        "name": str(spec.get("name") or key.replace("_", " ").title()),
        "description": str(spec.get("description") or spec["instruction"].strip().splitlines()[0][:200]),
        "instruction": spec["instruction"], "scale": scale, "examples": examples,
        "required_fields": required, "optional_fields": optional,
        "tags": tuple(spec.get("tags") or ("llm", "rubric", "custom")),
        "version": str(spec.get("version", "1")),
        "default_threshold": float(spec.get("threshold", 0.5)),
        "higher_is_better": bool(spec.get("higher_is_better", True)),
    }
    class_name = "Rubric_" + key
    return type(class_name, (RubricJudge,), attrs)


def binary_judge(key: str, instruction: str, examples: list[Mapping[str, Any]] | None = None, *,
                 name: str | None = None, required_fields: list[str] | None = None,
                 threshold: float = 0.5, register: bool = False) -> RubricJudge:
    """The custom binary judge (calibration's judge): returns an instance, optionally
    registered under ``key`` so it shows in the catalogue."""
    cls = rubric_class({"key": key, "name": name or key.replace("_", " ").title(),
                        "instruction": instruction, "examples": examples or [], "scale": "binary",
                        "required_fields": required_fields or ["query", "actual_output"],
                        "optional_fields": ["expected_output"], "threshold": threshold})
    if register:
        metric(cls)
    return cls()
