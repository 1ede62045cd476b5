"""Issue extraction (reference §8.1): the scores a report talks about, with their context.

``issues(ctx, mode="low", threshold=0.5, ...)`` picks (record, metric) scores of an
evaluation dataset and returns them with the record's text fields, in SQL (an Ibis
expression, so it runs on DuckDB and on any attached backend). The rules, in order:

1. **Metric filter**: only ``metrics`` when given (the scorecard passes a metric and its
   descendants).
2. **Score rule**: ``low`` keeps ``score <= threshold``, ``high`` keeps ``score >
   threshold``, ``overall`` keeps every score. A missing score (NULL or NaN) is kept only
   with ``include_nan=True``.
3. **Deterministic sampling** per record, as the reference does: a record is kept when
   ``int(md5(str(record_id)).hexdigest(), 16) % 1000 < sample_rate * 1000``. The same
   records are picked on every run and on every backend (a missing id hashes as ``""``).
4. **Order and cap**: sorted by score (ascending for ``low``, descending otherwise; missing
   scores last; ties by record id, then metric) and cut after ``max_issues``.

   The reference keeps the first ``max_issues`` rows *in file order* and then sorts them.
   SQL engines have no file order (PostgreSQL returns rows in any order), so we keep the
   ``max_issues`` lowest scores (``high``/``overall``: highest) instead: the same rows on
   every backend, and the worst cases are the ones a report should see.
5. **Context fields**: ``fields`` of ``query, actual_output, expected_output,
   retrieved_content, conversation, signals, critique`` (``critique`` is the dataset's
   ``critique`` column, else its ``explanation``); a field the dataset lacks comes back
   empty. ``signals`` are parsed from JSON (or a Python literal); a value that is not a list
   or object is wrapped in a list.
"""

from __future__ import annotations

import functools
import operator

import ibis
import pandas as pd

from ..errors import ParameterError, QueryError
from ..ingest.jsonish import parse_jsonish
from .context import AnalyticContext, dialect_of
from .filters import apply_filters

MODES = ("low", "high", "overall")
CONTEXT_FIELDS = ("query", "actual_output", "expected_output", "retrieved_content",
                  "conversation", "signals", "critique")
DEFAULT_FIELDS = ("query", "actual_output", "expected_output", "critique")
MAX_ISSUES = 500
ID_COLUMNS = ("dataset_id", "trace_id")

_HEX = "0123456789abcdef"


@ibis.udf.scalar.builtin(name="md5")
def _md5(value: str) -> str:
    """md5 of text as 32 lowercase hex digits (DuckDB's and PostgreSQL's built-in)."""


def md5_bucket(digest, dialect: str = "portable") -> ibis.Value:
    """``int(digest, 16) % 1000`` for a 32-digit hex md5 ``digest`` (an Ibis string).

    No SQL engine turns 128-bit hex into a number, so the 128-bit value is taken in parts
    and the remainders summed: on DuckDB four 8-digit chunks, each cast from ``0x…`` text
    to an integer (``sum(chunk_i % 1000 * (2**(32*(3-i)) % 1000)) % 1000``); elsewhere
    digit by digit with substring and position, which every engine has
    (``sum(digit_i * (16**(31-i) % 1000)) % 1000``; 7x slower on DuckDB). Every term is
    below 10**6, so the sums fit any integer type. Pass a column holding the digest (see
    :func:`sampled_ids`), not ``md5(x)`` itself: an optimizer that inlines it would hash once
    per term.
    """
    if dialect == "duckdb":
        terms = [(ibis.literal("0x") + digest.substr(8 * i, 8)).cast("int64") % 1000
                 * pow(2 ** 32, 3 - i, 1000) for i in range(4)]
        return functools.reduce(operator.add, terms) % 1000
    hex_digits = ibis.literal(_HEX)
    terms = [hex_digits.find(digest.substr(i, 1)) * pow(16, 31 - i, 1000) for i in range(32)]
    return functools.reduce(operator.add, terms) % 1000


def sampled_ids(ids: ibis.Column, sample_rate: float) -> ibis.Table:
    """The distinct values of ``ids`` (text) whose md5 bucket is below ``sample_rate *
    1000``, as a one-column table ``_rid``.

    The digest is an aggregate's output (``max(md5(id))`` per id): optimizers do not push a
    filter on an aggregate's result below it, so each distinct id is hashed once — a plain
    projection would be inlined into the 32 digit terms of the filter (12 s instead of
    0.1 s for 300 000 rows on DuckDB).
    """
    distinct = ids.name("_rid").as_table().distinct()
    hashed = distinct.group_by("_rid").aggregate(_h=_md5(distinct._rid).max())
    bucket = md5_bucket(hashed._h, dialect_of(hashed))
    return hashed.filter(bucket < float(sample_rate) * 1000).select("_rid")


