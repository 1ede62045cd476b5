"""Summaries benchmark (issue 18): the scorecard and quantiles from pre-aggregated summaries
against the raw table, on 10,000,000 generated long evaluation rows, in one run.

The data is generated in DuckDB (5 experiments x 20 metrics x 100,000 cases; environment,
source, a timestamp over 30 days; continuous scores with ties at 0 and 1) and written to
Parquet once; ``store.load`` then reads it, which builds the summaries in the same
transaction. Measured side by side, interleaved rounds over a cycle of filter changes
(experiment, environment, source, a whole-day time range, two at once):

* **raw DuckDB (floor of the raw path)**: the SQL the scorecard's payload runs on the raw
  table (per-node stats and histogram bins, distinct test cases), compiled once and executed
  directly on a cursor;
* **payload, raw path** (``exact=True``): the whole view action in-process;
* **payload, summary path**: the same action answered from the summaries;
* **quantiles** (``ds.quantiles(by="evaluation_name")``), raw and from the summaries, and
  the largest quartile difference (the stated bound is 0.0005);
* an **incremental update** (``--increment`` rows, half new cases, half known cases in a new
  experiment): the milliseconds of ``append_rows`` and of its case-mask update;
* **load** time, the **summary build** time (rebuilt alone on the loaded table) and its share,
  the summary tables' rows, and the process's peak RSS.

    .venv/bin/python benchmarks/bench_summaries.py [--rows 10000000] [--repeat 5]

Writes benchmarks/results/summaries.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

import axis_jupyter  # noqa: E402
from axis_jupyter.analytics import scorecard  # noqa: E402
from axis_jupyter.analytics.context import SQL_CACHE  # noqa: E402
from axis_jupyter.payloads import scorecard as scorecard_view  # noqa: E402
from axis_jupyter.summaries import build_summaries  # noqa: E402
from common import DATA, save, table  # noqa: E402

EXPERIMENTS, METRICS, ENVS, SOURCES = 5, 20, 3, 4

GENERATE = """
COPY (
  SELECT 'case_' || c AS dataset_id,
         'exp_' || e AS evaluation_name,
         'metric_' || lpad(m::VARCHAR, 2, '0') AS metric_name,
         CASE WHEN m < 4 THEN NULL ELSE 'metric_' || lpad((m % 4)::VARCHAR, 2, '0') END AS parent,
         CASE WHEN m < 4 THEN 'component' ELSE 'metric' END AS metric_type,
         1.0 + (m % 3) AS weight,
         CASE WHEN h % 17 = 0 THEN 0.0 WHEN h % 23 = 0 THEN 1.0
              ELSE round(least(1.0, greatest(0.0, 0.55 + 0.05 * e + ((h % 1000)::BIGINT - 500) / 1400.0)), 4)
         END AS metric_score,
         (['prod', 'staging', 'dev'])[1 + c % 3] AS environment,
         (['web', 'api', 'batch', 'mobile'])[1 + c % 4] AS source_name,
         TIMESTAMP '2026-01-01' + to_seconds(((c * 2654435761) % (30 * 86400))::BIGINT) AS "timestamp"
  FROM (SELECT c, e, m, hash(c, e, m) AS h
        FROM range({cases}) t(c), range({experiments}) x(e), range({metrics}) y(m))
) TO '{path}' (FORMAT parquet)
"""

FILTERS = [
    {"evaluation_name": "exp_1"},
    {"environment": "prod"},
    {"evaluation_name": ["exp_0", "exp_3"], "source_name": "web"},
    {"time_range": ["2026-01-05", "2026-01-12"]},
    {"evaluation_name": "exp_4", "environment": "staging"},
]


def generate(rows: int) -> Path:
    cases = -(-rows // (EXPERIMENTS * METRICS))
    path = DATA / f"summaries_{cases * EXPERIMENTS * METRICS}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute(GENERATE.format(cases=cases, experiments=EXPERIMENTS, metrics=METRICS, path=path))
        con.close()
    return path


def raw_floor(store, name: str, filters: dict) -> float:
    """Milliseconds of the raw SQL the scorecard payload runs, compiled beforehand."""
    def sqls(cur):
        ctx = store.context(cur, name)
        sql_filters, _ = scorecard.split_experiment_filter(filters, ctx.table("full").columns)
        return [SQL_CACHE.sql(scorecard.binned_expr(ctx, sql_filters, 0.5)),
                SQL_CACHE.sql(scorecard.case_count_expr(ctx, filters))]

    texts = store.read(sqls)

    def run(cur):
        t0 = time.perf_counter()
        for sql in texts:
            cur.execute(sql).fetchall()
        return (time.perf_counter() - t0) * 1000

    return store.read(run)


def increment(store, rows: int) -> dict:
    """An incremental sync's summary update, measured: ``rows`` new rows (half new cases of
    exp_0, half known cases of exp_1 in a new experiment exp_new) appended to the scores
    table and then to the summaries (``append_rows``) in one write, as
    ``sync.incremental`` does; then the two-experiment test-case count from the case masks
    is checked against the raw path."""
    from axis_jupyter.summaries import append_rows, case_masks

    info = store.info("ev")
    scores = info["scores_table"]
    half = rows // 2
    spent: dict[str, float] = {}
    inner = case_masks.append

    def timed(*a, **kw):
        t0 = time.perf_counter()
        try:
            return inner(*a, **kw)
        finally:
            spent["case_masks_ms"] = (time.perf_counter() - t0) * 1000

    def tx(cur):
        cur.execute(f"""CREATE TEMP TABLE _bench_inc AS
            (SELECT * REPLACE ('new_' || dataset_id AS dataset_id) FROM "{scores}"
             WHERE evaluation_name = 'exp_0' LIMIT {half})
            UNION ALL (SELECT * REPLACE ('exp_new' AS evaluation_name) FROM "{scores}"
             WHERE evaluation_name = 'exp_1' LIMIT {rows - half})""")
        cur.execute(f'INSERT INTO "{scores}" SELECT * FROM _bench_inc')
        t0 = time.perf_counter()
        case_masks.append = timed
        try:
            meta = append_rows(cur, info["summary"], "_bench_inc")
        finally:
            case_masks.append = inner
        spent["append_rows_ms"] = (time.perf_counter() - t0) * 1000
        cur.execute("DROP TABLE _bench_inc")
        store.save_info(cur, "ev", dict(info, summary=meta, rows=info["rows"] + rows))

    store.write(tx)
    for f in ({"evaluation_name": ["exp_0", "exp_new"], "source_name": "web"}, {}):
        fast = scorecard_view.payload(store, "ev", filters=f)
        raw = scorecard_view.payload(store, "ev", filters=f, exact=True)
        assert {p["what"]: p["path"] for p in fast["timing"]["paths"]}["case_count"] == "summary"
        assert fast["kpis"]["test_cases"] == raw["kpis"]["test_cases"], f
    return {"rows": rows, **{k: round(v, 1) for k, v in spent.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--increment", type=int, default=100_000,
                    help="rows of the incremental update measured at the end (0: none)")
    args = ap.parse_args()
    parquet = generate(args.rows)
    db = DATA / f"summaries_{args.rows}.duckdb"
    db.unlink(missing_ok=True)
    store = axis_jupyter.LocalStore(db)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        store.load(parquet, name="ev", kind="evals")
        load_s = time.perf_counter() - t0
    info = store.info("ev")
    summary = info["summary"]
    t0 = time.perf_counter()
    store.write(lambda cur: build_summaries(cur, info["scores_table"]))  # the same tables again
    build_s = time.perf_counter() - t0
    sizes = {role: int(store.sql(f'SELECT count(*) AS n FROM "{t}"')["n"][0])
             for role, t in summary["tables"].items()}

    def payload(filters, exact):
        out = scorecard_view.payload(store, "ev", filters=filters, exact=exact)
        return out["timing"]["total_ms"], out["timing"]["path"], out

    for f in FILTERS:  # warm: schemas, compiled SQL, DuckDB buffers
        payload(f, False), payload(f, True)
    floor, raw, fast = [], [], []
    by_filter: dict[int, dict[str, list]] = {i: {"raw": [], "summary": []} for i in range(len(FILTERS))}
    paths = set()
    for _ in range(args.repeat):
        for i, f in enumerate(FILTERS):
            floor.append(raw_floor(store, "ev", f))
            ms, _, raw_out = payload(f, True)
            raw.append(ms)
            by_filter[i]["raw"].append(ms)
            ms, path, fast_out = payload(f, False)
            fast.append(ms)
            by_filter[i]["summary"].append(ms)
            paths.add(path)
            assert fast_out["kpis"]["test_cases"] == raw_out["kpis"]["test_cases"]
            assert [r["count"] for r in fast_out["rows"]] == [r["count"] for r in raw_out["rows"]]
    ds = store.dataset("ev")
    q_raw, q_fast = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        exact_q = ds.quantiles(by="evaluation_name", exact=True)
        q_raw.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        fast_q = ds.quantiles(by="evaluation_name")
        q_fast.append((time.perf_counter() - t0) * 1000)
    q_err = max(float((fast_q[c] - exact_q[c]).abs().max()) for c in ("q25", "median", "q75"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    med = statistics.median
    result = {
        "rows": info["rows"], "load_s": round(load_s, 2), "summary_build_s": round(build_s, 2),
        "build_share_of_load": round(build_s / load_s, 3), "summary_rows": sizes,
        "keys": summary["keys"], "time_bucket": summary["time_bucket"],
        "scorecard_ms": {"raw_duckdb_floor": round(med(floor), 1), "payload_raw": round(med(raw), 1),
                         "payload_summary": round(med(fast), 1)},
        "scorecard_ms_by_filter": [{"filters": FILTERS[i], "payload_raw": round(med(v["raw"]), 1),
                                    "payload_summary": round(med(v["summary"]), 1)}
                                   for i, v in by_filter.items()],
        "scorecard_speedup_vs_raw_payload": round(med(raw) / med(fast), 1),
        "scorecard_speedup_vs_raw_floor": round(med(floor) / med(fast), 1),
        "summary_paths": sorted(p for p in paths if p),
        "quantiles_ms": {"raw": round(med(q_raw), 1), "summary": round(med(q_fast), 1)},
        "quantiles_max_abs_error": q_err, "peak_rss_mb": round(peak_mb),
        "filters": FILTERS,
    }
    if args.increment:
        result["incremental_update"] = increment(store, args.increment)
    save("summaries", result)
    print(table([
        ("raw DuckDB SQL of the request (floor of the raw path)", result["scorecard_ms"]["raw_duckdb_floor"]),
        ("scorecard payload, raw path (exact=True)", result["scorecard_ms"]["payload_raw"]),
        ("scorecard payload, summary path", result["scorecard_ms"]["payload_summary"]),
        ("quantiles by experiment, raw", result["quantiles_ms"]["raw"]),
        ("quantiles by experiment, summaries", result["quantiles_ms"]["summary"]),
    ], ("path", "median ms")))
    print(table([(json.dumps(r["filters"]), r["payload_raw"], r["payload_summary"])
                 for r in result["scorecard_ms_by_filter"]], ("filters", "raw ms", "summary ms")))
    print({k: v for k, v in result.items()
           if k not in ("scorecard_ms", "quantiles_ms", "filters", "scorecard_ms_by_filter")})
    store.close()


if __name__ == "__main__":
    main()
