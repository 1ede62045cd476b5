"""Before/after screenshots of the purely visual defects of issue 21, item 6 (a script, not
a test: the "before" is another source tree, an older commit of this repository).

    git archive <commit> | tar -x -C /tmp/before
    ln -s $PWD/widgets/node_modules /tmp/before/widgets/ && (cd /tmp/before/widgets && npm run build)
    python tests/browser/visual_pairs.py --tree /tmp/before --tag before
    python tests/browser/visual_pairs.py --tree . --tag after

Each run starts a JupyterLab whose kernels and server import the package from ``--tree``
(its own bundle), draws the same views on the same demo data through the same public
calls (``Scorecard``, ``DeepDive``, ``Compare``, ``Production``), and writes
``test-artifacts/item6-<view>-<tag>-<light|dark>.png`` for both JupyterLab themes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[1])]  # tests/: browser.labserver

from browser.labserver import launch_chromium, open_notebook, run_cell, start_lab  # noqa: E402

ARTIFACTS = HERE.parents[2] / "test-artifacts"

SETUP = """import warnings, axis_jupyter
from axis_jupyter import demo, demo_incidents
axis = axis_jupyter.connect()
ds = axis.load(demo.eval_results(60, seed=2), name='vp_evals', kind='evals')
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    axis.load(demo_incidents.monitoring_incidents(400, days=5, seed=3), name='vp_mon', kind='monitoring')
    axis.load(demo_incidents.kpi_records(10, rows_per_day=3, seed=3), name='vp_kpi', kind='kpi')
print('ready')"""

# view -> (cell, what shows it is drawn); Compare's mode= came with the test-case mode
VIEWS = {
    "scorecard": ("axis_jupyter.Scorecard(ds)", "[data-testid=axis-scorecard] canvas"),
    "deepdive": ("axis_jupyter.DeepDive(ds)", "[data-testid=axis-deepdive] canvas"),
    "compare": ("import inspect\nkw = {'mode': 'experiments'} if 'mode' in inspect.signature(axis_jupyter.Compare).parameters else {}\n"
                "axis_jupyter.Compare(ds, baseline='baseline', challenger='candidate_a', **kw)",
                "[data-testid=axis-compare] canvas"),
    "production": ("axis_jupyter.Production('vp_mon', kpi='vp_kpi')", "[data-testid=axis-production] [data-testid=date-range]"),
}


def set_theme(page, name: str) -> None:
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", name)
    page.wait_for_function("(dark) => document.body.dataset.jpThemeLight === (dark ? 'false' : 'true')",
                           arg=name.endswith("Dark"), timeout=30_000)
    page.wait_for_timeout(1500)  # views that follow the theme draw their charts again


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True, help="the source tree whose package the lab imports")
    ap.add_argument("--tag", required=True, help="before or after: part of the file names")
    args = ap.parse_args()
    tree = Path(args.tree).resolve()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        lab = start_lab(Path(tmp), Path(tmp) / "store.duckdb",
                        extra_env={"PYTHONPATH": f"{tree}:{tree / 'server_ext'}"})
        try:
            lab.write_notebook("pairs.ipynb", [SETUP, *(cell for cell, _ in VIEWS.values())])
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                # a tall window: each view fits whole, so its screenshot has no lab toolbar over it
                page = browser.new_page(viewport={"width": 1280, "height": 2800})
                open_notebook(page, lab, "pairs.ipynb")
                assert "ready" in run_cell(page, 0)
                for i, (_cell, ready) in enumerate(VIEWS.values(), start=1):
                    run_cell(page, i)
                    page.locator(ready).first.wait_for(timeout=90_000)
                page.wait_for_timeout(1500)
                for theme in ("JupyterLab Light", "JupyterLab Dark"):
                    set_theme(page, theme)
                    shade = "dark" if theme.endswith("Dark") else "light"
                    for view in VIEWS:
                        el = page.locator(f"[data-testid=axis-{view}]").first
                        el.scroll_into_view_if_needed()
                        path = ARTIFACTS / f"item6-{view}-{args.tag}-{shade}.png"
                        el.screenshot(path=str(path))
                        print(path)
                browser.close()
        finally:
            lab.stop()


if __name__ == "__main__":
    main()
