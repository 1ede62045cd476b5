"""Shared fixtures: stores on disk, demo data and a real PostgreSQL."""

from __future__ import annotations

import os
import warnings

import pytest

os.environ.setdefault("AXIS_HOME", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "axis-home"))


@pytest.fixture
def store(tmp_path):
    """A fresh embedded store in a DuckDB file on disk."""
    import axis_jupyter

    s = axis_jupyter.LocalStore(tmp_path / "axis.duckdb")
    yield s
    s.close()


@pytest.fixture
def demo_store(store):
    from axis_jupyter import demo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo.load_demo(store, n_cases=120, n_records=1500, seed=7)
    return store


@pytest.fixture(scope="session")
def pg_uri(tmp_path_factory):
    """URI of a real PostgreSQL server for this test session."""
    from support.pg import start_postgres

    server, uri = start_postgres(tmp_path_factory.mktemp("pg"))
    yield uri
    server.cleanup()


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """The test session's one local SparkSession (``local[2]``; see support/spark.py).
    Without Java: a failure under CI=true, a skip elsewhere."""
    from support.required import missing
    from support.spark import java_missing, start_spark

    why = java_missing()
    if why:
        missing(why)
    session = start_spark(tmp_path_factory.mktemp("spark"))
    yield session
    session.stop()


@pytest.fixture
def ip(tmp_path, monkeypatch):
    """A real IPython shell with %axis loaded on a store file in tmp (embedded, short errors)."""
    import IPython
    from IPython.testing.globalipapp import start_ipython

    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    shell = IPython.get_ipython()  # another test may have created the shell already
    if shell is None:
        start_ipython()  # once per process; later calls return None
        shell = IPython.get_ipython()
    shell.run_line_magic("load_ext", "axis_jupyter")
    shell.run_line_magic("config", f"AxisMagic.store_path = {str(tmp_path / 'm.duckdb')!r}")
    shell.run_line_magic("config", "AxisMagic.short_errors = True")
    yield shell
    magic = shell.magics_manager.registry["AxisMagic"]
    if magic._store is not None:
        magic._store.close()
        magic._store = None


def pytest_terminal_summary(terminalreporter, config):
    """The shuffle's seed, also under -q (pytest-random-order prints it only in the header)."""
    from random_order.config import Config

    order = Config(config)
    if order.is_enabled:
        terminalreporter.write_line(f"random order: --random-order-bucket={order.bucket_type} "
                                    f"--random-order-seed={order.seed}")
