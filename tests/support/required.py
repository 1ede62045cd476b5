"""A component the tests need but cannot find: under CI a failure, elsewhere a skip.

CI sets ``CI=true``; there a missing browser (or any other required component) must turn the
run red, not leave it green with fewer tests run. A developer's machine without it may skip.
"""

from __future__ import annotations

import os

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(what: str) -> None:
    """Stop the current test because ``what`` is missing: fail under CI, skip otherwise."""
    if running_in_ci():
        pytest.fail(f"{what} (CI=true: a missing component fails the run)", pytrace=False)
    pytest.skip(what)
