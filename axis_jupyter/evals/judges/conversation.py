"""Citation relevancy and the conversation metrics (multi-turn ``conversation`` items).

The conversation is sent as numbered ``[{index, role, content}]`` turns (roles user,
assistant, tool). Each metric is one judge call returning sub-scores and findings; the
score is a fixed formula over them (``scoring``), so the same verdicts always give the
same number and the formula can be checked without an LLM.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..base import MetricResult, Signal
from ..fields import as_messages, as_text
from ..heuristics.format import find_citations
from ..metric_table import metric
from .base import LLMMetric, clamp01, str_list, tool
from .context import judge_each, _verdict_tool

UNIT = {"type": "number", "description": "0.0 to 1.0"}
BOOL = {"type": "boolean"}


# ---------------------------------------------------------------------------------
# citation relevancy
# ---------------------------------------------------------------------------------
CITATION_INSTRUCTION = (
    "For each citation the answer gives (citations: URLs, DOIs, author-year references, with "
    "the text around them), decide whether it is relevant to the query: relevant = a source "
    "one would consult to answer this query; not relevant = unrelated or only loosely related.")


def citations_of(item: Mapping[str, Any]) -> list[str]:
    """The citations in the answer (actual_output and every assistant turn of a
    conversation), each with up to 80 characters of the text before it for context."""
    out: list[str] = []
    seen: set[str] = set()
    texts = [as_text(item.get("actual_output")),
             *(m["content"] for m in as_messages(item.get("conversation")) if m["role"] == "assistant")]
    for text in texts:
        for _kind, cite in find_citations(text):
            if cite in seen:
                continue
            seen.add(cite)
            at = text.find(cite)
            before = text[max(0, at - 80):at].strip().replace("\n", " ")
            out.append(f"{cite} (after: {before!r})" if before else cite)
    return out


@metric
class CitationRelevancy(LLMMetric):
    key = "citation_relevancy"
    name = "Citation Relevancy"
    description = "Share of the answer's citations (URLs, DOIs, author-year) that are relevant to the query."
    required_fields = ("query", "actual_output")
    optional_fields = ("conversation",)
    tags = ("llm", "citations")
    default_threshold = 0.8
    prompts = (("citation_relevance", CITATION_INSTRUCTION,
                _verdict_tool("record_citation_relevance", "citation_index", {"relevant": BOOL})),)
    scoring = ("citations are found with the citation_presence patterns (no LLM); relevant citations / "
               "citations (no citation: not scored).")

    async def verdicts(self, item, session):
        rows = await judge_each(session, "citation_relevance", CITATION_INSTRUCTION,
                                {"query": as_text(item.get("query"))}, citations_of(item),
                                entry_name="citation", label={"relevant": BOOL})
        return {"citations": rows}

    def formula(self, verdicts):
        rows = verdicts.get("citations", [])
        if not rows:
            return MetricResult(score=None, explanation="the answer cites no source", error="no citations")
        ok = sum(bool(r["verdict"]) for r in rows)
        return MetricResult(score=ok / len(rows), explanation=f"{ok} of {len(rows)} citations relevant to the query",
                            signals=[Signal("citations", r["citation"], bool(r["verdict"]), float(bool(r["verdict"])),
                                            headline=not r["verdict"]) for r in rows])


# ---------------------------------------------------------------------------------
# conversation metrics
# ---------------------------------------------------------------------------------
def turns(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"index": i, **m} for i, m in enumerate(as_messages(item.get("conversation")))]


def persona_of(item: Mapping[str, Any]) -> str:
    """The persona to hold: ``persona_description``, else ``additional_input.persona``."""
    text = as_text(item.get("persona_description"))
    if text:
        return text
    extra = item.get("additional_input")
    if isinstance(extra, str):
        import json

        try:
            extra = json.loads(extra)
        except ValueError:
            return ""
    if isinstance(extra, Mapping):
        return as_text(extra.get("persona") or extra.get("persona_description"))
    return ""


class _ConversationMetric(LLMMetric):
    required_fields = ("conversation",)
    tags = ("llm", "conversation")
    instruction = ""
    output = None

    def payload(self, item) -> dict[str, Any]:
        return {"conversation": turns(item)}

    async def verdicts(self, item, session):
        conv = turns(item)
        if not any(t["role"] == "assistant" for t in conv):
            return {"_empty": True}
        return await session.ask(self.key, self.instruction, self.payload(item), self.output)

    def formula(self, verdicts):
        if verdicts.get("_empty"):
            return MetricResult(score=None, explanation="the conversation has no assistant turn",
                                error="no assistant turn")
        return self.from_verdicts(verdicts)


FLOW_INSTRUCTION = (
    "Read the conversation between a user and an assistant and rate its flow. coherence: each "
    "assistant turn follows from what came before (1.0 fully coherent). efficiency: the user "
    "reaches their aim without needless turns (1.0 no wasted turns). user_experience: how smooth "
    "it feels for the user (1.0 effortless). Count loops (the same question or answer repeated), "
    "correction_cascades (corrections that trigger further corrections) and coherence_drops (a "
    "turn ignoring earlier context), and say whether the user's effort degrades (they must "
    "rephrase or push harder as it goes on).")
FLOW_TOOL = tool("record_flow", "Record the conversation's flow ratings and findings.", {
    "coherence": UNIT, "efficiency": UNIT, "user_experience": UNIT,
    "loops": {"type": "integer"}, "correction_cascades": {"type": "integer"},
    "coherence_drops": {"type": "integer"}, "effort_degradation": BOOL,
    "issues": str_list("what went wrong, one line each"), "reason": {"type": "string"}})
FLOW_PENALTIES = {"loops": 0.25, "effort_degradation": 0.30, "correction_cascades": 0.20, "coherence_drops": 0.15}


@metric
class ConversationFlow(_ConversationMetric):
    key = "conversation_flow"
    name = "Conversation Flow"
    description = "Coherence, efficiency and user experience of a conversation, less penalties for loops and cascades."
    default_threshold = 0.7
    instruction, output = FLOW_INSTRUCTION, FLOW_TOOL
    prompts = (("conversation_flow", FLOW_INSTRUCTION, FLOW_TOOL),)
    scoring = ("0.4 coherence + 0.3 efficiency + 0.3 user_experience, minus penalties (capped at 0.5 in "
               "all): 0.25 if any loop, 0.30 if effort degrades, 0.20 if any correction cascade, 0.15 if any "
               "coherence drop; clamped to 0-1.")

    def from_verdicts(self, v):
        base = 0.4 * clamp01(float(v["coherence"])) + 0.3 * clamp01(float(v["efficiency"])) \
            + 0.3 * clamp01(float(v["user_experience"]))
        hit = {k: (bool(v.get(k)) if k == "effort_degradation" else int(v.get(k) or 0) > 0) for k in FLOW_PENALTIES}
        penalty = min(0.5, sum(FLOW_PENALTIES[k] for k, on in hit.items() if on))
        signals = [Signal("ratings", k, float(v[k]), clamp01(float(v[k]))) for k in
                   ("coherence", "efficiency", "user_experience")]
        signals += [Signal("penalties", k, v.get(k), 0.0 if on else 1.0, headline=on) for k, on in hit.items()]
        signals += [Signal("issues", f"issue_{i}", s, headline=True) for i, s in enumerate(v.get("issues", []))]
        return MetricResult(score=clamp01(base - penalty), signals=signals,
                            explanation=f"base {base:.2f} - penalties {penalty:.2f}. {v.get('reason', '')}".strip())


GOAL_INSTRUCTION = (
    "Find the user's primary goal in the conversation and break it into sub-goals. For each "
    "sub-goal say whether the assistant completed it by the end. Rate efficiency (1.0: the goal "
    "was reached by the most direct route) and count the clarifying questions the assistant asked "
    "that were not needed.")
GOAL_TOOL = tool("record_goal", "Record the goal, its sub-goals and how they went.", {
    "primary_goal": {"type": "string"},
    "sub_goals": {"type": "array", "items": {"type": "object", "properties": {
        "goal": {"type": "string"}, "completed": BOOL}, "required": ["goal", "completed"]}},
    "goal_achieved": BOOL, "efficiency": UNIT, "unneeded_clarifications": {"type": "integer"},
    "reason": {"type": "string"}})


@metric
class GoalCompletion(_ConversationMetric):
    key = "goal_completion"
    name = "Goal Completion"
    description = "Whether the user's goal (and its sub-goals) was completed, and how directly."
    instruction, output = GOAL_INSTRUCTION, GOAL_TOOL
    prompts = (("goal_completion", GOAL_INSTRUCTION, GOAL_TOOL),)
    scoring = ("completion = completed sub-goals / sub-goals (no sub-goals: 1 if goal_achieved else 0); "
               "score = 0.6 completion + 0.4 efficiency - 0.1 per unneeded clarification (at most 0.3); "
               "clamped to 0-1.")

    def from_verdicts(self, v):
        subs = v.get("sub_goals") or []
        completion = (sum(bool(s["completed"]) for s in subs) / len(subs)) if subs else float(bool(v.get("goal_achieved")))
        penalty = min(0.3, 0.1 * max(0, int(v.get("unneeded_clarifications") or 0)))
        score = clamp01(0.6 * completion + 0.4 * clamp01(float(v["efficiency"])) - penalty)
        signals = [Signal("goal", "primary_goal", v.get("primary_goal", ""), completion, headline=completion < 1)]
        signals += [Signal("sub_goals", s["goal"], bool(s["completed"]), float(bool(s["completed"])),
                           headline=not s["completed"]) for s in subs]
        return MetricResult(score=score, signals=signals,
                            explanation=f"completion {completion:.2f}, efficiency {float(v['efficiency']):.2f}, "
                                        f"clarification penalty {penalty:.1f}. {v.get('reason', '')}".strip())


EFFICIENCY_INSTRUCTION = (
    "List the inefficiencies of the conversation (repeated information, unnecessary turns, "
    "detours, questions the assistant could have answered itself), each with a severity (high, "
    "medium, low). Rate redundancy (0.0 none, 1.0 almost everything repeated) and optimal_path "
    "(1.0: the shortest reasonable route to the user's aim).")
EFFICIENCY_TOOL = tool("record_efficiency", "Record the conversation's inefficiencies.", {
    "inefficiencies": {"type": "array", "items": {"type": "object", "properties": {
        "description": {"type": "string"}, "severity": {"type": "string", "enum": ["high", "medium", "low"]}},
        "required": ["description", "severity"]}},
    "redundancy": UNIT, "optimal_path": UNIT, "reason": {"type": "string"}})
SEVERITY = {"high": 0.15, "medium": 0.08, "low": 0.03}


@metric
class ConversationEfficiency(_ConversationMetric):
    key = "conversation_efficiency"
    name = "Conversation Efficiency"
    description = "How directly the conversation reaches the user's aim (redundancy and detours penalised)."
    instruction, output = EFFICIENCY_INSTRUCTION, EFFICIENCY_TOOL
    prompts = (("conversation_efficiency", EFFICIENCY_INSTRUCTION, EFFICIENCY_TOOL),)
    scoring = ("0.6 max(0, 1 - redundancy - severity penalties (high 0.15, medium 0.08, low 0.03 each)) "
               "+ 0.4 optimal_path; clamped to 0-1.")

    def from_verdicts(self, v):
        found = v.get("inefficiencies") or []
        penalty = sum(SEVERITY[f["severity"]] for f in found)
        score = clamp01(0.6 * max(0.0, 1 - clamp01(float(v["redundancy"])) - penalty)
                        + 0.4 * clamp01(float(v["optimal_path"])))
        signals = [Signal("inefficiencies", f["description"], f["severity"], 1 - SEVERITY[f["severity"]],
                          headline=f["severity"] != "low") for f in found]
        return MetricResult(score=score, signals=signals,
                            explanation=f"{len(found)} inefficiencies (penalty {penalty:.2f}), redundancy "
                                        f"{float(v['redundancy']):.2f}, optimal path {float(v['optimal_path']):.2f}")


PERSONA_INSTRUCTION = (
    "Rate each assistant turn of the conversation for how well it holds the persona and tone "
    "described in persona (voice, formality, warmth, vocabulary, what the persona would or would "
    "not say): 1.0 fully in character, 0.0 out of character. Without a persona, judge consistency "
    "with the tone of the assistant's first turn. Give the turn's index.")
PERSONA_TOOL = tool("record_persona", "Record one adherence rating per assistant turn.", {
    "turns": {"type": "array", "items": {"type": "object", "properties": {
        "turn_index": {"type": "integer"}, "adherence": UNIT, "note": {"type": "string"}},
        "required": ["turn_index", "adherence", "note"]}},
    "reason": {"type": "string"}})


@metric
class PersonaToneAdherence(_ConversationMetric):
    key = "persona_tone_adherence"
    name = "Persona & Tone Adherence"
    description = "How well every assistant turn holds the persona and tone, and how consistently."
    optional_fields = ("persona_description", "additional_input")
    instruction, output = PERSONA_INSTRUCTION, PERSONA_TOOL
    prompts = (("persona_tone_adherence", PERSONA_INSTRUCTION, PERSONA_TOOL),)
    scoring = ("a = mean adherence over the assistant turns rated; consistency = 1 - 4 x variance of those "
               "ratings (0-1); score = 0.7 a + 0.3 consistency (no rated turn: not scored).")

    def payload(self, item):
        out = {"conversation": turns(item)}
        persona = persona_of(item)
        if persona:
            out["persona"] = persona
        return out

    def from_verdicts(self, v):
        rated = [t for t in v.get("turns") or [] if isinstance(t.get("adherence"), (int, float))]
        if not rated:
            return MetricResult(score=None, explanation="the judge rated no assistant turn", error="no rated turns")
        values = [clamp01(float(t["adherence"])) for t in rated]
        mean = sum(values) / len(values)
        variance = sum((x - mean) ** 2 for x in values) / len(values)
        consistency = clamp01(1 - 4 * variance)
        low = [t for t in rated if float(t["adherence"]) < 0.5]
        return MetricResult(score=clamp01(0.7 * mean + 0.3 * consistency), signals=[
            Signal("turns", f"turn_{t['turn_index']}", t.get("note", ""), clamp01(float(t["adherence"])),
                   headline=float(t["adherence"]) < 0.5) for t in rated],
            explanation=f"adherence {mean:.2f} over {len(values)} turns, consistency {consistency:.2f}"
                        + (f"; out of character at turns {[t['turn_index'] for t in low]}" if low else ""))
