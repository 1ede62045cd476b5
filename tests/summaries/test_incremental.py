"""Incremental sync extends the summaries with the new rows only, and they keep answering
exactly (a real PostgreSQL source): the stats, the case masks (new cases, known cases in
another experiment, a new experiment) and the latency sketch (new records, late metric rows
of known ones), compared with the raw path on DuckDB and with PostgreSQL on the source."""

from __future__ import annotations

import itertools
import uuid

import numpy as np
import pandas as pd
import psycopg
import pytest

from axis_jupyter import sync
from axis_jupyter.analytics import monitoring, scorecard
from axis_jupyter.summaries.latency import BOUND

pytestmark = pytest.mark.postgres


@pytest.fixture
def source(pg_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    schema = "s_" + uuid.uuid4().hex[:10]
    conn = psycopg.connect(pg_uri, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"""
        CREATE TABLE {schema}.cases AS
        SELECT 'case_' || i AS dataset_id, 'question ' || i AS query,
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 30) i""")
    conn.execute(f"""
        CREATE TABLE {schema}.scores AS
        SELECT i AS id, 'case_' || (1 + i % 30) AS dataset_id,
               (ARRAY['faithfulness','relevance','tone'])[1 + i % 3] AS metric_name,
               ((i * 37) % 101 / 100.0)::float8 AS metric_score,
               (ARRAY['baseline','candidate'])[1 + (i / 3) % 2] AS evaluation_name,
               (ARRAY['prod','staging'])[1 + (i / 7) % 2] AS environment,
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 300) i""")
    yield pg_uri, schema, conn
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


def _scorecard(store, exact, filters=None, name="ev"):
    def fn(ctx):
        return scorecard.scorecard(ctx, filters, exact=exact), ctx.paths
    return store.view_read(name, fn)


def test_incremental_sync_appends_to_the_summaries(store, source):
    uri, schema, conn = source
    sync.add_source(store, "ev", kind="evals", url=uri,
                    dataset_query=f"SELECT * FROM {schema}.cases",
                    results_query=f"SELECT * FROM {schema}.scores", incremental_column="updated_at")
    sync.sync(store, "ev")
    before = store.info("ev")["summary"]
    assert before["source_rows"] == 300
    stats_rows = store.sql(f'SELECT count(*) AS n FROM "{before["tables"]["stats"]}"')["n"][0]
    conn.execute(f"""
        INSERT INTO {schema}.scores
        SELECT i, 'case_' || (1 + i % 30), 'faithfulness', 1.0, 'baseline', 'prod',
               timestamptz '2026-02-01' + i * interval '1 minute'
        FROM generate_series(301, 340) i""")
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 40
    after = store.info("ev")["summary"]
    # extended in place, not rebuilt: the same tables, the case masks among them
    assert "case_masks" in before["tables"]
    assert after["tables"] == before["tables"]
    assert after["source_rows"] == store.info("ev")["rows"] == 340
    grown = store.sql(f'SELECT count(*) AS n, sum("rows") AS r FROM "{after["tables"]["stats"]}"')
    assert grown["r"][0] == 340 and grown["n"][0] > stats_rows
    for filters in (None, {"environment": "prod"}, {"evaluation_name": ["baseline"]}):
        (fast, paths), (raw, _) = _scorecard(store, False, filters), _scorecard(store, True, filters)
        assert paths[0]["path"] == "summary"
        assert fast["count"].tolist() == raw["count"].tolist()
        assert fast["pass_rate"].tolist() == raw["pass_rate"].tolist()
        assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)
    faith = fast.set_index("name").loc["faithfulness"]
    assert faith["max"] == 1.0


def _same_typed(store, name, filters):
    """The scorecard from summaries (which must answer) equals the raw path's."""
    (fast, paths), (raw, _) = _scorecard(store, False, filters, name), _scorecard(store, True, filters, name)
    assert paths[0]["path"] == "summary", (filters, paths)
    for col in ("name", "count", "min", "max", "pass_rate", "h0", "h4"):
        assert fast[col].tolist() == raw[col].tolist(), col
    assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)
    return fast