def record_id_column(columns) -> str:
    for c in ID_COLUMNS:
        if c in columns:
            return c
    raise QueryError("issue extraction needs a record id column (dataset_id); this dataset "
                     "has none.")


def issues(ctx: AnalyticContext, mode: str = "low", threshold: float = 0.5,
           metrics=None, sample_rate: float = 1.0, max_issues: int = 200,
           include_nan: bool = False, fields=None, filters: dict | None = None) -> pd.DataFrame:
    """Low- (or high-) scoring records with their context, picked as the reference does.

    Columns: record_id, metric_name, metric_score, evaluation_name (when the dataset has
    experiments), then the context ``fields``. ``mode``: low (score <= threshold), high
    (score > threshold) or overall (every score). ``sample_rate`` keeps the records whose
    ``md5(record_id) % 1000 < sample_rate * 1000`` (the same on every run and backend);
    ``max_issues`` (1-500) keeps the lowest (high/overall: highest) scores.
    """
    mode = _mode(mode)
    fields = _fields(fields)
    threshold = float(threshold)
    if not 0 < float(sample_rate) <= 1:
        raise ParameterError("sample_rate must be a fraction in (0, 1], e.g. 0.25 for a "
                             "quarter of the records.", param="sample_rate")
    if not 1 <= int(max_issues) <= MAX_ISSUES:
        raise ParameterError(f"max_issues must be an integer from 1 to {MAX_ISSUES}.",
                             param="max_issues")
    t = apply_filters(ctx.table("full"), filters)
    rid = record_id_column(t.columns)
    names = _as_list(metrics)
    if names:
        t = t.filter(t.metric_name.isin(names))

    score = t.metric_score.cast("float64")
    missing = score.isnull() | score.isnan()
    if mode == "low":
        keep = score <= threshold
    elif mode == "high":
        keep = score > threshold
    else:
        keep = ibis.literal(True)
    keep = (keep & ~missing) | missing if include_nan else keep & ~missing
    t = t.filter(keep)

    if float(sample_rate) < 1:
        t = t.mutate(_rid=t[rid].cast("string").fill_null(""))
        t = t.semi_join(sampled_ids(t._rid, sample_rate), "_rid")

    clean = ibis.ifelse(t.metric_score.cast("float64").isnan(), ibis.null("float64"),
                        t.metric_score.cast("float64"))
    cols = {"record_id": t[rid].cast("string"), "metric_name": t.metric_name.cast("string"),
            "metric_score": clean}
    if "evaluation_name" in t.columns:
        cols["evaluation_name"] = t.evaluation_name.cast("string")
    for f in fields:
        cols[f] = _field(t, f)
    out = t.select(**cols)
    by_score = ibis.asc("metric_score", nulls_first=False) if mode == "low" else \
        ibis.desc("metric_score", nulls_first=False)
    ties = [ibis.asc(c, nulls_first=False) for c in ("record_id", "metric_name", "evaluation_name")
            if c in cols]
    out = out.order_by([by_score, *ties]).limit(int(max_issues))
    df = ctx.execute(out).reset_index(drop=True)
    if "signals" in df.columns:
        df["signals"] = df["signals"].map(_signals)
    return df


def _field(t: ibis.Table, name: str) -> ibis.Value:
    if name == "critique":
        present = [c for c in ("critique", "explanation") if c in t.columns]
        if not present:
            return ibis.null("string")
        vals = [t[c].cast("string") for c in present]
        return ibis.coalesce(*vals) if len(vals) > 1 else vals[0]
    return t[name].cast("string") if name in t.columns else ibis.null("string")


def _signals(value):
    parsed = parse_jsonish(value)
    if parsed is None:
        return None
    return parsed if isinstance(parsed, (list, dict)) else [parsed]


def _mode(mode) -> str:
    m = str(mode or "").strip().lower()
    if m not in MODES:
        raise ParameterError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.",
                             param="mode")
    return m


def _fields(fields) -> list[str]:
    if fields is None:
        return list(DEFAULT_FIELDS)
    names = _as_list(fields)
    unknown = [f for f in names if f not in CONTEXT_FIELDS]
    if unknown:
        raise ParameterError(f"fields: {unknown[0]!r} is not a context field (choose from "
                             f"{', '.join(CONTEXT_FIELDS)}).", param="fields")
    return list(dict.fromkeys(names))


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]
