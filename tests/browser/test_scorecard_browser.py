"""The scorecard in a real JupyterLab in headless Chromium.

One JupyterLab (base_url /a%40b/, token auth, AXIS extension owning a temp store) serves
both tests:

* the shared store: the kernel's ``connect()`` is a RemoteStore, the view fetches
  ``/axis/api`` directly — KPIs, tree and drill-down match Python's numbers, the
  experiment filter applies to everything, and the view answers clicks while another cell
  keeps the kernel busy (until the test lets it finish); the saved notebook keeps the last
  state;
* an embedded store in the kernel: the same view through anywidget messages.
"""

from __future__ import annotations

import json

import pytest

from axis_jupyter import demo

pytestmark = pytest.mark.browser

N_CASES = 240
SEED = 3
RELEASE = "release-busy-cell"  # the busy cell of the shared-store test ends once this file exists


def expected_payloads():
    """The numbers the page must show, computed in this process on the same data."""
    import axis_jupyter
    from axis_jupyter.notebook.widgets import call_action

    s = axis_jupyter.connect(":memory:")
    s.load(demo.eval_results(N_CASES, seed=SEED), name="bt", kind="evals")
    out = {None: call_action(s, "bt", "scorecard", "payload", {})}
    for e in demo.EXPERIMENTS:
        out[e] = call_action(s, "bt", "scorecard", "payload", {"filters": {"evaluation_name": e}})
    df = demo.eval_results(N_CASES, seed=SEED).to_pandas()
    s.close()
    return out, df


@pytest.fixture(scope="module")
def expected():
    return expected_payloads()


from browser.filterbar_helpers import choose, chosen  # noqa: E402
from browser.labserver import open_notebook, run_cell  # noqa: E402


CELL_OUT = "((i) => window.jupyterapp.shell.currentWidget.content.widgets[i].outputArea.node.innerText)"


def cell_prompt(page, i):
    """The input prompt of cell ``i``: ``[*]:`` while it runs, ``[n]:`` once done."""
    return page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]"
                         ".node.querySelector('.jp-InputPrompt').innerText.trim()", i)


def kpi(view, name):
    return view.locator(f"[data-testid=kpi-{name}]")


def wait_kpi(page, name, value, timeout=30_000):
    page.wait_for_function(
        """([name, value]) => {
            const el = document.querySelector(`[data-testid=axis-scorecard] [data-testid=kpi-${name}]`);
            return el && Math.abs(Number(el.dataset.value) - value) < 1e-9;
        }""", arg=[name, value], timeout=timeout)


def check_kpis(view, payload):
    k = payload["kpis"]
    assert kpi(view, "overall").get_attribute("data-value") not in (None, "")
    assert float(kpi(view, "overall").get_attribute("data-value")) == pytest.approx(k["overall_score"], abs=1e-12)
    assert f"{k['overall_score']:.3f}" in kpi(view, "overall").inner_text()
    # the spread of the metric means is a standard deviation, and says so
    assert float(kpi(view, "std").get_attribute("data-value")) == pytest.approx(k["score_std"], abs=1e-12)
    assert kpi(view, "std").inner_text().split("\n")[0].lower() == "score std dev"
    assert kpi(view, "cases").inner_text().split("\n")[1] == f"{k['test_cases']:,}"
    assert int(kpi(view, "metrics").get_attribute("data-value")) == k["metrics"] == 6
    assert int(kpi(view, "components").get_attribute("data-value")) == k["components"] == 3


def check_rows(view, payload):
    rows = view.locator("[data-testid=hierarchy] [data-testid=row]")
    assert rows.count() == len(payload["rows"])
    for i, r in enumerate(payload["rows"]):
        row = rows.nth(i)
        assert row.get_attribute("data-name") == r["name"]
        assert float(row.get_attribute("data-mean")) == pytest.approx(r["mean"], abs=1e-12)
        assert row.locator("svg.axis-spark").get_attribute("data-bins") == ",".join(map(str, r["hist"]))


def open_drill(page, view, metric, expected_total):
    view.locator(f"[data-testid=row][data-name='{metric}']").click()
    total = view.locator("[data-testid=drilldown] [data-testid=cases-total]")
    page.wait_for_function(
        """(n) => { const el = document.querySelector('[data-testid=axis-scorecard] [data-testid=cases-total]');
                    return el && el.dataset.value === String(n); }""", arg=expected_total, timeout=30_000)
    assert total.inner_text() == f"{expected_total:,} test cases with this metric"
    cases = view.locator("[data-testid=drilldown] [data-testid=cases] tbody tr")
    assert cases.count() == min(10, expected_total)
    return cases


