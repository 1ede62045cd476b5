"""Test-case counts for any set of experiments come from the case masks, equal to the raw
distinct count: for every subset of the experiments, alone and with one other key, on
DuckDB and PostgreSQL (summaries built there), and against an attached PostgreSQL table;
past the bits a mask holds, the cases table answers, still exactly."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import AnalyticContext, scorecard
from axis_jupyter.payloads import scorecard as scorecard_view
from axis_jupyter.summaries import Planner
from axis_jupyter.summaries.case_masks import MASK_BITS

EXPS = ["a", "b", "c", "d"]
# one other key at a time, as the masks answer it (None: no other filter)
OTHERS = [None, ("environment", "prod"), ("environment", None), ("source_name", "web"),
          ("environment", ["staging"])]


def overlap_frame(n_cases: int = 96, seed: int = 7) -> pd.DataFrame:
    """Case i appears in the experiments of the bits of i % 16 (i % 16 == 0: only with a
    NULL experiment), so every subset of the four is some case's; its environment and
    source change from one experiment to the next (a case is under several values), and a
    few rows have no dataset_id."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_cases):
        bits = i % 16
        exps = [e for j, e in enumerate(EXPS) if bits >> j & 1] or [None]
        for j, exp in enumerate(exps):
            for metric in ("faithfulness", "relevance"):
                rows.append({"dataset_id": None if i % 31 == 30 else f"case_{i:03d}",
                             "evaluation_name": exp, "metric_name": metric, "weight": 1.0,
                             "metric_type": "metric",
                             "metric_score": float(np.round(rng.random(), 3)),
                             "environment": ["prod", "staging", None][(i + j) % 3],
                             "source_name": ["web", "api"][(i * (j + 1)) % 2],
                             "timestamp": pd.Timestamp("2026-03-01") + pd.Timedelta(hours=int(i))})
    return pd.DataFrame(rows)


def subsets():
    for r in range(1, len(EXPS) + 1):
        yield from (list(s) for s in itertools.combinations(EXPS, r))


def filters_of(exps, other) -> dict:
    f = {} if exps is None else {"evaluation_name": exps}
    if other:
        f[other[0]] = other[1]
    return f


def without_cases(ctx: AnalyticContext) -> AnalyticContext:
    """The same context with a planner that has no distinct-cases table: a count it gives
    came from the case masks."""
    p = ctx.planner
    tables = {r: t for r, t in p.tables.items() if r != "cases"}
    return AnalyticContext(tables=ctx.tables, run=ctx.run, info=ctx.info, planner=Planner(tables, p.meta))


@pytest.fixture
def ostore(store):
    store.load(overlap_frame(), name="ov", kind="evals")
    return store


def test_every_subset_of_experiments_counts_exactly(ostore, contexts):
    make = contexts(ostore, "ov")
    meta = ostore.info("ov")["summary"]["case_masks"]
    assert meta["experiments"] == EXPS
    seen = set()
    for exps, other in itertools.product([None, *subsets(), ["b", "zzz"], ["zzz"]], OTHERS):
        filters = filters_of(exps, other)
        ctx = without_cases(make())
        fast = ctx.answer("case_count", lambda: pytest.fail(f"raw path for {filters}"), filters=filters)
        raw = scorecard.case_count(make(), filters)
        assert fast == raw, filters
        seen.add(raw)
    assert len(seen) > 10  # the subsets select different cases


def test_filters_the_masks_do_not_hold_count_over_the_cases(ostore, contexts):
    make = contexts(ostore, "ov")
    for filters in ({"evaluation_name": ["a", "c"], "environment": ["prod", "staging"]},
                    {"evaluation_name": ["b", "d"], "environment": "prod", "source_name": "api"},
                    {"evaluation_name": ["a", "b"], "time_range": ["2026-03-02", "2026-03-04"]}):
        ctx = make()
        fast = ctx.answer("case_count", lambda: pytest.fail("raw path used"), filters=filters)
        assert fast == scorecard.case_count(make(), filters), filters
        _, why = without_cases(make()).planner.answer(make(), "case_count", filters=filters)
        assert why is not None  # not from the masks: they would count a case twice


