"""The compare view in a real JupyterLab (base_url /a%40b/, token auth, the AXIS extension
owning the store) in headless Chromium.

The notebook loads generated results with three experiments, asks the Python API
(``ds.analytic("compare", ...)`` and ``("case_diff", ...)``) for the numbers of the pairs the
test will pick, and shows ``%axis show compare``. The page must show exactly those numbers:
per-metric means, deltas, p-values (raw and Holm), Cohen's d, CIs and n pairs; the first
case of the diff (query and per-metric deltas); the table follows the baseline/challenger
pickers and the swap button; filters, prev/next, sorting, a chart and an export work.
"""

from __future__ import annotations

import json

import pytest

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

N_CASES = 90
SEED = 5
NAME = "cmp3"
PAIRS = [("baseline", "candidate_a"), ("candidate_b", "candidate_a"), ("candidate_a", "candidate_b")]

SETUP = f"""
import json, math, axis_jupyter
from axis_jupyter import demo
axis = axis_jupyter.connect()
ds = axis.load(demo.eval_results({N_CASES}, seed={SEED}), name={NAME!r}, kind='evals')

def clean(records):
    return [{{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}} for r in records]

expected = {{}}
for b, c in {PAIRS!r}:
    res = ds.analytic('compare', baseline=b, challenger=c)
    diff = ds.analytic('case_diff', baseline=b, challenger=c, page_size=2)
    losses = ds.analytic('case_diff', baseline=b, challenger=c, outcome='losses', page_size=1)
    expected[f'{{b}}|{{c}}'] = {{
        'metrics': clean(res.to_dict('records')),
        'diff': json.loads(diff.drop(columns=['metrics']).to_json(orient='records')),
        'diff_metrics': [list(m) for m in diff['metrics']],
        'losses_total': int(losses['total'].iloc[0]) if len(losses) else 0,
        'losses_first': str(losses['case_id'].iloc[0]) if len(losses) else None,
    }}
with open('compare_expected.json', 'w') as fh:
    json.dump(expected, fh, default=str)
print(type(axis).__name__, sorted(expected))
"""


def wait_pair(page, pair: str):
    page.wait_for_function(
        """(pair) => { const v = document.querySelector('[data-testid=axis-compare]');
                       return v && v.dataset.pair === pair && !v.classList.contains('axis-busy'); }""",
        arg=pair, timeout=60_000)


def wait_case(page, case_id: str):
    page.wait_for_function(
        """(id) => { const d = document.querySelector('[data-testid=axis-compare] [data-testid=diff]');
                     return d && d.dataset.case === id && !d.classList.contains('axis-loading'); }""",
        arg=case_id, timeout=30_000)


TABLE_JS = """(root) => [...root.querySelectorAll('[data-testid=metric-row]')].map((tr) => {
    const out = {metric: tr.dataset.metric, text: {}, value: {}};
    for (const td of tr.querySelectorAll('td[data-col]')) {
        out.text[td.dataset.col] = td.innerText;
        out.value[td.dataset.col] = td.dataset.value;
        if (td.dataset.col === 'ci') out.value.ci = [td.dataset.low, td.dataset.high];
    }
    return out;
})"""

DIFF_JS = """(d) => ({
    query: d.querySelector('[data-testid=diff-query]').innerText,
    baseline: d.querySelector('[data-testid=diff-baseline-response]').innerText,
    challenger: d.querySelector('[data-testid=diff-challenger-response]').innerText,
    metrics: [...d.querySelectorAll('[data-testid=diff-metric]')].map((r) => [r.dataset.metric, r.dataset.delta]),
    overall: d.querySelector('[data-testid=diff-overall]').dataset.delta,
    position: d.querySelector('[data-testid=diff-position]').dataset.position,
    total: d.querySelector('[data-testid=diff-position]').dataset.total,
})"""


def num(v):
    return None if v in (None, "") else float(v)


