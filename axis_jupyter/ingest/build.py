"""Write a source into canonical store tables, entirely inside DuckDB.

Long layouts become one table. Wide layouts become a *records* table (one row per record,
every column, stored once) and a long *scores* table (record id, metric name, score and the
light dimension columns that analytics filter and group on). The canonical long view joins
them when a user wants every column on every score row.

Everything here runs inside the caller's transaction; a raised error rolls all of it back.
"""

from __future__ import annotations

from typing import Any

from ..errors import IngestError
from .columns import JSONISH, LIGHT_DIMENSIONS, MS_LATENCY_NAMES, canonical_names, normalise_name
from .detect import check_required, detect, is_numeric, wide_metric_columns
from .built import Built, run as _run  # Built lives there (ingest/rules.py builds one too)
from .readers import NeedsCarefulRead, Source, quote_ident, quote_literal

NUMERIC_CANON = {"metric_score", "weight", "threshold", "latency", "cost_estimate", "numeric_value"}
TEXT_CANON = {"dataset_id", "evaluation_name", "metric_name", "metric_type", "parent", "source_name",
              "source_component", "source_type", "environment", "model_name", "trace_id",
              "kpi_name", "kpi_category", "metric_category", "run_id"}


def reader_names(columns: list[str], kind: str, mapping: dict | None) -> dict[str, str]:
    """Original -> canonical names as a file reader sees them (it reads the columns whose
    canonical name is in :data:`NUMERIC_CANON` or ends in ``_score`` as numbers). Rules,
    named or recognised by ``rule_name`` and ``action``, have no such columns (a threshold
    is text: ``DTI > 45%``), so their names are returned wrapped as ``rules.<name>.text``, which
    matches none (nor ends in ``_score``)."""
    names = canonical_names(columns, "auto" if kind == "auto" else alias_family(kind), mapping)
    if kind == "rules" or (kind == "auto" and {"rule_name", "action"} <= set(names.values())):
        return {c: f"rules.{n}.text" for c, n in names.items()}
    return names


def alias_family(kind: str) -> str:
    return {"evals": "evals", "annotations": "evals", "monitoring": "monitoring"}.get(kind, kind)


def plan_kind(columns: list[tuple[str, str]], kind: str, mapping: dict | None,
              label: str, scored=None) -> tuple[str, str, dict[str, str]]:
    """Detect (kind, layout) and the final original->canonical rename. ``scored(column)``
    says whether source column ``column`` holds a number (see :func:`detect`)."""
    names = [c for c, _ in columns]
    types = dict(columns)
    probe = canonical_names(names, "auto" if kind == "auto" else alias_family(kind), mapping)
    probe_cols = {probe[c]: types[c] for c in names}
    score_col = next((c for c in names if probe[c] == "metric_score"), None)
    has_scores = (lambda: scored(score_col)) if scored and score_col else None
    kind_, layout = detect(probe_cols, kind, label, scored=has_scores)
    rename = canonical_names(names, alias_family(kind_), mapping)
    dup = [v for v in set(rename.values()) if list(rename.values()).count(v) > 1]
    if dup:
        cols = [str(i + 1) for i, n in enumerate(names) if rename[n] == dup[0]]
        raise IngestError(f"{label}: several columns map to {dup[0]!r}. Drop one of them or pass "
                          "an explicit mapping.",
                          public=f"{label}: columns {' and '.join(cols)} map to the same name. "
                                 "Drop one of them or pass an explicit mapping.")
    check_required(kind_, layout, set(rename.values()), label)
    return kind_, layout, rename


def _expr(orig: str, canon: str, duck_type: str, kind: str) -> str:
    """SQL expression producing canonical column ``canon`` from source column ``orig``."""
    q = quote_ident(orig)
    t = duck_type.upper()
    if canon.endswith("_score") and canon != "metric_score":
        # Wide score columns: NaN becomes NULL when they are unpivoted into the scores table.
        return q if t == "DOUBLE" else f"TRY_CAST({q} AS DOUBLE)"
    if canon in NUMERIC_CANON:
        base = q if is_numeric(t) else f"TRY_CAST({q} AS DOUBLE)"
        # NaN is not a value: store NULL so means, counts and percentiles ignore it.
        return f"nullif(CAST({base} AS DOUBLE), 'NaN'::DOUBLE)"
    if canon in ("timestamp", "created_at"):
        if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
            return f"CAST(timezone('UTC', {q}) AS TIMESTAMP)"
        if t.startswith("TIMESTAMP") or t == "DATE":
            return f"CAST({q} AS TIMESTAMP)"
        return f"TRY_CAST({q} AS TIMESTAMP)"
    if canon == "parent":
        return f"NULLIF(TRIM(CAST({q} AS VARCHAR)), '')"
    if canon == "metric_category" and kind != "signals":  # signals: as given (reference §8.5)
        return f"UPPER(COALESCE(NULLIF(TRIM(CAST({q} AS VARCHAR)), ''), 'SCORE'))"
    if canon in TEXT_CANON:
        return q if t == "VARCHAR" else f"CAST({q} AS VARCHAR)"
    if canon in JSONISH and t != "VARCHAR":
        return f"CAST(to_json({q}) AS VARCHAR)"  # nested Parquet/JSON values stored as JSON text
    return q


