"""A split source's rows: results joined with their dataset rows; and the sync's watermarks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..errors import ConfigError
from ..ingest import build
from ..ingest.columns import canonical_names
from ..ingest.readers import quote_ident
from . import config as sconfig
from . import readers as rd


def query_hash(cfg: sconfig.SourceConfig) -> str:
    """Changes when the queries, column map or incremental column change (then the next
    sync is full: appending rows of another shape would mix two datasets)."""
    text = json.dumps([cfg.kind, cfg.dataset_query, cfg.results_query, cfg.columns,
                       cfg.incremental_column], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class JoinPlan:
    """How a split source's results rows take their dataset row's columns."""

    columns: list[tuple[str, str]]  # (name, DuckDB type) of the joined rows
    select: list[str]
    on: str

    def relation(self, results: str, dataset: str) -> str:
        """The joined rows of ``results`` and ``dataset`` (anything that can stand after FROM)."""
        return (f"(SELECT {', '.join(self.select)} FROM {results} r "
                f"JOIN {dataset} d ON {self.on})")


def plan_join(cfg, rcols: list[rd.Column], dcols: list[rd.Column]) -> JoinPlan:
    """Results JOIN dataset on their dataset_id columns; a dataset column whose name the
    results already use comes in as ``dataset_<name>``."""
    family = build.alias_family(cfg.kind)
    rnames, dnames = [c.name for c in rcols], [c.name for c in dcols]
    rcanon = canonical_names(rnames, family, cfg.columns)
    dcanon = canonical_names(dnames, family, cfg.columns)
    rkey = next((c for c in rnames if rcanon[c] == "dataset_id"), None)
    dkey = next((c for c in dnames if dcanon[c] == "dataset_id"), None)
    if rkey is None or dkey is None:
        side = "results_query" if rkey is None else "dataset_query"
        raise ConfigError(f"source {cfg.name!r}: key '{side}' must return a dataset_id column (or "
                          "id / record_id, or map one with columns:) to join the two queries on.")
    taken = set(rcanon.values()) | set(rnames)
    select = ["r.*"]
    out_cols = [(c.name, c.duck) for c in rcols]
    for c in dcols:
        if c.name == dkey:
            continue
        out = c.name
        if dcanon[c.name] in taken or c.name in taken:
            out = f"dataset_{dcanon[c.name]}"
        select.append(f"d.{quote_ident(c.name)} AS {quote_ident(out)}")
        out_cols.append((out, c.duck))
        taken.add(out)
    rtype = next(c.duck for c in rcols if c.name == rkey)
    dtype = next(c.duck for c in dcols if c.name == dkey)
    if rtype == dtype:
        on = f"r.{quote_ident(rkey)} = d.{quote_ident(dkey)}"
    else:
        on = f"CAST(r.{quote_ident(rkey)} AS VARCHAR) = CAST(d.{quote_ident(dkey)} AS VARCHAR)"
    return JoinPlan(out_cols, select, on)


def watermarks(snap: rd.Snapshot, cfg, queries: dict[str, str], cols: dict[str, list[rd.Column]],
               old: dict | None = None) -> dict[str, str]:
    """MAX of the incremental column per sub-query, as PostgreSQL's text, read in the sync's
    snapshot (the rows it read); ``old`` stays where a query returned no rows."""
    if not cfg.incremental_column:
        return {}
    out = dict(old or {})
    for sub, query in queries.items():
        if not any(c.name == cfg.incremental_column for c in cols[sub]):
            continue
        v = rd.max_text(snap, query, cfg.incremental_column, f"source {cfg.name!r}, {sub} query")
        if v is not None:
            out[sub] = v
    return out
