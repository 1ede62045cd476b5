"""The deep-dive view in a real JupyterLab (base_url /a%40b/, token auth, the AXIS extension
owning the store) in headless Chromium.

Generated results with three experiments, plus metadata, retrieved chunks, conversations
and critiques, are loaded from the notebook; the kernel asks the Python API for the numbers
and ``%axis show deepdive`` shows the view. The test switches every tab, applies the
experiment filter, moves the metadata threshold slider and opens a test case from the
searchable, paged case table; what the page shows must equal the API's answers.
"""

from __future__ import annotations

import json

import pytest

from browser.filterbar_helpers import choose

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

N_CASES = 90
SEED = 9
NAME = "dd3"
EXP = "candidate_a"
CASE = "case_000004"

SETUP = f"""
import json, math, axis_jupyter, pyarrow as pa
from axis_jupyter import demo
axis = axis_jupyter.connect()
t = demo.eval_results({N_CASES}, seed={SEED})
n = [int(i.split('_')[1]) for i in t.column('dataset_id').to_pylist()]
t = t.append_column('data_metadata', pa.array([json.dumps({{'tier': ['gold', 'silver', 'bronze'][i % 3], 'lang': 'en'}}) for i in n]))
t = t.append_column('retrieved_content', pa.array([json.dumps([{{'title': f'Doc {{i}}', 'content': f'chunk text {{i}}'}},
                                                               {{'title': 'FAQ', 'content': 'faq text'}}]) for i in n]))
t = t.append_column('conversation', pa.array([json.dumps([{{'role': 'user', 'content': 'hi'}},
                                                          {{'role': 'assistant', 'content': 'hello'}}] * (1 + i % 4)) for i in n]))
t = t.append_column('critique', pa.array(['Could cite the source.' if i % 2 == 0 else None for i in n]))
ds = axis.load(t, name={NAME!r}, kind='evals')
f = {{'evaluation_name': {EXP!r}}}
means = lambda df: dict(zip(df.metric_name, df['mean']))
expected = {{
    'all': means(ds.summary()),
    'exp': means(ds.summary(evaluation_name={EXP!r})),
    'cases': len(ds.analytic('case_list', limit=5000)),
    'cases_search': len(ds.analytic('case_list', search='case_00001', limit=5000)),
    'points': len(ds.analytic('scatter', x='tone', y='faithfulness', filters=f)),
    'length': ds.analytic('length_analysis', filters=f)['count'].tolist(),
    'turns': ds.analytic('turn_analysis', filters=f)['count'].tolist(),
    'meta_05': dict(zip(*ds.analytic('metadata_breakdown', key='tier', filters=f)[['value', 'pass_rate']].T.values)),
    'meta_08': dict(zip(*ds.analytic('metadata_breakdown', key='tier', threshold=0.8, filters=f)[['value', 'pass_rate']].T.values)),
}}
q = ds.analytic('quantiles', metric='tone', filters=f).iloc[0]
expected['tone_five'] = [float(q[k]) for k in ('min', 'q25', 'median', 'q75', 'max')]
s = axis.sql("SELECT metric_score FROM {NAME} WHERE metric_name = 'tone' AND evaluation_name = '{EXP}'")['metric_score']
expected['tone_hist'] = [int(((s * 10).astype(int).clip(0, 9) == b).sum()) for b in range(10)]
case = ds.analytic('case_detail', dataset_id={CASE!r}, evaluation_name={EXP!r})
expected['case'] = {{'query': case['query'].iloc[0], 'expected': case['expected_output'].iloc[0],
                    'scores': dict(zip(case.metric_name, case.metric_score))}}
with open('deepdive_expected.json', 'w') as fh:
    json.dump(expected, fh, default=float)
print(type(axis).__name__)
"""

SUMMARY_JS = """(t) => Object.fromEntries([...t.querySelectorAll('tbody tr')].map((r) => [r.dataset.metric, Number(r.dataset.mean)]))"""


def wait_loaded(page, tab):
    page.wait_for_function(
        """(tab) => { const b = document.querySelector('[data-testid=axis-deepdive] [data-testid=body]');
                      return b && b.dataset.tab === tab && b.dataset.loaded === tab; }""", arg=tab, timeout=60_000)


def wait_rendered(view, testid):
    view.locator(f"[data-testid={testid}][data-rendered='1'] canvas").first.wait_for(timeout=60_000)


