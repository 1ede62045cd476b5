"""What an HTTP error body must never show: a Python exception class, a traceback, compiled
SQL or the store's internal tables."""

from __future__ import annotations

import re

LEAK = re.compile(r"\w+(Error|Exception):|Traceback|SELECT |FROM \"_axis|_axis_t_|File \"")


def assert_no_leak(text: str) -> None:
    m = LEAK.search(text)
    assert m is None, f"response leaks internals ({m.group(0)!r}): {text[:300]}"
