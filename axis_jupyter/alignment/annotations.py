"""``axis.annotations(name)``: label a dataset's records, in the store.

    ann = axis.annotations("support_answers")
    ann.set("rec_17", judgment=1, tags=["correct"], critique="cites the policy")
    ann.undo()                         # back to the value before the last change
    ann.frame()                        # everyone's current labels
    ann.export("labels.csv")           # the records plus judgment, critique, user_tags, ...
    ann.import_csv("labels.csv")       # merge: the newer updated_at wins, nothing dropped

The annotator is the Jupyter user (JupyterHub's name under a hub, else the OS user); on a
server's store it is the user the server authenticated. Labels are rows of the store's
DuckDB file: another notebook on the same server sees them at once.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import IngestError, ParameterError
from . import annotation_store as S
from . import records
from .annotation_rows import UNSET, iso
from .identity import check_annotator, default_annotator
from .transport import call, is_remote

EXPORT_LABEL_COLUMNS = ["annotator", "judgment", "score", "critique", "user_tags",
                        "annotation_flagged", "updated_at"]


class Annotations:
    """The labels of one dataset, as one annotator writes them (all annotators read)."""

    def __init__(self, store, dataset: str, annotator: str | None = None):
        self.store, self.dataset = store, dataset
        self.remote = is_remote(store)
        if self.remote:
            if annotator is not None:
                raise ParameterError("on a server's store you label as the user the server "
                                     "authenticated; annotator= cannot be set.",
                                     param="annotator")
            who = call(store, "GET", "datasets", dataset, "whoami")
            self.annotator = who["annotator"]
        else:
            store.info(dataset)  # NotFoundError for an unknown dataset
            self.annotator = check_annotator(annotator if annotator is not None
                                             else default_annotator())

    def __repr__(self) -> str:
        p = self.progress()
        return (f"<Annotations {self.dataset!r} by {self.annotator}: {p['labelled']} of "
                f"{p['total']} labelled, {p['flagged']} flagged>")

    # -- writing ----------------------------------------------------------------------
    def set(self, record_id: Any, judgment: Any = UNSET, score: Any = UNSET, tags: Any = UNSET,
            critique: Any = UNSET, flagged: Any = UNSET) -> dict:
        """Label ``record_id``: only the fields given change (``None`` clears one).
        ``judgment``: 1/0 (or accept/reject, True/False); ``score``: a number (1-5 or your
        range); ``tags``: a list; ``critique``: text; ``flagged``: bool. Returns the label
        with its ``revision`` (see :meth:`undo`)."""
        given = {k: v for k, v in (("judgment", judgment), ("score", score), ("tags", tags),
                                   ("critique", critique), ("flagged", flagged)) if v is not UNSET}
        if self.remote:
            return call(self.store, "POST", "datasets", self.dataset, "annotations",
                        json={"record_id": str(record_id), **given})
        return S.set_label(self.store, self.dataset, record_id, self.annotator, **given)

    def undo(self, revision: int | None = None) -> dict:
        """Revert one of your changes (default: your latest one not undone yet) to the value
        before it. Refused, changing nothing, if the record changed since."""
        if self.remote:
            body = {} if revision is None else {"revision": revision}
            return call(self.store, "POST", "datasets", self.dataset, "annotations", "undo", json=body)
        return S.undo(self.store, self.dataset, self.annotator, revision)

    def import_csv(self, path: str | Path) -> dict:
        """Merge labels from a CSV (this class's export, or the reference's annotation files:
        ``dataset_id`` or ``record_id``, ``judgment`` accept/reject/0/1 or a score,
        ``critique``, ``user_tags``, ``annotation_flagged``, optional ``annotator`` and
        ``updated_at``). Per record and annotator the newer ``updated_at`` wins; a row
        without one never replaces a label; every row is kept in the history. A bad row
        stops the import before anything is written. Returns the counts."""
        rows = read_label_csv(path)
        if self.remote:
            return call(self.store, "POST", "datasets", self.dataset, "annotations", "import",
                        json={"rows": rows})
        return S.import_rows(self.store, self.dataset, rows, self.annotator)

    # -- reading ----------------------------------------------------------------------
    def frame(self, annotator: str | None = None) -> pd.DataFrame:
        """Current labels, one row per record and annotator (``annotator=`` one only):
        record_id, annotator, judgment, score, tags, critique, flagged, updated_at, revision."""
        if self.remote:
            params = {"annotator": annotator} if annotator else None
            data = call(self.store, "GET", "datasets", self.dataset, "annotations", params=params)
            return _frame_from(data["annotations"], _LABEL_FRAME_COLUMNS)
        return S.frame(self.store, self.dataset, annotator)

    def history(self, record_id: Any = None, annotator: str | None = None) -> pd.DataFrame:
        """Every change, oldest first (sets, undos, imports — also imported rows that lost)."""
        if self.remote:
            params = {k: str(v) for k, v in (("record_id", record_id), ("annotator", annotator))
                      if v is not None}
            data = call(self.store, "GET", "datasets", self.dataset, "annotations", "history",
                        params=params or None)
            return _frame_from(data["history"], None)
        return S.history(self.store, self.dataset, record_id, annotator)

    def progress(self) -> dict:
        """total, labelled, pending, flagged — for this annotator."""
        page = self.records(limit=1)
        return {k: page[k] for k in ("total", "labelled", "pending", "flagged")}

    def records(self, status: str = "all", search: str | None = None, offset: int = 0,
                limit: int = 100, run_id: str | None = None) -> dict:
        """A page of records with this annotator's status (``status``: all, pending,
        labelled, flagged, or disagreements of calibration ``run_id``) and the counts."""
        if self.remote:
            params = {"status": status, "offset": offset, "limit": limit}
            params.update({k: v for k, v in (("search", search), ("run_id", run_id)) if v})
            data = call(self.store, "GET", "datasets", self.dataset, "records", params=params)
            data["records"] = _frame_from(data["records"], None)
            return data
        return records.page(self.store, self.dataset, self.annotator, status=status,
                            search=search, offset=offset, limit=limit, run_id=run_id)

    def record(self, record_id: Any = None, position: int | None = None,
               status: str = "all") -> dict:
        """One record's fields and everyone's labels of it (by id, or by position in the
        ``status`` list)."""
        if self.remote:
            params: dict[str, Any] = {"status": status}
            if record_id is not None:
                params["record_id"] = str(record_id)
            if position is not None:
                params["position"] = position
            return call(self.store, "GET", "datasets", self.dataset, "record", params=params)
        return records.record_at(self.store, self.dataset, self.annotator, position=position,
                                 record_id=None if record_id is None else str(record_id),
                                 status=status)

    def export(self, path: str | Path | None = None, include_unlabelled: bool = True):
        """Write the records with their labels as CSV (the reference's export: the record
        columns plus annotator, judgment accept/reject, score, critique, user_tags as a
        JSON array, annotation_flagged, updated_at). Without ``path`` return the frame."""
        if self.remote:
            data = call(self.store, "GET", "datasets", self.dataset, "annotations", "export",
                        params={"include_unlabelled": "true" if include_unlabelled else "false"})
            df = _frame_from(data["rows"], data["columns"])
        else:
            df = export_frame(self.store, self.dataset, include_unlabelled)
        if path is None:
            return df
        path = Path(path).expanduser()
        df.to_csv(path, index=False)
        return path

    def notes(self) -> list[dict]:
        """The critiques as notes for pattern discovery: {id, text, metadata{judgment, tags,
        annotator}} (every annotator's)."""
        df = self.frame()
        out = []
        for row in df.to_dict("records"):
            text = row.get("critique")
            if not isinstance(text, str) or not text.strip():
                continue
            j = row.get("judgment")
            out.append({"id": str(row["record_id"]), "text": text, "metadata": {
                "judgment": None if j is None or pd.isna(j) else int(j),
                "tags": ", ".join(row.get("tags") or [])}})
        return out

    def patterns(self, method: str = "local", **kwargs):
        """Cluster the critiques into recurring patterns (:func:`axis_jupyter.patterns.discover`;
        ``method="local"`` needs no network)."""
        from ..patterns import discover

        return discover(self.notes(), method=method, **kwargs)


_LABEL_FRAME_COLUMNS = ["record_id", "annotator", "judgment", "score", "tags", "critique",
                        "flagged", "updated_at", "revision"]


def _frame_from(rows: list[dict], columns: list[str] | None) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns) if columns else pd.DataFrame(rows)
    if "judgment" in df:
        df["judgment"] = df["judgment"].astype("Int64")
    for col in ("updated_at", "recorded_at"):
        if col in df:
            df[col] = pd.to_datetime(df[col], utc=True).dt.tz_localize(None)
    return df


