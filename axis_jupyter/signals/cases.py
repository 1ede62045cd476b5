"""Build a human-signals dataset's cases table and schema inside DuckDB (reference §8.5).

A signals dataset's long table holds one row per (case = ``dataset_id``, metric) with a
``signals`` object. This module turns it, in the store's write transaction, into

* the **cases table** ``<long>_cases``: one row per case, ordered by case id, with the case
  fields (:data:`CASE_FIELDS`, taken from the case's first row), the promoted common
  metadata keys, and one typed column per ``<metric>__<signal>``;
* the **schema**: per metric its category, signal keys in first-seen order, their types
  (boolean, number, array, object, string; unknown when always null) and the distinct
  values of string signals; the common metadata keys; the source fields present; whether
  there is a timestamp. It is saved in the dataset's metadata (``info["signals"]``).

Everything runs as SQL over the long table. Python (:mod:`.rules`) rewrites only the rows
SQL cannot read as they are: Python-literal text, category dicts, strings holding
containers, duplicate keys. Rules, where the reference is silent or breaks:

* a signal's value in a case is that of the case's last row of the metric that has the key;
  a metadata key's value is the first non-null one over the case's rows (file order);
* string signals: values of other JSON types are kept as their JSON text; boolean signals:
  ``"true"``/``"false"`` text counts, anything else is null; number signals: numeric text
  counts, anything else (and NaN) is null; arrays and objects are JSON text;
* ``agent_name`` is ``additional_input.sender``, else the source name; ``message_count``
  is ``turn_count``, else user + ai message counts (missing ones 0), else 0;
* a string signal's ``values`` keep the first :data:`MAX_VALUES` in sorted order and
  ``n_values`` counts them all (free-text signals have one value per case);
* keys that are empty, or whose column name differs only in case from an earlier one
  (DuckDB and PostgreSQL names ignore case), are left out with a warning.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..ingest.readers import quote_ident, quote_literal
from . import rules

SOURCE_FIELDS = ("source_name", "source_component", "source_type", "environment")
CASE_FIELDS = ("dataset_id", *SOURCE_FIELDS, "agent_name", "business", "message_count",
               "timestamp", "message_url")
SEP = "__"
MAX_VALUES = 100
COMMON_SHARE = 0.5  # a key in more than half of the metrics (>= 2 metrics) is metadata
NUMBER_TYPES = ("BIGINT", "UBIGINT", "DOUBLE", "HUGEINT", "INTEGER")
WS = "' \t\r\n\f\v'"

# Rows whose signals SQL cannot take as they are (they go through rules.normalized_json).
_NEEDS_PYTHON = (
    "CASE WHEN NOT json_valid(signals) THEN true"
    " WHEN regexp_matches(signals, ':\\s*\\{') THEN true"          # an object value: a category dict?
    " WHEN regexp_matches(signals, ':\\s*\"\\s*[\\[{]') THEN true"  # a string holding a container?
    " WHEN json_type(signals) = 'OBJECT'"                               # duplicate keys: the last wins
    " THEN len(json_keys(signals)) <> len(list_distinct(json_keys(signals))) ELSE false END"
)


def column_name(metric: str, signal: str) -> str:
    return f"{metric}{SEP}{signal}"


def json_path(key: str) -> str:
    """A DuckDB JSON path selecting top-level ``key`` (any characters but none)."""
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(cur, built) -> None:
    """Create ``built``'s cases table and schema (inside the caller's transaction);
    records ``cases_table`` and ``signals`` (the schema) in ``built.extras``."""
    long = built.scores_table
    cases = f"{long}_cases"
    tag = uuid.uuid4().hex[:8]
    tmp = {k: f"_axis_hs_{k}_{tag}" for k in ("norm", "cnorm", "rows", "vals", "pairs")}
    cols = {r[0]: r[1] for r in cur.execute(f"DESCRIBE {quote_ident(long)}").fetchall()}
    try:
        schema = _build(cur, built, long, cases, cols, tmp)
    finally:
        for t in tmp.values():
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
    built.extras["cases_table"] = cases
    built.extras["signals"] = schema


def _build(cur, built, long: str, cases: str, cols: dict, tmp: dict) -> dict:
    L = quote_ident(long)
    # 1. Rows SQL cannot read as they are: rewritten as flat JSON in Python.
    todo = cur.execute(
        f"SELECT rowid, signals FROM {L} WHERE signals IS NOT NULL AND trim(signals) <> '' "
        f"AND metric_name IS NOT NULL AND ({_NEEDS_PYTHON})").fetchall()
    _register(cur, tmp["norm"], [(rid, rules.normalized_json(text)) for rid, text in todo])
    # 2. One row per metric row: its case, trimmed metric name and readable signals.
    cur.execute(
        f"CREATE TEMP TABLE {quote_ident(tmp['rows'])} AS SELECT l.rowid AS rid, "
        "l.dataset_id AS case_id, trim(l.metric_name) AS metric, "
        "CASE WHEN n.rid IS NOT NULL THEN n.sig "
        "     WHEN json_valid(l.signals) AND json_type(l.signals) = 'OBJECT' THEN l.signals END AS sig "
        f"FROM {L} l LEFT JOIN {quote_ident(tmp['norm'])} n ON n.rid = l.rowid "
        "WHERE l.metric_name IS NOT NULL AND trim(l.metric_name) <> ''")
    R = quote_ident(tmp["rows"])
    # 3. Keys per metric, in first-seen order (row, then position in the row).
    keys = cur.execute(
        "SELECT metric, key, min(rid) AS first_rid, arg_min(pos, rid) AS pos FROM ("
        "SELECT rid, metric, unnest(json_keys(sig)) AS key, generate_subscripts(json_keys(sig), 1) AS pos "
        f"FROM {R} WHERE sig IS NOT NULL) WHERE key <> '' GROUP BY metric, key").fetchall()
    metrics = sorted({m for (m,) in cur.execute(f"SELECT DISTINCT metric FROM {R}").fetchall()})
    per_metric: dict[str, list[str]] = {m: [] for m in metrics}
    for m, k, _rid, _pos in sorted(keys, key=lambda r: (r[0], r[2], r[3])):
        per_metric[m].append(k)
    metadata = _common_keys(per_metric)
    # 4. Each row's values of its metric's keys, in one list (one JSON parse per row).
    case_expr = " ".join(
        f"WHEN {quote_literal(m)} THEN json_extract(sig, [{', '.join(quote_literal(json_path(k)) for k in ks)}])"
        for m, ks in per_metric.items() if ks)
    V = quote_ident(tmp["vals"])
    cur.execute(f"CREATE TEMP TABLE {V} AS SELECT rid, case_id, metric, "
                f"{f'CASE metric {case_expr} END' if case_expr else 'CAST(NULL AS JSON[])'} AS v "
                f"FROM {R} WHERE sig IS NOT NULL")
    index = {(m, k): i + 1 for m, ks in per_metric.items() for i, k in enumerate(ks)}
    types, values = _types_and_values(cur, V, quote_ident(tmp["pairs"]), index, metadata)
    schema = _schema(cur, L, R, cols, per_metric, metadata, types, values)
    warnings = _columns(schema)
    built.warnings.extend(warnings)
    # 5. The cases table: case fields from each case's first row, then the signals.
    fields = _case_fields(cur, L, cols, tmp["cnorm"])
    aggs = _signal_aggregates(schema, index)
    cur.execute(
        f"CREATE OR REPLACE TABLE {quote_ident(cases)} AS WITH agg AS (SELECT case_id"
        + "".join(f", {a}" for a in aggs) + f" FROM {V} WHERE case_id IS NOT NULL GROUP BY case_id) "
        f"SELECT f.* EXCLUDE (_rid)" + "".join(f", agg.{quote_ident(c)}" for c in _agg_columns(schema))
        + f" FROM ({fields}) f LEFT JOIN agg ON agg.case_id = f.dataset_id ORDER BY f.dataset_id")
    schema["cases"] = cur.execute(f"SELECT count(*) FROM {quote_ident(cases)}").fetchone()[0]
    return schema


def _register(cur, name: str, rows: list[tuple[int, Any]]) -> None:
    """A temp table (rid, sig) of Python-rewritten signals."""
    import pandas as pd

    frame = pd.DataFrame({"rid": pd.Series([r for r, _ in rows], dtype="int64"),
                          "sig": pd.Series([s for _, s in rows], dtype=object)})
    view = f"{name}_src"
    cur.register(view, frame)
    try:
        cur.execute(f"CREATE TEMP TABLE {quote_ident(name)} AS SELECT rid, CAST(sig AS VARCHAR) AS sig "
                    f"FROM {quote_ident(view)}")
    finally:
        cur.unregister(view)


def _common_keys(per_metric: dict[str, list[str]]) -> list[str]:
    """Keys found in more than half of the metrics (only with two metrics or more)."""
    total = len(per_metric)
    if total < 2:
        return []
    counts: dict[str, int] = {}
    for ks in per_metric.values():
        for k in ks:
            counts[k] = counts.get(k, 0) + 1
    return sorted(k for k, n in counts.items() if n / total > COMMON_SHARE)


def _types_and_values(cur, V: str, P: str, index: dict, metadata: list[str]):
    """Each (metric, key)'s type (from its first non-null value, in row order) and, for
    string signals, the sorted distinct non-blank values (first MAX_VALUES, and the count)."""
    if not index:
        return {}, {}
    key_at = {(m, i): k for (m, k), i in index.items()}
    cur.execute(f"CREATE TEMP TABLE {P} AS SELECT rid, metric, unnest(v) AS val, "
                f"generate_subscripts(v, 1) AS i FROM {V} WHERE v IS NOT NULL")
    first = cur.execute(
        f"SELECT metric, i, arg_min(json_type(val), rid) FROM {P} "
        "WHERE val IS NOT NULL AND json_type(val) <> 'NULL' GROUP BY metric, i").fetchall()
    types = {(m, key_at[(m, i)]): _json_kind(t) for m, i, t in first}
    strings = [(m, k) for (m, k), t in types.items() if t == "string" and k not in metadata]
    values: dict[tuple[str, str], tuple[list[str], int]] = {}
    if not strings:
        return types, values
    keys = ", ".join(f"({quote_literal(m)}, {index[(m, k)]})" for m, k in strings)
    text = "CASE WHEN json_type(p.val) = 'VARCHAR' THEN p.val ->> '$' ELSE CAST(p.val AS VARCHAR) END"
    rows = cur.execute(
        "SELECT metric, i, s, n FROM (SELECT metric, i, s, count(*) OVER (PARTITION BY metric, i) AS n, "
        "row_number() OVER (PARTITION BY metric, i ORDER BY s) AS r FROM ("
        f"SELECT p.metric, p.i, {text} AS s FROM {P} p JOIN (VALUES {keys}) w(metric, i) "
        "ON p.metric = w.metric AND p.i = w.i WHERE p.val IS NOT NULL AND json_type(p.val) <> 'NULL' "
        f"GROUP BY ALL) WHERE trim(s, {WS}) <> '') WHERE r <= {MAX_VALUES} "
        "ORDER BY metric, i, s").fetchall()
    for m, i, s, n in rows:
        key = (m, key_at[(m, i)])
        values.setdefault(key, ([], int(n)))[0].append(s)
    return types, values


def _json_kind(duck_json_type: str) -> str:
    t = str(duck_json_type).upper()
    if t == "BOOLEAN":
        return "boolean"
    if t in NUMBER_TYPES:
        return "number"
    if t == "ARRAY":
        return "array"
    if t == "OBJECT":
        return "object"
    return "string"


def _schema(cur, L: str, R: str, cols: dict, per_metric, metadata, types, values) -> dict:
    firsts = dict(cur.execute(f"SELECT metric, min(rid) FROM {R} GROUP BY metric").fetchall())
    category = {}
    if "metric_category" in cols and firsts:
        rows = cur.execute(
            f"SELECT rowid, lower(trim(CAST(metric_category AS VARCHAR))) FROM {L} "
            f"WHERE rowid IN ({', '.join(str(int(r)) for r in firsts.values())})").fetchall()
        by_rid = dict(rows)
        category = {m: by_rid.get(r) for m, r in firsts.items()}
    metrics = {}
    for m, ks in per_metric.items():
        sig = [k for k in ks if k not in metadata]
        metrics[m] = {
            "category": category.get(m) or "classification",
            "signals": sig,
            "signal_types": {k: types.get((m, k), "unknown") for k in sig},
            "values": {k: values[(m, k)][0] for k in sig if (m, k) in values},
            "n_values": {k: values[(m, k)][1] for k in sig if (m, k) in values},
            "columns": {k: column_name(m, k) for k in sig},
        }
    meta_types = {}
    for k in metadata:
        found = [types[(m, k)] for m in per_metric if (m, k) in types]
        meta_types[k] = found[0] if found else "unknown"
    return {"metrics": metrics, "metadata_keys": list(metadata), "metadata_types": meta_types,
            "source_fields": [f for f in SOURCE_FIELDS if f in cols],
            "has_timestamp": "timestamp" in cols}


def _columns(schema: dict) -> list[str]:
    """Drop signal/metadata columns whose names clash (case-insensitively) with an earlier
    column; returns the warnings."""
    taken = {c.lower() for c in CASE_FIELDS}
    warnings = []
    kept_meta = []
    for k in schema["metadata_keys"]:
        if k.lower() in taken or SEP in k:
            warnings.append(f"metadata key {k!r} is not a case column: its name is taken.")
            continue
        taken.add(k.lower())
        kept_meta.append(k)
    schema["metadata_keys"] = kept_meta
    schema["metadata_types"] = {k: schema["metadata_types"][k] for k in kept_meta}
    for m, spec in schema["metrics"].items():
        for k in list(spec["signals"]):
            col = spec["columns"][k]
            if col.lower() in taken:
                warnings.append(f"signal {k!r} of metric {m!r} is left out: column {col!r} "
                                "differs only in case from another one.")
                spec["signals"].remove(k)
                for part in ("signal_types", "values", "n_values", "columns"):
                    spec[part].pop(k, None)
                continue
            taken.add(col.lower())
    return warnings


def _typed(v: str, kind: str) -> str:
    """SQL converting JSON expression ``v`` to the column type of a ``kind`` signal."""
    t = f"json_type({v})"
    if kind == "boolean":
        return (f"CASE {t} WHEN 'BOOLEAN' THEN CAST({v} AS BOOLEAN) WHEN 'VARCHAR' THEN "
                f"CASE lower(trim({v} ->> '$', {WS})) WHEN 'true' THEN true WHEN 'false' THEN false END END")
    if kind == "number":
        num = f"(CASE WHEN {t} IN {NUMBER_TYPES} THEN CAST({v} AS DOUBLE) " \
              f"WHEN {t} = 'VARCHAR' THEN TRY_CAST({v} ->> '$' AS DOUBLE) END)"
        return f"CASE WHEN isfinite({num}) THEN {num} END"
    if kind == "string":
        return f"CASE {t} WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN {v} ->> '$' ELSE CAST({v} AS VARCHAR) END"
    return f"CASE {t} WHEN 'NULL' THEN NULL ELSE CAST({v} AS VARCHAR) END"


def _agg_columns(schema: dict) -> list[str]:
    cols = list(schema["metadata_keys"])
    for spec in schema["metrics"].values():
        cols += [spec["columns"][k] for k in spec["signals"]]
    return cols


def _signal_aggregates(schema: dict, index: dict) -> list[str]:
    """Per case: each metadata key's first non-null value (file order, any metric) and
    each signal's value in the last row of its metric that has the key, typed."""
    out = []
    for k in schema["metadata_keys"]:
        branches = " ".join(f"WHEN {quote_literal(m)} THEN v[{i}]"
                            for (m, key), i in index.items() if key == k)
        pick = f"(CASE metric {branches} END)"
        raw = (f"arg_min({pick}, rid) FILTER (WHERE {pick} IS NOT NULL "
               f"AND json_type({pick}) <> 'NULL')")
        out.append(f"{_typed(raw, schema['metadata_types'][k])} AS {quote_ident(k)}")
    for m, spec in schema["metrics"].items():
        for k in spec["signals"]:
            v = f"v[{index[(m, k)]}]"
            raw = f"arg_max({v}, rid) FILTER (WHERE metric = {quote_literal(m)} AND {v} IS NOT NULL)"
            out.append(f"{_typed(raw, spec['signal_types'][k])} AS {quote_ident(spec['columns'][k])}")
    return out


