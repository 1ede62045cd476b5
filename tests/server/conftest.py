"""Fixtures for the server-extension tests: a real Jupyter server (pytest-jupyter) with the
AXIS extension under the non-trivial base_url ``/a%40b/``, and helpers for cookie logins."""

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

from axis_helpers import EVAL_CSV  # noqa: E402

AXIS_ENV = ("AXIS_SERVER_URL", "AXIS_SERVER_TOKEN", "AXIS_SERVER_SOCKET", "AXIS_SERVER_VERIFY")


@pytest.fixture(autouse=True)
def _restore_axis_env():
    """The in-process server exports AXIS_SERVER_* into os.environ; never leak them."""
    saved = {k: os.environ.get(k) for k in AXIS_ENV}
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    from axis_jupyter.store import remote

    remote._IN_PROCESS_STORE = None


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