SCORE_PROBE_ROWS = 10_000


def _has_number(cur, source: Source, col: str) -> bool:
    """True if source column ``col`` holds a number in its first 10,000 rows (enough to
    tell scored evaluation rows from a signals export whose scores are all empty)."""
    import duckdb

    q = quote_ident(col)
    try:
        return cur.execute(
            f"SELECT count(*) FROM (SELECT {q} AS v FROM {source.relation} LIMIT {SCORE_PROBE_ROWS}) "
            "WHERE TRY_CAST(v AS DOUBLE) IS NOT NULL").fetchone()[0] > 0
    except duckdb.Error:
        if source.extras.get("fast"):
            raise NeedsCarefulRead() from None  # read again, with rejects stored per line
        return True  # the build that follows reports what is wrong with the file


def _validate_numeric(cur, table: str, col: str, source: Source, orig: str, src_type: str) -> None:
    """Frames and JSON sources: a text value in a numeric column is an error naming it."""
    if is_numeric(src_type):
        return
    row = cur.execute(
        f"SELECT pos, val FROM (SELECT row_number() OVER () AS pos, {quote_ident(orig)} AS val "
        f"FROM {source.relation}) WHERE val IS NOT NULL AND TRIM(CAST(val AS VARCHAR)) <> '' "
        f"AND TRY_CAST(val AS DOUBLE) IS NULL LIMIT 1"
    ).fetchone()
    if row:
        raise IngestError(f"{source.label}: row {row[0]}, column '{orig}': {str(row[1])!r} is not a "
                          "number. Scores must be numeric: fix or blank the value, then load again.",
                          public=f"{source.label}: row {row[0]}, column {_col_no(source, orig)}: "
                                 "the value is not a number. Scores must be numeric: fix or blank "
                                 "the value, then load again.")


def _validate_timestamp(cur, source: Source, orig: str, src_type: str) -> None:
    t = src_type.upper()
    if t.startswith("TIMESTAMP") or t == "DATE":
        return
    row = cur.execute(
        f"SELECT {quote_ident(orig)} FROM {source.relation} WHERE {quote_ident(orig)} IS NOT NULL "
        f"AND TRIM(CAST({quote_ident(orig)} AS VARCHAR)) <> '' "
        f"AND TRY_CAST({quote_ident(orig)} AS TIMESTAMP) IS NULL LIMIT 1"
    ).fetchone()
    if row:
        raise IngestError(f"{source.label}: column '{orig}' has a value that is not a date/time "
                          f"({str(row[0])!r}). Use ISO 8601 (2026-01-27 14:05:00), or map another "
                          "column to 'timestamp'.",
                          public=f"{source.label}: column {_col_no(source, orig)} has a value "
                                 "that is not a date/time. Use ISO 8601 (2026-01-27 14:05:00), or "
                                 "map another column to 'timestamp'.")


