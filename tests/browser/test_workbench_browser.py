"""The everyday workbench in a real JupyterLab (headless Chromium): the data manager's
upload with its progress, the shared filter bar (chips, every panel follows, copy as code
gives the numbers on screen) and the views in JupyterLab's light and dark themes (text
legible, charts on the page's background; screenshots kept under test-artifacts/)."""

from __future__ import annotations

import json
import re

import pytest

from axis_jupyter import demo
from browser.conftest import ARTIFACTS
from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

N_CASES = 120


def upload_csv(path, n=40_000):
    """A few MB of evaluation results whose score column no alias table knows."""
    lines = ["dataset_id,question,exp,metric_name,my_score"]
    lines += [f"c{i},question number {i} padded with some text,{'a' if i % 2 else 'b'},m{i % 3},{(i % 10) / 10}"
              for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return n


def test_data_manager_upload_with_progress_preview_and_delete(page, lab):
    n = upload_csv(lab.root / "results.csv")
    lab.write_notebook("manager.ipynb", [
        "import axis_jupyter\nfrom axis_jupyter import demo\naxis = axis_jupyter.connect()\n"
        f"axis.load(demo.eval_results(30, seed=1), name='wb_evals', kind='evals'); print(type(axis).__name__)",
        "%load_ext axis_jupyter\n%axis show datasets",
    ])
    open_notebook(page, lab, "manager.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-datasets]")
    view.locator("[data-testid=dataset-row][data-name=wb_evals]").wait_for()
    # every stage of the progress line, as the user sees it
    page.evaluate("""() => {
        window.__stages = [];
        const box = document.querySelector('[data-testid=axis-datasets] [data-testid=upload-progress]');
        new MutationObserver(() => {
            const s = box.querySelector('[data-testid=upload-stage]');
            if (s) window.__stages.push([s.textContent, box.dataset.value || '']);
        }).observe(box, {childList: true, subtree: true});
    }""")
    view.locator("[data-testid=file-input]").set_input_files(str(lab.root / "results.csv"))
    view.locator("[data-testid=preview] [data-testid=detected]").wait_for()
    assert view.get_attribute("data-upload") == "staged"
    col = view.locator("[data-testid=column][data-name=my_score]")
    assert col.get_attribute("data-role") == "metric (wide)"
    # map the columns before loading: the preview follows
    view.locator("[data-testid='map-my_score']").select_option("metric_score")
    page.wait_for_function("() => document.querySelector(\"[data-testid=column][data-name=my_score]\").dataset.role === 'score'")
    view.locator("[data-testid='map-exp']").select_option("evaluation_name")
    page.wait_for_function("() => document.querySelector(\"[data-testid=column][data-name=exp]\").dataset.role === 'experiment'")
    assert "flat_format" in view.locator("[data-testid=detected]").inner_text()
    view.locator("[data-testid=upload-name]").fill("uploaded")
    view.locator("[data-testid=commit]").click()
    page.wait_for_function("() => document.querySelector('[data-testid=axis-datasets]').dataset.upload === 'done'",
                           timeout=120_000)
    stages = page.evaluate("() => window.__stages")
    texts = [s for s, _ in stages]
    assert any(t.startswith("Uploading results.csv") for t in texts), texts
    assert any(t.startswith("Loading results.csv") for t in texts), texts
    assert texts[-1] == "Loaded results.csv as uploaded"
    shares = [float(v) for t, v in stages if t.startswith("Uploading") and v]
    assert shares[-1] == 1.0 and shares == sorted(shares)
    row = view.locator("[data-testid=dataset-row][data-name=uploaded]")
    row.wait_for()
    assert row.get_attribute("data-rows") == str(n)
    info = lab.api("axis/api/datasets/uploaded").json()
    assert (info["kind"], info["layout"], info["records"]) == ("evals", "flat_format", n)
    # delete asks first
    row.locator("[data-testid=delete]").click()
    row.locator("[data-testid=cancel-delete]").click()
    assert lab.api("axis/api/datasets/uploaded").status_code == 200
    view.locator("[data-testid=dataset-row][data-name=uploaded] [data-testid=delete]").click()
    view.locator("[data-testid=dataset-row][data-name=uploaded] [data-testid=confirm-delete]").click()
    view.locator("[data-testid=dataset-row][data-name=uploaded]").wait_for(state="detached")
    assert lab.api("axis/api/datasets/uploaded").status_code == 404
    # open a view of a dataset from its row: the kernel shows it below
    view.locator("[data-testid=dataset-row][data-name=wb_evals] [data-testid=open]").select_option("scorecard")
    page.locator("[data-testid=axis-scorecard] [data-testid=kpi-overall]").wait_for()


def mean_of_rows(view):
    rows = view.locator("[data-testid=hierarchy] [data-testid=row]")
    return {rows.nth(i).get_attribute("data-name"): float(rows.nth(i).get_attribute("data-mean"))
            for i in range(rows.count())}


def test_filter_chips_update_every_panel_and_copy_as_code(page, lab):
    lab.write_notebook("filters.ipynb", [
        "import axis_jupyter, json\nfrom axis_jupyter import demo, Scorecard\naxis = axis_jupyter.connect()\n"
        f"ds = axis.load(demo.eval_results({N_CASES}, seed=4), name='wb_filters', kind='evals')\nprint(ds.name)",
        "Scorecard(ds)",
        # runs the code the page copied and prints the means
        "ns = {'axis': axis}\nexec(open('copied.py').read().replace('\\nds.', '\\nresult = ds.'), ns)\n"
        "print(json.dumps(ns['result'].set_index('metric_name')['mean'].to_dict()))",
    ])
    open_notebook(page, lab, "filters.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-scorecard]")
    view.locator("[data-testid=kpi-overall]").wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=axis-scorecard] [data-testid=filterbar]').dataset.fields")
    before = {"kpi": view.locator("[data-testid=kpi-overall]").get_attribute("data-value"),
              "rows": mean_of_rows(view), "seq": int(view.get_attribute("data-render-seq"))}
    # pick one experiment in the multi-select: a chip appears and every panel changes
    view.locator("[data-testid=filter-evaluation_name] summary").click()
    view.locator("[data-testid=filter-evaluation_name] input[data-value=baseline]").check()
    chip = view.locator("[data-testid=chip][data-key=evaluation_name][data-value=baseline]")
    chip.wait_for()
    view.locator("[data-testid=kpis], .axis-title").first.click()  # a click outside closes the menu
    view.locator("[data-testid=filter-evaluation_name] .axis-fb-menu").wait_for(state="hidden")
    page.wait_for_function("(s) => Number(document.querySelector('[data-testid=axis-scorecard]').dataset.renderSeq) > s"
                           " && !document.querySelector('[data-testid=axis-scorecard]').classList.contains('axis-busy')",
                           arg=before["seq"])
    after = {"kpi": view.locator("[data-testid=kpi-overall]").get_attribute("data-value"), "rows": mean_of_rows(view)}
    assert after["kpi"] != before["kpi"]
    assert all(after["rows"][k] != before["rows"][k] for k in before["rows"])
    assert view.locator("[data-testid=chart]").get_attribute("hidden") is None
    # copy as code, run it in the kernel: the same numbers as the table on screen
    view.locator("[data-testid=copy-code]").click()
    code = view.locator("[data-testid=filter-code]")
    code.wait_for()
    text = code.inner_text()
    assert "evaluation_name='baseline'" in text and text.startswith("ds = axis.dataset('wb_filters')")
    (lab.root / "copied.py").write_text(text)
    got = json.loads(run_cell(page, 2).strip().splitlines()[-1])
    assert got == pytest.approx(after["rows"], abs=1e-12)
    # the chip's × removes the filter: back to all experiments
    seq = int(view.get_attribute("data-render-seq"))
    chip.click()
    page.wait_for_function("(s) => Number(document.querySelector('[data-testid=axis-scorecard]').dataset.renderSeq) > s", arg=seq)
    page.wait_for_function("(v) => document.querySelector('[data-testid=axis-scorecard] [data-testid=kpi-overall]').dataset.value === v",
                           arg=before["kpi"])
    assert view.locator("[data-testid=chip]").count() == 0


