"""Fixtures for evaluation runs: an embedded store with the reference sample, and a real
Jupyter server (pytest-jupyter) with the AXIS extension under the base_url ``/a%40b/``
(the same set-up as tests/server/conftest.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", Path(__file__).resolve().parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

# pytest_plugins (pytest_jupyter.jupyter_server) is declared in the root conftest.py.

from runs_helpers import load_sample  # noqa: E402

AXIS_ENV = ("AXIS_SERVER_URL", "AXIS_SERVER_TOKEN", "AXIS_SERVER_SOCKET", "AXIS_SERVER_VERIFY")


@pytest.fixture(autouse=True)
def _isolated_runs(monkeypatch):
    """No judge-cache file, no verdicts or job runner carried over from another test, and
    never leak the AXIS_SERVER_* variables an in-process server exports."""
    from axis_jupyter.evals import runs

    monkeypatch.delenv("AXIS_JUDGE_CACHE", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    saved = {k: os.environ.get(k) for k in AXIS_ENV}
    runs._CACHES.clear()
    runs.use_job_runner(None)
    yield
    runs.use_job_runner(None)
    runs._CACHES.clear()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    from axis_jupyter.store import remote

    remote._IN_PROCESS_STORE = None


@pytest.fixture
def sample_store(store):
    """An embedded store (DuckDB file on disk) with the sample loaded as ``inputs``."""
    load_sample(store)
    return store


# ------------------------------------------------------------------ a real Jupyter server
@pytest.fixture
def axis_store_path(tmp_path):
    return tmp_path / "store" / "axis.duckdb"


@pytest.fixture
def jp_server_config(axis_store_path):
    from traitlets.config import Config

    return Config({
        "ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}},
        "AxisExtension": {"store_path": str(axis_store_path)},
    })


@pytest.fixture
def axis_state(jp_serverapp):
    return jp_serverapp.web_app.settings["axis_state"]


@pytest.fixture
def api(jp_fetch):
    """``await api("GET", "datasets", ...)`` -> tornado response (no raise on 4xx/5xx)."""

    async def call(method, *parts, body=None, params=None, headers=None, **kw):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if method in ("POST", "PUT", "PATCH") and body is None:
            body = ""
        return await jp_fetch("axis", "api", *parts, method=method, body=body, params=params,
                              headers=headers, raise_error=False, **kw)

    return call
