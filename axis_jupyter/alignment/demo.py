"""Deterministic demo data for the alignment workbench: support answers, and labels a
person might have given them (with critiques that fall into a few recurring patterns)."""

from __future__ import annotations

import random

import pandas as pd

TOPICS = [
    ("How do I reset my password?", "Go to Settings > Security and choose Reset password; "
     "a link is emailed to you.", "Settings > Security > Reset password; emailed link."),
    ("What is the refund window?", "Refunds are accepted within 30 days of delivery with "
     "the receipt.", "30 days from delivery, receipt required."),
    ("Can I change my shipping address?", "Yes, until the order ships: open the order and "
     "choose Edit address.", "Possible until shipment via Edit address."),
    ("Do you ship to Canada?", "We ship to Canada; delivery takes 5 to 8 business days.",
     "Yes, 5-8 business days."),
    ("How do I cancel my subscription?", "Open Billing, choose the plan and press Cancel; "
     "it stays active until the period ends.", "Billing > Cancel; active until period end."),
]
# What goes wrong, and what the person wrote about it (the patterns to discover).
FAULTS = [
    ("verbose", " Let me also explain our full history, our values, our team and every "
     "other policy we have, in great detail, before anything else.",
     ["too verbose, the answer is buried", "way too long, padded with filler",
      "verbose: cut the company history"]),
    ("wrong_fact", " (Refunds are accepted within 90 days.)",
     ["wrong refund window, it is 30 days", "states 90 days: incorrect policy",
      "incorrect number of days for refunds"]),
    ("no_answer", None,
     ["does not answer the question", "ignored what was asked",
      "did not answer, talks about something else"]),
]


def records(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, list[dict]]:
    """(records, labels): ``n`` support answers (dataset_id, query, actual_output,
    expected_output) and one label per record (record_id, judgment, critique)."""
    rng = random.Random(seed)
    rows, labels = [], []
    for i in range(n):
        query, answer, expected = TOPICS[i % len(TOPICS)]
        fault = FAULTS[rng.randrange(len(FAULTS))] if rng.random() < 0.45 else None
        text = answer
        if fault is not None:
            text = "Thanks for reaching out about our products." if fault[1] is None else answer + fault[1]
        rid = f"case_{i + 1:03d}"
        rows.append({"dataset_id": rid, "query": query, "actual_output": text,
                     "expected_output": expected})
        if fault is None:
            labels.append({"record_id": rid, "judgment": "accept",
                           "critique": rng.choice(["clear and correct", "", "good answer"])})
        else:
            labels.append({"record_id": rid, "judgment": "reject",
                           "critique": rng.choice(fault[2])})
    return pd.DataFrame(rows), labels
