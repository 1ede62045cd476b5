"""Exact test-case counts over any set of experiments, from a small table of bitmasks.

A test case (``dataset_id``) usually appears in several experiments, so case counts do not
add up across experiments: the count for two experiments is not the sum of theirs. Counting
distinct ids over the cases table (a row per case, experiment and key values) costs a scan
of it on every filter change. Instead, every experiment gets a bit (at most
:data:`MASK_BITS`, the sign bit of a BIGINT left alone) and each case the bitmask of the
experiments it appears in; the ``case_masks`` table holds how many cases have each mask:

    key, value, mask -> n

* key and value NULL: over the whole dataset;
* key = a case key other than the experiment, value = one of its values (NULL: the rows
  where it is NULL), as text: over the rows with that value (a case's mask there is the
  experiments it appears in *with that value*).

The cases of experiments S among the rows with key = value are those whose mask there
intersects S, each counted once: ``sum(n) where mask & bits(S) != 0``; with no experiment
filter, ``sum(n)`` over every mask (mask 0: cases seen only with a NULL experiment). So the
scorecard's common filters (no filter; any set of experiments; either of them with one other
key equal to one value) are answered from a few dozen rows, exactly. Other filters (two
other keys, a time range, several values of one key) count distinct ids over the cases
table, as before; they would double-count a case seen under two values.

Fallback (documented in the README): with more than :data:`MASK_BITS` experiments, or when
a string experiment column is missing, or when the masks would exceed the summaries' size
limit (about 2^experiments masks per value), the table has no bits (``experiments`` None,
every mask 0) and the experiment is one more key: it still answers no filter and one value
of one key (the earlier case totals); sets of experiments count over the cases table.

Incremental sync (:func:`append`) keeps it exact from the new rows alone: the increment's
distinct cases are probed against the cases table (a semi-join on ``dataset_id``: the cases
table's id column is scanned once, the raw rows not at all), each touched (key, value, case)
gets its old mask and its new one (old | the increment's), and the table takes -1 at the old
mask and +1 at the new (+1 alone for a case new there). New experiments take the next free
bits (the old masks stay valid: those bits were 0); one experiment past the last bit rebuilds
the table without bits from the cases table.
"""

from __future__ import annotations

import ibis

from ..ingest.readers import quote_ident
from . import duck

MASK_BITS = 62
EXPERIMENT = "evaluation_name"


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _bit(col: ibis.Column, experiments: list[str] | None):
    """The bit of each row's experiment (0 for NULL, an unknown value, or no bits)."""
    if not experiments:
        return ibis.literal(0, type="int64")
    return ibis.cases(*((col == e, ibis.literal(1 << i, type="int64"))
                        for i, e in enumerate(experiments)), else_=ibis.literal(0, type="int64"))


def layout(cases: ibis.Table, case_keys: list[str], experiments: list[str] | None) -> list[str]:
    """The keys with rows of their own: every case key but the experiment when it has bits."""
    return [k for k in case_keys if k in cases.columns and not (experiments and k == EXPERIMENT)]


def masks_expr(cases: ibis.Table, keys: list[str], experiments: list[str] | None) -> ibis.Table:
    """The case_masks table of the cases table ``cases`` (portable Ibis: DuckDB and
    PostgreSQL); ``keys`` from :func:`layout`."""
    c = cases.filter(cases.dataset_id.notnull())
    c = c.mutate(_b=_bit(c[EXPERIMENT], experiments) if experiments else ibis.literal(0, type="int64"))
    per = c.group_by("dataset_id").aggregate(mask=c._b.bit_or())
    parts = [per.group_by("mask").aggregate(n=per.count()).select(
        key=ibis.null("string"), value=ibis.null("string"), mask="mask", n="n")]
    for k in keys:
        per = c.group_by([k, "dataset_id"]).aggregate(mask=c._b.bit_or())
        g = per.group_by([per[k].cast("string").name("value"), "mask"]).aggregate(n=per.count())
        parts.append(g.select(key=ibis.literal(k, type="string"), value="value", mask="mask", n="n"))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def experiments_of(cur, cases: str) -> list[str] | None:
    """The experiments of the cases table, sorted (bit i = the i-th); None when there are
    more than :data:`MASK_BITS` or the column is missing or not text."""
    types = {r[0]: r[1] for r in cur.execute(f"DESCRIBE {quote_ident(cases)}").fetchall()}
    if not str(types.get(EXPERIMENT, "")).upper().startswith("VARCHAR"):
        return None
    e = quote_ident(EXPERIMENT)
    values = [r[0] for r in cur.execute(
        f"SELECT DISTINCT {e} FROM {quote_ident(cases)} WHERE {e} IS NOT NULL "
        f"ORDER BY 1 LIMIT {MASK_BITS + 1}").fetchall()]
    return values if len(values) <= MASK_BITS else None


