"""The table of metric classes by key, and ``@metric`` that fills it.

Metric modules (built-ins, plugins, notebook cells) import only this module to register;
lookups, discovery and the catalogue are in :mod:`.registry`.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from .base import Metric, MetricConfigError

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")

_registry: dict[str, type[Metric]] = {}
_lock = threading.RLock()


def _validate(cls: type[Metric]) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise MetricConfigError(f"{cls!r} is not a Metric subclass")
    if not _KEY_RE.match(cls.key or ""):
        raise MetricConfigError(f"metric key {cls.key!r} must be snake_case (a-z, 0-9, _)")
    if not cls.name:
        cls.name = cls.key.replace("_", " ").title()


def register(cls: type[Metric], *, replace: bool = True) -> type[Metric]:
    """Add a metric class to the catalogue. Re-registering a key replaces it (so a
    notebook cell can be re-run), unless ``replace=False``."""
    _validate(cls)
    with _lock:
        if not replace and cls.key in _registry and _registry[cls.key] is not cls:
            raise MetricConfigError(f"metric key {cls.key!r} is already registered")
        _registry[cls.key] = cls
    return cls


def metric(cls: type[Metric] | None = None, **attrs: Any):
    """Class decorator: ``@metric`` or ``@metric(key=..., name=..., tags=(...))``."""

    def wrap(c: type[Metric]) -> type[Metric]:
        for k, v in attrs.items():
            setattr(c, k, tuple(v) if k.endswith(("fields", "tags")) else v)
        return register(c)

    return wrap(cls) if cls is not None else wrap


def unregister(key: str) -> None:
    with _lock:
        _registry.pop(key, None)
