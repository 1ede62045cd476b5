"""Fixtures for the server-extension tests: a real Jupyter server (pytest-jupyter) with the
AXIS extension under the non-trivial base_url ``/a%40b/``, and helpers for cookie logins."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", _ROOT / "tests", Path(__file__).resolve().parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

# pytest_plugins (pytest_jupyter.jupyter_server) is declared in the root conftest.py.

from axis_helpers import EVAL_CSV  # noqa: E402
from support.axis_server import (  # noqa: E402,F401 - fixtures used by this folder's tests
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)


@pytest.fixture(autouse=True)
def _restore_axis_env():
    with axis_env_restored():
        yield


@pytest.fixture
def evals_csv(tmp_path) -> Path:
    p = tmp_path / "evals_small.csv"
    p.write_bytes(EVAL_CSV)
    return p


@pytest.fixture
def loaded(axis_state, evals_csv):
    """The in-process server's store with dataset ``ev`` loaded."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(str(evals_csv), name="ev", kind="evals")
    return axis_state.store


@pytest.fixture
def base_http(jp_serverapp, http_server, jp_http_port, jp_base_url):
    """``http://127.0.0.1:{port}/a%40b/`` of the in-process server."""
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
