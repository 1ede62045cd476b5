"""Fixtures for the alignment tests: a store with the reference's annotation sample, no
real LLM (the loopback Messages API when a test asks for it)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from alignment_helpers import make_records_csv  # noqa: E402
from tests.support.llm_server import LoopbackLLM, serve_loopback  # noqa: E402

_LLM_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
            "AXIS_JUDGE_MODEL", "AXIS_JUDGE_CACHE")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in _LLM_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")


@pytest.fixture
def llm_server(monkeypatch) -> LoopbackLLM:
    with serve_loopback(monkeypatch) as server:
        yield server


@pytest.fixture
def ann_store(store, tmp_path):
    """The file store with dataset ``items`` (12 records)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(str(make_records_csv(tmp_path / "items.csv")), name="items")
    return store