def _case_fields(cur, L: str, cols: dict, fixes_table: str) -> str:
    """A SELECT of the case fields, one row per case (its first row in file order)."""
    CN = quote_ident(fixes_table)
    jsonish = {"additional_input": "ai", "conversation": "conv", "conversation_stats": "stats"}
    first = f"(SELECT dataset_id, min(rowid) AS rid FROM {L} WHERE dataset_id IS NOT NULL GROUP BY dataset_id)"
    # JSON-ish fields of first rows that are not JSON (Python literals): rewritten once.
    fixes: dict[int, dict[str, str | None]] = {}
    for c, alias in jsonish.items():
        if c not in cols:
            continue
        q = quote_ident(c)
        todo = cur.execute(
            f"SELECT l.rowid, l.{q} FROM {L} l JOIN {first} f ON f.rid = l.rowid "
            f"WHERE l.{q} IS NOT NULL AND trim(l.{q}) <> '' AND NOT json_valid(l.{q})").fetchall()
        for rid, text in todo:
            fixes.setdefault(rid, {})[alias] = rules.container_json(text)
    _register_fields(cur, fixes_table, fixes, list(jsonish.values()))

    def field(c: str, alias: str) -> str:
        if c not in cols:
            return f"CAST(NULL AS JSON) AS {alias}"
        q = quote_ident(c)
        return (f"CASE WHEN json_valid(l.{q}) THEN CAST(l.{q} AS JSON) "
                f"ELSE CAST(x.{alias} AS JSON) END AS {alias}")

    src = [f"CAST(l.{quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in SOURCE_FIELDS if c in cols]
    if "timestamp" in cols:
        src.append("l.timestamp AS timestamp")
    inner = (f"SELECT l.rowid AS _rid, l.dataset_id, {''.join(s + ', ' for s in src)}"
             + ", ".join(field(c, a) for c, a in jsonish.items())
             + f" FROM {L} l JOIN {first} f ON f.rid = l.rowid LEFT JOIN {CN} x ON x.rid = l.rowid")
    sender = "CASE WHEN json_type(ai) = 'OBJECT' THEN ai ->> '$.sender' END"
    agent = f"COALESCE({sender}, {'source_name' if 'source_name' in cols else 'NULL'})"
    content = ("CASE WHEN json_type(conv) = 'OBJECT' AND json_type(conv, '$.messages') = 'ARRAY' "
               "AND json_type(conv, '$.messages[0].content') = 'VARCHAR' "
               "THEN conv ->> '$.messages[0].content' END")
    count = ("CASE WHEN stats IS NULL OR json_type(stats) <> 'OBJECT' THEN 0 "
             "WHEN json_exists(stats, '$.turn_count') THEN " + _int("stats ->> '$.turn_count'") +
             " ELSE COALESCE(" + _int("stats ->> '$.user_message_count'") + ", 0) + COALESCE("
             + _int("stats ->> '$.ai_message_count'") + ", 0) END")
    url = "CASE WHEN json_type(ai) = 'OBJECT' THEN ai ->> '$.message_url' END"
    keep = [quote_ident(c) for c in SOURCE_FIELDS if c in cols]
    return (f"SELECT _rid, dataset_id, {''.join(k + ', ' for k in keep)}"
            f"{agent} AS agent_name, {_label(content)} AS business, "
            f"CAST({count} AS BIGINT) AS message_count, "
            f"{'timestamp, ' if 'timestamp' in cols else ''}{url} AS message_url FROM ({inner})")


def _int(text: str) -> str:
    return f"CAST(TRY_CAST({text} AS DOUBLE) AS BIGINT)"


def _label(content: str) -> str:
    """SQL of rules.case_label over the first message's text."""
    c = f"({content})"
    line = (f"list_filter(regexp_split_to_array({c}, '\\r\\n|\\r|\\n'), "
            f"lambda x: trim(x, {WS}) <> '')[1]")
    return (f"CASE WHEN {c} IS NULL OR {c} = '' THEN 'Unknown' "
            f"WHEN regexp_matches({c}, 'New\\s+\\w+\\s+case:\\s*[^\\n]') "
            f"THEN trim(regexp_extract({c}, 'New\\s+\\w+\\s+case:\\s*([^\\n]+)', 1), {WS}) "
            f"ELSE COALESCE(substr(trim({line}, {WS}), 1, {rules.LABEL_CHARS}), 'Unknown') END")


def _register_fields(cur, name: str, fixes: dict[int, dict], aliases: list[str]) -> None:
    """A temp table (rid, ai, conv, stats) of first-row fields rewritten as JSON."""
    import pandas as pd

    frame = pd.DataFrame({"rid": pd.Series(list(fixes), dtype="int64"),
                          **{a: pd.Series([f.get(a) for f in fixes.values()], dtype=object)
                             for a in aliases}})
    view = f"{name}_src"
    cur.register(view, frame)
    try:
        cur.execute(f"CREATE TEMP TABLE {quote_ident(name)} AS SELECT rid, "
                    + ", ".join(f"CAST({a} AS VARCHAR) AS {a}" for a in aliases)
                    + f" FROM {quote_ident(view)}")
    finally:
        cur.unregister(view)