def test_an_increment_extends_the_implied_lookup_and_drops_it_on_a_second_type(store, source):
    """metric_type is left out of the days and fine bins (summaries/implied.py): a new metric
    extends the lookup; a metric that takes a second type drops the two tables."""
    uri, schema, conn = source
    conn.execute(f"""
        CREATE TABLE {schema}.typed AS
        SELECT i AS id, 'case_' || (1 + i % 30) AS dataset_id,
               (ARRAY['faithfulness','relevance','tone'])[1 + i % 3] AS metric_name,
               (ARRAY['metric','metric','style'])[1 + i % 3] AS metric_type,
               ((i * 37) % 101 / 100.0)::float8 AS metric_score,
               (ARRAY['baseline','candidate'])[1 + (i / 3) % 2] AS evaluation_name,
               timestamptz '2026-01-01' + i * interval '10 minutes' AS "timestamp",
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 300) i""")
    sync.add_source(store, "ev", kind="evals", url=uri, dataset_query=f"SELECT * FROM {schema}.cases",
                    results_query=f"SELECT * FROM {schema}.typed", incremental_column="updated_at")
    sync.sync(store, "ev")
    meta = store.info("ev")["summary"]
    assert meta["implied"]["metric_type"] == {"faithfulness": "metric", "relevance": "metric", "tone": "style"}
    days = ["2026-01-01T00:00:00", "2026-01-04T00:00:00"]

    # a new metric with a new type: the lookup takes it, the tables stay
    conn.execute(f"""
        INSERT INTO {schema}.typed
        SELECT i, 'case_' || (1 + i % 30), 'brevity', 'style', 0.25, 'baseline',
               timestamptz '2026-01-02' + i * interval '1 minute', timestamptz '2026-02-01' + i * interval '1 minute'
        FROM generate_series(301, 330) i""")
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "incremental"
    meta = store.info("ev")["summary"]
    assert meta["implied"]["metric_type"]["brevity"] == "style"
    assert {"days", "bins"} <= set(meta["tables"])
    got = _same_typed(store, "ev", {"metric_type": "style", "time_range": days})
    assert set(got["name"]) >= {"brevity", "tone"}

    # tone takes a second type: the lookup no longer holds, so the two tables go and the
    # raw rows answer a time range (the stats, keyed by metric_type, still answer the rest)
    conn.execute(f"""
        INSERT INTO {schema}.typed
        SELECT i, 'case_' || (1 + i % 30), 'tone', 'metric', 0.75, 'candidate',
               timestamptz '2026-01-02' + i * interval '1 minute', timestamptz '2026-03-01' + i * interval '1 minute'
        FROM generate_series(331, 360) i""")
    sync.sync(store, "ev")
    meta = store.info("ev")["summary"]
    assert meta["implied"] == {}
    assert not {"days", "bins"} & set(meta["tables"])
    tables = set(store.sql("SELECT table_name FROM duckdb_tables()")["table_name"])
    assert not any(t.endswith(("_sum_days", "_sum_bins")) for t in tables)
    _same_typed(store, "ev", {"metric_type": "metric"})
    timed = {"metric_type": "metric", "time_range": days}
    fast, paths = store.view_read("ev", lambda ctx: (scorecard.scorecard(ctx, timed), ctx.paths))
    raw = store.view_read("ev", lambda ctx: scorecard.scorecard(ctx, timed, exact=True))
    assert paths[0]["path"] == "raw"
    assert fast["count"].tolist() == raw["count"].tolist()
    assert "tone" in set(fast["name"])


# ---------------------------------------------------------------- case masks and latency
EXPS = ["base", "cand", "tuned"]
OTHERS = [None, ("environment", "prod"), ("environment", None), ("source_name", "web")]


def _insert(conn, table: str, rows: list[tuple]) -> None:
    with conn.cursor() as c:
        c.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)


