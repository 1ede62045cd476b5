"""Turn a load source (file path or data frame) into something DuckDB can select from.

A reader never materialises the data in Python: files are read by DuckDB's own readers and
frames are registered as Arrow views. It returns a :class:`Source` with the SQL text to
select from, the original columns with their DuckDB types, and a ``check`` callback that runs
after the staging table is written, inside the load transaction, to turn DuckDB's rejected
lines into recovered rows (with a warning) or into one clear :class:`IngestError`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import IngestError
from .columns import FREE_TEXT, normalise_name

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


class NeedsCarefulRead(Exception):
    """The fast CSV read failed or looked wrong: read again with rejects stored per line."""


class RetryAsText(Exception):
    """DuckDB's sniffer guessed a non-text type for a column that later holds text."""

    def __init__(self, column: str):
        super().__init__(column)
        self.column = column


@dataclass
class Source:
    relation: str  # SQL that can stand after FROM
    columns: list[tuple[str, str]]  # (original name, DuckDB type)
    label: str  # file name or "data frame", used in every message
    line_based: bool = False  # True when row positions are file lines (CSV)
    check: Callable[[Any, Callable[[Any, str], None]], list[str]] | None = None
    cleanup: Callable[[Any], None] | None = None
    extras: dict = field(default_factory=dict)


def quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# --------------------------------------------------------------------------------------
# Frames


def frame_source(cur, frame: Any) -> Source:
    """Register a pandas/polars/Arrow frame as a DuckDB view (no copy for Arrow)."""
    import pyarrow as pa

    label = "data frame"
    if isinstance(frame, pa.Table):
        table = frame
    elif type(frame).__module__.startswith("polars"):
        table = frame.to_arrow()
    elif hasattr(frame, "columns") and hasattr(frame, "dtypes"):  # pandas
        cols = [str(c) for c in frame.columns]
        dup = [c for c, n in Counter(cols).items() if n > 1]
        if dup:
            raise IngestError(
                f"{label}: duplicate column name(s) {', '.join(map(repr, dup))}. "
                "Rename or drop the duplicates before loading.",
                public=f"{label}: duplicate column names {_positions(cols, dup)}. Rename or drop "
                       "the duplicates before loading.")
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise IngestError(f"{label}: a column mixes types that cannot be stored ({exc}). "
                              "Convert that column to one type (e.g. .astype(str)).",
                              public=f"{label}: a column mixes types that cannot be stored. "
                                     "Convert that column to one type.") from exc
    else:
        raise IngestError(
            f"Cannot load an object of type {type(frame).__name__}: pass a file path "
            "(CSV, Parquet, JSON lines) or a pandas, polars or Arrow frame."
        )
    names = [str(c) for c in table.column_names]
    dup = [c for c, n in Counter(names).items() if n > 1]
    if dup:
        raise IngestError(f"{label}: duplicate column name(s) {', '.join(map(repr, dup))}. "
                          "Rename or drop the duplicates before loading.",
                          public=f"{label}: duplicate column names {_positions(names, dup)}. "
                                 "Rename or drop the duplicates before loading.")
    if table.num_rows == 0:
        raise IngestError(f"{label}: the frame has no rows. Nothing was loaded.")
    view = f"_axis_src_{uuid.uuid4().hex[:12]}"
    cur.register(view, table)
    cols = [(r[0], r[1]) for r in cur.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()]

    def cleanup(c):
        try:
            c.unregister(view)
        except Exception:  # the view may already be gone with its cursor
            pass

    return Source(relation=view, columns=cols, label=label, cleanup=cleanup)


# --------------------------------------------------------------------------------------
# Files


