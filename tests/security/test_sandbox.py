"""The store's DuckDB sandbox and the SQL guard in front of it (issue 12, finding 1 and the
``--`` comment of finding 7).

Two layers, each tested on its own:

* DuckDB itself refuses every way out of the database: the attacks run straight on a
  cursor of the store's connection, as if the SQL guard had been bypassed;
* the guard refuses the CTE that shadows a file path (DuckDB scopes CTEs lexically), in
  Python (``axis.sql``) and over HTTP (``POST {base_url}axis/api/query``).

Loading the user's own files (``axis.load(path)``, uploads) keeps working through the
store's staging folder, and a query ending in a ``--`` comment runs on every path.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", _ROOT / "tests", _ROOT / "tests" / "server"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from support.axis_server import (  # noqa: E402,F401 - fixtures used below
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)

import axis_jupyter  # noqa: E402
from axis_jupyter.errors import IngestError, QueryError  # noqa: E402
from axis_jupyter import wire as arrow_ipc  # noqa: E402

SECRET = "supersecret-7f3a"
EVAL_CSV = ("dataset_id,evaluation_name,metric_name,metric_score\n"
            "c1,exp_a,faithfulness,0.9\nc2,exp_a,faithfulness,0.2\nc3,exp_b,faithfulness,0.7\n")


@pytest.fixture(autouse=True)
def _restore_axis_env():
    with axis_env_restored():
        yield


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the store with files a query must never read."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.csv").write_text(f"token\n{SECRET}\n")
    (d / "secret.txt").write_text(SECRET + "\n")
    pq.write_table(pa.table({"token": [SECRET]}), d / "secret.parquet")
    other = duckdb.connect(str(d / "other.duckdb"))
    other.execute(f"CREATE TABLE t AS SELECT '{SECRET}' AS token")
    other.close()
    return d


@pytest.fixture
def store(tmp_path):
    s = axis_jupyter.LocalStore(tmp_path / "store" / "axis.duckdb")
    yield s
    s.close()


def _attacks(d: Path) -> dict[str, str]:
    csv, txt, parquet = d / "secret.csv", d / "secret.txt", d / "secret.parquet"
    return {
        "file as table": f"SELECT * FROM '{csv}'",
        "read_text": f"SELECT * FROM read_text('{txt}')",
        "read_csv": f"SELECT * FROM read_csv('{csv}')",
        "read_parquet": f"SELECT * FROM read_parquet('{parquet}')",
        "glob of files": f"SELECT * FROM '{d}/*.csv'",
        "glob()": f"SELECT * FROM glob('{d}/*')",
        "CTE shadowing a path": f"WITH \"{csv}\" AS (SELECT * FROM '{csv}') SELECT * FROM \"{csv}\"",
        "attach a file": f"ATTACH '{d / 'other.duckdb'}' AS other",
        "install httpfs": "INSTALL httpfs",
        "load httpfs": "LOAD httpfs",
        "url": "SELECT * FROM read_csv('https://example.com/x.csv')",
        "copy to a file": f"COPY (SELECT 42 AS x) TO '{d / 'written.csv'}'",
        "re-enable access": "SET enable_external_access = true",
        "widen allowed dirs": "SET allowed_directories = ['/']",
        "unlock": "RESET lock_configuration",
        "environment": "SELECT getenv('HOME')",
    }


ATTACK_NAMES = list(_attacks(Path("/x")))


@pytest.mark.parametrize("attack", ATTACK_NAMES)
def test_duckdb_itself_refuses_outside_access(store, outside, attack):
    """Straight on the store's connection (no SQL guard): DuckDB refuses each way out."""
    sql = _attacks(outside)[attack]
    assert SECRET in (outside / "secret.csv").read_text()  # the file is there and readable
    cur = store._con.cursor()
    try:
        with pytest.raises(duckdb.Error) as err:
            cur.execute(sql).fetchall()
    finally:
        cur.close()
    assert SECRET not in str(err.value)
    assert not (outside / "written.csv").exists()
    # The store still works after each attempt.
    assert store.sql("SELECT 41 + 1 AS x")["x"][0] == 42


def test_sandbox_settings_are_locked(store):
    cur = store._con.cursor()
    try:
        settings = dict(cur.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
            "'lock_configuration', 'autoinstall_known_extensions', 'autoload_known_extensions')"
        ).fetchall())
    finally:
        cur.close()
    assert settings == {"enable_external_access": "false", "lock_configuration": "true",
                        "autoinstall_known_extensions": "false",
                        "autoload_known_extensions": "false"}


def test_cte_shadowing_a_path_is_refused_by_the_guard(store, outside):
    csv = outside / "secret.csv"
    with pytest.raises(QueryError) as err:
        store.sql(f"WITH \"{csv}\" AS (SELECT * FROM '{csv}') SELECT * FROM \"{csv}\"")
    assert SECRET not in str(err.value)
    # A plain CTE name in the same position: its body's FROM is no CTE (not in scope there).
    with pytest.raises(QueryError, match="unknown table"):
        store.sql(f"WITH t AS (SELECT * FROM '{csv}') SELECT * FROM t")


