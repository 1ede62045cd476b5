"""Issue extraction on 10,000,000 rows: AXIS (Ibis -> DuckDB SQL) vs the same rules in pandas.

    .venv/bin/python benchmarks/bench_reports.py [--rows 10000000] [--repeat 3]

Data: ``axis_jupyter.demo.eval_results`` (long tree format with text: query, outputs,
explanation, signals), 3 experiments x 10 metric-tree nodes per case, loaded into a DuckDB
file. Cases (the first is the report default):

* ``low``: score <= 0.5, every record, 200 issues with query/output/expected/critique;
* ``low sampled``: the same with ``sample_rate=0.25`` (the md5 of each record id in SQL);
* ``overall sampled``: every score of 10% of the records, 500 issues, with signals.

Baseline: the same rules in pandas on the frame already in memory (building it is not
timed), written the fast way: vectorised filters, ``hashlib.md5`` once per distinct record
id that passed the filters, ``sort_values`` on the kept rows, text columns read only for
the rows returned. The floor, for the unsampled case: hand-written DuckDB SQL. Results are
checked to agree before timing; times are the best of ``--repeat`` interleaved rounds.
Writes ``benchmarks/results/reports.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import axis_jupyter  # noqa: E402
from axis_jupyter import demo  # noqa: E402

from common import best_of_cpu, save, table  # noqa: E402

CASES = {
    "low": dict(mode="low", threshold=0.5, max_issues=200,
                fields=["query", "actual_output", "expected_output", "critique"]),
    "low sampled": dict(mode="low", threshold=0.5, sample_rate=0.25, max_issues=200,
                        fields=["query", "actual_output", "expected_output", "critique"]),
    "overall sampled": dict(mode="overall", sample_rate=0.1, max_issues=500,
                            fields=["query", "signals", "critique"]),
}


def pandas_issues(df: pd.DataFrame, mode="low", threshold=0.5, sample_rate=1.0,
                  max_issues=200, fields=()) -> pd.DataFrame:
    s = df["metric_score"]
    keep = s.notna()
    if mode == "low":
        keep &= s <= threshold
    elif mode == "high":
        keep &= s > threshold
    rows = df.loc[keep, ["dataset_id", "metric_name", "metric_score", "evaluation_name"]]
    if sample_rate < 1:
        limit = sample_rate * 1000
        ids = rows["dataset_id"].unique()
        picked = [i for i in ids
                  if int(hashlib.md5(str(i).encode()).hexdigest(), 16) % 1000 < limit]
        rows = rows[rows["dataset_id"].isin(picked)]
    rows = rows.sort_values(["metric_score", "dataset_id", "metric_name", "evaluation_name"],
                            ascending=[mode == "low", True, True, True], kind="stable")
    top = rows.head(max_issues)
    out = top.rename(columns={"dataset_id": "record_id"}).copy()
    for f in fields:
        src = "explanation" if f == "critique" else f
        out[f] = df.loc[top.index, src].to_numpy()
    return out.reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    n_cases = -(-args.rows // 30)
    t0 = time.perf_counter()
    arrow = demo.eval_results(n_cases, seed=1)
    gen_s = time.perf_counter() - t0
    store = axis_jupyter.LocalStore(Path(tempfile.mkdtemp(prefix="axis-bench-rep-")) / "b.duckdb")
    t0 = time.perf_counter()
    store.load(arrow, name="evals", kind="evals")
    load_s = time.perf_counter() - t0
    frame = arrow.select(["dataset_id", "evaluation_name", "metric_name", "metric_score",
                          "query", "actual_output", "expected_output", "explanation",
                          "signals"]).to_pandas()
    del arrow
    rows = store.info("evals")["rows"]
    print(f"{rows:,} rows; generated in {gen_s:.1f} s, loaded in {load_s:.1f} s", flush=True)

    floor_sql = ("SELECT dataset_id AS record_id, metric_name, metric_score, evaluation_name, "
                 "query, actual_output, expected_output, explanation AS critique FROM evals "
                 "WHERE metric_score <= 0.5 AND NOT isnan(metric_score) ORDER BY metric_score, "
                 "dataset_id, metric_name, evaluation_name LIMIT 200")

    def axis(case):
        return lambda: store.analytic("evals", "issues", **CASES[case])

    def pandas(case):
        return lambda: pandas_issues(frame, **CASES[case])

    def floor():
        return store.read(lambda cur: cur.execute(floor_sql).df())

    # agreement first: same rows, same order
    for case in CASES:
        a, p = axis(case)(), pandas(case)()
        assert list(a["record_id"]) == list(p["record_id"]), case
        assert np.allclose(a["metric_score"], p["metric_score"]), case
        assert list(a["metric_name"]) == list(p["metric_name"]), case
    assert list(floor()["record_id"]) == list(axis("low")()["record_id"])

    results: dict[str, dict] = {c: {"axis": [], "pandas": [], "axis_cpu": [], "pandas_cpu": []}
                                for c in CASES}
    results["low"]["floor"], results["low"]["floor_cpu"] = [], []
    for _ in range(args.repeat):  # interleaved rounds: noise hits every path alike
        for case in CASES:
            for name, fn in (("axis", axis(case)), ("pandas", pandas(case))):
                wall, cpu, _ = best_of_cpu(fn, 1)
                results[case][name].append(wall)
                results[case][name + "_cpu"].append(cpu)
        wall, cpu, _ = best_of_cpu(floor, 1)
        results["low"]["floor"].append(wall)
        results["low"]["floor_cpu"].append(cpu)

    out_rows, summary = [], {}
    for case, r in results.items():
        ax, pd_ = min(r["axis"]), min(r["pandas"])
        fl = min(r["floor"]) if "floor" in r else None
        summary[case] = {"axis_s": ax, "pandas_s": pd_, "floor_s": fl,
                         "axis_cpu_s": min(r["axis_cpu"]), "pandas_cpu_s": min(r["pandas_cpu"]),
                         "pandas_over_axis": pd_ / ax, "axis_over_floor": ax / fl if fl else None,
                         "all": r}
        out_rows.append((case, f"{ax:.3f}", f"{pd_:.3f}", f"{pd_ / ax:.1f}×",
                         f"{fl:.3f}" if fl else "—", f"{ax / fl:.2f}×" if fl else "—"))
    print(table(out_rows, ("case", "AXIS s", "pandas s", "pandas / AXIS", "DuckDB SQL floor s",
                           "AXIS / floor")))
    save("reports", {"rows": rows, "generate_s": gen_s, "load_s": load_s, "cases": summary})
    store.close()


if __name__ == "__main__":
    main()
