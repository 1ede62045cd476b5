"""Fixtures for the security tests: a real Jupyter server (pytest-jupyter) with the AXIS
extension under the non-trivial base_url ``/a%40b/``, a throwaway store and config home."""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", _ROOT / "tests", _ROOT / "tests" / "server"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from support.axis_server import (  # noqa: E402,F401 - fixtures used by this folder's tests
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)

# What an error body must never show: a Python exception class, a traceback, compiled SQL
# or the store's internal tables.
LEAK = re.compile(r"\w+(Error|Exception):|Traceback|SELECT |FROM \"_axis|_axis_t_|File \"")


def assert_no_leak(text: str) -> None:
    m = LEAK.search(text)
    assert m is None, f"response leaks internals ({m.group(0)!r}): {text[:300]}"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Sources, settings and the judge cache the requests write go to a throwaway home."""
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "axis-home"))
    with axis_env_restored():
        yield


@pytest.fixture
def demo(axis_state):
    """The server's store with small demo datasets (demo_evals, demo_monitoring)."""
    from axis_jupyter import demo as demo_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo_data.load_demo(axis_state.store, n_cases=30, n_records=200, seed=3)
    return axis_state.store
