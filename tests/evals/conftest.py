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

from tests.support.llm_fixtures import clean_llm_env, llm_server  # noqa: E402,F401 - fixtures of this folder
from tests.support.chat_server import LoopbackChat, serve_chat  # noqa: E402
from tests.support.llm_server import serve_loopback  # noqa: E402

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
