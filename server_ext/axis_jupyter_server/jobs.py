"""The job runner: long work in the server process, with progress streamed as events.

Used by dataset uploads here and reused by sync, evaluation runs, the copilot and reports.
One :class:`JobRunner` lives in the server (``handler.jobs`` in any :class:`AxisHandler`,
or ``serverapp.web_app.settings["axis_state"].jobs``).

Starting a job::

    def work(job: Job):
        for i, part in enumerate(parts):
            job.check_cancelled()              # raises JobCancelled once cancel was asked
            ...
            job.progress(done=i + 1, total=len(parts), stage="scoring")
            job.log(f"part {i} ok")
        return {"rows": 123}                   # becomes job.result (must be JSON-able)

    job = runner.start("eval_run", work, key="eval:my_dataset", params={...})
    job.id  # -> "3f2a9c1e0b7d4e21"

API (exact signatures)
----------------------
``JobRunner(max_workers: int = 4, keep: int = 200)``

* ``start(kind: str, fn: Callable[[Job], Any], *, key: str | None = None,
  params: dict | None = None, owner: str | None = None) -> Job`` — queue ``fn(job)`` on a
  worker thread (``fn`` may also be an ``async def``; it then runs as a task on the server's
  event loop and cancel() cancels the task). ``key``: at most one queued/running job per
  key; a second start raises :class:`~axis_jupyter.errors.ConflictError` (HTTP 409).
* ``get(job_id: str) -> Job`` (NotFoundError, 404), ``list(kind: str | None = None) -> list[Job]``
  (newest first), ``running(key: str) -> Job | None``, ``cancel(job_id: str) -> Job``
  (ConflictError if it already finished), ``shutdown(wait: bool = False)``.

``Job`` (what ``fn`` receives)

* ``job.progress(**fields)`` — merge fields into ``job.progress_data`` and emit a
  ``progress`` event (e.g. ``done=, total=, stage=, message=``).
* ``job.log(message: str, level: str = "info")`` — emit a ``log`` event.
* ``job.emit(event: str, data: Any)`` — any other event (e.g. ``partial`` copilot text).
* ``job.cancelled -> bool``, ``job.check_cancelled()`` (raises :class:`JobCancelled`),
  ``job.cancel_event`` (a ``threading.Event`` to pass to blocking code).
* ``job.to_dict(result: bool = True) -> dict`` — id, kind, key, state, progress, params,
  result, error, error_type (the error's code, e.g. ``bad_input``; ``internal`` for a bug),
  created, started, finished (ISO-8601 UTC).
* ``await job.wait()`` on the event loop, ``job.wait_sync(timeout=None) -> bool`` in a thread.

States: ``queued -> running -> succeeded | failed | cancelled``. If ``fn`` raises an
:class:`~axis_jupyter.errors.AxisError` the job fails with its message; any other exception
fails it with ``"internal error (logged on the server, job ...)"`` and is logged with its
traceback. If cancel was
asked and ``fn`` returns or raises, the job ends ``cancelled``.

Events (served as Server-Sent Events by ``GET axis/api/jobs/{id}/events``): each has a
sequence number ``seq`` (the SSE ``id``). ``job`` (the snapshot, sent first by the SSE
handler), ``progress``, ``log``, ``result`` (the result), ``error`` ({message, type}),
custom events, and always last ``done`` (the job without its result). A job keeps its last
``MAX_EVENTS`` events; a client reconnecting with ``Last-Event-ID`` resumes after it.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import secrets
import threading
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from axis_jupyter.errors import INTERNAL, AxisError, ConflictError, NotFoundError, error_code
from axis_jupyter.store.budget import ReadBudget, run_with

log = logging.getLogger("axis_jupyter_server.jobs")

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})
MAX_EVENTS = 2000


class JobCancelled(Exception):
    """Raised inside a job by :meth:`Job.check_cancelled` once cancel was requested."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat(timespec="milliseconds") if t else None


@dataclass(frozen=True)
class Event:
    seq: int
    event: str
    data: Any