def test_user_sql_cannot_reach_the_scratch_database(store):
    """The in-memory scratch database (an incremental sync's staged rows) is the store's
    own: user SQL reads neither it nor its tables, qualified or by plain name."""
    store.load(_frame(), name="ev")
    with store.scratch_cursor() as cur:
        cur.execute("CREATE TABLE staged_rows AS SELECT 'hidden-7f3a' AS v")
        try:
            for q in ("SELECT * FROM _axis_scratch.main.staged_rows", "SELECT * FROM staged_rows",
                      'SELECT * FROM "_axis_scratch".staged_rows', "DETACH _axis_scratch",
                      "SELECT * FROM read_csv('x') UNION ALL SELECT v FROM _axis_scratch.staged_rows"):
                with pytest.raises(QueryError) as err:
                    store.sql(q)
                assert "hidden-7f3a" not in str(err.value), q
            assert cur.execute("SELECT v FROM staged_rows").fetchall() == [("hidden-7f3a",)]
        finally:
            cur.execute("DROP TABLE staged_rows")
    assert len(store.sql("SELECT * FROM ev")) > 0


def test_cte_scoping_still_allows_real_ctes(store):
    store.load(_frame(), name="ev")
    got = store.sql("""
        WITH a AS (SELECT metric_score FROM ev),
             b AS (SELECT max(metric_score) AS m FROM a)
        SELECT (SELECT m FROM b) AS m,
               (WITH c AS (SELECT count(*) AS n FROM a) SELECT n FROM c) AS n""")
    assert got.to_dict("records") == [{"m": 0.9, "n": 3}]
    rec = store.sql("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 4) "
                    "SELECT sum(i) AS s FROM r")
    assert rec["s"][0] == 10
    # A CTE is not visible before its definition, nor outside its subquery.
    with pytest.raises(QueryError, match="unknown table"):
        store.sql("WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a")
    with pytest.raises(QueryError, match="unknown table"):
        store.sql("SELECT * FROM (WITH c AS (SELECT 1 AS x) SELECT * FROM c) s, c")


def test_axis_sql_refuses_the_attack_through_connect(tmp_path, outside, monkeypatch):
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    axis = axis_jupyter.connect(str(tmp_path / "c.duckdb"))
    try:
        csv = outside / "secret.csv"
        with pytest.raises(QueryError):
            axis.sql(f"WITH \"{csv}\" AS (SELECT * FROM '{csv}') SELECT * FROM \"{csv}\"")
    finally:
        axis.close()