def build_records(cur, source: Source, *, kind: str, mapping: dict | None, prefix: str) -> Built:
    """Step 1: create ``{prefix}_long`` (long layouts: the only table) or ``{prefix}_records``
    (wide layouts). For wide layouts the returned Built still needs :func:`build_scores`,
    run in a later transaction, because DuckDB row ids are final only after COMMIT.
    Rules have roles rather than aliases: :mod:`.rules` builds them."""
    if kind == "rules":
        from .rules import build_rules

        return build_rules(cur, source, mapping=mapping, prefix=prefix)
    kind_, layout, rename = plan_kind(source.columns, kind, mapping, source.label,
                                      scored=lambda col: _has_number(cur, source, col))
    if kind_ == "rules":
        from .rules import build_rules

        return build_rules(cur, source, mapping=mapping, prefix=prefix)
    types = dict(source.columns)
    canon_types = {rename[c]: types[c] for c, _ in source.columns}
    warnings: list[str] = []
    extras: dict[str, Any] = {}

    # Numeric and timestamp columns of sources without line numbers are validated up front.
    if not source.line_based:
        for orig, t in source.columns:
            c = rename[orig]
            if c in NUMERIC_CANON or c.endswith("_score"):
                _validate_numeric(cur, "", c, source, orig, t)
    for orig, t in source.columns:
        if rename[orig] in ("timestamp", "created_at"):
            _validate_timestamp(cur, source, orig, t)

    select = [f"{_expr(o, rename[o], t, kind_)} AS {quote_ident(rename[o])}" for o, t in source.columns]
    present = set(rename.values())
    latency_orig = [o for o in rename if rename[o] == "latency"]
    if latency_orig:
        extras["latency_unit"] = "ms" if normalise_name(latency_orig[0]) in MS_LATENCY_NAMES else "s?"

    # Defaults the reference fills in (§2.1, §2.3).
    if kind_ == "evals" and layout in ("tree_format", "flat_format", "eval_runner"):
        if "dataset_id" not in present:
            select.append("'test_case_1' AS dataset_id")
            warnings.append(f"{source.label}: no dataset_id column; every row was given 'test_case_1'.")
        if "evaluation_name" not in present:
            select.append("'Experiment 1' AS evaluation_name")
        if "metric_type" not in present:
            select.append("'metric' AS metric_type")
        if "parent" not in present:
            select.append("CAST(NULL AS VARCHAR) AS parent")
        if "weight" not in present:
            select.append("CAST(1.0 AS DOUBLE) AS weight")
    if kind_ == "evals" and layout in ("wide", "inputs") and "evaluation_name" not in present:
        select.append("'Experiment 1' AS evaluation_name")
    if kind_ == "monitoring":
        if "timestamp" not in present:
            select.append("CAST(now() AS TIMESTAMP) AS timestamp")
            warnings.append(f"{source.label}: no timestamp column; the load time was used.")
        if "metric_category" not in present:
            select.append("'SCORE' AS metric_category")

    wide = layout == "wide" or (kind_ == "evals" and layout == "inputs")
    main = f"{prefix}_records" if wide else f"{prefix}_long"
    create = f"CREATE TABLE {quote_ident(main)} AS SELECT {', '.join(select)} FROM {source.relation}"
    _run(cur, create, source)

    if source.check:
        def insert_rows(c, header, rows):
            import pandas as pd

            frame = pd.DataFrame(rows, columns=header, dtype="string")
            c.register("_axis_fold", frame)
            casts = ", ".join(
                f"TRY_CAST({quote_ident(o)} AS {t}) AS {quote_ident(o)}" for o, t in source.columns)
            c.execute(f"INSERT INTO {quote_ident(main)} BY NAME SELECT {', '.join(select)} "
                      f"FROM (SELECT {casts} FROM _axis_fold)")
            c.unregister("_axis_fold")

        warnings += source.check(cur, insert_rows)

    n = cur.execute(f"SELECT count(*) FROM {quote_ident(main)}").fetchone()[0]
    if n == 0:
        raise IngestError(f"{source.label}: no rows could be read. Nothing was loaded.")

    metric_cols: list[str] = []
    if not wide:
        if kind_ in ("evals", "monitoring"):
            bad = cur.execute(f"SELECT count(*) FROM {quote_ident(main)} WHERE metric_name IS NULL").fetchone()[0]
            if bad == n:
                raise IngestError(f"{source.label}: column 'metric_name' is empty on every row.")
        return Built(kind_, layout, None, main, [], warnings, extras)

    metric_cols = [] if layout == "inputs" else wide_metric_columns(canon_types, numeric_fallback=(kind_ == "evals"))
    dims = [d for d in LIGHT_DIMENSIONS if d in present or (d == "evaluation_name" and kind_ == "evals")
            or (d == "timestamp" and kind_ == "monitoring")]
    if kind_ == "monitoring":
        # Monitoring analytics key records by _axis_rid; ids stay in the records table only,
        # which keeps the long table (5x the records) small and fast to write.
        # Wide scores are all SCORE metrics: the category stays a column of the records
        # table (and the full view), and analytics treat a missing one as SCORE.
        dims = [d for d in dims if d not in ("dataset_id", "trace_id")]
    extras["_dims"] = dims
    return Built(kind_, layout, main, f"{prefix}_scores", metric_cols, warnings, extras)


