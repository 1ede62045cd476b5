"""Scale-out benchmark (issue 17): summary, trends and compare on ~10,000,000 rows, the
same data loaded into DuckDB, attached from PostgreSQL and attached from local Spark.

* evals: ``demo.eval_results`` without text (3 experiments x 10 nodes per case) ->
  ``summary(by="evaluation_name")`` and ``compare("baseline", "candidate_a")``;
* monitoring: ``demo.monitoring_records`` without text (~4.1 rows per record) ->
  ``trends("day")``.

Every engine gets the same rows (written once as Parquet: DuckDB loads it, PostgreSQL
copies it in with ``COPY``, Spark reads it as a view). The attached datasets are measured
through the store (``ds.summary()`` etc.: the Ibis expression compiled for the engine,
run there, the small result back). Best of ``--repeat`` wall times (the first run also
warms up connections, schemas and Spark's code generation). The store's read time limit is
lifted (``AXIS_QUERY_TIMEOUT=0``): at 10 M rows Spark's compare runs longer than the
default 60 s.

Run: ``.venv/bin/python benchmarks/bench_scaleout.py [--rows 10000000] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from axis_jupyter import demo  # noqa: E402
from common import best_of, save, table  # noqa: E402


def _pg_copy(uri: str, name: str, parquet: Path, work: Path) -> float:
    """Create table ``name`` in PostgreSQL from ``parquet`` (DuckDB writes CSV; COPY reads it)."""
    import duckdb
    import psycopg

    csv = work / f"{name}.csv"
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{parquet}')")
    cols = ", ".join(f'"{c}" {_pg_type(t)}' for c, t in zip(rel.columns, rel.types))
    con.sql(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{csv}' (HEADER false)")
    t0 = time.perf_counter()
    with psycopg.connect(uri, autocommit=True) as pg:
        pg.execute(f'DROP TABLE IF EXISTS "{name}"')
        pg.execute(f'CREATE UNLOGGED TABLE "{name}" ({cols})')
        with pg.cursor() as cur, cur.copy(f'COPY "{name}" FROM STDIN (FORMAT csv)') as cp, \
                open(csv, "rb") as f:
            while block := f.read(1 << 20):
                cp.write(block)
        pg.execute(f'ANALYZE "{name}"')
    csv.unlink()
    return time.perf_counter() - t0


def _pg_type(t) -> str:
    s = str(t).upper()
    return {"VARCHAR": "text", "DOUBLE": "double precision", "BIGINT": "bigint",
            "INTEGER": "integer", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean"}.get(s, "text")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["AXIS_QUERY_TIMEOUT"] = "0"
    import pyarrow.parquet as pq

    from support.pg import start_postgres
    from support.spark import LOCAL_CONF, start_spark

    from axis_jupyter.workbench import open_local

    work = Path(tempfile.mkdtemp(prefix="axis-bench-scaleout-"))
    evals = demo.eval_results(max(1, args.rows // 30), seed=1, text=False)
    mon = demo.monitoring_records(max(1, int(args.rows / 4.1)), days=30, seed=1, text=False)
    files = {}
    for name, t in (("evals", evals), ("monitoring", mon)):
        files[name] = work / f"{name}.parquet"
        pq.write_table(t, files[name])
    sizes = {"evals": evals.num_rows, "monitoring": mon.num_rows}
    del evals, mon
    print("rows:", sizes, flush=True)

    store = open_local(work / "axis.duckdb")
    prep = {}
    t0 = time.perf_counter()
    store.load(str(files["evals"]), name="ev_duckdb", kind="evals")
    store.load(str(files["monitoring"]), name="mo_duckdb", kind="monitoring")
    prep["duckdb load"] = time.perf_counter() - t0

    server, uri = start_postgres(work / "pg")
    prep["postgres COPY"] = sum(_pg_copy(uri, f"raw_{k}", f, work) for k, f in files.items())
    t0 = time.perf_counter()
    store.attach("ev_postgres", uri, table="raw_evals", kind="evals")
    store.attach("mo_postgres", uri, table="raw_monitoring", kind="monitoring")
    prep["postgres attach (counts)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    spark = start_spark(work / "spark", LOCAL_CONF)
    prep["spark start"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for k, f in files.items():
        spark.read.parquet(str(f)).createOrReplaceTempView(f"raw_{k}")
    store.attach("ev_spark", spark, table="raw_evals", kind="evals")
    store.attach("mo_spark", spark, table="raw_monitoring", kind="monitoring")
    prep["spark attach (counts)"] = time.perf_counter() - t0

    ops = {
        "summary": lambda e: store.dataset(f"ev_{e}").summary(by="evaluation_name"),
        "trends": lambda e: store.dataset(f"mo_{e}").trends("day"),
        "compare": lambda e: store.dataset(f"ev_{e}").compare("baseline", "candidate_a"),
    }
    engines = ("duckdb", "postgres", "spark")
    results: dict = {}
    for op, fn in ops.items():
        for e in engines:
            wall, _ = best_of(lambda: fn(e), args.repeat)  # the first run warms up
            results.setdefault(op, {})[e] = round(wall, 3)
            print(op, e, round(wall, 3), flush=True)

    rows = [(op, *(results[op][e] for e in engines),
             round(results[op]["postgres"] / results[op]["duckdb"], 1),
             round(results[op]["spark"] / results[op]["duckdb"], 1)) for op in ops]
    print(table(rows, ("analytic", "DuckDB s", "PostgreSQL s", "Spark local[2] s",
                       "PG × DuckDB", "Spark × DuckDB")))
    print(table([(k, round(v, 2)) for k, v in prep.items()], ("preparation", "s")))
    save("scaleout", {"rows": sizes, "repeat": args.repeat, "seconds": results,
                      "preparation_s": {k: round(v, 2) for k, v in prep.items()}})
    spark.stop()
    server.cleanup()
    store.close()


if __name__ == "__main__":
    main()
