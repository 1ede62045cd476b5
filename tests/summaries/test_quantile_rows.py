"""binned.quantile_rows: the monitor's percentiles from binned rows, reduced in numpy.

With one value per bin (a bin's min = max) every order statistic is exact, so the result must
equal numpy's linear quantile (``quantile_cont``) of the values themselves: groups with
ties, a single value, a null key, a bin of values without one, and an empty group."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from axis_jupyter.summaries import binned

QS = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
GROUPS = {  # (source, bucket) -> values
    ("Atlas", "2026-01-01"): [3.0, 1.0, 2.0, 2.0, 2.0, 10.0, 7.5],
    ("Atlas", "2026-01-02"): [4.25],
    (None, "2026-01-01"): [0.5, 0.5, 9.0, 1.5],
    ("Nova", None): list(np.linspace(1, 50, 37)),
}


def binned_rows() -> pd.DataFrame:
    """One row per distinct value (bin = its rank among all values), n = its ties; plus, per
    group, a row with a null bin (records without a value: counted by ``records`` only)."""
    ranks = {v: i for i, v in enumerate(sorted({v for vs in GROUPS.values() for v in vs}))}
    rows = []
    for (source, bucket), values in GROUPS.items():
        for v, n in pd.Series(values).value_counts().items():
            rows.append((source, bucket, ranks[v], n, n, float(v), float(v), float(v) * n))
        rows.append((source, bucket, None, 0, 3, None, None, None))
    rows.append(("Vega", "2026-01-03", None, 0, 2, None, None, None))  # no values at all
    df = pd.DataFrame(rows, columns=["source_name", "bucket", "bin", "_lat", "records", "min", "max", "total"])
    df["bucket"] = pd.to_datetime(df["bucket"])
    return df


@pytest.mark.parametrize("fetch", ["duckdb", "frame"])
def test_one_value_per_bin_gives_numpys_quantiles(fetch):
    df = binned_rows()
    ranks = sorted({v for vs in GROUPS.values() for v in vs})

    def estimate(b):  # each bin's own value: what clamping to its min = max gives anyway
        return np.asarray(ranks)[b] + 1000.0  # off on purpose: the clamp must correct it

    if fetch == "duckdb":  # what ctx.arrays gives: masked arrays, sorted by the query
        con = duckdb.connect()
        con.register("b", df)
        cols = con.execute("SELECT * FROM b ORDER BY source_name, bucket, bin").fetchnumpy()
    else:
        cols = df.sort_values(["source_name", "bucket", "bin"], na_position="last")
    out = binned.quantile_rows(cols, ["source_name", "bucket"], QS, estimate, n="_lat", sums=["records", "total"])

    assert len(out) == len(GROUPS) + 1
    for (source, bucket), values in GROUPS.items():
        row = out[(out["source_name"].isna() if source is None else out["source_name"] == source)
                  & (out["bucket"].isna() if bucket is None else out["bucket"] == pd.Timestamp(bucket))]
        assert len(row) == 1, (source, bucket)
        row = row.iloc[0]
        assert row["count"] == len(values)
        assert row["records"] == len(values) + 3
        assert row["total"] == pytest.approx(sum(values))
        assert (row["min"], row["max"]) == (min(values), max(values))
        for name, q in QS.items():
            assert row[name] == pytest.approx(np.quantile(values, q), abs=1e-12), (source, bucket, name)
    empty = out[out["source_name"] == "Vega"].iloc[0]
    assert empty["count"] == 0 and empty["records"] == 2
    assert all(np.isnan(empty[c]) for c in ("min", "max", "total", *QS))


def test_no_rows_gives_the_columns():
    cols = {c: np.array([]) for c in ("source_name", "bucket", "bin", "n", "min", "max")}
    out = binned.quantile_rows(cols, ["source_name", "bucket"], {"p95": 0.95}, np.asarray)
    assert out.empty and list(out.columns) == ["source_name", "bucket", "count", "min", "max", "p95"]
