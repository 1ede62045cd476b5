"""The views by name, and how one of their actions is run.

A view's *actions* are functions ``action(store, dataset, **params) -> dict`` that compute
what its front end shows (aggregates, one page of rows) as JSON-ready data. A chart is named,
not drawn: an action puts ``chart(name, **data)`` under its result's ``chart`` or ``charts``
key, and the face that answers the front end (the widget in the kernel, the server extension
over HTTP) builds the Vega-Lite spec of that name (``axis_jupyter.notebook.charts``), so the
engine never imports a plotting library.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import NotFoundError, QueryError
from .params import check

CHART_KEY = "$chart"


@dataclass(frozen=True)
class ViewSpec:
    name: str
    description: str
    actions: dict[str, Callable[..., dict]] = field(default_factory=dict)
    #: the dataset kinds the view shows; () when it needs no dataset
    kinds: tuple[str, ...] = ()
    #: columns a dataset must have for the view to show it, and what such data is called:
    #: a dataset without them gets "deepdive needs evaluation data ..." before any query
    requires: tuple[str, ...] = ()
    data: str = ""
    #: actions that do more than show data, with the authorization resource whose ``write``
    #: they also need over HTTP (e.g. the database view's ``connect`` -> ``axis:database``),
    #: so granting ``axis:views`` never grants a sync, a database connection or a run
    guarded: dict[str, str] = field(default_factory=dict)
    #: the columns its filter bar offers (None: every filterable column of the dataset)
    filter_keys: tuple[str, ...] | None = None


VIEWS: dict[str, ViewSpec] = {}
_loaded = False


def _load_builtin() -> None:
    """Every module of this package that defines ``SPEC`` is a view: a new view needs no
    line here."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    package = __name__.rpartition(".")[0]
    for found in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__), key=lambda m: m.name):
        spec = getattr(importlib.import_module(f"{package}.{found.name}"), "SPEC", None)
        if isinstance(spec, ViewSpec):
            VIEWS.setdefault(spec.name, spec)


def views() -> dict[str, ViewSpec]:
    """Every registered view by name."""
    _load_builtin()
    return VIEWS


def get_view(name: str) -> ViewSpec:
    _load_builtin()
    try:
        return VIEWS[name]
    except KeyError:
        raise NotFoundError(f"unknown view {name!r}; views: {', '.join(sorted(VIEWS)) or 'none'}.") from None


def call_action(store, dataset: str | None, view: str, action: str, params: dict | None = None) -> dict:
    """Run one action of a view, its parameters checked first (a ParameterError names a bad
    one); its charts are still requests (see the module docstring)."""
    spec = get_view(view)
    fn = spec.actions.get(action)
    if fn is None:
        from .filterbar import shared_action  # filter_options and code: every view has them

        fn = shared_action(spec, action)
    if fn is None:
        raise QueryError(f"view {view!r} has no action {action!r} (actions: {', '.join(spec.actions)}, "
                         "filter_options, code).")
    if dataset and spec.requires:
        suits(spec, dataset, store.info(dataset))
    return fn(store, dataset, **check(view, action, params or {}, fn))


KIND_NAMES = {"evals": "evaluation", "monitoring": "monitoring", "annotations": "annotations",
              "signals": "human signals", "kpi": "KPI", "rules": "rules"}


def suits(spec: ViewSpec, dataset: str, info: dict) -> None:
    """Raise a QueryError saying what data the view needs when ``dataset`` lacks the
    columns it requires (rather than a missing-column error from deep inside a query)."""
    have = {c["name"] if isinstance(c, dict) else str(c) for c in info.get("columns") or []}
    missing = [c for c in spec.requires if c not in have]
    if not missing:
        return
    kind = KIND_NAMES.get(info.get("kind"), info.get("kind") or "unknown")
    shows = [v.name for v in views().values() if v.requires and info.get("kind") in v.kinds]
    raise QueryError(f"{spec.name} needs {spec.data or 'other data'} ({', '.join(spec.requires)}); "
                     f"{dataset!r} is {'an' if kind[0] in 'aeiou' else 'a'} {kind} dataset, which has no "
                     f"{' or '.join(missing)}." + (f" Show it with: {', '.join(shows)}." if shows else ""))


def chart(name: str, /, **data: Any) -> dict:
    """A request for chart ``name`` drawn from ``data`` (rows, titles, flags: JSON values)."""
    return {CHART_KEY: name, **data}
