"""The sync engine: PostgreSQL sources -> AXIS datasets (reference §4.3-4.5).

**Split sync** (``dataset_query`` + ``results_query``): both queries are read at the same
time, from one snapshot, into two raw tables; the dataset is their join on ``dataset_id``
(after the reference's column aliases) with every results column plus the dataset columns,
a column present on both sides coming from the dataset side as ``dataset_<col>``
(:mod:`.join`). The join is then built into the canonical tables (``ingest.build``) so
analytics read one table. **Single query** (KPI sources, or no ``results_query``): one raw
table.

**Full sync** (:mod:`.full`): fresh tables, swapped in by one short transaction; a failed or
cancelled sync leaves the previous data as it was. **Incremental sync** (:mod:`.incremental`;
``incremental_column`` set, a watermark stored, not ``full``): only rows with
``column > watermark`` are appended, in one transaction. On any failure the watermarks are
cleared, so the next run is a full rebuild. Watermarks (MAX of the column per raw table, as
text) are kept in the dataset's metadata.

Every sync is a job of the store's runner (``store.jobs``, key ``sync:<source>``), so one
sync per dataset runs at a time — a second raises :class:`ConflictError` (HTTP 409) — and
the Jupyter server lists, streams and cancels syncs like any job. :func:`start_sync`
starts one; :func:`sync` and :func:`sync_source` start and follow them, calling
``progress`` with the job's progress dict (``source``, ``phase`` and the step's fields).
The stores ``connect()`` returns call these as ``axis.add_source(...)`` / ``axis.sync(...)``;
a store served by the Jupyter server goes through its HTTP API instead (:mod:`.client`).
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from typing import Any, Callable

import pandas as pd

from .. import wire
from ..errors import AxisError, ConfigError, ConflictError, NotFoundError
from ..jobs import Job
from ..store.local import LocalStore
from ..store.remote import RemoteStore
from . import client
from . import config as sconfig
from . import readers as rd
from .full import full_sync
from .incremental import incremental_sync
from .join import query_hash
from .readers import SyncCancelled
from .run import SyncRun

Progress = Callable[[dict], None]

STATUS_COLUMNS = ["source", "kind", "state", "rows", "last_sync", "sync_type", "incremental_rows",
                  "watermark", "truncated", "error", "refresh_interval_minutes",
                  "incremental_column", "tier", "seconds"]
JOB_KIND = "sync"


def job_key(source: str) -> str:
    """The job key of a source's syncs (one at a time)."""
    return f"sync:{source}"


# ----------------------------------------------------------------------------------
# The last outcome per store and source (reference: status is in memory; the last result
# is also in the dataset's metadata so it survives a restart).
_OUTCOMES: "weakref.WeakKeyDictionary[Any, dict[str, dict]]" = weakref.WeakKeyDictionary()
_OUTCOMES_LOCK = threading.Lock()


def _outcomes(store) -> dict[str, dict]:
    with _OUTCOMES_LOCK:
        return _OUTCOMES.setdefault(store, {})


def _running(store, name: str) -> Job | None:
    return store.jobs.running(job_key(name)) if isinstance(store, LocalStore) else None


def is_running(store, name: str) -> bool:
    return _running(store, name) is not None


def cancel(store, name: str) -> bool:
    """Ask a running sync of ``name`` to stop (it rolls back). False if none is running."""
    job = _running(store, name)
    if job is None:
        return False
    job.cancel()
    return True


# ----------------------------------------------------------------------------------
# Sources


def add_source(store, name: str, kind: str, url: str, dataset_query: str,
               results_query: str | None = None, incremental_column: str | None = None,
               partition_column: str | None = None, refresh_interval_minutes: float = 0,
               **options) -> dict:
    """Save a source as ``<config>/sources/<name>.yaml`` and return its public description.

    ``options``: ``columns`` (rename map), ``query_timeout``, ``password_env``, ``enabled``.
    A password inside ``url`` is never written; it is kept for this process only. With a
    store served by the Jupyter server, the source is saved there.
    """
    if isinstance(store, RemoteStore):
        return client.add_source(store, name, kind, url, dataset_query, results_query,
                                 incremental_column, partition_column, refresh_interval_minutes,
                                 **options)
    cfg = sconfig.save_source(name, kind, url, dataset_query, results_query, incremental_column,
                              partition_column, refresh_interval_minutes, **options)
    return cfg.public()


