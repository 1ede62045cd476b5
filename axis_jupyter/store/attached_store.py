"""The embedded store's part for attached datasets (see :mod:`.attached`).

:class:`AttachedDatasets` is mixed into :class:`~.local.LocalStore`. An attached dataset
has metadata like any other (``info(name)["attached"]`` says where it lives: engine, a
target without credentials, the table and the column plan) but no DuckDB tables; its reads
(analytics, rows, view payloads) get an :class:`~axis_jupyter.analytics.AnalyticContext`
whose tables are Ibis projections on the engine and whose runner executes there, on the
store's read pool, under the caller's read budget.

Engines are kept per process: the live backend handed to :meth:`attach_dataset`, or one
re-created from the stored description by :meth:`connect_attached` the first time the
dataset is read after the store opened (:mod:`axis_jupyter.attach` provides it; the plain
store cannot). :meth:`connect_attached_all` re-creates them all (the server does it at
start, off its event loop).
"""

from __future__ import annotations

import logging
import threading
from time import perf_counter
from typing import Any, Callable

import ibis

from ..analytics import AnalyticContext
from ..errors import AxisError, IngestError, QueryError, StoreError
from . import attached as att
from .dataset import Dataset
from .names import check_name

log = logging.getLogger("axis_jupyter.attach")


