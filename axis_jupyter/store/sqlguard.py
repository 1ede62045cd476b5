"""Read-only SQL: exactly one SELECT that touches only the store's own tables.

This is the second layer. The first is DuckDB's own sandbox (:mod:`.sandbox`): the store's
database cannot read files, load extensions or reach the network whatever the SQL says. The
guard refuses, with a message a person can act on, what the sandbox would refuse less
clearly, plus what it would allow but a read-only query must not do (write statements).

We parse the statement with DuckDB's own parser (``json_serialize_sql``) and walk the tree:
table functions and scalar functions that reach outside the database are refused, and every
table name must exist in the store or be a CTE *in scope where it is used*. DuckDB scopes
CTEs lexically: a CTE is visible in the query that defines it, in the CTEs defined after it
in the same ``WITH``, and (``WITH RECURSIVE``) in its own body, but not in its own body
otherwise, where the same name means a table, or a file. So
``WITH "/x.csv" AS (SELECT * FROM '/x.csv') SELECT * FROM "/x.csv"`` reads the file in the
CTE's body; the guard refuses it because there ``/x.csv`` is no CTE and no table. CTE names
that look like file paths are refused outright.
"""

from __future__ import annotations

import json
import re

import duckdb

from ..errors import QueryError

ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest", "duckdb_tables", "duckdb_views",
                           "duckdb_columns"}
DENIED_FUNCTIONS = {"read_text", "read_blob", "getenv", "current_setting", "glob", "read_csv",
                    "read_parquet", "read_json", "read_csv_auto", "read_json_auto", "sniff_csv",
                    "parquet_scan", "query", "query_table", "load", "install"}
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog"}
PATH_LIKE = re.compile(r"[/\\.:~]")


def check_select(cur, query: str, known_tables: set[str]) -> str:
    """Return the query ready to run (a trailing ``;`` and comments removed) or raise
    QueryError."""
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
    # fetchall: DuckDB refuses other work on a cursor with an unfinished result.
    tree = json.loads(cur.execute("SELECT json_serialize_sql(?)", [text]).fetchall()[0][0])
    if tree.get("error"):
        raise QueryError(f"SQL error: {tree.get('error_message', 'cannot parse the query')}")
    problems: list[str] = []
    _check(tree, frozenset(), {t.lower() for t in known_tables}, problems)
    if problems:
        raise QueryError(problems[0])
    return strip_tail(text)


def strip_tail(text: str) -> str:
    """The statement without trailing comments and semicolons, so it can be wrapped
    (``SELECT * FROM (…) LIMIT n``): a trailing ``-- comment`` would swallow the wrapper."""
    end = len(text)
    for pos, kind in reversed(duckdb.tokenize(text)):
        token = text[pos:end]
        if kind == duckdb.token_type.comment:
            end = pos
            continue
        if kind == duckdb.token_type.operator and token.rstrip().endswith(";"):
            kept = token.rstrip().rstrip(";").rstrip()  # ")" of ");" stays
            end = pos + len(kept)
            if kept:
                break
            continue
        break
    return text[:end].rstrip()


def _check(node, scope: frozenset[str], tables: set[str], problems: list[str]) -> None:
    """Walk the parse tree; ``scope`` holds the (lower-cased) CTE names visible here."""
    if isinstance(node, list):
        for v in node:
            _check(v, scope, tables, problems)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "RECURSIVE_CTE_NODE" and node.get("cte_name"):
        scope = scope | {str(node["cte_name"]).lower()}
    cte_map = node.get("cte_map")
    if isinstance(cte_map, dict) and cte_map.get("map"):
        inner = scope
        for entry in cte_map["map"]:
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("key", ""))
            if PATH_LIKE.search(name):
                problems.append(f"the CTE name {name!r} looks like a file path; name CTEs with "
                                "letters, digits and _.")
            # A CTE's body sees the CTEs before it, not itself (recursive ones add their
            # own name through their RECURSIVE_CTE_NODE).
            _check(entry.get("value"), inner, tables, problems)
            inner = inner | {name.lower()}
        scope = inner
    ntype = node.get("type")
    if ntype == "BASE_TABLE":
        _check_table(node, scope, tables, problems)
    elif ntype == "TABLE_FUNCTION":
        fn = node.get("function", {}).get("function_name", "")
        if fn.lower() not in ALLOWED_TABLE_FUNCTIONS:
            problems.append(f"table function {fn}() is not allowed in read-only queries.")
    if node.get("class") == "FUNCTION" and str(node.get("function_name", "")).lower() in DENIED_FUNCTIONS:
        problems.append(f"function {node['function_name']}() is not allowed in read-only queries.")
    for key, v in node.items():
        if key != "cte_map":
            _check(v, scope, tables, problems)


def _check_table(node: dict, scope: frozenset[str], tables: set[str], problems: list[str]) -> None:
    name = str(node.get("table_name", ""))
    schema = str(node.get("schema_name", "") or "").lower()
    catalog = str(node.get("catalog_name", "") or "").lower()
    lowered = name.lower()
    if schema in SYSTEM_SCHEMAS and not catalog:
        return
    ok = schema in ("", "main") and not catalog and (
        lowered in tables or (not schema and lowered in scope))
    if not ok:
        shown = ", ".join(sorted(t for t in tables if not t.startswith("_axis"))[:10])
        problems.append(f"unknown table {name!r}: query only the store's datasets ({shown}).")