def test_the_cases_table_folds_its_experiments_into_a_mask(ostore, contexts):
    meta = ostore.info("ov")["summary"]
    assert meta["case_bits"] == EXPS
    ct = meta["tables"]["cases"]
    cols = ostore.sql(f'DESCRIBE "{ct}"')["column_name"].tolist()
    assert "mask" in cols and "evaluation_name" not in cols
    # one row per (other keys, day, case): a case's rows in several experiments fold into one
    raw = ostore.sql("SELECT count(*) AS n FROM (SELECT DISTINCT environment, source_name, "
                     "date_trunc('day', timestamp), dataset_id FROM ov)")["n"][0]
    assert ostore.sql(f'SELECT count(*) AS n FROM "{ct}"')["n"][0] == raw
    make = contexts(ostore, "ov")
    # counts the masks table cannot give, from the folded cases: NULL experiments among them
    for filters in ({"evaluation_name": None, "environment": "prod"},
                    {"evaluation_name": None, "time_range": ["2026-03-01", "2026-03-03"]},
                    {"evaluation_name": ["a", "zzz"], "environment": "staging", "source_name": "web"},
                    {"evaluation_name": "d", "time_range": ["2026-03-02", "2026-03-05"]}):
        ctx = make()
        fast = ctx.answer("case_count", lambda: pytest.fail(f"raw path for {filters}"), filters=filters)
        assert fast == scorecard.case_count(make(), filters), filters
    # a value the bits cannot test reads the raw rows, which give the error
    _, why = make().planner.answer(make(), "case_count", filters={"evaluation_name": [], "environment": "prod"})
    assert why is not None


def test_rows_without_a_metric_keep_the_experiment_a_column_of_the_cases(store, contexts):
    df = overlap_frame()
    df.loc[df.index % 9 == 4, "metric_name"] = None  # the stats leave these rows out
    store.load(df, name="unnamed", kind="evals")
    meta = store.info("unnamed")["summary"]
    assert meta["case_bits"] is None and meta["case_masks"]["experiments"] == EXPS
    assert "evaluation_name" in store.sql(f'DESCRIBE "{meta["tables"]["cases"]}"')["column_name"].tolist()
    make = contexts(store, "unnamed")
    for filters in ({}, {"evaluation_name": ["b", "c"]}, {"evaluation_name": "a", "environment": ["prod", "staging"]}):
        ctx = make()
        fast = ctx.answer("case_count", lambda: pytest.fail("raw path used"), filters=filters)
        assert fast == scorecard.case_count(make(), filters), filters


def test_folded_cases_without_room_for_their_masks_count_from_the_cases(store, contexts, monkeypatch):
    from axis_jupyter.summaries import case_masks

    build = case_masks.build
    monkeypatch.setattr(case_masks, "build", lambda cur, name, cases, keys, limit, bits=None:
                        build(cur, name, cases, keys, 1, bits))  # no masks table fits one row
    store.load(overlap_frame(), name="ov", kind="evals")
    meta = store.info("ov")["summary"]
    assert meta["case_bits"] == EXPS and meta["case_masks"] is None
    assert "case_masks" not in meta["tables"]
    assert not store.sql("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%case_masks'").shape[0]
    make = contexts(store, "ov")
    for exps, other in itertools.product([None, ["a"], ["b", "d"]], OTHERS):
        filters = filters_of(exps, other)
        ctx = make()
        fast = ctx.answer("case_count", lambda: pytest.fail(f"raw path for {filters}"), filters=filters)
        assert fast == scorecard.case_count(make(), filters), filters


def test_more_experiments_than_bits_fall_back_to_the_cases(store, contexts):
    n = MASK_BITS + 3  # x 25 rows: enough rows for the experiment to stay a summary key
    df = pd.DataFrame({"dataset_id": [f"c{i % 50}" for i in range(n * 25)],
                       "evaluation_name": [f"exp_{i % n:02d}" for i in range(n * 25)],
                       "metric_name": "m", "metric_score": 0.5, "environment": "prod"})
    store.load(df, name="many", kind="evals")
    meta = store.info("many")["summary"]
    assert meta["case_masks"]["experiments"] is None  # no bits: the experiment is a plain key
    make = contexts(store, "many")
    for filters in ({}, {"evaluation_name": "exp_07"}, {"evaluation_name": ["exp_01", "exp_60"]},
                    {"environment": "prod"}):
        ctx = make()
        fast = ctx.answer("case_count", lambda: pytest.fail("raw path used"), filters=filters)
        assert fast == scorecard.case_count(make(), filters), filters
    # no filter and one value still come from the masks; two experiments from the cases
    assert without_cases(make()).planner.answer(make(), "case_count", filters={"evaluation_name": "exp_07"})[1] is None
    assert without_cases(make()).planner.answer(
        make(), "case_count", filters={"evaluation_name": ["exp_01", "exp_60"]})[1] is not None


