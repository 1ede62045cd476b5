"""Contextual (RAG) metrics: how good the retrieved context is for the query and answer.

Every metric here is judged per chunk of ``retrieved_content`` (kept in rank order) or per
statement, in one batch call whose verdicts carry the index they are about; indices the
batch missed are judged one by one (batch first, fall back). Sibling metrics share steps
through the verdict cache: ``contextual_relevancy``, ``contextual_ranking`` and
``contextual_utilization`` all start from the same per-chunk query-relevance verdicts, so
choosing all three costs one relevance call per item.

The prompts (``prompts``), output schemas and score formulas (``scoring``) of each metric
are listed by ``axis_jupyter.evals.describe(key)``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

from ..base import MetricResult, Signal
from ..fields import as_str_list, as_text
from ..metric_table import metric
from .base import JudgeSession, LLMMetric, tool


def _verdict_tool(name: str, index_name: str, label: dict[str, Any]) -> Any:
    one = {"type": "object", "properties": {index_name: {"type": "integer", "description": "0-based index"},
                                            **label, "reason": {"type": "string"}},
           "required": [index_name, *label, "reason"]}
    return tool(name, "Record one verdict per entry, with its index.", {"verdicts": {"type": "array", "items": one}})


def _single_tool(name: str, label: dict[str, Any]) -> Any:
    return tool(name, "Record the verdict for this entry.", {**label, "reason": {"type": "string"}})


async def judge_each(session: JudgeSession, step: str, instruction: str, payload: dict[str, Any],
                     entries: list[str], *, entry_name: str, label: dict[str, Any],
                     shared_scope: str | None = None) -> list[dict[str, Any]]:
    """One verdict per entry (``label``'s single field), batch first then one by one."""
    if not entries:
        return []
    field_name = next(iter(label))
    index_name = f"{entry_name}_index"
    batch = _verdict_tool(f"record_{step}", index_name, label)
    data = await session.ask(step, instruction, {**payload, f"{entry_name}s": entries}, batch,
                             shared_scope=shared_scope)
    got: dict[int, dict[str, Any]] = {}
    for v in data.get("verdicts", []):
        i = v.get(index_name)
        if isinstance(i, int) and 0 <= i < len(entries) and i not in got:
            got[i] = {"verdict": v[field_name], "reason": v.get("reason", "")}
    missing = [i for i in range(len(entries)) if i not in got]
    if missing:
        single = _single_tool(f"record_{step}_single", label)
        answers = await asyncio.gather(*(
            session.ask(f"{step}_single", instruction, {**payload, entry_name: entries[i]}, single,
                        shared_scope=None if shared_scope is None else f"{shared_scope}_single")
            for i in missing))
        for i, ans in zip(missing, answers):
            got[i] = {"verdict": ans[field_name], "reason": ans.get("reason", "")}
    return [{entry_name: entries[i], **got[i]} for i in range(len(entries))]


def average_precision(flags: list[bool]) -> float:
    """Mean over the positives of (positives up to rank k) / k; 0 with no positive."""
    hits, total = 0, 0.0
    for k, ok in enumerate(flags, 1):
        if ok:
            hits += 1
            total += hits / k
    return total / hits if hits else 0.0


BOOL = {"type": "boolean"}
RELEVANCE_INSTRUCTION = (
    "For each retrieved chunk (chunks, in rank order) decide whether it is relevant to the "
    "query: relevant = it contains information that helps answer the query; not relevant = "
    "off-topic, or only shares words with the query.")
RELEVANCE_LABEL = {"relevant": BOOL}
USEFUL_INSTRUCTION = (
    "For each retrieved chunk (chunks, in rank order) decide whether it was useful for arriving "
    "at the reference answer (expected_output) to the query: useful = it states something the "
    "reference answer relies on.")
USED_INSTRUCTION = (
    "For each retrieved chunk (chunks) decide whether the answer (actual_output) used it: used = "
    "the answer states information that comes from this chunk.")
RECALL_INSTRUCTION = (
    "Split the reference answer (expected_output) into atomic statements, then decide for each "
    "whether the retrieved context (retrieved_content) supports it. supported = the context "
    "states it or directly implies it.")
RECALL_TOOL = tool("record_recall", "Record each statement of the reference answer and whether "
                   "the context supports it.", {"statements": {"type": "array", "items": {
                       "type": "object", "properties": {"statement": {"type": "string"}, "supported": BOOL,
                                                        "reason": {"type": "string"}},
                       "required": ["statement", "supported", "reason"]}}})
SUFFICIENCY_INSTRUCTION = (
    "Decide whether the retrieved context (retrieved_content) alone holds enough information to "
    "answer the query completely and correctly. List what is missing when it does not.")
SUFFICIENCY_TOOL = tool("record_sufficiency", "Record whether the context is sufficient.", {
    "sufficient": BOOL, "missing": {"type": "array", "items": {"type": "string"}},
    "reason": {"type": "string"}})


def _chunks(item: Mapping[str, Any]) -> list[str]:
    return as_str_list(item.get("retrieved_content"))


async def chunk_relevance(session: JudgeSession, item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The shared step: is each chunk relevant to the query?"""
    return await judge_each(session, "chunk_relevance", RELEVANCE_INSTRUCTION,
                            {"query": as_text(item.get("query"))}, _chunks(item), entry_name="chunk",
                            label=RELEVANCE_LABEL, shared_scope="chunk_relevance")


def _chunk_signals(rows: list[dict[str, Any]], group: str) -> list[Signal]:
    return [Signal(group, f"chunk_{i}", bool(r["verdict"]), float(bool(r["verdict"])),
                   headline=not r["verdict"]) for i, r in enumerate(rows)]


class _ContextMetric(LLMMetric):
    tags = ("llm", "rag", "context")


@metric
class ContextualRelevancy(_ContextMetric):
    key = "contextual_relevancy"
    name = "Contextual Relevancy"
    description = "Share of the retrieved chunks that are relevant to the query."
    required_fields = ("query", "retrieved_content")
    prompts = (("chunk_relevance", RELEVANCE_INSTRUCTION, _verdict_tool("record_chunk_relevance", "chunk_index",
                                                                        RELEVANCE_LABEL)),)
    scoring = "relevant chunks / chunks (no chunks: not scored)."

    async def verdicts(self, item, session):
        return {"chunks": await chunk_relevance(session, item)}

    def formula(self, verdicts):
        rows = verdicts.get("chunks", [])
        if not rows:
            return MetricResult(score=None, explanation="no retrieved chunks", error="no retrieved chunks")
        good = sum(bool(r["verdict"]) for r in rows)
        return MetricResult(score=good / len(rows), explanation=f"{good} of {len(rows)} chunks relevant to the query",
                            signals=_chunk_signals(rows, "relevance"))


@metric
class ContextualRanking(_ContextMetric):
    key = "contextual_ranking"
    name = "Contextual Ranking"
    description = "Whether the relevant chunks are ranked first (average precision of relevance verdicts)."
    required_fields = ("query", "retrieved_content")
    prompts = ContextualRelevancy.prompts
    scoring = ("average precision over the ranked chunks: mean over relevant chunks of (relevant chunks "
               "up to its rank) / rank; 0 when none is relevant.")

    async def verdicts(self, item, session):
        return {"chunks": await chunk_relevance(session, item)}

    def formula(self, verdicts):
        rows = verdicts.get("chunks", [])
        if not rows:
            return MetricResult(score=None, explanation="no retrieved chunks", error="no retrieved chunks")
        flags = [bool(r["verdict"]) for r in rows]
        ranks = [i + 1 for i, f in enumerate(flags) if f]
        return MetricResult(score=average_precision(flags),
                            explanation=f"relevant chunks at ranks {ranks or 'none'} of {len(rows)}",
                            signals=_chunk_signals(rows, "ranking"))


@metric
class ContextualPrecision(_ContextMetric):
    key = "contextual_precision"
    name = "Contextual Precision"
    description = "Whether the chunks useful for the reference answer are ranked first (average precision)."
    required_fields = ("query", "expected_output", "retrieved_content")
    prompts = (("chunk_usefulness", USEFUL_INSTRUCTION, _verdict_tool("record_chunk_usefulness", "chunk_index",
                                                                      {"useful": BOOL})),)
    scoring = ("average precision of the usefulness verdicts in rank order: mean over useful chunks of "
               "(useful chunks up to its rank) / rank; 0 when none is useful.")

    async def verdicts(self, item, session):
        payload = {"query": as_text(item.get("query")), "expected_output": as_text(item.get("expected_output"))}
        return {"chunks": await judge_each(session, "chunk_usefulness", USEFUL_INSTRUCTION, payload, _chunks(item),
                                           entry_name="chunk", label={"useful": BOOL})}

    def formula(self, verdicts):
        rows = verdicts.get("chunks", [])
        if not rows:
            return MetricResult(score=None, explanation="no retrieved chunks", error="no retrieved chunks")
        flags = [bool(r["verdict"]) for r in rows]
        return MetricResult(score=average_precision(flags),
                            explanation=f"{sum(flags)} of {len(rows)} chunks useful; useful at ranks "
                                        f"{[i + 1 for i, f in enumerate(flags) if f] or 'none'}",
                            signals=_chunk_signals(rows, "usefulness"))


@metric
class ContextualRecall(_ContextMetric):
    key = "contextual_recall"
    name = "Contextual Recall"
    description = "Share of the reference answer's statements that the retrieved context supports."
    required_fields = ("expected_output", "retrieved_content")
    optional_fields = ("query",)
    prompts = (("recall", RECALL_INSTRUCTION, RECALL_TOOL),)
    scoring = "supported statements / statements of expected_output (no statements: not scored)."

    async def verdicts(self, item, session):
        payload = {"query": as_text(item.get("query")), "expected_output": as_text(item.get("expected_output")),
                   "retrieved_content": _chunks(item)}
        data = await session.ask("recall", RECALL_INSTRUCTION, payload, RECALL_TOOL)
        return {"statements": data.get("statements", [])}

    def formula(self, verdicts):
        rows = verdicts.get("statements", [])
        if not rows:
            return MetricResult(score=None, explanation="the reference answer has no statements to check",
                                error="no statements")
        ok = sum(bool(r["supported"]) for r in rows)
        missing = [r["statement"] for r in rows if not r["supported"]]
        expl = f"{ok} of {len(rows)} reference statements supported by the context"
        if missing:
            expl += f"; not supported: {missing[:3]}"
        return MetricResult(score=ok / len(rows), explanation=expl, signals=[
            Signal("statements", r["statement"], bool(r["supported"]), float(bool(r["supported"])),
                   headline=not r["supported"]) for r in rows])


@metric
class ContextualSufficiency(_ContextMetric):
    key = "contextual_sufficiency"
    name = "Contextual Sufficiency"
    description = "1 if the retrieved context alone is enough to answer the query, else 0."
    required_fields = ("query", "retrieved_content")
    prompts = (("sufficiency", SUFFICIENCY_INSTRUCTION, SUFFICIENCY_TOOL),)
    scoring = "1 when the judge says the context is sufficient, else 0; the missing pieces are signals."

    async def verdicts(self, item, session):
        payload = {"query": as_text(item.get("query")), "retrieved_content": _chunks(item)}
        return await session.ask("sufficiency", SUFFICIENCY_INSTRUCTION, payload, SUFFICIENCY_TOOL)

    def formula(self, verdicts):
        ok = bool(verdicts["sufficient"])
        missing = [str(m) for m in verdicts.get("missing", [])]
        return MetricResult(score=1.0 if ok else 0.0, explanation=verdicts.get("reason", ""), signals=[
            Signal("sufficiency", "sufficient", ok, float(ok), headline=not ok),
            *[Signal("missing", f"missing_{i}", m, headline=True) for i, m in enumerate(missing)]])


@metric
class ContextualUtilization(_ContextMetric):
    key = "contextual_utilization"
    name = "Contextual Utilization"
    description = "Share of the query-relevant chunks that the answer actually used."
    required_fields = ("query", "actual_output", "retrieved_content")
    prompts = (ContextualRelevancy.prompts[0],
               ("chunk_use", USED_INSTRUCTION, _verdict_tool("record_chunk_use", "chunk_index", {"used": BOOL})))
    scoring = ("among the chunks judged relevant to the query, the share judged used by the answer "
               "(no relevant chunk: not scored).")

    async def verdicts(self, item, session):
        relevance = await chunk_relevance(session, item)
        relevant = [r["chunk"] for r in relevance if r["verdict"]]
        payload = {"query": as_text(item.get("query")), "actual_output": as_text(item.get("actual_output"))}
        used = await judge_each(session, "chunk_use", USED_INSTRUCTION, payload, relevant,
                                entry_name="chunk", label={"used": BOOL})
        return {"relevant": len(relevant), "chunks": len(relevance), "used": used}

    def formula(self, verdicts):
        used = verdicts.get("used", [])
        if not used:
            return MetricResult(score=None, explanation=f"none of {verdicts.get('chunks', 0)} chunks is relevant "
                                "to the query: nothing to use", error="no relevant chunks")
        n = sum(bool(r["verdict"]) for r in used)
        return MetricResult(score=n / len(used),
                            explanation=f"the answer used {n} of {len(used)} relevant chunks",
                            signals=_chunk_signals(used, "utilization"))
