"""The job runner: starts work on worker threads, at most ``max_workers`` at a time.

Each job gets its own daemon thread that waits for one of ``max_workers`` slots, so a
queued job can be cancelled before it starts and a script may exit while a job runs (as
a plain thread would let it). ``async def`` work runs as a task on an event loop instead:
the running one, or the ``loop`` given to the runner (the Jupyter server passes its own).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import traceback
from typing import Any, Callable

from ..errors import INTERNAL, AxisError, ConflictError, NotFoundError, error_code
from .job import Job, JobCancelled, log


class JobRunner:
    """Runs jobs; ``key`` allows one queued-or-running job per key (a second start raises
    :class:`~axis_jupyter.errors.ConflictError`). Keeps the last ``keep`` finished jobs.

    ``executor`` names where the work runs, as reported in evaluation-run statuses:
    ``"thread"`` for a runner of this process, ``"job"`` for the Jupyter server's.
    ``around(job, work)``: runs each thread job's ``work()`` (the store passes
    :func:`axis_jupyter.store.budget.job_reads`: cancelling a job interrupts its DuckDB reads).
    """

    def __init__(self, max_workers: int = 4, keep: int = 200,
                 loop: asyncio.AbstractEventLoop | None = None, executor: str = "thread",
                 around: Callable[[Job, Callable[[], Any]], Any] | None = None):
        self._slots = threading.BoundedSemaphore(max(1, int(max_workers)))
        self._jobs: dict[str, Job] = {}
        self._keys: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep
        self.loop = loop
        self.executor = executor
        self.around = around
        self._closed = False

    def __repr__(self) -> str:
        return f"<JobRunner {self.executor} jobs={len(self._jobs)}>"

    @property
    def closed(self) -> bool:
        return self._closed

    # -- public API -------------------------------------------------------------------------
    def start(self, kind: str, fn: Callable[[Job], Any], *, key: str | None = None,
              params: dict | None = None, owner: str | None = None) -> Job:
        """Queue ``fn(job)``; its return value becomes ``job.result``. ``fn`` raising an
        :class:`~axis_jupyter.errors.AxisError` fails the job with its message and its code
        as ``error_type`` (e.g. ``bad_input``); any other exception is a bug: logged with its
        traceback, the job says only ``internal error`` (``error_type`` ``internal``). If
        cancel was asked, the job ends ``cancelled`` however ``fn`` ends."""
        if self._closed:
            raise ConflictError("the job runner is shut down (the server is stopping); "
                                "try again after it restarts.")
        job = Job(kind, key=key, params=params, owner=owner, cancel=lambda j: self.cancel(j.id))
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
            loop = self._loop()
            coro = self._run_async(job, fn)
            job._task = loop.create_task(coro) if _on_loop(loop) else \
                asyncio.run_coroutine_threadsafe(coro, loop)
        else:
            thread = threading.Thread(target=self._run_thread, args=(job, fn), daemon=True,
                                      name=f"axis-job-{kind}-{job.id[:6]}")
            job._thread = thread
            thread.start()
        return job

    def get(self, job_id: str, kind: str | None = None, what: str = "job") -> Job:
        """The job ``job_id``; with ``kind``, only a job of that kind (any other id is a
        NotFoundError naming ``what``, e.g. "copilot question")."""
        job = self._jobs.get(str(job_id))
        if job is None and kind is None:
            raise NotFoundError(f"no job {job_id!r} (it may have finished long ago and been "
                                "forgotten; GET jobs lists the known ones).")
        if job is None or (kind is not None and job.kind != kind):
            raise NotFoundError(f"no {what} {job_id!r}.")
        return job

    def list(self, kind: str | None = None) -> list[Job]:
        """Known jobs, newest first."""
        with self._lock:
            jobs = list(self._jobs.values())
        jobs = [j for j in jobs if kind is None or j.kind == kind]
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def running(self, key: str) -> Job | None:
        """The queued or running job of ``key``, if any."""
        job = self._keys.get(key)
        return job if job is not None and not job.done else None

    def last(self, key: str) -> Job | None:
        """The newest job of ``key`` (running or finished), if still kept."""
        jobs = [j for j in self.list() if j.key == key]
        return jobs[0] if jobs else None

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop; ConflictError if it already succeeded or failed."""
        job = self.get(job_id)
        if job.state in ("succeeded", "failed"):
            raise ConflictError(f"job {job_id} already {job.state}; nothing to cancel.")
        if job.state == "cancelled":
            return job
        job.log("cancel requested")
        job.cancel_event.set()
        if job._finish("cancelled", error="cancelled before it started", only_if="queued"):
            if job._task is not None:
                job._task.cancel()
        elif job._task is not None:
            job._task.cancel()  # cancels the task (also through run_coroutine_threadsafe's future)
        return job

    def shutdown(self, wait: bool = False, timeout: float | None = None) -> None:
        """Cancel every job and refuse new ones (called when the server or store stops)."""
        self._closed = True
        for job in self.list():
            if not job.done:
                try:
                    self.cancel(job.id)
                except AxisError:
                    pass
        if wait:
            for job in self.list():
                if job._thread is not None and job._thread is not threading.current_thread():
                    job._thread.join(timeout)

    # -- internals --------------------------------------------------------------------------
    def _loop(self) -> asyncio.AbstractEventLoop:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            if self.loop is None:
                raise RuntimeError("async jobs need an event loop: start them on one, or "
                                   "give the runner loop=") from None
            return self.loop

    def _prune(self) -> None:
        finished = [j for j in self._jobs.values() if j.done]
        if len(finished) > self._keep:
            finished.sort(key=lambda j: j.finished or j.created)
            for j in finished[: len(finished) - self._keep]:
                self._jobs.pop(j.id, None)
                if j.key is not None and self._keys.get(j.key) is j:
                    self._keys.pop(j.key, None)

    def _run_thread(self, job: Job, fn) -> None:
        with self._slots:
            if not job._start():  # cancelled while queued
                return
            try:
                result = fn(job) if self.around is None else self.around(job, lambda: fn(job))
            except BaseException as exc:  # noqa: BLE001 - every outcome must end the job
                _fail(job, exc)
            else:
                _succeed(job, result)

    async def _run_async(self, job: Job, fn) -> None:
        if not job._start():
            return
        try:
            result = await fn(job)
        except asyncio.CancelledError as exc:
            job._finish("cancelled", error="cancelled", exception=exc)
        except BaseException as exc:  # noqa: BLE001
            _fail(job, exc)
        else:
            _succeed(job, result)


def _succeed(job: Job, result: Any) -> None:
    if job.cancelled:
        job._finish("cancelled", error="cancelled")
    else:
        job._finish("succeeded", result=result)


def _fail(job: Job, exc: BaseException) -> None:
    if isinstance(exc, JobCancelled) or job.cancelled:
        job._finish("cancelled", error="cancelled", exception=exc)
    elif isinstance(exc, AxisError):
        job._finish("failed", error=str(exc), error_type=error_code(exc), exception=exc)
    else:  # a bug: the traceback goes to the log, the job record only names the job
        log.error("AXIS job %s (%s) crashed:\n%s", job.id, job.kind,
                  "".join(traceback.format_exception(exc)))
        job._finish("failed", error=f"internal error (logged on the server, job {job.id}).",
                    error_type=INTERNAL, exception=exc)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
