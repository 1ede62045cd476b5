"""Start a real JupyterLab (with the AXIS extension) and Debian Chromium for browser tests
and the view benchmark. Used by tests/browser/conftest.py and benchmarks/bench_view.py."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

# The one place that names the browser: .ci/run reads this constant (and installs Debian's
# chromium there when it is missing); AXIS_CHROMIUM points the tests and .ci/run elsewhere.
CHROMIUM = os.environ.get("AXIS_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
BASE_URL = "/a%40b/"  # the same odd base_url jupyter_server's own tests use
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab subprocess."""

    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen, log: Path):
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_URL}"

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        nb = {
            "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                       "outputs": [], "source": src} for i, src in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5,
        }
        path = self.root / name
        path.write_text(json.dumps(nb))
        return path

    def api(self, path: str, method: str = "GET"):
        import httpx

        return httpx.request(method, self.url + path, headers={"Authorization": f"token {self.token}"},
                             timeout=10)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def write_settings(dirpath: Path) -> None:
    """User settings: no news/update pop-ups; save widget state with the notebook."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
        "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    }
    for rel, value in files.items():
        p = dirpath / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(value))


def start_lab(tmp: Path, store: Path, startup_timeout: float = 120,
              extra_env: dict[str, str] | None = None) -> Lab:
    """JupyterLab on a free port under BASE_URL with token auth; AXIS_STORE=store.
    ``extra_env``: more environment variables for the server (and the kernels it starts)."""
    tmp.mkdir(parents=True, exist_ok=True)
    root = tmp / "root"
    root.mkdir(exist_ok=True)
    settings = tmp / "settings"
    write_settings(settings)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for k in ("AXIS_SERVER_URL", "AXIS_SERVER_TOKEN", "JUPYTER_TOKEN"):
        env.pop(k, None)
    env.update({
        "AXIS_STORE": str(store), "AXIS_HOME": str(tmp / "axis-home"),
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "IPYTHONDIR": str(tmp / "ipython"), "PYTHONUNBUFFERED": "1",
    })
    env.update(extra_env or {})
    log = tmp / "lab.log"
    cmd = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--ServerApp.base_url={BASE_URL}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={tmp / 'ws'}", "--LabApp.expose_app_in_browser=True",
           "--allow-root"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT)
    lab = Lab(root, port, token, proc, log)
    deadline = time.time() + startup_timeout
    while True:
        try:
            if lab.api("axis/api/health").status_code == 200:
                return lab
        except Exception:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"JupyterLab did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.5)


def launch_chromium(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, headless=False, args=CHROMIUM_ARGS)


# ------------------------------------------------------------------ JupyterLab page helpers
def open_notebook(page, lab: Lab, name: str) -> None:
    # a fresh workspace per notebook, so earlier notebooks are not restored next to it
    page.goto(f"{lab.url}lab/workspaces/{name.replace('.', '-')}/tree/{name}?reset&token={lab.token}")
    page.wait_for_function(
        """(name) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                       return w && w.context && w.context.path === name && w.content && w.content.widgets; }""",
        arg=name, timeout=90_000)
    page.wait_for_function(
        """async () => {
            const p = window.jupyterapp.shell.currentWidget;
            await p.context.ready; await p.sessionContext.ready;
            const k = p.sessionContext.session && p.sessionContext.session.kernel;
            return !!k && k.status === 'idle';
        }""", timeout=90_000)


def run_cell(page, index: int, wait: bool = True, timeout: float = 300_000):
    """Run cell ``index`` of the current notebook; return its output text when waiting."""
    script = """async ([idx, wait]) => {
        const app = window.jupyterapp;
        const nb = app.shell.currentWidget.content;
        nb.activeCellIndex = idx;
        const done = app.commands.execute('notebook:run-cell');
        if (!wait) return null;
        await done;
        return nb.widgets[idx].outputArea.node.innerText;
    }"""
    if not wait:
        page.evaluate(script, [index, False])
        return None
    page.set_default_timeout(timeout)
    out = page.evaluate(script, [index, True])
    if "Traceback" in (out or "") or "Error" in (out or "")[:300]:
        raise AssertionError(f"cell {index} failed:\n{out}")
    return out
