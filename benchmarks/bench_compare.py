"""Compare benchmark (issue 4): 10,000,000 rows = two experiments x 500,000 cases x 10 metrics.

Side by side in one run, on the same data:

* floor   - the aggregates ``compare`` needs, hand-written in DuckDB SQL (per-case pivot,
            per-metric moments of both sides and of the paired differences, Wilcoxon
            signed-rank sum with average ranks and the tie term), on the store's table; the
            fastest of five variants (grouping by (metric, case) with the CTE inlined or
            materialized; a pivot by case with one grouping by (metric, |d|), or with
            moments and ranks as two groupings; and the plan AXIS uses, written by hand: a
            pivot by (case, side), the sides joined by case, moments and ranks apart);
* axis    - ``aggregates``: the same aggregates built as Ibis expressions by
            ``axis_jupyter.analytics.compare`` (compiled and run on DuckDB, compile time
            included); ``compare``: the whole ``compare()`` call (aggregates + the Python
            formulas + scipy distributions + Holm);
* pandas  - the whole compare with pandas and scipy.stats on a frame already in memory
            (``groupby().mean().unstack()`` per case, then ``ttest_rel``, ``wilcoxon``,
            ``ttest_ind`` per metric). Loading the frame is *not* counted, which favours
            pandas.

Goals: axis aggregates within 1.5x of the floor; the whole compare >= 5x faster than pandas.
Run: ``.venv/bin/python benchmarks/bench_compare.py [--cases N] [--repeat R]``.
Writes ``benchmarks/results/compare.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import axis_jupyter  # noqa: E402
from axis_jupyter import demo  # noqa: E402
from axis_jupyter.analytics import compare as C  # noqa: E402
from common import best_of, save, table  # noqa: E402

BASE, CHAL = "baseline", "candidate_a"

FLOOR_SQL = """
WITH k AS {materialized} (
  SELECT metric_name, dataset_id,
         avg(metric_score) FILTER (WHERE evaluation_name = '{b}') AS b,
         avg(metric_score) FILTER (WHERE evaluation_name = '{c}') AS c
  FROM "{table}"
  WHERE evaluation_name IN ('{b}', '{c}') AND metric_name IS NOT NULL
    AND metric_score IS NOT NULL AND NOT isnan(metric_score) AND dataset_id IS NOT NULL
  GROUP BY metric_name, dataset_id
), m AS (
  SELECT metric_name,
         count(b) AS n_b, avg(b) AS mean_b, var_samp(b) AS var_b,
         count(c) AS n_c, avg(c) AS mean_c, var_samp(c) AS var_c,
         count(c - b) AS n_p, avg(c - b) AS mean_d, var_samp(c - b) AS var_d
  FROM k GROUP BY metric_name
), g AS (
  SELECT metric_name, abs(c - b) AS ad, count(*) AS t, count(*) FILTER (WHERE c > b) AS npos
  FROM k WHERE c - b <> 0 GROUP BY metric_name, abs(c - b)
), r AS (
  SELECT metric_name, t, npos,
         sum(t) OVER (PARTITION BY metric_name ORDER BY ad ROWS UNBOUNDED PRECEDING) - (t - 1) / 2.0 AS avg_rank
  FROM g
), w AS (
  SELECT metric_name, sum(t) AS n_nz, sum(npos * avg_rank) AS w_plus,
         sum(CAST(t AS DOUBLE) * t * t - t) AS ties
  FROM r GROUP BY metric_name
)
SELECT m.*, w.n_nz, w.w_plus, w.ties FROM m LEFT JOIN w USING (metric_name) ORDER BY metric_name
"""


def wide_floor_sql(table: str, metrics: list[str]) -> str:
    """The same aggregates the way AXIS builds them (pivot by case with integer codes, one
    grouping by (metric, |d|), a window pass), written by hand."""
    code = ("CASE metric_name " + " ".join(f"WHEN '{m}' THEN {i}" for i, m in enumerate(metrics))
            + f" END * 2 + CASE WHEN evaluation_name = '{CHAL}' THEN 1 ELSE 0 END")
    aggs = ", ".join(f"avg(s) FILTER (WHERE code = {2 * i}) AS b{i}, avg(s) FILTER (WHERE code = {2 * i + 1}) AS c{i}"
                     for i in range(len(metrics)))
    union = " UNION ALL ".join(f"SELECT '{m}' AS metric_name, b{i} AS b, c{i} AS c FROM p"
                               for i, m in enumerate(metrics))
    return f"""
