"""Staged uploads: a file is kept aside, previewed with a column mapping, then committed (``payloads.datasets.commit_staged`` loads it).

An upload through the data manager goes in three steps so that nothing is lost when the
detected column roles are wrong: ``stage`` keeps the file under ``$AXIS_HOME/staging/<id>/``;
``preview`` reads only its first rows (with the same readers and alias tables as ``load``)
and says which canonical column each one becomes, its role, and the kind and layout that
would be detected, for any ``mapping`` the user tries; ``commit`` loads it with the chosen
mapping. A failed commit keeps the staged file, so the user changes the mapping and
commits again; ``discard`` (or a successful commit) removes it. Staged files older than
:data:`MAX_AGE_S` are swept when another file is staged.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from .. import config
from ..errors import IngestError, NotFoundError, ParameterError
from .build import NUMERIC_CANON, alias_family, plan_kind
from .columns import canonical_names
from .detect import KINDS, wide_metric_columns
from .readers import NeedsCarefulRead, RetryAsText, file_source

MAX_AGE_S = 24 * 3600
PREVIEW_ROWS = 20
_ID = re.compile(r"^[a-f0-9]{16}$")
_META = "staged.json"

# What each canonical column is for, as the data manager shows it.
ROLES = {
    "dataset_id": "record id", "trace_id": "record id", "id": "record id",
    "evaluation_name": "experiment", "metric_name": "metric", "metric_score": "score",
    "metric_type": "tree", "parent": "tree", "weight": "tree", "metric_category": "metric",
    "timestamp": "time", "created_at": "time",
    "source_name": "source", "source_component": "source", "source_type": "source",
    "environment": "environment", "model_name": "model",
    "query": "input", "actual_output": "output", "expected_output": "expected output",
    "latency": "latency", "explanation": "explanation", "signals": "signals",
    "kpi_name": "kpi", "numeric_value": "value", "judgment": "label",
}


def staging_dir() -> Path:
    return config.axis_home() / "staging"


def _folder(upload: str) -> Path:
    if not isinstance(upload, str) or not _ID.match(upload):
        raise ParameterError("upload must be the id a staged upload returned (16 hex digits).",
                             param="upload")
    folder = staging_dir() / upload
    if not (folder / _META).exists():
        raise NotFoundError(f"no staged upload {upload!r}: it was committed, discarded or has "
                            "expired; upload the file again.")
    return folder


def _sweep(now: float) -> None:
    base = staging_dir()
    if not base.exists():
        return
    for folder in base.iterdir():
        meta = folder / _META
        try:
            created = json.loads(meta.read_text()).get("created", 0)
        except (OSError, ValueError):
            created = folder.stat().st_mtime
        if now - created > MAX_AGE_S:
            shutil.rmtree(folder, ignore_errors=True)


def _safe_filename(filename: str) -> str:
    name = Path(str(filename or "upload.csv")).name
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._") or "upload.csv"
    return name[:120]


def stage(path: str | Path, filename: str | None = None, *, move: bool = False) -> dict:
    """Keep the file at ``path`` as a staged upload; returns ``{upload, filename, bytes}``.
    ``move`` takes the file (the server's multipart temp file) instead of copying it."""
    src = Path(path)
    if not src.is_file():
        raise IngestError(f"{src.name}: no such file to stage.")
    now = time.time()
    _sweep(now)
    upload = secrets.token_hex(8)
    folder = staging_dir() / upload
    folder.mkdir(parents=True, exist_ok=False)
    fname = _safe_filename(filename or src.name)
    target = folder / fname
    if move:
        shutil.move(str(src), target)
    else:
        shutil.copyfile(src, target)
    meta = {"upload": upload, "filename": fname, "bytes": target.stat().st_size, "created": now}
    (folder / _META).write_text(json.dumps(meta))
    return {k: meta[k] for k in ("upload", "filename", "bytes")}


def stage_bytes(data: bytes, filename: str) -> dict:
    """Stage file content sent whole (the kernel path of the data manager, small files)."""
    tmp = staging_dir() / f"incoming-{secrets.token_hex(6)}"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        p = tmp / _safe_filename(filename)
        p.write_bytes(data)
        return stage(p, filename, move=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def staged(upload: str) -> dict:
    """The staged upload's ``{upload, filename, bytes, path}``."""
    folder = _folder(upload)
    meta = json.loads((folder / _META).read_text())
    return {**meta, "path": str(folder / meta["filename"])}


def finish(upload: str) -> None:
    """The staged file was loaded: remove it."""
    shutil.rmtree(_folder(upload), ignore_errors=True)


def discard(upload: str) -> dict:
    folder = _folder(upload)
    shutil.rmtree(folder, ignore_errors=True)
    return {"upload": upload, "discarded": True}


def check_mapping(mapping) -> dict[str, str]:
    if mapping in (None, ""):
        return {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in mapping.items()):
        raise ParameterError('mapping must be an object {"your_column": "canonical_column"}.',
                             param="mapping")
    return {k: v for k, v in mapping.items() if v.strip()}


def check_kind(kind) -> str:
    kind = kind or "auto"
    if kind not in ("auto", *KINDS):
        raise ParameterError(f"kind must be one of auto, {', '.join(KINDS)}.", param="kind")
    return kind


def preview(upload: str, *, mapping: dict | None = None, kind: str = "auto",
            encoding: str = "utf-8", rows: int = PREVIEW_ROWS) -> dict:
    """The first ``rows`` rows of a staged file and what loading it with ``mapping`` would
    make of each column; never loads anything into the store.

    Returns ``{upload, filename, bytes, columns: [{name, type, canonical, role, mapped}],
    rows: [[...]], kind, layout, error}``; ``error`` says why the file would be refused
    as mapped (then kind and layout are None), so the user can change the mapping."""
    meta = staged(upload)
    mapping = check_mapping(mapping)
    kind = check_kind(kind)
    fam = "auto" if kind == "auto" else alias_family(kind)
    con = duckdb.connect(":memory:")
    try:
        cur = con.cursor()
        src = None
        for careful in (False, True):
            try:
                src = file_source(cur, meta["path"], numeric=set(), text=set(), encoding=encoding,
                                  mapping_names=lambda cols: canonical_names(cols, fam, mapping),
                                  careful=careful)
                head = cur.execute(f"SELECT * FROM {src.relation} LIMIT {int(rows)}").fetchall()
                break
            except (NeedsCarefulRead, RetryAsText, duckdb.Error):
                if careful:
                    raise IngestError(f"{meta['filename']}: the first rows cannot be read; check "
                                      "the file type and encoding.") from None
        assert src is not None
        columns = src.columns
    finally:
        con.close()
    error = None
    try:
        kind_, layout, rename = plan_kind(columns, kind, mapping, meta["filename"])
    except IngestError as exc:
        kind_ = layout = None
        rename = canonical_names([c for c, _ in columns], fam, mapping)
        error = getattr(exc, "public", None) or str(exc)
    canon_types = {rename[c]: t for c, t in columns}
    wide = set()
    if layout == "wide":
        wide = set(wide_metric_columns(canon_types, numeric_fallback=kind_ == "evals"))
    out_cols = []
    for name, dtype in columns:
        canon = rename[name]
        role = "metric (wide)" if canon in wide else ROLES.get(canon, "column")
        out_cols.append({"name": name, "type": dtype, "canonical": canon, "role": role,
                         "mapped": name in mapping})
    return {"upload": upload, "filename": meta["filename"], "bytes": meta["bytes"],
            "columns": out_cols, "rows": [[_cell(v) for v in r] for r in head],
            "kind": kind_, "layout": layout, "error": error,
            "canonical_columns": sorted({*ROLES, *NUMERIC_CANON} - {"id", "created_at"})}


def _cell(v: Any):
    if v is None or isinstance(v, (bool, int, float)):
        return v
    text = str(v)
    return text if len(text) <= 200 else text[:199] + "…"


__all__ = ["discard", "finish", "preview", "stage", "stage_bytes", "staged"]
