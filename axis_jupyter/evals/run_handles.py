"""The handles of evaluation runs: where a run executes and how its status is read.

* :class:`_LocalRun` — a worker thread of this process (quacks like a server Job);
* :class:`_JobRun` — a job of the Jupyter server's JobRunner;
* :class:`_RemoteRun` — a run started on the server through its HTTP API.

Each has ``cancel()``, ``wait(timeout)`` and ``status()`` (the dict of
:func:`status_from_job`, described in :mod:`axis_jupyter.evals.runs`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from ..errors import AxisError

log = logging.getLogger("axis_jupyter.evals.runs")

RUN_KIND = "eval_run"


class RunCancelled(AxisError):
    """The run was cancelled."""

    status = 409


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat(timespec="milliseconds") if t else None


class _LocalRun:
    """A run on a worker thread of this process; quacks like a server Job."""

    executor = "thread"

    def __init__(self, run_id: str, key: str, params: dict):
        self.id, self.kind, self.key, self.params = run_id, RUN_KIND, key, params
        self.state = "queued"
        self.progress_data: dict[str, Any] = {}
        self.result: Any = None
        self.error: str | None = None
        self.error_type: str | None = None
        self.created = _now()
        self.started: datetime | None = None
        self.finished: datetime | None = None
        self.cancel_event = threading.Event()
        self.logs: deque[dict] = deque(maxlen=100)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.thread: threading.Thread | None = None

    # Job protocol used by runs._execute
    def progress(self, **fields: Any) -> None:
        with self._lock:
            self.progress_data.update(fields)

    def log(self, message: str, level: str = "info") -> None:
        self.logs.append({"message": str(message), "level": level, "time": _iso(_now())})

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise RunCancelled("cancelled")

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    def to_dict(self, result: bool = True) -> dict:
        with self._lock:
            progress = dict(self.progress_data)
        d = {"id": self.id, "kind": self.kind, "key": self.key, "state": self.state,
             "progress": progress, "params": self.params, "error": self.error,
             "error_type": self.error_type, "cancel_requested": self.cancelled,
             "created": _iso(self.created), "started": _iso(self.started),
             "finished": _iso(self.finished)}
        if result:
            d["result"] = self.result
        return d

    def run(self, work: Callable[[Any], Any]) -> None:
        """Run ``work(self)`` (the run's plan, see ``runs._execute``) and record its outcome."""
        self.state, self.started = "running", _now()
        try:
            result = work(self)
        except BaseException as exc:  # noqa: BLE001 - every outcome must end the run
            if self.cancelled:
                self._finish("cancelled", error="cancelled")
            elif isinstance(exc, AxisError):
                self._finish("failed", error=str(exc), error_type=type(exc).__name__)
            else:
                log.error("AXIS eval run %s crashed:\n%s", self.id,
                          "".join(traceback.format_exception(exc)))
                self._finish("failed", error=f"internal error: {type(exc).__name__}: {exc}",
                             error_type="InternalError")
        else:
            if self.cancelled:
                self._finish("cancelled", error="cancelled")
            else:
                self._finish("succeeded", result=result)

    def _finish(self, state: str, result: Any = None, error: str | None = None,
                error_type: str | None = None) -> None:
        with self._lock:
            self.state, self.finished = state, _now()
            self.result, self.error, self.error_type = result, error, error_type
        if error:
            self.log(error, "error" if state == "failed" else "warning")
        self._done.set()

    def cancel(self) -> None:
        if not self.done:
            self.log("cancel requested")
            self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def status(self) -> dict:
        return status_from_job(self.to_dict(), executor=self.executor, logs=list(self.logs))


class _JobRun:
    """A run that is a job of the server's JobRunner."""

    executor = "job"

    def __init__(self, runner: Any, job_id: str):
        self.runner, self.id = runner, job_id

    @property
    def job(self):
        return self.runner.get(self.id)

    def cancel(self) -> None:
        job = self.job
        if not job.done:
            self.runner.cancel(self.id)

    def wait(self, timeout: float | None = None) -> bool:
        return self.job.wait_sync(timeout)

    def status(self) -> dict:
        job = self.job
        logs = [e.data for e in job.events_after(0) if e.event == "log"][-100:]
        return status_from_job(job.to_dict(), executor=self.executor, logs=logs)


class _RemoteRun:
    """A run started on the Jupyter server through its HTTP API (``store`` is remote)."""

    executor = "server"

    def __init__(self, store: Any, job_id: str):
        self.store, self.id = store, job_id

    def _get(self) -> dict:
        return self.store._json("GET", f"evals/runs/{self.store._q(self.id)}")

    def cancel(self) -> None:
        st = self.status()
        if st["state"] not in ("succeeded", "failed", "cancelled"):
            self.store._json("DELETE", f"evals/runs/{self.store._q(self.id)}")

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.status()["state"] in ("succeeded", "failed", "cancelled"):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def status(self) -> dict:
        body = self._get()
        if "status" in body:
            return dict(body["status"], executor=self.executor)
        return status_from_job(body["run"], executor=self.executor)


def status_from_job(d: Mapping[str, Any], executor: str = "job", logs: list | None = None) -> dict:
    """The run status dict from a job dict (``Job.to_dict()`` shape)."""
    p = d.get("progress") or {}
    r = d.get("result") or {}
    params = d.get("params") or {}
    state = d.get("state")
    done, total = p.get("done") or 0, p.get("total")
    if total:
        fraction = min(1.0, done / total)
    else:
        fraction = 1.0 if state == "succeeded" else 0.0
    started, finished = d.get("started"), d.get("finished")
    elapsed = None
    if started:
        end = datetime.fromisoformat(finished) if finished else _now()
        elapsed = round((end - datetime.fromisoformat(started)).total_seconds(), 3)
    means = {k: (v if v is None or math.isfinite(v) else None) for k, v in (p.get("means") or {}).items()}
    return {
        "run_id": d.get("id"), "state": state, "stage": p.get("stage"),
        "done": done, "total": total, "fraction": fraction, "means": means,
        "errors": p.get("errors", 0), "metric_errors": p.get("metric_errors") or {},
        "first_errors": p.get("first_errors") or {},
        "dataset": r.get("dataset") or params.get("name"), "source": params.get("source"),
        "metrics": params.get("metrics") or [], "summary": r.get("summary") or [],
        "rows": r.get("rows"), "records": r.get("records"), "llm": r.get("llm"),
        "error": d.get("error"), "error_type": d.get("error_type"),
        "cancel_requested": bool(d.get("cancel_requested")),
        "created": d.get("created"), "started": started, "finished": finished,
        "elapsed": elapsed, "executor": executor, "log": list(logs or [])[-100:],
    }