def check_table(view, exp: dict):
    shown = {r["metric"]: r for r in view.locator("[data-testid=metrics-table]").evaluate(TABLE_JS)}
    assert set(shown) == {m["metric_name"] for m in exp["metrics"]}
    for m in exp["metrics"]:
        row = shown[m["metric_name"]]
        for col in ("baseline_mean", "challenger_mean", "delta", "pct_change", "p_value", "p_value_adjusted",
                    "cohens_d", "n_pairs"):
            got = num(row["value"][col])
            if m[col] is None:
                assert got is None, (m["metric_name"], col)
            else:
                assert got == pytest.approx(m[col], rel=1e-9, abs=1e-12), (m["metric_name"], col)
        lo, hi = row["value"]["ci"]
        assert num(lo) == pytest.approx(m["ci_low"], abs=1e-12) and num(hi) == pytest.approx(m["ci_high"], abs=1e-12)
        assert row["value"]["test"] == (m["test"] or "")
        assert row["value"]["significant"] == str(bool(m["significant"])).lower()
        # what the user reads, not only the attributes
        assert row["text"]["delta"] == f"{'+' if m['delta'] > 0 else ''}{m['delta']:.3f}"
        assert row["text"]["n_pairs"] == f"{m['n_pairs']:,}"
        p = m["p_value"]
        assert row["text"]["p_value"].split()[0] == (f"{p:.2e}".replace("e-0", "e-") if p < 0.001 else f"{p:.4f}")
        d = "—" if m["cohens_d"] is None else f"{m['cohens_d']:.2f}"  # then the effect size label
        assert row["text"]["cohens_d"].startswith(d), (m["metric_name"], row["text"]["cohens_d"])
        assert row["text"]["cohens_d"][len(d):].strip() == (m["effect_size"] or ""), m["metric_name"]


def check_diff(view, exp: dict, i: int = 0):
    first, mets = exp["diff"][i], exp["diff_metrics"][i]
    d = view.locator("[data-testid=diff]").evaluate(DIFF_JS)
    assert d["query"] == first["query"]
    assert d["baseline"] == first["baseline_response"] and d["challenger"] == first["challenger_response"]
    assert [m for m, _ in d["metrics"]] == [m["metric_name"] for m in mets]
    assert [num(v) for _, v in d["metrics"]] == pytest.approx([m["delta"] for m in mets], abs=1e-12)
    assert num(d["overall"]) == pytest.approx(first["delta"], abs=1e-12)
    assert int(d["position"]) == first["position"] == i + 1
    assert int(d["total"]) == first["total"]


