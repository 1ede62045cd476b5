"""From raw tables to the dataset's rows: the join of a split source, and its watermarks."""

from __future__ import annotations

import hashlib
import json

from ..errors import ConfigError
from ..ingest import build
from ..ingest.columns import canonical_names
from ..ingest.readers import Source, quote_ident
from . import config as sconfig


def query_hash(cfg: sconfig.SourceConfig) -> str:
    """Changes when the queries, column map or incremental column change (then the next
    sync is full: appending rows of another shape would mix two datasets)."""
    text = json.dumps([cfg.kind, cfg.dataset_query, cfg.results_query, cfg.columns,
                       cfg.incremental_column], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def join_source(cur, cfg, raw: dict[str, str], label: str) -> Source:
    """A Source selecting the dataset's rows: the raw table, or results JOIN dataset."""
    family = build.alias_family(cfg.kind)

    def desc(t):
        return [(r[0], r[1]) for r in cur.execute(f"DESCRIBE {quote_ident(t)}").fetchall()]

    if "data" in raw:
        cols = desc(raw["data"])
        return Source(relation=quote_ident(raw["data"]), columns=cols, label=label)
    rcols, dcols = desc(raw["results"]), desc(raw["dataset"])
    rcanon = canonical_names([c for c, _ in rcols], family, cfg.columns)
    dcanon = canonical_names([c for c, _ in dcols], family, cfg.columns)
    rkey = next((c for c, _ in rcols if rcanon[c] == "dataset_id"), None)
    dkey = next((c for c, _ in dcols if dcanon[c] == "dataset_id"), None)
    if rkey is None or dkey is None:
        side = "results_query" if rkey is None else "dataset_query"
        raise ConfigError(f"source {cfg.name!r}: key '{side}' must return a dataset_id column (or "
                          "id / record_id, or map one with columns:) to join the two queries on.")
    rtypes, dtypes = dict(rcols), dict(dcols)
    taken = set(rcanon.values()) | {c for c, _ in rcols}
    select = ["r.*"]
    out_cols = list(rcols)
    for c, t in dcols:
        if c == dkey:
            continue
        out = c
        if dcanon[c] in taken or c in taken:
            out = f"dataset_{dcanon[c]}"
        select.append(f"d.{quote_ident(c)} AS {quote_ident(out)}")
        out_cols.append((out, t))
        taken.add(out)
    if rtypes[rkey] == dtypes[dkey]:
        on = f"r.{quote_ident(rkey)} = d.{quote_ident(dkey)}"
    else:
        on = f"CAST(r.{quote_ident(rkey)} AS VARCHAR) = CAST(d.{quote_ident(dkey)} AS VARCHAR)"
    rel = (f"(SELECT {', '.join(select)} FROM {quote_ident(raw['results'])} r "
           f"JOIN {quote_ident(raw['dataset'])} d ON {on})")
    return Source(relation=rel, columns=out_cols, label=label)


def watermarks(cur, cfg, raw: dict[str, str], old: dict | None = None) -> dict[str, str]:
    """MAX of the incremental column per raw table, as text (``old`` where a table has none)."""
    if not cfg.incremental_column:
        return {}
    out = dict(old or {})
    for sub, table in raw.items():
        cols = {r[0] for r in cur.execute(f"DESCRIBE {quote_ident(table)}").fetchall()}
        if cfg.incremental_column not in cols:
            continue
        v = cur.execute(f"SELECT CAST(max({quote_ident(cfg.incremental_column)}) AS VARCHAR) "
                        f"FROM {quote_ident(table)}").fetchall()[0][0]
        if v is not None:
            out[sub] = v
    return out
