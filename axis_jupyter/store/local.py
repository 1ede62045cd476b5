"""The embedded store: one DuckDB file opened read-write by this process.

* The database is a sandbox (see :mod:`.sandbox`): DuckDB itself refuses any file, network or
  extension access from SQL, except a staging folder through which loads reach it.
* One persistent connection; every read runs on its own cursor in a worker thread, and the
  pool size bounds how many reads run at once (``AXIS_QUERY_CONCURRENCY``, default 8). Each
  read is bounded by a :class:`~.budget.ReadBudget` (time limit, cancellation, result caps):
  the caller's (the server's per request or job) or the store's default time limit
  (``AXIS_QUERY_TIMEOUT``, default 60 s).
* Writes are serialised by a lock and run in one transaction: a load writes new versioned
  tables, points the dataset's view at them, updates the metadata and drops the old tables,
  all before COMMIT. Readers see the old dataset or the new one, never a partial one, and a
  failed load leaves everything as it was.
* Metadata (kind, layout, columns, filter values, time range, counts) lives in the
  ``_axis_datasets`` table of the same file and is cached in memory.
* Long work on the store (uploads, syncs, evaluation runs) runs as jobs of ``store.jobs``
  (see :mod:`axis_jupyter.jobs`).

The writer API that ``load`` and the PostgreSQL sync share (other writers use it too):

* :meth:`LocalStore.write` runs ``fn(cursor)`` in one transaction under the write lock;
  :meth:`LocalStore.cursor` gives a cursor for long work outside the lock (staging tables
  nobody reads yet);
* :meth:`LocalStore.next_prefix` names the tables of a dataset's next version;
* :meth:`LocalStore.commit_dataset` swaps built tables in as a dataset and saves its
  metadata; :meth:`LocalStore.save_info` saves changed metadata. Both run inside
  ``write``; the metadata cache follows on COMMIT and is untouched by a ROLLBACK;
* :meth:`LocalStore.infos` is every dataset's metadata (``info`` raises for an unknown name).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import duckdb
import ibis
import pandas as pd

from .. import config
from ..analytics import AnalyticContext
from ..analytics import registry as analytics_registry
from ..analytics.context import duckdb_runner
from ..errors import (IngestError, NotFoundError, QueryCancelledError, QueryError, QueryTimeoutError,
                      StoreError, StoreLockedError)
from ..ingest import build
from ..ingest.jsonish import parse_jsonish
from ..ingest.readers import NeedsCarefulRead, RetryAsText, file_source, frame_source, quote_ident
from ..jobs import JobRunner
from ..signals import cases as signal_cases
from ..summaries import Planner, build_summaries, summary_tables
from ..summaries.planner import OFF
from . import budget as budgets
from . import metadata, sandbox, scratch, sizes
from .attached_store import AttachedDatasets
from .base import Dataset, Store
from .locks import lock_holder
from .names import check_name, dataset_name_from  # noqa: F401 - importable from here
from .pages import page_of
from .sqlguard import check_select

META_TABLE = "_axis_datasets"


# Open file stores of this process by resolved path: DuckDB shares one (sandboxed, locked)
# database instance per file, so ``connect(path)`` must return the store already open on it.
_LIVE: "weakref.WeakValueDictionary[str, LocalStore]" = weakref.WeakValueDictionary()


def live_store(path: str) -> "LocalStore | None":
    """The open LocalStore of this process on the file ``path``, if any."""
    store = _LIVE.get(str(Path(path).expanduser().resolve()))
    return store if store is not None and not store._closed else None


class LocalStore(AttachedDatasets, Store):
    """Embedded DuckDB store. Prefer :func:`axis_jupyter.connect` to constructing it."""

    def __init__(self, path: str | os.PathLike | None = None, *, concurrency: int | None = None,
                 query_timeout: float | None = None, jobs: JobRunner | None = None):
        """Open (or create) the DuckDB file ``path`` (``":memory:"`` for a throwaway).
        ``jobs``: the runner for this store's long work (default: its own, made on first
        use and stopped by :meth:`close`)."""
        path = str(path) if path is not None else config.default_store_path()
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            path = str(Path(path).expanduser())
        self.location = path
        self.staging_dir, self._staging_temp = sandbox.staging_dir_for(path)
        try:
            self._con = sandbox.connect(path, self.staging_dir)
        except BaseException as exc:
            self._remove_staging()
            if not isinstance(exc, duckdb.IOException):
                raise
            msg = str(exc)
            if "lock" in msg.lower():
                holder = lock_holder(msg)
                raise StoreLockedError(
                    f"The AXIS store {path} is in use by {holder}. DuckDB lets one process "
                    "write a file at a time. In a notebook started by that Jupyter server, call "
                    "axis_jupyter.connect() with no path to share its store; otherwise stop that "
                    "process, or use another file (connect('other.duckdb') or ':memory:')."
                ) from None
            raise StoreError(f"cannot open the AXIS store {path}: {msg.splitlines()[0]}") from None
        sandbox.clear_leftovers(self.staging_dir)  # we hold the file's lock: they are ours
        self._main_db = scratch.attach(self._con)
        self._write_lock = threading.RLock()
        self._pool = ThreadPoolExecutor(max_workers=concurrency or config.query_concurrency(),
                                        thread_name_prefix="axis-read")
        self.query_timeout = config.query_timeout() if query_timeout is None else query_timeout
        self.budget_hints = dict(budgets.EMBEDDED_HINTS)  # the server names its traitlets
        self.read_stats = {"active": 0, "timed_out": 0, "cancelled": 0}
        self._stats_lock = threading.Lock()
        self._meta: dict[str, dict] = {}
        self._schemas: dict[str, ibis.Schema] = {}
        self._staged: dict[str, dict | None] = {}  # metadata written by the open transaction
        self._writer: int | None = None  # thread id inside write()
        self._jobs, self._own_jobs = jobs, jobs is None
        self._closed = False
        self._init_attached()
        self._con.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name VARCHAR PRIMARY KEY, info JSON, "
            "updated_at TIMESTAMP)"
        )
        for name, info in self._con.execute(f"SELECT name, info FROM {META_TABLE}").fetchall():
            self._meta[name] = json.loads(info)
        self._drop_orphans()
        # The Ibis backend sets its session's time zone, which the lock would refuse later.
        self._ibis = ibis.duckdb.from_connection(self._con)
        sandbox.lock(self._con)
        if path != ":memory:":
            _LIVE[str(Path(path).resolve())] = self

    def _remove_staging(self) -> None:
        if self._staging_temp:
            shutil.rmtree(self.staging_dir, ignore_errors=True)

    def _drop_orphans(self) -> None:
        """Drop tables of loads interrupted between their two transactions (a crash)."""
        live = {t for info in self._meta.values() for t in info.get("tables", [])}
        for (t,) in self._con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            if t.startswith("_axis_t_") and t not in live:
                self._con.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")

    def __repr__(self) -> str:
        return f"<LocalStore {self.location} datasets={len(self._meta)}>"

    # ------------------------------------------------------------------ threads & cursors
    def _budget(self) -> budgets.ReadBudget:
        """The caller's budget, else a fresh one with the store's default time limit."""
        return budgets.current() or budgets.ReadBudget(self.query_timeout, hints=self.budget_hints)

    def _with_cursor(self, fn: Callable[[Any], Any], budget: budgets.ReadBudget | None = None):
        budget = budget or self._budget()
        cur = self._con.cursor()
        self._count("active", 1)
        try:
            with budget.attached(cur):
                return fn(cur)
        except (QueryTimeoutError, QueryCancelledError) as exc:
            self._count("timed_out" if isinstance(exc, QueryTimeoutError) else "cancelled", 1)
            raise
        finally:
            self._count("active", -1)
            cur.close()

    def _count(self, key: str, delta: int) -> None:
        with self._stats_lock:
            self.read_stats[key] += delta

    def read(self, fn: Callable[[Any], Any]):
        """Run ``fn(cursor)`` on a worker thread with its own cursor and wait for it."""
        self._check_open()
        return self._pool.submit(self._with_cursor, fn, self._budget()).result()

    async def aread(self, fn: Callable[[Any], Any]):
        """Like :meth:`read` for the server's event loop: awaits without blocking it."""
        import asyncio

        self._check_open()
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self._with_cursor, fn, self._budget())

    def write(self, fn: Callable[[Any], Any]):
        """Run ``fn(cursor)`` in one transaction under the write lock; roll back on error.
        Metadata saved during it (:meth:`save_info`, :meth:`commit_dataset`) is seen by
        readers once committed."""
        self._check_open()
        with self._write_lock:
            outer = self._writer
            self._writer = threading.get_ident()
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    result = fn(cur)
                except BaseException:
                    self._staged.clear()
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
                self._apply_staged()
                return result
            finally:
                self._writer = outer
                cur.close()

    @contextmanager
    def cursor(self):
        """A cursor of the store's connection for work outside the write lock (building
        staging tables no reader sees yet); closed on exit. Publish with :meth:`write`."""
        self._check_open()
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def scratch_cursor(self):
        """Like :meth:`cursor`, but the tables it creates go to the in-memory scratch
        database (:mod:`.scratch`); a write transaction reads them after ``see_scratch``."""
        with self.cursor() as cur:
            for stmt in scratch.cursor_sql(self._main_db):
                cur.execute(stmt)
            yield cur

    def see_scratch(self, cur) -> None:
        cur.execute(scratch.reader_sql(self._main_db))

    @property
    def jobs(self) -> JobRunner:
        """The runner of this store's long work (uploads, syncs, evaluation runs)."""
        if self._jobs is None:
            self._check_open()
            self._jobs = JobRunner(around=budgets.job_reads)
        return self._jobs

    def uses_runner(self, runner: JobRunner) -> bool:
        """Whether ``runner`` is the one this store was opened with."""
        return self._jobs is runner

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self):
        if self._closed:
            raise StoreError("this store is closed; call axis_jupyter.connect() again.")

    def dataset_sizes(self, infos: list[dict]) -> dict:
        return sizes.dataset_sizes(self, infos)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._own_jobs and self._jobs is not None:
                self._jobs.shutdown()
            self._pool.shutdown(wait=True)
            self._con.close()
            self._remove_staging()

    # ------------------------------------------------------------------ datasets
    def load(self, source: Any, name: str | None = None, kind: str = "auto",
             mapping: dict[str, str] | None = None, encoding: str = "utf-8") -> Dataset:
        name = check_name(name or dataset_name_from(source))
        if mapping is not None and not isinstance(mapping, dict):
            raise IngestError("mapping must be a dict of {your_column: canonical_column}.")
        with self._write_lock, contextlib.ExitStack() as staging:
            # one load at a time: versions and table names stay unique
            staged: dict[Path, Path] = {}

            def stage(path: Path) -> Path:
                """The file inside the staging folder, the only one DuckDB may read (linked
                once per load, however many times the read is retried)."""
                if path not in staged:
                    staged[path] = staging.enter_context(sandbox.staged(self.staging_dir, path))
                return staged[path]

            text_cols: set[str] = set()
            careful = False
            for _ in range(20):
                try:
                    built, label, version = self.write(lambda cur: self._records_tx(
                        cur, source, name, kind, mapping, encoding, text_cols, careful, stage))
                    break
                except NeedsCarefulRead:  # the fast read failed: again, naming bad lines
                    careful = True
                except RetryAsText as retry:  # a sniffer-mistyped column: read it as text
                    text_cols.add(retry.column)
            else:  # pragma: no cover - 20 mistyped columns
                raise IngestError("could not determine column types; pass a mapping or clean the file.")
            try:
                info = self.write(lambda cur: self._swap_tx(cur, name, built, label, version))
            except BaseException:
                self._drop_tables(built.tables)
                raise
        for w in info.get("warnings", []):
            import warnings

            warnings.warn(w, UserWarning, stacklevel=2)
        return Dataset(self, name, info["kind"])

    def _records_tx(self, cur, source, name, kind, mapping, encoding, text_cols, careful, stage):
        """Transaction 1: read the source into the new version's first table."""
        if isinstance(source, (str, os.PathLike)):
            def mapping_names(cols):
                return build.reader_names(cols, kind, mapping)
            src = file_source(cur, source, numeric=build.NUMERIC_CANON, text=text_cols,
                              encoding=encoding, mapping_names=mapping_names, careful=careful,
                              stage=stage)
            label = str(source)
        else:
            src = frame_source(cur, source)
            label = f"{type(source).__module__.split('.')[0]} frame"
        try:
            prefix, version = self.next_prefix(name)
            built = build.build_records(cur, src, kind=kind, mapping=mapping, prefix=prefix)
        finally:
            if src.cleanup:
                src.cleanup(cur)
        return built, label, version

    def _swap_tx(self, cur, name, built, label, version) -> dict:
        """Transaction 2: finish the long scores table (wide layouts) and swap the dataset in.
        Two transactions because DuckDB row ids (the record ids) are final only after COMMIT;
        if this one fails, the first one's table is dropped and the old dataset stays."""
        if built.records_table is not None:
            build.build_scores(cur, built)
        return self.commit_dataset(cur, name, built, label, version)

    def _drop_tables(self, tables) -> None:
        def tx(cur):
            for t in tables:
                if t:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
        self.write(tx)

    def next_prefix(self, name: str) -> tuple[str, int]:
        """Table-name prefix and version for a new build of dataset ``name``."""
        version = self._meta.get(name, {}).get("version", 0) + 1
        return f"_axis_t_{name}_{version}", version

    def commit_dataset(self, cur, name: str, built: build.Built, label: str, version: int,
                       extra: dict | None = None, grown: metadata.Growth | None = None) -> dict:
        """Swap freshly built tables in as dataset ``name`` (inside the caller's transaction).

        Points the dataset's view at the new tables, records the metadata (``extra`` is
        merged over the computed one) and drops the previous version's tables unless
        ``extra["tables"]`` keeps them listed. Used by ``load`` and by the Postgres sync;
        call it inside :meth:`write`. ``grown``: the live tables took new rows (an incremental
        sync), so the metadata is the previous one plus theirs. Returns the metadata.
        """
        old = self._meta.get(name)
        if "latency_table" not in built.extras:
            build.build_record_latency(cur, built)
        if built.kind == "signals":  # load and every sync (incremental too) rebuild the cases
            signal_cases.build(cur, built)
        if "summary" not in built.extras:  # an incremental sync extends them (summaries.append_rows)
            unique = built.extras.get("latency_unique")
            built.extras["summary"] = build_summaries(
                cur, built.scores_table, cases=built.kind != "monitoring",
                latency_table=built.extras.get("latency_table") if unique else None,
                per_day=built.kind == "monitoring")
        view_sql = metadata.view_sql(cur, built)
        cur.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {view_sql}")
        info = metadata.compute_info(cur, name, built, label, version, grown)
        info.update(extra or {})
        info["tables"] = list(info["tables"]) + [t for t in [*built.tables, *summary_tables(info)]
                                                 if t not in info["tables"]]
        if old:
            for t in old.get("tables", []):
                if t not in info["tables"]:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
        self.save_info(cur, name, info)
        return info

    def save_info(self, cur, name: str, info: dict) -> None:
        """Save dataset ``name``'s metadata on ``cur`` (inside :meth:`write`); readers see
        it once the transaction commits."""
        if self._writer != threading.get_ident():
            raise StoreError("save_info runs inside store.write(fn), on its cursor.")
        cur.execute(f"DELETE FROM {META_TABLE} WHERE name = ?", [name])
        cur.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?, ?)",
                    [name, json.dumps(info, default=str), datetime.now(timezone.utc).replace(tzinfo=None)])
        self._staged[name] = info

    def _apply_staged(self) -> None:
        """After COMMIT: the metadata cache takes the committed metadata."""
        staged, self._staged = self._staged, {}
        for name, info in staged.items():
            if info is None:
                self._meta.pop(name, None)
            else:
                self._meta[name] = info
            self._schemas = {k: v for k, v in self._schemas.items()
                             if not k.startswith(f"_axis_t_{name}_") and k != name}

    def infos(self) -> dict[str, dict]:
        """Every dataset's metadata by name (a snapshot)."""
        return dict(self._meta)

    def datasets(self) -> pd.DataFrame:
        rows = [{"name": n, "kind": i["kind"], "layout": i["layout"], "rows": i["rows"],
                 "records": i["records"], "columns": len(i["columns"]), "updated": i["updated"]}
                for n, i in sorted(self._meta.items())]
        return pd.DataFrame(rows, columns=["name", "kind", "layout", "rows", "records", "columns",
                                           "updated"])

    def info(self, name: str) -> dict:
        try:
            return self._meta[name]
        except KeyError:
            # No list of the other names: over HTTP that would hand them to anyone who asks.
            raise NotFoundError(f"no dataset named {name!r}; datasets() lists them.") from None

    def drop(self, name: str) -> None:
        info = self.info(name)
        self._forget_engine(name)

        def tx(cur):
            cur.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}")
            for t in info.get("tables", []):
                cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
            cur.execute(f"DELETE FROM {META_TABLE} WHERE name = ?", [name])
            self._staged[name] = None

        self.write(tx)

    # ------------------------------------------------------------------ reads
    def _known_tables(self) -> set[str]:
        names = {n for n, i in self._meta.items() if not i.get("attached")}  # DuckDB's only
        for info in self._meta.values():
            names.update(info.get("tables", []))
        return names

    def sql(self, query: str) -> pd.DataFrame:
        def run(cur):
            text = check_select(cur, query, self._known_tables())
            try:
                return cur.execute(text).df()
            except duckdb.Error as exc:
                raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None

        return self.read(run)

    def sql_arrow(self, query: str, limit: int | None = None, *, cap_rows: bool = True):
        """The result as an Arrow table (the server sends it as Arrow IPC), streamed within
        the read budget's row and byte caps (see :func:`.budget.fetch_arrow`)."""
        budget = self._budget()

        def run(cur):
            text = check_select(cur, query, self._known_tables())
            try:
                return budgets.fetch_arrow(cur, text, budget, limit=limit, cap_rows=cap_rows)
            except duckdb.Error as exc:
                raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None

        self._check_open()
        return self._pool.submit(self._with_cursor, run, budget).result()

    def execute(self, expr):
        """Run an Ibis expression built on :meth:`table` and return a DataFrame."""
        return expr.execute()

    def _schema(self, cur, table: str) -> ibis.Schema:
        key = f"{table}"
        if key not in self._schemas:
            schema = cur.sql(f"SELECT * FROM {quote_ident(table)} LIMIT 0").to_arrow_table().schema
            self._schemas[key] = ibis.Schema.from_pyarrow(schema)
        return self._schemas[key]

    def context(self, cur, name: str) -> AnalyticContext:
        """Unbound Ibis tables for the dataset's roles, run on ``cur`` (an attached
        dataset's: its projections on its engine, run there)."""
        info = self.info(name)
        if info.get("attached"):
            return self.attached_context(name)
        scores = info["scores_table"]
        records = info.get("records_table") or scores
        tables = {
            "scores": ibis.table(self._schema(cur, scores), name=scores),
            "records": ibis.table(self._schema(cur, records), name=records),
            "full": ibis.table(self._schema(cur, name), name=name),
        }
        if info.get("cases_table"):
            ct = info["cases_table"]
            tables["cases"] = ibis.table(self._schema(cur, ct), name=ct)
        if info.get("latency_table") and info.get("latency_unique"):
            lt = info["latency_table"]
            tables["record_latency"] = ibis.table(self._schema(cur, lt), name=lt)
        planner = Planner.for_info(info, lambda t: ibis.table(self._schema(cur, t), name=t)) \
            if config.summaries_enabled() else OFF
        return AnalyticContext(tables=tables, run=duckdb_runner(cur), info=info, planner=planner,
                               run_arrays=duckdb_runner(cur, lambda res: res.fetchnumpy()))

    def analytic(self, dataset: str, name: str, **params) -> pd.DataFrame:
        info = self.info(dataset)
        a = analytics_registry.get(name, info["kind"])
        params = a.check(params)  # names, types and ranges: ParameterError naming the bad one
        if info.get("attached"):
            return self.attached_read(dataset, lambda ctx: _call(a.fn, ctx, params))
        return self._read_fresh(lambda cur: _call(a.fn, self.context(cur, dataset), params))

    def _read_fresh(self, fn):
        """A read that names a dataset's versioned tables: if a reload swapped them out
        between the lookup and the query, run it once more on the new version."""
        for _ in range(9):
            try:
                return self.read(fn)
            except duckdb.CatalogException:
                continue  # swapped again meanwhile: look the tables up once more
        return self.read(fn)

    def rows(self, dataset: str, *, page: int = 1, page_size: int = 50, sort_by: str | None = None,
             descending: bool = False, search: str | None = None, filters: dict | None = None,
             columns: list[str] | None = None, parse: bool = False) -> tuple[pd.DataFrame, int]:
        info = self.info(dataset)
        try:
            page, page_size = int(page), int(page_size)
        except (TypeError, ValueError):
            raise QueryError("page and page_size must be integers.") from None
        if page < 1 or page_size < 1:
            raise QueryError("page and page_size must be >= 1.")

        def run(cur):
            return page_of(self.context(cur, dataset), filters, search, columns, sort_by, descending,
                           page, page_size)

        df, total = (self.attached_read(dataset, lambda ctx: page_of(
            ctx, filters, search, columns, sort_by, descending, page, page_size))
            if info.get("attached") else self._read_fresh(run))
        if parse:
            for c in df.columns:
                if c in info.get("jsonish", []):
                    df[c] = df[c].map(parse_jsonish)
        return df, total

    def table(self, name: str):
        """A bound Ibis table on this store's connection (``.execute()`` works); for an
        attached dataset, its canonical projection on its engine."""
        if self.info(name).get("attached"):
            return self.attached_context(name).table("full")
        return self._ibis.table(name)

    # ------------------------------------------------------------------ view payloads
    def view_read(self, dataset: str, fn: Callable[[AnalyticContext], Any], timing: dict | None = None):
        """Run ``fn(ctx)`` on one cursor, ``ctx`` being the dataset's analytic context: what
        a view payload (``axis_jupyter.payloads``) reads with.

        ``ctx.execute(expr)`` answers a DataFrame and ``ctx.records(expr)`` row dicts straight
        from DuckDB (no DataFrame, for small results); both compile through the shared SQL
        cache. ``timing`` (a dict) collects the milliseconds spent compiling (``compile_ms``)
        and in DuckDB, query and fetch (``duckdb_ms``)."""
        from time import perf_counter

        from ..analytics.context import SQL_CACHE

        timing = {} if timing is None else timing
        timing.setdefault("compile_ms", 0.0)
        timing.setdefault("duckdb_ms", 0.0)
        if self.info(dataset).get("attached"):  # on its engine: duckdb_ms is the engine's time
            return self.attached_read(dataset, fn, timing)

        def run_on(cur):
            def timed(fetch):
                def run(expr):
                    t0 = perf_counter()
                    sql = SQL_CACHE.sql(expr)
                    t1 = perf_counter()
                    try:
                        return fetch(cur.execute(sql))
                    finally:
                        timing["compile_ms"] += (t1 - t0) * 1000
                        timing["duckdb_ms"] += (perf_counter() - t1) * 1000
                return run

            ctx = self.context(cur, dataset)
            ctx.run = timed(lambda res: res.df())
            ctx.run_arrays = timed(lambda res: res.fetchnumpy())
            ctx.run_records = timed(
                lambda res: [dict(zip([d[0] for d in res.description], row)) for row in res.fetchall()])
            return fn(ctx)

        return self._read_fresh(run_on)


def _call(fn, ctx, params):
    return analytics_registry.call(fn, ctx, params)
