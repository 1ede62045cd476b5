"""The extension itself: store path resolution, the env it exports, the route-module hook."""

from __future__ import annotations

import os
import sys
import types
from types import SimpleNamespace

import pytest
import tornado.web
from axis_helpers import strict_json

from axis_jupyter_server import _jupyter_server_extension_points, routes
from axis_jupyter_server.app import AxisExtension, server_api_url


@pytest.fixture
def jp_server_config(axis_store_path, request, tmp_path, monkeypatch):
    from traitlets.config import Config

    axis = {"store_path": str(axis_store_path)}
    name = request.node.name
    if "env_store" in name:
        axis = {}
        monkeypatch.setenv("AXIS_STORE", str(tmp_path / "from_env" / "env.duckdb"))
    elif "unavailable" in name:
        bad = tmp_path / "a_folder.duckdb"
        bad.mkdir()
        axis = {"store_path": str(bad)}
    return Config({"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}},
                   "AxisExtension": axis})


def test_extension_points():
    (point,) = _jupyter_server_extension_points()
    assert point == {"module": "axis_jupyter_server", "app": AxisExtension}
    assert AxisExtension.name == "axis"


def test_jupyter_config_file_enables_the_extension():
    import json
    from pathlib import Path

    cfg = Path(__file__).resolve().parents[2] / "jupyter-config" / "jupyter_server_config.d" / \
        "axis_jupyter_server.json"
    assert json.loads(cfg.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}}}


async def test_exports_url_and_token_for_kernels(jp_serverapp, axis_state, jp_http_port):
    assert os.environ["AXIS_SERVER_URL"] == f"http://127.0.0.1:{jp_http_port}/a%40b/axis/api/"
    assert os.environ["AXIS_SERVER_TOKEN"] == axis_state.secret
    # and the kernel environment the session manager builds carries them
    env = jp_serverapp.session_manager.get_kernel_env("nb.ipynb")
    assert env["AXIS_SERVER_URL"] == os.environ["AXIS_SERVER_URL"]
    # stopping the extension removes them again
    await axis_state.extras["extension"].stop_extension()
    assert "AXIS_SERVER_URL" not in os.environ and "AXIS_SERVER_TOKEN" not in os.environ


async def test_connect_inside_the_server_process_uses_the_owned_store(jp_serverapp, axis_state):
    import axis_jupyter

    assert axis_jupyter.connect() is axis_state.store


async def test_recomputes_url_after_the_port_is_bound(jp_serverapp, axis_state):
    ext = axis_state.extras["extension"]
    jp_serverapp.port = 54321  # what --port=0 resolves to only after binding
    await ext._start_jupyter_server_extension(jp_serverapp)
    assert os.environ["AXIS_SERVER_URL"] == "http://127.0.0.1:54321/a%40b/axis/api/"


async def test_env_store_path(jp_serverapp, axis_state, tmp_path):
    """Without the trait the extension opens $AXIS_STORE."""
    assert axis_state.store.location == str(tmp_path / "from_env" / "env.duckdb")


async def test_unavailable_store_answers_503(api, jp_serverapp):
    r = await api("GET", "health")
    assert r.code == 503
    assert "cannot open the AXIS store" in strict_json(r)["error"]
    assert (await api("GET", "datasets")).code == 503
    assert "AXIS_SERVER_URL" not in os.environ  # kernels stay embedded and get a clear error


@pytest.mark.parametrize("ip, sock, cert, url, extra", [
    ("localhost", "", "", "http://127.0.0.1:8888/b/axis/api/", {}),
    ("0.0.0.0", "", "", "http://127.0.0.1:8888/b/axis/api/", {}),
    ("", "", "", "http://127.0.0.1:8888/b/axis/api/", {}),
    ("10.1.2.3", "", "", "http://10.1.2.3:8888/b/axis/api/", {}),
    ("::", "", "", "http://[::1]:8888/b/axis/api/", {}),
    ("fe80::1", "", "", "http://[fe80::1]:8888/b/axis/api/", {}),
    ("localhost", "", "/c.pem", "https://127.0.0.1:8888/b/axis/api/",
     {"AXIS_SERVER_VERIFY": "0"}),
    ("localhost", "/tmp/j.sock", "", "http://localhost/b/axis/api/",
     {"AXIS_SERVER_SOCKET": "/tmp/j.sock"}),
])
def test_server_api_url(ip, sock, cert, url, extra):
    app = SimpleNamespace(ip=ip, port=8888, base_url="/b/", sock=sock, certfile=cert)
    assert server_api_url(app) == (url, extra)


# ----------------------------------------------------------------------------- route hook
class _Handler(tornado.web.RequestHandler):
    pass


def test_optional_route_modules(monkeypatch):
    mod = types.ModuleType("axis_jupyter_server.handlers_fake_ok")
    mod.routes = lambda: [(r"/fake/(?P<x>[^/]+)", _Handler)]
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    got = routes.optional_routes([mod.__name__, "axis_jupyter_server.handlers_not_written_yet"])
    assert got == [(r"fake/(?P<x>[^/]+)", _Handler)]


def test_optional_route_module_with_a_missing_dependency_fails_loudly(tmp_path, monkeypatch):
    pkg = tmp_path / "fakepkg_axis"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "handlers_x.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="a_dependency_that_is_not_installed"):
        routes.optional_routes(["fakepkg_axis.handlers_x"])
    assert routes.optional_routes(["fakepkg_axis.handlers_missing"]) == []