def delete_source(store, name: str) -> None:
    """Delete a saved source (its YAML file); the dataset it synced stays. Raises
    :class:`NotFoundError` for an unknown source and :class:`ConflictError` while it syncs.
    With a store served by the Jupyter server, the source is deleted there."""
    if isinstance(store, RemoteStore):
        return client.delete_source(store, name)
    if is_running(store, name):
        raise ConflictError(f"a sync of {name!r} is running; cancel it or wait, then remove "
                            "the source.")
    sconfig.remove_source(name)


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


# ----------------------------------------------------------------------------------
# Running syncs


def start_sync(store: LocalStore, source: str | sconfig.SourceConfig, *, full: bool = False,
               reason: str = "manual", settings: sconfig.StoreSettings | None = None,
               cancel_event: threading.Event | None = None) -> Job:
    """Start the sync of one source as a job of ``store.jobs``; returns the job at once.

    Raises before a job exists: :class:`NotFoundError` for an unknown source,
    :class:`ConflictError` when that source is already syncing. The job's result is the
    source's status dict; its events carry the progress.
    """
    _check_local(store)
    cfg = source if isinstance(source, sconfig.SourceConfig) else sconfig.get_source(source)
    current = _running(store, cfg.name)
    if current is not None:
        started = current.started or current.created
        raise ConflictError(
            f"a sync of {cfg.name!r} is already running (for "
            f"{time.time() - started.timestamp():.0f} s, phase "
            f"{current.progress_data.get('phase', 'starting')}); wait for it or cancel it.")

    def work(job: Job) -> dict:
        job.log(f"sync of {cfg.name} ({'full' if full else 'incremental when possible'}, {reason})")
        sync_one(store, SyncRun(cfg, settings or sconfig.load_store_settings(), job, cancel_event),
                 full=full)
        return wire.jsonable(status_dict(store, cfg.name))

    return store.jobs.start(JOB_KIND, work, key=job_key(cfg.name),
                            params={"source": cfg.name, "full": bool(full), "reason": reason})


def sync_source(store, cfg: sconfig.SourceConfig, *, full: bool = False,
                progress: Progress | None = None, cancel_event: threading.Event | None = None,
                settings: sconfig.StoreSettings | None = None, reason: str = "manual") -> dict:
    """Sync one source into dataset ``cfg.name`` and wait for it; returns its status dict.
    Raises what made it fail (:class:`SyncCancelled` when cancelled)."""
    job = start_sync(store, cfg, full=full, reason=reason, settings=settings,
                     cancel_event=cancel_event)
    follow(job, progress)
    if job.state == "cancelled" and job.exception is None:  # cancelled before it started
        raise SyncCancelled("the sync was cancelled; nothing was replaced.")
    job.outcome()  # raises what ended a failed or cancelled sync
    return status_dict(store, cfg.name)


def follow(job: Job, progress: Progress | None = None) -> Job:
    """Block until the sync job ends, calling ``progress(dict)`` here for each of its steps
    (a KeyboardInterrupt cancels the sync)."""
    def on_event(event: str, data: Any) -> None:
        if progress is not None and event == "progress" and isinstance(data, dict) and "phase" in data:
            try:
                progress(data)
            except Exception:  # a broken progress display must not break the sync
                pass

    job.follow(on_event)
    return job


def sync(store, name: str | None = None, full: bool = False, progress: Progress | None = None,
         cancel_event: threading.Event | None = None) -> pd.DataFrame:
    """Sync one source (or every enabled source) and return the status per dataset.

    Raises :class:`NotFoundError` for an unknown source and :class:`ConflictError` when that
    dataset is already syncing. A source that fails is reported in the ``error`` column
    (its previous data stays readable); with a single ``name`` the error is raised.
    """
    if isinstance(store, RemoteStore):
        return client.sync(store, name, full=full, progress=progress)
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
            _outcomes(store).setdefault(cfg.name, {})["note"] = str(exc)
        except AxisError:
            pass  # recorded in the status
    return status(store, names)


