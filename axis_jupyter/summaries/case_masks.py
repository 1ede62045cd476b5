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

The bits also fold the cases table (:func:`row_bit`, ``meta["case_bits"]``): when the
experiments are known from the stats table before the cases are scanned (a text column, at
most :data:`MASK_BITS` values, every row with a metric_name), its rows are (the other case
keys, day, dataset_id) -> ``mask``, the bits of the experiments those rows appear in (NULL:
:data:`NULL_BIT`). A case run in five experiments is then one row, not five: on 100,000,000
rows the scan groups 1,000,000 rows instead of 5,000,000 (1.6 s against 2.5 s, and a fifth
of the table to write), and a distinct-id count over it reads a fifth of the rows. A filter
on experiments is ``mask & bits != 0`` (:func:`selection`), exact for the same reason as
above: a row's mask holds the experiments of the rows with its other keys.

Fallback (documented in the README): with more than :data:`MASK_BITS` experiments, or when
a string experiment column is missing, the cases table keeps the experiment as a column and
the masks table has no bits (``experiments`` None, every mask 0): the experiment is one more
key, which still answers no filter and one value of one key; sets of experiments count over
the cases table. The same happens when the masks would exceed the summaries' size limit
(about 2^experiments masks per value) over cases with the experiment as a column; over
folded cases there is then no masks table, and every count reads the folded cases.

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
NULL_BIT = 1 << MASK_BITS  # a NULL experiment, in the folded cases only (the sign bit stays clear)
EXP_BITS = NULL_BIT - 1  # the experiments' bits
EXPERIMENT = "evaluation_name"


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _bit(col: ibis.Column, experiments: list[str] | None):
    """The bit of each row's experiment (0 for NULL, an unknown value, or no bits)."""
    if not experiments:
        return ibis.literal(0, type="int64")
    return ibis.cases(*((col == e, ibis.literal(1 << i, type="int64"))
                        for i, e in enumerate(experiments)), else_=ibis.literal(0, type="int64"))


def row_bit(col: ibis.Column, experiments: list[str]) -> ibis.Value:
    """The bit of each row's experiment in the folded cases table: :data:`NULL_BIT` for NULL."""
    return ibis.cases((col.isnull(), ibis.literal(NULL_BIT, type="int64")),
                      *((col == e, ibis.literal(1 << i, type="int64")) for i, e in enumerate(experiments)),
                      else_=ibis.literal(0, type="int64"))


def bits_of(cur, stats: str, keys: list[str], unnamed_rows: int) -> list[str] | None:
    """The experiments that fold the cases table (sorted: bit i = the i-th), read from the
    stats table ``stats`` (keyed by ``keys``); None when it cannot tell them all: the
    experiment is not a text key, some rows have no metric_name (the stats leave them out),
    or there are more than :data:`MASK_BITS`."""
    if EXPERIMENT not in keys or unnamed_rows:
        return None
    return experiments_of(cur, stats)


def selection(value, experiments: list[str], null_bit: bool = True) -> int | None:
    """The bits of an experiment filter's value (one text, a list of them, or NULL when
    ``null_bit``); an unknown experiment adds none. None for any other value: the raw path
    reads it (and names a bad one)."""
    if value is None:
        return NULL_BIT if null_bit else None
    picked = list(value) if isinstance(value, (list, tuple)) else [value]
    if not picked or not all(isinstance(e, str) for e in picked):
        return None
    return sum(1 << experiments.index(e) for e in set(picked) if e in experiments)


def layout(cases: ibis.Table, case_keys: list[str], experiments: list[str] | None) -> list[str]:
    """The keys with rows of their own: every case key but the experiment when it has bits."""
    return [k for k in case_keys if k in cases.columns and not (experiments and k == EXPERIMENT)]


