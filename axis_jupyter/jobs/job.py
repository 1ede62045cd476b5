"""One unit of long work: its state, progress, log, result and numbered events.

A :class:`Job` is created by :meth:`JobRunner.start <axis_jupyter.jobs.runner.JobRunner.start>`
and handed to the work function, which reports through it; everyone else observes it.
Events are kept in order with a sequence number, so an observer that missed some (a
reconnecting SSE stream, a progress bar attached late) resumes with :meth:`Job.events_after`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from .. import params as P
from ..errors import INTERNAL, AxisError, ConflictError, StoreError, error_class

log = logging.getLogger("axis_jupyter.jobs")

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})
MAX_EVENTS = 2000


class JobCancelled(Exception):
    """Raised inside a job by :meth:`Job.check_cancelled` once cancel was requested."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def iso(t: datetime | None) -> str | None:
    return t.isoformat(timespec="milliseconds") if t else None


@dataclass(frozen=True)
class Event:
    """One event of a job: ``seq`` counts from 1 in emission order."""

    seq: int
    event: str
    data: Any


Subscriber = Callable[[Event], None]


class Job:
    """Long work with progress, a log, a result and cancellation. Made by a JobRunner."""

    def __init__(self, kind: str, key: str | None = None, params: dict | None = None,
                 owner: str | None = None, cancel: Callable[["Job"], Any] | None = None):
        self.id = secrets.token_hex(8)
        self.kind, self.key, self.params, self.owner = kind, key, params or {}, owner
        self.state = "queued"
        self.progress_data: dict[str, Any] = {}
        self.result: Any = None
        self.error: str | None = None
        self.error_type: str | None = None
        #: the exception that ended the job (in this process only; never serialised)
        self.exception: BaseException | None = None
        self.created = _now()
        self.started: datetime | None = None
        self.finished: datetime | None = None
        #: set once cancel was requested; pass it to blocking code that can poll an Event
        self.cancel_event = threading.Event()
        self._cancel = cancel
        self._lock = threading.Lock()
        self._events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._seq = itertools.count(1)
        self._waiters: list[tuple[Any, Subscriber]] = []  # (token, callback) of subscribers
        self._complete = threading.Event()
        self._thread: threading.Thread | None = None  # set by the runner
        self._task: Any = None  # asyncio task (or its concurrent future) of async work

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"

    # -- called by the work function ------------------------------------------------------
    def progress(self, **fields: Any) -> None:
        """Merge ``fields`` into :attr:`progress_data` and emit a ``progress`` event with
        the merged dict (e.g. ``done=, total=, stage=, message=``)."""
        with self._lock:
            self.progress_data.update(fields)
            snapshot = dict(self.progress_data)
        self.emit("progress", snapshot)

    def log(self, message: str, level: str = "info") -> None:
        """Emit a ``log`` event ``{message, level, time}``."""
        self.emit("log", {"message": str(message), "level": level, "time": iso(_now())})

    def emit(self, event: str, data: Any = None) -> Event:
        """Append an event and tell every subscriber (on this thread)."""
        return self._emit(event, data)

    @property
    def cancelled(self) -> bool:
        """True once cancel was requested (the work should stop soon)."""
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` once cancel was requested."""
        if self.cancel_event.is_set():
            raise JobCancelled()

    # -- observing ------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """The job reached a final state."""
        return self.state in FINAL_STATES

    @property
    def complete(self) -> bool:
        """Final state reached *and* every event, ``done`` last, was emitted."""
        return self._complete.is_set()

    def to_dict(self, result: bool = True) -> dict:
        """id, kind, key, state, progress, params, owner, error, error_type (the error's
        code, e.g. ``bad_input``; ``internal`` for a bug), cancel_requested, created,
        started, finished (ISO-8601 UTC) and result."""
        with self._lock:
            progress = dict(self.progress_data)
        d = {"id": self.id, "kind": self.kind, "key": self.key, "state": self.state,
             "progress": progress, "params": self.params, "owner": self.owner,
             "error": self.error, "error_type": self.error_type,
             "cancel_requested": self.cancelled, "created": iso(self.created),
             "started": iso(self.started), "finished": iso(self.finished)}
        if result:
            d["result"] = self.result
        return d

    def poll(self, after: int = 0, result_key: str = "result") -> dict:
        """``{state, events: [{seq, event, data}], <result_key> (once succeeded), error}``:
        what a view polling this job (no SSE through a kernel) needs after event ``after``."""
        after = P.check("after", after, P.integer(0, 10**12))
        events = [{"seq": e.seq, "event": e.event, "data": e.data} for e in self.events_after(after)]
        return {"state": self.state, "events": events,
                result_key: self.result if self.state == "succeeded" else None,
                "error": self.error if self.state == "failed" else None}

    def events_after(self, seq: int) -> list[Event]:
        """The kept events with a sequence number above ``seq``, in order."""
        with self._lock:
            return [e for e in self._events if e.seq > seq]

    def logs(self, limit: int = 100) -> list[dict]:
        """The data of the last ``limit`` log events."""
        return [e.data for e in self.events_after(0) if e.event == "log"][-limit:]

    def subscribe(self, callback: Subscriber) -> Subscriber:
        """Call ``callback(event)`` for every later event, on the thread that emits it
        (keep it short; an exception in it is logged and ignored). Returns ``callback``
        for :meth:`unsubscribe`."""
        with self._lock:
            self._waiters.append((callback, callback))
        return callback

    def subscribe_async(self, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Event:
        """An :class:`asyncio.Event` of ``loop`` (default: the running loop) that is set,
        thread-safely, whenever a new event arrives. Clear it before waiting again;
        :meth:`unsubscribe` it when done."""
        loop = loop or asyncio.get_running_loop()
        flag = asyncio.Event()

        def wake(_event: Event) -> None:
            try:
                loop.call_soon_threadsafe(flag.set)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        with self._lock:
            self._waiters.append((flag, wake))
        return flag

    def unsubscribe(self, token: Any) -> None:
        """Stop notifying a callback or flag from :meth:`subscribe`/:meth:`subscribe_async`."""
        with self._lock:
            self._waiters = [(k, f) for k, f in self._waiters if k is not token]

    async def wait(self) -> "Job":
        """Wait on the running event loop until the job is complete."""
        flag = self.subscribe_async()
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
        """Block this thread (never an event loop) until complete; False on timeout."""
        return self._complete.wait(timeout)

    def follow(self, on_event: Callable[[str, Any], None] | None = None, *,
               timeout: float | None = None) -> bool:
        """Block this thread until the job is complete, calling ``on_event(event, data)``
        here, in order, for every event from the first. A KeyboardInterrupt cancels the
        job, waits for it to end and is raised again. False if ``timeout`` passed first."""
        import time

        wake = threading.Event()
        token = self.subscribe(lambda _ev: wake.set())
        deadline = None if timeout is None else time.monotonic() + timeout
        last = 0
        try:
            while True:
                wake.clear()
                for ev in self.events_after(last):
                    last = ev.seq
                    if on_event is not None:
                        on_event(ev.event, ev.data)
                if self.complete and not self.events_after(last):
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                wake.wait(left)
        except KeyboardInterrupt:
            self.cancel()
            self.wait_sync(30)
            raise
        finally:
            self.unsubscribe(token)

    def cancel(self) -> "Job":
        """Ask the job to stop (no-op once it ended)."""
        if self._cancel is not None and not self.done:
            try:
                self._cancel(self)
            except AxisError:  # it ended (and may be forgotten) meanwhile
                pass
        return self

    def outcome(self) -> Any:
        """The result of a succeeded job; for any other final state raise what ended it
        (the work's own exception when it ran in this process)."""
        if self.state == "succeeded":
            return self.result
        if self.exception is not None and not isinstance(self.exception, JobCancelled):
            raise self.exception
        if self.state == "cancelled":
            raise ConflictError(f"job {self.id} was cancelled.")
        if not self.done:
            raise ConflictError(f"job {self.id} is still {self.state}.")
        cls = StoreError if self.error_type == INTERNAL else error_class(self.error_type or "")
        raise cls(self.error or "the job failed")

    # -- transitions (the runner only) -----------------------------------------------------
    def _emit(self, event: str, data: Any, final: bool = False) -> Event:
        with self._lock:
            ev = Event(next(self._seq), event, data)
            self._events.append(ev)
            if final:  # visible together with the done event, before anyone is told
                self._complete.set()
            subscribers = [f for _, f in self._waiters]
        for notify in subscribers:
            try:
                notify(ev)
            except Exception:  # noqa: BLE001 - an observer must not break the work
                log.exception("AXIS job %s: an event subscriber failed", self.id)
        return ev

    def _start(self) -> bool:
        with self._lock:
            if self.state != "queued":
                return False
            self.state, self.started = "running", _now()
            snapshot = dict(self.progress_data, state="running")
        self.emit("progress", snapshot)
        return True

    def _finish(self, state: str, result: Any = None, error: str | None = None,
                error_type: str | None = None, exception: BaseException | None = None,
                only_if: str | None = None) -> bool:
        with self._lock:
            if self.state in FINAL_STATES or (only_if is not None and self.state != only_if):
                return False
            self.state, self.finished = state, _now()
            self.result, self.error, self.error_type = result, error, error_type
            self.exception = exception
        if state == "succeeded":
            self.emit("result", result)
        elif state == "failed":
            self.log(error or "failed", "error")
            self.emit("error", {"message": error, "type": error_type})
        else:
            self.log(error or "cancelled", "warning")
            self.emit("error", {"message": error or "cancelled", "type": "cancelled"})
        self._emit("done", self.to_dict(result=False), final=True)
        return True
