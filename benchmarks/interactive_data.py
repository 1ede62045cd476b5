"""Data of the interactive benchmark (issue 18): generated long evaluation and monitoring rows
loaded into one store file, with the load and the summary build timed.

    flock /tmp/axis-bench.lock .venv/bin/python benchmarks/interactive_data.py --rows 100000000

Evaluation rows: ``bench_summaries.GENERATE`` (5 experiments x 20 metrics x rows/100 cases,
environment, source, 30 days). Monitoring rows: rows/4 records x 3 SCORE metrics and
1 CLASSIFICATION metric (a label of four in ``explanation``), 3 environments x 4 sources x 3
models, 30 days, log-normal-like latencies with a heavy tail.
Both are generated in DuckDB and written to Parquet (never through pandas), then loaded with
``store.load`` (which builds the summaries in the same transaction; the build is timed inside
the load by wrapping the store's ``build_summaries``). Writes
``benchmarks/results/interactive_load_<rows>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402

from bench_summaries import generate as generate_evals  # noqa: E402
from common import DATA, RESULTS  # noqa: E402

MONITORING = """
COPY (
  SELECT 'rec_' || r AS dataset_id, 'tr_' || r AS trace_id,
         TIMESTAMP '2026-01-01' + to_microseconds(((r * 2654435761) % 2592000000)::BIGINT * 1000) AS "timestamp",
         (['Atlas', 'Nova', 'Orion', 'Vega'])[1 + r % 4] AS source_name,
         'generator' AS source_component,
         (['prod', 'staging', 'dev'])[1 + (r // 4) % 3] AS environment,
         -- log-normal-like latency (ms) with one record in a thousand 20-60 times slower
         round(exp(5.3 + 1.2 * ((hash(r) % 10000)::DOUBLE / 10000 - 0.5))
               * CASE WHEN r % 1000 = 7 THEN 20 + (r % 41) ELSE 1 END, 1) AS latency,
         (['gpt-4o', 'claude-3', 'llama-3'])[1 + (r // 12) % 3] AS model_name,
         (['relevance', 'coherence', 'accuracy', 'intent'])[1 + m] AS metric_name,
         -- intent is a CLASSIFICATION metric: a label in explanation, no score
         CASE WHEN m < 3 THEN round(least(1.0, greatest(0.0, 0.72 + ((hash(r, m) % 1000)::BIGINT - 500) / 1600.0)), 4) END AS metric_score,
         CASE WHEN m < 3 THEN 'SCORE' ELSE 'CLASSIFICATION' END AS metric_category,
         CASE WHEN m = 3 THEN (['refund', 'billing', 'shipping', 'other'])[1 + (hash(r, 7) % 4)::INT] END AS explanation
  FROM range({records}) t(r), range(4) y(m)
) TO '{path}' (FORMAT parquet)
"""


def generate_monitoring(rows: int) -> Path:
    records = -(-rows // 4)
    path = DATA / f"interactive_monitoring_{records * 4}_labels.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute(MONITORING.format(records=records, path=path))
        con.close()
    return path


def store_path(rows: int) -> Path:
    return DATA / f"interactive_{rows}.duckdb"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--only", choices=["ev", "mon"], help="load one dataset (a store of its own)")
    args = ap.parse_args()
    import axis_jupyter
    from axis_jupyter.store import local

    t0 = time.perf_counter()
    parquets = {"ev": (generate_evals(args.rows), "evals"), "mon": (generate_monitoring(args.rows), "monitoring")}
    if args.only:
        parquets = {args.only: parquets[args.only]}
    gen_s = time.perf_counter() - t0
    print(f"generated in {gen_s:.0f} s", flush=True)
    db = store_path(args.rows) if not args.only else DATA / f"interactive_{args.rows}_{args.only}.duckdb"
    db.unlink(missing_ok=True)
    builds: list[float] = []
    build = local.build_summaries

    def timed_build(cur, table, **kw):
        b0 = time.perf_counter()
        try:
            return build(cur, table, **kw)
        finally:
            builds.append(time.perf_counter() - b0)

    local.build_summaries = timed_build
    store = axis_jupyter.LocalStore(db)
    out = {"rows_requested": args.rows, "date": time.strftime("%Y-%m-%d %H:%M"),
           "loadavg_before": [round(x, 2) for x in os.getloadavg()], "generate_s": round(gen_s, 1),
           "memory_limit": os.environ.get("AXIS_MEMORY_LIMIT"), "datasets": {}}
    for name, (path, kind) in parquets.items():
        builds.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            store.load(path, name=name, kind=kind)
            load_s = time.perf_counter() - t0
        info = store.info(name)
        summary = info.get("summary") or {}
        out["datasets"][name] = {
            "kind": kind, "rows": info["rows"], "load_s": round(load_s, 1),
            "summary_build_s": round(sum(builds), 1), "build_share": round(sum(builds) / load_s, 3),
            "keys": summary.get("keys"), "day_keys": summary.get("day_keys"),
            "bin_keys": summary.get("bin_keys"), "build_steps_s": summary.get("build_s"),
            "summary_rows": {role: int(store.sql(f'SELECT count(*) AS n FROM "{t}"')["n"][0])
                             for role, t in (summary.get("tables") or {}).items()}}
        print(name, out["datasets"][name], flush=True)
    store.close()
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["store_bytes"] = db.stat().st_size
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"interactive_load_{args.rows}{'_' + args.only if args.only else ''}.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