def _eval_rows(start_id: int, cases, exps, day: int, env_of, source: str = "web") -> list[tuple]:
    """Two metric rows per (case, experiment): id, dataset_id, metric_name, metric_score,
    evaluation_name, environment, source_name, updated_at."""
    rows, i = [], start_id
    for c in cases:
        for j, e in enumerate(exps(c) if callable(exps) else exps):
            for m in ("faithfulness", "relevance"):
                rows.append((i, f"case_{c:03d}", m, round((i * 37 % 101) / 100, 2), e, env_of(c, j),
                             source if c % 5 else "api", f"2026-01-{day:02d} 00:00:{i % 60:02d}+00"))
                i += 1
    return rows


def _pg_cases(conn, table: str, filters: dict) -> int:
    """The raw test-case count, computed by PostgreSQL on the source table."""
    where, args = ["TRUE"], []
    for col, value in filters.items():
        if value is None:
            where.append(f"{col} IS NULL")
        else:
            where.append(f"{col} = ANY(%s)")
            args.append(value if isinstance(value, list) else [value])
    return conn.execute(f"SELECT count(DISTINCT dataset_id) FROM {table} WHERE {' AND '.join(where)}",
                        args).fetchone()[0]


def _planner_cases(store, name, filters, without_cases=True):
    """The case count the planner gives (from the case masks alone: no distinct-cases table)."""
    from axis_jupyter.summaries import Planner

    def fn(ctx):
        p = ctx.planner
        tables = {r: t for r, t in p.tables.items() if r != "cases" or not without_cases}
        value, why = Planner(tables, p.meta).answer(ctx, "case_count", filters=filters)
        assert why is None, (filters, why)
        return value
    return store.view_read(name, fn)


def test_an_increment_updates_the_case_masks_exactly(store, source):
    uri, schema, conn = source
    conn.execute(f"""CREATE TABLE {schema}.ev (id int, dataset_id text, metric_name text,
        metric_score float8, evaluation_name text, environment text, source_name text,
        updated_at timestamptz)""")
    envs = ["prod", "staging", None]
    # case c is in the experiments of the bits of c % 8 (0: only with a NULL experiment)
    in_exps = lambda c: [e for j, e in enumerate(EXPS) if c % 8 >> j & 1] or [None]  # noqa: E731
    _insert(conn, f"{schema}.ev", _eval_rows(1, range(40), in_exps, 1, lambda c, j: envs[(c + j) % 3]))
    sync.add_source(store, "ev2", kind="evals", url=uri, dataset_query=f"SELECT * FROM {schema}.ev",
                    incremental_column="updated_at")
    sync.sync(store, "ev2")
    before = store.info("ev2")["summary"]
    assert before["case_masks"]["experiments"] == sorted(EXPS)
    new = [*_eval_rows(1000, range(100, 105), ["cand"], 2, lambda c, j: "prod"),   # new cases
           *_eval_rows(1100, [1], ["tuned"], 2, lambda c, j: "staging"),         # base only so far
           *_eval_rows(1200, [3], ["base"], 2, lambda c, j: None, source="web"),  # known, new env
           *_eval_rows(1300, [2, 200], ["fresh"], 2, lambda c, j: "prod"),       # a new experiment
           *_eval_rows(1400, [5, 201], [None], 2, lambda c, j: "prod")]          # NULL experiment
    _insert(conn, f"{schema}.ev", new)
    row = sync.sync(store, "ev2").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == len(new)
    after = store.info("ev2")["summary"]
    assert after["tables"] == before["tables"]  # updated in place, no rebuild
    assert after["case_masks"]["experiments"] == [*sorted(EXPS), "fresh"]
    exps = [*EXPS, "fresh"]
    subsets = [list(s) for r in range(1, 5) for s in itertools.combinations(exps, r)]
    for picked, other in itertools.product([None, *subsets], OTHERS):
        filters = {} if picked is None else {"evaluation_name": picked}
        if other:
            filters[other[0]] = other[1]
        assert _planner_cases(store, "ev2", filters) == _pg_cases(conn, f"{schema}.ev", filters), filters
    ct = after["tables"]["cases"]
    cases = store.sql(f'SELECT (SELECT count(*) FROM "{ct}") AS n, '
                      f'(SELECT count(*) FROM (SELECT DISTINCT * FROM "{ct}")) AS d')
    assert cases["n"][0] == cases["d"][0]  # the increment's known cases were not copied again
    for filters in (None, {"evaluation_name": ["cand", "fresh"], "environment": "prod"},
                    {"environment": ["prod", "staging"]}):
        (fast, paths), (raw, _) = _scorecard(store, False, filters, "ev2"), _scorecard(store, True, filters, "ev2")
        assert {p["path"] for p in paths} == {"summary"}
        assert fast["count"].tolist() == raw["count"].tolist()
        assert fast["pass_rate"].tolist() == raw["pass_rate"].tolist()
        got = store.view_read("ev2", lambda ctx: scorecard.case_count(ctx, filters))
        assert got == _planner_cases(store, "ev2", filters or {}, without_cases=False) == \
            _pg_cases(conn, f"{schema}.ev", filters or {})


