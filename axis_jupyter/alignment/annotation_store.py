"""Labels in the store: set, undo, import (merge), and reading them back.

Every change is one transaction of the store's writer API and leaves a history entry, so
nothing a person labelled is ever lost: a re-label keeps the earlier value in the
history, an undo is itself a change (it writes back the value before), and an import
keeps the rows that lost to a newer label (``applied = false``).

Undo rules: ``undo(revision)`` reverts one change of the annotator's (a set or an applied
import) to the value the record had before it (or no label). It is refused (nothing
changes) if that change was already undone, or if the record changed after it in a way
that was not itself undone (another session, an import): the person then sees the
newer value instead of having it silently overwritten.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from ..errors import ConflictError, NotFoundError, ParameterError
from . import records, tables
from .annotation_rows import UNSET, check_fields, check_tags, now_utc, parse_time
from .metrics import binary

EMPTY = {"judgment": None, "score": None, "tags": [], "critique": None, "flagged": False}
MAX_IMPORT_ROWS = 500_000
_COLS = "dataset, record_id, annotator, judgment, score, tags, critique, flagged, updated_at"


def _content(row: dict | None) -> dict:
    if row is None:
        return dict(EMPTY)
    return {"judgment": None if row.get("judgment") is None or _nan(row["judgment"]) else int(row["judgment"]),
            "score": None if row.get("score") is None or _nan(row["score"]) else float(row["score"]),
            "tags": row["tags"] if isinstance(row.get("tags"), list) else _tags(row.get("tags")),
            "critique": None if row.get("critique") is None or _nan(row["critique"]) else row["critique"],
            "flagged": bool(row.get("flagged") or False)}


def _nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _tags(text) -> list[str]:
    from .annotation_rows import tags_of

    return tags_of(text)


def _current(cur, dataset: str, record_id: str, annotator: str) -> dict | None:
    row = cur.execute(f"SELECT judgment, score, tags, critique, flagged, updated_at, revision "
                      f"FROM {tables.ANNOTATIONS} WHERE dataset = ? AND record_id = ? AND "
                      "annotator = ?", [dataset, record_id, annotator]).fetchone()
    if row is None:
        return None
    keys = ("judgment", "score", "tags", "critique", "flagged", "updated_at", "revision")
    return dict(zip(keys, row))


def _write(cur, dataset, record_id, annotator, content, *, when, action, recorded_by,
           undoes=None, deleted=False, applied=True) -> int:
    seq = cur.execute(f"SELECT nextval('{tables.HISTORY_SEQ}')").fetchone()[0]
    tags = json.dumps(content["tags"], ensure_ascii=False)
    cur.execute(f"INSERT INTO {tables.HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?)", [seq, dataset, record_id, annotator, content["judgment"], content["score"],
                          tags, content["critique"], content["flagged"], when, action, undoes,
                          deleted, applied, now_utc(), recorded_by])
    if applied:
        cur.execute(f"DELETE FROM {tables.ANNOTATIONS} WHERE dataset = ? AND record_id = ? AND "
                    "annotator = ?", [dataset, record_id, annotator])
        if not deleted:
            cur.execute(f"INSERT INTO {tables.ANNOTATIONS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [dataset, record_id, annotator, content["judgment"], content["score"],
                         tags, content["critique"], content["flagged"], when, seq])
    return int(seq)


def _result(record_id, annotator, content, revision, updated_at, changed=True) -> dict:
    from .annotation_rows import iso

    return {"record_id": record_id, "annotator": annotator, **content,
            "updated_at": iso(updated_at), "revision": revision, "changed": changed}


def require_record(store, dataset: str, record_id: str) -> None:
    rs = records.record_sql(store, dataset)
    found = store.read(lambda cur: cur.execute(
        f"WITH rec AS ({rs.cte}) SELECT 1 FROM rec WHERE record_id = ? LIMIT 1",
        [record_id]).fetchone())
    if found is None:
        raise NotFoundError(f"no record {record_id!r} in dataset {dataset!r}.")


def set_label(store, dataset: str, record_id: Any, annotator: str, *, judgment=UNSET,
              score=UNSET, tags=UNSET, critique=UNSET, flagged=UNSET,
              recorded_by: str | None = None) -> dict:
    """Change the given fields of ``annotator``'s label of ``record_id`` (fields not
    given keep their value; ``None`` clears one). Returns the label with its
    ``revision`` (the history entry; pass it to :func:`undo`) and ``changed``."""
    record_id = str(record_id)
    changes = check_fields({"judgment": judgment, "score": score, "tags": tags,
                            "critique": critique, "flagged": flagged})
    if not changes:
        raise ParameterError("give at least one of judgment, score, tags, critique, flagged.",
                             param="judgment")
    tables.ensure(store)
    require_record(store, dataset, record_id)

    def tx(cur):
        current = _current(cur, dataset, record_id, annotator)
        before = _content(current)
        after = {**before, **changes}
        if current is not None and after == before:
            return _result(record_id, annotator, before, int(current["revision"]),
                           current["updated_at"], changed=False)
        when = now_utc()
        seq = _write(cur, dataset, record_id, annotator, after, when=when, action="set",
                     recorded_by=recorded_by or annotator)
        return _result(record_id, annotator, after, seq, when)

    return store.write(tx)


def undo(store, dataset: str, annotator: str, revision: int | None = None, *,
         recorded_by: str | None = None) -> dict:
    """Revert one change (``revision``; default: the annotator's latest change in this
    dataset that is not undone yet). Returns the record's label after the undo
    (``None`` fields and ``deleted: true`` when it has no label any more)."""
    tables.ensure(store)
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
        raise ParameterError("revision must be an integer.", param="revision")

    def tx(cur):
        seq = revision
        if seq is None:
            row = cur.execute(
                f"SELECT max(h.seq) FROM {tables.HISTORY} h WHERE h.dataset = ? AND "
                "h.annotator = ? AND h.action IN ('set', 'import') AND h.applied AND NOT EXISTS "
                f"(SELECT 1 FROM {tables.HISTORY} u WHERE u.undoes = h.seq)",
                [dataset, annotator]).fetchone()
            seq = row[0] if row else None
            if seq is None:
                raise NotFoundError(f"nothing of {annotator}'s to undo in {dataset!r}.")
        entry = cur.execute(f"SELECT record_id, annotator, action, applied FROM {tables.HISTORY} "
                            "WHERE seq = ? AND dataset = ?", [seq, dataset]).fetchone()
        if entry is None or entry[1] != annotator:
            raise NotFoundError(f"no change {seq} of {annotator}'s in {dataset!r}.")
        record_id, _, action, applied = entry
        if action not in ("set", "import") or not applied:
            raise ConflictError(f"change {seq} is an {action} that did not change the label; "
                                "there is nothing to undo.")
        hist = cur.execute(
            f"SELECT h.seq, h.action, h.deleted, h.judgment, h.score, h.tags, h.critique, "
            f"h.flagged, h.updated_at, EXISTS (SELECT 1 FROM {tables.HISTORY} u WHERE "
            f"u.undoes = h.seq) AS undone FROM {tables.HISTORY} h WHERE h.dataset = ? AND "
            "h.record_id = ? AND h.annotator = ? AND h.applied ORDER BY h.seq",
            [dataset, record_id, annotator]).df()
        hist["undone"] = hist["undone"].astype(bool)
        if bool(hist.loc[hist.seq == seq, "undone"].any()):
            raise ConflictError(f"change {seq} was already undone.")
        later = hist[(hist.seq > seq) & (hist.action != "undo") & ~hist.undone]
        if len(later):
            raise ConflictError(f"record {record_id!r} changed after change {seq} (change "
                                f"{int(later.seq.iloc[0])}); nothing was undone.")
        earlier = hist[(hist.seq < seq) & ~hist.undone]
        prev = earlier.iloc[-1].to_dict() if len(earlier) else None
        deleted = prev is None or bool(prev["deleted"])
        content = dict(EMPTY) if deleted else _content(prev)
        when = now_utc() if deleted else prev["updated_at"]
        new = _write(cur, dataset, record_id, annotator, content, when=when, action="undo",
                     recorded_by=recorded_by or annotator, undoes=int(seq), deleted=deleted)
        out = _result(record_id, annotator, content, new, when)
        out.update(deleted=deleted, undone=int(seq))
        return out

    return store.write(tx)


# ----------------------------------------------------------------------------- reading
def frame(store, dataset: str, annotator: str | None = None) -> pd.DataFrame:
    """Current labels: record_id, annotator, judgment, score, tags (list), critique,
    flagged, updated_at, revision (one row per record and annotator)."""
    tables.ensure(store)
    store.info(dataset)
    where, args = "dataset = ?", [dataset]
    if annotator is not None:
        where, args = where + " AND annotator = ?", args + [annotator]
    df = store.read(lambda cur: cur.execute(
        f"SELECT record_id, annotator, judgment, score, tags, critique, flagged, updated_at, "
        f"revision FROM {tables.ANNOTATIONS} WHERE {where} ORDER BY updated_at, revision",
        args).df())
    return _typed(df)


def history(store, dataset: str, record_id: str | None = None,
            annotator: str | None = None) -> pd.DataFrame:
    """Every change, oldest first: seq, record_id, annotator, the label fields, action
    (set, undo, import), undoes, deleted, applied, recorded_at, recorded_by."""
    tables.ensure(store)
    store.info(dataset)
    where, args = ["dataset = ?"], [dataset]
    for col, value in (("record_id", record_id), ("annotator", annotator)):
        if value is not None:
            where.append(f"{col} = ?")
            args.append(str(value))
    df = store.read(lambda cur: cur.execute(
        f"SELECT seq, record_id, annotator, judgment, score, tags, critique, flagged, "
        f"updated_at, action, undoes, deleted, applied, recorded_at, recorded_by FROM "
        f"{tables.HISTORY} WHERE {' AND '.join(where)} ORDER BY seq", args).df())
    return _typed(df)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    if "tags" in df:
        df["tags"] = df["tags"].map(_tags)
    if "judgment" in df:
        df["judgment"] = df["judgment"].astype("Int64")
    return df


# ----------------------------------------------------------------------------- import
def _fingerprint(rid, who, content, when) -> tuple:
    return (rid, who, content["judgment"], content["score"], tuple(content["tags"]),
            content["critique"], content["flagged"], pd.Timestamp(when) if when is not None else None)


def parse_import_rows(rows: list[dict], default_annotator: str) -> pd.DataFrame:
    """Check every row before anything is written: a bad one is a ParameterError naming the
    row (1-based, as in the file after its header) and the column."""
    if len(rows) > MAX_IMPORT_ROWS:
        raise ParameterError(f"an import holds at most {MAX_IMPORT_ROWS} rows, not {len(rows)}.",
                             param="rows")
    out = []
    for i, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            raise ParameterError(f"row {i} must be an object.", param=f"rows[{i - 1}]")
        try:
            out.append(_parse_row(raw, default_annotator))
        except ParameterError as exc:
            raise ParameterError(f"row {i}: {exc}", param=f"rows[{i - 1}].{exc.param}") from None
    return pd.DataFrame(out, columns=["record_id", "annotator", "judgment", "score", "tags",
                                      "critique", "flagged", "updated_at"])


def _first(raw: dict, *names: str) -> Any:
    for n in names:
        if n in raw and raw[n] is not None and not _nan(raw[n]) and not (
                isinstance(raw[n], str) and not raw[n].strip() and n in ("record_id", "annotator")):
            return raw[n]
    return None


def _parse_row(raw: dict, default_annotator: str) -> dict:
    rid = _first(raw, "record_id", "dataset_id", "id")
    if rid is None or str(rid).strip() == "":
        raise ParameterError("has no record_id (or dataset_id).", param="record_id")
    annotator = _first(raw, "annotator")
    annotator = str(annotator).strip() if annotator is not None else default_annotator
    judgment_raw, score = _first(raw, "judgment"), _first(raw, "score")
    try:
        judgment = binary(judgment_raw, "judgment")
    except ParameterError:
        # The reference's files mix accept/reject with numeric scores in `judgment`.
        try:
            number = float(judgment_raw)
        except (TypeError, ValueError):
            raise ParameterError(f"judgment must be accept/reject, 0/1 or a score, not "
                                 f"{judgment_raw!r}.", param="judgment") from None
        judgment = None
        score = number if score is None else score
    fields = check_fields({"score": score,
                           "critique": _first(raw, "critique", "notes"),
                           "flagged": _first(raw, "flagged", "annotation_flagged")})
    tags = check_tags(_first(raw, "tags", "user_tags"))
    return {"record_id": str(rid).strip(), "annotator": annotator, "judgment": judgment,
            "score": fields["score"], "tags": tags, "critique": fields["critique"],
            "flagged": fields["flagged"], "updated_at": parse_time(_first(raw, "updated_at"))}


def import_rows(store, dataset: str, rows: list[dict], default_annotator: str, *,
                allow_other_annotators: bool = True, recorded_by: str | None = None) -> dict:
    """Merge labels into the store: per (record, annotator) the newest ``updated_at`` wins
    (a row without one never replaces a label); every row that loses is kept in the
    history. Rows equal to the current label are skipped (re-importing a file changes
    nothing), and so are rows with no label at all for a record without one. Returns
    counts: rows, inserted, updated, kept_older, unchanged, empty, unknown_records (ids not in the dataset, imported all the same), annotators."""
    tables.ensure(store)
    store.info(dataset)
    incoming = parse_import_rows(rows, default_annotator)
    others = sorted(set(incoming["annotator"]) - {default_annotator})
    if others and not allow_other_annotators:
        raise ParameterError(
            f"the rows name other annotators ({', '.join(others[:5])}); over the server an "
            f"import writes only your own labels ({default_annotator}): drop the annotator "
            "column to import them as yours.", param="annotator")
    rs = records.record_sql(store, dataset)
    ids = sorted(set(incoming["record_id"]))
    known = set(store.read(lambda cur: [r[0] for r in cur.execute(
        f"WITH rec AS ({rs.cte}) SELECT record_id FROM rec WHERE record_id IN "
        "(SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()]))
    summary = {"rows": len(incoming), "inserted": 0, "updated": 0, "kept_older": 0,
               "unchanged": 0, "empty": 0, "unknown_records": len(set(ids) - known),
               "annotators": sorted(set(incoming["annotator"]))}
    if incoming.empty:
        return summary
    incoming["_order"] = range(len(incoming))

    def tx(cur):
        current = cur.execute(
            f"SELECT record_id, annotator, judgment, score, tags, critique, flagged, updated_at "
            f"FROM {tables.ANNOTATIONS} WHERE dataset = ? AND record_id IN "
            "(SELECT unnest(?::VARCHAR[]))", [dataset, ids]).df()
        now = {(r["record_id"], r["annotator"]): r for r in current.to_dict("records")}
        # Rows of an earlier import of the same file are already in the history: seen.
        seen = {_fingerprint(r["record_id"], r["annotator"], _content(r), r["updated_at"])
                for r in cur.execute(
                    f"SELECT record_id, annotator, judgment, score, tags, critique, flagged, "
                    f"updated_at FROM {tables.HISTORY} WHERE dataset = ? AND action = 'import' "
                    "AND record_id IN (SELECT unnest(?::VARCHAR[]))", [dataset, ids]
                ).df().to_dict("records")}
        stamp = now_utc()
        for (rid, who), group in incoming.groupby(["record_id", "annotator"], sort=False):
            ordered = group.assign(_t=group["updated_at"].fillna(pd.Timestamp.min)).sort_values(
                ["_t", "_order"], kind="stable")
            cur_row = now.get((rid, who))
            cur_content = None if cur_row is None else _content(cur_row)
            cur_time = None if cur_row is None else pd.Timestamp(cur_row["updated_at"])
            candidates = ordered.to_dict("records")
            if cur_row is None:  # pending rows of the file: nothing to keep
                kept = [r for r in candidates if _content(r) != EMPTY]
                summary["empty"] += len(candidates) - len(kept)
                candidates = kept
            for pos, row in enumerate(candidates):
                content = _content(row)
                when = row["updated_at"] if pd.notna(row["updated_at"]) else None
                if cur_content is not None and content == cur_content and (
                        when is None or cur_time is None or pd.Timestamp(when) <= cur_time):
                    summary["unchanged"] += 1
                    continue
                if when is not None and _fingerprint(rid, who, content, when) in seen:
                    summary["unchanged"] += 1
                    continue
                newest = pos == len(candidates) - 1
                wins = newest and (cur_row is None or (
                    when is not None and pd.Timestamp(when) > cur_time))
                _write(cur, dataset, rid, who, content, when=when or stamp,
                       action="import", recorded_by=recorded_by or default_annotator,
                       applied=bool(wins))
                if wins:
                    summary["updated" if cur_row is not None else "inserted"] += 1
                else:
                    summary["kept_older"] += 1
        return summary

    return store.write(tx)
