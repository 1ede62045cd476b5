"""The sync engine: PostgreSQL sources -> AXIS datasets (reference §4.3-4.5).

**Split sync** (``dataset_query`` + ``results_query``): both queries are read at the same
time, from one snapshot, into two raw tables; the dataset is their join on ``dataset_id``
(after the reference's column aliases) with every results column plus the dataset columns,
a column present on both sides coming from the dataset side as ``dataset_<col>``. The join
is then built into the canonical tables (``ingest.build``) so analytics read one table.
**Single query** (KPI sources, or no ``results_query``): one raw table.

**Full sync**: raw and canonical tables are written under fresh names, outside the store's
write lock (readers and other writers keep working), then swapped in by one short write
transaction (view + metadata, old tables dropped). A failed or cancelled sync drops what it
wrote and leaves the previous data as it was.

**Incremental sync** (``incremental_column`` set, a watermark stored, not ``full``): only
rows with ``column > watermark`` are read and appended, all inside one write transaction.
On any failure the watermarks are cleared, so the next run is a full rebuild. Watermarks
(MAX of the column per raw table, as text) are kept in the dataset's metadata.

One sync per dataset at a time: a second one raises :class:`ConflictError` (HTTP 409).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

import pandas as pd

from ..errors import AxisError, ConfigError, ConflictError, NotFoundError
from ..ingest import build
from ..ingest.columns import canonical_names
from ..ingest.readers import Source, quote_ident
from . import config as sconfig
from . import readers as rd
from .readers import SyncCancelled, SyncError

Progress = Callable[[dict], None]

STATUS_COLUMNS = ["source", "kind", "state", "rows", "last_sync", "sync_type", "incremental_rows",
                  "watermark", "truncated", "error", "refresh_interval_minutes",
                  "incremental_column", "tier", "seconds"]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------------
# Per-store state: running syncs and the in-memory status (reference: status is in memory;
# the last result is also in the dataset's metadata so it survives a restart).


@dataclass
class _Run:
    name: str
    started: float
    cancel: threading.Event
    phase: str = "starting"
    tables: dict = field(default_factory=dict)


class _StoreSync:
    def __init__(self):
        self.lock = threading.Lock()
        self.running: dict[str, _Run] = {}
        self.status: dict[str, dict] = {}


_STATE: "weakref.WeakKeyDictionary[Any, _StoreSync]" = weakref.WeakKeyDictionary()
_STATE_LOCK = threading.Lock()


def _state(store) -> _StoreSync:
    with _STATE_LOCK:
        st = _STATE.get(store)
        if st is None:
            st = _STATE[store] = _StoreSync()
        return st


def is_running(store, name: str) -> bool:
    return name in _state(store).running


def cancel(store, name: str) -> bool:
    """Ask a running sync of ``name`` to stop (it rolls back). False if none is running."""
    run = _state(store).running.get(name)
    if run is None:
        return False
    run.cancel.set()
    return True


# ----------------------------------------------------------------------------------
# Public API


def add_source(store, name: str, kind: str, url: str, dataset_query: str,
               results_query: str | None = None, incremental_column: str | None = None,
               partition_column: str | None = None, refresh_interval_minutes: float = 0,
               **options) -> dict:
    """Save a source as ``<config>/sources/<name>.yaml`` and return its public description.

    ``options``: ``columns`` (rename map), ``query_timeout``, ``password_env``, ``enabled``.
    A password inside ``url`` is never written; it is kept for this process only.
    """
    if store is not None:
        _check_local(store)
    cfg = sconfig.save_source(name, kind, url, dataset_query, results_query, incremental_column,
                              partition_column, refresh_interval_minutes, **options)
    return cfg.public()


def sources() -> pd.DataFrame:
    """The configured sources (no secrets)."""
    rows = [c.public() for c in sconfig.list_sources().values()]
    cols = ["name", "kind", "enabled", "target", "split", "incremental_column",
            "partition_column", "refresh_interval_minutes", "has_password", "path"]
    return pd.DataFrame([{k: r[k] for k in cols} for r in rows], columns=cols)


def eligible_sources(reason: str = "manual") -> list[sconfig.SourceConfig]:
    out = []
    for cfg in sconfig.list_sources().values():
        if not cfg.enabled or not cfg.dataset_query:
            continue
        if reason == "startup" and not cfg.auto_load:
            continue
        if reason == "schedule" and not cfg.refresh_interval_minutes:
            continue
        out.append(cfg)
    return out


def sync(store, name: str | None = None, full: bool = False, progress: Progress | None = None,
         cancel_event: threading.Event | None = None) -> pd.DataFrame:
    """Sync one source (or every enabled source) and return the status per dataset.

    Raises :class:`NotFoundError` for an unknown source and :class:`ConflictError` when that
    dataset is already syncing. A source that fails is reported in the ``error`` column
    (its previous data stays readable); with a single ``name`` the error is raised.
    """
    _check_local(store)
    if name is not None:
        cfg = sconfig.get_source(name)
        if not cfg.enabled:
            raise ConfigError(f"source {name!r} is disabled (enabled: false in {cfg.path}).")
        sync_source(store, cfg, full=full, progress=progress, cancel_event=cancel_event)
        return status(store, [name])
    cfgs = eligible_sources()
    if not cfgs:
        raise NotFoundError("no enabled sources to sync; add one with axis.add_source(...).")
    names = []
    for cfg in cfgs:
        names.append(cfg.name)
        try:
            sync_source(store, cfg, full=full, progress=progress, cancel_event=cancel_event)
        except ConflictError as exc:
            _state(store).status.setdefault(cfg.name, {})["note"] = str(exc)
        except AxisError:
            pass  # recorded in the status
    return status(store, names)


def status(store, names: list[str] | None = None) -> pd.DataFrame:
    """State, rows, last sync, error, incremental rows and watermark per synced dataset."""
    rows = [status_dict(store, n) for n in (names if names is not None else _known_names(store))]
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def status_all(store) -> dict[str, dict]:
    """The same as :func:`status`, as ``{name: {...}}`` (JSON-able, for the HTTP API)."""
    return {n: status_dict(store, n) for n in _known_names(store)}


def status_dict(store, name: str) -> dict:
    st = _state(store)
    try:
        cfg = sconfig.list_sources().get(name)
    except ConfigError:
        cfg = None
    info = getattr(store, "_meta", {}).get(name) or {}
    meta = info.get("sync") or {}
    live = st.status.get(name, {})
    run = st.running.get(name)
    wm = meta.get("watermarks") or {}
    state = "syncing" if run else live.get("state") or ("ready" if meta else "not_synced")
    return {
        "source": name,
        "kind": cfg.kind if cfg else info.get("kind"),
        "state": state,
        "rows": info.get("rows") if info else None,
        "last_sync": meta.get("last_sync"),
        "sync_type": meta.get("sync_type"),
        "incremental_rows": meta.get("incremental_rows"),
        "watermark": wm.get("results") or wm.get("data") or next(iter(wm.values()), None),
        "truncated": bool(meta.get("truncated", False)),
        "error": live.get("error") if state == "error" else None,
        "refresh_interval_minutes": cfg.refresh_interval_minutes if cfg else None,
        "incremental_column": cfg.incremental_column if cfg else meta.get("incremental_column"),
        "tier": meta.get("tier"),
        "seconds": live.get("seconds", meta.get("seconds")),
        "phase": run.phase if run else None,
        "progress": dict(run.tables) if run else None,
        "watermarks": wm,
    }


def reset_watermark(store, name: str) -> dict:
    """Forget the watermarks of ``name``: its next sync is a full rebuild."""
    _check_local(store)
    info = store._meta.get(name)
    if not info or not (info.get("sync") or {}).get("watermarks"):
        if name not in store._meta and name not in sconfig.list_sources():
            raise NotFoundError(f"no synced dataset or source named {name!r}.")
        return {"success": True, "message": f"{name}: no watermark stored; the next sync is full."}
    _clear_watermarks(store, name)
    return {"success": True, "message": f"{name}: watermarks cleared; the next sync is a full rebuild."}


def _known_names(store) -> list[str]:
    names: list[str] = []
    try:
        names = list(sconfig.list_sources())
    except ConfigError:
        pass
    for n, info in sorted(getattr(store, "_meta", {}).items()):
        if info.get("sync") and n not in names:
            names.append(n)
    for n in _state(store).status:
        if n not in names:
            names.append(n)
    return names


def _check_local(store) -> None:
    from ..store.local import LocalStore

    if not isinstance(store, LocalStore):
        raise AxisError("this store is served by the Jupyter server: sync runs there "
                        "(POST axis/api/sync/{source}); call the store's own sync().")


# ----------------------------------------------------------------------------------
# One source


def _query_hash(cfg: sconfig.SourceConfig) -> str:
    text = json.dumps([cfg.kind, cfg.dataset_query, cfg.results_query, cfg.columns,
                       cfg.incremental_column], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sync_source(store, cfg: sconfig.SourceConfig, *, full: bool = False,
                progress: Progress | None = None, cancel_event: threading.Event | None = None,
                settings: sconfig.StoreSettings | None = None) -> dict:
    """Sync one source into dataset ``cfg.name``; returns its status dict."""
    _check_local(store)
    st = _state(store)
    with st.lock:
        if cfg.name in st.running:
            r = st.running[cfg.name]
            raise ConflictError(f"a sync of {cfg.name!r} is already running (for "
                                f"{time.time() - r.started:.0f} s, phase {r.phase}); wait for it "
                                "or cancel it.")
        run = _Run(cfg.name, time.time(), cancel_event or threading.Event())
        st.running[cfg.name] = run
        st.status[cfg.name] = {"state": "syncing"}
    settings = settings or sconfig.load_store_settings()

    def emit(phase: str, **fields):
        run.phase = phase
        if progress is not None:
            try:
                progress({"source": cfg.name, "phase": phase, **fields})
            except Exception:  # a broken progress display must not break the sync
                pass

    t0 = time.perf_counter()
    try:
        info = store._meta.get(cfg.name) or {}
        meta = info.get("sync") or {}
        incremental = (not full and bool(cfg.incremental_column) and bool(meta.get("watermarks"))
                       and info.get("records_table") is None  # wide layouts are rebuilt in full
                       and meta.get("query_hash") == _query_hash(cfg)
                       and all(t in _existing_tables(store) for t in (meta.get("raw_tables") or {}).values())
                       and cfg.kind != "kpi")
        emit("connecting", sync_type="incremental" if incremental else "full")
        if incremental:
            result = _incremental(store, cfg, settings, run, emit, info)
        else:
            result = _full(store, cfg, settings, run, emit)
        result["seconds"] = round(time.perf_counter() - t0, 3)
        st.status[cfg.name] = {"state": "ready", "seconds": result["seconds"]}
        emit("done", rows=result.get("rows"), sync_type=result.get("sync_type"),
             incremental_rows=result.get("incremental_rows"), seconds=result["seconds"])
        return status_dict(store, cfg.name)
    except BaseException as exc:
        msg = str(exc) if isinstance(exc, AxisError) else f"{type(exc).__name__}: {rd.clean_pg_error(exc)}"
        cancelled = isinstance(exc, SyncCancelled) or run.cancel.is_set()
        st.status[cfg.name] = {"state": "cancelled" if cancelled else "error",
                               "error": "cancelled" if cancelled else msg}
        if cancelled:
            st.status[cfg.name]["state"] = "error"
        try:
            _clear_watermarks(store, cfg.name)
        except Exception:
            pass
        emit("error", error=st.status[cfg.name]["error"])
        if cancelled and not isinstance(exc, SyncCancelled):
            raise SyncCancelled("the sync was cancelled; nothing was replaced.") from exc
        raise
    finally:
        with st.lock:
            st.running.pop(cfg.name, None)


def _existing_tables(store) -> set[str]:
    return set(store.read(lambda cur: [r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables()").fetchall()]))


def _clear_watermarks(store, name: str) -> None:
    info = store._meta.get(name)
    if not info or not (info.get("sync") or {}).get("watermarks"):
        return
    new = json.loads(json.dumps(info, default=str))
    new["sync"]["watermarks"] = {}
    store.write(lambda cur: store._save_info(cur, name, new))
    store._meta[name] = new


def _subqueries(cfg: sconfig.SourceConfig) -> list[tuple[str, str]]:
    if cfg.split:
        return [("dataset", cfg.dataset_query), ("results", cfg.results_query)]
    return [("data", cfg.dataset_query)]


def _check_columns(cfg, sub: str, cols: list[rd.Column]) -> None:
    names = {c.name for c in cols}
    for key in ("incremental_column", "partition_column"):
        col = getattr(cfg, key)
        if col and col not in names and sub != "dataset":
            raise ConfigError(f"source {cfg.name!r}: key '{key}' names column {col!r}, which the "
                              f"{sub} query does not return (it returns {', '.join(sorted(names))}).")


def _open_snapshot(cfg, settings) -> rd.Snapshot:
    try:
        return rd.Snapshot(cfg.conninfo(), probe_timeout_s=cfg.query_timeout,
                           copy_timeout_s=settings.sync_timeout)
    except SyncError as exc:
        raise SyncError(f"source {cfg.name!r} ({cfg.describe_target()}): {exc}") from None


def _read_table(store, snap: rd.Snapshot, cfg, settings, sub: str, query: str, cols: list[rd.Column],
                table: str, run: _Run, emit, cur=None) -> rd.ReadResult:
    """Read one sub-table into DuckDB ``table`` with the best tier available."""
    label = f"source {cfg.name!r}, {sub} query"
    estimate = rd.estimate_rows(snap, query)

    def prog(rows):
        run.tables[sub] = {"rows": rows, "estimate": estimate}
        emit("reading", table=sub, rows=rows, estimate=estimate, tables=dict(run.tables))

    own_cur = cur is None
    c = store._con.cursor() if own_cur else cur
    try:
        if rd.pipes_supported():
            parts = [query]
            pcol = next((x for x in cols if x.name == cfg.partition_column), None)
            if pcol is not None and settings.sync_workers > 1 and snap.shareable:
                parts = rd.partition_queries(snap, query, pcol, settings.sync_workers)
            try:
                if snap.shareable:
                    streams = [(snap.reader(), q) for q in parts]
                else:
                    streams = [(snap.coord, query)]
                with (_NullLock() if snap.shareable else snap.lock):
                    return rd.copy_into_duckdb(c, table, streams, cols, label=label,
                                               cancel=run.cancel, progress=prog)
            except rd.CopyFormatError as exc:
                emit("fallback", table=sub, message=f"COPY could not be parsed ({exc}); "
                     "reading through a cursor.")
                c.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        conn = snap.reader() if snap.shareable else snap.coord
        with (_NullLock() if snap.shareable else snap.lock):
            return rd.cursor_into_duckdb(c, table, conn, query, cols, label=label,
                                         chunk_size=settings.sync_chunk_size,
                                         max_rows=settings.max_sync_rows, cancel=run.cancel,
                                         progress=prog)
    finally:
        if own_cur:
            c.close()


class _AnyEvent:
    """Set when any of its events is set (readers only call is_set())."""

    def __init__(self, *events):
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)

    def set(self) -> None:
        self.events[0].set()


class _NullLock:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _join_source(cur, cfg, raw: dict[str, str], label: str) -> Source:
    """A Source selecting the dataset's rows: the raw table, or results JOIN dataset."""
    family = build.alias_family(cfg.kind)
    desc = lambda t: [(r[0], r[1]) for r in cur.execute(f"DESCRIBE {quote_ident(t)}").fetchall()]  # noqa: E731
    if "data" in raw:
        cols = desc(raw["data"])
        return Source(relation=quote_ident(raw["data"]), columns=cols, label=label)
    rcols, dcols = desc(raw["results"]), desc(raw["dataset"])
    rcanon = canonical_names([c for c, _ in rcols], family, cfg.columns)
    dcanon = canonical_names([c for c, _ in dcols], family, cfg.columns)
    rkey = next((c for c, _ in rcols if rcanon[c] == "dataset_id"), None)
    dkey = next((c for c, _ in dcols if dcanon[c] == "dataset_id"), None)
    if rkey is None or dkey is None:
        side = "results_query" if rkey is None else "dataset_query"
        raise ConfigError(f"source {cfg.name!r}: key '{side}' must return a dataset_id column (or "
                          "id / record_id, or map one with columns:) to join the two queries on.")
    rtypes, dtypes = dict(rcols), dict(dcols)
    taken = set(rcanon.values()) | {c for c, _ in rcols}
    select = ["r.*"]
    out_cols = list(rcols)
    for c, t in dcols:
        if c == dkey:
            continue
        out = c
        if dcanon[c] in taken or c in taken:
            out = f"dataset_{dcanon[c]}"
        select.append(f"d.{quote_ident(c)} AS {quote_ident(out)}")
        out_cols.append((out, t))
        taken.add(out)
    if rtypes[rkey] == dtypes[dkey]:
        on = f"r.{quote_ident(rkey)} = d.{quote_ident(dkey)}"
    else:
        on = f"CAST(r.{quote_ident(rkey)} AS VARCHAR) = CAST(d.{quote_ident(dkey)} AS VARCHAR)"
    rel = (f"(SELECT {', '.join(select)} FROM {quote_ident(raw['results'])} r "
           f"JOIN {quote_ident(raw['dataset'])} d ON {on})")
    return Source(relation=rel, columns=out_cols, label=label)