# the colour of each element's text and of what is behind it (the first ancestor with an
# opaque background), as the page computes them
CONTRAST_JS = """(sel) => {
    // any CSS colour (color-mix() computes to color(srgb …)) as [r, g, b, a], through a canvas
    const rgba = (c) => {
        const x = document.createElement('canvas').getContext('2d');
        x.clearRect(0, 0, 1, 1);
        x.fillStyle = c;
        x.fillRect(0, 0, 1, 1);
        const d = x.getImageData(0, 0, 1, 1).data;
        return [d[0], d[1], d[2], d[3] / 255];
    };
    const lum = ([r, g, b]) => {
        const f = (x) => { const s = x / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    // what is behind the text: the backgrounds up the tree, translucent ones (a tinted
    // cell) laid over the first opaque one, as the page paints them
    const bgOf = (el) => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c[3] === 0) continue;
            layers.push(c);
            if (c[3] === 1) break;
        }
        let out = layers.length && layers[layers.length - 1][3] === 1 ? layers.pop() : [255, 255, 255, 1];
        while (layers.length) {
            const [r, g, b, a] = layers.pop();
            out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a), 1];
        }
        return out;
    };
    const css = ([r, g, b]) => `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
    return [...document.querySelectorAll(sel)].filter((e) => e.offsetParent && e.textContent.trim()).map((e) => {
        const fg = rgba(getComputedStyle(e).color), bg = bgOf(e);
        const a = lum(fg), b = lum(bg);
        return {sel, text: e.textContent.trim().slice(0, 30), fg: css(fg), bg: css(bg),
                ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
    });
}"""

