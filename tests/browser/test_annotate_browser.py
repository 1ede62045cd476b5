"""The annotation view in a real JupyterLab (base_url /a%40b/, token auth, the AXIS
extension owning a temp store) in headless Chromium: five records labelled with the
keyboard only, one undone, and the store checked over HTTP — the labels are rows of the
server's store, written as the server's user."""

from __future__ import annotations

import pytest

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

VIEW = "[data-testid=axis-annotate]"


def wait_attr(page, name: str, value: str, timeout=60_000):
    page.wait_for_function(
        """([sel, name, value]) => { const el = document.querySelector(sel);
                                     return el && el.dataset[name] === value; }""",
        arg=[VIEW, name, value], timeout=timeout)


def wait_stat(page, testid: str, value: int, timeout=60_000):
    page.wait_for_function(
        """([sel, testid, value]) => { const el = document.querySelector(`${sel} [data-testid=${testid}]`);
                                       return el && el.dataset.value === String(value); }""",
        arg=[VIEW, testid, value], timeout=timeout)


def test_label_five_records_with_the_keyboard_and_undo_one(page, lab):
    lab.write_notebook("annotate.ipynb", [
        "import axis_jupyter\n"
        "from axis_jupyter.alignment.demo import records\n"
        "axis = axis_jupyter.connect()\n"
        "frame, _ = records(8)\n"
        "axis.load(frame, name='support')\n"
        "print(type(axis).__name__)",
        "%load_ext axis_jupyter\n%axis show annotate support",
    ])
    open_notebook(page, lab, "annotate.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator(VIEW)
    view.wait_for()
    wait_attr(page, "record", "case_001")
    view.focus()  # the keys go to the view (no mouse)
    expected = {"case_001": 1, "case_002": 0, "case_003": 1, "case_004": 1, "case_005": 0}
    for i, (rid, judgment) in enumerate(expected.items(), start=1):
        page.keyboard.press("a" if judgment else "r")
        wait_stat(page, "progress-done", i)
        nxt = f"case_{i + 1:03d}"
        wait_attr(page, "record", nxt)  # moved on by itself
    assert view.get_attribute("data-transport") == "server"
    assert page.locator(f"{VIEW} [data-testid=undo]").inner_text().startswith("↶ Undo (5)")
    page.keyboard.press("u")
    wait_stat(page, "progress-done", 4)
    wait_attr(page, "record", "case_005")  # shown again, unlabelled
    assert "case_005" in page.locator(f"{VIEW} [data-testid=note]").inner_text()
    # the store, over HTTP: four labels, and the history keeps the undone one
    labels = lab.api("axis/api/alignment/datasets/support/annotations").json()["annotations"]
    del expected["case_005"]
    assert {a["record_id"]: a["judgment"] for a in labels} == expected
    annotators = {a["annotator"] for a in labels}
    assert len(annotators) == 1
    history = lab.api("axis/api/alignment/datasets/support/annotations/history").json()["history"]
    assert [h["action"] for h in history] == ["set"] * 5 + ["undo"]
    assert history[-1]["record_id"] == "case_005" and history[-1]["deleted"] is True
    # JupyterLab's own command-mode keys did nothing meanwhile ("a" inserts a cell above)
    cells = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets.length")
    assert cells == 2