# Where the experiments chart (a Vega canvas) drew its widest bar, in CSS pixels of the
# canvas: bars are the only saturated pixels (score-band colours; text and axes are grey).
# Null until bars are drawn, and until two polls agree, so a chart still being resized to
# its box is not clicked.
BAR_POINT_JS = """(canvas) => {
    const w = canvas.width, h = canvas.height;
    if (!w || !h) return null;
    const px = canvas.getContext('2d').getImageData(0, 0, w, h).data;
    const coloured = (x, y) => {
        const i = 4 * (y * w + x);
        return px[i + 3] > 0 && Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 40;
    };
    let best = null;
    for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
            if (!coloured(x, y)) continue;
            let end = x;
            while (end + 1 < w && coloured(end + 1, y)) end++;
            if (!best || end - x > best.x1 - best.x0) best = {x0: x, x1: end, y};
            x = end;
        }
    }
    if (!best || best.x1 - best.x0 < 4) return null;
    const xm = Math.round((best.x0 + best.x1) / 2);
    let top = best.y, bottom = best.y;
    while (top > 0 && coloured(xm, top - 1)) top--;
    while (bottom + 1 < h && coloured(xm, bottom + 1)) bottom++;
    const r = canvas.getBoundingClientRect();
    const point = {x: xm * r.width / w, y: ((top + bottom) / 2) * r.height / h};
    const key = JSON.stringify(point), same = canvas.__axisBarPoint === key;
    canvas.__axisBarPoint = key;
    return same ? point : null;
}"""


def click_a_bar(page, view):
    """Click the widest bar of the experiments chart; return the experiment it selected
    and the point clicked."""
    canvas = view.locator("[data-testid=chart] canvas")
    canvas.wait_for()
    before = chosen(view)
    point = page.wait_for_function(BAR_POINT_JS, arg=canvas.element_handle(), polling=100,
                               timeout=30_000).json_value()
    canvas.click(position=point)
    page.wait_for_function("(v) => [...document.querySelectorAll('[data-testid=axis-scorecard] "
                           "[data-testid=chip][data-key=evaluation_name]')].map((c) => c.dataset.value)"
                           ".join(',') !== v", arg=before, timeout=30_000)
    return chosen(view), point


