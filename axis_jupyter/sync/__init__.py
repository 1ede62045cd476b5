"""PostgreSQL -> DuckDB sync: sources, the sync engine, the scheduler and the DB browser.

    import axis_jupyter
    from axis_jupyter import sync
    axis = axis_jupyter.connect()
    sync.add_source(axis, "prod", "monitoring", "postgresql://axis@db/prod",
                    dataset_query="SELECT * FROM records", results_query="SELECT * FROM scores",
                    incremental_column="updated_at")
    sync.sync(axis, "prod")            # -> DataFrame: source, state, rows, last_sync, ...
    sync.status(axis)

``axis.add_source(...)`` and ``axis.sync(...)`` call these (see axis_jupyter.workbench).
Each sync is a job of the store's runner; :func:`start_sync` starts one without waiting.
"""

from __future__ import annotations

from .config import SourceConfig, get_source, list_sources, load_store_settings, remove_source
from .engine import (add_source, cancel, delete_source, eligible_sources, is_running, job_key,
                     reset_watermark, sources, start_sync, status, status_all, sync, sync_source)
from .readers import SyncCancelled, SyncError

__all__ = ["SourceConfig", "SyncCancelled", "SyncError", "add_source", "cancel",
           "delete_source", "eligible_sources", "get_source", "is_running", "job_key", "list_sources",
           "load_store_settings", "remove_source", "reset_watermark", "sources", "start_sync",
           "status", "status_all", "sync", "sync_source"]
