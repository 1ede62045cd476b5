"""Decision-memory rules (``kind="rules"``): role mapping, required columns, list columns.

A rules file names its columns freely; each column plays a role (see
:mod:`axis_jupyter.memory_config`). The table this builds keeps every role under its
canonical column (``rule_name``, ``action``, ``risk_factor``, ...), whatever the file called
it, plus the file's other columns under their lower-case names:

* which column plays a role: ``mapping`` (``{your_column: canonical}``, what
  ``roles={role: your_column}`` becomes), else ``field_roles`` of ``memory.yaml``, else the
  canonical name itself; exact names first, then the lower-case/underscore form;
* the required roles (``id, name, action, batch, status`` by default) must all be there,
  or one error names every missing column and how to map it;
* ids are text, present and unique (rule CRUD and the graph address rules by id);
* list roles (``mitigants``, ``data_fields``) become lists of text, parsed safely from
  JSON or a Python literal (never ``eval``); any other text is a one-item list, empty is [];
* ``created_at``/``ingested_at`` are timestamps (a value that is not one is an error naming
  the row); roles the file lacks are NULL columns, so every rules dataset has one schema.

Everything runs inside the store's load transaction; an error rolls it all back.
"""

from __future__ import annotations

from typing import Any

from .. import memory_config
from ..errors import IngestError
from .built import Built, run as _run
from .columns import normalise_name
from .jsonish import parse_jsonish
from .readers import Source, quote_ident

TEXT_TYPES = ("VARCHAR",)
_RAW = "_axis_raw_"


def role_columns(columns: list[str], mapping: dict | None, cfg: dict) -> dict[str, str]:
    """Source column -> canonical column for every role the source has."""
    out: dict[str, str] = {}
    by_norm = {}
    for c in columns:
        by_norm.setdefault(normalise_name(c), c)
    canon_of = {**{r: c for r, c in memory_config.ROLE_COLUMNS.items()},
                **{c: c for c in memory_config.ROLE_COLUMNS.values()}}
    for src, target in (mapping or {}).items():
        col = src if src in columns else by_norm.get(normalise_name(src))
        if col is None:
            raise IngestError(f"the mapping names a column {src!r} that the source does not have.",
                              public="the mapping names a column that the source does not have.")
        canon = canon_of.get(str(target), canon_of.get(normalise_name(str(target))))
        if canon is None:
            raise IngestError(f"mapping: {target!r} is not a rules column or role (roles: "
                              f"{', '.join(memory_config.ROLES)}).")
        out[col] = canon
    taken = set(out.values())
    for role, canon in memory_config.ROLE_COLUMNS.items():
        if canon in taken:
            continue
        want = cfg["field_roles"].get(role, canon)
        col = want if want in columns else by_norm.get(normalise_name(want))
        if col is not None and col not in out:
            out[col] = canon
            taken.add(canon)
    return out


def check_required(present: set[str], cfg: dict, label: str) -> None:
    """One error naming every required column the source lacks."""
    required = ["id", *(r for r in cfg["required_roles"] if r != "id")]  # CRUD and the graph need ids
    missing = [r for r in required if memory_config.ROLE_COLUMNS[r] not in present]
    if not missing:
        return
    cols = [cfg["field_roles"].get(r, memory_config.ROLE_COLUMNS[r]) for r in missing]
    example = missing[0]
    raise IngestError(
        f"{label}: rules need the column(s) {', '.join(cols)} (role(s) {', '.join(missing)}), "
        f"which {'is' if len(cols) == 1 else 'are'} missing. Add them, or say which of your "
        f"columns plays each role: roles={{'{example}': 'your_column'}} (or field_roles in "
        "memory.yaml).")


def _expr(orig: str, canon: str, duck_type: str, list_cols: set[str]) -> str:
    q = quote_ident(orig)
    t = duck_type.upper()
    if canon in list_cols:
        if t.endswith("[]"):  # a frame with real lists: each item as text
            return f"list_transform({q}, lambda x: CAST(x AS VARCHAR))"
        return f"CAST({q} AS VARCHAR)"  # parsed below, per distinct text
    if canon in memory_config.TIME_ROLES:
        if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
            return f"CAST(timezone('UTC', {q}) AS TIMESTAMP)"
        if t.startswith("TIMESTAMP") or t == "DATE":
            return f"CAST({q} AS TIMESTAMP)"
        return f"TRY_CAST(NULLIF(TRIM(CAST({q} AS VARCHAR)), '') AS TIMESTAMP)"
    if canon in memory_config.NUMBER_ROLES and _numeric(t):
        return f"CAST({q} AS DOUBLE)"
    if canon in memory_config.COLUMN_ROLES:
        return f"NULLIF(TRIM(CAST({q} AS VARCHAR)), '')"
    return q


