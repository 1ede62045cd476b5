"""Units the data does not state, inferred so views label numbers right.

A latency column named ``latency`` says nothing of its unit (``latency_ms`` does: ingest
records "ms"). Language-model latencies are a fraction of a second to a minute, so a
typical (median) value of 60 or more is read as milliseconds and a smaller one as seconds:
the demo's ~950 ms latencies were shown as "950 s?".
"""

from __future__ import annotations

import math

MS_IF_MEDIAN_AT_LEAST = 60.0


def latency_unit(recorded: str | None, median: float | None) -> str:
    """"ms" or "s": the unit ingest recorded when it knew it, else the one the median fits."""
    if recorded in ("ms", "s"):
        return recorded
    if median is None or not math.isfinite(float(median)):
        return "ms"
    return "ms" if float(median) >= MS_IF_MEDIAN_AT_LEAST else "s"
