"""Bounds on the store's reads: a time limit, cancellation and result-size caps.

Every read of a :class:`~axis_jupyter.store.local.LocalStore` (``read``/``aread`` and all that
runs on them: ``sql``, ``sql_arrow``, analytics, rows, views) runs under a
:class:`ReadBudget`:

* the budget of the calling context (``with use(budget): ...``): the server extension makes
  one per heavy request (query, analytics, rows, view actions) and one per job, or
* otherwise a fresh one per read with the store's default time limit (the embedded store:
  ``AXIS_QUERY_TIMEOUT`` seconds, no size caps: the results stay in the process).

Time limits and cancellation are enforced by DuckDB itself, not by abandoning a thread: a
watchdog thread calls ``interrupt()`` on the cursors of a budget whose deadline passed or
that was cancelled (the HTTP client went away, the job was cancelled), and calls it again
on every tick until the read ends, because DuckDB forgets an interrupt that lands between
two statements of one read. The read then raises :class:`QueryTimeoutError` (HTTP 422) or
:class:`QueryCancelledError` instead of whatever DuckDB raised.

Size caps: :func:`fetch_arrow` streams a result in batches and stops at ``max_rows`` + 1
rows or as soon as the batches pass ``max_bytes`` (:class:`ResultTooLargeError`, HTTP 413),
so an oversized answer is refused before it is ever whole in memory.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

from ..errors import AxisError, QueryCancelledError, QueryTimeoutError, ResultTooLargeError

# Names of the settings that raise each limit, quoted in the messages (the server replaces
# them with its traitlets).
EMBEDDED_HINTS = {"timeout": "the AXIS_QUERY_TIMEOUT environment variable (seconds, 0 = none)",
                  "rows": "the row cap", "bytes": "the byte cap"}

_current: ContextVar["ReadBudget | None"] = ContextVar("axis_read_budget", default=None)


class ReadBudget:
    """The limits of one request or job; shared by all the reads it makes.

    ``timeout``: seconds from creation (None or 0: no limit). ``max_rows``/``max_bytes``:
    caps of one answer (None: no cap). ``cancel_event``: a ``threading.Event`` whose setting
    cancels the reads (e.g. a job's); :meth:`cancel` sets it and interrupts at once.
    """

    def __init__(self, timeout: float | None = None, *, max_rows: int | None = None,
                 max_bytes: int | None = None, cancel_event: threading.Event | None = None,
                 hints: dict[str, str] | None = None):
        self.timeout = float(timeout) if timeout and timeout > 0 else None
        self.deadline = time.monotonic() + self.timeout if self.timeout else None
        self.max_rows = int(max_rows) if max_rows and max_rows > 0 else None
        self.max_bytes = int(max_bytes) if max_bytes and max_bytes > 0 else None
        self.cancel_event = cancel_event if cancel_event is not None else threading.Event()
        self.hints = {**EMBEDDED_HINTS, **(hints or {})}
        self.reason: str | None = None  # "timeout" or "cancelled", once interrupted
        self.why = "the request was cancelled"
        self._cursors: dict[int, Any] = {}
        self._lock = threading.Lock()

    # -- state ---------------------------------------------------------------------------
    def due(self) -> str | None:
        """Why the reads must stop now ("timeout", "cancelled"), or None."""
        if self.reason:
            return self.reason
        if self.cancel_event.is_set():
            return "cancelled"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "timeout"
        return None

    def cancel(self, why: str = "the request was cancelled") -> None:
        """Stop every read of this budget now (and refuse new ones)."""
        self.why = why
        self.cancel_event.set()
        self.interrupt("cancelled")

    def interrupt(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            cursors = list(self._cursors.values())
        for cur in cursors:
            try:
                cur.interrupt()
            except Exception:  # noqa: BLE001 - the cursor may be closing
                pass

    @property
    def active(self) -> int:
        return len(self._cursors)

    def error(self) -> AxisError:
        if self.reason == "timeout":
            return QueryTimeoutError(
                f"the query ran longer than {self.timeout:g} s and was stopped; narrow it "
                f"(filters, fewer rows or columns, a LIMIT) or raise {self.hints['timeout']}.")
        return QueryCancelledError(f"the query was stopped: {self.why}.")

    def too_large(self, what: str) -> ResultTooLargeError:
        if what == "rows":
            return ResultTooLargeError(
                f"the result has more than {self.max_rows:,} rows, the most one answer may "
                f"carry; add a LIMIT or filters, or raise {self.hints['rows']}.")
        return ResultTooLargeError(
            f"the result is larger than {_size(self.max_bytes)}, the most one answer may "
            f"carry; select fewer rows or columns, or raise {self.hints['bytes']}.")

    # -- one cursor's read ---------------------------------------------------------------
    @contextmanager
    def attached(self, cur) -> Iterator[None]:
        """Run a read on ``cur`` under this budget (the watchdog may interrupt it)."""
        reason = self.due()
        if reason:
            self.reason = self.reason or reason
            raise self.error()
        with self._lock:
            self._cursors[id(cur)] = cur
        _WATCHDOG.watch(self)
        try:
            yield
        except Exception:
            if self.reason is not None:  # we interrupted it: say why, not DuckDB's words
                raise self.error() from None
            raise
        finally:
            with self._lock:
                self._cursors.pop(id(cur), None)
            _WATCHDOG.unwatch(self)


def current() -> ReadBudget | None:
    """The budget of the calling context, if any."""
    return _current.get()


@contextmanager
def use(budget: ReadBudget | None) -> Iterator[ReadBudget | None]:
    """Make ``budget`` the one of the store reads made inside the block (in this thread)."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def run_with(budget: ReadBudget | None, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` under ``budget`` (for worker threads)."""
    with use(budget):
        return fn(*args, **kwargs)


def job_reads(job, work):
    """Run a job's ``work()`` with its store reads under a budget tied to the job's cancel
    event: cancelling the job interrupts a running DuckDB query (no time limit: jobs are long
    by design). The ``around`` of a store's job runner."""
    budget = ReadBudget(cancel_event=job.cancel_event)
    budget.why = "the job was cancelled"
    return run_with(budget, work)


class _Watchdog:
    """One daemon thread that interrupts the reads of budgets that are due."""

    interval = 0.05

    def __init__(self):
        self._cond = threading.Condition()
        self._budgets: dict[int, list] = {}  # id -> [budget, active reads]
        self._thread: threading.Thread | None = None

    def watch(self, budget: ReadBudget) -> None:
        with self._cond:
            entry = self._budgets.setdefault(id(budget), [budget, 0])
            entry[1] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="axis-read-watchdog",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()

    def unwatch(self, budget: ReadBudget) -> None:
        with self._cond:
            entry = self._budgets.get(id(budget))
            if entry is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    del self._budgets[id(budget)]

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._budgets:
                    self._cond.wait()
                budgets = [b for b, _ in self._budgets.values()]
            for b in budgets:
                reason = b.due()
                if reason:
                    b.interrupt(reason)  # again on every tick until the read is over
            time.sleep(self.interval)


_WATCHDOG = _Watchdog()


def fetch_arrow(cur, sql: str, budget: ReadBudget | None, *, limit: int | None = None,
                cap_rows: bool = True):
    """Run one SELECT on ``cur`` and collect its result as an Arrow table, streaming.

    At most ``limit`` rows are read (``LIMIT`` wrapped around the query, on a line of its
    own so a trailing ``--`` comment cannot swallow it). With a budget that caps rows (and
    ``cap_rows``; a caller that truncates to its own smaller limit passes False), more than
    ``max_rows`` rows is a :class:`ResultTooLargeError`; with a byte cap, so is a result
    whose batches pass it (checked batch by batch: the rest is never fetched).
    """
    import pyarrow as pa

    max_rows = budget.max_rows if budget is not None and cap_rows else None
    max_bytes = budget.max_bytes if budget is not None else None
    n = limit
    if max_rows is not None:
        n = min(n, max_rows + 1) if n else max_rows + 1
    text = f"SELECT * FROM (\n{sql}\n) AS _axis_q LIMIT {int(n)}" if n else sql
    reader = cur.sql(text).to_arrow_reader(64 * 1024)
    batches, rows, nbytes = [], 0, 0
    try:
        for batch in reader:
            nbytes += batch.nbytes
            if max_bytes is not None and nbytes > max_bytes:
                raise budget.too_large("bytes")
            rows += batch.num_rows
            if max_rows is not None and rows > max_rows:
                raise budget.too_large("rows")
            batches.append(batch)
        schema = reader.schema
    finally:
        reader.close()
    return pa.Table.from_batches(batches, schema=schema)


def _size(n: int | None) -> str:
    if not n:
        return "unlimited"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
