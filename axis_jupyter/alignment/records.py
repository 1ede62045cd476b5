"""The records of a dataset as people label them: one row per record, in file order.

A record is a ``dataset_id`` (one row of an annotation set; all metric rows of an
evaluation case). When one ``dataset_id`` appears under several ``evaluation_name`` values
(a model comparison: the same question answered by two models) each answer is its own
record, ``"<evaluation_name>/<dataset_id>"``. Without a ``dataset_id`` column the rows are
numbered ``row_1, row_2, ...``.

Everything here is SQL run by DuckDB on the store (``store.read``): a page of records with
the annotator's status, the counts for the progress bar, the record at a position of a
filtered list. Nothing loads all records into Python, so a 100,000-record set pages as
fast as a 10-record one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import NotFoundError, ParameterError
from ..params import coerce, integer
from ..ingest.jsonish import parse_jsonish
from ..ingest.readers import quote_ident
from . import tables

# What a record card shows, in order, when the dataset has the column.
DISPLAY_FIELDS = ("query", "actual_output", "expected_output", "retrieved_content",
                  "conversation", "evaluation_name")
# Fields the pre-labelled data of a file may carry (the reference's annotation export).
PRELABEL_FIELDS = ("judgment", "critique", "user_tags", "annotation_flagged")
STATUSES = ("all", "pending", "labelled", "flagged", "disagreements")


@dataclass(frozen=True)
class RecordSQL:
    """The SQL (a WITH clause body named ``rec``) listing a dataset's records."""

    cte: str
    fields: tuple[str, ...]
    composite: bool


_CACHE: dict[tuple, RecordSQL] = {}


def record_sql(store, dataset: str) -> RecordSQL:
    info = store.info(dataset)  # NotFoundError for an unknown dataset
    key = (id(store), dataset, info.get("version"), info.get("updated"))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    cols = [c["name"] for c in info["columns"]]
    fields = tuple(f for f in DISPLAY_FIELDS + PRELABEL_FIELDS if f in cols)
    view = quote_ident(dataset)
    if "dataset_id" not in cols:
        select = ", ".join(quote_ident(f) for f in fields)
        cte = (f"SELECT 'row_' || CAST(row_number() OVER () AS VARCHAR) AS record_id"
               f"{', ' + select if select else ''}, row_number() OVER () AS _pos FROM {view}")
        built = RecordSQL(cte, fields, False)
    else:
        composite = False
        if "evaluation_name" in cols:
            composite = bool(store.read(lambda cur: cur.execute(
                f"SELECT count(DISTINCT dataset_id) < count(DISTINCT (dataset_id, evaluation_name)) "
                f"FROM {view}").fetchone()[0]))
        rid = "CAST(dataset_id AS VARCHAR)"
        if composite:
            rid = f"coalesce(CAST(evaluation_name AS VARCHAR), '') || '/' || {rid}"
        group = ["dataset_id"] + (["evaluation_name"] if composite else [])
        aggs = ", ".join(f"any_value({quote_ident(f)}) AS {quote_ident(f)}"
                         for f in fields if f not in group)
        keep = ", ".join(quote_ident(g) for g in group if g in fields)
        parts = [f"{rid} AS record_id"] + ([keep] if keep else []) + ([aggs] if aggs else [])
        cte = (f"SELECT {', '.join(parts)}, min(_pos) AS _pos FROM (SELECT *, row_number() "
               f"OVER () AS _pos FROM {view}) GROUP BY {', '.join(group)}")
        built = RecordSQL(cte, fields, composite)
    _CACHE[key] = built
    return built


def _where(status: str, search: str | None, run_id: str | None) -> tuple[str, list[Any]]:
    if status not in STATUSES:
        raise ParameterError(f"status must be one of {', '.join(STATUSES)}, not {status!r}.",
                             param="status")
    clauses, params = [], []
    if status == "pending":
        clauses.append("a.judgment IS NULL AND a.score IS NULL")
    elif status == "labelled":
        clauses.append("(a.judgment IS NOT NULL OR a.score IS NOT NULL)")
    elif status == "flagged":
        clauses.append("coalesce(a.flagged, false)")
    elif status == "disagreements":
        clauses.append(f"rec.record_id IN (SELECT record_id FROM {tables.CAL_RECORDS} "
                       "WHERE run_id = ? AND aligned = false)")
        params.append(run_id or "")
    if search:
        text = f"%{search.strip()}%"
        searchable = ["rec.record_id"] + [f"CAST(rec.{quote_ident(f)} AS VARCHAR)"
                                          for f in ("query", "actual_output")]
        clauses.append("(" + " OR ".join(f"{c} ILIKE ?" for c in searchable) + ")")
        params.extend([text] * len(searchable))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _joined(rs: RecordSQL, select: str, where: str) -> str:
    return (f"WITH rec AS ({rs.cte}), a AS (SELECT * FROM {tables.ANNOTATIONS} "
            f"WHERE dataset = ? AND annotator = ?) SELECT {select} FROM rec LEFT JOIN a "
            f"ON a.record_id = rec.record_id{where}")


def _check_search_fields(rs: RecordSQL, search: str | None) -> None:
    missing = [f for f in ("query", "actual_output") if f not in rs.fields]
    if search and missing:  # keep the SQL valid: search what exists
        raise ParameterError("search needs the query and actual_output columns.",
                             param="search")


