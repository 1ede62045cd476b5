"""The embedded store: paths, metadata, atomic swaps, read-only SQL, paging, locks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
import warnings

import pytest

import axis_jupyter
from axis_jupyter import NotFoundError, QueryError, StoreLockedError, demo
from axis_jupyter import open_local


def test_default_path_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "env.duckdb"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    s = axis_jupyter.connect()
    assert s.location == str(tmp_path / "env.duckdb")
    assert axis_jupyter.connect() is s  # one store object per file per process
    s.close()
    monkeypatch.delenv("AXIS_STORE")
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    s2 = axis_jupyter.connect()
    assert s2.location == str(tmp_path / "home" / "axis.duckdb")
    s2.close()


def test_memory_store_is_throwaway():
    a, b = axis_jupyter.connect(":memory:"), axis_jupyter.connect(":memory:")
    a.load(demo.eval_results(3), name="x")
    assert list(a.datasets().name) == ["x"] and b.datasets().empty


def test_metadata_persists_across_reopen(tmp_path):
    path = tmp_path / "p.duckdb"
    s = axis_jupyter.LocalStore(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo.load_demo(s, n_cases=10, n_records=50)
    before = s.datasets()
    s.close()
    s2 = axis_jupyter.LocalStore(path)
    assert s2.datasets().equals(before)
    info = s2.info("demo_monitoring")
    assert info["filter_values"]["source_name"] == ["Atlas", "Nova", "Orion"]
    assert info["time_range"][0] < info["time_range"][1]
    assert s2.dataset("demo_evals").summary().shape[0] == 10
    s2.close()


class Readers:
    """Threads that call ``read`` in a loop and keep what it returned; ``during(replace)``
    calls ``replace(i)`` for i = 0, 1, ... at least ``min_rounds`` times and until every
    reader has finished two reads since the first call, so that at least one read of each
    reader ran while the replacements did (a count, not a clock)."""

    def __init__(self, read, n: int = 3):
        self.read, self.values, self.errors = read, set(), []
        self.counts = [0] * n
        self.cond, self.stop = threading.Condition(), threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(n)]

    def _loop(self, i: int):
        while not self.stop.is_set():
            try:
                value = self.read()
            except Exception as exc:  # the failure the tests look for
                self.errors.append(exc)
                value = None
            with self.cond:
                if value is not None:
                    self.values.add(value)
                self.counts[i] += 1
                self.cond.notify_all()

    def during(self, replace, min_rounds: int = 6, max_rounds: int = 400) -> list[int]:
        for t in self.threads:
            t.start()
        try:
            with self.cond:  # every reader is reading before the first replacement
                assert self.cond.wait_for(lambda: all(self.counts), timeout=60), "a reader never read"
                before = list(self.counts)
            rounds = 0
            while rounds < min_rounds or min(c - b for c, b in zip(self.counts, before)) < 2:
                assert rounds < max_rounds, f"readers starved: {self.counts} after {rounds} replacements"
                replace(rounds)
                rounds += 1
            with self.cond:
                return [c - b for c, b in zip(self.counts, before)]
        finally:
            self.stop.set()
            for t in self.threads:
                t.join()


def test_replace_is_atomic_for_concurrent_readers(store):
    """Readers see the old dataset or the new one, never a partial or missing table."""
    small, big = demo.eval_results(5, seed=1), demo.eval_results(400, seed=2)
    store.load(small, name="x")
    readers = Readers(lambda: int(store.sql("SELECT count(*) AS n FROM x").n[0]))
    reads = readers.during(lambda i: store.load(big if i % 2 == 0 else small, name="x"))
    assert not readers.errors
    assert min(reads) >= 2 and readers.values and readers.values <= {150, 12000}
    # Old versions' tables are dropped: only the live version's remain (the scores table and
    # its summaries).
    tables = store.sql("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '_axis_t_x_%'")
    live = store.info("x")["tables"]
    assert sorted(tables.table_name) == sorted(live) and len({t.split("_long")[0] for t in live}) == 1


def test_drop_and_not_found(demo_store):
    demo_store.drop("demo_evals")
    assert "demo_evals" not in set(demo_store.datasets().name)
    with pytest.raises(NotFoundError, match="no dataset named 'demo_evals'"):
        demo_store.dataset("demo_evals")


@pytest.mark.parametrize("query,msg", [
    ("DELETE FROM demo_evals", "only SELECT"),
    ("SELECT 1; SELECT 2", "exactly one statement"),
    ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
    ("SELECT * FROM '/etc/passwd'", "unknown table"),
    ("SELECT getenv('HOME')", "not allowed"),
    ("SELEC 1", "syntax error"),
    ("SELECT nope FROM demo_evals", "query failed"),
])
def test_sql_is_read_only(demo_store, query, msg):
    with pytest.raises(QueryError, match=msg):
        demo_store.sql(query)


def test_sql_select_with_cte(demo_store):
    df = demo_store.sql("WITH t AS (SELECT metric_name, avg(metric_score) AS m FROM demo_evals GROUP BY 1) "
                        "SELECT count(*) AS n FROM t")
    assert df.n[0] == 10


def test_rows_paging_sort_search_filters(demo_store):
    rows, total = demo_store.rows("demo_monitoring", page=2, page_size=7, sort_by="latency", descending=True,
                                  filters={"environment": "prod", "metric_name": "relevance"})
    assert len(rows) == 7 and total == demo_store.sql(
        "SELECT count(*) AS n FROM demo_monitoring WHERE environment='prod' AND metric_name='relevance'").n[0]
    assert rows.latency.is_monotonic_decreasing
    found, n = demo_store.rows("demo_monitoring", search="REFUND", page_size=5)
    assert n > 0 and found["query"].str.contains("refund").all()
    with pytest.raises(QueryError, match="cannot sort"):
        demo_store.rows("demo_monitoring", sort_by="nope")
    with pytest.raises(QueryError, match="cannot filter on 'nope'"):
        demo_store.rows("demo_monitoring", filters={"nope": 1})


def test_analytic_errors_are_clear(demo_store):
    ds = demo_store.dataset("demo_monitoring")
    with pytest.raises(QueryError, match="granularity must be hour, day or week"):
        ds.trends("fortnight")
    with pytest.raises(QueryError, match="unknown analytic"):
        ds.analytic("nope")
    with pytest.raises(QueryError, match="trends does not apply to evals"):
        demo_store.dataset("demo_evals").trends()


def test_locked_file_names_the_holder(tmp_path):
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError) as err:
            axis_jupyter.LocalStore(path)
        msg = str(err.value)
        assert f"PID {holder.pid}" in msg and "a Python process" in msg
        assert "connect()" in msg and ":memory:" in msg
    finally:
        holder.kill()
        holder.wait()


def test_reads_run_on_worker_threads(store):
    names = store.read(lambda cur: threading.current_thread().name)
    assert names.startswith("axis-read")
    assert open_local(":memory:") is not open_local(":memory:")


def test_analytics_during_reloads_never_fail(store):
    """Analytics name the versioned tables; a reload between lookup and query is retried."""
    small, big = demo.eval_results(5, seed=1), demo.eval_results(200, seed=2)
    store.load(small, name="x", kind="evals")
    ds = store.dataset("x")
    readers = Readers(lambda: int(ds.summary()["count"].sum()), n=2)
    reads = readers.during(lambda i: store.load(big if i % 2 == 0 else small, name="x", kind="evals"),
                           min_rounds=8)
    assert not readers.errors
    assert min(reads) >= 2 and readers.values and readers.values <= {150, 6000}


def test_compiled_sql_is_reused_and_never_stale(tmp_path):
    """Analytics compile each distinct Ibis expression once; a reload (new versioned tables)
    compiles anew, so a cached query never reads the previous data."""
    import pandas as pd

    from axis_jupyter.analytics.context import SQL_CACHE

    store = axis_jupyter.LocalStore(tmp_path / "c.duckdb")
    frame = pd.DataFrame({"dataset_id": ["a", "b"], "metric_name": ["m", "m"], "metric_score": [0.2, 0.4]})
    ds = store.load(frame, name="c", kind="evals")
    first = ds.summary()
    n = len(SQL_CACHE.entries)
    assert ds.summary().equals(first) and len(SQL_CACHE.entries) == n  # a hit: nothing compiled
    ds = store.load(frame.assign(metric_score=[0.8, 1.0]), name="c", kind="evals")
    assert ds.summary()["mean"].iloc[0] == pytest.approx(0.9)
    store.close()
