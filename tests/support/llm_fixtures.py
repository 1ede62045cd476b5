"""The LLM fixtures of the suites that call judges (evals, alignment, patterns): a conftest
imports them by name, so each suite gets them without a copy.

* ``clean_llm_env`` (autouse where imported): no test reaches a real API (Anthropic or
  OpenAI-compatible), a developer's key, judge cache or agent allow-list by accident;
* ``llm_server``: the loopback Messages API, with ``ANTHROPIC_BASE_URL`` and a key pointing
  the real ``anthropic`` client at it.
"""

from __future__ import annotations

import pytest

from .llm_server import LoopbackLLM, serve_loopback

LLM_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
           "AXIS_JUDGE_MODEL", "AXIS_JUDGE_CACHE", "AXIS_JUDGE_PROVIDER", "AXIS_LLM_PRICES",
           "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_VERSION", "AZURE_OPENAI_API_KEY",
           "AZURE_OPENAI_ENDPOINT", "AXIS_AGENT_ENV_ALLOW")


@pytest.fixture(autouse=True)
def clean_llm_env(monkeypatch):
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def llm_server(monkeypatch) -> LoopbackLLM:
    with serve_loopback(monkeypatch) as server:
        yield server
