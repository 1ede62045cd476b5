"""Answer-vs-context metrics: faithfulness and answer_relevancy.

Both start by splitting the answer into atomic claims with the *same* prompt, so the
judge cache/in-flight sharing makes the second metric reuse the first one's call.
Claims are then judged in one batch call; if the batch comes back short, the missing
claims are judged one by one (batch first, fall back).
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

from ..base import MetricResult, Signal
from ..fields import as_str_list, as_text
from ..metric_table import metric
from .base import JudgeSession, LLMMetric, clamp01, str_list, tool

CLAIMS_INSTRUCTION = (
    "Split the answer (actual_output) into atomic, self-contained factual claims. Resolve "
    "pronouns, keep numbers and qualifiers, drop greetings, filler and questions. If the answer "
    "makes no claims, return an empty list."
)
CLAIMS_TOOL = tool("record_claims", "Record the claims made by the answer.",
                   {"claims": str_list("atomic claims, in order")})


async def extract_claims(session: JudgeSession, item: Mapping[str, Any]) -> list[str]:
    payload = {"query": as_text(item.get("query")), "actual_output": as_text(item.get("actual_output"))}
    data = await session.ask("claims", CLAIMS_INSTRUCTION, payload, CLAIMS_TOOL,
                             shared_scope="claims_from_answer")
    return [c for c in (str(x).strip() for x in data.get("claims", [])) if c]


def _batch_tool(name: str, labels: list[str]):
    one = {"type": "object", "properties": {
        "claim_index": {"type": "integer", "description": "0-based index of the claim"},
        "verdict": {"type": "string", "enum": labels},
        "reason": {"type": "string"}}, "required": ["claim_index", "verdict", "reason"]}
    return tool(name, "Record one verdict per claim.", {"verdicts": {"type": "array", "items": one}})


def _single_tool(name: str, labels: list[str]):
    return tool(name, "Record the verdict for the claim.",
                {"verdict": {"type": "string", "enum": labels}, "reason": {"type": "string"}})


async def judge_claims(session: JudgeSession, step: str, instruction: str, context: dict[str, Any],
                       claims: list[str], labels: list[str]) -> list[dict[str, Any]]:
    """Verdict per claim: one batch call, then single calls for any claim it missed."""
    if not claims:
        return []
    data = await session.ask(step, instruction, {**context, "claims": claims},
                             _batch_tool(f"record_{step}", labels))
    by_index: dict[int, dict[str, Any]] = {}
    for v in data.get("verdicts", []):
        i = v.get("claim_index")
        if isinstance(i, int) and 0 <= i < len(claims) and i not in by_index:
            by_index[i] = {"verdict": v["verdict"], "reason": v.get("reason", "")}
    missing = [i for i in range(len(claims)) if i not in by_index]
    if missing:
        single = _single_tool(f"record_{step}_single", labels)
        answers = await asyncio.gather(*(
            session.ask(f"{step}_single", instruction, {**context, "claim": claims[i]}, single)
            for i in missing))
        for i, ans in zip(missing, answers):
            by_index[i] = {"verdict": ans["verdict"], "reason": ans.get("reason", "")}
    return [{"claim": claims[i], **by_index[i]} for i in range(len(claims))]


# ---------------------------------------------------------------------------------
FAITH_LABELS = ["supported", "partial", "no_evidence", "contradicted"]
FAITH_INSTRUCTION = (
    "Judge each claim strictly against the retrieved context (retrieved_content) only, not "
    "world knowledge. supported: the context states or directly implies it. partial: part of it is "
    "supported. no_evidence: the context says nothing about it. contradicted: the context says otherwise."
)


@metric
class Faithfulness(LLMMetric):
    key = "faithfulness"
    name = "Faithfulness"
    description = ("Share of the answer's claims supported by the retrieved context "
                   "(supported 1, partial 0.5, no evidence 0, contradicted -1; clamped to 0-1).")
    required_fields = ("query", "actual_output", "retrieved_content")
    tags = ("llm", "rag")
    version = "1"
    prompts = (("claims", CLAIMS_INSTRUCTION, CLAIMS_TOOL),
               ("faithfulness", FAITH_INSTRUCTION, _batch_tool("record_faithfulness", FAITH_LABELS)))
    scoring = ("mean over the answer's claims of supported 1, partial 0.5, no_evidence 0 (-1 with "
               "strict=True), contradicted -1; clamped to 0-1; no claims: 1.")

    def __init__(self, strict: bool = False, **kw: Any):
        super().__init__(strict=strict, **kw)
        self.strict = strict

    async def verdicts(self, item, session):
        claims = await extract_claims(session, item)
        context = {"query": as_text(item.get("query")),
                   "retrieved_content": as_str_list(item.get("retrieved_content"))}
        return {"claims": await judge_claims(session, "faithfulness", FAITH_INSTRUCTION, context,
                                             claims, FAITH_LABELS)}

    def formula(self, verdicts):
        weights = {"supported": 1.0, "partial": 0.5, "no_evidence": -1.0 if self.strict else 0.0,
                   "contradicted": -1.0}
        claims = verdicts.get("claims", [])
        if not claims:
            return MetricResult(score=1.0, explanation="the answer makes no claims to check")
        score = clamp01(sum(weights[c["verdict"]] for c in claims) / len(claims))
        counts = {lab: sum(c["verdict"] == lab for c in claims) for lab in FAITH_LABELS}
        signals = [Signal("claims", c["claim"], c["verdict"], weights[c["verdict"]],
                          headline=c["verdict"] in ("no_evidence", "contradicted")) for c in claims]
        bad = [c for c in claims if c["verdict"] in ("no_evidence", "contradicted")]
        expl = (f"{counts['supported']} supported, {counts['partial']} partial, "
                f"{counts['no_evidence']} without evidence, {counts['contradicted']} contradicted "
                f"of {len(claims)} claims")
        if bad:
            expl += f". First unsupported: {bad[0]['claim']!r} ({bad[0]['reason']})"
        return MetricResult(score=score, explanation=expl, signals=signals)


# ---------------------------------------------------------------------------------
RELEVANCY_LABELS = ["yes", "no", "idk"]
RELEVANCY_INSTRUCTION = {
    "task": ("For each claim decide whether it helps answer the query. yes: it answers the query or is "
             "closely related, helpful content. no: it is off-topic or irrelevant. idk: ambiguous."),
    "strict": ("For each claim decide whether it directly answers the query. yes: it directly answers it. "
               "no: anything else. idk: cannot tell."),
}


@metric
class AnswerRelevancy(LLMMetric):
    key = "answer_relevancy"
    name = "Answer Relevancy"
    description = "Share of the answer's claims that are relevant to the query (idk counts unless penalised)."
    required_fields = ("query", "actual_output")
    tags = ("llm", "rag")
    prompts = (("claims", CLAIMS_INSTRUCTION, CLAIMS_TOOL),
               ("relevancy", RELEVANCY_INSTRUCTION["task"], _batch_tool("record_relevancy", RELEVANCY_LABELS)))
    scoring = ("(yes claims + idk claims, unless penalize_ambiguity) / claims; no claims: 1. "
               "mode=strict asks whether each claim directly answers the query.")

    def __init__(self, mode: str = "task", penalize_ambiguity: bool = False, **kw: Any):
        super().__init__(mode=mode, penalize_ambiguity=penalize_ambiguity, **kw)
        if mode not in RELEVANCY_INSTRUCTION:
            from ..base import MetricConfigError
            raise MetricConfigError("answer_relevancy mode must be task or strict")
        self.mode, self.penalize = mode, penalize_ambiguity

    async def verdicts(self, item, session):
        claims = await extract_claims(session, item)
        return {"claims": await judge_claims(session, "relevancy", RELEVANCY_INSTRUCTION[self.mode],
                                             {"query": as_text(item.get("query"))}, claims,
                                             RELEVANCY_LABELS)}

    def formula(self, verdicts):
        claims = verdicts.get("claims", [])
        if not claims:
            return MetricResult(score=1.0, explanation="the answer makes no claims to judge")
        good = sum(c["verdict"] == "yes" or (c["verdict"] == "idk" and not self.penalize) for c in claims)
        irrelevant = [c["claim"] for c in claims if c["verdict"] == "no"]
        signals = [Signal("claims", c["claim"], c["verdict"], 1.0 if c["verdict"] == "yes" else 0.0,
                          headline=c["verdict"] == "no") for c in claims]
        expl = f"{good} of {len(claims)} claims relevant to the query"
        if irrelevant:
            expl += f"; irrelevant: {irrelevant[:3]}"
        return MetricResult(score=good / len(claims), explanation=expl, signals=signals)
