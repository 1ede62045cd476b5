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
           "traces": call_action(s, "mt", "monitor", "traces", {"time": "all", "filters": {"environment": "prod"}}),
           # the time chip removed: the default window (last 24 h of the data) of prod
           "24h_prod": payload(time="24h", filters={"environment": "prod"}),
           "traces_24h_prod": call_action(s, "mt", "monitor", "traces", {"time": "24h", "filters": {"environment": "prod"}})}
    # "Copy as code" of the prod view: ds.pass_rates(...) over the scope the view resolved
    out["code"] = call_action(s, "mt", "monitor", "code", {
        "analytic": "pass_rates", "args": {"threshold": out["all_prod"]["threshold"]},
        "filters": out["all_prod"]["scope"]})["code"]
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

    # the time window is the filter bar's: its select and a chip ("Last 7 days", as opened)
    time_chip = view.locator("[data-testid=filterbar] [data-testid=chip][data-key=time]")
    assert time_chip.inner_text().startswith("Time: Last 7 days")
    view.locator("[data-testid=filterbar] [data-testid=time]").select_option("all")
    wait_value(page, "kpi-avg", expected["all"]["kpis"]["avg_score"])
    wait_value(page, "kpi-p95", expected["all"]["kpis"]["p95_latency"])
    assert time_chip.inner_text().startswith("Time: All time")

    # the shared filter bar: environment = prod, then prod and staging (two chips: every
    # environment, the unfiltered numbers), then the staging chip removed
    env = view.locator("[data-testid=filterbar] [data-testid=filter-environment]")
    env.locator("summary").click()
    env.locator("input[data-value=prod]").check()
    wait_value(page, "kpi-avg", expected["all_prod"]["kpis"]["avg_score"])
    wait_value(page, "kpi-pass", expected["all_prod"]["kpis"]["pass_rate"])
    env.locator("input[data-value=staging]").check()
    wait_value(page, "kpi-avg", expected["all"]["kpis"]["avg_score"])
    chips = view.locator("[data-testid=filterbar] [data-testid=chip][data-key=environment]")
    assert sorted(chips.nth(i).get_attribute("data-value") for i in range(chips.count())) == ["prod", "staging"]
    view.locator(".axis-title").first.click()  # closes the open menu, as a click beside a <select> does
    view.locator("[data-testid=filterbar] [data-testid=chip][data-value=staging]").click()
    wait_value(page, "kpi-avg", expected["all_prod"]["kpis"]["avg_score"])
    wait_value(page, "kpi-pass", expected["all_prod"]["kpis"]["pass_rate"])
    wait_value(page, "kpi-p95", expected["all_prod"]["kpis"]["p95_latency"])
    assert int(view.locator("[data-testid=kpi-alerts]").get_attribute("data-value")) == \
        expected["all_prod"]["kpis"]["alerts"]
    assert chips.count() == 1
    # "Copy as code": the call returning the pass rates shown (the same text as the API's)
    view.locator("[data-testid=filterbar] [data-testid=copy-code]").click()
    code = view.locator("[data-testid=filterbar] [data-testid=filter-code]")
    code.wait_for(state="visible", timeout=30_000)
    assert code.inner_text() == expected["code"]
    assert "ds.pass_rates(" in expected["code"] and "environment='prod'" in expected["code"]

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

    # the time chip removed: the default window (last 24 h); every panel follows: the
    # alerts listed, then the score tab's KPI cards and its trace table
    q = expected["24h_prod"]["kpis"]
    assert (q["alerts"], q["avg_score"]) != (n["alerts"], n["avg_score"])  # the window changes the numbers
    time_chip.click()
    page.wait_for_function(
        """(t) => document.querySelector('[data-testid=axis-monitor] [data-testid=alert-errors]')?.innerText === t""",
        arg=f"{q['errors']} Errors", timeout=60_000)
    assert view.locator("[data-testid=alert]").count() == q["alerts"]
    assert time_chip.count() == 0
    assert view.locator("[data-testid=filterbar] [data-testid=time]").input_value() == "24h"
    view.locator("[data-testid=tab-score]").click()
    wait_value(page, "kpi-avg", q["avg_score"])
    wait_value(page, "kpi-pass", q["pass_rate"])
    wait_value(page, "kpi-p95", q["p95_latency"])
    assert int(view.locator("[data-testid=kpi-alerts]").get_attribute("data-value")) == q["alerts"]
    total = expected["traces_24h_prod"]["total"]
    page.wait_for_function(
        """(t) => (document.querySelector('[data-testid=axis-monitor] [data-testid=trace-table-range]')?.innerText || '').endsWith(t)""",
        arg=f"of {total:,}", timeout=60_000)