def build_scores(cur, built: Built) -> Built:
    """Step 2 for wide layouts: the long scores table, one row per (record, metric), with the
    record's row id and light dimensions. The records table's rowid is the record id: it is
    stable because records tables are written once and never updated (a reload builds new
    tables)."""
    main, scores, dims = built.records_table, built.scores_table, built.extras.pop("_dims")
    if built.layout == "inputs":
        # Unscored evaluation inputs (e.g. eval-runner input): an empty scores table keeps
        # every evaluation analytic valid until `axis.evaluate` adds scores.
        cur.execute(
            f"CREATE TABLE {quote_ident(scores)} AS SELECT rowid AS _axis_rid, "
            + "".join(f"{quote_ident(d)}, " for d in dims)
            + "CAST(NULL AS VARCHAR) AS metric_name, CAST(NULL AS DOUBLE) AS metric_score, "
            "'metric' AS metric_type, CAST(NULL AS VARCHAR) AS parent, CAST(1.0 AS DOUBLE) AS weight "
            f"FROM {quote_ident(main)} WHERE FALSE"
        )
        return built
    metric_cols = built.metric_columns
    # Metric names drop the `_score` suffix: relevance_score -> relevance.
    names = ", ".join(
        f"{quote_ident(c)} AS {quote_literal(c[:-6] if c.endswith('_score') else c)}" for c in metric_cols)
    vals = ", ".join(f"nullif(CAST({quote_ident(c)} AS DOUBLE), 'NaN'::DOUBLE) AS {quote_ident(c)}"
                     for c in metric_cols)
    extra_cols = "'metric' AS metric_type, CAST(NULL AS VARCHAR) AS parent, CAST(1.0 AS DOUBLE) AS weight, " \
        if built.kind == "evals" else ""
    cur.execute(
        f"CREATE TABLE {quote_ident(scores)} AS SELECT _axis_rid, "
        + "".join(f"{quote_ident(d)}, " for d in dims)
        + f"{extra_cols}metric_name, metric_score FROM "
        f"(UNPIVOT (SELECT rowid AS _axis_rid, {', '.join(quote_ident(d) for d in dims)}, "
        f"{vals} FROM {quote_ident(main)}) "
        f"ON {names} INTO NAME metric_name VALUE metric_score)"
    )
    return built


def _latency_columns(cur, table: str) -> tuple[str, list[str]] | None:
    cols = {r[0] for r in cur.execute(f"DESCRIBE {quote_ident(table)}").fetchall()}
    key = next((c for c in ("dataset_id", "trace_id") if c in cols), None)
    if "latency" not in cols or key is None:
        return None
    return key, [d for d in LIGHT_DIMENSIONS if d in cols and d != key]


def build_record_latency(cur, built: Built) -> None:
    """Long monitoring layouts: a record-latency index, one row per record (its id, light
    dimensions and latency). Latency analytics count each record once; on a long table that
    means de-duplicating ~4 rows per record over a text id at query time, which costs more
    than the histogram itself. The index is built once here; analytics read it when their
    filters only touch its columns and each id has one row in it (``latency_unique``).
    Wide layouts already have a records table; other kinds have no latency analytics."""
    if built.kind != "monitoring" or built.records_table is not None:
        return
    found = _latency_columns(cur, built.scores_table)
    if found is None:
        return
    key, dims = found
    table = f"{built.scores_table}_latency"
    keep = ", ".join(quote_ident(c) for c in (key, *dims))
    cur.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT {keep}, max(latency) AS latency "
                f"FROM {quote_ident(built.scores_table)} GROUP BY ALL")
    built.extras["latency_table"] = table
    built.extras["latency_unique"] = _unique(cur, table, key)


def append_record_latency(cur, table: str, new_long: str) -> bool:
    """Add an increment's records to a record-latency index; True if ids are still unique
    (a new metric row of a known record with other dimensions makes them not)."""
    found = _latency_columns(cur, table)
    if found is None:
        return False
    key, dims = found
    keep = ", ".join(quote_ident(c) for c in (key, *dims))
    cur.execute(f"INSERT INTO {quote_ident(table)} BY NAME SELECT {keep}, max(latency) AS latency "
                f"FROM {quote_ident(new_long)} GROUP BY ALL")
    return _unique(cur, table, key)


def _unique(cur, table: str, key: str) -> bool:
    q = quote_ident(key)
    return bool(cur.execute(f"SELECT count(*) = count(DISTINCT {q}) + count(*) FILTER (WHERE {q} IS NULL) "
                            f"FROM {quote_ident(table)}").fetchone()[0])


def _col_no(source: Source, orig: str) -> str:
    """The 1-based position of source column ``orig`` (messages that must not quote it)."""
    names = [c for c, _ in source.columns]
    return str(names.index(orig) + 1) if orig in names else "?"
