"""Few-shot examples for a judge, chosen from the records people labelled.

Strategies (``count`` examples; seeded, so the same labels give the same examples):

* ``balanced`` — half accepts, half rejects (the odd one a reject), topped up from the
  other class when one runs short. (``diverse``, ``representative`` and ``recent`` are
  accepted as names for it, as in the reference.)
* ``misalignment`` (``edge_cases``) — a third false positives and a third false negatives
  of a calibration run, labelled as people labelled them, the rest balanced from the
  aligned records. It needs a run (the reference never passed one, so its version of this
  strategy could not work).
* ``pattern`` — one record per pattern in the critiques (local pattern discovery), then
  balanced. Without patterns it is balanced.

An example's reasoning is the person's critique when there is one, else
"Accepted/Rejected based on human evaluation."
"""

from __future__ import annotations

import random
from typing import Any

from ..errors import ParameterError
from ..params import coerce, integer

ALIASES = {"balanced": "balanced", "diverse": "balanced", "representative": "balanced",
           "recent": "balanced", "misalignment": "misalignment", "edge_cases": "misalignment",
           "pattern": "pattern", "patterns": "pattern"}


def _example(rec: dict, why: str) -> dict:
    fields = rec.get("fields") or {}
    score = int(rec["human"])
    critique = rec.get("critique")
    reasoning = critique.strip() if isinstance(critique, str) and critique.strip() else (
        "Accepted based on human evaluation." if score == 1 else "Rejected based on human evaluation.")
    out = {"record_id": rec["record_id"], "query": str(fields.get("query") or ""),
           "actual_output": str(fields.get("actual_output") or ""), "score": score,
           "reasoning": reasoning, "why": why}
    if fields.get("expected_output"):
        out["expected_output"] = str(fields["expected_output"])
    return out


def _balanced(pool: list[dict], count: int, rng: random.Random, taken: set[str]) -> list[dict]:
    free = [r for r in pool if r["record_id"] not in taken]
    accepts = [r for r in free if r["human"] == 1]
    rejects = [r for r in free if r["human"] == 0]
    rng.shuffle(accepts)
    rng.shuffle(rejects)
    want_accepts = count // 2
    chosen = accepts[:want_accepts] + rejects[:count - want_accepts]
    if len(chosen) < count:  # one class ran short: top up from what is left
        rest = accepts[want_accepts:] + rejects[count - want_accepts:]
        rng.shuffle(rest)
        chosen += rest[:count - len(chosen)]
    return chosen


def suggest(labelled: list[dict], strategy: str = "balanced", count: int = 4, *,
            run_records: list[dict] | None = None, seed: int = 0) -> dict:
    """``labelled``: ``{record_id, human (0/1), critique?, fields{query, actual_output,
    expected_output}}``. ``run_records``: a calibration run's ``{record_id, human, judge}``
    (for ``misalignment``). Returns ``{examples, strategy_used}``."""
    if strategy not in ALIASES:
        raise ParameterError(f"strategy must be one of {', '.join(sorted(ALIASES))}, not "
                             f"{strategy!r}.", param="strategy")
    count = coerce("count", count, integer(1, 10))
    used = ALIASES[strategy]
    rng = random.Random(seed)
    pool = [r for r in labelled if r.get("human") in (0, 1)]
    chosen: list[tuple[dict, str]] = []
    taken: set[str] = set()

    def take(rec: dict, why: str) -> None:
        chosen.append((rec, why))
        taken.add(rec["record_id"])

    if used == "misalignment":
        if not run_records:
            raise ParameterError("misalignment-guided examples need a calibration run: "
                                 "run calibrate() first (or use strategy='balanced').",
                                 param="strategy")
        by_id = {r["record_id"]: r for r in pool}
        fps = [by_id[r["record_id"]] for r in run_records
               if r.get("human") == 0 and r.get("judge") == 1 and r["record_id"] in by_id]
        fns = [by_id[r["record_id"]] for r in run_records
               if r.get("human") == 1 and r.get("judge") == 0 and r["record_id"] in by_id]
        rng.shuffle(fps)
        rng.shuffle(fns)
        for rec in fps[:count // 3]:
            take(rec, "judge too lenient here (false positive)")
        for rec in fns[:count // 3]:
            take(rec, "judge too strict here (false negative)")
        aligned = [by_id[r["record_id"]] for r in run_records
                   if r.get("aligned") and r["record_id"] in by_id]
        for rec in _balanced(aligned or pool, count - len(chosen), rng, taken):
            take(rec, "balanced")
    elif used == "pattern":
        from ..patterns import discover

        notes = [{"id": r["record_id"], "text": r.get("critique") or ""} for r in pool]
        by_id = {r["record_id"]: r for r in pool}
        for cluster in discover(notes, method="local", distill=False, max_items=None).clusters:
            if len(chosen) >= count:
                break
            rec = next((by_id[i] for i in cluster.record_ids if i not in taken), None)
            if rec is not None:
                take(rec, f"pattern: {cluster.category}")
        if not chosen:
            used = "balanced"
    if len(chosen) < count:
        for rec in _balanced(pool, count - len(chosen), rng, taken):
            take(rec, "balanced")
    return {"examples": [_example(r, why) for r, why in chosen], "strategy_used": used}


def examples_for_judge(examples: list[dict]) -> list[dict[str, Any]]:
    """Suggested examples as a judge's ``few_shot_examples``."""
    keep = ("record_id", "query", "actual_output", "expected_output", "score", "reasoning")
    return [{k: e[k] for k in keep if k in e} for e in examples]