def file_source(cur, path: str | os.PathLike, *, numeric: set[str], text: set[str],
                encoding: str = "utf-8", mapping_names: Callable[[list[str]], dict[str, str]],
                careful: bool = False, stage: Callable[[Path], Path] | None = None) -> Source:
    """Build a Source for a CSV, Parquet or JSON-lines file.

    ``numeric``: canonical names that must be numbers (forced to DOUBLE so a bad value is a
    rejected line with a line number). ``text``: original names forced to VARCHAR (after a
    sniffer mistake). ``mapping_names`` maps original names to canonical ones. ``stage``
    gives the path DuckDB reads the file from (the store's sandbox reads files only in its
    staging folder); messages name the user's file, never the staged copy.
    """
    p = Path(path).expanduser()
    label = p.name
    if not p.exists():
        raise IngestError(f"{path}: no such file. Check the path (relative paths start at {os.getcwd()}).",
                          public=f"{label}: no such file.")
    if p.is_dir():
        raise IngestError(f"{path}: is a folder, not a file.")
    if p.stat().st_size == 0:
        raise IngestError(f"{label}: the file is empty. Nothing was loaded.")
    suffix = p.suffix.lower()
    if suffix not in PARQUET_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES and suffix != "":
        raise IngestError(f"{label}: unsupported file type '{suffix}'. Use CSV, Parquet or JSON lines "
                          "(.csv, .parquet, .jsonl).")
    duck_path = stage(p) if stage is not None else p
    if suffix in PARQUET_SUFFIXES:
        return _parquet_source(cur, duck_path, label)
    if suffix in JSONL_SUFFIXES:
        return _jsonl_source(cur, duck_path, label)
    return _csv_source(cur, p, label, numeric=numeric, text=text, encoding=encoding,
                       mapping_names=mapping_names, careful=careful, duck_path=duck_path)


def _describe(cur, relation: str, label: str, what: str) -> list[tuple[str, str]]:
    import duckdb

    try:
        return [(r[0], r[1]) for r in cur.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    except duckdb.Error as exc:
        raise IngestError(f"{label}: cannot read as {what}: {_unstaged(_first_line(exc), label)}. "
                          "The file may be truncated or not a valid "
                          f"{what} file.",
                          public=f"{label}: cannot read as {what}. The file may be truncated or "
                                 f"not a valid {what} file.") from exc


def _parquet_source(cur, p: Path, label: str) -> Source:
    rel = f"read_parquet({quote_literal(str(p))})"
    cols = _describe(cur, rel, label, "Parquet")
    _check_duplicates([c for c, _ in cols], label)
    return Source(relation=rel, columns=cols, label=label)


def _jsonl_source(cur, p: Path, label: str) -> Source:
    rel = f"read_json({quote_literal(str(p))}, format='newline_delimited', records=true)"
    cols = _describe(cur, rel, label, "JSON lines")
    _check_duplicates([c for c, _ in cols], label)
    return Source(relation=rel, columns=cols, label=label)


def _check_duplicates(names: list[str], label: str) -> None:
    normed = Counter(normalise_name(n) for n in names)
    dup = [n for n, k in normed.items() if k > 1]
    if dup:
        raise IngestError(f"{label}: duplicate column name(s) {', '.join(map(repr, dup))} in the "
                          "header. Rename one of each pair and load again.",
                          public=f"{label}: duplicate column names in the header "
                                 f"{_positions([normalise_name(n) for n in names], dup)}. Rename "
                                 "one of each pair and load again.")
    empty = [i + 1 for i, n in enumerate(names) if not str(n).strip()]
    if empty:
        raise IngestError(f"{label}: column {empty[0]} of the header has no name. Give it a name "
                          "(or delete the empty column) and load again.")


def _read_header(p: Path, label: str, encoding: str) -> tuple[list[str], str]:
    py_encoding = {"utf-8": "utf-8-sig"}.get(encoding.lower(), encoding)
    try:
        with open(p, newline="", encoding=py_encoding) as f:
            head = f.read(256 * 1024)
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{label}: the header is not valid {encoding} (byte {exc.start}). Re-save the file "
            "as UTF-8, or pass encoding='latin-1' (or 'utf-16') to load()."
        ) from exc
    except LookupError as exc:
        raise IngestError(f"{label}: unknown encoding {encoding!r}.") from exc
    if not head.strip():
        raise IngestError(f"{label}: the file is empty. Nothing was loaded.")
    first = head.splitlines()[0] if head.splitlines() else head
    delim = ","
    if p.suffix.lower() == ".tsv" or (first.count("\t") > first.count(",")):
        delim = "\t"
    elif first.count(";") > first.count(","):
        delim = ";"
    reader = csv.reader(io.StringIO(head), delimiter=delim)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise IngestError(f"{label}: cannot read the header line ({exc}).") from exc
    _check_duplicates(header, label)
    try:
        next(reader)
    except StopIteration:
        raise IngestError(f"{label}: the file has a header but no data rows. Nothing was loaded.")
    except csv.Error:
        pass
    return header, delim


