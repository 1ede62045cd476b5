"""What ``axis_jupyter.connect()`` returns: a store plus the features built on stores.

Layering: :mod:`axis_jupyter.store` knows datasets, queries and analytics only. Sources and
sync (:mod:`axis_jupyter.sync`) and evaluation runs (:mod:`axis_jupyter.evals`) are built on
the store's public API. The user-facing calls that reach them — ``axis.add_source``,
``axis.sync``, ``axis.metrics``, ``axis.evaluate`` — are the methods of :class:`Workbench`,
composed here, above both, with the two stores::

    class LocalStore(Workbench, store.local.LocalStore)     # DuckDB in this process
    class RemoteStore(Workbench, store.remote.RemoteStore)  # the Jupyter server's, over HTTP

so nothing below this module imports sync or evals, and there is no import cycle. A later
feature adds its user calls to :class:`Workbench` the same way (each a short forwarder to
its package). The classes keep their store names (``axis_jupyter.LocalStore(path)``); they
are subclasses, so code that checks ``isinstance(s, store.local.LocalStore)`` still holds.

Which store :func:`connect` opens: the shared store (the Jupyter server's when this
process is one of its kernels, else ``$AXIS_STORE``, else ``~/.axis/axis.duckdb``), one
per file per process (:func:`open_local`). Inside the server process itself ``connect()``
returns the store the extension opened with ``open_local(..., shared=True)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import config
from .errors import IngestError, StoreError
from .jobs import JobRunner
from .store import local, remote
from .store.local import live_store
from .store.base import Store
from .store.dataset import Dataset


class Workbench:
    """The user calls built on a store: PostgreSQL sources and sync, evaluation runs,
    annotations and judge calibration, the copilot, decision memory and its knowledge
    graph (and, on datasets, reports: ``Dataset.report`` below)."""

    # -- PostgreSQL sources (axis_jupyter.sync) ------------------------------------------
    def add_source(self, name: str, kind: str, url: str, dataset_query: str,
                   results_query: str | None = None, incremental_column: str | None = None,
                   partition_column: str | None = None, refresh_interval_minutes: float = 0,
                   **options) -> dict:
        """Save a PostgreSQL source as YAML under the config dir (secrets stay in env vars:
        ``password_env="PGPASSWORD_PROD"``). Returns its public description (no secrets)."""
        from . import sync

        return sync.add_source(self, name, kind, url, dataset_query, results_query=results_query,
                               incremental_column=incremental_column,
                               partition_column=partition_column,
                               refresh_interval_minutes=refresh_interval_minutes, **options)

    def remove_source(self, name: str) -> None:
        """Delete a saved source (its YAML file); the dataset it synced stays. Raises
        ``NotFoundError`` for an unknown source and ``ConflictError`` while it syncs."""
        from . import sync

        sync.delete_source(self, name)

    def sync(self, name: str | None = None, full: bool = False, progress=None) -> pd.DataFrame:
        """Sync one source (or all enabled ones); returns the status per dataset.
        ``progress``: called with each progress dict (source, phase, rows, ...)."""
        from . import sync

        return sync.sync(self, name, full=full, progress=progress)

    # -- evaluation runs (axis_jupyter.evals; they run in this process) -------------------
    def metrics(self) -> pd.DataFrame:
        """The metric catalogue: key, name, needs_llm, required_fields, threshold, ..."""
        from .evals.api import metrics_catalogue

        return metrics_catalogue()

    def evaluate(self, source: Any, metrics: list, mapping: dict[str, str] | None = None,
                 name: str | None = None, **kwargs) -> Dataset:
        """Score a dataset (by name) or a file/frame with ``metrics`` and load the results
        as evaluation dataset ``name``; ``agent={url, body, answer_path, headers_env}`` fills
        empty outputs from your agent first, ``provider=``/``model=`` pick the judges.
        Returns an ``EvalRun``. See :func:`axis_jupyter.evals.evaluate.evaluate`."""
        from .evals.evaluate import evaluate

        return evaluate(self, source, metrics, mapping=mapping, name=name, **kwargs)

    def run(self, name: str):
        """Re-open the evaluation run whose results are dataset ``name`` (an ``EvalRun``:
        ``export``, ``failed``, ``rerun_failed``, ``compare_with``, and every analytic)."""
        from .evals.results import open_run

        return open_run(self, name)

    def runs(self) -> pd.DataFrame:
        """The stored evaluation runs: name, source, run_id, metrics, agent, rows, records,
        updated (newest first)."""
        from .evals.results import list_runs

        return list_runs(self)

    def test_agent(self, agent: dict, query: str = "Hello, how are you?") -> dict:
        """Call your agent once with ``query`` and show the raw reply and the answer
        extracted from it (from where runs are executed: the server for a server's store)."""
        if isinstance(self, remote.RemoteStore):
            import json

            return self.request_json("POST", "evals", "agent", "test",
                                     content=json.dumps({"agent": agent, "query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
        from .evals.agent import test_connection

        return test_connection(agent, query)

    # -- the copilot (axis_jupyter.copilot) ----------------------------------------------
    def ask(self, question: str, *, datasets=None, new: bool = False, conversation=None,
            budget=None, on_event=None):
        """Ask the data in plain words; returns an Answer (``text``, ``queries``, ``steps``,
        ``code()``). Follow-ups continue the conversation unless ``new=True``; ``datasets``
        limits it, ``budget={"tool_calls", "tokens", "cost"}`` bounds it, ``on_event(event,
        data)`` sees each step as it happens. Without ANTHROPIC_API_KEY: rule-based quick
        insights. See :func:`axis_jupyter.copilot.api.ask`."""
        from .copilot.api import ask

        return ask(self, question, datasets=datasets, new=new, conversation=conversation,
                   budget=budget, on_event=on_event)

    # -- alignment (axis_jupyter.alignment): labels, judge calibration --------------------
    def annotations(self, name: str, annotator: str | None = None):
        """The labels of dataset ``name``, written as you: ``set``, ``undo``, ``frame``,
        ``history``, ``export``, ``import_csv``. See :class:`axis_jupyter.alignment.Annotations`."""
        from .alignment import Annotations

        return Annotations(self, name, annotator=annotator)

    def calibrate(self, name: str, judge: Any = None, **kwargs):
        """Run an LLM judge (a dict, a YAML file or a saved judge's ``name@version``) over the
        labelled records of ``name`` and measure it against them: a Calibration with
        ``records``, ``metrics``, ``misalignment()``, ``optimize()``, ``apply()``,
        ``history()``. See :func:`axis_jupyter.alignment.calibrate`."""
        from .alignment import calibrate

        return calibrate(self, name, judge, **kwargs)

    # -- decision memory and the knowledge graph (axis_jupyter.graph) --------------------
    def load(self, source: Any, name: str | None = None, kind: str = "auto",
             mapping: dict[str, str] | None = None, encoding: str = "utf-8", *,
             roles: dict[str, str] | None = None, **kwargs) -> Dataset:
        """Load a file or frame as dataset ``name`` (see the store's ``load``).
        ``roles={role: your_column}`` (rules: ``{"name": "title", "group_by": "factor"}``)
        says which of your columns plays each role of a rules dataset; it implies
        ``kind="rules"`` and overrides ``field_roles`` of ``memory.yaml``."""
        if roles is not None:
            from .memory_config import roles_mapping

            if kind not in ("auto", "rules"):
                raise IngestError(f"roles= is for rules datasets, not kind={kind!r}.")
            kind, mapping = "rules", {**roles_mapping(roles), **(mapping or {})}
        return super().load(source, name=name, kind=kind, mapping=mapping, encoding=encoding,
                            **kwargs)

    def rules(self, name: str | None = None):
        """The rules of rules dataset ``name`` (None: the only one): ``create(**fields)``,
        ``update(rule_id, **fields)``, ``delete(rule_id)``, ``get``, ``history()``."""
        from .graph import open_rules

        return open_rules(self, name)

    def graph(self, name: str | None = None):
        """The knowledge graph of rules dataset ``name`` (None: the only one), kept in step
        with its rules: ``summary()``, ``subgraph()``, ``search(text)``,
        ``neighbourhood(node_id, depth)``."""
        from .graph import open_graph

        return open_graph(self, name)

    def drop(self, name: str) -> None:
        super().drop(name)
        from .graph import api

        api.dataset_dropped(self, name)  # its knowledge graph, if one was built here

    def close(self) -> None:
        from .graph import connection

        connection.close_for(self)  # an embedded FalkorDB stops with its store
        super().close()


def _report(self: Dataset, kind: str = "summary", *, mode: str = "low", threshold: float = 0.5,
            metrics=None, node: str | None = None, sample_rate: float = 1.0,
            max_issues: int = 100, include_nan: bool = False, fields=None,
            on_event=None, **filters):
    """An AI report on the dataset's issues: ``kind`` summary, detailed, grouped or
    recommendations; ``mode`` low (score <= threshold), high or overall; ``metrics`` or a
    metric-tree ``node`` (it and everything below it); ``sample_rate``, ``max_issues``,
    ``include_nan`` and ``fields`` as for :meth:`issues`. Other keyword arguments filter the
    rows (``evaluation_name="v2"``). Streams its steps to ``on_event(event, data)``; returns
    a Report (``.text``, ``.insights``, ``.save("report.md")``). Needs ANTHROPIC_API_KEY."""
    from .reports.api import report

    return report(self.store, self.name, kind, mode=mode, threshold=threshold, metrics=metrics,
                  node=node, sample_rate=sample_rate, max_issues=max_issues,
                  include_nan=include_nan, fields=fields, filters=filters or None,
                  on_event=on_event)


# ``ds.report(...)``: a Dataset method of a feature above the store, added here like the
# workbench calls above (the store layer knows nothing of reports).
Dataset.report = _report


class LocalStore(Workbench, local.LocalStore):
    """The embedded DuckDB store (see :class:`axis_jupyter.store.local.LocalStore`) with
    the workbench calls. Prefer :func:`connect` to constructing it."""


class RemoteStore(Workbench, remote.RemoteStore):
    """The Jupyter server's store over HTTP (see :class:`axis_jupyter.store.remote.RemoteStore`)
    with the workbench calls."""


_OPEN: dict[str, LocalStore] = {}
_SHARED: list[LocalStore] = []  # the store a server extension opened in this process


def connect(path: str | None = None, *, concurrency: int | None = None) -> Store:
    """Open the AXIS store.

    ``path=None``: the shared store — the Jupyter server's when this process was started by
    a server running the AXIS extension, else ``$AXIS_STORE``, else ``~/.axis/axis.duckdb``.
    ``":memory:"`` gives a throwaway store. Any other path opens that DuckDB file here.
    """
    if path is None:
        shared = next((s for s in _SHARED if not s.closed), None)
        if shared is not None:  # this process is the server: no HTTP to itself
            return shared
        server = RemoteStore.from_env()
        if server is not None:
            return server
    return open_local(path, concurrency=concurrency)


def open_local(path: str | None = None, *, concurrency: int | None = None,
               jobs: JobRunner | None = None, shared: bool = False,
               query_timeout: float | None = None) -> LocalStore:
    """One LocalStore per file per process, so the magic and ``connect()`` share metadata
    (and DuckDB's one sandboxed database per file: a store this process already opened on
    the file directly is the one returned).

    ``jobs``: the runner for the store's long work (default: the store's own).
    ``shared=True``: this process serves the store to others (the Jupyter server extension
    opens its store so); ``connect()`` with no path then returns it while it is open.
    ``query_timeout``: seconds a read may take (default ``AXIS_QUERY_TIMEOUT``).
    """
    path = str(path) if path is not None else config.default_store_path()
    if path == ":memory:":
        store = LocalStore(path, concurrency=concurrency, jobs=jobs, query_timeout=query_timeout)
    else:
        key = str(Path(path).expanduser().resolve())
        store = _OPEN.get(key)
        if store is None or store.closed:
            store = _OPEN[key] = live_store(key) or LocalStore(
                key, concurrency=concurrency, jobs=jobs, query_timeout=query_timeout)
        if jobs is not None and not store.uses_runner(jobs):
            raise StoreError(f"the store {key} is already open in this process with another "
                             "job runner; close it first.")
    if shared:
        _SHARED[:] = [store]
    return store
