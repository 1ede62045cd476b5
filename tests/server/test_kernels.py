"""Two kernels, one store: a real ``jupyter server`` process (token auth, a JupyterHub-like
base_url, ``--port=0``) owns the DuckDB file; kernels it starts find it through the
environment and share its datasets over HTTP. Also RemoteStore end to end, and
``connect()`` staying embedded where there is no server."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from axis_helpers import EVAL_CSV

REPO = Path(__file__).resolve().parents[2]
BASE_URL = "/user/a%40b/"


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AXIS_SERVER_", "JUPYTERHUB_", "JPY_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "server_ext"),
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


class RealServer:
    def __init__(self, tmp: Path, store_path: Path | None = None):
        self.tmp = tmp
        self.root = tmp / "root"
        self.runtime = tmp / "runtime"
        self.store_path = store_path or tmp / "store" / "shared.duckdb"
        self.token = secrets.token_hex(16)
        for p in (self.root, self.runtime):
            p.mkdir(parents=True)
        self.env = _env(JUPYTER_RUNTIME_DIR=str(self.runtime), AXIS_STORE=str(tmp / "unused.duckdb"))
        cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
               "--port=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.base_url={BASE_URL}", f"--ServerApp.root_dir={self.root}",
               f"--AxisExtension.store_path={self.store_path}",
               "--ServerApp.jpserver_extensions=axis_jupyter_server=True",
               "--ServerApp.jpserver_extensions=jupyterlab=False",
               "--ServerApp.jpserver_extensions=jupyter_lsp=False",
               "--ServerApp.jpserver_extensions=notebook_shim=False"]
        self.log = open(tmp / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.root)
        info = None
        for _ in range(600):  # readiness: the server writes its runtime file once listening
            if self.proc.poll() is not None:
                raise RuntimeError("jupyter server exited:\n" + self.read_log())
            files = list(self.runtime.glob("jpserver-*.json"))
            if files:
                try:
                    info = json.loads(files[0].read_text())
                    break
                except ValueError:
                    pass
            time.sleep(0.1)
        if info is None:
            raise RuntimeError("jupyter server did not start:\n" + self.read_log())
        self.port = info["port"]
        self.url = f"http://127.0.0.1:{self.port}{BASE_URL}"
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"token {self.token}"},
                                 timeout=60)
        for _ in range(300):
            try:
                if self.http.get("axis/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the AXIS extension never answered /axis/api/health:\n" + self.read_log())
        self.kernels: list = []

    def read_log(self) -> str:
        self.log.flush()
        return (self.tmp / "server.log").read_text(errors="replace")[-5000:]

    def start_kernel(self):
        from jupyter_client import BlockingKernelClient

        r = self.http.post("api/kernels", json={"name": "python3"})
        r.raise_for_status()
        kid = r.json()["id"]
        cf = self.runtime / f"kernel-{kid}.json"
        for _ in range(300):
            if cf.exists():
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"no connection file for kernel {kid}:\n" + self.read_log())
        kc = BlockingKernelClient(connection_file=str(cf))
        kc.load_connection_file()
        kc.start_channels()
        self.kernels.append((kid, kc))
        for attempt in range(5):  # a loaded machine can miss the first heartbeats
            try:
                kc.wait_for_ready(timeout=120)
                break
            except RuntimeError:
                if attempt == 4:
                    raise RuntimeError("kernel not ready; server log:\n" + self.read_log()) from None
        return kc

    def stop(self):
        for kid, kc in self.kernels:
            kc.stop_channels()
            try:
                self.http.delete(f"api/kernels/{kid}")
            except httpx.HTTPError:
                pass
        self.http.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def run_cell(kc, code: str) -> str:
    """Execute code in a kernel; its stdout, or raise with the kernel's error."""
    msg_id = kc.execute(code)
    out, error = [], None
    while True:
        msg = kc.get_iopub_msg(timeout=180)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        if t == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
        elif t == "error":
            error = f"{msg['content']['ename']}: {msg['content']['evalue']}"
        elif t == "status" and msg["content"]["execution_state"] == "idle":
            break
    if error:
        raise AssertionError(f"kernel error: {error}\nstdout: {''.join(out)}")
    return "".join(out)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = RealServer(tmp_path_factory.mktemp("real_server"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def kernels(server):
    return server.start_kernel(), server.start_kernel()


@pytest.fixture(scope="module")
def kernel_env(kernels):
    out = run_cell(kernels[0], "import os, json; print(json.dumps({k: v for k, v in "
                               "os.environ.items() if k.startswith('AXIS_SERVER_')}))")
    return json.loads(out)


def test_kernels_inherit_the_server_url_with_the_bound_port(server, kernel_env):
    assert kernel_env["AXIS_SERVER_URL"] == f"http://127.0.0.1:{server.port}{BASE_URL}axis/api/"
    assert len(kernel_env["AXIS_SERVER_TOKEN"]) >= 32
    assert kernel_env["AXIS_SERVER_TOKEN"] != server.token  # its own secret, not the server's


def test_two_kernels_one_store(server, kernels):
    k1, k2 = kernels
    (server.root / "shared_evals.csv").write_bytes(EVAL_CSV)
    out = run_cell(k1, "import axis_jupyter\n"
                       "axis = axis_jupyter.connect()\n"
                       "ds = axis.load('shared_evals.csv', kind='evals')\n"
                       "print(type(axis).__name__, ds.name, axis.info(ds.name)['rows'])")
    assert out.split() == ["RemoteStore", "shared_evals", "6"]
    # (the module's server is shared: other tests' datasets may be in the store too)
    out = run_cell(k2, "import axis_jupyter, json\n"
                       "axis = axis_jupyter.connect()\n"
                       "s = axis['shared_evals'].summary().set_index('metric_name')\n"
                       "print(json.dumps([type(axis).__name__, list(axis.datasets().name), "
                       "s['count'].to_dict()]))")
    kind, names, counts = json.loads(out)
    assert kind == "RemoteStore" and "shared_evals" in names
    assert counts == {"faithfulness": 3, "relevance": 2}
    # the other way round, with a frame, while kernel 1 keeps its store open
    run_cell(k2, "import pandas as pd\n"
                 "axis.load(pd.DataFrame({'dataset_id': ['a', 'b'], 'metric_name': ['m', 'm'], "
                 "'metric_score': [0.25, 0.75]}), name='from_k2', kind='evals')")
    out = run_cell(k1, "import json\nprint(json.dumps([sorted(axis.datasets().name), "
                       "float(axis.sql('SELECT avg(metric_score) AS a FROM from_k2').a[0])]))")
    names, mean = json.loads(out)
    assert {"from_k2", "shared_evals"} <= set(names) and mean == 0.5
    # nobody but the server opened the file: a third process cannot, and gets told why
    from axis_jupyter import LocalStore
    from axis_jupyter.errors import StoreLockedError

    with pytest.raises(StoreLockedError, match="Jupyter server"):
        LocalStore(server.store_path)
    assert "lock" not in server.read_log().lower()


def test_remote_store_end_to_end(server, kernel_env, tmp_path):
    from axis_jupyter import LocalStore
    from axis_jupyter.errors import AxisError, IngestError, NotFoundError, QueryError
    from axis_jupyter.store.remote import RemoteStore

    remote = RemoteStore(kernel_env["AXIS_SERVER_URL"], kernel_env["AXIS_SERVER_TOKEN"])
    local = LocalStore(":memory:")
    try:
        csv = tmp_path / "e2e_evals.csv"
        csv.write_bytes(EVAL_CSV)
        events = []
        ds = remote.load(csv, name="e2e", kind="evals", on_event=lambda e, d: events.append(e))
        assert events[0] == "job" and events[-1] == "done" and "result" in events
        local.load(csv, name="e2e", kind="evals")
        assert remote.info("e2e")["rows"] == local.info("e2e")["rows"] == 6
        assert set(remote.datasets().columns) == set(local.datasets().columns)
        # analytics travel as Arrow and equal the embedded result
        r = ds.summary(by="evaluation_name").sort_values(["metric_name", "evaluation_name"])
        e = local["e2e"].summary(by="evaluation_name").sort_values(["metric_name", "evaluation_name"])
        pd.testing.assert_frame_equal(r.reset_index(drop=True), e.reset_index(drop=True),
                                      check_dtype=False)
        # rows: paging, total, filters, parse
        page, total = remote.rows("e2e", page=1, page_size=4, sort_by="metric_score")
        lpage, ltotal = local.rows("e2e", page=1, page_size=4, sort_by="metric_score")
        assert total == ltotal == 6 and list(page.metric_score) == list(lpage.metric_score)
        _, total = remote.rows("e2e", filters={"metric_name": "relevance"}, search="refund")
        assert total == 1
        big, total = remote.rows("e2e", page_size=100_000)  # Arrow: bigger than a JSON page
        assert len(big) == total == 6
        assert len(ds.to_pandas()) == 6
        # SQL and Ibis
        assert remote.sql("SELECT count(*) AS n FROM e2e").n[0] == 6
        t = remote.table("e2e")
        f = t.filter(t.metric_score > 0.5)
        expr = f.group_by("metric_name").aggregate(n=f.count())
        got = remote.execute(expr).sort_values("metric_name")
        assert list(got.n) == [2, 1]
        assert remote.execute(t.select("dataset_id"), limit=2).shape == (2, 1)
        # frames load as Parquet
        remote.load(pd.DataFrame({"dataset_id": ["x"], "metric_name": ["m"],
                                  "metric_score": [1.0]}), name="e2e_frame", kind="evals")
        import pyarrow as pa

        remote.load(pa.table({"dataset_id": ["y"], "metric_name": ["m"], "metric_score": [0.0]}),
                    name="e2e_arrow", kind="evals")
        assert remote.info("e2e_arrow")["rows"] == 1
        # errors come back as the same types, with the server's message
        with pytest.raises(NotFoundError, match="no dataset named 'zz'"):
            remote.info("zz")
        with pytest.raises(QueryError, match="only SELECT"):
            remote.sql("DROP TABLE e2e")
        with pytest.raises(QueryError, match="unknown analytic"):
            remote.analytic("e2e", "nope")
        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(b"zz")
        with pytest.raises(IngestError, match="unsupported file type"):
            remote.load(bad, name="bad")
        with pytest.raises(IngestError, match="no such file"):
            remote.load(tmp_path / "missing.csv")
        remote.drop("e2e_frame")
        with pytest.raises(NotFoundError):
            remote.drop("e2e_frame")
        wrong = RemoteStore(kernel_env["AXIS_SERVER_URL"], "wrong-token")
        with pytest.raises(AxisError, match="refused"):
            wrong.datasets()
        wrong.close()
    finally:
        remote.close()
        local.close()


def test_connect_uses_server_from_env_else_embedded(server, kernel_env, tmp_path):
    code = ("import axis_jupyter; s = axis_jupyter.connect(); "
            "print(type(s).__name__, s.location)")

    def run(**env):
        out = subprocess.run([sys.executable, "-c", code], env=_env(**env), cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    own = tmp_path / "own.duckdb"
    assert run(**kernel_env, AXIS_STORE=str(own)) == ["RemoteStore", kernel_env["AXIS_SERVER_URL"]]
    assert run(AXIS_STORE=str(own)) == ["LocalStore", str(own)]
    # a server that does not answer: fall back to the embedded store
    dead = f"http://127.0.0.1:{_free_port()}/axis/api/"
    assert run(AXIS_SERVER_URL=dead, AXIS_SERVER_TOKEN="x", AXIS_STORE=str(own)) == \
        ["LocalStore", str(own)]
    # a wrong token is "no server" too
    assert run(AXIS_SERVER_URL=kernel_env["AXIS_SERVER_URL"], AXIS_SERVER_TOKEN="nope",
               AXIS_STORE=str(own)) == ["LocalStore", str(own)]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