def page(store, dataset: str, annotator: str, *, status: str = "all", search: str | None = None,
         offset: int = 0, limit: int = 100, run_id: str | None = None) -> dict:
    """A page of records (id, position, status, judgment, score, flagged, the query's first
    120 characters) and the counts: total (all records), matching (this filter),
    labelled, pending, flagged (this annotator)."""
    tables.ensure(store)
    rs = record_sql(store, dataset)
    _check_search_fields(rs, search)
    where, params = _where(status, search, run_id)
    preview = ("left(CAST(rec.query AS VARCHAR), 120)" if "query" in rs.fields else "NULL")
    status_sql = ("CASE WHEN a.judgment IS NOT NULL OR a.score IS NOT NULL THEN 'labelled' "
                  "ELSE 'pending' END")
    select = (f"rec.record_id, {status_sql} AS status, a.judgment, a.score, "
              f"coalesce(a.flagged, false) AS flagged, {preview} AS preview")
    sql = _joined(rs, select, where) + " ORDER BY rec._pos LIMIT ? OFFSET ?"
    counts_sql = _joined(rs, (
        "count(*) AS total, count(a.judgment) + count_if(a.judgment IS NULL AND a.score IS NOT NULL) "
        "AS labelled, count_if(coalesce(a.flagged, false)) AS flagged"), "")
    matching_sql = _joined(rs, "count(*)", where)

    def run(cur):
        base = [dataset, annotator]
        rows = cur.execute(sql, base + params + [int(limit), int(offset)]).df()
        total, labelled, flagged = cur.execute(counts_sql, base).fetchone()
        matching = cur.execute(matching_sql, base + params).fetchone()[0]
        return rows, int(total), int(labelled), int(flagged), int(matching)

    rows, total, labelled, flagged, matching = store.read(run)
    rows.insert(1, "position", range(int(offset), int(offset) + len(rows)))
    return {"records": rows, "total": total, "matching": matching, "labelled": labelled,
            "pending": total - labelled, "flagged": flagged, "offset": int(offset)}


def record_at(store, dataset: str, annotator: str, *, position: int | None = None,
              record_id: str | None = None, after: str | None = None,
              before: str | None = None, status: str = "all", search: str | None = None,
              run_id: str | None = None) -> dict:
    """One record with every display field (JSON-ish fields parsed), its position in the
    filtered list, and everyone's current labels of it (``annotations``, newest first).

    Which record: ``record_id``; or the first one of the filtered list ``after`` (or the
    last one ``before``) a record, in file order, whether or not that record is still in
    the list (labelling it may have taken it out of "pending"); or the one at
    ``position``. Without any, the first one."""
    tables.ensure(store)
    rs = record_sql(store, dataset)
    _check_search_fields(rs, search)
    where, params = _where(status, search, run_id)
    fields = ", ".join(f"rec.{quote_ident(f)}" for f in rs.fields)
    select = f"rec.record_id{', ' + fields if fields else ''}, rec._pos"
    base = [dataset, annotator]
    numbered = (f"WITH rec AS ({rs.cte}), a AS (SELECT * FROM {tables.ANNOTATIONS} WHERE "
                f"dataset = ? AND annotator = ?), f AS (SELECT {select}, row_number() OVER "
                f"(ORDER BY rec._pos) - 1 AS position FROM rec LEFT JOIN a ON a.record_id = "
                f"rec.record_id{where}) SELECT * FROM f")
    if record_id is not None:
        sql, args = numbered + " WHERE record_id = ?", base + params + [str(record_id)]
    elif after is not None or before is not None:
        anchor = str(after if after is not None else before)
        op, order = (">", "ASC") if after is not None else ("<", "DESC")
        sql = (numbered + f" WHERE _pos {op} (SELECT _pos FROM rec WHERE record_id = ?) "
               f"ORDER BY _pos {order} LIMIT 1")
        args = base + params + [anchor]
    else:
        if position is None:
            position = 0
        position = coerce("position", position, integer(0))
        sql = numbered + " WHERE position = ?"
        args = base + params + [int(position)]

    def run(cur):
        rec = cur.execute(sql, args).df()
        if rec.empty:
            return rec, None
        labels = cur.execute(
            f"SELECT annotator, judgment, score, tags, critique, flagged, updated_at, revision "
            f"FROM {tables.ANNOTATIONS} WHERE dataset = ? AND record_id = ? "
            "ORDER BY updated_at DESC", [dataset, str(rec["record_id"].iloc[0])]).df()
        return rec, labels

    rec, labels = store.read(run)
    if rec.empty:
        if record_id is not None:
            what = f"record {record_id!r}"
        elif after is not None:
            what = f"no record after {after!r}"
        elif before is not None:
            what = f"no record before {before!r}"
        else:
            what = f"no record at position {position}"
        raise NotFoundError(f"{what} in {dataset!r}" + ("" if status == "all" else f" ({status})")
                            + ".")
    row = rec.iloc[0].to_dict()
    row.pop("_pos", None)
    position_value = int(row.pop("position"))
    fields = {f: _clean(parse_jsonish(row.get(f)) if f in ("retrieved_content", "conversation",
                                                          "user_tags") else row.get(f))
              for f in rs.fields}
    from .annotation_rows import label_records

    return {"record_id": str(row["record_id"]), "position": position_value, "fields": fields,
            "annotations": label_records(labels)}


def frame(store, dataset: str, ids: list[str] | None = None) -> pd.DataFrame:
    """The records (record_id + display fields) as a DataFrame, all or those in ``ids``."""
    rs = record_sql(store, dataset)
    fields = ", ".join(f"rec.{quote_ident(f)}" for f in rs.fields)
    sql = f"WITH rec AS ({rs.cte}) SELECT rec.record_id{', ' + fields if fields else ''} FROM rec"
    if ids is not None:
        sql += " WHERE rec.record_id IN (SELECT unnest(?::VARCHAR[]))"
    sql += " ORDER BY rec._pos"

    def run(cur):
        return cur.execute(sql, [list(map(str, ids))] if ids is not None else []).df()

    return store.read(run)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    return value