def _numeric(t: str) -> bool:
    from .detect import is_numeric

    return is_numeric(t)


def as_text_list(value: Any) -> list[str]:
    """One cell of a list role as a list of text: JSON or Python-literal lists item by item,
    other text as one item, empty as []."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = value
    else:
        parsed = parse_jsonish(value)
        if isinstance(parsed, str) and parsed.strip().startswith("(") and parsed.strip().endswith(")"):
            parsed = _tuple_literal(parsed.strip())
        if parsed is None:
            return []
        items = parsed if isinstance(parsed, list) else [parsed]
    out = []
    for v in items:
        if v is None:
            continue
        text = v if isinstance(v, str) else str(v)
        text = text.strip()
        if text:
            out.append(text)
    return out


def _tuple_literal(text: str):
    """``('a', 'b')`` -> ``['a', 'b']`` (a literal only, never code); other text as it is."""
    import ast

    if len(text) > 100_000:
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return text
    return list(value) if isinstance(value, tuple) else text


def _check_times(cur, raw_exprs: dict[str, str], source: Source) -> None:
    for canon, expr in raw_exprs.items():
        row = cur.execute(
            f"SELECT pos FROM (SELECT row_number() OVER () AS pos, {expr} AS v FROM "
            f"{source.relation}) WHERE v IS NOT NULL AND TRIM(CAST(v AS VARCHAR)) <> '' AND "
            "TRY_CAST(TRIM(CAST(v AS VARCHAR)) AS TIMESTAMP) IS NULL LIMIT 1").fetchone()
        if row:
            raise IngestError(f"{source.label}: row {row[0]}: {canon} is not a date/time. Use ISO "
                              "8601 (2026-01-27 14:05:00) or leave it empty.")


def build_rules(cur, source: Source, *, mapping: dict | None, prefix: str) -> Built:
    """Create ``{prefix}_rules`` from ``source`` (see the module docstring)."""
    cfg = memory_config.load()
    label = source.label
    names = [c for c, _ in source.columns]
    types = dict(source.columns)
    roles = role_columns(names, mapping, cfg)
    check_required(set(roles.values()), cfg, label)
    list_cols = {memory_config.ROLE_COLUMNS[r] for r in cfg["list_fields"]}

    select, used = [], set()
    for orig in names:
        canon = roles.get(orig)
        if canon is None:
            continue
        select.append(f"{_expr(orig, canon, types[orig], list_cols)} AS "
                      f"{quote_ident(_RAW + canon if canon in list_cols and not types[orig].endswith('[]') else canon)}")
        used.add(canon)
    taken = set(memory_config.ROLE_COLUMNS.values())
    for orig in names:  # the file's other columns, under their lower-case names
        if orig in roles:
            continue
        name = normalise_name(orig) or "column"
        while name in taken or name.startswith("_axis"):
            name = f"{name}_src"
        taken.add(name)
        select.append(f"{quote_ident(orig)} AS {quote_ident(name)}")
    time_raw = {canon: quote_ident(orig) for orig, canon in roles.items()
                if canon in memory_config.TIME_ROLES and not types[orig].upper().startswith(("TIMESTAMP", "DATE"))}
    _check_times(cur, time_raw, source)
    id_orig = next(o for o, c in roles.items() if c == "id")
    _check_ids(cur, f"SELECT NULLIF(TRIM(CAST({quote_ident(id_orig)} AS VARCHAR)), '') AS id "
                    f"FROM {source.relation}", label)

    table = f"{prefix}_rules"
    _run(cur, f"CREATE TABLE {quote_ident(table)} AS SELECT {', '.join(select)} FROM {source.relation}",
         source)
    warnings: list[str] = []
    if source.check:  # CSV lines repaired by the reader (unquoted delimiters in the last column)
        def insert_rows(c, header, rows):
            import pandas as pd

            frame = pd.DataFrame(rows, columns=header, dtype="string")
            c.register("_axis_fold", frame)
            casts = ", ".join(f"TRY_CAST({quote_ident(o)} AS {t}) AS {quote_ident(o)}"
                              for o, t in source.columns)
            c.execute(f"INSERT INTO {quote_ident(table)} BY NAME SELECT {', '.join(select)} "
                      f"FROM (SELECT {casts} FROM _axis_fold)")
            c.unregister("_axis_fold")

        warnings += source.check(cur, insert_rows)

    t = quote_ident(table)
    n = cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    if n == 0:
        raise IngestError(f"{label}: no rows could be read. Nothing was loaded.")
    _lists(cur, table, list_cols, used)
    for role, canon in memory_config.ROLE_COLUMNS.items():  # one schema for every rules dataset
        if canon not in used:
            typ = ("VARCHAR[]" if canon in list_cols else "TIMESTAMP" if canon in memory_config.TIME_ROLES
                   else "VARCHAR")
            cur.execute(f"ALTER TABLE {t} ADD COLUMN {quote_ident(canon)} {typ}")
    _check_ids(cur, f"SELECT id FROM {t}", label)  # again with the repaired lines
    return Built("rules", "table", None, table, [], warnings,
                 {"rules_roles": {memory_config.COLUMN_ROLES[c]: o for o, c in roles.items()}})


def _lists(cur, table: str, list_cols: set[str], used: set[str]) -> None:
    """Text of each list role -> a list of text, parsed once per distinct value."""
    import pandas as pd

    t = quote_ident(table)
    cols = {r[0] for r in cur.execute(f"DESCRIBE {t}").fetchall()}
    for canon in sorted(list_cols & used):
        raw = _RAW + canon
        if raw not in cols:  # already a list (from a frame)
            cur.execute(f"UPDATE {t} SET {quote_ident(canon)} = [] WHERE {quote_ident(canon)} IS NULL")
            continue
        values = [r[0] for r in cur.execute(f"SELECT DISTINCT {quote_ident(raw)} FROM {t} "
                                            f"WHERE {quote_ident(raw)} IS NOT NULL").fetchall()]
        frame = pd.DataFrame({"raw": pd.Series(values, dtype=object),
                              "items": pd.Series([as_text_list(v) for v in values], dtype=object)})
        cur.execute(f"ALTER TABLE {t} ADD COLUMN {quote_ident(canon)} VARCHAR[]")
        if len(frame):
            cur.register("_axis_lists", frame)
            cur.execute(f"UPDATE {t} SET {quote_ident(canon)} = CAST(m.items AS VARCHAR[]) FROM _axis_lists m "
                        f"WHERE m.raw = {t}.{quote_ident(raw)}")
            cur.unregister("_axis_lists")
        cur.execute(f"UPDATE {t} SET {quote_ident(canon)} = [] WHERE {quote_ident(canon)} IS NULL")
        cur.execute(f"ALTER TABLE {t} DROP COLUMN {quote_ident(raw)}")


def _check_ids(cur, ids_sql: str, label: str) -> None:
    """Ids present and unique; rows are numbered in the order ``ids_sql`` reads them."""
    t = f"({ids_sql})"
    row = cur.execute(f"SELECT pos FROM (SELECT row_number() OVER () AS pos, id FROM {t}) "
                      "WHERE id IS NULL LIMIT 1").fetchone()
    if row:
        raise IngestError(f"{label}: row {row[0]} has no rule id. Every rule needs a unique id.")
    dup = cur.execute(f"SELECT id, list(pos ORDER BY pos)[1:2] FROM (SELECT row_number() OVER () AS pos, "
                      f"id FROM {t}) GROUP BY id HAVING count(*) > 1 ORDER BY min(pos) LIMIT 1").fetchone()
    if dup:
        rows = " and ".join(str(p) for p in dup[1])
        raise IngestError(f"{label}: rows {rows} have the same rule id {dup[0]!r}. Rule ids must be "
                          "unique.",
                          public=f"{label}: rows {rows} have the same rule id. Rule ids must be unique.")
