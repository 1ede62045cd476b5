"""Read-only SQL: exactly one SELECT that touches only the store's own tables.

DuckDB can read arbitrary files from SQL (``FROM 'x.csv'``, ``read_text(...)``), so "only a
SELECT" is not enough when the query comes over HTTP. We parse the statement with DuckDB's
own parser (``json_serialize_sql``) and walk the tree: table functions and scalar functions
that reach outside the database are refused, and every table name must exist in the store
(or be a CTE of the query).
"""

from __future__ import annotations

import json

import duckdb

from ..errors import QueryError

ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest", "duckdb_tables", "duckdb_views",
                           "duckdb_columns"}
DENIED_FUNCTIONS = {"read_text", "read_blob", "getenv", "current_setting", "glob", "read_csv",
                    "read_parquet", "read_json", "read_csv_auto", "read_json_auto", "sniff_csv",
                    "parquet_scan", "query", "query_table", "load", "install"}


def check_select(cur, query: str, known_tables: set[str]) -> str:
    """Return the query (stripped of a trailing ';') or raise QueryError."""
    text = (query or "").strip()
    if not text:
        raise QueryError("the query is empty.")
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise QueryError(f"SQL syntax error: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryError(f"send exactly one statement (got {len(statements)}).")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise QueryError(f"only SELECT queries are allowed here (got {statements[0].type.name}).")
    tree = json.loads(cur.execute("SELECT json_serialize_sql(?)", [text]).fetchone()[0])
    if tree.get("error"):
        raise QueryError(f"SQL error: {tree.get('error_message', 'cannot parse the query')}")
    ctes: set[str] = set()
    _walk(tree, ctes, [])
    lowered = {t.lower() for t in known_tables}
    problems: list[str] = []
    _check(tree, lowered | {c.lower() for c in ctes}, problems)
    if problems:
        raise QueryError(problems[0])
    return text.rstrip(";").strip()


def _walk(node, ctes: set[str], _acc) -> None:
    """Collect CTE names."""
    if isinstance(node, dict):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                if isinstance(entry, dict) and "key" in entry:
                    ctes.add(str(entry["key"]))
        for v in node.values():
            _walk(v, ctes, _acc)
    elif isinstance(node, list):
        for v in node:
            _walk(v, ctes, _acc)


def _check(node, tables: set[str], problems: list[str]) -> None:
    if isinstance(node, dict):
        ntype = node.get("type")
        if ntype == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            schema = str(node.get("schema_name", "") or "")
            if schema.lower() not in ("", "main", "information_schema", "pg_catalog") or (
                    schema.lower() in ("", "main") and name.lower() not in tables):
                problems.append(f"unknown table {name!r}: query only the store's datasets "
                                f"({', '.join(sorted(t for t in tables if not t.startswith('_axis'))[:10])}).")
        if ntype == "TABLE_FUNCTION":
            fn = node.get("function", {}).get("function_name", "")
            if fn.lower() not in ALLOWED_TABLE_FUNCTIONS:
                problems.append(f"table function {fn}() is not allowed in read-only queries.")
        if node.get("class") == "FUNCTION" and str(node.get("function_name", "")).lower() in DENIED_FUNCTIONS:
            problems.append(f"function {node['function_name']}() is not allowed in read-only queries.")
        for v in node.values():
            _check(v, tables, problems)
    elif isinstance(node, list):
        for v in node:
            _check(v, tables, problems)
