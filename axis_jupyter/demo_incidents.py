"""Deterministic monitoring and KPI data at any size, with planted incidents.

:func:`monitoring_incidents` generates long monitoring rows (same columns as
:func:`axis_jupyter.demo.monitoring_records`) whose healthy behaviour is smooth and
controlled, plus three planted incidents near the end of the period:

* **score drop** - ``Nova`` / ``accuracy`` falls from ~0.76 to ~0.36 for the last 30 hours;
* **latency spike** - ``Atlas`` latencies are 4x for the last 4 hours (p95 > 1000 ms);
* **classification shift** - ``Orion`` / ``intent``: ``billing`` jumps from ~40 % to 85 %
  of the labels for the last 30 hours.

The healthy data is built so that the reference's detectors (z-score, moving average, rate
of change; threshold checks) flag nothing else, at hourly and daily granularity, whether
one looks at the latest bucket only or scans every bucket:

* records are spread evenly in time (one per slot, jittered) and the five source/component
  pairs take turns, so every bucket holds the same number of records of each pair (+-1);
* each (source, metric) score follows a slow wave plus a small 3-hour ripple (see
  :func:`_curve`); the per-record noise is
  *antithetic* inside each (pair, hour): records come in pairs with noise +e and -e, so
  every bucket's mean lies on the curve. The noise is bounded so that scores stay in
  [0.52, 0.99] (healthy pass rate 100 %, no clipping);
* labels are dealt by exact quotas in each (source, hour) against slowly varying shares (a
  3-hour ripple plus a slow wave), so bucket shares follow the curve to within 1/n;
* healthy latencies are capped at 950 ms, so p95 never crosses the 1000 ms limit.

:func:`planted_incidents` describes the incidents (series, kind, time window); the tests
check that exactly these series are flagged. :func:`kpi_records` generates KPI rows
(``kind="kpi"``) and :data:`KPI_CONFIG` a matching ``kpi.yaml`` section.

Size: the guarantee "nothing but the incidents is flagged" holds from about 40,000 records
over 14 days (~120 records an hour) - checked by the tests in every mode. Below that, label
shares of an hourly bucket hold only a handful of records and their rounding alone can
push a z-score past 2; the incidents are still found.

Generation is column-wise numpy/Arrow: ten million rows take a few seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SOURCES = {"Atlas": ["retriever", "generator"], "Nova": ["router", "generator"], "Orion": ["generator"]}
PAIRS = [(s, c) for s, cs in SOURCES.items() for c in cs]
SCORE_BASE = {"relevance": 0.82, "coherence": 0.86, "accuracy": 0.76}
CATEGORIES = ["billing", "technical", "account", "other"]
BASE_SHARES = np.array([0.38, 0.28, 0.20, 0.14])
SHARE_LOADING = np.array([1.0, -1.0, 1.0, -1.0])  # how each share moves with the cycle
QUERIES = ["How do I reset my password?", "What is the refund policy?",
           "Summarise the attached contract.", "Which plan includes SSO?",
           "Explain the error code E42.", "How long does shipping take to Canada?",
           "Can I change the billing date?", "What data do you retain after deletion?"]

CURVE_AMPLITUDE = 0.02
CURVE_PERIOD_DAYS = 9.3
RIPPLE_AMPLITUDE = 0.012
LATENCY_CAP_MS = 950.0

INCIDENTS = {
    "score_drop": {"source_name": "Nova", "metric_name": "accuracy", "hours": 30, "level": 0.36},
    "latency_spike": {"source_name": "Atlas", "metric_name": "latency", "hours": 4, "factor": 4.0},
    "classification_shift": {"source_name": "Orion", "metric_name": "intent", "category": "billing",
                             "hours": 30, "shares": [0.85, 0.07, 0.05, 0.03]},
}


RIPPLE = np.array([-1.0, 0.0, 1.0])  # a 3-hour ripple: cancels in daily and weekly means


def _ripple(t_days: np.ndarray) -> np.ndarray:
    return RIPPLE[np.floor(t_days * 24).astype("int64") % 3]


def _curve(t_days: np.ndarray, series: int, amplitude: float = CURVE_AMPLITUDE) -> np.ndarray:
    """Healthy bucket means: a slow wave plus a small 3-hour ripple.

    A smooth curve alone is not enough: where a short window of hourly points is flat and
    then bends away, its newest point sits > 2 standard deviations out. The ripple keeps the
    spread of any hourly window larger than the slow wave's bend (newest |z| < 1.7), and it
    cancels exactly in daily buckets, where the slow wave alone keeps |z| < 1.85."""
    phase = 0.7 + 1.3 * series
    return amplitude * np.sin(2 * np.pi * t_days / CURVE_PERIOD_DAYS + phase) + RIPPLE_AMPLITUDE * _ripple(t_days)


def _times(n: int, days: int, start: str, rng) -> tuple[np.ndarray, np.ndarray]:
    """Evenly spaced jittered times (ms), and the offset of each in days."""
    span_ms = days * 86_400_000
    slot = span_ms / n
    off = ((np.arange(n) + rng.random(n)) * slot).astype("int64")
    ts = np.datetime64(start, "ms") + off.astype("timedelta64[ms]")
    return ts, off / 86_400_000.0


def _pairs(n: int, rng) -> np.ndarray:
    k = len(PAIRS)
    cycles = -(-n // k)
    return np.argsort(rng.random((cycles, k)), axis=1).ravel()[:n]


def _antithetic(group: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Noise whose sum is exactly zero inside each group: +e, -e pairs (odd one out: 0)."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(g)])
    rank = np.arange(len(g)) - np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    e = draws[order].copy()
    odd = rank % 2 == 1
    e[odd] = -e[np.flatnonzero(odd) - 1]
    e[(rank == size - 1) & (size % 2 == 1)] = 0.0
    out = np.empty_like(e)
    out[order] = e
    return out


def planted_incidents(days: int = 14, start: str = "2026-01-01T00:00:00") -> list[dict]:
    """The incidents :func:`monitoring_incidents` plants: kind, source_name, metric_name,
    start, end (timestamps), and what changes."""
    end = np.datetime64(start, "s") + np.timedelta64(days * 86400, "s")
    out = []
    for kind, spec in INCIDENTS.items():
        begin = end - np.timedelta64(spec["hours"] * 3600, "s")
        out.append({"kind": kind, **spec, "start": str(begin), "end": str(end)})
    return out


def monitoring_incidents(n_records: int = 50_000, days: int = 14, seed: int = 0,
                         start: str = "2026-01-01T00:00:00", text: bool = True,
                         incidents: bool = True) -> pa.Table:
    """Long monitoring rows with planted incidents (see the module docstring).

    Per record: three SCORE metrics (relevance, coherence, accuracy), one CLASSIFICATION
    (``intent``, label in ``explanation``) and, for one record in ten, an ANALYSIS row
    (``insights``, grouped JSON ``signals``). About 4.1 rows per record. Columns:
    dataset_id, trace_id, timestamp, source_name, source_component, environment, latency
    (ms), model_name, metric_name, metric_score, metric_category, explanation, signals
    [, query, actual_output, expected_output, critique]. ``incidents=False`` gives the
    healthy data only.
    """
    rng = np.random.default_rng(seed)
    n = int(n_records)
    if n < 1:
        raise ValueError("n_records must be >= 1")
    ts, t_days = _times(n, days, start, rng)
    pair = _pairs(n, rng)
    src_of_pair = np.array([list(SOURCES).index(p[0]) for p in PAIRS])
    src = src_of_pair[pair]
    hour = (t_days * 24).astype("int64")
    end_days = float(days)
    env_idx = (rng.random(n) < 0.2).astype("int8")  # 0 prod, 1 staging
    model_idx = (src == 2).astype("int8")  # Orion runs the second model

    # Latency: log-normal, capped; a spike for the planted window.
    latency = np.minimum(np.round(rng.lognormal(np.log(320), 0.4, n), 1), LATENCY_CAP_MS)
    latency = np.maximum(latency, 60.0)
    spike = INCIDENTS["latency_spike"]
    if incidents:
        hit = (src == list(SOURCES).index(spike["source_name"])) & (t_days >= end_days - spike["hours"] / 24)
        latency = np.where(hit, np.round(latency * spike["factor"], 1), latency)

    group = pair.astype("int64") * (days * 24 + 1) + hour
    parts = []  # (record index, metric, score, category, explanation idx, signals)
    drop = INCIDENTS["score_drop"]
    for m_i, (metric, base) in enumerate(SCORE_BASE.items()):
        curve = np.zeros(n)
        for s_i in range(len(SOURCES)):
            sel = src == s_i
            curve[sel] = _curve(t_days[sel], s_i * 3 + m_i)
        f = base + curve
        top = CURVE_AMPLITUDE + RIPPLE_AMPLITUDE
        scale = min(0.12, (0.99 - (base + top)) / 1.5, (base - top - 0.52) / 1.5)
        noise = _antithetic(group, scale * np.clip(rng.standard_normal(n), -1.5, 1.5))
        if incidents and metric == drop["metric_name"]:
            hit = (src == list(SOURCES).index(drop["source_name"])) & (t_days >= end_days - drop["hours"] / 24)
            f = np.where(hit, drop["level"], f)
        parts.append((np.arange(n), metric, f + noise, "SCORE"))

    # Classification labels: exact quotas per (source, hour), shuffled inside the hour.
    shift = INCIDENTS["classification_shift"]
    n_hours = days * 24 + 1
    sgroup = src.astype("int64") * n_hours + hour
    sizes = np.bincount(sgroup, minlength=len(SOURCES) * n_hours)
    g_src, g_hour = np.divmod(np.arange(len(sizes)), n_hours)
    g_t = (g_hour + 0.5) / 24
    d = 0.08 * _ripple(g_t) + 0.02 * np.sin(2 * np.pi * g_t / 5.5 + g_src)
    p = BASE_SHARES[None, :] + d[:, None] * SHARE_LOADING[None, :]
    if incidents:
        hit = (g_src == list(SOURCES).index(shift["source_name"])) & (g_t >= end_days - shift["hours"] / 24)
        p[hit] = np.array(shift["shares"])
    quota = p * sizes[:, None]
    counts = np.floor(quota).astype("int64")
    short = sizes - counts.sum(axis=1)
    rem_rank = np.argsort(np.argsort(-(quota - counts), axis=1, kind="stable"), axis=1)
    counts += rem_rank < short[:, None]
    labels_sorted = np.repeat(np.tile(np.arange(len(CATEGORIES)), len(sizes)), counts.ravel())
    order_g = np.lexsort((rng.random(n), sgroup))  # records by group, shuffled inside it
    cat = np.empty(n, dtype="int8")
    cat[order_g] = labels_sorted
    parts.append((np.arange(n), "intent", np.full(n, np.nan), "CLASSIFICATION"))
    a_idx = np.arange(0, n, 10)
    parts.append((a_idx, "insights", np.full(len(a_idx), np.nan), "ANALYSIS"))

    rec = np.concatenate([p[0] for p in parts])
    part_no = np.concatenate([np.full(len(p[0]), i, dtype="int8") for i, p in enumerate(parts)])
    order = np.lexsort((part_no, rec))
    rec, part_no = rec[order], part_no[order]
    score = np.concatenate([p[2] for p in parts])[order]
    metric_names = [p[1] for p in parts]
    categories = [p[3] for p in parts]

    def dict_col(codes, values):
        return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(values)).cast(pa.string())

    rid = pa.array(rec)
    ids = pc.binary_join_element_wise("rec_", pc.cast(rid, pa.string()), "")
    n_parts = len(parts)
    is_class = part_no == n_parts - 2
    is_analysis = part_no == n_parts - 1
    is_score = ~(is_class | is_analysis)
    # explanation: score verdicts, class labels, analysis summaries (dictionary-encoded)
    expl_values = ["The response meets the bar.", "The response is borderline.",
                   "The response falls short.", *CATEGORIES,
                   "User asks about billing; tone positive.", "User reports a defect; tone negative.",
                   "User asks about account access; tone neutral."]
    s_code = np.where(score >= 0.7, 0, np.where(score >= 0.5, 1, 2))
    expl = np.where(is_score, s_code, np.where(is_class, 3 + cat[rec], 7 + rec % 3))
    sig_values = [None, *[json.dumps({
        "overall": [{"name": "topic", "value": CATEGORIES[i % 4]},
                    {"name": "sentiment", "value": ["positive", "neutral", "negative"][i % 3]}],
        "statement_0 (grounded in policy)": [{"name": "verdict", "value": "YES" if i % 5 else "NO"},
                                             {"name": "reason", "value": "cites the policy page"}],
        "statement_1 (answers the question)": [{"name": "verdict", "value": "YES"}],
    }) for i in range(12)]]
    sig = np.where(is_analysis, 1 + rec % 12, 0)
    cols = {
        "dataset_id": ids,
        "trace_id": pc.binary_join_element_wise("tr_", pc.cast(rid, pa.string()), ""),
        "timestamp": pa.array(ts[rec]),
        "source_name": dict_col(src_of_pair[pair[rec]], list(SOURCES)),
        "source_component": dict_col(np.array([sorted({p[1] for p in PAIRS}).index(p[1]) for p in PAIRS])[pair[rec]],
                                     sorted({p[1] for p in PAIRS})),
        "environment": dict_col(env_idx[rec], ["prod", "staging"]),
        "latency": pa.array(latency[rec]),
        "model_name": dict_col(model_idx[rec], ["gpt-4o", "claude-sonnet"]),
        "metric_name": dict_col(part_no, metric_names),
        "metric_score": pa.array(np.where(is_score, np.round(score, 6), np.nan), from_pandas=True),
        "metric_category": dict_col(part_no, categories),
        "explanation": dict_col(expl, expl_values),
        "signals": pa.DictionaryArray.from_arrays(pa.array(sig, pa.int32()),
                                                  pa.array(sig_values, pa.string())).cast(pa.string()),
    }
    if text:
        q = rec % len(QUERIES)
        cols["query"] = dict_col(q, QUERIES)
        cols["actual_output"] = dict_col(q, [f"Agent reply to: {x}" for x in QUERIES])
        cols["expected_output"] = dict_col(q, [f"Reference answer for: {x}" for x in QUERIES])
        crit = np.where(is_score & (score < 0.5), 1, 0)
        cols["critique"] = pa.DictionaryArray.from_arrays(
            pa.array(crit, pa.int32()), pa.array([None, "Misses the key fact from the source."], pa.string())
        ).cast(pa.string())
    return pa.table(cols)


# ----------------------------------------------------------------------------- KPI
KPIS = [  # name, category, base, daily rows, kind
    ("resolution_rate", "quality", 0.72, "rate"),
    ("escalation_rate", "quality", 0.12, "rate"),
    ("csat", "quality", 4.2, "score5"),
    ("avg_handle_time", "efficiency", 185.0, "seconds"),
    ("tickets_handled", "volume", 3.0, "count"),
    ("self_serve_rate", "mix", 0.45, "rate"),
    ("agent_assist_rate", "mix", 0.35, "rate"),
]

KPI_CONFIG = {
    "card_display_value": "latest",
    "kpi_overrides": {
        "resolution_rate": {"display_name": "Resolution rate", "unit": "percent"},
        "escalation_rate": {"display_name": "Escalation rate", "unit": "percent", "polarity": "lower_better"},
        "csat": {"display_name": "CSAT", "unit": "score", "card_display_value": "avg_7d"},
        "avg_handle_time": {"display_name": "Avg handle time", "unit": "seconds", "polarity": "lower_better"},
        "tickets_handled": {"display_name": "Tickets handled", "unit": "count"},
        "self_serve_rate": {"unit": "percent"},
        "agent_assist_rate": {"unit": "percent"},
    },
    "categories": {"quality": {"display_name": "Quality", "icon": "ShieldCheck"},
                   "volume": {"display_name": "Volume", "icon": "Activity"},
                   "efficiency": {"display_name": "Efficiency", "icon": "Timer"}},
    "composition_charts": [{
        "title": "Resolution mix",
        "kpis": [{"kpi_name": "self_serve_rate", "label": "Self-serve", "color": "#10B981"},
                 {"kpi_name": "agent_assist_rate", "label": "Agent assist", "color": "#3B82F6"}],
        "show_remainder": True, "remainder_label": "Human only", "remainder_color": "#6B7280"}],
}


def kpi_records(days: int = 60, rows_per_day: int = 8, seed: int = 0,
                start: str = "2026-01-01T00:00:00") -> pa.Table:
    """KPI observations (long): id, created_at, source_name, source_type, source_component,
    environment, segment, kpi_name, kpi_category, numeric_value, dataset_id.

    ``rows_per_day`` observations per source, KPI and day (some days missing at random, so
    rolling windows count rows, not calendar days). ``escalation_rate`` of ``Nova`` climbs
    over the last 10 days (trend up, which is bad: polarity lower_better).
    """
    rng = np.random.default_rng(seed)
    srcs = list(SOURCES)
    rows = []
    day0 = np.datetime64(start, "s")
    for s_i, s in enumerate(srcs):
        for k_i, (kpi, cat, base, kind) in enumerate(KPIS):
            present = rng.random(days) > 0.08
            present[-1] = True
            for d in np.flatnonzero(present):
                m = rows_per_day
                t = day0 + (d * 86400 + np.sort(rng.integers(0, 86400, m))).astype("timedelta64[s]")
                wave = 0.04 * np.sin(2 * np.pi * d / 17 + s_i + k_i)
                if kind == "rate":
                    mu = base * (1 + wave)
                    if kpi == "escalation_rate" and s == "Nova" and d >= days - 10:
                        mu = base * (1 + 0.08 * (d - (days - 10) + 1))
                    v = np.clip(rng.normal(mu, 0.03, m), 0, 1)
                elif kind == "score5":
                    v = np.clip(rng.normal(base * (1 + wave), 0.3, m), 1, 5)
                elif kind == "seconds":
                    v = rng.normal(base * (1 + wave), 20, m)
                else:
                    v = rng.poisson(base * (1 + wave), m).astype(float)
                for j in range(m):
                    rows.append((s_i, k_i, t[j], float(round(v[j], 4)), int(rng.random() < 0.3)))
    n = len(rows)
    arr = np.array([(r[0], r[1], r[4]) for r in rows], dtype="int64")
    t = np.array([r[2] for r in rows], dtype="datetime64[s]")
    vals = np.array([r[3] for r in rows])
    order = np.argsort(t, kind="stable")
    arr, t, vals = arr[order], t[order], vals[order]
    kcat = [k[1] for k in KPIS]
    return pa.table({
        "id": pa.array([f"kpi_{i:07d}" for i in range(n)]),
        "created_at": pa.array(t),
        "source_name": pa.array(np.array(srcs, dtype=object)[arr[:, 0]]),
        "source_type": pa.array(np.full(n, "agent", dtype=object)),
        "source_component": pa.array(np.full(n, "main", dtype=object)),
        "environment": pa.array(np.full(n, "prod", dtype=object)),
        "segment": pa.array(np.array(["smb", "enterprise"], dtype=object)[arr[:, 2]]),
        "kpi_name": pa.array(np.array([k[0] for k in KPIS], dtype=object)[arr[:, 1]]),
        "kpi_category": pa.array(np.array(kcat, dtype=object)[arr[:, 1]]),
        "numeric_value": pa.array(vals),
        "dataset_id": pa.array([f"case_{i % 997:04d}" for i in range(n)]),
    })


def load_incident_demo(axis, n_records: int = 50_000, days: int = 14, seed: int = 0,
                       kpi_days: int = 60) -> dict:
    """Load ``monitoring_incidents`` as ``incident_monitoring`` and ``kpi_records`` as
    ``incident_kpi``; returns the two datasets."""
    return {
        "monitoring": axis.load(monitoring_incidents(n_records, days=days, seed=seed),
                                name="incident_monitoring", kind="monitoring"),
        "kpi": axis.load(kpi_records(kpi_days, seed=seed), name="incident_kpi", kind="kpi"),
    }