def test_deepdive_view(page, lab):
    lab.write_notebook("deepdive.ipynb", [SETUP, f"%load_ext axis_jupyter\n%axis show deepdive {NAME}"])
    open_notebook(page, lab, "deepdive.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    expected = json.loads((lab.root / "deepdive_expected.json").read_text())
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-deepdive]")
    summary = view.locator("[data-testid=summary]")
    summary.wait_for(timeout=60_000)

    # overview: KPI cards, radar and bar charts, per-metric means as the API computes them
    assert int(float(view.locator("[data-testid=kpi-cases]").get_attribute("data-value"))) == expected["cases"]
    assert summary.evaluate(SUMMARY_JS) == pytest.approx(expected["all"], abs=1e-12)
    wait_rendered(view, "chart-radar")
    wait_rendered(view, "chart-bar")

    # the experiment filter applies to everything
    choose(view, EXP)
    page.wait_for_function(
        """(v) => { const t = document.querySelector('[data-testid=axis-deepdive] [data-testid=summary] tr[data-metric=tone]');
                    return t && Math.abs(Number(t.dataset.mean) - v) < 1e-12; }""", arg=expected["exp"]["tone"], timeout=60_000)
    assert view.locator("[data-testid=summary]").evaluate(SUMMARY_JS) == pytest.approx(expected["exp"], abs=1e-12)

    # distribution: violin by default, box on toggle, metric pills
    view.locator("[data-testid=tab-distribution]").click()
    wait_loaded(page, "distribution")
    wait_rendered(view, "chart-distribution")
    assert view.locator("[data-testid=metric-pill]").count() == len(expected["all"])
    assert view.locator("[data-testid=dist-count]").inner_text() == f"Showing 5 of {len(expected['all'])} metrics"
    assert view.locator("[data-testid=quantiles] tbody tr").count() == 5  # one experiment
    view.locator("[data-testid=dist-box]").click()
    wait_loaded(page, "distribution")
    wait_rendered(view, "chart-distribution")
    view.locator("[data-testid=metric-pill][data-metric=tone]").click()
    wait_loaded(page, "distribution")
    assert view.locator("[data-testid=quantiles] tbody tr").count() in (4, 6)

    # tradeoffs: X/Y selects, scatter and correlation heatmap
    view.locator("[data-testid=tab-tradeoffs]").click()
    wait_loaded(page, "tradeoffs")
    view.locator("[data-testid=trade-x]").select_option("tone")
    wait_loaded(page, "tradeoffs")
    view.locator("[data-testid=trade-y]").select_option("faithfulness")
    page.wait_for_function(
        "(n) => document.querySelector('[data-testid=trade-summary]')?.dataset.points === String(n)",
        arg=expected["points"], timeout=60_000)
    view.locator("[data-testid=trendline]").check()
    wait_loaded(page, "tradeoffs")
    wait_rendered(view, "chart-scatter")
    wait_rendered(view, "chart-correlation")

    # the metric tree (shared with the scorecard): aggregated, then one test case
    view.locator("[data-testid=tab-tree]").click()
    wait_loaded(page, "tree")
    nodes = view.locator("[data-testid=tree] [data-testid=tree-node]")
    nodes.first.wait_for()
    got = {n.get_attribute("data-name"): float(n.get_attribute("data-score")) for n in nodes.all()}
    assert got == pytest.approx(expected["exp"], abs=1e-12)
    # a leaf's popup: the five-number summary (IQR box, median tick) and a 10-bin histogram
    view.locator("[data-testid=tree-node][data-name=tone]").click()
    five = view.locator("[data-testid=tree-detail] [data-testid=five-number]")
    five.wait_for(timeout=60_000)
    got = [float(five.get_attribute(f"data-{k}")) for k in ("min", "q25", "median", "q75", "max")]
    assert got == pytest.approx(expected["tone_five"], abs=1e-12)
    assert five.locator("[data-part=iqr]").count() == 1 and five.locator("[data-part=median]").count() == 1
    hist = view.locator("[data-testid=tree-detail] [data-testid=histogram]")
    assert [int(v) for v in hist.get_attribute("data-bins").split(",")] == expected["tone_hist"]
    assert hist.locator("rect").count() == 10
    assert "Sample size" in view.locator("[data-testid=tree-detail]").text_content()
    view.locator("[data-testid=tree-individual]").click()
    wait_loaded(page, "tree")
    view.locator("[data-testid=tree-case]").select_option(CASE)
    page.wait_for_function(
        "(id) => document.querySelector('[data-testid=tree-case]')?.value === id && "
        "document.querySelector('[data-testid=body]').dataset.loaded === 'tree'", arg=CASE, timeout=60_000)
    view.locator("[data-testid=tree] [data-testid=tree-node]").first.wait_for()
    tone = view.locator("[data-testid=tree-node][data-name=tone]")
    assert float(tone.get_attribute("data-score")) == pytest.approx(expected["case"]["scores"]["tone"], abs=1e-12)
    tone.click()
    detail = view.locator("[data-testid=tree-detail]").text_content()
    assert "Explanation" in detail and "OVERALL" in detail
    # the case's critique, where it has one (even cases do)
    assert view.locator("[data-testid=tree-detail] [data-testid=node-critique]").inner_text() == "Critique\nCould cite the source."

    # response length and conversation turns: bins per experiment as the API counts them
    view.locator("[data-testid=tab-length]").click()
    wait_loaded(page, "length")
    counts = view.locator("[data-testid=length-table] td[data-count]").evaluate_all("(els) => els.map((e) => Number(e.dataset.count))")
    assert counts == expected["length"]
    view.locator("[data-testid=tab-turns]").click()
    wait_loaded(page, "turns")
    counts = view.locator("[data-testid=turns-table] td[data-count]").evaluate_all("(els) => els.map((e) => Number(e.dataset.count))")
    assert counts == expected["turns"] and sum(counts) == N_CASES

    # metadata: group by a key, pass rates follow the threshold slider
    view.locator("[data-testid=tab-metadata]").click()
    wait_loaded(page, "metadata")
    rows_js = "(t) => Object.fromEntries([...t.querySelectorAll('tbody tr')].map((r) => [r.dataset.value, Number(r.dataset.pass)]))"
    assert view.locator("[data-testid=metadata-table]").evaluate(rows_js) == pytest.approx(expected["meta_05"], abs=1e-12)
    view.locator("[data-testid=threshold]").evaluate(
        "(el) => { el.value = '0.8'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_function(
        """(v) => { const r = document.querySelector('[data-testid=metadata-table] tr[data-value=gold]');
                    return r && Math.abs(Number(r.dataset.pass) - v) < 1e-12; }""", arg=expected["meta_08"]["gold"], timeout=60_000)
    assert view.locator("[data-testid=metadata-table]").evaluate(rows_js) == pytest.approx(expected["meta_08"], abs=1e-12)

    # test cases: searchable, paged server-side; a row opens the test-case panel
    view.locator("[data-testid=tab-cases]").click()
    wait_loaded(page, "cases")
    assert view.locator("[data-testid=cases-range]").inner_text() == f"Showing 1–10 of {expected['cases']}"
    view.locator("[data-testid=case-search]").fill("case_00001")
    page.wait_for_function(
        "(n) => document.querySelector('[data-testid=cases-range]')?.innerText.endsWith('of ' + n)",
        arg=expected["cases_search"], timeout=30_000)
    view.locator("[data-testid=case-search]").fill("case_00000")
    page.wait_for_function(
        "(id) => !!document.querySelector(`[data-testid=case-row][data-id=${id}]`)", arg=CASE, timeout=30_000)
    view.locator(f"[data-testid=case-row][data-id={CASE}]").click()
    panel = view.locator("[data-testid=case-panel]")
    page.wait_for_function("(id) => document.querySelector('[data-testid=case-panel]').dataset.loaded === id", arg=CASE)
    assert panel.locator("[data-testid=case-id]").inner_text() == CASE
    assert panel.locator("[data-testid=case-exp]").count() == 1  # the experiment filter applies
    assert panel.locator("[data-testid=case-query] .axis-text").inner_text() == expected["case"]["query"]
    assert panel.locator("[data-testid=case-expected] .axis-text").inner_text() == expected["case"]["expected"]
    assert panel.locator("[data-testid=chunk]").count() == 2
    assert "Doc 4" in panel.locator("[data-testid=case-chunks]").inner_text()
    assert panel.locator("[data-testid=case-conversation] .axis-bubble").count() == 2 * (1 + 4 % 4)
    scores = {m.get_attribute("data-metric"): float(m.get_attribute("data-score"))
              for m in panel.locator("[data-testid=case-metric]").all()}
    assert scores == pytest.approx(expected["case"]["scores"], abs=1e-12)
    metric = panel.locator("[data-testid=case-metric][data-metric=tone]")
    metric.locator("summary").first.click()
    text = metric.inner_text()
    assert "Explanation" in text and "Critique" in text and "Could cite the source." in text and "verdict" in text
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert view.get_attribute("data-transport") == "server"