def sync_one(store: LocalStore, run: SyncRun, *, full: bool = False) -> None:
    """The work of a sync job: full or incremental, the outcome recorded for the status."""
    cfg = run.cfg
    outcomes = _outcomes(store)
    outcomes[cfg.name] = {"state": "syncing"}
    t0 = time.perf_counter()
    try:
        info = store.infos().get(cfg.name) or {}
        meta = info.get("sync") or {}
        incremental = (not full and bool(cfg.incremental_column) and bool(meta.get("watermarks"))
                       and info.get("records_table") is None  # wide layouts are rebuilt in full
                       and meta.get("query_hash") == query_hash(cfg)
                       and all(t in _existing_tables(store) for t in (meta.get("raw_tables") or {}).values())
                       and cfg.kind != "kpi")
        run.emit("connecting", sync_type="incremental" if incremental else "full")
        result = incremental_sync(store, run, info) if incremental else full_sync(store, run)
        result["seconds"] = round(time.perf_counter() - t0, 3)
        outcomes[cfg.name] = {"state": "ready", "seconds": result["seconds"]}
        run.emit("done", rows=result.get("rows"), sync_type=result.get("sync_type"),
                 incremental_rows=result.get("incremental_rows"), seconds=result["seconds"])
    except BaseException as exc:
        msg = str(exc) if isinstance(exc, AxisError) else f"{type(exc).__name__}: {rd.clean_pg_error(exc)}"
        cancelled = isinstance(exc, SyncCancelled) or run.cancelled()
        outcomes[cfg.name] = {"state": "error", "error": "cancelled" if cancelled else msg}
        try:
            _clear_watermarks(store, cfg.name)
        except Exception:
            pass
        run.emit("error", error=outcomes[cfg.name]["error"])
        if cancelled and not isinstance(exc, SyncCancelled):
            raise SyncCancelled("the sync was cancelled; nothing was replaced.") from exc
        raise


# ----------------------------------------------------------------------------------
# Status


def status(store, names: list[str] | None = None) -> pd.DataFrame:
    """State, rows, last sync, error, incremental rows and watermark per synced dataset."""
    rows = [status_dict(store, n) for n in (names if names is not None else _known_names(store))]
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def status_all(store) -> dict[str, dict]:
    """The same as :func:`status`, as ``{name: {...}}`` (JSON-able, for the HTTP API); for a
    store served by the Jupyter server, the server's (which runs its syncs)."""
    if isinstance(store, RemoteStore):
        return client.sync_status(store)
    return {n: status_dict(store, n) for n in _known_names(store)}


def status_dict(store, name: str) -> dict:
    try:
        cfg = sconfig.list_sources().get(name)
    except ConfigError:
        cfg = None
    info = _infos(store).get(name) or {}
    meta = info.get("sync") or {}
    live = _outcomes(store).get(name, {})
    job = _running(store, name)
    progress = dict(job.progress_data) if job is not None else {}
    wm = meta.get("watermarks") or {}
    state = "syncing" if job else live.get("state") or ("ready" if meta else "not_synced")
    if state == "syncing" and not job:  # the job ended between the two lookups
        state = "ready" if meta else "not_synced"
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
        "phase": progress.get("phase", "starting") if job else None,
        "progress": dict(progress.get("tables") or {}) if job else None,
        "watermarks": wm,
    }


def reset_watermark(store, name: str) -> dict:
    """Forget the watermarks of ``name``: its next sync is a full rebuild."""
    _check_local(store)
    infos = store.infos()
    info = infos.get(name)
    if not info or not (info.get("sync") or {}).get("watermarks"):
        if name not in infos and name not in sconfig.list_sources():
            raise NotFoundError(f"no synced dataset or source named {name!r}.")
        return {"success": True, "message": f"{name}: no watermark stored; the next sync is full."}
    _clear_watermarks(store, name)
    return {"success": True, "message": f"{name}: watermarks cleared; the next sync is a full rebuild."}


def _infos(store) -> dict[str, dict]:
    return store.infos() if isinstance(store, LocalStore) else {}


def _known_names(store) -> list[str]:
    names: list[str] = []
    try:
        names = list(sconfig.list_sources())
    except ConfigError:
        pass
    for n, info in sorted(_infos(store).items()):
        if info.get("sync") and n not in names:
            names.append(n)
    for n in _outcomes(store):
        if n not in names:
            names.append(n)
    return names


def _check_local(store) -> None:
    if not isinstance(store, LocalStore):
        raise AxisError("this store is served by the Jupyter server: sync runs there "
                        "(POST axis/api/sync/{source}); call the store's own sync().")


def _existing_tables(store) -> set[str]:
    return set(store.read(lambda cur: [r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables()").fetchall()]))


def _clear_watermarks(store, name: str) -> None:
    info = store.infos().get(name)
    if not info or not (info.get("sync") or {}).get("watermarks"):
        return
    new = json.loads(json.dumps(info, default=str))
    new["sync"]["watermarks"] = {}
    store.write(lambda cur: store.save_info(cur, name, new))
