"""Fixtures for tests against a real Jupyter server (pytest-jupyter) with the AXIS extension
under the base_url ``/a%40b/``. A test folder's conftest.py imports the ones it uses
(``from support.axis_server import api, axis_state, ...``) and may override
``axis_config`` to set AxisExtension traits."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

import pytest

AXIS_ENV = ("AXIS_SERVER_URL", "AXIS_SERVER_TOKEN", "AXIS_SERVER_SOCKET", "AXIS_SERVER_VERIFY")


@contextmanager
def axis_env_restored():
    """The in-process server exports AXIS_SERVER_* into os.environ; undo it afterwards, so
    no later test talks to a stopped server (its store, closed, is no longer shared)."""
    saved = {k: os.environ.get(k) for k in AXIS_ENV}
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def no_llm_key(monkeypatch):
    """A server test of an LLM feature: no developer's key or endpoint reaches it, and the
    in-process server's AXIS_SERVER_* variables are undone afterwards. A module imports it
    and names it in ``pytestmark = pytest.mark.usefixtures("no_llm_key")``."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with axis_env_restored():
        yield


@pytest.fixture
def axis_store_path(tmp_path):
    return tmp_path / "store" / "axis.duckdb"


@pytest.fixture
def axis_config():
    """Extra AxisExtension traits for a test (override in a module)."""
    return {}


@pytest.fixture
def jp_server_config(axis_store_path, axis_config):
    from traitlets.config import Config

    return Config({
        "ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}},
        "AxisExtension": {"store_path": str(axis_store_path), **axis_config},
    })


@pytest.fixture
def axis_state(jp_serverapp):
    return jp_serverapp.web_app.settings["axis_state"]


@pytest.fixture
def api(jp_fetch):
    """``await api("GET", "datasets", ...)`` -> tornado response (no raise on 4xx/5xx)."""

    async def call(method, *parts, body=None, params=None, headers=None, **kw):
        headers = dict(headers or {})  # jp_fetch adds the token header in place
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if method in ("POST", "PUT", "PATCH") and body is None:
            body = ""
        return await jp_fetch("axis", "api", *parts, method=method, body=body, params=params,
                              headers=headers, raise_error=False, **kw)

    return call
