"""Fixtures for the pattern-discovery tests: no real LLM, the loopback server when asked."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from tests.support.llm_fixtures import clean_llm_env, llm_server  # noqa: E402,F401 - fixtures of this folder
