"""Deterministic demo data: evaluation results and monitoring records at any size.

Rows are generated column-wise with numpy (10 million rows take seconds) and returned as
Arrow tables, or written to CSV/Parquet by DuckDB. The same seed gives the same data.

* :func:`eval_results` — long evaluation results in the reference's tree format: several
  experiments scoring the same cases, a weighted metric tree (category -> components ->
  metrics) with explanations and signals.
* :func:`monitoring_records` — production records over a week from several sources,
  components and environments, with latency and SCORE, CLASSIFICATION and ANALYSIS metrics.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

# (name, parent, weight, metric_type); parents' rows hold the weighted mean of their children.
METRIC_TREE = [
    ("Overall Quality", None, 1.0, "category"),
    ("Accuracy", "Overall Quality", 0.5, "component"),
    ("faithfulness", "Accuracy", 0.6, "metric"),
    ("factual_accuracy", "Accuracy", 0.4, "metric"),
    ("Relevance", "Overall Quality", 0.3, "component"),
    ("answer_relevancy", "Relevance", 0.7, "metric"),
    ("context_relevancy", "Relevance", 0.3, "metric"),
    ("Style", "Overall Quality", 0.2, "component"),
    ("conciseness", "Style", 0.5, "metric"),
    ("tone", "Style", 0.5, "metric"),
]
LEAVES = [m for m in METRIC_TREE if m[3] == "metric"]
EXPERIMENTS = {"baseline": 0.0, "candidate_a": 0.04, "candidate_b": -0.03}
LEAF_MEANS = {"faithfulness": 0.78, "factual_accuracy": 0.72, "answer_relevancy": 0.81,
              "context_relevancy": 0.64, "conciseness": 0.69, "tone": 0.86}
QUERIES = ["How do I reset my password?", "What is the refund policy?",
           "Summarise the attached contract.", "Which plan includes SSO?",
           "Explain the error code E42.", "How long does shipping take to Canada?",
           "Can I change the billing date?", "What data do you retain after deletion?"]


def eval_results(n_cases: int = 200, experiments: dict[str, float] | None = None, seed: int = 0,
                 text: bool = True) -> pa.Table:
    """Long evaluation results: one row per (experiment, case, metric-tree node).

    Columns: dataset_id, evaluation_name, query, actual_output, expected_output, metric_name,
    metric_score, metric_type, parent, weight, explanation, signals.
    Rows = n_cases x len(experiments) x 10 nodes. ``text=False`` drops the long text columns
    (for benchmarks of the numeric path).
    """
    rng = np.random.default_rng(seed)
    experiments = experiments or EXPERIMENTS
    exp_names = list(experiments)
    n_exp, n_nodes = len(exp_names), len(METRIC_TREE)
    case_difficulty = rng.normal(0, 0.08, n_cases)  # shared by experiments: paired data
    leaf_scores = {}
    for name, *_ in LEAVES:
        base = LEAF_MEANS[name]
        shift = np.array([experiments[e] for e in exp_names])[:, None]
        noise = rng.normal(0, 0.12, (n_exp, n_cases))
        leaf_scores[name] = np.clip(base + shift - case_difficulty[None, :] + noise, 0, 1).round(4)
    node_scores = dict(leaf_scores)
    for name, parent, weight, mtype in reversed(METRIC_TREE):  # children before parents
        if mtype == "metric":
            continue
        kids = [(n, w) for n, p, w, _ in METRIC_TREE if p == name]
        total = sum(w for _, w in kids)
        node_scores[name] = (sum(node_scores[n] * w for n, w in kids) / total).round(4)

    exp_idx = np.repeat(np.arange(n_exp), n_cases * n_nodes)
    case_idx = np.tile(np.repeat(np.arange(n_cases), n_nodes), n_exp)
    node_idx = np.tile(np.arange(n_nodes), n_exp * n_cases)
    scores = np.stack([node_scores[m[0]] for m in METRIC_TREE])  # nodes x exp x cases
    metric_score = scores[node_idx, exp_idx, case_idx]
    ids = np.array([f"case_{i:06d}" for i in range(n_cases)], dtype=object)
    cols = {
        "dataset_id": pa.array(ids[case_idx]),
        "evaluation_name": pa.DictionaryArray.from_arrays(pa.array(exp_idx, pa.int32()), pa.array(exp_names)).cast(pa.string()),
        "metric_name": pa.DictionaryArray.from_arrays(pa.array(node_idx, pa.int32()), pa.array([m[0] for m in METRIC_TREE])).cast(pa.string()),
        "metric_score": pa.array(metric_score),
        "metric_type": pa.DictionaryArray.from_arrays(pa.array(node_idx, pa.int32()), pa.array([m[3] for m in METRIC_TREE])).cast(pa.string()),
        "parent": pa.array([m[1] for m in METRIC_TREE], pa.string()).take(pa.array(node_idx)),
        "weight": pa.array([m[2] for m in METRIC_TREE]).take(pa.array(node_idx)),
    }
    if text:
        q = np.array(QUERIES, dtype=object)[np.arange(n_cases) % len(QUERIES)]
        cols["query"] = pa.array(q[case_idx])
        answers = np.array([f"Answer from {e}: " for e in exp_names], dtype=object)
        cols["actual_output"] = pa.array(answers[exp_idx] + q[case_idx])
        cols["expected_output"] = pa.array(np.array(["Reference answer for: "], dtype=object)[0] + q[case_idx])
        verdict = np.where(metric_score >= 0.7, "meets the bar", np.where(metric_score >= 0.5, "is borderline", "falls short"))
        cols["explanation"] = pa.array(np.char.add("The response ", verdict.astype(str)).astype(object))
        sig = np.where(metric_score >= 0.5, '{"overall": [{"name": "verdict", "value": "YES"}]}',
                       '{"overall": [{"name": "verdict", "value": "NO"}]}')
        cols["signals"] = pa.array(sig.astype(object))
    return pa.table(cols)


SOURCES = {"Atlas": ["retriever", "generator"], "Nova": ["router", "generator"], "Orion": ["generator"]}
SCORE_METRICS = {"relevance": 0.82, "coherence": 0.88, "accuracy": 0.74}
INTENTS = ["billing", "technical", "account", "other"]


def _monitoring_base(n_records: int, days: int, seed: int, start: str):
    rng = np.random.default_rng(seed)
    pairs = [(s, c) for s, cs in SOURCES.items() for c in cs]
    pair_idx = rng.integers(0, len(pairs), n_records)
    env = np.where(rng.random(n_records) < 0.8, "prod", "staging").astype(object)
    t0 = np.datetime64(start, "s")
    offsets = np.sort(rng.integers(0, days * 86400, n_records)).astype("timedelta64[s]")
    ts = t0 + offsets
    latency = np.round(rng.lognormal(np.log(320), 0.45, n_records), 1)
    return rng, pairs, pair_idx, env, ts, latency


def monitoring_records(n_records: int = 2000, days: int = 7, seed: int = 0,
                       start: str = "2026-01-20T00:00:00", text: bool = True) -> pa.Table:
    """Long monitoring rows: per record three SCORE metrics, one CLASSIFICATION (``intent``,
    label in ``explanation``) and, for one record in ten, one ANALYSIS row (``insights``,
    JSON ``signals``). Columns: dataset_id, trace_id, timestamp, source_name,
    source_component, environment, latency (ms), metric_name, metric_score, metric_category,
    explanation, signals, query, actual_output."""
    rng, pairs, pair_idx, env, ts, latency = _monitoring_base(n_records, days, seed, start)
    ids = np.char.add("rec_", np.arange(n_records).astype(str)).astype(object)
    src = np.array([p[0] for p in pairs], dtype=object)[pair_idx]
    comp = np.array([p[1] for p in pairs], dtype=object)[pair_idx]
    parts = []
    for m, mean in SCORE_METRICS.items():
        s = np.clip(rng.normal(mean, 0.1, n_records), 0, 1).round(4)
        parts.append((np.arange(n_records), m, s, "SCORE", None, None))
    intent = np.array(INTENTS, dtype=object)[rng.choice(len(INTENTS), n_records, p=[.4, .3, .2, .1])]
    parts.append((np.arange(n_records), "intent", np.full(n_records, np.nan), "CLASSIFICATION", intent, None))
    a_idx = np.arange(0, n_records, 10)
    sig = np.array([json.dumps({"overall": [{"name": "topic", "value": INTENTS[i % 4]},
                                            {"name": "sentiment", "value": ["positive", "neutral", "negative"][i % 3]}]})
                    for i in range(len(a_idx))], dtype=object)
    parts.append((a_idx, "insights", np.full(len(a_idx), np.nan), "ANALYSIS", None, sig))
    idx = np.concatenate([p[0] for p in parts])
    cols = {
        "dataset_id": pa.array(ids[idx]), "trace_id": pa.array(np.char.add("tr_", ids[idx].astype(str)).astype(object)),
        "timestamp": pa.array(ts[idx]), "source_name": pa.array(src[idx]),
        "source_component": pa.array(comp[idx]), "environment": pa.array(env[idx]),
        "latency": pa.array(latency[idx]),
        "metric_name": pa.array(np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])),
        "metric_score": pa.array(np.concatenate([p[2] for p in parts]), from_pandas=True),
        "metric_category": pa.array(np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in parts])),
        "explanation": pa.array(np.concatenate([p[4] if p[4] is not None else np.full(len(p[0]), None, dtype=object) for p in parts])),
        "signals": pa.array(np.concatenate([p[5] if p[5] is not None else np.full(len(p[0]), None, dtype=object) for p in parts])),
    }
    if text:
        q = np.array(QUERIES, dtype=object)[np.arange(n_records) % len(QUERIES)]
        cols["query"] = pa.array(q[idx])
        cols["actual_output"] = pa.array(np.char.add("Agent reply to: ", q[idx].astype(str)).astype(object))
    order = np.lexsort((idx,))  # records together, in time order
    return pa.table(cols).take(pa.array(order))


def monitoring_wide(n_records: int = 2000, days: int = 7, seed: int = 0,
                    start: str = "2026-01-20T00:00:00", n_scores: int = 5) -> pa.Table:
    """Wide monitoring records with aliased names, as exported by many tools: ``id``,
    ``time``, ``input``, ``output``, ``latency_ms``, ``source_name``, ``env``, one
    ``<metric>_score`` column per metric, a JSON ``signals`` column and a list-valued
    ``retrieved_content`` column."""
    rng, pairs, pair_idx, env, ts, latency = _monitoring_base(n_records, days, seed, start)
    names = ["relevance", "coherence", "accuracy", "helpfulness", "safety", "groundedness",
             "completeness", "tone"][:n_scores]
    cols = {
        "id": pa.array(np.char.add("rec_", np.arange(n_records).astype(str))),
        "time": pa.array(ts),
        "source_name": pa.array(np.array([p[0] for p in pairs], dtype=object)[pair_idx]),
        "env": pa.array(env),
        "latency_ms": pa.array(latency),
        "input": pa.array(np.array(QUERIES, dtype=object)[np.arange(n_records) % len(QUERIES)]),
        "output": pa.array(np.array(["Sure, here is how.", "I could not find that.", "Yes."], dtype=object)[np.arange(n_records) % 3]),
    }
    for i, m in enumerate(names):
        cols[f"{m}_score"] = pa.array(np.clip(rng.normal(0.8 - 0.03 * i, 0.1, n_records), 0, 1).round(4))
    verdict = np.where(rng.random(n_records) < 0.8, "YES", "NO")
    cols["signals"] = pa.array(np.char.add(np.char.add('{"overall": [{"name": "verdict", "value": "', verdict), '"}]}').astype(object))
    k = np.arange(n_records) % 3
    cols["retrieved_content"] = pa.array(np.array(["['doc one', 'doc two']", "['doc three']", "[]"], dtype=object)[k])
    return pa.table(cols)


def write(table: pa.Table, path: str | Path) -> Path:
    """Write an Arrow table as CSV or Parquet (by suffix), through DuckDB."""
    import duckdb

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.register("t", table)
    fmt = "PARQUET" if path.suffix in (".parquet", ".pq") else "CSV, HEADER"
    con.execute(f"COPY t TO '{path}' ({'FORMAT ' + fmt if fmt == 'PARQUET' else 'FORMAT CSV, HEADER'})")
    con.close()
    return path


def load_demo(axis, n_cases: int = 200, n_records: int = 2000, seed: int = 0) -> dict:
    """Load the demo evaluation (``demo_evals``) and monitoring (``demo_monitoring``) sets."""
    return {
        "evals": axis.load(eval_results(n_cases, seed=seed), name="demo_evals", kind="evals"),
        "monitoring": axis.load(monitoring_records(n_records, seed=seed), name="demo_monitoring",
                                kind="monitoring"),
    }
