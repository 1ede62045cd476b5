"""The compare view's "Test cases" mode in a real JupyterLab (base_url /a%40b/, the AXIS
extension owning the store) in headless Chromium, with three experiments.

The notebook loads generated results and asks the Python API (``ds.analytic("test_cases",
...)``) for the table the test will reach: every case, the high-variance fifth sorted by
standard deviation, and a search inside it. The page must show those cases in that order
with those numbers; its CSV must hold every case the filters keep (more than one page);
the classic layout, the full-text diff and the case dialog (opened beside the clicked row)
work; the table scrolls inside its own box and never pushes the widget sideways; the shared
filter bar narrows it to two experiments, and "Copy as code" gives the matching call.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

N_CASES = 90
NAME = "cases3"

SETUP = f"""
import json, axis_jupyter
from axis_jupyter import demo
axis = axis_jupyter.connect()
ds = axis.load(demo.eval_results({N_CASES}, seed=8), name={NAME!r}, kind='evals')

def table(**kw):
    df = ds.analytic('test_cases', page_size=500, **kw)
    cases = df.drop_duplicates('case_id')
    return {{'ids': cases.case_id.tolist(), 'std': cases.case_std.tolist(), 'mean': cases.case_mean.tolist(),
             'total': int(df.total.iloc[0]) if len(df) else 0, 'rows': int(df.total_rows.iloc[0]) if len(df) else 0,
             'scores': {{f'{{c}}|{{e}}': s for c, e, s in zip(df.case_id, df.evaluation_name, df.score)}}}}

expected = {{'all': table(), 'variance': table(quick='variance', sort_by='std'),
             'search': table(quick='variance', sort_by='std', search='candidate_b: how'),
             'two': table(quick='variance', sort_by='std', filters={{'evaluation_name': ['baseline', 'candidate_b']}})}}
with open('cases_expected.json', 'w') as fh:
    json.dump(expected, fh)
