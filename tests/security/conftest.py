"""Fixtures for the security tests: the real Jupyter server with the AXIS extension (under
``/a%40b/``, root_dir = pytest-jupyter's ``jp_root_dir``), a throwaway store, config home and
sources folder, the server's own secrets for the leak checks, and the leak pattern."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", _ROOT / "tests", _ROOT / "tests" / "server"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from support.axis_server import (  # noqa: E402,F401 - fixtures used by this folder's tests
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)

@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Sources, settings and the judge cache the requests write go to a throwaway home; the
    AXIS_SERVER_* variables the extension exports are restored afterwards."""
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "axis-home"))
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


@pytest.fixture
def demo(axis_state):
    """The server's store with small demo datasets (demo_evals, demo_monitoring)."""
    from axis_jupyter import demo as demo_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo_data.load_demo(axis_state.store, n_cases=30, n_records=200, seed=3)
    return axis_state.store