def test_compare_view(page, lab):
    lab.write_notebook("compare.ipynb", [SETUP, f"%load_ext axis_jupyter\n%axis show compare {NAME} mode=experiments"])
    open_notebook(page, lab, "compare.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    expected = json.loads((lab.root / "compare_expected.json").read_text())
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-compare]")
    view.locator("[data-testid=metrics-table]").wait_for(timeout=60_000)

    # the default pair: the first experiment against the next one
    pair = "baseline|candidate_a"
    wait_pair(page, pair)
    exp = expected[pair]
    check_table(view, exp)
    assert view.locator("[data-testid=kpi-experiments]").get_attribute("data-value") == "3"
    assert int(view.locator("[data-testid=kpi-cases]").get_attribute("data-value")) == N_CASES
    grid = view.locator("[data-testid=grid] tbody tr")
    assert grid.count() == 3
    # the wide grid scrolls inside its own box (it once pushed the widget 155 px past the
    # output area), and numeric headers sit over their numbers (right-aligned alike)
    fit = view.evaluate("""(v) => { const g = v.querySelector('[data-testid=grid]');
        const box = g.closest('.axis-scroll');
        const cell = (sel) => getComputedStyle(g.querySelector(sel)).textAlign;
        return {view: v.scrollWidth, client: v.clientWidth, boxed: !!box,
                overflow: box ? getComputedStyle(box).overflowX : '',
                th: cell('thead th.axis-num'), td: cell('tbody td.axis-num')}; }""")
    assert fit["boxed"] and fit["overflow"] == "auto" and fit["view"] <= fit["client"] + 1, fit
    assert fit["th"] == fit["td"] == "right", fit
    for chart in ("chart-pie", "chart-bar"):  # the payload's specs, drawn visibly
        view.locator(f"[data-testid={chart}][data-rendered='1'] canvas").first.wait_for(timeout=60_000)

    # the case diff: the case with the largest |delta| first, then prev/next
    wait_case(page, exp["diff"][0]["case_id"])
    check_diff(view, exp, 0)
    view.locator("[data-testid=diff-next]").click()
    wait_case(page, exp["diff"][1]["case_id"])
    check_diff(view, exp, 1)
    view.locator("[data-testid=diff-prev]").click()
    wait_case(page, exp["diff"][0]["case_id"])
    list_rows = view.locator("[data-testid=diff-cases] [data-testid=diff-row]")
    assert list_rows.first.get_attribute("data-case") == exp["diff"][0]["case_id"]

    # filter: baseline wins only
    assert exp["losses_first"] is not None and exp["losses_total"] > 0  # the data has baseline wins
    view.locator("[data-testid=diff-outcome]").select_option("losses")
    wait_case(page, exp["losses_first"])
    assert int(view.locator("[data-testid=diff-position]").get_attribute("data-total")) == exp["losses_total"]
    view.locator("[data-testid=diff-outcome]").select_option("all")
    wait_case(page, exp["diff"][0]["case_id"])

    # sorting the per-metric table (client-side; missing values last)
    view.locator("[data-testid=sort-delta]").click()
    order = [r.get_attribute("data-metric") for r in view.locator("[data-testid=metric-row]").all()]
    want = [m["metric_name"] for m in sorted(exp["metrics"], key=lambda m: -m["delta"])]
    assert order == want
    view.locator("[data-testid=sort-delta]").click()
    order = [r.get_attribute("data-metric") for r in view.locator("[data-testid=metric-row]").all()]
    assert order == want[::-1]

    # change the baseline: the table, the verdict and the diff follow
    view.locator("[data-testid=baseline]").select_option("candidate_b")
    pair = "candidate_b|candidate_a"
    wait_pair(page, pair)
    exp = expected[pair]
    check_table(view, exp)
    wait_case(page, exp["diff"][0]["case_id"])
    check_diff(view, exp, 0)

    # swap
    view.locator("[data-testid=swap]").click()
    pair = "candidate_a|candidate_b"
    wait_pair(page, pair)
    check_table(view, expected[pair])
    assert view.locator("[data-testid=baseline]").input_value() == "candidate_a"
    assert view.locator("[data-testid=challenger]").input_value() == "candidate_b"

    # a chart from an action: the scatter of baseline vs challenger for one metric
    view.locator("[data-testid=chart-tab-scatter]").click()
    view.locator("[data-testid=scatter-metric]").select_option("tone")
    pts = view.locator("[data-testid=scatter-points]")
    pts.wait_for()
    tone = next(m for m in expected[pair]["metrics"] if m["metric_name"] == "tone")
    assert int(pts.get_attribute("data-points")) == tone["n_pairs"]
    view.locator("[data-testid=chart-scatter][data-rendered='1'] canvas").first.wait_for()
    view.locator("[data-testid=chart-tab-agreement]").click()
    view.locator("[data-testid=agreement-table] tbody tr").first.wait_for()
    assert view.locator("[data-testid=agreement-table] tbody tr").count() == 3

    # export: a file download built from the export action
    with page.expect_download() as dl:
        view.locator("[data-testid=export-csv]").click()
    path = dl.value.path()
    text = open(path).read()
    assert dl.value.suggested_filename == f"{NAME}_comparison.csv"
    header, *lines = text.strip().splitlines()
    assert header.startswith("metric_name,baseline,challenger") and len(lines) == len(expected[pair]["metrics"])
    with page.expect_download() as dl:
        view.locator("[data-testid=export-markdown]").click()
    assert open(dl.value.path()).read().startswith("# candidate_b vs candidate_a")
    assert view.get_attribute("data-transport") == "server"
