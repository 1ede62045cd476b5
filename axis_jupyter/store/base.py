"""The store interface shared by the embedded (local) and the server-backed (remote) store.

User code only ever sees :class:`Store` and :class:`Dataset`; whether DuckDB runs in this
process or in the Jupyter server is a transport detail. A store holds datasets and runs
analytics and queries; features built on stores (sources and sync, evaluation runs) live in
their own packages and are added to the stores ``connect()`` returns by
:mod:`axis_jupyter.workbench`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import pandas as pd

from .dataset import Dataset


class Store(ABC):
    """A collection of named datasets in one DuckDB file."""

    location: str

    # -- datasets ---------------------------------------------------------------------
    @abstractmethod
    def load(self, source: Any, name: str | None = None, kind: str = "auto",
             mapping: dict[str, str] | None = None, encoding: str = "utf-8") -> "Dataset":
        """Load a file or frame as dataset ``name`` (replacing it atomically)."""

    @abstractmethod
    def datasets(self) -> pd.DataFrame:
        """name, kind, layout, rows, records, columns, updated."""

    @abstractmethod
    def info(self, name: str) -> dict:
        """The dataset's metadata (kind, layout, columns, filter values, time range, ...)."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Delete a dataset."""

    # -- reads ------------------------------------------------------------------------
    @abstractmethod
    def sql(self, query: str) -> pd.DataFrame:
        """Run one read-only SELECT and return the result."""

    @abstractmethod
    def analytic(self, dataset: str, name: str, **params) -> pd.DataFrame:
        """Run analytic ``name`` on ``dataset`` (see axis_jupyter.analytics.registry)."""

    @abstractmethod
    def rows(self, dataset: str, *, page: int = 1, page_size: int = 50, sort_by: str | None = None,
             descending: bool = False, search: str | None = None, filters: dict | None = None,
             columns: list[str] | None = None, parse: bool = False) -> tuple[pd.DataFrame, int]:
        """One page of the dataset's canonical long view and the total matching row count."""

    @abstractmethod
    def table(self, name: str):
        """The dataset's canonical table as an Ibis table expression."""

    @abstractmethod
    def execute(self, expr) -> pd.DataFrame:
        """Run an Ibis expression built on :meth:`table` where the data lives."""

    def close(self) -> None:  # pragma: no cover - trivial default
        pass

    # -- convenience shared by both implementations --------------------------------------
    def dataset(self, name: str) -> "Dataset":
        meta = self.info(name)
        return Dataset(self, name, meta["kind"])

    def __getitem__(self, name: str) -> "Dataset":
        return self.dataset(name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def dataset_sizes(self, infos: list[dict]) -> dict:
        """Bytes each dataset takes on disk, by name; None where this store cannot tell (a
        store of another process answers with its server's own sizes)."""
        return {i["name"]: None for i in infos}

    # -- rich display: a plain HTML table here; the data manager widget under IPython ----
    def _repr_html_(self) -> str:
        from .display import datasets_html

        return datasets_html(self)

    def _ipython_display_(self) -> None:
        # Only IPython calls this, so the notebook face (which imports IPython and
        # anywidget) is loaded here by name and never by a script using the engine.
        import importlib

        importlib.import_module(f"{__package__.rpartition('.')[0]}.notebook.manager").display_store(self)