TEXT_PARTS = ["[data-testid=axis-scorecard] .axis-title", "[data-testid=axis-scorecard] .axis-kpi-label",
              "[data-testid=axis-scorecard] .axis-kpi-value", "[data-testid=axis-scorecard] td",
              "[data-testid=axis-scorecard] th", "[data-testid=axis-scorecard] .axis-chip",
              "[data-testid=axis-scorecard] summary", "[data-testid=axis-datasets] td",
              "[data-testid=axis-datasets] .axis-title"]


def set_theme(page, name):
    """Switch JupyterLab's theme; the charts on the page are drawn again in it."""
    if page.evaluate("() => document.body.dataset.jpThemeName") == name:
        return
    before = int(page.evaluate("() => document.body.dataset.axisThemeRedraws || 0"))
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", name)
    page.wait_for_function("(dark) => document.body.dataset.jpThemeLight === (dark ? 'false' : 'true')",
                           arg=name.endswith("Dark"), timeout=30_000)
    page.wait_for_function("(n) => Number(document.body.dataset.axisThemeRedraws || 0) > n", arg=before)


def test_light_and_dark_themes_are_legible(page, lab):
    lab.write_notebook("themes.ipynb", [
        "import axis_jupyter\nfrom axis_jupyter import demo, Scorecard\naxis = axis_jupyter.connect()\n"
        "ds = axis.load(demo.eval_results(60, seed=2), name='wb_theme', kind='evals')\n"
        "w = Scorecard(ds, experiment='baseline')\nw",
        "%load_ext axis_jupyter\n%axis show datasets",
    ])
    open_notebook(page, lab, "themes.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    sc = page.locator("[data-testid=axis-scorecard]")
    sc.locator("[data-testid=chart][data-rendered], [data-testid=chart] canvas").first.wait_for()
    page.locator("[data-testid=axis-datasets] [data-testid=dataset-row]").first.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    results = {}
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        set_theme(page, theme)
        sc.locator("[data-testid=chart] canvas").wait_for()
        page.wait_for_timeout(300)  # the redrawn canvas painted
        tag = "dark" if theme.endswith("Dark") else "light"
        sc.screenshot(path=str(ARTIFACTS / f"workbench-scorecard-{tag}.png"))
        page.locator("[data-testid=axis-datasets]").screenshot(path=str(ARTIFACTS / f"workbench-datasets-{tag}.png"))
        checks = [c for sel in TEXT_PARTS for c in page.evaluate(CONTRAST_JS, sel)]
        assert len({c["sel"] for c in checks}) >= 7, checks
        # WCAG AA: 4.5 for text, 3 for large text (the KPI values, 22 px bold, in band colours)
        bad = [c for c in checks if c["ratio"] < (3.0 if c["sel"].endswith("axis-kpi-value") else 4.5)]
        assert not bad, (theme, bad[:5])
        # the chart is not a white box: its canvas is transparent where nothing is drawn
        corner = page.evaluate("""() => { const c = document.querySelector('[data-testid=axis-scorecard] [data-testid=chart] canvas');
            return Array.from(c.getContext('2d').getImageData(1, 1, 1, 1).data); }""")
        assert corner[3] == 0, corner
        # its text (axis labels, title, bar labels) is drawn in the theme's text colour:
        # light grey pixels on the dark theme, dark grey ones on the light theme
        neutral = page.evaluate("""(dark) => { const c = document.querySelector('[data-testid=axis-scorecard] [data-testid=chart] canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 0; i < d.length; i += 4) {
                const mx = Math.max(d[i], d[i+1], d[i+2]), mn = Math.min(d[i], d[i+1], d[i+2]);
                if (d[i+3] > 200 && mx - mn < 16 && (dark ? mn > 170 : mx < 90)) n++;
            }
            return n; }""", tag == "dark")
        assert neutral > 200, (tag, neutral)
        results[tag] = checks
    # the two themes differ where the page does: text light on dark, dark on light
    assert results["light"][0]["fg"] != results["dark"][0]["fg"]


# the parts that turned unreadable in the dark theme: compare's selected rows (the pair
# compared head to head in the experiment grid, with their baseline / challenger tags) and
# the production overview's date chip
DARK_DEFECTS = {"compare-selected": ["[data-testid=axis-compare] [data-testid=grid] tr.axis-row-selected td",
                                     "[data-testid=axis-compare] [data-testid=grid] tr.axis-row-selected b",
                                     "[data-testid=axis-compare] [data-testid=grid] tr.axis-row-selected .axis-tag"],
                "production-date": ["[data-testid=axis-production] [data-testid=date-range]"]}


def test_compare_selected_rows_and_production_date_chip_are_legible_in_both_themes(page, lab):
    lab.write_notebook("dark_defects.ipynb", [
        "import warnings, axis_jupyter\nfrom axis_jupyter import demo, demo_incidents, Compare, Production\n"
        "axis = axis_jupyter.connect()\n"
        "ds = axis.load(demo.eval_results(60, seed=2), name='wb_dark', kind='evals')\n"
        "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        "    axis.load(demo_incidents.monitoring_incidents(400, days=5, seed=3), name='wb_dark_mon', kind='monitoring')\n"
        "    axis.load(demo_incidents.kpi_records(10, rows_per_day=3, seed=3), name='wb_dark_kpi', kind='kpi')\n"
        "Compare(ds, baseline='baseline', challenger='candidate_a', mode='experiments')",
        "Production('wb_dark_mon', kpi='wb_dark_kpi')",
    ])
    open_notebook(page, lab, "dark_defects.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    grid = page.locator("[data-testid=axis-compare] [data-testid=grid]")
    grid.locator("tr.axis-row-selected").nth(1).wait_for(timeout=60_000)
    assert [grid.locator("tr.axis-row-selected").nth(i).get_attribute("data-exp") for i in range(2)] == \
        ["baseline", "candidate_a"]
    chip = page.locator("[data-testid=axis-production] [data-testid=date-range]")
    chip.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    seen = {}
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        set_theme(page, theme)
        page.wait_for_timeout(200)  # the theme's colours painted
        tag = "dark" if theme.endswith("Dark") else "light"
        grid.screenshot(path=str(ARTIFACTS / f"workbench-compare-selected-{tag}.png"))
        page.locator("[data-testid=axis-production] [data-testid=section-kpi] > summary").screenshot(
            path=str(ARTIFACTS / f"workbench-production-date-{tag}.png"))
        for part, sels in DARK_DEFECTS.items():
            checks = [c for sel in sels for c in page.evaluate(CONTRAST_JS, sel)]
            assert {c["sel"] for c in checks} == set(sels), (part, checks)  # every part is on the page
            # WCAG AA for text: 4.5
            bad = [c for c in checks if c["ratio"] < 4.5]
            assert not bad, (theme, part, bad[:5])
            seen[(part, tag)] = checks
    # the selected row's background is the theme's (dark in the dark theme), not a light tint
    lum = lambda rgb: sum(int(x) for x in re.findall(r"\d+", rgb)[:3])  # noqa: E731
    assert lum(seen[("compare-selected", "dark")][0]["bg"]) < 3 * 100 < lum(seen[("compare-selected", "light")][0]["bg"])
