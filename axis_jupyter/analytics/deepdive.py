"""Deep-dive analytics (reference: upstream-ui.md §1.2 Deep Dive, catalogue rows 17-26).

Overview, distribution, correlation and scatter reuse :mod:`.evals` (summary, radar,
quantiles, distribution, correlation, scatter). This module adds what the reference computes
in the browser, here as Ibis expressions that run where the data lives:

* :func:`length_analysis`   response length bins (characters): records and mean score per bin
* :func:`turn_analysis`     conversation turn-count bins: records and mean score per bin
* :func:`metadata_breakdown` mean and pass rate per value of one metadata key
* :func:`metadata_keys`     the keys found in the metadata column (a small sample is parsed)
* :func:`case_detail`       everything about one test case, JSON-ish fields parsed safely
* :func:`case_list`         test-case ids (and queries) to pick from, searchable

Length and turn bins are per *record* (a test case in one experiment): its response length
or turn count, and the mean of its scores for the chosen metric (all metrics when none is
chosen).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import ibis
import pandas as pd

from ..errors import ParameterError, QueryError
from ..ingest.jsonish import parse_jsonish
from .context import AnalyticContext
from .evals import _record_key, _threshold, as_list, scores_table
from .filters import apply_filters

EVAL_KINDS = ("evals", "monitoring", "signals")
LENGTH_EDGES = [0, 100, 300, 500, 1000]          # reference: 0-100, 100-300, 300-500, 500-1000, 1000+
TURN_EDGES = [1, 2, 4, 6, 11]                     # reference: 1, 2-3, 4-5, 6-10, 10+
TURN_LABELS = ["1", "2–3", "4–5", "6–10", "10+"]
METADATA_COLUMNS = ("data_metadata", "metadata", "evaluation_metadata", "dataset_metadata",
                    "metric_metadata")
KEY_RE = re.compile(r"^[A-Za-z0-9_\-. ]{1,100}$")
CASE_FIELDS = ["query", "actual_output", "expected_output", "retrieved_content", "conversation",
               "additional_input", "additional_output", "acceptance_criteria", "data_metadata",
               "evaluation_metadata", "latency", "trace_id", "timestamp"]
METRIC_FIELDS = ["metric_name", "metric_score", "metric_type", "metric_category", "parent", "weight",
                 "explanation", "signals", "critique", "threshold", "passed"]
JSONISH_FIELDS = {"retrieved_content", "conversation", "additional_input", "additional_output",
                  "acceptance_criteria", "data_metadata", "evaluation_metadata", "signals"}


# ------------------------------------------------------------------ helpers
def _ones(cond):
    return ibis.ifelse(cond, 1, 0)


def _edges(bins, default: list[float], name: str) -> list[float]:
    if bins is None or bins == "":
        return list(default)
    edges = as_list(bins) if isinstance(bins, str) else list(bins)
    try:
        edges = [float(e) for e in edges]
    except (TypeError, ValueError):
        raise QueryError(f"{name} must be a list of ascending numbers.") from None
    if not 1 <= len(edges) <= 50 or any(b <= a for a, b in zip(edges, edges[1:])) \
            or not all(math.isfinite(e) for e in edges):
        raise QueryError(f"{name} must be 1-50 ascending finite numbers, e.g. [0, 100, 300].")
    return edges


def _label(lo: float, hi: float | None) -> str:
    f = lambda v: str(int(v)) if float(v).is_integer() else f"{v:g}"  # noqa: E731
    return f"{f(lo)}+" if hi is None else f"{f(lo)}–{f(hi)}"


def _bin_expr(value, edges: list[float]):
    """0-based bin index of ``value``: [e0, e1) ... [e_last, inf); null below e0."""
    branches = [(value >= edges[i], i) for i in range(len(edges) - 1, -1, -1)]
    return ibis.cases(*branches, else_=ibis.null("int64"))


def _records(ctx, filters, metric, text_col: str, by: list[str]):
    """One row per record: the text column, the group and the mean score of ``metric``."""
    t = scores_table(ctx, filters, text_col, *by)
    key = _record_key(t)
    s = t.metric_score
    cond = s.notnull() & ~s.isnan()
    metrics = as_list(metric)
    if metrics:
        cond = cond & t.metric_name.isin(metrics)
    aggs = {"text": t[text_col].min(), "score": s.mean(where=cond)}
    for b in by:
        if b not in key:
            aggs[b] = t[b].min()
    return t.group_by(key).aggregate(**aggs)


def _binned(ctx, r, edges, labels, by: list[str]) -> pd.DataFrame:
    keys = [*by, "bin"]
    r = r.filter(r.bin.notnull())
    df = ctx.execute(r.group_by(keys).aggregate(
        count=r.count(), scored=r.score.count(), mean_score=r.score.mean()))
    groups = sorted({str(g) for g in df[by[0]].dropna()}) if by else ["Overall"]
    if by:
        df["group"] = df[by[0]].astype("string")
    else:
        df["group"] = "Overall"
    have = {(str(g), int(b)): row for g, b, row in zip(df["group"], df["bin"], df.to_dict("records"))}
    out = []
    for g in groups:
        for i, label in enumerate(labels):
            row = have.get((g, i), {})
            out.append({"group": g, "bin": i, "bin_label": label,
                        "bin_start": edges[i], "bin_end": edges[i + 1] if i + 1 < len(edges) else None,
                        "count": int(row.get("count", 0) or 0),
                        "scored": int(row.get("scored", 0) or 0),
                        "mean_score": _nan_none(row.get("mean_score"))})
    return pd.DataFrame(out, columns=["group", "bin", "bin_label", "bin_start", "bin_end", "count",
                                      "scored", "mean_score"])


def _nan_none(v):
    if v is None or v is pd.NA:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _by(ctx, by) -> list[str]:
    by = as_list(by)
    if len(by) > 1:
        raise QueryError("group by at most one column.")
    if by == ["evaluation_name"] and "evaluation_name" not in ctx.table("full").columns:
        return []
    return by


# ------------------------------------------------------------------ length and turns
def length_analysis(ctx: AnalyticContext, metric=None, by="evaluation_name", bins=None,
                    filters=None, column: str = "actual_output") -> pd.DataFrame:
    """Response length (characters) bins per group: group, bin, bin_label, bin_start, bin_end
    (null = open), count (records), scored (records with a score), mean_score. Default bins
    0-100, 100-300, 300-500, 500-1000, 1000+; ``bins`` takes other ascending edges."""
    edges = _edges(bins, LENGTH_EDGES, "bins")
    by = _by(ctx, by)
    if column not in ctx.table("full").columns:
        raise QueryError(f"this dataset has no {column!r} column to measure response length.")
    _text_column(ctx, column)
    r = _records(ctx, filters, metric, column, by)
    r = r.mutate(length=r.text.length())
    r = r.mutate(bin=_bin_expr(r.length, edges))
    labels = [_label(edges[i], edges[i + 1] if i + 1 < len(edges) else None) for i in range(len(edges))]
    return _binned(ctx, r, edges, labels, by)


_USER_ROLE = r"""["']role["'][ \t]*:[ \t]*["'](user|human|User|Human)["']"""
_ANY_ROLE = r"""["']role["'][ \t]*:"""
_USER_LINE = r"""(^|\n)[ \t]*(User|Human|user|human|USER)[ \t]*:"""


def _count_matches(s, pattern: str):
    """Occurrences of a regex in ``s``: replace each by one marker character, count markers."""
    marked = s.re_replace(pattern, "\x01")
    return marked.length() - marked.replace("\x01", "").length()


def turn_count_expr(s):
    """Estimated turns of a conversation text (JSON or Python literal messages, or a plain
    transcript): user messages; else half the messages with a role; else 'User:' lines."""
    users = _count_matches(s, _USER_ROLE)
    roles = _count_matches(s, _ANY_ROLE)
    lines = _count_matches(s, _USER_LINE)
    return ibis.cases((users > 0, users), (roles > 0, ((roles + 1) / 2).floor().cast("int64")),
                      (lines > 0, lines), else_=ibis.null("int64"))


def turn_analysis(ctx: AnalyticContext, metric=None, by="evaluation_name", filters=None,
                  column: str = "conversation") -> pd.DataFrame:
    """Conversation turn-count bins (1, 2-3, 4-5, 6-10, 10+) per group: group, bin,
    bin_label, bin_start, bin_end, count, scored, mean_score. A numeric ``turn_count`` column
    is used when present; otherwise turns are counted in the conversation text. Empty (all
    counts 0) when no record has multi-turn data."""
    by = _by(ctx, by)
    cols = ctx.table("full").columns
    edges = TURN_EDGES
    if "turn_count" in cols:
        r = _records(ctx, filters, metric, "turn_count", by)
        r = r.mutate(turns=r.text.cast("int64"))
    elif column in cols:
        _text_column(ctx, column)
        r = _records(ctx, filters, metric, column, by)
        r = r.mutate(turns=turn_count_expr(r.text))
    else:
        return pd.DataFrame(columns=["group", "bin", "bin_label", "bin_start", "bin_end", "count",
                                     "scored", "mean_score"])
    r = r.mutate(bin=_bin_expr(r.turns, edges))
    return _binned(ctx, r, edges, TURN_LABELS, by)


def _text_column(ctx: AnalyticContext, column: str) -> str:
    """``column`` if it holds text (lengths, turns and metadata are read from text)."""
    if not ctx.table("full")[column].type().is_string():
        raise ParameterError(f"column must name a text column; {column!r} does not hold text.",
                             param="column")
    return column


# ------------------------------------------------------------------ metadata
def metadata_column(ctx: AnalyticContext, column=None) -> str:
    cols = ctx.table("full").columns
    if column:
        if column not in cols:
            raise QueryError(f"this dataset has no {column!r} column.")
        return _text_column(ctx, column)
    for c in METADATA_COLUMNS:
        if c in cols:
            return c
    raise QueryError("this dataset has no metadata column (data_metadata, metadata, ...).")


def metadata_value_expr(s, key: str):
    """The value of top-level-looking ``key`` in a JSON or Python-literal text, as text
    (strings unquoted; numbers and booleans as written); null when absent."""
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise QueryError("metadata key must be 1-100 letters, digits, spaces, '_', '-' or '.'.")
    k = key.replace(".", r"\.")
    pat = r"""["']""" + k + r"""["'][ \t]*:[ \t]*(?:"([^"]*)"|'([^']*)'|([^,}\] \t\n]+))"""
    parts = [s.re_extract(pat, i).nullif("") for i in (1, 2, 3)]
    return ibis.coalesce(*parts)


def metadata_breakdown(ctx: AnalyticContext, key: str, metric=None, threshold=None, column=None,
                       by=None, filters=None, limit: int = 50) -> pd.DataFrame:
    """Mean and pass rate per value of metadata ``key``: value, [group], count (scores),
    cases, mean, pass_rate (share of scores >= ``threshold``, 0-1), sorted by mean (high
    first). Values come from the metadata JSON (or Python-literal) text; the ``limit`` most
    frequent values are kept."""
    th = _threshold(threshold)
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise QueryError("limit must be an integer.") from None
    if not 1 <= limit <= 1000:
        raise QueryError("limit must be between 1 and 1000.")
    col = metadata_column(ctx, column)
    by = as_list(by)
    if len(by) > 1:
        raise QueryError("group by at most one column.")
    t = scores_table(ctx, filters, col, *by)
    s = t.metric_score
    t = t.filter(s.notnull(), ~s.isnan(), t.metric_name.notnull())
    metrics = as_list(metric)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    t = t.mutate(value=metadata_value_expr(t[col], key))
    t = t.filter(t.value.notnull())
    case = t.dataset_id if "dataset_id" in t.columns else t[_record_key(t)[0]]
    keys = ["value", *by]
    g = t.group_by(keys).aggregate(count=t.count(), cases=case.nunique(), mean=t.metric_score.mean(),
                                   pass_rate=_ones(t.metric_score >= th).mean())
    top = t.group_by("value").aggregate(n=t.count()).order_by([ibis.desc("n"), "value"]).limit(limit)
    g = g.semi_join(top, "value") if hasattr(g, "semi_join") else g.filter(g.value.isin(top.value))
    df = ctx.execute(g)
    if by:
        df = df.rename(columns={by[0]: "group"})
        df["group"] = df["group"].astype("string")
    df = df.sort_values(["mean", "value"], ascending=[False, True], ignore_index=True)
    return df[["value", *(["group"] if by else []), "count", "cases", "mean", "pass_rate"]]


def metadata_keys(ctx: AnalyticContext, column=None, sample: int = 500, filters=None) -> pd.DataFrame:
    """Keys of the metadata column, from up to ``sample`` distinct values: key, count (values in
    the sample that have it), examples (up to 5 distinct values)."""
    col = metadata_column(ctx, column)
    t = scores_table(ctx, filters, col)
    vals = ctx.execute(t.filter(t[col].notnull()).select(v=t[col]).distinct().order_by("v")
                       .limit(max(1, min(int(sample), 5000))))
    counts: Counter = Counter()
    examples: dict[str, list] = {}
    for raw in vals["v"]:
        obj = parse_jsonish(raw)
        if not isinstance(obj, dict):
            continue
        for k, v in obj.items():
            counts[k] += 1
            if isinstance(v, (str, int, float, bool)) and len(examples.setdefault(k, [])) < 5 \
                    and v not in examples[k]:
                examples[k].append(v)
    rows = [{"key": k, "count": n, "examples": examples.get(k, [])} for k, n in counts.most_common()]
    return pd.DataFrame(rows, columns=["key", "count", "examples"])


# ------------------------------------------------------------------ test cases
def case_list(ctx: AnalyticContext, search: str | None = None, evaluation_name=None, filters=None,
              limit: int = 200) -> pd.DataFrame:
    """Test cases to choose from: dataset_id, query (first seen), experiments; sorted by id,
    at most ``limit``; ``search`` matches the id or the query (case-insensitive)."""
    limit = max(1, min(int(limit), 5000))
    t, aggs = case_rows(ctx, search=search, evaluation_name=evaluation_name, filters=filters)
    expr = t.group_by("dataset_id").aggregate(**aggs).order_by("dataset_id").limit(limit)
    return ctx.execute(expr)


def case_rows(ctx: AnalyticContext, search: str | None = None, evaluation_name=None,
              filters=None) -> tuple[ibis.Table, dict]:
    """The rows of the test cases matching ``search`` (id or query, case-insensitive) and the
    experiment, and the per-case aggregates every case list shows (query, experiments).
    Shared by :func:`case_list` and the deep-dive view's paged case table."""
    t = apply_filters(ctx.table("full"), filters)
    if "dataset_id" not in t.columns:
        raise QueryError("this dataset has no dataset_id column.")
    if evaluation_name and "evaluation_name" in t.columns:
        t = t.filter(t.evaluation_name == str(evaluation_name))
    t = t.filter(t.dataset_id.notnull())
    if search:
        s = str(search).lower()
        pred = t.dataset_id.cast("string").lower().contains(s)
        if "query" in t.columns:
            pred = pred | t["query"].lower().contains(s)
        t = t.filter(pred)
    aggs = {"query": t["query"].min()} if "query" in t.columns else {}
    if "evaluation_name" in t.columns:
        aggs["experiments"] = t.evaluation_name.nunique()
    return t, aggs


def case_detail(ctx: AnalyticContext, dataset_id, evaluation_name=None, filters=None,
                limit: int = 2000) -> pd.DataFrame:
    """Everything about test case ``dataset_id``: one row per (evaluation_name, metric) with
    the case fields present in the dataset (query, actual_output, expected_output,
    retrieved_content, conversation, ...) and the metric fields (metric_score, metric_type,
    parent, weight, explanation, signals, critique, ...). JSON-ish fields are parsed
    (JSON, then Python literals; never eval) into lists/dicts."""
    if dataset_id is None or dataset_id == "":
        raise QueryError("case_detail needs a dataset_id.")
    t = apply_filters(ctx.table("full"), filters)
    if "dataset_id" not in t.columns:
        raise QueryError("this dataset has no dataset_id column.")
    t = t.filter(t.dataset_id.cast("string") == str(dataset_id))
    if evaluation_name and "evaluation_name" in t.columns:
        t = t.filter(t.evaluation_name == str(evaluation_name))
    cols = ["dataset_id"] + [c for c in ("evaluation_name",) if c in t.columns]
    cols += [c for c in CASE_FIELDS if c in t.columns] + [c for c in METRIC_FIELDS if c in t.columns]
    order = [c for c in ("evaluation_name", "metric_name") if c in t.columns]
    df = ctx.execute(t.select(*cols).order_by(order).limit(max(1, min(int(limit), 10000))))
    if df.empty:
        raise QueryError(f"no test case with dataset_id {dataset_id!r}"
                         + (f" in experiment {evaluation_name!r}." if evaluation_name else "."))
    for c in df.columns:
        if c in JSONISH_FIELDS:
            df[c] = df[c].astype(object).map(parse_jsonish)
    return df
