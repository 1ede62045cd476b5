"""Ingest benchmark (issue 2): a wide monitoring CSV of 1,000,000 records.

The file has 5 ``*_score`` columns, a JSON ``signals`` column, a list-valued
``retrieved_content`` column and aliased names (``id``, ``time``, ``input``, ``output``,
``latency_ms``, ``env``). Side by side in one run:

* floor   - DuckDB's own ``read_csv`` into a table of a DuckDB file (no renames, no melt);
* pandas  - the reference's way: ``pd.read_csv``, alias renames, timestamp parsing,
            ``json.loads`` / ``ast.literal_eval`` per row, ``melt``;
* axis    - ``axis.load(path)``: aliases, types, records table + long scores table.

Run: ``.venv/bin/python benchmarks/bench_ingest.py [--records N]``
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

import axis_jupyter  # noqa: E402
from axis_jupyter import demo  # noqa: E402
from common import DATA, best_of_cpu, save, table  # noqa: E402

ALIASES = {"id": "dataset_id", "time": "timestamp", "input": "query", "output": "actual_output",
           "latency_ms": "latency", "env": "environment"}


def pandas_pipeline(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df = df.rename(columns=ALIASES)
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df["signals"] = [json.loads(s) if isinstance(s, str) else None for s in df["signals"]]
    df["retrieved_content"] = [ast.literal_eval(s) if isinstance(s, str) else [] for s in df["retrieved_content"]]
    scores = [c for c in df.columns if c.endswith("_score")]
    ids = [c for c in df.columns if c not in scores]
    return df.melt(id_vars=ids, value_vars=scores, var_name="metric_name", value_name="metric_score")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    path = DATA / f"monitoring_wide_{args.records}.csv"
    if not path.exists():
        demo.write(demo.monitoring_wide(args.records, seed=1), path)
    size_mb = path.stat().st_size / 1e6

    tmp = Path(tempfile.mkdtemp())

    def floor():
        # Into a table of a DuckDB file, as the store writes to a file too.
        con = duckdb.connect(str(tmp / "floor.duckdb"))
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        n = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        (tmp / "floor.duckdb").unlink()
        return n

    def axis_load():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store = axis_jupyter.LocalStore(tmp / "bench.duckdb")
            ds = store.load(path, name="mon")
            rows = ds.info["rows"]
            store.close()
        (tmp / "bench.duckdb").unlink()
        return rows

    # Interleave the rounds so a burst of load elsewhere hits every path alike.
    floor_runs, axis_runs = [], []
    for _ in range(args.repeat):
        floor_runs.append(best_of_cpu(floor, 1))
        axis_runs.append(best_of_cpu(axis_load, 1))
    t_floor, c_floor = min(r[0] for r in floor_runs), min(r[1] for r in floor_runs)
    t_axis, c_axis = min(r[0] for r in axis_runs), min(r[1] for r in axis_runs)
    n_floor, n_axis = floor_runs[-1][2], axis_runs[-1][2]
    t_pandas, c_pandas, melted = best_of_cpu(lambda: pandas_pipeline(path), 1)
    assert n_floor == args.records and n_axis == len(melted) == 5 * args.records
    rows = [
        ("DuckDB read_csv into a table (floor)", f"{t_floor:.2f}", "1.00", f"{c_floor:.2f}", "1.00"),
        ("axis.load (aliases, types, records + long scores)", f"{t_axis:.2f}", f"{t_axis / t_floor:.2f}",
         f"{c_axis:.2f}", f"{c_axis / c_floor:.2f}"),
        ("pandas pipeline (reference)", f"{t_pandas:.2f}", f"{t_pandas / t_floor:.2f}", f"{c_pandas:.2f}",
         f"{c_pandas / c_floor:.2f}"),
    ]
    result = {"records": args.records, "file_mb": round(size_mb, 1), "floor_s": t_floor, "axis_s": t_axis,
              "pandas_s": t_pandas, "axis_vs_floor": t_axis / t_floor, "pandas_vs_axis": t_pandas / t_axis,
              "cpu": {"floor_s": c_floor, "axis_s": c_axis, "pandas_s": c_pandas,
                      "axis_vs_floor": c_axis / c_floor, "pandas_vs_axis": c_pandas / c_axis}}
    save("ingest", result)
    print(f"Ingest of a wide monitoring CSV, {args.records:,} records ({size_mb:.0f} MB)\n")
    print(table(rows, ("path", "wall s", "x floor", "CPU s", "CPU x floor")))
    print(f"\nwall: axis is {t_axis / t_floor:.2f}x the floor and {t_pandas / t_axis:.1f}x faster than pandas; "
          f"CPU: {c_axis / c_floor:.2f}x the floor, {c_pandas / c_axis:.1f}x less than pandas.")


if __name__ == "__main__":
    main()
