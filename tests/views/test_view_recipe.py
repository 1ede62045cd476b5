"""A new view is a payload module and a registry line: the engine names its charts, the faces
draw them, and ``%axis show`` works without a widget class."""

from __future__ import annotations

import json

import pytest

from axis_jupyter import demo
from axis_jupyter.notebook import charts, widgets
from axis_jupyter.notebook.widgets import AxisView, call_action, show
from axis_jupyter.payloads import registry


@pytest.fixture
def ev(store):
    store.load(demo.eval_results(30, seed=3), name="ev", kind="evals")
    return store


def test_payloads_name_charts_and_faces_draw_them(ev):
    data = registry.call_action(ev, "ev", "scorecard", "payload", {})
    request = data["chart"]
    assert request[registry.CHART_KEY] == "experiments" and request["rows"] == data["experiments"]["scores"]
    json.dumps(data, allow_nan=False)  # JSON-ready without any face
    drawn = call_action(ev, "ev", "scorecard", "payload", {})
    assert drawn["chart"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert drawn["chart"]["datasets"]["experiments"] == data["experiments"]["scores"]
    assert drawn["kpis"] == data["kpis"]
    assert charts.attach({"chart": None, "charts": {"a": None}}) == {"chart": None, "charts": {"a": None}}


def test_chart_titles_are_not_shared_between_requests(ev):
    one = charts.build(registry.chart("binned", rows=[], x_title="Turns", title="Conversation turns"))
    two = charts.build(registry.chart("binned", rows=[], x_title="Response length (characters)",
                                      title="Response length"))
    assert "Conversation turns: records" in json.dumps(one)
    assert "Response length: records" in json.dumps(two) and "Conversation" not in json.dumps(two)


def test_a_view_without_a_widget_class(ev, monkeypatch):
    def payload(store, dataset, metric=None, threshold=None):
        rows = store.analytic(dataset, "summary", threshold=float(threshold or 0.5))
        rows = rows[rows.metric_name == metric] if metric else rows
        return {"rows": rows.metric_name.tolist(), "chart": registry.chart("pie", rows=[], title=f"{metric}")}

    spec = registry.ViewSpec(name="recipe_test", description="a test view", actions={"payload": payload},
                             kinds=("evals",))
    registry.views()  # the built-in views first
    monkeypatch.setitem(registry.VIEWS, "recipe_test", spec)
    monkeypatch.setattr(widgets, "WIDGETS", dict(widgets.WIDGETS))  # the class made for it goes too
    metric = ev.analytic("ev", "summary").metric_name.iloc[0]
    w = show("recipe_test", ev, None, metric=metric)  # the one evaluation dataset is picked
    assert isinstance(w, AxisView) and w.dataset == "ev" and w.params == {"metric": metric}
    assert w.snapshot["rows"] == [metric] and w.snapshot["chart"]["title"] == metric
    reply = w.handle_call({"kind": "axis-call", "id": "1", "action": "payload", "params": {}})
    assert len(reply["result"]["rows"]) > 1
