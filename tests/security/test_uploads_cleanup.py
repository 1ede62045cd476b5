"""Upload folders cut off by a ``kill -9`` are removed when the next server starts; the
folders of a live server sharing the directory are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

_CHILD = """
import os, sys
sys.path[:0] = {paths!r}
from axis_jupyter_server.multipart import upload_tempdir
d = upload_tempdir({upload_dir!r})
with open(os.path.join(d, "results.csv"), "wb") as f:
    f.write(b"dataset_id,metric_name,metric_score\\n" * 1000)  # an upload in flight
print(d, flush=True)
{ending}
"""


def _child(upload_dir: Path, ending: str) -> tuple[subprocess.Popen, Path]:
    root = Path(__file__).resolve().parents[2]
    code = _CHILD.format(paths=[str(root), str(root / "server_ext")],
                         upload_dir=str(upload_dir), ending=ending)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return proc, Path(proc.stdout.readline().strip())


@pytest.fixture
def leftovers(tmp_path):
    """Before the server starts: a folder of a server killed with -9 mid-upload, one of a
    live server, a day-old folder of the old naming, a fresh one and unrelated entries."""
    up = tmp_path / "uploads"
    up.mkdir()
    killed, killed_dir = _child(up, "os.kill(os.getpid(), 9)")
    assert killed.wait(30) == -signal.SIGKILL
    live, live_dir = _child(up, "import time; time.sleep(120)")
    old = up / "axis-upload-k2j3h4"
    old.mkdir()
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    fresh = up / "axis-upload-a8b7c6"
    fresh.mkdir()
    other = up / "notebook-scratch"
    other.mkdir()
    yield {"dir": up, "killed": killed_dir, "live": live_dir, "old": old, "fresh": fresh,
           "other": other}
    live.kill()
    live.wait(30)


@pytest.fixture
def axis_config(leftovers):
    return {"upload_dir": str(leftovers["dir"])}


async def test_orphaned_upload_folders_are_removed_at_start(leftovers, axis_state):
    assert axis_state.upload_dir == str(leftovers["dir"])  # the server has started
    assert not leftovers["killed"].exists()
    assert not leftovers["old"].exists()
    assert leftovers["live"].exists() and (leftovers["live"] / "results.csv").exists()
    assert leftovers["fresh"].exists() and leftovers["other"].exists()


async def test_uploads_in_flight_are_named_after_their_server(api, leftovers, axis_state,
                                                             monkeypatch):
    from axis_helpers import EVAL_CSV, multipart
    from axis_jupyter_server import handlers, multipart as mp

    made = []
    monkeypatch.setattr(handlers, "upload_tempdir",
                        lambda d: made.append(mp.upload_tempdir(d)) or made[-1])
    body, ctype = multipart({"name": "up1"}, ("up1.csv", EVAL_CSV))
    r = await api("POST", "datasets", body=body, params={"wait": "1"},
                  headers={"Content-Type": ctype})
    assert r.code == 201, r.body
    assert len(made) == 1 and Path(made[0]).parent == leftovers["dir"]
    assert Path(made[0]).name.startswith(f"axis-upload-{os.getpid()}-")
    assert not Path(made[0]).exists()  # the finished upload cleaned up after itself