class AttachedDatasets:
    """Attach, read and forget datasets that live in another engine."""

    _engines: dict[str, tuple[Any, att.EngineReads, dict]]
    _engines_lock: threading.Lock

    def _init_attached(self) -> None:
        self._engines = {}  # name -> (updated stamp, reads, role tables)
        self._engines_lock = threading.Lock()
        self._backends: dict[str, Any] = {}  # description key -> live backend

    # ------------------------------------------------------------------ attach / forget
    def attach_dataset(self, name: str, backend, table: str, *, description: dict,
                       kind: str = "auto", mapping: dict | None = None,
                       database: str | None = None) -> Dataset:
        """Attach table ``table`` of the live Ibis ``backend`` as dataset ``name``:
        detect kind and layout from its columns, compute its metadata there and save it.
        ``description`` (engine, target, the secret-free way to connect again) is stored
        as given; it must carry no secret. Replaces a dataset of that name."""
        name = check_name(name)
        if mapping is not None and not isinstance(mapping, dict):
            raise IngestError("mapping must be a dict of {your_column: canonical_column}.")
        engine = description.get("engine") or getattr(backend, "name", "ibis")
        label = f"{engine} table {table}"
        raw = self._engine_table(backend, table, database, label)
        plan = att.make_plan(raw, kind, mapping, label)
        tables = att.project(raw, plan)
        reads = att.EngineReads(backend, engine)
        attached = {**description, "engine": engine, "table": table, "database": database,
                    "mapping": mapping or None}
        try:
            info = self._engine_read(name, reads, lambda: att.compute_info(
                name, reads.execute, tables, plan, attached))
        except AxisError:
            raise
        except Exception as exc:  # noqa: BLE001 - the engine's own error, one line
            log.info("attach: %s: counting failed: %s", label, exc)
            raise IngestError(f"{label}: the engine could not count the dataset "
                              f"({_first_line(exc)}).",
                              public=f"{label}: the engine could not count the dataset; check "
                                     "its column types.") from None
        old = self._meta.get(name)

        def tx(cur):
            from ..ingest.readers import quote_ident

            if old and not old.get("attached"):
                cur.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}")
                for t in old.get("tables", []):
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
            info["version"] = (old or {}).get("version", 0) + 1
            self.save_info(cur, name, info)

        self.write(tx)
        with self._engines_lock:
            self._backends[_key(description)] = backend
            self._engines[name] = (info["updated"], reads, tables)
        for w in info.get("warnings", []):
            import warnings

            warnings.warn(w, UserWarning, stacklevel=3)
        return Dataset(self, name, info["kind"])

    def _forget_engine(self, name: str) -> None:
        with self._engines_lock:
            self._engines.pop(name, None)

    @staticmethod
    def _engine_table(backend, table: str, database: str | None, label: str) -> ibis.Table:
        if not isinstance(table, str) or not table.strip():
            raise IngestError("table must name a table of the engine (e.g. table='results').")
        if database is None and "." in table:
            database, _, table = table.rpartition(".")
        try:
            return backend.table(table, database=database) if database else backend.table(table)
        except Exception as exc:  # noqa: BLE001 - each engine has its own "not found"
            log.info("attach: %s: %s", label, exc)
            raise IngestError(f"{label}: the engine has no such table (or it cannot be read: "
                              f"{_first_line(exc)}).",
                              public=f"{label}: the engine has no such table, or it cannot be "
                                     "read with these credentials.") from None

    # ------------------------------------------------------------------ connections
    def connect_attached(self, description: dict):
        """A live Ibis backend for a stored description. The plain store cannot make one:
        the workbench's stores (``axis_jupyter.connect()``) can."""
        raise StoreError(f"attached dataset on {description.get('engine')}: this store cannot "
                         "reconnect to it; open the store with axis_jupyter.connect().")

    def is_attached(self, name: str) -> bool:
        return bool(self.info(name).get("attached"))

    def _engine_for(self, name: str, info: dict) -> tuple[att.EngineReads, dict]:
        """The dataset's engine and role tables, re-created from its description when this
        process has none yet (or the dataset was attached again meanwhile)."""
        with self._engines_lock:
            hit = self._engines.get(name)
            if hit is not None and hit[0] == info["updated"]:
                return hit[1], hit[2]
        desc = info["attached"]
        key = _key(desc)
        with self._engines_lock:
            backend = self._backends.get(key)
        if backend is None:
            try:
                backend = self.connect_attached(desc)
            except AxisError:
                raise
            except Exception as exc:  # noqa: BLE001 - the engine's own error, logged
                log.warning("attach: cannot reconnect %s (%s): %s", name, desc.get("target"), exc)
                raise StoreError(f"dataset {name!r} is attached to {desc.get('engine')} "
                                 f"{desc.get('target', '')}, which cannot be reached now: check "
                                 "the engine, its address and credentials.") from None
        raw = self._engine_table(backend, desc["table"], desc.get("database"), f"dataset {name!r}")
        tables = att.project(raw, att.Plan.from_dict(desc["plan"]))
        reads = att.EngineReads(backend, desc.get("engine") or backend.name)
        with self._engines_lock:
            self._backends[key] = backend
            self._engines[name] = (info["updated"], reads, tables)
        return reads, tables

    def connect_attached_all(self) -> dict[str, str | None]:
        """Re-create the engine of every attached dataset now; ``{name: error or None}``
        (errors are logged, never raised: one unreachable engine must not stop the rest)."""
        out: dict[str, str | None] = {}
        for name, info in self.infos().items():
            if info.get("attached"):
                try:
                    self._engine_for(name, info)
                    out[name] = None
                except Exception as exc:  # noqa: BLE001 - reported per dataset
                    log.warning("attach: %s: %s", name, exc)
                    out[name] = str(exc)
        return out

    # ------------------------------------------------------------------ reads
    def attached_context(self, name: str, timing: dict | None = None) -> AnalyticContext:
        """The analytic context of an attached dataset: its roles on the engine, and a
        runner that executes there (``timing``: milliseconds compiling and running)."""
        info = self.info(name)
        reads, tables = self._engine_for(name, info)

        def timed(fetch: Callable):
            def run(expr):
                t0 = perf_counter()
                try:
                    return fetch(expr)
                except AxisError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the engine's error, one line
                    from . import budget as budgets

                    b = budgets.current()
                    if b is not None and b.reason is not None:
                        raise
                    log.info("attached read of %s failed: %s", name, exc)
                    raise QueryError(f"dataset {name!r}: the query failed on "
                                     f"{reads.engine}: {_first_line(exc)}") from None
                finally:
                    if timing is not None:
                        timing["duckdb_ms"] = timing.get("duckdb_ms", 0.0) + (perf_counter() - t0) * 1000
            return run

        if timing is not None:
            timing["engine"] = reads.engine
        return AnalyticContext(tables=dict(tables), run=timed(reads.execute), info=info,
                               run_records=timed(reads.records))

    def _engine_read(self, name: str, reads: att.EngineReads, fn: Callable[[], Any]):
        """Run ``fn()`` (which executes on ``reads``' engine) on the read pool under the
        caller's budget; a budget that runs out stops the engine's work."""
        self._check_open()
        budget = self._budget()

        def work():
            with att._Interrupt(reads) as stop:
                self._count("active", 1)
                try:
                    with budget.attached(stop):
                        return fn()
                finally:
                    self._count("active", -1)

        return self._pool.submit(work).result()

    def attached_read(self, name: str, fn: Callable[[AnalyticContext], Any],
                      timing: dict | None = None):
        """``fn(ctx)`` with the attached dataset's context, on the read pool."""
        ctx = self.attached_context(name, timing)
        reads, _ = self._engine_for(name, self.info(name))
        return self._engine_read(name, reads, lambda: fn(ctx))


def _key(description: dict) -> str:
    """Datasets attached through the same connection share one backend."""
    import json

    conn = {k: v for k, v in description.items()
            if k not in ("table", "database", "mapping", "plan", "kind")}
    return json.dumps(conn, sort_keys=True, default=str)


def _first_line(exc: BaseException) -> str:
    """The engine's first line about the error, short (no plan, no query text after it)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "error"
    text = text.split(" SQLSTATE")[0].split("; line ")[0]
    return text[:240]