@pytest.fixture
def attached_pair(tmp_path, pg_uri):
    """The overlap data loaded into DuckDB (``ov_duck``) and attached from PostgreSQL
    (``ov_pg``: every query runs there, on the raw rows)."""
    from axis_jupyter.workbench import open_local
    from support.pg import ibis_connect

    df = overlap_frame()
    pg = ibis_connect(pg_uri)
    with pg.con.cursor() as c:
        c.execute('DROP TABLE IF EXISTS "raw_overlap"')
    pg.con.commit()
    pg.create_table("raw_overlap", df.astype({"dataset_id": "string", "evaluation_name": "string",
                                              "environment": "string"}))
    pg.disconnect()
    store = open_local(str(tmp_path / "attach.duckdb"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(df, name="ov_duck", kind="evals")
        store.attach("ov_pg", pg_uri, table="raw_overlap", kind="evals")
    yield store
    store.close()


def test_scorecard_counts_equal_an_attached_postgres_table(attached_pair):
    store = attached_pair
    for exps, other in itertools.product([None, *subsets()], OTHERS[:4]):
        filters = filters_of(exps, other)
        fast = scorecard_view.payload(store, "ov_duck", filters=filters)
        paths = {p["what"]: p["path"] for p in fast["timing"]["paths"]}
        assert paths["case_count"] == "summary", filters
        raw = scorecard_view.payload(store, "ov_pg", filters=filters)
        assert fast["kpis"]["test_cases"] == raw["kpis"]["test_cases"], filters


def test_summaries_built_before_the_masks_keep_their_case_totals(ostore):
    """A store whose summaries have the earlier case totals (no filter, one value) still
    answers those from them, the rest from the cases; ``%axis summaries build`` (rebuild)
    replaces them by the masks."""
    from axis_jupyter.summaries.rebuild import rebuild

    info = ostore.info("ov")
    meta = info["summary"]
    cases, legacy = meta["tables"]["cases"], meta["tables"]["case_masks"].replace("case_masks", "case_totals")

    def downgrade(cur):  # the earlier layout: key, value -> n
        cur.execute(f'CREATE TABLE "{legacy}" AS SELECT NULL::VARCHAR AS key, NULL::VARCHAR AS value, '
                    f'count(DISTINCT dataset_id) AS n FROM "{cases}" UNION ALL SELECT \'environment\', '
                    f'environment, count(DISTINCT dataset_id) FROM "{cases}" WHERE environment IS NOT NULL '
                    f'GROUP BY 2')
        cur.execute(f'DROP TABLE "{meta["tables"]["case_masks"]}"')
        tables = {r: n for r, n in meta["tables"].items() if r != "case_masks"}
        old = {k: v for k, v in meta.items() if k != "case_masks"}
        ostore.save_info(cur, "ov", dict(info, summary=dict(old, tables={**tables, "case_totals": legacy})))

    ostore.write(downgrade)
    def planned(filters):
        def fn(ctx):
            return without_cases(ctx).planner.answer(ctx, "case_count", filters=filters), \
                scorecard.case_count(ctx, filters)
        return ostore.view_read("ov", fn)

    for filters in ({}, {"environment": "prod"}):
        (fast, why), raw = planned(filters)
        assert why is None and fast == raw, filters
    (_, why), _ = planned({"evaluation_name": ["a", "b"]})
    assert why is not None  # two experiments: the cases table answers (not the totals)
    rebuild(ostore, "ov")
    tables = ostore.info("ov")["summary"]["tables"]
    assert "case_masks" in tables and "case_totals" not in tables
    assert legacy not in set(ostore.sql("SELECT table_name FROM information_schema.tables")["table_name"])