def test_an_increment_past_the_last_case_bit_drops_the_folded_cases(store, source):
    from axis_jupyter.summaries.case_masks import MASK_BITS

    uri, schema, conn = source
    conn.execute(f"""CREATE TABLE {schema}.many (id int, dataset_id text, metric_name text,
        metric_score float8, evaluation_name text, environment text, source_name text,
        updated_at timestamptz)""")
    first = [f"e{j:02d}" for j in range(MASK_BITS - 2)]
    _insert(conn, f"{schema}.many", _eval_rows(1, range(60), lambda c: first[c % 5::5], 1,
                                               lambda c, j: ["prod", "staging"][c % 2]))
    sync.add_source(store, "many", kind="evals", url=uri, dataset_query=f"SELECT * FROM {schema}.many",
                    incremental_column="updated_at")
    sync.sync(store, "many")
    before = store.info("many")["summary"]
    assert before["case_bits"] == first and {"cases", "case_masks"} <= set(before["tables"])
    # five experiments more: past the last bit, so the folded cases and their masks go
    _insert(conn, f"{schema}.many", _eval_rows(5000, range(60), [f"f{j}" for j in range(5)], 2,
                                               lambda c, j: "prod"))
    row = sync.sync(store, "many").iloc[0]
    assert row["sync_type"] == "incremental"
    after = store.info("many")["summary"]
    assert after["case_bits"] is None and after["case_masks"] is None
    assert not {"cases", "case_masks"} & set(after["tables"])
    gone = {before["tables"]["cases"], before["tables"]["case_masks"]}
    assert not gone & set(store.sql("SELECT table_name FROM duckdb_tables()")["table_name"])
    for filters in ({}, {"evaluation_name": ["e03", "f1"]}, {"environment": "staging"}):
        def fn(ctx, filters=filters):
            got = ctx.answer("case_count", lambda: scorecard.case_count(ctx, filters), filters=filters)
            return got, [p["path"] for p in ctx.paths]
        got, paths = store.view_read("many", fn)
        assert paths == ["raw"]
        assert got == _pg_cases(conn, f"{schema}.many", filters), filters


def _mon_rows(start_id: int, records, latency, day: int, metrics=("relevance", "accuracy")) -> list[tuple]:
    rows, i = [], start_id
    for r in records:
        for m in metrics:
            rows.append((i, f"rec_{r:04d}", m, round((i * 53 % 97) / 96, 3), float(latency(r)),
                         ["prod", "staging"][r % 2], ["web", "api", "batch"][r % 3],
                         f"2026-01-{day:02d} 00:{r // 60 % 60:02d}:{r % 60:02d}+00"))  # a record's time
            i += 1
    return rows


def _pg_latency(conn, table: str, by: str | None) -> pd.DataFrame:
    g = f"{by}, " if by else ""
    return pd.DataFrame(conn.execute(
        f"SELECT {g}count(*), min(l), max(l), percentile_cont(0.5) WITHIN GROUP (ORDER BY l), "
        f"percentile_cont(0.95) WITHIN GROUP (ORDER BY l), percentile_cont(0.99) WITHIN GROUP "
        f"(ORDER BY l) FROM (SELECT dataset_id, {g}max(latency) AS l FROM {table} "
        f"GROUP BY dataset_id{', ' + by if by else ''}) r WHERE l IS NOT NULL "
        f"{'GROUP BY ' + by + ' ORDER BY ' + by if by else ''}").fetchall(),
        columns=[*([by] if by else []), "count", "min", "max", "p50", "p95", "p99"])


