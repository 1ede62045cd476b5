"""The same evaluation and monitoring data three ways: loaded into DuckDB (the reference),
attached from the session's PostgreSQL, attached from the session's local Spark. The
attached datasets live in the same store as the loaded ones; only their metadata is in it."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from axis_jupyter import demo

N_CASES = 40      # x 3 experiments x 10 nodes = 1,200 eval rows
N_RECORDS = 400   # ~1,640 monitoring rows


@pytest.fixture(scope="session")
def raw_frames() -> dict[str, pd.DataFrame]:
    """The user's tables as they are in the engine (the demo's columns, not yet loaded)."""
    return {"evals": demo.eval_results(N_CASES, seed=4).to_pandas(),
            "monitoring": demo.monitoring_records(N_RECORDS, days=3, seed=4).to_pandas()}


@pytest.fixture(scope="session")
def xstore(tmp_path_factory, raw_frames):
    """A workbench store with the DuckDB-loaded copies ``ev_duck`` and ``mo_duck``."""
    from axis_jupyter.workbench import open_local

    store = open_local(tmp_path_factory.mktemp("scaleout") / "axis.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(raw_frames["evals"], name="ev_duck", kind="evals")
        store.load(raw_frames["monitoring"], name="mo_duck", kind="monitoring")
    yield store
    store.close()


def _pg_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:  # an all-null object column needs a type in PostgreSQL
        if df[c].isna().all() and df[c].dtype == object:
            df[c] = df[c].astype("string")
    return df


@pytest.fixture(scope="session")
def pg_tables(pg_uri, raw_frames) -> str:
    """``pg_uri`` with the raw tables ``raw_evals`` and ``raw_monitoring`` in it."""
    from support.pg import ibis_connect

    pg = ibis_connect(pg_uri)
    for kind, df in raw_frames.items():
        with pg.con.cursor() as c:
            c.execute(f'DROP TABLE IF EXISTS "raw_{kind}"')
        pg.con.commit()
        pg.create_table(f"raw_{kind}", _pg_frame(df))
    pg.disconnect()
    return pg_uri


@pytest.fixture(scope="session")
def spark_tables(spark, raw_frames, tmp_path_factory):
    """The session's SparkSession with views ``raw_evals`` and ``raw_monitoring``."""
    import pyarrow as pa
    from support.spark import put_arrow

    folder = tmp_path_factory.mktemp("spark-raw")
    for kind, df in raw_frames.items():
        put_arrow(spark, pa.Table.from_pandas(df, preserve_index=False), f"raw_{kind}", folder)
    return spark


@pytest.fixture(scope="session")
def attached(request, xstore):
    """``attached(engine) -> (evals name, monitoring name)`` attached once per engine."""
    done: dict[str, tuple[str, str]] = {}

    def get(engine: str) -> tuple[str, str]:
        if engine not in done:
            backend = (request.getfixturevalue("pg_tables") if engine == "postgres"
                       else request.getfixturevalue("spark_tables"))
            ev, mo = f"ev_{engine}", f"mo_{engine}"
            xstore.attach(ev, backend, table="raw_evals", kind="evals")
            xstore.attach(mo, backend, table="raw_monitoring", kind="monitoring")
            done[engine] = (ev, mo)
        return done[engine]

    return get


# The HTTP tests use the real Jupyter server of tests/support/axis_server.py.
from support.axis_server import (  # noqa: E402,F401 - fixtures used by test_attach_http.py
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)


@pytest.fixture
def _restore_axis_env():
    with axis_env_restored():
        yield