def build(cur, name: str, cases: str, case_keys: list[str], limit: int) -> dict:
    """CREATE ``name`` from the cases table ``cases``; its metadata {experiments, keys}
    (``info["summary"]["case_masks"]``); over ``limit`` rows, the table is built again
    without bits."""
    t = duck.table(cur, cases)
    experiments = experiments_of(cur, cases)
    for exps in ((experiments, None) if experiments else (None,)):
        keys = layout(t, case_keys, exps)
        cur.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS {duck.sql(masks_expr(t, keys, exps))}")
        n = cur.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        if n <= limit:
            break
    return {"experiments": exps, "keys": keys}


def _bit_sql(experiments: list[str] | None) -> str:
    if not experiments:
        return "0::BIGINT"
    whens = " ".join(f"WHEN {_lit(e)} THEN {1 << i}::BIGINT" for i, e in enumerate(experiments))
    return f"CASE {quote_ident(EXPERIMENT)} {whens} ELSE 0::BIGINT END"


def append(cur, name: str, cases: str, inc: str, meta: dict, case_keys: list[str],
           limit: int) -> dict:
    """Take the increment's distinct cases (the DuckDB table ``inc``, the cases table's
    columns) into ``name`` and into the cases table ``cases``; returns the new metadata.
    See the module docstring for why this stays exact."""
    exps = meta.get("experiments")
    if exps is not None:
        e = quote_ident(EXPERIMENT)
        fresh = [r[0] for r in cur.execute(
            f"SELECT DISTINCT {e} FROM {quote_ident(inc)} WHERE {e} IS NOT NULL ORDER BY 1").fetchall()
            if r[0] not in set(exps)]
        if len(exps) + len(fresh) > MASK_BITS:
            _insert_new_cases(cur, cases, inc)
            return build(cur, name, cases, case_keys, limit)
        exps = [*exps, *fresh]
    old = f"{inc}__old"
    cur.execute(f"CREATE TEMP TABLE {quote_ident(old)} AS SELECT * FROM {quote_ident(cases)} "
                f"WHERE dataset_id IN (SELECT dataset_id FROM {quote_ident(inc)})")
    bit = _bit_sql(exps)
    deltas = []
    for key in [None, *meta["keys"]]:
        v = "NULL::VARCHAR" if key is None else f"CAST({quote_ident(key)} AS VARCHAR)"
        k = "NULL::VARCHAR" if key is None else _lit(key)

        def masks(table):
            return (f"SELECT {v} AS value, dataset_id, bit_or({bit}) AS m FROM {quote_ident(table)} "
                    f"WHERE dataset_id IS NOT NULL GROUP BY ALL")
        # each (value, case) of the increment: its mask before (NULL: new there) and after
        deltas.append(
            f"SELECT * FROM (WITH j AS (SELECT i.value, o.m AS old, coalesce(o.m, 0) | i.m AS new "
            f"FROM ({masks(old)}) o RIGHT JOIN ({masks(inc)}) i ON o.dataset_id = i.dataset_id "
            f"AND o.value IS NOT DISTINCT FROM i.value) "
            f"SELECT {k} AS key, value, old AS mask, -1 AS n FROM j WHERE old <> new "
            f"UNION ALL SELECT {k}, value, new, 1 FROM j WHERE old IS NULL OR old <> new)")
    merged = f"{name}__merged"
    cur.execute(f"CREATE TEMP TABLE {quote_ident(merged)} AS SELECT key, value, mask, "
                f"sum(n)::BIGINT AS n FROM (SELECT key, value, mask, n FROM {quote_ident(name)} "
                f"UNION ALL {' UNION ALL '.join(deltas)}) GROUP BY ALL HAVING sum(n) <> 0")
    cur.execute(f"DELETE FROM {quote_ident(name)}")
    cur.execute(f"INSERT INTO {quote_ident(name)} SELECT * FROM {quote_ident(merged)}")
    rows = cur.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
    _insert_new_cases(cur, cases, inc, old)
    for t in (merged, old):
        cur.execute(f"DROP TABLE {quote_ident(t)}")
    if rows > limit:  # too many masks now: the table without bits (see the module docstring)
        return build(cur, name, cases, case_keys, limit)
    return dict(meta, experiments=exps)


def _insert_new_cases(cur, cases: str, inc: str, old: str | None = None) -> None:
    """The increment's case rows the cases table does not hold yet (``old``: its rows of the
    increment's ids, when already read)."""
    cols = ", ".join(quote_ident(r[0]) for r in cur.execute(f"DESCRIBE {quote_ident(cases)}").fetchall())
    known = quote_ident(old) if old else (f"(SELECT * FROM {quote_ident(cases)} WHERE dataset_id IN "
                                          f"(SELECT dataset_id FROM {quote_ident(inc)}))")
    cur.execute(f"INSERT INTO {quote_ident(cases)} ({cols}) SELECT {cols} FROM {quote_ident(inc)} "
                f"EXCEPT SELECT {cols} FROM {known}")
