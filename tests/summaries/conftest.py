"""Fixtures for the summary tests: a small evaluation dataset whose scores are built to
stress the summaries (ties, nulls, bin edges, 0 and 1 exactly), loaded into a real DuckDB
store, and the same dataset with its summaries in a real PostgreSQL."""

from __future__ import annotations

import pytest

from summary_data import eval_frame


@pytest.fixture
def sstore(store):
    """The store with dataset ``ev`` (:func:`eval_frame`), summaries built on load."""
    store.load(eval_frame(), name="ev", kind="evals")
    return store


@pytest.fixture(params=["duckdb", "postgres"])
def contexts(request):
    """``contexts(store, name) -> make``, ``make() -> AnalyticContext`` of dataset ``name``
    with its planner, on DuckDB or PostgreSQL (the test's parameter).

    DuckDB: the store's own context on a cursor kept open for the test. PostgreSQL: the
    dataset's tables copied there and its summaries built there from the same Ibis
    expressions the store builds them with (``summaries.tables.exprs``, the case masks'
    ``masks_expr`` over the cases built there)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        def of(store, name):
            if request.param == "duckdb":
                cur = stack.enter_context(store.cursor())
                return lambda: store.context(cur, name)
            return _postgres(request.getfixturevalue("pg_uri"), store, name)

        of.backend = request.param
        yield of


def _postgres(pg_uri, store, name):
    from axis_jupyter.analytics import AnalyticContext
    from axis_jupyter.summaries import Planner
    from axis_jupyter.summaries.tables import exprs
    from support.pg import context_factory, ibis_connect

    base = context_factory(store, "postgres", pg_uri, prefix="sum")(name)
    pg = ibis_connect(pg_uri)
    meta = store.info(name)["summary"]
    tables = {}
    for role, expr in exprs(base.table("scores"), meta).items():
        table = f"sum_{name}_summary_{role}"
        with pg.con.cursor() as c:
            c.execute(f'DROP TABLE IF EXISTS "{table}"')
        pg.con.commit()
        tables[role] = pg.create_table(table, expr)
    if meta.get("case_masks"):  # from the cases table, as the store builds them
        from axis_jupyter.summaries.case_masks import masks_expr
        table = f"sum_{name}_summary_case_masks"
        with pg.con.cursor() as c:
            c.execute(f'DROP TABLE IF EXISTS "{table}"')
        pg.con.commit()
        tables["case_masks"] = pg.create_table(table, masks_expr(
            tables["cases"], meta["case_masks"]["keys"], meta["case_masks"]["experiments"]))
    if meta.get("latency_keys") is not None:  # the sketch, from one row per record
        from axis_jupyter.summaries.latency import bins_expr
        t = base.table("scores")
        dims = [c for c in meta["latency_keys"] if c in t.columns]
        r = t.group_by(["dataset_id", *dims]).aggregate(latency=t.latency.max())
        table = f"sum_{name}_summary_lat"
        with pg.con.cursor() as c:
            c.execute(f'DROP TABLE IF EXISTS "{table}"')
        pg.con.commit()
        tables["lat"] = pg.create_table(table, bins_expr(r, meta["latency_keys"]))
    from axis_jupyter.summaries.daily import lat_days_expr
    from axis_jupyter.summaries.hourly import _recent

    # the per-day sketch, and the per-hour one of the newest hours, from one row per record
    for role, keys_of, narrow, unit in (("lat_days", "lat_day_keys", lambda r: r, "D"),
                                        ("lat_hours", "lat_hour_keys", lambda r: _recent(r, meta["hours_from"]), "h")):
        if meta.get(keys_of) is None:
            continue
        t = base.table("scores")
        keys = meta[keys_of]
        r = t.group_by(["dataset_id", *keys, "timestamp"]).aggregate(latency=t.latency.max())
        table = f"sum_{name}_summary_{role}"
        with pg.con.cursor() as c:
            c.execute(f'DROP TABLE IF EXISTS "{table}"')
        pg.con.commit()
        tables[role] = pg.create_table(table, lat_days_expr(narrow(r), keys, unit=unit))

    def make():
        return AnalyticContext(tables=base.tables, run=base.run, info=base.info,
                               planner=Planner(tables, meta))

    return make


@pytest.fixture
def backend_ctx(contexts, sstore):
    """``make() -> AnalyticContext`` of ``ev`` with its planner (DuckDB or PostgreSQL)."""
    return contexts(sstore, "ev")