def export_frame(store, dataset: str, include_unlabelled: bool = True) -> pd.DataFrame:
    """The export table (see :meth:`Annotations.export`), records in file order."""
    recs = records.frame(store, dataset)
    labels = S.frame(store, dataset)
    labels = labels.assign(
        judgment=labels["judgment"].map(lambda j: "" if pd.isna(j) else ("accept" if j == 1 else "reject")),
        user_tags=labels["tags"].map(lambda t: json.dumps(list(t), ensure_ascii=False)),
        annotation_flagged=labels["flagged"].astype(bool),
        updated_at=labels["updated_at"].map(iso),
    )[["record_id"] + EXPORT_LABEL_COLUMNS]
    drop = [c for c in ("judgment", "critique", "user_tags", "annotation_flagged") if c in recs]
    recs = recs.drop(columns=drop)
    out = recs.merge(labels, on="record_id", how="left" if include_unlabelled else "inner")
    return out


def read_label_csv(path: str | Path) -> list[dict]:
    """The rows of a label CSV as dicts of text (empty cells as None)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise IngestError(f"{path}: no such file.")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[])
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: cannot read it as CSV ({str(exc).splitlines()[0]}).") from None
    if not any(c in df.columns for c in ("record_id", "dataset_id", "id")):
        raise IngestError(f"{path}: needs a record_id or dataset_id column (columns: "
                          f"{', '.join(df.columns)}).")
    df = df.replace({"": None})
    return [{k: v for k, v in row.items() if not (isinstance(v, float) and math.isnan(v))}
            for row in df.to_dict("records")]