WITH p AS (
  SELECT dataset_id, {aggs}
  FROM (SELECT dataset_id, metric_score AS s, {code} AS code FROM "{table}"
        WHERE evaluation_name IN ('{BASE}', '{CHAL}') AND metric_name IS NOT NULL
          AND metric_score IS NOT NULL AND NOT isnan(metric_score) AND dataset_id IS NOT NULL)
  GROUP BY dataset_id
), l AS ({union}),
g AS (
  SELECT metric_name, abs(c - b) AS ad,
         count(b) AS nb, avg(b) AS mb, coalesce(var_pop(b), 0) * count(b) AS m2b,
         count(c) AS nc, avg(c) AS mc, coalesce(var_pop(c), 0) * count(c) AS m2c,
         count(c - b) AS nd, avg(c - b) AS md, coalesce(var_pop(c - b), 0) * count(c - b) AS m2d,
         count(*) FILTER (WHERE c <> b) AS t, count(*) FILTER (WHERE c > b) AS npos
  FROM l GROUP BY metric_name, abs(c - b)
), r AS (
  SELECT *, sum(t) OVER (PARTITION BY metric_name ORDER BY ad ROWS UNBOUNDED PRECEDING) - (t - 1) / 2.0 AS ar,
         sum(nb * mb) OVER w / nullif(sum(nb) OVER w, 0) AS gb,
         sum(nc * mc) OVER w / nullif(sum(nc) OVER w, 0) AS gc,
         sum(nd * md) OVER w / nullif(sum(nd) OVER w, 0) AS gd
  FROM g WINDOW w AS (PARTITION BY metric_name)
)
SELECT metric_name,
       sum(nb) AS n_b, max(gb) AS mean_b, (sum(m2b) + sum(nb * (mb - gb) ^ 2)) / nullif(sum(nb) - 1, 0) AS var_b,
       sum(nc) AS n_c, max(gc) AS mean_c, (sum(m2c) + sum(nc * (mc - gc) ^ 2)) / nullif(sum(nc) - 1, 0) AS var_c,
       sum(nd) AS n_p, max(gd) AS mean_d, (sum(m2d) + sum(nd * (md - gd) ^ 2)) / nullif(sum(nd) - 1, 0) AS var_d,
       sum(t) AS n_nz, sum(npos * ar) FILTER (WHERE ad > 0) AS w_plus,
       sum(CAST(t AS DOUBLE) * t * t - t) FILTER (WHERE ad > 0) AS ties
FROM r GROUP BY metric_name ORDER BY metric_name
"""


def split_floor_sql(table: str, metrics: list[str]) -> str:
    """The plan AXIS uses now, by hand: the same pivot by case, then the per-metric moments
    and the rank statistics of the non-zero differences as two groupings, joined."""
    head = wide_floor_sql(table, metrics).split("\ng AS (")[0]
    return head + """
mo AS (
  SELECT metric_name, count(b) AS n_b, avg(b) AS mean_b, var_samp(b) AS var_b,
         count(c) AS n_c, avg(c) AS mean_c, var_samp(c) AS var_c,
         count(c - b) AS n_p, avg(c - b) AS mean_d, var_samp(c - b) AS var_d
  FROM l GROUP BY metric_name
), g AS (
  SELECT metric_name, abs(c - b) AS ad, count(*) AS t, count(*) FILTER (WHERE c > b) AS npos
  FROM l WHERE c <> b GROUP BY metric_name, abs(c - b)
), r AS (
  SELECT metric_name, t, npos,
         sum(t) OVER (PARTITION BY metric_name ORDER BY ad ROWS UNBOUNDED PRECEDING) - (t - 1) / 2.0 AS ar
  FROM g
), w AS (
  SELECT metric_name, sum(t) AS n_nz, sum(npos * ar) AS w_plus,
         sum(CAST(t AS DOUBLE) * t * t - t) AS ties FROM r GROUP BY metric_name
)
SELECT mo.*, coalesce(w.n_nz, 0) AS n_nz, w.w_plus, w.ties
FROM mo LEFT JOIN w USING (metric_name) ORDER BY metric_name
"""


def side_floor_sql(table: str, metrics: list[str]) -> str:
    """The plan AXIS uses, by hand: a pivot by (case, side) with one filtered mean per metric,
    the two sides joined by case, then moments and ranks as two groupings."""
    n = len(metrics)
    mi = "CASE metric_name " + " ".join(f"WHEN '{m}' THEN {i}" for i, m in enumerate(metrics)) + " END"
    aggs = ", ".join(f"avg(s) FILTER (WHERE mi = {i}) AS a{i}" for i in range(n))
    cols = ", ".join(f"pb.a{i} AS b{i}, pc.a{i} AS c{i}" for i in range(n))
    union = " UNION ALL ".join(f"SELECT '{m}' AS metric_name, b{i} AS b, c{i} AS c FROM j"
                               for i, m in enumerate(metrics))
    tail = split_floor_sql(table, metrics).split("\nmo AS (", 1)[1]
    return f"""
