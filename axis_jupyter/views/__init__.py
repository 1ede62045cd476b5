"""Inline views (anywidget) and the registry the magic and the server dispatch on.

A view is registered with a widget factory and any number of *actions*: functions
``action(store, dataset, **params) -> JSON-able dict`` that compute what the front end shows.
The front end calls an action either over HTTP (``POST {base}axis/api/datasets/{name}/views/
{view}/{action}``, answered by the server extension) or, without a server, through an
anywidget message answered by the kernel. Both run the same function, so the two transports
always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import NotFoundError, QueryError


@dataclass
class ViewSpec:
    name: str
    description: str
    widget: Callable[..., Any]  # (store, dataset, **options) -> widget
    actions: dict[str, Callable[..., dict]] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()


VIEWS: dict[str, ViewSpec] = {}


def register_view(spec: ViewSpec) -> ViewSpec:
    VIEWS[spec.name] = spec
    return spec


def get_view(name: str) -> ViewSpec:
    _load_builtin_views()
    try:
        return VIEWS[name]
    except KeyError:
        raise NotFoundError(f"unknown view {name!r}; views: {', '.join(sorted(VIEWS)) or 'none'}.") from None


def call_action(store, dataset: str | None, view: str, action: str, params: dict | None) -> dict:
    """Run a view action; the server extension and the kernel fallback both call this."""
    spec = get_view(view)
    fn = spec.actions.get(action)
    if fn is None:
        raise QueryError(f"view {view!r} has no action {action!r} (actions: {', '.join(spec.actions)}).")
    from .parameters import check_params  # types and ranges: a ParameterError naming the bad one

    return fn(store, dataset, **check_params(view, action, params or {}, fn))


# Modules that register views when imported. Each view lives in its own module.
BUILTIN_VIEW_MODULES: list[str] = [
    "axis_jupyter.views.scorecard",
    "axis_jupyter.views.deepdive",
    "axis_jupyter.views.compare",
    "axis_jupyter.views.monitor",
    "axis_jupyter.views.production",
    "axis_jupyter.views.database",
    "axis_jupyter.views.runner",
]


def _load_builtin_views() -> None:
    from ..analytics.registry import import_optional

    import_optional(BUILTIN_VIEW_MODULES)
