"""A local Spark for tests: one SparkSession per test session (``local[2]``, no UI), started
from the ``pyspark`` wheel with Debian's Java 17.

Starting Spark costs 5-30 s (a JVM, then the first job compiles its code), so the session
is shared by every test that needs it (the ``spark`` fixture in ``tests/conftest.py``).
Without Java the tests that need Spark fail under ``CI=true`` and skip elsewhere
(:func:`support.required.missing`).

The tests' tables have a few thousand rows, so a Spark query's time is its fixed costs:
planning, generating and compiling Java code, scheduling a task per shuffle partition, and
re-reading the Parquet files. :data:`TEST_CONF` cuts them (one shuffle partition, no
adaptive re-planning between stages, no whole-stage code generation: interpreted operators
give the same results) and :func:`put_arrow` caches each test table in memory once. On the
compare and deep-dive queries that took a warm session from 6.3 s to 3.6 s per round of
four analytics, and caching a further 4.7 s to 3.8 s (``local[2]``, two shared cores).
Benchmarks use :data:`LOCAL_CONF` instead, the settings a user's local Spark would have.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

#: A local Spark on two cores as a user would run it (the benchmarks): quiet, two shuffle
#: partitions, adaptive execution. ``spark.sql.session.timeZone`` is UTC (Ibis sets it
#: too), so timestamps mean what they mean in DuckDB.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "1g",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}

#: The test session: tiny tables, so the fixed costs per query go (see the module docstring).
TEST_CONF = {
    **LOCAL_CONF,
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
}


def java_missing() -> str | None:
    """Why Spark cannot start here (no Java), or None."""
    java = shutil.which("java", path=os.path.join(os.environ["JAVA_HOME"], "bin")) \
        if os.environ.get("JAVA_HOME") else shutil.which("java")
    if java is None:
        return "Java is not installed (Debian's openjdk-17-jre-headless; .ci/run installs it)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (a dev dependency: pip install -e '.[dev]')"
    return None


def start_spark(warehouse: Path | None = None, conf: dict | None = None):
    """A local SparkSession (``local[2]``) with ``conf`` (default :data:`TEST_CONF`)."""
    # Spark's Python workers must be this venv's interpreter (same pyarrow, same Ibis)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    warehouse = Path(warehouse or tempfile.mkdtemp(prefix="axis-spark-"))
    builder = SparkSession.builder.master("local[2]").appName("axis-tests")
    for k, v in {**(TEST_CONF if conf is None else conf), "spark.sql.warehouse.dir": str(warehouse / "warehouse"),
                 "spark.local.dir": str(warehouse / "tmp")}.items():
        builder = builder.config(k, v)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def put_arrow(session, arrow_table, name: str, folder: Path) -> None:
    """Register ``arrow_table`` as Spark view ``name`` (written once as Parquet under
    ``folder``, so NULLs stay NULL and types stay exact; no pandas round trip), cached in
    Spark's memory so that the tests' queries do not read the files again."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    pq.write_table(arrow_table, path)
    session.read.parquet(str(path)).createOrReplaceTempView(name)
    session.catalog.cacheTable(name)


def context_factory(store, session, prefix: str = "t"):
    """``make(name) -> AnalyticContext`` for dataset ``name`` of ``store`` on Spark: its
    tables (scores, records, full view) copied once as Spark views ``{prefix}_{name}_{role}``,
    and the analytics' Ibis expressions run by the Ibis PySpark backend."""
    from axis_jupyter.analytics import AnalyticContext
    from axis_jupyter.analytics.context import ibis_runner
    from axis_jupyter.attach.spark import connect

    con = connect(session)  # what attach uses: Spark's own OFFSET and mode()
    folder = Path(tempfile.mkdtemp(prefix=f"axis-spark-{prefix}-"))
    copied: set[str] = set()

    def make(name):
        info = store.info(name)
        tables = {}
        for role, table in (("scores", info["scores_table"]),
                            ("records", info.get("records_table") or info["scores_table"]),
                            ("full", name)):
            view = f"{prefix}_{name}_{role}"
            if view not in copied:
                arrow = store.read(lambda cur: cur.sql(f'SELECT * FROM "{table}"').to_arrow_table())
                put_arrow(session, arrow, view, folder)
                copied.add(view)
            tables[role] = con.table(view)
        return AnalyticContext(tables=tables, run=ibis_runner(con), info=info)

    return make
