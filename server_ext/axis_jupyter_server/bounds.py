"""Bounded work for the heavy routes: query, analytics, rows and view actions.

A heavy request (a handler that mixes in :class:`BoundedMixin` and wraps its work in
``async with self.bounded():``) gets

* a slot among its user's heavy requests: at most ``AxisExtension.max_user_requests`` run
  at once per user name; one more is refused at once with 429 (never queued), so one user's
  cross joins cannot take every worker thread from the others;
* a :class:`~axis_jupyter.store.budget.ReadBudget`: its store reads stop after
  ``AxisExtension.query_timeout`` seconds (422), and DuckDB interrupts them as soon as the
  HTTP client disconnects (tornado's ``on_connection_close``);
* caps on the answer: ``AxisExtension.max_result_rows`` rows and
  ``AxisExtension.max_result_bytes`` bytes (413). The query route streams its result and
  stops at the cap; the other routes measure what they are about to send.

Blocking work runs through :meth:`BoundedMixin.run_bounded`, which carries the budget into
the worker thread (``run_in_executor`` does not copy context variables).
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import asynccontextmanager
from typing import AsyncIterator

from axis_jupyter.errors import TooBusyError
from axis_jupyter.store.budget import ReadBudget, run_with

SERVER_HINTS = {"timeout": "AxisExtension.query_timeout (seconds; 0 means no limit)",
                "rows": "AxisExtension.max_result_rows", "bytes": "AxisExtension.max_result_bytes"}


class UserSlots:
    """How many heavy requests each user runs now (touched on the event loop only)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.running: dict[str, int] = {}

    def take(self, user: str) -> None:
        n = self.running.get(user, 0)
        if self.limit and n >= self.limit:
            raise TooBusyError(
                f"{user!r} already runs {n} heavy requests (queries, analytics, rows, view "
                f"actions), the most one user may run at once; wait for one to finish, or "
                "raise AxisExtension.max_user_requests.")
        self.running[user] = n + 1

    def give_back(self, user: str) -> None:
        n = self.running.get(user, 0) - 1
        if n > 0:
            self.running[user] = n
        else:
            self.running.pop(user, None)


class BoundedMixin:
    """Mix into an :class:`~.base.AxisHandler` (before it) whose verbs do heavy work."""

    _axis_budget: ReadBudget | None = None

    def on_connection_close(self) -> None:
        budget = self._axis_budget
        if budget is not None:  # DuckDB stops the query; the slot is given back on return
            budget.cancel("the client closed the connection")
        super().on_connection_close()

    @asynccontextmanager
    async def bounded(self) -> AsyncIterator[ReadBudget]:
        state = self.axis
        user = getattr(self.current_user, "username", None) or "anonymous"
        state.user_slots.take(user)
        budget = ReadBudget(state.query_timeout, max_rows=state.max_result_rows,
                            max_bytes=state.max_result_bytes, hints=SERVER_HINTS)
        self._axis_budget = budget
        stream = getattr(self.request.connection, "stream", None)
        if stream is not None and stream.closed():  # gone before we started
            budget.cancel("the client closed the connection")
        try:
            yield budget
        finally:
            self._axis_budget = None
            state.user_slots.give_back(user)

    async def run_bounded(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` on the call pool, its store reads under this request's
        budget."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.axis.call_pool, functools.partial(run_with, self._axis_budget, fn, *args, **kwargs))
