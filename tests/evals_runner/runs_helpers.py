"""Helpers of the evaluation-run tests (imported as ``runs_helpers``)."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval_runner_sample.csv"
N_ITEMS = 10  # rows of the sample


def load_sample(store, name: str = "inputs"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sample's unquoted-comma repair warns
        return store.load(SAMPLE, name=name)


def body(resp) -> dict:
    """Strict JSON of a tornado response (NaN/Infinity are errors)."""
    def bad(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(resp.body, parse_constant=bad)


def until(predicate, timeout: float = 30.0, interval: float = 0.02):
    """Poll ``predicate()`` until it returns something truthy (that value) or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
