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
from tests.support.llm_fixtures import clean_llm_env, llm_server  # noqa: E402,F401 - fixtures of this folder

@pytest.fixture(autouse=True)
def _annotator_alice(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")


@pytest.fixture
def ann_store(store, tmp_path):
    """The file store with dataset ``items`` (12 records)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(str(make_records_csv(tmp_path / "items.csv")), name="items")
    return store
