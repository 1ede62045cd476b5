"""Attached datasets answer like their DuckDB-loaded copies: analytics, the scorecard,
compare and monitor payloads, rows, on PostgreSQL and on local Spark (issue 17).

Tolerance: 1e-9 relative for every number (float sums in another order). No engine
approximates: quantiles are exact on all three (see tests/foundation/test_analytics.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.payloads import compare, monitor, scorecard

RTOL = 1e-9
ENGINES = ["postgres", "spark"]


def _same_frame(got: pd.DataFrame, exp: pd.DataFrame, keys: list[str]) -> None:
    got = got.sort_values(keys).reset_index(drop=True)
    exp = exp.sort_values(keys).reset_index(drop=True)
    assert list(got.columns) == list(exp.columns)
    assert len(got) == len(exp) > 0
    for c in exp.columns:
        if pd.api.types.is_numeric_dtype(exp[c]) and not pd.api.types.is_bool_dtype(exp[c]):
            np.testing.assert_allclose(got[c].astype(float), exp[c].astype(float), rtol=RTOL,
                                       atol=RTOL, err_msg=c)
        else:
            assert got[c].astype(str).tolist() == exp[c].astype(str).tolist(), c


@pytest.mark.parametrize("engine", ENGINES)
def test_scorecard_of_attached_matches_duckdb_copy(xstore, attached, engine):
    """The view test of the issue: the scorecard's cards and metric rows of a dataset that
    stays in the engine equal those of the same data loaded into DuckDB."""
    ev, _ = attached(engine)
    got, exp = scorecard.payload(xstore, ev), scorecard.payload(xstore, "ev_duck")
    assert set(got["kpis"]) == set(exp["kpis"])
    for k, v in exp["kpis"].items():
        assert got["kpis"][k] == pytest.approx(v, rel=RTOL), k
    assert exp["kpis"]["test_cases"] == 40
    key = lambda r: (str(r.get("evaluation_name")), str(r.get("metric_name")))  # noqa: E731
    g_rows, e_rows = sorted(got["rows"], key=key), sorted(exp["rows"], key=key)
    assert len(g_rows) == len(e_rows) > 0
    for g, e in zip(g_rows, e_rows):
        for f, v in e.items():
            if isinstance(v, float):
                assert g[f] == pytest.approx(v, rel=RTOL, abs=RTOL), f
            else:
                assert g[f] == v, f


@pytest.mark.parametrize("engine", ENGINES)
def test_summary_and_comparison_match(xstore, attached, engine):
    ev, _ = attached(engine)
    a, d = xstore.dataset(ev), xstore.dataset("ev_duck")
    _same_frame(a.summary(), d.summary(), ["metric_name"])
    _same_frame(a.comparison(by="evaluation_name"), d.comparison(by="evaluation_name"),
                ["group", "metric_name"])


def test_metadata_only_and_counted_on_the_engine(xstore, attached):
    """The store holds no table of an attached dataset; its counts, filter values and time
    range were computed by the engine and equal the loaded copy's."""
    ev, mo = attached("postgres")
    duck_tables = set(xstore.read(lambda cur: [r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()]))
    for name, ref in ((ev, "ev_duck"), (mo, "mo_duck")):
        info, ref_info = xstore.info(name), xstore.info(ref)
        assert info["tables"] == [] and not any(name in t for t in duck_tables)
        assert (info["rows"], info["records"]) == (ref_info["rows"], ref_info["records"])
        assert info["filter_values"] == ref_info["filter_values"]
        assert info["attached"]["engine"] == "postgres"
        assert info["attached"]["table"] == f"raw_{info['kind']}"
    assert xstore.info(mo)["time_range"] == xstore.info("mo_duck")["time_range"]


def test_compare_payload_matches(xstore, attached):
    """The compare view's whole payload (grid, statistics, charts) is the loaded copy's."""
    ev, _ = attached("postgres")
    got = compare.payload(xstore, ev, baseline="baseline", challenger="candidate_a")
    exp = compare.payload(xstore, "ev_duck", baseline="baseline", challenger="candidate_a")
    assert exp["need_experiments"] is False
    assert _comparable(got) == _comparable(exp)


