"""Generated monitoring and KPI data (axis_jupyter.demo_incidents) in a DuckDB store on disk,
copied to the session's PostgreSQL and its local Spark;
``ctx_for(name)`` gives an AnalyticContext on each backend, so the same Ibis analytics run
on all of them."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter import demo_incidents

N_SMALL = 6_000  # records (~25k rows): compared with pandas on both backends
DAYS = 14
START = "2026-01-01T00:00:00"


@pytest.fixture(autouse=True)
def _config_dir(tmp_path, monkeypatch):
    """Each test reads monitoring.yaml / kpi.yaml from its own empty folder."""
    d = tmp_path / "axis-config"
    d.mkdir()
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def mon_frame() -> pd.DataFrame:
    return demo_incidents.monitoring_incidents(N_SMALL, days=DAYS, seed=3, start=START).to_pandas()


@pytest.fixture(scope="session")
def kpi_frame() -> pd.DataFrame:
    return demo_incidents.kpi_records(45, rows_per_day=5, seed=2, start=START).to_pandas()


@pytest.fixture(scope="session")
def mstore(tmp_path_factory, mon_frame, kpi_frame):
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("mon") / "mon.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(mon_frame, name="mon", kind="monitoring")
        store.load(kpi_frame, name="kpi", kind="kpi")
    yield store
    store.close()


def pytest_generate_tests(metafunc):
    """``ctx_for`` runs each test on DuckDB, PostgreSQL and the session's local Spark."""
    if "ctx_for" in metafunc.fixturenames:
        metafunc.parametrize("ctx_for", ["duckdb", "postgres", "spark"], indirect=True,
                             scope="session")


@pytest.fixture(scope="session")
def ctx_for(request, mstore):
    """ctx_for(name) -> AnalyticContext on the chosen backend."""
    from support.pg import context_factory

    pg_uri = request.getfixturevalue("pg_uri") if request.param == "postgres" else None
    spark = request.getfixturevalue("spark") if request.param == "spark" else None
    return context_factory(mstore, request.param, pg_uri, prefix="mon", spark=spark)
