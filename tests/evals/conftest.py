"""Fixtures for the evals tests: a clean LLM environment and the loopback LLM server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/ has no __init__.py (pytest rootdir-relative imports); make `tests.support`
# importable however pytest was started.
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from tests.support.llm_server import LoopbackLLM, serve_loopback  # noqa: E402

_LLM_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
            "AXIS_JUDGE_MODEL", "AXIS_JUDGE_CACHE")


@pytest.fixture(autouse=True)
def _clean_llm_env(monkeypatch):
    """No test may reach a real API or a developer's key/cache by accident."""
    for name in _LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def llm_server(monkeypatch) -> LoopbackLLM:
    """A running loopback Messages API; ANTHROPIC_BASE_URL/API_KEY point at it."""
    with serve_loopback(monkeypatch) as server:
        yield server