def _watermarks(cur, cfg, raw: dict[str, str], old: dict | None = None) -> dict[str, str]:
    if not cfg.incremental_column:
        return {}
    out = dict(old or {})
    for sub, table in raw.items():
        cols = {r[0] for r in cur.execute(f"DESCRIBE {quote_ident(table)}").fetchall()}
        if cfg.incremental_column not in cols:
            continue
        v = cur.execute(f"SELECT CAST(max({quote_ident(cfg.incremental_column)}) AS VARCHAR) "
                        f"FROM {quote_ident(table)}").fetchall()[0][0]
        if v is not None:
            out[sub] = v
    return out


def _full(store, cfg, settings, run: _Run, emit) -> dict:
    created: list[str] = []
    try:
        return _full_inner(store, cfg, settings, run, emit, created)
    finally:
        if created:  # failed or cancelled: drop everything this run wrote
            _drop_tables(store, created)


def _full_inner(store, cfg, settings, run: _Run, emit, created: list[str]) -> dict:
    subs = _subqueries(cfg)
    tag = uuid.uuid4().hex[:6]
    version = store.next_prefix(cfg.name)[1]
    prefix = f"_axis_t_{cfg.name}_{version}{tag}"
    raw = {sub: f"{prefix}_src_{sub}" for sub, _ in subs}
    snap = _open_snapshot(cfg, settings)
    try:
        cols = {}
        for sub, q in subs:
            cols[sub] = rd.describe(snap, q, f"source {cfg.name!r}, {sub}_query")
            _check_columns(cfg, sub, cols[sub])
        emit("reading", tables={sub: {"rows": 0} for sub, _ in subs})
        results: dict[str, rd.ReadResult] = {}
        errors: list[BaseException] = []
        abort = threading.Event()  # one sub-table failed: stop the other one
        user_cancel_event = run.cancel
        run.cancel = _AnyEvent(user_cancel_event, abort)

        def read(sub, q):
            try:
                created.append(raw[sub])
                results[sub] = _read_table(store, snap, cfg, settings, sub, q, cols[sub], raw[sub],
                                           run, emit)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                abort.set()

        threads = [threading.Thread(target=read, args=(sub, q), name=f"axis-sync-{sub}")
                   for sub, q in subs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        run.cancel = user_cancel_event
        if errors:
            real = [e for e in errors if not isinstance(e, SyncCancelled)]
            raise (real or errors)[0]
        if run.cancel.is_set():
            raise SyncCancelled("the sync was cancelled; nothing was replaced.")
    finally:
        snap.close()

    # Canonical tables, in their own transaction (outside the store's write lock).
    emit("building", rows={s: r.rows for s, r in results.items()})
    label = f"postgres {cfg.describe_target()} ({cfg.name})"
    cur = store._con.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            src = _join_source(cur, cfg, raw, label)
            built = build.build_records(cur, src, kind=cfg.kind, mapping=cfg.columns or None,
                                        prefix=prefix)
            watermarks = _watermarks(cur, cfg, raw)
            for sub in list(raw):
                if sub != "dataset":  # the dataset side is kept to join future increments
                    cur.execute(f"DROP TABLE {quote_ident(raw[sub])}")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        created.append(built.records_table or built.scores_table)
        if built.records_table is not None:
            # Wide layouts: the long scores table in a second transaction (record ids are
            # DuckDB row ids, final only after COMMIT).
            cur.execute("BEGIN TRANSACTION")
            try:
                build.build_scores(cur, built)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            created.append(built.scores_table)
        if run.cancel.is_set():
            raise SyncCancelled("the sync was cancelled; nothing was replaced.")
        kept_raw = {k: v for k, v in raw.items() if k == "dataset"}
        rows_read = sum(r.rows for r in results.values())
        sync_meta = {
            "source": cfg.name, "sync_type": "full", "last_sync": _now(),
            "incremental_column": cfg.incremental_column, "watermarks": watermarks,
            "raw_tables": kept_raw, "query_hash": _query_hash(cfg), "rows_read": rows_read,
            "incremental_rows": 0, "truncated": any(r.truncated for r in results.values()),
            "tier": "+".join(sorted({r.tier for r in results.values()})),
            "read_seconds": {s: round(r.seconds, 3) for s, r in results.items()},
            "columns": {s: [[c.name, c.duck] for c in cols[s]] for s in cols},
        }
        tables = [t for t in (built.records_table, built.scores_table) if t] + list(kept_raw.values())
        emit("swapping")

        old_tables = list((store._meta.get(cfg.name) or {}).get("tables", []))

        def tx(wcur):
            v = store.next_prefix(cfg.name)[1]
            # The previous tables stay (listed) for a grace period: a reader that looked up
            # the dataset's tables just before this commit can still run its query.
            return store.commit_dataset(wcur, cfg.name, built, label, v,
                                        extra={"tables": tables + [t for t in old_tables if t not in tables],
                                               "sync": sync_meta})

        info = store.write(tx)
        store._remember(cfg.name, info)
        created.clear()
        if old_tables:
            _drop_later(store, cfg.name, [t for t in old_tables if t not in tables])
        return {"rows": info["rows"], "sync_type": "full", "incremental_rows": 0}
    finally:
        cur.close()


DROP_GRACE_S = 5.0


def _drop_later(store, name: str, tables: list[str], delay: float | None = None) -> None:
    """Drop a dataset's previous tables after a grace period (and unlist them)."""
    def work():
        try:
            if getattr(store, "_closed", False):
                return

            def tx(cur):
                info = store._meta.get(name)
                if info is None:
                    return None
                for t in tables:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
                new = dict(info, tables=[t for t in info.get("tables", []) if t not in tables])
                store._save_info(cur, name, new)
                return new

            new = store.write(tx)
            if new is not None:
                store._meta[name] = new
        except Exception:  # the next sync or drop() cleans up
            pass

    t = threading.Timer(DROP_GRACE_S if delay is None else delay, work)
    t.daemon = True
    t.start()


def _drop_tables(store, tables: list[str]) -> None:
    c = store._con.cursor()
    try:
        for t in tables:
            try:
                c.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
            except Exception:
                pass
    finally:
        c.close()


def _incremental(store, cfg, settings, run: _Run, emit, info: dict) -> dict:
    meta = info["sync"]
    watermarks = meta["watermarks"]
    col = cfg.incremental_column
    subs = _subqueries(cfg)
    tag = uuid.uuid4().hex[:6]
    label = info.get("source") or f"postgres {cfg.describe_target()} ({cfg.name})"
    snap = _open_snapshot(cfg, settings)
    try:
        queries, cols = {}, {}
        for sub, q in subs:
            c = rd.describe(snap, q, f"source {cfg.name!r}, {sub}_query")
            if [[x.name, x.duck] for x in c] != (meta.get("columns") or {}).get(sub):
                raise SyncError(f"source {cfg.name!r}: the {sub} query's columns changed since "
                                "the last full sync; run a full sync (full=True).")
            cols[sub] = c
            wm = watermarks.get(sub)
            if any(x.name == col for x in c):
                if wm is None:
                    raise SyncError(f"source {cfg.name!r}: no watermark for the {sub} query; "
                                    "run a full sync.")
                with snap.lock:
                    queries[sub] = rd.incremental_query(snap.coord, q, col, wm)
            else:  # a dataset query without the column is small: it is re-read whole
                queries[sub] = q
        before = info["rows"]

        def tx(cur):
            inc: dict[str, str] = {}
            read = {}
            for sub, q in subs:
                t = f"_axis_t_{cfg.name}_inc{tag}_{sub}"
                read[sub] = _read_table(store, snap, cfg, settings, sub, queries[sub], cols[sub], t,
                                        run, emit, cur=cur)
                inc[sub] = t
            if run.cancel.is_set():
                raise SyncCancelled("the sync was cancelled; nothing was changed.")
            emit("appending", rows={s: r.rows for s, r in read.items()})
            raw_live = meta.get("raw_tables") or {}
            if "dataset" in inc:
                if queries["dataset"] is dict(subs)["dataset"]:  # re-read whole: replace
                    cur.execute(f"DELETE FROM {quote_ident(raw_live['dataset'])}")
                cur.execute(f"INSERT INTO {quote_ident(raw_live['dataset'])} SELECT * FROM "
                            f"{quote_ident(inc['dataset'])}")
            new_rows_main = inc.get("results") or inc.get("data")
            n_new = cur.execute(f"SELECT count(*) FROM {quote_ident(new_rows_main)}").fetchall()[0][0] \
                if new_rows_main else 0
            changed: dict = {}
            if n_new:
                src_raw = {"data": inc["data"]} if "data" in inc else \
                    {"results": inc["results"], "dataset": raw_live["dataset"]}
                src = _join_source(cur, cfg, src_raw, label)
                tmp = build.build_records(cur, src, kind=cfg.kind, mapping=cfg.columns or None,
                                          prefix=f"_axis_t_{cfg.name}_inc{tag}_b")
                try:
                    changed.update(_append_built(cur, info, tmp))
                finally:
                    cur.execute(f"DROP TABLE IF EXISTS {quote_ident(tmp.records_table or tmp.scores_table)}")
            new_wm = _watermarks(cur, cfg, inc, watermarks)
            for t in inc.values():
                cur.execute(f"DROP TABLE {quote_ident(t)}")
            built = build.Built(info["kind"], info["layout"], info.get("records_table"),
                                info["scores_table"], info.get("metric_columns") or [],
                                extras={**{k: info[k] for k in ("latency_table", "latency_unique", "latency_unit")
                                           if k in info}, **changed})
            sync_meta = dict(meta, sync_type="incremental", last_sync=_now(), watermarks=new_wm,
                             rows_read=sum(r.rows for r in read.values()),
                             tier="+".join(sorted({r.tier for r in read.values()})) or meta.get("tier"))
            new_info = store.commit_dataset(cur, cfg.name, built, label, info["version"],
                                            extra={"tables": info["tables"], "sync": sync_meta})
            sync_meta["incremental_rows"] = new_info["rows"] - before
            new_info["sync"] = sync_meta
            store._save_info(cur, cfg.name, new_info)
            return new_info

        emit("reading", tables={sub: {"rows": 0} for sub, _ in subs})
        new_info = store.write(tx)
    finally:
        snap.close()
    store._remember(cfg.name, new_info)
    return {"rows": new_info["rows"], "sync_type": "incremental",
            "incremental_rows": new_info["sync"]["incremental_rows"]}


def _append_built(cur, info: dict, tmp: build.Built) -> dict:
    """Append a freshly built increment (long layout) to the live canonical table (and the
    record-latency index); returns the metadata that changed."""
    if tmp.records_table is not None or tmp.layout != info["layout"] or info.get("records_table"):
        raise SyncError("the new rows have a different layout than the synced dataset; run a "
                        "full sync (full=True).")
    cur.execute(f"INSERT INTO {quote_ident(info['scores_table'])} BY NAME SELECT * FROM "
                f"{quote_ident(tmp.scores_table)}")
    if info.get("latency_table"):
        return {"latency_unique": build.append_record_latency(cur, info["latency_table"], tmp.scores_table)}
    return {}
