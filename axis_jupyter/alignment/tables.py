"""The alignment tables in the store's DuckDB file, created on first use.

All writes go through the store's writer API (``store.write(fn)``: one transaction under
the store's write lock), so labels written by the server, by a kernel through the server,
or by a script on its own store are all in the file, never only in a browser.

* ``_axis_annotations`` — the current label of each (dataset, record, annotator):
  judgment (0/1 or null), score, tags (JSON list), critique, flagged, updated_at, and
  ``revision`` (the history entry it reflects).
* ``_axis_annotation_history`` — every change, append-only: sets, undos, imports (also
  imported rows that lost to a newer label, so an import never drops anything). ``seq``
  orders them; ``undoes`` names the entry an undo reverted; ``deleted`` marks a change
  that left no label (undoing the first label of a record).
* ``_axis_judges`` — judge configurations, one row per (name, version).
* ``_axis_calibrations`` / ``_axis_calibration_records`` — calibration runs (judge
  version, metrics) and their per-record verdicts.
* ``_axis_alignment_results`` — misalignment analyses and optimisations of a run.
"""

from __future__ import annotations

import threading
import weakref

ANNOTATIONS = "_axis_annotations"
HISTORY = "_axis_annotation_history"
HISTORY_SEQ = "_axis_annotation_seq"
JUDGES = "_axis_judges"
CALIBRATIONS = "_axis_calibrations"
CAL_RECORDS = "_axis_calibration_records"
RESULTS = "_axis_alignment_results"

LABEL_COLUMNS = ("judgment", "score", "tags", "critique", "flagged")

DDL = [
    f"CREATE SEQUENCE IF NOT EXISTS {HISTORY_SEQ} START 1",
    f"""CREATE TABLE IF NOT EXISTS {ANNOTATIONS} (
        dataset VARCHAR NOT NULL, record_id VARCHAR NOT NULL, annotator VARCHAR NOT NULL,
        judgment INTEGER, score DOUBLE, tags VARCHAR, critique VARCHAR,
        flagged BOOLEAN NOT NULL DEFAULT false, updated_at TIMESTAMP NOT NULL,
        revision BIGINT NOT NULL, PRIMARY KEY (dataset, record_id, annotator))""",
    f"""CREATE TABLE IF NOT EXISTS {HISTORY} (
        seq BIGINT PRIMARY KEY, dataset VARCHAR NOT NULL, record_id VARCHAR NOT NULL,
        annotator VARCHAR NOT NULL, judgment INTEGER, score DOUBLE, tags VARCHAR,
        critique VARCHAR, flagged BOOLEAN NOT NULL DEFAULT false, updated_at TIMESTAMP,
        action VARCHAR NOT NULL, undoes BIGINT, deleted BOOLEAN NOT NULL DEFAULT false,
        applied BOOLEAN NOT NULL DEFAULT true, recorded_at TIMESTAMP NOT NULL,
        recorded_by VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {JUDGES} (
        name VARCHAR NOT NULL, version INTEGER NOT NULL, config JSON NOT NULL,
        fingerprint VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, created_by VARCHAR,
        note VARCHAR, PRIMARY KEY (name, version))""",
    f"""CREATE TABLE IF NOT EXISTS {CALIBRATIONS} (
        run_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, judge_name VARCHAR NOT NULL,
        judge_version INTEGER NOT NULL, annotator VARCHAR, model VARCHAR,
        created_at TIMESTAMP NOT NULL, created_by VARCHAR, n INTEGER, metrics JSON,
        usage JSON)""",
    f"""CREATE TABLE IF NOT EXISTS {CAL_RECORDS} (
        run_id VARCHAR NOT NULL, record_id VARCHAR NOT NULL, human INTEGER, judge INTEGER,
        aligned BOOLEAN, reasoning VARCHAR, error VARCHAR, PRIMARY KEY (run_id, record_id))""",
    f"""CREATE TABLE IF NOT EXISTS {RESULTS} (
        run_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, result JSON NOT NULL,
        created_at TIMESTAMP NOT NULL, created_by VARCHAR)""",
]

_READY: "weakref.WeakSet" = weakref.WeakSet()
_LOCK = threading.Lock()


def ensure(store) -> None:
    """Create the alignment tables in ``store`` once per store object (idempotent DDL)."""
    if store in _READY:
        return
    with _LOCK:
        def tx(cur):
            for statement in DDL:
                cur.execute(statement)

        store.write(tx)
        _READY.add(store)