# ------------------------------------------------------------------ tests
def test_scorecard_shared_store_http(page, lab, expected):
    payloads, df = expected
    lab.write_notebook("shared.ipynb", [
        "import axis_jupyter, time\nfrom axis_jupyter import demo\nfrom axis_jupyter import Scorecard\n"
        "axis = axis_jupyter.connect()\nprint(type(axis).__name__)",
        f"ds = axis.load(demo.eval_results({N_CASES}, seed={SEED}), name='bt', kind='evals')\nprint(ds.name)",
        "w = Scorecard(ds)\nw",
        # keeps the kernel busy until the test writes the file
        f"import pathlib\nprint('busy', flush=True)\nwhile not pathlib.Path({RELEASE!r}).exists(): "
        "time.sleep(0.05)\nprint('released')",
    ])
    open_notebook(page, lab, "shared.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    run_cell(page, 1)
    run_cell(page, 2)
    view = page.locator("[data-testid=axis-scorecard]")
    view.locator("[data-testid=kpi-overall]").wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=axis-scorecard]').dataset.transport")
    assert view.get_attribute("data-transport") == "server"

    # KPIs and the hierarchy table show Python's numbers
    check_kpis(view, payloads[None])
    check_rows(view, payloads[None])
    assert int(view.locator("[data-testid=kpi-cases]").get_attribute("data-value")) == df.dataset_id.nunique()

    # a click on an experiment's bar in the (canvas) chart filters to it; a second click clears
    picked, point = click_a_bar(page, view)
    wait_kpi(page, "overall", payloads[picked]["kpis"]["overall_score"])
    # the filter change was answered from the pre-aggregated summaries, and the view says so
    # (issue 18; the first render comes from the kernel's snapshot, without a status line)
    page.wait_for_function("() => document.querySelector('[data-testid=axis-scorecard]').dataset.path")
    assert view.get_attribute("data-path") == payloads[picked]["timing"]["path"] == "summary"
    assert "from summaries" in view.locator("[data-testid=status]").first.inner_text()
    view.locator("[data-testid=chart] canvas").click(position=point)
    wait_kpi(page, "overall", payloads[None]["kpis"]["overall_score"])
    assert chosen(view) == ""

    # the tidy tree: one node per metric-tree node, scores from the payload
    view.locator("[data-testid=tab-tree]").click()
    nodes = view.locator("[data-testid=tree] [data-testid=tree-node]")
    nodes.first.wait_for()
    assert nodes.count() == 10
    got = {nodes.nth(i).get_attribute("data-name"): float(nodes.nth(i).get_attribute("data-score"))
           for i in range(nodes.count())}
    assert got == pytest.approx({r["name"]: r["mean"] for r in payloads[None]["rows"]}, abs=1e-12)
    view.locator("[data-testid=tree-node][data-name='Style']").click()  # collapse a parent
    page.wait_for_function("() => document.querySelectorAll('[data-testid=tree-node]').length === 8")
    view.locator("[data-testid=tree-node][data-name='tone']").wait_for(state="detached")
    view.locator("[data-testid=tab-table]").click()

    # drill-down: the cases of a metric, paged from DuckDB, worst first
    tone = df[df.metric_name == "tone"]
    n_tone = len(tone)
    cases = open_drill(page, view, "tone", n_tone)
    score = lambda: float(cases.nth(0).locator("td").nth(3).inner_text())  # noqa: E731
    assert score() == pytest.approx(tone.metric_score.min(), abs=5e-4)
    view.locator("[data-testid=drilldown] [data-testid=next]").click()
    page.wait_for_function("() => document.querySelector('[data-testid=cases-range]')?.innerText.startsWith('Showing 11')")
    # best first on request, back on page 1
    view.locator("[data-testid=drilldown] [data-testid=cases-sort]").select_option("score_desc")
    page.wait_for_function("() => document.querySelector('[data-testid=cases-range]')?.innerText.startsWith('Showing 1–')")
    assert score() == pytest.approx(tone.metric_score.max(), abs=5e-4)
    # a search narrows to the cases whose id, query or explanation holds the text
    needle = str(tone.dataset_id.iloc[0])
    hits = tone[tone.dataset_id.str.lower().str.contains(needle.lower(), regex=False)
                | tone["query"].fillna("").str.lower().str.contains(needle.lower(), regex=False)
                | tone["explanation"].fillna("").str.lower().str.contains(needle.lower(), regex=False)]
    view.locator("[data-testid=drilldown] [data-testid=cases-search]").fill(needle)
    page.wait_for_function(
        """(n) => document.querySelector('[data-testid=axis-scorecard] [data-testid=cases-total]')?.dataset.value === String(n)""",
        arg=len(hits), timeout=30_000)
    assert view.locator("[data-testid=drilldown] [data-testid=cases-total]").inner_text().startswith(f"{len(hits):,} test cases matching")
    assert view.locator("[data-testid=drilldown] [data-testid=cases-search]").evaluate("el => el === document.activeElement")
    view.locator("[data-testid=drilldown] [data-testid=close]").click()

    # the experiment filter applies to everything
    choose(view, "candidate_a")
    wait_kpi(page, "overall", payloads["candidate_a"]["kpis"]["overall_score"])
    check_kpis(view, payloads["candidate_a"])
    check_rows(view, payloads["candidate_a"])
    open_drill(page, view, "tone", N_CASES)
    view.locator("[data-testid=drilldown] [data-testid=close]").click()
    assert int(view.get_attribute("data-last-bytes")) < 100_000

    # the view answers while the kernel is busy: a cell runs until the test releases it, and
    # the view's calls go over HTTP meanwhile
    run_cell(page, 3, wait=False)
    page.wait_for_function(f"() => {CELL_OUT}(3).includes('busy')", timeout=30_000)
    choose(view, "candidate_b")
    wait_kpi(page, "overall", payloads["candidate_b"]["kpis"]["overall_score"])
    open_drill(page, view, "faithfulness", N_CASES)
    # the cell still runs (it cannot end before the release), so the kernel answered nothing
    assert cell_prompt(page, 3) == "[*]:" and "released" not in page.evaluate(f"() => {CELL_OUT}(3)")
    assert view.get_attribute("data-transport") == "server"  # the last call went over HTTP
    (lab.root / RELEASE).write_text("")
    page.wait_for_function(f"() => {CELL_OUT}(3).includes('released')", timeout=30_000)
    view.locator("[data-testid=drilldown] [data-testid=close]").click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=30_000)

    # the Python side sees what the user picked, and a saved notebook keeps the last state
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    nb = json.loads((lab.root / "shared.ipynb").read_text())
    outputs = nb["cells"][2]["outputs"]
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert f"{payloads[None]['kpis']['overall_score']:.3f}" in html  # static fallback
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    snaps = [m["state"]["snapshot"] for m in state.values() if m["state"].get("view") == "scorecard"]
    assert snaps and snaps[0]["kpis"]["overall_score"] == pytest.approx(
        payloads["candidate_b"]["kpis"]["overall_score"], abs=1e-12)
    assert snaps[0]["filters"] == {"evaluation_name": ["candidate_b"]}  # the bar is multi-select


def test_scorecard_embedded_store_kernel(page, lab, expected, tmp_path):
    payloads, df = expected
    store = tmp_path / "kernel-store.duckdb"
    lab.write_notebook("embedded.ipynb", [
        "import axis_jupyter\nfrom axis_jupyter import demo\nfrom axis_jupyter import Scorecard\n"
        f"axis = axis_jupyter.connect({str(store)!r})\nprint(type(axis).__name__)\n"
        f"axis.load(demo.eval_results({N_CASES}, seed={SEED}), name='bt', kind='evals')\n"
        "w = Scorecard('bt', store=axis, experiment='baseline')\nw",
    ])
    open_notebook(page, lab, "embedded.ipynb")
    assert "LocalStore" in run_cell(page, 0)
    view = page.locator("[data-testid=axis-scorecard]")
    view.locator("[data-testid=kpi-overall]").wait_for()
    check_kpis(view, payloads["baseline"])
    # the first call decides the transport: the kernel (the data is not in the server's store)
    open_drill(page, view, "conciseness", N_CASES)
    assert view.get_attribute("data-transport") == "kernel"
    view.locator("[data-testid=drilldown] [data-testid=close]").click()
    choose(view, "")
    wait_kpi(page, "overall", payloads[None]["kpis"]["overall_score"])
    check_rows(view, payloads[None])
    assert view.get_attribute("data-transport") == "kernel"
