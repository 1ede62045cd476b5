"""One query's rows imported as a dataset, through the sync's read tiers (the database
browser's table and query imports).

Like a full sync of a single-query source, without watermarks or a saved source: the rows
stream from PostgreSQL straight into the canonical tables (:func:`.land.land_canonical`), in
a read-only transaction with a statement timeout, and one write transaction swaps the new
dataset in. A failure leaves the store as it was.
"""

from __future__ import annotations

import threading
import uuid

from ..ingest import build
from ..ingest.readers import quote_ident
from ..store.dataset import Dataset
from ..store.names import check_name
from . import config as sconfig
from . import land
from . import readers as rd
from . import tiers

APP_NAME = "axis-browser"


def import_rows(store, conninfo: dict, query: str, *, name: str, kind: str = "auto",
                mapping: dict | None = None, label: str, timeout_s: int,
                cancel: threading.Event | None = None) -> Dataset:
    """Load the rows of ``query`` (one read-only SELECT, already checked and limited) as
    dataset ``name`` of the embedded ``store``. Raises :class:`~.readers.SyncError` when
    PostgreSQL refuses the query, :class:`~axis_jupyter.errors.IngestError` when the rows
    cannot become a dataset of that kind."""
    check_name(name)
    snap = rd.Snapshot(conninfo, probe_timeout_s=timeout_s, copy_timeout_s=timeout_s, app=APP_NAME)
    prefix = f"{store.next_prefix(name)[0]}{uuid.uuid4().hex[:6]}"
    built = None
    try:
        try:
            cols = rd.describe(snap, query, label)
            how = tiers.Reading.of(snap, sconfig.load_store_settings(), cancel or threading.Event())
            with store.cursor() as cur:
                built, read = land.land_canonical(cur, how, query, cols, kind=kind, mapping=mapping,
                                                   prefix=prefix, label=label, build_label=label)
        finally:
            snap.close()
        if built.records_table is not None:  # wide: the scores table, once row ids are final
            store.write(lambda cur: build.build_scores(cur, built))
        imported = {"tier": read.tier, "rows_read": read.rows, "truncated": read.truncated}
        info = store.write(lambda cur: store.commit_dataset(cur, name, built, label,
                                                            store.next_prefix(name)[1],
                                                            extra={"imported": imported}))
    except BaseException:
        if built is not None:
            _drop(store, built.tables)
        raise
    for w in info.get("warnings", []):
        import warnings

        warnings.warn(w, UserWarning, stacklevel=3)
    return Dataset(store, name, info["kind"])


def _drop(store, tables: list[str]) -> None:
    with store.cursor() as cur:
        for t in tables:
            try:
                cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
            except Exception:
                pass
