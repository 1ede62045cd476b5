"""The monitor view in a real JupyterLab in headless Chromium (shared store over HTTP):
open it on generated data, change the time window and a filter, open a trace, and check
the numbers against the API computed in this process on the same data. The JupyterLab and
the page are the browser tests' own (conftest.py)."""

from __future__ import annotations

import pytest

N = 20_000
SEED = 4


@pytest.fixture(scope="module")
def expected():
    import axis_jupyter
    from axis_jupyter import demo_incidents
    from axis_jupyter.notebook.widgets import call_action

    s = axis_jupyter.connect(":memory:")
    s.load(demo_incidents.monitoring_incidents(N, seed=SEED), name="mt", kind="monitoring")

    def payload(**p):
        return call_action(s, "mt", "monitor", "payload", {"granularity": "day", **p})

    out = {"7d": payload(time="7d"), "all": payload(time="all"),
           "all_prod": payload(time="all", filters={"environment": "prod"}),
           "traces": call_action(s, "mt", "monitor", "traces", {"time": "all", "filters": {"environment": "prod"}})}
    yield out
    s.close()


def wait_value(page, testid, value, timeout=60_000):
    page.wait_for_function(
        """([id, v]) => { const el = document.querySelector(`[data-testid=axis-monitor] [data-testid=${id}]`);
                          return el && Math.abs(Number(el.dataset.value) - v) < 1e-9; }""",
        arg=[testid, value], timeout=timeout)


def near_click(page, button, panel):
    """The panel starts level with the clicked button (or as close as it fits) and is in
    the window."""
    b, p, vp = button.bounding_box(), panel.bounding_box(), page.viewport_size
    assert 0 <= p["y"] < vp["height"] - 40, (p, vp)
    assert abs(p["y"] - b["y"]) < max(60, p["height"]), (p, b)


def test_monitor_in_jupyterlab(page, lab, expected):
    from browser.labserver import open_notebook, run_cell

    lab.write_notebook("monitor.ipynb", [
        "import axis_jupyter\nfrom axis_jupyter import demo_incidents\nfrom axis_jupyter import Monitor\n"
        "axis = axis_jupyter.connect()\nprint(type(axis).__name__)",
        f"ds = axis.load(demo_incidents.monitoring_incidents({N}, seed={SEED}), name='mt', kind='monitoring')",
        "w = Monitor(ds, time='7d', granularity='day')\nw",
    ])
    open_notebook(page, lab, "monitor.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    run_cell(page, 1)
    run_cell(page, 2)
    view = page.locator("[data-testid=axis-monitor]")
    view.locator("[data-testid=kpi-avg]").wait_for(timeout=60_000)
    k = expected["7d"]["kpis"]
    wait_value(page, "kpi-avg", k["avg_score"])
    wait_value(page, "kpi-pass", k["pass_rate"])
    wait_value(page, "kpi-p95", k["p95_latency"])
    assert int(view.locator("[data-testid=kpi-alerts]").get_attribute("data-value")) == k["alerts"]
    view.locator("[data-testid=trend-chart] canvas").first.wait_for(timeout=60_000)

    # the time window: all time
    view.locator("[data-testid=time]").select_option("all")
    wait_value(page, "kpi-avg", expected["all"]["kpis"]["avg_score"])
    wait_value(page, "kpi-p95", expected["all"]["kpis"]["p95_latency"])

    # a filter: environment = prod
    view.locator("[data-testid=filter-environment]").select_option("prod")
    wait_value(page, "kpi-avg", expected["all_prod"]["kpis"]["avg_score"])
    wait_value(page, "kpi-pass", expected["all_prod"]["kpis"]["pass_rate"])
    assert int(view.locator("[data-testid=kpi-alerts]").get_attribute("data-value")) == \
        expected["all_prod"]["kpis"]["alerts"]

    # the trace table is paged in the engine; open the first trace
    first = expected["traces"]["rows"][0]
    page.wait_for_function(
        """(id) => { const r = document.querySelector('[data-testid=axis-monitor] [data-testid=trace-table] tbody tr');
                     return r && r.dataset.id === id; }""", arg=first["dataset_id"], timeout=60_000)
    range_text = view.locator("[data-testid=trace-table-range]").inner_text()
    assert range_text.endswith(f"of {expected['traces']['total']:,}")
    view.locator("[data-testid=trace-table] tbody tr").first.locator("[data-testid=open-trace]").click()
    detail = view.locator("[data-testid=trace-detail]")
    detail.locator("[data-testid=detail-score]").wait_for(timeout=60_000)
    assert detail.locator("[data-testid=detail-score]").inner_text() == f"{first['metric_score']:.3f}"
    assert first["trace_id"] in detail.locator("[data-testid=detail-trace]").inner_text()
    assert detail.locator("[data-testid=detail-metrics] tr").count() >= 4
    # the trace opens beside the row it was opened from, in the window (it once opened at
    # the top of the widget, off-screen from a click far down)
    near_click(page, view.locator("[data-testid=trace-table] tbody tr").first.locator("[data-testid=open-trace]"),
               detail.locator("[data-testid=trace-panel]"))
    detail.locator("[data-testid=detail-close]").click()
    last = view.locator("[data-testid=trace-table] tbody tr").last.locator("[data-testid=open-trace]")
    last.scroll_into_view_if_needed()
    last.click()
    detail.locator("[data-testid=detail-score]").wait_for(timeout=60_000)
    near_click(page, last, detail.locator("[data-testid=trace-panel]"))
    detail.locator("[data-testid=detail-close]").click()

    # the alerts tab lists what the engine computed
    view.locator("[data-testid=tab-alerts]").click()
    view.locator("[data-testid=alert-errors]").wait_for(timeout=60_000)
    n = expected["all_prod"]["kpis"]
    assert view.locator("[data-testid=alert-errors]").inner_text() == f"{n['errors']} Errors"
    assert view.locator("[data-testid=alert]").count() == n["alerts"]
