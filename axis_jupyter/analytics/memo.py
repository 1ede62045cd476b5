"""Memos for building queries.

A view update asks a dozen analytics for their answers, and building their Ibis expressions
(every node validates its arguments) costs as much Python time as the queries' own
overhead: ~30 ms per monitor update. Expressions are immutable and describe tables by name
and schema only, never by their rows, so an expression built for the same tables and
parameters can be reused for as long as the process lives; the data behind it may change
freely. Views ask the same questions again and again (a filter toggled back, a refresh,
several views on one dataset), so these memos hit most of the time.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from typing import Any, Callable


class Lru:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None:
                self.entries.move_to_end(key)
            return hit

    def put(self, key, value) -> None:
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def get_or_make(self, key, make: Callable[[], Any]):
        hit = self.get(key)
        if hit is None:
            hit = make()
            self.put(key, hit)
        return hit


def _plain(value):
    if hasattr(value, "isoformat"):  # dates and timestamps
        return ["<time>", type(value).__name__, value.isoformat()]
    raise TypeError(f"not a plain value: {type(value).__name__}")


def plain_key(value) -> str:
    """``value`` (JSON-like: dicts, lists, strings, numbers, None, dates) as a key; TypeError
    for anything else, so an unusual argument is never mistaken for another."""
    return json.dumps(value, sort_keys=True, default=_plain)


def tables_key(ctx) -> tuple:
    """The identity of a context's tables: their names and schemas (Ibis nodes hash by
    structure; the hash is cached on the node). Cached on the context, which lives for one
    read."""
    key = getattr(ctx, "_tables_key", None)
    if key is None:
        key = tuple(sorted((role, t.op()) for role, t in ctx.tables.items()))
        ctx._tables_key = key
    return key


_EXPRS = Lru(512)


def memo_expr(build: Callable) -> Callable:
    """Memoise ``build(ctx, *params) -> Ibis expression`` by the context's tables and the
    (plain) parameters. The builder must depend on nothing else: not on the data, the
    clock or the configuration files (pass what it reads from them as parameters).
    Errors are not memoised; an argument that is not plain builds afresh."""

    @functools.wraps(build)
    def wrapper(ctx, *args, **kwargs):
        try:
            key = (build.__module__, build.__qualname__, tables_key(ctx), plain_key([args, kwargs]))
        except TypeError:
            return build(ctx, *args, **kwargs)
        return _EXPRS.get_or_make(key, lambda: build(ctx, *args, **kwargs))

    return wrapper
