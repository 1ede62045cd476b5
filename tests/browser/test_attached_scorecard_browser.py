"""The scorecard of a Spark-attached dataset in a real JupyterLab in headless Chromium
(issue 17): the kernel starts a local Spark, registers the evaluation table there, attaches
it to an embedded store (only metadata in DuckDB) and shows ``Scorecard``; every number the
page shows was computed by Spark, and must equal the scorecard of the same rows loaded
into DuckDB in this process.

The view talks to the kernel (the dataset is in the kernel's store, not the server's), so
each click runs Spark queries there. Tolerance: 1e-12 on the cards and rows (scores in
[0, 1]; Spark adds the floats in another order, nothing is approximated).
"""

from __future__ import annotations

import pytest

from axis_jupyter import demo
from browser.filterbar_helpers import choose
from browser.labserver import open_notebook, run_cell
from browser.test_scorecard_browser import check_kpis, check_rows, open_drill, wait_kpi
from support.required import missing
from support.spark import java_missing

pytestmark = pytest.mark.browser

N_CASES = 60
SEED = 5


@pytest.fixture(scope="module")
def expected():
    """Scorecard payloads of the DuckDB-loaded copy: all experiments and candidate_a."""
    import axis_jupyter
    from axis_jupyter.notebook.widgets import call_action

    s = axis_jupyter.connect(":memory:")
    s.load(demo.eval_results(N_CASES, seed=SEED), name="ev_duck", kind="evals")
    out = {None: call_action(s, "ev_duck", "scorecard", "payload", {}),
           "candidate_a": call_action(s, "ev_duck", "scorecard", "payload",
                                      {"filters": {"evaluation_name": ["candidate_a"]}})}
    s.close()
    return out


def spark_cells(store: str, parquet: str) -> list[str]:
    """The notebook: a local Spark (the test session's small settings), the demo table as a
    Spark view, attached; the scorecard; then Spark stopped."""
    return [
        "import os, sys\nos.environ['PYSPARK_PYTHON'] = sys.executable\n"
        "os.environ.setdefault('SPARK_LOCAL_IP', '127.0.0.1')\n"
        "import pyarrow.parquet as pq\nimport axis_jupyter\nfrom axis_jupyter import demo, Scorecard\n"
        "from pyspark.sql import SparkSession\n"
        "spark = (SparkSession.builder.master('local[2]').appName('axis-browser')\n"
        "         .config('spark.ui.enabled', 'false').config('spark.sql.shuffle.partitions', '1')\n"
        "         .config('spark.sql.adaptive.enabled', 'false')\n"
        "         .config('spark.sql.codegen.wholeStage', 'false')\n"
        "         .config('spark.sql.session.timeZone', 'UTC')\n"
        "         .config('spark.driver.host', '127.0.0.1').getOrCreate())\n"
        "spark.sparkContext.setLogLevel('ERROR')\n"
        f"pq.write_table(demo.eval_results({N_CASES}, seed={SEED}), {parquet!r})\n"
        f"spark.read.parquet({parquet!r}).createOrReplaceTempView('raw_evals')\n"
        f"axis = axis_jupyter.connect({store!r})\n"
        "ds = axis.attach('ev_spark', spark, table='raw_evals', kind='evals')\n"
        "print(type(axis).__name__, axis.info('ev_spark')['attached']['engine'], axis.info('ev_spark')['rows'])",
        "Scorecard('ev_spark', store=axis)",
        "spark.stop()\nprint('stopped')",
    ]


def test_spark_attached_scorecard_equals_duckdb_copy(page, lab, expected, tmp_path):
    if why := java_missing():
        missing(why)
    lab.write_notebook("attached_spark.ipynb",
                       spark_cells(str(tmp_path / "kernel.duckdb"), str(tmp_path / "evals.parquet")))
    open_notebook(page, lab, "attached_spark.ipynb")
    out = run_cell(page, 0)
    rows = N_CASES * len(demo.EXPERIMENTS) * 10
    # the cell's last line (a library's warning on stderr may come before it)
    assert out.strip().splitlines()[-1].split() == ["LocalStore", "pyspark", str(rows)]
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-scorecard]")
    view.locator("[data-testid=kpi-overall]").wait_for(timeout=120_000)

    # the cards and every metric row: Spark's numbers equal DuckDB's
    check_kpis(view, expected[None])
    check_rows(view, expected[None])
    assert int(view.locator("[data-testid=kpi-cases]").get_attribute("data-value")) == N_CASES

    # a filter and a drill-down are answered by Spark too, through the kernel
    choose(view, "candidate_a")
    wait_kpi(page, "overall", expected["candidate_a"]["kpis"]["overall_score"], timeout=120_000)
    check_kpis(view, expected["candidate_a"])
    check_rows(view, expected["candidate_a"])
    open_drill(page, view, "tone", N_CASES)
    assert view.get_attribute("data-transport") == "kernel"
    view.locator("[data-testid=drilldown] [data-testid=close]").click()
    assert "stopped" in run_cell(page, 2)
