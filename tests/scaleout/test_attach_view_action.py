"""The data manager's ``attach`` action (what its form calls in a kernel without the server
extension; over HTTP the form posts to ``axis/api/attach``): a PostgreSQL table attached,
listed with its engine and table and no credentials; refusals name the parameter."""

from __future__ import annotations

import pytest

from axis_jupyter.errors import AxisError
from axis_jupyter.notebook.widgets import call_action


@pytest.fixture
def kernel_store(tmp_path):
    from axis_jupyter.workbench import open_local

    s = open_local(tmp_path / "kernel.duckdb")
    yield s
    s.close()


def test_attach_action_lists_the_dataset_without_credentials(kernel_store, pg_tables, xstore):
    out = call_action(kernel_store, None, "datasets", "attach",
                      {"name": "from_form", "backend": pg_tables, "table": "raw_evals",
                       "kind": "evals", "mapping": {}})
    row = out["dataset"]
    ref = xstore.info("ev_duck")
    assert (row["name"], row["kind"], row["rows"], row["records"]) == (
        "from_form", "evals", ref["rows"], ref["records"])
    assert row["source"].startswith("attached: postgres") and row["source"].endswith("raw_evals")
    assert row["size_bytes"] == 0
    listed = call_action(kernel_store, None, "datasets", "payload", {})
    assert [d["name"] for d in listed["datasets"]] == ["from_form"]
    assert "scorecard" in listed["datasets"][0]["views"]
    assert isinstance(listed["sources"], list)
    # the scorecard of the attached dataset runs on PostgreSQL and equals the loaded copy's
    got = kernel_store.dataset("from_form").summary().sort_values("metric_name")
    exp = xstore.dataset("ev_duck").summary().sort_values("metric_name")
    assert got["mean"].tolist() == pytest.approx(exp["mean"].tolist(), rel=1e-9)


@pytest.mark.parametrize("body, param", [
    ({"backend": "postgresql://axis:hunter2@db/prod"}, "backend"),
    ({"backend": "no_such_source"}, "backend"),
    ({"name": "a b"}, "name"),
    ({"table": ""}, "table"),
    ({"table": "no_such_table"}, "table"),
    ({"kind": "bogus"}, "kind"),
    ({"mapping": ["score"]}, "mapping"),
    ({"password_env": "JUPYTER_TOKEN"}, "password_env"),
])
def test_attach_action_refusals_name_the_parameter(kernel_store, pg_tables, body, param):
    base = {"name": "bad", "backend": pg_tables, "table": "raw_evals"}
    with pytest.raises(AxisError) as e:  # a ParameterError, or the engine's IngestError (400)
        call_action(kernel_store, None, "datasets", "attach", {**base, **body})
    assert e.value.status == 400 and param in str(e.value)
    assert getattr(e.value, "param", None) in (param, None)
    assert "hunter2" not in str(e.value)
    assert call_action(kernel_store, None, "datasets", "payload", {})["datasets"] == []
