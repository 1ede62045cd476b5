"""A handle on one dataset; its analytics are methods made from the analytics registry.

Each analytic of :data:`axis_jupyter.analytics.registry.ANALYTICS` with a ``method`` name
becomes ``Dataset.<method>``: the analytic's own parameters (minus the context) and
docstring, so ``help(ds.trends)``, ``ds.trends?`` and tab completion show them, and a
parameter is declared once, on the analytic. Keyword arguments that are not parameters
filter the rows (``ds.summary(evaluation_name="v2")``), as ``filters=`` does over HTTP.
Analytics registered later (plugins) are reachable as methods too.
"""

from __future__ import annotations

import inspect
from typing import Any

import pandas as pd

from ..analytics import registry
from ..errors import QueryError

_P = inspect.Parameter
FILTERS_DOC = ("\n\nOther keyword arguments filter the rows first, by column value\n"
               "(``evaluation_name=\"v2\"``, a list for several values,\n"
               "``time_range=[start, end]``).")


def analytic_method(a: registry.Analytic):
    """``Dataset.<a.method>``: runs analytic ``a`` on the dataset where its data lives."""
    params = [p for p in a.parameters() if p.name != "filters"]
    takes_filters = len(params) < len(a.parameters())
    if takes_filters:
        params.append(_P("filters", _P.VAR_KEYWORD))
    signature = inspect.Signature([_P("self", _P.POSITIONAL_OR_KEYWORD), *params],
                                  return_annotation=pd.DataFrame)
    name = a.name

    def method(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise QueryError(f"{a.method}(): {exc}") from None
        given = dict(bound.arguments)
        given.pop("self")
        filters = given.pop("filters", None) if takes_filters else None
        return self.analytic(name, **given, filters=filters or None) if takes_filters \
            else self.analytic(name, **given)

    method.__name__ = a.method
    method.__qualname__ = f"Dataset.{a.method}"
    method.__module__ = __name__
    method.__doc__ = inspect.cleandoc(a.fn.__doc__ or a.doc) + (FILTERS_DOC if takes_filters else "")
    method.__signature__ = signature
    return method


class Dataset:
    """A handle on one dataset. Analytics run where the data lives and return DataFrames."""

    def __init__(self, store, name: str, kind: str):
        """``store``: the :class:`~axis_jupyter.store.base.Store` holding dataset ``name``."""
        self.store, self.name, self.kind = store, name, kind

    def __repr__(self) -> str:
        return f"<Dataset {self.name!r} kind={self.kind} in {self.store.location}>"

    @property
    def info(self) -> dict:
        return self.store.info(self.name)

    def table(self):
        return self.store.table(self.name)

    def to_pandas(self, limit: int | None = 100_000) -> pd.DataFrame:
        df, _ = self.store.rows(self.name, page=1, page_size=limit or 10**12)
        return df

    def rows(self, **kw) -> tuple[pd.DataFrame, int]:
        return self.store.rows(self.name, **kw)

    def analytic(self, name: str, **params) -> pd.DataFrame:
        """Run analytic ``name`` (see :mod:`axis_jupyter.analytics.registry`)."""
        return self.store.analytic(self.name, name, **params)

    def export_comparison(self, baseline=None, challenger=None, format: str = "markdown",
                          metrics=None, alpha: float = 0.05, tie_band: float = 0.01, **filters) -> str:
        """The comparison as CSV, JSON or Markdown text."""
        from ..analytics import compare_export as fmt

        res = self.compare(baseline, challenger, metrics=metrics, alpha=alpha, **filters)
        if format == "csv":
            return fmt.export_csv(res)
        b, c = (res.baseline.iloc[0], res.challenger.iloc[0]) if len(res) else (baseline, challenger)
        wins = self.win_loss(b, c, metrics=metrics, tie_band=tie_band, **filters)
        if format == "json":
            return fmt.export_json(res, wins, baseline=b, challenger=c, alpha=alpha, tie_band=tie_band,
                                   verdict=fmt.verdict(res) if len(res) else None)
        if format not in ("markdown", "md"):
            raise QueryError("format must be csv, json or markdown.")
        return fmt.export_markdown(res, wins)

    def display_config(self, config: dict | None = None) -> dict:
        """Human signals: the merged display config - kpi_strip, chart_sections, filters,
        table_columns, color_maps (``signals_metrics.yaml`` and ``config`` over the one
        generated from the schema; see :mod:`axis_jupyter.signals.display`)."""
        from ..signals import api

        return api.display_config(self.store, self.name, config)

    # Analytics registered after this class was made (plugins) ---------------------------
    def __getattr__(self, attr: str):
        a = registry.by_method().get(attr) if not attr.startswith("_") else None
        if a is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        return analytic_method(a).__get__(self, type(self))

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(registry.by_method()))


for _a in registry.by_method().values():
    if hasattr(Dataset, _a.method):
        raise RuntimeError(f"analytic {_a.name!r}: Dataset already has a {_a.method!r} attribute")
    setattr(Dataset, _a.method, analytic_method(_a))
del _a