def _csv_source(cur, p: Path, label: str, *, numeric: set[str], text: set[str], encoding: str,
                mapping_names, careful: bool, duck_path: Path | None = None) -> Source:
    """Two speeds. The fast read (the common case) is DuckDB's plain strict reader. When it
    fails, or sniffs a score column as text, the load is retried ``careful``: score columns
    forced to DOUBLE and every bad line stored as a reject, so each problem can be named by
    line (or, for unquoted delimiters in a trailing free-text column, repaired)."""
    header, delim = _read_header(p, label, encoding)
    canon = mapping_names(header)
    must_be_numeric = {c for c in header if canon.get(c) in numeric or canon.get(c, "").endswith("_score")}
    types = {c: "VARCHAR" for c in header if c in text}
    opts = ["header=true", f"delim={quote_literal(delim)}", "quote='\"'", "escape='\"'",
            f"encoding={quote_literal(encoding.lower())}"]
    tag = uuid.uuid4().hex[:12]
    rej_t, rej_s = f"_axis_rej_{tag}", f"_axis_scan_{tag}"
    if careful:
        types.update({c: "DOUBLE" for c in must_be_numeric if c not in text})
        opts += ["store_rejects=true", f"rejects_table={quote_literal(rej_t)}",
                 f"rejects_scan={quote_literal(rej_s)}", f"max_line_size={MAX_LINE_BYTES}"]
    if types:
        opts.append("types={" + ", ".join(f"{quote_literal(k)}: {quote_literal(v)}"
                                          for k, v in types.items()) + "}")
    rel = f"read_csv({quote_literal(str(duck_path or p))}, {', '.join(opts)})"
    try:
        cols = _describe(cur, rel, label, "CSV")
    except IngestError:
        if not careful:
            raise NeedsCarefulRead() from None
        problem = _diagnose_csv(p, delim, len(header), encoding)
        if problem:
            raise IngestError(f"{label}: {problem}") from None
        raise
    if len(cols) != len(header):
        if not careful:
            raise NeedsCarefulRead()
        raise IngestError(f"{label}: DuckDB found {len(cols)} columns but the header has "
                          f"{len(header)}. Check the delimiter and quoting of the header line.")
    if not careful and any(t.upper() not in _NUMERIC_SNIFFED for c, t in cols if c in must_be_numeric):
        raise NeedsCarefulRead()  # a score column holds text somewhere: find the line
    last_col, last_type = cols[-1]
    forced_numeric = {c for c, t in types.items() if t == "DOUBLE"}

    def check(c, insert_rows) -> list[str]:
        """Turn rejected lines into recovered rows or one clear error."""
        rows = c.execute(
            f"SELECT line, error_type, column_name, csv_line, error_message FROM {rej_t} "
            "ORDER BY line"
        ).fetchall()
        if not rows:
            return []
        by_line: dict[int, list] = {}
        for line, etype, col, csv_line, msg in rows:
            by_line.setdefault(int(line), []).append((etype, col, csv_line, msg))
        folded: list[list[str]] = []
        folded_lines: list[int] = []
        for line, errs in sorted(by_line.items()):
            kinds = {e[0] for e in errs}
            etype, col, csv_line, msg = errs[0]
            if "TOO MANY COLUMNS" in kinds:  # any CAST error on that line is a consequence
                free = normalise_name(last_col) in FREE_TEXT or last_type == "VARCHAR"
                fields = next(csv.reader(io.StringIO(csv_line), delimiter=delim))
                if not free or len(fields) <= len(header):
                    raise IngestError(
                        f"{label}: line {line} has {len(fields)} fields but the header has "
                        f"{len(header)}, and the last column '{last_col}' is not free text, so "
                        "the extra fields cannot be placed unambiguously. Quote the values that "
                        "contain the delimiter.",
                        public=f"{label}: line {line} has {len(fields)} fields but the header "
                               f"has {len(header)}, and the last column (column {len(header)}) "
                               "is not free text. Quote the values that contain the delimiter.")
                n = len(header)
                folded.append(fields[: n - 1] + [delim.join(fields[n - 1:])])
                folded_lines.append(line)
                continue
            if "CAST" in kinds:
                etype, col, csv_line, msg = next(e for e in errs if e[0] == "CAST")
                if col in forced_numeric:
                    value = _cast_value(msg)
                    raise IngestError(
                        f"{label}: line {line}, column '{col}': {value} is not a number. "
                        "Scores must be numeric: fix or blank the value, then load again.",
                        public=f"{label}: line {line}, column {_position(header, col)}: the value "
                               "is not a number. Scores must be numeric: fix or blank the value, "
                               "then load again.")
                raise RetryAsText(col)
            if "MISSING COLUMNS" in kinds:
                raise IngestError(f"{label}: line {line} has fewer fields than the header "
                                  f"({len(header)}). The file may be truncated or a quote is not "
                                  "closed; fix that line and load again.")
            if "INVALID UNICODE" in kinds or "INVALID ENCODING" in kinds:
                raise IngestError(f"{label}: line {line} is not valid {encoding}. Re-save the file "
                                  "as UTF-8, or pass encoding='latin-1' to load().")
            if "UNQUOTED VALUE" in kinds:
                raise IngestError(f"{label}: line {line} has a quote that is not closed (the file "
                                  "may be truncated). Fix the quoting of that line and load again.")
            raise IngestError(f"{label}: line {line} could not be read ({etype}: "
                              f"{_first_line(msg)}). Fix that line and load again.",
                              public=f"{label}: line {line} could not be read ({etype}). Fix "
                                     "that line and load again.")
        if folded:
            insert_rows(c, [h for h in header], folded)
            shown = ", ".join(map(str, folded_lines[:20])) + (" …" if len(folded_lines) > 20 else "")
            return [f"{label}: line(s) {shown} had unquoted '{delim}' in the last column "
                    f"'{last_col}'; the extra fields were folded back into it."]
        return []

    def cleanup(c):
        for t in (rej_t, rej_s):
            try:
                c.execute(f"DROP TABLE IF EXISTS {t}")
            except Exception:
                pass

    if not careful:
        return Source(relation=rel, columns=cols, label=label, line_based=True,
                      extras={"fast": True})
    return Source(relation=rel, columns=cols, label=label, line_based=True, check=check,
                  cleanup=cleanup, extras={"types": types})


