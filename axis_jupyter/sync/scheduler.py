"""Periodic sync of sources with ``refresh_interval_minutes`` > 0 (reference §4.5).

One daemon thread per store. The last run of each source is seeded with "now", so the first
sync of a source happens one full interval after the scheduler starts (startup sync is a
separate concern: ``sync_mode: startup``). Each tick runs the due sources (incremental when
possible), then sleeps until the next one is due (at most ``max_sleep`` seconds, so newly
added sources and changed intervals are picked up). Sources are re-read from YAML every tick.

Each scheduled sync is a job of the store's runner (``engine.sync_source``), so in the
Jupyter server it is a server job (progress over SSE, one per dataset)::

    from axis_jupyter.sync.scheduler import Scheduler
    sched = Scheduler(store).start()   # the extension, once the server runs
    ...
    sched.stop()                       # when it stops

``run(name)`` replaces that sync (tests record the calls); it is called on the
scheduler's thread. A sync that is already running (ConflictError) is skipped for this tick.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from ..errors import AxisError, ConflictError
from . import config as sconfig
from . import engine

log = logging.getLogger("axis_jupyter.sync.scheduler")


class Scheduler:
    def __init__(self, store, *, run: Callable[[str], object] | None = None,
                 clock: Callable[[], float] = time.monotonic, max_sleep: float = 60.0,
                 sources: Callable[[], list[sconfig.SourceConfig]] | None = None):
        self.store = store
        self._run = run
        self._clock = clock
        self.max_sleep = max_sleep
        self._sources = sources or (lambda: engine.eligible_sources("schedule"))
        self._last: dict[str, float] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.history: list[tuple[float, str, str]] = []  # (clock, source, outcome)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> "Scheduler":
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="axis-sync-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Re-read the sources now (e.g. after add_source)."""
        self._wake.set()

    # -- work ---------------------------------------------------------------------------
    def due(self) -> tuple[list[str], float]:
        """(sources due now, seconds until the next one)."""
        now = self._clock()
        try:
            cfgs = self._sources()
        except AxisError as exc:
            log.warning("AXIS scheduler: cannot read sources: %s", exc)
            return [], self.max_sleep
        due, wait = [], self.max_sleep
        for cfg in cfgs:
            period = cfg.refresh_interval_minutes * 60.0
            if period <= 0:
                continue
            last = self._last.setdefault(cfg.name, now)  # first tick waits a full interval
            left = last + period - now
            if left <= 0:
                due.append(cfg.name)
                wait = min(wait, period)
            else:
                wait = min(wait, left)
        return due, max(0.05, wait)

    def tick(self) -> float:
        """Run every due source once; returns the seconds to sleep before the next tick."""
        names, wait = self.due()
        threads = []
        for name in names:
            self._last[name] = self._clock()
            t = threading.Thread(target=self._one, args=(name,), daemon=True,
                                 name=f"axis-sync-scheduled-{name}")
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        return wait

    def _one(self, name: str) -> None:
        try:
            if self._run is not None:
                self._run(name)
            else:
                engine.sync_source(self.store, sconfig.get_source(name), reason="schedule")
            self.history.append((self._clock(), name, "ok"))
        except ConflictError:
            self.history.append((self._clock(), name, "skipped: already running"))
        except Exception as exc:  # noqa: BLE001 - logged, the loop goes on
            self.history.append((self._clock(), name, f"error: {exc}"))
            log.warning("AXIS scheduled sync of %s failed: %s", name, exc)

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.tick()
            self._wake.wait(wait)
            self._wake.clear()
