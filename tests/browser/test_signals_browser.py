"""The human-signals dashboard in a real JupyterLab in headless Chromium, on generated data in
the server's store (the kernel's ``connect()`` is the server; the view fetches over HTTP).

The KPI strip, the case count and the charts are checked against the HTTP API (the
analytics), then filters change on the shared filter bar (a source field, a signal, a time
preset as the bar's time chip; chips removed) and they are checked again each time, a header sorts the cases on
the server, and a case opens with its conversation and signals as the API answers them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import pytest

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

N_CASES = 300
NAME = "hs_browser"


def post(lab, path: str, body: dict) -> dict:
    r = httpx.post(lab.url + path, json=body, headers={"Authorization": f"token {lab.token}"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def table(payload: dict) -> list[dict]:
    return [dict(zip(payload["columns"], row)) for row in payload["data"]]


def kpis(lab, filters=None) -> list[dict]:
    return table(post(lab, f"axis/api/datasets/{NAME}/analytics/signal_kpis", {"filters": filters}))


def count(lab, filters=None) -> int:
    return table(post(lab, f"axis/api/datasets/{NAME}/analytics/case_count", {"filters": filters}))[0]["cases"]


def wait_render(page, seq: int) -> int:
    """Wait until the dashboard has drawn a payload after render number ``seq``."""
    page.wait_for_function(
        """(seq) => { const v = document.querySelector('[data-testid=axis-signals]');
                      return v && Number(v.dataset.renderSeq || 0) > seq && (v.dataset.pending || '0') === '0'; }""",
        arg=seq, timeout=120_000)
    return int(page.locator("[data-testid=axis-signals]").get_attribute("data-render-seq"))


def check_kpis(view, expected: list[dict]) -> None:
    for k in expected:
        card = view.locator(f"[data-testid='kpi-{k['key']}']")
        got = card.get_attribute("data-value")
        if k["value"] is None:
            assert got == ""
        else:
            assert float(got) == pytest.approx(k["value"]), k["key"]
        assert int(card.get_attribute("data-present")) == k["present"]


def test_signals_dashboard_in_jupyterlab(page, lab):
    lab.write_notebook("signals.ipynb", [
        "import warnings, axis_jupyter\nfrom axis_jupyter import demo_signals\n"
        "axis = axis_jupyter.connect()\nprint(type(axis).__name__)",
        "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        f"    axis.load(demo_signals.signal_rows({N_CASES}, seed=4, category_share=0.3, missing_share=0.1),"
        f" name={NAME!r}, kind='signals')\nprint('loaded')",
        f"%load_ext axis_jupyter\n%axis show signals {NAME}",
    ])
    open_notebook(page, lab, "signals.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    assert "loaded" in run_cell(page, 1)
    run_cell(page, 2)
    view = page.locator("[data-testid=axis-signals]")
    view.locator("[data-testid=hs-kpis]").wait_for(timeout=120_000)
    seq = wait_render(page, 0)

    # the KPI strip and the case count, as the API computes them
    check_kpis(view, kpis(lab))
    assert view.locator("[data-testid=hs-cases]").get_attribute("data-total") == str(N_CASES)
    view.locator("[data-testid=vega-priority_level__priority_level] canvas, "
                 "[data-testid^=vega-] canvas").first.wait_for(timeout=60_000)

    # a source filter on the shared filter bar: every number follows
    bar = view.locator("[data-testid=filterbar]")
    bar.locator("[data-testid=filter-environment] summary").click()
    bar.locator("[data-testid=filter-environment] input[data-value=prod]").check()
    seq = wait_render(page, seq)
    view.locator("[data-testid=hs-total]").click()  # a click outside closes the menu
    prod = {"environment": "prod"}
    check_kpis(view, kpis(lab, prod))
    n_prod = count(lab, prod)
    assert view.locator("[data-testid=hs-cases]").get_attribute("data-total") == str(n_prod)
    assert view.locator("[data-testid=cases-title]").inner_text() == f"Cases ({n_prod:,} total)"

    # a signal filter (multi-select) on top of it
    sentiment = bar.locator("[data-testid='filter-sentiment_category__sentiment_category']")
    sentiment.locator("summary").click()
    sentiment.locator("input[data-value=negative]").check()
    seq = wait_render(page, seq)
    view.locator("[data-testid=hs-total]").click()
    both = {"environment": ["prod"], "sentiment_category__sentiment_category": ["negative"]}
    check_kpis(view, kpis(lab, both))
    chips = bar.locator("[data-testid=chip]")
    assert sorted(chips.nth(i).get_attribute("data-value") for i in range(chips.count())) == ["negative", "prod"]
    assert view.locator("[data-testid=hs-cases]").get_attribute("data-total") == str(count(lab, both))

    # a time preset is the bar's window: a chip with the range the cases are counted over
    newest = post(lab, f"axis/api/datasets/{NAME}/views/signals/filter_options", {})["time_range"][1]
    end = (date.fromisoformat(newest[:10]) + timedelta(days=1))
    window = [(end - timedelta(days=30)).isoformat(), end.isoformat()]
    bar.locator("[data-testid=time]").select_option("30d")
    seq = wait_render(page, seq)
    timed = {**both, "time_range": window}
    assert count(lab, timed) != count(lab, both)  # the window leaves cases out
    check_kpis(view, kpis(lab, timed))
    assert view.locator("[data-testid=hs-cases]").get_attribute("data-total") == str(count(lab, timed))
    assert bar.locator("[data-testid=chip][data-key=time]").inner_text().startswith(f"Time: 30 days ({window[0]} – {window[1]})")
    # "Copy as code": the KPI strip's call with the filters on screen
    bar.locator("[data-testid=copy-code]").click()
    code = bar.locator("[data-testid=filter-code]")
    code.wait_for(state="visible", timeout=30_000)
    assert code.inner_text() == post(lab, f"axis/api/datasets/{NAME}/views/signals/code",
                                     {"analytic": "signal_kpis", "args": {}, "filters": timed})["code"]
    # the signal chip removed: the KPI strip, the case count and the title follow
    bar.locator("[data-testid=chip][data-value=negative]").click()
    seq = wait_render(page, seq)
    prod_30d = {"environment": ["prod"], "time_range": window}
    check_kpis(view, kpis(lab, prod_30d))
    n = count(lab, prod_30d)
    assert view.locator("[data-testid=hs-cases]").get_attribute("data-total") == str(n)
    assert view.locator("[data-testid=cases-title]").inner_text() == f"Cases ({n:,} total)"
    # the time chip removed: all time again, the signal filter back on for what follows
    bar.locator("[data-testid=chip][data-key=time]").click()
    seq = wait_render(page, seq)
    check_kpis(view, kpis(lab, {"environment": ["prod"]}))
    assert bar.locator("[data-testid=time]").input_value() == "all"
    sentiment.locator("summary").click()
    sentiment.locator("input[data-value=negative]").check()
    seq = wait_render(page, seq)
    view.locator("[data-testid=hs-total]").click()
    check_kpis(view, kpis(lab, both))

    # the server sorts: a click on Messages sorts ascending, a second descending
    header = view.locator("[data-testid=th-message_count]")
    header.click()
    page.wait_for_function("() => document.querySelector('[data-testid=th-message_count]')?.innerText?.includes('▲')",
                           timeout=60_000)
    header.click()
    page.wait_for_function("() => document.querySelector('[data-testid=th-message_count]')?.innerText?.includes('▼')",
                           timeout=60_000)
    view.locator("[data-testid=axis-signals]").page.wait_for_function(
        "() => document.querySelector('[data-testid=axis-signals]').dataset.pending === '0'", timeout=60_000)
    want = table(post(lab, f"axis/api/datasets/{NAME}/analytics/cases",
                      {"filters": both, "sort_by": "message_count", "descending": True, "page": 1, "page_size": 25}))
    rows = view.locator("[data-testid=case-table] tbody tr")
    assert rows.count() == len(want)
    assert [rows.nth(i).get_attribute("data-case") for i in range(rows.count())] == [w["dataset_id"] for w in want]

    # one case: its conversation and signals as the API answers them
    first = want[0]["dataset_id"]
    rows.first.locator("[data-testid=open-case]").click()
    detail = view.locator("[data-testid=case-detail]")
    detail.wait_for(timeout=60_000)
    api_case = httpx.get(f"{lab.url}axis/api/datasets/{NAME}/signals/cases/{first}",
                         headers={"Authorization": f"token {lab.token}"}, timeout=60).json()
    assert detail.locator("[data-testid=case-id]").inner_text() == first
    bubbles = detail.locator(".axis-hs-bubble")
    assert bubbles.count() == len(api_case["messages"])
    assert api_case["messages"][0]["content"].splitlines()[0] in bubbles.first.inner_text()
    esc = next(m for m in api_case["metrics"] if m["metric_name"] == "escalation_type")
    value = next(s["value"] for s in esc["signals"] if s["key"] == "escalation_type")
    assert detail.locator("[data-testid='sig-escalation_type__escalation_type']").inner_text() == value
    assert detail.locator("[data-testid=case-link]").get_attribute("href").startswith("https://chat.example.com/")
    detail.locator("[data-testid=case-close]").click()
    assert view.locator("[data-testid=case-overlay]").is_hidden()
    assert json.loads(json.dumps(api_case))  # the API's answer is plain JSON
