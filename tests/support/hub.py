"""A real JupyterHub for the tests: the hub, configurable-http-proxy and one single-user
server per user, each running the AXIS extension on its own store, all on 127.0.0.1.

Users (SharedPasswordAuthenticator, one password): ``alice`` and ``bob`` each get a server
at ``/user/NAME/``; ``carol`` has no server but a role that shares alice's server
read-only (``access:servers`` + ``custom:axis:read`` on ``alice/``). The single-user servers
run :class:`axis_jupyter_server.hub_auth.AxisHubAuthorizer`.

Everything comes from the project's install (``make setup``): ``jupyterhub`` from the
Python dev dependencies, ``configurable-http-proxy`` from ``tests/hub/package.json``
(``npm ci``). Nothing is downloaded here. Under ``CI=true`` a missing piece fails the
tests that use the hub; elsewhere they skip and say what to install.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
CHP = REPO / "tests" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
PASSWORD = "axis-hub-test-password"
SERVER_USERS = ("alice", "bob")
USERS = (*SERVER_USERS, "carol")
START_TIMEOUT = 120.0
# The dataset alice uploads (fixture ``alice_dataset`` in tests/hub/conftest.py).
ALICE_DATASET = "alice_private_evals"
EVALS_CSV = (
    "dataset_id,query,evaluation_name,metric_name,metric_score,explanation\n"
    "c1,How do I reset?,exp_a,faithfulness,0.9,good\n"
    "c1,How do I reset?,exp_a,relevance,0.4,meh\n"
    "c2,Refund policy?,exp_a,faithfulness,0.2,bad\n"
    "c3,Shipping time?,exp_b,faithfulness,0.7,ok\n"
    "c3,Shipping time?,exp_b,relevance,1.0,great\n"
).encode()


def missing_parts() -> list[str]:
    """What the hub needs and this machine lacks, as install hints."""
    missing = []
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        missing.append("the Python package jupyterhub (pip install -e '.[dev]')")
    if not CHP.exists():
        missing.append(f"{CHP.relative_to(REPO)} (cd tests/hub && npm ci)")
    if shutil.which("node") is None:
        missing.append("node (apt-get install nodejs)")
    return missing


def require_hub() -> None:
    missing = missing_parts()
    if not missing:
        return
    from .required import missing as stop

    stop("JupyterHub tests need " + "; ".join(missing))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """\
# Written by tests/support/hub.py for one test session.
import sys
from axis_jupyter_server.hub_auth import (
    AUTHORIZER, CUSTOM_SCOPES, OAUTH_CLIENT_SCOPES, OWNER_SCOPES)

c = get_config()  # noqa: F821
c.JupyterHub.bind_url = {bind_url!r}
c.JupyterHub.hub_bind_url = {hub_bind_url!r}
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {cookie_file!r}
c.JupyterHub.pid_file = {hub_pid!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.log_level = "INFO"
# POST .../server answers at once (202) instead of waiting up to 10 s: servers start together.
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0}}
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.api_url = {proxy_api!r}
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allowed_users = set({users!r})