def _assert_latency_equal(store, conn, table: str, path: str) -> None:
    for by in (None, "environment"):
        def fn(ctx, by=by):
            return monitoring.latency(ctx, by=by), [p["path"] for p in ctx.paths]
        fast, paths = store.view_read("mon2", fn)
        assert paths == [path], paths
        raw = store.view_read("mon2", lambda ctx, by=by: monitoring.latency(ctx, by=by, exact=True))
        pg = _pg_latency(conn, table, by)
        for other in (raw, pg):  # the raw path on DuckDB, and PostgreSQL on the source table
            assert fast["count"].tolist() == other["count"].tolist()
            assert fast["min"].astype(float).tolist() == other["min"].astype(float).tolist()
            assert fast["max"].astype(float).tolist() == other["max"].astype(float).tolist()
            for q in ("p50", "p95", "p99"):
                for a, b in zip(fast[q].astype(float), other[q].astype(float)):
                    assert abs(a - b) <= BOUND * b * (1 + 1e-9), (by, q, a, b)
        assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)


def test_an_increment_updates_the_latency_sketch(store, source):
    uri, schema, conn = source
    table = f"{schema}.mon"
    conn.execute(f"""CREATE TABLE {table} (id int, dataset_id text, metric_name text,
        metric_score float8, latency float8, environment text, source_name text,
        created_at timestamptz)""")
    rng = np.random.default_rng(3)
    heavy = np.round((rng.pareto(1.1, 300) + 1) * 20, 3)  # 20 ms .. minutes, ties from rounding
    _insert(conn, table, _mon_rows(1, range(300), lambda r: heavy[r], 1))
    sync.add_source(store, "mon2", kind="monitoring", url=uri, dataset_query=f"SELECT * FROM {table}",
                    incremental_column="created_at")
    sync.sync(store, "mon2")
    before = store.info("mon2")["summary"]
    assert "lat" in before["tables"]
    spikes = {300: 0.0, 301: 250.0, 302: 250.0, 303: 9e5, 304: 0.001}
    new = [*_mon_rows(5000, range(300, 340), lambda r: spikes.get(r, 250.0 + r % 3), 2),  # new records
           *_mon_rows(6000, range(0, 20), lambda r: heavy[r], 2, metrics=("coherence",))]  # late rows
    _insert(conn, table, new)
    assert sync.sync(store, "mon2").iloc[0]["sync_type"] == "incremental"
    after = store.info("mon2")["summary"]
    # the same tables in place (no rebuild), but for the monitor's per-day and per-hour
    # latency sketches, which an increment drops until the next load (README)
    kept = {r: n for r, n in before["tables"].items() if r not in ("lat_days", "lat_hours")}
    assert after["tables"] == kept and after["latency_keys"] == before["latency_keys"]
    _assert_latency_equal(store, conn, table, "summary")
    for th, by in ((0.5, None), (0.7, "environment")):
        fast = store.view_read("mon2", lambda ctx: monitoring.pass_rates(ctx, threshold=th, by=by))
        raw = store.view_read("mon2", lambda ctx: monitoring.pass_rates(ctx, threshold=th, by=by, exact=True))
        assert fast[["metric_name", "count", "pass_rate"]].values.tolist() == \
            raw[["metric_name", "count", "pass_rate"]].values.tolist()
    # a known record's latency grows: its old bin cannot lose it, so the sketch goes and the
    # raw rows answer (until the next full load), still equal
    _insert(conn, table, _mon_rows(7000, [7], lambda r: 1e6, 3, metrics=("coherence",)))
    assert sync.sync(store, "mon2").iloc[0]["sync_type"] == "incremental"
    assert "lat" not in store.info("mon2")["summary"]["tables"]
    _assert_latency_equal(store, conn, table, "raw")