def masks_expr(cases: ibis.Table, keys: list[str], experiments: list[str] | None) -> ibis.Table:
    """The case_masks table of the cases table ``cases`` (portable Ibis: DuckDB and
    PostgreSQL); ``keys`` from :func:`layout`."""
    c = cases.filter(cases.dataset_id.notnull())
    if "mask" in c.columns:  # folded cases: their experiments' bits, without the NULL one
        c = c.mutate(_b=c.mask & EXP_BITS)
    else:
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


def build(cur, name: str, cases: str, case_keys: list[str], limit: int,
          bits: list[str] | None = None) -> dict | None:
    """CREATE ``name`` from the cases table ``cases`` (folded by the experiments ``bits``,
    or None); its metadata {experiments, keys} (``info["summary"]["case_masks"]``). Over
    ``limit`` rows, the table is built again without bits; over folded cases, which have
    no experiment column to key by, it is dropped (None)."""
    t = duck.table(cur, cases)
    if bits is not None:
        tries = [bits]
    else:
        experiments = experiments_of(cur, cases)
        tries = [experiments, None] if experiments else [None]
    for exps in tries:
        keys = layout(t, case_keys, exps)
        cur.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS {duck.sql(masks_expr(t, keys, exps))}")
        n = cur.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        if n <= limit:
            return {"experiments": exps, "keys": keys}
    if bits is not None:
        cur.execute(f"DROP TABLE {quote_ident(name)}")
        return None
    return {"experiments": exps, "keys": keys}


def _bit_sql(experiments: list[str] | None) -> str:
    if not experiments:
        return "0::BIGINT"
    whens = " ".join(f"WHEN {_lit(e)} THEN {1 << i}::BIGINT" for i, e in enumerate(experiments))
    return f"CASE {quote_ident(EXPERIMENT)} {whens} ELSE 0::BIGINT END"


def append(cur, name: str, cases: str, inc: str, meta: dict, case_keys: list[str],
           limit: int, bits: list[str] | None = None) -> dict | None:
    """Take the increment's distinct cases (the DuckDB table ``inc``, the cases table's
    columns) into ``name`` and into the cases table ``cases``; returns the new metadata
    (None: the masks table was dropped, see :func:`build`). ``bits``: the experiments of
    folded cases, the increment's new ones already among them (``tables.append_rows``).
    See the module docstring for why this stays exact."""
    exps = meta.get("experiments")
    if bits is not None:
        exps = bits
    elif exps is not None:
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
    bit = f"mask & {EXP_BITS}" if bits is not None else _bit_sql(exps)
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
        return build(cur, name, cases, case_keys, limit, bits)
    return dict(meta, experiments=exps)


def extend_bits(cur, bits: list[str], new_table: str) -> list[str] | None:
    """The folding experiments with the new ones of the rows of ``new_table`` after them
    (the old bits stay valid); None past :data:`MASK_BITS`."""
    e = quote_ident(EXPERIMENT)
    have = set(bits)
    fresh = [r[0] for r in cur.execute(f"SELECT DISTINCT {e} FROM {quote_ident(new_table)} "
                                       f"WHERE {e} IS NOT NULL ORDER BY 1").fetchall() if r[0] not in have]
    return [*bits, *fresh] if len(bits) + len(fresh) <= MASK_BITS else None


def _insert_new_cases(cur, cases: str, inc: str, old: str | None = None) -> None:
    """The increment's case rows the cases table does not hold yet (``old``: its rows of the
    increment's ids, when already read)."""
    cols = ", ".join(quote_ident(r[0]) for r in cur.execute(f"DESCRIBE {quote_ident(cases)}").fetchall())
    known = quote_ident(old) if old else (f"(SELECT * FROM {quote_ident(cases)} WHERE dataset_id IN "
                                          f"(SELECT dataset_id FROM {quote_ident(inc)}))")
    cur.execute(f"INSERT INTO {quote_ident(cases)} ({cols}) SELECT {cols} FROM {quote_ident(inc)} "
                f"EXCEPT SELECT {cols} FROM {known}")
