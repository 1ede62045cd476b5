"""Deterministic decision-memory rules at any size (tests, benchmarks, the example notebook).

The columns are the reference's rules CSV (reference §2.8): ``id, rule_name, action,
risk_category, risk_factor, product_type, decision_quality, threshold_type, threshold,
outcome_description, mitigants, ingestion_status, batch_id, agent_name, created_at,
confidence, compound_trigger, source, source_type, data_fields``. Mitigants come in the
shapes real exports have: a Python-literal list, a JSON list, one bare name, or empty.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

ACTIONS = ("decline", "approve", "refer", "approve_with_conditions", "escalate")
ACTION_WEIGHTS = (0.3, 0.3, 0.2, 0.12, 0.08)
CATEGORIES = ("credit", "fraud", "compliance", "affordability", "operational")
PRODUCTS = ("personal_loan", "mortgage", "credit_card", "auto_loan", "sme_loan")
QUALITY = ("aligned", "divergent", "partial")
STATUS = ("ingested", "pending", "failed")
FACTOR_STEMS = ("Debt to income", "Credit score", "Missed payments", "Income volatility",
                "Address mismatch", "Device fingerprint", "Loan to value", "Employment tenure",
                "Sanctions hit", "Velocity of applications", "Bankruptcy history", "Thin file")
MITIGANT_STEMS = ("Guarantor", "Collateral", "Verified income", "Manual review",
                  "Lower limit", "Co-applicant", "Insurance", "Deposit")
SOURCE_STEMS = ("Credit policy", "Fraud playbook", "Underwriting memo", "Audit finding",
                "Regulator letter", "Committee minutes")


def _names(stems, n: int) -> list[str]:
    """``n`` distinct names: the stems, then the stems numbered."""
    out = []
    for i in range(n):
        stem = stems[i % len(stems)]
        k = i // len(stems)
        out.append(stem if k == 0 else f"{stem} {k}")
    return out


def rules_frame(n_rules: int = 200, *, risk_factors: int | None = None,
                mitigants: int | None = None, sources: int | None = None,
                batches: int | None = None, seed: int = 0,
                start: str = "2026-01-01") -> pd.DataFrame:
    """``n_rules`` rules over pools of risk factors, mitigants and sources (defaults scale
    with ``n_rules``). The knowledge graph of the result has ``n_rules`` Rule nodes plus
    about ``risk_factors + mitigants + sources`` others and up to ``len(ACTIONS)`` outcomes."""
    rng = np.random.default_rng(seed)
    n = int(n_rules)
    n_rf = risk_factors or max(3, n // 6)
    n_mit = mitigants or max(3, n // 12)
    n_src = sources or max(2, n // 40)
    n_batch = batches or max(1, n // 500)
    factors = _names(FACTOR_STEMS, n_rf)
    mits = _names(MITIGANT_STEMS, n_mit)
    srcs = _names(SOURCE_STEMS, n_src)
    # every factor, mitigant and source is used at least once when the rules allow it
    rf_idx = np.concatenate([np.arange(min(n, n_rf)), rng.integers(0, n_rf, max(0, n - n_rf))])
    rng.shuffle(rf_idx)
    actions = rng.choice(len(ACTIONS), n, p=ACTION_WEIGHTS)
    n_m = rng.choice(4, n, p=(0.35, 0.35, 0.2, 0.1))  # mitigants per rule
    mit_cells = []
    cursor = 0
    for i in range(n):
        k = int(n_m[i])
        if cursor < n_mit and k == 0:
            k = 1
        picks = []
        for _ in range(k):
            picks.append(mits[cursor] if cursor < n_mit else mits[int(rng.integers(0, n_mit))])
            cursor += 1
        picks = list(dict.fromkeys(picks))
        shape = i % 4
        if not picks:
            mit_cells.append("" if shape % 2 else "[]")
        elif shape == 0:
            mit_cells.append(repr(picks))  # Python literal: ['a', 'b']
        elif shape == 1:
            mit_cells.append(json.dumps(picks))
        elif shape == 2 and len(picks) == 1:
            mit_cells.append(picks[0])  # one bare name
        else:
            mit_cells.append(repr(picks))
    src_idx = np.concatenate([np.arange(min(n, n_src)), rng.integers(0, n_src, max(0, n - n_src))])
    rng.shuffle(src_idx)
    batch_ids = [f"batch-{seed:02d}-{b:05d}" for b in range(n_batch)]
    b_idx = np.sort(rng.integers(0, n_batch, n))
    t0 = pd.Timestamp(start)
    created = [t0 + pd.Timedelta(minutes=int(m)) for m in np.sort(rng.integers(0, 60 * 24 * 60, n))]
    thr_type = rng.choice(["hard", "soft"], n, p=(0.6, 0.4))
    thresholds = [f"> {int(v)}%" if t == "hard" else f"~ {int(v)}%" for v, t in
                  zip(rng.integers(5, 95, n), thr_type)]
    ids = [f"R{i + 1:06d}" for i in range(n)]
    frame = pd.DataFrame({
        "id": ids,
        "rule_name": [f"{factors[f]} rule {i + 1}" for i, f in enumerate(rf_idx)],
        "action": [ACTIONS[a] for a in actions],
        "risk_category": [CATEGORIES[int(x)] for x in rng.integers(0, len(CATEGORIES), n)],
        "risk_factor": [factors[f] for f in rf_idx],
        "product_type": [PRODUCTS[int(x)] for x in rng.integers(0, len(PRODUCTS), n)],
        "decision_quality": [QUALITY[int(x)] for x in rng.choice(3, n, p=(0.6, 0.25, 0.15))],
        "threshold_type": thr_type,
        "threshold": thresholds,
        "outcome_description": [f"{ACTIONS[a].replace('_', ' ')} when {factors[f].lower()} is out of "
                                "policy" for a, f in zip(actions, rf_idx)],
        "mitigants": mit_cells,
        "ingestion_status": [STATUS[int(x)] for x in rng.choice(3, n, p=(0.8, 0.15, 0.05))],
        "batch_id": [batch_ids[b] for b in b_idx],
        "agent_name": [("Atlas", "Sage", "Nova")[i % 3] for i in range(n)],
        "created_at": created,
        "confidence": np.round(rng.uniform(0.5, 1.0, n), 3),
        "compound_trigger": ["" if i % 5 else "and income < 20k" for i in range(n)],
        "source": [srcs[s] for s in src_idx],
        "source_type": [("policy", "memo", "audit")[int(s) % 3] for s in src_idx],
        "data_fields": [json.dumps(["income", "score"]) if i % 2 else "['ltv']" for i in range(n)],
    })
    return frame
