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
from tests.support.chat_server import LoopbackChat, serve_chat  # noqa: E402

_LLM_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
            "AXIS_JUDGE_MODEL", "AXIS_JUDGE_CACHE", "AXIS_JUDGE_PROVIDER", "AXIS_LLM_PRICES",
            "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_VERSION", "AZURE_OPENAI_API_KEY",
            "AZURE_OPENAI_ENDPOINT", "AXIS_AGENT_ENV_ALLOW")


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


@pytest.fixture
def chat_server(monkeypatch) -> LoopbackChat:
    """A running loopback Chat-Completions API selected as the judge provider (openai)."""
    with serve_chat(monkeypatch) as server:
        yield server


@pytest.fixture(params=["anthropic", "openai"])
def any_llm(request, monkeypatch):
    """Each provider in turn: (provider name, its loopback server); ``server.responder``
    takes a function of the forced tool's name."""
    if request.param == "anthropic":
        with serve_loopback(monkeypatch) as server:
            yield "anthropic", server
    else:
        with serve_chat(monkeypatch) as server:
            yield "openai", server