class Job:
    """One unit of long work. Created by :meth:`JobRunner.start`, never directly."""

    def __init__(self, kind: str, key: str | None = None, params: dict | None = None,
                 owner: str | None = None):
        self.id = secrets.token_hex(8)
        self.kind, self.key, self.params, self.owner = kind, key, params or {}, owner
        self.state = "queued"
        self.progress_data: dict[str, Any] = {}
        self.result: Any = None
        self.error: str | None = None
        self.error_type: str | None = None
        self.created = _now()
        self.started: datetime | None = None
        self.finished: datetime | None = None
        self.cancel_event = threading.Event()
        self._lock = threading.Lock()
        self._events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._seq = itertools.count(1)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._done = threading.Event()
        self._future = None  # concurrent.futures.Future or asyncio.Task
        self._async = False

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"

    # -- called by the work function ------------------------------------------------------
    def progress(self, **fields) -> None:
        """Merge ``fields`` into the progress dict and emit a ``progress`` event."""
        with self._lock:
            self.progress_data.update(fields)
            snapshot = dict(self.progress_data)
        self.emit("progress", snapshot)

    def log(self, message: str, level: str = "info") -> None:
        self.emit("log", {"message": str(message), "level": level, "time": _iso(_now())})

    def emit(self, event: str, data: Any = None, *, _final: bool = False) -> Event:
        """Append an event and wake every SSE stream waiting on this job."""
        with self._lock:
            ev = Event(next(self._seq), event, data)
            self._events.append(ev)
            if _final:  # visible together with the done event, before anyone is woken
                self._done.set()
            waiters = list(self._waiters)
        for loop, flag in waiters:
            try:
                loop.call_soon_threadsafe(flag.set)
            except RuntimeError:  # loop closed
                pass
        return ev

    @property
    def cancelled(self) -> bool:
        """True once cancel was requested (the work should stop soon)."""
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise JobCancelled()

    # -- state ------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """The job reached a final state."""
        return self.state in FINAL_STATES

    @property
    def complete(self) -> bool:
        """Final state reached *and* every event, ``done`` last, was emitted."""
        return self._done.is_set()

    def to_dict(self, result: bool = True) -> dict:
        d = {"id": self.id, "kind": self.kind, "key": self.key, "state": self.state,
             "progress": dict(self.progress_data), "params": self.params, "owner": self.owner,
             "error": self.error, "error_type": self.error_type,
             "cancel_requested": self.cancelled, "created": _iso(self.created),
             "started": _iso(self.started), "finished": _iso(self.finished)}
        if result:
            d["result"] = self.result
        return d

    def events_after(self, seq: int) -> list[Event]:
        with self._lock:
            return [e for e in self._events if e.seq > seq]

    def subscribe(self) -> asyncio.Event:
        """An asyncio.Event (of the running loop) set whenever a new event arrives."""
        flag = asyncio.Event()
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), flag))
        return flag

    def unsubscribe(self, flag: asyncio.Event) -> None:
        with self._lock:
            self._waiters = [(lp, f) for lp, f in self._waiters if f is not flag]

    async def wait(self) -> "Job":
        """Wait on the event loop until the job has finished."""
        flag = self.subscribe()
        try:
            while not self.complete:
                flag.clear()
                if self.complete:
                    break
                await flag.wait()
        finally:
            self.unsubscribe(flag)
        return self

    def wait_sync(self, timeout: float | None = None) -> bool:
        """Block (in a thread, not the event loop) until finished; False on timeout."""
        return self._done.wait(timeout)

    # -- transitions (runner only) -----------------------------------------------------------
    def _start(self) -> bool:
        with self._lock:
            if self.state != "queued":
                return False
            self.state, self.started = "running", _now()
        self.emit("progress", dict(self.progress_data, state="running"))
        return True

    def _finish(self, state: str, result: Any = None, error: str | None = None,
                error_type: str | None = None, only_if: str | None = None) -> bool:
        with self._lock:
            if self.state in FINAL_STATES or (only_if is not None and self.state != only_if):
                return False
            self.state, self.finished = state, _now()
            self.result, self.error, self.error_type = result, error, error_type
        if state == "succeeded":
            self.emit("result", result)
        elif state == "failed":
            self.emit("error", {"message": error, "type": error_type})
        elif state == "cancelled":
            self.emit("error", {"message": error or "cancelled", "type": "cancelled"})
        self.emit("done", self.to_dict(result=False), _final=True)
        return True