print(type(axis).__name__, expected['variance']['total'], expected['search']['total'])
"""


def wait_table(page, quick: str, layout: str = "side", text: str = "clip"):
    page.wait_for_function(
        """([q, l, t]) => { const b = document.querySelector('[data-testid=axis-compare] [data-testid=cases-box]');
                       return b && b.dataset.quick === q && b.dataset.layout === l && b.dataset.text === t
                         && !b.classList.contains('axis-loading'); }""",
        arg=[quick, layout, text], timeout=60_000)


ROWS_JS = """(box) => [...box.querySelectorAll('[data-testid=case-row]')].map((tr) => ({
    id: tr.dataset.case, std: tr.dataset.std, mean: tr.dataset.mean,
    cells: Object.fromEntries([...tr.querySelectorAll('td[data-exp]')].map((td) => [td.dataset.exp, td.dataset.score])),
}))"""


def shown_rows(view):
    return view.locator("[data-testid=cases-box]").evaluate(ROWS_JS)


def test_compare_test_cases_three_experiments_high_variance(page, lab):
    lab.write_notebook("cases.ipynb", [SETUP, f"%load_ext axis_jupyter\n%axis show compare {NAME}"])
    open_notebook(page, lab, "cases.ipynb")
    out = run_cell(page, 0)
    assert "RemoteStore" in out
    exp = json.loads((lab.root / "cases_expected.json").read_text())
    var = exp["variance"]
    assert var["total"] == 18 and exp["search"]["total"] >= 2  # ceil(90 / 5); the search keeps some
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-compare]")
    wait_table(page, "all")
    assert view.get_attribute("data-mode") == "cases"
    summary = view.locator("[data-testid=cases-summary]")
    assert summary.get_attribute("data-total") == str(N_CASES)
    assert summary.inner_text() == (f"Showing {N_CASES} test cases ({exp['all']['rows']} rows) from 3 experiments "
                                    "· 10 of 10 metrics")
    assert [r["id"] for r in shown_rows(view)] == exp["all"]["ids"][:20]  # by case id, 20 a page
    heads = view.locator("[data-testid=cases-table] thead th").all_inner_texts()
    assert [t.strip() for t in heads[4:7]] == ["baseline", "candidate_a", "candidate_b"]

    # ten a page, then the high-variance fifth, sorted by standard deviation (largest first)
    view.locator("[data-testid=cases-page-size]").select_option("10")
    wait_table(page, "all")
    view.locator("[data-testid=quick-variance]").click()
    wait_table(page, "variance")
    view.locator("[data-testid=cases-sort-std]").click()
    page.wait_for_function("(id) => { const r = document.querySelector('[data-testid=axis-compare] [data-testid=case-row]');"
                           " return r && r.dataset.case === id; }", arg=var["ids"][0], timeout=60_000)
    wait_table(page, "variance")
    assert view.locator("[data-testid=cases-sort-std]").get_attribute("data-sort") == "desc"
    rows = shown_rows(view)
    assert [r["id"] for r in rows] == var["ids"][:10]
    assert [float(r["std"]) for r in rows] == pytest.approx(var["std"][:10])
    for r in rows:
        for e, score in r["cells"].items():
            assert float(score) == pytest.approx(var["scores"][f"{r['id']}|{e}"])
    assert summary.get_attribute("data-total") == str(var["total"])
    assert summary.get_attribute("data-all") == str(N_CASES)
    assert view.locator("[data-testid=kpi-cases] .axis-kpi-value").inner_text() == f"{var['total']} / {N_CASES}"
    view.locator("[data-testid=cases-next]").click()
    page.wait_for_function("(id) => { const r = document.querySelector('[data-testid=axis-compare] [data-testid=case-row]');"
                           " return r && r.dataset.case === id; }", arg=var["ids"][10], timeout=60_000)
    assert [r["id"] for r in shown_rows(view)] == var["ids"][10:18]

    # the CSV: every case the filters keep (18), not the 8 on this page
    with page.expect_download() as dl:
        view.locator("[data-testid=cases-export]").click()
    assert dl.value.suggested_filename == f"{NAME}_test_cases_side.csv"
    got = list(csv.DictReader(io.StringIO(open(dl.value.path()).read())))
    assert [r["case_id"] for r in got] == var["ids"]
    assert [float(r["std"]) for r in got] == pytest.approx(var["std"])

    # a search inside the high-variance cases
    view.locator("[data-testid=cases-search]").fill("candidate_b: how")
    page.wait_for_function("(n) => document.querySelector('[data-testid=axis-compare] [data-testid=cases-summary]')"
                           ".dataset.total === String(n)", arg=exp["search"]["total"], timeout=60_000)
    wait_table(page, "variance")
    assert [r["id"] for r in shown_rows(view)] == exp["search"]["ids"][:10]

    # classic: one row per case and experiment
    view.locator("[data-testid=layout-classic]").click()
    wait_table(page, "variance", "classic")
    classic = view.locator("[data-testid=classic-row]")
    shown = min(10, exp["search"]["total"])
    assert classic.count() == sum(1 for k in exp["search"]["scores"] if k.split("|")[0] in exp["search"]["ids"][:shown])
    assert classic.first.get_attribute("data-exp") == "baseline"

    # full text with the differences from the reference experiment highlighted
    view.locator("[data-testid=layout-side]").click()
    view.locator("[data-testid=text-full]").click()
    wait_table(page, "variance", "side", "full")
    first = view.locator("[data-testid=case-row]").first
    assert first.locator("[data-testid=diff-reference]").count() == 1
    diffs = first.locator("[data-testid=diff-output]")
    assert diffs.count() == 2 and diffs.first.locator("ins.axis-diff-add").count() >= 1
    assert "candidate_a" in diffs.first.locator("ins.axis-diff-add").first.inner_text()

    # the case dialog opens beside the row it was opened from, inside the window
    last = view.locator("[data-testid=case-row]").last
    case_id = last.get_attribute("data-case")
    last.locator("[data-testid=case-open]").click()
    panel = view.locator(f"[data-testid=case-panel][data-case='{case_id}']")
    panel.locator("[data-testid=case-grid]").wait_for(timeout=60_000)
    box, vp = panel.bounding_box(), page.viewport_size
    assert box["y"] >= 0 and box["y"] < vp["height"] - 40
    scores = {s.get_attribute("data-exp"): float(s.get_attribute("data-value"))
              for s in panel.locator("[data-testid=case-score]").all()}
    assert scores == pytest.approx({e: exp["search"]["scores"][f"{case_id}|{e}"] for e in scores})
    assert len(scores) == 3
    panel.locator("[data-testid=case-close]").click()
    assert view.locator("[data-testid=case-dialog]").is_hidden()

    # the table scrolls inside its own box: the widget is never wider than its output area
    widths = view.evaluate("(v) => ({view: v.scrollWidth, client: v.clientWidth,"
                           " box: v.querySelector('[data-testid=cases-box]').scrollWidth,"
                           " boxClient: v.querySelector('[data-testid=cases-box]').clientWidth})")
    assert widths["view"] <= widths["client"] + 1, widths

    # the shared filter bar: two of the three experiments (chips), the search cleared
    view.locator("[data-testid=text-clip]").click()
    wait_table(page, "variance")
    view.locator("[data-testid=cases-search]").fill("")
    page.wait_for_function("(n) => document.querySelector('[data-testid=axis-compare] [data-testid=cases-summary]')"
                           ".dataset.total === String(n)", arg=var["total"], timeout=60_000)
    exps = view.locator("[data-testid=filterbar] [data-testid=filter-evaluation_name]")
    exps.locator("summary").click()
    exps.locator("input[data-value=baseline]").check()
    exps.locator("input[data-value=candidate_b]").check()
    view.locator(".axis-title").first.click()  # closes the menu
    two = exp["two"]
    page.wait_for_function(
        """(ids) => { const rows = [...document.querySelectorAll('[data-testid=axis-compare] [data-testid=case-row]')];
                      return rows.length && rows.map((r) => r.dataset.case).join() === ids.join(); }""",
        arg=two["ids"][:10], timeout=60_000)
    wait_table(page, "variance")
    assert summary.get_attribute("data-total") == str(two["total"])
    rows = shown_rows(view)
    assert all(set(r["cells"]) <= {"baseline", "candidate_b"} for r in rows)
    assert [float(r["std"]) for r in rows] == pytest.approx(two["std"][:10])
    chips = view.locator("[data-testid=filterbar] [data-testid=chip]")
    assert sorted(chips.nth(i).get_attribute("data-value") for i in range(chips.count())) == ["baseline", "candidate_b"]
    view.locator("[data-testid=filterbar] [data-testid=copy-code]").click()
    code = view.locator("[data-testid=filterbar] [data-testid=filter-code]")
    code.wait_for(state="visible", timeout=30_000)
    text = code.inner_text()
    assert "ds.test_cases(" in text and "quick='variance'" in text and "sort_by='std'" in text
    assert "evaluation_name=['baseline', 'candidate_b']" in text
