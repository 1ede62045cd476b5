"""%axis show's usage lines, %axis show datasets (the data manager) and what a store shows
as a cell's value."""

from __future__ import annotations

from axis_jupyter import demo


def test_help_show_prints_one_correct_usage_line(ip, capsys):
    ip.run_line_magic("axis", "help show")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "%axis show [VIEW] [DATASET] [key=value ...]"
    assert out.count("usage") == 0 and out.count("Show an inline view") == 1
    assert "%_show" not in out
    ip.run_line_magic("axis", "help load")
    assert capsys.readouterr().out.startswith("%axis load ")


def test_bare_show_says_what_to_give(ip, capsys):
    assert ip.run_line_magic("axis", "show") is None
    err = capsys.readouterr().err
    assert err.startswith("AXIS error: give a view: %axis show VIEW [DATASET] [key=value ...]")
    assert "datasets" in err and "scorecard" in err and "required" not in err


def test_show_datasets_and_the_store_repr(ip, capsys):
    store = ip.find_magic("axis").__self__.store
    store.load(demo.eval_results(12, seed=1), name="ev", kind="evals")
    box = ip.run_line_magic("axis", "show datasets")
    manager = box.children[0]
    assert manager.view == "datasets" and manager.snapshot["datasets"][0]["name"] == "ev"
    # "Open" on a row shows that view of the dataset below the table
    manager.open_request = {"view": "scorecard", "dataset": "ev", "n": 1}
    assert manager.opened.view == "scorecard" and manager.opened.dataset == "ev"
    assert len(manager.output.outputs) == 1
    # the kernel path of an upload: stage, preview, commit through the widget's messages
    import base64

    csv = demo.eval_results(5, seed=2).to_pandas().to_csv(index=False).encode()
    reply = manager.handle_call({"id": "1", "action": "stage",
                                 "params": {"filename": "k.csv", "data": base64.b64encode(csv).decode()}})
    up = reply["result"]["upload"]
    reply = manager.handle_call({"id": "2", "action": "commit", "params": {"upload": up, "name": "k"}})
    assert reply["result"]["dataset"] == "k" and "k" in list(store.datasets()["name"])
    assert ip.run_line_magic("axis", "show datasets x") is None
    assert "takes no dataset" in capsys.readouterr().err
    # the store as a cell's value: the data manager under IPython, a plain table elsewhere
    fmt = ip.display_formatter.format(store)
    assert fmt == ({}, {})  # displayed by _ipython_display_ (the widget), not by a mimetype
    assert "<td>ev</td>" in store._repr_html_()
