"""Human signals: building the cases table from 1,000,000 signal rows (100,000 cases x 10
metrics), AXIS in DuckDB vs a pandas implementation of the same rules.

    .venv/bin/python benchmarks/bench_signals.py [--cases 100000] [--repeat 3]

Data: ``axis_jupyter.demo_signals.signal_rows`` - JSON signals with every signal type, two
common metadata keys, the category-dict form on one row in ten of one metric, and each
case's conversation, stats and additional input on each of its rows (as the reference's
export has them). Timed:

* **axis build** - the cases table and schema (``axis_jupyter.signals.cases.build``) on the
  loaded long table, in one write transaction, as load and sync run it;
* **axis load** - ``axis.load(frame, kind="signals")`` end to end (long table + cases);
* **pandas** - the reference's rules row by row over the frame in memory
  (``tests/signals/signals_pandas_rules.py``, the implementation the tests compare with:
  schema discovery, then one dict per case). Run once: it takes minutes.

The results are checked to agree (cases, a rate and a median) before timing. Writes
``benchmarks/results/signals.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "signals"))

import axis_jupyter  # noqa: E402
from axis_jupyter import demo_signals  # noqa: E402
from axis_jupyter.ingest.build import Built  # noqa: E402
from axis_jupyter.signals import cases as case_build  # noqa: E402
from common import best_of_cpu, cpu_seconds, save, table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import signals_pandas_rules as R

    t0 = time.perf_counter()
    arrow = demo_signals.signal_rows(args.cases, seed=11, category_share=0.1)
    frame = arrow.to_pandas()
    print(f"generated {arrow.num_rows:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        store = axis_jupyter.LocalStore(Path(tmp) / "bench.duckdb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_wall, load_cpu, ds = best_of_cpu(lambda: store.load(arrow, name="hs", kind="signals"),
                                                  args.repeat)
        info = store.info("hs")

        def build():
            built = Built("signals", "long", None, info["scores_table"], [])

            # replaces the dataset's own cases table with the same one (CREATE OR REPLACE)
            store.write(lambda cur: case_build.build(cur, built))
            return built

        built_wall, built_cpu, built = best_of_cpu(build, args.repeat)
        got = store.analytic("hs", "cases")
        kpis = store.analytic("hs", "signal_kpis").set_index("key")

        t0 = time.perf_counter()
        c0 = _cpu()
        sch = R.schema(frame)
        exp = R.cases(frame, sch)
        pandas_wall, pandas_cpu = time.perf_counter() - t0, _cpu() - c0
        store.close()

    assert len(got) == len(exp) == args.cases
    assert got.dataset_id.tolist() == exp.dataset_id.tolist()
    rate = exp["escalation_type__is_escalated"].map(R.truthy).sum() / len(exp)
    assert abs(kpis.at["escalation_type__is_escalated", "value"] - rate) < 1e-12
    med = R.kpi(exp, {"metric": "resolution_status", "signal": "time_to_resolution_seconds", "aggregation": "median"})[0]
    assert abs(kpis.at["resolution_status__time_to_resolution_seconds", "value"] - med) < 1e-9
    assert built.extras["signals"]["metrics"].keys() == sch["metrics"].keys()

    rows = [("AXIS: cases table + schema in DuckDB", f"{built_wall:.2f}", f"{built_cpu:.2f}", "1.00"),
            ("AXIS: `axis.load` (long table + cases)", f"{load_wall:.2f}", f"{load_cpu:.2f}",
             f"{load_wall / built_wall:.2f}"),
            ("pandas, the same rules row by row", f"{pandas_wall:.2f}", f"{pandas_cpu:.2f}",
             f"{pandas_wall / built_wall:.1f}")]
    print(table(rows, ("path", "wall s", "CPU s", "× AXIS build")))
    print(f"\npandas / AXIS build: {pandas_wall / built_wall:.1f}x; pandas / AXIS load: {pandas_wall / load_wall:.1f}x")
    save("signals", {"rows": arrow.num_rows, "cases": args.cases, "repeat": args.repeat,
                     "axis_build": {"wall": built_wall, "cpu": built_cpu},
                     "axis_load": {"wall": load_wall, "cpu": load_cpu},
                     "pandas": {"wall": pandas_wall, "cpu": pandas_cpu},
                     "ratio_pandas_over_build": pandas_wall / built_wall,
                     "ratio_pandas_over_load": pandas_wall / load_wall})


def _cpu() -> float:
    return cpu_seconds()


if __name__ == "__main__":
    main()
