"""Fixtures for the pattern-discovery tests: no real LLM, the loopback server when asked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from tests.support.llm_server import LoopbackLLM, serve_loopback  # noqa: E402

_LLM_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
            "AXIS_JUDGE_MODEL", "AXIS_JUDGE_CACHE")


@pytest.fixture(autouse=True)
def _clean_llm_env(monkeypatch):
    for name in _LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def llm_server(monkeypatch) -> LoopbackLLM:
    with serve_loopback(monkeypatch) as server:
        yield server