#: what names the dataset, times the queries or counts from now (the data's age)
_NOT_COMPARED = ("timing", "dataset", "age_seconds")


def _comparable(x):
    """A payload without :data:`_NOT_COMPARED`, floats to 1e-9."""
    if isinstance(x, float):
        return round(x, 9)
    if isinstance(x, dict):
        return {k: _comparable(v) for k, v in x.items() if k not in _NOT_COMPARED}
    if isinstance(x, (list, tuple)):
        return [_comparable(v) for v in x]
    return x


def test_monitor_payload_and_trends_match(xstore, attached, monkeypatch):
    # the raw path on both: the DuckDB copy would answer its latency percentiles from the
    # summaries' bins (within 1%), which an attached table does not have
    monkeypatch.setenv("AXIS_SUMMARIES", "off")
    _, mo = attached("postgres")
    got = monitor.payload(xstore, mo, time="all")
    exp = monitor.payload(xstore, "mo_duck", time="all")
    assert exp["kpis"]
    assert _comparable(got) == _comparable(exp)
    _same_frame(xstore.dataset(mo).trends(granularity="hour"),
                xstore.dataset("mo_duck").trends(granularity="hour"), ["metric_name", "bucket"])


def test_rows_page_sorted_on_the_engine(xstore, attached):
    ev, _ = attached("postgres")
    kw = dict(sort_by="metric_score", descending=True, page=2, page_size=7,
              columns=["dataset_id", "metric_name", "metric_score"],
              filters={"evaluation_name": "baseline"})
    (g, g_total), (e, e_total) = xstore.rows(ev, **kw), xstore.rows("ev_duck", **kw)
    assert g_total == e_total == 400
    np.testing.assert_allclose(g.metric_score.astype(float), e.metric_score.astype(float), rtol=RTOL)


def test_data_manager_lists_attached_datasets(xstore, attached):
    """The data manager's rows say where an attached dataset lives, that it takes no room
    in the DuckDB file, and which views open it."""
    from axis_jupyter.payloads import datasets

    ev, mo = attached("postgres")
    rows = {r["name"]: r for r in datasets.payload(xstore)["datasets"]}
    assert rows[ev]["source"].startswith("attached: postgres ")
    assert rows[ev]["source"].endswith(" raw_evals")
    assert rows[ev]["size_bytes"] == 0 and rows["ev_duck"]["size_bytes"] > 0
    assert "scorecard" in rows[ev]["views"] and "compare" in rows[ev]["views"]
    assert "monitor" in rows[mo]["views"]
    assert (rows[ev]["rows"], rows[ev]["records"]) == (1200, 40)


def test_production_quality_section_matches(xstore, attached):
    from axis_jupyter.payloads import production

    _, mo = attached("postgres")
    got = production.payload(xstore, mo)
    exp = production.payload(xstore, "mo_duck")
    assert exp["quality"]
    assert _comparable(got["quality"]) == _comparable(exp["quality"])


def test_wide_table_is_melted_by_the_engine(xstore, pg_tables):
    """A wide monitoring table (one ``*_score`` column per metric) attaches as a melt done
    by the engine's query; its trends equal the loaded copy's."""
    from axis_jupyter import demo
    from support.pg import ibis_connect

    wide = demo.monitoring_wide(n_records=300, seed=5).to_pandas()
    pg = ibis_connect(pg_tables)
    with pg.con.cursor() as c:
        c.execute("DROP TABLE IF EXISTS raw_wide")
    pg.con.commit()
    pg.create_table("raw_wide", wide.astype({c: "string" for c in wide.columns
                                             if wide[c].dtype == object}))
    pg.disconnect()
    xstore.load(wide, name="wide_duck", kind="monitoring")
    xstore.attach("wide_pg", pg_tables, table="raw_wide", kind="monitoring")
    info, ref = xstore.info("wide_pg"), xstore.info("wide_duck")
    assert info["layout"] == ref["layout"] == "wide"
    assert (info["rows"], info["records"]) == (ref["rows"], ref["records"])
    # the raw path on the copy (its daily trends come from the summaries, within 0.0025)
    _same_frame(xstore.dataset("wide_pg").trends(granularity="day"),
                xstore.dataset("wide_duck").trends(granularity="day", exact=True), ["metric_name", "bucket"])