class JobRunner:
    """Runs jobs on a bounded thread pool (or the event loop for ``async def`` work)."""

    def __init__(self, max_workers: int = 4, keep: int = 200,
                 loop: asyncio.AbstractEventLoop | None = None):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="axis-job")
        self._jobs: dict[str, Job] = {}
        self._keys: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep
        self.loop = loop
        self._closed = False

    # -- public API -------------------------------------------------------------------------
    def start(self, kind: str, fn: Callable[[Job], Any], *, key: str | None = None,
              params: dict | None = None, owner: str | None = None) -> Job:
        if self._closed:
            raise ConflictError("the server is shutting down; try again after it restarts.")
        job = Job(kind, key=key, params=params, owner=owner)
        with self._lock:
            if key is not None:
                current = self._keys.get(key)
                if current is not None and not current.done:
                    raise ConflictError(
                        f"a {current.kind} job for {key!r} is already {current.state} "
                        f"(job {current.id}); wait for it or cancel it first.")
                self._keys[key] = job
            self._jobs[job.id] = job
            self._prune()
        job.emit("progress", {"state": "queued"})
        if inspect.iscoroutinefunction(fn):
            job._async = True
            loop = self._loop()
            job._future = asyncio.run_coroutine_threadsafe(self._run_async(job, fn), loop) \
                if not _on_loop(loop) else loop.create_task(self._run_async(job, fn))
        else:
            job._future = self._pool.submit(self._run_sync, job, fn)
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id!r} (it may have finished long ago and been "
                                "forgotten; GET jobs lists the known ones).")
        return job

    def list(self, kind: str | None = None) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        jobs = [j for j in jobs if kind is None or j.kind == kind]
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def running(self, key: str) -> Job | None:
        job = self._keys.get(key)
        return job if job is not None and not job.done else None

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.state in ("succeeded", "failed"):
            raise ConflictError(f"job {job_id} already {job.state}; nothing to cancel.")
        if job.state == "cancelled":
            return job
        job.log("cancel requested")
        job.cancel_event.set()
        fut = job._future
        if job._finish("cancelled", error="cancelled before it started", only_if="queued"):
            if fut is not None:
                fut.cancel()
        elif job._async and fut is not None:
            fut.cancel()  # cancels the task (also through run_coroutine_threadsafe's future)
        return job

    def shutdown(self, wait: bool = False) -> None:
        """Cancel everything and stop the workers (called when the server stops)."""
        self._closed = True
        for job in self.list():
            if not job.done:
                try:
                    self.cancel(job.id)
                except AxisError:
                    pass
        self._pool.shutdown(wait=wait, cancel_futures=True)

    # -- internals --------------------------------------------------------------------------
    def _loop(self) -> asyncio.AbstractEventLoop:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            if self.loop is None:
                raise RuntimeError("async jobs need the server's event loop") from None
            return self.loop

    def _prune(self) -> None:
        finished = [j for j in self._jobs.values() if j.done]
        if len(finished) > self._keep:
            finished.sort(key=lambda j: j.finished or j.created)
            for j in finished[: len(finished) - self._keep]:
                self._jobs.pop(j.id, None)
                if j.key is not None and self._keys.get(j.key) is j:
                    self._keys.pop(j.key, None)

    def _run_sync(self, job: Job, fn) -> None:
        if not job._start():
            return
        # The job's store reads run under a budget tied to its cancel event: cancelling the
        # job interrupts a running DuckDB query (no time limit: jobs are long by design).
        budget = ReadBudget(cancel_event=job.cancel_event)
        budget.why = "the job was cancelled"
        try:
            result = run_with(budget, fn, job)
        except BaseException as exc:  # noqa: BLE001 - every outcome must end the job
            self._fail(job, exc)
        else:
            if job.cancelled:
                job._finish("cancelled", error="cancelled")
            else:
                job._finish("succeeded", result=result)

    async def _run_async(self, job: Job, fn) -> None:
        if not job._start():
            return
        try:
            result = await fn(job)
        except asyncio.CancelledError:
            job._finish("cancelled", error="cancelled")
        except BaseException as exc:  # noqa: BLE001
            self._fail(job, exc)
        else:
            job._finish("cancelled", error="cancelled") if job.cancelled else \
                job._finish("succeeded", result=result)

    @staticmethod
    def _fail(job: Job, exc: BaseException) -> None:
        if isinstance(exc, JobCancelled) or job.cancelled:
            job._finish("cancelled", error="cancelled")
        elif isinstance(exc, AxisError):
            job._finish("failed", error=str(exc), error_type=error_code(exc))
        else:  # a bug: the traceback goes to the log, the job record only names the job
            log.error("AXIS job %s (%s) crashed:\n%s", job.id, job.kind,
                      "".join(traceback.format_exception(exc)))
            job._finish("failed", error=f"internal error (logged on the server, job {job.id}).",
                        error_type=INTERNAL)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
