"""Fixtures for the security tests: the real Jupyter server with the AXIS extension (under
``/a%40b/``, root_dir = pytest-jupyter's ``jp_root_dir``), a config folder for sources, and
the server's own secrets for the leak checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", _ROOT / "tests", _ROOT / "tests" / "server"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from support.axis_server import (  # noqa: E402,F401 - fixtures used by this folder's tests
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)


@pytest.fixture(autouse=True)
def _restore_axis_env():
    with axis_env_restored():
        yield


@pytest.fixture
def source_dir(tmp_path, monkeypatch):
    """An empty AXIS config folder (sources/ lives under it) for this test."""
    d = tmp_path / "axis-config"
    d.mkdir()
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(d))
    return d


@pytest.fixture
def base_http(jp_serverapp, http_server, jp_http_port, jp_base_url):
    """``http://127.0.0.1:{port}/a%40b/`` of the in-process server."""
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