WITH p AS (
  SELECT dataset_id, side, {aggs}
  FROM (SELECT dataset_id, metric_score AS s, {mi} AS mi, evaluation_name = '{CHAL}' AS side FROM "{table}"
        WHERE evaluation_name IN ('{BASE}', '{CHAL}') AND metric_name IS NOT NULL
          AND metric_score IS NOT NULL AND NOT isnan(metric_score) AND dataset_id IS NOT NULL)
  GROUP BY dataset_id, side
), pb AS (SELECT * FROM p WHERE NOT side), pc AS (SELECT * FROM p WHERE side),
j AS (SELECT {cols} FROM pb FULL JOIN pc USING (dataset_id)),
l AS ({union}),
mo AS (""" + tail


def pandas_compare(df: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The same comparison with pandas and scipy.stats (the reference's way of working)."""
    from scipy import stats

    d = df[df.evaluation_name.isin([BASE, CHAL]) & df.metric_score.notna()]
    k = d.groupby(["metric_name", "dataset_id", "evaluation_name"], observed=True)["metric_score"] \
        .mean().unstack("evaluation_name")
    rows = []
    for metric, g in k.groupby(level="metric_name", observed=True):
        b, c = g[BASE].dropna().to_numpy(), g[CHAL].dropna().to_numpy()
        both = g[[BASE, CHAL]].dropna()
        pb, pc = both[BASE].to_numpy(), both[CHAL].to_numpy()
        rel = stats.ttest_rel(pc, pb)
        ci = rel.confidence_interval(1 - alpha)
        wil = stats.wilcoxon(pc - pb)
        welch = stats.ttest_ind(c, b, equal_var=False)
        nb, nc = len(b), len(c)
        sp = math.sqrt(((nb - 1) * b.var(ddof=1) + (nc - 1) * c.var(ddof=1)) / (nb + nc - 2))
        rows.append({"metric_name": metric, "baseline_mean": b.mean(), "challenger_mean": c.mean(),
                     "delta": c.mean() - b.mean(), "p_value": rel.pvalue, "wilcoxon_p": wil.pvalue,
                     "welch_p": welch.pvalue, "cohens_d": (c.mean() - b.mean()) / sp,
                     "ci_low": ci.low, "ci_high": ci.high, "n_pairs": len(pb)})
    out = pd.DataFrame(rows)
    out["p_value_adjusted"] = C.holm(out["p_value"].to_numpy())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-pandas", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = demo.eval_results(args.cases, experiments={BASE: 0.0, CHAL: 0.04}, seed=1, text=False)
    rows = data.num_rows
    gen_s = time.perf_counter() - t0
    tmp = tempfile.mkdtemp(prefix="axis-bench-compare-")
    store = axis_jupyter.LocalStore(Path(tmp) / "bench.duckdb")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(data, name="bench", kind="evals")
    load_s = time.perf_counter() - t0
    table_name = store.info("bench")["scores_table"]
    metrics = store.info("bench")["metrics"]
    print(f"{rows:,} rows ({args.cases:,} cases x 2 experiments x {len(metrics)} metrics); "
          f"generated in {gen_s:.1f} s, loaded in {load_s:.1f} s", flush=True)

    def on_cursor(fn):
        return lambda: store.read(fn)

    # The floor is the fastest of the hand-written SQL variants. All paths run round-robin
    # (one run of each per round, best of the rounds) so a busy machine slows them alike.
    variants = {f"long, CTE {mat or 'inline'}": FLOOR_SQL.format(materialized=mat, b=BASE, c=CHAL, table=table_name)
                for mat in ("", "MATERIALIZED")}
    variants["pivot by case + one grouping"] = wide_floor_sql(table_name, sorted(metrics))
    variants["pivot by case + moments and ranks apart"] = split_floor_sql(table_name, sorted(metrics))
    variants["pivot by (case, side), joined + moments and ranks apart"] = side_floor_sql(table_name, sorted(metrics))

    def axis_aggregates(cur):
        ctx = store.context(cur, "bench")
        names = C.metric_names(ctx, [BASE, CHAL])
        return ctx.execute(C.aggregates_expr(C.paired_long(ctx, BASE, CHAL, names)))

    paths = {f"sql: {name}": on_cursor(lambda cur, sql=sql: cur.execute(sql).df()) for name, sql in variants.items()}
    paths["axis aggregates"] = on_cursor(axis_aggregates)
    paths["axis compare"] = lambda: store.analytic("bench", "compare", baseline=BASE, challenger=CHAL)
    times: dict[str, list[float]] = {k: [] for k in paths}
    results: dict[str, object] = {}
    for rnd in range(args.repeat):
        for name, fn in paths.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
            print(f"  round {rnd + 1}: {name}: {times[name][-1]:.3f} s", flush=True)
    best = {k: min(v) for k, v in times.items()}
    floors = {k[5:]: (best[k], results[k]) for k in paths if k.startswith("sql: ")}
    floor_kind = min(floors, key=lambda k: floors[k][0])
    floor_s, floor_df = floors[floor_kind]
    agg_s, agg_df = best["axis aggregates"], results["axis aggregates"]
    compare_s, res = best["axis compare"], results["axis compare"]
    print(f"floor (hand-written SQL: {floor_kind}): {floor_s:.3f} s; axis aggregates {agg_s:.3f} s; "
          f"axis compare() {compare_s:.3f} s", flush=True)

    # Same numbers from both SQL paths.
    a = agg_df.sort_values("metric_name").reset_index(drop=True)
    for _, fdf in floors.values():
        f = fdf.sort_values("metric_name").reset_index(drop=True)
        for col in ("n_b", "mean_b", "var_b", "n_p", "mean_d", "var_d", "n_nz", "w_plus", "ties"):
            np.testing.assert_allclose(a[col].astype(float), f[col].astype(float), rtol=1e-9)

    pandas_s = None
    if not args.skip_pandas:
        t0 = time.perf_counter()
        frame = store.read(lambda cur: cur.execute(
            f'SELECT dataset_id, evaluation_name, metric_name, metric_score FROM "{table_name}"').df())
        frame_s = time.perf_counter() - t0
        pandas_s, pres = best_of(lambda: pandas_compare(frame), max(1, min(args.repeat, 2)))
        print(f"pandas + scipy compare (frame in memory; fetching it took {frame_s:.1f} s): "
              f"{pandas_s:.3f} s", flush=True)
        r = res.set_index("metric_name").loc[pres.metric_name]
        for col in ("baseline_mean", "delta", "p_value", "wilcoxon_p", "cohens_d", "ci_low", "ci_high",
                    "p_value_adjusted"):
            np.testing.assert_allclose(r[col].to_numpy(float), pres[col].to_numpy(float), rtol=1e-6, atol=1e-300)
        del frame

    ratio_floor = agg_s / floor_s
    speedup = pandas_s / compare_s if pandas_s else None
    rows_md = [
        ("floor: hand-written DuckDB SQL (aggregates)", f"{floor_s:.3f}", "1.00x", ""),
        ("axis: Ibis aggregates on DuckDB", f"{agg_s:.3f}", f"{ratio_floor:.2f}x floor",
         "goal <= 1.5x: " + ("met" if ratio_floor <= 1.5 else "NOT met")),
        ("axis: whole compare()", f"{compare_s:.3f}", f"{compare_s / floor_s:.2f}x floor", ""),
    ]
    if pandas_s:
        rows_md.append(("pandas + scipy: whole compare", f"{pandas_s:.3f}", f"{speedup:.1f}x slower than axis",
                        "goal >= 5x: " + ("met" if speedup >= 5 else "NOT met")))
    print()
    print(f"compare on {rows:,} rows (best of {args.repeat}):")
    print(table(rows_md, ("path", "seconds", "ratio", "goal")))
    path = save("compare", {
        "rows": rows, "cases": args.cases, "experiments": 2, "metrics": len(metrics),
        "repeat": args.repeat, "load_seconds": round(load_s, 3),
        "floor_seconds": round(floor_s, 4), "floor_variant": floor_kind,
        "floor_variants": {k: round(v[0], 4) for k, v in floors.items()},
        "all_runs_seconds": {k: [round(x, 4) for x in v] for k, v in times.items()},
        "axis_aggregates_seconds": round(agg_s, 4), "axis_compare_seconds": round(compare_s, 4),
        "pandas_scipy_seconds": round(pandas_s, 4) if pandas_s else None,
        "aggregates_vs_floor": round(ratio_floor, 3),
        "pandas_vs_axis_compare": round(speedup, 2) if speedup else None,
        "goals": {"aggregates_within_1_5x_floor": ratio_floor <= 1.5,
                  "compare_5x_faster_than_pandas": (speedup >= 5) if speedup else None},
    })
    print(f"\nwrote {path}")
    store.close()


if __name__ == "__main__":
    main()
