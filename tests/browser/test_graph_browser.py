"""The knowledge-graph explorer and the rules dashboard in a real JupyterLab in headless
Chromium, on the Jupyter server's store: the kernel's ``connect()`` is the server's store,
so the views call ``{base_url}axis/api`` and the server's embedded FalkorDB answers.

* Graph: counts per type as computed here, search, pick a result (centred and opened in the
  detail panel), expand its neighbourhood (more nodes on the canvas), hop to a neighbour,
  hide a type, zoom.
* A big graph: all 3,830 nodes and 12,203 edges of 3,000 rules drawn, the layout comes to
  rest, pan and zoom still draw.
* Dashboard: summary cards as computed here, a rule's decision path, the rule editor adds,
  edits and deletes a rule (the table and the cards follow each change), the quality tab's
  counts.
"""

from __future__ import annotations

import pytest

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

N_RULES = 300
SEED = 21


@pytest.fixture(scope="module")
def expected():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))
    import independent as ind

    from axis_jupyter.graph.demo import rules_frame

    frame = rules_frame(N_RULES, seed=SEED)
    g = ind.nx_graph(frame)
    nodes, _ = ind.counts(g)
    return {"nodes": nodes, "summary": ind.summary(ind.tidy(frame)), "graph": g,
            "quality": ind.tidy(frame).decision_quality.value_counts().to_dict()}


def _load_cells(name: str) -> list[str]:
    return [
        "import axis_jupyter\nfrom axis_jupyter.graph.demo import rules_frame\n"
        "axis = axis_jupyter.connect()\nprint(type(axis).__name__)",
        f"ds = axis.load(rules_frame({N_RULES}, seed={SEED}), name={name!r}, kind='rules')\nprint(ds.kind)",
    ]


