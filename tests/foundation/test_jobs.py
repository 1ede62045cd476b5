"""The engine's job model as Python code and the magic use it: a store's own runner, events
followed on the caller's thread, subscribers, the work's own exception raised again, and the
store's writer API whose metadata follows COMMIT."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from axis_jupyter.errors import ConflictError, IngestError, StoreError
from axis_jupyter.jobs import JobRunner

ROOT = Path(__file__).resolve().parents[2]


def test_follow_replays_every_event_in_order_on_the_callers_thread():
    runner = JobRunner()
    gate = threading.Event()
    try:
        def work(job):
            gate.wait(30)
            for i in range(3):
                job.progress(done=i + 1, total=3)
            job.log("almost")
            return "ok"

        job = runner.start("t", work)
        seen, threads = [], set()

        def on_event(event, data):
            seen.append((event, data))
            threads.add(threading.get_ident())
            if event == "progress" and data.get("state") == "running":
                gate.set()

        assert job.follow(on_event, timeout=60)
        assert threads == {threading.get_ident()}
        assert [e for e, _ in seen] == ["progress", "progress", "progress", "progress", "progress",
                                        "log", "result", "done"]
        assert [d["done"] for e, d in seen if e == "progress" and "done" in d] == [1, 2, 3]
        assert job.outcome() == "ok" and job.state == "succeeded"
    finally:
        gate.set()
        runner.shutdown()


def test_outcome_raises_what_ended_the_work_and_cancel_from_the_job():
    runner = JobRunner(executor="thread")
    try:
        failed = runner.start("t", lambda j: (_ for _ in ()).throw(IngestError("line 3: bad")))
        failed.wait_sync(30)
        with pytest.raises(IngestError, match="line 3"):
            failed.outcome()
        assert failed.logs()[-1]["level"] == "error"  # the failure is in the log too

        def slow(job):
            job.cancel_event.wait(30)
            job.check_cancelled()

        running = runner.start("t", slow, key="k")
        with pytest.raises(ConflictError):
            runner.start("t", slow, key="k")
        running.cancel()
        assert running.wait_sync(30) and running.state == "cancelled"
        with pytest.raises(ConflictError, match="cancelled"):
            running.outcome()
    finally:
        runner.shutdown()


def test_subscribers_run_on_the_emitting_thread_and_cannot_break_the_job():
    runner = JobRunner()
    try:
        got = []
        gate = threading.Event()
        job = runner.start("t", lambda j: gate.wait(30) and j.progress(step=1))

        def broken(event):
            raise RuntimeError("a display that fails")

        finished = threading.Event()

        def record(ev):
            got.append((ev.seq, ev.event))
            if ev.event == "done":
                finished.set()

        job.subscribe(broken)
        token = job.subscribe(record)
        gate.set()
        assert finished.wait(30) and job.state == "succeeded"
        assert [e for _, e in got][-2:] == ["result", "done"]
        assert [s for s, _ in got] == sorted(s for s, _ in got)
        job.unsubscribe(token)
        job.unsubscribe(broken)
        assert job._waiters == []
    finally:
        runner.shutdown()


def test_a_store_runs_long_work_on_its_own_runner_until_closed(tmp_path):
    import axis_jupyter

    store = axis_jupyter.LocalStore(tmp_path / "s.duckdb")
    runner = store.jobs
    assert runner is store.jobs and runner.executor == "thread"
    job = runner.start("t", lambda j: j.cancel_event.wait(30))
    store.close()  # stops the store's own runner: running work is asked to stop
    assert job.wait_sync(30) and job.state == "cancelled" and runner.closed
    with pytest.raises(ConflictError):
        runner.start("t", lambda j: None)


def test_a_script_may_exit_while_a_job_runs():
    code = ("import threading\nfrom axis_jupyter.jobs import JobRunner\n"
            "r = JobRunner()\nr.start('t', lambda j: threading.Event().wait(600))\nprint('bye')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0 and out.stdout.strip() == "bye"


def test_writer_api_metadata_follows_commit_not_rollback(store):
    import pandas as pd

    store.load(pd.DataFrame({"dataset_id": ["a"], "metric_name": ["m"], "metric_score": [0.5]}),
               name="ev", kind="evals")
    before = store.info("ev")
    with pytest.raises(StoreError, match="inside store.write"), store.cursor() as cur:
        store.save_info(cur, "ev", {})  # outside a write transaction

    def fails(cur):
        store.save_info(cur, "ev", dict(before, note="never"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.write(fails)
    assert "note" not in store.info("ev") and store.infos()["ev"] is before
    store.write(lambda cur: store.save_info(cur, "ev", dict(before, note="kept")))
    assert store.info("ev")["note"] == "kept"
    # the metadata table holds it too: a new process sees it
    path = store.location
    store.close()
    import axis_jupyter

    again = axis_jupyter.LocalStore(path)
    try:
        assert again.info("ev")["note"] == "kept"
    finally:
        again.close()


def test_follow_run_feeds_a_progress_bar_from_the_runs_events(store):
    import pandas as pd

    from axis_jupyter.evals.runs import follow_run, start_run

    items = pd.DataFrame({"id": [f"c{i}" for i in range(30)], "question": ["q"] * 30,
                          "answer": ["x y"] * 30, "gold": ["x y"] * 15 + ["z"] * 15})
    store.load(items, name="inputs")
    bar = []  # what a progress bar would draw: (done, total)
    st = follow_run(start_run(store, "inputs", ["exact_match"], name="followed"),
                    lambda event, data: bar.append((data["done"], data["total"]))
                    if event == "progress" and data.get("stage") == "scoring" else None)
    assert st["state"] == "succeeded" and st["dataset"] == "followed"
    assert bar and bar[-1] == (30, 30) and bar == sorted(bar)
    assert st["means"]["exact_match"] == pytest.approx(0.5)