c.JupyterHub.custom_scopes = CUSTOM_SCOPES
c.JupyterHub.load_roles = [
    {{"name": "user", "scopes": ["self", *OWNER_SCOPES]}},
    {{"name": "alice-axis-viewers", "users": ["carol"],
     "scopes": ["access:servers!server=alice/", "custom:axis:read!server=alice/"]}},
]

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = [
    "--allow-root",
    "--ServerApp.authorizer_class=" + AUTHORIZER,
    "--ServerApp.jpserver_extensions=axis_jupyter_server=True",
    "--ServerApp.jpserver_extensions=jupyterlab=False",
    "--ServerApp.jpserver_extensions=jupyter_lsp=False",
    "--ServerApp.jpserver_extensions=notebook_shim=False",
    "--ServerApp.jpserver_extensions=jupyter_server_terminals=False",
]
c.Spawner.oauth_client_allowed_scopes = OAUTH_CLIENT_SCOPES
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {{
    "PYTHONPATH": {pythonpath!r},
    "AXIS_STORE": lambda spawner: {homes!r} + "/" + spawner.user.name + "/axis.duckdb",
}}
c.Spawner.start_timeout = {start_timeout!r}
c.Spawner.http_timeout = {start_timeout!r}
"""


class Hub:
    """A running JupyterHub (see the module docstring); ``stop()`` ends every process."""

    def __init__(self, tmp: Path):
        self.tmp = tmp.resolve()
        self.homes = self.tmp / "home"
        self.homes.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.tokens: dict[str, str] = {}
        self.log_path = tmp / "jupyterhub.log"
        pythonpath = os.pathsep.join(
            [str(REPO), str(REPO / "server_ext"), os.environ.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        config = tmp / "jupyterhub_config.py"
        config.write_text(CONFIG.format(
            bind_url=self.url, hub_bind_url=f"http://127.0.0.1:{free_port()}",
            proxy_api=f"http://127.0.0.1:{free_port()}",
            db_url=f"sqlite:///{tmp / 'jupyterhub.sqlite'}",
            cookie_file=str(tmp / "cookie_secret"), hub_pid=str(tmp / "hub.pid"),
            proxy_pid=str(tmp / "proxy.pid"), chp=str(CHP), password=PASSWORD,
            users=sorted(USERS), homes=str(self.homes), pythonpath=pythonpath,
            start_timeout=int(START_TIMEOUT)))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AXIS_", "JUPYTERHUB_", "JPY_", "CONFIGPROXY_"))}
        env["PYTHONPATH"] = pythonpath
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp, env=env,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_up()
            for user in USERS:
                self.tokens[user] = self.login_token(user)
            for user in SERVER_USERS:
                self.api(user).post(f"hub/api/users/{user}/server").raise_for_status()
            for user in SERVER_USERS:
                self._wait_for_server(user)
        except BaseException:
            self.stop()
            raise

    # -- start-up --------------------------------------------------------------------------
    def read_log(self, tail: int = 6000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-tail:]

    def _fail(self, what: str):
        raise RuntimeError(f"{what}; JupyterHub log:\n{self.read_log()}")

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._fail(f"jupyterhub exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "hub/api/", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self._fail("jupyterhub did not answer")

    def login_token(self, user: str) -> str:
        """Log in through the hub's login form with the shared password, like a browser,
        and create an API token in that session (it inherits the user's permissions)."""
        with self.browser() as client:
            self.browser_login(client, user)
            r = client.post(f"hub/api/users/{user}/tokens", json={"note": "axis hub tests"},
                            headers={"X-XSRFToken": client.cookies.get("_xsrf", path="/hub/")})
            if r.status_code != 201:
                self._fail(f"token for {user}: {r.status_code} {r.text[:300]}")
            return r.json()["token"]

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def browser_login(self, client: httpx.Client, user: str, password: str = PASSWORD
                      ) -> httpx.Response:
        r = client.get("hub/login")
        if r.status_code != 200:
            self._fail(f"login page: {r.status_code}")
        xsrf = client.cookies.get("_xsrf", path="/hub/")
        return client.post("hub/login", data={"username": user, "password": password,
                                              "_xsrf": xsrf}, follow_redirects=False)

    def browser_open_server(self, client: httpx.Client, owner: str) -> httpx.Response:
        """A logged-in browser opens a page of ``owner``'s server: the server sends it
        through the hub's OAuth; where the hub asks the user to authorize the scopes (a
        server shared with them), they click Authorize. Returns the last response."""
        r = client.get(f"user/{owner}/files/axis-hub-test.txt", follow_redirects=True)
        if 'name="scopes"' in r.text:
            fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text)
            form = {"_xsrf": [html.unescape(v) for k, v in fields if k == "_xsrf"],
                    "scopes": [html.unescape(v) for k, v in fields if k == "scopes"]}
            r = client.post(str(r.url), data=form, follow_redirects=True)
        return r

    @staticmethod
    def browser_xsrf(client: httpx.Client, owner: str) -> dict[str, str]:
        """The X-XSRFToken header a page of ``owner``'s server would send with a POST."""
        for cookie in client.cookies.jar:
            if cookie.name == "_xsrf" and cookie.path.startswith(f"/user/{owner}/"):
                return {"X-XSRFToken": cookie.value}
        return {}

    def _wait_for_server(self, user: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        with self.api(user) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    self._fail(f"jupyterhub exited while {user}'s server started")
                model = client.get(f"hub/api/users/{user}").json()
                server = (model.get("servers") or {}).get("", {})
                if server.get("ready"):
                    r = client.get(f"user/{user}/axis/api/health")
                    if r.status_code == 200:
                        return
                elif not model.get("pending") and not server:
                    self._fail(f"{user}'s server stopped while starting")
                time.sleep(0.2)
        self._fail(f"{user}'s server did not become ready")

    # -- clients ---------------------------------------------------------------------------
    def api(self, user: str, token: str | None = None) -> httpx.Client:
        """An HTTP client on the hub's public URL with ``user``'s API token (or ``token``)."""
        return httpx.Client(base_url=self.url, timeout=60, headers={
            "Authorization": f"token {token or self.tokens[user]}"})

    def axis_url(self, owner: str, path: str = "") -> str:
        return f"user/{owner}/axis/api/{path}"

    def create_token(self, user: str, scopes: list[str]) -> str:
        """A new API token of ``user`` limited to ``scopes``."""
        with self.api(user) as client:
            r = client.post(f"hub/api/users/{user}/tokens",
                            json={"note": "limited", "scopes": scopes})
            assert r.status_code == 201, r.text
            return r.json()["token"]

    def run_code(self, owner: str, code: str, timeout: float = 120.0) -> str:
        """Run ``code`` in a new kernel of ``owner``'s server, through the hub's proxy: the
        Jupyter kernels REST API and the kernel's websocket (the messages a notebook sends).
        Returns what it printed; an exception in the kernel fails with its traceback."""
        import uuid

        import websocket

        with self.api(owner) as client:
            r = client.post(f"user/{owner}/api/kernels", json={"name": "python3"})
            assert r.status_code == 201, (r.status_code, r.text[:300])
            kernel = r.json()["id"]
            try:
                ws = websocket.create_connection(
                    f"ws://127.0.0.1:{self.port}/user/{owner}/api/kernels/{kernel}/channels",
                    header=[f"Authorization: token {self.tokens[owner]}"], timeout=timeout)
                try:
                    return _execute(ws, code, uuid.uuid4().hex, timeout)
                finally:
                    ws.close()
            finally:
                client.delete(f"user/{owner}/api/kernels/{kernel}")

    # -- shut-down -------------------------------------------------------------------------
    def _our_leftovers(self) -> list[int]:
        """Processes still working in this hub's folder: the single-user servers (their cwd
        is the user's home), their kernels and the proxy, if the hub did not end them."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == self.tmp or self.tmp in cwd.parents:
                pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        """SIGTERM the hub (it stops the servers and the proxy it started), then end any
        process of this hub it left behind."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in self._our_leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


def _execute(ws, code: str, session: str, timeout: float) -> str:
    """One execute_request over a kernel websocket (JSON messages); stdout of the cell."""
    import uuid

    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                   "username": "axis-tests", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    out: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content.get("name") == "stdout":
            out.append(content["text"])
        elif kind == "error":
            raise AssertionError("kernel error:\n" + "\n".join(content.get("traceback", [])))
        elif kind == "status" and content.get("execution_state") == "idle":
            return "".join(out)
    raise AssertionError(f"the kernel did not finish within {timeout} s; printed {out!r}")