def test_graph_explorer_search_expand_detail(page, lab, expected):
    lab.write_notebook("graph.ipynb", _load_cells("kg") + ["axis_jupyter.GraphExplorer('kg', params={'limit': 200})"])
    open_notebook(page, lab, "graph.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    assert "rules" in run_cell(page, 1)
    run_cell(page, 2)
    view = page.locator("[data-testid=axis-graph]")
    explorer = view.locator("[data-testid=graph-explorer][data-loaded='1']")
    explorer.wait_for(timeout=90_000)
    assert view.get_attribute("data-transport") == "server"
    for typ, n in expected["nodes"].items():
        assert view.locator(f"[data-testid=count-{typ}]").inner_text().replace(",", "") == str(n)
    canvas = view.locator("[data-testid=graph-canvas]")
    first = int(canvas.get_attribute("data-nodes"))
    assert first > 0

    # search: the matches, most connected first; picking one opens it in the detail panel
    view.locator("[data-testid=graph-search]").fill("Collateral")
    results = view.locator("[data-testid=search-result]")
    results.first.wait_for(timeout=60_000)
    want = {n for n, d in expected["graph"].nodes(data=True) if "collateral" in d["name"].lower()}
    got = {results.nth(i).get_attribute("data-node-id") for i in range(results.count())}
    assert got == want or (got <= want and len(got) == 20)
    target = "Mitigant:collateral"
    view.locator(f"[data-testid=search-result][data-node-id='{target}']").click()
    detail = view.locator("[data-testid=node-detail]")
    page.wait_for_function("(id) => document.querySelector('[data-testid=axis-graph] [data-testid=node-detail]')"
                           "?.dataset.nodeId === id", arg=target, timeout=60_000)
    assert detail.locator("[data-testid=detail-id]").inner_text() == target
    assert canvas.get_attribute("data-selected") == target
    neighbours = detail.locator("[data-testid=neighbour]")
    assert neighbours.count() == expected["graph"].degree(target)

    # expand: its neighbourhood is merged into the canvas
    before = int(canvas.get_attribute("data-nodes"))
    view.locator("[data-testid=graph-depth]").select_option("2")
    # opening the search result already expanded the target (depth 1, it was not shown):
    # clear the marker so the wait below is for this expansion, not that one
    page.evaluate("() => { delete document.querySelector('[data-testid=axis-graph] "
                  "[data-testid=graph-explorer]').dataset.expanded; }")
    detail.locator("[data-testid=expand]").click()
    page.wait_for_function("(id) => document.querySelector('[data-testid=axis-graph] [data-testid=graph-explorer]')"
                           "?.dataset.expanded === id", arg=target, timeout=60_000)
    import networkx as nx

    ring2 = set(nx.single_source_shortest_path_length(expected["graph"].to_undirected(), target, cutoff=2))
    after = int(canvas.get_attribute("data-nodes"))
    assert after >= before and after >= min(len(ring2), 500)

    # a neighbour opens in its turn
    hop = neighbours.first.get_attribute("data-node-id")
    neighbours.first.click()
    page.wait_for_function("(id) => document.querySelector('[data-testid=axis-graph] [data-testid=node-detail]')"
                           "?.dataset.nodeId === id", arg=hop, timeout=60_000)
    assert detail.locator("[data-testid=detail-props]").count() == 1

    # hide the rules: they leave the canvas; zoom about the pointer (the counts read together,
    # after the last merge)
    shown_rules = int(view.locator("[data-testid=type-filter-Rule]").inner_text().split("(")[1].split()[0].replace(",", ""))
    shown = int(canvas.get_attribute("data-nodes"))
    assert shown >= after and shown_rules > 0
    view.locator("[data-testid=type-filter-Rule]").click()
    page.wait_for_function("(n) => +document.querySelector('[data-testid=axis-graph] [data-testid=graph-canvas]')"
                           "?.dataset.nodes === n", arg=shown - shown_rules, timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_function("() => !!document.querySelector('[data-testid=axis-graph] [data-testid=graph-canvas]')"
                           "?.dataset.zoom", timeout=30_000)
    assert view.locator("[data-testid=error]").is_hidden()


def test_rules_dashboard_editor_and_tabs(page, lab, expected):
    lab.write_notebook("memory.ipynb", _load_cells("mem") + ["axis_jupyter.RulesDashboard('mem')"])
    open_notebook(page, lab, "memory.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    run_cell(page, 2)
    view = page.locator("[data-testid=axis-memory]")
    view.locator("[data-testid=rules-table] tbody tr").first.wait_for(timeout=90_000)
    sm = expected["summary"]
    for testid, key in (("kpi-rules", "rules_count"), ("kpi-risk-factors", "risk_factors_count"),
                        ("kpi-mitigants", "mitigants_count"), ("kpi-hard-stops", "hard_stops_count")):
        assert float(view.locator(f"[data-testid={testid}]").get_attribute("data-value")) == sm[key]
    assert view.locator("[data-testid=rules-total]").inner_text().startswith(f"{N_RULES:,}")

    # a row opens its details and decision path
    view.locator("[data-testid=rule-row]").first.click()
    path = view.locator("[data-testid=decision-path]")
    path.wait_for(timeout=60_000)
    assert "risk factor" in path.inner_text().lower() and "action" in path.inner_text().lower()

    # the editor adds a rule: the table and the summary follow
    view.locator("[data-testid=add-rule]").click()
    editor = view.locator("[data-testid=rule-editor]")
    editor.locator("[data-testid=field-id]").fill("UI-1")
    editor.locator("[data-testid=field-rule_name]").fill("Added in the browser")
    editor.locator("[data-testid=field-action]").fill("decline")
    editor.locator("[data-testid=field-risk_factor]").fill("Browser risk")
    editor.locator("[data-testid=save-rule]").click()
    page.wait_for_function(
        "(n) => +document.querySelector('[data-testid=axis-memory] [data-testid=kpi-rules]')?.dataset.value === n",
        arg=N_RULES + 1, timeout=60_000)
    assert float(view.locator("[data-testid=kpi-hard-stops]").get_attribute("data-value")) == sm["hard_stops_count"] + 1
    view.locator("[data-testid=rule-search]").fill("Added in the browser")
    page.wait_for_function("() => document.querySelector('[data-testid=axis-memory] [data-testid=rules-total]')"
                           "?.innerText.startsWith('1 ')", timeout=60_000)

    # edit it: a referral is no hard stop, so the hard-stop card goes back
    row = view.locator("[data-testid=rule-row][data-rule-id='UI-1']")
    row.locator("[data-testid=edit-rule]").click()
    assert editor.locator("[data-testid=field-rule_name]").input_value() == "Added in the browser"
    editor.locator("[data-testid=field-action]").fill("refer")
    editor.locator("[data-testid=save-rule]").click()
    page.wait_for_function(
        "(n) => +document.querySelector('[data-testid=axis-memory] [data-testid=kpi-hard-stops]')?.dataset.value === n",
        arg=sm["hard_stops_count"], timeout=60_000)
    page.wait_for_function("() => document.querySelector(\"[data-testid=axis-memory] [data-rule-id='UI-1']\")"
                           "?.innerText.toLowerCase().includes('refer')", timeout=60_000)

    # delete it (after the confirmation): the rule count and the table go back
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-testid=delete-rule]").click()
    page.wait_for_function(
        "(n) => +document.querySelector('[data-testid=axis-memory] [data-testid=kpi-rules]')?.dataset.value === n",
        arg=N_RULES, timeout=60_000)
    page.wait_for_function("() => document.querySelector('[data-testid=axis-memory] [data-testid=rules-total]')"
                           "?.innerText.startsWith('0 ')", timeout=60_000)

    # decision quality: three columns with the counts computed here
    view.locator("[data-testid=tab-quality]").click()
    col = view.locator("[data-testid=quality-aligned]")
    col.wait_for(timeout=60_000)
    assert f"({expected['quality']['aligned']:,})" in col.locator(".axis-mem-card-title").inner_text()
    assert view.locator("[data-testid=error]").is_hidden()


def test_graph_explorer_draws_thousands_of_nodes(page, lab):
    """The whole graph of 3,000 rules (3,830 nodes, 12,203 edges) on the canvas: every node
    and edge is drawn, the force layout comes to rest, and zoom and pan still answer."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))
    import independent as ind

    from axis_jupyter.graph.demo import rules_frame

    g = ind.nx_graph(rules_frame(3000, seed=3))
    cells = [
        "import axis_jupyter\nfrom axis_jupyter.graph.demo import rules_frame\naxis = axis_jupyter.connect()\n"
        "ds = axis.load(rules_frame(3000, seed=3), name='big', kind='rules')\nprint(ds.kind)",
        "axis_jupyter.GraphExplorer('big', params={'limit': 20000})",
    ]
    lab.write_notebook("big.ipynb", cells)
    open_notebook(page, lab, "big.ipynb")
    assert "rules" in run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-graph]")
    view.locator("[data-testid=graph-explorer][data-loaded='1']").wait_for(timeout=120_000)
    canvas = view.locator("[data-testid=graph-canvas]")
    assert int(canvas.get_attribute("data-nodes")) == g.number_of_nodes() > 3000
    assert int(canvas.get_attribute("data-edges")) == g.number_of_edges()
    page.wait_for_function("() => document.querySelector('[data-testid=axis-graph] [data-testid=graph-canvas]')"
                           "?.dataset.settled === '1'", timeout=180_000)
    drawn = int(canvas.get_attribute("data-frames"))
    assert drawn > 1  # drawn as the layout moved, not once at the end

    box = canvas.bounding_box()
    # pan from a corner: the fitted layout leaves a 30-pixel margin, so it is background
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80, steps=5)
    page.mouse.up()
    page.wait_for_function("() => !!document.querySelector('[data-testid=axis-graph] [data-testid=graph-canvas]')"
                           "?.dataset.panX", timeout=30_000)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_function("() => !!document.querySelector('[data-testid=axis-graph] [data-testid=graph-canvas]')"
                           "?.dataset.zoom", timeout=30_000)
    page.wait_for_function("(n) => +document.querySelector('[data-testid=axis-graph] [data-testid=graph-canvas]')"
                           "?.dataset.frames > n", arg=drawn, timeout=30_000)
    assert view.locator("[data-testid=error]").is_hidden()
