"""Keys a metric implies: left out of two summary scans, put back as a lookup.

``metric_type`` and ``metric_category`` are properties of a metric: on the data we see, every
``metric_name`` has one value of each. When the stats table (keyed by every key) shows that
for a key, the days and fine-bins tables (:data:`ROLES`) do not group by it: one text key
less in each of two scans of the raw rows (0.3 to 0.7 s each on 100,000,000 rows, where a
scan takes 2 to 3 s). The planner puts it back as a column computed from ``metric_name``
(:func:`restore`), so filters and groupings on it read those tables as before, with the
same answers: the column holds the value every row of that metric has.

The metadata keeps the lookup: ``info["summary"]["implied"] = {column: {metric_name:
value}}`` (value None for a metric whose rows have none). ``day_keys`` and ``bin_keys`` stay
the logical keys (with the implied column): :func:`grouped` gives the physical ones.
An increment (:func:`extend`) may add metrics; a metric that takes a second value of an
implied key ends the lookup: the two tables are dropped and the raw rows answer what they
answered until the next build (``tables.append_rows``).
"""

from __future__ import annotations

import json

import ibis

from ..analytics.memo import Lru
from ..ingest.readers import quote_ident

ATTRS = ("metric_type", "metric_category")
ROLES = ("days", "bins")


def _text_columns(cur, table: str) -> set[str]:
    return {r[0] for r in cur.execute(f"DESCRIBE {quote_ident(table)}").fetchall()
            if str(r[1]).upper().startswith("VARCHAR")}


def find(cur, stats: str, keys: list[str]) -> dict[str, dict]:
    """{column: {metric_name: value}} for each key of :data:`ATTRS` with one value per
    metric in the stats table ``stats`` (NULL counts as a value). Text columns only: the
    lookup is kept as JSON, whose keys are text."""
    text = _text_columns(cur, stats)
    if "metric_name" not in text:
        return {}
    out = {}
    for col in ATTRS:
        if col not in keys or col not in text:
            continue
        c = quote_ident(col)
        rows = cur.execute(f"SELECT metric_name, count(DISTINCT {c}) + max(({c} IS NULL)::INT), "
                           f"min({c}) FROM {quote_ident(stats)} GROUP BY metric_name").fetchall()
        if all(k <= 1 for _, k, _ in rows):
            out[col] = {name: value for name, _, value in rows}
    return out


def grouped(keys: list[str] | None, meta: dict) -> list[str]:
    """The keys a days or fine-bins table is grouped by: ``keys`` without the implied ones."""
    implied = meta.get("implied") or {}
    return [k for k in keys or [] if k not in implied]


def extend(cur, implied: dict[str, dict], new_table: str) -> dict[str, dict] | None:
    """The lookup with the metrics of the rows of ``new_table`` added; None when one of
    them has another value of an implied key than the lookup holds (or than another of its
    new rows: two values)."""
    have = {r[0] for r in cur.execute(f"DESCRIBE {quote_ident(new_table)}").fetchall()}
    out = {}
    for col, lookup in implied.items():
        value = quote_ident(col) if col in have else "NULL::VARCHAR"
        rows = cur.execute(f"SELECT DISTINCT metric_name, {value} FROM {quote_ident(new_table)} "
                           f"WHERE metric_name IS NOT NULL").fetchall()
        merged = dict(lookup)
        for name, v in rows:
            if name in merged and merged[name] != v:
                return None
            merged[name] = v
        out[col] = merged
    return out


def restore(t: ibis.Table, meta: dict) -> ibis.Table:
    """``t`` (a days or fine-bins table) with the implied columns it lacks, computed from
    metric_name: the value of that metric (NULL for a metric the lookup does not hold).
    Memoised: every read builds a planner, and building the lookup's Ibis expression cost
    ~2 ms a table, a tenth of a monitor change's Python time."""
    implied = meta.get("implied") or {}
    missing = [c for c in implied if c not in t.columns]
    if not missing:
        return t
    key = (t.op(), json.dumps({c: implied[c] for c in missing}, sort_keys=True))
    return _RESTORED.get_or_make(key, lambda: t.mutate(**{c: _lookup(t, implied[c]) for c in missing}))


def _lookup(t: ibis.Table, lookup: dict):
    branches = [(t.metric_name == name, ibis.literal(v, type="string")) for name, v in lookup.items()]
    return ibis.cases(*branches, else_=ibis.null("string")) if branches else ibis.null("string")


_RESTORED = Lru(256)
