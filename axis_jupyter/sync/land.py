"""Landing a query's rows in the store: as they come (raw), or straight in canonical form.

The canonical form is what :func:`axis_jupyter.ingest.build.build_records` makes of rows:
canonical names and types, defaults, and for a split source each results row joined with
its dataset row. :func:`land_canonical` hands the build the tier's stream itself, so DuckDB
reads the rows, joins them with the dataset table, converts and writes them in one pass,
while PostgreSQL is still sending them — no raw copy of the results, no second pass over
them. One case takes a raw copy first: a source whose values must be checked before the
build (text in a score or time column), because the checks read the rows once more.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ingest import build
from ..ingest.readers import Source, quote_ident
from . import tiers
from .feeds import Progress, probe_side
from .join import JoinPlan
from .readers import Column, ReadResult


def land_raw(cur, reading: tiers.Reading, query: str, cols: list[Column], table: str, *,
             label: str, progress: Progress | None = None,
             partition: str | None = None) -> ReadResult:
    """``CREATE TABLE table`` with the query's rows, typed as ``cols`` say."""
    def use(relation: str) -> None:
        cur.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM {relation}")

    return tiers.read(cur, reading, query, cols, use, label=label, partition=partition,
                      progress=progress)[1]


@dataclass
class DatasetSide:
    """The dataset rows a split source's results are joined with, already in the store."""

    plan: JoinPlan
    relation: str  # a table, or the UNION ALL of the kept table and new rows
    rows: int
    columns: list[Column]


def land_canonical(cur, reading: tiers.Reading, query: str, cols: list[Column], *, kind: str,
                   mapping: dict | None, prefix: str, label: str, build_label: str,
                   dataset: DatasetSide | None = None, allow_empty: bool = False,
                   progress: Progress | None = None, partition: str | None = None,
                   stream: bool = True) -> tuple[build.Built, ReadResult]:
    """The query's rows (joined with ``dataset``) as the canonical table ``{prefix}_long`` (or
    ``{prefix}_records`` for wide layouts), built in its own transaction: a failure leaves
    nothing. ``label`` names the read in messages, ``build_label`` the dataset's source.

    ``stream=False`` lands the rows raw first: for a read known to be much smaller than the
    dataset side (an increment), where a join over a stream would hash every dataset row (and
    pass over :func:`~.feeds.probe_side`'s empty range) for a few new results rows."""
    src_cols = dataset.plan.columns if dataset is not None else [(c.name, c.duck) for c in cols]

    def build_from(relation: str) -> build.Built:
        src = Source(relation=relation, columns=src_cols, label=build_label)
        cur.execute("BEGIN TRANSACTION")
        try:
            built = build.build_records(cur, src, kind=kind, mapping=mapping, prefix=prefix,
                                        allow_empty=allow_empty)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return built

    def joined(relation: str, stream: bool) -> str:
        if dataset is None:
            return relation
        if stream:  # DuckDB must build its hash table on the dataset rows, not on the stream
            relation = probe_side(relation, cols, dataset.rows, dataset.columns)
        return dataset.plan.relation(relation, dataset.relation)

    if not stream or not build.reads_once(Source(relation="", columns=src_cols, label=build_label),
                                          kind=kind, mapping=mapping):
        raw = f"{prefix}_raw"
        read = land_raw(cur, reading, query, cols, raw, label=label, progress=progress,
                        partition=partition)
        try:
            return build_from(joined(quote_ident(raw), stream=False)), read
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(raw)}")
    return tiers.read(cur, reading, query, cols, lambda rel: build_from(joined(rel, stream=True)),
                      label=label, partition=partition, progress=progress)
