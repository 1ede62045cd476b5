"""Fixtures for evaluation runs: an embedded store with the reference sample, and a real
Jupyter server (pytest-jupyter) with the AXIS extension (tests/support/axis_server.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", _ROOT / "tests", Path(__file__).resolve().parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

# pytest_plugins (pytest_jupyter.jupyter_server) is declared in the root conftest.py.

from runs_helpers import load_sample  # noqa: E402
from support.axis_server import (  # noqa: E402,F401 - fixtures used by this folder's tests
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)


@pytest.fixture(autouse=True)
def _isolated_runs(monkeypatch):
    """No judge-cache file, no verdicts or job runner carried over from another test, and
    never leak the AXIS_SERVER_* variables an in-process server exports."""
    from axis_jupyter.evals import runs

    monkeypatch.delenv("AXIS_JUDGE_CACHE", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    runs._CACHES.clear()
    runs.use_job_runner(None)
    with axis_env_restored():
        yield
    runs.use_job_runner(None)
    runs._CACHES.clear()


@pytest.fixture
def sample_store(store):
    """An embedded store (DuckDB file on disk) with the sample loaded as ``inputs``."""
    load_sample(store)
    return store
