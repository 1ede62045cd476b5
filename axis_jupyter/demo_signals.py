"""Deterministic human-signals demo data in the reference's long format (reference §2.4).

:func:`signal_rows` returns one row per (case, metric) with ``dataset_id``, ``metric_name``,
``metric_category``, ``source_name``, ``source_component``, ``environment``,
``timestamp``, ``signals`` (a JSON object), and the case's ``conversation``,
``conversation_stats`` and ``additional_input`` (the same on each of its rows). Ten metrics
by default, modelled on the reference's sample (escalation, intervention, resolution,
failed step, attribution, learnings, feature requests, actionable feedback, priority,
sentiment), with boolean, numeric, string and array signals and two metadata keys every
metric carries (``group``, ``source_metric``). Cases share a hidden difficulty, so
escalations, negative sentiment and unresolved cases go together, and the escalation rate
drifts over the weeks.

Options make the messier inputs the reference accepts: ``literal_share`` (signals written
as Python literals), ``category_share`` (the category-dict form), ``missing_share``
(signals left out or null), ``string_containers`` (arrays written as text inside the JSON).
The same seed gives the same data; a million rows take a few seconds.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

SOURCES = ["Atlas", "Nova", "Orion"]
COMPONENTS = ["billing", "returns", "onboarding"]
ENVIRONMENTS = ["prod", "staging"]
BUSINESSES = ["ORDER-{n}", "ACCT-{n}", "SHIP-{n}", "REFUND-{n}"]
ESCALATION_TYPES = ["none", "team_mention", "manager", "external"]
INTERVENTIONS = ["none", "process_override", "data_correction", "policy_exception"]
FRICTION = ["Refund Processing Time", "Identity Check", "Missing Order Data", "Policy Ambiguity"]
STATUSES = ["resolved", "pending", "unresolved", "stalemate"]
RESOLUTION_TYPES = ["refund_processed", "information_provided", "handed_off", "no_action"]
FAILED_STEPS = ["none", "slow_resolution", "wrong_answer", "missing_data", "tool_error"]
ATTRIBUTED = ["agent", "tooling", "policy", "customer"]
LEARNINGS = ["Check payment retries before refunding", "Ask for the order id first",
             "Link the policy page", "Escalate duplicates to billing-ops",
             "Confirm the shipping address", "Offer a callback for long cases"]
REQUESTS = ["Bulk refund tool", "Order lookup by email", "Auto-detect duplicate charges",
            "Slack shortcut for escalation", "Refund status webhook"]
CATEGORIES = ["billing", "shipping", "account", "tooling", "policy"]
ACTIONS = ["Add a retry guard to checkout", "Update the refund macro", "Train on policy exceptions",
           "Add order lookup to the agent tools", "No action needed"]
PRIORITIES = ["low", "medium", "high", "critical"]
SENTIMENTS = ["positive", "neutral", "negative", "frustrated"]
CAUSES = ["none", "wait_time", "repeat_contact", "wrong_answer"]
GROUPS = ["objective", "subjective"]
METRICS = ["escalation_type", "intervention_type", "resolution_status", "failed_step",
           "attribution_confidence", "learnings_count", "feature_requests_count",
           "has_actionable_feedback", "priority_level", "sentiment_category"]
# The metric whose signals the category-dict form wraps: {"analysis": {"overall": [items]}}.
CATEGORY_METRIC = "sentiment_category"


def _pick(rng, options: list, p_shift: np.ndarray, spread: float = 1.0) -> np.ndarray:
    """One option per case, later options likelier for harder cases (``p_shift`` in 0-1)."""
    k = len(options)
    pos = np.clip(p_shift * (k - 1) * spread + rng.normal(0, 0.7, len(p_shift)), 0, k - 1)
    return np.asarray(options, dtype=object)[np.rint(pos).astype(int)]


def _cases(n: int, weeks: int, start: str, rng) -> dict[str, np.ndarray]:
    t0 = np.datetime64(start, "s")
    offset = rng.integers(0, weeks * 7 * 86400, n)
    week = offset // (7 * 86400)
    drift = week / max(1, weeks - 1)  # escalations rise over the period
    difficulty = np.clip(rng.beta(2, 4, n) + 0.15 * drift, 0, 1)
    return {
        "id": np.array([f"cs-{i:07d}" for i in range(n)], dtype=object),
        "ts": t0 + offset.astype("timedelta64[s]"),
        "source": np.asarray(SOURCES, dtype=object)[rng.integers(0, len(SOURCES), n)],
        "component": np.asarray(COMPONENTS, dtype=object)[rng.integers(0, len(COMPONENTS), n)],
        "env": np.where(rng.random(n) < 0.8, "prod", "staging").astype(object),
        "d": difficulty,
        "turns": (3 + difficulty * 12 + rng.integers(0, 4, n)).astype(int),
        "biz": np.array([BUSINESSES[i % len(BUSINESSES)].format(n=70000 + i) for i in range(n)], dtype=object),
    }


def _signals(c: dict, rng) -> dict[str, list[dict[str, Any]]]:
    """Per metric, each case's signals as a dict (metadata keys included)."""
    n = len(c["id"])
    d = c["d"]
    esc = rng.random(n) < 0.1 + 0.7 * d
    interv = rng.random(n) < 0.15 + 0.5 * d
    resolved = rng.random(n) < 0.9 - 0.6 * d
    status = np.where(resolved, "resolved", _pick(rng, STATUSES[1:], d))
    feedback = rng.random(n) < 0.35 + 0.3 * d
    urgent = rng.random(n) < 0.1 + 0.4 * d
    n_learn = rng.integers(0, 3, n)
    n_req = (rng.random(n) < 0.3 + 0.3 * d).astype(int) + (rng.random(n) < 0.1).astype(int)
    senti = _pick(rng, SENTIMENTS, d, 1.2)
    cols: dict[str, list] = {}

    def meta(i: int) -> dict:
        return {"group": GROUPS[i % 2], "source_metric": "SupportQualityEvaluator"}

    cols["escalation_type"] = [
        {"is_escalated": bool(esc[i]),
         "escalation_type": str(_one(ESCALATION_TYPES[1:], rng)) if esc[i] else "none",
         "escalation_turn_index": int(rng.integers(1, c["turns"][i] + 1)) if esc[i] else None,
         "escalation_targets": (["team-lead", "billing-ops"][: 1 + i % 2]) if esc[i] else [],
         "escalation_reason": f"Customer waited {1 + i % 5} days on {c['biz'][i]}" if esc[i] else "",
         **meta(0)} for i in range(n)]
    cols["intervention_type"] = [
        {"has_intervention": bool(interv[i]),
         "intervention_type": str(_one(INTERVENTIONS[1:], rng)) if interv[i] else "none",
         "is_compliant": bool(rng.random() < 0.85 - 0.3 * d[i]),
         "friction_point": FRICTION[i % len(FRICTION)],
         "intervention_summary": f"Human stepped in on {c['biz'][i]}" if interv[i] else "",
         **meta(1)} for i in range(n)]
    cols["resolution_status"] = [
        {"final_status": str(status[i]), "is_resolved": bool(resolved[i]),
         "resolution_type": RESOLUTION_TYPES[0 if resolved[i] else 1 + i % 3],
         "is_stalemate": bool(status[i] == "stalemate"),
         "time_to_resolution_seconds": float(round(600 + 20000 * d[i] * rng.random(), 1)),
         **meta(0)} for i in range(n)]
    cols["failed_step"] = [
        {"failed_step": "none" if resolved[i] else FAILED_STEPS[1 + i % 4],
         "failure_turn": int(c["turns"][i] // 2), **meta(0)} for i in range(n)]
    cols["attribution_confidence"] = [
        {"attribution_confidence": float(round(0.5 + 0.5 * rng.random(), 3)),
         "attributed_to": ATTRIBUTED[int(d[i] * 3.99)], **meta(1)} for i in range(n)]
    cols["learnings_count"] = [
        {"learnings_count": int(n_learn[i]),
         "learnings": [LEARNINGS[(i + j) % len(LEARNINGS)] for j in range(n_learn[i])], **meta(1)}
        for i in range(n)]
    cols["feature_requests_count"] = [
        {"feature_requests_count": int(n_req[i]),
         "requests": [REQUESTS[(i * 3 + j) % len(REQUESTS)] for j in range(n_req[i])], **meta(1)}
        for i in range(n)]
    cols["has_actionable_feedback"] = [
        {"has_actionable_feedback": bool(feedback[i]),
         "suggested_action": ACTIONS[i % len(ACTIONS)] if feedback[i] else ACTIONS[-1],
         "categories": sorted({CATEGORIES[i % 5], CATEGORIES[(i // 5) % 5]}), **meta(1)}
        for i in range(n)]
    cols["priority_level"] = [
        {"priority_level": str(_pick_one(PRIORITIES, d[i], rng)), "is_urgent": bool(urgent[i]), **meta(0)}
        for i in range(n)]
    cols["sentiment_category"] = [
        {"sentiment_category": str(senti[i]),
         "frustration_cause": "none" if senti[i] in ("positive", "neutral") else CAUSES[1 + i % 3],
         "sentiment_score": float(round(1 - d[i], 3)), **meta(1)} for i in range(n)]
    return cols


def _one(options: list, rng):
    return options[int(rng.integers(0, len(options)))]


def _pick_one(options: list, d: float, rng):
    k = len(options)
    return options[int(np.clip(round(d * (k - 1) + rng.normal(0, 0.7)), 0, k - 1))]


def _conversation(c: dict, i: int) -> str:
    biz = c["biz"][i]
    msgs = [{"role": "assistant", "content": f"New support case: {biz}\n\n*Customer:* #{i}\n*Issue:* "
                                             f"{COMPONENTS[i % 3]} question"},
            {"role": "user", "content": f"@support-agent can you look at {biz}?"},
            {"role": "assistant", "content": "Looking into it now."}]
    if c["turns"][i] > 8:
        msgs.append({"role": "user", "content": "This is taking long, the customer is waiting."})
    return json.dumps({"messages": msgs})


def signal_rows(n_cases: int = 500, weeks: int = 12, seed: int = 0, start: str = "2026-01-05T00:00:00",
                metrics: list[str] | None = None, literal_share: float = 0.0, category_share: float = 0.0,
                missing_share: float = 0.0, string_containers: float = 0.0,
                conversations: bool = True) -> pa.Table:
    """Long human-signals rows: ``n_cases`` x len(metrics) rows (see the module docstring)."""
    rng = np.random.default_rng(seed)
    metrics = list(metrics or METRICS)
    c = _cases(n_cases, weeks, start, rng)
    per_metric = _signals(c, rng)
    ids, names, sigs, rows_of = [], [], [], []
    for i in range(n_cases):
        for m in metrics:
            ids.append(c["id"][i])
            names.append(m)
            rows_of.append(i)
            sigs.append(_encode(dict(per_metric[m][i]), m, rng, literal_share, category_share,
                                missing_share, string_containers))
    idx = np.asarray(rows_of)
    cols: dict[str, Any] = {
        "dataset_id": pa.array(ids, pa.string()),
        "metric_name": pa.array(names, pa.string()),
        "metric_category": pa.array(["classification"] * len(ids), pa.string()),
        "source_name": pa.array(c["source"][idx], pa.string()),
        "source_component": pa.array(c["component"][idx], pa.string()),
        "environment": pa.array(c["env"][idx], pa.string()),
        "timestamp": pa.array(c["ts"][idx]),
        "signals": pa.array(sigs, pa.string()),
    }
    if conversations:
        conv = [_conversation(c, i) for i in range(n_cases)]
        stats = [json.dumps({"turn_count": int(c["turns"][i]), "user_message_count": int(c["turns"][i] // 2),
                             "ai_message_count": int(c["turns"][i] - c["turns"][i] // 2)})
                 for i in range(n_cases)]
        extra = [json.dumps({"message_url": f"https://chat.example.com/t/{c['id'][i]}",
                             "sender": c["source"][i], "channel_id": COMPONENTS[i % 3]})
                 for i in range(n_cases)]
        cols["conversation"] = pa.array([conv[i] for i in idx], pa.string())
        cols["conversation_stats"] = pa.array([stats[i] for i in idx], pa.string())
        cols["additional_input"] = pa.array([extra[i] for i in idx], pa.string())
    return pa.table(cols)


def _encode(sig: dict, metric: str, rng, literal_share, category_share, missing_share,
            string_containers) -> str:
    if missing_share and rng.random() < missing_share:
        keys = [k for k in sig if k not in ("group", "source_metric")]
        k = keys[int(rng.integers(0, len(keys)))]
        if rng.random() < 0.5:
            del sig[k]
        else:
            sig[k] = None
    if string_containers and rng.random() < string_containers:
        for k, v in list(sig.items()):
            if isinstance(v, list):
                sig[k] = json.dumps(v) if rng.random() < 0.5 else str(v)
    if category_share and metric == CATEGORY_METRIC and rng.random() < category_share:
        items = [{"name": k, "value": v} if not k.endswith("_score") else {"name": k, "score": v}
                 for k, v in sig.items() if k not in ("group", "source_metric")]
        sig = {"analysis": {"overall": items}, "group": sig.get("group"),
               "source_metric": sig.get("source_metric")}
    if literal_share and rng.random() < literal_share:
        return str(sig)  # Python literal: True/False/None, single quotes
    return json.dumps(sig)


def load_signals_demo(axis, n_cases: int = 500, seed: int = 0, name: str = "demo_signals"):
    """Load the demo signals as dataset ``name`` (kind signals)."""
    return axis.load(signal_rows(n_cases, seed=seed), name=name, kind="signals")
