"""Bounded work for the heavy routes: query, analytics, rows and view actions.

A heavy request (a handler that mixes in :class:`BoundedMixin` and wraps its work in
``async with self.bounded():``) gets

* a slot among its user's heavy requests: at most ``AxisExtension.max_user_requests`` run
  at once per user name and ``AxisExtension.max_user_queue`` more wait their turn (on the
  event loop, holding no worker thread); one more is refused at once with 429. So one
  user's cross joins cannot take every worker thread from the others, while a notebook
  whose views all load at once still gets every answer;
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
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator

from axis_jupyter.errors import QueryCancelledError, TooBusyError
from axis_jupyter.store.budget import ReadBudget, run_with

SERVER_HINTS = {"timeout": "AxisExtension.query_timeout (seconds; 0 means no limit)",
                "rows": "AxisExtension.max_result_rows", "bytes": "AxisExtension.max_result_bytes"}


class UserSlots:
    """Heavy requests per user: ``limit`` run at once, ``queue`` more wait their turn (in
    order, on the event loop: a waiting request holds no worker thread), one more is a 429.
    Touched on the event loop only."""

    def __init__(self, limit: int, queue: int = 0):
        self.limit = limit
        self.queue = queue
        self.running: dict[str, int] = {}
        self.waiting: dict[str, deque[asyncio.Future]] = {}

    async def take(self, user: str, waiter_set=lambda fut: None) -> None:
        """Wait for a slot of ``user`` (``waiter_set`` learns the future to cancel when the
        client goes away meanwhile)."""
        n = self.running.get(user, 0)
        if not self.limit or (n < self.limit and not self.waiting.get(user)):
            self.running[user] = n + 1
            return
        queue = self.waiting.setdefault(user, deque())
        if len(queue) >= self.queue:
            if not queue:
                self.waiting.pop(user, None)
            raise TooBusyError(
                f"{user!r} already runs {n} heavy requests (queries, analytics, rows, view "
                f"actions) and {len(queue)} more wait; that is the most one user may have at "
                "once. Wait for one to finish, or raise AxisExtension.max_user_requests "
                "(AxisExtension.max_user_queue for waiting ones).")
        fut = asyncio.get_running_loop().create_future()
        queue.append(fut)
        waiter_set(fut)
        try:
            await fut  # give_back hands its slot over: the running count stays
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # handed over just now: pass it on
                self.give_back(user)
            elif fut in queue:
                queue.remove(fut)
            if not queue:
                self.waiting.pop(user, None)
            raise QueryCancelledError("the request was cancelled while it waited for a slot "
                                      "(the client closed the connection).") from None
        finally:
            waiter_set(None)

    def give_back(self, user: str) -> None:
        queue = self.waiting.get(user)
        while queue:
            fut = queue.popleft()
            if not fut.done():
                fut.set_result(None)  # the slot goes to the next waiting request
                return
        self.waiting.pop(user, None)
        n = self.running.get(user, 0) - 1
        if n > 0:
            self.running[user] = n
        else:
            self.running.pop(user, None)


class BoundedMixin:
    """Mix into an :class:`~.base.AxisHandler` (before it) whose verbs do heavy work."""

    _axis_budget: ReadBudget | None = None
    _axis_waiter: asyncio.Future | None = None
    _axis_gone = False

    def on_connection_close(self) -> None:
        self._axis_gone = True
        if self._axis_waiter is not None and not self._axis_waiter.done():
            self._axis_waiter.cancel()  # stop waiting for a slot
        budget = self._axis_budget
        if budget is not None:  # DuckDB stops the query; the slot is given back on return
            budget.cancel("the client closed the connection")
        super().on_connection_close()

    def _set_waiter(self, fut) -> None:
        self._axis_waiter = fut

    @asynccontextmanager
    async def bounded(self) -> AsyncIterator[ReadBudget]:
        state = self.axis
        user = getattr(self.current_user, "username", None) or "anonymous"
        await state.user_slots.take(user, self._set_waiter)
        budget = ReadBudget(state.query_timeout, max_rows=state.max_result_rows,
                            max_bytes=state.max_result_bytes, hints=SERVER_HINTS)
        self._axis_budget = budget
        stream = getattr(self.request.connection, "stream", None)
        if self._axis_gone or (stream is not None and stream.closed()):  # gone already
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