def _frame():
    import pandas as pd

    return pd.DataFrame({"dataset_id": ["c1", "c2", "c3"], "metric_name": ["f", "f", "f"],
                         "metric_score": [0.9, 0.2, 0.7]})


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_loading_own_files_still_works(store, tmp_path, fmt):
    """axis.load(path) reads any file the user names, through the staging folder, and
    leaves nothing there."""
    d = tmp_path / "my data"
    d.mkdir()
    path = d / f"results.{fmt}"
    df = _frame()
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "parquet":
        df.to_parquet(path)
    else:
        df.to_json(path, orient="records", lines=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = store.load(str(path), name="mine")
    assert store.info(ds.name)["rows"] == 3
    assert sorted(store.sql("SELECT dataset_id FROM mine")["dataset_id"]) == ["c1", "c2", "c3"]
    assert path.exists() and list(store.staging_dir.iterdir()) == []


def test_load_errors_name_the_users_file_not_the_staged_copy(store, tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(IngestError) as err:
        store.load(str(bad), name="broken")
    assert "broken.parquet" in str(err.value) and "axis-stage-" not in str(err.value)
    assert list(store.staging_dir.iterdir()) == []


def test_a_killed_loads_leftovers_are_cleared_at_open(tmp_path):
    path = tmp_path / "k.duckdb"
    s = axis_jupyter.LocalStore(path)
    staging = s.staging_dir
    s.close()
    (staging / "axis-stage-0123456789ab.csv").write_text("a\n1\n")
    (staging / "axis-upload-x").mkdir()
    (staging / "keep-me.txt").write_text("not ours")
    s = axis_jupyter.LocalStore(path)
    try:
        assert sorted(p.name for p in staging.iterdir()) == ["keep-me.txt"]
    finally:
        s.close()


@pytest.mark.parametrize("query", [
    "SELECT 1 AS x -- a trailing comment",
    "SELECT 1 AS x; -- after the semicolon",
    "SELECT 1 AS x /* block */ ;",
    "-- leading\nSELECT '--' AS x -- and trailing",
])
def test_trailing_comment_queries_run(store, query):
    expected = "--" if "'--'" in query else 1
    assert store.sql(query)["x"].tolist() == [expected]
    assert store.sql_arrow(query, limit=5).column("x").to_pylist() == [expected]


# ----------------------------------------------------------------------------- over HTTP
@pytest.fixture
def loaded(axis_state, tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text(EVAL_CSV)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(str(p), name="ev", kind="evals")
    return axis_state.store


@pytest.mark.parametrize("attack", ["CTE shadowing a path", "file as table", "glob of files",
                                    "read_text", "glob()"])
@pytest.mark.parametrize("arrow", [False, True])
async def test_query_route_refuses_file_reads(api, loaded, outside, attack, arrow):
    sql = _attacks(outside)[attack]
    headers = {"Accept": arrow_ipc.ARROW_STREAM} if arrow else {}
    r = await api("POST", "query", body={"sql": sql}, headers=headers)
    assert r.code == 400, r.body[:300]
    body = r.body.decode()
    assert SECRET not in body
    assert json.loads(body)["error"]


async def test_query_route_cte_regression_exact(api, loaded, tmp_path):
    """The probe of the issue, verbatim in shape: a CSV outside the store."""
    target = tmp_path / "path" / "x.csv"
    target.parent.mkdir()
    target.write_text(f"col\n{SECRET}\n")
    sql = f"WITH \"{target}\" AS (SELECT * FROM '{target}') SELECT * FROM \"{target}\""
    r = await api("POST", "query", body={"sql": sql})
    assert r.code == 400 and SECRET not in r.body.decode()


@pytest.mark.parametrize("arrow", [False, True])
async def test_query_route_runs_a_query_ending_in_a_comment(api, loaded, arrow):
    headers = {"Accept": arrow_ipc.ARROW_STREAM} if arrow else {}
    r = await api("POST", "query", headers=headers,
                  body={"sql": "SELECT count(*) AS n FROM ev -- how many rows?"})
    assert r.code == 200, r.body[:300]
    if arrow:
        assert arrow_ipc.from_ipc(r.body).column("n").to_pylist() == [3]
    else:
        body = json.loads(r.body)
        assert body["data"] == [[3]] and body["truncated"] is False


async def test_uploads_load_through_the_sandbox(api, axis_state):
    from axis_helpers import multipart

    payload, ctype = multipart({"name": "up", "kind": "evals"}, ("up.csv", EVAL_CSV.encode()))
    r = await api("POST", "datasets", body=payload, params={"wait": "1"},
                  headers={"Content-Type": ctype})
    assert r.code == 201, r.body[:300]
    assert axis_state.store.info("up")["rows"] == 3
    assert list(Path(axis_state.store.staging_dir).iterdir()) == []


def test_one_sandboxed_database_per_file_and_process(tmp_path, monkeypatch):
    """DuckDB shares one database instance per file in a process, set up and locked by the
    first store: connect(path) returns that store; a second LocalStore says what to do."""
    from axis_jupyter.errors import StoreError

    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    path = tmp_path / "one.duckdb"
    first = axis_jupyter.LocalStore(path)
    try:
        assert axis_jupyter.connect(str(path)) is first
        with pytest.raises(StoreError, match="already has the AXIS store"):
            axis_jupyter.LocalStore(path)
        assert first.sql("SELECT 1 AS x")["x"].tolist() == [1]
    finally:
        first.close()
    again = axis_jupyter.connect(str(path))
    try:
        assert again is not first and again.sql("SELECT 2 AS x")["x"].tolist() == [2]
    finally:
        again.close()


def test_memory_limit_is_a_setting_and_sql_cannot_raise_it(tmp_path, monkeypatch):
    """``AXIS_MEMORY_LIMIT`` caps DuckDB's memory (its cache of written pages included); the
    locked configuration keeps a query from raising it, and a bad value is named."""
    import axis_jupyter
    from axis_jupyter.errors import StoreError

    monkeypatch.setenv("AXIS_MEMORY_LIMIT", "300MB")
    store = axis_jupyter.LocalStore(tmp_path / "m.duckdb")
    try:
        limit = store.read(lambda cur: cur.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        assert limit.replace(" ", "") in ("286.1MiB", "300.0MB", "300MB")
        with pytest.raises(Exception):
            store.read(lambda cur: cur.execute("SET memory_limit = '8GB'"))
    finally:
        store.close()
    monkeypatch.setenv("AXIS_MEMORY_LIMIT", "lots")
    with pytest.raises(StoreError, match="AXIS_MEMORY_LIMIT"):
        axis_jupyter.LocalStore(tmp_path / "n.duckdb")


def test_bulk_writes_buffer_one_row_group_and_sql_cannot_change_it(store):
    """Loads and syncs write each finished row group at once (DuckDB's default buffers five,
    uncompressed: 350 MB of the 5M-row sync benchmark's peak, benchmarks/README.md); the
    locked configuration keeps it so."""
    setting = "SELECT current_setting('write_buffer_row_group_count')"
    assert int(store.read(lambda cur: cur.execute(setting).fetchone()[0])) == 1
    with pytest.raises(Exception, match="lock"):
        store.read(lambda cur: cur.execute("SET write_buffer_row_group_count = 5"))
    assert int(store.read(lambda cur: cur.execute(setting).fetchone()[0])) == 1
