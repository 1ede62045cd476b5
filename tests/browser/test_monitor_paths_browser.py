"""The monitor view says which data answered a filter change (issue 18): in a real
JupyterLab and Chromium, a change of the environment filter on score-only monitoring data
is answered from the summaries (the shared store, over HTTP) and, with ``AXIS_SUMMARIES=off``
in the kernel that owns an embedded store, from the raw rows; the status line and the
view's ``data-path`` show it, over all time in daily buckets and as the view opens (the
last 24 hours in hourly buckets, from the hour tables)."""

from __future__ import annotations

import pytest

N = 600
SEED = 4
# demo monitoring rows without their CLASSIFICATION and ANALYSIS rows: every part of the
# view (KPIs, trends, latency, alerts) is then answerable from the summaries
DATA = (f"df = demo.monitoring_records({N}, days=5, seed={SEED}).to_pandas()\n"
        "df = df[df['metric_category'] == 'SCORE']\n")


def change_environment(page, view, value: str) -> str:
    """Tick ``value`` in the environment filter and wait for the re-rendered view; returns
    its status line."""
    before = int(view.get_attribute("data-render-seq") or 0)
    env = view.locator("[data-testid=filterbar] [data-testid=filter-environment]")
    env.locator("summary").click()
    env.locator(f"input[data-value={value}]").check()
    page.wait_for_function(
        """(n) => { const el = document.querySelector('[data-testid=axis-monitor]');
                    return Number(el.dataset.renderSeq) > n && el.dataset.path; }""",
        arg=before, timeout=60_000)
    view.locator(".axis-title").first.click()  # closes the menu
    return view.locator("[data-testid=status]").first.inner_text()


@pytest.mark.parametrize("name,kwargs", [("mpaths", ", time='all', granularity='day'"),
                                         ("mdefault", "")])  # as it opens: 24 hours, hourly
def test_a_filter_change_is_answered_from_summaries_and_the_view_says_so(page, lab, name, kwargs):
    from browser.labserver import open_notebook, run_cell

    lab.write_notebook(f"{name}.ipynb", [
        "import axis_jupyter\nfrom axis_jupyter import demo, Monitor\naxis = axis_jupyter.connect()\n"
        "print(type(axis).__name__)",
        DATA + f"ds = axis.load(df, name={name!r}, kind='monitoring')\n"
        f"w = Monitor(ds{kwargs})\nw",
    ])
    open_notebook(page, lab, f"{name}.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-monitor]")
    view.locator("[data-testid=kpi-avg]").wait_for(timeout=60_000)
    status = change_environment(page, view, "prod")
    assert view.get_attribute("data-transport") == "server"
    assert view.get_attribute("data-path") == "summary"
    assert "from summaries" in status


def test_with_summaries_off_the_view_says_raw_rows(page, lab, tmp_path):
    from browser.labserver import open_notebook, run_cell

    store = tmp_path / "kernel-monitor.duckdb"
    lab.write_notebook("monitor_raw.ipynb", [
        "import os\nos.environ['AXIS_SUMMARIES'] = 'off'\n"
        "import axis_jupyter\nfrom axis_jupyter import demo, Monitor\n"
        f"axis = axis_jupyter.connect({str(store)!r})\nprint(type(axis).__name__)\n"
        + DATA + "axis.load(df, name='mraw', kind='monitoring')\n"
        "w = Monitor('mraw', store=axis, time='all', granularity='day')\nw",
    ])
    open_notebook(page, lab, "monitor_raw.ipynb")
    assert "LocalStore" in run_cell(page, 0)
    view = page.locator("[data-testid=axis-monitor]")
    view.locator("[data-testid=kpi-avg]").wait_for(timeout=60_000)
    status = change_environment(page, view, "staging")
    assert view.get_attribute("data-transport") == "kernel"
    assert view.get_attribute("data-path") == "raw"
    assert "from the raw rows" in status and "summaries" not in status
