"""Analytics benchmark (issue 2): evaluation summary by experiment over 10,000,000 rows.

Side by side in one run, on the same DuckDB store file:

* floor  - the same aggregate as hand-written DuckDB SQL;
* axis   - ``ds.summary(by="evaluation_name")`` (Ibis expression -> DuckDB, DataFrame back);
* pandas - ``groupby`` on the frame already in memory.

Peak memory of ``ds.summary`` is measured in a fresh process (ru_maxrss growth), so the
pandas frame of the comparison does not count: rows must never come into Python.

Run: ``.venv/bin/python benchmarks/bench_analytics.py [--rows N]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import axis_jupyter  # noqa: E402
from axis_jupyter import demo  # noqa: E402
from common import DATA, best_of, best_of_cpu, save, table  # noqa: E402

FLOOR_SQL = """
SELECT evaluation_name, metric_name, count(metric_score) AS count, avg(metric_score) AS mean,
       stddev_samp(metric_score) AS std, min(metric_score) AS min, max(metric_score) AS max,
       avg(CAST(metric_score >= 0.5 AS INTEGER)) AS pass_rate
FROM {table} WHERE metric_name IS NOT NULL AND metric_score IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
"""

MEMORY_PROBE = """
import json, resource, sys
import axis_jupyter
store = axis_jupyter.LocalStore(sys.argv[1])
ds = store.dataset("evals10m")
ds.summary(by="evaluation_name")  # warm: schema cache, DuckDB buffers
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(3):
    ds.summary(by="evaluation_name")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_mb": before / 1024, "after_mb": after / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n_cases = -(-args.rows // 30)  # 3 experiments x 10 metric-tree nodes per case
    path = DATA / f"evals_{n_cases * 30}.duckdb"
    DATA.mkdir(parents=True, exist_ok=True)
    frame = demo.eval_results(n_cases, seed=1, text=False)
    if not path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = axis_jupyter.LocalStore(path)
            s.load(frame, name="evals10m", kind="evals")
            s.close()
    store = axis_jupyter.LocalStore(path)
    ds = store.dataset("evals10m")
    scores_table = store.info("evals10m")["scores_table"]
    sql = FLOOR_SQL.format(table=f'"{scores_table}"')

    floor_runs, axis_runs = [], []
    for _ in range(args.repeat):  # interleaved rounds
        floor_runs.append(best_of_cpu(lambda: store.read(lambda cur: cur.execute(sql).df()), 1))
        axis_runs.append(best_of_cpu(lambda: ds.summary(by="evaluation_name"), 1))
    t_floor, c_floor, floor_df = min(r[0] for r in floor_runs), min(r[1] for r in floor_runs), floor_runs[-1][2]
    t_axis, c_axis, axis_df = min(r[0] for r in axis_runs), min(r[1] for r in axis_runs), axis_runs[-1][2]
    pdf = frame.to_pandas()

    def pandas_summary():
        d = pdf.dropna(subset=["metric_score"])
        g = d.groupby(["evaluation_name", "metric_name"]).metric_score
        out = g.agg(["count", "mean", "std", "min", "max"])
        out["pass_rate"] = (d.metric_score >= 0.5).groupby([d.evaluation_name, d.metric_name]).mean()
        return out

    t_pandas, c_pandas, pandas_df = best_of_cpu(pandas_summary, args.repeat)
    assert len(axis_df) == len(floor_df) == len(pandas_df)
    store.close()
    probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path)], capture_output=True, text=True,
                           check=True, cwd=Path(__file__).resolve().parents[1])
    mem = json.loads(probe.stdout.strip().splitlines()[-1])
    growth = mem["after_mb"] - mem["before_mb"]
    rows = [
        ("hand-written DuckDB SQL (floor)", f"{t_floor * 1000:.0f}", "1.00", f"{c_floor * 1000:.0f}", "1.00"),
        ("ds.summary(by='evaluation_name')", f"{t_axis * 1000:.0f}", f"{t_axis / t_floor:.2f}",
         f"{c_axis * 1000:.0f}", f"{c_axis / c_floor:.2f}"),
        ("pandas groupby on the in-memory frame", f"{t_pandas * 1000:.0f}", f"{t_pandas / t_floor:.2f}",
         f"{c_pandas * 1000:.0f}", f"{c_pandas / c_floor:.2f}"),
    ]
    save("analytics", {"rows": n_cases * 30, "floor_s": t_floor, "axis_s": t_axis, "pandas_s": t_pandas,
                       "axis_vs_floor": t_axis / t_floor, "pandas_vs_axis": t_pandas / t_axis,
                       "cpu": {"floor_s": c_floor, "axis_s": c_axis, "pandas_s": c_pandas},
                       "peak_rss_growth_mb": growth})
    print(f"Evaluation summary by experiment, {n_cases * 30:,} rows (best of {args.repeat})\n")
    print(table(rows, ("path", "wall ms", "x floor", "CPU ms", "CPU x floor")))
    print(f"\naxis is {t_axis / t_floor:.2f}x the floor, {t_pandas / t_axis:.1f}x faster than pandas; "
          f"peak RSS grew {growth:.0f} MB over 3 summaries.")


if __name__ == "__main__":
    main()
