"""PostgreSQL -> DuckDB sync: sources, the sync engine, the scheduler and the DB browser.

    import axis_jupyter
    from axis_jupyter import sync
    axis = axis_jupyter.connect()
    sync.add_source(axis, "prod", "monitoring", "postgresql://axis@db/prod",
                    dataset_query="SELECT * FROM records", results_query="SELECT * FROM scores",
                    incremental_column="updated_at")
    sync.sync(axis, "prod")            # -> DataFrame: source, state, rows, last_sync, ...
    sync.status(axis)

The store methods ``axis.add_source(...)`` and ``axis.sync(...)`` delegate here.
"""

from __future__ import annotations

from .config import SourceConfig, get_source, list_sources, load_store_settings, remove_source
from .engine import (add_source, cancel, eligible_sources, is_running, reset_watermark, sources,
                     status, status_all, sync, sync_source)
from .readers import SyncCancelled, SyncError

__all__ = ["SourceConfig", "SyncCancelled", "SyncError", "add_source", "cancel",
           "eligible_sources", "get_source", "is_running", "list_sources", "load_store_settings",
           "remove_source", "reset_watermark", "sources", "status", "status_all", "sync",
           "sync_source"]
