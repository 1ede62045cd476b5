"""The wheel a user gets from ``pip wheel .`` on a clean checkout ships its own front end
and the server extension.

The wheel is built from a ``git clone`` of HEAD (so: committed code only, no bundle lying
around) with the packaging build hook (hatch-jupyter-builder runs ``npm install`` and
``npm run build`` in widgets/), installed into a fresh virtual environment, and served by
``jupyter server`` started from that environment.

The fresh environment reuses this environment's installed dependencies through a ``.pth``
line (installing jupyter, duckdb, ibis, ... again would take minutes and the network), and
the wheel is installed into it with ``--no-deps``. The ``.pth`` line does not run the
``.pth`` files of the reused site-packages, so the editable checkout of the development
install is not importable there: every check below also asserts that the code that runs
is the wheel's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest
from support.required import missing

REPO = Path(__file__).resolve().parents[2]
MAX_JS_BYTES = 2 * 1024 * 1024  # all JavaScript in the wheel
N_CASES = 40
# what the extension-enabling config and the bundle are called inside the wheel
SERVER_CONFIG = "etc/jupyter/jupyter_server_config.d/axis_jupyter_server.json"
BUNDLE = "axis_jupyter/static/axis.js"

pytestmark = pytest.mark.packaging


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        missing(f"{tool} is needed to build the wheel (the packaging build hook runs npm)")


def _run(cmd: list[str], *, cwd: Path, env: dict | None = None, timeout: float = 600) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def _clean_env(tmp: Path) -> dict:
    """This process's environment without what would point the new environment at the
    development checkout, its stores or its Jupyter config."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
           and not k.startswith(("AXIS_", "JUPYTER_"))}
    env.update({"AXIS_HOME": str(tmp / "axis-home"), "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
                "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
                "IPYTHONDIR": str(tmp / "ipython"), "PYTHONUNBUFFERED": "1"})
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the wheel, the clone it was built from)."""
    _require("git")
    _require("npm")
    tmp = tmp_path_factory.mktemp("wheel")
    clone = tmp / "clone"
    _run(["git", "clone", "--quiet", str(REPO), str(clone)], cwd=tmp)
    assert not (clone / BUNDLE).exists()  # built by the hook, not committed
    env = _clean_env(tmp)
    env.pop("SKIP_JUPYTER_BUILDER", None)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"), str(clone)],
         cwd=tmp, env=env)
    wheels = list((tmp / "dist").glob("axis_jupyter-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], clone


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory):
    """A fresh virtual environment with the wheel installed: its python and its prefix."""
    wheel, _clone = built
    tmp = tmp_path_factory.mktemp("venv")
    prefix = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], cwd=tmp)
    python = prefix / "bin" / "python"
    site = Path(_run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp).strip())
    # the dependencies (and pip) of this environment, after the new environment's own packages
    (site / "reused_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(python), "-I", "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed",
          "--disable-pip-version-check", str(wheel)], cwd=tmp, env=_clean_env(tmp))
    return python, prefix


def test_the_wheel_holds_one_bundle_with_vega_once_and_the_extension(built):
    wheel, clone = built
    lock = json.loads((clone / "widgets" / "package-lock.json").read_text())
    vega_version = lock["packages"]["node_modules/vega"]["version"]
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        js = {n: zf.read(n) for n in names if n.endswith((".js", ".mjs"))}
        config = [n for n in names if n.endswith(SERVER_CONFIG)]
        assert config, "the server-extension config is not in the wheel"
        enabled = json.loads(zf.read(config[0]))["ServerApp"]["jpserver_extensions"]
        assert "axis_jupyter/static/axis.css" in names
        assert "axis_jupyter_server/__init__.py" in names
    assert list(js) == [BUNDLE]
    assert enabled == {"axis_jupyter_server": True}
    total = sum(len(b) for b in js.values())
    assert total < MAX_JS_BYTES, f"{total} bytes of JavaScript"
    # Vega's version banner (`var version = "x.y.z"` in its build) appears once per copy
    assert b"".join(js.values()).count(f'"{vega_version}"'.encode()) == 1
    # and one of Vega's runtime messages too
    assert b"".join(js.values()).count(b"Unrecognized data set") == 1


def test_the_installed_wheel_renders_views_and_the_server_serves_them(venv, tmp_path):
    python, prefix = venv
    env = _clean_env(tmp_path)
    store = tmp_path / "store.duckdb"
    # 1. In the new environment: the wheel's code runs, and a view's widget carries the
    #    installed bundle as its front-end module.
    probe = f"""
import json, axis_jupyter, axis_jupyter_server
from pathlib import Path
from axis_jupyter import demo
store = axis_jupyter.connect({str(store)!r})
ds = store.load(demo.eval_results({N_CASES}, seed=3), name="ev", kind="evals")
w = axis_jupyter.Scorecard(ds)
state = w.get_state()
bundle = Path(axis_jupyter.__file__).parent / "static" / "axis.js"
print(json.dumps({{"axis": axis_jupyter.__file__, "server": axis_jupyter_server.__file__,
                  "esm_is_bundle": state["_esm"] == bundle.read_text(), "esm_bytes": len(state["_esm"]),
                  "css_bytes": len(state["_css"]), "view": state["view"]}}))
store.close()
"""
    out = json.loads(_run([str(python), "-I", "-c", probe], cwd=tmp_path, env=env).strip().splitlines()[-1])
    assert out["axis"].startswith(str(prefix)) and out["server"].startswith(str(prefix)), out
    assert out["esm_is_bundle"] and out["esm_bytes"] > 100_000 and out["css_bytes"] > 1_000, out
    assert out["view"] == "scorecard"

    # 2. The extension is enabled by the config the wheel installed in the environment.
    listed = subprocess.run([str(python), "-I", "-m", "jupyter_server.extension.serverextension", "list"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)  # no colours
    assert listed.returncode == 0, text
    # enabled by the environment's own config dir (the one the wheel's data went to)
    sections = {part.splitlines()[0].strip(): part for part in text.split("Config dir: ")[1:]}
    ours = sections.get(str(prefix / "etc" / "jupyter"), "")
    assert "axis_jupyter_server enabled" in ours and re.search(r"axis_jupyter_server \S+ OK", ours), text

    # 3. `jupyter server` from the environment answers the extension's routes, including a
    #    view action (the scorecard's payload) on the store made above.
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "wheel-test-token"
    env["AXIS_STORE"] = str(store)
    root = tmp_path / "root"
    root.mkdir()
    log = tmp_path / "server.log"
    with open(log, "wb") as fh:
        server = subprocess.Popen(
            [str(python), "-I", "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root"],
            cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/axis/api/"
    headers = {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(base + "health", headers=headers, timeout=5)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"jupyter server did not answer axis/api/health:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        payload = httpx.post(base + "datasets/ev/views/scorecard/payload", json={}, headers=headers, timeout=60)
        assert payload.status_code == 200, payload.text
        assert payload.json()["kpis"]["test_cases"] == N_CASES
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    assert "axis_jupyter_server | extension was successfully loaded" in log.read_text()