_NUMERIC_SNIFFED = {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT",
                    "UBIGINT", "UINTEGER", "DECIMAL"}


MAX_LINE_BYTES = 32 << 20  # the longest CSV line (DuckDB's max_line_size of the careful read)


def _too_long(line: int) -> str:
    return (f"line {line} is longer than the {MAX_LINE_BYTES >> 20} MB a CSV line may hold. "
            "Shorten that value, or load the data as Parquet or JSON lines.")


def _diagnose_csv(p: Path, delim: str, n_fields: int, encoding: str,
                  max_lines: int = 5_000_000) -> str | None:
    """Find the first malformed line with Python's strict CSV parser, for a message that
    names it when DuckDB's sniffer gives up on the whole file."""
    py_encoding = {"utf-8": "utf-8-sig"}.get(encoding.lower(), encoding)
    # Python's default field limit (128 KB) is far below what DuckDB reads: a long but
    # valid field must not look like a broken quote.
    if csv.field_size_limit() < MAX_LINE_BYTES:
        csv.field_size_limit(MAX_LINE_BYTES)
    start = 1
    try:
        with open(p, newline="", encoding=py_encoding) as f:
            reader = csv.reader(f, delimiter=delim, strict=True)
            for row in reader:
                if reader.line_num > max_lines:
                    return None
                if sum(len(v) for v in row) + len(row) > MAX_LINE_BYTES:
                    return _too_long(start)
                if reader.line_num > 1 and row and len(row) < n_fields:
                    return (f"line {start} has fewer fields than the header ({len(row)} of "
                            f"{n_fields}). The file may be truncated; fix that line and load again.")
                start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            return _too_long(start)
        return (f"line {start}: {exc} (a quote is probably not closed; the file may be "
                "truncated). Fix the quoting of that line and load again.")
    except UnicodeDecodeError as exc:
        return (f"byte {exc.start} is not valid {encoding}. Re-save the file as UTF-8, or pass "
                "encoding='latin-1' to load().")
    return None


_CAST_VALUE = re.compile(r'Could not convert string "(.*?)" to', re.S)


def _cast_value(msg: str) -> str:
    m = _CAST_VALUE.search(msg or "")
    return repr(m.group(1)) if m else "a value"


_STAGED = re.compile(r"""["']?[^\s"']*axis-stage-[0-9a-f]{12}[^\s"']*["']?""")


def _unstaged(message: str, label: str) -> str:
    """DuckDB's message with the staged copy's path replaced by the user's file name."""
    return _STAGED.sub(lambda m: f"'{label}'", message)


def _first_line(exc: Any) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _position(names: list[str], name: str) -> str:
    """``name``'s 1-based column number in ``names`` (for messages that must not quote it)."""
    return str(names.index(name) + 1) if name in names else "?"


def _positions(names: list[str], dup: list[str]) -> str:
    """(columns 2 and 5, ...) for duplicated names, without the names."""
    groups = [[str(i + 1) for i, n in enumerate(names) if n == d] for d in dup]
    return "(" + "; ".join("columns " + " and ".join(g) for g in groups) + ")"
